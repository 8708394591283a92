--- Endpoint families built from data.
-- A family is a table of routes (see lua/mautic/api/*.lua); this module
-- turns each row into a function bound to one client. Adding an endpoint
-- means adding a row.
--
-- Calling convention of a generated verb:
--   fn(<one argument per {placeholder} in the path, in order>, [data], [opts])
-- where `data` is the JSON body (POST/PUT/PATCH) or the query (GET/DELETE)
-- when the route takes one, and `opts` holds per-call options.
-- Bad arguments raise at the caller's line; failures return nil, err.
local http = require "mautic.http"
local list = require "mautic.list"
local errors = require "mautic.errors"
local check = require "mautic.check"
local entity = require "mautic.entity"
local batch = require "mautic.batch"
local options = require "mautic.options"
local fields = require "mautic.fields"
local routes = require "mautic.routes"
local chunks = require "mautic.chunks"
local pager = require "mautic.pager"
local server = require "mautic.server"

local type, ipairs, pairs, select, error, tonumber, next = type, ipairs, pairs, select, error, tonumber, next
local gsub, format = string.gsub, string.format

local _M = {}

--- The placeholder names of a path template, in order.
_M.placeholders = routes.placeholders

-- Shape a decoded answer as the route says.
local function shape(client, family, route, body, meta)
  local result = route.result
  if result == nil then return body end
  if result == "list" then
    local key = route.list_key or family.list
    local page, why = list.normalize(body, meta.body, key)
    if not page then return nil, errors.decode(meta.status, meta.body, why, nil) end
    -- items of another family (a contact's segments) get that family's methods
    local owner = route.entity_family and client:family(route.entity_family) or family
    if route.entity_family ~= false then entity.bless_all(client, owner, page.items) end
    return page
  end
  if result == "item" or type(result) == "string" then
    local key = result == "item" and family.item or result
    local v = type(body) == "table" and body[key] or nil
    if type(v) ~= "table" and result == "item" then v = nil end
    if v == nil then
      return nil, errors.decode(meta.status, meta.body, "the answer has no '" .. key .. "'", nil)
    end
    if result == "item" then entity.bless(client, family, v) end
    return v
  end
  if type(result) == "function" then
    local v, err = result(body, meta, client, family)
    if v == nil and type(err) == "string" then return nil, errors.decode(meta.status, meta.body, err, nil) end
    return v, err
  end
  return body
end
_M.shape = shape

--- Fill a route's path template from positional arguments.
-- @treturn[1] string the path
-- @treturn[1] integer how many arguments were used
-- @treturn[2] nil
-- @treturn[2] string usage message
function _M.fill_path(route, fname, ...)
  local names = route.params
  local args = { ... }
  local values = {}
  for i, name in ipairs(names) do
    local v, msg = check.path_param(name, args[i], route.types and route.types[name])
    if v == nil then
      return nil, format("bad argument #%d to '%s' (%s)", i, fname, msg)
    end
    values[name] = v
  end
  local path = gsub(route.path, "{([%w_]+)}", values)
  return path, #names
end

local CALL_OPTIONS = options.CALL

-- what the writes of contacts and companies take besides
local FIELD_OPTIONS = options.FIELDS

--- The options schema of a route: the common ones, `create` for edits that
-- can PUT, and what the route declares itself (`options = { name = check }`).
function _M.call_options(family, route)
  local schema = route.options_schema
  if schema then return schema end
  schema = options.merge(CALL_OPTIONS, route.put_with_create and { create = "boolean" } or nil,
    (route.checks_fields and family.def.fields) and FIELD_OPTIONS or nil, route.options)
  route.options_schema = schema
  return schema
end

-- Does t hold nothing but keys of the options schema, none of them a query parameter?
local function only_options(t, schema, query_schema)
  if type(t) ~= "table" or next(t) == nil then return false end
  for k in pairs(t) do
    if not schema[k] or (query_schema and query_schema[k]) then return false end
  end
  return true
end

--- Call a route with explicit arguments (used by generated verbs and bound entity methods).
-- @treturn[1] spec, or nil + usage message
local function prepare(client, family, route, fname, ...)
  local path, used = _M.fill_path(route, fname, ...)
  if not path then return nil, used end
  local n = select("#", ...)
  local data, opts = select(used + 1, ...)
  if route.data == nil and n > used then
    -- no data taken: the next argument, if any, is opts
    data, opts = nil, data
  elseif route.data == "query" and opts == nil and only_options(data, _M.call_options(family, route), route.query) then
    -- get(5, { timeout = 5 }): a table of nothing but this verb's options,
    -- in the query's place, is meant as the options (no query parameter
    -- of Mautic's is named timeout, retries or deadline)
    data, opts = nil, data
  end
  if data ~= nil and type(data) ~= "table" then
    return nil, format("bad argument #%d to '%s' (table expected, got %s)", used + 1, fname, type(data))
  end
  local perr
  opts, perr = options.problem(fname, used + (route.data and 2 or 1), opts, _M.call_options(family, route))
  if not opts then return nil, perr end
  local method = route.method
  if route.put_with_create and opts.create then method = "PUT" end
  local spec = {
    method = method,
    path = path,
    id = select(1, ...),
    want_body = route.result ~= nil,
    share = route.result == "list",   -- many entities: repeated field definitions decoded once
    merges = route.name == "create" and family.def.merge_creates and chunks.identified(client.unique_fields, data),
    base = route.base,
    timeout = opts.timeout,
    retries = opts.retries,
    deadline = opts.deadline,
    raw = route.raw,
    binary_ok = route.binary_ok,
    form = route.form,
    noauth = route.noauth,
    headers = route.headers,
    content_type = route.content_type,
  }
  if route.data == "query" then
    if route.query then
      local qok, qmsg = options.problem(fname, used + 1, data, route.query, "query parameter",
                                        _M.call_options(family, route))
      if not qok then return nil, qmsg end
    end
    spec.query = data
  elseif route.data == "body" then
    spec.body = data
  end
  spec.fields_mode = route.checks_fields and family.def.fields and fields.mode(client, opts)
  if route.data_shape then
    -- a hook's message is wrapped, unless it says it is whole (a third value)
    local ok, msg, whole = route.data_shape(spec, data, opts, fname)
    if not ok then return nil, whole and msg or format("bad argument to '%s' (%s)", fname, msg) end
  end
  return spec
end

-- Check a contact's or company's body against its fields (mautic.fields).
-- Returns true, or nil and an error to return, or nil, nil and a usage message to raise.
local function check_fields(client, family, spec)
  if spec.fields_mode == nil or spec.fields_mode == false then return true end
  local body, err, unknown = fields.check_write(client, family.def.fields, spec.body, spec.fields_mode, spec.method)
  if body == nil then
    if err then err.method, err.url = spec.method, client.api_url .. spec.path end
    return nil, err, unknown
  end
  spec.body = body
  return true
end

local function run(client, family, route, spec)
  if route.needs then
    -- a route the server may not have: refused before it is sent (one
    -- request first when the server's version is not known yet)
    local ok, err = server.require(client, route.needs, family.name .. "." .. route.name, spec)
    if not ok then return nil, err end
  end
  local body, meta = http.call(client, spec)
  if body == nil then return nil, meta end
  if meta.already_done then
    -- a DELETE retried after an attempt that may have worked found nothing
    -- left: it is done, and api.last_response().already_done says so
    return entity.bless(client, family, { id = tonumber(spec.id) or spec.id })
  end
  local v, err = shape(client, family, route, body, meta)
  if v == nil and err then
    -- the answer was a 2xx: a write it belongs to has happened
    err.method, err.url = err.method or spec.method, err.url or (client.api_url .. spec.path)
    err.maybe_applied = spec.method ~= "GET" and spec.method ~= "HEAD"
    return nil, err
  end
  return v
end

local function finish(client, v, err, level)
  if v == nil and client.raise then error(err, level + 1) end
  return v, err
end

--- Make the function for one route of a family.
function _M.verb(client, family, route)
  local fname = family.name .. "." .. route.name
  if route.handler then
    -- hand-written verbs (each, batches) still raise at the caller's line
    return function(...)
      if ... == family.api_table then
        error(format("call %s with a dot, not a colon", fname), 2)
      end
      local v, err = route.handler(client, family, fname, ...)
      if v == nil and check.is_usage(err) then error(err.message, 2) end
      return finish(client, v, err, 2)
    end
  end
  return function(...)
    if ... ~= nil and ... == family.api_table then
      error(format("call %s with a dot, not a colon", fname), 2)
    end
    local spec, msg = prepare(client, family, route, fname, ...)
    if not spec then error(msg, 2) end
    local ok, ferr, unknown = check_fields(client, family, spec)
    if unknown then error(("bad argument #%d to '%s' (%s)"):format(#route.params + 1, fname, unknown), 2) end
    if not ok then return finish(client, nil, ferr, 2) end
    local v, err = run(client, family, route, spec)
    return finish(client, v, err, 2)
  end
end

--- Call a route by name on behalf of an entity (no caller-level raising).
-- A usage mistake found by invoke: a usage error carrying the message, which
-- an entity method raises at its caller's line.
function _M.invoke(client, family, route, ...)
  local fname = family.name .. "." .. route.name
  local spec, msg = prepare(client, family, route, fname, ...)
  if not spec then return nil, check.usage(msg) end
  local ok, ferr, unknown = check_fields(client, family, spec)
  if unknown then
    return nil, check.usage(("bad argument #%d to '%s' (%s)"):format(#route.params + 1, fname, unknown))
  end
  if not ok then return nil, ferr end
  return run(client, family, route, spec)
end

local function check_query(spec, data, _, fname)
  local q, msg = list.list_query(fname, 1, data)
  if msg then return nil, msg, true end
  spec.query = q
  return true
end

-- What Mautic's single-entity GET reads (FetchCommonApiController::getEntityAction).
local GET_QUERY = { select = options.is_either("table", "string") }

-- Standard verbs every CRUD family has.
local function crud_routes(family)
  local p = family.path
  return {
    { name = "list", method = "GET", path = p, data = "query", result = "list", data_shape = check_query,
      doc = "List entities (search, start, limit, orderBy, orderByDir, publishedOnly, minimal, where)." },
    { name = "each", handler = pager.each_handler, method = "GET", path = p,
      doc = "Iterate every entity, page by page (query as list, plus page_size and limit). A failure "
         .. "raises the mautic.error inside the loop (wrap the loop in pcall); a server that ignores start "
         .. "ends it with a decode error instead of paging forever." },
    { name = "get", method = "GET", path = p .. "/{id}", data = "query", result = "item", query = GET_QUERY,
      doc = "Get one entity by id (query: select, the fields to return)." },
    { name = "create", method = "POST", path = p .. "/new", data = "body", result = "item", checks_fields = true,
      doc = "Create an entity." },
    { name = "edit", method = "PATCH", path = p .. "/{id}/edit", data = "body", result = "item",
      put_with_create = true, checks_fields = true,
      doc = "Edit an entity (PATCH; with { create = true }, PUT, which creates it when missing)." },
    { name = "delete", method = "DELETE", path = p .. "/{id}/delete", result = "item",
      doc = "Delete an entity; returns it as it was." },
    { name = "create_batch", handler = batch.create_handler, method = "POST", path = p .. "/batch/new",
      checks_fields = true,
      doc = "Create many entities, chunked to the batch limit; per-item results in input order." },
    { name = "edit_batch", handler = batch.edit_handler, method = "PATCH", path = p .. "/batch/edit",
      put_with_create = true, checks_fields = true,
      doc = "Edit many entities (each with an id), chunked; PUT with { create = true }." },
    { name = "delete_batch", handler = batch.delete_handler, method = "DELETE", path = p .. "/batch/delete",
      doc = "Delete many entities by id, chunked." },
  }
end

--- All routes of a family definition, standard ones first (checked by
-- mautic.routes the first time: a misspelled key fails there).
function _M.routes_of(def)
  return routes.of(def, (def.crud ~= false and def.path) and crud_routes(def) or nil)
end

--- Build a family's API table for a client.
function _M.family(client, def)
  local family = {
    name = def.name, path = def.path, item = def.item, list = def.list,
    routes = {}, def = def,
  }
  local api_table = {}
  family.api_table = api_table
  -- entities call their family's routes through this (mautic.entity needs no endpoint)
  function family.invoke(route, ...) return _M.invoke(client, family, route, ...) end
  for _, route in ipairs(_M.routes_of(def)) do
    family.routes[route.name] = route
    api_table[route.name] = _M.verb(client, family, route)
  end
  return api_table, family
end

return _M
