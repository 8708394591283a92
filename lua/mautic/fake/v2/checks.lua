-- What a real 7.0 refuses in a /api/v2 write (SUMMARY §2.4), in its order:
-- a value of the wrong JSON type or an IRI that names nothing (500, the
-- serializer), a property the schema requires (422, without the violations),
-- a property required in practice (500, a NOT NULL column), a value that must
-- be unique (422), a weak user password (422).
local json = require "mautic.fake.json"
local password = require "mautic.fake.password"
local resources = require "mautic.fake.v2.resources"
local rows = require "mautic.fake.v2.rows"
local errors = require "mautic.fake.v2.errors"

local null = json.null

local _M = {}

local function json_type(v)
  if v == null then return "null" end
  local t = type(v)
  if t == "number" then return v == math.floor(v) and "integer" or "number" end
  if t == "table" then return json.is_arr(v) and "array" or "object" end
  return t
end

local function type_ok(allowed, v)
  if not allowed or #allowed == 0 then return true end
  local t = json_type(v)
  for _, a in ipairs(allowed) do
    if a == t or (a == "number" and t == "integer") then return true end
    if t == "object" and a == "array" and #json.keys(v) == 0 then return true end   -- {} is PHP's []
  end
  return false
end

-- an IRI -> the id it names, or nil, the 500 that refuses it
function _M.id_of(target, iri)
  if type(iri) ~= "string" then return nil, errors.generic(500) end
  local r, id = resources.from_iri(iri)
  if r and (target == nil or r.name == target) and rows.load(r, id) then return id end
  return nil, errors.message(500, 'Item not found for "' .. iri .. '".')
end

-- a relation as sent -> as stored (ids), or nil, 500
function _M.relation(kind, v)
  if v == null then return null end
  if kind.what == "iri" or kind.what == "embed" then return _M.id_of(kind.target, v) end
  if kind.what == "tags" and not json.is_obj(v) then return nil, errors.generic(500) end
  if kind.what ~= "tags" and not json.is_arr(v) and not (json.is_obj(v) and #json.keys(v) == 0) then
    return nil, errors.generic(500)
  end
  local ids = json.arr()
  local keys = json.is_obj(v) and json.keys(v) or nil
  for i = 1, keys and #keys or #v do
    local id, err = _M.id_of(kind.what == "tags" and "tags" or kind.target, keys and v[keys[i]] or v[i])
    if not id then return nil, err end
    ids[#ids + 1] = id
  end
  return ids
end

local function blank(v) return v == nil or v == null or v == "" end

local function taken(r, prop, value, own_id, op)
  for _, other in ipairs(rows.all(r)) do
    if other[prop] == value and (op == "put" or other.id ~= own_id) then return true end
  end
  return false
end

-- input: what was sent; whole: the values the entity would have after the write
-- -> nil | the refusal
function _M.refusal(r, input, whole, op, own_id)
  for _, p in ipairs(json.keys(input)) do
    local v = input[p]
    -- (null only where the schema allows it: a tag's name set to null is a 500)
    if r.writable[p] and (v == null or not r.kinds[p]) and not type_ok(r.types[p], v) then
      return errors.generic(500)
    end
  end
  for _, p in ipairs(r.required) do
    if blank(whole[p]) then return errors.generic(422) end
  end
  for _, p in ipairs(r.practice) do
    if blank(whole[p]) then return errors.generic(500) end
  end
  for _, p in ipairs(r.unique) do
    if input[p] ~= nil and not blank(whole[p]) and taken(r, p, whole[p], own_id, op) then
      return errors.generic(422)
    end
  end
  if r.name == "users" then
    local pw = input.plainPassword
    if op == "patch" and pw == nil then return errors.generic(500) end   -- users.patch.merge_patch
    if pw ~= nil and type(pw) ~= "string" then return errors.generic(500) end
    if type(pw) == "string" and password.weak(pw, { whole.username, whole.email }) then
      return errors.generic(422)
    end
  end
end

return _M
