-- OAuth 1.0a server of the fake, as Mautic 2/3 (Bazinga OAuth server) behaves.
-- Off unless config.oauth1 = true: Mautic 5 answers /oauth/v1/* with a route 404.
--
--   POST /oauth/v1/request_token   signed with the consumer only (+ oauth_callback)
--        -> 200 "oauth_token=…&oauth_token_secret=…&oauth_callback_confirmed=true"
--   GET  /oauth/v1/authorize?oauth_token=…[&oauth_callback=…]
--        -> no login page: 302 to the callback with oauth_token and oauth_verifier
--           (callback "oob": 200 with the same pairs as a form body)
--   POST /oauth/v1/access_token    signed with the request token (+ oauth_verifier)
--        -> 200 "oauth_token=…&oauth_token_secret=…"
--   /api with "Authorization: OAuth …"  signed with the access token
--
-- Verification RECOMPUTES the HMAC-SHA1 signature by Mautic's server rules
-- (written here independently of the client's signer):
--  * parameters: the oauth_* ones of the Authorization header (less
--    oauth_signature and realm), the query, and a form-encoded body (a body
--    value replaces a query value of the same top-level name); a JSON or
--    multipart body is not signed;
--  * a nested parameter (a[b][c]=v) is signed under its top-level name (a=v);
--  * values PHP's empty() is true of ("", "0", empty array) are skipped;
--  * each pair is rawurlencode(name)=rawurlencode(value); the pairs of one
--    table are sorted as byte strings and joined with "&"; a nested table is
--    normalised first and its joined string sorts as one item of its parent;
--  * base = METHOD&enc(scheme://host[:port unless default]/raw-path)&enc(pairs),
--    host from the Host header, scheme http (https with --tls);
--  * key = enc(consumer_secret)&enc(token_secret).
-- Rejected with 401 (errors envelope, type "access_denied"): missing oauth
-- parameters, a signature method other than HMAC-SHA1, an unknown consumer
-- or token, a wrong verifier, a timestamp more than oauth1_timestamp_window
-- (300) seconds off, a nonce already used by that consumer within the
-- window, a wrong signature.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"
local common = require "mautic.fake.oauth_common"

local enc, byte_less = common.enc, common.byte_less

local _M = {}

function _M.reset()
  _M.request_tokens = {}  -- token -> { consumer, secret, callback, verifier, user }
  _M.access_tokens = {}   -- token -> { consumer, secret, user }
  _M.nonces = {}          -- consumer -> { nonce -> timestamp }
end
_M.reset()

function _M.enabled()
  local v = config.get("oauth1")
  return v == true or v == 1 or v == "1" or v == "true"
end

local function deny(message)
  return responses.plain_error(401, message, "access_denied")
end

local function consumer(key)
  if type(key) ~= "string" or key == "" then return nil end
  local c = (config.get("oauth1_consumers") or {})[key]
  if type(c) == "string" then return { secret = c } end
  if type(c) == "table" and type(c.secret) == "string" then return c end
  return nil
end

local function window()
  return tonumber(config.get("oauth1_timestamp_window")) or 300
end

-- the oauth_* parameters of an "OAuth k="v", …" header (values percent-decoded)
function _M.parse_header(h)
  if type(h) == "table" then h = h[1] end
  if type(h) ~= "string" then return nil end
  local rest = h:match("^%s*[Oo][Aa][Uu][Tt][Hh]%s+(.*)$")
  if not rest then return nil end
  local p = {}
  for item in rest:gmatch("[^,]+") do
    local k, v = item:match('^%s*([%w_%-%.]+)%s*=%s*"(.-)"%s*$')
    if not k then k, v = item:match("^%s*([%w_%-%.]+)%s*=%s*(%S*)%s*$") end
    if k and k ~= "realm" then p[common.dec(k)] = common.dec(v or "") end
  end
  return p
end

local function php_empty(v)
  if v == nil or v == false or v == "" or v == "0" or v == json.null then return true end
  if type(v) == "table" then return next(v) == nil end
  return false
end

-- Mautic's parameter normalisation (see the header comment)
local function normalize(t, top)
  local items = {}
  for k, v in pairs(t) do
    if not php_empty(v) then
      local name = top or tostring(k)
      if type(v) == "table" then
        items[#items + 1] = normalize(v, name)
      else
        items[#items + 1] = enc(name) .. "=" .. enc(tostring(v))
      end
    end
  end
  table.sort(items, byte_less)
  return table.concat(items, "&")
end
_M.normalize = normalize

-- scheme://host[:port]/path the client signed: the host it connected to
local function base_url(req)
  local scheme = (ngx.var.scheme or "http"):lower()
  local host = req.headers["host"]
  if type(host) == "table" then host = host[1] end
  if not host or host == "" then host = (ngx.var.server_addr or "127.0.0.1") .. ":" .. ngx.var.server_port end
  host = host:lower()
  if (scheme == "http" and host:match(":80$")) or (scheme == "https" and host:match(":443$")) then
    host = host:gsub(":%d+$", "")
  end
  local path = req.raw_path or req.path or "/"
  if path == "" then path = "/" end
  return scheme .. "://" .. host .. path
end

function _M.base_string(req, oauth)
  local params = {}
  for k, v in pairs(util.parse_php(req.query or "")) do params[k] = v end
  local ct = (req.content_type or ""):lower()
  if req.body and req.body ~= "" and ct:find("application/x-www-form-urlencoded", 1, true) then
    for k, v in pairs(util.parse_php(req.body)) do params[k] = v end
  end
  for k, v in pairs(oauth) do
    if k ~= "oauth_signature" then params[k] = v end
  end
  return req.method:upper() .. "&" .. enc(base_url(req)) .. "&" .. enc(normalize(params))
end

function _M.signature(base, consumer_secret, token_secret)
  return ngx.encode_base64(ngx.hmac_sha1(enc(consumer_secret) .. "&" .. enc(token_secret or ""), base))
end

local function prune_nonces(seen, now, win)
  for n, ts in pairs(seen) do
    if math.abs(now - ts) > win then seen[n] = nil end
  end
end

-- verify a signed request. mode: "request_token" | "access_token" | "api"
-- -> ok table { oauth =, consumer_key =, consumer =, token = record, token_key = } | nil, 401 response
function _M.verify(req, mode)
  local oauth = _M.parse_header(req.headers["authorization"])
  if not oauth then return nil, deny("Missing OAuth Authorization header.") end
  for _, name in ipairs{ "oauth_consumer_key", "oauth_signature_method", "oauth_timestamp",
                         "oauth_nonce", "oauth_signature" } do
    if not oauth[name] or oauth[name] == "" then
      return nil, deny("Missing OAuth parameter " .. name .. ".")
    end
  end
  if oauth.oauth_signature_method ~= "HMAC-SHA1" then
    return nil, deny("Unsupported signature method " .. oauth.oauth_signature_method .. ".")
  end
  if oauth.oauth_version and oauth.oauth_version ~= "" and oauth.oauth_version ~= "1.0" then
    return nil, deny("Unsupported OAuth version.")
  end
  local key = oauth.oauth_consumer_key
  local c = consumer(key)
  if not c then return nil, deny("Invalid consumer key.") end

  local now, win = ngx.time(), window()
  local ts = tonumber(oauth.oauth_timestamp:match("^%d+$") or "")
  if not ts or math.abs(now - ts) > win then
    return nil, deny("Expired timestamp: the request timestamp is outside the allowed window.")
  end
  local seen = _M.nonces[key]
  if seen and seen[oauth.oauth_nonce] and math.abs(ts - seen[oauth.oauth_nonce]) <= win then
    return nil, deny("Nonce already used.")
  end

  local token_key, token, token_secret = oauth.oauth_token, nil, ""
  if mode == "access_token" then
    token = token_key and _M.request_tokens[token_key]
    if not token or token.consumer ~= key then return nil, deny("Invalid request token.") end
    if not token.verifier or oauth.oauth_verifier ~= token.verifier then
      return nil, deny("Invalid verifier.")
    end
    token_secret = token.secret
  elseif mode == "api" then
    token = token_key and _M.access_tokens[token_key]
    if not token or token.consumer ~= key then return nil, deny("Invalid access token.") end
    token_secret = token.secret
  end

  local base = _M.base_string(req, oauth)
  local expected = _M.signature(base, c.secret, token_secret)
  if expected ~= oauth.oauth_signature then
    ngx.log(ngx.INFO, "fake-mautic oauth1: signature mismatch; base string: ", base)
    return nil, deny("Invalid signature.")
  end

  if not seen then seen = {}; _M.nonces[key] = seen end
  prune_nonces(seen, now, win)
  seen[oauth.oauth_nonce] = ts
  return { oauth = oauth, consumer_key = key, consumer = c, token = token, token_key = token_key }
end

local function form_answer(list)
  return { status = 200, raw = common.form(list), version = false,
           content_type = "application/x-www-form-urlencoded" }
end

function _M.request_token(req)
  local ok, err = _M.verify(req, "request_token")
  if not ok then return err end
  local callback = ok.oauth.oauth_callback
  if not callback or callback == "" then callback = ok.consumer.callback or "oob" end
  local token, secret = common.random_hex(16), common.random_hex(20)
  _M.request_tokens[token] = { consumer = ok.consumer_key, secret = secret, callback = callback,
                               user = ok.consumer.user or "admin" }
  return form_answer{ { "oauth_token", token }, { "oauth_token_secret", secret },
                      { "oauth_callback_confirmed", "true" } }
end

function _M.authorize(req)
  local token = req.args and req.args.oauth_token
  local rec = type(token) == "string" and _M.request_tokens[token]
  if not rec then
    return responses.plain_error(400, "Invalid or missing oauth_token.", "invalid_request")
  end
  local callback = req.args.oauth_callback
  if type(callback) ~= "string" or callback == "" then callback = rec.callback end
  rec.verifier = common.random_hex(16)
  local list = { { "oauth_token", token }, { "oauth_verifier", rec.verifier } }
  if not callback or callback == "oob" then return form_answer(list) end
  return common.redirect(common.add_query(callback, list))
end

function _M.access_token(req)
  local ok, err = _M.verify(req, "access_token")
  if not ok then return err end
  _M.request_tokens[ok.token_key] = nil -- a request token is exchanged once
  local token, secret = _M.issue(ok.consumer_key, ok.token.user)
  return form_answer{ { "oauth_token", token }, { "oauth_token_secret", secret } }
end

-- an access token straight away (admin shortcut): token, secret
function _M.issue(consumer_key, user)
  local token, secret = common.random_hex(16), common.random_hex(20)
  _M.access_tokens[token] = { consumer = consumer_key, secret = secret, user = user or "admin" }
  return token, secret
end

-- for the API firewall (auth.lua makes the identity): the user of the access
-- token that signed the request and the key it counts under | nil, 401
function _M.authenticate(req)
  if not _M.enabled() then return nil, responses.plain_error(401, "API authorization denied.", "access_denied") end
  local ok, err = _M.verify(req, "api")
  if not ok then return nil, err end
  return ok.token.user, "oauth1:" .. ok.consumer_key .. ":" .. ok.token_key
end

function _M.state()
  local out = json.O{ "request_tokens", json.obj(), "access_tokens", json.obj() }
  for name, store in pairs{ request_tokens = _M.request_tokens, access_tokens = _M.access_tokens } do
    local keys = {}
    for k in pairs(store) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local r = store[k]
      out[name][k] = json.O{ "consumer", r.consumer, "user", r.user, "callback", r.callback or json.null,
                             "authorized", r.verifier ~= nil }
    end
  end
  return out
end

-- routes (only when enabled): response or nil
function _M.handle(req)
  if not _M.enabled() then return nil end
  if req.path == "/oauth/v1/request_token" and req.method == "POST" then return _M.request_token(req)
  elseif req.path == "/oauth/v1/authorize" and (req.method == "GET" or req.method == "POST") then
    return _M.authorize(req)
  elseif req.path == "/oauth/v1/access_token" and req.method == "POST" then return _M.access_token(req)
  end
  return nil
end

return _M
