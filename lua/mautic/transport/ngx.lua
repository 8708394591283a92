--- The transport for nginx (OpenResty or nginx with the Lua module):
-- HTTP/1.1 over cosockets, so a request never blocks the worker.
-- Connections go back to nginx's keepalive pool, keyed by scheme, host and
-- port. TLS verification uses the `lua_ssl_trusted_certificate` of the
-- nginx configuration (cosockets take no per-request CA file).
local ngx = ngx -- luacheck: ignore
local tcp = ngx.socket.tcp

local http1 = require "mautic.transport.http1"

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

-- Connections go to nginx's pool keyed by scheme, host and port; a TLS
-- handshake only on a new one.
function net.connect(scheme, host, port, req)
  local sock = tcp()
  local connect_ms = floor((req.connect_timeout or 10) * 1000)
  local timeout_ms = floor((req.timeout or 30) * 1000)
  sock:settimeouts(connect_ms, timeout_ms, timeout_ms)
  local ok, err = sock:connect(host, port, { pool = scheme .. ":" .. host .. ":" .. port })
  if not ok then return nil, err end
  if scheme == "https" and sock:getreusedtimes() == 0 then
    local verify = not (req.tls and req.tls.verify == false)
    ok, err = sock:sslhandshake(nil, host, verify)
    if not ok then sock:close() return nil, "TLS: " .. tostring(err), "tls" end
  end
  return setmetatable({ sock = sock }, Conn)
end

--- Send one request: (req) -> status, headers, body | nil, message, kind, sent
function _M.request(req)
  return http1.request(req, net)
end

return _M
