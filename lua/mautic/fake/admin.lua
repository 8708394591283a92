-- The /__fake admin routes (no auth, never logged). See doc/INTERNALS.md.
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"
local config = require "mautic.fake.config"
local log = require "mautic.fake.log"
local faults = require "mautic.fake.faults"
local ratelimit = require "mautic.fake.ratelimit"
local families = require "mautic.fake.families"
local counters = require "mautic.fake.counters"
local crud = require "mautic.fake.crud"
local auth = require "mautic.fake.auth"
local oauth2 = require "mautic.fake.oauth2"
local oauth1 = require "mautic.fake.oauth1"

local _M = {}

local function answer(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.print(json.encode(body))
end

local function body_json()
  ngx.req.read_body()
  local raw = ngx.req.get_body_data()
  if not raw then
    local f = ngx.req.get_body_file()
    if f then local h = io.open(f, "rb"); raw = h:read("*a"); h:close() end
  end
  if not raw or raw == "" then return json.obj() end
  return json.decode(raw)
end

function _M.reset()
  config.reset()
  store.reset()
  log.clear()
  faults.clear()
  counters.reset()
  ratelimit.reset()
  oauth2.reset()
  oauth1.reset()
end

-- custom fields made as the API makes them (what a fresh install of the user's
-- own Mautic has): { object = "contact" | "company", alias =, label =, type =, ... }
local function add_fields(list)
  local display, uid = auth.display_name("admin")
  local ident = { kind = "basic", user = "admin", display = display, user_id = uid }
  for i, f in ipairs(list) do
    if type(f) ~= "table" then return nil, ("field %d is not an object"):format(i) end
    local object = f.object or "contact"
    local F = families.get("fields/" .. tostring(object))
    if not F then return nil, ("field %d: object must be contact or company"):format(i) end
    local input = json.obj()
    for _, k in ipairs(json.keys(f)) do if k ~= "object" then input[k] = f[k] end end
    if input.label == nil then input.label = input.alias end
    local row, err = crud.impl(F).create(F, input, ident)
    if not row then
      local e = err and err.body and err.body.errors and err.body.errors[1]
      return nil, ("field %d: %s"):format(i, e and e.message or "refused")
    end
  end
  return true
end

-- POST /__fake/reset [{ config = {...}, fields = [...] }]: the seeded state,
-- then that config and those fields (what a server started with options
-- goes back to)
local function reset_to(b)
  local cfg = b and b.config
  local fields = b and b.fields
  if cfg ~= nil then
    local err = config.problem(cfg)
    if err then return nil, err end
  end
  if fields ~= nil and not json.is_arr(fields) then return nil, "fields is an array" end
  _M.reset()
  if cfg ~= nil then config.merge(cfg) end
  if fields ~= nil then
    local ok, err = add_fields(fields)
    if not ok then return nil, err end
  end
  return true
end

local plain = json.plain

function _M.state(fam)
  local F = families.get(fam)
  local out = json.A{}
  if F then
    local impl = crud.impl(F)
    for _, row in ipairs(store.all(F.path)) do out[#out + 1] = impl.serialize(F, row, {}) end
    return out
  end
  -- side tables (segment_members, activity, ...)
  return nil
end

local function ok() return answer(200, { ok = true }) end

local function bad_json(err) return answer(400, { error = "bad JSON: " .. tostring(err) }) end

local function post_reset()
  local b, err = body_json()
  if not b then return bad_json(err) end
  local done, rerr = reset_to(b)
  if not done then return answer(400, { error = rerr }) end
  return ok()
end

local function post_config()
  local patch, err = body_json()
  if not patch then return bad_json(err) end
  local bad = config.problem(patch)
  if bad then return answer(400, { error = bad }) end
  config.merge(patch)
  return ok()
end

local function get_config()
  local c = {}
  for k, v in pairs(config.current) do c[k] = v end
  return answer(200, c)
end

local function post_fault()
  local f, err = body_json()
  if not f then return bad_json(err) end
  local n, ferr = faults.add(json.is_arr(f) and plain(f) or { plain(f) })
  if not n then return answer(400, { error = ferr }) end
  return answer(200, { ok = true, added = n })
end

local function expire_tokens()
  local b = body_json() or {}
  local t = b.token
  if type(t) ~= "string" then t = nil end
  return answer(200, { expired = oauth2.expire(t) })
end

local function issue_oauth2()
  local b = plain(body_json() or {}) or {}
  local id = type(b.client_id) == "string" and b.client_id or "fake-client"
  local c = (config.get("oauth2_clients") or {})[id]
  local user = type(b.user) == "string" and b.user or (type(c) == "table" and c.user) or "admin"
  local res = oauth2.issue(id, user, b.refresh ~= false, tonumber(b.ttl))
  return answer(200, res)
end

local function issue_oauth1()
  local b = plain(body_json() or {}) or {}
  local key = type(b.consumer_key) == "string" and b.consumer_key or "fake-consumer"
  local token, secret = oauth1.issue(key, type(b.user) == "string" and b.user or nil)
  return answer(200, json.O{ "oauth_token", token, "oauth_token_secret", secret })
end

-- path after /__fake/ -> method -> handler
local ROUTES = {
  reset = { POST = post_reset, GET = post_reset },
  status = { GET = function()
    return answer(200, json.O{ "ok", true, "worker_pid", ngx.worker.pid(), "version", config.get("version") })
  end },
  log = { GET = function() return answer(200, log.all()) end,
          DELETE = function() log.clear(); return ok() end },
  counters = { GET = function() return answer(200, counters.state()) end },
  config = { POST = post_config, GET = get_config },
  fault = { POST = post_fault,
            GET = function() return answer(200, faults.report()) end,
            DELETE = function() faults.clear(); return ok() end },
  oauth = { GET = function()
    return answer(200, json.O{ "oauth2", oauth2.state(), "oauth1", oauth1.state() })
  end },
  ["oauth/expire"] = { POST = expire_tokens },
  ["oauth2/issue"] = { POST = issue_oauth2 },
  ["oauth1/issue"] = { POST = issue_oauth1 },
}

local function get_state(fam)
  local s = _M.state(fam)
  if not s then return answer(404, { error = "unknown family " .. fam }) end
  return answer(200, s)
end

function _M.handle(method, path)
  local sub = path:sub(#"/__fake/" + 1)
  local handler = (ROUTES[sub] or {})[method]
  if handler then return handler() end
  if sub:match("^state/") and method == "GET" then return get_state(sub:sub(7)) end
  return answer(404, { error = "unknown admin route " .. method .. " " .. path })
end

return _M
