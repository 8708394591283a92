--- contacts.export: every matching contact streamed to CSV.
--
--   api.contacts.export{ search = "email:%@acme.com", fields = { "email", "firstname" }, to = "out.csv" }
--
-- Pages come one at a time through mautic.pager (the next one prefetched),
-- or `concurrency` pages at once by id ranges (mautic.ranges), in id order,
-- each contact becomes one CSV line (mautic.csv), and `to` takes them: a
-- path (written to <path>.part, renamed when complete), an open file, or a
-- function given each line.
local core = require "mautic.core"
local csv = require "mautic.csv"
local pager = require "mautic.pager"
local segment = require "mautic.segment"
local names = require "mautic.names"
local endpoint = require "mautic.endpoint"
local errors = require "mautic.errors"
local check = require "mautic.check"
local compat = require "mautic.compat"
local options = require "mautic.options"
local lists = require "mautic.list"
local fieldsets = require "mautic.fields"

local type, pairs, ipairs, tostring, tonumber, error = type, pairs, ipairs, tostring, tonumber, error
local max, min = math.max, math.min
local concat, sort = table.concat, table.sort

local _M = {}

local function usage(msg) return errors.new{ kind = "usage", message = msg } end

--- The value of one column for a contact: its id, its tags' names joined
-- with commas, or a field of `fields.all`.
function _M.contact_value(c, field)
  if field == "id" then return c.id end
  local all = type(c.fields) == "table" and c.fields.all or nil
  if field == "tags" then
    local list = {}
    for _, t in ipairs(type(c.tags) == "table" and c.tags or {}) do
      list[#list + 1] = type(t) == "table" and t.tag or t
    end
    return concat(list, ",")
  end
  local v = type(all) == "table" and all[field] or nil
  if v == nil and field == "points" then v = c.points end
  return v
end

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
  segment = options.is_either(options.is_int(1), options.is_text), fields = options.is_either("string", "table"),
  to = "any", on_progress = "function", separator = "string", eol = "string", header = "boolean",
  page_size = options.is_int(1), prefetch = "boolean", strict_fields = options.FIELDS.strict_fields,
  concurrency = options.is_int(1),
}

-- The export's own keys, checked: { to, fields, line_opts, bad }, or nil
-- and a usage error.
local function check_request(fname, q)
  if type(q) ~= "table" then
    return nil, check.usage(("bad argument #1 to '%s' (table expected, got %s)"):format(fname, type(q)))
  end
  local _, qerr = lists.list_query(fname, 1, q, EXPORT_QUERY)
  if qerr then return nil, check.usage((qerr:gsub("unknown query parameter", "unknown key"))) end
  local function bad(msg) return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, msg)) end
  local to = q.to
  if to == nil then return bad("to: a path, a file or a function is needed") end
  if not (type(to) == "string" or type(to) == "function" or io.type(to) == "file") then
    return bad("to must be a path, an open file or a function")
  end
  local fields, ferr = names.list(q.fields, "fields")
  if ferr then return bad(ferr) end
  if fields and #fields == 0 then return bad("fields names no field") end
  if q.on_progress ~= nil and type(q.on_progress) ~= "function" then return bad("on_progress must be a function") end
  local line_opts = { separator = q.separator or ",", eol = q.eol or "\r\n" }
  if type(line_opts.separator) ~= "string" or #line_opts.separator ~= 1 then return bad("separator must be one character") end
  return { to = to, fields = fields, line_opts = line_opts, bad = bad }
end

-- Whether a column needs more of a contact than its fields: its tags.
local function needs_tags(fields)
  for _, name in ipairs(fields or {}) do
    if name == "tags" then return true end
  end
  return false
end

-- The list query: what is not the export's own, pages of 200 by default, and
-- a segment as Mautic's `segment:<alias>` search. Unless the columns hold
-- `tags` (or the caller says `minimal = false`), pages are asked for
-- `minimal`: Mautic then leaves out what it loads with one query per contact
-- (tags, UTM tags, IP addresses, stage, owner, do-not-contact, frequency
-- rules) and still sends every field; real Mautic 5.1 answers a page of 500
-- in a quarter of the time.
local function list_query(client, q, req)
  local query = {}
  for k, v in pairs(q) do
    if not EXPORT_KEYS[k] then query[k] = v end
  end
  query.page_size = query.page_size or 200
  if query.minimal == nil and not needs_tags(req.fields) then query.minimal = true end
  if q.segment == nil then return query end
  local id, alias = segment.resolve(client, q.segment)
  if not id then return nil, alias end
  local cmd = "segment:" .. alias
  query.search = (type(query.search) == "string" and query.search ~= "") and (cmd .. " " .. query.search) or cmd
  return query
