--- A fake Mautic server for the tests of your own scripts.
-- It answers like Mautic 5.1 on the wire (shapes, status codes, error
-- bodies, headers, rate limits, Basic auth and OAuth2), keeps its data in
-- memory, records every request (secrets redacted), and misbehaves on
-- command the way networks and servers do: dropped connections after a
-- write was stored, 500s, late answers, bytes that are not HTTP...
--
--    local fake = require "mautic.fake"
--    local srv = assert(fake.start{ users = { admin = "secret" } })
--    -- MAUTIC_URL = srv.url, or mautic.new{ url = srv.url, ... }
--    srv:fault{ path = "^/api/contacts/new$", action = "store_then_drop" }
--    ... run the code under test ...
--    assert(srv:count("^/api/contacts/new$") == 2)
--    srv:stop()
--
-- The server is nginx with its Lua module (Debian: nginx and
-- libnginx-mod-http-lua), started by `bin/fake-mautic` on a free
-- 127.0.0.1 port; it stops with `srv:stop()`, or by itself once the
-- process that started it is gone. Admin calls raise when the server
-- refuses them (an unknown option or fault field is a mistake in the test).
-- doc/INTERNALS.md ("Fake Mautic server") has every option and fault.
-- @module mautic.fake
local core = require "mautic.core"
local json = require "mautic.json"
local launch = require "mautic.fake.launch"
local mautic = require "mautic"

-- the library's one version (the C core's), as mautic._VERSION
local _M = { _VERSION = core._VERSION:match("(%d+%.%d+%.%d+)$") }

local Server = {}
Server.__index = Server

-- the start options that are not configuration
local START = { tls = true, fields = true, clients = true, command = true, state_dir = true, config = true }

-- One admin call on a connection of its own: neither taken from nor left in
-- the process's connection cache, so the connections the code under test
-- opens (and reuses) are the same with or without admin calls between them.
-- Over TLS it names the server "localhost": the TLS session it caches is
-- then not one the code under test (which calls 127.0.0.1) could resume.
local function admin(self, method, route, payload)
  local s = assert(core.session())
  local status, headers, body = s:request{
    method = method, url = self.url .. "/__fake/" .. route, fresh = true, timeout = 60, connect_timeout = 10,
    headers = payload ~= nil and { ["Content-Type"] = "application/json" } or nil,
    body = payload ~= nil and assert(json.encode(payload)) or nil,
    tls = self.ca_file and { ca_file = self.ca_file, server_name = "localhost" } or nil,
  }
  s:close()
  if not status then
    error(("fake Mautic at %s: %s %s failed: %s"):format(self.url, method, route, tostring(headers)), 3)
  end
  local value = json.decode(body)
  if status ~= 200 then
    local why = type(value) == "table" and value.error or body
    error(("fake Mautic: %s /__fake/%s: %s"):format(method, route, tostring(why)), 3)
  end
  return value
end

-- the configuration a server goes back to on reset: the start options
local function baseline(opts)
  local config = {}
  for k, v in pairs(opts.config or {}) do config[k] = v end
  for k, v in pairs(opts) do
    if not START[k] then config[k] = v end
  end
  if opts.clients then
    local clients = {}
    for id, c in pairs(opts.clients) do clients[id] = type(c) == "string" and { secret = c } or c end
    config.oauth2_clients = clients
  end
  return config
end

local DEFAULT_USERS = { admin = "mautic" }

