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
local options = require "mautic.options"
local clients = require "mautic.client"
local fields = require "mautic.fields"
local doctor = require "mautic.doctor"
local server = require "mautic.server"
local v2 = require "mautic.api.v2"

local type, error, pairs, pcall, rawset, tostring, tonumber, setmetatable =
      type, error, pairs, pcall, rawset, tostring, tonumber, setmetatable
local getenv = os.getenv
local find = string.find

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
local CLIENT_OPTIONS = clients.OPTIONS
_M.CLIENT_OPTIONS = CLIENT_OPTIONS

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

-- api.request(method, path, opts)
local REQUEST_METHODS = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true, HEAD = true }
local REQUEST_OPTIONS = options.merge(options.CALL, {
  query = "table", body = "any", form = "boolean", base = options.is_one_of("api", "root"), raw = "boolean",
  parts = "table", output = options.is_text,
})

local function bad_request_arg(n, text)
  error("bad argument #" .. n .. " to 'request' (" .. text .. ")", 4)
end

-- api.request: any route by hand. Paths are relative to /api unless
-- opts.base == "root"; "contacts" means "/contacts", never "/apicontacts".
local function request(client, method, path, o)
  if type(method) ~= "string" or not REQUEST_METHODS[method:upper()] then
    bad_request_arg(1, "GET, POST, PUT, PATCH, DELETE or HEAD expected, got " .. options.describe(method))
  end
  if type(path) ~= "string" or path == "" then
    bad_request_arg(2, "path string expected, got " .. options.describe(path))
  end
  if find(path, "^%a[%w+.-]*://") then
    bad_request_arg(2, "a path under the client's URL expected, like \"/contacts\", got a URL")
  end
  if find(path, "[%z\1-\32\127]") then
    bad_request_arg(2, "the path holds spaces or control characters: percent-encode them")
  end
  if path:sub(1, 1) ~= "/" then path = "/" .. path end
  o = options.check("request", 3, o, REQUEST_OPTIONS, 3)
  local v, err = http.call(client, {
    method = method:upper(), path = path, query = o.query, body = o.body, form = o.form,
    base = o.base, raw = o.raw, parts = o.parts, output = o.output,
    timeout = o.timeout, retries = o.retries, deadline = o.deadline,
  })
  if v == nil then
    if client.raise then error(err, 3) end
    return nil, err
  end
  return v     -- not http.call's meta: a second value must mean failure
end

local function fields_of(client, object)
  if object ~= "contact" and object ~= "company" then
    error("bad argument #1 to 'fields' (\"contact\" or \"company\" expected, got "
      .. options.describe(object) .. ")", 3)
  end
  local set, err = fields.get(client, object)
  if not set and client.raise then error(err, 3) end
  return set, err
end

local SERVER_OPTIONS = options.CALL

local function server_of(client, o)
  o = options.check("server", 1, o, SERVER_OPTIONS, 3)
  local info, err = server.info(client, o)
  if not info and client.raise then error(err, 3) end
  return info, err
end

-- What a client has seen of its server: read-only methods of the API object.
local function add_state_methods(api, client)
  --- The Mautic-Version of the last answer that carried one.
  function api.version() return client.version end

  --- { limit, remaining, reset (epoch seconds) } from the last answer that
  -- carried Mautic's X-RateLimit headers (nil when the limiter is off).
  function api.rate_limit() return client.rate end

  --- { status, headers } of the last answer (nil before the first call).
  function api.last_response() return client.last end

  --- Close the connection (the client can still be used; it reconnects).
  function api.close()
    if client.close_transport then client.close_transport() end
  end
end

-- /api/v2's families (Mautic 7.0+), built by the /api engine on first use.
local function v2_of(client)
  return v2.new(function(def)
    local fam, internal = endpoint.family(client, def)
    client.families[def.name] = internal
    return fam
  end)
end

-- The API object of a client: its families, built on first use, and a few
-- methods. (The methods call helpers without a tail call: the level of an
-- error must count their frame on every Lua.)
local function api_of(client)
  local api = {}
  client.api = api
  add_state_methods(api, client)

  --- Call any route by hand: api.request("GET", "/contacts", { query = {...} }).
  -- Paths are relative to /api unless opts.base == "root".
  function api.request(method, path, o)
    local v, err = request(client, method, path, o)
    return v, err
  end

  --- The contact or company fields that writes are checked against (see
  -- mautic.fields): { object, by_alias = alias -> field, names = { ... } },
  -- read from Mautic once per fields_ttl.
  function api.fields(object)
    local set, err = fields_of(client, object)
    return set, err
  end

  --- Forget the fields read so far: the next checked write reads them again
  -- (after a field was added or changed in Mautic).
  function api.refresh_fields() fields.forget(client) end

  --- What is wrong with this Mautic, when it answers 401 or 404 (see
  -- mautic.doctor): { ok, findings = { { id, cause, fix, evidence } ... },
  -- tried = { { method, url, status } ... } }, never a credential in it.
  -- opts: settings_on = true (the API settings are on in Mautic), timeout.
  function api.diagnose(o)
    local report = doctor.run(client, o, 2)
    return report
  end

  --- The server: { version = "7.0.0", major, minor, patch, v2, campaign_import,
  -- rate_limiter, projects, date_modified_moves, v2_bearer }, from the
  -- Mautic-Version of an answer already seen, else one GET /api/users/self
  -- (kept on the client). { version = nil } when the server sends none.
  function api.server(o)
    local info, err = server_of(client, o)
    return info, err
  end

  --- /api/v2 (Mautic 7.0+): api.v2.contacts.list{ page = 2 }, .each(), .get(id),
  -- .create(t), .replace(id, t), .update(id, t) (merge patch), .delete(id).
  api.v2 = v2_of(client)

  return setmetatable(api, {
    __index = function(t, name)
      if type(name) ~= "string" or not families.known[name] then return nil end
      local fam, internal = endpoint.family(client, families.load(name))
      client.families[name] = internal
      rawset(t, name, fam)
      return fam
    end,
  })
end

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
  local client = clients.new(opts, 2, USER_AGENT)
  local api = api_of(client)
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
    if type(name) == "string" and (families.known[name] or name == "version" or name == "v2" or name == "server") then
      return _M.default()[name]
    end
    return nil
  end,
})

return _M
