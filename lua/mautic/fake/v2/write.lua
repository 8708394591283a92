-- /api/v2 writes (SUMMARY §2.4): POST creates from the entity's defaults,
-- PUT replaces (what it leaves out goes back to the default, a uuid too),
-- PATCH is a JSON merge patch (null removes). Only the write schema's
-- properties are taken; the others are ignored without a word.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local rows = require "mautic.fake.v2.rows"
local checks = require "mautic.fake.v2.checks"
local errors = require "mautic.fake.v2.errors"

local null = json.null

local _M = {}

local IDENTIFYING = { "email", "firstname", "lastname", "company" }


-- what an entity's own code adds: a contact's identification date, a lead field's
-- alias, a webhook's events (from the triggers sent), a user's login dates on PUT
local function adjust(r, v, input, op)
  if r.name == "contacts" and v.dateIdentified == nil then
    for _, k in ipairs(IDENTIFYING) do
      if v[k] ~= nil and v[k] ~= null and v[k] ~= "" then v.dateIdentified = util.iso(); break end
    end
  elseif r.name == "lead_fields" then
    if (v.alias == nil or v.alias == null) and type(v.label) == "string" then v.alias = util.slug(v.label, "_") end
    if v.object == nil then v.object = "lead" end
  elseif r.name == "webhooks" then
    if input.triggers ~= nil then
      local ev = json.obj()
      for _, t in ipairs(util.list(input.triggers)) do ev[tostring(t)] = json.arr() end
      v.events = ev
    end
    if v.events == nil or (json.is_obj(v.events) and #json.keys(v.events) == 0) then v.events = json.arr() end
    json.remove(v, "triggers")
  elseif r.name == "users" and op == "put" then
    v.lastLogin, v.lastActive = util.iso(), util.iso()
  end
end

-- input onto values (relations as ids); PATCH: null removes
local function apply(r, v, input)
  for _, p in ipairs(json.keys(input)) do
    if r.writable[p] then
      local x = input[p]
      if r.kinds[p] and x ~= null then
        local err
        x, err = checks.relation(r.kinds[p], x)
        if x == nil then return err end
      end
      if x == null then json.remove(v, p) else v[p] = x end
    end
  end
end

local function fresh(r)
  local v = json.obj()
  for _, p in ipairs(json.keys(r.defaults)) do v[p] = json.copy(r.defaults[p]) end
  return v
end

-- -> values, status | nil, refusal. op: "create" | "put" | "patch"
function _M.write(r, op, input, current, ident)
  if r.put_500 and op == "put" then return nil, errors.generic(500) end
  local v = op == "patch" and json.copy(current) or fresh(r)
  local err = apply(r, v, input)
  if err then return nil, err end
  err = checks.refusal(r, input, v, op, current and current.id)
  if err then return nil, err end
  if op == "create" then
    for _, p in ipairs(r.stamp) do
      if p ~= "dateIdentified" then v[p] = util.iso() end
    end
    if r.has_uuid then v.uuid = rows.uuid() end
  end
  adjust(r, v, input, op)
  local id = rows.save(r, current and current.id, v, ident)
  return rows.load(r, id)
end

return _M
