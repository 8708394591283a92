--- Token stores: where OAuth2 tokens live between requests and runs.
-- A store is any table with
--   store:get(key)                -> tokens table or nil
--   store:set(tokens, key)        -- persist a new token set
--   store:lock(fn [, sleep [, key]]) -- run fn while holding the store's lock; returns fn's results
-- where `key` names the entry of one issuer and client (see `default_key`).
-- Tokens carry their issuer and client id; the OAuth2 handler uses none
-- whose issuer or client is not its own, so even a store that ignores the
-- key never makes it send a token to another server.
-- `memory()` keeps tokens in the process; `shm(dict)` in an nginx shared
-- dict, for the workers of one nginx; `redis{...}` in Redis, for many
-- machines; `file(path)` keeps them in a JSON
-- file written atomically (temp file + rename) with mode 0600, and locks
-- with a lock on path..".lock" so that two processes sharing the file never
-- refresh at the same time (a refresh token works once).
--
-- The file lock is a POSIX record lock, which belongs to the process: a
-- second taker in the same process would get it at once, and the first
-- release would drop it for both. So every lock is also a mutex between
-- the coroutines of this process (`mautic.parallel` tasks, nginx request
-- handlers), which wait for it with the cooperative `sleep` they are given.
local core = require "mautic.core"
local compat = require "mautic.compat"
local host = require "mautic.host"
local base = require "mautic.auth.store_base"
local shm_store = require "mautic.auth.shm_store"
local redis_store = require "mautic.auth.redis_store"
local options = require "mautic.options"

local type, error, setmetatable, tostring, next = type, error, setmetatable, tostring, next
-- fn may wait (yield) inside: a pcall that lets it
local pcall = compat.pcall
local open = io.open

local _M = {}

