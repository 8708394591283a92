-- API authentication, as Mautic's API firewall does it.
--
-- authenticate(req) -> identity | nil, response
--   identity = { kind = "basic"|"bearer"|"oauth1", user = name, key = rate-limit key,
--                display = "createdByUser" value, user_id = id or nil }
--
-- Hook point: auth.schemes[<lower-case scheme>] = function(credentials, req) -> identity | nil, response.
-- Basic is built in; "bearer" checks OAuth2 tokens (oauth2.lua, also from
-- ?access_token= via auth.query_token) and "oauth" OAuth1a signatures
-- (oauth1.lua, only with config oauth1 = true).
local config = require "mautic.fake.config"
local versions = require "mautic.fake.versions"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local common = require "mautic.fake.oauth_common"
local oauth2 = require "mautic.fake.oauth2"
local oauth1 = require "mautic.fake.oauth1"

local _M = { schemes = {} }

local DENIED = "API authorization denied."

function _M.denied()
  return responses.plain_error(401, DENIED, "access_denied")
end

function _M.invalid_credentials()
  if versions.has("basic_challenge") then
    -- 7.0's firewall asks for Basic credentials again: no body, a challenge
    return { status = 401, raw = "", version = false, headers = { ["WWW-Authenticate"] = 'Basic realm="Secured Area"' } }
  end
  return responses.plain_error(401, "Authorization denied, invalid credentials.", "access_denied")
end

function _M.invalid_token()
  return responses.plain_error(401, "The access token provided is invalid.", "invalid_grant")
end

function _M.expired_token()
  return responses.plain_error(401, "The access token provided has expired.", "invalid_grant")
end

local function decode_base64(s)
  if ngx then return ngx.decode_base64(s) end
  return nil
end

-- display name used in createdByUser / modifiedByUser
function _M.display_name(username)
  for _, u in ipairs(store.all("users")) do
    if u.username == username then
      return (u.firstName or "") .. " " .. (u.lastName or ""), u.id
    end
  end
  return username
end

-- identity of an API user (createdByUser etc. as for Basic auth with that user);
-- the OAuth servers only say whose token it is and which key it counts under
local function identity(kind, username, key)
  local display, uid = _M.display_name(username or "admin")
  return { kind = kind, user = username or "admin", key = key, display = display, user_id = uid }
end

_M.schemes.basic = function(cred)
  local raw = decode_base64(cred or "")
  if not raw then return nil, _M.invalid_credentials() end
  local user, pass = raw:match("^([^:]*):(.*)$")
  local users = config.get("users") or {}
  if not user or users[user] == nil or tostring(users[user]) ~= pass then
    return nil, _M.invalid_credentials()
  end
  local display, uid = _M.display_name(user)
  return { kind = "basic", user = user, key = "basic:" .. user, display = display, user_id = uid }
end

-- Bearer: a token issued by the OAuth2 server (oauth2.lua), or one listed in
-- config.tokens (token -> true | { expires_at = epoch, user = name }).
-- Unknown -> 401 invalid_grant "…is invalid.", expired -> "…has expired."
-- (with config oauth2_error_style = "legacy": {"error","error_description"}).
_M.schemes.bearer = function(token)
  token = token or ""
  local tokens = config.get("tokens") or {}
  local t = tokens[token]
  if t then
    if type(t) == "table" and t.expires_at and tonumber(t.expires_at) <= ngx.time() then
      return nil, common.error(401, "invalid_grant", "The access token provided has expired.")
    end
    if type(t) == "table" and t.user then
      return identity("bearer", t.user, "bearer:" .. token)
    end
    return { kind = "bearer", user = "api-test-client [1]", key = "bearer:" .. token,
             display = "api-test-client [1]" }
  end
  local user, key = oauth2.verify(token)   -- nil, "invalid" | "expired" for a bad token
  if user then return identity("bearer", user, key) end
  if key == "expired" then
    return nil, common.error(401, "invalid_grant", "The access token provided has expired.")
  end
  return nil, common.error(401, "invalid_grant", "The access token provided is invalid.")
end

-- OAuth1a: Mautic 5 has none (denied); with config oauth1 = true the
-- signature is verified by oauth1.lua.
_M.schemes.oauth = function(_, req)
  local user, key = oauth1.authenticate(req)
  if not user then return nil, key end
  return identity("oauth1", user, key)
end

-- ?access_token= in the query, or access_token in a form-encoded body
function _M.query_token(req)
  local t = req.args and req.args.access_token
  if type(t) == "string" and t ~= "" then return t end
  local ct = (req.content_type or ""):lower()
  if req.body and req.body ~= "" and ct:find("application/x-www-form-urlencoded", 1, true)
     and req.body:find("access_token=", 1, true) then
    local b = util.parse_php(req.body).access_token
    if type(b) == "string" and b ~= "" then return b end
  end
end

function _M.authenticate(req)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  if h and h ~= "" then
    local scheme, cred = h:match("^%s*(%S+)%s*(.-)%s*$")
    scheme = (scheme or ""):lower()
    local fn = _M.schemes[scheme]
    if not fn then return nil, _M.denied() end
    return fn(cred, req)
  end
  local qt = _M.query_token(req)
  if qt then return _M.schemes.bearer(qt, req) end
  return nil, _M.denied()
end

-- for the log: the client id a bearer token was issued to, "unknown" for a
-- token this server never issued (another server's, a made-up one), nil
-- without a bearer token. Lets a spec count requests that carried a token
-- of another issuer without the log holding the token.
function _M.token_owner(req)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  local token = h and h:match("^%s*[Bb]earer%s+(%S+)")
  if not token and not h then token = _M.query_token(req) end
  if not token then return nil end
  local rec = oauth2.access[token]
  if rec then return rec.client_id end
  local listed = (config.get("tokens") or {})[token]
  if listed then return "listed" end
  return "unknown"
end

-- label for the log: "basic:<user>", "bearer", "oauth1", "none"
function _M.label(req)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  if h and h ~= "" then
    local scheme, cred = h:match("^%s*(%S+)%s*(.-)%s*$")
    scheme = (scheme or ""):lower()
    if scheme == "basic" then
      local raw = decode_base64(cred or "") or ""
      return "basic:" .. (raw:match("^([^:]*)") or "")
    elseif scheme == "bearer" then return "bearer"
    elseif scheme == "oauth" then return "oauth1"
    end
    return scheme
  end
  if _M.query_token(req) then return "bearer" end
  return "none"
end

return _M
