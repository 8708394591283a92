--- OAuth 2 for Mautic: client_credentials (Mautic 4+), authorization code
-- and refresh tokens.
--   mautic.auth.oauth2{ client_id =, client_secret =, grant = "client_credentials" }
--   mautic.auth.oauth2{ client_id =, client_secret =, access_token =, refresh_token =,
--                       expires_at =, on_token = function(tokens) ... end, store = store }
-- Tokens are refreshed before they expire (with a margin) and once after a
-- 401 that says the token is invalid or expired, then the request is
-- replayed. One refresh runs at a time per handler even with many
-- requests in flight; the others wait for its result.
local core = require "mautic.core"
local json = require "mautic.json"
local query = require "mautic.query"
local errors = require "mautic.errors"
local redact = require "mautic.redact"
local stores = require "mautic.auth.store"

local type, ipairs, error, tostring, tonumber, setmetatable, pcall =
      type, ipairs, error, tostring, tonumber, setmetatable, pcall
local gsub, format = string.gsub, string.format

local _M = { _VERSION = "0.1.0" }

local GRANTS = { client_credentials = true, authorization_code = true, refresh_token = true, password = true }

local function site(url)
  url = gsub(url, "/+$", "")
  return (gsub(url, "/api$", ""))
end

-- POST the token endpoint; Mautic 5 answers errors in its errors envelope,
-- older servers in OAuth's {"error":...,"error_description":...}.
local function token_request(transport, url, form, opts)
  local endpoint = site(url) .. "/oauth/v2/token"
  local req = {
    method = "POST", url = endpoint,
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Accept = "application/json" },
    body = query.encode(form),
    timeout = opts.timeout or 30, connect_timeout = opts.connect_timeout or 10, tls = opts.tls,
  }
  local status, headers, body = transport(req)
  if not status then return nil, errors.transport(headers, body, req) end
  local decoded = json.decode(body or "")
  if status >= 400 or type(decoded) ~= "table" or type(decoded.access_token) ~= "string" then
    local err
    if decoded == nil and status < 400 then
      err = errors.decode(status, body, "not a token answer", req)
    else
      err = errors.from_response(status, decoded, body, req)
    end
    err.kind = "auth"
    return nil, err
  end
  local tokens = {
    access_token = decoded.access_token,
    refresh_token = decoded.refresh_token,
    token_type = decoded.token_type,
    scope = decoded.scope,
    expires_in = tonumber(decoded.expires_in),
  }
  if tokens.expires_in then tokens.expires_at = (opts.now or core.now)() + tokens.expires_in end
  redact.remember(tokens.access_token)
  redact.remember(tokens.refresh_token)
  return tokens
end
_M.token_request = token_request

local function with_transport(opts, fn)
  if opts.transport then return fn(opts.transport) end
  local send, close = require("mautic.transport.curl").new()
  local a, b = fn(send)
  close()
  return a, b
end

local random_state = function() return require("mautic.random").hex(16) end

--- The URL to send a user to for the authorization-code grant.
-- @tparam table o url, client_id, redirect_uri, state (generated when absent), scope
-- @treturn string the URL
-- @treturn string the state to compare with the one the callback brings back
function _M.authorize_url(o)
  if type(o) ~= "table" or type(o.url) ~= "string" or type(o.client_id) ~= "string"
     or type(o.redirect_uri) ~= "string" then
    error("bad argument #1 to 'authorize_url' (url, client_id and redirect_uri strings expected)", 2)
  end
  local state = o.state or random_state()
  local q = query.encode{
    client_id = o.client_id, grant_type = "authorization_code", redirect_uri = o.redirect_uri,
    response_type = "code", state = state, scope = o.scope,
  }
  return site(o.url) .. "/oauth/v2/authorize?" .. q, state
end

--- Trade an authorization code for tokens.
-- @tparam table o url, client_id, client_secret, redirect_uri, code
-- @treturn[1] table tokens { access_token, refresh_token, expires_at, ... }
-- @treturn[2] nil
-- @treturn[2] mautic.error kind "auth"
function _M.exchange_code(o)
  if type(o) ~= "table" or type(o.code) ~= "string" or type(o.url) ~= "string" then
    error("bad argument #1 to 'exchange_code' (url and code strings expected)", 2)
  end
  redact.remember(o.client_secret)
  redact.remember(o.code)
  return with_transport(o, function(transport)
    return token_request(transport, o.url, {
      grant_type = "authorization_code", client_id = o.client_id, client_secret = o.client_secret,
      redirect_uri = o.redirect_uri, code = o.code,
    }, o)
  end)
