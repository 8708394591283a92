--- JSON for the Mautic wire format.
-- Decoding goes through lua-cjson (C speed), then two repairs that Mautic
-- needs: integral numbers become Lua integers (Debian's cjson decodes every
-- number as a float on Lua 5.3+, so ids would print as "5.0"), and JSON
-- nulls inside objects are dropped so that `if c.phone then` means what it
-- says. Nulls inside arrays keep their place as `json.null`.
--
-- Encoding is done here rather than by cjson: the output is deterministic
-- (object keys sorted), an empty table can be sent as `[]` when marked with
-- `json.array`, and integral floats are written without ".0" as PHP would.
local cjson = require "cjson.safe"

local type, pairs, ipairs, next, tostring = type, pairs, ipairs, next, tostring
local setmetatable, getmetatable = setmetatable, getmetatable
local floor, huge = math.floor, math.huge
local tointeger = math.tointeger
local concat, sort = table.concat, table.sort
local byte, find, sub, format, gsub = string.byte, string.find, string.sub, string.format, string.gsub

local _M = { _VERSION = "0.2.0" }

local cnull = cjson.null
--- The value that stands for a JSON null inside arrays (and that encodes as null).
_M.null = cnull

local array_mt = { __name = "mautic.json.array" }

--- Mark a table so it encodes as a JSON array even when empty.
function _M.array(t)
  return setmetatable(t or {}, array_mt)
end

function _M.is_array_marked(t)
  return getmetatable(t) == array_mt
end

-- Largest float that is still exactly an integer.
local MAX_EXACT = 2 ^ 53

local normalize
if tointeger then
  normalize = function(v)
    local tv = type(v)
    if tv == "number" then
      if v == floor(v) and v > -MAX_EXACT and v < MAX_EXACT then
        return tointeger(v)
      end
      return v
    elseif tv == "table" then
      local n = #v
      if n > 0 or next(v) == nil then
        -- array part (or empty): keep nulls in place
        for i = 1, n do v[i] = normalize(v[i]) end
      end
      for k, x in pairs(v) do
        if type(k) ~= "number" or k > n or k < 1 then
          if x == cnull then v[k] = nil else v[k] = normalize(x) end
        end
      end
      return v
    end
    return v
  end
else
  -- LuaJIT / Lua 5.1: numbers are doubles and print without ".0" already;
  -- only the nulls need repair.
  normalize = function(v)
    if type(v) == "table" then
      local n = #v
      for i = 1, n do v[i] = normalize(v[i]) end
      for k, x in pairs(v) do
        if type(k) ~= "number" or k > n or k < 1 then
          if x == cnull then v[k] = nil else v[k] = normalize(x) end
        end
      end
    end
    return v
  end
end
_M.normalize = normalize

--- Decode a JSON text.
-- @treturn[1] the value, integers normalised, object nulls dropped
-- @treturn[2] nil
-- @treturn[2] string the parser's message
function _M.decode(s)
  if type(s) ~= "string" then return nil, "expected a string to decode" end
  local v, err = cjson.decode(s)
  if v == nil and err then return nil, err end
  return normalize(v)
end

-- Object key order -------------------------------------------------------
-- cjson gives a hash, which loses the order Mautic sorted a keyed list in.
-- These scanners walk the raw text without building values.

local function skip_ws(s, i)
  return (find(s, "[^ \t\r\n]", i)) or #s + 1
end

-- i is at the opening quote; returns the decoded-enough key and the index after it
local function scan_string(s, i)
  local j = i + 1
  local has_escape = false
  while true do
    local q = find(s, '["\\]', j)
    if not q then return nil end
    if byte(s, q) == 92 then -- backslash
      has_escape = true
      j = q + 2
    else
      local raw = sub(s, i + 1, q - 1)
      if has_escape then
        local ok, v = pcall(cjson.decode, '"' .. raw .. '"')
        raw = ok and v or raw
      end
      return raw, q + 1
    end
  end
end

