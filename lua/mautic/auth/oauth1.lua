--- OAuth 1.0a (Mautic 2 and 3), signed as Mautic's server verifies it.
-- Mautic's OAuth1 server departs from RFC 5849 in ways a by-the-book
-- client trips over, so the signature base string is built by its rules:
--  * signed parameters: the oauth_* ones, the query and the form-encoded
--    body, merged (a body value replaces a query value of the same name);
--    a JSON body is not signed, so requests carry form-encoded bodies;
--  * a nested parameter is signed under its top-level name only:
--    where[0][col]=phone is signed as where=phone;
--  * values PHP calls empty ("", "0", 0, false, nil, {}) are not signed;
--  * each pair is rawurlencode(name)=rawurlencode(value); the pairs of one
--    table are sorted as byte strings and joined with "&", and a nested
--    table is normalised on its own first, its joined string then sorting
--    as one item among its parent's pairs.
local options = require "mautic.options"
local core = require "mautic.core"
local query = require "mautic.query"
local redact = require "mautic.redact"
local errors = require "mautic.errors"
local random = require "mautic.random"
local hosts = require "mautic.host"
local json = require "mautic.json"

local type, pairs, ipairs, next, error, tostring, setmetatable = type, pairs, ipairs, next, error, tostring, setmetatable
local concat, sort = table.concat, table.sort
local floor = math.floor
local format, gsub, lower = string.format, string.gsub, string.lower
local enc = core.pct_encode

local _M = {}

--- What PHP's empty() says of a value.
local function php_empty(v)
  if v == nil or v == false or v == "" or v == "0" or v == 0 then return true end
  if type(v) == "table" then return next(v) == nil end
  return false
end
_M.php_empty = php_empty

local function php_string(v)
  return query.scalar(v) or tostring(v)
end

