-- Runtime configuration of the fake server (POST /__fake/config merges into it).
local json = require "mautic.fake.json"

local _M = {}

-- the version a reset goes back to: 5.1 unless the server was started as
-- another (fake-mautic start --mautic 7.0 sets it before the first request)
local default_version = "5.1.0"

local function defaults()
  return {
    users = { admin = "mautic" },   -- Basic auth credentials: name -> password
    batch_limit = 200,              -- api_batch_max_limit
    rate_limit = 0,                 -- calls per hour per credential; 0 = off
    rate_limit_window = 3600,       -- seconds of one rate-limit budget
    version = default_version,      -- the Mautic it answers as (versions.lua), its Mautic-Version
    default_limit = 30,             -- list page size when no limit is given
    tokens = {},                    -- extra bearer tokens accepted: token -> { expires_at = epoch } | true
    -- OAuth2 (see oauth2.lua): client_id -> { secret =, redirect_uri = string | [strings], user = }
    oauth2_clients = { ["fake-client"] = { secret = "fake-secret" } },
    token_ttl = 3600,               -- access token lifetime, seconds
    refresh_ttl = 14 * 86400,       -- refresh token lifetime, seconds
    code_ttl = 30,                  -- authorization code lifetime, seconds
    oauth2_error_style = "mautic",  -- "mautic" (errors envelope) | "legacy" ({error, error_description})
    -- OAuth1a (see oauth1.lua): off as on Mautic 5 (/oauth/v1/* is a route 404)
    oauth1 = false,
    oauth1_consumers = { ["fake-consumer"] = "fake-consumer-secret" }, -- key -> secret | { secret =, user = }
    oauth1_timestamp_window = 300,  -- seconds a timestamp may be off (and nonces are remembered)
    base_url = nil,                 -- used in absolute URLs (defaults to the request's host)
    -- published integrations: off as on a fresh install. With them, marketing messages
    -- accept the sms / notification channel (without: 400 "This form should not contain extra fields.")
    sms_integration = false,
    notification_integration = false,
    seed = 1,                       -- seeds the faults with `p` that give no seed of their own
    v2_bearer_bug = false,          -- /api/v2 (version 7.x) as a stock 7.0.0: every bearer token refused
                                    -- with 401 {"message":"Invalid credentials."} (mautic/mautic#16243)
    clock_offset = 0,               -- seconds added to the dates the fake writes (dateAdded...): a contact
                                    -- created with -3600 looks an hour old; tokens and headers keep real time
    -- a broken install (install_states.lua): "healthy", "api_disabled", "basic_disabled", ...
    install = "healthy",
    install_clock_offset = 3600,    -- clock_skew: seconds the server's clock is ahead
    install_redirect_host = "localhost", -- redirect_host: the host name every other one is sent to
  }
end

-- options without a default value, and their types
local OPTIONAL = { base_url = "string" }

-- option -> function(value) -> nil | what is wrong with it (for values a type does not pin down)
_M.checks = {}

_M.current = defaults()

--- The version this server answers as after every reset ("7.0.0").
function _M.set_default_version(v)
  default_version = v
  _M.current.version = v
end

function _M.reset()
  _M.current = defaults()

--- The version this server answers as after every reset ("7.0.0").
function _M.set_default_version(v)
  default_version = v
  _M.current.version = v
end
end

local plain = json.plain   -- config is read by key

--- nil when `patch` may be merged, else what is wrong with it (an unknown
-- option is refused rather than ignored: a misspelt one would test nothing).
function _M.problem(patch)
  if type(patch) ~= "table" or json.is_arr(patch) then return "the config is a JSON object" end
  local known = defaults()
  for k, v in pairs(plain(patch)) do
    local d = known[k]
    local want = d ~= nil and type(d) or OPTIONAL[k]
    if not want then return "unknown config option " .. tostring(k) end
    if type(v) ~= want then return ("config %s must be a %s"):format(k, want == "table" and "object" or want) end
    local why = _M.checks[k] and _M.checks[k](v)
    if why then return why end
  end
end

function _M.merge(patch)
  for k, v in pairs(plain(patch) or {}) do
    _M.current[k] = v
  end
end

function _M.get(k) return _M.current[k] end

return _M