-- the user the methods act as (srv.username / srv.password): admin when it
-- is one of them, else the first by name
local function first_user(users)
  local names = {}
  for name in pairs(users) do names[#names + 1] = name end
  table.sort(names)
  if users.admin then return "admin", users.admin end
  return names[1], names[1] and users[names[1]]
end

local function bind(url, opts)
  opts = opts or {}
  local self = setmetatable({ url = url, options = opts, config_base = baseline(opts),
                              fields = opts.fields }, Server)
  self.username, self.password = first_user(self.config_base.users or DEFAULT_USERS)
  return self
end

--- Start a fake Mautic on a free 127.0.0.1 port.
-- @tparam[opt] table opts
--   `version` ("5.1.0": the Mautic-Version it sends; "7.0.0" answers as 7.0),
--   `users` ({ name = password }, default { admin = "mautic" }: Basic auth),
--   `clients` ({ client_id = secret | { secret =, redirect_uri =, user =, grants = } },
--     default { ["fake-client"] = "fake-secret" }: OAuth2),
--   `fields` (custom fields it has, as the API creates them:
--     { { alias = "shoe_size", type = "number", object = "contact" }, ... }),
--   `tls` (true: https, with `srv.ca_file` to trust), `state_dir` (where it works; default
--   fake-mautic's), `command` (the fake-mautic to run; default: $MAUTIC_FAKE_LAUNCHER, the
--   one installed beside this module, the PATH's),
--   any other configuration option (`batch_limit`, `rate_limit`, `token_ttl`,
--   `clock_offset`, `seed`...; doc/INTERNALS.md), or `config = { ... }` holding them.
--   `srv:reset()` goes back to this state.
-- @treturn[1] table the server: `url`, `pid` (nginx's master), `worker_pid`, `dir` (where it works),
--   `username` and `password` (its first user), `ca_file` (with tls), and the methods below
-- @treturn[2] nil
-- @treturn[2] string why it did not start (nginx missing, an unknown option...)
function _M.start(opts)
  opts = opts or {}
  local started, err = launch.start{ tls = opts.tls, state_dir = opts.state_dir, command = opts.command }
  if not started then return nil, err end
  local self = bind(started.url, opts)
  self.started, self.ca_file, self.dir = started, started.ca_file, started.dir
  self.pid = launch.pid(started)
  local ok, status = pcall(admin, self, "GET", "status")
  if ok then ok, err = pcall(Server.reset, self) else err = status end
  if not ok then
    self:stop()
    return nil, tostring(err)
  end
  self.worker_pid = status.worker_pid
  return self
end

--- A server started elsewhere (`bin/fake-mautic start`, a CI service): the
-- same methods; `stop` does nothing unless a `pid_file` is given. Nothing
-- is sent until the first call: `srv:reset()` puts the server in the state
-- the options describe.
-- @tparam string url its base URL
-- @tparam[opt] table opts the configuration options `start` takes (users,
--   clients, fields...), plus `pid_file` and `ca_file`
function _M.attach(url, opts)
  opts = opts or {}
  local rest = {}
  for k, v in pairs(opts) do if k ~= "pid_file" and k ~= "ca_file" then rest[k] = v end end
  local self = bind(url, rest)
  self.ca_file = opts.ca_file
  if opts.pid_file then self.started = { pid_file = opts.pid_file } end
  return self
end

--- Back to the start state: the seeded data, the start options (with
-- `overrides` on top), no faults, an empty log, counters and tokens at zero.
-- @treturn table the server
function Server:reset(overrides)
  local config = {}
  for k, v in pairs(self.config_base) do config[k] = v end
  for k, v in pairs(overrides or {}) do config[k] = v end
  local body = { config = config }
  if self.fields then body.fields = json.array(self.fields) end
  admin(self, "POST", "reset", body)
  self.username, self.password = first_user(config.users or DEFAULT_USERS)
  return self
end

--- Change configuration options (merged; a top-level key replaces the old
-- value; new `users` change srv.username and srv.password until the next
-- reset); without an argument, the whole configuration now.
function Server:config(values)
  if values == nil then return admin(self, "GET", "config") end
  admin(self, "POST", "config", values)
  if values.users then self.username, self.password = first_user(values.users) end
  return self
end

--- Make requests misbehave: one fault, or an array of them, added to the
-- queue. Fields: `path` (Lua pattern on the path), `method`, `count` (1; <= 0:
-- forever), `skip`, `every`, `p` with `seed`, `reused_only`, `delay`, and
-- `action`: "status" (`status`, `body`, `headers`, `content_type`), "drop",
-- "delay", "store_then_drop", "store_then_500", "store_then_delay",
-- "empty_2xx", "garbage_status", "non_http", "huge_body", "repeat_pages",
-- "bad_list", "token_garbage", "echo_secret", "retry_after" (doc/INTERNALS.md).
-- @treturn table the server
function Server:fault(f)
  admin(self, "POST", "fault", f)
  return self
end

--- The faults in the queue, in order, each with `matched` and `fired`.
function Server:faults() return admin(self, "GET", "fault") end

--- Remove every fault.
function Server:clear_faults()
  admin(self, "DELETE", "fault")
  return self
end

--- The requests it received since the last reset, oldest first: method,
-- path, query, args, headers, body (secrets read "<redacted>"), auth,
-- status (absent while still being answered), connection, fault (the action
-- of the fault that handled it).
function Server:log() return admin(self, "GET", "log") end

--- Forget the logged requests.
function Server:clear_log()
  admin(self, "DELETE", "log")
  return self
end

-- does a logged request pass the filter?
local function passes(r, pattern, status)
  if type(pattern) == "table" then
    local f = pattern
    return (f.method == nil or r.method == f.method) and (f.path == nil or r.path:match(f.path) ~= nil)
       and (f.status == nil or r.status == f.status) and (f.fault == nil or r.fault == f.fault)
  end
  return (pattern == nil or r.path:match(pattern) ~= nil) and (status == nil or r.status == status)
end

--- How many logged requests have a path matching `pattern` (and that status);
-- or, given a table, match all of its `method`, `path`, `status` and `fault`.
function Server:count(pattern, status)
  local n = 0
  for _, r in ipairs(self:log()) do
    if passes(r, pattern, status) then n = n + 1 end
  end
  return n
end

--- The last logged request (matching `method` and a path `pattern` when given).
function Server:last(method, pattern)
  local log = self:log()
  for i = #log, 1, -1 do
    local r = log[i]
    if (not method or r.method == method) and (not pattern or r.path:match(pattern)) then return r end
  end
end

--- What reached it: `requests`, `connections` (distinct), `reused` (requests
-- that were not the first on their connection) and `arrivals`.
function Server:counters() return admin(self, "GET", "counters") end

--- How many times a write reached its controller under `key` ("POST
-- /api/contacts/new", "contacts:ann@example.com", "notes:<text>"; see
-- doc/INTERNALS.md); without a key, the table of every key.
function Server:arrivals(key)
  local a = self:counters().arrivals or {}
  if key == nil then return a end
  return a[key] or 0
end

--- The stored entities of a family ("contacts", "segments", "fields/contact"...).
function Server:state(family) return admin(self, "GET", "state/" .. family) end

--- OAuth tokens it holds: { oauth2 = { access_tokens, refresh_tokens, codes }, oauth1 = ... }.
function Server:tokens() return admin(self, "GET", "oauth") end

--- Expire an access token, refresh token or code now (all of them without
-- an argument); returns how many.
function Server:expire_tokens(token)
  return admin(self, "POST", "oauth/expire", { token = token }).expired
end

--- Issue an OAuth2 token pair as the token endpoint would, without a request
-- (tokens a client already holds): `client_id` ("fake-client"), `refresh`
-- (true), `ttl`, `user`. Returns the token endpoint's answer.
function Server:issue_token(opts)
  return admin(self, "POST", "oauth2/issue", opts or {})
end

--- A client of this server (mautic.new with its URL and Basic auth as its
-- first user; `opts` add to or replace those options).
function Server:client(opts)
  local o = { url = self.url, auth = mautic.auth.basic{ username = self.username, password = self.password } }
  if self.ca_file then o.tls = { ca_file = self.ca_file } end
  for k, v in pairs(opts or {}) do o[k] = v end
  return mautic.new(o)
end

--- nginx's error log (a Lua error inside the fake shows there as "[error]");
-- "" for a server this process did not start.
function Server:error_log()
  return self.started and launch.error_log(self.started) or ""
end

--- Stop the server (by its pid; idempotent). Its own process stops it too
-- when it ends.
function Server:stop()
  if self.started then
    launch.stop(self.started, self.options.command)
    self.started = nil
  end
end

return _M
