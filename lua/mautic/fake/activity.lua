-- Contact activity (GET /api/contacts/{id}/activity, /api/contacts/activity):
-- Mautic's timeline, which gathers events of several kinds. Some are read from
-- the state as it is now (how the contact was identified, do-not-contact
-- entries, UTM tags, page hits, sent emails, scheduled campaign events, form
-- submissions), others from a log the verbs write (point changes, segment,
-- campaign and stage changes). Filters: filters[search], filters[includeEvents][],
-- filters[excludeEvents][], filters[dateFrom], filters[dateTo]; order[0], order[1];
-- page, limit (25). The shapes follow the recorded answers.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local ce = require "mautic.fake.campaign_events"

local null = json.null
local O, A = json.O, json.A

local _M = {}

-- every event type Mautic 5.1 knows, with its name (recorded)
local TYPES = {
  "asset.download", "Asset downloaded", "campaign.event", "Campaign action triggered",
  "campaign.event.scheduled", "Campaign event scheduled", "campaign_membership", "Campaign membership change",
  "lead.source.created", "Contact created by source", "lead.source.identified", "Contact identified by source",
  "lead.donotcontact", "Do not contact", "dynamic.content.sent", "Dynamic Content Triggered",
  "email.failed", "Email failed", "email.read", "Email read", "email.replied", "Email replied",
  "email.sent", "Email sent", "sms.failed", "Failed", "focus.on_click", "Focus click",
  "focus.on_view", "Focus view", "form.submitted", "Form submitted", "lead.imported", "Imported",
  "integration_sync_issues", "Integration sync notice", "message.queue", "Message Queue",
  "page.hit", "Page hit", "point.gained", "Point gained", "segment_membership", "Segment membership change",
  "sms.sent", "Sent", "stage.changed", "Stage changed", "sms_reply", "Text message received",
  "lead.utmtagsadded", "UTM tags recorded", "page.videohit", "Video view event",
}
local TYPE_NAME = {}
for i = 1, #TYPES, 2 do TYPE_NAME[TYPES[i]] = TYPES[i + 1] end

-- the event kinds whose answer puts eventType before eventLabel
local TYPE_FIRST = { ["lead.source.identified"] = true, ["lead.source.created"] = true,
                     segment_membership = true, campaign_membership = true }

local DNC_REASONS = {
  [0] = "Contact can be contacted.", [1] = "Contact unsubscribed.", [2] = "Contact bounced.",
  [3] = "Contact was manually set as do not contact for this channel.",
}

local base_url = util.base_url

-- "2026-11-22 15:20:08" or ISO 8601 -> ISO 8601 (UTC)
local function iso(v)
  if type(v) ~= "string" then return nil end
  local d, t = v:match("^(%d%d%d%d%-%d%d%-%d%d)[T ](%d%d:%d%d:%d%d)")
  if not d then return nil end
  return d .. "T" .. t .. "+00:00"
end

local function epoch(v)
  local y, mo, d, h, mi, s = tostring(v or ""):match("^(%d+)%-(%d+)%-(%d+)[T ]?(%d*):?(%d*):?(%d*)")
  if not y then return nil end
  return os.time({ year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h) or 0,
                   min = tonumber(mi) or 0, sec = tonumber(s) or 0, isdst = false })
end

---------------------------------------------------------------- the log

local function log() return store.extra("activity_log") end

local function next_id(kind)
  local seq = store.extra("activity_seq")
  seq[kind] = (seq[kind] or 0) + 1
  return seq[kind]
end

