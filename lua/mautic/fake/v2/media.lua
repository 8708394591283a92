-- Media types of /api/v2 (SUMMARY §2.2): which format an answer takes (the
-- Accept header, or a .jsonld/.json/.jsonapi suffix on the path) and which
-- bodies a write may carry.
local _M = {}

-- format -> Content-Type of a successful answer
_M.CONTENT_TYPE = {
  jsonld = "application/ld+json; charset=utf-8", json = "application/json; charset=utf-8",
  jsonapi = "application/vnd.api+json; charset=utf-8", html = "text/html; charset=UTF-8",
}
-- format -> the extension of a Content-Location
_M.EXT = { jsonld = "jsonld", json = "json", jsonapi = "jsonapi", html = "html" }

local ACCEPT = {
  ["application/ld+json"] = "jsonld", ["application/json"] = "json",
  ["application/vnd.api+json"] = "jsonapi", ["text/html"] = "html",
  ["*/*"] = "jsonld", ["application/*"] = "jsonld",
}
-- the .json suffix still answers JSON-LD (media.get.format_suffix_json)
local SUFFIX = { jsonld = "jsonld", json = "jsonld", jsonapi = "jsonapi", html = "html" }

local function header(req, name)
  local h = req.headers[name]
  if type(h) == "table" then h = h[1] end
  return h
end

-- the format a path's suffix asks for (.jsonld, .json, .jsonapi, .html), or nil
function _M.suffix_format(ext) return SUFFIX[ext] end

-- the format asked for: "jsonld" | "json" | "jsonapi" | "html" | nil (406)
function _M.negotiate(req)
  local accept = header(req, "accept")
  if accept == nil or accept:match("^%s*$") then return "jsonld" end
  local best, best_q
  for part in accept:gmatch("[^,]+") do
    local mt = part:match("^%s*([^;%s]+)")
    local q = tonumber(part:match(";%s*q=([%d.]+)") or "1") or 1
    local fmt = mt and ACCEPT[mt:lower()]
    if fmt and q > 0 and (not best_q or q > best_q) then best, best_q = fmt, q end
  end
  return best
end

local BODY = { ["application/json"] = true, ["application/ld+json"] = true, ["application/vnd.api+json"] = true }
local PATCH = { ["application/merge-patch+json"] = true, ["application/vnd.api+json"] = true }

-- the media type of the body (lower case, no parameters)
function _M.body_type(req)
  local ct = req.content_type
  if type(ct) ~= "string" then return nil end
  return ct:match("^%s*([^;%s]+)"):lower()
end

-- may a write of this method carry this body? (no: 415)
function _M.body_ok(method, req)
  local t = _M.body_type(req)
  if method == "PATCH" then return PATCH[t] == true end
  return BODY[t] == true
end

return _M
