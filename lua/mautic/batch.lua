--- Batches and iteration: the verbs that make several requests.
-- Batch calls take any number of items, send them in chunks of at most the
-- batch limit (Mautic's api_batch_max_limit, 200 by default), and return
-- one result per input item, in input order:
--   { ok = true,  status = 201, item = <entity> }
--   { ok = false, status = 400, error = <mautic.error>, maybe_applied = false }
-- with opts.results = "ids", lean rows instead of entities:
--   { ok = true, status = 201, id = 5, created = true }   (created = false: merged)
-- opts.concurrency = n keeps up to n chunks in flight; opts.on_chunk(results,
-- first, last, err) hears of each chunk as it ends.
-- A chunk that fails as a whole stops the batch (a 500 may come after
-- Mautic wrote the rows, so nothing is resent; chunks already in flight
-- finish): the call returns nil, err with err.completed (how many rows went
-- through, in chunks that succeeded), err.results (their results, and one
-- failed result per row of every chunk that failed, each with
-- maybe_applied; nothing for rows never sent) and, when several chunks
-- failed, err.failures. Whether a chunk may be sent again after an unknown
-- outcome is mautic.outcome's decision, as for any request: contact creates
-- whose every row carries a unique identifier are (Mautic merges them),
-- other creates never are.
local http = require "mautic.http"
local list = require "mautic.list"
local errors = require "mautic.errors"
local check = require "mautic.check"
local entity = require "mautic.entity"
local parallel = require "mautic.parallel"
local options = require "mautic.options"

local CALL_OPTIONS = options.CALL

local type, pairs, ipairs, tostring, tonumber, error = type, pairs, ipairs, tostring, tonumber, error
local concat, min = table.concat, math.min

local _M = {}

local function batch_limit(client, opts)
  local n = opts and opts.batch_limit or client.batch_limit
  return n
end

--- The timeout of a request that carries `rows` rows: the call's timeout
-- plus `row_timeout` (0.5 s) per row, since Mautic writes a batch row by row
-- (a 200-row chunk was seen to take over 30 s on a busy server, and a
-- timeout there would resend it while Mautic is still writing). 0 stays 0 (none).
function _M.chunk_timeout(client, o, rows)
  local t = o.timeout or client.timeout
  if t == 0 then return 0 end
  return t + rows * client.row_timeout
end

-- the per-call options a chunk's request carries
local function chunk_spec(client, o, spec, rows)
  spec.timeout = _M.chunk_timeout(client, o, rows)
  spec.retries, spec.deadline = o.retries, o.deadline
  return spec
end

-- The entity the server answered for each input row. Mautic 5.1 answers
-- (as recorded):
--  * an object keyed by input index (0-based) when some rows of a create
--    failed: only the rows that were created are there;
--  * an array otherwise. A create: every row succeeded, in order. A PUT
--    edit: every row, created, edited or refused (as the form left it), in
--    order. A PATCH edit: the rows that were found, refused ones included,
--    but not those whose id is missing (404), so they are matched by id.
local function answered_items(body, key, chunk, codes, method)
  local raw = type(body) == "table" and body[key]
  local by_index = {}
  if type(raw) ~= "table" then return by_index end
  if #raw == 0 then
    for k, v in pairs(raw) do
      local i = tonumber(k)
      if i then by_index[i + 1] = v end
    end
  elseif method == "PATCH" or (method == "PUT" and #raw ~= #chunk) then
    local by_id = {}
    for _, item in ipairs(raw) do
      if type(item) == "table" and item.id ~= nil then by_id[tostring(item.id)] = item end
    end
    for i = 1, #chunk do
      local row_id = type(chunk[i]) == "table" and chunk[i].id
      if row_id ~= nil then by_index[i] = by_id[tostring(row_id)] end
    end
  elseif method == "PUT" then
    for i = 1, #chunk do by_index[i] = raw[i] end
  else
    local j = 1
    for i = 1, #chunk do
      if codes[i] == nil or codes[i] < 300 then
        by_index[i] = raw[j]
        j = j + 1
      end
    end
  end
  return by_index
end

local function item_error(e, status, req_info)
  local info = errors.parse_body({ errors = { e } })
  return errors.new{
    kind = "http", status = status, code = info.code or status,
    message = info.message or ("HTTP " .. tostring(status)),
    details = info.details, type = info.type,
    method = req_info.method, url = req_info.url,
  }
end

-- Was this entity, answered as merged (200) to a resend, made by an earlier
-- attempt of the same request? Mautic dated it after that attempt went out
-- (in the server's clock, from the answer's Date header; 2 s of slack for
-- its whole-second dates). A contact that existed before is older.
local function made_by_earlier_attempt(meta, item)
  if not meta.resent or not meta.first_sent_at or type(item) ~= "table" then return false end
  local added = http.parse_iso_date(item.dateAdded)
  return added ~= nil and added >= meta.first_sent_at + (meta.clock_offset or 0) - 2
end

-- Send one chunk and append its per-item results.
local function send_chunk(client, family, spec, chunk, results, offset, lean)
  spec.want_body = true
  local body, meta = http.call(client, spec)
  if body == nil then return nil, meta end
  if type(body) ~= "table" then
    local err = errors.decode(meta.status, meta.body, "a batch answer must be an object", spec)
    err.maybe_applied = true
    return nil, err
  end
  local codes = {}
  if type(body) == "table" and type(body.statusCodes) == "table" then
    for i, c in pairs(body.statusCodes) do
      local idx = tonumber(i)
      if idx then codes[(#body.statusCodes > 0) and idx or idx + 1] = tonumber(c) end
    end
  end
  local errs = {}
  if type(body) == "table" and type(body.errors) == "table" then
    -- keyed by 0-based input index; PHP writes it as a list when the refused
    -- rows are exactly the first ones (a list's keys are already 1-based)
    for k, v in pairs(body.errors) do
      if type(k) == "number" then
        errs[k] = v
      elseif tonumber(k) then
        errs[tonumber(k) + 1] = v
      end
    end
  end
  local items = answered_items(body, family.list, chunk, codes, spec.method)
  local where = { method = spec.method, url = client.api_url .. spec.path }
  for i = 1, #chunk do
    local status = codes[i] or (errs[i] and 400) or meta.status
    local r = { status = status, resent = meta.resent }
    if errs[i] or status >= 300 then
      -- Mautic answered for this row: it was refused, not written
      r.ok = false
      r.maybe_applied = false
      r.error = item_error(errs[i] or {}, status, where)
    else
      -- whether Mautic created the row or merged it into an existing one; a
      -- row merged on a resend was created by the attempt whose answer was lost
      local item = items[i]
      r.ok = true
      r.created = status == 201 or made_by_earlier_attempt(meta, item)
      if lean then
        r.id = type(item) == "table" and item.id or nil
      else
        r.item = entity.bless(client, family, item)
      end
    end
    results[offset + i] = r
  end
  return true
end

-- The results of a chunk that failed as a whole: one per row, flagged.
local function fail_rows(results, first, last, err)
  for j = first, last do
    -- a row refused before sending keeps its own result
    if results[j] == nil then
      results[j] = { ok = false, status = err.status, error = err, maybe_applied = err.maybe_applied }
    end
  end
end

-- Split `items` into chunks of the batch limit and hand each one to
-- send(chunk, offset, results). With opts.concurrency = n, up to n chunks
-- are in flight at once (mautic.parallel: a curl multi handle, or light
-- threads in nginx); results still land at their input index. Once a chunk
-- fails, no new chunk starts; those in flight finish and are reported.
-- opts.on_chunk(results, first, last, err) hears of every chunk sent.
local function in_chunks(client, opts, items, send)
  local results = {}
  local size = batch_limit(client, opts)
  local n = #items
  local failures, completed = {}, 0

  local function run_chunk(first)
    if #failures > 0 then return end          -- nothing new after a failure
    local last = min(n, first + size - 1)
    local chunk = {}
    for j = first, last do chunk[#chunk + 1] = items[j] end
    local ok, err = send(chunk, first - 1, results)
    if ok then
      completed = completed + (last - first + 1)
    else
      fail_rows(results, first, last, err)
      failures[#failures + 1] = { first = first, err = err }
    end
    if opts.on_chunk then opts.on_chunk(results, first, last, not ok and err or nil) end
  end

  local concurrency = opts.concurrency or 1
  if concurrency <= 1 or n <= size then
    for first = 1, n, size do
      run_chunk(first)
      if #failures > 0 then break end
    end
  else
    local tasks = {}
    for first = 1, n, size do
      tasks[#tasks + 1] = function() return run_chunk(first) end
    end
    local _, raised = parallel.run(tasks, { concurrency = concurrency })
    for i = 1, #tasks do
      -- a task that raised (on_chunk did) re-raises here, as it would have sequentially
      if raised[i] ~= nil then error(raised[i], 0) end
    end
  end

  if #failures == 0 then return results end
  -- the first failed chunk in input order speaks for the batch
  table.sort(failures, function(a, b) return a.first < b.first end)
  local err = failures[1].err
  err.results, err.completed = results, completed
  if #failures > 1 then
    err.failures = {}
    for i, f in ipairs(failures) do err.failures[i] = f.err end
  end
  return nil, err
end

-- Options every batch verb takes; edit_batch also takes `create`.
local BATCH_OPTIONS = options.merge(CALL_OPTIONS, {
  concurrency = options.is_int(1),
  results = options.is_one_of("full", "ids"),
  on_chunk = "function",
  batch_limit = options.is_int(1),
})
local EDIT_BATCH_OPTIONS = options.merge(BATCH_OPTIONS, { create = "boolean" })
-- contacts and companies: also strict_fields
local STRICT = options.FIELDS
local FIELD_BATCH_OPTIONS = options.merge(BATCH_OPTIONS, STRICT)
local EDIT_FIELD_OPTIONS = options.merge(EDIT_BATCH_OPTIONS, STRICT)

local function batch_options(fname, opts, schema)
  local o, msg = options.problem(fname, 2, opts, schema or BATCH_OPTIONS)
  if not o then return nil, check.usage(msg) end
  return o
end

-- Does every row carry a unique identifier Mautic merges creates on?
local function all_unique(client, rows)
  local has_unique = require("mautic.endpoint").has_unique
  for _, row in ipairs(rows) do
    if not has_unique(client.unique_fields, row) then return false end
  end
  return true
end

-- The rows of a contact or company batch, checked against the fields
-- before the first chunk goes (mautic.fields): an unknown key anywhere is a
-- usage mistake (nothing is sent); a row with bad values is refused, not
-- sent, with a usage error of its own. Returns { rows = to send (converted
-- where needed), refused = { [i] = result } }, or nil and the error.
function _M.check_fields(client, family, fname, rows, mode, method)
  local f = require "mautic.fields"
  local out = { rows = rows, refused = {} }
  if not family.def.fields or mode == false then return out end
  local set, err = f.get(client, family.def.fields)
  if not set then return nil, err end
  local prepared = rows
  for i, row in ipairs(rows) do
    local sent, unknown, problems = f.check_row(set, row, method)
    if unknown then
      if mode ~= "warn" then return nil, check.usage(("bad argument #1 to '%s' (row %d: %s)"):format(fname, i, unknown)) end
      f.warn(client, { object = set.object, message = unknown, row = i })
      sent, problems = row, nil
    end
    if problems and mode == "warn" then
      for k, why in pairs(problems) do
        f.warn(client, { object = set.object, field = k, value = row[k], message = k .. ": " .. why, row = i })
      end
      sent = row
    elseif problems then
      local message, details = f.describe_problems(problems)
      out.refused[i] = { ok = false, maybe_applied = false, error = errors.new{
        kind = "usage", message = ("row %d: %s"):format(i, message), details = details, maybe_applied = false } }
    end
    if sent ~= row then
      -- a converted value (a multiselect array): the caller's rows stay as they were
      if prepared == rows then
        prepared = {}
        for j = 1, #rows do prepared[j] = rows[j] end
      end
      prepared[i] = sent
    end
  end
  out.rows = prepared
  return out
end

-- create_batch and edit_batch: rows in, one result per row out.
local function rows_handler(route_name, need_id)
  return function(client, family, fname, rows, opts)
    local ok, msg = check.rows(rows, need_id)
    if not ok then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
    local route = family.routes[route_name]
    local o, err = batch_options(fname, opts, family.def.fields and (route.put_with_create and EDIT_FIELD_OPTIONS
      or FIELD_BATCH_OPTIONS) or (route.put_with_create and EDIT_BATCH_OPTIONS))
    if not o then return nil, err end
    local method = (route.put_with_create and o.create) and "PUT" or route.method
    local checked, cerr = _M.check_fields(client, family, fname, rows, require("mautic.fields").mode(client, o), method)
    if not checked then return nil, cerr end
    local lean = o.results == "ids"
    local merges = route_name == "create_batch" and family.def.merge_creates
    local sendable, refused = checked.rows, checked.refused
    return in_chunks(client, o, sendable, function(chunk, offset, results)
      -- rows refused before sending keep their place; the others go
      local send, at = {}, {}
      for i = 1, #chunk do
        local r = refused[offset + i]
        if r then
          results[offset + i] = r
        else
          send[#send + 1] = chunk[i]
          at[#send] = offset + i
        end
      end
      if #send == 0 then return true end
      local spec = chunk_spec(client, o, { method = method, path = route.path, body = send,
                                           merges = merges and all_unique(client, send) }, #send)
      local got = {}
      local sent_ok, serr = send_chunk(client, family, spec, send, got, 0, lean)
      if not sent_ok then return nil, serr end
      for j = 1, #send do results[at[j]] = got[j] end
      return true
    end)
  end
end

_M.create_handler = rows_handler("create_batch", false)
_M.edit_handler = rows_handler("edit_batch", true)

-- delete_batch answers no statusCodes: an id is deleted when it comes back.
-- After a resend (an earlier attempt may have deleted some), an id that
-- does not come back is reported done and flagged already_done.
local function delete_chunk(client, family, route, chunk, offset, results, o)
  local lean = o.results == "ids"
  local body, meta = http.call(client, chunk_spec(client, o, {
    method = "DELETE", path = route.path, query = { ids = concat(chunk, ",") },
  }, #chunk))
  if body == nil then return nil, meta end
  local deleted = {}
  local items = type(body) == "table" and list.values_in_order(body[family.list], meta.body, family.list) or {}
  for _, item in ipairs(items) do
    if type(item) == "table" and item.id ~= nil then deleted[tostring(item.id)] = item end
  end
  for j, id in ipairs(chunk) do
    local item = deleted[id]
    if item then
      results[offset + j] = { ok = true, status = 200, item = not lean and item or nil,
                              id = lean and tonumber(id) or nil, resent = meta.resent }
    elseif meta.resent or meta.already_done then
      results[offset + j] = { ok = true, status = meta.status, resent = true, already_done = true,
                              id = lean and tonumber(id) or nil,
                              item = not lean and entity.bless(client, family, { id = tonumber(id) }) or nil }
    else
      results[offset + j] = { ok = false, status = 404, error = errors.new{
        kind = "http", status = 404, code = 404, message = "Item was not found.",
        method = "DELETE", url = client.api_url .. route.path } }
    end
  end
  return true
end

function _M.delete_handler(client, family, fname, ids, opts)
  local list_ids, msg = check.ids(ids)
  if not list_ids then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
  local o, err = batch_options(fname, opts)
  if not o then return nil, err end
  local route = family.routes.delete_batch
  return in_chunks(client, o, list_ids, function(chunk, offset, results)
    return delete_chunk(client, family, route, chunk, offset, results, o)
  end)
end

--- `each(query)`: an iterator over every item of a list route.
-- Pages with start/limit in a stable order (id ascending unless the query
-- says otherwise), moves on by the number of items actually received, and
-- never yields an id twice. `page_size` sets the page size (default 100);
-- `limit` caps the number of items yielded.
-- On failure it raises the error object (a mautic.error) from inside the
-- loop: an iterator cannot return nil, err without ending the loop as if
-- the list were complete. Catch it with pcall around the loop. A page that
-- brings no item it has not yielded before (a server that ignores `start`)
-- is such a failure, of kind "decode".
-- While the caller works on one page, the next one is already on its way
-- (opts.prefetch, default true with the built-in transport: a request on a
-- curl multi handle, or a light thread inside nginx).
-- each(query, opts): what the query may hold besides the list's own
-- parameters, and what opts may hold
local EACH_QUERY = { page_size = options.is_int(1) }
local EACH_OPTIONS = options.merge(CALL_OPTIONS, { page_size = options.is_int(1), prefetch = "boolean" })

function _M.each_handler(client, family, fname, q, opts)
  local sent, qerr = list.list_query(fname, 1, q, EACH_QUERY)
  if qerr then return nil, check.usage(qerr) end
  local o, oerr = options.problem(fname, 2, opts, EACH_OPTIONS)
  if not o then return nil, check.usage(oerr) end
  local base = {}
  for k, v in pairs(sent or {}) do base[k] = v end
  local page_size = base.page_size or o.page_size or 100
  local cap = base.limit
  base.page_size, base.limit = nil, nil
  if base.orderBy == nil then base.orderBy, base.orderByDir = "id", "ASC" end
  local route = family.routes.list
  local list_key = route.list_key or family.list

  local buffer, pos = {}, 1
  local start, total, done, yielded = base.start or 0, nil, false, 0
  local seen = {}
  -- the next page, asked for while the caller works on this one
  local prefetch = o.prefetch ~= false and client.default_transport
  local ahead

  -- never more than `limit` still needs (Mautic reads limit=0 as "every row")
  local function page_limit(at)
    if not cap then return page_size end
    return math.min(page_size, cap - (at - (base.start or 0)))
  end

  local function request_page(at)
    local query = {}
    for k, v in pairs(base) do query[k] = v end
    query.start, query.limit = at, page_limit(at)
    local body, meta = http.call(client, { method = "GET", path = route.path, query = query,
                                           timeout = o.timeout, retries = o.retries, deadline = o.deadline })
    if body == nil then error(meta, 0) end
    return body, meta
  end

  local function fetch()
    local body, meta
    if ahead then
      body, meta = ahead.result()
      ahead = nil
    else
      body, meta = request_page(start)
    end
    local page, why = list.normalize(body, meta.body, list_key)
    if not page then error(errors.decode(meta.status, meta.body, why, { method = "GET", url = route.path }), 0) end
    -- a page that brings nothing new means the server ignores `start`:
    -- paging on would ask for the same page forever
    local fresh = 0
    for _, item in ipairs(page.items) do
      local id = type(item) == "table" and item.id
      if id == nil or not seen[id] then fresh = fresh + 1 end
    end
    if #page.items > 0 and fresh == 0 then
      error(errors.new{ kind = "decode", status = meta.status, method = "GET", url = client.api_url .. route.path,
        message = ("the page at start=%d holds only items already seen: the server ignores start, "
                .. "so paging stops here"):format(start) }, 0)
    end
    total = page.total
    buffer, pos = page.items, 1
    start = start + #page.items
    -- the end: an empty page, the total reached, or (a total that is not a
    -- count: nil) a page shorter than asked for
    if #page.items == 0 or (total and start >= total) or (not total and #page.items < page_limit(start - #page.items))
       or page_limit(start) <= 0 then
      done = true
    end
    if prefetch and not done and not (cap and yielded + #buffer >= cap) then
      local at = start
      ahead = parallel.ahead(function() return request_page(at) end)
    end
  end

  return function()
    while true do
      if cap and yielded >= cap then return nil end
      if pos > #buffer then
        if done then return nil end
        fetch()
        if #buffer == 0 then return nil end
      end
      local item = buffer[pos]
      pos = pos + 1
      local id = type(item) == "table" and item.id
      if id == nil or not seen[id] then
        if id ~= nil then seen[id] = true end
        yielded = yielded + 1
        return entity.bless(client, family, item)
      end
    end
  end
end

return _M
