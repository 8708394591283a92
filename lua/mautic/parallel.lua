--- Many requests at once, without threads.
--   local values, errs = mautic.parallel({
--     function() return api.contacts.get(1) end,
--     function() return api.contacts.get(2) end,
--   }, { concurrency = 8 })
-- In plain Lua each task runs in a coroutine of a mautic.scheduler: when
-- it sends a request, the request joins one curl multi handle and the
-- coroutine waits until its answer is in, while the others go on. Inside
-- nginx the tasks are light threads; where the host's requests are its
-- own coroutines already (HAProxy, a task of a loop or of another
-- mautic.parallel), they run one after the other. Results come back in
-- task order: values[i], errs[i] are what task i returned.
local host = require "mautic.host"
local scheduler = require "mautic.scheduler"
local tasks_host = require "mautic.host.tasks"
local options = require "mautic.options"

local type, error, tostring, pcall, ipairs = type, error, tostring, pcall, ipairs
local min = math.min

local _M = {}

--- Is the running code a task of a scheduler?
_M.active = tasks_host.here

--- Hand a request to the scheduler and wait for its answer (from a task).
_M.send = tasks_host.send

--- Sleep without holding up the host (see mautic.host).
_M.sleep = host.sleep

-- plain Lua: the tasks on one scheduler, at most `concurrency` alive
local function run_scheduled(tasks, concurrency, timeout)
  local sched = scheduler.new()
  local started, next_task = {}, 1
  local ok, err = pcall(function()
    while true do
      while sched.live < concurrency and next_task <= #tasks do
        started[next_task] = sched:spawn(tasks[next_task])
        next_task = next_task + 1
      end
      if sched.live == 0 and next_task > #tasks then break end
      sched:step(timeout)
    end
  end)
  sched:close()
  if not ok then error(tostring(err), 3) end
  local values, errs = {}, {}
  for i, task in ipairs(started) do
    if task.raised ~= nil then
      errs[i] = task.raised
    else
      values[i], errs[i] = task.values[1], task.values[2]
    end
  end
  return values, errs
end

-- any other host: its light threads, `concurrency` at a time (where a
-- spawned function runs at once, one after the other)
local function run_threads(h, tasks, concurrency)
  local values, errs = {}, {}
  local first = 1
  while first <= #tasks do
    local last = min(#tasks, first + concurrency - 1)
    local threads = {}
    for i = first, last do threads[i] = h.spawn(tasks[i]) end
    for i = first, last do
      local ok, v, e = h.wait(threads[i])
      if ok then values[i], errs[i] = v, e else errs[i] = v end
    end
    first = last + 1
  end
  return values, errs
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
  local h = host.current()
  local values, errs
  if h.name == "plain" then
    values, errs = run_scheduled(tasks, concurrency, opts.timeout or 60)
  else
    values, errs = run_threads(h, tasks, concurrency)
  end
  return values, errs
end

--- Run fn ahead of time and get its values later (each uses it to fetch the
-- next page while the caller works on the current one): a light thread of
-- the host (mautic.host.spawn). In plain Lua a task on a scheduler of its
-- own, whose request goes out at once and whose answer waits in the socket
-- until asked for; inside nginx a light thread; elsewhere fn runs now.
-- @treturn table a handle: handle.result() returns fn's values (raises
--   what fn raised); handle.cancel() drops it
function _M.ahead(fn)
  local thread = host.spawn(fn)
  local handle = {}
  function handle.result()
    local res = scheduler.pack(host.wait(thread))
    if not res[1] then error(res[2], 0) end
    return scheduler.unpack(res, 2)
  end
  function handle.cancel()
    if thread.sched then thread.sched:close() end
  end
  return handle
end

--- A group of ahead-of-time runs that move on together (each with
-- concurrency keeps several pages on their way). In plain Lua one scheduler
-- holds them all, so waiting for one drives every transfer (a scheduler of
-- its own per run, as _M.ahead makes, would sit still until waited for);
-- elsewhere each is an _M.ahead (light threads inside nginx).
-- @treturn table group.ahead(fn) -> a handle as _M.ahead's; group.close()
--   drops what is still on its way
function _M.group()
  if host.current().name ~= "plain" then return { ahead = _M.ahead, close = function() end } end
  local sched = scheduler.new()
  local group = {}
  function group.ahead(fn)
    local task = sched:spawn(fn)
    return { result = function() return sched:wait(task) end, cancel = function() end }
  end
  function group.close() sched:close() end
  return group
end

return _M
