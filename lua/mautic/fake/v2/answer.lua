-- The headers and bytes of a /api/v2 answer (SUMMARY §2.6): no Mautic-Version;
-- Vary: Accept and the Link to the Hydra documentation (absolute URL) on
-- successes and the 403; an ETag on a GET 200; Accept-Patch on item answers;
-- Location (relative) on a 201; Content-Location on a 201, on PUT and PATCH
-- 200s and on HEAD; Cache-Control everywhere; the session cookie when one starts.
local util = require "mautic.fake.util"
local items = require "mautic.fake.v2.items"
local media = require "mautic.fake.v2.media"
local session = require "mautic.fake.v2.session"

local _M = {}

local CACHE = "max-age=0, must-revalidate, private"
local DOCS_REL = '; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"'
local ACCEPT_PATCH = "application/merge-patch+json, application/vnd.api+json"

local function docs_link() return "<" .. util.base_url() .. "/api/v2/docs.jsonld>" .. DOCS_REL end

local function etag(body)
  local h = ngx and ngx.md5(body) or string.format("%016x", #body)
  return '"' .. h:sub(1, 16) .. '"'
end

-- ok: { status, body = Lua value | raw = text, fmt, item = iri path of an item answer,
--       content_type = override } for a request `req` with method
function _M.success(req, ok)
  local fmt = ok.fmt or "jsonld"
  local raw = ok.raw or (ok.body ~= nil and items.encode(ok.body)) or ""
  local h = { ["Vary"] = "Accept", ["Cache-Control"] = CACHE, ["Link"] = docs_link() }
  local method = req.method
  if (method == "GET" or method == "HEAD") and ok.status == 200 then h["ETag"] = etag(raw) end
  if ok.item and fmt ~= "html" then
    h["Accept-Patch"] = ACCEPT_PATCH
    local loc = ok.item .. "." .. media.EXT[fmt]
    if ok.status == 201 then h["Location"] = ok.item; h["Content-Location"] = loc
    elseif ok.status == 200 and (method == "PUT" or method == "PATCH" or method == "HEAD") then
      h["Content-Location"] = loc
    end
  end
  local ct = ok.content_type or media.CONTENT_TYPE[fmt]
  if ok.status == 204 then ct, raw = nil, "" end
  return { status = ok.status, raw = raw, content_type = ct, headers = h, version = false }
end

-- an error response of errors.lua, made ready to send
function _M.failure(res)
  local h = res.headers or {}
  if not h["Cache-Control"] then h["Cache-Control"] = CACHE end
  if res.problem then
    h["Vary"] = "Accept"
    h["Link"] = '<http://www.w3.org/ns/hydra/error>; rel="http://www.w3.org/ns/json-ld#error",' .. docs_link()
  end
  local raw = res.raw or items.encode(res.body)
  return { status = res.status, raw = raw, content_type = res.content_type or "application/json",
           headers = h, version = false, no_cookie = res.no_cookie }
end

-- the session cookie of a session this request started
function _M.cookie(res, sid)
  if sid and not res.no_cookie then res.headers["Set-Cookie"] = session.set_cookie(sid) end
  return res
end

return _M
