--- The HAProxy host (actions, services and tasks of its Lua): HAProxy's
-- own cosockets (`core.tcp`), so a request yields to HAProxy's scheduler
-- instead of blocking the proxy, and sleeps through `core.msleep`.
--
-- Why core.tcp and not core.httpclient: HAProxy 2.6's httpclient has no
-- PATCH (Mautic's edits are PATCHes), says nothing on a failure of whether
-- the request went out (a POST that may have reached Mautic must never be
-- resent), and has one timeout for everything; over core.tcp the request
-- goes out once, `sent` is known, and max_bytes stops a huge answer.
--
-- Limits of core.tcp, to know: no keepalive pool (each request opens a
-- connection and says `Connection: close`, so no connection ever serves
-- two settings); a host name is resolved by HAProxy itself (an IP address
-- or a name in /etc/hosts is safest). In sample fetches and converters
-- HAProxy allows no sockets: a call there returns a "usage" error instead
-- of sending. No light threads of ours: HAProxy's requests are its own
-- coroutines, so a spawned function runs at once.
--
-- TLS: `connect_ssl` checks no certificate at all (HAProxy 2.6 builds the
-- socket's server with `verify none`, whatever `ssl-server-verify` says;
-- spec/haproxy_spec.lua shows a self-signed certificate accepted), sends no
-- server name and no client certificate, and cannot start TLS on a socket
-- already open (so no https through a proxy tunnel). So an https request
-- is sent only with `tls = { verify = false }` said in so many words, and
-- tls.ca_file, tls.server_name, tls.cert_file and an https request through
-- a proxy are refused ("usage", naming the setting) rather than dropped.
-- To verify, send over http:// to a listener of this HAProxy whose server
-- line makes the TLS connection (`ssl verify required ca-file ... sni ...`).
-- An http:// proxy works for http URLs (absolute form, mautic.transport.http1).
--
-- The C core (mautic.core, built for Lua 5.3 in build/lua5.3, the Lua that
-- Debian's HAProxy embeds) is still loaded, for the crypto and encoding
-- primitives; its libcurl is never used inside HAProxy.
local compat = require "mautic.compat"
local cosocket = require "mautic.transport.cosocket"

local type, tostring, setmetatable, pcall, ipairs, floor, rawget, select =
      type, tostring, setmetatable, pcall, ipairs, math.floor, rawget, select
local unpack = compat.unpack

local hap = rawget(_G, "core")

local _M = { name = "haproxy", pooled = false }

--- Is this Lua running inside HAProxy?
function _M.here()
  return type(hap) == "table" and type(hap.tcp) == "function" and type(hap.msleep) == "function"
end

function _M.sleep(s)
  hap.msleep(floor(s * 1000 + 0.5))
end

function _M.now()
  local t = hap.now()
  return t.sec + t.usec / 1e6
end

-- a timeout of 0 or none means none in the request contract: a day here
local function seconds(t, default)
  if t == nil then return default end
  if t <= 0 then return 86400 end
  return t
end

-- A core.tcp socket with the methods every host's connection has.
local Conn = {}
Conn.__index = Conn

function Conn:send(data) return self.sock:send(data) end
function Conn:receive(pattern) return self.sock:receive(pattern) end
function Conn:close() self.sock:close() end
-- no pool: done with it, closed
function Conn:release() self.sock:close() end
function Conn:reused() return 0 end
function Conn:starttls()
  return nil, "HAProxy's core.tcp cannot start TLS on an open connection"
end

function Conn:receive_to_close(limit)
  local data, err, partial = self.sock:receive("*a")
  data = data or (err == "closed" and partial) or nil
  if not data then return nil, err end
  if limit and #data > limit then return nil, "too_large" end
  return data
end

--- A core.tcp connection; with `o.tls`, over TLS from the start (unchecked:
-- see the top of this file; refuse() keeps verifying requests away).
function _M.connect(host, port, o)
  local sock = hap.tcp()
  sock:settimeout(seconds(o.timeout, 10))
  local ok, err
  if o.tls then ok, err = sock:connect_ssl(host, port) else ok, err = sock:connect(host, port) end
  if not ok then
    sock:close()
    return nil, "cannot connect to " .. host .. ":" .. port .. ": " .. tostring(err or "failed"),
           o.tls and "tls" or "connect"
  end
  sock:settimeout(seconds(o.read_timeout, 30))
  return setmetatable({ sock = sock }, Conn)
end

local HOW = "send over http:// to a listener of this HAProxy whose server line verifies "
         .. "(ssl verify required ca-file ... sni str(<name>))"

--- What core.tcp cannot honour (see the top of this file).
function _M.refuse(scheme, req, proxy)
  if scheme ~= "https" then return nil end
  local tls = req.tls or {}
  if tls.verify ~= false then
    return "HAProxy's core.tcp cannot verify a TLS certificate (connect_ssl accepts any): " .. HOW
        .. ", or set tls = { verify = false } to accept an unverified connection"
  end
  for _, k in ipairs{ "ca_file", "server_name", "cert_file" } do
    if tls[k] then
      return "tls." .. k .. " cannot be used over HAProxy's core.tcp (connect_ssl takes no such setting): " .. HOW
    end
  end
  if proxy then
    return "an https request through a proxy cannot be sent over HAProxy's core.tcp (no TLS inside a tunnel): " .. HOW
  end
end

--- A "light thread": fn runs now (HAProxy's requests are its own coroutines).
function _M.spawn(fn, ...)
  local res
  local function keep(...) res = { n = select("#", ...), ... } end
  keep(pcall(fn, ...))
  return { host = _M, res = res }
end

function _M.wait(t) return unpack(t.res, 1, t.res.n) end

local net = cosocket.net(_M)

--- HTTP over core.tcp; a "usage" error where HAProxy allows no sockets.
function _M.send(req)
  local ok, status, headers, body, sent = pcall(cosocket.request, req, net)
  if not ok then
    -- HAProxy refuses sockets where it cannot yield (sample fetches, converters)
    return nil, "HAProxy gives no sockets here (use the client from an action, a service or a task): "
                .. tostring(status), "usage", false
  end
  return status, headers, body, sent
end

return _M
