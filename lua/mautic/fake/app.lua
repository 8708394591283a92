-- Entry point of the fake Mautic server: one content_by_lua handler for "/".
--
-- Order, as on a real Mautic 5.1: admin routes (/__fake) -> injected faults
-- (faults.lua, misbehave.lua) -> a broken install (install_states.lua) -> trailing-slash redirect -> OPTIONS -> OAuth
-- servers (/oauth/v2/*, /oauth/v1/* when config.oauth1) -> API firewall
-- (auth) -> rate limiter -> router (route 404) -> body decoding -> controller
-- (where the write arrives: counters.lua).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"
local router = require "mautic.fake.router"
local auth = require "mautic.fake.auth"
local ratelimit = require "mautic.fake.ratelimit"
local log = require "mautic.fake.log"
local faults = require "mautic.fake.faults"
local misbehave = require "mautic.fake.misbehave"
local counters = require "mautic.fake.counters"
local admin = require "mautic.fake.admin"
local oauth2 = require "mautic.fake.oauth2"
local oauth1 = require "mautic.fake.oauth1"
local families = require "mautic.fake.families"
local crud = require "mautic.fake.crud"
local verbs = require "mautic.fake.verbs"
local misc = require "mautic.fake.misc"
local shape70 = require "mautic.fake.shape70"
local v2 = require "mautic.fake.v2"
local install_states = require "mautic.fake.install_states"

local _M = {}

local initialized = false
local INDEX = "/index.php"

function _M.init()
  if initialized then return end
  initialized = true
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
  router.clear()
  router.add_all(verbs.routes())
  router.add_all(misc.routes())
  for _, F in ipairs(families.list) do router.add_all(crud.routes(F)) end
  admin.reset()
end

-- watch a process: stop nginx (graceful quit of the master) once it is gone
function _M.watch(pid, master_pid)
  if not pid or pid == "" then return end
  local function check(premature)
    if premature then return end
    local f = io.open("/proc/" .. pid .. "/stat", "r")
    if f then f:close(); return end
    ngx.log(ngx.NOTICE, "fake-mautic: watched process ", pid, " is gone, stopping")
    os.execute("kill -QUIT " .. tonumber(master_pid))
  end
  ngx.timer.every(0.5, check)
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local f = ngx.req.get_body_file()
    if f then
      local h = io.open(f, "rb")
      if h then body = h:read("*a"); h:close() end
    end
  end
  return body
end

local function decode_body(req)
  local body = req.body
  if not body or body == "" then return json.obj() end
  local ct = (req.content_type or ""):lower()
  if ct:find("multipart/form-data", 1, true) then
    return json.obj()
  end
  if ct:find("application/x-www-form-urlencoded", 1, true) then
    return util.parse_php(body)
  end
  if ct:find("json", 1, true) or body:match("^%s*[%[{]") or ct == "" then
    local v = json.decode(body)
    if v == nil then return nil end
    return v
  end
  return util.parse_php(body)
end

local function send(req, res, extra_headers)
  ngx.status = res.status
  ngx.header["Content-Type"] = res.content_type or "application/json"
  if res.version then ngx.header["Mautic-Version"] = config.get("version") or "5.1.0" end
  for k, v in pairs(extra_headers or {}) do ngx.header[k] = v end
  for k, v in pairs(res.headers or {}) do
    -- a relative Location is generated under the front controller the request came through
    if k == "Location" and type(v) == "string" and v:sub(1, 1) == "/" and req.base ~= "" then v = req.base .. v end
    ngx.header[k] = v
  end
  local body = responses.encode(res)
  if req.method ~= "HEAD" and body ~= "" then ngx.print(body) end
end

local function redirect_slash(req)
  local target = req.base .. (req.path:gsub("/+$", ""))
  local host = ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
  local url = ngx.var.scheme .. "://" .. host .. target
  if req.query ~= "" then url = url .. "?" .. req.query end
  local html = '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n' ..
    '        <meta http-equiv="refresh" content="0;url=\'' .. url .. '\'" />\n\n' ..
    '        <title>Redirecting to ' .. url .. '</title>\n    </head>\n    <body>\n' ..
    '        Redirecting to <a href="' .. url .. '">' .. url .. '</a>.\n    </body>\n</html>'
  return { status = 301, raw = html, content_type = responses.html_type(), headers = { Location = url } }
end

local function dispatch(req)
  local broken = install_states.answer(req)    -- config install: a broken install answers first
  if broken then return broken end
  local v2res = v2.handle(req)    -- /api/v2 on a 7.x fake (nil otherwise)
  if v2res then return v2res end
  if #req.path > 1 and req.path:sub(-1) == "/" then return redirect_slash(req) end
  if req.method == "OPTIONS" then
    return { status = 204, raw = "", content_type = "text/html; charset=UTF-8" }
  end
  if req.path:sub(1, 7) == "/oauth/" then
    -- the token endpoints: no firewall, no rate limit
    local res = oauth2.handle(req) or oauth1.handle(req)
    if res then
      counters.arrive(req)
      return res
    end
  end
  local is_api = req.path == "/api" or req.path:sub(1, 5) == "/api/"
  if is_api then
    local ident, err = auth.authenticate(req)
    if not ident then return err end
    req.ident = ident
    local headers, limited = ratelimit.check(ident.key)
    req.rate_headers = headers
    if limited then return limited end
  end
  local handler, params = router.match(req.method, req.path)
  if not handler then return responses.route_not_found(req.base .. req.path, req.query) end
  req.params = params
  local input = decode_body(req)
  if input == nil then
    return responses.plain_error(400, "Looks like I encountered an error (error #400). If I do it again, " ..
      "please report me to the system administrator!")
  end
  req.input = input
  counters.arrive(req)
  return handler(req)
end

-- Mautic's answer to a request (an error in a handler is Mautic's uncaught 500)
local function answer(req)
  local ok, res = pcall(dispatch, req)
  if not ok then
    ngx.log(ngx.ERR, "fake-mautic: handler error: ", tostring(res))
    res = responses.uncaught(500)
  end
  if req.path:sub(1, 5) == "/api/" then res = shape70.answer(res) end
  return res
end

function _M.handle()
  _M.init()
  local method = ngx.req.get_method()
  local request_uri = ngx.var.request_uri or "/"
  local path = request_uri:match("^[^?]*")
  local raw_path = path
  local query = ngx.var.args or ""
  if path:sub(1, 8) == "/__fake/" then
    return admin.handle(method, path)
  end
  -- /index.php/api/... is the same as /api/...: Mautic's front controller in the
  -- URL, as installs without URL rewriting (and the PHP library's CI) call it
  local base = ""
  if path == INDEX or path:sub(1, #INDEX + 1) == INDEX .. "/" then
    base = INDEX
    path = path:sub(#INDEX + 1)
    if path == "" then path = "/" end
  end

  local headers = ngx.req.get_headers(200)
  local ct = headers["content-type"]
  if type(ct) == "table" then ct = ct[1] end
  local body = read_body()
  local req = {
    method = method, path = path, raw_path = raw_path, base = base, query = query, args = util.parse_php(query),
    headers = headers, content_type = ct, body = body,
  }
  local entry = {
    method = method, path = util.url_decode(raw_path, false), raw_path = raw_path,
    query = log.redact_query(query),
    args = log.redact_args(util.parse_php(query)),
    content_type = ct or json.null, body = body and log.redact_body(body, ct) or json.null,
    headers = log.redact_headers(headers), auth = auth.label(req), token_of = auth.token_owner(req),
    -- which connection carried it, and (over TLS) whether its handshake
    -- resumed a session: specs count connections and handshakes with these
    connection = tonumber(ngx.var.connection),
    tls_resumed = ngx.var.https == "on" and ngx.var.ssl_session_reused == "r" or nil,
  }
  -- logged on arrival, its status filled in when it is answered: a request
  -- still in flight when a spec resets the fake (a client that timed out on
  -- a delay) then lands in the log of the spec that sent it, not the next one
  log.add(entry)

  local reused = (tonumber(ngx.var.connection_requests) or 1) > 1
  counters.request(entry.connection, reused)
  local fault = faults.pick(method, path, reused)
  if fault then
    entry.fault = fault.name or fault.action
    misbehave.act(fault, { req = req, entry = entry, answer = answer, send = send })
    return counters.done()
  end

  local res = answer(req)
  entry.status = res.status
  send(req, res, req.rate_headers)
  -- answered: no longer in flight (a fault that closes the connection says
  -- so itself, before its ngx.exit; a Lua error here is a bug of the fake,
  -- and its request stays counted until the next reset)
  counters.done()
end

return _M
