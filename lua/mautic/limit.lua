--- A request budget shared by many workers, processes or machines, so that
-- together they stay under Mautic's API rate limit instead of each one
-- running into 429s.
--
--   rate_limit = mautic.limit.shm("mautic", { limit = 50, window = 10 })         -- nginx workers
--   rate_limit = mautic.limit.redis{ host = "10.0.0.5", limit = 50, window = 10 } -- machines
--   local api = mautic.new{ url = ..., auth = ..., rate_limit = rate_limit }
--
-- Before each request the client takes a slot: at most `limit` requests in
-- any `window` seconds, counted over everyone sharing the budget (a
-- sliding log of the last `limit` send times). With no slot free it waits,
-- with the client's cooperative sleep, until the oldest slot leaves the
-- window. `margin` seconds (0.5) are added to the window, for the time a
-- request takes to reach Mautic, so that Mautic, counting arrivals, never
-- sees more than `limit`. The token endpoint's requests take slots too.
--
-- A budget belongs to one Mautic and one credential: every client counts in
-- the budget of its own base URL and credential (`scope`, see guard), so two
-- Mautics, or two API users of one, never share a budget, unless the
-- limiter was given a `key`, which then holds one budget for all.
--
-- A limiter is any table with `take(sleep, scope) -> true | nil, message`;
-- mautic.new accepts one of your own.
local random = require "mautic.random"
local lock = require "mautic.expiring_lock"
local host = require "mautic.host"
local options = require "mautic.options"
local redis = require "mautic.redis"

local type, error, tostring, tonumber, setmetatable, rawget = type, error, tostring, tonumber, setmetatable, rawget
local floor, max = math.floor, math.max

local _M = {}

local OPTIONS = { limit = "any", window = "any", margin = "any", key = options.is_text }

local function check(name, o)
  if type(o) ~= "table" then error("bad argument to '" .. name .. "' (options table expected)", 3) end
  options.check(name, name == "shm" and 2 or 1, o,
                name == "redis" and options.merge(OPTIONS, redis.OPTIONS) or OPTIONS, 3)
  local limit, window = o.limit, o.window
  if type(limit) ~= "number" or limit < 1 or limit ~= floor(limit) then
    error("bad argument to '" .. name .. "' (limit: an integer >= 1 expected)", 3)
  end
  if type(window) ~= "number" or window <= 0 then
    error("bad argument to '" .. name .. "' (window: seconds > 0 expected)", 3)
  end
  local margin = o.margin == nil and 0.5 or o.margin
  if type(margin) ~= "number" or margin < 0 then
    error("bad argument to '" .. name .. "' (margin: seconds >= 0 expected)", 3)
  end
  return limit, window + margin
end

-- the key of a scope's budget: the limiter's own key, or one per scope
local function key_for(self, scope)
  return self.key or ("mautic:limit:" .. tostring(scope or ""))
end

-- take a slot: try(key) -> 0 (taken) | seconds to wait | nil, err; waits at
-- most a few windows (a budget that never frees a slot is broken, not busy)
local function take(self, sleep, scope)
  local waited = 0
  local key = key_for(self, scope)
  while true do
    local wait, err = self:try(key)
    if wait == nil then return nil, "rate limit budget " .. self.name .. ": " .. tostring(err) end
    if wait <= 0 then return true end
    if waited > 4 * self.span then
      return nil, "rate limit budget " .. self.name .. ": no slot came free in " .. waited .. " s"
    end
    wait = max(wait, 0.001)
    sleep(wait)
    waited = waited + wait
  end
end

-- nginx shared dict ----------------------------------------------------------

local Shm = { take = take }
Shm.__index = Shm

-- A ring of the last `limit` send times, under a short lock (the dict's
-- operations are atomic one by one, not together).
function Shm:try(key)
  local dict = self.dict
  return lock.with(lock.shm(dict, key .. ":lock"), function()
    local now = host.now()
    local head = dict:get(key .. ":head") or 0
    local oldest = dict:get(key .. ":" .. head)
    if oldest and now - oldest < self.span then return oldest + self.span - now end
    dict:set(key .. ":" .. head, now, self.span + 1)
    dict:set(key .. ":head", (head + 1) % self.limit)
    return 0
  end, host.sleep, { ttl = 2, name = self.name })
end

--- A budget on lua_shared_dict `name`, for the workers of one nginx.
-- @tparam string name the dict
-- @tparam table o limit, window (seconds), margin (0.5), key (one budget for
--   every client; default: one per base URL and credential)
function _M.shm(name, o)
  local limit, span = check("shm", o)
  local dict = rawget(_G, "ngx") and ngx.shared[name]
  if not dict then error("bad argument #1 to 'shm' (no lua_shared_dict " .. tostring(name) .. ")", 2) end
  return setmetatable({ dict = dict, limit = limit, span = span, key = o.key, name = "shm " .. name }, Shm)
end

-- Redis ------------------------------------------------------------------------

-- A sorted set of send times, as Redis's clock tells them (one clock for
-- every machine): drop those out of the window, then take a slot if fewer
-- than `limit` remain, else answer the milliseconds until the oldest leaves.
local SLIDING_LOG = [[
local key, span, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, span)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + span - now + 1
]]

local Redis = { take = take }
Redis.__index = Redis

function Redis:try(key)
  local ms, err = self.redis:call("EVAL", SLIDING_LOG, 1, key, floor(self.span * 1000), self.limit,
                                  random.hex(8))
  if ms == nil then return nil, err end
  return (tonumber(ms) or 0) / 1000
end

--- A budget in Redis, for processes on many machines.
-- @tparam table o limit, window (seconds), margin (0.5), key (one budget for
--   every client; default: one per base URL and credential), and host, port,
--   password, db, timeout (see mautic.redis)
function _M.redis(o)
  local limit, span = check("redis", o)
  local r = redis.new(o)
  return setmetatable({ redis = r, limit = limit, span = span, key = o.key,
                        name = "redis " .. r.host .. ":" .. r.port }, Redis)
end

-- The client's side ------------------------------------------------------------

--- A transport that takes a slot from `limiter` before each request.
-- A budget that cannot be reached fails the request unsent (it may be retried).
-- @tparam table limiter with take(sleep, scope)
-- @tparam function transport
-- @tparam function sleep the client's cooperative sleep
-- @tparam string scope whose budget: the client's base URL and credential
function _M.guard(limiter, transport, sleep, scope)
  return function(req)
    local ok, err = limiter:take(sleep, scope)
    if not ok then return nil, err, "network", false end
    return transport(req)
  end
end

return _M
