--- Text messages: /api/smses.
local json = require "mautic.json"
local errors = require "mautic.errors"

local type, tonumber = type, tonumber

-- Mautic answers the send with HTTP 200 even when it failed, and the body is
-- a JSON string that holds JSON ("{\"error\":{...,\"code\":417}}").
local function send_result(body, meta)
  if type(body) == "string" then
    local inner = json.decode(body)
    if inner ~= nil then body = inner end
  end
  if type(body) == "table" and body.error ~= nil then
    local info = errors.parse_body(body)
    local code = tonumber(info.code)
    return nil, errors.new{
      kind = "http", status = meta.status, code = code or meta.status,
      message = info.message or "the SMS was not sent", details = info.details,
      body = meta.body,
    }
  end
  return body
end

return {
  name = "smses", path = "/smses", item = "sms", list = "smses",
  examples = { create = 'api.smses.create{ name = "Reminder", message = "See you at 10", smsType = "template" }' },
  verbs = {
    { "send_to_contact", "GET", "/smses/{id}/contact/{contactId}/send", result = send_result,
      doc = "Send a text message to one contact. A failure Mautic reports inside a 200 " ..
        "(e.g. 'SMS transport is disabled.', code 417) is returned as nil, err.",
      example = "local r, err = api.smses.send_to_contact(2, 5)" },
  },
}
