--- Requests from inside any event loop, without blocking it.
--
--   local uv = require "luv"
--   local driver = require("mautic.loop").luv(uv)
--   local api = mautic.new{ url = ..., auth = ..., transport = driver.transport, sleep = driver.sleep }
--   driver.spawn(function() local c, err = api.contacts.get(5) ... end)
--   uv.run()
--
-- The requests of every task join one curl multi handle, driven by the
-- host loop: the loop waits on the sockets curl names (multi:fds()), calls
-- multi:perform(fd, events) when one is ready and multi:perform() when
-- curl's timer (multi:timeout()) is due. A task is a coroutine: it yields
-- while its request is in flight and is resumed with the answer, so the
-- loop keeps serving its other work meanwhile.
--
-- Any loop can host it: `new(host)` takes four functions,
--   host.watch(fd, events, on_ready) -> handle   call on_ready(events) when fd is
--                                                ready ("r", "w" or "rw")
--   host.unwatch(handle)
--   host.after(seconds, fn) -> handle            call fn once, after seconds
--   host.cancel(handle)                          a timer that has not fired yet
-- `luv(uv)` is the adapter for luv (libuv).
local core = require "mautic.core"
local compat = require "mautic.compat"
local options = require "mautic.options"
local loop_host = require "mautic.host.loop"

local type, pairs, ipairs, error, tostring, pcall = type, pairs, ipairs, error, tostring, pcall
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local running = compat.running
local ceil = math.ceil

local _M = {}

-- The state of a driver: its multi handle, the tasks waiting on it and what
-- the host watches for it.
local Loop = {}
Loop.__index = Loop

function Loop:resume(co, ...)
  local ok, err = co_resume(co, ...)
  if not ok then self.driver.on_error(err) end
end

-- Hand finished transfers to their tasks.
function Loop:dispatch(results, message, kind)
  if results == nil then
    -- the multi handle itself failed: every transfer in flight failed with it
    local all = self.waiting
    self.waiting = {}
    for _, co in pairs(all) do self:resume(co, nil, message, kind, true) end
    return
  end
  for _, r in ipairs(results) do
    local co = self.waiting[r.id]
    self.waiting[r.id] = nil
    if co then
      if r.err then self:resume(co, nil, r.err, r.kind, r.sent)
      else self:resume(co, r.status, r.headers, r.body) end
    end
  end
end

-- A socket (fd) is ready, or curl's timer is due (no fd).
function Loop:drive(fd, events)
  if self.closed then return end
  local multi = self.multi
  if fd then self:dispatch(multi:perform(fd, events)) else self:dispatch(multi:perform()) end
  self:sync()
end

-- Make the host watch what curl wants watched now, and arm curl's timer.
function Loop:sync()
  if self.closed then return end
  local host, watched, want = self.host, self.watched, self.multi:fds()
  -- first let go of the sockets curl dropped: their fd numbers may come back
  for serial, w in pairs(watched) do
    local s = want[serial]
    if not s or s.events ~= w.events then
      host.unwatch(w.handle)
      watched[serial] = nil
    end
  end
  for serial, s in pairs(want) do
    if not watched[serial] then
      local fd = s.fd
      watched[serial] = { events = s.events,
                          handle = host.watch(fd, s.events, function(ev) self:drive(fd, ev or s.events) end) }
    end
  end
  if self.timer then host.cancel(self.timer) self.timer = nil end
  local t = self.multi:timeout()
  if t then
    self.timer = host.after(t, function() self.timer = nil self:drive() end)
  end
end

function Loop:transport(req)
  local co, is_main = running()
  if co == nil or is_main or self.closed then
    return nil, self.closed and "the loop driver is closed"
      or "mautic.loop: call the client from a task started with driver.spawn", "usage", false
  end
  local ok, id, err, kind = pcall(self.multi.add, self.multi, req)
  if not ok then return nil, tostring(id), "usage", false end
  if not id then return nil, err, kind, false end
  self.waiting[id] = co
  self:sync()
  return co_yield()
end

function Loop:sleep(seconds)
  local co, is_main = running()
  if co == nil or is_main then return core.sleep(seconds) end
  self.host.after(seconds, function() self:resume(co) end)
  co_yield()
end

function Loop:spawn(fn, ...)
  local co = co_create(fn)
  -- its requests and sleeps are this driver's, also through the default transport
  loop_host.adopt(co, self.driver)
  self:resume(co, ...)
  return co
end

function Loop:close()
  if self.closed then return end
  self.closed = true
  for _, w in pairs(self.watched) do self.host.unwatch(w.handle) end
  self.watched = {}
  if self.timer then self.host.cancel(self.timer) self.timer = nil end
  self.multi:close()
end

local HOST_FUNCTIONS = { watch = "function", unwatch = "function", after = "function", cancel = "function" }

local function check_host(host)
  for _, name in ipairs{ "watch", "unwatch", "after", "cancel" } do
    if type(host) ~= "table" or type(host[name]) ~= "function" then
      error("bad argument #1 to 'new' (host." .. name .. ": function expected)", 3)
    end
  end
  options.check("new", 1, host, HOST_FUNCTIONS, 3, "host function")
end

--- A driver on a host loop.
-- @tparam table host watch, unwatch, after, cancel (see above)
-- @treturn table driver: transport(req), sleep(seconds), spawn(fn, ...), pending(), close(),
--   on_error (a task's error goes there; default: written to stderr)
function _M.new(host)
  check_host(host)
  local self = setmetatable({ host = host, multi = core.multi(), waiting = {}, watched = {}, closed = false },
                            Loop)
  local driver = {}
  self.driver = driver

  driver.on_error = function(err) io.stderr:write("mautic.loop: a task failed: ", tostring(err), "\n") end

  --- The transport: call it from a task (see spawn); the task waits, the loop does not.
  function driver.transport(req) return self:transport(req) end

  --- Sleep in a task without holding up the loop.
  function driver.sleep(seconds) return self:sleep(seconds) end

  --- Start a task: fn(...) in a coroutine that the loop resumes.
  function driver.spawn(fn, ...) return self:spawn(fn, ...) end

  --- How many requests are in flight.
  function driver.pending() return self.multi:pending() end

  --- Drop what is in flight and stop watching.
  function driver.close() self:close() end

  return driver
end

--- The driver on luv (libuv): polls for curl's sockets, timers for its timeout.
-- @tparam[opt] table uv the luv module (default: require "luv")
function _M.luv(uv)
  uv = uv or require "luv"
  return _M.new{
    watch = function(fd, events, on_ready)
      local poll = uv.new_poll(fd)
      -- an error on the socket (err set) is for curl to find: tell it the socket is ready
      poll:start(events, function(_, ready) on_ready(ready or events) end)
      return poll
    end,
    unwatch = function(poll)
      poll:stop()
      poll:close()
    end,
    after = function(seconds, fn)
      local t = uv.new_timer()
      -- timers count from the loop's cached clock, stale when called from
      -- outside a callback (a task started before uv.run): bring it up to date
      uv.update_time()
      -- whole milliseconds, rounded up: a timer due in 0.4 ms must not fire early and spin
      t:start(ceil(seconds * 1000), 0, function()
        t:close()
        fn()
      end)
      return t
    end,
    cancel = function(t)
      if not t:is_closing() then
        t:stop()
        t:close()
      end
    end,
  }
end

return _M
