--- Where the running code is, and what it may do there: the one seam
-- between lua-mautic and the program that hosts it.
--
--   local host = require "mautic.host"
--   local h = host.current()        -- the adapter for the code running now
--   h.name                          -- "nginx", "haproxy", "loop", "tasks" or "plain"
--   host.sleep(0.5)                 -- without holding up the host
--   host.now()                      -- epoch seconds, with a fraction
--   local conn = host.connect("127.0.0.1", 6379, { timeout = 2 })
--   local t = host.spawn(fn, ...)   host.wait(t)   -- a light thread, its values
--   host.lock(key, fn)              -- fn alone among this process's coroutines
--   local send, close = host.transport()            -- HTTP for a client, on every host
--
-- The answer changes with the running code, so it is asked per call (a few
-- table reads): inside nginx, a request handler or a timer; inside
-- HAProxy, an action, a service or a task; inside an event loop, a task of
-- a mautic.loop driver; inside mautic.parallel, one of its tasks; anywhere
-- else, plain Lua with libcurl and blocking sockets.
--
-- An adapter (one file in lua/mautic/host/) gives:
--   name, here() -> is the running code on this host?
--   pooled (connections go back to the host's keepalive pools),
--   keeps_connections (a connection is its caller's to keep between calls)
--   sleep(seconds), now()
--   connect(host, port, o) -> conn | nil, message, kind
--     o: timeout (connect, seconds), read_timeout, pool (a keepalive pool
--     name, nginx), tls = { server_name, verify, cert_file, key_file };
--     conn: send(data), receive("*l" | n), receive_to_close(limit), close(),
--     release() (done with it: back to a pool, closed, or kept), reused()
--   spawn(fn, ...) -> thread;  wait(thread) -> ok, values... | false, error
--   send(req, state) -> the HTTP transport of this host (state: a table per client)
-- spec/host_contract_spec.lua runs one contract against every adapter.
local compat = require "mautic.compat"

local error, setmetatable, ipairs, type = error, setmetatable, ipairs, type
local co_status = coroutine.status

local _M = {}

-- the adapters, asked in this order: the first whose here() is true is the host
local ORDER = { "nginx", "haproxy", "loop", "tasks", "plain" }
local adapters = {}
for i, name in ipairs(ORDER) do adapters[i] = require("mautic.host." .. name) end
_M.adapters = adapters

--- The adapter for the running code.
function _M.current()
  for i = 1, #adapters do
    local a = adapters[i]
    if a.here() then return a end
  end
  return adapters[#adapters]
end

--- An adapter by name ("nginx", "haproxy", "loop", "tasks", "plain").
function _M.named(name)
  for _, a in ipairs(adapters) do
    if a.name == name then return a end
  end
end

--- Sleep without holding up the host (ngx.sleep, core.msleep, a yield to
-- the scheduler or the loop, or a plain sleep).
function _M.sleep(seconds) return _M.current().sleep(seconds) end

--- Epoch seconds, with a fraction, as the host keeps time.
function _M.now() return _M.current().now() end

--- A TCP connection on the host's sockets (see the top of this file).
function _M.connect(host, port, o) return _M.current().connect(host, port, o or {}) end

--- Start fn(...) as a light thread of the host; wait(thread) gives its values.
function _M.spawn(fn, ...) return _M.current().spawn(fn, ...) end

function _M.wait(thread) return thread.host.wait(thread) end

--- The HTTP transport of a client: send(req) on whatever host runs it when
-- it is called, and close() for what it keeps between calls (a libcurl
-- session in plain Lua).
-- @treturn function send(req) -> status, headers, body | nil, message, kind, sent
-- @treturn function close()
function _M.transport()
  local state = {}
  local function send(req) return _M.current().send(req, state) end
  local function close()
    if state.session then state.session:close() end
  end
  return send, close
end

-- The lock: a mutex between the coroutines of this process -------------------
--
-- nginx request handlers, HAProxy's tasks, a loop's tasks and mautic.parallel
-- tasks are coroutines of one Lua state: a renewal of a shared token, say,
-- must be done by one of them at a time. A holder that has ended without
-- letting go, or that holds the lock past HOLD (an aborted nginx request
-- never resumes), holds nothing any more. Waiters wait with the host's sleep.

local HOLD, STEP = 120, 0.01

-- The main thread as a holder: Lua 5.1/LuaJIT give no coroutine object for it.
local MAIN = {}

-- key -> { holder = coroutine | MAIN, depth = n, since = seconds }
local held = setmetatable({}, { __mode = "k" })
local held_strings = {}

local function slot(key)
  if type(key) == "string" then return held_strings end
  return held
end

local function me()
  local co, is_main = compat.running()
  if co == nil or is_main then return MAIN end
  return co
end

local function abandoned(h, now)
  return (h.holder ~= MAIN and co_status(h.holder) == "dead") or now - h.since > HOLD
end

local function acquire(key, sleep, now)
  local self_co = me()
  local waited = 0
  local t = slot(key)
  while true do
    local h = t[key]
    if h ~= nil and h.holder == self_co then
      h.depth = h.depth + 1
      return
    end
    if h == nil or abandoned(h, now()) or waited >= HOLD then
      t[key] = { holder = self_co, depth = 1, since = now() }
      return
    end
    sleep(STEP)
    waited = waited + STEP
  end
end

local function release(key)
  local t = slot(key)
  local h = t[key]
  if not h or h.holder ~= me() then return end   -- taken over meanwhile
  h.depth = h.depth - 1
  if h.depth <= 0 then t[key] = nil end
end

--- Run fn holding the mutex for key (any value), re-entrant for the
-- coroutine that holds it; re-raises what fn raises, after letting go.
-- @param key what is locked
-- @tparam function fn
-- @tparam[opt] function sleep how to wait (default: the host's sleep)
-- @return fn's results
function _M.lock(key, fn, sleep)
  local h = _M.current()
  acquire(key, sleep or h.sleep, h.now)
  local fine, a, b = compat.pcall(fn)
  release(key)
  if not fine then error(a, 0) end
  return a, b
end

--- How deep the running coroutine holds key's mutex (0: not at all).
function _M.depth(key)
  local h = slot(key)[key]
  if h and h.holder == me() then return h.depth end
  return 0
end

return _M
