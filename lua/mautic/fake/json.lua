-- Ordered JSON for the fake Mautic server.
--
-- PHP's json_encode keeps the insertion order of object keys, escapes "/"
-- as "\/" and non-ASCII as \uXXXX; Mautic's answers depend on that order
-- (lists keyed by id follow orderBy). cjson on a hash cannot do this, so
-- objects here are tables with the OBJ metatable that remember the order
-- in which their keys were first assigned.
--
--   json.O{k1, v1, k2, v2}   ordered object      json.A{...} array
--   json.obj()               empty ordered object json.arr() empty array
--   json.null                JSON null
--   json.encode(v)           PHP-style text
--   json.decode(s)           -> value (objects ordered) | nil, err

local _M = {}

local type, pairs, ipairs, tostring, setmetatable, getmetatable, rawget, rawset =
      type, pairs, ipairs, tostring, setmetatable, getmetatable, rawget, rawset
local concat, sort = table.concat, table.sort
local byte, char, sub, format, find = string.byte, string.char, string.sub, string.format, string.find
local floor, huge = math.floor, math.huge

local KEYS = setmetatable({}, { __mode = "k" })   -- obj -> array of keys in order

local null = setmetatable({}, { __tostring = function() return "null" end })
_M.null = null

local OBJ = {}
OBJ.__newindex = function(t, k, v)
  local ks = KEYS[t]
  if not ks then ks = {}; KEYS[t] = ks end
  ks[#ks + 1] = k
  rawset(t, k, v)
end
local ARR = { __jsontype = "array" }
_M.OBJ, _M.ARR = OBJ, ARR

-- a number PHP holds as a float (a FLOAT column read back): 0 encodes as 0.0
local FLOAT = { __jsontype = "float" }
function _M.float(n) return setmetatable({ n = n }, FLOAT) end
function _M.is_float(v) return type(v) == "table" and getmetatable(v) == FLOAT end

function _M.obj() local t = setmetatable({}, OBJ); KEYS[t] = {}; return t end
function _M.arr(t) return setmetatable(t or {}, ARR) end
function _M.is_obj(t) return type(t) == "table" and getmetatable(t) == OBJ end
function _M.is_arr(t) return type(t) == "table" and getmetatable(t) == ARR end

function _M.O(list)
  local t = _M.obj()
  for i = 1, #list, 2 do
    local v = list[i + 1]
    if v == nil then v = null end
    t[list[i]] = v
  end
  return t
end
function _M.A(list) return setmetatable(list, ARR) end

-- keys of an ordered object in order (present keys only, de-duplicated)
function _M.keys(t)
  local out, seen = {}, {}
  local ks = KEYS[t]
  if ks then
    for _, k in ipairs(ks) do
      if not seen[k] and rawget(t, k) ~= nil then seen[k] = true; out[#out + 1] = k end
    end
  end
  -- keys set with rawset or on a plain table: append sorted
  local extra = {}
  for k in pairs(t) do if not seen[k] then extra[#extra + 1] = k end end
  if #extra > 0 then
    sort(extra, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta == "number" end
      return a < b
    end)
    for _, k in ipairs(extra) do out[#out + 1] = k end
  end
  return out
end

-- iterate an ordered object
function _M.opairs(t)
  local ks = _M.keys(t)
  local i = 0
  return function()
    i = i + 1
    local k = ks[i]
    if k ~= nil then return k, t[k] end
  end
end

-- remove a key (keeps order of the rest)
function _M.remove(t, k)
  rawset(t, k, nil)
  local ks = KEYS[t]
  if ks then
    for i = #ks, 1, -1 do if ks[i] == k then table.remove(ks, i) end end
  end
end

-- deep copy, keeping order and metatables
local function copy(v)
  if type(v) ~= "table" or v == null then return v end
  local mt = getmetatable(v)
  if mt == OBJ then
    local t = _M.obj()
    for _, k in ipairs(_M.keys(v)) do t[k] = copy(v[k]) end
    return t
  end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return setmetatable(t, mt)
end
_M.copy = copy

---------------------------------------------------------------- encode

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/',
  ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function utf8_units(s)
  -- converts non-ASCII UTF-8 to \uXXXX (UTF-16 units), as PHP does
  return (s:gsub("[\192-\247][\128-\191]*", function(seq)
    local c = byte(seq, 1)
    local cp
    if c < 0xE0 then cp = (c - 0xC0) * 64 + (byte(seq, 2) or 0x80) - 0x80
    elseif c < 0xF0 then
      cp = ((c - 0xE0) * 64 + (byte(seq, 2) or 0x80) - 0x80) * 64 + (byte(seq, 3) or 0x80) - 0x80
    else
      cp = (((c - 0xF0) * 64 + (byte(seq, 2) or 0x80) - 0x80) * 64 + (byte(seq, 3) or 0x80) - 0x80) * 64
           + (byte(seq, 4) or 0x80) - 0x80
    end
    if cp >= 0x10000 then
      cp = cp - 0x10000
      local hi, lo = 0xD800 + floor(cp / 1024), 0xDC00 + cp % 1024
      return format("\\u%04x\\u%04x", hi, lo)
    end
    return format("\\u%04x", cp)
  end))
end

local function encode_string(s)
  s = s:gsub('[%c"\\/]', function(c)
    return escapes[c] or format("\\u%04x", byte(c))
  end)
  if find(s, "[\128-\255]") then s = utf8_units(s) end
  return '"' .. s .. '"'
end
_M.encode_string = encode_string

local function encode_number(n)
  if n ~= n or n == huge or n == -huge then return "0" end
  if floor(n) == n and n > -1e15 and n < 1e15 then return format("%d", n) end
  local s = format("%.14g", n)
  if not find(s, "[%.eEn]") then s = s .. ".0" end
  return s
end

local function is_sequence(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or floor(k) ~= k then return false end
    n = n + 1
  end
  for i = 1, n do if t[i] == nil then return false end end
  return true, n
end

local encode_value
local function encode_array(t, buf, n)
  buf[#buf + 1] = "["
  n = n or #t
  for i = 1, n do
    if i > 1 then buf[#buf + 1] = "," end
    encode_value(t[i], buf)
  end
  buf[#buf + 1] = "]"
end

local function encode_object(t, keys, buf)
  buf[#buf + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then buf[#buf + 1] = "," end
    buf[#buf + 1] = encode_string(tostring(k))
    buf[#buf + 1] = ":"
    encode_value(t[k], buf)
  end
  buf[#buf + 1] = "}"
end

encode_value = function(v, buf)
  local tv = type(v)
  if v == nil or v == null then buf[#buf + 1] = "null"
  elseif tv == "boolean" then buf[#buf + 1] = v and "true" or "false"
  elseif tv == "number" then buf[#buf + 1] = encode_number(v)
  elseif tv == "string" then buf[#buf + 1] = encode_string(v)
  elseif tv == "table" then
    local mt = getmetatable(v)
    if mt == FLOAT then
      local s = encode_number(v.n)
      if not find(s, "[%.eEn]") then s = s .. ".0" end
      buf[#buf + 1] = s
    elseif mt == OBJ then encode_object(v, _M.keys(v), buf)
    elseif mt == ARR then encode_array(v, buf)
    else
      local seq, n = is_sequence(v)
      if seq then encode_array(v, buf, n)
      else encode_object(v, _M.keys(v), buf) end
    end
  else
    buf[#buf + 1] = "null"
  end
end

function _M.encode(v)
  local buf = {}
  encode_value(v, buf)
  return concat(buf)
end

---------------------------------------------------------------- decode

local function decode_error(s, i, msg)
  return error({ json_error = format("%s at character %d", msg, i) }, 0)
end

local function skip_ws(s, i)
  local _, e = find(s, "^[ \n\r\t]*", i)
  return e + 1
end

local function utf8_char(cp)
  if cp < 0x80 then return char(cp)
  elseif cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64)
  elseif cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  else
    return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
                0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
end

local unescape = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local decode_value
local function decode_string(s, i)
  -- s[i] == '"'
  local buf = {}
  local j = i + 1
  while true do
    local a, b = find(s, '^[^"\\%c]+', j)
    if a then buf[#buf + 1] = sub(s, a, b); j = b + 1 end
    local c = sub(s, j, j)
    if c == '"' then return concat(buf), j + 1
    elseif c == "\\" then
      local e = sub(s, j + 1, j + 1)
      if e == "u" then
        local hex = sub(s, j + 2, j + 5)
        if not hex:match("^%x%x%x%x$") then decode_error(s, j, "bad unicode escape") end
        local cp = tonumber(hex, 16)
        j = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF and sub(s, j, j + 1) == "\\u" then
          local lo = tonumber(sub(s, j + 2, j + 5), 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            j = j + 6
          end
        end
        buf[#buf + 1] = utf8_char(cp)
      elseif unescape[e] then
        buf[#buf + 1] = unescape[e]; j = j + 2
      else
        decode_error(s, j, "bad escape")
      end
    elseif c == "" then decode_error(s, j, "unterminated string")
    else decode_error(s, j, "control character in string") end
  end
end

decode_value = function(s, i)
  i = skip_ws(s, i)
  local c = sub(s, i, i)
  if c == "{" then
    local t = _M.obj()
    i = skip_ws(s, i + 1)
    if sub(s, i, i) == "}" then return t, i + 1 end
    while true do
      if sub(s, i, i) ~= '"' then decode_error(s, i, "expected string key") end
      local k; k, i = decode_string(s, i)
      i = skip_ws(s, i)
      if sub(s, i, i) ~= ":" then decode_error(s, i, "expected ':'") end
      local v; v, i = decode_value(s, i + 1)
      if rawget(t, k) ~= nil then rawset(t, k, v) else t[k] = v end
      i = skip_ws(s, i)
      local d = sub(s, i, i)
      if d == "}" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "expected ',' or '}'") end
      i = skip_ws(s, i + 1)
    end
  elseif c == "[" then
    local t = setmetatable({}, ARR)
    i = skip_ws(s, i + 1)
    if sub(s, i, i) == "]" then return t, i + 1 end
    while true do
      local v; v, i = decode_value(s, i)
      t[#t + 1] = v
      i = skip_ws(s, i)
      local d = sub(s, i, i)
      if d == "]" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "expected ',' or ']'") end
      i = i + 1
    end
  elseif c == '"' then return decode_string(s, i)
  elseif c == "t" and sub(s, i, i + 3) == "true" then return true, i + 4
  elseif c == "f" and sub(s, i, i + 4) == "false" then return false, i + 5
  elseif c == "n" and sub(s, i, i + 3) == "null" then return null, i + 4
  else
    local a, b = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not a then decode_error(s, i, "unexpected character") end
    local n = tonumber(sub(s, a, b))
    if not n then decode_error(s, i, "bad number") end
    return n, b + 1
  end
end

function _M.decode(s)
  if type(s) ~= "string" then return nil, "not a string" end
  local ok, v, i = pcall(decode_value, s, 1)
  if not ok then
    if type(v) == "table" and v.json_error then return nil, v.json_error end
    return nil, tostring(v)
  end
  i = skip_ws(s, i)
  if i <= #s then return nil, format("trailing garbage at character %d", i) end
  return v
end

--- Ordered JSON objects and arrays as plain Lua tables, nulls as nil
-- (for values read by key: admin bodies, config).
function _M.plain(v)
  if v == null then return nil end
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = _M.plain(x) end
  return t
end

return _M
