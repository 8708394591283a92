--- contacts.import: a resumable bulk import.
--
--   local summary, err = api.contacts.import("contacts.csv", {
--     concurrency = 4, checkpoint = "contacts.csv.checkpoint", segment = 3, tags = { "import" },
--     on_progress = function(done, total, rate) ... end,
--   })
--
-- The rows come from mautic.source (an array, an iterator, CSV), one chunk
-- at a time: mautic.chunks pulls a chunk when a worker is free, up to
-- `concurrency` in flight, so only those are in memory; each goes to
-- Mautic with the batch create route (mautic.batch's sender, lean
-- results). This module decides what happens to each row (skipped,
-- refused, sent) and what a settled row means for the counts, `on_row`
-- and the checkpoint (mautic.checkpoint).
--
-- A row is settled once Mautic answered for it (created, merged or
-- refused) or the import refused it without sending it. A run that finds
-- its checkpoint skips the settled rows and sends the others, including
-- those of a chunk whose outcome was unknown (a kill, a drop, a timeout, a
-- 5xx): Mautic merges a contact create into the contact with the same
-- unique identifier, so the resend stores nothing twice. That only holds
-- for rows that carry an identifier, so with a checkpoint a row without
-- one is refused before it is sent (reported as failed, kind "usage").
-- Per-row output (on_row) is written before the checkpoint records the
-- row, so a kill in between repeats a row in the output rather than losing it.
local core = require "mautic.core"
local json = require "mautic.json"
local batch = require "mautic.batch"
local chunks = require "mautic.chunks"
local checkpoint = require "mautic.checkpoint"
local source = require "mautic.source"
local segment = require "mautic.segment"
local names = require "mautic.names"
local errors = require "mautic.errors"
local check = require "mautic.check"
local compat = require "mautic.compat"
local options = require "mautic.options"
local fieldsets = require "mautic.fields"

local type, pairs, ipairs, tostring, tonumber, error = type, pairs, ipairs, tostring, tonumber, error
local max = math.max
local concat, insert = table.concat, table.insert

local _M = {}

-- ------------------------------------------------------------------ options

local list_or_text = options.is_either("string", "table")

--- What import takes.
_M.OPTIONS = options.merge(options.CALL, options.FIELDS, {
  concurrency = options.is_int(1), batch_limit = options.is_int(1), max_errors = options.is_int(0),
  results = options.is_one_of("ids", "full"), on_progress = "function", on_row = "function",
  checkpoint = options.is_text, unique = list_or_text, tags = list_or_text,
  segment = options.is_either(options.is_int(1), options.is_text),
  separator = "string",
})

-- The options, checked once for the whole job (a copy: unique and tags as lists).
local function check_options(client, fname, opts)
  local checked, msg = options.problem(fname, 2, opts, _M.OPTIONS)
  if not checked then return nil, check.usage(msg) end
  local o = {}
  for k, v in pairs(checked) do o[k] = v end
  local function bad(m) return nil, check.usage(("bad argument #2 to '%s' (%s)"):format(fname, m)) end
  local err
  o.unique, err = names.list(o.unique, "unique")
  if err then return bad(err) end
  o.unique = o.unique or client.unique_fields
  if #o.unique == 0 then return bad("unique names no field") end
  o.tags, err = names.list(o.tags, "tags")
  if err then return bad(err) end
  return o
end

local function new_job(client, family, fname, o, src)
  return {
    client = client, family = family, fname = fname, src = src,
    size = o.batch_limit or client.batch_limit, unique = o.unique, tags = o.tags,
    on_row = o.on_row, on_progress = o.on_progress, max_errors = o.max_errors or 100, checkpoint = o.checkpoint,
    -- what each chunk's request carries
    call = { results = o.results or "ids", timeout = o.timeout, retries = o.retries, deadline = o.deadline },
    total = src.total, done = {}, covered = checkpoint.covers({}),
    before = { created = 0, merged = 0, failed = 0 },
    run = { created = 0, merged = 0, failed = 0, skipped = 0, resent = 0 },
    -- the rows read and not settled yet: as sent (or as refused), and their CSV line
    held = {}, lines = {},
    errors = {}, read = 0, settled = 0, started = core.now(), fields_mode = fieldsets.mode(client, o),
  }
end

local function save(job)
  local b, run = job.before, job.run
  return checkpoint.write(job.checkpoint, {
    source = job.identity, rows = job.total, done = job.done, complete = job.complete, unique = job.unique,
    created = b.created + run.created, merged = b.merged + run.merged, failed = b.failed + run.failed,
  })
