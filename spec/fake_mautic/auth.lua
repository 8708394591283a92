-- API authentication, as Mautic's API firewall does it.
--
-- authenticate(req) -> identity | nil, response
--   identity = { kind = "basic"|"bearer"|"oauth1", user = name, key = rate-limit key,
--                display = "createdByUser" value, user_id = id or nil }
--
-- Hook point: auth.schemes[<lower-case scheme>] = function(credentials, req) -> identity | nil, response.
-- Basic is built in; "bearer" and "oauth" (OAuth1) are placeholders that a
-- later issue replaces (see also auth.query_token for ?access_token=).
local config = require "fake_mautic.config"
local responses = require "fake_mautic.responses"

local _M = { schemes = {} }

local DENIED = "API authorization denied."

function _M.denied()
  return responses.plain_error(401, DENIED, "access_denied")
end

function _M.invalid_credentials()
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
  local store = require "fake_mautic.store"
  for _, u in ipairs(store.all("users")) do
    if u.username == username then
      return (u.firstName or "") .. " " .. (u.lastName or ""), u.id
    end
  end
  return username
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

-- Placeholder bearer support: tokens listed in config.tokens are accepted.
_M.schemes.bearer = function(token)
  local tokens = config.get("tokens") or {}
  local t = tokens[token]
  if not t then return nil, _M.invalid_token() end
  if type(t) == "table" and t.expires_at and tonumber(t.expires_at) < ngx.time() then
    return nil, _M.expired_token()
  end
  return { kind = "bearer", user = "api-test-client [1]", key = "bearer:" .. token,
           display = "api-test-client [1]" }
end

-- OAuth1 is gone in Mautic 5 (its routes are 404); a later issue may add it.
_M.schemes.oauth = function()
  return nil, _M.denied()
end

function _M.query_token(req)
  local t = req.args and req.args.access_token
  if type(t) == "string" and t ~= "" then return t end
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
