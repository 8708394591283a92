--- HTTP/1.1 over the sockets of a host that has no HTTP client of its own
-- (nginx's cosockets, HAProxy's core.tcp): the host adapter gives the
-- connection (mautic.host), this gives mautic.transport.http1 what it
-- needs: a keepalive pool name that holds every security setting, a
-- tunnel through an http:// proxy, and the TLS handshake on a new
-- connection only (a pooled one made it with the very same settings).
local http1 = require "mautic.transport.http1"
local security = require "mautic.transport.security"
local proxies = require "mautic.transport.proxy"

local tostring = tostring

local _M = {}

-- the TLS settings of a connection to host
local function tls_of(req, host)
  local tls = req.tls or {}
  return { server_name = tls.server_name or host, verify = tls.verify ~= false,
           cert_file = tls.cert_file, key_file = tls.key_file }
end

--- The `net` of mautic.transport.http1 for a host adapter.
function _M.net(adapter)
  local net = { pooled = adapter.pooled, now = adapter.now, refuse = adapter.refuse }
  function net.connect(scheme, host, port, req, proxy)
    local tunnel = proxy and scheme == "https"
    local o = {
      timeout = req.connect_timeout or 10, read_timeout = req.timeout or 30,
      pool = adapter.pooled and security.pool_name(scheme, host, port, req, proxy) or nil,
      tls = scheme == "https" and not proxy and tls_of(req, host) or nil,
    }
    local conn, err, kind
    if proxy then
      conn, err, kind = adapter.connect(proxy.host, proxy.port, o)
      if not conn then return nil, "proxy " .. proxy.host .. ":" .. proxy.port .. ": " .. tostring(err), kind end
    else
      conn, err, kind = adapter.connect(host, port, o)
      if not conn then return nil, err, kind end
    end
    if not tunnel or conn:reused() > 0 then return conn end
    local ok
    ok, err, kind = proxies.tunnel(conn, host, port, proxy)
    if not ok then conn:close() return nil, err, kind end
    ok, err = conn:starttls(tls_of(req, host))
    if not ok then conn:close() return nil, "TLS: " .. tostring(err), "tls" end
    return conn
  end
  return net
end

--- Send one request over the adapter's sockets:
-- (req) -> status, headers, body | nil, message, kind, sent
function _M.request(req, net)
  return http1.request(req, net)
end

return _M
