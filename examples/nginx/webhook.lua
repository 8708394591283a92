-- A Mautic webhook receiver for nginx with the Lua module (OpenResty or
-- Debian's libnginx-mod-http-lua):
--
--   env MAUTIC_WEBHOOK_SECRET;                       # main context
--   http {
--     lua_package_path  "/opt/lua-mautic/lua/?.lua;/opt/lua-mautic/lua/?/init.lua;;";
--     lua_package_cpath "/opt/lua-mautic/build/luajit/?.so;;";
--     server {
--       location = /mautic/webhook { content_by_lua_file /opt/lua-mautic/examples/nginx/webhook.lua; }
--     }
--   }
--
-- The signature is checked on the raw body, before anything else is done.
local mautic = require "mautic"

local secret = os.getenv("MAUTIC_WEBHOOK_SECRET")
if not secret or secret == "" then
  ngx.log(ngx.ERR, "MAUTIC_WEBHOOK_SECRET is not set (add `env MAUTIC_WEBHOOK_SECRET;` to nginx.conf)")
  return ngx.exit(500)
end

if ngx.req.get_method() ~= "POST" then return ngx.exit(405) end

ngx.req.read_body()
local body = ngx.req.get_body_data()
if not body then
  -- bodies larger than client_body_buffer_size are kept in a file
  local path = ngx.req.get_body_file()
  local f = path and io.open(path, "rb")
  body = f and f:read("*a") or ""
  if f then f:close() end
end

if not mautic.webhook.verify(secret, body, ngx.req.get_headers()["webhook-signature"]) then
  ngx.log(ngx.WARN, "mautic webhook: bad signature from ", ngx.var.remote_addr)
  return ngx.exit(403)
end

local events, err = mautic.webhook.parse(body)
if not events then
  ngx.status = 400
  return ngx.say(err)
end
for _, event in ipairs(events) do
  local contact = event.payload.contact or event.payload.lead
  ngx.log(ngx.INFO, "mautic webhook: ", event.type, " contact ", contact and contact.id or "-")
end
ngx.header["Content-Type"] = "application/json"
ngx.say('{"received":', #events, '}')
