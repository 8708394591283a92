--- JSON for the hostile server, written the way PHP's json_encode writes it
-- (Mautic's answers): "/" as "\/", every non-ASCII character as \uXXXX in
-- lower-case hex (a surrogate pair above U+FFFF), other control characters
-- as \u00XX. Objects keep the order they are built in.
--
--   json.O{ "k1", v1, "k2", v2 }  an object, keys in this order
--   json.A{ v1, v2 }              an array (json.null for a null item)
--   a plain table                 an array when it holds 1..n only, else an
--                                 object with sorted keys; {} is [] as in PHP
local cjson = require "cjson"

local _M = {}
local null = cjson.null
_M.null = null

local OBJ = {}
local ARR = {}

function _M.O(kv) return setmetatable({ kv = kv or {} }, OBJ) end
function _M.A(list) return setmetatable(list or {}, ARR) end

--- Decode with lua-cjson; nil, message for anything that is not JSON.
function _M.decode(s)
  if type(s) ~= "string" or s == "" then return nil, "empty" end
  local ok, v = pcall(cjson.decode, s)
  if not ok then return nil, tostring(v) end
  return v
end

local byte, format, concat = string.byte, string.format, table.concat

local short = { ['"'] = '\\"', ["\\"] = "\\\\", ["/"] = "\\/", ["\b"] = "\\b",
                ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function u(cp) return format("\\u%04x", cp) end

local function ascii(c)
  if c == "\127" then return c end   -- PHP writes DEL as it is
  return short[c] or u(byte(c))
end

-- one UTF-8 sequence (or a stray byte) -> \uXXXX escapes
local function escape_utf8(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local b = byte(s, i)
    local len, cp = 1, nil
    if b >= 0xF0 and b <= 0xF4 then len, cp = 4, b - 0xF0
    elseif b >= 0xE0 then len, cp = 3, b - 0xE0
    elseif b >= 0xC2 and b <= 0xDF then len, cp = 2, b - 0xC0 end
    if cp and i + len - 1 <= n then
      for k = i + 1, i + len - 1 do
        local c = byte(s, k)
        if c < 0x80 or c > 0xBF then cp = nil break end
        cp = cp * 64 + (c - 0x80)
      end
    else
      cp = nil
    end
    if not cp then
      out[#out + 1] = "\\ufffd"       -- PHP refuses invalid UTF-8; never write it raw
      i = i + 1
    else
      if cp >= 0x10000 then
        local v = cp - 0x10000
        out[#out + 1] = u(0xD800 + math.floor(v / 0x400)) .. u(0xDC00 + v % 0x400)
      else
        out[#out + 1] = u(cp)
      end
      i = i + len
    end
  end
  return concat(out)
end

--- A Lua string as a PHP json_encode string literal (with the quotes).
function _M.quote(s)
  s = s:gsub('[%c"\\/]', ascii)
  s = s:gsub("[\128-\255]+", escape_utf8)
  return '"' .. s .. '"'
end

local function number(n)
  if n ~= n or n == math.huge or n == -math.huge then return "0" end
  if n % 1 == 0 and n > -2^53 and n < 2^53 then return format("%d", n) end
  return format("%.17g", n)
end

local encode

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end

local function key_less(a, b)
  local na, nb = tonumber(a), tonumber(b)
  if na and nb and na ~= nb then return na < nb end
  return tostring(a) < tostring(b)
end

encode = function(v, out, depth)
  if depth > 64 then error("json: nested too deep") end
  local t = type(v)
  if v == nil or v == null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif t == "number" then out[#out + 1] = number(v)
  elseif t == "string" then out[#out + 1] = _M.quote(v)
  elseif t == "table" then
    local mt = getmetatable(v)
    if mt == OBJ then
      out[#out + 1] = "{"
      local kv = v.kv
      for i = 1, #kv, 2 do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = _M.quote(tostring(kv[i]))
        out[#out + 1] = ":"
        encode(kv[i + 1], out, depth + 1)
      end
      out[#out + 1] = "}"
    elseif mt == ARR or is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out, depth + 1)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys, key_less)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = _M.quote(tostring(k))
        out[#out + 1] = ":"
        encode(v[k], out, depth + 1)
      end
      out[#out + 1] = "}"
    end
  else
    out[#out + 1] = "null"
  end
end

--- Encode a Lua value as PHP would.
function _M.encode(v)
  local out = {}
  encode(v, out, 0)
  return concat(out)
end

return _M
