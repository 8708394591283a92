--- OAuth 2 for Mautic: client_credentials (Mautic 4+), authorization code
-- and refresh tokens.
--   mautic.auth.oauth2{ client_id =, client_secret =, grant = "client_credentials" }
--   mautic.auth.oauth2{ client_id =, client_secret =, access_token =, refresh_token =,
--                       expires_at =, on_token = function(tokens) ... end, store = store }
-- Tokens are refreshed before they expire (with a margin of at most half
-- their lifetime) and after a 401 that says the token is invalid or
-- expired, then the request is replayed. One renewal per expiry: the tasks
-- of a process and the processes sharing a store renew under the store's
-- lock, and only when the token they hold is still the store's (see "The
-- auth handler" below). Answers of the token endpoint are checked before
-- their tokens are stored or sent.
local core = require "mautic.core"
local json = require "mautic.json"
local query = require "mautic.query"
local errors = require "mautic.errors"
local redact = require "mautic.redact"
local stores = require "mautic.auth.store"
local outcome = require "mautic.outcome"
local options = require "mautic.options"
local random = require "mautic.random"
local host = require "mautic.host"
local compat = require "mautic.compat"

local type, ipairs, pairs, error, tostring, tonumber, setmetatable, pcall =
      type, ipairs, pairs, error, tostring, tonumber, setmetatable, pcall
local gsub, format, find, match, sub = string.gsub, string.format, string.find, string.match, string.sub
local min = math.min

local _M = {}

local GRANTS = { client_credentials = true, authorization_code = true, refresh_token = true, password = true }

local function site(url)
  url = gsub(url, "/+$", "")
  return (gsub(url, "/api$", ""))
end

-- The token endpoint as messages name it: without any user:password@.
local function shown(endpoint)
  return (gsub(endpoint, "^(%a[%w+.-]*://)[^/?#@]*@", "%1"))
end

-- Can this token go into an Authorization header or a query? RFC 6750's
-- b64token is narrower; any visible ASCII is safe to send, while a space,
-- a control character (CR/LF would split the header) or a byte above 126
-- is not. Checked before a token is stored or sent.
local MAX_TOKEN = 4096
local function sendable(token)
  return type(token) == "string" and #token > 0 and #token <= MAX_TOKEN and not find(token, "[^\33-\126]")
end
_M.sendable = sendable

