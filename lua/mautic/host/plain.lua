--- The plain Lua host: no event loop around the code, so waits block
-- (core.sleep), HTTP goes through a libcurl session per client (kept
-- alive), TCP through the C core's small blocking client (a Redis command
-- takes well under a millisecond), and a light thread is a task of a
-- mautic.scheduler of its own, whose request goes out at once.
local core = require "mautic.core"
local scheduler = require "mautic.scheduler"
local curl = require "mautic.transport.curl"
local blocking = require "mautic.host.blocking"

local select, pcall = select, pcall
local unpack = require("mautic.compat").unpack

-- keeps_connections: a connection is its caller's to keep between calls (no pool)
local _M = { name = "plain", pooled = false, keeps_connections = true }

function _M.here() return true end

_M.sleep = core.sleep
_M.now = core.now

-- TCP: blocking (mautic.host.blocking)
_M.connect = blocking.connect

--- A light thread: fn on a scheduler of its own, run until its first wait.
function _M.spawn(fn, ...)
  local args = { n = select("#", ...), ... }
  local sched = scheduler.new()
  local task = sched:spawn(function() return fn(unpack(args, 1, args.n)) end)
  sched:step(0)     -- its request goes out now
  return { host = _M, sched = sched, task = task }
end

function _M.wait(thread)
  local results = scheduler.pack(pcall(thread.sched.wait, thread.sched, thread.task))
  thread.sched:close()
  return scheduler.unpack(results)
end

--- HTTP through the client's libcurl session, made on first use.
function _M.send(req, state)
  state.session = state.session or curl.session()
  return curl.request(state.session, req)
end

return _M
