--- /api/v2 (Mautic 7.0+, API Platform): `api.v2.<resource>`, one family per
-- resource of the generated table (mautic.api.v2.routes, from the OpenAPI
-- document), each with list, each, get, create, replace, update and delete
-- (downloads and ip_addresses: the reads only). The rows go through the same
-- schema and the same engine as /api's (auth, retries, the write-once rules,
-- errors); what differs is data: JSON-LD asked for, the PATCH media type,
-- pages by number, and `needs = "v2"`, so a 5.x or 6.x server gets an
-- "unsupported" error before anything is sent.
local generated = require "mautic.api.v2.routes"
local collection = require "mautic.collection"
local entity = require "mautic.entity"
local options = require "mautic.options"
local pager = require "mautic.pager"
local http = require "mautic.http"
local check = require "mautic.check"
local server = require "mautic.server"
local errors = require "mautic.errors"

local type, ipairs, pairs, error, setmetatable, rawset = type, ipairs, pairs, error, setmetatable, rawset
local format = string.format

local _M = {}

local ACCEPT = { Accept = collection.ACCEPT }

-- the entity of an item answer, with its family's methods
local function item_result(body, _, client, family)
  local v, why = collection.item(body)
  if not v then return nil, why end
  return entity.bless(client, family, v)
end

local LIST_QUERY = { page = options.is_int(1) }

-- list{ page = n } -> { total, items, page }: one request, as /api's list
local function list_handler(client, family, fname, q, opts)
  local qok, qerr = options.problem(fname, 1, q, LIST_QUERY, "query parameter")
  if not qok then return nil, check.usage(qerr) end
  local o, oerr = options.problem(fname, 2, opts, options.CALL)
  if not o then return nil, check.usage(oerr) end
  local ok, nerr = server.require(client, "v2", fname, o)
  if not ok then return nil, nerr end
  local n = q and q.page or 1
  local route = family.routes.list
  local body, meta = http.call(client, { method = "GET", path = route.path, query = { page = n }, headers = ACCEPT,
                                         timeout = o.timeout, retries = o.retries, deadline = o.deadline })
  if body == nil then return nil, meta end
  local page, why = collection.normalize(body)
  if not page then
    return nil, errors.decode(meta.status, meta.body, why, { method = "GET", url = client.api_url .. route.path })
  end
  entity.bless_all(client, family, page.items)
  page.page = n
  return page
end

local DOC = {
  list = "One page of the collection (30 items, fixed): { total = totalItems, items, page }.",
  each = "Iterate the whole collection, page by page ({ page = first, limit = most items }); "
      .. "a failure raises the mautic.error inside the loop.",
  get = "Get one item by id.",
  create = "Create an item (POST, JSON); never resent once it may have reached Mautic.",
  replace = "Replace an item (PUT): what the body leaves out is reset.",
  update = "Change some properties (PATCH as application/merge-patch+json; null removes a value).",
  delete = "Delete an item (204: returns true).",
}

-- the route rows of one generated resource
local function rows_of(r)
  local p = "/v2/" .. r.name
  local has = {}
  for _, op in ipairs(r.ops) do has[op] = true end
  local rows = {}
  local function add(row)
    if has[row.name] or (row.name == "each" and has.list) then
      row.doc, row.needs = DOC[row.name], "v2"
      rows[#rows + 1] = row
    end
  end
  add{ name = "list", handler = list_handler, method = "GET", path = p, headers = ACCEPT }
  add{ name = "each", handler = pager.pages_handler, method = "GET", path = p, headers = ACCEPT }
  add{ name = "get", method = "GET", path = p .. "/{id}", result = item_result, headers = ACCEPT }
  add{ name = "create", method = "POST", path = p, data = "body", result = item_result, headers = ACCEPT }
  add{ name = "replace", method = "PUT", path = p .. "/{id}", data = "body", result = item_result, headers = ACCEPT }
  add{ name = "update", method = "PATCH", path = p .. "/{id}", data = "body", result = item_result, headers = ACCEPT,
       content_type = r.patch }
  add{ name = "delete", method = "DELETE", path = p .. "/{id}", headers = ACCEPT }
  return rows
end

--- The family definitions, by resource name (built once; checked by
-- mautic.routes when a client first uses each).
_M.defs = {}
_M.names = {}
for _, r in ipairs(generated.resources) do
  _M.names[#_M.names + 1] = r.name
  _M.defs[r.name] = { name = "v2." .. r.name, path = "/v2/" .. r.name, crud = false, verbs = rows_of(r) }
end

local WRITES = { create = true, replace = true, update = true, delete = true }

-- A verb a resource does not have raises at the caller's line, saying why
-- (downloads and ip_addresses are read-only), instead of "attempt to call a nil value".
local function missing_verb(name, t)
  return function(_, verb)
    if type(verb) ~= "string" then return nil end
    local msg
    if WRITES[verb] then
      msg = format("v2.%s.%s: /api/v2/%s is read-only (GET only): it has no %s", name, verb, name, verb)
    else
      msg = format("v2.%s has no verb '%s'%s", name, verb, options.hint(verb, t))
    end
    return function() error(msg, 2) end
  end
end

--- The `api.v2` table of a client: `build(def)` makes a family's API table
-- (mautic.endpoint.family, passed in: the api/ layer calls the engine).
function _M.new(build)
  local v2 = {}
  return setmetatable(v2, {
    __index = function(t, name)
      if type(name) ~= "string" then return nil end
      local def = _M.defs[name]
      if not def then
        error(format("api.v2 has no resource '%s'%s", name, options.hint(name, _M.names)), 2)
      end
      local fam = build(def)
      local verbs = {}
      for k in pairs(fam) do verbs[#verbs + 1] = k end
      setmetatable(fam, { __index = missing_verb(name, verbs) })
      rawset(t, name, fam)
      return fam
    end,
  })
end

return _M
