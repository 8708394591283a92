--- Options tables, checked in one place.
-- Every function of the library that takes an options table checks it
-- against a schema: a key it does not know, or a value of the wrong kind,
-- is a usage error raised at the caller's line that names the function and,
-- for a misspelled key, the nearest known one:
--   bad argument #1 to 'new' (unknown option 'timout'; did you mean 'timeout'?)
-- A schema maps each known key to a check: a type name ("string",
-- "number", "boolean", "function", "table", "any") or a function
-- `check(v) -> true | nil, "what was expected"` (see the `is_*` makers).
local type, pairs, ipairs, tostring, error, select = type, pairs, ipairs, tostring, error, select
local floor, huge, min = math.floor, math.huge, math.min
local sort, concat = table.sort, table.concat
local format, sub, lower = string.format, string.sub, string.lower

local _M = {}

-- Did you mean ----------------------------------------------------------------

--- Edit distance between two names (Damerau-Levenshtein, optimal string
-- alignment: a swap of two neighbours counts one), case ignored.
function _M.distance(a, b)
  a, b = lower(a), lower(b)
  local la, lb = #a, #b
  if la == 0 then return lb end
  if lb == 0 then return la end
  local prev2, prev = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = { [0] = i }
    local ca = sub(a, i, i)
    for j = 1, lb do
      local cb = sub(b, j, j)
      local cost = ca == cb and 0 or 1
      local d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if i > 1 and j > 1 and ca == sub(b, j - 1, j - 1) and sub(a, i - 1, i - 1) == cb then
        d = min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
    end
    prev2, prev = prev, cur
  end
  return prev[lb]
end

