-- Where /api/v2 rows live: the fake's store (store.lua), shared with /api.
--
-- A resource's state is seen here as its "values": an ordered object of v2
-- property -> value, relations held as ids (a list of ids for tags and other
-- lists). load(r, id) -> values | nil; all(r) -> { values, ... } by id;
-- save(r, id | nil, values, ident) -> id; remove(r, id).
--
-- Generic rows (segments, tags, emails...) are the /api entity itself (its
-- template's keys, data/templates.lua), so /api reads what /api/v2 wrote; v2
-- properties /api does not have, and every relation, sit in a side table of
-- the store. Contacts, companies and lead fields keep /api's own records.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local data = require "mautic.fake.data.templates"
local entity = require "mautic.fake.entity"
local people = require "mautic.fake.v2.people"
local resources = require "mautic.fake.v2.resources"

local null = json.null

local _M = {}

local LEAD_FIELDS = { "fields/contact", "fields/company" }

-- a random (version 4) UUID, as Doctrine gives every new entity
function _M.uuid()
  local t = {}
  for i = 1, 16 do t[i] = math.random(0, 255) end
  t[7] = t[7] % 16 + 64       -- version 4
  t[9] = t[9] % 64 + 128      -- RFC 4122 variant
  local h = {}
  for i = 1, 16 do h[i] = string.format("%02x", t[i]) end
  local s = table.concat(h)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21)
end


local function side(fam, id)
  local all = store.extra("v2_side")
  local key = fam .. ":" .. math.floor(id)
  local t = all[key]
  if not t then t = {}; all[key] = t end
  return t
end

local function forget_side(fam, id) store.extra("v2_side")[fam .. ":" .. math.floor(id)] = nil end

local function families(r)
  if r.name == "lead_fields" then return LEAD_FIELDS end
  return { r.family }
end

local function find(r, id)
  for _, fam in ipairs(families(r)) do
    local row = store.get(fam, id)
    if row then return row, fam end
  end
end

-- relations /api embeds as an object: kept there in /api's shape (so that each
-- API reads what the other wrote), read back by the object's id
local API_REPR = { category = entity.category_repr, role = entity.role_repr }

local function api_relation(tpl, p)
  return API_REPR[p] ~= nil and tpl ~= nil and tpl[p] ~= nil
end

-- a generic row: the /api template's keys in the row, the rest beside it
-- (a row /api wrote has no side table: its relations are /api's embedded
-- objects, and what /api does not have is the v2 default)
local function read_generic(r, row, fam)
  local extra = side(fam, row.id)
  local tpl = data.templates[fam] or {}
  local v = json.obj()
  for _, p in ipairs(r.read) do
    local x
    if p == "id" then x = row.id
    elseif r.kinds[p] == nil and row[p] ~= nil then x = row[p]
    elseif api_relation(tpl, p) then x = type(row[p]) == "table" and row[p] ~= null and row[p].id or nil
    else x = extra[p] end
    if x == nil and not extra.v2 and tpl[p] == nil then x = json.copy(r.defaults[p]) end
    if x == nil and p == "uuid" and not extra.v2 then extra.uuid = _M.uuid(); x = extra.uuid end
    if x ~= nil and x ~= null then v[p] = x end
  end
  return v
end

local function write_generic(r, fam, row, values)
  local tpl = data.templates[fam]
  local extra = side(fam, row.id)
  extra.v2 = true        -- written by /api/v2: what it left out stays out
  for _, p in ipairs(r.read) do
    if p ~= "id" then
      local x = values[p]
      if api_relation(tpl, p) then
        row[p] = x ~= nil and API_REPR[p](x) or null
      elseif r.kinds[p] == nil and tpl and tpl[p] ~= nil then
        if x == nil then x = type(tpl[p]) == "table" and json.copy(tpl[p]) or null end
        row[p] = x
      else
        extra[p] = x
      end
    end
  end
end

local function new_generic(fam)
  local tpl = data.templates[fam]
  local row = tpl and json.copy(tpl) or json.obj()
  row.id = store.next_id(fam)
  if row.dateAdded ~= nil then row.dateAdded = util.iso() end
  return row
end

local function lead_family(values)
  return values.object == "company" and "fields/company" or "fields/contact"
end

-- the lists that are another resource's relation seen from this side
local function inverse(r, v)
  for p, side_of in pairs(r.inverse) do
    local child = resources.get(side_of[1])
    local ids = json.arr()
    for _, c in ipairs(_M.all(child)) do
      if c[side_of[2]] == v.id then ids[#ids + 1] = c.id end
    end
    v[p] = ids
  end
  return v
end

function _M.load(r, id)
  id = tonumber(id)
  if not id or id ~= math.floor(id) then return nil end
  if people[r.name] then return people[r.name].load(id) end
  local row, fam = find(r, id)
  if not row then return nil end
  return inverse(r, read_generic(r, row, fam))
end

function _M.all(r)
  local ids = {}
  if people[r.name] then
    for _, row in ipairs(store.all(r.family)) do ids[#ids + 1] = row.id end
  else
    for _, fam in ipairs(families(r)) do
      for _, row in ipairs(store.all(fam)) do ids[#ids + 1] = row.id end
    end
    table.sort(ids)
  end
  local out = {}
  for _, id in ipairs(ids) do out[#out + 1] = _M.load(r, id) end
  return out
end

function _M.save(r, id, values, ident)
  if people[r.name] then return people[r.name].save(id, values, ident) end
  local row, fam
  if id then row, fam = find(r, id) end
  if not row then
    fam = r.name == "lead_fields" and lead_family(values) or r.family
    row = new_generic(fam)
  end
  values.id = row.id
  write_generic(r, fam, row, values)
  store.put(fam, row.id, row)
  return row.id
end

function _M.remove(r, id)
  if people[r.name] then return people[r.name].remove(id) end
  local row, fam = find(r, id)
  if not row then return end
  store.delete(fam, row.id)
  forget_side(fam, row.id)
end

return _M
