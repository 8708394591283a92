-- Entities whose values live in custom fields (contacts, companies): the
-- "fields" block {core, social, personal, professional, all} built from
-- the fields/contact or fields/company rows.
local json = require "fake_mautic.json"
local store = require "fake_mautic.store"

local null = json.null
local O, A = json.O, json.A

local _M = {}

-- PHP serialize() of a decoded properties value
local function php_serialize(v)
  if v == nil or v == null then return "N;" end
  local t = type(v)
  if t == "boolean" then return "b:" .. (v and 1 or 0) .. ";" end
  if t == "number" then
    if v == math.floor(v) then return "i:" .. string.format("%d", v) .. ";" end
    return "d:" .. tostring(v) .. ";"
  end
  if t == "string" then return 's:' .. #v .. ':"' .. v .. '";' end
  local parts, n = {}, 0
  if json.is_obj(v) then
    for _, k in ipairs(json.keys(v)) do
      n = n + 1
      local kk = tonumber(k) and ("i:" .. k .. ";") or php_serialize(k)
      parts[#parts + 1] = kk .. php_serialize(v[k])
    end
  else
    for i, x in ipairs(v) do
      n = n + 1
      parts[#parts + 1] = "i:" .. (i - 1) .. ";" .. php_serialize(x)
    end
  end
  return "a:" .. n .. ":{" .. table.concat(parts) .. "}"
end
_M.php_serialize = php_serialize

-- field definitions of an object ("lead" or "company"), in display order
function _M.defs(family)
  local defs = {}
  for _, f in ipairs(store.all(family)) do
    if f.isPublished ~= false then defs[#defs + 1] = f end
  end
  table.sort(defs, function(a, b)
    local oa, ob = tonumber(a.order) or 0, tonumber(b.order) or 0
    if oa ~= ob then return oa < ob end
    return a.id < b.id
  end)
  return defs
end

function _M.aliases(family)
  local set = {}
  for _, f in ipairs(store.all(family)) do set[f.alias] = f end
  return set
end

local function normalized(v)
  if v == nil or v == null then return "" end
  return v
end

-- fresh: the shape of the create answer (int ids, decoded properties);
-- else the shape read back from the database (string ids, serialized properties)
function _M.field_entry(f, value, fresh, object)
  if value == nil then value = null end
  if fresh then
    local props = f.properties
    if props == nil or props == null or (json.is_obj(props) and #json.keys(props) == 0) then props = A{} end
    local e = O{ "id", f.id, "group", f.group, "label", f.label, "alias", f.alias, "type", f.type }
    if object == "lead" then e.properties = props end
    e.value = value
    e.normalizedValue = normalized(value)
    return e
  end
  local props = f.properties
  if props == nil or props == null then props = A{} end
  return O{ "id", tostring(f.id), "label", f.label, "alias", f.alias, "type", f.type, "group", f.group,
            "object", f.object, "is_fixed", f.isFixed and "1" or "0",
            "properties", php_serialize(props), "default_value", f.defaultValue == nil and null or f.defaultValue,
            "value", value, "normalizedValue", normalized(value) }
end

local GROUPS = { lead = { "core", "social", "personal", "professional" },
                 company = { "core", "professional", "social", "personal" },
                 company_db = { "core", "professional", "other" } }

-- values: alias -> value; extra: function(alias) -> value override
function _M.block(family, object, id, values, fresh, overrides)
  local groups = json.obj()
  local order = GROUPS[object]
  if object == "company" and not fresh then order = GROUPS.company_db end
  for _, g in ipairs(order) do groups[g] = json.obj() end
  local all = json.obj()
  all.id = (object == "lead" or not fresh) and tostring(id) or id
  if object == "company" and fresh then all.id = id end
  for _, f in ipairs(_M.defs(family)) do
    local v = values[f.alias]
    if overrides and overrides[f.alias] ~= nil then v = overrides[f.alias] end
    if v == nil then v = null end
    local g = groups[f.group]
    if not g then g = json.obj(); groups[f.group] = g end
    g[f.alias] = _M.field_entry(f, v, fresh, object)
    all[f.alias] = v
  end
  local out = json.obj()
  for _, g in ipairs(order) do
    local grp = groups[g]
    out[g] = (#json.keys(grp) == 0) and A{} or grp
  end
  for _, g in ipairs(json.keys(groups)) do
    if out[g] == nil then out[g] = groups[g] end
  end
  out.all = all
  return out
end

return _M
