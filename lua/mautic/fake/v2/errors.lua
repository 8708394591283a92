-- Error answers of /api/v2 (SUMMARY §2.5): Mautic's {"errors":[...]} envelope
-- in plain application/json, not the problem+json the OpenAPI document
-- advertises; only a 403 is problem+json. No Mautic-Version on any of them.
local json = require "mautic.fake.json"
local responses = require "mautic.fake.responses"

local O = json.O

local _M = {}

local function plain(res)
  res.version = false
  res.content_type = "application/json"
  return res
end

-- "Looks like I encountered an error (error #N)..." (400, 406, 415, 422, 500)
function _M.generic(status) return plain(responses.uncaught(status)) end

function _M.message(status, message, typ) return plain(responses.plain_error(status, message, typ)) end

function _M.not_found() return _M.message(404, "Not Found") end

function _M.route(path, query) return plain(responses.route_not_found(path, query)) end

function _M.forbidden()
  return {
    status = 403, content_type = "application/problem+json; charset=utf-8", problem = true,
    body = O{ "@context", "/api/v2/contexts/Error", "@id", "/api/v2/errors/403", "@type", "Error",
              "title", "An error occurred", "detail", "Access Denied.", "status", 403,
              "type", "/errors/403", "description", "Access Denied." },
  }
end

-- a stock 7.0.0 refusing a bearer token on /api/v2 (mautic/mautic#16243, §2.8)
function _M.bearer_bug()
  return { status = 401, content_type = "application/json", body = O{ "message", "Invalid credentials." },
           no_cookie = true }
end

-- a wrong Basic password: an empty HTML answer asking for Basic again
function _M.basic_challenge()
  return { status = 401, raw = "", content_type = "text/html; charset=UTF-8", no_cookie = true,
           headers = { ["WWW-Authenticate"] = 'Basic realm="Secured Area"' } }
end

return _M
