--- A small Redis client (RESP2), for the shared token store and rate limit.
--
--   local redis = require("mautic.redis").new{ host = "127.0.0.1", port = 6379,
--                                              password = nil, db = 0, timeout = 2 }
--   local v, err = redis:call("SET", "k", "v", "NX", "PX", 5000)   -- "OK" | redis.null | nil, err
--
-- The codec (`encode`, `read_reply`) does no I/O of its own: it reads from
-- any connection with `receive("*l")` and `receive(n)`, and is tested on
-- canned bytes. The connection is the host's:
--  * inside nginx (phases with cosockets): ngx.socket.tcp, kept in nginx's
--    pool between calls. Debian 12 has no lua-resty-redis, and the few
--    commands needed here do not call for one.
--  * inside HAProxy: core.tcp, one connection per call.
--  * plain Lua: `core.tcp_connect` of the C core, a blocking socket with
--    timeouts (plain Lua has no sockets), kept open by the client. Redis
--    answers in well under a millisecond, so a `mautic.parallel` task
--    holds up the others only that long; waits for a lock or a rate-limit
--    slot go through the cooperative sleep, never through Redis.
local core = require "mautic.core"
local host = require "mautic.host"
local redact = require "mautic.redact"

local type, tostring, tonumber, select, setmetatable = type, tostring, tonumber, select, setmetatable
local concat = table.concat
local sub, byte = string.sub, string.byte

local _M = {}

--- The value of a nil bulk or array reply (a missing key).
_M.null = setmetatable({}, { __tostring = function() return "redis.null" end })
local null = _M.null

--- A command as RESP bytes: an array of bulk strings.
function _M.encode(...)
  local n = select("#", ...)
  local out = { "*" .. n .. "\r\n" }
  for i = 1, n do
    local a = tostring((select(i, ...)))
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return concat(out)
end

--- Read one reply from conn.
-- @return the value: string, integer, array (table), `null`; or
-- @return nil, message, kind: kind "redis" for an error reply (the
--   connection is fine), "network" when the connection failed
function _M.read_reply(conn)
  local line, err = conn:receive("*l")
  if not line then return nil, "redis: " .. tostring(err), "network" end
  local kind, rest = byte(line, 1), sub(line, 2)
  if kind == 43 then return rest end                           -- + simple string
  if kind == 45 then return nil, "redis: " .. rest, "redis" end -- - error
  if kind == 58 then return tonumber(rest) end                 -- : integer
  if kind == 36 then                                            -- $ bulk
    local n = tonumber(rest)
    if not n then return nil, "redis: bad bulk length", "network" end
    if n < 0 then return null end
    local data
    data, err = conn:receive(n + 2)
    if not data then return nil, "redis: " .. tostring(err), "network" end
    return sub(data, 1, n)
  end
  if kind == 42 then                                            -- * array
    local n = tonumber(rest)
    if not n then return nil, "redis: bad array length", "network" end
    if n < 0 then return null end
    local out = {}
    for i = 1, n do
      local v, e, k = _M.read_reply(conn)
      if v == nil and k == "network" then return nil, e, k end
      out[i] = v == nil and null or v       -- an error inside an array stays in place as null
    end
    return out
  end
  return nil, "redis: not a RESP reply", "network"
end

-- Connections -------------------------------------------------------------

-- a connection on the host's sockets (mautic.host): conn, is_new | nil, err.
-- In plain Lua (and a loop's or mautic.parallel's task) the connection is
-- blocking and kept by this client between calls; inside nginx it goes back
-- to nginx's pool named for this server, database and user; inside HAProxy
-- it is one per call.
local function open(self)
  if self.conn then return self.conn, false end
  local conn, err = host.connect(self.host, self.port, { timeout = self.timeout, read_timeout = self.timeout,
                                                         pool = self.pool })
  if not conn then return nil, err end
  -- a blocking connection stays with this client (no pool would keep it)
  if host.current().keeps_connections then self.conn = conn end
  return conn, conn:reused() == 0
end

-- done with a connection that worked
local function release(self, conn)
  if self.conn ~= conn then conn:release() end
end

local function drop(self, conn)
  conn:close()
  if self.conn == conn then self.conn = nil end
end

local function roundtrip(conn, ...)
  local ok, err = conn:send(_M.encode(...))
  if not ok then return nil, "redis: " .. tostring(err), "network" end
  return _M.read_reply(conn)
end

local Client = {}
Client.__index = Client

--- Send one command and read its reply (see read_reply for the answers).
function Client:call(...)
  local conn, fresh = open(self)
  if not conn then
    return nil, "redis " .. self.host .. ":" .. self.port .. ": " .. tostring(fresh), "network"
  end
  if fresh then
    -- a new connection: authenticate and pick the database first
    local _, err, kind
    local password = self.password()
    if password then _, err, kind = roundtrip(conn, "AUTH", password) end
    if not err and self.db ~= 0 then _, err, kind = roundtrip(conn, "SELECT", self.db) end
    if err then
      drop(self, conn)
      return nil, err, kind
    end
  end
  local v, err, kind = roundtrip(conn, ...)
  if v == nil and kind == "network" then drop(self, conn) return nil, err, kind end
  release(self, conn)
  return v, err, kind
end

--- Close the kept connection (plain Lua); the client reconnects when used again.
function Client:close()
  if self.conn then self.conn:close() self.conn = nil end
end

--- A client.
-- @tparam table opts host ("127.0.0.1"), port (6379), password, db (0), timeout (seconds, 2)
_M.OPTIONS = { host = "string", port = "number", password = "string", db = "number", timeout = "number" }

function _M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #1 to 'redis' (table expected)", 2) end
  redact.remember(opts.password)
  local password = opts.password
  local self = setmetatable({
    host = opts.host or "127.0.0.1", port = opts.port or 6379,
    -- in a closure, not a field that a walk over a store or a limit would show
    password = function() return password end,
    db = opts.db or 0, timeout = opts.timeout or 2,
  }, Client)
  -- the nginx pool must not hand a connection of another database or user
  self.pool = ("mautic-redis:%s:%d:%d:%s"):format(self.host, self.port, self.db,
    password and core.b64encode(core.sha256(password)):sub(1, 12) or "-")
  return self
end

return _M
