--- The transport for nginx (OpenResty or nginx with the Lua module):
-- HTTP/1.1 over cosockets, so a request never blocks the worker.
--
-- Connections go back to the worker's keepalive pool, whose name holds
-- everything that decides whom a connection trusts and how it reaches the
-- server (mautic.transport.security.pool_name): scheme, host, port, TLS
-- verification, CA file, server name, client certificate and proxy. A
-- pooled connection skips its TLS handshake, so a looser key would let a
-- connection opened with verify = false serve a client that verifies.
--
-- What the request's settings become here:
--  * tls.verify: sslhandshake's ssl_verify, against the CAs of nginx's
--    lua_ssl_trusted_certificate (and lua_ssl_verify_depth);
--  * tls.server_name: the name sent (SNI) and checked, instead of the
--    URL's host (nginx checks names only: a URL with an IP address
--    verifies only with a server_name);
--  * tls.cert_file, tls.key_file: a client certificate (ngx.ssl's PEM
--    parsers and setclientcert of lua-resty-core), read when a connection
--    is opened;
--  * proxy: an http:// proxy, with a CONNECT tunnel for https
--    (mautic.transport.proxy);
--  * tls.ca_file: refused ("usage"): cosockets take no CA per request, only
--    lua_ssl_trusted_certificate; ignoring the file would verify against
--    other CAs than the ones asked for. That directive can differ between
--    locations while the pool is the worker's: keep one for the http block.
local ngx = ngx -- luacheck: ignore
local tcp = ngx.socket.tcp

local http1 = require "mautic.transport.http1"
local security = require "mautic.transport.security"
local proxies = require "mautic.transport.proxy"

local type, tostring, setmetatable, floor = type, tostring, setmetatable, math.floor

local _M = { _VERSION = "0.2.0" }

-- phases where cosockets may be used
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, preread = true,
}

--- Can the running code use cosockets?
function _M.available()
  return ngx ~= nil and type(ngx.get_phase) == "function" and COSOCKET_PHASES[ngx.get_phase()] == true
end

--- Why a request cannot be sent from the running phase: the message of
-- the "usage" error the default transport returns there instead of
-- blocking the worker with libcurl.
-- @treturn string
function _M.unavailable_reason()
  local phase = type(ngx.get_phase) == "function" and ngx.get_phase() or "unknown"
  -- every phase but init may start a timer, which has cosockets
  local how = "defer the call with ngx.timer.at(0, function() ... end)"
  if phase == "init" then how = "make the call in init_worker_by_lua* inside ngx.timer.at(0, ...)" end
  return "cannot call Mautic from nginx's " .. phase .. " phase: it has no cosockets, and a blocking "
      .. "request would stall the worker; " .. how
end

-- A cosocket as mautic.transport.http1 wants it.
local Conn = {}
Conn.__index = Conn

function Conn:send(data) return self.sock:send(data) end
function Conn:receive(pattern) return self.sock:receive(pattern) end
function Conn:close() self.sock:close() end
function Conn:keepalive() self.sock:setkeepalive(60000, 32) end

-- the body of an answer framed by the closing of the connection
function Conn:receive_to_close(limit)
  local out, n = {}, 0
  while true do
    local data, err = self.sock:receiveany(65536)
    if not data then
      if err == "closed" then return table.concat(out) end
      return nil, err
    end
    n = n + #data
    if limit and n > limit then return nil, "too_large" end
    out[#out + 1] = data
  end
end

local net = { pooled = true, now = function() return ngx.now() end }

function net.refuse(scheme, req)
  if scheme == "https" and req.tls and req.tls.ca_file then
    return "tls.ca_file cannot be used inside nginx: cosockets verify with the CAs of nginx's "
        .. "lua_ssl_trusted_certificate, never a file per request; put the CA there and leave ca_file out"
  end
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data = f:read("*a")
  f:close()
  return data
end

-- the client certificate of tls.cert_file (and key_file) on the socket
local function set_client_cert(sock, tls)
  local ssl = require "ngx.ssl"
  local cert_pem, err = read_file(tls.cert_file)
  if not cert_pem then return nil, "tls.cert_file: " .. tostring(err) end
  local key_pem = cert_pem
  if tls.key_file then
    key_pem, err = read_file(tls.key_file)
    if not key_pem then return nil, "tls.key_file: " .. tostring(err) end
  end
  local cert, key
  cert, err = ssl.parse_pem_cert(cert_pem)
  if not cert then return nil, "tls.cert_file: " .. tostring(err) end
  key, err = ssl.parse_pem_priv_key(key_pem)
  if not key then return nil, "tls.key_file: " .. tostring(err) end
  return sock:setclientcert(cert, key)
end

-- The TLS handshake, its failures as values. lua-resty-core 0.1.25 (Debian
-- 12) raises "assertion failed!" when a handshake that finished at once
-- fails its certificate or name check afterwards (nginx's error log says
-- which): that is a failed handshake too. reused_session is nil, never
-- false: with false that same path answers true, verification failed or not.
local function handshake(sock, name, verify)
  local ok, session, err = pcall(sock.sslhandshake, sock, nil, name, verify)
  if not ok then return nil, "handshake failed (" .. tostring(session) .. "; see nginx's error log)" end
  if not session then return nil, err end
  return true
end

-- A new connection gets its tunnel (through a proxy) and its TLS
-- handshake; a pooled one had both, with the same settings (the pool's
-- name says so).
function net.connect(scheme, host, port, req, proxy)
  local sock = tcp()
  local connect_ms = floor((req.connect_timeout or 10) * 1000)
  local timeout_ms = floor((req.timeout or 30) * 1000)
  sock:settimeouts(connect_ms, timeout_ms, timeout_ms)
  local pool = security.pool_name(scheme, host, port, req, proxy)
  local ok, err
  if proxy then
    ok, err = sock:connect(proxy.host, proxy.port, { pool = pool })
    if not ok then return nil, "proxy " .. proxy.host .. ":" .. proxy.port .. ": " .. tostring(err) end
  else
    ok, err = sock:connect(host, port, { pool = pool })
    if not ok then return nil, err end
  end
  local conn = setmetatable({ sock = sock }, Conn)
  if sock:getreusedtimes() > 0 then return conn end

  local kind
  if proxy and scheme == "https" then
    ok, err, kind = proxies.tunnel(conn, host, port, proxy)
    if not ok then sock:close() return nil, err, kind end
  end
  if scheme == "https" then
    local tls = req.tls or {}
    if tls.cert_file then
      ok, err = set_client_cert(sock, tls)
      if not ok then sock:close() return nil, "TLS: " .. tostring(err), "tls" end
    end
    ok, err = handshake(sock, tls.server_name or host, tls.verify ~= false)
    if not ok then sock:close() return nil, "TLS: " .. tostring(err), "tls" end
  end
  return conn
end

--- Send one request: (req) -> status, headers, body | nil, message, kind, sent
function _M.request(req)
  return http1.request(req, net)
end

return _M
