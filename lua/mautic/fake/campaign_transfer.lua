-- Mautic 7.0's campaign export and import (reference/real-mautic-7.0/SUMMARY.md
-- §1.6): GET /api/campaigns/export/{id} answers an array of one object holding
-- the campaign, its events and segments as snake_case table rows with their
-- uuids; POST /api/campaigns/import takes that array as a JSON body, or a zip
-- upload holding it as a top-level *.json file (checked on a real 7.0.0).
-- A known campaign uuid updates that campaign, a new one creates a campaign;
-- either way it ends unpublished. A known event or segment uuid is reused (an
-- event moves to the imported campaign, as recorded), a new one is created.
-- Errors are 400 {"error": "..."}. Only routed when versions.has
-- "campaign_transfer": 5.1 answers a route 404.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local families = require "mautic.fake.families"
local entity = require "mautic.fake.entity"
local multipart = require "mautic.fake.multipart"
local zip = require "mautic.fake.zip"

local null, O, A = json.null, json.O, json.A

local _M = {}

---------------------------------------------------------------- uuids

-- uuids are given on the first export (or by an import): "campaigns:2" -> uuid
local function uuids() return store.extra("uuids") end

local function new_uuid()
  local hex = {}
  for i = 1, 32 do hex[i] = string.format("%x", math.random(0, 15)) end
  hex[13] = "4"
  hex[17] = string.format("%x", 8 + math.random(0, 3))
  local s = table.concat(hex)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" .. s:sub(17, 20) .. "-" .. s:sub(21)
end

local function uuid_of(kind, id)
  local key = kind .. ":" .. tostring(id)
  local u = uuids()[key]
  if not u then u = new_uuid(); uuids()[key] = u end
  return u
end

-- the id of the `kind` ("campaigns", "events", "segments") that holds uuid u, or nil
local function id_of(kind, u)
  if type(u) ~= "string" then return nil end
  for key, v in pairs(uuids()) do
    if v == u then
      local k, id = key:match("^(.-):(%d+)$")
      if k == kind then return tonumber(id) end
    end
  end
end

---------------------------------------------------------------- export

local function event_row(c, e)
  return O{ "id", e.id, "campaign_id", c.id, "name", e.name, "description", e.description, "type", e.type,
            "event_type", e.eventType, "event_order", e.order, "properties", e.properties or A{},
            "trigger_interval", e.triggerInterval, "trigger_interval_unit", e.triggerIntervalUnit,
            "trigger_mode", e.triggerMode, "trigger_date", e.triggerDate, "trigger_hour", e.triggerHour,
            "triggerRestrictedStartHour", e.triggerRestrictedStartHour,
            "triggerRestrictedStopHour", e.triggerRestrictedStopHour,
            "triggerRestrictedDaysOfWeek", e.triggerRestrictedDaysOfWeek or A{}, "triggerWindow", null,
            "decisionPath", util.is_empty(e.decisionPath) and null or e.decisionPath,
            "channel", util.is_empty(e.channel) and null or e.channel,
            "channel_id", util.int(e.channelId) ~= 0 and util.int(e.channelId) or null,
            "parent_id", type(e.parent) == "table" and e.parent.id or null, "uuid", uuid_of("events", e.id) }
end

local function segment_row(s)
  return O{ "id", s.id, "name", s.name, "is_published", s.isPublished, "description", s.description,
            "alias", s.alias, "public_name", s.publicName, "filters", s.filters or A{},
            "is_global", s.isGlobal, "is_preference_center", s.isPreferenceCenter, "uuid", uuid_of("segments", s.id) }
end

