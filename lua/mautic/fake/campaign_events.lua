-- Campaign events (SUMMARY.md §5): the events of the stored campaigns
-- (created with an `events` array) and the per-contact event log that
-- PUT .../contact/{cid}/edit and batch/edit write (scheduled trigger dates).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local search = require "mautic.fake.search"

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
  local ids, text = search.take_ids(req.args.search)
  for _, x in ipairs(_M.all()) do
    if (not ids or search.ids_match(ids, x.event.id)) and
       (type(text) ~= "string" or text == "" or
        tostring(x.event.name or ""):lower():find(text:lower(), 1, true)) then
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
  local m = store.extra("campaign_members")[c.id]
  if not (m and m[rec.id]) then
    return responses.error(409, ("The contact %s is not in the campaign %s."):format(rec.id, c.id))
  end
  local out = A{}
  for _, x in ipairs(_M.all()) do
    if x.campaign == c then out[#out + 1] = contact_view(x, rec.id) end
  end
  local membership = A{}
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

-- Mautic's refusals of a log edit: 409 with the message of its flashes
local function conflict(msg) return responses.error(409, msg) end

-- write the log of one contact/event, by Mautic's rules: the contact must be in the
-- campaign; an executed event cannot be edited; a new log needs triggerDate or
-- dateTriggered; a decision cannot be scheduled.
-- -> event, contact, created | nil, error response
local function apply_edit(event_id, contact_id, input)
  local x = _M.find(event_id)
  if not x then return nil, not_found() end
  local rec = store.get("contacts", contact_id)
  if not rec then return nil, not_found("Contact not found.") end
  local c, e = x.campaign, x.event
  local members = store.extra("campaign_members")[c.id]
  if not (members and members[rec.id]) then
    return nil, conflict(("The contact %s is not in the campaign %s."):format(rec.id, c.id))
  end
  local all = logs()
  local m = all[tonumber(e.id)]
  local l = m and m[rec.id]
  if l and l.dateTriggered then
    return nil, conflict(("The event %s in the campaign %s has already been executed at %s for the contact %s.")
      :format(e.id, c.id, l.dateTriggered, rec.id))
  end
  if not l and input.triggerDate == nil and input.dateTriggered == nil then
    return nil, conflict(("The event %s in the campaign %s must be scheduled or marked as complete as the contact %s " ..
      "does not have a log entry yet."):format(e.id, c.id, rec.id))
  end
  if input.triggerDate ~= nil and e.eventType == "decision" then
    return nil, conflict(("A decision type event cannot be scheduled. Event: %s, campaign: %s, contact: %s.")
      :format(e.id, c.id, rec.id))
  end
  local trigger, triggered
  if input.triggerDate ~= nil then
    trigger = iso_date(input.triggerDate)
    if not trigger then return nil, responses.uncaught(500) end     -- new \DateTime() throws
  end
  if input.dateTriggered ~= nil then
    triggered = iso_date(input.dateTriggered)
    if not triggered then return nil, responses.uncaught(500) end
  end
  local created = false
  if not l then
    if not m then m = {}; all[tonumber(e.id)] = m end
    local seq = store.extra("subseq")
    seq.event_log = (seq.event_log or 0) + 1
    l = { id = seq.event_log }
    m[rec.id] = l
    created = true
  end
  l.updated = util.iso()
  if triggered then l.dateTriggered = triggered end
  if trigger then l.triggerDate = trigger end
  if type(input.metadata) == "table" then l.metadata = input.metadata end
  -- saved through the scheduler: scheduled, for now when no trigger date was given
  l.triggerDate = l.triggerDate or util.iso()
  l.isScheduled = true
  return x, rec, created
end

function _M.edit_contact_event(req)
  local input = type(req.input) == "table" and req.input or json.obj()
  local x, rec, created = apply_edit(req.params.eventId, req.params.contactId, input)
  if not x then return rec end
  local o = event_fields(x.event, LOG_VIEW)
  local c = x.campaign
  o.campaign = O{ "id", c.id, "name", c.name, "category", c.category == nil and null or c.category,
                  "description", c.description == nil and null or c.description,
                  "allowRestart", c.allowRestart == true, "publishUp", c.publishUp == nil and null or c.publishUp,
                  "publishDown", c.publishDown == nil and null or c.publishDown, "events", A{}, "deleted", null }
  o.contactLog = contact_log(x.event.id, rec.id)
  return ok(O{ "event", o }, created and 201 or 200)
end

-- every event named in the batch is answered (edited or not), keyed by id; an item
-- whose event or contact is unknown is a 404, a refused edit a 409 (errors by index)
function _M.edit_batch(req)
  local items = req.input
  if not json.is_arr(items) then
    if json.is_obj(items) and #json.keys(items) == 0 then items = {} else items = util.list(items) end
  end
  local found = {}
  for _, item in ipairs(items) do
    local x = type(item) == "table" and _M.find(item.eventId)
    if x then found[#found + 1] = x end
  end
  local errors = json.obj()
  local touched = {}
  for i, item in ipairs(items) do
    local ok_item = type(item) == "table" and item.eventId ~= nil and item.contactId ~= nil and
                    _M.find(item.eventId) and store.get("contacts", item.contactId)
    if not ok_item then
      errors[tostring(i - 1)] = O{ "message", "contactId and/or eventId are misssing from this item's parameters.",
                                   "code", 404, "type", "api" }
    else
      local x, rec = apply_edit(item.eventId, item.contactId, item)
      if x then
        touched[tonumber(x.event.id)] = rec.id
      else
        local e = rec.body.errors[1]
        errors[tostring(i - 1)] = O{ "code", rec.status, "message", e.message, "details", A{}, "type", null }
      end
    end
  end
  table.sort(found, function(a, b) return tonumber(a.event.id) < tonumber(b.event.id) end)
  local events = json.obj()
  for _, x in ipairs(found) do
    local id = tonumber(x.event.id)
    if events[tostring(id)] == nil then
      local o = event_fields(x.event, LOG_VIEW)
      o.contactLog = touched[id] and contact_log(id, touched[id]) or A{}
      events[tostring(id)] = o
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
