--- Keeping secrets out of messages.
-- Two layers: patterns that catch credentials by shape (Authorization
-- values, token and secret parameters in URLs, bodies and JSON), and the
-- exact secrets the clients were configured with, registered here so that
-- they are scrubbed wherever they turn up.
local type, pairs, ipairs = type, pairs, ipairs
local gsub, find, sub, lower, match = string.gsub, string.find, string.sub, string.lower, string.match
local byte, char, format = string.byte, string.char, string.format
local concat, floor = table.concat, math.floor
local setmetatable, getmetatable, pcall = setmetatable, getmetatable, pcall

local _M = {}

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

-- all_u: the quote, backslash and slash as \u00XX too, as some encoders write them
local function json_escaped(s, hexfmt, all_u)
  local out = {}
  for _, cp in ipairs(utf8_codepoints(s)) do
    if all_u and (cp == 0x2F or cp == 0x22 or cp == 0x5C) then out[#out + 1] = format("\\u" .. hexfmt, cp)
    elseif cp == 0x2F then out[#out + 1] = "\\/"
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
    set[json_escaped(secret, hex, true)] = true
  end
  -- JSON with raw UTF-8 (JSON_UNESCAPED_UNICODE), slashes still escaped
  set[(gsub(secret, '[/"\\]', { ["/"] = "\\/", ['"'] = '\\"', ["\\"] = "\\\\" }))] = true
  for _, hex in ipairs{ "%02X", "%02x" } do
    set[pct_escaped(secret, hex, false)] = true
    set[pct_escaped(secret, hex, true)] = true
  end
  -- base64, as a server that echoes a header or a credential might write it
  local ok, core = pcall(require, "mautic.core")
  if ok then set[core.b64encode(secret)] = true end
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

-- Where the credentials of a URL end (the position of their "@"), or nil.
-- They end at the LAST "@" before the query, so "@", ":" and "/" in a
-- password are covered; an authority with no path before a "?" or "#" is
-- searched whole, for a password holding those. A path or a query that
-- holds an "@" is then taken for credentials too: masked a little too
-- much, never too little (the client's own request URLs percent-encode "@").
local function credentials_end(rest)
  local head = match(rest, "^([^?#]*)")
  local span = head
  if not find(head, "@", 1, true) and not find(head, "/", 1, true) then span = rest end
  local at, i = nil, 0
  while true do
    i = find(span, "@", i + 1, true)
    if not i then return at end
    at = i
  end
end

local function url_credentials(u)
  local scheme, rest = match(u, "^(%a[%w+.-]*://)(.*)$")
  if not scheme then scheme, rest = "", u end
  local at = credentials_end(rest)
  if not at then return u end
  return scheme .. MASK .. sub(rest, at)
end

--- Does a URL carry credentials (user:password@)?
function _M.has_credentials(u)
  if type(u) ~= "string" then return false end
  local rest = match(u, "^%a[%w+.-]*://(.*)$") or u
  return credentials_end(rest) ~= nil
end

--- Scrub free text: credentials by shape, then every remembered secret.
function _M.text(s)
  if type(s) ~= "string" then return s end
  -- a URL with credentials, up to the next space or quote
  s = gsub(s, "%a[%w+.-]*://[^%s\"'<>]*@[^%s\"'<>]*", url_credentials)
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

--- Scrub a URL: user:password@ (whole, whatever the password holds) and
-- sensitive query parameters.
function _M.url(u)
  if type(u) ~= "string" then return u end
  u = url_credentials(u)
  u = gsub(u, "([?&])([^=&]+)=([^&#]*)", function(sep, name, value)
    if is_sensitive(name) then return sep .. name .. "=" .. MASK end
    return sep .. name .. "=" .. value
  end)
  return scrub_known(u)
end

--- A copy of a decoded value (an error's details, a list of errors the
-- server sent) with every string in it scrubbed, however deep.
function _M.deep(v, seen)
  if type(v) == "string" then return _M.text(v) end
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[_M.deep(k, seen)] = _M.deep(x, seen) end
  return setmetatable(out, getmetatable(v))
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
