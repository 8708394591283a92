-- Runtime configuration of the fake server (POST /__fake/config merges into it).
local json = require "mautic.fake.json"

local _M = {}

local function defaults()
  return {
    users = { admin = "mautic" },   -- Basic auth credentials: name -> password
    batch_limit = 200,              -- api_batch_max_limit
    rate_limit = 0,                 -- calls per hour per credential; 0 = off
    rate_limit_window = 3600,       -- seconds of one rate-limit budget
    version = "5.1.0",              -- Mautic-Version header
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
  }
end

_M.current = defaults()

function _M.reset()
  _M.current = defaults()
end

local plain = json.plain   -- config is read by key

function _M.merge(patch)
  for k, v in pairs(plain(patch) or {}) do
    _M.current[k] = v
  end
end

function _M.get(k) return _M.current[k] end

return _M
