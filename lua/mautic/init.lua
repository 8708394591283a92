--- lua-mautic: a client for the Mautic marketing-automation REST API.
--
--   local mautic = require "mautic"
--   local api = assert(mautic.new{
--     url  = "https://mautic.example.com",
--     auth = mautic.auth.basic{ username = "u", password = "p" },
--   })
--   local c, err = api.contacts.create{ email = "ann@example.com" }
--
-- Endpoint functions are bound to their client and called with a dot.
-- Expected failures return nil, err (see mautic.errors); wrong arguments
-- raise at the caller's line.
local core = require "mautic.core"
local json = require "mautic.json"
local query = require "mautic.query"
local errors = require "mautic.errors"
local http = require "mautic.http"
local endpoint = require "mautic.endpoint"
local families = require "mautic.api"
local auth = require "mautic.auth"
local redact = require "mautic.redact"
local options = require "mautic.options"
local host = require "mautic.host"
local security = require "mautic.transport.security"

local type, error, pairs, pcall, rawset, tostring, tonumber, setmetatable =
      type, error, pairs, pcall, rawset, tostring, tonumber, setmetatable
local getenv = os.getenv
local gsub, find = string.gsub, string.find

local _M = {
  -- one version for the whole library: the C core's (src/mcore.h MC_VERSION)
  _VERSION = core._VERSION:match("(%d+%.%d+%.%d+)$"),
  auth = auth,
  json = json,
  null = json.null,
  errors = errors,
  encode_query = query.encode,
  webhook = require "mautic.webhook",
  parallel = require("mautic.parallel").run,
  limit = require "mautic.limit",
}

--- Sign an OAuth1a request: returns the Authorization header value, the
-- signature and the signature base string (see mautic.auth.oauth1).
auth.oauth1_sign = require("mautic.auth.oauth1").sign

--- The OAuth2 authorization-code flow: authorize_url{...}, exchange_code{...}.
_M.oauth2 = {
  authorize_url = require("mautic.auth.oauth2").authorize_url,
  exchange_code = require("mautic.auth.oauth2").exchange_code,
  local_callback = require("mautic.auth.oauth2").local_callback,
}

--- The OAuth1a three-legged flow: request_token, authorize_url, access_token.
_M.oauth1 = {
  request_token = require("mautic.auth.oauth1").request_token,
  authorize_url = require("mautic.auth.oauth1").authorize_url,
  access_token = require("mautic.auth.oauth1").access_token,
}

local USER_AGENT = "lua-mautic/" .. _M._VERSION

-- seed math.random for retry jitter from the secure source, once
do
  local b = core.random_bytes(4)
  local seed = 0
  for i = 1, 4 do seed = seed * 256 + b:byte(i) end
  math.randomseed(seed)
end

local Client = {}
Client.__index = Client

--- The internal family object for a name (built on first use).
function Client:family(name)
  local _ = self.api[name]
  return self.families[name]
end

--- Record what every answer says about the server.
function Client:observe(status, headers)
  self.last = { status = status, headers = headers }
  local v = headers and headers["mautic-version"]
  if v then self.version = v end
  local limit = headers and tonumber(headers["x-ratelimit-limit"])
  if limit then
    self.rate = { limit = limit, remaining = tonumber(headers["x-ratelimit-remaining"]),
                  reset = tonumber(headers["x-ratelimit-reset"]) }
  end
end

-- What mautic.new takes: every key it knows, and what each must be.
-- Checked when the client is made, so that `timeout = -1` or `timout = 5`
-- fails at the caller's line, not at the first request (or never).
local CLIENT_OPTIONS = {
  url = "any",                       -- checked on its own, below
  auth = "table",
  timeout = options.is_seconds,           -- per request (0: none)
  connect_timeout = options.is_seconds,
  row_timeout = options.is_seconds,       -- added per row to a batch request's timeout
  deadline = options.is_seconds,          -- a whole call, retries and waits included (0: none)
  retries = options.is_int(0),
  rate_limit_retries = options.is_int(0),
  max_retry_wait = options.is_seconds,
  batch_limit = options.is_int(1),
  max_response_bytes = options.is_int(1),
  unique_fields = "table",
  strict_fields = options.is_one_of(true, false, "warn"),
  on_field_warning = "function",
  fields_ttl = options.is_seconds,
  raise = "boolean",
  tls = "table",
  proxy = "string",
  transport = "function",
  sleep = "function",
  now = "function",                  -- the clock (epoch seconds), for tests
  user_agent = "string",
  rate_limit = "table",
}
_M.CLIENT_OPTIONS = CLIENT_OPTIONS

