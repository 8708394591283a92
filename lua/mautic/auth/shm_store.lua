--- A token store on an nginx shared dict: every worker of one nginx sees
-- the same tokens, and renews under one lock, so N workers make one token
-- request per expiry.
--
--   lua_shared_dict mautic 1m;      # nginx.conf, http block
--   store = mautic.auth.store.shm("mautic")
--
-- The lock is a key of the dict added with a time to live (ngx.shared's
-- add is atomic across workers); waiters sleep with ngx.sleep.
local store = require "mautic.auth.store"
local lock = require "mautic.expiring_lock"

local type, error, setmetatable = type, error, setmetatable

local _M = { _VERSION = "0.2.0" }

local Shm = {}
Shm.__index = Shm

function Shm:get()
  return store.decode(self.dict:get(self.key))
end

function Shm:set(tokens)
  local ok, err = self.dict:set(self.key, store.encode(tokens))
  if not ok then error("cannot save tokens in lua_shared_dict " .. self.name .. ": " .. tostring(err), 0) end
end

function Shm:lock(fn, sleep)
  local key = self.key .. ":lock"
  return lock.with(lock.shm(self.dict, key), fn, sleep or ngx.sleep,
                   { ttl = self.lock_ttl, name = self.name .. "/" .. key })
end

--- A store on lua_shared_dict `name`.
-- @tparam string name the dict's name
-- @tparam[opt] table o key ("mautic:tokens"), lock_ttl (seconds, 60)
function _M.new(name, o)
  if type(name) ~= "string" then error("bad argument #1 to 'shm' (lua_shared_dict name expected)", 3) end
  local shared = rawget(_G, "ngx") and ngx.shared
  local dict = shared and shared[name]
  if not dict then
    error("bad argument #1 to 'shm' (no lua_shared_dict " .. name .. ": declare it in nginx.conf)", 3)
  end
  o = o or {}
  return setmetatable({ dict = dict, name = name, key = o.key or "mautic:tokens", lock_ttl = o.lock_ttl }, Shm)
end

return _M
