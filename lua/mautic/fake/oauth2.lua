-- OAuth2 server of the fake, as Mautic 5 (FOSOAuthServerBundle / oauth2-php)
-- behaves; see doc/INTERNALS.md and reference SUMMARY.md §3.
--
--   POST|GET /oauth/v2/token      grant_type client_credentials | authorization_code |
--                                 refresh_token (POST: form or JSON body; GET: query;
--                                 client credentials in the parameters or HTTP Basic)
--   GET|POST /oauth/v2/authorize  no login page: 302 to redirect_uri?code=…&state=…
--
-- Clients come from config.oauth2_clients; tokens live in this module until
-- /__fake/reset. Refresh tokens rotate: each use issues a new pair and
-- invalidates the used refresh token (the old access token stays valid
-- until it expires, as in oauth2-php).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local config = require "mautic.fake.config"
local common = require "mautic.fake.oauth_common"

local O, null = json.O, json.null

local _M = {}

local GRANTS = { client_credentials = true, authorization_code = true, refresh_token = true }

function _M.reset()
  _M.access = {}    -- token -> { client_id, user, expires_at }
  _M.refresh = {}   -- token -> { client_id, user, expires_at }
  _M.codes = {}     -- code  -> { client_id, user, redirect_uri, expires_at }
end
_M.reset()

local function now() return ngx.now() end

local function client(id)
  if type(id) ~= "string" or id == "" then return nil end
  local clients = config.get("oauth2_clients") or {}
  local c = clients[id]
  if type(c) == "string" then c = { secret = c } end
  if type(c) ~= "table" then return nil end
  return c
end

local function ttl(name, default)
  local v = tonumber(config.get(name))
  if not v then return default end
  return v
end

-- issue an access token (and a refresh token when with_refresh)
function _M.issue(client_id, user, with_refresh, token_ttl)
  local t = now()
  local expires_in = math.floor(token_ttl or ttl("token_ttl", 3600))
  local access = common.random_hex(32)
  _M.access[access] = { client_id = client_id, user = user or "admin", expires_at = t + expires_in }
  local body = O{ "access_token", access, "expires_in", expires_in, "token_type", "bearer", "scope", null }
  local refresh
  if with_refresh then
    refresh = common.random_hex(32)
    _M.refresh[refresh] = { client_id = client_id, user = user or "admin",
                            expires_at = t + ttl("refresh_ttl", 14 * 86400) }
    body.refresh_token = refresh
  end
  return body, access, refresh
end

-- valid token -> its user, the key it counts under (auth.lua makes the identity);
-- else nil, "invalid" | "expired"
function _M.verify(token)
  local rec = _M.access[token]
  if not rec then return nil, "invalid" end
  if now() >= rec.expires_at then return nil, "expired" end
  return rec.user, "bearer:" .. rec.client_id
end

-- expire tokens right away (admin): which = access token, refresh token or code value; nil = all
function _M.expire(which)
  local n = 0
  for _, store in ipairs{ _M.access, _M.refresh, _M.codes } do
    for k, rec in pairs(store) do
      if which == nil or which == k then rec.expires_at = now() - 1; n = n + 1 end
    end
  end
  return n
end

function _M.state()
  local out = O{ "access_tokens", json.obj(), "refresh_tokens", json.obj(), "codes", json.obj() }
  for key, store in pairs{ access_tokens = _M.access, refresh_tokens = _M.refresh, codes = _M.codes } do
    local names = {}
    for k in pairs(store) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
      local r = store[k]
      out[key][k] = O{ "client_id", r.client_id, "user", r.user, "expires_at", r.expires_at,
                       "expired", now() >= r.expires_at, "redirect_uri", r.redirect_uri or null }
    end
  end
  return out
end

-- request parameters, as oauth2-php reads them: POST -> body (form or JSON), else the query
local function input(req)
  local src
  if req.method == "POST" then
    local body = req.body or ""
    local ct = (req.content_type or ""):lower()
    if ct:find("json", 1, true) or (ct == "" and body:match("^%s*{")) then
      src = json.decode(body)
      if type(src) ~= "table" then src = {} end
    else
      src = util.parse_php(body)
    end
  else
    src = req.args or {}
  end
  local p = {}
  for k, v in pairs(src) do
    if type(v) == "string" then p[k] = v
    elseif type(v) == "number" or type(v) == "boolean" then p[k] = tostring(v) end
  end
  return p
end

-- client credentials: HTTP Basic (client_id:secret) or client_id / client_secret parameters
local function client_credentials(req, p)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  if type(h) == "string" then
    local cred = h:match("^%s*[Bb][Aa][Ss][Ii][Cc]%s+(%S+)")
    local raw = cred and ngx.decode_base64(cred)
    if raw and raw:find(":", 1, true) then
      local id, secret = raw:match("^([^:]*):(.*)$")
      return util.url_decode(id), util.url_decode(secret)
    end
  end
  return p.client_id, p.client_secret
end

