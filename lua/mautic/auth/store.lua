--- Token stores: where OAuth2 tokens live between requests and runs.
-- A store is any table with
--   store:get()        -> tokens table or nil
--   store:set(tokens)  -- persist a new token set
--   store:lock(fn)     -- run fn while holding the store's lock; returns fn's results
-- `memory()` keeps tokens in the process; `file(path)` keeps them in a JSON
-- file written atomically (temp file + rename) with mode 0600, and locks
-- with flock on path..".lock" so that two processes sharing the file never
-- refresh at the same time (a refresh token works once).
local core = require "mautic.core"
local json = require "mautic.json"

local type, error, setmetatable, pcall = type, error, setmetatable, pcall
local open = io.open

local _M = { _VERSION = "0.1.0" }

local Memory = {}
Memory.__index = Memory

function Memory:get() return self.tokens end
function Memory:set(tokens) self.tokens = tokens end
function Memory:lock(fn) return fn() end

--- Tokens kept in this process only.
function _M.memory(initial)
  return setmetatable({ tokens = initial }, Memory)
end

local File = {}
File.__index = File

function File:get()
  local f = open(self.path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  local t = json.decode(text)
  if type(t) ~= "table" then return nil end
  return t
end

function File:set(tokens)
  local text = assert(json.encode(tokens))
  local ok, err = core.write_file_atomic(self.path, text, 384) -- 0600
  if not ok then error("cannot save tokens to " .. self.path .. ": " .. tostring(err), 0) end
end

function File:lock(fn)
  local lock, err = core.lock_file(self.path .. ".lock")
  if not lock then error("cannot lock " .. self.path .. ".lock: " .. tostring(err), 0) end
  local ok, a, b = pcall(fn)
  lock:unlock()
  if not ok then error(a, 0) end
  return a, b
end

--- Tokens kept in a file (mode 0600, replaced atomically).
function _M.file(path)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'file' (path string expected)", 2)
  end
  return setmetatable({ path = path }, File)
end

return _M
