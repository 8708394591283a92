--- Lists as Mautic sends them, made regular.
-- Mautic answers a list as `{"total": N, "<key>": ...}` where the items may
-- be an array, an object keyed by id (in the server's sort order), `[]` or
-- `{}`, and `total` may be a number or a string. Callers always get
-- `{ total = <integer>, items = <array in server order> }`.
local json = require "mautic.json"
local options = require "mautic.options"
local W = require "mautic.where"

local type, pairs, ipairs, next, tonumber, tostring = type, pairs, ipairs, next, tonumber, tostring
local floor = math.floor
local sort = table.sort

local _M = {}

local function to_integer(v)
  local n = tonumber(v)
  if not n then return nil end
  n = floor(n)
  return math.tointeger and math.tointeger(n) or n
end
_M.to_integer = to_integer

--- The values of a decoded JSON object or array, in the order of the raw text.
-- An array is copied as it is; an object keyed by id gives its values in the
-- order `json.decode` noted for it (no rescan of the text). Only a value that
-- `json.decode` did not make has its order read from `raw` (one more decode,
-- in C); without either, keys are taken in numeric order.
-- @param value the decoded value under `key`
-- @param raw the raw body, to recover object key order
-- @param key the field of the top-level object holding the value
function _M.values_in_order(value, raw, key)
  if type(value) ~= "table" then return {} end
  local n = #value
  if n > 0 or next(value) == nil then
    local out = {}
    for i = 1, n do out[i] = value[i] end
    return out
  end
  local k1, v1 = next(value)
  if next(value, k1) == nil then return { v1 } end   -- one member: order cannot matter
  local out = {}
  local keys = json.order(value)
  if not keys and type(raw) == "string" then keys = json.keys_in_order(raw, key) end
  if keys then
    -- a key given twice is one member to a JSON decoder: yield it once
    local taken = {}
    for _, k in ipairs(keys) do
      local v = value[k]
      if v == nil then v = value[tonumber(k)] end
      if v ~= nil and not taken[k] then
        taken[k] = true
        out[#out + 1] = v
      end
    end
  end
  if #out == 0 then
    -- no order known: fall back to numeric key order
    local ks = {}
    for k in pairs(value) do ks[#ks + 1] = k end
    sort(ks, function(a, b)
      local na, nb = tonumber(a), tonumber(b)
      if na and nb then return na < nb end
      return tostring(a) < tostring(b)
    end)
    for i, k in ipairs(ks) do out[i] = value[k] end
  end
  return out
end

--- Normalise a list answer.
-- @tparam table body the decoded answer
-- @tparam string raw the raw answer
-- @tparam string key the list key ("contacts", "lists", ...)
-- @treturn table { total = integer, items = array }; when the server's total
--   is not a count ("abc", -5), total is nil and bad_total holds what it was
function _M.normalize(body, raw, key)
  if type(body) ~= "table" then return { total = 0, items = {} } end
  local items = _M.values_in_order(body[key], raw, key)
  if body.total == nil then return { total = #items, items = items } end
  local total = tonumber(body.total)
  if not total or total ~= total or total < 0 or total == math.huge or total ~= floor(total) then
    -- keep the items; the total is unknown (nil), and what came is kept to say so
    return { total = nil, items = items, bad_total = tostring(body.total) }
  end
  return { total = to_integer(total), items = items }
end

-- Asking for lists -------------------------------------------------------------

-- What Mautic's list routes read (FetchCommonApiController, 5.1 to 7.0).
-- Anything else is ignored by Mautic without a word, so a misspelled
-- `serach` would list every entity: refused here instead. Mautic reads
-- `published`, not the `publishedOnly` its documentation names (checked on
-- 5.1 and 7.0): `publishedOnly` is sent as `published`.
local flag = options.is_either("boolean", options.is_one_of(0, 1, "0", "1"))
_M.LIST_QUERY = {
  search = "string", start = options.is_int(0), limit = options.is_int(0), orderBy = "string",
  orderByDir = options.is_one_of("ASC", "DESC", "asc", "desc"), published = flag, publishedOnly = flag,
  minimal = flag, where = "table", order = "table", select = options.is_either("table", "string"),
}

--- Check a list query (keys, values, where and order) and bring it into
-- the form Mautic reads.
-- @tparam string fname the function, for messages
-- @tparam number pos the query's argument position
-- @param q the query (nil: none)
-- @tparam[opt] table extra more keys the caller reads itself (each's page_size)
-- @return the query to send (nil for none)
-- @treturn[2] nil
-- @treturn[2] string the usage message, "bad argument #pos to 'fname' (...)"
function _M.list_query(fname, pos, q, extra)
  local schema = extra and options.merge(_M.LIST_QUERY, extra) or _M.LIST_QUERY
  local ok, msg = options.problem(fname, pos, q, schema, "query parameter")
  if not ok then return nil, msg end
  if q == nil then return nil end
  if q.publishedOnly ~= nil then
    if q.published ~= nil then
      return nil, ("bad argument #%d to '%s' (give published or publishedOnly, not both)"):format(pos, fname)
    end
    local copy = {}
    for k, v in pairs(q) do copy[k] = v end
    copy.published, copy.publishedOnly = copy.publishedOnly, nil
    q = copy
  end
  -- `where` and `order` are checked before anything is sent: Mautic answers
  -- a malformed clause with a bare 500
  local bad
  if q.where ~= nil then
    local wok, wmsg = W.check(q.where)
    if not wok then bad = "where: " .. wmsg end
  end
  if not bad and q.order ~= nil then
    local ook, omsg = W.check_order(q.order)
    if not ook then bad = "order: " .. omsg end
  end
  if bad then return nil, ("bad argument #%d to '%s' (%s)"):format(pos, fname, bad) end
  return q
end

return _M