--- The known names closest to `name` (at most `n`, 3), all at the smallest
-- distance found, within 1 edit for a name of up to 4 letters, 2 up to 8, 3 beyond.
-- @param name what was given
-- @param known an array of names, or a set (name -> anything)
function _M.nearest(name, known, n)
  if type(name) ~= "string" then return {} end
  local list = {}
  if #known > 0 then
    for _, k in ipairs(known) do list[#list + 1] = k end
  else
    for k in pairs(known) do if type(k) == "string" then list[#list + 1] = k end end
  end
  -- how many edits a misspelling may hold: 1 in a short name, up to 3 in a long one
  local limit = #name <= 4 and 1 or #name <= 8 and 2 or 3
  local scored, best = {}, huge
  for _, k in ipairs(list) do
    local d = _M.distance(name, k)
    if d <= limit and d < #k then
      scored[#scored + 1] = { k, d }
      if d < best then best = d end
    end
  end
  sort(scored, function(x, y)
    if x[2] ~= y[2] then return x[2] < y[2] end
    return x[1] < y[1]
  end)
  -- only the closest: "search", not also "select", for "serach"
  local out = {}
  for _, e in ipairs(scored) do
    if e[2] > best or #out >= (n or 3) then break end
    out[#out + 1] = e[1]
  end
  return out
end

--- "; did you mean 'x'?" (or "'x' or 'y'"), or "" when nothing is close.
function _M.hint(name, known)
  local near = _M.nearest(name, known, 2)
  if #near == 0 then return "" end
  local quoted = {}
  for i, k in ipairs(near) do quoted[i] = "'" .. k .. "'" end
  return "; did you mean " .. concat(quoted, " or ") .. "?"
end

-- Checks ----------------------------------------------------------------------

local function finite(v) return type(v) == "number" and v == v and v ~= huge and v ~= -huge end

--- A number of seconds >= 0 (0: none).
function _M.is_seconds(v)
  if finite(v) and v >= 0 then return true end
  return nil, "a number of seconds >= 0"
end

--- A number of seconds > 0.
function _M.is_positive_seconds(v)
  if finite(v) and v > 0 then return true end
  return nil, "a number of seconds > 0"
end

--- An integer >= least.
function _M.is_int(least)
  return function(v)
    if finite(v) and v == floor(v) and v >= least then return true end
    return nil, "an integer >= " .. least
  end
end

--- One of the given values.
function _M.is_one_of(...)
  local allowed, shown = {}, {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    allowed[v] = true
    shown[#shown + 1] = type(v) == "string" and format("%q", v) or tostring(v)
  end
  return function(v)
    if allowed[v] then return true end
    return nil, concat(shown, ", ", 1, #shown - 1) .. (#shown > 1 and " or " or "") .. shown[#shown]
  end
end

--- A non-empty string.
function _M.is_text(v)
  if type(v) == "string" and v ~= "" then return true end
  return nil, "a non-empty string"
end

--- Any of several checks.
function _M.is_either(...)
  local checks = { ... }
  return function(v)
    local wants = {}
    for _, c in ipairs(checks) do
      local ok, want = _M.run(c, v)
      if ok then return true end
      wants[#wants + 1] = want
    end
    return nil, concat(wants, " or ")
  end
end

local TYPE_WORDS = { string = "a string", number = "a number", boolean = "a boolean", ["function"] = "a function",
                     table = "a table" }

--- Run one check on a value: true, or nil and what was expected.
function _M.run(check, v)
  if check == "any" then return true end
  if type(check) == "string" then
    if type(v) == check then return true end
    return nil, TYPE_WORDS[check] or check
  end
  return check(v)
end

local function describe(v)
  if type(v) == "string" then
    if #v > 40 then v = sub(v, 1, 37) .. "..." end
    return format("%q", v)
  end
  if type(v) == "table" or type(v) == "function" or type(v) == "userdata" then return "a " .. type(v) end
  return tostring(v)
end
_M.describe = describe

--- Is `v` an options table that fits `schema`? Returns it (a new empty table
-- for nil) or nil and the message of the usage error, "bad argument #pos to
-- 'fname' (...)".
-- @tparam string fname the function as the caller knows it ('new', 'contacts.import')
-- @tparam number pos the argument's position
-- @param opts the table given (nil: no options)
-- @tparam table schema key -> check
-- @tparam[opt] string what "option" (default) or another word for the keys ("query parameter")
-- @tparam[opt] table also more names to suggest from (a verb's options, for its query)
-- @tparam[opt] string prefix how values name the table's keys ("tls." gives "tls.verify: ...")
function _M.problem(fname, pos, opts, schema, what, also, prefix)
  if opts == nil then return {} end
  local head = format("bad argument #%d to '%s' (", pos, fname)
  if type(opts) ~= "table" then
    return nil, head .. "options table expected, got " .. type(opts) .. ")"
  end
  -- keys in a stable order, so the first complaint is the same every run
  local keys = {}
  for k in pairs(opts) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local check = type(k) == "string" and schema[k]
    if not check then
      return nil, head .. format("unknown %s %s", what or "option", type(k) == "string" and ("'" .. k .. "'")
        or describe(k)) .. _M.hint(k, also and _M.merge(schema, also) or schema) .. ")"
    end
    local ok, want = _M.run(check, opts[k])
    if not ok then
      return nil, head .. format("%s%s: %s expected, got %s", prefix or "", k, want, describe(opts[k])) .. ")"
    end
  end
  return opts
end

--- Check an options table and raise the usage error at `level` (1: the
-- function calling check; 2: its caller...). Returns the table (an empty
-- one for nil).
function _M.check(fname, pos, opts, schema, level, what, prefix)
  local o, msg = _M.problem(fname, pos, opts, schema, what, nil, prefix)
  if not o then error(msg, (level or 1) + 1) end
  return o
end

--- What every API call takes as options (a verb's last argument, each's
-- second, a batch's second): per request timeout, retries, and a deadline
-- for the whole call.
_M.CALL = {
  timeout = _M.is_seconds,      -- each request of the call (0: none)
  retries = _M.is_int(0),
  deadline = _M.is_seconds,     -- the call in all, retries and waits included (0: none)
}

--- What the writes of contacts and companies take besides (mautic.fields).
_M.FIELDS = { strict_fields = _M.is_one_of(true, false, "warn") }

--- A schema made of several (later ones win).
function _M.merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do out[k] = v end
  end
  return out
end

return _M