-- Resending a token request --------------------------------------------------
-- The one place that decides whether a token request that got no answer
-- goes out again. mautic.outcome puts the failure in a class (from the
-- transport's kind and its word on whether the request was sent); the
-- grant then says how often a request of that class may be resent:
--  * unsent (refused connection, DNS, proxy): the server never saw it, so
--    any grant may go again.
--  * an unknown outcome (dropped after sending, timeout, an answer that is
--    not HTTP):
--    - client_credentials: asking again only issues another token; nothing
--      the next request depends on was spent. Always safe.
--    - refresh_token: once. Either the server never saw it (the resend
--      works) or it rotated the token (the resend gets invalid_grant, no
--      worse than not resending).
--    - authorization_code: never. RFC 6749 4.1.2 lets a server revoke every
--      token issued from a code that is used twice.
--  * anything else (TLS, usage, an answer too large): resending cannot help.
-- At most MAX_RESENDS resends in all.
local MAX_RESENDS = 2
local UNKNOWN = { dropped = true, timeout = true, garbage = true }
local RESENDS_AFTER_UNKNOWN = { client_credentials = MAX_RESENDS, refresh_token = 1, authorization_code = 0 }

--- May a token request that failed below HTTP be sent again?
-- @tparam string grant the request's grant_type
-- @tparam string failure_kind the transport's failure kind
-- @tparam number resent how often it was resent already
-- @tparam[opt] boolean sent the transport's word on whether it went out (nil: cannot tell)
-- @treturn boolean
local function may_resend(grant, failure_kind, resent, sent)
  if resent >= MAX_RESENDS then return false end
  local class = outcome.classify(nil, failure_kind, sent)
  if class == "unsent" then return true end
  if not UNKNOWN[class] then return false end
  return resent < (RESENDS_AFTER_UNKNOWN[grant] or 0)
end
_M.may_resend = may_resend

-- Reading the token endpoint's answer ----------------------------------------

-- Mautic's access token lifetime (seconds), assumed when a token answer's
-- expires_in is not a positive number.
local DEFAULT_LIFETIME = 3600
_M.DEFAULT_LIFETIME = DEFAULT_LIFETIME

-- An answer that holds no usable tokens: kind "auth", naming the endpoint.
local function bad_answer(req, status, raw, what, info)
  info = info or {}
  return errors.new{
    kind = "auth", status = status, code = info.code or status, type = info.type,
    details = info.details, errors = info.errors,
    message = format("token endpoint %s answered HTTP %d: %s", shown(req.url), status, what),
    method = req.method, url = req.url, body = raw,
  }
end

-- What a body that holds no JSON looks like, for the message.
local function not_json(body)
  if body == nil or body == "" then return "an empty body" end
  return format("a body that is not JSON (starts %q)", (gsub(sub(body, 1, 40), "%c", " ")))
end

-- The tokens in a decoded 2xx answer, or nil and what is wrong with it.
local function tokens_of(decoded, now)
  if type(decoded) ~= "table" then return nil, "not a JSON object" end
  if decoded.access_token == nil then return nil, "no access_token in the answer" end
  if not sendable(decoded.access_token) then
    return nil, "an access_token that cannot be sent (empty, too long, or holding spaces or control characters)"
  end
  if decoded.refresh_token ~= nil and not sendable(decoded.refresh_token) then
    return nil, "a refresh_token that cannot be used (empty, too long, or holding spaces or control characters)"
  end
  -- a lifetime that is not a positive number of seconds ("abc", -100, 0)
  -- would make the token useless at once: Mautic's default is assumed
  -- instead, flagged, and a 401 still renews it if the server disagrees
  local expires_in, assumed = decoded.expires_in, nil
  if expires_in ~= nil then
    expires_in = tonumber(expires_in)
    if not expires_in or expires_in <= 0 or expires_in ~= expires_in or expires_in == math.huge then
      expires_in, assumed = DEFAULT_LIFETIME, true
    end
  end
  local tokens = {
    access_token = decoded.access_token,
    refresh_token = decoded.refresh_token,
    token_type = type(decoded.token_type) == "string" and decoded.token_type or nil,
    scope = type(decoded.scope) == "string" and decoded.scope or nil,
    expires_in = expires_in,          -- the lifetime, kept for the refresh margin
    expires_in_assumed = assumed,     -- the server's expires_in was not usable
    obtained_at = now,
  }
  if expires_in then tokens.expires_at = now + expires_in end
  return tokens
end

local function read_answer(req, status, body, now)
  local decoded = json.decode(body or "")
  if status >= 300 then
    if type(decoded) == "table" then
      -- Mautic 5: {"errors":[...]}; older servers: {"error":...,"error_description":...}
      local info = errors.parse_body(decoded)
      return nil, bad_answer(req, status, body, info.message or "an error", info)
    end
    return nil, bad_answer(req, status, body, not_json(body))
  end
  if decoded == nil then return nil, bad_answer(req, status, body, not_json(body)) end
  return tokens_of(decoded, now)
end

--- POST the token endpoint (resending per the rules above).
-- @tparam function transport
-- @tparam string url the site or API URL
-- @tparam table form the grant's parameters
-- @tparam table opts timeout, connect_timeout, tls, now, sleep
-- @treturn[1] table tokens { access_token, refresh_token, expires_in, expires_at, obtained_at, ... }
-- @treturn[2] nil
-- @treturn[2] mautic.error kind "auth" for any answer without usable tokens, naming the endpoint;
--   the transport's kind when no answer came
local function token_request(transport, url, form, opts)
  local req = {
    method = "POST", url = site(url) .. "/oauth/v2/token",
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Accept = "application/json" },
    body = query.encode(form),
    timeout = opts.timeout or 30, connect_timeout = opts.connect_timeout or 10, tls = opts.tls,
    proxy = opts.proxy,   -- the secret goes the way the API calls go, never around the proxy
  }
  local clock = opts.now or core.now
  local resent = 0
  local status, headers, body, sent, sent_at
  while true do
    sent_at = clock()     -- the lifetime counts from the asking: never later than the server's
    status, headers, body, sent = transport(req)
    if status or not may_resend(form.grant_type, body, resent, sent) then break end
    resent = resent + 1
    if opts.sleep then opts.sleep(0.05 * resent) end
  end
  if not status then
    return nil, errors.transport("token endpoint " .. shown(req.url) .. ": " .. tostring(headers), body, req)
  end
  local tokens, why = read_answer(req, tonumber(status) or 0, body, sent_at)
  if not tokens then
    if errors.is(why) then return nil, why end
    return nil, bad_answer(req, tonumber(status) or 0, body, why)
  end
  redact.remember(tokens.access_token)
  redact.remember(tokens.refresh_token)
  return tokens
