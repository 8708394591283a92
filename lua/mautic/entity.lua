--- Entities: plain data tables whose metatable offers the family's verbs.
--   local c = api.contacts.get(5)
--   c:add_points(10):add_to_segment(3)      -- each returns the entity again
--   c:update{ firstname = "Ann" }           -- PATCH, then merges the answer
-- The table itself holds only what the server sent, so JSON-encoding an
-- entity gives just its data. A method returns the entity again (so calls
-- chain) when Mautic answers with that entity (merged in) or with a bare
-- {"success":1}; otherwise it returns Mautic's answer (email:send() gives
-- its sentCount), and get_* methods always do. Failures: nil, err.
local check = require "mautic.check"

local type, pairs, ipairs, setmetatable, rawget, error = type, pairs, ipairs, setmetatable, rawget, error
local find = string.find

local _M = {}

-- a usage mistake is raised at the line that called the method (level 3:
-- this function, the method, its caller); other failures are returned
local function raise_usage(err)
  if check.is_usage(err) then error(err.message, 3) end
end

-- one metatable per (client, family), built on first use
-- {"success":1} or {"success":true} and nothing else
local function bare_success(v)
  if type(v) ~= "table" or v.success == nil then return false end
  for k in pairs(v) do
    if k ~= "success" then return false end
  end
  return true
end

-- Merge an answer into the entity it is about.
local function merge(self, fresh)
  if type(fresh) == "table" then
    for k, v in pairs(fresh) do self[k] = v end
  end
  return self
end

-- A route whose first placeholder is the id, as a method of the entity:
-- get_* return their data; others return the entity, updated by the
-- answer when it is the entity.
local function bound(family, name, route)
  local first = route.params and route.params[1]
  if first ~= "id" or route.handler or name == "get" or name == "edit" or name == "delete" then return nil end
  local returns_data = find(name, "^get_") ~= nil
  return function(self, ...)
    local v, err = family.invoke(route, rawget(self, "id"), ...)
    if v == nil then raise_usage(err) return nil, err end
    if returns_data then return v end
    if route.result == "item" then return merge(self, v) end
    if bare_success(v) then return self end
    return v
  end
end

-- update, refresh and delete, for the families that have the routes.
local function lifecycle(family, methods)
  local routes = family.routes
  if routes.edit then
    --- PATCH the entity and merge the answer into it.
    methods.update = function(self, data, opts)
      local v, err = family.invoke(routes.edit, rawget(self, "id"), data, opts)
      if v == nil then raise_usage(err) return nil, err end
      return merge(self, v)
    end
  end
  if routes.get then
    --- Fetch the entity again and merge the answer into it.
    methods.refresh = function(self)
      local v, err = family.invoke(routes.get, rawget(self, "id"))
      if v == nil then return nil, err end
      return merge(self, v)
    end
  end
  if routes.delete then
    methods.delete = function(self)
      local v, err = family.invoke(routes.delete, rawget(self, "id"))
      if v == nil then return nil, err end
      return self
    end
  end
end

local function metatable_for(client, family)
  local mt = family.entity_mt
  if mt then return mt end
  local methods = {}
  mt = { __index = methods, __name = "mautic." .. family.name .. ".entity" }
  family.entity_mt = mt
  for name, route in pairs(family.routes) do
    methods[name] = bound(family, name, route)
  end
  lifecycle(family, methods)
  -- cross-family conveniences declared by the family (e.g. add_to_segment)
  for name, fn in pairs(family.def.entity or {}) do
    methods[name] = function(self, ...)
      local v, err = fn(client.api, self, ...)
      if v == nil then return nil, err end
      return self
    end
  end
  return mt
end

--- Give a decoded entity its methods (only tables with an id qualify).
function _M.bless(client, family, t)
  if type(t) == "table" and rawget(t, "id") ~= nil and family.routes then
    setmetatable(t, metatable_for(client, family))
  end
  return t
end

function _M.bless_all(client, family, items)
  for _, t in ipairs(items) do _M.bless(client, family, t) end
  return items
end

return _M
