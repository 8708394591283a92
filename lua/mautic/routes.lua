--- The route tables, and the one place that says what they may hold.
--
-- An endpoint family (lua/mautic/api/<name>.lua) is a table:
--   name          the Lua name ("contacts"); required
--   path          the API path of its standard verbs ("/contacts"), when crud
--   item, list    the keys of an entity and of a list in Mautic's answers
--   crud          false: no standard verbs (list, each, get, create, edit,
--                 delete, create_batch, edit_batch, delete_batch)
--   verbs         its other routes, one row each (below)
--   entity        name -> function(api, entity, ...): methods of its entities
--   examples      verb name -> Lua example, for the standard verbs' docs
--   merge_creates Mautic merges a create into the entity with the same unique
--                 identifier (contacts): such a create may be resent
--   fields        "contact" or "company": writes are checked against these fields
--
-- A route row, long form { name = "add_points", method = "POST", path = ... }
-- or short form { "add_points", "POST", "/contacts/{id}/points/plus/{delta}", key = value... }:
--   name, method, path   the function's name, the HTTP method, the path under
--                        /api with {placeholders} filled from the arguments
--   data                 "query" or "body": what the table after the path
--                        arguments is; absent: the route takes none
--   result               nil (the decoded answer), "item" (the family's entity,
--                        unwrapped), "list" ({ total, items }), a key of the
--                        answer, or a function(body, meta, client, family)
--   list_key             the key of the items of a "list" result (default: family.list)
--   entity_family        the family whose methods a list's items get (false: none)
--   types                placeholder -> "id", "number" or "name" (default: "id"
--                        for id-like names, else "name")
--   options              option name -> check (mautic.options): what the verb
--                        takes besides timeout, retries and deadline
--   query                parameter -> check: the query parameters Mautic reads
--                        (unknown ones are refused; absent: not checked)
--   data_shape           function(spec, data, opts, fname) -> true | nil, why
--                        [, whole]: reshapes or checks the data before sending
--   handler              function(client, family, fname, ...): a hand-written
--                        verb of several requests (batches, each, import)
--   base                 "root": the path is under the site, not /api
--   form, raw, binary_ok, noauth  a form-encoded body; the undecoded answer;
--                        a non-JSON answer taken as is; no credentials sent
--   headers              name -> value, sent with the request
--   content_type         the media type of a JSON body (default application/json;
--                        /api/v2's PATCH takes application/merge-patch+json)
--   needs                a feature of mautic.versions ("v2", "campaign_import"):
--                        on a server without it the call returns nil and an
--                        "unsupported" error before anything is sent
--   put_with_create      { create = true } makes the PATCH a PUT
--   checks_fields        the body is checked against the family's fields
--   doc, example, signature   what bin/gen-docs writes into doc/REFERENCE.md
-- A key not listed here, or a value of the wrong kind, fails when the family
-- loads, naming the family and the row: a misspelled key would otherwise be
-- ignored without a word.
local options = require "mautic.options"

local type, pairs, ipairs, error, tostring, setmetatable = type, pairs, ipairs, error, tostring, setmetatable
local gmatch, format = string.gmatch, string.format

local _M = {}

local either, one_of = options.is_either, options.is_one_of

local ROW = {
  name = options.is_text, method = one_of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"), path = options.is_text,
  data = one_of("query", "body"), result = either(options.is_text, "function"), list_key = options.is_text,
  entity_family = either(options.is_text, one_of(false)), types = "table", options = "table", query = "table",
  data_shape = "function", handler = "function", base = one_of("root", "api"), form = "boolean", raw = "boolean",
  binary_ok = "boolean", noauth = "boolean", headers = "table", put_with_create = "boolean",
  content_type = options.is_text, needs = one_of("v2", "campaign_import"),
  checks_fields = "boolean", doc = "string", example = "string", signature = "string",
  -- filled in here, once: the placeholders, and the options schema (mautic.endpoint)
  params = "table", options_schema = "table",
}
_M.ROW = ROW

local FAMILY = {
  name = options.is_text, path = options.is_text, item = options.is_text, list = options.is_text,
  crud = "boolean", verbs = "table", entity = "table", examples = "table", merge_creates = "boolean",
  fields = one_of("contact", "company"),
}
_M.FAMILY = FAMILY

local TYPES = { id = true, number = true, name = true }

--- The placeholder names of a path template, in order.
function _M.placeholders(path)
  local names = {}
  for name in gmatch(path, "{([%w_]+)}") do names[#names + 1] = name end
  return names
end

-- a row in its long form (the short form's named fields kept)
local function expand(r)
  if r.name then return r end
  local full = { name = r[1], method = r[2], path = r[3] }
  for k, v in pairs(r) do
    if type(k) == "string" then full[k] = v end
  end
  return full
end

-- raise a mistake of a route table, naming where it is
local function bad(family, where, msg)
  error(format("mautic.api.%s: %s%s", tostring(family), where and (where .. ": ") or "", msg), 0)
end

local function check_row(family, i, r)
  local where = format("row %d (%s)", i, tostring(r.name or r[1]))
  local ok, msg = options.problem("route", 1, r, ROW, "key")
  if not ok then bad(family, where, (msg:gsub("^bad argument #1 to 'route' %(", ""):gsub("%)$", ""))) end
  if not r.handler and not (r.method and r.path) then bad(family, where, "method and path are required") end
  for name, t in pairs(r.types or {}) do
    if not TYPES[t] then bad(family, where, format("types.%s: \"id\", \"number\" or \"name\" expected", tostring(name))) end
  end
end

--- Check a family's table and its rows (raises, naming the family and the row).
function _M.check_family(def)
  local name = type(def) == "table" and def.name or "?"
  if type(def) ~= "table" then bad(name, nil, "a table expected") end
  local ok, msg = options.problem("family", 1, def, FAMILY, "key")
  if not ok then bad(name, nil, (msg:gsub("^bad argument #1 to 'family' %(", ""):gsub("%)$", ""))) end
  for i, r in ipairs(def.verbs or {}) do
    if type(r) ~= "table" then bad(name, format("row %d", i), "a table expected") end
    check_row(name, i, expand(r))
  end
end

--- The routes of a family: `standard` (its standard verbs, when it has
-- them) first, then its own rows in their long form, each with its
-- placeholders read once. The family's table is checked the first time.
-- @tparam table def the family
-- @tparam[opt] table standard rows of the standard verbs
local checked = setmetatable({}, { __mode = "k" })

function _M.of(def, standard)
  if not checked[def] then
    _M.check_family(def)
    checked[def] = true
  end
  local routes = {}
  for _, r in ipairs(standard or {}) do routes[#routes + 1] = r end
  for _, r in ipairs(def.verbs or {}) do routes[#routes + 1] = expand(r) end
  for _, r in ipairs(routes) do
    if r.params == nil and r.path then r.params = _M.placeholders(r.path) end
  end
  return routes
end

return _M