end
_M.token_request = token_request

local function with_transport(opts, fn)
  if opts.transport then return fn(opts.transport) end
  local send, close = host.transport()
  local a, b = fn(send)
  close()
  return a, b
end

local function random_state() return random.hex(16) end

--- The URL to send a user to for the authorization-code grant.
-- @tparam table o url, client_id, redirect_uri, state (generated when absent), scope
-- @treturn string the URL
-- @treturn string the state to compare with the one the callback brings back
local AUTHORIZE_URL_OPTIONS = { url = "string", client_id = "string", redirect_uri = "string", state = "string",
                                scope = "string" }
local EXCHANGE_OPTIONS = { url = "string", client_id = "string", client_secret = "string", redirect_uri = "string",
                           code = "string", transport = "function", timeout = options.is_seconds,
                           connect_timeout = options.is_seconds, tls = "table", now = "function", sleep = "function" }
local CALLBACK_OPTIONS = { url = "string", client_id = "string", client_secret = "string", port = options.is_int(0),
                           timeout = options.is_seconds, show = "function", state = "string", scope = "string",
                           transport = "function" }

function _M.authorize_url(o)
  if type(o) ~= "table" or type(o.url) ~= "string" or type(o.client_id) ~= "string"
     or type(o.redirect_uri) ~= "string" then
    error("bad argument #1 to 'authorize_url' (url, client_id and redirect_uri strings expected)", 2)
  end
  options.check("authorize_url", 1, o, AUTHORIZE_URL_OPTIONS, 2)
  local state = o.state or random_state()
  local q = query.encode{
    client_id = o.client_id, grant_type = "authorization_code", redirect_uri = o.redirect_uri,
    response_type = "code", state = state, scope = o.scope,
  }
  return site(o.url) .. "/oauth/v2/authorize?" .. q, state
end

--- Trade an authorization code for tokens.
-- @tparam table o url, client_id, client_secret, redirect_uri, code; tls, proxy,
--   timeout, transport as mautic.new takes them
-- @treturn[1] table tokens { access_token, refresh_token, expires_at, ... }
-- @treturn[2] nil
-- @treturn[2] mautic.error kind "auth"
function _M.exchange_code(o)
  if type(o) ~= "table" or type(o.code) ~= "string" or type(o.url) ~= "string" then
    error("bad argument #1 to 'exchange_code' (url and code strings expected)", 2)
  end
  options.check("exchange_code", 1, o, EXCHANGE_OPTIONS, 2)
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
  options.check("local_callback", 1, o, CALLBACK_OPTIONS, 2)
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
--
-- One renewal per expiry. The tokens live in the store, which several
-- tasks of this process and several processes may share. A renewal is
-- decided and done under the store's lock (a mutex between the coroutines
-- of this process, plus the file lock between processes), and only when
-- the token the caller holds is still the one in the store: a caller whose
-- token was replaced meanwhile (by another task, or another process) just
-- sends the new one. A 401 thus renews only if the token it rejected is
-- the current one.
--
-- Tokens belong to their issuer. A client's entry in the store is named by
-- its token endpoint and client id, every token set written carries both,
-- and a set whose issuer or client is not the asking client's is never
-- used (it reads as no tokens), whatever store holds it: two clients of two
-- Mautics sharing a store, a Redis or a file never send each other's tokens.

-- what mautic.auth.oauth2{...} takes (values are checked in check_options)
local OPTIONS = {
  client_id = "any", client_secret = "any", grant = "any", access_token = "any", refresh_token = "any",
  expires_at = "any", on_token = "any", store = "any", margin = "any", token_in_query = "boolean",
}