-- i is at the first character of a value; returns the index after it
local function skip_value(s, i)
  local c = byte(s, i)
  if c == 34 then -- "
    local _, j = scan_string(s, i)
    return j
  elseif c == 123 or c == 91 then -- { [
    local depth = 0
    local j = i
    while true do
      local q = find(s, '["{}%[%]]', j)
      if not q then return nil end
      local b = byte(s, q)
      if b == 34 then
        local _, after = scan_string(s, q)
        if not after then return nil end
        j = after
      else
        if b == 123 or b == 91 then depth = depth + 1 else depth = depth - 1 end
        j = q + 1
        if depth == 0 then return j end
      end
    end
  else
    local q = find(s, "[,}%] \t\r\n]", i)
    return q or #s + 1
  end
end

-- Calls fn(key, value_start) for each member of the object starting at i.
local function each_member(s, i, fn)
  if byte(s, i) ~= 123 then return end
  i = skip_ws(s, i + 1)
  if byte(s, i) == 125 then return end
  while i <= #s do
    local key, after = scan_string(s, i)
    if not key then return end
    i = skip_ws(s, after)
    if byte(s, i) ~= 58 then return end -- :
    i = skip_ws(s, i + 1)
    if fn(key, i) then return end
    i = skip_value(s, i)
    if not i then return end
    i = skip_ws(s, i)
    local c = byte(s, i)
    if c ~= 44 then return end -- ,
    i = skip_ws(s, i + 1)
  end
end

--- The keys of the object found under `field` of the top-level object (or
-- of the top-level object itself when field is nil), in the order they
-- appear in the raw text (nil when that value is not an object).
function _M.keys_in_order(raw, field)
  if type(raw) ~= "string" then return nil end
  local start
  if field == nil then
    start = skip_ws(raw, 1)
  else
    each_member(raw, skip_ws(raw, 1), function(key, vi)
      if key == field then start = vi; return true end
    end)
  end
  if not start or byte(raw, start) ~= 123 then return nil end
  local keys = {}
  each_member(raw, start, function(key) keys[#keys + 1] = key end)
  return keys
end

-- Encoding ---------------------------------------------------------------

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
local function escape_char(c)
  return escapes[c] or format("\\u%04x", byte(c))
end

local function encode_string(s)
  return '"' .. gsub(s, '[%c"\\]', escape_char) .. '"'
end

local function encode_number(n)
  if n ~= n or n == huge or n == -huge then
    return nil, "cannot encode " .. tostring(n) .. " as JSON"
  end
  if tointeger and tointeger(n) then return format("%d", tointeger(n)) end
  if n == floor(n) and n > -MAX_EXACT and n < MAX_EXACT then return format("%.0f", n) end
  return format("%.17g", n)
end

-- A table is a JSON array when its keys are exactly 1..n (n >= 1), or when
-- it is marked with json.array.
local function array_length(t)
  local n = #t
  if n == 0 then return getmetatable(t) == array_mt and 0 or nil end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  if count == n then return n end
  return nil
end

local encode_value

local function encode_table(t, out, depth, seen)
  if seen[t] then return nil, "cannot encode a table that contains itself" end
  if depth > 100 then return nil, "cannot encode: nested too deeply" end
  seen[t] = true
  local n = array_length(t)
  if n then
    out[#out + 1] = "["
    for i = 1, n do
      if i > 1 then out[#out + 1] = "," end
      local ok, err = encode_value(t[i], out, depth + 1, seen)
      if not ok then return nil, err end
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do
      local tk = type(k)
      if tk ~= "string" and tk ~= "number" then
        return nil, "cannot encode a table key of type " .. tk
      end
      keys[#keys + 1] = k
    end
    sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      local ks = type(k) == "number" and encode_number(k) or k
      out[#out + 1] = encode_string(ks)
      out[#out + 1] = ":"
      local ok, err = encode_value(t[k], out, depth + 1, seen)
      if not ok then return nil, err end
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
  return true
end

encode_value = function(v, out, depth, seen)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = encode_string(v)
  elseif tv == "number" then
    local s, err = encode_number(v)
    if not s then return nil, err end
    out[#out + 1] = s
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == nil or v == cnull then
    out[#out + 1] = "null"
  elseif tv == "table" then
    return encode_table(v, out, depth, seen)
  else
    return nil, "cannot encode a value of type " .. tv .. " as JSON"
  end
  return true
end

--- Encode a Lua value as JSON text.
-- @treturn[1] string
-- @treturn[2] nil
-- @treturn[2] string what could not be encoded
function _M.encode(v)
  local out = {}
  local ok, err = encode_value(v, out, 0, {})
  if not ok then return nil, err end
  return concat(out)
end

return _M
