-- One worker process of the token renewal specs (spec/auth/token_renewal_spec.lua).
--   lua5.x|luajit spec/auth/support/token_worker.lua CONFIG.json
-- Run from the repository root. The config (JSON) says:
--   url, store (file store path), result (where to write the outcome),
--   parent_pid (stop as soon as it is gone), requests (GETs to make),
--   client_id, client_secret, grant, access_token, refresh_token, expires_at
--   (the tokens given in code), delay (seconds to wait before starting),
--   after_rotation_of (start only once the store holds another refresh
--   token than this one), pace (seconds between requests), expire_every
--   (expire the store's access token on the fake after every n-th request),
--   redis ({ host, port }: a Redis token store instead of the file store),
--   rate_limit ({ limit, window }: a request budget shared in that Redis),
--   basic (true: Basic auth instead of OAuth2; no token store then).
-- The outcome, written atomically to `result`:
--   { ok = n, failed = n, errors = { first messages }, expired = n, stopped = "why" | nil }
local abi = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/" .. abi .. "/?.so;" .. package.cpath

local core = require "mautic.core"
local json = require "mautic.json"
local mautic = require "mautic"

local function read_json(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return assert(json.decode(s))
end

local cfg = read_json(assert(arg[1], "usage: token_worker.lua CONFIG.json"))
local out = { ok = 0, failed = 0, errors = {}, expired = 0 }

local function finish(stopped)
  out.stopped = stopped
  assert(core.write_file_atomic(cfg.result, assert(json.encode(out))))
  os.exit(0)
end

-- never outlive the spec that started us
local function parent_alive()
  local f = io.open("/proc/" .. cfg.parent_pid .. "/stat")
  if f then f:close() end
  return f ~= nil
end

local store = cfg.redis and mautic.auth.store.redis(cfg.redis) or mautic.auth.store.file(cfg.store)
-- the entry this worker's handler keeps its tokens in (a Basic worker has none)
local KEY = mautic.auth.store.default_key(cfg.url .. "/oauth/v2/token", cfg.client_id)

-- bounded waits only: 30 s of polling at most
local function wait_until(cond)
  for _ = 1, 3000 do
    if cond() then return true end
    if not parent_alive() then finish("parent gone") end
    core.sleep(0.01)
  end
  return false
end

if cfg.after_rotation_of then
  local rotated = wait_until(function()
    local t = store:get(KEY)
    return t ~= nil and t.refresh_token ~= nil and t.refresh_token ~= cfg.after_rotation_of
  end)
  if not rotated then finish("no rotation seen") end
end
if cfg.delay and cfg.delay > 0 then core.sleep(cfg.delay) end

local budget
if cfg.rate_limit then
  budget = mautic.limit.redis{ host = cfg.redis.host, port = cfg.redis.port,
                               limit = cfg.rate_limit.limit, window = cfg.rate_limit.window }
end
local api = assert(mautic.new{
  url = cfg.url, timeout = 30, rate_limit = budget,
  auth = cfg.basic and mautic.auth.basic{ username = "admin", password = "mautic" } or mautic.auth.oauth2{
    client_id = cfg.client_id, client_secret = cfg.client_secret, grant = cfg.grant,
    access_token = cfg.access_token, refresh_token = cfg.refresh_token, expires_at = cfg.expires_at,
    store = store,
  },
})

local admin = core.session()
local function expire_current()
  local t = store:get(KEY)
  local status, _, body = admin:request{
    method = "POST", url = cfg.url .. "/__fake/oauth/expire",
    headers = { ["Content-Type"] = "application/json" },
    body = json.encode{ token = t.access_token }, timeout = 10,
  }
  assert(status == 200, "cannot expire the token on the fake")
  out.expired = out.expired + json.decode(body).expired
end

for i = 1, cfg.requests do
  if not parent_alive() then finish("parent gone") end
  local page, err = api.contacts.list{ limit = 1 }
  if page then
    out.ok = out.ok + 1
  else
    out.failed = out.failed + 1
    if #out.errors < 5 then out.errors[#out.errors + 1] = tostring(err) end
  end
  if cfg.expire_every and i % cfg.expire_every == 0 and i < cfg.requests then expire_current() end
  if cfg.pace and cfg.pace > 0 then core.sleep(cfg.pace) end
end
finish(nil)
