-- Loaded into the specs' HAProxy (spec/haproxy_tls_spec.lua): an HTTP
-- service calling GET <url>/api/contacts with the settings of its query
-- (url, verify=0, ca_file, server_name, proxy), through the library's
-- default transport (core.tcp). Answers "ok <status of the call>" or
-- "error <kind> <message>".
local mautic = require "mautic"
local core_ = require "mautic.core"

local function answer(applet, body)
  applet:set_status(200)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end

core.register_service("mautic_tls", "http", function(applet)
  local q = {}
  for k, v in (applet.qs or ""):gmatch("([^&=]+)=([^&]*)") do q[k] = core_.pct_decode(v) end
  local tls
  if q.verify or q.ca_file or q.server_name then
    tls = { verify = q.verify ~= "0", ca_file = q.ca_file, server_name = q.server_name }
  end
  local api = mautic.new{ url = q.url, tls = tls, proxy = q.proxy, retries = 0, timeout = 10,
                          auth = mautic.auth.basic{ username = "admin", password = "mautic" } }
  local body, err = api.request("GET", "/contacts", { raw = true })
  if body then return answer(applet, "ok " .. api.last_response().status) end
  answer(applet, "error " .. tostring(err.kind) .. " " .. tostring(err.message))
end)
