--- The client behind an API object: its settings, checked once when it is
-- made (so that `timeout = -1` or `timout = 5` fails at the caller's line,
-- not at the first request, or never), the transport its requests go
-- through, and what every answer says about the server.
-- mautic.new (init.lua) makes one and wraps it in the API object.
local core = require "mautic.core"
local redact = require "mautic.redact"
local options = require "mautic.options"
local host = require "mautic.host"
local limit = require "mautic.limit"
local security = require "mautic.transport.security"

local type, error, pairs, tonumber, setmetatable = type, error, pairs, tonumber, setmetatable
local gsub, find, format = string.gsub, string.find, string.format

local _M = {}

-- What mautic.new takes: every key it knows, and what each must be.
_M.OPTIONS = {
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

local TLS_OPTIONS = { verify = "boolean", ca_file = options.is_text, server_name = options.is_text,
                      cert_file = options.is_text, key_file = options.is_text }

local DEFAULTS = {
  timeout = 30, connect_timeout = 10, row_timeout = 0.5, deadline = 0, retries = 2, rate_limit_retries = 3,
  max_retry_wait = 60, batch_limit = 200,
  max_response_bytes = 32 * 1024 * 1024,     -- a page of 200 full contacts is about 1.5 MB
  strict_fields = true, fields_ttl = 300,
}

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
  local cap = headers and tonumber(headers["x-ratelimit-limit"])
  if cap then
    self.rate = { limit = cap, remaining = tonumber(headers["x-ratelimit-remaining"]),
                  reset = tonumber(headers["x-ratelimit-reset"]) }
  end
end

local function bad(level, text)
  error("bad argument #1 to 'new' (" .. text .. ")", level + 1)
end

-- The Mautic URL without a trailing "/" or "/api": the client adds "/api".
local function base_url(url, level)
  if type(url) ~= "string" or not find(url, "^https?://[^/]") then
    -- a URL may carry a password: quote it only with the credentials masked
    local shown = type(url) == "string" and format("%q", redact.url(url)) or type(url)
    bad(level + 1, "url: http:// or https:// URL expected, got " .. shown)
  end
  if redact.has_credentials(url) then
    bad(level + 1, "url: credentials in the URL are not used; pass auth = mautic.auth.basic{...} instead")
  end
  if find(url, "[%z\1-\32\127]") then bad(level + 1, "url contains spaces or control characters") end
  url = gsub(url, "/+$", "")
  url = gsub(url, "/api$", "")
  return (gsub(url, "/+$", ""))
end

-- What the transports check again per request (a tls key's value, a proxy
-- with CR or LF): a mistake here is the caller's, so it raises at once. A
-- proxy's password goes to curl, never into a message.
local function check_security(opts, level)
  if opts.tls ~= nil then options.check("new", 1, opts.tls, TLS_OPTIONS, level + 1, "tls option", "tls.") end
  local bad_security = security.check(opts.tls, opts.proxy)
  if bad_security then bad(level + 1, bad_security) end
  if opts.proxy and redact.has_credentials(opts.proxy) then
    local userinfo = opts.proxy:match("^%a[%w+.-]*://(.*)@") or opts.proxy:match("^(.*)@")
    local password = userinfo and userinfo:match("^[^:]*:(.*)$")
    redact.remember(userinfo)
    if password then
      redact.remember(password)
      redact.remember(core.pct_decode(password))
    end
  end
end

local function unique_fields(v, level)
  if v == nil then return { "email" } end
  local ok = type(v) == "table" and #v > 0
  for i = 1, ok and #v or 0 do
    if type(v[i]) ~= "string" or v[i] == "" then ok = false end
  end
  if not ok then bad(level + 1, "unique_fields: array of contact field aliases expected") end
  return v
end

-- The transport a client's requests go through: the caller's, or whatever
-- host runs the call (libcurl, cosockets, a scheduler or a loop); behind a
-- shared rate budget when one is given.
local function attach_transport(client, opts, level)
  if opts.transport ~= nil then
    client.transport = opts.transport
  else
    client.transport, client.close_transport = host.transport()
    client.default_transport = true
  end
  local budget = opts.rate_limit
  if budget == nil then return end
  if type(budget.take) ~= "function" then
    bad(level + 1, "rate_limit: expected mautic.limit.shm(...), mautic.limit.redis{...} or a table with take(sleep)")
  end
  -- a slot of the shared budget before each request, waited for with the client's sleep;
  -- the budget is this Mautic's and this credential's (never a secret in the scope)
  local a = client.auth
  local who = a and a.identity and a:identity() or "none"
  client.transport = limit.guard(budget, client.transport, function(s) return client.sleep(s) end,
    client.base_url .. " " .. who)
end

local function is_loopback(url)
  local name = url:match("^%a+://([^/:]+)") or url:match("^%a+://%[([^%]]+)%]")
  return name == "localhost" or name == "::1" or (name and find(name, "^127%.") ~= nil)
end

local warned_plain_basic = false

-- Once per process: Basic auth over plain http to another machine.
local function warn_plain_basic(client)
  local a, url = client.auth, client.base_url
  if warned_plain_basic or not (a and a.kind == "basic") or not find(url, "^http://") or is_loopback(url) then
    return
  end
  warned_plain_basic = true
  io.stderr:write("lua-mautic: warning: Basic auth over plain http sends the password in clear text to ",
    (url:match("^%a+://([^/]+)")), "\n")
end

--- A client from mautic.new's options; raises at `level` for a mistake.
-- `user_agent` is the default User-Agent.
function _M.new(opts, level, user_agent)
  if type(opts) ~= "table" then bad(level + 1, "table expected, got " .. type(opts)) end
  local url = base_url(opts.url, level + 1)
  options.check("new", 1, opts, _M.OPTIONS, level + 1)
  check_security(opts, level + 1)
  local a = opts.auth
  if a ~= nil and type(a.authorize) ~= "function" then
    bad(level + 1, "auth: expected mautic.auth.basic{...}, oauth2{...} or oauth1{...}")
  end
  local client = setmetatable({
    base_url = url, api_url = url .. "/api", auth = a, auth_body = a and a.body_encoding,
    unique_fields = unique_fields(opts.unique_fields, level + 1),
    raise = opts.raise == true, tls = opts.tls, proxy = opts.proxy,
    user_agent = opts.user_agent or user_agent,
    sleep = opts.sleep or host.sleep, now = opts.now or host.now,
    on_field_warning = opts.on_field_warning,
    families = {},
  }, Client)
  for name, default in pairs(DEFAULTS) do
    local v = opts[name]
    if v == nil then v = default end
    client[name] = v
  end
  attach_transport(client, opts, level + 1)
  -- tokens given in code belong to the server of the first client made with the handler
  if a and a.bind then a:bind(client, level + 1) end
  warn_plain_basic(client)
  return client
end

return _M
