--- A token store in Redis: the processes of many machines share the same
-- tokens and renew under one lock, so M machines make one token request
-- per expiry.
--
--   store = mautic.auth.store.redis{ host = "10.0.0.5", port = 6379, password = ...,
--                                    db = 0, lock_ttl = 60 }
--
-- Each issuer and client has its own key (the one the OAuth2 handler names,
-- see mautic.auth.store.default_key: "mautic:tokens:<token endpoint> <client id>"),
-- unless `key` is given, which then holds every client's tokens.
-- The lock is a key set with NX and a time to live (PX): a holder that
-- dies frees it after lock_ttl seconds; the owner lets go with a script
-- that deletes the key only if it still holds the owner's value. The
-- loser waits (cooperatively), then reads the token the winner stored.
-- See mautic.redis for the connection each host uses.
local store = require "mautic.auth.store_base"
local lock = require "mautic.expiring_lock"
local redis = require "mautic.redis"
local host = require "mautic.host"
local options = require "mautic.options"

local type, error, tostring, setmetatable = type, error, tostring, setmetatable
local floor = math.floor

local _M = {}

local RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

local Store = {}
Store.__index = Store
Store.__tostring = function(self) return "mautic.auth.store.redis(" .. self.redis.host .. ":" .. self.redis.port .. ")" end

function Store:get(key)
  local text, err = self.redis:call("GET", store.key_of(self, key, "get"))
  if text == nil then error("cannot read tokens from " .. err, 0) end
  return store.decode(text)
end

function Store:set(tokens, key)
  local ok, err = self.redis:call("SET", store.key_of(self, key, "set"), store.encode(tokens))
  if ok == nil then error("cannot save tokens to " .. tostring(err), 0) end
end

function Store:lock(fn, sleep, entry)
  local r, key = self.redis, (self.key or entry or "mautic:tokens") .. ":lock"
  return lock.with({
    try = function(owner, ttl)
      local v, err = r:call("SET", key, owner, "NX", "PX", floor(ttl * 1000))
      if v == nil then return nil, err end
      return v == "OK"
    end,
    release = function(owner) r:call("EVAL", RELEASE, 1, key, owner) end,
  }, fn, sleep or host.sleep, { ttl = self.lock_ttl, name = key })
end

--- A store in Redis.
-- @tparam table o host, port, password, db, timeout (see mautic.redis), key
--   (one key for every client instead of one per issuer and client), lock_ttl (seconds, 60)
function _M.new(o)
  if type(o) ~= "table" then error("bad argument #1 to 'redis' (table expected)", 3) end
  options.check("redis", 1, o, options.merge(redis.OPTIONS, { key = "any", lock_ttl = options.is_positive_seconds }), 3)
  return setmetatable({ redis = redis.new(o), key = store.own_key(o, "redis", 3), lock_ttl = o.lock_ttl }, Store)
end

return _M
