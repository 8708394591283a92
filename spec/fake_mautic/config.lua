-- Runtime configuration of the fake server (POST /__fake/config merges into it).
local json = require "fake_mautic.json"

local _M = {}

local function defaults()
  return {
    users = { admin = "mautic" },   -- Basic auth credentials: name -> password
    batch_limit = 200,              -- api_batch_max_limit
    rate_limit = 0,                 -- calls per hour per credential; 0 = off
    version = "5.1.0",              -- Mautic-Version header
    default_limit = 30,             -- list page size when no limit is given
    tokens = {},                    -- bearer tokens accepted: token -> { expires_at = epoch } | true
    base_url = nil,                 -- used in absolute URLs (defaults to the request's host)
  }
end

_M.current = defaults()

function _M.reset()
  _M.current = defaults()
end

local function plain(v)
  -- ordered JSON objects -> plain Lua tables (config is read by key)
  if type(v) ~= "table" or v == json.null then
    if v == json.null then return nil end
    return v
  end
  local t = {}
  for k, x in pairs(v) do t[k] = plain(x) end
  return t
end

function _M.merge(patch)
  for k, v in pairs(plain(patch) or {}) do
    _M.current[k] = v
  end
end

function _M.get(k) return _M.current[k] end

return _M