local OAuth2 = { kind = "oauth2" }
OAuth2.__index = OAuth2
OAuth2.__tostring = function() return "mautic.auth.oauth2(<redacted>)" end

-- level 4: bad_option <- check_options <- new <- the caller's line
local function bad_option(msg)
  error("bad argument #1 to 'oauth2' (" .. msg .. ")", 4)
end

local function check_options(opts)
  for _, name in ipairs{ "client_id", "client_secret", "access_token", "refresh_token", "grant" } do
    local v = opts[name]
    if v ~= nil and type(v) ~= "string" then bad_option(name .. ": string expected, got " .. type(v)) end
    if v == "" then bad_option(name .. ": must not be empty") end
  end
  for _, name in ipairs{ "access_token", "refresh_token" } do
    if opts[name] ~= nil and not sendable(opts[name]) then
      bad_option(name .. ": holds spaces or control characters, or is too long, to be sent")
    end
  end
  if opts.grant and not GRANTS[opts.grant] then
    bad_option("grant: client_credentials, authorization_code or refresh_token expected")
  end
  if opts.on_token ~= nil and type(opts.on_token) ~= "function" then bad_option("on_token: function expected") end
  if opts.expires_at ~= nil and type(opts.expires_at) ~= "number" then bad_option("expires_at: number expected") end
  if opts.margin ~= nil and (type(opts.margin) ~= "number" or opts.margin < 0 or opts.margin ~= opts.margin) then
    bad_option("margin: number of seconds >= 0 expected")
  end
  local s = opts.store
  if s ~= nil and (type(s) ~= "table" or type(s.get) ~= "function" or type(s.set) ~= "function"
                   or type(s.lock) ~= "function") then
    bad_option("store: table with get, set and lock expected")
  end
end

