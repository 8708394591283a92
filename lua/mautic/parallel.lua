--- Many requests at once, without threads.
--   local values, errs = mautic.parallel({
--     function() return api.contacts.get(1) end,
--     function() return api.contacts.get(2) end,
--   }, { concurrency = 8 })
-- Each task runs in a coroutine; when it sends a request through the
-- default transport, the request joins one curl multi handle and the
-- coroutine waits until its answer is in, while the others go on. Results
-- come back in task order: values[i], errs[i] are what task i returned.
local core = require "mautic.core"

local compat = require "mautic.compat"
local options = require "mautic.options"

local type, error, tostring, select, pcall, ipairs, setmetatable =
      type, error, tostring, select, pcall, ipairs, setmetatable
local unpack = table.unpack or unpack -- luacheck: ignore (Lua 5.1 / LuaJIT)
local min = math.min
-- seen through compat.pcall's wrappers (plain Lua 5.1)
local co_running = compat.running
local co_yield, co_resume, co_create, co_status =
      coroutine.yield, coroutine.resume, coroutine.create, coroutine.status

local _M = { _VERSION = "0.2.0" }

-- coroutines that belong to a running scheduler
local owned = setmetatable({}, { __mode = "k" })
local REQUEST, PAUSE = {}, {}

--- Is the running code a task of a scheduler?
function _M.active()
  local co = co_running()
  return co ~= nil and owned[co] == true
end

--- Hand a request to the scheduler and wait for its answer.
function _M.send(req)
  return co_yield(REQUEST, req)
end

local function in_nginx()
  return ngx ~= nil and ngx.get_phase ~= nil and require("mautic.transport.ngx").available()
end

local haproxy = require "mautic.transport.haproxy"

--- Sleep without holding up the other tasks: ngx.sleep inside nginx,
-- core.msleep inside HAProxy, a yield to the scheduler inside
-- mautic.parallel, a plain sleep elsewhere.
function _M.sleep(seconds)
  if in_nginx() then return ngx.sleep(seconds) end
  if haproxy.available() then return haproxy.sleep(seconds) end
  if not _M.active() then return core.sleep(seconds) end
  local wake = core.now() + seconds
  repeat co_yield(PAUSE) until core.now() >= wake
end

-- A scheduler: coroutines over one curl multi handle. Tasks yield
-- REQUEST (a transfer to add) or PAUSE (a cooperative sleep); step() moves
-- every task as far as it can go without blocking longer than asked.
local Scheduler = {}
Scheduler.__index = Scheduler

local function new_scheduler()
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
    if wait > 0 then core.sleep(wait) end
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

--- Run tasks concurrently.
-- @tparam table tasks array of functions
-- @tparam[opt] table opts concurrency (default 8), timeout (seconds per wait, 60)
-- @treturn table values: the first value each task returned
-- @treturn table errs: the second value each task returned (or the error it raised)
function _M.run(tasks, opts)
  if type(tasks) ~= "table" then
    error("bad argument #1 to 'parallel' (array of functions expected, got " .. type(tasks) .. ")", 2)
  end
  for i = 1, #tasks do
    if type(tasks[i]) ~= "function" then
      error("bad argument #1 to 'parallel' (task " .. i .. " is a " .. type(tasks[i]) .. ", not a function)", 2)
    end
  end
  opts = options.check("parallel", 2, opts, { concurrency = "any", timeout = options.is_positive_seconds }, 2)
  local concurrency = opts.concurrency or 8
  if type(concurrency) ~= "number" or concurrency < 1 then
    error("bad argument #2 to 'parallel' (concurrency must be at least 1)", 2)
  end
  if in_nginx() then return _M.run_ngx(tasks, concurrency) end
  -- HAProxy's requests are its own coroutines, and a cosocket yields to
  -- HAProxy: tasks cannot be coroutines of ours there, so they run in turn
  if haproxy.available() then return _M.run_in_turn(tasks) end
  local sched = new_scheduler()
  local values, errs = {}, {}
  local started, next_task = {}, 1

  local ok, err = pcall(function()
    while true do
      while sched.live < concurrency and next_task <= #tasks do
        started[next_task] = sched:spawn(tasks[next_task])
        next_task = next_task + 1
      end
      if sched.live == 0 and next_task > #tasks then break end
      sched:step(opts.timeout or 60)
    end
  end)
  sched:close()
  if not ok then error(tostring(err), 2) end
  for i, task in ipairs(started) do
    if task.raised ~= nil then
      errs[i] = task.raised
    else
      values[i], errs[i] = task.values[1], task.values[2]
    end
  end
  return values, errs
end

--- Run fn ahead of time and get its values later (each uses it to fetch the
-- next page while the caller works on the current one). Inside nginx a
-- light thread; elsewhere a task on a scheduler of its own, whose request
-- goes out at once and whose answer waits in the socket until asked for.
-- Inside a mautic.parallel task or HAProxy, fn simply runs now.
-- @treturn table a handle: handle:result() returns fn's values (raises what fn raised)
function _M.ahead(fn)
  if in_nginx() then
    local thread = ngx.thread.spawn(fn)
    return { result = function()
      local res = { n = 0 }
      local function keep(ok, ...) res = { n = select("#", ...), ok = ok, ... } end
      keep(ngx.thread.wait(thread))
      if not res.ok then error(res[1], 0) end
      return unpack(res, 1, res.n)
    end }
  end
  if _M.active() or haproxy.available() then
    local res = { n = 0 }
    local function keep(...) res = { n = select("#", ...), ... } end
    -- fn yields to the task's scheduler: a pcall that lets it (plain 5.1)
    local ok, raised = compat.pcall(function() keep(fn()) end)
    return { result = function()
      if not ok then error(raised, 0) end
      return unpack(res, 1, res.n)
    end }
  end
  local sched = new_scheduler()
  local task = sched:spawn(fn)
  sched:step(0)   -- send the request now
  local handle = {}
  function handle.result()
    local results = { n = 0 }
    local ok, raised = pcall(function()
      local function keep(...) results = { n = select("#", ...), ... } end
      keep(sched:wait(task))
    end)
    sched:close()
    if not ok then error(raised, 0) end
    return unpack(results, 1, results.n)
  end
  function handle.cancel() sched:close() end
  return handle
end

--- Inside HAProxy: one task after the other.
function _M.run_in_turn(tasks)
  local values, errs = {}, {}
  for i = 1, #tasks do
    local ok, v, e = pcall(tasks[i])
    if ok then values[i], errs[i] = v, e else errs[i] = v end
  end
  return values, errs
end

--- Inside nginx: light threads over cosockets, at most `concurrency` at once.
function _M.run_ngx(tasks, concurrency)
  local values, errs = {}, {}
  local first = 1
  while first <= #tasks do
    local last = math.min(#tasks, first + concurrency - 1)
    local threads = {}
    for i = first, last do threads[i] = ngx.thread.spawn(tasks[i]) end
    for i = first, last do
      local ok, v, e = ngx.thread.wait(threads[i])
      if ok then values[i], errs[i] = v, e else errs[i] = v end
    end
    first = last + 1
  end
  return values, errs
end

return _M