end

-- ------------------------------------------------------------------ fields

-- The first unknown key of the source's columns (a CSV header) or rows (an
-- array: every row is looked at; an iterator's rows are checked as they
-- come), as a usage message; in "warn" mode each is reported once and nil
-- is returned.
local function unknown_columns(job, src)
  local seen = {}
  job.fields_seen = seen
  local function look(key, where)
    if seen[key] then return nil end
    seen[key] = true
    local why = fieldsets.unknown_key(job.fields, key)
    if not why then return nil end
    if job.fields_mode == "warn" then
      fieldsets.warn(job.client, { object = "contact", message = why })
      return nil
    end
    return (where and (where .. ": ") or "") .. why
  end
  if job.src.header then
    for _, name in ipairs(job.src.header) do
      local bad = look(name, "column")
      if bad then return bad end
    end
  elseif type(src) == "table" and io.type(src) == nil then
    for i, row in ipairs(src) do
      for k in pairs(type(row) == "table" and row or {}) do
        local bad = look(k, "row " .. i)
        if bad then return bad end
      end
    end
  end
  return nil
end

-- A row's values checked against the fields: the row to send, or nil and
-- the usage error that refuses it (raises a usage mistake for an unknown
-- key of an iterator's row).
local function checked_row(job, row, i)
  if not job.fields then return row end
  local sent, unknown, problems = fieldsets.check_row(job.fields, row, "POST")
  if unknown then
    if job.fields_mode ~= "warn" then error(check.usage(("row %d: %s"):format(i, unknown)), 0) end
    if not job.fields_seen[unknown] then
      job.fields_seen[unknown] = true
      fieldsets.warn(job.client, { object = "contact", message = unknown, row = i })
    end
    return row
  end
  if not problems then return sent end
  if job.fields_mode == "warn" then
    for k, why in pairs(problems) do
      fieldsets.warn(job.client, { object = "contact", field = k, value = row[k], message = k .. ": " .. why, row = i })
    end
    return row
  end
  local message, details = fieldsets.describe_problems(problems)
  return nil, errors.new{ kind = "usage", message = ("row %d: %s"):format(i, message), details = details }
end

-- ------------------------------------------------------------------ rows in

-- the row as sent: extra tags added (on a copy: the caller's rows stay as they were)
local function with_tags(row, tags)
  if not tags or #tags == 0 then return row end
  local copy = {}
  for k, v in pairs(row) do copy[k] = v end
  local list, seen = {}, {}
  local have = row.tags
  if type(have) == "string" then have = names.list(have, "tags") end
  for _, t in ipairs(type(have) == "table" and have or {}) do
    if not seen[t] then list[#list + 1] = t seen[t] = true end
  end
  for _, t in ipairs(tags) do
    if not seen[t] then list[#list + 1] = t seen[t] = true end
  end
  copy.tags = list
  return copy
end

local function refused(i, line, err)
  return { row = i, line = line, ok = false, action = "failed", maybe_applied = false, error = err }
end

-- What becomes of row i (mautic.chunks' admit): false, settled by an
-- earlier run (skipped); nil and its result, refused before sending (a
-- value Mautic would refuse or store wrong; with a checkpoint, no
-- identifier: a resend after an unknown outcome could create it twice);
-- else the row to send.
local function admit(job, row, i, line)
  job.read = i
  if job.covered(i) then return false end
  if type(row) ~= "table" then error(check.usage(("row %d is a %s, not a table"):format(i, type(row))), 0) end
  row = with_tags(row, job.tags)
  job.held[i], job.lines[i] = row, line
  local sent, why = checked_row(job, row, i)
  if not sent then return nil, refused(i, line, why) end
  if job.checkpoint and not chunks.identified(job.unique, row) then
    return nil, refused(i, line, errors.new{ kind = "usage", message = ("row %d has no %s: a "
      .. "resumable import cannot send it exactly once"):format(i, concat(job.unique, " or ")) })
  end
  job.held[i] = sent
  return sent
end

-- ------------------------------------------------------------------ sending

-- Put the chunk's created or merged contacts into the job's segment: the
-- results (a contact Mautic did not add is failed), or nil, err when the
-- call failed as a whole (then the chunk did).
local function file_in_segment(job, results)
  local ids, by_id = {}, {}
  for j, r in ipairs(results) do
    if r.ok and r.id ~= nil then
      ids[#ids + 1] = r.id
      by_id[tostring(r.id)] = j
    end
  end
  if #ids == 0 then return results end
  local ok, missing = segment.add(job.client, job.segment, ids)
  if not ok then return nil, missing end
  for k in pairs(missing) do
    local r = by_id[k] and results[by_id[k]]
    if r then
      r.ok = false
      r.error = errors.new{ kind = "http", status = r.status,
        message = ("contact %s was not added to segment %s"):format(k, tostring(job.segment)) }
    end
  end
  return results
end

-- Each chunk: one batch create (the rows were checked against the fields
-- already, with the job's one copy of them), then the segment.
local function sender(job)
  local send = batch.sender(job.client, job.family, job.family.routes.create_batch, "POST", job.call)
  if not job.segment then return send end
  return function(chunk)
    local results, err = send(chunk)
    if not results then return nil, err end
    return file_in_segment(job, results)
  end
end

-- ------------------------------------------------------------------ rows out

local function identifier(job, row)
  if type(row) ~= "table" then return nil end
  for _, f in ipairs(job.unique) do
    if row[f] ~= nil then return row[f] end
  end
end

-- one row settled: counts, errors, on_row
local function settle_row(job, res, row)
  local run = job.run
  -- resent: sent again after an unknown outcome (a timeout, a drop); a row
  -- created by the attempt whose answer was lost still counts as created
  if res.resent then run.resent = run.resent + 1 end
  if res.ok then
    if res.created then run.created = run.created + 1 else run.merged = run.merged + 1 end
  else
    run.failed = run.failed + 1
    if #job.errors < job.max_errors then
      local e = res.error or {}
      job.errors[#job.errors + 1] = { row = res.row, line = res.line, status = res.status,
        message = e.message, details = e.details, id = res.id, identifier = identifier(job, row) }
    end
  end
  if job.on_row then job.on_row(res, row) end
end

-- A batch result as on_row gets it: the row's number, line and action.
-- (A row refused before sending has its import result already.)
local function row_result(r, i, line)
  if r.action then return r end
  local res = { row = i, line = line, ok = r.ok, status = r.status, id = r.id, created = r.created,
                resent = r.resent, error = r.error, item = r.item, maybe_applied = r.maybe_applied }
  if r.ok and r.id == nil and r.item then res.id = r.item.id end
  if r.ok and res.created == nil then res.created = r.status == 201 end
  res.action = not r.ok and "failed" or res.created and "created" or "merged"
  return res
end

local function progress(job)
  if not job.on_progress then return end
  local elapsed = max(core.now() - job.started, 1e-3)
  job.on_progress(job.settled + job.run.skipped, job.total, job.settled / elapsed)
end

-- A chunk that failed as a whole: its rows are not settled (a later run
-- sends them again); on_row hears of them as pending.
local function report_pending(job, chunk, err)
  if not job.on_row then return end
  for j, i in ipairs(chunk.index) do
    job.on_row({ row = i, line = job.lines[i], ok = false, status = err.status, action = "pending", error = err,
                 maybe_applied = err.maybe_applied }, chunk.rows[j])
  end
end

-- The rows held for a chunk are let go once it is over, settled or not.
local function let_go(job, first, last)
  local held, lines = job.held, job.lines
  for i = first, last do held[i], lines[i] = nil, nil end
end

-- mautic.chunks' on_chunk: settle the rows in source order, then record
-- them (a checkpoint that cannot be written stops the job).
local function settle_chunk(job, results, first, last, err, chunk)
  if err then
    report_pending(job, chunk, err)
    return let_go(job, first, last)
  end
  local skipped = 0
  for i = first, last do
    local r = results[i]
    if r == nil then
      skipped = skipped + 1                      -- settled by an earlier run
    else
      settle_row(job, row_result(r, i, job.lines[i]), job.held[i])
    end
  end
  let_go(job, first, last)
  job.settled = job.settled + (last - first + 1) - skipped
  job.run.skipped = job.run.skipped + skipped
  job.done = checkpoint.add_range(job.done, first, last)
  local ok, werr = true, nil
  if job.checkpoint then ok, werr = save(job) end
  progress(job)
  if not ok then return nil, werr end
end

-- ------------------------------------------------------------------ the job

-- Before the first row goes: the segment (a wrong one fails before a
-- checkpoint exists), the fields once for the whole job with every column
-- or key checked (a misspelled header would drop a column), the checkpoint.
local function prepare(job, o, src)
  if o.segment ~= nil then
    local id, err = segment.resolve(job.client, o.segment)
    if not id then return nil, err end
    job.segment = id
  end
  if job.fields_mode ~= false then
    local set, ferr = fieldsets.get(job.client, "contact")
    if not set then return nil, ferr end
    job.fields = set
    local bad = unknown_columns(job, src)
    if bad then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(job.fname, bad)) end
  end
  if not job.checkpoint then return true end
  local id, ierr = checkpoint.identity(src)
  if not id then return nil, ierr end
  job.identity = id
  local cp, cerr = checkpoint.resume(job.checkpoint, id)
  if cp == nil then return nil, cerr end
  if cp then
    job.done, job.covered = cp.done, checkpoint.covers(cp.done)
    job.before = { created = tonumber(cp.created) or 0, merged = tonumber(cp.merged) or 0,
                   failed = tonumber(cp.failed) or 0 }
  end
  return save(job)
end

-- The rows in chunks: mautic.chunks' answer (what the job raised is
-- returned as a usage error, or raised again).
local function run_chunks(job, o)
  local ok, done, err, failures = compat.pcall(chunks.run, {
    rows = job.src.next, size = job.size, concurrency = o.concurrency, keep = false,
    merge_on = job.family.def.merge_creates and job.unique or nil, send = sender(job),
    admit = function(row, i, line) return admit(job, row, i, line) end,
    on_chunk = function(...) return settle_chunk(job, ...) end,
  })
  job.src.close()
  if ok then return done, err, failures end
  if check.is_usage(done) then return nil, done end
  error(done, 0)     -- on_row or on_progress raised: as it would have without the import
end

local function summary(job)
  local run = job.run
  local elapsed = core.now() - job.started
  return {
    total = job.total or job.read, read = job.read,
    created = run.created, merged = run.merged, failed = run.failed, skipped = run.skipped, resent = run.resent,
    pending = (job.total or job.read) - job.settled - run.skipped,
    errors = json.array(job.errors), complete = job.complete or false,
    checkpoint = job.checkpoint, elapsed = elapsed,
    rate = job.settled / max(elapsed, 1e-3),
    before = job.checkpoint and { created = job.before.created, merged = job.before.merged,
                                  failed = job.before.failed } or nil,
  }
end

-- A failure that stopped the job, as an entry of the summary's errors: the
-- rows it left pending ({ first, last }) and what went wrong.
local function job_error(f)
  local e = type(f.err) == "table" and f.err or { message = tostring(f.err) }
  return { rows = json.array{ f.first, f.last or f.first }, kind = e.kind, status = e.status,
           message = e.message, maybe_applied = e.maybe_applied }
end

-- The job's answer: the summary, or the first failure with err.summary,
-- whose errors start with the failures that stopped the job (without them,
-- the summary of a stopped job would list only the rows Mautic refused).
local function finish(job, failures)
  if not failures then
    job.complete = true
    failures = {}
    if job.checkpoint then
      job.done = job.read > 0 and { { 1, job.read } } or {}
      local ok, werr = save(job)
      if not ok then failures[1] = { first = job.read, err = werr } end
    end
  end
  local s = summary(job)
  if #failures == 0 then return s end
  for i, f in ipairs(failures) do insert(s.errors, i, job_error(f)) end
  local err = failures[1].err
  err.summary = s
  return nil, err
end

--- contacts.import(source, opts): see the module comment and README.
-- @treturn[1] table summary { total, created, merged, failed, skipped, pending, errors = first
--   max_errors failures, complete, checkpoint, elapsed, rate, before }
-- @treturn[2] nil
-- @treturn[2] table err, the first failure, with err.summary (whose errors
--   start with the failures that stopped the job: { rows = { first, last },
--   kind, status, message, maybe_applied })
function _M.import_handler(client, family, fname, src, opts)
  local o, oerr = check_options(client, fname, opts)
  if not o then return nil, oerr end
  local rows, serr = source.open(src, o)
  if not rows then return nil, serr end
  local job = new_job(client, family, fname, o, rows)
  local ok, perr = prepare(job, o, src)
  if not ok then
    rows.close()
    return nil, perr
  end
  local done, err, failures = run_chunks(job, o)
  if not done and not failures then return nil, err end
  return finish(job, failures)
end

return _M