end

local parse_query = query.decode

--- The authorization-code flow for command-line scripts: listens on
-- 127.0.0.1, hands the authorize URL to `show` (default: print it on
-- stderr), waits for Mautic to redirect the browser back with a code,
-- checks the state and trades the code for tokens.
-- @tparam table o url, client_id, client_secret, port (0: any free port;
--   the redirect URI http://127.0.0.1:PORT/callback must be allowed for the
--   client in Mautic), timeout (seconds, 300), show(url)
-- @treturn[1] table tokens
-- @treturn[2] nil
-- @treturn[2] mautic.error
function _M.local_callback(o)
  if type(o) ~= "table" or type(o.url) ~= "string" or type(o.client_id) ~= "string" then
    error("bad argument #1 to 'local_callback' (url and client_id strings expected)", 2)
  end
  local listener, lerr = core.listen(o.port or 0)
  if not listener then return nil, errors.new{ kind = "network", message = lerr } end
  local redirect_uri = format("http://127.0.0.1:%d/callback", listener:port())
  local auth_url, state = _M.authorize_url{
    url = o.url, client_id = o.client_id, redirect_uri = redirect_uri, state = o.state, scope = o.scope,
  }
  local show = o.show or function(u)
    io.stderr:write("Open this URL in a browser to authorize lua-mautic:\n  ", u, "\n")
  end
  show(auth_url)
  local deadline = core.now() + (o.timeout or 300)
  local params
  repeat
    local left = deadline - core.now()
    if left <= 0 then break end
    local target, err = listener:accept(left, "lua-mautic: authorized, you may close this window.")
    if not target then
      if err == "timeout" then break end
    else
      local path, qs = target:match("^([^?]*)%??(.*)$")
      if path == "/callback" then params = parse_query(qs) end
    end
  until params
  listener:close()
  if not params then
    return nil, errors.new{ kind = "timeout", message = "no authorization came back before the timeout" }
  end
  if params.error then
    return nil, errors.new{ kind = "auth", type = params.error,
                            message = params.error_description or params.error }
  end
  if type(params.state) ~= "string" or not core.ct_equal(params.state, state) then
    return nil, errors.new{ kind = "auth", message = "the state that came back does not match: possible forgery" }
  end
  return _M.exchange_code{
    url = o.url, client_id = o.client_id, client_secret = o.client_secret,
    redirect_uri = redirect_uri, code = params.code or "", transport = o.transport,
  }
end

-- The auth handler ---------------------------------------------------------

local OAuth2 = { kind = "oauth2" }
OAuth2.__index = OAuth2
OAuth2.__tostring = function() return "mautic.auth.oauth2(<redacted>)" end

