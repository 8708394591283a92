-- Runs inside nginx (content_by_lua_file) for spec/ngx_tls_spec.lua: one
-- client per step, each with its own TLS and proxy settings, against the
-- Mautic at ?url=, one after the other in this worker (so they share its
-- cosocket keepalive pool). ?steps=lax,strict,... names the clients;
-- answers a JSON array: { ok = true } or { kind =, message = } per step.
local mautic = require "mautic"
local json = require "mautic.json"

local args = ngx.req.get_uri_args()

local SETTINGS = {
  lax = { tls = { verify = false } },
  strict = {},
  named = { tls = { server_name = "localhost" } },
  ca_file = { tls = { ca_file = args.ca_file } },
  proxied = { proxy = args.proxy },
  proxied_lax = { proxy = args.proxy, tls = { verify = false } },
  cert = { tls = { cert_file = args.cert_file, key_file = args.key_file, verify = false } },
  nocert = { tls = { verify = false } },
}

local out = {}
for step in args.steps:gmatch("[^,]+") do
  local s = assert(SETTINGS[step], "unknown step " .. step)
  local api = mautic.new{ url = args.url, auth = mautic.auth.basic{ username = "admin", password = "mautic" },
                          tls = s.tls, proxy = s.proxy, retries = 0, timeout = 5 }
  local body, err = api.request("GET", args.path or "/contacts", { raw = true, base = args.base })
  if body then
    out[#out + 1] = { ok = true, body = body }
  else
    out[#out + 1] = { kind = err.kind, message = tostring(err.message) }
  end
end
ngx.header["Content-Type"] = "application/json"
ngx.say(json.encode(out))
