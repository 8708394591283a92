--- Coroutines over one curl multi handle: the engine of mautic.parallel in
-- plain Lua, and of a light thread there (mautic.host.plain.spawn).
-- A task is a coroutine marked as one (mautic.host.tasks.owned); it yields
-- REQUEST (a transfer to add) or PAUSE (a cooperative sleep); step() moves
-- every task as far as it can go without blocking longer than asked.
local core = require "mautic.core"
local compat = require "mautic.compat"
local tasks = require "mautic.host.tasks"

local select, pcall, ipairs, tostring, error, setmetatable = select, pcall, ipairs, tostring, error, setmetatable
local co_resume, co_create, co_status = coroutine.resume, coroutine.create, coroutine.status
local min = math.min
local unpack = compat.unpack

local _M = {}

local owned, REQUEST, PAUSE = tasks.owned, tasks.REQUEST, tasks.PAUSE

--- Values as a table that keeps their count, and back.
function _M.pack(...) return { n = select("#", ...), ... } end
function _M.unpack(t, from) return unpack(t, from or 1, t.n) end

local Scheduler = {}
Scheduler.__index = Scheduler

--- A new scheduler with a multi handle of its own.
function _M.new()
  return setmetatable({ multi = core.multi(), waiting = {}, paused = {}, live = 0 }, Scheduler)
end

-- A task's coroutine yielded or ended: record what it wants next.
function Scheduler:settle(task, ok, ...)
  local co = task.co
  if not ok then
    task.done, task.values, task.raised = true, {}, (...)
    self.live = self.live - 1
    return
  end
  if co_status(co) == "dead" then
    task.done, task.values = true, { n = select("#", ...), ... }
    self.live = self.live - 1
    return
  end
  local tag, req = ...
  if tag == PAUSE then
    self.paused[#self.paused + 1] = task
    return
  end
  if tag ~= REQUEST then
    -- a task yielded for its own reasons: resume it straight away
    return self:settle(task, co_resume(co))
  end
  local ok_add, id, add_err, kind = pcall(self.multi.add, self.multi, req)
  if not ok_add then
    -- the core refuses what must never be sent (CR/LF in a header): an error value, as in a session
    return self:settle(task, co_resume(co, nil, tostring(id), "usage", false))
  end
  if not id then
    return self:settle(task, co_resume(co, nil, add_err, kind, false))
  end
  self.waiting[id] = task
end

--- Start fn as a task; it runs until its first request or sleep.
function Scheduler:spawn(fn)
  local task = { co = co_create(fn) }
  owned[task.co] = true
  self.live = self.live + 1
  self:settle(task, co_resume(task.co))
  return task
end

--- Move every task on: wake the sleepers, then wait at most `wait` seconds
-- for transfers to end and resume their tasks.
function Scheduler:step(wait)
  local sleepers = self.paused
  self.paused = {}
  for _, task in ipairs(sleepers) do self:settle(task, co_resume(task.co)) end
  if #self.paused > 0 then wait = min(wait, 0.01) end
  local done
  if self.multi:pending() > 0 then
    done = self.multi:run(wait)
  else
    -- nothing in flight: sleep only until the next sleeper is due; with no
    -- sleeper either, every task has ended and there is nothing to wait for
    if #self.paused > 0 and wait > 0 then core.sleep(wait) end
    done = {}
  end
  for _, r in ipairs(done) do
    local task = self.waiting[r.id]
    self.waiting[r.id] = nil
    if task then
      if r.err then
        self:settle(task, co_resume(task.co, nil, r.err, r.kind, r.sent))
      else
        self:settle(task, co_resume(task.co, r.status, r.headers, r.body))
      end
    end
  end
end

--- Step until `task` has ended; its values, or raise what it raised.
function Scheduler:wait(task, timeout)
  while not task.done do self:step(timeout or 60) end
  if task.raised ~= nil then error(task.raised, 0) end
  return unpack(task.values, 1, task.values.n)
end

function Scheduler:close()
  self.multi:close()
end

return _M