-- does uri fall under the registered one(s)? (oauth2-php: prefix match)
local function registered_uris(c)
  local r = c.redirect_uri or c.redirect_uris
  if r == nil then return {} end
  if type(r) == "string" then return { r } end
  local out = {}
  for _, v in pairs(r) do if type(v) == "string" then out[#out + 1] = v end end
  table.sort(out)
  return out
end

local function starts_with(s, prefix)
  return type(s) == "string" and s ~= "" and s:sub(1, #prefix) == prefix
end

local function token_answer(body)
  return { status = 200, body = body, version = false,
           headers = { ["Cache-Control"] = "no-store, private", ["Pragma"] = "no-cache" } }
end

local E = common.error

-- the client a token request names, with its secret and its right to the grant:
-- -> client_id, client | nil, error response
local function token_client(req, p, grant)
  local client_id, secret = client_credentials(req, p)
  if not client_id or client_id == "" then
    return nil, E(400, "invalid_client", "Client id was not found in the headers or body")
  end
  local c = client(client_id)
  if not c or secret == nil or tostring(c.secret or "") ~= secret then
    return nil, E(400, "invalid_client", "The client credentials are invalid")
  end
  local allowed = GRANTS
  if type(c.grants) == "table" then
    allowed = {}
    for _, g in pairs(c.grants) do allowed[g] = true end
  end
  if not allowed[grant] or not GRANTS[grant] then
    return nil, E(400, "unauthorized_client", "The grant type is unauthorized for this client_id")
  end
  return client_id, c
end

-- each grant of GRANTS: function(p, client_id, client) -> response
local GRANT_HANDLERS = {}

function GRANT_HANDLERS.client_credentials(_, client_id, c)
  return token_answer((_M.issue(client_id, c.user, false)))
end

function GRANT_HANDLERS.authorization_code(p, client_id)
  local code = p.code
  if not code or code == "" then
    return E(400, "invalid_request", 'Missing parameter. "code" is required')
  end
  local rec = _M.codes[code]
  if not rec or rec.client_id ~= client_id then
    return E(400, "invalid_grant", "Code doesn't exist or is invalid for the client")
  end
  if rec.redirect_uri and not starts_with(p.redirect_uri, rec.redirect_uri) then
    return E(400, "redirect_uri_mismatch", "The redirect URI is missing or do not match")
  end
  _M.codes[code] = nil
  if now() >= rec.expires_at then
    return E(400, "invalid_grant", "The authorization code has expired")
  end
  return token_answer((_M.issue(client_id, rec.user, true)))
end

function GRANT_HANDLERS.refresh_token(p, client_id)
  local rt = p.refresh_token
  if not rt or rt == "" then
    return E(400, "invalid_request", 'No "refresh_token" parameter found')
  end
  local rec = _M.refresh[rt]
  if not rec or rec.client_id ~= client_id then
    return E(400, "invalid_grant", "Invalid refresh token")
  end
  if now() >= rec.expires_at then
    return E(400, "invalid_grant", "Refresh token has expired")
  end
  _M.refresh[rt] = nil -- rotation: a refresh token works once
  return token_answer((_M.issue(client_id, rec.user, true)))
end

function _M.token(req)
  local p = input(req)
  local grant = p.grant_type
  if not grant or grant == "" then
    return E(400, "invalid_request", "Invalid grant_type parameter or parameter missing")
  end
  local client_id, c = token_client(req, p, grant)
  if not client_id then return c end
  return GRANT_HANDLERS[grant](p, client_id, c)
end

-- GET /oauth/v2/authorize: the user is taken as logged in and agreeing
function _M.authorize(req)
  local p = req.method == "POST" and input(req) or input({ method = "GET", args = req.args })
  local client_id = p.client_id
  if not client_id or client_id == "" then
    return E(400, "invalid_client", "No client id supplied")
  end
  local c = client(client_id)
  if not c then return E(400, "invalid_client", "Unknown client") end
  local uris = registered_uris(c)
  local redirect = p.redirect_uri
  if redirect == "" then redirect = nil end
  if not redirect then
    if #uris == 0 then
      return E(400, "redirect_uri_mismatch", "No redirect URL was supplied or registered.")
    end
    redirect = uris[1]
  elseif #uris > 0 then
    local ok = false
    for _, u in ipairs(uris) do if starts_with(redirect, u) then ok = true end end
    if not ok then
      return E(400, "redirect_uri_mismatch", "The redirect URI provided does not match registered URI(s).")
    end
  end
  local state = p.state
  local function back(list)
    if state and state ~= "" then list[#list + 1] = { "state", state } end
    return common.redirect(common.add_query(redirect, list))
  end
  if not p.response_type or p.response_type == "" then
    return back{ { "error", "invalid_request" }, { "error_description", "Invalid response type." } }
  end
  if p.response_type ~= "code" then
    return back{ { "error", "unsupported_response_type" },
                 { "error_description", "The response type is not supported by this server." } }
  end
  local code = common.random_hex(20)
  _M.codes[code] = { client_id = client_id, user = c.user or "admin",
                     redirect_uri = p.redirect_uri ~= "" and p.redirect_uri or nil,
                     expires_at = now() + ttl("code_ttl", 30) }
  return back{ { "code", code } }
end

-- routes of this server: response or nil (no such route)
function _M.handle(req)
  if req.path == "/oauth/v2/token" and (req.method == "POST" or req.method == "GET") then
    return _M.token(req)
  elseif req.path == "/oauth/v2/authorize" and (req.method == "GET" or req.method == "POST") then
    return _M.authorize(req)
  end
  return nil
end

return _M