end

-- each's options: prefetch is one of them, given in the query for short
local function each_options(q, extra)
  if q.prefetch == nil then return extra end
  local e = {}
  for k, v in pairs(type(extra) == "table" and extra or {}) do e[k] = v end
  e.prefetch = q.prefetch
  return e
end

-- The columns: those asked for, checked against the contact fields (a
-- misspelled one would be an empty column), else every contact field.
local function columns(client, family, q, req)
  local set
  if fieldsets.mode(client, q) ~= false then
    local serr
    set, serr = fieldsets.get(client, "contact")
    if not set then return nil, serr end
    for _, name in ipairs(req.fields or {}) do
      if name ~= "id" and name ~= "tags" then
        local why = fieldsets.unknown_key(set, name)
        if why and not EXPORT_COLUMNS[name] then return req.bad("fields: " .. why) end
      end
    end
  end
  if req.fields then return req.fields end
  return all_fields(client, family, set)
end

-- How many rows on_progress may expect: the list's total, capped by `limit`.
local function count_rows(client, family, query)
  local lq = {}
  for k, v in pairs(query) do lq[k] = v end
  lq.page_size, lq.limit, lq.start, lq.concurrency = nil, 1, 0, nil
  local page = endpoint.invoke(client, family, family.routes.list, lq)
  local total = page and page.total
  if total and query.limit then total = min(total, query.limit) end
  return total
end

-- Where the lines go: { write(s), file, tmp } or nil, err.
local function open_sink(to)
  if type(to) == "function" then return { write = to } end
  if type(to) ~= "string" then return { write = function(s) return to:write(s) end } end
  local tmp = to .. ".part"
  local file, err = io.open(tmp, "wb")
  if not file then return nil, usage("cannot write " .. tostring(err)) end
  return { write = function(s) return file:write(s) end, file = file, tmp = tmp, path = to }
end

-- A path's file: closed, and renamed to the path when every line is in
-- (removed when not).
local function close_sink(sink, ok, err)
  if not sink.file then return ok, err end
  local cok, cerr = sink.file:close()
  if ok and not cok then ok, err = false, usage("cannot write " .. sink.tmp .. ": " .. tostring(cerr)) end
  if ok then
    local rok, rerr = os.rename(sink.tmp, sink.path)
    if not rok then ok, err = false, usage("cannot rename " .. sink.tmp .. ": " .. tostring(rerr)) end
  else
    os.remove(sink.tmp)
  end
  return ok, err
end

-- The header and a line per contact; on_progress after every page.
local function write_lines(run, q, iter, sink)
  local fields, nf, line_opts = run.fields, #run.fields, run.line_opts
  local function report() q.on_progress(run.rows, run.total, run.rows / max(core.now() - run.started, 1e-3)) end
  local ok, err = compat.pcall(function()
    if q.header ~= false then sink.write(csv.line(fields, nf, line_opts)) end
    local values = {}
    for c in iter do
      for i = 1, nf do values[i] = _M.contact_value(c, fields[i]) end
      sink.write(csv.line(values, nf, line_opts))
      run.rows = run.rows + 1
      if q.on_progress and run.rows % run.step == 0 then report() end
    end
  end)
  if ok and q.on_progress and run.rows % run.step ~= 0 then report() end
  return ok, err
end

--- contacts.export{ search =, where =, segment =, fields =, to =, ... }
-- Streams every matching contact to CSV, one page at a time.
-- @treturn[1] table { rows = <count>, fields = <array>, path = <to, when a path> }
-- @treturn[2] nil
-- @treturn[2] table err, with err.rows (how many were written)
function _M.export_handler(client, family, fname, q, extra)
  local req, rerr = check_request(fname, q)
  if not req then return nil, rerr end
  local query, qerr = list_query(client, q, req)
  if not query then return nil, qerr end
  local iter, ierr = pager.each_handler(client, family, fname, query, each_options(q, extra))
  if not iter then return nil, ierr end
  local fields, ferr = columns(client, family, q, req)
  if not fields then return nil, ferr end
  local run = { fields = fields, line_opts = req.line_opts, rows = 0, step = query.page_size,
                total = q.on_progress and count_rows(client, family, query) or nil }
  local sink, serr = open_sink(req.to)
  if not sink then return nil, serr end
  run.started = core.now()
  local ok, err = close_sink(sink, write_lines(run, q, iter, sink))
  if ok then
    return { rows = run.rows, fields = fields, path = sink.path, elapsed = core.now() - run.started }
  end
  if errors.is(err) then
    err.rows = run.rows
    return nil, err
  end
  if check.is_usage(err) then return nil, err end
  error(err, 0)     -- the caller's function raised
end

return _M
