-- Smaller verbs: catalogs (hooks/triggers, point action and trigger event
-- types), email and SMS sends, form field/action and trigger event
-- deletion, focus js, email replies (SUMMARY.md §5).
local json = require "fake_mautic.json"
local util = require "fake_mautic.util"
local store = require "fake_mautic.store"
local responses = require "fake_mautic.responses"
local data = require "fake_mautic.data.templates"

local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

local function static(name)
  return function() return { status = 200, raw = data.static[name], version = true } end
end

local function sub_delete(fam, item_key, list_key, param, missing_msg)
  return function(req)
    local e = store.get(fam, req.params.id)
    if not e then return not_found() end
    local ids = req.args[param]
    if ids == nil or (type(ids) ~= "table") then return responses.bad_request(missing_msg) end
    local drop = {}
    for _, id in ipairs(util.list(ids)) do drop[tonumber(id) or -1] = true end
    local kept = A{}
    for _, x in ipairs(util.list(e[list_key])) do
      if not drop[tonumber(x.id) or -2] then kept[#kept + 1] = x end
    end
    e[list_key] = kept
    return ok(O{ item_key, e })
  end
end

function _M.email_send_contact(req)
  local e = store.get("emails", req.params.id)
  if not e then return not_found() end
  local c = store.get("contacts", req.params.contactId)
  if not c then return not_found("Contact not found.") end
  if type(e.sentCount) == "number" then e.sentCount = e.sentCount + 1 end
  return ok(O{ "success", true })
end

function _M.email_send_segment(req)
  local e = store.get("emails", req.params.id)
  if not e then return not_found() end
  local sent = 0
  if e.emailType == "list" then
    local members = store.extra("segment_members")
    local seen = {}
    for _, l in ipairs(util.list(e.lists)) do
      local id = type(l) == "table" and l.id or l
      for cid in pairs(members[tonumber(id)] or {}) do
        if not seen[cid] then seen[cid] = true; sent = sent + 1 end
      end
    end
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

function _M.routes()
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
