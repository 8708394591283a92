-- Request log (GET /__fake/log). Secrets never reach it: the Authorization,
-- Cookie and Proxy-Authorization headers read "<redacted>", and so do the
-- values of secret parameters (passwords, OAuth secrets, tokens, signatures,
-- codes, verifiers) in the query, in form bodies (also as a[secret]=…) and
-- in JSON bodies.
local json = require "mautic.fake.json"

local _M = { entries = {} }

local SECRET_KEYS = { "password", "plainpassword", "confirm", "secret", "client_secret",
                      "access_token", "refresh_token", "code", "oauth_signature", "oauth_token",
                      "oauth_token_secret", "oauth_verifier" }
local SECRET = {}
for _, k in ipairs(SECRET_KEYS) do SECRET[k] = true end
_M.SECRET = SECRET

local function url_decode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- is a (decoded) parameter name, or one of its [bracket] parts, secret?
local function secret_name(name)
  local base = name:match("^([^%[]*)") or name
  if SECRET[base:lower()] then return true end
  for part in name:gmatch("%[([^%]]*)%]") do
    if SECRET[part:lower()] then return true end
  end
  return false
end
_M.secret_name = secret_name

local function redact_form(s)
  if not s or s == "" then return s end
  local out = {}
  for piece in (s .. "&"):gmatch("([^&]*)&") do
    local k, eq = piece:match("^([^=]*)(=?)")
    if eq == "=" and secret_name(url_decode(k)) then
      out[#out + 1] = k .. "=<redacted>"
    else
      out[#out + 1] = piece
    end
  end
  return table.concat(out, "&")
end

-- "key": "value" for a secret key -> "key": "<redacted>" (escapes in the value understood)
local function redact_json(s)
  local out, i = {}, 1
  while true do
    local a, b, key = s:find('"([%w_%-]+)"%s*:%s*"', i)
    if not a then break end
    if SECRET[key:lower()] then
      local j = b + 1
      while j <= #s do
        local c = s:sub(j, j)
        if c == "\\" then j = j + 2
        elseif c == '"' then break
        else j = j + 1 end
      end
      out[#out + 1] = s:sub(i, b) .. "<redacted>"
      i = j
    else
      out[#out + 1] = s:sub(i, b)
      i = b + 1
    end
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

function _M.redact_body(body, content_type)
  if not body or body == "" then return body end
  local ct = (content_type or ""):lower()
  if ct:find("json") or body:match("^%s*[%[{]") then
    return redact_json(body)
  end
  if ct:find("multipart") then return body end
  return redact_form(body)
end

_M.redact_query = redact_form

local function redact_args(t)
  if type(t) ~= "table" then return t end
  for _, k in ipairs(json.keys(t)) do
    local v = t[k]
    if SECRET[tostring(k):lower()] and type(v) ~= "table" then t[k] = "<redacted>"
    elseif type(v) == "table" then
      if SECRET[tostring(k):lower()] then
        for _, kk in ipairs(json.keys(v)) do
          if type(v[kk]) ~= "table" then v[kk] = "<redacted>" end
        end
      end
      redact_args(v)
    end
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
