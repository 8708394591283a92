--- The settings that decide whom a connection trusts and how it reaches
-- the server: a request's `tls` table and its `proxy`.
--
-- Checked here as the C core checks them (src/reqcheck.c), so that every
-- transport refuses the same mistakes and none drops an option without a
-- word; and made into the name of a keepalive pool, so that a pooled
-- connection only ever serves a request with the very settings it was
-- opened (and its TLS handshake made) with. lua-resty-http keys its pools
-- the same way.
local core = require "mautic.core"
local random = require "mautic.random"

local type, pairs, tostring = type, pairs, tostring
local concat, sort = table.concat, table.sort
local find, format = string.find, string.format

local _M = {}

-- the keys of `tls` and the type of their value
local TLS_TYPES = {
  verify = "boolean",      -- check the certificate and the name (default true)
  ca_file = "string",      -- PEM file of the CAs to trust instead of the system's
  server_name = "string",  -- the name sent (SNI) and checked, instead of the URL's host
  cert_file = "string",    -- PEM client certificate (with its key, unless key_file)
  key_file = "string",     -- PEM private key of cert_file, unencrypted
}

local KNOWN = {}
for k in pairs(TLS_TYPES) do KNOWN[#KNOWN + 1] = k end
sort(KNOWN)
_M.TLS_KEYS = KNOWN

--- What is wrong with a request's `tls` and `proxy`, or nil.
-- @treturn[1] nil when both are fine
-- @treturn[2] string the message of a "usage" error
function _M.check(tls, proxy)
  if tls ~= nil then
    if type(tls) ~= "table" then return "tls must be a table" end
    for k, v in pairs(tls) do
      local want = TLS_TYPES[k]
      if not want then
        return format("unknown tls option %s (known: %s)", type(k) == "string" and "'" .. k .. "'" or tostring(k),
                      concat(KNOWN, ", "))
      end
      if type(v) ~= want then return format("tls.%s must be a %s", k, want) end
      if want == "string" and (v == "" or find(v, "[%z\r\n]")) then
        return format("tls.%s is empty or contains CR, LF or NUL", k)
      end
    end
    if tls.server_name and not find(tls.server_name, "^[%w][%w%.%-]*$") then
      return "tls.server_name must be a host name (letters, digits, '.' and '-')"
    end
    if tls.key_file and not tls.cert_file then return "tls.key_file needs tls.cert_file" end
  end
  if proxy ~= nil then
    if type(proxy) ~= "string" then return "proxy must be a string" end
    if find(proxy, "[%z\r\n]") then return "proxy contains CR, LF or NUL" end
  end
  return nil
end

-- a field of a pool name: its length first, so no value can pass for two
local function field(s)
  s = tostring(s or "")
  return #s .. ":" .. s
end

--- The name of the keepalive pool for a connection to host:port with the
-- request's settings (proxy: what mautic.transport.proxy.parse made of
-- req.proxy, or nil). Everything that changes whom the connection trusts
-- or how it reaches the server is in it; the proxy's credentials only as a
-- hash, since pool names can reach nginx's debug log.
-- @treturn string
function _M.pool_name(scheme, host, port, req, proxy)
  local parts = { field(scheme), field(host), field(port) }
  if scheme == "https" then
    local tls = req.tls or {}
    parts[#parts + 1] = tls.verify == false and "noverify" or "verify"
    parts[#parts + 1] = field(tls.ca_file)
    parts[#parts + 1] = field(tls.server_name or host)
    parts[#parts + 1] = field(tls.cert_file)
    parts[#parts + 1] = field(tls.key_file)
  end
  if proxy then
    parts[#parts + 1] = "proxy"
    parts[#parts + 1] = field(proxy.host)
    parts[#parts + 1] = field(proxy.port)
    parts[#parts + 1] = field(proxy.authorization and random.to_hex(core.sha256(proxy.authorization)))
  end
  return concat(parts, "|")
end

return _M