local TLS_OPTIONS = { verify = "boolean", ca_file = options.is_text, server_name = options.is_text,
                      cert_file = options.is_text, key_file = options.is_text }

-- api.request(method, path, opts)
local REQUEST_METHODS = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true, HEAD = true }
local REQUEST_OPTIONS = options.merge(options.CALL, {
  query = "table", body = "any", form = "boolean", base = options.is_one_of("api", "root"), raw = "boolean",
  parts = "table", output = options.is_text,
})

local DEFAULTS = {
  timeout = 30, connect_timeout = 10, row_timeout = 0.5, deadline = 0, retries = 2, rate_limit_retries = 3,
  max_retry_wait = 60, batch_limit = 200,
  max_response_bytes = 32 * 1024 * 1024,     -- a page of 200 full contacts is about 1.5 MB
  strict_fields = true, fields_ttl = 300,
}

local function unique_fields(v, level)
  if v == nil then return { "email" } end
  local ok = type(v) == "table" and #v > 0
  for i = 1, ok and #v or 0 do
    if type(v[i]) ~= "string" or v[i] == "" then ok = false end
  end
  if not ok then
    error("bad argument #1 to 'new' (unique_fields: array of contact field aliases expected)", level + 1)
  end
  return v
end

local function is_loopback(url)
  local name = url:match("^%a+://([^/:]+)") or url:match("^%a+://%[([^%]]+)%]")
  return name == "localhost" or name == "::1" or (name and find(name, "^127%.") ~= nil)
end

local warned_plain_basic = false

