-- luacheck: globals ngx
--- The hostile server's admin routes: plain JSON under /__hostile/, no auth,
-- never counted and never subject to fault rules.
--
--   GET  /__hostile/ping            { ok, worker_pid }
--   POST /__hostile/reset           { seed =, config = {} } -> forget everything, then configure
--   POST /__hostile/rules           { rules = [...], seed = } or [...] -> { rules = n }
--   POST /__hostile/config          { name = value, ... } -> the whole configuration
--   GET  /__hostile/state           counters, data, tokens, rules (see state())
--   POST /__hostile/expire_tokens   { refresh = true } -> { expired = n }
--   POST /__hostile/tokens          -> a fresh { access_token, refresh_token, expires_in }
local cjson = require "cjson"
local store = require "support.hostile.store"
local faults = require "support.hostile.faults"
local api = require "support.hostile.api"

local _M = {}

local function reply(status, value)
  local body = cjson.encode(value)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Length"] = #body
  ngx.print(body)
  return ngx.exit(ngx.OK)
end

local function fail(message) return reply(400, { error = message }) end

local function read_json()
  ngx.req.read_body()
  local body = require("support.hostile.api").body_text()
  if not body or body:match("^%s*$") then return {} end
  local ok, v = pcall(cjson.decode, body)
  if not ok or type(v) ~= "table" then return nil, "the body is not a JSON object or array" end
  return v
end

local function check_config(cfg)
  for k, v in pairs(cfg) do
    local want = store.config_type(k)
    if not want then return nil, "unknown config option " .. tostring(k) end
    if not (type(v) == want or (k == "expires_in" and v == false)) then
      return nil, ("config %s must be a %s"):format(k, want)
    end
    if want == "number" and v ~= v then return nil, ("config %s must be a number"):format(k) end
    if want == "number" and v < 0 and k ~= "clock_offset" then return nil, ("config %s must be >= 0"):format(k) end
    if k == "batch_limit" and v % 1 ~= 0 then return nil, "config batch_limit must be a whole number" end
  end
  return true
end

local function state()
  local c = store.counters
  local contacts, points, n = {}, {}, 0
  for id, rec in pairs(store.contacts) do
    n = n + 1
    contacts[tostring(id)] = { id = id, email = rec.fields.email, fields = rec.fields, points = rec.points }
    points[tostring(id)] = rec.points
  end
  local notes, nn = {}, 0
  for id, rec in pairs(store.notes) do
    nn = nn + 1
    notes[tostring(id)] = { id = id, text = rec.text, lead = rec.lead }
  end
  local now, active, alive = ngx.now(), 0, 0
  for _, t in pairs(store.access) do if now < t.expires_at then active = active + 1 end end
  for _, t in pairs(store.refresh) do if not t.used and now < t.expires_at then alive = alive + 1 end end
  return {
    requests = c.requests, token_requests = c.token_requests, reused = c.reused,
    connections = c.connections, routes = c.routes, arrivals = c.arrivals, fired = c.fired,
    rejected = c.rejected,
    contacts = contacts, contacts_count = n, points = points, notes = nn, note_list = notes,
    tokens = { issued = c.tokens.issued, refreshed = c.tokens.refreshed, refused = c.tokens.refused,
               active = active, refresh_alive = alive },
    rules = faults.report(), config = store.config, worker_pid = ngx.worker.pid(),
  }
end

function _M.handle(method, route)
  if route == "ping" then
    return reply(200, { ok = true, worker_pid = ngx.worker.pid() })
  elseif route == "state" and method == "GET" then
    return reply(200, state())
  elseif method ~= "POST" then
    return reply(404, { error = "no admin route " .. method .. " " .. route })
  end
  local body, err = read_json()
  if not body then return fail(err) end
  if route == "reset" then
    local cfg = body.config or {}
    if type(cfg) ~= "table" then return fail("config must be an object") end
    if body.seed ~= nil then cfg.seed = body.seed end
    local ok, cerr = check_config(cfg)
    if not ok then return fail(cerr) end
    store.reset(cfg)
    return reply(200, { ok = true })
  elseif route == "rules" then
    local list, seed = body, nil
    if body.rules ~= nil then list, seed = body.rules, body.seed end
    if seed ~= nil and type(seed) ~= "number" then return fail("seed must be a number") end
    local n, rerr = faults.set(list, seed)
    if not n then return fail(rerr) end
    return reply(200, { rules = n })
  elseif route == "config" then
    local ok, cerr = check_config(body)
    if not ok then return fail(cerr) end
    for k, v in pairs(body) do store.config[k] = v end
    return reply(200, store.config)
  elseif route == "expire_tokens" then
    local n = 0
    for _, t in pairs(store.access) do t.expires_at = 0; n = n + 1 end
    if body.refresh then
      for _, t in pairs(store.refresh) do t.expires_at = 0; n = n + 1 end
    end
    return reply(200, { expired = n })
  elseif route == "tokens" then
    local t = api.issue(true)
    return reply(200, t)
  end
  return reply(404, { error = "no admin route " .. method .. " " .. route })
end

return _M