function _M.export(req)
  local c = store.get("campaigns", req.params.id)
  if not c then return responses.not_found() end
  local events, lists, ev_deps, list_deps = A{}, A{}, A{}, A{}
  for _, e in ipairs(util.list(c.events)) do
    events[#events + 1] = event_row(c, e)
    ev_deps[#ev_deps + 1] = O{ "campaign", c.id, "campaign_event", e.id }
  end
  for _, l in ipairs(util.list(c.lists)) do
    local s = type(l) == "table" and store.get("segments", l.id)
    if s then
      lists[#lists + 1] = segment_row(s)
      list_deps[#list_deps + 1] = O{ "campaign", c.id, "lists", s.id }
    end
  end
  local campaign = O{ "id", c.id, "name", c.name, "description", c.description, "is_published", c.isPublished,
                      "canvas_settings", c.canvasSettings, "uuid", uuid_of("campaigns", c.id) }
  -- a campaign without segments has no "lists" key at all (checked on 7.0.0)
  local out = O{ "campaign", A{ campaign }, "campaign_event", events }
  local deps = O{ "campaign_event", ev_deps }
  if #lists > 0 then out.lists = lists; deps.lists = list_deps end
  out.dependencies = A{ deps }
  return responses.ok(A{ out })
end

---------------------------------------------------------------- import: what was sent

local function refuse(message) return { status = 400, version = true, body = O{ "error", message } } end
local NO_CONTENT = "No JSON content found and exactly one ZIP file must be uploaded."

-- PHP's upload temp name, quoted when the zip cannot be opened
local function php_tmp_name()
  local chars, t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", {}
  for i = 1, 6 do local k = math.random(1, #chars); t[i] = chars:sub(k, k) end
  return "/tmp/php" .. table.concat(t)
end

-- the export held by a zip upload -> payload | nil, error response
local function from_zip(file)
  local name = (file.filename or ""):lower()
  if not name:match("%.zip$") then return nil, refuse("Unsupported file type. Only ZIP archives are supported.") end
  local entries = zip.list(file.data)
  if not entries then return nil, refuse("Unable to open ZIP file: " .. php_tmp_name()) end
  local found
  for _, e in ipairs(entries) do
    if e.name:find("[/\\]") then return nil, refuse("Unsafe file path detected in ZIP: " .. e.name) end
    if not found and e.name:lower():match("%.json$") then found = e.name end
  end
  local text = found and zip.read(file.data, found)
  if not text then return nil, refuse("JSON file not found or not readable in ZIP archive.") end
  local payload = json.decode(text)
  if payload == nil then return nil, refuse("Invalid JSON: Syntax error") end
  return payload
end

local function has_campaign(payload)
  return json.is_arr(payload) and type(payload[1]) == "table" and payload[1].campaign ~= nil
end

-- -> the payload (an array of exports) | nil, error response
local function payload_of(req)
  if (req.content_type or ""):lower():find("multipart/form-data", 1, true) then
    local files = {}
    for _, p in ipairs(multipart.parse(req.body, req.content_type) or {}) do
      if p.filename ~= nil then files[#files + 1] = p end
    end
    if #files ~= 1 then return nil, refuse(NO_CONTENT) end
    local payload, err = from_zip(files[1])
    if not payload then return nil, err end
    -- a zip whose JSON names no campaign fails further in (recorded on 7.0.0: uncaught)
    if not has_campaign(payload) then return nil, responses.uncaught(500) end
    return payload
  end
  if not has_campaign(req.input) then return nil, refuse(NO_CONTENT) end
  return req.input
end

---------------------------------------------------------------- import: writing it

local function blank(v) return (v == nil or v == null) and "" or v end

-- the segments of one export -> their ids (a new uuid creates the segment)
local function segment_ids(exp, ident)
  local ids = A{}
  for _, row in ipairs(util.list(exp.lists)) do
    local id = id_of("segments", row.uuid)
    if not (id and store.get("segments", id)) and type(row) == "table" then
      local s = entity.create(families.get("segments"), O{ "name", row.name, "alias", row.alias,
        "publicName", row.public_name, "description", row.description, "filters", row.filters or A{},
        "isGlobal", row.is_global, "isPreferenceCenter", row.is_preference_center,
        "isPublished", row.is_published }, ident)
      id = s and s.id
      if id and type(row.uuid) == "string" then uuids()["segments:" .. id] = row.uuid end
    end
    if id then ids[#ids + 1] = id end
  end
  return ids
end

-- a campaign_event row as the API's events input; what import leaves empty reads ""
local function event_input(row)
  return O{ "name", row.name, "description", blank(row.description), "type", row.type,
            "eventType", row.event_type, "order", row.event_order, "properties", row.properties or A{},
            "triggerInterval", row.trigger_interval, "triggerIntervalUnit", row.trigger_interval_unit,
            "triggerMode", row.trigger_mode, "triggerDate", row.trigger_date, "triggerHour", row.trigger_hour,
            "triggerRestrictedStartHour", row.triggerRestrictedStartHour,
            "triggerRestrictedStopHour", row.triggerRestrictedStopHour,
            "triggerRestrictedDaysOfWeek", row.triggerRestrictedDaysOfWeek or A{},
            "decisionPath", blank(row.decisionPath), "channel", blank(row.channel),
            "channelId", tostring(util.int(row.channel_id) or 0) }
end

-- the imported events keep the id their uuid names, taken from any other campaign
local function adopt_events(c, rows)
  for i, e in ipairs(util.list(c.events)) do
    local u = rows[i] and rows[i].uuid
    local known = id_of("events", u)
    if known then
      for _, other in ipairs(store.all("campaigns")) do
        if other ~= c and json.is_arr(other.events) then
          local kept = A{}
          for _, x in ipairs(other.events) do if x.id ~= known then kept[#kept + 1] = x end end
          other.events = kept
        end
      end
      e.id = known
    elseif type(u) == "string" then
      uuids()["events:" .. e.id] = u
    end
  end
end

-- one export: the campaign its uuid names, updated, or a new one; unpublished
local function import_one(exp, ident)
  local F = families.get("campaigns")
  local camp = util.list(exp.campaign)[1]
  if type(camp) ~= "table" then return end
  local rows, events = util.list(exp.campaign_event), A{}
  for i, row in ipairs(rows) do events[i] = event_input(row) end
  local input = O{ "name", camp.name, "description", blank(camp.description), "isPublished", false,
                   "events", events, "lists", segment_ids(exp, ident),
                   "canvasSettings", camp.canvas_settings or O{ "nodes", A{}, "connections", A{} } }
  local id = id_of("campaigns", camp.uuid)
  local c = id and store.get("campaigns", id)
  if c then
    entity.edit(F, c, input, ident, false)
    c.dateModified = util.iso()                   -- the one write 7.0 moves dateModified for
  else
    -- the API's create refuses a campaign without events; an import does not
    if #events == 0 then input.events = A{ O{ "name", "-", "type", "-", "eventType", "action" } } end
    c = entity.create(F, input, ident)
    if not c then return end
    if #events == 0 then c.events = A{} end
    if type(camp.uuid) == "string" then uuids()["campaigns:" .. c.id] = camp.uuid end
  end
  adopt_events(c, rows)
end

function _M.import(req)
  local payload, err = payload_of(req)
  if not payload then return err end
  for _, exp in ipairs(payload) do
    if type(exp) == "table" then import_one(exp, req.ident) end
  end
  return responses.ok(A{ "Import successful: Imported campaigns are switched off by default." }, 201)
end

function _M.routes()
  return {
    { "GET", "/api/campaigns/export/{id}", _M.export, "campaign_transfer" },
    { "POST", "/api/campaigns/import", _M.import, "campaign_transfer" },
  }
end

return _M
