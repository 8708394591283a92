-- A Lua service for HAProxy: creates a Mautic contact from ?email=...
-- Loaded with `lua-load` (see haproxy.cfg beside this file). The client is
-- made once, when HAProxy loads the file; inside HAProxy it sends its
-- requests over HAProxy's own sockets (core.tcp) and sleeps with
-- core.msleep, so a slow Mautic never holds up the proxy. No transport
-- option is needed: the library sees that it runs inside HAProxy.
local mautic = require "mautic"

local api = mautic.assert(mautic.from_env{ timeout = 10, retries = 1 })
-- An endpoint family is loaded the first time it is used. HAProxy may chroot
-- once the configuration is read (Debian's haproxy.cfg: chroot
-- /var/lib/haproxy), and then no module file is in reach: load now the
-- families the service calls.
local _ = api.contacts

local function reply(applet, status, body)
  applet:set_status(status)
  applet:add_header("content-type", "application/json")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end

core.register_service("mautic_signup", "http", function(applet)
  local email = applet.qs:match("email=([^&]+)")
  if not email then return reply(applet, 400, '{"error":"email missing"}') end
  local contact, err = api.contacts.create{ email = require("mautic.core").pct_decode(email) }
  if not contact then
    core.Warning(tostring(err))          -- errors print without secrets
    return reply(applet, 502, '{"error":"mautic"}')
  end
  reply(applet, 201, mautic.json.encode{ id = contact.id })
end)
