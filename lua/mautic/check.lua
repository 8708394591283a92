--- Argument checks shared by the generated functions.
-- They return a message instead of raising, so that the public function
-- can raise it at its caller's line.
local core = require "mautic.core"
local query = require "mautic.query"

local type, tostring, setmetatable, getmetatable = type, tostring, setmetatable, getmetatable
local find, format, match = string.find, string.format, string.match
local floor = math.floor

local _M = {}

local usage_mt = { __tostring = function(e) return e.message end }

--- A usage error to hand back to a public wrapper, which raises it.
function _M.usage(message)
  return setmetatable({ kind = "usage", message = message }, usage_mt)
end

function _M.is_usage(v)
  return getmetatable(v) == usage_mt
end

--- A value as a message shows it: a string quoted, anything else as tostring.
local function describe(v)
  if type(v) == "string" then return format("%q", v) end
  return tostring(v)
end
_M.describe = describe

--- A positive integer id, as a decimal string.
-- @treturn[1] string
-- @treturn[2] nil
-- @treturn[2] string why not
function _M.id(v)
  if type(v) == "number" then
    if v == floor(v) and v >= 1 and v < 2^53 then return query.scalar(v) end
  elseif type(v) == "string" then
    if match(v, "^[1-9]%d*$") and #v < 16 then return v end
  end
  return nil, "positive integer id expected, got " .. (v == nil and "no value" or type(v) .. " " .. describe(v))
end

--- Text that is safe in a header or path: no control characters.
function _M.no_controls(v, what)
  if type(v) ~= "string" then return nil, (what or "value") .. ": string expected, got " .. type(v) end
  if find(v, "[%z\1-\31\127]") then
    return nil, (what or "value") .. " contains a control character"
  end
  return v
end

-- Placeholders that name an id: id, contactId, groupId, utmId, eventId...
local function is_id_name(name)
  return name == "id" or find(name, "Id$") ~= nil
end

--- Check and encode one path parameter.
-- Types: "id" (positive integer), "number" (any finite number, e.g. a
-- points delta), "name" (text, percent-encoded so "../" cannot climb).
function _M.path_param(name, v, typ)
  typ = typ or (is_id_name(name) and "id" or "name")
  if typ == "id" then return _M.id(v) end
  if typ == "number" then
    if type(v) == "string" and tonumber(v) then v = tonumber(v) end
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      return nil, name .. ": number expected, got " .. (v == nil and "no value" or type(v))
    end
    return query.scalar(v)
  end
  if type(v) == "number" then v = query.scalar(v) end
  if type(v) ~= "string" or v == "" then
    return nil, name .. ": non-empty string expected, got " .. (v == nil and "no value" or type(v))
  end
  local ok, msg = _M.no_controls(v, name)
  if not ok then return nil, msg end
  return core.pct_encode(v)
end

--- A sequence of ids for batch calls.
function _M.ids(list)
  if type(list) ~= "table" then return nil, "array of ids expected, got " .. type(list) end
  local out = {}
  for i = 1, #list do
    local id, msg = _M.id(list[i])
    if not id then return nil, format("ids[%d]: %s", i, msg) end
    out[i] = id
  end
  return out
end

--- A sequence of tables (rows for a batch).
function _M.rows(rows, need_id)
  if type(rows) ~= "table" then return nil, "array of tables expected, got " .. type(rows) end
  local n = #rows
  for k in pairs(rows) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= floor(k) then
      return nil, "array of tables expected, got a table with key " .. describe(k)
    end
  end
  for i = 1, n do
    if type(rows[i]) ~= "table" then
      return nil, format("item %d: table expected, got %s", i, type(rows[i]))
    end
    if need_id then
      local _, msg = _M.id(rows[i].id)
      if msg then return nil, format("item %d: %s", i, msg) end
    end
  end
  return rows
end

return _M
