--- The host of a task of an event loop's driver (mautic.loop): a coroutine
-- the loop resumes when its transfer ends or its timer fires. A request
-- joins the driver's curl multi handle, a sleep is a timer of the loop;
-- neither holds the loop up. TCP (the Redis client) is the blocking client
-- of plain Lua: a Redis command takes well under a millisecond.
local core = require "mautic.core"
local compat = require "mautic.compat"
local blocking = require "mautic.host.blocking"
local tasks = require "mautic.host.tasks"

local setmetatable = setmetatable

local _M = { name = "loop", pooled = false, keeps_connections = true }

-- task coroutine -> its driver (weak: a finished task needs no entry)
local owners = setmetatable({}, { __mode = "k" })

--- Make co a task of driver (mautic.loop calls this for every task it starts).
function _M.adopt(co, driver)
  owners[co] = driver
end

local function driver_of_running()
  local co = compat.running()
  return co and owners[co]
end

function _M.here() return driver_of_running() ~= nil end

function _M.sleep(seconds) return driver_of_running().sleep(seconds) end

_M.now = core.now
_M.connect = blocking.connect

--- A light thread inside a task: fn runs now; its requests and sleeps are
-- the task's, so the loop goes on meanwhile.
_M.spawn, _M.wait = tasks.spawn, tasks.wait

function _M.send(req) return driver_of_running().transport(req) end

return _M
