-- Response values and the bodies real Mautic 5.1 sends.
--
-- A handler returns a response table:
--   { status = 200, body = <Lua value, encoded with mautic.fake.json> | raw = "<text>",
--     version = true (send Mautic-Version), headers = { Location = ... },
--     content_type = "application/json" }
local json = require "mautic.fake.json"
local versions = require "mautic.fake.versions"

local _M = {}
local O, A, null = json.O, json.A, json.null

function _M.ok(body, status, headers)
  return { status = status or 200, body = body, version = true, headers = headers }
end

-- controller error: code first, details ([] or {field: [msgs]}), Mautic-Version sent
function _M.error(status, message, details)
  return {
    status = status, version = true,
    body = O{ "errors", A{ O{ "code", status, "message", message, "details", details or A{} } } },
  }
end

function _M.not_found(message)
  return _M.error(404, message or "Item was not found.")
end

function _M.bad_request(message)
  return _M.error(400, message or "This is a bad request.")
end

-- errors = array of { field, message } in order
function _M.validation_body(errors, status)
  local parts, details = {}, json.obj()
  for _, e in ipairs(errors) do
    parts[#parts + 1] = e[1] .. ": " .. e[2]
    local list = details[e[1]]
    if not list then list = A{}; details[e[1]] = list end
    list[#list + 1] = e[2]
  end
  return O{ "code", status or 400, "message", table.concat(parts, ", "), "details", details }
end

function _M.validation(errors)
  return { status = 400, version = true, body = O{ "errors", A{ _M.validation_body(errors) } } }
end

-- firewall / router / uncaught errors: message first, type, no Mautic-Version
function _M.plain_error(status, message, typ)
  return {
    status = status, version = false,
    body = O{ "errors", A{ O{ "message", message, "code", status, "type", typ or null } } },
  }
end

function _M.route_not_found(path, query)
  local p = path
  if query and query ~= "" then p = p .. "?" .. query end
  return _M.plain_error(404, "Requested URL not found: " .. p)
end

function _M.uncaught(status)
  status = status or 500
  return _M.plain_error(status, "Looks like I encountered an error (error #" .. status ..
    "). If I do it again, please report me to the system administrator!")
end

-- handled 500 (controller): code first, details [], with Mautic-Version
function _M.handled_500(message)
  return _M.error(500, message)
end

-- the Content-Type of Symfony's HTML pages (redirects): 7.0 spells the charset in lower case
function _M.html_type()
  return versions.has("lowercase_charset") and "text/html; charset=utf-8" or "text/html; charset=UTF-8"
end

function _M.encode(res)
  if res.raw then return res.raw end
  if res.body == nil then return "" end
  return json.encode(res.body)
end

return _M
