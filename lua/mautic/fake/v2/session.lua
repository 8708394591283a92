-- Who calls /api/v2 (SUMMARY §2.7, §2.8). Basic and bearer (header or
-- ?access_token=) are checked as on /api (auth.lua); unlike /api the firewall
-- is stateful: an answer starts a PHP session and sets its cookie, and a later
-- request that carries only the cookie of a Basic session is that user again
-- (a bearer session's cookie authenticates nothing). With config
-- v2_bearer_bug = true every bearer token gets a stock 7.0.0's
-- 401 {"message":"Invalid credentials."}.
local config = require "mautic.fake.config"
local auth = require "mautic.fake.auth"
local store = require "mautic.fake.store"
local errors = require "mautic.fake.v2.errors"

local _M = { COOKIE = "MAUTICSESSID" }

local function sessions() return store.extra("v2_sessions") end

local function new_id()
  local t = {}
  for i = 1, 26 do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

local function cookie_of(req)
  local h = req.headers["cookie"]
  if type(h) == "table" then h = table.concat(h, "; ") end
  if not h then return nil end
  return h:match("%f[%w]" .. _M.COOKIE .. "=([%w]+)")
end

local function scheme_of(req)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  if h and h ~= "" then return (h:match("^%s*(%S+)") or ""):lower() end
  if auth.query_token(req) then return "bearer" end
end

-- -> ident, sid | nil, response, sid: sid is the session this request starts
-- (its cookie goes on the answer), nil when it goes on with one or starts none
function _M.authenticate(req)
  local scheme = scheme_of(req)
  local sid = cookie_of(req)
  local known = sid and sessions()[sid]
  if scheme == "bearer" and config.get("v2_bearer_bug") then return nil, errors.bearer_bug() end
  if scheme then
    local ident, err = auth.authenticate(req)
    if not ident then
      if scheme == "basic" then return nil, errors.basic_challenge() end
      err.no_cookie = true
      return nil, err
    end
    if known and known.user == ident.user and known.kind == ident.kind then return ident end
    sid = new_id()
    sessions()[sid] = { user = ident.user, kind = ident.kind, ident = ident }
    return ident, sid
  end
  if known and known.kind == "basic" then return known.ident end
  -- no credentials: refused; a read starts a session of its own (unless it came
  -- with one), a write does not (auth.none vs auth.none.post)
  local reads = req.method == "GET" or req.method == "HEAD"
  return nil, auth.denied(), reads and not known and _M.fresh() or nil
end

function _M.set_cookie(sid)
  return _M.COOKIE .. "=" .. sid .. "; path=/; httponly; samesite=lax"
end

-- a session that authenticates nothing (a refused request's)
function _M.fresh()
  local sid = new_id()
  sessions()[sid] = { kind = "anonymous" }
  return sid
end

return _M
