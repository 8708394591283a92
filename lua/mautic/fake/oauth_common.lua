-- Helpers shared by the fake's OAuth servers (oauth2.lua, oauth1.lua):
-- random tokens, RFC 3986 percent-encoding, redirects and error answers.
local json = require "mautic.fake.json"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"

local _M = {}

local counter = 0

-- n random bytes as 2n hex digits (urandom; a hash of clock and counter as a fallback)
function _M.random_hex(n)
  n = n or 20
  local raw
  local f = io.open("/dev/urandom", "rb")
  if f then raw = f:read(n); f:close() end
  if not raw or #raw < n then
    counter = counter + 1
    raw = ngx.sha1_bin(table.concat({ ngx.now(), counter, math.random(), ngx.worker.pid() }, ":"))
    while #raw < n do raw = raw .. ngx.sha1_bin(raw) end
    raw = raw:sub(1, n)
  end
  return (raw:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- PHP rawurlencode / RFC 3986: all but ALPHA DIGIT - . _ ~ as %XX (upper-case hex)
function _M.enc(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- percent-decoding; "+" stays "+" unless plus_is_space
function _M.dec(s, plus_is_space)
  if plus_is_space then s = s:gsub("+", " ") end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- byte-wise string order, whatever the C locale says
function _M.byte_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- "a=1&b=2" from a list of { name, value } with rawurlencode
function _M.form(pairs_list)
  local out = {}
  for _, p in ipairs(pairs_list) do out[#out + 1] = _M.enc(p[1]) .. "=" .. _M.enc(p[2]) end
  return table.concat(out, "&")
end

-- url with extra query parameters appended (list of { name, value })
function _M.add_query(url, pairs_list)
  local frag = url:match("#.*$") or ""
  local base = url:gsub("#.*$", "")
  local extra = _M.form(pairs_list)
  if extra == "" then return base .. frag end
  local sep = base:find("?", 1, true) and (base:sub(-1) == "?" and "" or "&") or "?"
  return base .. sep .. extra .. frag
end

-- the 302 Symfony sends: an HTML refresh page and a Location header
function _M.redirect(url)
  local h = url:gsub("&", "&amp;"):gsub('"', "&quot;"):gsub("<", "&lt;")
  local html = '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n' ..
    '        <meta http-equiv="refresh" content="0;url=\'' .. h .. '\'" />\n\n' ..
    '        <title>Redirecting to ' .. h .. '</title>\n    </head>\n    <body>\n' ..
    '        Redirecting to <a href="' .. h .. '">' .. h .. '</a>.\n    </body>\n</html>'
  return { status = 302, raw = html, content_type = responses.html_type(), version = false,
           headers = { Location = url } }
end

-- Symfony's JsonResponse escapes ' as \u0027 (JSON_HEX_APOS)
local function hex_apos(res)
  res.raw = json.encode(res.body):gsub("'", "\\u0027")
  res.body = nil
  return res
end

-- an OAuth error: Mautic 5's errors envelope (message, code, type; no
-- Mautic-Version), or with config oauth2_error_style = "legacy" the RFC 6749
-- shape {"error":…, "error_description":…} older Mautic sent.
function _M.error(status, typ, message)
  if config.get("oauth2_error_style") == "legacy" then
    return hex_apos({ status = status, version = false,
                      body = json.O{ "error", typ, "error_description", message } })
  end
  return hex_apos(responses.plain_error(status, message, typ))
end

return _M
