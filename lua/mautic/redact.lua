--- Keeping secrets out of messages.
-- Two layers: patterns that catch credentials by shape (Authorization
-- values, token and secret parameters in URLs, bodies and JSON), and the
-- exact secrets the clients were configured with, registered here so that
-- they are scrubbed wherever they turn up.
local type, pairs, ipairs = type, pairs, ipairs
local gsub, find, sub, lower = string.gsub, string.find, string.sub, string.lower
local byte, char, format = string.byte, string.char, string.format
local concat, floor = table.concat, math.floor
local setmetatable = setmetatable

local _M = { _VERSION = "0.2.0" }

local MASK = "<redacted>"
_M.MASK = MASK

-- secrets registered by auth handlers, each with the ways it can be
-- written in an answer (weak keys so a discarded client does not pin them)
local known = setmetatable({}, { __mode = "k" })

-- PHP's json_encode: "/" as "\/", non-ASCII as \uXXXX (UTF-16, lower-case hex)
local function utf8_codepoints(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = byte(s, i)
    local len = c < 0x80 and 1 or c >= 0xF0 and 4 or c >= 0xE0 and 3 or c >= 0xC0 and 2 or 1
    local cp = len == 1 and c or c % (2 ^ (7 - len))
    for j = i + 1, i + len - 1 do cp = cp * 64 + (byte(s, j) or 0x80) % 64 end
    out[#out + 1] = cp
    i = i + len
  end
  return out
end

local function json_escaped(s, hexfmt)
  local out = {}
  for _, cp in ipairs(utf8_codepoints(s)) do
    if cp == 0x2F then out[#out + 1] = "\\/"
    elseif cp == 0x22 then out[#out + 1] = '\\"'
    elseif cp == 0x5C then out[#out + 1] = "\\\\"
    elseif cp < 0x20 then out[#out + 1] = format("\\u" .. hexfmt, cp)
    elseif cp < 0x80 then out[#out + 1] = char(cp)
    elseif cp < 0x10000 then out[#out + 1] = format("\\u" .. hexfmt, cp)
    else
      local v = cp - 0x10000
      out[#out + 1] = format("\\u" .. hexfmt .. "\\u" .. hexfmt, 0xD800 + floor(v / 1024), 0xDC00 + v % 1024)
    end
  end
  return concat(out)
end

local function pct_escaped(s, hexfmt, space_plus)
  return (gsub(s, "[^%w%-%._~]", function(c)
    if space_plus and c == " " then return "+" end
    return format("%%" .. hexfmt, byte(c))
  end))
end

-- Every way a secret can come back: as is, JSON-escaped the way PHP and
-- others write it, percent-encoded (RFC 3986 and forms, either hex case).
local function spellings(secret)
  local set = { [secret] = true }
  for _, hex in ipairs{ "%04x", "%04X" } do
    set[json_escaped(secret, hex)] = true
  end
  -- JSON with raw UTF-8 (JSON_UNESCAPED_UNICODE), slashes still escaped
  set[(gsub(secret, '[/"\\]', { ["/"] = "\\/", ['"'] = '\\"', ["\\"] = "\\\\" }))] = true
  for _, hex in ipairs{ "%02X", "%02x" } do
    set[pct_escaped(secret, hex, false)] = true
    set[pct_escaped(secret, hex, true)] = true
  end
  local list = {}
  for v in pairs(set) do
    if #v >= 4 then list[#list + 1] = v end
  end
  -- longest first, so that a longer spelling is not half-masked by a shorter one
  table.sort(list, function(a, b) return #a > #b end)
  return list
end

--- Remember a secret so that every later scrub removes it, however it is written.
function _M.remember(secret)
  if type(secret) == "string" and #secret >= 4 and not known[secret] then
    known[secret] = spellings(secret)
  end
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
  for _, list in pairs(known) do
    for _, secret in ipairs(list) do
      local i = 1
      while true do
        local a, b = find(s, secret, i, true)
        if not a then break end
        s = sub(s, 1, a - 1) .. MASK .. sub(s, b + 1)
        i = a + #MASK
      end
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
