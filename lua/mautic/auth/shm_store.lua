--- A token store on an nginx shared dict: every worker of one nginx sees
-- the same tokens, and renews under one lock, so N workers make one token
-- request per expiry.
--
--   lua_shared_dict mautic 1m;      # nginx.conf, http block
--   store = mautic.auth.store.shm("mautic")
--
-- Each issuer and client has its own entry (the key the OAuth2 handler
-- names, see mautic.auth.store.default_key), unless `key` is given. The
-- lock is a key of the dict added with a time to live (ngx.shared's add is
-- atomic across workers); waiters sleep with ngx.sleep.
local store = require "mautic.auth.store_base"
local lock = require "mautic.expiring_lock"
local host = require "mautic.host"
local options = require "mautic.options"

local type, error, setmetatable, tostring = type, error, setmetatable, tostring

local _M = {}

local Shm = {}
Shm.__index = Shm
Shm.__tostring = function(self) return "mautic.auth.store.shm(" .. self.name .. ")" end

function Shm:get(key)
  return store.decode(self.dict:get(store.key_of(self, key, "get")))
end

function Shm:set(tokens, key)
  local ok, err = self.dict:set(store.key_of(self, key, "set"), store.encode(tokens))
  if not ok then error("cannot save tokens in lua_shared_dict " .. self.name .. ": " .. tostring(err), 0) end
end

function Shm:lock(fn, sleep, key)
  local name = (self.key or key or "mautic:tokens") .. ":lock"
  return lock.with(lock.shm(self.dict, name), fn, sleep or host.sleep,
                   { ttl = self.lock_ttl, name = self.name .. "/" .. name })
end

--- A store on lua_shared_dict `name`.
-- @tparam string name the dict's name
-- @tparam[opt] table o key (one entry for every client instead of one per
--   issuer and client), lock_ttl (seconds, 60)
function _M.new(name, o)
  if type(name) ~= "string" then error("bad argument #1 to 'shm' (lua_shared_dict name expected)", 3) end
  local shared = rawget(_G, "ngx") and ngx.shared
  local dict = shared and shared[name]
  if not dict then
    error("bad argument #1 to 'shm' (no lua_shared_dict " .. name .. ": declare it in nginx.conf)", 3)
  end
  o = options.check("shm", 2, o, { key = "any", lock_ttl = options.is_positive_seconds }, 3)
  return setmetatable({ dict = dict, name = name, key = store.own_key(o, "shm", 3), lock_ttl = o.lock_ttl }, Shm)
end

return _M
