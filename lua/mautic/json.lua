--- JSON for the Mautic wire format.
-- Decoding is done in one pass by the C core (`core.json_decode`, see
-- src/json_decode.c), which gives the shape Mautic's answers need:
-- integral numbers are Lua integers (so ids print as "5", not "5.0"), JSON
-- nulls inside objects are dropped so that `if c.phone then` means what it
-- says, nulls inside arrays keep their place as `json.null`, and arrays
-- (empty ones too) carry the `json.array` mark, so they encode back as
-- arrays. It also notes the key order of the top-level object and of the
-- objects directly under it (`json.order`): Mautic sorts a list keyed by id
-- (`{"contacts":{"12":{...},"5":{...}}}`) and a Lua table forgets that order.
--
-- Encoding is done here: the output is deterministic (object keys sorted),
-- an empty table can be sent as `[]` when marked with `json.array`, and
-- integral floats are written without ".0" as PHP would.
local core = require "mautic.core"

local type, pairs, ipairs, next, tostring = type, pairs, ipairs, next, tostring
local setmetatable, getmetatable = setmetatable, getmetatable
local floor, huge = math.floor, math.huge
local tointeger = math.tointeger
local concat, sort = table.concat, table.sort
local byte, format, gsub = string.byte, string.format, string.gsub
local cdecode = core.json_decode

local _M = {}

local cnull = core.json_null
--- The value that stands for a JSON null inside arrays (and that encodes as
-- null): a NULL light userdata, the same value as lua-cjson's `cjson.null`.
_M.null = cnull

-- shared with the C decoder, which marks every array it makes with it
local array_mt = core.json_array_mt

--- Mark a table so it encodes as a JSON array even when empty.
function _M.array(t)
  return setmetatable(t or {}, array_mt)
end

function _M.is_array_marked(t)
  return getmetatable(t) == array_mt
end

-- Largest float that is still exactly an integer.
local MAX_EXACT = 2 ^ 53

-- decoded object -> its keys in document order; weak, so it never keeps a
-- decoded answer alive
local order_of = setmetatable({}, { __mode = "k" })

--- Decode a JSON text.
-- Malformed text (truncated, a bad escape or surrogate, text after the
-- value, nesting deeper than 1000, a number too large for a double) is an
-- error. Bytes that are not valid UTF-8 are kept as they are.
-- @tparam string s the text
-- @tparam[opt] string field a member of the top-level object whose keys are wanted in order
-- @treturn[1] the value, integers normalised, object nulls dropped, arrays marked
-- @treturn[1] table with `field`: the keys of that member in document order (nil when it
--   is not an object)
-- @treturn[2] nil
-- @treturn[2] string what is wrong, with its byte offset
function _M.decode(s, field)
  if type(s) ~= "string" then return nil, "expected a string to decode" end
  if field ~= nil then return cdecode(s, field) end
  return cdecode(s, order_of)
end

--- Decode a JSON text as `json.decode` does, except that identical leaf
-- objects (members, no object inside, no array but empty ones) are one
-- table: in an answer with many entities of one kind, such as a page or a
-- batch of contacts, the field definitions that repeat (every empty field's
-- is the same text in each contact) are decoded once. That is most of a
-- contact, so the answer costs about a quarter of the memory and less CPU.
-- The price: such a table is shared between entities, so change a copy,
-- not the table itself. Used for answers of lists and batches.
function _M.decode_shared(s)
  if type(s) ~= "string" then return nil, "expected a string to decode" end
  return cdecode(s, order_of, true)
end

--- The keys of an object that `json.decode` made, in the order of the text:
-- known for the top-level object and for each object directly under it that
-- has two members or more (with one or none, order cannot matter); nil
-- otherwise. Keys with a null value are listed too.
function _M.order(t)
  return order_of[t]
end

--- The keys of the object found under `field` of the top-level object (or
-- of the top-level object itself when field is nil), in the order they
-- appear in the raw text (nil when that value is not an object, or when the
-- text is not JSON).
function _M.keys_in_order(raw, field)
  if type(raw) ~= "string" then return nil end
  if field ~= nil then
    local v, keys = cdecode(raw, field)
    return v ~= nil and keys or nil
  end
  local order = {}
  local v = cdecode(raw, order)
  if type(v) ~= "table" or getmetatable(v) == array_mt then return nil end
  if order[v] then return order[v] end
  local k = next(v)            -- one member or none
  return { k }
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
