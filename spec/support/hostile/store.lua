--- Everything the hostile server remembers, in module tables of its one
-- nginx worker: configuration, data (contacts, notes), tokens, fault rules
-- and counters. reset() forgets it all.
local _M = {}

local DEFAULTS = {
  seed = 1,                     -- seeds the PRNG of the `p` fault rules
  username = "admin",           -- Basic auth
  password = "secret-pass",
  client_id = "hostile-client", -- OAuth2 client
  client_secret = "hostile-secret",
  token_ttl = 3600,             -- seconds an access token lives
  expires_in = false,           -- what the token endpoint announces (false: token_ttl)
  refresh_ttl = 14 * 86400,     -- seconds a refresh token lives
  client_credentials_refresh = true, -- client_credentials answers carry a refresh_token too
  auth = true,                  -- false: /api needs no credentials
  batch_limit = 200,            -- api_batch_max_limit
  merge_contacts = true,        -- a create with a known email merges into that contact
  clock_offset = 0,             -- seconds added to the dates it writes (dateAdded): a contact made "an hour ago"
  version = "5.1.0",            -- Mautic-Version on controller answers
}

--- The types of the configuration values (for the admin route's checks).
function _M.config_type(name)
  local d = DEFAULTS[name]
  if d == nil then return nil end
  if name == "expires_in" then return "number" end
  return type(d)
end

-- serial numbers that never restart, so a token from before a reset is unknown after it
local serial = 0
function _M.serial()
  serial = serial + 1
  return serial
end

function _M.reset(config)
  _M.config = {}
  for k, v in pairs(DEFAULTS) do _M.config[k] = v end
  for k, v in pairs(config or {}) do _M.config[k] = v end

  _M.contacts = {}        -- id -> { id, fields = {}, points, date_added, date_modified }
  _M.by_email = {}        -- lower-case email -> id
  _M.next_contact = 1
  _M.notes = {}           -- id -> { id, text, lead, type, date }
  _M.next_note = 1

  _M.access = {}          -- access token -> { expires_at }
  _M.refresh = {}         -- refresh token -> { expires_at, used }

  _M.rules = {}           -- fault rules (support.hostile.faults)

  _M.counters = {
    requests = 0,         -- every API and token request (admin requests not counted)
    token_requests = 0,   -- requests to /oauth/v2/token
    reused = 0,           -- requests that were not the first on their connection
    connections = 0,      -- distinct connections seen
    routes = {},          -- route name -> requests (counted before any fault)
    arrivals = {},        -- write key -> times it reached its handler
    fired = {},           -- fault action -> times fired
    rejected = { denied = 0, invalid = 0, expired = 0 }, -- 401s by reason
    tokens = { issued = 0, refreshed = 0, refused = 0 },
  }
  _M.seen_connections = {}
end

function _M.arrive(key)
  local a = _M.counters.arrivals
  a[key] = (a[key] or 0) + 1
end

function _M.bump(tbl, key)
  tbl[key] = (tbl[key] or 0) + 1
end

--- Count one API or token request.
function _M.count_request(connection, reused)
  local c = _M.counters
  c.requests = c.requests + 1
  if reused then c.reused = c.reused + 1 end
  if connection and not _M.seen_connections[connection] then
    _M.seen_connections[connection] = true
    c.connections = c.connections + 1
  end
end

_M.reset()

return _M