--- Make a client.
-- @tparam table opts url (required; may end in "/" or "/api"), auth,
--   timeout (30), connect_timeout (10), row_timeout (0.5: added per row of a
--   batch request), deadline (0: none; seconds for a whole call, retries
--   included), retries (2), rate_limit_retries (3), max_retry_wait (60),
--   batch_limit (200), max_response_bytes (32 MiB), unique_fields ({ "email" }:
--   the contact fields Mautic merges creates on), strict_fields (true, false
--   or "warn"), on_field_warning(warning), fields_ttl (300), raise (false),
--   tls = { verify, ca_file, server_name, cert_file, key_file }, proxy, transport (function(req) -> status,
--   headers, body | nil, msg, kind), sleep (function(seconds)), now, user_agent,
--   rate_limit (a shared request budget: mautic.limit.shm(...) or mautic.limit.redis{...}).
--   An unknown key or a bad value raises at the caller's line.
-- @treturn table the API object: one field per endpoint family, plus
--   version(), last_response(), request(), close()
function _M.new(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'new' (table expected, got " .. type(opts) .. ")", 2)
  end
  local url = opts.url
  if type(url) ~= "string" or not find(url, "^https?://[^/]") then
    -- a URL may carry a password: quote it only with the credentials masked
    local shown = type(url) == "string" and string.format("%q", redact.url(url)) or type(url)
    error("bad argument #1 to 'new' (url: http:// or https:// URL expected, got " .. shown .. ")", 2)
  end
  if redact.has_credentials(url) then
    error("bad argument #1 to 'new' (url: credentials in the URL are not used; pass "
      .. "auth = mautic.auth.basic{...} instead)", 2)
  end
  if find(url, "[%z\1-\32\127]") then
    error("bad argument #1 to 'new' (url contains spaces or control characters)", 2)
  end
  options.check("new", 1, opts, CLIENT_OPTIONS, 2)
  if opts.tls ~= nil then options.check("new", 1, opts.tls, TLS_OPTIONS, 2, "tls option", "tls.") end
  url = gsub(url, "/+$", "")
  url = gsub(url, "/api$", "")
  url = gsub(url, "/+$", "")

  -- what the transports check again per request (a tls key's value, a
  -- proxy with CR or LF): a mistake here is the caller's, so it raises at once
  local bad_security = security.check(opts.tls, opts.proxy)
  if bad_security then error("bad argument #1 to 'new' (" .. bad_security .. ")", 2) end
  if opts.proxy and redact.has_credentials(opts.proxy) then
    -- the proxy's password goes to curl, never into a message
    local userinfo = opts.proxy:match("^%a[%w+.-]*://(.*)@") or opts.proxy:match("^(.*)@")
    local password = userinfo and userinfo:match("^[^:]*:(.*)$")
    redact.remember(userinfo)
    if password then
      redact.remember(password)
      redact.remember(core.pct_decode(password))
    end
  end
  local a = opts.auth
  if a ~= nil and type(a.authorize) ~= "function" then
    error("bad argument #1 to 'new' (auth: expected mautic.auth.basic{...}, oauth2{...} or oauth1{...})", 2)
  end
  local client = setmetatable({
    base_url = url,
    api_url = url .. "/api",
    auth = a,
    unique_fields = unique_fields(opts.unique_fields, 2),
    raise = opts.raise == true,
    tls = opts.tls,
    proxy = opts.proxy,
    user_agent = opts.user_agent or USER_AGENT,
    sleep = opts.sleep or host.sleep,
    now = opts.now or host.now,
    auth_body = a and a.body_encoding,
    on_field_warning = opts.on_field_warning,
  }, Client)
  for name, default in pairs(DEFAULTS) do
    local v = opts[name]
    if v == nil then v = default end
    client[name] = v
  end

  if opts.transport ~= nil then
    client.transport = opts.transport
  else
    -- whatever host runs the call: libcurl, cosockets, a scheduler or a loop
    local send, close = host.transport()
    client.transport, client.close_transport = send, close
    client.default_transport = true
  end

  local budget = opts.rate_limit
  if budget ~= nil then
    if type(budget.take) ~= "function" then
      error("bad argument #1 to 'new' (rate_limit: expected mautic.limit.shm(...), mautic.limit.redis{...} "
        .. "or a table with take(sleep))", 2)
    end
    -- a slot of the shared budget before each request, waited for with the client's sleep;
    -- the budget is this Mautic's and this credential's (never a secret in the scope)
    local who = a and a.identity and a:identity() or "none"
    client.transport = require("mautic.limit").guard(budget, client.transport, function(s) return client.sleep(s) end,
      url .. " " .. who)
  end

  -- tokens given in code belong to the server of the first client made with the handler
  if a and a.bind then a:bind(client, 2) end

  if a and a.kind == "basic" and find(url, "^http://") and not is_loopback(url) and not warned_plain_basic then
    warned_plain_basic = true
    io.stderr:write("lua-mautic: warning: Basic auth over plain http sends the password in clear text to ",
      (url:match("^%a+://([^/]+)")), "\n")
  end

  local api = {}
  client.api = api
  client.families = {}

  --- The Mautic-Version of the last answer that carried one.
  function api.version() return client.version end

  --- { limit, remaining, reset (epoch seconds) } from the last answer that
  -- carried Mautic's X-RateLimit headers (nil when the limiter is off).
  function api.rate_limit() return client.rate end

  --- { status, headers } of the last answer (nil before the first call).
  function api.last_response() return client.last end

  --- Call any route by hand: api.request("GET", "/contacts", { query = {...} }).
  -- Paths are relative to /api unless opts.base == "root".
  function api.request(method, path, o)
    if type(method) ~= "string" or not REQUEST_METHODS[method:upper()] then
      error("bad argument #1 to 'request' (GET, POST, PUT, PATCH, DELETE or HEAD expected, got "
        .. options.describe(method) .. ")", 2)
    end
    if type(path) ~= "string" or path == "" then
      error("bad argument #2 to 'request' (path string expected, got " .. options.describe(path) .. ")", 2)
    end
    if find(path, "^%a[%w+.-]*://") then
      error("bad argument #2 to 'request' (a path under the client's URL expected, like \"/contacts\", got a URL)", 2)
    end
    if find(path, "[%z\1-\32\127]") then
      error("bad argument #2 to 'request' (the path holds spaces or control characters: percent-encode them)", 2)
    end
    -- "contacts" means "/contacts", never "/apicontacts"
    if path:sub(1, 1) ~= "/" then path = "/" .. path end
    o = options.check("request", 3, o, REQUEST_OPTIONS, 2)
    local v, err = http.call(client, {
      method = method:upper(), path = path, query = o.query, body = o.body, form = o.form,
      base = o.base, raw = o.raw, parts = o.parts, output = o.output,
      timeout = o.timeout, retries = o.retries, deadline = o.deadline,
    })
    if v == nil then
      if client.raise then error(err, 2) end
      return nil, err
    end
    return v     -- not http.call's meta: a second value must mean failure
  end

  --- The contact or company fields that writes are checked against (see
  -- mautic.fields): { object, by_alias = alias -> field, names = { ... } },
  -- read from Mautic once per fields_ttl.
  function api.fields(object)
    if object ~= "contact" and object ~= "company" then
      error("bad argument #1 to 'fields' (\"contact\" or \"company\" expected, got "
        .. options.describe(object) .. ")", 2)
    end
    local set, err = require("mautic.fields").get(client, object)
    if not set and client.raise then error(err, 2) end
    return set, err
  end

  --- Forget the fields read so far: the next checked write reads them again
  -- (after a field was added or changed in Mautic).
  function api.refresh_fields()
    require("mautic.fields").forget(client)
  end

  --- Close the connection (the client can still be used; it reconnects).
  function api.close()
    if client.close_transport then client.close_transport() end
  end

  -- families are built on first use
  setmetatable(api, {
    __index = function(t, name)
      if type(name) ~= "string" or not families.known[name] then return nil end
      local fam, internal = endpoint.family(client, families.load(name))
      client.families[name] = internal
      rawset(t, name, fam)
      return fam
    end,
  })
  return api
end

--- `assert` for the `nil, err` results of this library, that prints on
-- every Lua: returns its arguments when `v` is true; otherwise raises the
-- text of `err` (a string, with the caller's position). Lua 5.1 and 5.2's
-- own `assert` takes only a string message ("bad argument #2 to 'assert'"
-- for an error object), and Lua 5.1's interpreter cannot print a table
-- raised as an error. Also takes pcall's results:
-- `mautic.assert(pcall(function() for c in api.contacts.each{} do ... end end))`.
-- To branch on `err.kind`, use the `nil, err` return instead.
function _M.assert(v, err, ...)
  if v then return v, err, ... end
  if err == nil then err = "assertion failed!" end
  error(tostring(err), 2)
end

--- Make a client from the environment: MAUTIC_URL plus MAUTIC_USERNAME and
-- MAUTIC_PASSWORD (Basic), or MAUTIC_CLIENT_ID and MAUTIC_CLIENT_SECRET
-- (OAuth2 client_credentials), and MAUTIC_TIMEOUT (seconds). Extra options
-- (those of mautic.new) are merged in, and win.
-- @treturn[1] table the API object
-- @treturn[2] nil
-- @treturn[2] mautic.error kind "usage" naming what is missing
function _M.from_env(extra)
  -- the caller's own options are the caller's mistakes: they raise
  options.check("from_env", 1, extra, CLIENT_OPTIONS, 2)
  local url = getenv("MAUTIC_URL")
  if not url or url == "" then
    return nil, errors.new{ kind = "usage", message = "MAUTIC_URL is not set" }
  end
  local opts = { url = url }
  local timeout = getenv("MAUTIC_TIMEOUT")
  if timeout and timeout ~= "" then
    local t = tonumber(timeout)
    if not t or not options.is_seconds(t) then
      return nil, errors.new{ kind = "usage", message = "MAUTIC_TIMEOUT must be a number of seconds >= 0, got "
        .. options.describe(timeout) }
    end
    opts.timeout = t
  end
  for k, v in pairs(extra or {}) do opts[k] = v end
  if not opts.auth then
    local user, pass = getenv("MAUTIC_USERNAME"), getenv("MAUTIC_PASSWORD")
    local id, secret = getenv("MAUTIC_CLIENT_ID"), getenv("MAUTIC_CLIENT_SECRET")
    if user and user ~= "" then
      opts.auth = auth.basic{ username = user, password = pass or "" }
    elseif id and id ~= "" and secret and secret ~= "" then
      opts.auth = auth.oauth2{ client_id = id, client_secret = secret, grant = "client_credentials" }
    else
      return nil, errors.new{ kind = "usage",
        message = "set MAUTIC_USERNAME and MAUTIC_PASSWORD, or MAUTIC_CLIENT_ID and MAUTIC_CLIENT_SECRET" }
    end
  end
  local ok, api = pcall(_M.new, opts)
  if not ok then return nil, errors.new{ kind = "usage", message = tostring(api) } end
  return api
end

-- The default client, for short scripts: mautic.contacts.create{...}.
local default_client

--- Set the module's default client.
function _M.configure(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'configure' (table expected, got " .. type(opts) .. ")", 2)
  end
  local ok, api = pcall(_M.new, opts)
  if not ok then error(api, 2) end
  default_client = api
  return api
end

--- The default client, built from the environment when configure was never called.
function _M.default()
  if not default_client then
    local api, err = _M.from_env()
    if not api then error("mautic: no default client: call mautic.configure{...} or " .. err.message, 3) end
    default_client = api
  end
  return default_client
end

setmetatable(_M, {
  __index = function(_, name)
    if type(name) == "string" and (families.known[name] or name == "version") then
      return _M.default()[name]
    end
    return nil
  end,
})

return _M
