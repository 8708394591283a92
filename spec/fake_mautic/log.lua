-- Request log (GET /__fake/log). Secrets never reach it.
local json = require "fake_mautic.json"

local _M = { entries = {} }

local SECRET_KEYS = { "password", "confirm", "client_secret", "access_token", "refresh_token",
                      "oauth_signature", "oauth_token_secret", "secret", "code" }

local function redact_form(s)
  if not s or s == "" then return s end
  for _, k in ipairs(SECRET_KEYS) do
    -- key, key[...]; value up to &
    s = s:gsub("([&?]?)(" .. k .. ")(=)[^&]*", "%1%2%3<redacted>")
    s = s:gsub("(%%5B" .. k .. "%%5D=)[^&]*", "%1<redacted>")
    s = s:gsub("(%[" .. k .. "%]=)[^&]*", "%1<redacted>")
  end
  return s
end

local function redact_json(s)
  for _, k in ipairs(SECRET_KEYS) do
    s = s:gsub('("' .. k .. '"%s*:%s*)"[^"]*"', '%1"<redacted>"')
  end
  s = s:gsub('("plainPassword"%s*:%s*)"[^"]*"', '%1"<redacted>"')
  return s
end

function _M.redact_body(body, content_type)
  if not body or body == "" then return body end
  if (content_type or ""):find("json") or body:match("^%s*[%[{]") then
    return redact_json(body)
  end
  if (content_type or ""):find("multipart") then return body end
  return redact_form(body)
end

_M.redact_query = redact_form

local function redact_args(t)
  if type(t) ~= "table" then return t end
  for _, k in ipairs(json.keys(t)) do
    local v = t[k]
    local lk = tostring(k):lower()
    local secret = false
    for _, s in ipairs(SECRET_KEYS) do if lk == s then secret = true end end
    if secret and type(v) ~= "table" then t[k] = "<redacted>"
    elseif type(v) == "table" then redact_args(v) end
  end
  return t
end
_M.redact_args = redact_args

function _M.redact_headers(h)
  local out = json.obj()
  local names = {}
  for k in pairs(h) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = h[k]
    local lk = k:lower()
    if type(v) == "table" then v = table.concat(v, ", ") end
    if lk == "authorization" or lk == "cookie" or lk == "proxy-authorization" then v = "<redacted>" end
    out[lk] = v
  end
  return out
end

function _M.add(entry) _M.entries[#_M.entries + 1] = entry end
function _M.clear() _M.entries = {} end
function _M.all() return json.A(_M.entries) end

return _M
