-- GET /api/forms/{id}/submissions[/{submissionId} | /contact/{contactId}]:
-- the submissions POST /form/submit stored (tracking.lua). The list has a
-- string total; an empty list is {"total":"0","submissions":{}} (recorded).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local contacts = require "mautic.fake.contacts"

local null = json.null
local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

local function serialize(s, form)
  local ip = O{ "ip", s.ip or "" }
  return O{ "id", s.id, "ipAddress", ip,
            "form", O{ "id", form.id, "name", form.name, "alias", form.alias == nil and null or form.alias,
                       "category", form.category == nil and null or form.category },
            "lead", s.contact_id and contacts.lead_repr(s.contact_id) or null,
            "trackingId", null, "dateSubmitted", s.date, "referer", s.referer or null, "page", null,
            "results", s.results or json.obj() }
end

local function of_form(form, contact_id)
  local out = {}
  for _, s in ipairs(store.extra("form_submissions")) do
    if s.form_id == form.id and (not contact_id or s.contact_id == contact_id) then out[#out + 1] = s end
  end
  return out
end

local function list_body(form, rows, req)
  if tostring(req.args.orderByDir or ""):lower() == "desc" then
    local r = {}
    for i = #rows, 1, -1 do r[#r + 1] = rows[i] end
    rows = r
  end
  local start = util.int(req.args.start) or 0
  local limit = util.int(req.args.limit) or 30
  local out = A{}
  local last = limit <= 0 and #rows or math.min(#rows, start + limit)
  for i = start + 1, last do out[#out + 1] = serialize(rows[i], form) end
  return ok(O{ "total", tostring(#rows), "submissions", #out == 0 and json.obj() or out })
end

function _M.list(req)
  local form = store.get("forms", req.params.id)
  if not form then return not_found() end
  return list_body(form, of_form(form), req)
end

function _M.for_contact(req)
  local form = store.get("forms", req.params.id)
  if not form then return not_found() end
  local rec = store.get("contacts", req.params.contactId)
  if not rec then return not_found() end
  return list_body(form, of_form(form, rec.id), req)
end

function _M.get(req)
  local form = store.get("forms", req.params.id)
  if not form then return not_found() end
  local sid = tonumber(req.params.submissionId)
  for _, s in ipairs(of_form(form)) do
    if s.id == sid then return ok(O{ "submission", serialize(s, form) }) end
  end
  return not_found()
end

function _M.routes()
  return {
    { "GET", "/api/forms/{id}/submissions", _M.list },
    { "GET", "/api/forms/{id}/submissions/contact/{contactId}", _M.for_contact },
    { "GET", "/api/forms/{id}/submissions/{submissionId}", _M.get },
  }
end

return _M
