-- The /__fake admin routes (no auth, never logged). See doc/INTERNALS.md.
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"
local config = require "mautic.fake.config"
local log = require "mautic.fake.log"
local faults = require "mautic.fake.faults"
local ratelimit = require "mautic.fake.ratelimit"
local families = require "mautic.fake.families"

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
  ratelimit.reset()
  require("mautic.fake.oauth2").reset()
  require("mautic.fake.oauth1").reset()
end

local plain = json.plain

function _M.state(fam)
  local F = families.get(fam)
  local crud = require "mautic.fake.crud"
  local out = json.A{}
  if F then
    local impl = crud.impl(F)
    for _, row in ipairs(store.all(F.path)) do out[#out + 1] = impl.serialize(F, row, {}) end
    return out
  end
  -- side tables (segment_members, activity, ...)
  return nil
end

function _M.handle(method, path)
  local sub = path:sub(#"/__fake/" + 1)
  if sub == "reset" and (method == "POST" or method == "GET") then
    _M.reset()
    return answer(200, { ok = true })
  elseif sub == "log" and method == "GET" then
    return answer(200, log.all())
  elseif sub == "log" and method == "DELETE" then
    log.clear()
    return answer(200, { ok = true })
  elseif sub == "config" and method == "POST" then
    local patch, err = body_json()
    if not patch then return answer(400, { error = "bad JSON: " .. tostring(err) }) end
    config.merge(patch)
    return answer(200, { ok = true })
  elseif sub == "config" and method == "GET" then
    local c = {}
    for k, v in pairs(config.current) do c[k] = v end
    return answer(200, c)
  elseif sub == "fault" and method == "POST" then
    local f, err = body_json()
    if not f then return answer(400, { error = "bad JSON: " .. tostring(err) }) end
    faults.add(plain(f))
    return answer(200, { ok = true })
  elseif sub == "fault" and method == "DELETE" then
    faults.clear()
    return answer(200, { ok = true })
  elseif sub == "oauth" and method == "GET" then
    return answer(200, json.O{ "oauth2", require("mautic.fake.oauth2").state(),
                               "oauth1", require("mautic.fake.oauth1").state() })
  elseif sub == "oauth/expire" and method == "POST" then
    local b = body_json() or {}
    local t = b.token
    if type(t) ~= "string" then t = nil end
    return answer(200, { expired = require("mautic.fake.oauth2").expire(t) })
  elseif sub == "oauth2/issue" and method == "POST" then
    local b = plain(body_json() or {}) or {}
    local id = type(b.client_id) == "string" and b.client_id or "fake-client"
    local c = (config.get("oauth2_clients") or {})[id]
    local user = type(b.user) == "string" and b.user or (type(c) == "table" and c.user) or "admin"
    local res = require("mautic.fake.oauth2").issue(id, user, b.refresh ~= false, tonumber(b.ttl))
    return answer(200, res)
  elseif sub == "oauth1/issue" and method == "POST" then
    local b = plain(body_json() or {}) or {}
    local key = type(b.consumer_key) == "string" and b.consumer_key or "fake-consumer"
    local token, secret = require("mautic.fake.oauth1").issue(key, type(b.user) == "string" and b.user or nil)
    return answer(200, json.O{ "oauth_token", token, "oauth_token_secret", secret })
  elseif sub:match("^state/") and method == "GET" then
    local fam = sub:sub(7)
    local s = _M.state(fam)
    if not s then return answer(404, { error = "unknown family " .. fam }) end
    return answer(200, s)
  end
  return answer(404, { error = "unknown admin route " .. method .. " " .. path })
end

return _M
