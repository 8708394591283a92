--- The blocking TCP connections of plain Lua (the C core's small client,
-- core.tcp_connect), shared by the hosts that have no sockets of their own
-- to wait on: plain Lua, a mautic.parallel task, a task of a loop's driver.
-- A Redis command takes well under a millisecond, so blocking is brief.
local core = require "mautic.core"

local tostring, setmetatable = tostring, setmetatable

local _M = {}

-- core.tcp_connect's connection, with the methods every host's connection has
local Conn = {}
Conn.__index = Conn

function Conn:send(data) return self.sock:send(data) end
function Conn:receive(pattern) return self.sock:receive(pattern) end
function Conn:close() self.sock:close() end
-- kept by whoever holds it: a blocking socket has no pool to go back to
function Conn:release() end
function Conn:reused() return 0 end

--- A blocking TCP connection (no TLS: plain Lua speaks HTTPS through libcurl).
function _M.connect(host, port, o)
  if o.tls then return nil, "TLS on a blocking socket is not available (HTTPS goes through libcurl)", "usage" end
  local sock, err = core.tcp_connect(host, port, o.timeout or 2)
  if not sock then return nil, tostring(err), "connect" end
  if o.read_timeout then sock:settimeout(o.read_timeout) end
  return setmetatable({ sock = sock }, Conn)
end

return _M
