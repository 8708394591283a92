-- Campaign events (SUMMARY.md §5): the events of the stored campaigns
-- (created with an `events` array) and the per-contact event log that
-- PUT .../contact/{cid}/edit and batch/edit write (scheduled trigger dates).
local json = require "fake_mautic.json"
local util = require "fake_mautic.util"
local store = require "fake_mautic.store"
local responses = require "fake_mautic.responses"

local null = json.null
local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

local BASE_KEYS = { "id", "name", "description", "type", "eventType", "channel", "channelId", "order",
                    "properties", "triggerDate", "triggerInterval", "triggerIntervalUnit", "triggerHour",
                    "triggerRestrictedStartHour", "triggerRestrictedStopHour", "triggerRestrictedDaysOfWeek",
                    "triggerMode", "decisionPath", "parent", "children" }
local DEFAULTS = { triggerRestrictedDaysOfWeek = function() return A{} end, children = function() return A{} end }

-- every event: array of { event =, campaign = }, ordered by event id
function _M.all()
  local out = {}
  for _, c in ipairs(store.all("campaigns")) do
    for _, e in ipairs(util.list(c.events)) do
      if type(e) == "table" and tonumber(e.id) then out[#out + 1] = { event = e, campaign = c } end
    end
  end
  table.sort(out, function(a, b) return tonumber(a.event.id) < tonumber(b.event.id) end)
  return out
end

function _M.find(id)
  id = tonumber(id)
  if not id then return nil end
  for _, x in ipairs(_M.all()) do
    if tonumber(x.event.id) == id then return x end
  end
end

local function campaign_short(c)
  return O{ "id", c.id, "name", c.name, "category", c.category == nil and null or c.category,
            "description", c.description == nil and null or c.description }
end

-- the event's own fields; skip = set of keys to leave out
local function event_fields(e, skip)
  local o = json.obj()
  for _, k in ipairs(BASE_KEYS) do
    if not (skip and skip[k]) then
      local v = e[k]
      if v == nil then v = DEFAULTS[k] and DEFAULTS[k]() or null end
      o[k] = v
    end
  end
  return o
end

local LOG_VIEW = { properties = true, children = true }

local function logs() return store.extra("campaign_event_logs") end

local function log_body(l)
  return O{ "ipAddress", null, "dateTriggered", l.dateTriggered or null, "isScheduled", l.isScheduled,
            "triggerDate", l.triggerDate or null, "metadata", l.metadata or A{},
            "nonActionPathTaken", false, "channel", null, "channelId", null, "rotation", 1 }
end

local function contact_log(event_id, contact_id)
  local out = A{}
  local m = logs()[tonumber(event_id)]
  local l = m and m[tonumber(contact_id)]
  if l then out[1] = log_body(l) end
  return out
end

local function contact_view(x, contact_id)
  local o = event_fields(x.event, LOG_VIEW)
  o.contactLog = contact_log(x.event.id, contact_id)
  return o
end

---------------------------------------------------------------- reads

function _M.list(req)
  local rows = {}
  local ids, search = require("fake_mautic.search").take_ids(req.args.search)
  for _, x in ipairs(_M.all()) do
    if (not ids or require("fake_mautic.search").ids_match(ids, x.event.id)) and
       (type(search) ~= "string" or search == "" or
        tostring(x.event.name or ""):lower():find(search:lower(), 1, true)) then
      rows[#rows + 1] = x
    end
  end
  if req.args.orderBy == "name" or req.args.orderBy == "order" then
    local col = req.args.orderBy
    table.sort(rows, function(a, b)
      return tostring(a.event[col]) < tostring(b.event[col])
    end)
  end
  if tostring(req.args.orderByDir or ""):lower() == "desc" then
    local r = {}
    for i = #rows, 1, -1 do r[#r + 1] = rows[i] end
    rows = r
  end
  local start = util.int(req.args.start) or 0
  local limit = util.int(req.args.limit) or 30
  local out = A{}
  local last = limit <= 0 and #rows or math.min(#rows, start + limit)
  for i = start + 1, last do
    local o = event_fields(rows[i].event)
    o.campaign = campaign_short(rows[i].campaign)
    out[#out + 1] = o
  end
  return ok(O{ "total", #rows, "events", out })
end

function _M.get(req)
  local x = _M.find(req.params.id)
  if not x then return not_found() end
  local o = event_fields(x.event)
  o.campaign = campaign_short(x.campaign)
  return ok(O{ "event", o })
end

-- every event that has a log for this contact
function _M.contact_events(req)
  local rec = store.get("contacts", req.params.contactId)
  if not rec then return not_found() end
  local out = A{}
  for _, x in ipairs(_M.all()) do
    local m = logs()[tonumber(x.event.id)]
    if m and m[rec.id] then
      local o = contact_view(x, rec.id)
      o.campaign = campaign_short(x.campaign)
      out[#out + 1] = o
    end
  end
  return ok(O{ "total", #out, "events", out })
end

function _M.campaign_contact_events(req)
  local c = store.get("campaigns", req.params.id)
  if not c then return not_found() end
  local rec = store.get("contacts", req.params.contactId)
  if not rec then return not_found() end
  local out = A{}
  for _, x in ipairs(_M.all()) do
    if x.campaign == c then out[#out + 1] = contact_view(x, rec.id) end
  end
  local membership = A{}
  local m = store.extra("campaign_members")[c.id]
  if m and m[rec.id] then
    membership[1] = O{ "dateAdded", m[rec.id].dateAdded, "manuallyRemoved", false, "manuallyAdded", true,
                       "rotation", 1, "dateLastExited", null }
  end
  return ok(O{ "total", #out, "events", out, "campaign", campaign_short(c), "membership", membership })
end

---------------------------------------------------------------- edits

-- "2030-01-01 10:00:00" / "2030-01-01T10:00:00+00:00" / "2030-01-01" -> ISO 8601 (UTC)
local function iso_date(v)
  if type(v) ~= "string" then return nil end
  local y, mo, d, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  local h, mi, s = rest:match("^[T ](%d%d):(%d%d):?(%d?%d?)")
  return string.format("%s-%s-%sT%s:%s:%s+00:00", y, mo, d, h or "00", mi or "00", (s ~= nil and s ~= "") and s or "00")
end

-- write the log of one contact/event; -> log | nil, error response
local function apply_edit(event_id, contact_id, input)
  local x = _M.find(event_id)
  if not x then return nil, not_found() end
  local rec = store.get("contacts", contact_id)
  if not rec then return nil, not_found("Contact not found.") end
  local all = logs()
  local m = all[tonumber(x.event.id)]
  if not m then m = {}; all[tonumber(x.event.id)] = m end
  local l = m[rec.id]
  if not l then l = { isScheduled = true }; m[rec.id] = l end
  if input.triggerDate ~= nil then
    local d = iso_date(input.triggerDate)
    if not d then return nil, responses.bad_request("triggerDate: a date (Y-m-d H:i:s) is required.") end
    l.triggerDate = d
    l.isScheduled = true
  end
  if input.dateTriggered ~= nil then l.dateTriggered = iso_date(input.dateTriggered) end
  if input.isScheduled ~= nil then l.isScheduled = util.truthy(input.isScheduled) end
  if type(input.metadata) == "table" then l.metadata = input.metadata end
  return x, rec
end

function _M.edit_contact_event(req)
  local input = type(req.input) == "table" and req.input or json.obj()
  local x, rec = apply_edit(req.params.eventId, req.params.contactId, input)
  if not x then return rec end
  local o = event_fields(x.event, LOG_VIEW)
  local c = x.campaign
  o.campaign = O{ "id", c.id, "name", c.name, "category", c.category == nil and null or c.category,
                  "description", c.description == nil and null or c.description,
                  "allowRestart", c.allowRestart == true, "publishUp", c.publishUp == nil and null or c.publishUp,
                  "publishDown", c.publishDown == nil and null or c.publishDown, "events", A{}, "deleted", null }
  o.contactLog = contact_log(x.event.id, rec.id)
  return ok(O{ "event", o }, 201)
end

function _M.edit_batch(req)
  local items = req.input
  if not json.is_arr(items) then
    if json.is_obj(items) and #json.keys(items) == 0 then items = {} else items = util.list(items) end
  end
  local events, errors = json.obj(), json.obj()
  for i, item in ipairs(items) do
    if type(item) ~= "table" or item.eventId == nil or item.contactId == nil then
      errors[tostring(i - 1)] = O{ "message", "eventId and contactId are required.", "code", 400, "type", "api" }
    else
      local x, rec = apply_edit(item.eventId, item.contactId, item)
      if x then
        events[tostring(x.event.id)] = contact_view(x, rec.id)
      else
        local e = rec.body.errors[1]
        errors[tostring(i - 1)] = O{ "message", e.message, "code", rec.status, "type", "api" }
      end
    end
  end
  local body = O{ "events", #json.keys(events) == 0 and A{} or events }
  if #json.keys(errors) > 0 then body.errors = errors end
  return ok(body)
end

function _M.routes()
  return {
    { "GET", "/api/campaigns/events", _M.list },
    { "GET", "/api/campaigns/events/{id}", _M.get },
    { "GET", "/api/campaigns/events/contact/{contactId}", _M.contact_events },
    { "GET", "/api/campaigns/{id}/events/contact/{contactId}", _M.campaign_contact_events },
    { "PUT", "/api/campaigns/events/{eventId}/contact/{contactId}/edit", _M.edit_contact_event },
    { "PUT", "/api/campaigns/events/batch/edit", _M.edit_batch },
  }
end

return _M
