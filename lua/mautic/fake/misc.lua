-- Smaller verbs: catalogs (hooks/triggers, point action and trigger event
-- types), email and SMS sends, form field/action and trigger event
-- deletion, focus js, email replies (SUMMARY.md §5).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local versions = require "mautic.fake.versions"
local data = require "mautic.fake.data.templates"
local stats = require "mautic.fake.stats"
local contacts = require "mautic.fake.contacts"
local admin = require "mautic.fake.admin"
local campaign_events = require "mautic.fake.campaign_events"
local campaign_transfer = require "mautic.fake.campaign_transfer"
local reports = require "mautic.fake.reports"
local widgets = require "mautic.fake.widgets"
local files = require "mautic.fake.files"
local forms_submissions = require "mautic.fake.forms_submissions"
local themes = require "mautic.fake.themes"
local tracking = require "mautic.fake.tracking"

local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

-- 7.0 fixed the spelling of one webhook trigger's description
local function static(name)
  return function()
    local raw = data.static[name]
    if name == "hooks.triggers" and versions.has("hook_text_fixed") then raw = raw:gsub("commpany", "company") end
    return { status = 200, raw = raw, version = true }
  end
end

local function sub_delete(fam, item_key, list_key, param, missing_msg)
  return function(req)
    local e = store.get(fam, req.params.id)
    if not e then return not_found() end
    local ids = req.args[param]
    if ids == nil and param == "fields" and versions.has("fields_delete_without_ids") then
      ids = {}      -- 7.0 deletes nothing and answers the form
    end
    if ids == nil or (type(ids) ~= "table") then return responses.bad_request(missing_msg) end
    local drop = {}
    for _, id in ipairs(util.list(ids)) do drop[tonumber(id) or -1] = true end
    local kept = A{}
    for _, x in ipairs(util.list(e[list_key])) do
      if not drop[tonumber(x.id) or -2] then kept[#kept + 1] = x end
    end
    e[list_key] = kept
    -- answered without its nulls, unlike the CRUD routes
    return ok(O{ item_key, contacts.drop_nulls(e) })
  end
end

local function tracking_hash()
  local t = {}
  for i = 1, 22 do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

-- one email_stats row (GET /api/stats/email_stats, report 4)
function _M.record_email_stat(email, contact, source, source_id, list_id)
  return stats.record("email_stats", {
    "email_id", email.id, "lead_id", contact.id, "list_id", list_id or json.null,
    "email_address", contact.values.email, "date_sent", util.sql_date(), "is_read", 0, "is_failed", 0,
    "viewed_in_browser", 0, "tracking_hash", tracking_hash(), "retry_count", 0, "source", source,
    "source_id", source_id, "open_count", 0, "open_details", "a:0:{}" })
end

function _M.email_send_contact(req)
  local e = store.get("emails", req.params.id)
  if not e then return not_found() end
  local c = store.get("contacts", req.params.contactId)
  if not c then return not_found("Contact not found.") end
  if type(e.sentCount) == "number" then e.sentCount = e.sentCount + 1 end
  _M.record_email_stat(e, c, "api", 0)
  return ok(O{ "success", true })
end

-- a segment email goes once to each member of its segments that has not had it
-- yet and has no email do-not-contact
function _M.email_send_segment(req)
  local e = store.get("emails", req.params.id)
  if not e then return not_found() end
  local sent = 0
  if e.emailType == "list" then
    local members = store.extra("segment_members")
    local already = {}
    for _, r in ipairs(store.extra("stats:email_stats")) do
      if r.email_id == tostring(e.id) then already[tonumber(r.lead_id)] = true end
    end
    for _, l in ipairs(util.list(e.lists)) do
      local id = tonumber(type(l) == "table" and l.id or l)
      local cids = {}
      for cid in pairs(members[id] or {}) do cids[#cids + 1] = cid end
      table.sort(cids)
      for _, cid in ipairs(cids) do
        local c = store.get("contacts", cid)
        local dnc = false
        for _, d in ipairs(c and c.dnc or {}) do if d.channel == "email" then dnc = true end end
        if c and not already[cid] and not dnc then
          already[cid] = true
          sent = sent + 1
          _M.record_email_stat(e, c, "email", e.id, id)
        end
      end
    end
    if type(e.sentCount) == "number" then e.sentCount = e.sentCount + sent end
  end
  return ok(O{ "success", 1, "sentCount", sent, "failedRecipients", 0 })
end

function _M.email_reply(req)
  return not_found("Email Stat with tracking hash " .. req.params.trackingHash .. " was not found")
end

function _M.sms_send(req)
  return { status = 200, version = false,
    raw = '"{\\u0022error\\u0022:{\\u0022message\\u0022:\\u0022SMS transport is disabled.\\u0022,\\u0022code\\u0022:417}}"' }
end

function _M.focus_js(req)
  local f = store.get("focus", req.params.id)
  if not f then return responses.uncaught(500) end
  return ok(O{ "js", "(function(window){window.MauticFocus" .. f.id .. "=function(){};})(window);" })
end

-- modules with routes of their own (campaign events, export and import, reports, dashboard data,
-- files, form submissions, stats, themes, public tracking), in this order
local EXTRA_MODULES = { campaign_events, campaign_transfer, reports, widgets, files, forms_submissions, stats,
                        themes, tracking }

-- GET /__fake/state/<name> for side tables: admin.lua answers families only,
-- so its state() is wrapped here (hook: admin.state(fam) -> JSON value | nil)
local STATE_VIEWS = {
  hits = function() return tracking.state() end,
  email_stats = function() return A(util.list(store.extra("stats:email_stats"))) end,
  points_log = function() return A(util.list(store.extra("stats:lead_points_change_log"))) end,
  form_submissions = function() return A(util.list(store.extra("stats:form_submissions"))) end,
}

local function install_state_views()
  if admin._extra_state_views then return end
  admin._extra_state_views = true
  local families_state = admin.state
  admin.state = function(fam)
    local view = STATE_VIEWS[fam]
    if view then return view() end
    return families_state(fam)
  end
end

function _M.routes()
  install_state_views()
  local list = _M.own_routes()
  for _, m in ipairs(EXTRA_MODULES) do
    for _, r in ipairs(m.routes()) do list[#list + 1] = r end
  end
  return list
end

function _M.own_routes()
  return {
    { "GET", "/api/hooks/triggers", static("hooks.triggers") },
    { "GET", "/api/points/actions/types", static("points.actions.types") },
    { "GET", "/api/points/triggers/events/types", static("points.triggers.events.types") },
    { "POST", "/api/emails/{id}/contact/{contactId}/send", _M.email_send_contact },
    { "POST", "/api/emails/{id}/send", _M.email_send_segment },
    { "POST", "/api/emails/reply/{trackingHash}", _M.email_reply },
    { "GET", "/api/smses/{id}/contact/{contactId}/send", _M.sms_send },
    { "DELETE", "/api/forms/{id}/fields/delete", sub_delete("forms", "form", "fields", "fields", "The fields attribute must be array.") },
    { "DELETE", "/api/forms/{id}/actions/delete", sub_delete("forms", "form", "actions", "actions", "The actions attribute must be array.") },
    { "DELETE", "/api/points/triggers/{id}/events/delete", sub_delete("points/triggers", "trigger", "events", "events", "The events attribute must be array.") },
    { "POST", "/api/focus/{id}/js", _M.focus_js },
  }
end

return _M
