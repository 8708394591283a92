-- Listing: search, where[], published (not publishedOnly, which Mautic ignores), orderBy/orderByDir, start/limit,
-- as Mautic's CommonApiController::getEntitiesAction does it.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"

local null = json.null
local _M = {}

-- SQL LIKE (case-insensitive, % and _) -> Lua pattern
function _M.like_pattern(s)
  s = tostring(s):lower()
  local out = { "^" }
  for ch in s:gmatch(".") do
    if ch == "%" then out[#out + 1] = ".*"
    elseif ch == "_" then out[#out + 1] = "."
    elseif ch:match("%p") then out[#out + 1] = "%" .. ch
    else out[#out + 1] = ch end
  end
  out[#out + 1] = "$"
  return table.concat(out)
end

function _M.like(v, pat)
  if v == nil or v == null then return false end
  return tostring(v):lower():find(_M.like_pattern(pat)) ~= nil
end

local function cmp_values(a, b)
  -- nulls first (MySQL), numbers numerically, strings case-insensitively
  local an, bn = (a == nil or a == null), (b == nil or b == null)
  if an or bn then
    if an and bn then return 0 end
    return an and -1 or 1
  end
  local na, nb = tonumber(a), tonumber(b)
  if type(a) == "number" or type(b) == "number" then
    if na and nb then return na < nb and -1 or (na > nb and 1 or 0) end
  end
  if type(a) == "boolean" then a = a and 1 or 0 end
  if type(b) == "boolean" then b = b and 1 or 0 end
  local sa, sb = tostring(a):lower(), tostring(b):lower()
  if sa < sb then return -1 elseif sa > sb then return 1 end
  return 0
end
_M.cmp = cmp_values

local function eq(a, b)
  if a == nil or a == null then return b == nil or b == null end
  return cmp_values(a, b) == 0
end

local function where_ok(v, expr, val)
  expr = tostring(expr or "eq")
  if expr == "eq" then return eq(v, val)
  elseif expr == "neq" then return not eq(v, val) and v ~= nil and v ~= null
  elseif expr == "lt" then return v ~= null and v ~= nil and cmp_values(v, val) < 0
  elseif expr == "lte" then return v ~= null and v ~= nil and cmp_values(v, val) <= 0
  elseif expr == "gt" then return v ~= null and v ~= nil and cmp_values(v, val) > 0
  elseif expr == "gte" then return v ~= null and v ~= nil and cmp_values(v, val) >= 0
  elseif expr == "like" then return _M.like(v, val)
  elseif expr == "notLike" then return v ~= nil and v ~= null and not _M.like(v, val)
  elseif expr == "in" or expr == "notIn" then
    local vals = type(val) == "table" and util.list(val) or util.split(val or "", ",")
    local found = false
    for _, x in ipairs(vals) do if eq(v, x) then found = true end end
    if expr == "in" then return found end
    return not found and v ~= nil and v ~= null
  elseif expr == "isNull" then return v == nil or v == null
  elseif expr == "isNotNull" then return v ~= nil and v ~= null
  elseif expr == "isEmpty" then return v == nil or v == null or v == ""
  elseif expr == "isNotEmpty" then return v ~= nil and v ~= null and v ~= ""
  elseif expr == "between" or expr == "notBetween" then
    local vals = type(val) == "table" and util.list(val) or util.split(val or "", ",")
    local inside = v ~= nil and v ~= null and cmp_values(v, vals[1]) >= 0 and cmp_values(v, vals[2]) <= 0
    if expr == "between" then return inside end
    return not inside
  end
  return nil
end

local function where_match(F, impl, row, w, cols)
  local expr = w.expr or "eq"
  if expr == "andX" or expr == "orX" then
    local subs = util.list(w.val)
    local any, all = false, true
    for _, s in ipairs(subs) do
      local ok = where_match(F, impl, row, s, cols)
      if ok == nil then return nil end
      any = any or ok; all = all and ok
    end
    if expr == "andX" then return all end
    return any
  end
  local col = w.col
  if type(col) ~= "string" then return nil end
  col = col:gsub("^%w+%.", "")     -- "l.email" -> "email"
  if not cols[col] then return nil end
  return where_ok(impl.value(F, row, col), expr, w.val)
end

-- The `ids:1,2,3` search command, which Mautic's common repository gives every
-- family: -> set of ids (or nil when the search has none), the rest of the search
-- (nil when empty). `!ids:` excludes.
function _M.take_ids(search)
  if type(search) ~= "string" then return nil, search end
  local keep, rest, found = nil, {}, false
  local exclude = {}
  for tok in search:gmatch("%S+") do
    local neg, list = tok:match("^(!?)[iI][dD][sS]:(.*)$")
    if neg then
      found = true
      local set = {}
      for _, id in ipairs(util.split(list, ",")) do
        local n = util.int(id)
        if n then set[n] = true end
      end
      if neg == "!" then
        for n in pairs(set) do exclude[n] = true end
      elseif keep then
        for n in pairs(keep) do if not set[n] then keep[n] = nil end end
      else
        keep = set
      end
    else
      rest[#rest + 1] = tok
    end
  end
  if not found then return nil, search end
  local rest_s = table.concat(rest, " ")
  return { keep = keep, exclude = exclude }, rest_s ~= "" and rest_s or nil
end

function _M.ids_match(ids, id)
  id = tonumber(id)
  if ids.keep and not ids.keep[id] then return false end
  return not ids.exclude[id]
end

-- args.search, trimmed -> the ids: command (or nil), the free text (or nil)
local function read_search(args)
  local search = args.search
  if type(search) ~= "string" then search = nil end
  if search then search = search:match("^%s*(.-)%s*$") end
  if search == "" then search = nil end
  return _M.take_ids(search)
end

-- nil when a filter cannot be run on the row: Mautic's query fails (500)
local function row_passes(F, impl, row, q)
  if q.published and F.path ~= "contacts" and F.path ~= "companies" then
    local p = impl.value(F, row, "isPublished")
    if p ~= nil and p ~= true then return false end
  end
  if q.ids and not _M.ids_match(q.ids, impl.value(F, row, "id")) then return false end
  if q.search then
    local m = impl.matches(F, row, q.search)
    if m == nil then return nil end
    if not m then return false end
  end
  for _, w in ipairs(q.wheres) do
    local m = where_match(F, impl, row, w, q.cols)
    if m == nil then return nil end
    if not m then return false end
  end
  return true
end

local function filter_rows(F, impl, rows, q)
  local out = {}
  for _, row in ipairs(rows) do
    local ok = row_passes(F, impl, row, q)
    if ok == nil then return nil, responses.uncaught(500) end
    if ok then out[#out + 1] = row end
  end
  return out
end

-- orderBy (else the family's order, else as given) and orderByDir; equal values keep
-- their order (table.sort is not stable on its own)
local function sort_rows(F, impl, out, args, cols)
  local orderBy = args.orderBy
  if (type(orderBy) ~= "string" or orderBy == "") and F.order then orderBy = F.order end
  if type(orderBy) ~= "string" or orderBy == "" then return true end
  local col = orderBy:gsub("^%w+%.", "")
  if not cols[col] then return nil, responses.uncaught(500) end
  local desc = type(args.orderByDir) == "string" and args.orderByDir:lower() == "desc"
  local keyed = {}
  for i, row in ipairs(out) do keyed[i] = { row = row, v = impl.value(F, row, col), i = i } end
  table.sort(keyed, function(a, b)
    local c = cmp_values(a.v, b.v)
    if c == 0 then return a.i < b.i end
    if desc then return c > 0 end
    return c < 0
  end)
  for i, k in ipairs(keyed) do out[i] = k.row end
  return true
end

-- start/limit (limit=0: every row) -> page, total
local function page_of(out, args, opts)
  local total = #out
  local start = util.int(args.start) or 0
  if start < 0 then start = 0 end
  local limit = util.int(args.limit)
  if limit == nil then limit = opts.default_limit or config.get("default_limit") or 30 end
  local page = {}
  local last = (limit == 0) and total or math.min(total, start + limit)
  for i = start + 1, last do page[#page + 1] = out[i] end
  return page, total
end

-- returns page (array of rows), total | nil, error response
function _M.run(F, impl, rows, args, opts)
  opts = opts or {}
  local cols = impl.columns(F)
  local ids, search = read_search(args)
  local wheres = util.list(args.where)
  for _, w in ipairs(wheres) do
    if type(w) ~= "table" then return nil, responses.uncaught(500) end
  end
  local q = { ids = ids, search = search, wheres = wheres, cols = cols,
              published = util.truthy(args.published) }   -- what Mautic reads; publishedOnly is ignored
  local out, err = filter_rows(F, impl, rows, q)
  if not out then return nil, err end
  local sorted, serr = sort_rows(F, impl, out, args, cols)
  if not sorted then return nil, serr end
  return page_of(out, args, opts)
end

-- the list answer: {"total": N, "<list>": [..] | {"id": ..}}
function _M.list_body(F, page, total, serialize)
  local body = json.obj()
  body.total = F.string_total and tostring(total) or total
  local items
  if #page == 0 then
    items = F.string_total and json.obj() or json.A{}
  elseif F.keyed then
    items = json.obj()
    for _, row in ipairs(page) do
      local e = serialize(row)
      items[tostring(e.id)] = e
    end
  else
    items = json.A{}
    for _, row in ipairs(page) do items[#items + 1] = serialize(row) end
  end
  body[F.list] = items
  return body
end

return _M
