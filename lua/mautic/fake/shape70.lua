-- The keys a Mautic 7.0 entity has that 5.1's has not, and the other way
-- round (reference/real-mautic-7.0/SUMMARY.md §1.3). The fake stores and
-- builds every entity in its 5.1 shape; in 7.0 mode app.lua passes each /api
-- answer through `answer`, which reshapes the entities it finds under their
-- family's item or list key (a copy: the stored rows are never touched).
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"
local families = require "mautic.fake.families"
local versions = require "mautic.fake.versions"

local null, A = json.null, json.A

local _M = {}

-- the 14 families whose items (and nested translation/variant children) carry "projects": []
local PROJECTS = {
  assets = true, campaigns = true, companies = true, dynamiccontents = true, emails = true, focus = true,
  forms = true, messages = true, pages = true, points = true, ["points/triggers"] = true, segments = true,
  smses = true, stages = true,
}

-- a copy of `e` in order, without the keys of `drop`, with after[k] = { {key, value}, ... }
-- inserted after key k, and `tail` appended
local function reshape(e, drop, after, tail)
  local out = json.obj()
  for _, k in ipairs(json.keys(e)) do
    if not (drop and drop[k]) then
      out[k] = e[k]
      for _, kv in ipairs(after and after[k] or {}) do out[kv[1]] = kv[2] end
    end
  end
  for _, kv in ipairs(tail or {}) do out[kv[1]] = kv[2] end
  return out
end

local DC_AUDIT = { isPublished = true, dateAdded = true, dateModified = true, createdBy = true,
                   createdByUser = true, modifiedBy = true, modifiedByUser = true }

-- family path -> function(e) -> the 7.0 entity (e is a copy it may change)
local FAMILY = {}

FAMILY.dynamiccontents = function(e)
  if not versions.has("dynamic_content_type") then return e end
  return reshape(e, DC_AUDIT, { category = { { "type", "html" } } })
end

local function field(e)
  if not versions.has("field_index") then return e end
  local limit = e.charLengthLimit                 -- set (null) only by a refused PUT's preview
  if limit == nil then
    limit = store.extra("field_limits")[e.id]
    if type(limit) ~= "number" then limit = 64 end
  end
  return reshape(e, { charLengthLimit = true }, nil, { { "isIndex", e.alias == "email" },
                                                       { "charLengthLimit", limit } })
end
FAMILY["fields/contact"], FAMILY["fields/company"] = field, field

FAMILY.emails = function(e)
  if not versions.has("email_preheader") then return e end
  return reshape(e, nil, { utmTags = { { "preheaderText", null } } })
end

FAMILY.forms = function(e)
  if not versions.has("form_field_width") or not json.is_arr(e.fields) then return e end
  local fields = A{}
  for i, f in ipairs(e.fields) do
    fields[i] = type(f) == "table" and reshape(f, nil, { isAutoFill = { { "isReadOnly", false } } },
                                                  { { "fieldWidth", "100%" } }) or f
  end
  e.fields = fields
  return e
end

FAMILY.focus = function(e)
  if versions.has("focus_cache_null") and e.cache ~= nil then e.cache = null end
  return e
end

local function with_projects(e)
  for _, k in ipairs({ "translationChildren", "variantChildren" }) do
    if json.is_arr(e[k]) then
      local kids = A{}
      for i, c in ipairs(e[k]) do
        kids[i] = json.is_obj(c) and reshape(c, nil, nil, { { "projects", A{} } }) or c
      end
      e[k] = kids
    end
  end
  return reshape(e, { projects = true }, nil, { { "projects", A{} } })
end

--- One entity of family path `fam` as 7.0 answers it.
function _M.entity(fam, e)
  if not json.is_obj(e) then return e end
  e = json.copy(e)
  local f = FAMILY[fam]
  if f then e = f(e) end
  if PROJECTS[fam] and versions.has("projects") then e = with_projects(e) end
  return e
end

-- item key / list key -> family path ("field"/"fields" name both field families:
-- their 7.0 changes are the same)
local ITEM, LIST = {}, {}
for _, F in ipairs(families.list) do
  ITEM[F.item] = ITEM[F.item] or F.path
  LIST[F.list] = LIST[F.list] or F.path
end

-- a whole entity, not the short form verbs answer (a contact's segments, a
-- campaign named by its events): those stay as 5.1 has them
local function is_entity(v)
  return json.is_obj(v) and (v.isPublished ~= nil or v.slotName ~= nil or (v.score ~= nil and v.fields ~= nil))
end

local function each(list, fam)
  if json.is_arr(list) then
    local out = A{}
    for i, e in ipairs(list) do out[i] = is_entity(e) and _M.entity(fam, e) or e end
    return out
  end
  if json.is_obj(list) then
    local out = json.obj()
    for _, k in ipairs(json.keys(list)) do out[k] = is_entity(list[k]) and _M.entity(fam, list[k]) or list[k] end
    return out
  end
  return list
end

--- A handler's answer as 7.0 sends it: the entities under the top-level keys
-- that name a family (item: one entity, list: an array or an object keyed by id).
function _M.answer(res)
  local body = res.body
  if not versions.has("reshaped_entities") or not json.is_obj(body) then return res end
  local out = json.obj()
  for _, k in ipairs(json.keys(body)) do
    local v = body[k]
    if ITEM[k] and is_entity(v) then v = _M.entity(ITEM[k], v)
    elseif LIST[k] then v = each(v, LIST[k]) end
    out[k] = v
  end
  res.body = out
  return res
end

return _M
