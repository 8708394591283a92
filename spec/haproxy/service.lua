-- Loaded into the specs' HAProxy (spec/haproxy_spec.lua): an HTTP service
-- that calls Mautic through the library, with no transport given: the
-- client must find HAProxy's cosockets by itself. Answers "ok <total>" or
-- "error <kind> <message>".
local mautic = require "mautic"

local api = mautic.new{
  url = os.getenv("MAUTIC_FAKE_URL"),
  auth = mautic.auth.basic{ username = "admin", password = "mautic" },
  timeout = 10, retries = 0,
}

local function answer(applet, status, body)
  applet:set_status(status)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end

core.register_service("mautic_lookup", "http", function(applet)
  local page, err = api.contacts.list{ limit = 1 }
  if page then return answer(applet, 200, "ok " .. page.total) end
  answer(applet, 502, "error " .. tostring(err.kind) .. " " .. tostring(err.message))
end)

-- the client's own sleep inside HAProxy (core.msleep): answers how long it took
core.register_service("mautic_sleep", "http", function(applet)
  local t0 = core.now()
  require("mautic.parallel").sleep(0.2)
  local t1 = core.now()
  answer(applet, 200, string.format("%.3f", (t1.sec - t0.sec) + (t1.usec - t0.usec) / 1e6))
end)
