-- Extra verbs beyond CRUD: contact points/dnc/utm/sub-resources, segment,
-- company, stage and campaign membership, users/self and friends
-- (SUMMARY.md §2 and §5).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local versions = require "mautic.fake.versions"
local contacts = require "mautic.fake.contacts"
local families = require "mautic.fake.families"
local entity = require "mautic.fake.entity"
local fielded = require "mautic.fake.fielded"
local stats = require "mautic.fake.stats"
local activity = require "mautic.fake.activity"
local search = require "mautic.fake.search"
local devices_ua = require "mautic.fake.devices_ua"

local null = json.null
local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}


local function contact(req, key)
  return store.get("contacts", req.params[key or "id"])
end

local function success() return ok(O{ "success", 1 }) end

-- the dnc and utm verbs answer the contact serialized without groups
local function contact_body(rec)
  return contacts.serialize_plain(rec)
end

---------------------------------------------------------------- points

local function points_op(op)
  return function(req)
    local rec = contact(req)
    if not rec then return not_found("Contact not found.") end
    local delta = util.num(req.params.delta)
    if not delta then return responses.uncaught(500) end
    local old = rec.points
    if op == "plus" then rec.points = old + delta
    elseif op == "minus" then rec.points = old - delta
    elseif op == "times" then rec.points = old * delta
    elseif op == "divide" then
      if delta == 0 then return responses.uncaught(500) end
      rec.points = math.floor(old / delta)
    end
    contacts.touch(rec, req.ident)
    local input = req.input or {}
    local labels = { plus = "add (+)", minus = "subtract (-)", times = "multiply (x)", divide = "divide (/)" }
    local ev = type(input) == "table" and input.eventName
    local action = type(input) == "table" and input.actionName
    stats.record("lead_points_change_log", {
      "lead_id", rec.id, "ip_id", 1, "type", "API",
      "event_name", (type(ev) == "string" and ev ~= "") and ev or labels[op],
      "action_name", (type(action) == "string" and action ~= "") and action or "API",
      "delta", req.params.delta, "date_added", util.sql_date() })
    return success()
  end
end

local function group_score_body(score, g)
  return O{ "score", score, "group", O{ "id", g.id, "name", g.name } }
end

local function group_scores(rec)
  local s = store.extra("group_scores")
  local t = s[rec.id]
  if not t then t = {}; s[rec.id] = t end
  return t
end

