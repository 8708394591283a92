-- Entities whose values live in custom fields (contacts, companies): the
-- "fields" block {core, social, personal, professional, all} built from
-- the fields/contact or fields/company rows.
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"
local fv = require "mautic.fake.field_values"

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

-- The columns of the leads and companies tables, in table order: a row read by a
-- list (or a batch) has its values in this order; custom fields are columns added
-- at the end, in the order they were created.
local COLUMNS = {
  lead = { "points", "last_active", "title", "firstname", "lastname", "company", "position", "email", "phone",
           "mobile", "address1", "address2", "city", "state", "zipcode", "timezone", "country", "fax",
           "preferred_locale", "attribution_date", "attribution", "website", "facebook", "foursquare",
           "instagram", "linkedin", "skype", "twitter" },
  company = { "companyemail", "companyaddress1", "companyaddress2", "companyphone", "companycity", "companystate",
              "companyzipcode", "companycountry", "companyname", "companywebsite", "companyindustry",
              "companydescription", "companynumber_of_employees", "companyfax", "companyannual_revenue" },
}
local RANK = {}
for object, cols in pairs(COLUMNS) do
  RANK[object] = {}
  for i, c in ipairs(cols) do RANK[object][c] = i end
end

-- the same definitions in table column order
function _M.column_defs(family, object)
  local defs = _M.defs(family)
  local rank = RANK[object] or {}
  table.sort(defs, function(a, b)
    local ra, rb = rank[a.alias] or (1000 + a.id), rank[b.alias] or (1000 + b.id)
    return ra < rb
  end)
  return defs
end

-- normalizedValue: a boolean's yes/no label, a list value's label
local function normalized(f, v)
  if v == nil or v == null then return "" end
  local p = f.properties
  if f.type == "boolean" and type(p) == "table" and p ~= null and (p.yes or p.no) then
    if v == true or v == 1 or v == "1" then return p.yes or v end
    if v == false or v == 0 or v == "0" then return p.no or v end
  elseif (f.type == "select" or f.type == "multiselect") and type(v) == "string" then
    local out = {}
    for part in (v .. "|"):gmatch("(.-)|") do out[#out + 1] = fv.label(f, part) end
    return table.concat(out, "|")
  end
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
    e.normalizedValue = normalized(f, value)
    return e
  end
  local props = f.properties
  if props == nil or props == null then props = A{} end
  return O{ "id", tostring(f.id), "label", f.label, "alias", f.alias, "type", f.type, "group", f.group,
            "object", f.object, "is_fixed", f.isFixed and "1" or "0",
            "properties", php_serialize(props), "default_value", f.defaultValue == nil and null or f.defaultValue,
            "value", value, "normalizedValue", normalized(f, value) }
end

local GROUPS = { lead = { "core", "social", "personal", "professional" },
                 company = { "core", "professional", "social", "personal" },
                 company_db = { "core", "professional", "other" } }

-- the "fields" block of a contact or company.
-- values: alias -> value; overrides: alias -> value that wins
-- opts.fresh: the create answer's shape (else the shape read back from the database)
-- opts.columns: table column order (a list or batch read) instead of the fields' order
-- opts.all = false: no "all" group; opts.deleted: "all" has a null id
-- all_overrides: alias -> value that wins in "all" only
function _M.block(family, object, id, values, opts, overrides, all_overrides)
  opts = opts or {}
  local fresh = opts.fresh
  local order = GROUPS[object]
  if object == "company" and not fresh then order = GROUPS.company_db end
  local groups, names = {}, {}
  for _, g in ipairs(order) do groups[g] = json.obj(); names[#names + 1] = g end
  local defs = opts.columns and _M.column_defs(family, object) or _M.defs(family)
  local by_group = {}
  for _, f in ipairs(defs) do
    local g = f.group
    if g == nil or g == null then g = "" end      -- PHP files a null group under ""
    if not groups[g] then groups[g] = json.obj(); names[#names + 1] = g end
    local v = values[f.alias]
    if v == nil then v = null end
    -- number fields are FLOAT columns (points is an integer property of its own), which
    -- the API answers as integers unless the field has a scale
    if f.type == "number" and f.alias ~= "points" and type(v) == "number" then v = fv.number_out(f, v) end
    if overrides and overrides[f.alias] ~= nil then v = overrides[f.alias] end
    groups[g][f.alias] = _M.field_entry(f, v, fresh, object)
    by_group[g] = by_group[g] or {}
    if all_overrides and all_overrides[f.alias] ~= nil then
      v = all_overrides[f.alias]
    end
    table.insert(by_group[g], { f.alias, v })
  end
  local out = json.obj()
  for _, g in ipairs(names) do
    local grp = groups[g]
    out[g] = (#json.keys(grp) == 0) and A{} or grp
  end
  if opts.all ~= false then
    local all = json.obj()
    if opts.deleted then all.id = null
    elseif object == "lead" then all.id = tostring(id)
    else all.id = id end
    for _, g in ipairs(names) do
      for _, pair in ipairs(by_group[g] or {}) do all[pair[1]] = pair[2] end
    end
    out.all = all
  end
  return out
end

return _M
