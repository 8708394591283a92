--- Lists of names given either way: "a, b" (a CLI flag, a CSV cell) or
-- { "a", "b" } (Lua). Bulk jobs read their `unique`, `tags` and `fields`
-- options, and a row's `tags`, with it.
local type, ipairs = type, ipairs

local _M = {}

--- The names in `v`: a string split at commas (blanks around each trimmed,
-- empty ones dropped), or an array of strings as given.
-- @param v a string, an array of strings, or nil
-- @tparam string what the option's name, for the message
-- @treturn[1] table|nil the names (nil for nil)
-- @treturn[2] nil
-- @treturn[2] string what is wrong with v
function _M.list(v, what)
  if v == nil then return nil end
  if type(v) == "string" then
    local out = {}
    for s in v:gmatch("[^,]+") do
      s = s:match("^%s*(.-)%s*$")
      if s ~= "" then out[#out + 1] = s end
    end
    return out
  end
  if type(v) ~= "table" then return nil, what .. " must be a string or an array of strings" end
  for i, s in ipairs(v) do
    if type(s) ~= "string" then return nil, ("%s[%d] must be a string"):format(what, i) end
  end
  return v
end

return _M
