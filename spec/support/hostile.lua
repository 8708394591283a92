--- A hostile Mautic for specs: nginx with its Lua module (one worker, state
-- in Lua module tables; code in spec/support/hostile/) that answers like
-- Mautic 5 for contacts, notes, points and OAuth2 tokens, and misbehaves on
-- command: drops connections after storing, answers 5xx, garbage, non-HTTP
-- bytes, empty or huge bodies, repeated pages, broken token answers, echoed
-- secrets, rate limits. It counts every request and every arrival of a
-- write, so a spec can tell a write that happened twice from one that
-- happened once.
--
--   local hostile = require "support.hostile"
--   local srv = hostile.start{ seed = 42 }   -- options: see start()
--   srv.url                                   -- "http://127.0.0.1:PORT" (the API is under /api)
--   srv:rules{ { path = "^/api/contacts/new$", method = "POST",
--                action = "store_then_drop", reused_only = true, p = 0.1 } }
--   ... drive the client ...
--   local st = srv:state()                    -- st.arrivals["contacts:ann@example.com"] == 1
--   srv:reset()  srv:stop()
--
-- The admin side is plain JSON over HTTP under /__hostile/ (no auth, never
-- counted, never faulted), spoken here through mautic.core sessions.
local core = require "mautic.core"
local cjson = require "cjson"
local nginx = require "support.nginx"

local _M = {}

local LOCATIONS = [[
    server_tokens off;
    location / {
      content_by_lua_block { require("support.hostile.server").handle() }
    }
]]

-- JSON numbers come back as floats under Lua 5.3+: make integral ones integers
local toint = math.tointeger or function(n) return n end
local function normalise(v)
  if type(v) == "number" and v % 1 == 0 then return toint(v) or v end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = normalise(x) end
  return out
end

local function by_id(t)
  local out = {}
  for k, v in pairs(t or {}) do out[tonumber(k) or k] = v end
  return out
end

local Server = {}
Server.__index = Server

-- one admin call over a short-lived session: the decoded JSON answer, or raise.
-- On a connection of its own (fresh): it neither takes nor leaves a
-- connection in the process's shared cache, so API calls see the same
-- connections with or without admin calls between them (reused_only rules).
local function call(self, method, route, payload, level)
  local s = assert(core.session())
  local headers = payload ~= nil and { ["Content-Type"] = "application/json" } or nil
  local status, rheaders, body = s:request{
    method = method, url = self.url .. "/__hostile/" .. route, timeout = 30, connect_timeout = 5,
    headers = headers, fresh = true,
    body = payload ~= nil and cjson.encode(payload) or nil,
  }
  s:close()
  if not status then
    error(("hostile server: %s %s failed: %s"):format(method, route, tostring(rheaders)), level or 3)
  end
  local ok, decoded = pcall(cjson.decode, body)
  if status ~= 200 or not ok then
    local msg = ok and type(decoded) == "table" and decoded.error or body
    error(("hostile server: %s %s: %s %s"):format(method, route, status, tostring(msg)), level or 3)
  end
  return normalise(decoded)
end

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

--- Start a hostile server on a free 127.0.0.1 port.
-- @tparam[opt] table opts configuration, also what `reset()` goes back to:
--   seed (PRNG of `p` rules, default 1), username/password (Basic auth,
--   "admin"/"secret-pass"), client_id/client_secret ("hostile-client"/
--   "hostile-secret"), token_ttl (3600), expires_in (announced instead of
--   token_ttl), refresh_ttl (14 days), client_credentials_refresh (true:
--   client_credentials answers carry a refresh_token), auth (true),
--   batch_limit (200), merge_contacts (true), version ("5.1.0")
-- @treturn table the server: url, port, pid (nginx master), worker_pid, and
--   the methods below
function _M.start(opts)
  local ng = nginx.start(LOCATIONS)
  local self = setmetatable({ url = ng.url, port = ng.port, dir = ng.dir, nginx = ng,
                              options = copy(opts) }, Server)
  local f = io.open(ng.dir .. "/nginx.pid")
  self.pid = f and tonumber(f:read("*l"))
  if f then f:close() end
  local ok, err
  for _ = 1, 50 do      -- the worker may not accept yet: bounded wait
    ok, err = pcall(call, self, "GET", "ping", nil, 1)
    if ok then self.worker_pid = err.worker_pid break end
    core.sleep(0.1)
  end
  if ok then ok, err = pcall(Server.reset, self) end
  if not ok then
    local log = ng.error_log()
    ng.stop()
    error("hostile server did not start: " .. tostring(err) .. "\n" .. log, 2)
  end
  return self
end

--- Forget data, rules, counters and tokens; the configuration goes back to
-- the start options (plus `overrides`).
function Server:reset(overrides)
  local cfg = copy(self.options)
  for k, v in pairs(overrides or {}) do cfg[k] = v end
  call(self, "POST", "reset", { config = cfg })
  self:remember(call(self, "GET", "state").config)
  return self
end

--- Replace the fault rules (an array; see support.hostile.faults), seeded
-- from `seed` or the configured seed. Raises on an invalid rule.
function Server:rules(list, seed)
  if next(list) == nil then list = cjson.empty_array or {} end
  return call(self, "POST", "rules", { rules = list, seed = seed }).rules
end

--- Change configuration values (see start()); returns the whole configuration.
function Server:config(values)
  local cfg = call(self, "POST", "config", values)
  self:remember(cfg)
  return cfg
end

-- keep the credentials of the configuration at hand (srv.username, ...)
function Server:remember(cfg)
  self.config_now = cfg
  for _, k in ipairs{ "username", "password", "client_id", "client_secret" } do self[k] = cfg[k] end
end

--- What the server saw and holds:
--   requests, token_requests, reused (requests not first on their
--   connection), connections (distinct), routes[name], arrivals[key],
--   fired[action], rejected{denied, invalid, expired}, contacts[id] =
--   { id, email, fields, points }, contacts_count, points[id], notes (count),
--   note_list[id] = { id, text, lead }, tokens{issued, refreshed, refused,
--   active, refresh_alive}, rules[i] = { action, name, matched, fired },
--   config, worker_pid.
-- Arrival keys: "contacts:<email in lower case>" (single and batch rows), "batch:contacts",
-- "edit:<id>" (PATCH and PUT), "delete:<id>", "points:<id>", "notes:<text>".
function Server:state()
  local st = call(self, "GET", "state")
  st.contacts = by_id(st.contacts)
  st.points = by_id(st.points)
  st.note_list = by_id(st.note_list)
  return st
end

--- Expire every access token now (and every refresh token with
-- { refresh = true }); returns how many.
function Server:expire_tokens(opts)
  return call(self, "POST", "expire_tokens", opts or {}).expired
end

--- Issue a token pair without counting a token request (tokens a client
-- "already holds"): { access_token, refresh_token, expires_in }.
function Server:issue_tokens()
  return call(self, "POST", "tokens", {})
end

--- The value of an Authorization header with the configured Basic credentials.
function Server:basic_auth()
  return "Basic " .. core.b64encode(self.username .. ":" .. self.password)
end

--- nginx's error log (for assertion messages).
function Server:error_log() return self.nginx.error_log() end

--- Stop nginx by pid (idempotent).
function Server:stop()
  if self.nginx then
    self.nginx.stop()
    self.nginx = nil
  end
end

return _M
