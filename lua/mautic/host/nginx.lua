--- The nginx host (OpenResty, or nginx with its Lua module): cosockets, so
-- nothing blocks the worker; ngx.sleep; light threads; connections kept in
-- nginx's pools. In the phases without cosockets (init, init_worker
-- outside a timer, set, header_filter, body_filter, log, balancer) nothing
-- is sent: a request is a "usage" error saying how to defer the call,
-- never a blocking request that would stall the worker.
-- TLS is checked against nginx's `lua_ssl_trusted_certificate` (cosockets
-- take no CA file per request: tls.ca_file is refused here).
local core = require "mautic.core"
local cosocket = require "mautic.transport.cosocket"

local type, tostring, setmetatable, floor, pcall, rawget = type, tostring, setmetatable, math.floor, pcall, rawget
local concat = table.concat

local _M = { name = "nginx", pooled = true }

-- phases where cosockets may be used
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, preread = true,
}

local function ngx_() return rawget(_G, "ngx") end

--- Is this Lua running inside nginx (any phase)?
function _M.here()
  local ngx = ngx_()
  return ngx ~= nil and type(ngx.get_phase) == "function"
end

--- Can the running code use cosockets?
function _M.available()
  return _M.here() and COSOCKET_PHASES[ngx_().get_phase()] == true
end

--- Why a request cannot be sent from the running phase.
function _M.unavailable_reason()
  local ngx = ngx_()
  local phase = type(ngx.get_phase) == "function" and ngx.get_phase() or "unknown"
  -- every phase but init may start a timer, which has cosockets
  local how = "defer the call with ngx.timer.at(0, function() ... end)"
  if phase == "init" then how = "make the call in init_worker_by_lua* inside ngx.timer.at(0, ...)" end
  return "cannot call Mautic from nginx's " .. phase .. " phase: it has no cosockets, and a blocking "
      .. "request would stall the worker; " .. how
end

function _M.sleep(seconds)
  -- a phase without cosockets has no ngx.sleep either; nothing waits there
  -- (its requests fail at once), so this is not reached in practice
  if not _M.available() then return core.sleep(seconds) end
  return ngx_().sleep(seconds)
end

function _M.now() return ngx_().now() end

-- A cosocket with the methods every host's connection has.
local Conn = {}
Conn.__index = Conn

function Conn:send(data) return self.sock:send(data) end
function Conn:receive(pattern) return self.sock:receive(pattern) end
function Conn:close() self.sock:close() end
function Conn:release() self.sock:setkeepalive(60000, 32) end
Conn.keepalive = Conn.release
function Conn:reused() return self.sock:getreusedtimes() end

-- the body of an answer framed by the closing of the connection
function Conn:receive_to_close(limit)
  local out, n = {}, 0
  while true do
    local data, err = self.sock:receiveany(65536)
    if not data then
      if err == "closed" then return concat(out) end
      return nil, err
    end
    n = n + #data
    if limit and n > limit then return nil, "too_large" end
    out[#out + 1] = data
  end
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data = f:read("*a")
  f:close()
  return data
end

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

--- The TLS handshake on this connection: server name, verify (never
-- `false` to sslhandshake as "no verify" by accident: a boolean is passed),
-- a client certificate. lua-resty-core 0.1.25 raises "assertion failed!"
-- on some failed handshakes: that is a TLS failure too.
function Conn:starttls(tls)
  if tls.cert_file then
    local ok, err = set_client_cert(self.sock, tls)
    if not ok then return nil, err end
  end
  local ok, session, err = pcall(self.sock.sslhandshake, self.sock, nil, tls.server_name, tls.verify == true)
  if not ok then return nil, "handshake failed (" .. tostring(session) .. "; see nginx's error log)" end
  if not session then return nil, err end
  return true
end

--- A cosocket to host:port, from the pool `o.pool` when it holds one; a
-- new connection gets its TLS handshake when `o.tls` asks for one.
function _M.connect(host, port, o)
  local sock = ngx_().socket.tcp()
  local read_ms = floor((o.read_timeout or o.timeout or 30) * 1000)
  sock:settimeouts(floor((o.timeout or 10) * 1000), read_ms, read_ms)
  local ok, err = sock:connect(host, port, o.pool and { pool = o.pool } or nil)
  if not ok then return nil, err end
  local conn = setmetatable({ sock = sock }, Conn)
  if o.tls and sock:getreusedtimes() == 0 then
    ok, err = conn:starttls(o.tls)
    if not ok then sock:close() return nil, "TLS: " .. tostring(err), "tls" end
  end
  return conn
end

--- What cosockets cannot honour: a CA file per request.
function _M.refuse(scheme, req)
  if scheme == "https" and req.tls and req.tls.ca_file then
    return "tls.ca_file cannot be used inside nginx: cosockets verify with the CAs of nginx's "
        .. "lua_ssl_trusted_certificate, never a file per request; put the CA there and leave ca_file out"
  end
end

--- A light thread (ngx.thread).
function _M.spawn(fn, ...)
  return { host = _M, thread = ngx_().thread.spawn(fn, ...) }
end

function _M.wait(t) return ngx_().thread.wait(t.thread) end

local net = cosocket.net(_M)

--- HTTP over cosockets; a "usage" error in a phase without them.
function _M.send(req)
  if not _M.available() then return nil, _M.unavailable_reason(), "usage", false end
  return cosocket.request(req, net)
end

return _M
