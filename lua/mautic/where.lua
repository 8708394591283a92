--- Building `where` and `order` filters for list and stats queries.
--
--   local W = require "mautic.where"
--   api.contacts.list{ where = {
--     W.like("email", "%@example.com"),
--     W.in_("id", { 1, 2, 3 }),
--     W.orX{ W.isNull("phone"), W.eq("phone", "") },
--   } }
--   api.stats.rows("email_stats", { order = W.order{ { col = "id", dir = "desc" } },
--                                   where = W.where():gt("id", 3):isNotNull("date_read") })
--
-- Each function returns a plain table { col =, expr =, val = } (andX/orX:
-- { expr =, val = { clauses } }) that mautic.encode_query writes as
-- where[0][col]=...&where[0][expr]=...&where[0][val]=..., which is how
-- Mautic 5's CommonRepository::buildWhereClauseFromArray reads it:
--   * in / notIn: the value must be ONE string, which Mautic runs through
--     html_entity_decode and then str_getcsv(',', '"'); an array would make
--     PHP fail (500). A Lua array is therefore written as CSV, quoting items
--     that hold a comma, a quote or leading/trailing blanks, and with "&"
--     written as "&amp;" so that html_entity_decode gives it back unchanged.
--   * between / notBetween: val is a two-element array (val[0], val[1]).
--   * isNull / isNotNull / isEmpty / isNotEmpty: no value.
-- Mautic strips anything but letters, digits, "_" and "." from a column
-- name; here such a name is refused instead of being silently changed.
-- Bad arguments raise at the caller's line, before any request is made.
local query = require "mautic.query"
local describe = require("mautic.check").describe

local type, pairs, ipairs, tostring, error, select = type, pairs, ipairs, tostring, error, select
local setmetatable, getmetatable = setmetatable, getmetatable
local format, find, gsub, upper = string.format, string.find, string.gsub, string.upper
local concat = table.concat

local _M = {}

local COLUMN_VALUE = {
  eq = true, neq = true, lt = true, lte = true, gt = true, gte = true, like = true, notLike = true,
}
local LIST = { ["in"] = true, notIn = true }
local RANGE = { between = true, notBetween = true }
local JUST_COLUMN = { isNull = true, isNotNull = true, isEmpty = true, isNotEmpty = true }
local COMPOSITE = { andX = true, orX = true }

--- Every expression Mautic understands, for reference.
_M.expressions = {}
for _, set in ipairs{ COLUMN_VALUE, LIST, RANGE, JUST_COLUMN, COMPOSITE } do
  for k in pairs(set) do _M.expressions[k] = true end
end

local function check_col(col)
  if type(col) ~= "string" or col == "" then
    return nil, "col: column name (string) expected, got " .. (col == nil and "no value" or type(col))
  end
  if not find(col, "^[%w_]+$") and not find(col, "^[%w_]+%.[%w_]+$") then
    return nil, "col: " .. describe(col) .. " is not a column name (letters, digits, '_', one optional '.')"
  end
  return true
end