-- record an event of the log: fields = { label =, details = } (timestamp: now)
function _M.log(contact_id, event, fields)
  local l = log()
  l[#l + 1] = { event = event, id = next_id(event), contact = contact_id, timestamp = util.iso(),
                label = fields.label, details = fields.details, seq = #l + 1 }
end

function _M.segment_change(rec, segment, added)
  _M.log(rec.id, "segment_membership", {
    label = (added and "Contact added to segment, " or "Contact removed from segment, ") .. tostring(segment.name),
    details = O{ "objectDescription", segment.name } })
end

function _M.campaign_change(rec, campaign, added)
  _M.log(rec.id, "campaign_membership", {
    label = (added and "Contact added to campaign, " or "Contact removed from campaign, ") .. tostring(campaign.name),
    details = O{ "campaignId", campaign.id, "campaignName", campaign.name, "objectDescription", campaign.name } })
end

function _M.stage_change(rec, stage, added)
  local id = next_id("stage_log")
  local name = tostring(stage.id) .. ": " .. tostring(stage.name)
  local l = log()
  l[#l + 1] = { event = "stage.changed", id = id, contact = rec.id, timestamp = util.iso(), seq = #l + 1,
    label = O{ "label", name, "href", base_url() .. "/s/stages/edit/" .. stage.id, "isExternal", false },
    details = O{ "log", O{ "id", tostring(id), "reference", tostring(stage.id), "eventName", name,
                           "actionName", added and "Manually Added" or "Manually Removed",
                           "dateAdded", util.iso(), "lead_id", tostring(rec.id) } } }
end

-- a contact's identification is an event of its own, numbered in creation order
function _M.identified(rec)
  rec.identified_seq = next_id("lead.source.identified")
end

---------------------------------------------------------------- the events

local function event(kind, id, contact_id, timestamp, label, details, seq)
  return { event = kind, id = id, contact = contact_id, timestamp = timestamp, label = label,
           details = details or json.obj(), seq = seq or 0 }
end

-- Each source below hands every event it holds to add(e), which keeps those of the
-- contact asked for.

-- what the contact record itself holds: its identification, do-not-contact entries, UTM tags
local function contact_events(rec, add)
  if rec.identified_seq then
    local who = rec.createdByUser == null and "" or tostring(rec.createdByUser)
    add(event("lead.source.identified", rec.identified_seq, rec.id, rec.dateAdded,
      "Contact was identified by " .. who, O{ "objectDescription", who }))
  end
  for _, d in ipairs(rec.dnc or {}) do
    add(event("lead.donotcontact", d.id, rec.id, d.dateAdded,
      (d.channel:gsub("^%l", string.upper)),
      O{ "dnc", O{ "id", tostring(d.id), "channel", d.channel, "date_added", d.dateAdded,
                   "reason", DNC_REASONS[d.reason] or DNC_REASONS[3], "comments", d.comments or "" } }))
  end
  local dates = store.extra("utm_dates")
  for _, u in ipairs(rec.utmtags or {}) do
    local label = u.utmCampaign ~= null and u.utmCampaign or (u.url ~= null and u.url or "UTM tags recorded")
    add(event("lead.utmtagsadded", u.id, rec.id, dates[u.id], label, O{ "utmtags", u }))
  end
end

local function page_hits(add)
  for _, h in ipairs(store.extra("hits")) do
    local label = O{ "label", h.title or h.url or "", "href", h.url or "", "isExternal", true }
    add(event("page.hit", h.id, h.contact_id, iso(h.date), label,
      O{ "hit", O{ "hitId", tostring(h.id), "page_id", null, "dateHit", iso(h.date), "url", h.url or null,
                   "urlTitle", h.title or null, "referer", h.referrer or null, "userAgent", h.user_agent or null,
                   "remoteHost", h.ip or null, "source", h.source or null, "sourceId", null,
                   "device", h.device or null, "deviceOsName", null, "deviceBrand", null, "deviceModel", null,
                   "lead_id", tostring(h.contact_id) } }))
  end
end

-- a row of the email_stats table as the timeline shows it
local function email_stat(r, email, name)
  local stat = O{ "email_id", r.email_id, "id", r.id, "dateSent", iso(r.date_sent),
                  "subject", email and email.subject or null, "email_name", name, "isRead", r.is_read or "0",
                  "isFailed", r.is_failed or "0", "viewedInBrowser", r.viewed_in_browser or "0",
                  "retryCount", r.retry_count or "0" }
  if r.list_id then
    local seg = store.get("segments", tonumber(r.list_id))
    stat.list_id = r.list_id
    stat.list_name = seg and seg.name or null
  end
  stat.idHash = r.tracking_hash
  stat.openDetails = A{}
  stat.storedSubject = email and email.subject or null
  stat.timeToRead = false
  return stat
end

local function sent_emails(add)
  for _, r in ipairs(store.extra("stats:email_stats")) do
    local email = store.get("emails", tonumber(r.email_id))
    local name = email and email.name or ""
    local stat = email_stat(r, email, name)
    add(event("email.sent", tonumber(r.id), tonumber(r.lead_id), iso(r.date_sent),
      O{ "label", name, "href", base_url() .. "/email/view/" .. tostring(r.tracking_hash), "isExternal", true },
      O{ "stat", stat, "type", "sent" }, tonumber(r.id)))
  end
end

-- campaign events, triggered or still scheduled
local function campaign_events(add)
  for _, x in ipairs(ce.all()) do
    local m = store.extra("campaign_event_logs")[tonumber(x.event.id)] or {}
    for cid, l in pairs(m) do
      local kind = l.dateTriggered and "campaign.event" or "campaign.event.scheduled"
      local c = x.campaign
      add(event(kind, l.id, cid, l.updated or l.triggerDate,
        O{ "label", tostring(x.event.name) .. " / " .. tostring(c.name), "href", base_url() .. "/s/campaigns/view/" .. c.id },
        O{ "log", O{ "log_id", tostring(l.id), "event_id", tostring(x.event.id), "campaign_id", tostring(c.id),
                     "event_name", x.event.name, "campaign_name", c.name, "metadata", l.metadata or A{},
                     "type", x.event.type, "isScheduled", l.isScheduled and "1" or "0",
                     "triggerDate", l.triggerDate or null, "lead_id", tostring(cid) } }))
    end
  end
end

local function form_submissions(add)
  for _, sub in ipairs(store.extra("form_submissions")) do
    local form = store.get("forms", sub.form_id)
    if form and sub.contact_id then
      add(event("form.submitted", sub.id, sub.contact_id, sub.date,
        O{ "label", form.name, "href", base_url() .. "/s/forms/view/" .. form.id },
        O{ "submission", O{ "id", tostring(sub.id), "form_id", tostring(form.id), "dateSubmitted", sub.date,
                            "referer", sub.referer or null }, "form", O{ "id", form.id, "name", form.name } }))
    end
  end
end

local function point_changes(add)
  for _, r in ipairs(store.extra("stats:lead_points_change_log")) do
    local delta = r.delta
    local label = tostring(r.event_name) .. " / " .. tostring(delta)
    local l = O{ "eventName", r.event_name, "actionName", r.action_name, "dateAdded", iso(r.date_added),
                 "type", r.type, "delta", delta, "id", r.id, "lead_id", r.lead_id }
    if r.group_id then
      local g = store.get("points/groups", tonumber(r.group_id))
      local gname = g and g.name or ""
      label = label .. " (" .. gname .. ")"
      l.groupName = gname
    end
    add(event("point.gained", tonumber(r.id), tonumber(r.lead_id), iso(r.date_added), label, O{ "log", l },
              tonumber(r.id)))
  end
end

-- every event of one contact (contact_filter) or of all, unsorted
local function gather(contact_filter)
  local out = {}
  local function add(e)
    if e.timestamp and (not contact_filter or e.contact == contact_filter) and store.get("contacts", e.contact) then
      out[#out + 1] = e
    end
  end
  for _, rec in pairs(store.rows("contacts")) do contact_events(rec, add) end
  page_hits(add)
  sent_emails(add)
  campaign_events(add)
  form_submissions(add)
  point_changes(add)
  for _, e in ipairs(log()) do add(e) end
  return out
end

---------------------------------------------------------------- the answer

local function strings(v)
  local out = A{}
  for _, x in ipairs(util.list(v)) do
    if type(x) == "string" and x ~= "" then out[#out + 1] = x end
  end
  return out
end

local function label_text(l)
  if type(l) == "table" and l ~= null then return tostring(l.label or "") end
  return tostring(l or "")
end

-- filters[...]: with the included and excluded event types as sets too
local function read_filters(args)
  local filters = type(args.filters) == "table" and args.filters or json.obj()
  local q = { search = type(filters.search) == "string" and filters.search or "",
              include = strings(filters.includeEvents), exclude = strings(filters.excludeEvents),
              from = epoch(filters.dateFrom), to = epoch(filters.dateTo), inc = {}, exc = {} }
  for _, x in ipairs(q.include) do q.inc[x] = true end
  for _, x in ipairs(q.exclude) do q.exc[x] = true end
  return q
end

local function wanted(e, q)
  local ok = (#q.include == 0 or q.inc[e.event]) and not q.exc[e.event]
  local t = epoch(e.timestamp)
  if ok and q.from and (not t or t < q.from) then ok = false end
  if ok and q.to and (not t or t > q.to) then ok = false end
  if ok and q.search ~= "" and not label_text(e.label):lower():find(q.search:lower(), 1, true) then ok = false end
  return ok
end

-- order[0], order[1] -> column, "ASC" | "DESC"
local function read_order(args)
  local order = util.list(args.order)
  local col = (type(order[1]) == "string" and order[1] ~= "") and order[1] or "timestamp"
  local dir = (type(order[2]) == "string" and order[2]:upper() == "ASC") and "ASC" or "DESC"
  return col, dir
end

local function sort_key(e, col)
  if col == "eventLabel" then return label_text(e.label) end
  if col == "event" or col == "eventType" then return e.event end
  return e.timestamp
end

-- ties go by event type, then by id in the order's direction
local function sort_events(events, col, dir)
  table.sort(events, function(a, b)
    local ka, kb = sort_key(a, col), sort_key(b, col)
    if ka ~= kb then
      if dir == "ASC" then return ka < kb end
      return ka > kb
    end
    if a.event ~= b.event then return a.event < b.event end
    if dir == "ASC" then return a.id < b.id end
    return a.id > b.id
  end)
end

local function paging(args)
  local page = util.int(args.page) or 1
  if page < 1 then page = 1 end
  local limit = util.int(args.limit) or 25
  if limit < 1 then limit = 25 end
  return page, limit
end

local function event_json(e)
  local o = O{ "event", e.event, "eventId", e.event .. tostring(e.id) }
  if TYPE_FIRST[e.event] then
    o.eventType = TYPE_NAME[e.event]; o.eventLabel = e.label
  else
    o.eventLabel = e.label; o.eventType = TYPE_NAME[e.event]
  end
  o.timestamp = e.timestamp
  o.contactId = tostring(e.contact)
  o.details = e.details
  return o
end

function _M.answer(req, contact_id)
  local args = req.args
  local q = read_filters(args)
  local col, dir = read_order(args)
  local events = {}
  for _, e in ipairs(gather(contact_id)) do
    if wanted(e, q) then events[#events + 1] = e end
  end
  sort_events(events, col, dir)

  local page, limit = paging(args)
  local out = A{}
  for i = (page - 1) * limit + 1, math.min(#events, page * limit) do
    out[#out + 1] = event_json(events[i])
  end
  local types = json.obj()
  for i = 1, #TYPES, 2 do types[TYPES[i]] = TYPES[i + 1] end
  local total = #events
  return responses.ok(O{
    "events", out,
    "filters", O{ "search", q.search, "includeEvents", q.include, "excludeEvents", q.exclude },
    "order", A{ col, dir },
    "types", types,
    "total", total, "page", page, "limit", limit,
    -- a float (PHP's ceil) when there are events, the integer 1 when there are none
    "maxPages", total > 0 and json.float(math.ceil(total / limit)) or 1 })
end

return _M
