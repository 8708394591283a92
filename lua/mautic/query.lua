--- Query strings and form bodies the way PHP writes and reads them.
-- Nested tables become bracketed names (`where[0][col]=phone`), Lua
-- sequences are numbered from 0 as PHP lists are, booleans are sent as 1
-- and 0 (Mautic reads the string "false" as true), and every name and value
-- is percent-encoded with RFC 3986's unreserved set, so `+` travels as %2B.
local core = require "mautic.core"

local type, pairs, ipairs, tostring = type, pairs, ipairs, tostring
local concat, sort = table.concat, table.sort
local format, floor = string.format, math.floor
local tointeger = math.tointeger
local pct_encode = core.pct_encode

local _M = {}

_M.encode_component = pct_encode

--- A scalar as PHP would print it: integers without ".0", true as 1, false
-- as 0, other floats with PHP's default precision of 14 digits (0.1 -> "0.1").
function _M.scalar(v)
  local tv = type(v)
  if tv == "boolean" then return v and "1" or "0" end
  if tv == "number" then
    if tointeger and tointeger(v) then return format("%d", tointeger(v)) end
    if v == floor(v) and v > -2^53 and v < 2^53 then return format("%.0f", v) end
    return format("%.14g", v)
  end
  if tv == "string" then return v end
  return nil
end
local scalar = _M.scalar

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- Keys in a stable order: a sequence by index, anything else sorted.
local function ordered_keys(t)
  local keys = {}
  if is_sequence(t) then
    for i = 1, #t do keys[i] = i end
    return keys, true
  end
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta == tb and ta == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys, false
end

--- Flatten a table into a list of `{name, value}` pairs with PHP bracket names.
-- Empty tables vanish, as they do in http_build_query.
-- @raise on values that cannot be sent (functions, userdata)
function _M.pairs_of(t)
  local out = {}
  local function walk(prefix, v)
    local tv = type(v)
    if tv == "table" then
      local keys, seq = ordered_keys(v)
      for _, k in ipairs(keys) do
        local name = seq and (k - 1) or k
        name = scalar(name) or tostring(name)
        walk(prefix and (prefix .. "[" .. name .. "]") or name, v[k])
      end
    else
      local s = scalar(v)
      if s == nil then
        error("cannot send a " .. tv .. " value for '" .. tostring(prefix) .. "'", 0)
      end
      out[#out + 1] = { prefix, s }
    end
  end
  if t ~= nil then walk(nil, t) end
  return out
end

--- Encode a table as a query string or form body (no leading "?").
-- @usage mautic.encode_query{ search = "email:%@x.org", where = { { col = "id", expr = "gt", val = 5 } } }
-- --> "search=email%3A%25%40x.org&where%5B0%5D%5Bcol%5D=id&where%5B0%5D%5Bexpr%5D=gt&where%5B0%5D%5Bval%5D=5"
function _M.encode(t)
  local parts = {}
  for i, pair in ipairs(_M.pairs_of(t)) do
    parts[i] = pct_encode(pair[1]) .. "=" .. pct_encode(pair[2])
  end
  return concat(parts, "&")
end

--- Decode a flat query string or form body into a table (names kept as
-- written, "+" read as a space). Used for OAuth answers and redirects.
function _M.decode(qs, into)
  into = into or {}
  for pair in (qs or ""):gmatch("[^&]+") do
    local name, value = pair:match("^([^=]*)=?(.*)$")
    name = core.pct_decode((name:gsub("+", " "))) or name
    value = core.pct_decode((value:gsub("+", " "))) or value
    into[name] = value
  end
  return into
end

return _M