local function is_scalar(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean"
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
  end
  return true, n
end

-- One item of an in/notIn list, as str_getcsv will read it back.
local function csv_item(v, i)
  if not is_scalar(v) then
    return nil, format("val[%d]: string, number or boolean expected, got %s", i, type(v))
  end
  local s = query.scalar(v)
  if find(s, '\\"', 1, true) then
    return nil, format("val[%d]: a backslash before a quote cannot be sent through str_getcsv", i)
  end
  if s == "" or find(s, '[,"\r\n]') or find(s, "^%s") or find(s, "%s$") then
    s = '"' .. gsub(s, '"', '""') .. '"'
  end
  return s
end

--- The string Mautic needs for an in/notIn list.
-- @param list a Lua array of scalars, or a string used as it is
-- @treturn[1] string
-- @treturn[2] nil
-- @treturn[2] string why not
function _M.csv(list)
  if type(list) == "string" then
    if list == "" then return nil, "val: empty list" end
    return list
  end
  local ok, n = is_array(list)
  if not ok then
    return nil, "val: array of values or a comma-separated string expected, got " .. type(list)
  end
  if n == 0 then return nil, "val: empty list (Mautic would compare with NULL)" end
  local items = {}
  for i = 1, n do
    local s, msg = csv_item(list[i], i)
    if not s then return nil, msg end
    items[i] = s
  end
  return (gsub(concat(items, ","), "&", "&amp;"))
end

local check_clause

local function check_list(clauses, path)
  local ok, n = is_array(clauses)
  if not ok then
    return nil, (path or "where") .. ": array of clauses expected, got " ..
      (type(clauses) == "table" and "a table with non-array keys" or type(clauses))
  end
  for i = 1, n do
    local good, msg = check_clause(clauses[i], format("%s[%d]", path or "where", i))
    if not good then return nil, msg end
  end
  return true
end

--- Check one clause as Mautic would read it (col/column, val/value).
function check_clause(c, path)
  path = path or "clause"
  if type(c) ~= "table" then return nil, path .. ": table expected, got " .. type(c) end
  local expr = c.expr
  if type(expr) ~= "string" then
    return nil, path .. ": expr missing"
  end
  if not _M.expressions[expr] then
    return nil, path .. ": unknown expr " .. describe(expr) ..
      " (eq neq lt lte gt gte like notLike in notIn between notBetween isNull isNotNull isEmpty isNotEmpty andX orX)"
  end
  if COMPOSITE[expr] then
    if c.val == nil then return nil, path .. ": " .. expr .. " needs val = { clauses }" end
    local ok, n = is_array(c.val)
    if not ok or n == 0 then return nil, path .. ": " .. expr .. " needs a non-empty array of clauses in val" end
    return check_list(c.val, path .. ".val")
  end
  local ok, msg = check_col(c.col or c.column)
  if not ok then return nil, path .. ": " .. msg end
  local val = c.val
  if val == nil then val = c.value end
  if COLUMN_VALUE[expr] then
    if not is_scalar(val) then
      return nil, format("%s: %s needs a string, number or boolean val, got %s", path, expr,
        val == nil and "no value" or type(val))
    end
  elseif LIST[expr] then
    if type(val) ~= "string" then
      return nil, format("%s: %s needs val as one comma-separated string (use W.in_ to build it from an array), got %s",
        path, expr, val == nil and "no value" or type(val))
    end
    if val == "" then return nil, path .. ": " .. expr .. " needs a non-empty val" end
  elseif RANGE[expr] then
    local arr, n = is_array(val)
    if not arr or n ~= 2 or not is_scalar(val[1]) or not is_scalar(val[2]) then
      return nil, path .. ": " .. expr .. " needs val = { from, to }"
    end
  elseif JUST_COLUMN[expr] then
    if val ~= nil and val ~= "" then
      return nil, path .. ": " .. expr .. " takes no val"
    end
  end
  return true
end
_M.check_clause = check_clause

--- Check a whole `where` array.
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string what is wrong
function _M.check(where)
  return check_list(where, "where")
end

--- Check an `order` array ({ { col =, dir = } }).
function _M.check_order(order)
  local ok, n = is_array(order)
  if not ok or n == 0 then return nil, "array of { col =, dir = } expected" end
  for i = 1, n do
    local o = order[i]
    if type(o) ~= "table" then return nil, format("order[%d]: table expected, got %s", i, type(o)) end
    local good, msg = check_col(o.col)
    if not good then return nil, format("order[%d]: %s", i, msg) end
    if o.dir ~= nil and (type(o.dir) ~= "string" or (upper(o.dir) ~= "ASC" and upper(o.dir) ~= "DESC")) then
      return nil, format("order[%d]: dir must be ASC or DESC, got %s", i, describe(o.dir))
    end
  end
  return true
end

-- Raise at the line that called the public function.
local function raise(name, msg)
  error(format("bad argument to 'where.%s' (%s)", name, msg), 3)
end

local function column_value(expr)
  return function(col, val)
    local ok, msg = check_col(col)
    if not ok then raise(expr, msg) end
    if not is_scalar(val) then
      raise(expr, "val: string, number or boolean expected, got " .. (val == nil and "no value" or type(val)))
    end
    return { col = col, expr = expr, val = val }
  end
end

for expr in pairs(COLUMN_VALUE) do _M[expr] = column_value(expr) end

local function list_expr(expr)
  return function(col, list)
    local ok, msg = check_col(col)
    if not ok then raise(expr, msg) end
    local s, why = _M.csv(list)
    if not s then raise(expr, why) end
    return { col = col, expr = expr, val = s }
  end
end
_M["in"] = list_expr("in")
_M.in_ = _M["in"]
_M.notIn = list_expr("notIn")

local function range_expr(expr)
  return function(col, a, b)
    local ok, msg = check_col(col)
    if not ok then raise(expr, msg) end
    if type(a) == "table" and b == nil then a, b = a[1], a[2] end
    if not is_scalar(a) or not is_scalar(b) then
      raise(expr, "from and to: two strings or numbers expected (or one { from, to } table)")
    end
    return { col = col, expr = expr, val = { a, b } }
  end
end
_M.between = range_expr("between")
_M.notBetween = range_expr("notBetween")

local function column_only(expr)
  return function(col, extra)
    local ok, msg = check_col(col)
    if not ok then raise(expr, msg) end
    if extra ~= nil then raise(expr, "takes only a column") end
    return { col = col, expr = expr }
  end
end
for expr in pairs(JUST_COLUMN) do _M[expr] = column_only(expr) end

local function composite(expr)
  return function(first, ...)
    local clauses
    if type(first) == "table" and first.expr == nil and select("#", ...) == 0 then
      clauses = first                     -- andX{ a, b }
    else
      clauses = { first, ... }            -- andX(a, b)
    end
    local ok, n = is_array(clauses)
    if not ok or n == 0 then raise(expr, "a non-empty array of clauses expected") end
    local good, msg = check_list(clauses, expr)
    if not good then raise(expr, msg) end
    local copy = {}
    for i = 1, n do copy[i] = clauses[i] end
    return { expr = expr, val = copy }
  end
end
_M.andX = composite("andX")
_M.orX = composite("orX")

--- order{ { col =, dir = } ... } (or order("col", "desc") for one column):
-- the `order` parameter of stats and other array-ordered queries.
function _M.order(list, dir)
  if type(list) == "string" then list = { { col = list, dir = dir } } end
  local ok, msg = _M.check_order(list)
  if not ok then error("bad argument #1 to 'where.order' (" .. msg .. ")", 2) end
  local out = {}
  for i, o in ipairs(list) do
    out[i] = { col = o.col, dir = o.dir and upper(o.dir) or "ASC" }
  end
  return out
end

-- A chain: W.where():eq("a", 1):isNull("b") is an array of clauses whose
-- methods live in the metatable, so encoding it sends just the clauses.
local Chain = {}
local chain_mt = { __index = Chain, __name = "mautic.where" }

for name in pairs(_M.expressions) do
  local build = _M[name]
  Chain[name] = function(self, ...)
    if getmetatable(self) ~= chain_mt then
      error("call where-chain methods with a colon: w:" .. name .. "(...)", 2)
    end
    -- re-raise from the builder at the caller's line
    local ok, clause = pcall(build, ...)
    if not ok then error((gsub(tostring(clause), "^[^:]+:%d+: ", "")), 2) end
    self[#self + 1] = clause
    return self
  end
end
Chain.in_ = Chain["in"]

--- Start a chain; optional clauses to begin with.
function _M.where(...)
  local w = setmetatable({}, chain_mt)
  for i = 1, select("#", ...) do
    local c = select(i, ...)
    local ok, msg = check_clause(c, format("clause %d", i))
    if not ok then error("bad argument #" .. i .. " to 'where.where' (" .. msg .. ")", 2) end
    w[#w + 1] = c
  end
  return w
end

return _M
