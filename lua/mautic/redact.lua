--- Keeping secrets out of messages.
-- Two layers: patterns that catch credentials by shape (Authorization
-- values, token and secret parameters in URLs, bodies and JSON), and the
-- exact secrets the clients were configured with, registered here so that
-- they are scrubbed wherever they turn up.
local type, pairs = type, pairs
local gsub, find, sub, lower = string.gsub, string.find, string.sub, string.lower
local setmetatable = setmetatable

local _M = { _VERSION = "0.1.0" }

local MASK = "<redacted>"
_M.MASK = MASK

-- secrets registered by auth handlers (weak so a discarded client does not pin them)
local known = setmetatable({}, { __mode = "k" })

--- Remember a secret so that every later scrub removes it.
function _M.remember(secret)
  if type(secret) == "string" and #secret >= 4 then known[secret] = true end
end

local sensitive_names = {
  "access_token", "refresh_token", "client_secret", "password", "oauth_signature",
  "oauth_token_secret", "token_secret", "consumer_secret", "code", "secret",
}

local sensitive_set = { oauth_token = true }
for _, name in pairs(sensitive_names) do sensitive_set[name] = true end

local function is_sensitive(name)
  return sensitive_set[lower(name)] == true
end
_M.is_sensitive = is_sensitive

local function scrub_known(s)
  for secret in pairs(known) do
    local i = 1
    while true do
      local a, b = find(s, secret, i, true)
      if not a then break end
      s = sub(s, 1, a - 1) .. MASK .. sub(s, b + 1)
      i = a + #MASK
    end
  end
  return s
end

--- Scrub free text: credentials by shape, then every remembered secret.
function _M.text(s)
  if type(s) ~= "string" then return s end
  s = gsub(s, "([Bb]earer%s+)[%w%-%._~%+/=]+", "%1" .. MASK)
  s = gsub(s, "([Bb]asic%s+)[%w%+/=]+", "%1" .. MASK)
  s = gsub(s, '(OAuth%s+)[^\r\n]*', "%1" .. MASK)
  for _, name in pairs(sensitive_names) do
    -- "name":"value" in JSON and name=value in forms or queries
    s = gsub(s, '("' .. name .. '"%s*:%s*")[^"]*(")', "%1" .. MASK .. "%2")
    s = gsub(s, "(%f[%w_]" .. name .. "=)[^&%s\"]*", "%1" .. MASK)
  end
  return scrub_known(s)
end

--- Scrub a URL: user:password@ and sensitive query parameters.
function _M.url(u)
  if type(u) ~= "string" then return u end
  u = gsub(u, "^(%a[%w+.-]*://)[^/@]*@", "%1" .. MASK .. "@")
  u = gsub(u, "([?&])([^=&]+)=([^&#]*)", function(sep, name, value)
    if is_sensitive(name) then return sep .. name .. "=" .. MASK end
    return sep .. name .. "=" .. value
  end)
  return scrub_known(u)
end

--- A copy of a header table with credentials masked.
function _M.headers(h)
  local out = {}
  for k, v in pairs(h or {}) do
    local lk = lower(k)
    if lk == "authorization" or lk == "cookie" or lk == "proxy-authorization" then
      out[k] = MASK
    else
      out[k] = _M.text(v)
    end
  end
  return out
end

return _M