--- Make an OAuth2 auth handler.
-- @tparam table opts client_id, client_secret, grant ("client_credentials",
--   "authorization_code" or "refresh_token"; default: client_credentials
--   when no tokens are given), access_token, refresh_token, expires_at
--   (epoch seconds), on_token(tokens), store (see mautic.auth.store),
--   margin (seconds before expiry to refresh, 60), token_in_query (send
--   access_token as a query parameter, for servers that drop the header)
function _M.new(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'oauth2' (table expected, got " .. type(opts) .. ")", 2)
  end
  for _, name in ipairs{ "client_id", "client_secret", "access_token", "refresh_token", "grant" } do
    if opts[name] ~= nil and type(opts[name]) ~= "string" then
      error("bad argument #1 to 'oauth2' (" .. name .. ": string expected, got " .. type(opts[name]) .. ")", 2)
    end
  end
  if opts.grant and not GRANTS[opts.grant] then
    error("bad argument #1 to 'oauth2' (grant: client_credentials, authorization_code or refresh_token expected)", 2)
  end
  if opts.on_token ~= nil and type(opts.on_token) ~= "function" then
    error("bad argument #1 to 'oauth2' (on_token: function expected)", 2)
  end
  if opts.expires_at ~= nil and type(opts.expires_at) ~= "number" then
    error("bad argument #1 to 'oauth2' (expires_at: number expected)", 2)
  end
  local grant = opts.grant or ((opts.access_token or opts.refresh_token) and "refresh_token" or "client_credentials")
  if grant == "client_credentials" and (not opts.client_id or not opts.client_secret) then
    error("bad argument #1 to 'oauth2' (client_credentials needs client_id and client_secret)", 2)
  end
  local store = opts.store or stores.memory()
  if type(store) ~= "table" or type(store.get) ~= "function" or type(store.set) ~= "function" then
    error("bad argument #1 to 'oauth2' (store: table with get, set and lock expected)", 2)
  end
  if opts.access_token or opts.refresh_token then
    store:set{ access_token = opts.access_token, refresh_token = opts.refresh_token, expires_at = opts.expires_at }
  end
  redact.remember(opts.client_secret)
  redact.remember(opts.access_token)
  redact.remember(opts.refresh_token)
  local secret = opts.client_secret
  return setmetatable({
    client_id = opts.client_id,
    grant = grant,
    store = store,
    on_token = opts.on_token,
    margin = opts.margin or 60,
    token_in_query = opts.token_in_query and true or false,
    secret = function() return secret end,
    refreshing = false,
  }, OAuth2)
end

--- The token set in use (from the store).
function OAuth2:tokens()
  return self.store:get() or {}
end

-- Get new tokens: refresh when we hold a refresh token, else (client
-- credentials) ask again. Returns true or nil, err.
function OAuth2:renew(client)
  local current = self:tokens()
  local form
  if current.refresh_token then
    form = { grant_type = "refresh_token", refresh_token = current.refresh_token,
             client_id = self.client_id, client_secret = self.secret() }
  elseif self.grant == "client_credentials" then
    form = { grant_type = "client_credentials", client_id = self.client_id, client_secret = self.secret() }
  else
    return nil, errors.new{ kind = "auth", message = "the access token expired and there is no refresh token" }
  end
  local tokens, err = token_request(client.transport, client.base_url, form, client)
  if not tokens then return nil, err end
  if not tokens.refresh_token and form.grant_type == "refresh_token" then
    tokens.refresh_token = current.refresh_token
  end
  self.store:set(tokens)
  if self.on_token then
    local ok, cb_err = pcall(self.on_token, tokens)
    if not ok then
      return nil, errors.new{ kind = "auth", message = "on_token failed: " .. tostring(cb_err) }
    end
  end
  return true
end

-- Renew under the lock: a request that finds a renewal under way waits for
-- it and uses its result instead of starting another.
function OAuth2:renew_once(client, stale_token)
  if self.refreshing then
    local waited = 0
    while self.refreshing and waited < 60 do
      client.sleep(0.01)
      waited = waited + 0.01
    end
    if self:tokens().access_token ~= stale_token then return true end
  end
  self.refreshing = true
  local ok, a, b = pcall(function()
    return self.store:lock(function()
      -- another process may have renewed while we waited for the lock
      local now_tokens = self:tokens()
      if now_tokens.access_token and now_tokens.access_token ~= stale_token
         and not self:expired(client, now_tokens) then
        return true
      end
      return self:renew(client)
    end)
  end)
  self.refreshing = false
  if not ok then error(a, 0) end
  return a, b
end

function OAuth2:expired(client, t)
  t = t or self:tokens()
  if not t.access_token then return true end
  return t.expires_at ~= nil and t.expires_at - self.margin <= client.now()
end

function OAuth2:authorize(client, req)
  local t = self:tokens()
  if self:expired(client, t) then
    local ok, err = self:renew_once(client, t.access_token)
    if not ok then return nil, err end
    t = self:tokens()
  end
  if self.token_in_query then
    -- a replayed request already carries the old token: replace it
    req.url = gsub(req.url, "([?&])access_token=[^&]*&?", "%1")
    req.url = gsub(req.url, "[?&]$", "")
    local sep = req.url:find("?", 1, true) and "&" or "?"
    req.url = req.url .. sep .. "access_token=" .. core.pct_encode(t.access_token)
    req.headers["Authorization"] = nil
  else
    req.headers["Authorization"] = "Bearer " .. t.access_token
  end
  return true
end

-- Called by the client on a 401: renew once when the token is to blame.
function OAuth2:on_unauthorized(client, _, decoded)
  local info = errors.parse_body(decoded)
  local kind = info.type
  if kind ~= "invalid_grant" and kind ~= "invalid_token" and kind ~= nil then return false end
  local stale = self:tokens().access_token
  return self:renew_once(client, stale) and true or false
end

return _M
