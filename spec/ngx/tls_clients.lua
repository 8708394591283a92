-- Runs inside nginx (content_by_lua_file) for spec/ngx_tls_spec.lua: one
-- client per step, each with its own URL, TLS and proxy settings, one
-- after the other in this worker (so they share its cosocket keepalive
-- pool). ?steps= is a JSON array of { url =, tls =, proxy =, path = };
-- answers a JSON array: { ok = true, body = } or { kind =, reason =, message = } per step.
local mautic = require "mautic"
local json = require "mautic.json"

local steps = assert(json.decode(ngx.req.get_uri_args().steps))

local out = {}
for i, s in ipairs(steps) do
  local ok, api = pcall(mautic.new, { url = s.url, tls = s.tls, proxy = s.proxy, retries = 0, timeout = 5,
                                      auth = mautic.auth.basic{ username = "admin", password = "mautic" } })
  if not ok then
    out[i] = { raised = tostring(api) }
  else
    local body, err = api.request("GET", s.path or "/contacts", { raw = true })
    if body then
      out[i] = { ok = true, body = body }
    else
      out[i] = { kind = err.kind, reason = err.reason, message = tostring(err.message) }
    end
  end
end
ngx.header["Content-Type"] = "application/json"
ngx.say(json.encode(out))
