--- Bulk jobs on contacts: a resumable import and a streaming CSV export.
--
--   local summary, err = api.contacts.import("contacts.csv", {
--     concurrency = 4, checkpoint = "contacts.csv.checkpoint", segment = 3, tags = { "import" },
--     on_progress = function(done, total, rate) ... end,
--   })
--   api.contacts.export{ search = "email:%@acme.com", fields = { "email", "firstname" }, to = "out.csv" }
--
-- Import reads its source one chunk at a time (an array, an iterator of row
-- tables, or a CSV file whose header names the fields), sends each chunk
-- with contacts.create_batch (lean results), and keeps only the chunks in
-- flight in memory: up to `concurrency` of them, each pulled from the
-- source by a worker when it is free. Rows are numbered from 1 in source
-- order (CSV: the records after the header).
--
-- Checkpoint (opts.checkpoint = path): a small JSON file, rewritten
-- atomically (temp file, fsync, rename) after every chunk that settles:
--   { "format": "mautic-import/1",
--     "source": { "kind": "csv", "path": "...", "bytes": 1234, "sha256": "<hex>" },
--     "rows": 10000,                      -- the source's row count, when known
--     "done": [[1, 4200], [4401, 4600]],  -- rows settled, as ranges
--     "created": 4100, "merged": 40, "failed": 60,  -- so far, every run together
--     "complete": false, "unique": ["email"], "updated": <epoch seconds> }
-- A row is settled once Mautic answered for it (created, merged or refused)
-- or the import refused it without sending it. A run that finds the file
-- skips the settled rows and sends the others, including those of a chunk
-- whose outcome was unknown (a kill, a drop, a timeout, a 5xx): Mautic merges
-- a contact create into the contact with the same unique identifier, so the
-- resend stores nothing twice. That only holds for rows that carry an
-- identifier, so with a checkpoint a row without one is refused before it is
-- sent (reported as failed, kind "usage"). A CSV checkpoint belongs to one
-- file: another file, or the same one edited, is refused (remove the
-- checkpoint to start over). Every row settles as refused or imported once;
-- per-row output (on_row) is written before the checkpoint records the row,
-- so a kill in between repeats a row in the output rather than losing it.
local core = require "mautic.core"
local json = require "mautic.json"
local csv = require "mautic.csv"
local batch = require "mautic.batch"
local errors = require "mautic.errors"
local check = require "mautic.check"
local parallel = require "mautic.parallel"
local endpoint = require "mautic.endpoint"
local random = require "mautic.random"
local options = require "mautic.options"
local lists = require "mautic.list"
local fieldsets = require "mautic.fields"

local type, pairs, ipairs, tostring, tonumber, error, pcall =
      type, pairs, ipairs, tostring, tonumber, error, pcall
local floor, max, min = math.floor, math.max, math.min
local concat, sort = table.concat, table.sort

local _M = { _VERSION = "0.1.0" }

local FORMAT = "mautic-import/1"

local function usage(msg) return errors.new{ kind = "usage", message = msg } end

local function is_int(v, least)
  return type(v) == "number" and v == floor(v) and v >= (least or 1)
end

-- ------------------------------------------------------------------ ranges