--- Make an OAuth2 auth handler.
-- Tokens given here belong to the server of the first client made with the
-- handler (mautic.new binds it); they seed its entry of the store on first
-- use, unless the store already holds newer ones (see
-- `mautic.auth.store.newer`: when in doubt, the store wins).
-- @tparam table opts client_id, client_secret, grant ("client_credentials",
--   "authorization_code" or "refresh_token"; default: client_credentials
--   when no tokens are given), access_token, refresh_token, expires_at
--   (epoch seconds), on_token(tokens), store (see mautic.auth.store),
--   margin (seconds before expiry to refresh, 60; never more than half the
--   token's lifetime), token_in_query (send access_token as a query
--   parameter, for servers that drop the header)
-- @treturn table the handler
function _M.new(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'oauth2' (table expected, got " .. type(opts) .. ")", 2)
  end
  options.check("oauth2", 1, opts, OPTIONS, 2)
  check_options(opts)
  local grant = opts.grant or ((opts.access_token or opts.refresh_token) and "refresh_token" or "client_credentials")
  if grant == "client_credentials" and (not opts.client_id or not opts.client_secret) then
    error("bad argument #1 to 'oauth2' (client_credentials needs client_id and client_secret)", 2)
  end
  if opts.refresh_token and (not opts.client_id or not opts.client_secret) then
    error("bad argument #1 to 'oauth2' (a refresh_token needs client_id and client_secret to be used)", 2)
  end
  redact.remember(opts.client_secret)
  redact.remember(opts.access_token)
  redact.remember(opts.refresh_token)
  -- secrets and given tokens live in closures, not in fields a walk would show
  local secret = opts.client_secret
  local given
  if opts.access_token or opts.refresh_token then
    given = { access_token = opts.access_token, refresh_token = opts.refresh_token, expires_at = opts.expires_at }
  end
  return setmetatable({
    client_id = opts.client_id,
    grant = grant,
    store = opts.store or stores.memory(),
    on_token = opts.on_token,
    margin = opts.margin or 60,
    token_in_query = opts.token_in_query and true or false,
    secret = function() return secret end,
    given = function() return given end,
  }, OAuth2)
end

-- handler -> { client -> its entry }: kept out of the handler's fields, so
-- that a walk over a handler does not wander into clients
local entries_of = setmetatable({}, { __mode = "k" })

--- Who the tokens are sent for, as a rate budget or a log may name it
-- (never a secret).
function OAuth2:identity()
  return "oauth2:" .. (self.client_id or "")
end

-- The store entry of a client: its issuer (the token endpoint), client id and key.
-- The first client seen is the handler's home: tokens given in code are its.
function OAuth2:entry(client)
  if client == nil then return self.home end
  local mine = entries_of[self]
  if not mine then
    mine = setmetatable({}, { __mode = "k" })
    entries_of[self] = mine
  end
  local e = mine[client]
  if e then return e end
  local issuer = site(client.base_url) .. "/oauth/v2/token"
  local cid = self.client_id or ""
  e = { issuer = issuer, client_id = cid, key = stores.default_key(issuer, cid) }
  mine[client] = e
  if not self.home then self.home = e end
  return e
end

--- Called by mautic.new for each client made with this handler. Tokens
-- given in code belong to the first client's server: binding the handler
-- to a client of another server raises, since those tokens must not go there.
-- @tparam table client the client (base_url)
-- @tparam number level the error level of the caller of mautic.new
function OAuth2:bind(client, level)
  local home = self.home
  local e = self:entry(client)
  if home and self.given() and home.issuer ~= e.issuer then
    error(("bad argument #1 to 'new' (auth: this oauth2 handler holds tokens given in code for %s; "
      .. "make one handler per Mautic)"):format(home.issuer), level + 1)
  end
end

-- Are these tokens the entry's own? (issuer and client id written with them)
local function owned_by(t, e)
  return type(t) == "table" and t.issuer == e.issuer and (t.client_id or "") == e.client_id
end

--- The token set in use for a client (from its entry of the store); {}
-- when the store holds none of this issuer and client.
-- @tparam[opt] table client (default: the first client bound)
function OAuth2:tokens(client)
  local e = self:entry(client)
  if not e then return {} end
  local t = self.store:get(e.key)
  if not owned_by(t, e) then return {} end
  return t
end

-- Seed the client's entry with the tokens given in code, once, for the
-- client they belong to. Runs under the store's lock.
function OAuth2:seed(client)
  local given = self.given()
  local e = self:entry(client)
  if not given or self.seeded or e.issuer ~= self.home.issuer then return end
  local held = self.store:get(e.key)
  if not owned_by(held, e) then held = nil end
  if stores.newer(given, held) then
    local t = {}
    for k, v in pairs(given) do t[k] = v end
    t.issuer, t.client_id = e.issuer, e.client_id
    self.store:set(t, e.key)
  end
  self.seeded = true
end

--- Seconds before expiry at which tokens are renewed: the margin, but
-- never more than half the lifetime, or a token that lives less than the
-- margin would be renewed on every call.
function OAuth2:margin_for(t)
  local life = tonumber(t.expires_in)
  if life and life >= 0 then return min(self.margin, life / 2) end
  return self.margin
end

function OAuth2:expired(client, t)
  t = t or self:tokens(client)
  if not sendable(t.access_token) then return true end
  return type(t.expires_at) == "number" and t.expires_at - self:margin_for(t) <= client.now()
end

-- The form that gets new tokens from `current`, or nil and why there is none.
function OAuth2:renewal_form(current)
  if current.refresh_token then
    return { grant_type = "refresh_token", refresh_token = current.refresh_token,
             client_id = self.client_id, client_secret = self.secret() }
  elseif self.grant == "client_credentials" then
    return { grant_type = "client_credentials", client_id = self.client_id, client_secret = self.secret() }
  elseif current.access_token then
    return nil, "the access token expired and there is no refresh token"
  end
  return nil, "there is no access token and no refresh token to get one"
end

-- Get new tokens and store them in the client's entry. Runs under the lock.
-- Returns true or nil, err.
function OAuth2:renew(client, current)
  local form, why = self:renewal_form(current)
  if not form then return nil, errors.new{ kind = "auth", message = why } end
  local tokens, err = token_request(client.transport, client.base_url, form, client)
  if not tokens then return nil, err end
  if not tokens.refresh_token and form.grant_type == "refresh_token" then
    tokens.refresh_token = current.refresh_token    -- a server that does not rotate
  end
  local e = self:entry(client)
  tokens.issuer, tokens.client_id = e.issuer, e.client_id
  self.store:set(tokens, e.key)
  if self.on_token then
    local ok, cb_err = pcall(self.on_token, tokens)
    if not ok then
      return nil, errors.new{ kind = "auth", message = "on_token failed: " .. tostring(cb_err) }
    end
  end
  return true
end

--- Renew the tokens unless that is done already: `held` is the access
-- token the caller has (found expired, or rejected with a 401; nil when it
-- had none). Under the lock, the store is read again: a different token
-- that is not expired was put there by another task or process, and is
-- used as it is. Returns true or nil, err (never raises: a store that
-- cannot be read, locked or written is an auth error).
-- Run fn under the store's lock for the client's entry. Returns fn's
-- results, or nil and an auth error (never raises).
function OAuth2:locked(client, fn)
  local store = self.store
  -- the mutex keyed by the store covers stores of the user's own whose
  -- lock knows nothing of coroutines; the built-in stores take it again
  local ok, a, b = compat.pcall(stores.exclusive, store, function()
    return store:lock(fn, client.sleep, self:entry(client).key)
  end, client.sleep)
  if not ok then return nil, errors.new{ kind = "auth", message = "token store: " .. tostring(a) } end
  return a, b
end

function OAuth2:renew_unless_done(client, held)
  return self:locked(client, function()
    self:seed(client)
    local current = self:tokens(client)
    if current.access_token ~= held and not self:expired(client, current) then return true end
    return self:renew(client, current)
  end)
end

--- Put the current access token in the request, renewing it first when it
-- has expired (or is about to).
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] mautic.error kind "auth" (or the transport's kind)
function OAuth2:authorize(client, req)
  if not self.seeded and self.given() then
    -- the tokens given in code go into the store first (unless it holds newer ones)
    local ok, err = self:locked(client, function() self:seed(client) return true end)
    if not ok then return nil, err end
  end
  -- a shared store (Redis) can fail to answer: an auth error, not a crash
  local read, t = pcall(self.tokens, self, client)
  if not read then return nil, errors.new{ kind = "auth", message = "token store: " .. tostring(t) } end
  if self:expired(client, t) then
    local ok, err = self:renew_unless_done(client, t.access_token)
    if not ok then return nil, err end
    t = self:tokens(client)
    if not sendable(t.access_token) then
      return nil, errors.new{ kind = "auth", message = "the token store holds no access token that can be sent" }
    end
  end
  if self.token_in_query then
    -- a replayed request already carries the old token: replace it
    req.url = gsub(req.url, "([?&])access_token=[^&]*&?", "%1")
    req.url = gsub(req.url, "[?&]$", "")
    local sep = find(req.url, "?", 1, true) and "&" or "?"
    req.url = req.url .. sep .. "access_token=" .. core.pct_encode(t.access_token)
    req.headers["Authorization"] = nil
  else
    req.headers["Authorization"] = "Bearer " .. t.access_token
  end
  return true
end

-- The access token a request carried (header, or query with token_in_query).
local function token_sent(req)
  local h = req.headers and req.headers["Authorization"]
  if type(h) == "string" then
    local token = match(h, "^Bearer (.+)$")
    if token then return token end
  end
  local q = type(req.url) == "string" and match(req.url, "[?&]access_token=([^&#]*)")
  return q and core.pct_decode(q) or nil
end

--- Called by the client on a 401: true to replay the request.
-- Renews only when the token the server rejected (the one in `req`) is
-- still the current one; when another task or process has replaced it
-- already, the request is just replayed with the new one.
-- @treturn[1] boolean
-- @treturn[2] false
-- @treturn[2] mautic.error why renewing failed
function OAuth2:on_unauthorized(client, _, decoded, req)
  local kind = errors.parse_body(decoded).type
  if kind ~= "invalid_grant" and kind ~= "invalid_token" and kind ~= nil then return false end
  local read, current = pcall(self.tokens, self, client)
  if not read then return false, errors.new{ kind = "auth", message = "token store: " .. tostring(current) } end
  local rejected
  if type(req) == "table" then rejected = token_sent(req) else rejected = current.access_token end
  if rejected ~= current.access_token and sendable(current.access_token) then
    return true      -- replaced meanwhile: no need for the lock
  end
  local ok, err = self:renew_unless_done(client, rejected)
  if not ok then return false, err end
  return true
end

return _M