function _M.points_groups_list(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local list = A{}
  local scores = group_scores(rec)
  for _, g in ipairs(store.all("points/groups")) do
    if scores[g.id] then list[#list + 1] = group_score_body(scores[g.id], g) end
  end
  return ok(O{ "total", #list, "groupScores", list })
end

function _M.points_group_get(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local g = store.get("points/groups", req.params.groupId)
  if not g then return not_found("The specified point group was not found.") end
  return ok(O{ "groupScore", group_score_body(group_scores(rec)[g.id] or 0, g) })
end

function _M.points_group_op(req)
  local rec = contact(req)
  if not rec then return not_found("Contact not found.") end
  local g = store.get("points/groups", req.params.groupId)
  if not g then return not_found("The specified point group was not found.") end
  local op = req.params.operator
  local v = util.num(req.params.value)
  local valid = { plus = true, minus = true, times = true, divide = true, set = true }
  if not valid[op] then return responses.bad_request("The requested operation is not permitted.") end
  if not v then return responses.uncaught(500) end
  local scores = group_scores(rec)
  local cur = scores[g.id] or 0
  if op == "plus" then cur = cur + v elseif op == "minus" then cur = cur - v
  elseif op == "times" then cur = cur * v elseif op == "set" then cur = v
  elseif op == "divide" then
    if v == 0 then return responses.uncaught(500) end
    cur = math.floor(cur / v)
  end
  local change = cur - (scores[g.id] or 0)
  scores[g.id] = cur
  stats.record("lead_points_change_log", {
    "lead_id", rec.id, "ip_id", 1, "group_id", g.id, "type", "API", "event_name", "Manual change",
    "action_name", "API", "delta", change, "date_added", util.sql_date() })
  return ok(O{ "groupScore", group_score_body(cur, g) })
end

---------------------------------------------------------------- dnc / utm

local CHANNEL_ALIASES = { email = "email", sms = "sms", notification = "notification" }

function _M.dnc_add(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local channel = req.params.channel
  local input = type(req.input) == "table" and req.input or json.obj()
  contacts.add_dnc(rec, CHANNEL_ALIASES[channel] or channel, util.int(input.reason) or 3, input.comments,
                   util.int(input.channelId))
  contacts.touch(rec, req.ident)
  return ok(O{ "contact", contact_body(rec) })
end

function _M.dnc_remove(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local channel = req.params.channel
  local found = false
  for i = #rec.dnc, 1, -1 do
    if rec.dnc[i].channel == channel then table.remove(rec.dnc, i); found = true end
  end
  if found then contacts.touch(rec, req.ident) end
  return ok(O{ "recordFound", found, "contact", contact_body(rec) })
end

-- a UTM tag; its user agent gives the contact a device (one per agent), and a
-- lastActive in the payload sets the contact's
function _M.utm_add(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local input = type(req.input) == "table" and req.input or json.obj()
  local seq = store.extra("subseq")
  seq.utm = (seq.utm or 0) + 1
  local function v(k) local x = input[k]; if x == nil then return null end; return x end
  rec.utmtags[#rec.utmtags + 1] = O{
    "id", seq.utm, "query", input.query or A{}, "referer", v("referer"), "remoteHost", v("remotehost"),
    "url", v("url"), "userAgent", v("useragent"), "utmCampaign", v("utm_campaign"),
    "utmContent", v("utm_content"), "utmMedium", v("utm_medium"), "utmSource", v("utm_source"),
    "utmTerm", v("utm_term") }
  store.extra("utm_dates")[seq.utm] = util.iso()
  if type(input.useragent) == "string" and input.useragent ~= "" then
    devices_ua.track(rec.id, input.useragent)
  end
  if type(input.lastActive) == "string" and input.lastActive ~= "" then rec.lastActive = input.lastActive end
  contacts.touch(rec, req.ident)
  return ok(O{ "contact", contact_body(rec) })
end

function _M.utm_remove(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local id = tonumber(req.params.utmId)
  for i, u in ipairs(rec.utmtags) do
    if u.id == id then
      table.remove(rec.utmtags, i)
      contacts.touch(rec, req.ident)
      return ok(O{ "recordFound", true, "contact", contact_body(rec) })
    end
  end
  return responses.bad_request()
end

---------------------------------------------------------------- contact lists

function _M.list_owners(req)
  local out = A{}
  for _, u in ipairs(store.all("users")) do
    local o = O{ "id", u.id, "firstName", u.firstName, "lastName", u.lastName }
    if versions.has("owner_email") then o.email = u.email end
    out[#out + 1] = o
  end
  return ok(out)
end

function _M.list_fields(req)
  local out = json.obj()
  local all = {}
  for _, fam in ipairs({ "fields/contact", "fields/company" }) do
    for _, f in ipairs(store.all(fam)) do all[#all + 1] = f end
  end
  table.sort(all, function(a, b)
    local oa, ob = tonumber(a.order) or 0, tonumber(b.order) or 0
    if oa ~= ob then return oa < ob end
    if a.object ~= b.object then return a.object == "lead" end
    return a.id < b.id
  end)
  for _, f in ipairs(all) do
    local e = O{ "id", f.id, "label", f.label, "alias", f.alias, "type", f.type, "group", f.group,
                 "order", f.order, "object", f.object }
    local props = f.properties
    if props ~= nil and props ~= null and not (json.is_obj(props) and #json.keys(props) > 0) then
      e.properties = json.obj()
    end
    out[tostring(f.id)] = e
  end
  return ok(out)
end

function _M.list_segments(req)
  local out = json.obj()
  for _, s in ipairs(store.all("segments")) do
    out[tostring(s.id)] = O{ "id", s.id, "name", s.name, "alias", s.alias }
  end
  if #json.keys(out) == 0 then return ok(A{}) end
  return ok(out)
end

function _M.contact_segments(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local members = store.extra("segment_members")
  local out = json.obj()
  for _, s in ipairs(store.all("segments")) do
    local m = members[s.id] and members[s.id][rec.id]
    if m then
      out[tostring(s.id)] = O{ "id", s.id, "name", s.name, "alias", s.alias, "dateAdded", m.dateAdded,
                               "manuallyRemoved", false, "manuallyAdded", true }
    end
  end
  local n = #json.keys(out)
  return ok(O{ "total", n, "lists", n == 0 and A{} or out })
end

function _M.contact_campaigns(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local members = store.extra("campaign_members")
  local out = json.obj()
  for _, c in ipairs(store.all("campaigns")) do
    local m = members[c.id] and members[c.id][rec.id]
    if m then
      local lists = A{}
      for _, l in ipairs(util.list(c.lists)) do lists[#lists + 1] = l.id end
      out[tostring(c.id)] = O{ "id", c.id, "name", c.name, "listMembership", lists,
                               "dateAdded", m.dateAdded, "manuallyRemoved", false, "manuallyAdded", true }
    end
  end
  local n = #json.keys(out)
  return ok(O{ "total", n, "campaigns", n == 0 and A{} or out })
end

function _M.contact_companies(req)
  local rec = contact(req)
  if not rec then return not_found() end
  local links = store.extra("company_members")
  local out = A{}
  for _, c in ipairs(store.all("companies")) do
    local m = links[c.id] and links[c.id][rec.id]
    if m then
      local row = O{ "company_id", tostring(c.id), "date_associated", m.date, "is_primary", m.primary and "1" or "0",
                     "id", tostring(c.id), "is_published", "1", "date_added", c.dateAdded,
                     "created_by_user", c.createdByUser }
      if versions.has("modified_on_create") then
        -- 7.0 stamps the company's modification at creation, and edits never move the date
        row.date_modified = c.dateAdded
        row.modified_by_user = c.createdByUser
      end
      row.social_cache = "a:0:{}"
      row.score = tostring(c.score or 0)
      for _, f in ipairs(fielded.defs("fields/company")) do
        local v = c.values[f.alias]
        if v ~= nil and v ~= null then row[f.alias] = tostring(v) end
      end
      out[#out + 1] = row
    end
  end
  return ok(O{ "total", #out, "companies", out })
end

-- a contact's notes or devices: nulls left out, the contact itself an empty {}
-- (devices newest first)
local function sub_list(fam, key, newest_first)
  return function(req)
    local rec = contact(req)
    if not rec then return not_found() end
    local rows = {}
    for _, r in ipairs(store.all(fam)) do
      if type(r.lead) == "table" and r.lead ~= null and r.lead.id == rec.id then rows[#rows + 1] = r end
    end
    if newest_first then
      table.sort(rows, function(a, b) return a.id > b.id end)
    end
    local F = families.get(fam)
    local page, total = search.run(F, entity, rows, req.args)
    if not page then return total end
    local out = A{}
    for _, r in ipairs(page) do
      local e = json.obj()
      for _, k in ipairs(json.keys(r)) do
        if k == "lead" then e[k] = json.obj()
        elseif r[k] ~= null then e[k] = contacts.drop_nulls(r[k]) end
      end
      out[#out + 1] = e
    end
    return ok(O{ "total", total, key, out })
  end
end

function _M.contact_activity(req)
  local rec = contact(req)
  if not rec then return not_found() end
  return activity.answer(req, rec.id)
end

function _M.all_activity(req)
  return activity.answer(req, nil)
end

---------------------------------------------------------------- memberships

local function membership(fam, table_name, missing_contact_msg, on_change)
  local function handler(add)
    return function(req)
      local target = store.get(fam, req.params.id)
      if not target then return not_found() end
      local rec = store.get("contacts", req.params.contactId)
      if not rec then return not_found(missing_contact_msg) end
      local members = store.extra(table_name)
      local m = members[target.id]
      if not m then m = {}; members[target.id] = m end
      local changed = (m[rec.id] == nil) == add
      if add then
        if not m[rec.id] then m[rec.id] = { dateAdded = util.iso(), date = util.sql_date() } end
      else
        m[rec.id] = nil
      end
      if on_change then on_change(target, rec, add, req, changed) end
      return success()
    end
  end
  return handler(true), handler(false)
end

_M.segment_add, _M.segment_remove = membership("segments", "segment_members", "Contact not found.",
  function(segment, rec, add, req, changed)
    if changed then activity.segment_change(rec, segment, add) end
  end)
_M.company_add, _M.company_remove = membership("companies", "company_members", "Contact not found.",
  function(company, rec, add)
    if add then rec.values.company = company.values.companyname
    elseif rec.values.company == company.values.companyname then rec.values.company = null end
  end)
_M.stage_add, _M.stage_remove = membership("stages", "stage_members", "Contact not found.",
  function(stage, rec, add)
    if add then rec.stage = stage.id elseif rec.stage == stage.id then rec.stage = nil end
    activity.stage_change(rec, stage, add)
  end)
_M.campaign_add, _M.campaign_remove = membership("campaigns", "campaign_members", "Item was not found.",
  function(campaign, rec, add, req, changed)
    if changed then activity.campaign_change(rec, campaign, add) end
  end)

function _M.segment_add_many(req)
  local s = store.get("segments", req.params.id)
  if not s then return not_found() end
  local input = req.input or json.obj()
  local ids = type(input) == "table" and input.ids
  local list = type(ids) == "string" and util.split(ids, ",") or util.list(ids)
  if #list == 0 then return responses.bad_request() end
  local members = store.extra("segment_members")
  local m = members[s.id]
  if not m then m = {}; members[s.id] = m end
  local details = json.obj()
  for _, id in ipairs(list) do
    local rec = store.get("contacts", util.int(id))
    if rec then
      if not m[rec.id] then
        m[rec.id] = { dateAdded = util.iso(), date = util.sql_date() }
        activity.segment_change(rec, s, true)
      end
      details[tostring(id)] = O{ "success", true }
    else
      details[tostring(id)] = O{ "success", false }
    end
  end
  return ok(O{ "success", 1, "details", details })
end

function _M.campaign_contacts(req)
  local c = store.get("campaigns", req.params.id)
  if not c then return not_found() end
  local m = store.extra("campaign_members")[c.id] or {}
  local ids = {}
  for id in pairs(m) do ids[#ids + 1] = id end
  table.sort(ids)
  local start = util.int(req.args.start) or 0
  local limit = util.int(req.args.limit) or 100
  local out = A{}
  for i = start + 1, (limit == 0) and #ids or math.min(#ids, start + limit) do
    local id = ids[i]
    out[#out + 1] = O{ "campaign_id", tostring(c.id), "lead_id", tostring(id), "date_added", m[id].date,
                       "manually_removed", "0", "manually_added", "1", "rotation", "1" }
  end
  return ok(O{ "total", tostring(#ids), "contacts", out })
end

function _M.campaign_clone(req)
  local c = store.get("campaigns", req.params.id)
  if not c then return not_found() end
  local copy = json.copy(c)
  copy.id = store.next_id("campaigns")
  copy.isPublished = false
  copy.dateAdded = util.iso()
  copy.dateModified = copy.dateAdded
  -- Mautic 5.1 clones without events, segments and forms (recorded: campaigns.clone)
  copy.events = A{}
  copy.lists = A{}
  copy.forms = A{}
  copy.createdByUser = req.ident and req.ident.display or null
  store.put("campaigns", copy.id, copy)
  return ok(O{ "campaign", copy }, 200, { Location = "/api/campaigns/" .. copy.id })
end

---------------------------------------------------------------- users / misc

function _M.users_self(req)
  local ident = req.ident or {}
  local role = store.get("roles", 1)
  local role_body = O{ "isPublished", true, "id", 1, "name", role and role.name or "Administrator",
                       "description", role and role.description or "Full system access", "isAdmin", true }
  if ident.kind == "basic" then
    local u
    for _, x in ipairs(store.all("users")) do if x.username == ident.user then u = x end end
    if u then
      return ok(O{ "isPublished", true, "id", u.id, "username", u.username, "firstName", u.firstName,
                   "lastName", u.lastName, "email", u.email, "role", role_body,
                   "timezone", u.timezone == null and "" or u.timezone,
                   "locale", u.locale == null and "" or u.locale })
    end
    return ok(O{ "isPublished", true, "username", ident.user, "firstName", ident.user, "lastName", "",
                 "role", role_body, "timezone", "", "locale", "" })
  end
  return ok(O{ "isPublished", true, "username", "api-test-client [1]", "firstName", "api-test-client",
               "lastName", "[1]", "role", role_body, "timezone", "", "locale", "" })
end

function _M.users_list_roles(req)
  local rows = store.all("roles")
  table.sort(rows, function(a, b) return tostring(a.name) < tostring(b.name) end)
  local out = A{}
  for _, r in ipairs(rows) do out[#out + 1] = O{ "id", r.id, "name", r.name } end
  return ok(out)
end

function _M.permission_check(req)
  local u = store.get("users", req.params.id)
  if not u then return not_found() end
  local input = req.input or json.obj()
  local perms = type(input) == "table" and input.permissions
  local list = type(perms) == "string" and { perms } or util.list(perms)
  if #list == 0 then return responses.bad_request("At least one permission must be submitted.") end
  local role = type(u.role) == "table" and u.role ~= null and store.get("roles", u.role.id)
  local admin = role and role.isAdmin == true
  local out = json.obj()
  for _, p in ipairs(list) do
    local granted = admin
    if not granted and role and json.is_obj(role.rawPermissions) then
      local bundle, level = tostring(p):match("^(.*):([^:]+)$")
      local levels = bundle and role.rawPermissions[bundle]
      for _, l in ipairs(util.list(levels)) do
        if l == level or l == "full" then granted = true end
      end
    end
    out[tostring(p)] = granted and true or false
  end
  return ok(out)
end

function _M.fields_bad_object(req)
  return ok(O{ "total", 0, "fields", A{} })
end

function _M.routes()
  local C = "/api/contacts/{id}"
  return {
    { "POST", C .. "/points/plus/{delta}", points_op("plus") },
    { "POST", C .. "/points/minus/{delta}", points_op("minus") },
    { "POST", C .. "/points/times/{delta}", points_op("times") },
    { "POST", C .. "/points/divide/{delta}", points_op("divide") },
    { "GET", C .. "/points/groups", _M.points_groups_list },
    { "GET", C .. "/points/groups/{groupId}", _M.points_group_get },
    { "POST", C .. "/points/groups/{groupId}/{operator}/{value}", _M.points_group_op },
    { "POST", C .. "/dnc/{channel}/add", _M.dnc_add },
    { "POST", C .. "/dnc/{channel}/remove", _M.dnc_remove },
    { "POST", C .. "/utm/add", _M.utm_add },
    { "POST", C .. "/utm/{utmId}/remove", _M.utm_remove },
    { "GET", "/api/contacts/list/owners", _M.list_owners },
    { "GET", "/api/contacts/list/fields", _M.list_fields },
    { "GET", "/api/contacts/list/segments", _M.list_segments },
    { "GET", C .. "/notes", sub_list("notes", "notes") },
    { "GET", C .. "/devices", sub_list("devices", "devices", true) },
    { "GET", C .. "/segments", _M.contact_segments },
    { "GET", C .. "/campaigns", _M.contact_campaigns },
    { "GET", C .. "/companies", _M.contact_companies },
    { "GET", C .. "/activity", _M.contact_activity },
    { "GET", "/api/contacts/activity", _M.all_activity },
    { "POST", "/api/segments/{id}/contact/{contactId}/add", _M.segment_add },
    { "POST", "/api/segments/{id}/contact/{contactId}/remove", _M.segment_remove },
    { "POST", "/api/segments/{id}/contacts/add", _M.segment_add_many },
    { "POST", "/api/companies/{id}/contact/{contactId}/add", _M.company_add },
    { "POST", "/api/companies/{id}/contact/{contactId}/remove", _M.company_remove },
    { "POST", "/api/stages/{id}/contact/{contactId}/add", _M.stage_add },
    { "POST", "/api/stages/{id}/contact/{contactId}/remove", _M.stage_remove },
    { "POST", "/api/campaigns/{id}/contact/{contactId}/add", _M.campaign_add },
    { "POST", "/api/campaigns/{id}/contact/{contactId}/remove", _M.campaign_remove },
    { "GET", "/api/campaigns/{id}/contacts", _M.campaign_contacts },
    { "POST", "/api/campaigns/clone/{id}", _M.campaign_clone },
    { "GET", "/api/users/self", _M.users_self },
    { "GET", "/api/users/list/roles", _M.users_list_roles },
    { "POST", "/api/users/{id}/permissioncheck", _M.permission_check },
    { "GET", "/api/fields/{object}", _M.fields_bad_object },
  }
end

return _M