--- Run fn holding the in-process mutex for key (any value): mautic.host's
-- lock, waiting with the cooperative sleep given (default: the host's).
-- Re-raises what fn raises, after letting go.
-- @param key what is locked
-- @tparam function fn
-- @tparam[opt] function sleep cooperative sleep
-- @return fn's results
function _M.exclusive(key, fn, sleep)
  return host.lock(key, fn, sleep)
end

-- What every store shares (mautic.auth.store_base): the stored text and
-- the entry keys
for _, name in ipairs{ "encode", "decode", "default_key", "key_of", "own_key" } do _M[name] = base[name] end
local key_of, own_key = base.key_of, base.own_key

-- Memory ---------------------------------------------------------------------

-- store -> { [key] = tokens }, kept out of the store's fields so that a walk
-- over an auth handler (handler.store...) finds no token
local memory_entries = setmetatable({}, { __mode = "k" })

local Memory = {}
Memory.__index = Memory
Memory.__tostring = function() return "mautic.auth.store.memory" end

function Memory:get(key) return memory_entries[self][key_of(self, key, "get")] end
function Memory:set(tokens, key) memory_entries[self][key_of(self, key, "set")] = tokens end
function Memory:lock(fn, sleep) return _M.exclusive(self, fn, sleep) end

--- Tokens kept in this process only.
-- @tparam[opt] table o key (one entry for every client, instead of one per issuer and client)
function _M.memory(o)
  options.check("memory", 1, o, { key = "any" }, 2)
  local self = setmetatable({ key = own_key(o, "memory", 2) }, Memory)
  memory_entries[self] = {}
  return self
end

-- File -----------------------------------------------------------------------
-- The file holds { "format": "mautic-tokens/2", "entries": { <key>: tokens } };
-- a file of lua-mautic 0.2 (one token set, with no issuer) reads as empty.

local FILE_FORMAT = "mautic-tokens/2"

local File = {}
File.__index = File
File.__tostring = function(self) return "mautic.auth.store.file(" .. self.path .. ")" end

local function read_entries(path)
  local f = open(path, "rb")
  if not f then return {} end
  local text = f:read("*a")
  f:close()
  local t = _M.decode(text)
  if not t or t.format ~= FILE_FORMAT or type(t.entries) ~= "table" then return {} end
  return t.entries
end

function File:get(key)
  local t = read_entries(self.path)[key_of(self, key, "get")]
  if type(t) ~= "table" then return nil end
  return t
end

-- a read-modify-write of the whole file, under the lock: other processes may
-- be writing other entries of it
function File:set(tokens, key)
  key = key_of(self, key, "set")
  return self:lock(function()
    local entries = read_entries(self.path)
    entries[key] = tokens
    local text = _M.encode{ format = FILE_FORMAT, entries = entries }
    local ok, err = core.write_file_atomic(self.path, text, 384) -- 0600
    if not ok then error("cannot save tokens to " .. self.path .. ": " .. tostring(err), 0) end
  end)
end

-- The process-wide record lock, taken by the outermost holder only: a
-- nested take and release would drop it (see the top of this file).
local function with_file_lock(path, fn)
  local lock, err = core.lock_file(path .. ".lock")
  if not lock then error("cannot lock " .. path .. ".lock: " .. tostring(err), 0) end
  local ok, a, b = pcall(fn)
  lock:unlock()
  if not ok then error(a, 0) end
  return a, b
end

function File:lock(fn, sleep)
  local key = "file:" .. self.path      -- shared by every File store on this path
  return _M.exclusive(key, function()
    if host.depth(key) > 1 then return fn() end
    return with_file_lock(self.path, fn)
  end, sleep)
end

--- Tokens kept in a file (mode 0600, replaced atomically), one entry per
-- issuer and client.
-- @tparam string path
-- @tparam[opt] table o key (one entry for every client)
function _M.file(path, o)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'file' (path string expected)", 2)
  end
  options.check("file", 2, o, { key = "any" }, 2)
  return setmetatable({ path = path, key = own_key(o, "file", 2) }, File)
end

-- Shared across workers and machines -------------------------------------------

--- Tokens in an nginx lua_shared_dict, shared by the workers of one nginx
-- (see mautic.auth.shm_store).
-- (not a tail call: the constructor raises at the caller's line, two levels up)
function _M.shm(name, o)
  local s = shm_store.new(name, o)
  return s
end

--- Tokens in Redis, shared by processes on many machines (see mautic.auth.redis_store).
function _M.redis(o)
  local s = redis_store.new(o)
  return s
end

-- Seeding --------------------------------------------------------------------

local function empty(t)
  return type(t) ~= "table" or next(t) == nil
    or (t.access_token == nil and t.refresh_token == nil)
end

--- Are the tokens `given` newer than the tokens `held_tokens`?
-- Tokens written in code or configuration are usually the ones first
-- obtained, while a store shared by several processes holds what the last
-- renewal brought (a rotated refresh token kills the one in the code). So
-- the given tokens win only when that is certain: both sets carry an
-- expires_at and the given one ends later. Without time stamps, the store
-- wins. An empty store is always seeded.
-- @tparam table given tokens { access_token, refresh_token, expires_at }
-- @tparam table|nil held_tokens what the store holds
-- @treturn boolean
function _M.newer(given, held_tokens)
  if empty(held_tokens) then return true end
  if given.access_token == held_tokens.access_token and given.refresh_token == held_tokens.refresh_token then
    return false                       -- the same set: nothing to write
  end
  return type(given.expires_at) == "number" and type(held_tokens.expires_at) == "number"
     and given.expires_at > held_tokens.expires_at
end

--- Put tokens in a store unless it holds newer ones (see `newer`),
-- deciding and writing under the store's lock.
-- @tparam table store
-- @tparam table tokens
-- @tparam[opt] function sleep cooperative sleep for the wait
-- @tparam[opt] string key the entry (see default_key)
-- @treturn boolean whether the tokens were written
function _M.seed(store, tokens, sleep, key)
  return store:lock(function()
    if not _M.newer(tokens, store:get(key)) then return false end
    store:set(tokens, key)
    return true
  end, sleep, key)
end

return _M
