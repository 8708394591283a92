-- A Mautic webhook receiver as a CGI script, for any web server that runs
-- CGI (lighttpd, Apache, busybox httpd...). The server hands the raw body
-- on stdin and the Webhook-Signature header as HTTP_WEBHOOK_SIGNATURE.
--
--   MAUTIC_WEBHOOK_SECRET=... lua5.4 examples/webhook_receiver.lua < body
local mautic = require "mautic"

local function reply(status, text)
  io.write("Status: ", status, "\r\nContent-Type: text/plain\r\n\r\n", text, "\n")
end

local secret = os.getenv("MAUTIC_WEBHOOK_SECRET")
if not secret or secret == "" then return reply("500 Internal Server Error", "no secret configured") end

local length = tonumber(os.getenv("CONTENT_LENGTH") or "")
local body = length and io.read(length) or io.read("*a") or ""

if not mautic.webhook.verify(secret, body, os.getenv("HTTP_WEBHOOK_SIGNATURE")) then
  return reply("403 Forbidden", "bad signature")
end

local events, err = mautic.webhook.parse(body)
if not events then return reply("400 Bad Request", err) end

for _, event in ipairs(events) do
  local contact = event.payload.contact or event.payload.lead
  io.stderr:write(("mautic webhook: %s contact %s\n"):format(event.type, contact and contact.id or "-"))
end
reply("200 OK", ("received %d events"):format(#events))
