-- Mautic 7's second API generation, /api/v2 (API Platform), as recorded from a
-- real 7.0.0 (reference/real-mautic-7.0/SUMMARY.md Part 2). app.lua hands every
-- /api/v2 request here first; on a fake answering as 5.x this declines (nil)
-- and the request goes on to /api's firewall and router, whose route 404 is
-- what a real 5.1 answers.
--
-- Order: OPTIONS, malformed JSON (both before the firewall), firewall and
-- session (session.lua), trailing-slash redirect, route (unknown: route 404),
-- Accept (406), body media type (415), permission (403), operation (ops.lua).
local json = require "mautic.fake.json"
local versions = require "mautic.fake.versions"
local util = require "mautic.fake.util"
local counters = require "mautic.fake.counters"
local resources = require "mautic.fake.v2.resources"
local media = require "mautic.fake.v2.media"
local errors = require "mautic.fake.v2.errors"
local session = require "mautic.fake.v2.session"
local answer = require "mautic.fake.v2.answer"
local ops = require "mautic.fake.v2.ops"
local docs = require "mautic.fake.v2.docs"
local access = require "mautic.fake.v2.access"
local interplay = require "mautic.fake.v2.interplay"

local _M = {}

-- /api/v2 exists from Mautic 7 on (versions.lua holds the version facts)
local function is_v2_version() return versions.is_7x() end
_M.is_v2_version = is_v2_version

local ITEM_OPS = { GET = ops.get, HEAD = ops.get, PUT = ops.put, PATCH = ops.patch, DELETE = ops.delete }
local LIST_OPS = { GET = ops.list, HEAD = ops.list, POST = ops.create }

-- path (without a format suffix) -> the route: { op, r, id } | { doc = ... } | nil
local function route(method, path)
  local read = method == "GET" or method == "HEAD"
  if path == "/api/v2" then return read and { doc = "entrypoint" } or nil end
  if path == "/api/v2/docs" then return read and { doc = "docs" } or nil end
  local ctx_type = path:match("^/api/v2/contexts/([%w_]+)$")
  if ctx_type then return read and { doc = "context", type = ctx_type } or nil end
  local name, rest = path:match("^/api/v2/([%w_]+)(.*)$")
  local r = name and resources.get(name)
  if not r then return nil end
  if rest == "" then
    local op = LIST_OPS[method]
    if not op or (method == "POST" and r.get_only) then return nil end
    return { op = op, r = r, write = method == "POST" }
  end
  local id = rest:match("^/([^/]+)$")
  local op = id and ITEM_OPS[method]
  if not op or (r.get_only and not read) then return nil end
  return { op = op, r = r, id = id:match("^%d+$") and tonumber(id) or -1, write = not read and method ~= "DELETE" }
end

local function redirect_slash(req)
  local url = util.base_url() .. req.base .. req.path:gsub("/+$", "")
  if req.query ~= "" then url = url .. "?" .. req.query end
  local html = '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n' ..
    '        <meta http-equiv="refresh" content="0;url=\'' .. url .. '\'" />\n\n' ..
    '        <title>Redirecting to ' .. url .. '</title>\n    </head>\n    <body>\n' ..
    '        Redirecting to <a href="' .. url .. '">' .. url .. '</a>.\n    </body>\n</html>'
  return { status = 301, raw = html, content_type = "text/html; charset=utf-8", version = false,
           headers = { Location = url, ["Cache-Control"] = "max-age=0, must-revalidate, private" } }
end

-- the answers that come before the firewall, or nil
local function early(req)
  if req.method == "OPTIONS" then
    return { status = 204, raw = "", content_type = "text/html; charset=UTF-8", version = false,
             headers = { ["Cache-Control"] = "no-cache, private" } }
  end
  local bt = media.body_type(req)
  if req.body and req.body ~= "" and bt and bt:find("json", 1, true) then
    local v = json.decode(req.body)
    if v == nil then
      local res = answer.failure(errors.generic(400))
      res.headers["Cache-Control"] = "no-cache, private"
      return res
    end
    req.v2_input = v
  end
end

local function documentation(req, rt, fmt)
  if rt.doc == "entrypoint" then
    if fmt == "html" then return { status = 200, raw = docs.html(), fmt = "html" } end
    if fmt ~= "jsonld" then return errors.generic(406) end
    return { status = 200, body = docs.entrypoint(), fmt = fmt }
  end
  if rt.doc == "context" then
    local c = docs.context(rt.type)
    if not c then return errors.not_found() end
    return { status = 200, body = c, fmt = "jsonld" }
  end
  if rt.suffix == "json" then return errors.message(404, 'Format "json" is not supported') end
  local accept = req.headers["accept"]
  if rt.suffix == "jsonopenapi" or (type(accept) == "string" and accept:find("openapi", 1, true)) then
    return { status = 200, body = docs.openapi(), fmt = "json", content_type = "application/vnd.openapi+json; charset=utf-8" }
  end
  if fmt == "html" then return { status = 200, raw = docs.html(), fmt = "html" } end
  return { status = 200, body = docs.hydra(), fmt = "jsonld" }
end

local function operate(req, rt, ident)
  local fmt = rt.suffix and media.suffix_format(rt.suffix) or media.negotiate(req)
  if rt.doc then return documentation(req, rt, fmt) end
  if not fmt then return errors.generic(406) end
  local ctx = { req = req, r = rt.r, id = rt.id, fmt = fmt, ident = ident, input = req.v2_input or json.obj(),
                body_type = media.body_type(req) }
  -- (before the item is read: PATCH with JSON on a missing id is a 415 on real 7.0)
  if rt.write and not media.body_ok(req.method, req) then return errors.generic(415) end
  if not access.allowed(ident, rt.r, req.method) then return errors.forbidden() end
  counters.arrive(req)
  return rt.op(ctx)
end

-- the answer to a /api/v2 request, or nil when this fake is not a Mautic 7 (or,
-- for /api, the answer a 7.x gives there because of what /api/v2 wrote)
function _M.handle(req)
  if not is_v2_version() then return nil end
  if not (req.path == "/api/v2" or req.path:sub(1, 8) == "/api/v2/") then return interplay.api_answer(req) end
  local res = early(req)
  if res then return res end
  local ident, sid, refused_sid = session.authenticate(req)     -- ident, sid | nil, refusal, sid
  if not ident then return answer.cookie(answer.failure(sid), refused_sid) end
  if req.path:sub(-1) == "/" then return answer.cookie(redirect_slash(req), sid) end
  local base, suffix = req.path:match("^(.-)%.(%a+)$")
  local rt = route(req.method, base or req.path)
  if rt then rt.suffix = suffix end
  if not rt then rt = route(req.method, req.path) end
  if not rt then return answer.cookie(answer.failure(errors.route(req.base .. req.path, req.query)), sid) end
  local out = operate(req, rt, ident)
  if out.fmt then return answer.cookie(answer.success(req, out), sid) end
  return answer.cookie(answer.failure(out), sid)
end

return _M
