--- Batch writes: create_batch, edit_batch and delete_batch over Mautic's
-- batch routes. They take any number of items, send them in chunks of at
-- most the batch limit (Mautic's api_batch_max_limit, 200 by default) with
-- mautic.chunks, and return one result per input item, in input order:
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
-- failed, err.failures. Chunking, concurrency, stopping and whether a chunk
-- may be resent are mautic.chunks' decisions; this module knows how
-- Mautic's batch routes take rows and answer for them.
local http = require "mautic.http"
local dates = require "mautic.dates"
local list = require "mautic.list"
local errors = require "mautic.errors"
local check = require "mautic.check"
local entity = require "mautic.entity"
local chunks = require "mautic.chunks"
local options = require "mautic.options"
local fieldsets = require "mautic.fields"

local CALL_OPTIONS = options.CALL

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local concat = table.concat

local _M = {}

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
  local added = dates.parse_iso(item.dateAdded)
  return added ~= nil and added >= meta.first_sent_at + (meta.clock_offset or 0) - 2
end

-- Mautic's status per input row: statusCodes, a list in input order or an
-- object keyed by 0-based input index.
local function status_codes(body)
  local codes, raw = {}, body.statusCodes
  if type(raw) ~= "table" then return codes end
  for i, c in pairs(raw) do
    local idx = tonumber(i)
    if idx then codes[(#raw > 0) and idx or idx + 1] = tonumber(c) end
  end
  return codes
end

-- Mautic's error per refused row: keyed by 0-based input index; PHP writes
-- it as a list when the refused rows are exactly the first ones (a list's
-- keys are already 1-based).
local function row_errors(body)
  local errs = {}
  if type(body.errors) ~= "table" then return errs end
  for k, v in pairs(body.errors) do
    if type(k) == "number" then
      errs[k] = v
    elseif tonumber(k) then
      errs[tonumber(k) + 1] = v
    end
  end
  return errs
end

-- The result of one row of an answered chunk.
local function row_result(client, family, answer, i, lean)
  local status = answer.codes[i] or (answer.errs[i] and 400) or answer.meta.status
  local r = { status = status, resent = answer.meta.resent }
  if answer.errs[i] or status >= 300 then
    -- Mautic answered for this row: it was refused, not written
    r.ok = false
    r.maybe_applied = false
    r.error = item_error(answer.errs[i] or {}, status, answer.where)
    return r
  end
  -- whether Mautic created the row or merged it into an existing one; a
  -- row merged on a resend was created by the attempt whose answer was lost
  local item = answer.items[i]
  r.ok = true
  r.created = status == 201 or made_by_earlier_attempt(answer.meta, item)
  if lean then
    r.id = type(item) == "table" and item.id or nil
  else
    r.item = entity.bless(client, family, item)
  end
  return r
end

-- Send the rows of one create or edit request: one result per row, or nil, err.
local function send_rows(client, family, spec, rows, lean)
  spec.want_body = true
  spec.share = true     -- a chunk's entities share their repeated field definitions
  local body, meta = http.call(client, spec)
  if body == nil then return nil, meta end
  if type(body) ~= "table" then
    local err = errors.decode(meta.status, meta.body, "a batch answer must be an object", spec)
    err.maybe_applied = true
    return nil, err
  end
  local codes = status_codes(body)
  local answer = { meta = meta, codes = codes, errs = row_errors(body),
                   items = answered_items(body, family.list, rows, codes, spec.method),
                   where = { method = spec.method, url = client.api_url .. spec.path } }
  local results = {}
  for i = 1, #rows do results[i] = row_result(client, family, answer, i, lean) end
  return results
end

--- The `send` of a mautic.chunks job that writes each chunk with one request
-- to a create or edit batch route (contacts.import sends its chunks with it too).
-- @tparam table client
-- @tparam table family
-- @tparam table route the batch route (its path)
-- @tparam string method POST, PATCH or PUT
-- @tparam table o the call's checked options (timeout, retries, deadline, results)
-- @treturn function send(chunk) -> results | nil, err
function _M.sender(client, family, route, method, o)
  local lean = o.results == "ids"
  return function(chunk)
    local spec = chunk_spec(client, o, { method = method, path = route.path, body = chunk.rows,
                                         merges = chunk.merges }, #chunk.rows)
    return send_rows(client, family, spec, chunk.rows, lean)
  end
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

-- the options schema of a batch verb: `create` for an edit, strict_fields
-- for a family whose writes are checked against its fields
local function schema_of(family, route)
  local edit = route and route.put_with_create
  if family.def.fields then return edit and EDIT_FIELD_OPTIONS or FIELD_BATCH_OPTIONS end
  return edit and EDIT_BATCH_OPTIONS or BATCH_OPTIONS
end

local function batch_options(fname, opts, schema)
  local o, msg = options.problem(fname, 2, opts, schema)
  if not o then return nil, check.usage(msg) end
  return o
end

-- The chunks job of a batch verb: what every one of them shares. The
-- caller's on_chunk hears four arguments, and what it returns is not the
-- engine's business.
local function job_of(client, o, rows, send)
  local on_chunk = o.on_chunk
  return {
    rows = rows, size = o.batch_limit or client.batch_limit, concurrency = o.concurrency, send = send,
    on_chunk = on_chunk and function(results, first, last, err) on_chunk(results, first, last, err) end,
  }
end

-- A row refused by the field checks: a usage error of its own, not sent.
local function refusal(i, problems)
  local message, details = fieldsets.describe_problems(problems)
  return { ok = false, maybe_applied = false, error = errors.new{
    kind = "usage", message = ("row %d: %s"):format(i, message), details = details, maybe_applied = false } }
end

-- The rows to send, a copy once a value is converted (a multiselect array):
-- the caller's rows stay as they were.
local function replace_row(out, rows, i, sent)
  if out.rows == rows then
    out.rows = {}
    for j = 1, #rows do out.rows[j] = rows[j] end
  end
  out.rows[i] = sent
end

-- The rows of a contact or company batch, checked against the fields
-- before the first chunk goes (mautic.fields): an unknown key anywhere is a
-- usage mistake (nothing is sent); a row with bad values is refused, not
-- sent, with a usage error of its own. Returns { rows = to send (converted
-- where needed), refused = { [i] = result } }, or nil and the error.
function _M.check_fields(client, family, fname, rows, mode, method)
  local out = { rows = rows, refused = {} }
  if not family.def.fields or mode == false then return out end
  local set, err = fieldsets.get(client, family.def.fields)
  if not set then return nil, err end
  for i, row in ipairs(rows) do
    local sent, unknown, problems = fieldsets.check_row(set, row, method)
    if unknown then
      if mode ~= "warn" then return nil, check.usage(("bad argument #1 to '%s' (row %d: %s)"):format(fname, i, unknown)) end
      fieldsets.warn(client, { object = set.object, message = unknown, row = i })
      sent, problems = row, nil
    end
    if problems and mode == "warn" then
      for k, why in pairs(problems) do
        fieldsets.warn(client, { object = set.object, field = k, value = row[k], message = k .. ": " .. why, row = i })
      end
      sent = row
    elseif problems then
      out.refused[i] = refusal(i, problems)
    end
    if sent ~= row then replace_row(out, rows, i, sent) end
  end
  return out
end

-- create_batch and edit_batch: rows in, one result per row out.
local function rows_handler(route_name, need_id)
  return function(client, family, fname, rows, opts)
    local ok, msg = check.rows(rows, need_id)
    if not ok then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
    local route = family.routes[route_name]
    local o, err = batch_options(fname, opts, schema_of(family, route))
    if not o then return nil, err end
    local method = (route.put_with_create and o.create) and "PUT" or route.method
    local checked, cerr = _M.check_fields(client, family, fname, rows, fieldsets.mode(client, o), method)
    if not checked then return nil, cerr end
    local job = job_of(client, o, checked.rows, _M.sender(client, family, route, method, o))
    -- rows refused before sending keep their place; the others go
    local refused = checked.refused
    job.admit = function(row, i) if refused[i] then return nil, refused[i] end return row end
    -- Mautic merges a contact create into the contact with the same unique field
    job.merge_on = route_name == "create_batch" and family.def.merge_creates and client.unique_fields or nil
    return chunks.run(job)
  end
end

_M.create_handler = rows_handler("create_batch", false)
_M.edit_handler = rows_handler("edit_batch", true)

-- delete_batch answers no statusCodes: an id is deleted when it comes back.
-- After a resend (an earlier attempt may have deleted some), an id that
-- does not come back is reported done and flagged already_done.
local function delete_result(client, family, route, id, item, meta, lean)
  if item then
    return { ok = true, status = 200, item = not lean and item or nil, id = lean and tonumber(id) or nil,
             resent = meta.resent }
  end
  if meta.resent or meta.already_done then
    return { ok = true, status = meta.status, resent = true, already_done = true, id = lean and tonumber(id) or nil,
             item = not lean and entity.bless(client, family, { id = tonumber(id) }) or nil }
  end
  return { ok = false, status = 404, error = errors.new{
    kind = "http", status = 404, code = 404, message = "Item was not found.",
    method = "DELETE", url = client.api_url .. route.path } }
end

local function delete_sender(client, family, route, o)
  local lean = o.results == "ids"
  return function(chunk)
    local ids = chunk.rows
    local body, meta = http.call(client, chunk_spec(client, o, {
      method = "DELETE", path = route.path, query = { ids = concat(ids, ",") },
    }, #ids))
    if body == nil then return nil, meta end
    local deleted = {}
    local items = type(body) == "table" and list.values_in_order(body[family.list], meta.body, family.list) or {}
    for _, item in ipairs(items) do
      if type(item) == "table" and item.id ~= nil then deleted[tostring(item.id)] = item end
    end
    local results = {}
    for j, id in ipairs(ids) do results[j] = delete_result(client, family, route, id, deleted[id], meta, lean) end
    return results
  end
end

function _M.delete_handler(client, family, fname, ids, opts)
  local list_ids, msg = check.ids(ids)
  if not list_ids then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
  local o, err = batch_options(fname, opts, BATCH_OPTIONS)
  if not o then return nil, err end
  local route = family.routes.delete_batch
  return chunks.run(job_of(client, o, list_ids, delete_sender(client, family, route, o)))
end

return _M
