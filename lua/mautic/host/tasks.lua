--- The host of a mautic.parallel task: a coroutine of a mautic.scheduler,
-- which runs many of them over one curl multi handle. A task that sends
-- hands its request to the scheduler and waits (a yield); one that sleeps
-- lets the others go on. This file holds the protocol between a task and
-- its scheduler: which coroutines are tasks, and what they yield.
local core = require "mautic.core"
local compat = require "mautic.compat"
local blocking = require "mautic.host.blocking"

local select, setmetatable = select, setmetatable
local co_yield = coroutine.yield
local unpack = compat.unpack

local _M = { name = "tasks", pooled = false, keeps_connections = true }

-- coroutines that belong to a running scheduler
local owned = setmetatable({}, { __mode = "k" })
_M.owned = owned

-- what a task yields to its scheduler: a transfer to add, or a pause
_M.REQUEST, _M.PAUSE = {}, {}

--- Is the running code a task of a scheduler?
function _M.here()
  local co = compat.running()
  return co ~= nil and owned[co] == true
end

_M.now = core.now

--- Sleep without holding up the other tasks.
function _M.sleep(seconds)
  local wake = core.now() + seconds
  repeat co_yield(_M.PAUSE) until core.now() >= wake
end

--- Hand a request to the scheduler and wait for its answer.
function _M.send(req)
  return co_yield(_M.REQUEST, req)
end

-- TCP: the blocking client, as in plain Lua (a Redis command is quick)
_M.connect = blocking.connect

--- A light thread inside a task: fn runs now, its requests going to this
-- task's scheduler (a pcall that lets it yield, plain 5.1 included).
function _M.spawn(fn, ...)
  local res
  local function keep(...) res = { n = select("#", ...), ... } end
  local ok, raised = compat.pcall(function(...) keep(fn(...)) end, ...)
  return { host = _M, ok = ok, raised = raised, res = res }
end

function _M.wait(thread)
  if not thread.ok then return false, thread.raised end
  return true, unpack(thread.res, 1, thread.res.n)
end

return _M
