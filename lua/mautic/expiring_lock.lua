--- A lock shared by processes or machines that expires on its own: taken
-- with an atomic "add if absent, with a time to live", let go only by its
-- owner. A holder that dies mid-way (a killed worker, a lost machine)
-- locks the others out for `ttl` seconds at most. Waiters poll with the
-- cooperative sleep they are given (ngx.sleep in nginx, core.msleep in
-- HAProxy, the scheduler inside mautic.parallel), never a blocking one.
--
-- A backend gives two functions:
--   try(owner, ttl)  -> true (taken) | false (held by another) | nil, err
--   release(owner)   -- let go if the lock is still owner's
-- (`shm(dict, key)` makes one on an nginx shared dict.)
local random = require "mautic.random"
local compat = require "mautic.compat"

local error, tostring = error, tostring
local min = math.min

local _M = {}

--- A backend on an nginx shared dict: the lock is `key`, added with the
-- lock's time to live (the dict's add is atomic across workers).
-- @param dict an ngx.shared dict
-- @tparam string key
-- @treturn table try, release
function _M.shm(dict, key)
  return {
    try = function(owner, ttl)
      local ok, err = dict:add(key, owner, ttl)
      if ok then return true end
      if err == "exists" then return false end
      return nil, err
    end,
    release = function(owner)
      if dict:get(key) == owner then dict:delete(key) end
    end,
  }
end

--- Run fn holding the lock; re-raises what fn raises after letting go.
-- @tparam table backend try, release
-- @tparam function fn
-- @tparam function sleep cooperative sleep(seconds)
-- @tparam table o ttl (seconds the lock lives, 60), wait (longest wait, ttl + 5), name (for messages)
-- @return fn's results
function _M.with(backend, fn, sleep, o)
  local ttl = o.ttl or 60
  local wait = o.wait or (ttl + 5)
  local owner = random.hex(12)
  local waited, step = 0, 0.005
  while true do
    local taken, err = backend.try(owner, ttl)
    if taken == nil then error("cannot take the lock " .. tostring(o.name) .. ": " .. tostring(err), 0) end
    if taken then break end
    if waited >= wait then
      error("the lock " .. tostring(o.name) .. " stayed taken for " .. waited .. " s", 0)
    end
    sleep(step)
    waited = waited + step
    step = min(step * 2, 0.1)      -- quick at first (a renewal takes milliseconds), then gentle
  end
  local ok, a, b = compat.pcall(fn)
  backend.release(owner)
  if not ok then error(a, 0) end
  return a, b
end

return _M