--- Add [a, b] to a sorted list of disjoint ranges, merging neighbours.
function _M.ranges_add(list, a, b)
  local out, placed = {}, false
  for _, r in ipairs(list) do
    if r[2] < a - 1 then
      out[#out + 1] = r
    elseif r[1] > b + 1 then
      if not placed then out[#out + 1] = { a, b } placed = true end
      out[#out + 1] = r
    else
      a, b = min(a, r[1]), max(b, r[2])
    end
  end
  if not placed then out[#out + 1] = { a, b } end
  sort(out, function(x, y) return x[1] < y[1] end)
  return out
end

--- How many rows the ranges hold.
function _M.ranges_count(list)
  local n = 0
  for _, r in ipairs(list) do n = n + r[2] - r[1] + 1 end
  return n
end

-- ------------------------------------------------------------------ sources

-- size and digest of a file: SHA-256 chained over 64 KiB blocks
local function file_identity(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local h, bytes = "", 0
  while true do
    local block = f:read(65536)
    if not block then break end
    bytes = bytes + #block
    h = core.sha256(h .. block)
  end
  f:close()
  return { kind = "csv", path = path, bytes = bytes, sha256 = random.to_hex(h) }
end

-- A source: next() -> row, line | nil (end) | nil, err; total (or nil); identity
local function open_source(source, opts)
  local t = type(source)
  if t == "table" and io.type(source) == nil then
    local n, i = #source, 0
    return {
      total = n, identity = { kind = "array", rows = n },
      next = function()
        i = i + 1
        if i > n then return nil end
        return source[i], nil
      end,
      close = function() end,
    }
  end
  if t == "function" then
    return {
      identity = { kind = "iterator" },
      next = function() return source(), nil end,
      close = function() end,
    }
  end
  if t == "string" or io.type(source) == "file" then
    local copts = { separator = opts.separator }
    local total, identity
    if t == "string" then
      -- the whole file is checked (and counted) before anything is sent
      local n, err = csv.count(source, copts)
      if not n then return nil, usage(source .. ": " .. tostring(err)) end
      identity, err = file_identity(source)
      if not identity then return nil, usage(tostring(err)) end
      total = n
    else
      identity = { kind = "csv-stream" }
    end
    local reader, err = csv.open(source, copts)
    if not reader then
      return nil, usage((t == "string" and source .. ": " or "") .. tostring(err))
    end
    local name = t == "string" and source or "CSV input"
    return {
      total = total, identity = identity, header = reader.header,
      next = function()
        local row, line = reader:row()
        if row == nil and line ~= nil then return nil, usage(name .. ": " .. line) end
        return row, line
      end,
      close = function() reader:close() end,
    }
  end
  return nil, check.usage("source must be an array of rows, an iterator function, a CSV path or a file")
end

-- ------------------------------------------------------------------ checkpoint

local function same_source(a, b)
  if a.kind ~= b.kind then return false end
  if a.kind == "csv" then return a.bytes == b.bytes and a.sha256 == b.sha256 end
  if a.kind == "array" then return a.rows == b.rows end
  return true
end

local function describe_source(s)
  if s.kind == "csv" then return ("%s (%d bytes)"):format(tostring(s.path), s.bytes or 0) end
  if s.kind == "array" then return ("an array of %d rows"):format(s.rows or 0) end
  return "an " .. tostring(s.kind)
end

--- Read a checkpoint file: the decoded table, false when there is none, or nil, err.
function _M.read_checkpoint(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local text = f:read("*a")
  f:close()
  local cp = json.decode(text)
  if type(cp) ~= "table" or cp.format ~= FORMAT or type(cp.source) ~= "table" or type(cp.done) ~= "table" then
    return nil, usage(path .. " is not a checkpoint of mautic import (" .. FORMAT .. ")")
  end
  local done = {}
  for _, r in ipairs(cp.done) do
    if type(r) ~= "table" or not is_int(r[1]) or not is_int(r[2]) or r[2] < r[1] then
      return nil, usage(path .. ": a damaged range in \"done\"")
    end
    done = _M.ranges_add(done, r[1], r[2])
  end
  cp.done = done
  return cp
end

local function write_checkpoint(job)
  local cp = {
    format = FORMAT, source = job.identity, rows = job.total, done = json.array{},
    created = job.before.created + job.run.created, merged = job.before.merged + job.run.merged,
    failed = job.before.failed + job.run.failed,
    complete = job.complete or false, unique = json.array(job.unique), updated = os.time(),
  }
  for i, r in ipairs(job.done) do cp.done[i] = json.array{ r[1], r[2] } end
  local ok, err = core.write_file_atomic(job.checkpoint, json.encode(cp), 420)  -- 0644
  if not ok then return nil, usage("cannot write the checkpoint: " .. tostring(err)) end
  return true
end

-- ------------------------------------------------------------------ options

local function list_of_strings(v, what)
  if v == nil then return nil end
  if type(v) == "string" then
    local out = {}
    for s in v:gmatch("[^,]+") do
      s = s:match("^%s*(.-)%s*$")
      if s ~= "" then out[#out + 1] = s end
    end
    return out
  end
  if type(v) ~= "table" then return nil, what .. " must be a string or an array of strings" end
  for i, s in ipairs(v) do
    if type(s) ~= "string" then return nil, ("%s[%d] must be a string"):format(what, i) end
  end
  return v
end

local list_or_text = options.is_either("string", "table")

-- what import takes
local IMPORT_OPTIONS = options.merge(options.CALL, options.FIELDS, {
  concurrency = options.is_int(1), batch_limit = options.is_int(1), max_errors = options.is_int(0),
  results = options.is_one_of("ids", "full"), on_progress = "function", on_row = "function",
  checkpoint = options.is_text, unique = list_or_text, tags = list_or_text,
  segment = options.is_either(options.is_int(1), options.is_text),
  separator = "string",
})
_M.IMPORT_OPTIONS = IMPORT_OPTIONS

local function check_import_opts(client, fname, opts)
  local checked, msg = options.problem(fname, 2, opts, IMPORT_OPTIONS)
  if not checked then return nil, check.usage(msg) end
  local o = {}
  for k, v in pairs(checked) do o[k] = v end
  local function bad(m) return nil, check.usage(("bad argument #2 to '%s' (%s)"):format(fname, m)) end
  local err
  o.unique, err = list_of_strings(o.unique, "unique")
  if err then return bad(err) end
  o.unique = o.unique or client.unique_fields
  if #o.unique == 0 then return bad("unique names no field") end
  o.tags, err = list_of_strings(o.tags, "tags")
  if err then return bad(err) end
  return o
end

-- ------------------------------------------------------------------ segments

--- The id of a segment given by id or alias (and its alias), checked with the server.
function _M.resolve_segment(client, segment)
  local fam = client:family("segments")
  local id = tonumber(segment)
  if id and is_int(id) then
    local s, err = endpoint.invoke(client, fam, fam.routes.get, id)
    if not s then return nil, err end
    return id, s.alias
  end
  local ok, found = pcall(function()
    local iter = assert(require("mautic.pager").each_handler(client, fam, "segments.each", { page_size = 200 }))
    for s in iter do
      if s.alias == segment or s.name == segment then return s end
    end
  end)
  if not ok then return nil, found end
  if not found then return nil, usage(("no segment has the alias %q"):format(tostring(segment))) end
  return tonumber(found.id), found.alias
end

-- put the created or merged contacts of a chunk into the segment:
-- true, or nil, err when the call failed as a whole; per-id refusals in `missing`
local function add_to_segment(client, segment, ids)
  local fam = client:family("segments")
  local answer, err = endpoint.invoke(client, fam, fam.routes.add_contacts, segment, ids)
  if not answer then return nil, err end
  local missing = {}
  local details = type(answer) == "table" and answer.details
  if type(details) == "table" then
    for k, d in pairs(details) do
      if type(d) == "table" and (d.success == false or d.success == 0) then missing[tostring(k)] = true end
    end
  end
  return true, missing
end

-- ------------------------------------------------------------------ import

-- the row as sent: extra tags added (on a copy: the caller's rows stay as they were)
local function with_tags(row, tags)
  if not tags or #tags == 0 then return row end
  local copy = {}
  for k, v in pairs(row) do copy[k] = v end
  local list, seen = {}, {}
  local have = row.tags
  if type(have) == "string" then have = list_of_strings(have, "tags") end
  for _, t in ipairs(type(have) == "table" and have or {}) do
    if not seen[t] then list[#list + 1] = t seen[t] = true end
  end
  for _, t in ipairs(tags) do
    if not seen[t] then list[#list + 1] = t seen[t] = true end
  end
  copy.tags = list
  return copy
end

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

local function action_of(r)
  if not r.ok then return "failed" end
  return r.created and "created" or "merged"
end

-- The first unknown key of the source's columns (a CSV header) or rows (an
-- array: every row is looked at; an iterator's rows are checked as they
-- come), as a usage message; in "warn" mode each is reported once and nil
-- is returned.
function _M.unknown_columns(job, source)
  local seen = {}
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
  elseif type(source) == "table" and io.type(source) == nil then
    for i, row in ipairs(source) do
      if type(row) == "table" then
        for k in pairs(row) do
          local bad = look(k, "row " .. i)
          if bad then return bad end
        end
      end
    end
  end
  job.fields_seen = seen
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

-- The next chunk of rows to send: up to batch_limit rows that are not
-- settled yet (rows refused here count too, so that a chunk never holds
-- more than batch_limit rows), and the range of source rows it stands for.
local function next_chunk(job)
  if job.stopped or job.exhausted then return nil end
  local chunk = { first = job.read + 1, rows = {}, index = {}, lines = {}, refused = {}, skipped = 0 }
  local rows, size = chunk.rows, job.size
  local done, cursor = job.done_before, job.cursor
  local refused = chunk.refused
  while #rows + #refused < size do
    local row, line = job.src.next()
    if row == nil then
      job.exhausted = true
      if line ~= nil then
        -- the source broke off (a malformed CSV record): stop after what is in flight
        job.stopped = true
        job.failures[#job.failures + 1] = { first = job.read + 1, err = line }
      end
      break
    end
    job.read = job.read + 1
    local i = job.read
    while done[cursor] and done[cursor][2] < i do cursor = cursor + 1 end
    if done[cursor] and done[cursor][1] <= i then
      chunk.skipped = chunk.skipped + 1
    else
      if type(row) ~= "table" then
        error(check.usage(("row %d is a %s, not a table"):format(i, type(row))), 0)
      end
      row = with_tags(row, job.tags)
      local sent, why = checked_row(job, row, i)
      if not sent then
        -- a value Mautic would refuse or store wrong: not sent
        refused[#refused + 1] = { i, line, row, why }
      elseif job.checkpoint and not endpoint.has_unique(job.unique, row) then
        -- a resend after an unknown outcome could create it twice: not sent
        refused[#refused + 1] = { i, line, row, errors.new{ kind = "usage", message = ("row %d has no %s: a "
          .. "resumable import cannot send it exactly once"):format(i, concat(job.unique, " or ")) } }
      else
        row = sent
        rows[#rows + 1] = row
        chunk.index[#rows] = i
        chunk.lines[#rows] = line
      end
    end
  end
  job.cursor = cursor
  chunk.last = job.read
  if chunk.last < chunk.first then return nil end
  return chunk
end

local function progress(job)
  if not job.on_progress then return end
  local elapsed = max(core.now() - job.started, 1e-3)
  job.on_progress(job.settled + job.run.skipped, job.total, job.settled / elapsed)
end

-- send one chunk, settle its rows, record it
local function run_chunk(job, chunk)
  local results, err = {}, nil
  if #chunk.rows > 0 then
    -- the rows were checked against the fields already, with the job's one copy of them
    results, err = batch.create_handler(job.client, job.family, job.fname, chunk.rows,
      { results = job.results, batch_limit = job.size, strict_fields = false,
        timeout = job.timeout, retries = job.retries, deadline = job.deadline })
    if results and job.segment then
      local ids, by_id = {}, {}
      for j = 1, #chunk.rows do
        local r = results[j]
        if r.ok and r.id ~= nil then
          ids[#ids + 1] = r.id
          by_id[tostring(r.id)] = j
        end
      end
      if #ids > 0 then
        local ok, missing = add_to_segment(job.client, job.segment, ids)
        if not ok then
          results, err = nil, missing
        else
          for k in pairs(missing) do
            local j = by_id[k]
            if j then
              local r = results[j]
              r.ok = false
              r.error = errors.new{ kind = "http", status = r.status,
                message = ("contact %s was not added to segment %s"):format(k, tostring(job.segment)) }
            end
          end
        end
      end
    end
  end
  if not results then
    -- the chunk failed as a whole: its rows are not settled (a later run sends them again)
    job.stopped = true
    job.failures[#job.failures + 1] = { first = chunk.first, last = chunk.last, err = err }
    if job.on_row then
      for j = 1, #chunk.rows do
        job.on_row({ row = chunk.index[j], line = chunk.lines[j], ok = false, status = err.status,
                     action = "pending", error = err, maybe_applied = err.maybe_applied }, chunk.rows[j])
      end
    end
    return
  end
  -- rows refused here and rows answered, in source order
  local refused, k = chunk.refused, 1
  local function settle_refused_before(i)
    while refused[k] and refused[k][1] < i do
      local rf = refused[k]
      settle_row(job, { row = rf[1], line = rf[2], ok = false, action = "failed", maybe_applied = false,
        error = rf[4] }, rf[3])
      k = k + 1
    end
  end
  for j = 1, #chunk.rows do
    local i = chunk.index[j]
    settle_refused_before(i)
    local r = results[j]
    local res = { row = i, line = chunk.lines[j], ok = r.ok, status = r.status, id = r.id,
                  created = r.created, resent = r.resent, error = r.error, item = r.item,
                  maybe_applied = r.maybe_applied }
    if r.ok and r.id == nil and r.item then res.id = r.item.id end
    if r.ok and res.created == nil then res.created = r.status == 201 end
    res.action = action_of(res)
    settle_row(job, res, chunk.rows[j])
  end
  settle_refused_before(math.huge)
  local n = chunk.last - chunk.first + 1
  job.settled = job.settled + n - chunk.skipped
  job.run.skipped = job.run.skipped + chunk.skipped
  job.done = _M.ranges_add(job.done, chunk.first, chunk.last)
  if job.checkpoint then
    local ok, werr = write_checkpoint(job)
    if not ok then
      job.stopped = true
      job.failures[#job.failures + 1] = { first = chunk.first, last = chunk.last, err = werr }
    end
  end
  progress(job)
end

-- A failure that stopped the job, as an entry of the summary's errors: the
-- rows it left pending ({ first, last }) and what went wrong.
local function job_error(f)
  local e = type(f.err) == "table" and f.err or { message = tostring(f.err) }
  return { rows = json.array{ f.first, f.last or f.first }, kind = e.kind, status = e.status,
           message = e.message, maybe_applied = e.maybe_applied }
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

--- contacts.import(source, opts): see the module comment and README.
-- @treturn[1] table summary { total, created, merged, failed, skipped, pending, errors = first
--   max_errors failures, complete, checkpoint, elapsed, rate, before }
-- @treturn[2] nil
-- @treturn[2] table err, the first failure, with err.summary (whose errors
--   start with the failures that stopped the job: { rows = { first, last },
--   kind, status, message, maybe_applied })
function _M.import_handler(client, family, fname, source, opts)
  local o, oerr = check_import_opts(client, fname, opts)
  if not o then return nil, oerr end
  local src, serr = open_source(source, o)
  if not src then return nil, serr end

  local job = {
    client = client, family = family, fname = fname, src = src,
    size = o.batch_limit or client.batch_limit, results = o.results or "ids",
    unique = o.unique, tags = o.tags, on_row = o.on_row, on_progress = o.on_progress,
    max_errors = o.max_errors or 100, checkpoint = o.checkpoint,
    total = src.total, identity = src.identity,
    done = {}, done_before = {}, cursor = 1,
    before = { created = 0, merged = 0, failed = 0 },
    run = { created = 0, merged = 0, failed = 0, skipped = 0, resent = 0 },
    errors = {}, failures = {}, read = 0, settled = 0,
    started = core.now(), fields_mode = fieldsets.mode(client, o),
    timeout = o.timeout, retries = o.retries, deadline = o.deadline,
  }

  local function give_up(err)
    src.close()
    return nil, err
  end

  -- the segment first: a wrong one fails before a checkpoint exists
  if o.segment ~= nil then
    local id, err = _M.resolve_segment(client, o.segment)
    if not id then return give_up(err) end
    job.segment = id
  end

  -- the fields, once for the whole job, and every column or key checked
  -- before the first row goes: a misspelled header would drop a column
  if job.fields_mode ~= false then
    local set, ferr = fieldsets.get(client, "contact")
    if not set then return give_up(ferr) end
    job.fields = set
    local bad = _M.unknown_columns(job, source)
    if bad then
      src.close()
      return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, bad))
    end
  end

  if job.checkpoint then
    local cp, cerr = _M.read_checkpoint(job.checkpoint)
    if cp == nil then return give_up(cerr) end
    if cp then
      if not same_source(cp.source, job.identity) then
        return give_up(usage(("%s records an import of %s, not of %s: remove it to start over")
          :format(job.checkpoint, describe_source(cp.source), describe_source(job.identity))))
      end
      job.done, job.done_before = cp.done, cp.done
      job.before = { created = tonumber(cp.created) or 0, merged = tonumber(cp.merged) or 0,
                     failed = tonumber(cp.failed) or 0 }
    end
    local ok, werr = write_checkpoint(job)
    if not ok then return give_up(werr) end
  end

  -- workers pull the next chunk when they are free; reading is one at a
  -- time even if the source (an iterator) waits on a request of its own
  local reading = false
  local function pull()
    while reading do parallel.sleep(0.002) end
    reading = true
    local ok, chunk = pcall(next_chunk, job)
    reading = false
    if not ok then
      job.stopped = true       -- the other workers start nothing new
      error(chunk, 0)
    end
    return chunk
  end
  local function worker()
    while true do
      local chunk = pull()
      if not chunk then return end
      run_chunk(job, chunk)
    end
  end

  local concurrency = o.concurrency or 1
  local ok, raised
  if concurrency <= 1 then
    ok, raised = pcall(worker)
  else
    local tasks = {}
    for i = 1, concurrency do tasks[i] = worker end
    local _, errs = parallel.run(tasks, { concurrency = concurrency })
    ok = true
    for i = 1, concurrency do
      if errs[i] ~= nil then ok, raised = false, errs[i] break end
    end
  end
  src.close()
  if not ok then
    if check.is_usage(raised) then return nil, raised end
    error(raised, 0)     -- on_row or on_progress raised: as it would have without the import
  end

  if #job.failures == 0 and job.exhausted then
    job.complete = true
    if job.checkpoint then
      job.done = job.read > 0 and { { 1, job.read } } or {}
      local wok, werr = write_checkpoint(job)
      if not wok then job.failures[1] = { first = job.read, err = werr } end
    end
  end
  local s = summary(job)
  if #job.failures > 0 then
    sort(job.failures, function(a, b) return a.first < b.first end)
    -- what stopped the job leads its errors: without it, the summary of a
    -- stopped job would list only the rows Mautic refused
    for i, f in ipairs(job.failures) do table.insert(s.errors, i, job_error(f)) end
    local err = job.failures[1].err
    err.summary = s
    return nil, err
  end
  return s
end

-- ------------------------------------------------------------------ export

local function contact_value(c, field)
  if field == "id" then return c.id end
  local all = type(c.fields) == "table" and c.fields.all or nil
  if field == "tags" then
    local names = {}
    for _, t in ipairs(type(c.tags) == "table" and c.tags or {}) do
      names[#names + 1] = type(t) == "table" and t.tag or t
    end
    return concat(names, ",")
  end
  local v = type(all) == "table" and all[field] or nil
  if v == nil and field == "points" then v = c.points end
  return v
end
_M.contact_value = contact_value

-- every contact field alias, in Mautic's order (id first)
local function all_fields(client, family, set)
  local v
  if set then
    v = set.by_alias
  else
    local err
    v, err = endpoint.invoke(client, family, family.routes.get_fields)
    if not v then return nil, err end
  end
  local list = {}
  for _, f in pairs(type(v) == "table" and v or {}) do
    -- the answer holds company fields too (object "company"): not columns of a contact
    if type(f) == "table" and type(f.alias) == "string" and (f.object == nil or f.object == "lead")
       and f.isPublished ~= false then
      list[#list + 1] = f
    end
  end
  sort(list, function(a, b)
    local oa, ob = tonumber(a.order) or 0, tonumber(b.order) or 0
    if oa ~= ob then return oa < ob end
    return (tonumber(a.id) or 0) < (tonumber(b.id) or 0)
  end)
  local out = { "id" }
  for _, f in ipairs(list) do out[#out + 1] = f.alias end
  return out
end

-- columns of an export that are no fields: the contact's id and its tags' names
local EXPORT_COLUMNS = { id = true, tags = true }

-- what export's table holds besides a list query (search, where, orderBy...)
local EXPORT_KEYS = { segment = true, fields = true, to = true, on_progress = true, separator = true,
                      eol = true, header = true, prefetch = true, strict_fields = true }
local EXPORT_QUERY = {
  segment = options.is_either(options.is_int(1), options.is_text), fields = list_or_text, to = "any",
  on_progress = "function", separator = "string", eol = "string", header = "boolean", page_size = options.is_int(1),
  prefetch = "boolean", strict_fields = options.FIELDS.strict_fields,
}

--- contacts.export{ search =, where =, segment =, fields =, to =, ... }
-- Streams every matching contact to CSV, one page at a time.
-- @treturn[1] table { rows = <count>, fields = <array>, path = <to, when a path> }
-- @treturn[2] nil
-- @treturn[2] table err, with err.rows (how many were written)
function _M.export_handler(client, family, fname, q, extra)
  if type(q) ~= "table" then
    return nil, check.usage(("bad argument #1 to '%s' (table expected, got %s)"):format(fname, type(q)))
  end
  local _, qerr = lists.list_query(fname, 1, q, EXPORT_QUERY)
  if qerr then return nil, check.usage((qerr:gsub("unknown query parameter", "unknown key"))) end
  local function bad(msg) return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
  local to = q.to
  if to == nil then return bad("to: a path, a file or a function is needed") end
  local tt = type(to)
  if not (tt == "string" or tt == "function" or io.type(to) == "file") then
    return bad("to must be a path, an open file or a function")
  end
  local fields, ferr = list_of_strings(q.fields, "fields")
  if ferr then return bad(ferr) end
  if fields and #fields == 0 then return bad("fields names no field") end
  if q.on_progress ~= nil and type(q.on_progress) ~= "function" then return bad("on_progress must be a function") end
  local line_opts = { separator = q.separator or ",", eol = q.eol or "\r\n" }
  if type(line_opts.separator) ~= "string" or #line_opts.separator ~= 1 then return bad("separator must be one character") end

  local query = {}
  for k, v in pairs(q) do
    if not EXPORT_KEYS[k] then query[k] = v end
  end
  query.page_size = query.page_size or 200
  if q.segment ~= nil then
    local id, alias = _M.resolve_segment(client, q.segment)
    if not id then return nil, alias end
    local cmd = "segment:" .. alias
    query.search = (type(query.search) == "string" and query.search ~= "") and (cmd .. " " .. query.search) or cmd
  end

  if q.prefetch ~= nil then
    -- prefetch is an option of each, given here for short
    local e = {}
    for k, v in pairs(type(extra) == "table" and extra or {}) do e[k] = v end
    e.prefetch = q.prefetch
    extra = e
  end
  local iter, ierr = require("mautic.pager").each_handler(client, family, fname, query, extra)
  if not iter then return nil, ierr end

  -- the columns asked for are checked against the contact fields: a
  -- misspelled one would be an empty column
  local set
  if fieldsets.mode(client, q) ~= false then
    local serr
    set, serr = fieldsets.get(client, "contact")
    if not set then return nil, serr end
    for _, name in ipairs(fields or {}) do
      if name ~= "id" and name ~= "tags" then
        local why = fieldsets.unknown_key(set, name)
        if why and not EXPORT_COLUMNS[name] then return bad("fields: " .. why) end
      end
    end
  end
  if not fields then
    local err
    fields, err = all_fields(client, family, set)
    if not fields then return nil, err end
  end

  local total
  if q.on_progress then
    local lq = {}
    for k, v in pairs(query) do lq[k] = v end
    lq.page_size, lq.limit, lq.start = nil, 1, 0
    local page = endpoint.invoke(client, family, family.routes.list, lq)
    total = page and page.total
    if total and query.limit then total = min(total, query.limit) end
  end

  local sink, file, tmp
  if tt == "string" then
    tmp = to .. ".part"
    local err
    file, err = io.open(tmp, "wb")
    if not file then return nil, usage("cannot write " .. tostring(err)) end
    sink = function(s) return file:write(s) end
  elseif tt == "function" then
    sink = to
  else
    sink = function(s) return to:write(s) end
  end

  local n, nf = 0, #fields
  local started = core.now()
  local step = query.page_size
  local ok, err = pcall(function()
    if q.header ~= false then sink(csv.line(fields, nf, line_opts)) end
    local values = {}
    for c in iter do
      for i = 1, nf do values[i] = contact_value(c, fields[i]) end
      sink(csv.line(values, nf, line_opts))
      n = n + 1
      if q.on_progress and n % step == 0 then
        q.on_progress(n, total, n / max(core.now() - started, 1e-3))
      end
    end
  end)
  if ok and q.on_progress and n % step ~= 0 then
    q.on_progress(n, total, n / max(core.now() - started, 1e-3))
  end
  if file then
    local cok, cerr = file:close()
    if ok and not cok then ok, err = false, usage("cannot write " .. tmp .. ": " .. tostring(cerr)) end
    if ok then
      local rok, rerr = os.rename(tmp, to)
      if not rok then ok, err = false, usage("cannot rename " .. tmp .. ": " .. tostring(rerr)) end
    else
      os.remove(tmp)
    end
  end
  if not ok then
    if not errors.is(err) then
      if check.is_usage(err) then return nil, err end
      error(err, 0)     -- the caller's function raised
    end
    err.rows = n
    return nil, err
  end
  return { rows = n, fields = fields, path = tt == "string" and to or nil, elapsed = core.now() - started }
end

return _M