-- Normalise one table: leaves under `top` (the top-level name) when nested.
local function normalize(t, top)
  local items = {}
  for k, v in pairs(t) do
    if not php_empty(v) then
      local name = top or php_string(k)
      if type(v) == "table" then
        -- a table of PHP-empty values only adds nothing: Mautic's server
        -- drops empty parts before joining (no stray "&")
        local nested = normalize(v, name)
        if nested ~= "" then items[#items + 1] = nested end
      else
        items[#items + 1] = enc(name) .. "=" .. enc(php_string(v))
      end
    end
  end
  sort(items)
  return concat(items, "&")
end
_M.normalize = normalize

local parse_query = query.decode

-- scheme://host[:port]/path, lower-cased scheme and host, default port dropped
local function base_url(url)
  local u = gsub(url, "#.*$", "")
  u = gsub(u, "%?.*$", "")
  local scheme, host, rest = u:match("^(%a[%w+.-]*)://([^/]+)(.*)$")
  if not scheme then return u end
  scheme, host = lower(scheme), lower(host)
  if (scheme == "http" and host:match(":80$")) or (scheme == "https" and host:match(":443$")) then
    host = gsub(host, ":%d+$", "")
  end
  if rest == "" then rest = "/" end
  return scheme .. "://" .. host .. rest
end
_M.base_url = base_url

local function check_string(opts, name, required)
  local v = opts[name]
  if v == nil and not required then return end
  if type(v) ~= "string" and not (type(v) == "number" and (name == "timestamp")) then
    error("bad argument #1 to 'oauth1_sign' (" .. name .. ": string expected, got " .. type(v) .. ")", 3)
  end
end

--- Sign a request.
-- @tparam table o method, url (its query is signed too), params (query and
--   form-body parameters, nested tables allowed), consumer_key,
--   consumer_secret, token, token_secret, nonce, timestamp, callback,
--   verifier, version (e.g. "1.0"; oauth_version is optional and omitted
--   unless given)
-- @treturn string the Authorization header value ("OAuth ...")
-- @treturn string the signature (base64)
-- @treturn string the signature base string
local SIGN_OPTIONS = { method = "any", url = "any", consumer_key = "any", consumer_secret = "any", token = "any",
                       token_secret = "any", nonce = "any", callback = "any", verifier = "any", version = "any",
                       params = "any", timestamp = "any" }

function _M.sign(o)
  if type(o) ~= "table" then
    error("bad argument #1 to 'oauth1_sign' (table expected, got " .. type(o) .. ")", 2)
  end
  options.check("oauth1_sign", 1, o, SIGN_OPTIONS, 2)
  check_string(o, "method", true)
  check_string(o, "url", true)
  check_string(o, "consumer_key", true)
  check_string(o, "consumer_secret", true)
  for _, name in ipairs{ "token", "token_secret", "nonce", "callback", "verifier", "version" } do
    check_string(o, name, false)
  end
  if o.params ~= nil and type(o.params) ~= "table" then
    error("bad argument #1 to 'oauth1_sign' (params: table expected, got " .. type(o.params) .. ")", 2)
  end

  local oauth = {
    oauth_consumer_key = o.consumer_key,
    oauth_nonce = o.nonce or _M.nonce(),
    oauth_signature_method = "HMAC-SHA1",
    oauth_timestamp = php_string(o.timestamp or floor(core.now())),
    oauth_token = o.token,
    oauth_callback = o.callback,
    oauth_verifier = o.verifier,
    oauth_version = o.version,
  }

  local params = {}
  local qs = o.url:match("%?([^#]*)")
  if qs then parse_query(qs, params) end
  for k, v in pairs(o.params or {}) do params[k] = v end
  for k, v in pairs(oauth) do params[k] = v end

  local base = o.method:upper() .. "&" .. enc(base_url(o.url)) .. "&" .. enc(normalize(params))
  local key = enc(o.consumer_secret) .. "&" .. enc(o.token_secret or "")
  local signature = core.b64encode(core.hmac_sha1(key, base))

  oauth.oauth_signature = signature
  local names = {}
  for k in pairs(oauth) do names[#names + 1] = k end
  sort(names)
  local parts = {}
  for _, k in ipairs(names) do
    parts[#parts + 1] = format('%s="%s"', k, enc(oauth[k]))
  end
  return "OAuth " .. concat(parts, ", "), signature, base
end

--- A fresh nonce: 16 secure random bytes as hex.
function _M.nonce()
  return random.hex(16)
end

-- The auth handler ---------------------------------------------------------

local OAuth1 = { kind = "oauth1", body_encoding = "form" }
OAuth1.__index = OAuth1
OAuth1.__tostring = function() return "mautic.auth.oauth1(<redacted>)" end

--- Make an OAuth1a auth handler.
-- @tparam table opts consumer_key, consumer_secret, token, token_secret
local NEW_OPTIONS = { consumer_key = "any", consumer_secret = "any", token = "any", token_secret = "any",
                      callback = "any" }

function _M.new(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'oauth1' (table expected, got " .. type(opts) .. ")", 2)
  end
  options.check("oauth1", 1, opts, NEW_OPTIONS, 2)
  for _, name in ipairs{ "consumer_key", "consumer_secret" } do
    if type(opts[name]) ~= "string" or opts[name] == "" then
      error("bad argument #1 to 'oauth1' (" .. name .. ": non-empty string expected)", 2)
    end
  end
  for _, name in ipairs{ "token", "token_secret", "callback" } do
    if opts[name] ~= nil and type(opts[name]) ~= "string" then
      error("bad argument #1 to 'oauth1' (" .. name .. ": string expected)", 2)
    end
  end
  redact.remember(opts.consumer_secret)
  redact.remember(opts.token_secret)
  redact.remember(opts.token)
  -- the token travels in the clear, yet it is a credential: with the secrets,
  -- in a closure rather than a field that a walk over the handler shows
  local secrets = { consumer_secret = opts.consumer_secret, token_secret = opts.token_secret, token = opts.token }
  return setmetatable({
    consumer_key = opts.consumer_key,
    callback = opts.callback,
    secrets = function() return secrets end,
  }, OAuth1)
end

--- Who requests are signed for, as a rate budget names it (never a secret).
function OAuth1:identity()
  return "oauth1:" .. self.consumer_key
end

function OAuth1:authorize(_, req)
  local s = self.secrets()
  local params = {}
  if type(req.query) == "table" then for k, v in pairs(req.query) do params[k] = v end end
  if type(req.form) == "table" then for k, v in pairs(req.form) do params[k] = v end end
  local header = _M.sign{
    method = req.method, url = req.base_url or req.url, params = params,
    consumer_key = self.consumer_key, consumer_secret = s.consumer_secret,
    token = s.token, token_secret = s.token_secret,
  }
  req.headers["Authorization"] = header
  return true
end

-- The three-legged flow ----------------------------------------------------

local function form_answer(body)
  return type(body) == "string" and parse_query(body) or {}
end

local function flow_request(client_opts, path, sign_opts)
  local transport = client_opts.transport
  local close
  if not transport then
    transport, close = hosts.transport()
  end
  local url = (gsub(client_opts.url, "/+$", "")) .. path
  sign_opts.method, sign_opts.url = "POST", url
  local header = _M.sign(sign_opts)
  local status, headers, body = transport{
    method = "POST", url = url, body = "",
    headers = { Authorization = header, Accept = "application/x-www-form-urlencoded, application/json" },
    timeout = client_opts.timeout or 30, tls = client_opts.tls, proxy = client_opts.proxy,
  }
  if close then close() end
  if not status then
    return nil, errors.transport(headers, body, { method = "POST", url = url })
  end
  local t = form_answer(body)
  if status >= 400 or not t.oauth_token then
    local err = errors.from_response(status, json.decode(body or ""), body, { method = "POST", url = url })
    err.kind = "auth"
    return nil, err
  end
  return t
end

--- Step one: a request token. opts: url, consumer_key, consumer_secret, callback.
-- @treturn[1] table { oauth_token, oauth_token_secret, oauth_callback_confirmed }
local FLOW_OPTIONS = { url = "string", consumer_key = "string", consumer_secret = "string", token = "string",
                       token_secret = "string", verifier = "string", callback = "string", transport = "function",
                       timeout = options.is_seconds, tls = "table" }

function _M.request_token(opts)
  options.check("request_token", 1, opts, FLOW_OPTIONS, 2)
  return flow_request(opts, "/oauth/v1/request_token", {
    consumer_key = opts.consumer_key, consumer_secret = opts.consumer_secret,
    callback = opts.callback or "oob",
  })
end

--- Step two: where to send the user. opts: url, token (the request token), callback.
function _M.authorize_url(opts)
  options.check("authorize_url", 1, opts, FLOW_OPTIONS, 2)
  local u = (gsub(opts.url, "/+$", "")) .. "/oauth/v1/authorize?oauth_token=" .. enc(opts.token)
  if opts.callback then u = u .. "&oauth_callback=" .. enc(opts.callback) end
  return u
end

--- Step three: the access token. opts: url, consumer_key, consumer_secret,
-- token, token_secret (of the request token), verifier.
-- @treturn[1] table { oauth_token, oauth_token_secret }
function _M.access_token(opts)
  options.check("access_token", 1, opts, FLOW_OPTIONS, 2)
  return flow_request(opts, "/oauth/v1/access_token", {
    consumer_key = opts.consumer_key, consumer_secret = opts.consumer_secret,
    token = opts.token, token_secret = opts.token_secret, verifier = opts.verifier,
  })
end

return _M
