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

local coroutine, type, error, tostring, select = coroutine, type, error, tostring, select
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
  opts = opts or {}
  local concurrency = opts.concurrency or 8
  if type(concurrency) ~= "number" or concurrency < 1 then
    error("bad argument #2 to 'parallel' (concurrency must be at least 1)", 2)
  end
  if in_nginx() then return _M.run_ngx(tasks, concurrency) end
  -- HAProxy's requests are its own coroutines, and a cosocket yields to
  -- HAProxy: tasks cannot be coroutines of ours there, so they run in turn
  if haproxy.available() then return _M.run_in_turn(tasks) end
  local multi = core.multi()
  local values, errs = {}, {}
  local waiting = {}          -- transfer id -> { co, index }
  local paused = {}           -- tasks in a cooperative sleep
  local next_task, running = 1, 0

  local function settle(co, index, ok, ...)
    if not ok then
      values[index], errs[index] = nil, (...)
      running = running - 1
      return
    end
    if co_status(co) == "dead" then
      values[index], errs[index] = (...), (select(2, ...))
      running = running - 1
      return
    end
    local tag, req = ...
    if tag == PAUSE then
      paused[#paused + 1] = { co, index }
      return
    end
    if tag ~= REQUEST then
      -- a task yielded for its own reasons: resume it straight away
      return settle(co, index, co_resume(co))
    end
    local ok_add, id, add_err, kind = pcall(multi.add, multi, req)
    if not ok_add then
      -- the core refuses what must never be sent (CR/LF in a header): an error value, as in a session
      return settle(co, index, co_resume(co, nil, tostring(id), "usage", false))
    end
    if not id then
      return settle(co, index, co_resume(co, nil, add_err, kind, false))
    end
    waiting[id] = { co, index }
  end

  local function start_more()
    while running < concurrency and next_task <= #tasks do
      local index = next_task
      next_task = next_task + 1
      local co = co_create(tasks[index])
      owned[co] = true
      running = running + 1
      settle(co, index, co_resume(co))
    end
  end

  local ok, err = pcall(function()
    start_more()
    while running > 0 do
      -- with sleepers, wait a little only, then let them check their clocks
      local wait = #paused > 0 and 0.01 or (opts.timeout or 60)
      local done = multi:pending() > 0 and multi:run(wait) or (core.sleep(wait) or {})
      local sleepers = paused
      paused = {}
      for _, p in ipairs(sleepers) do settle(p[1], p[2], co_resume(p[1])) end
      for _, r in ipairs(done) do
        local slot = waiting[r.id]
        waiting[r.id] = nil
        if slot then
          if r.err then
            settle(slot[1], slot[2], co_resume(slot[1], nil, r.err, r.kind, r.sent))
          else
            settle(slot[1], slot[2], co_resume(slot[1], r.status, r.headers, r.body))
          end
        end
      end
      start_more()
    end
  end)
  multi:close()
  if not ok then error(tostring(err), 2) end
  return values, errs
end

--- One task after the other (inside HAProxy).
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
