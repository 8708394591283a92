--- Shared pieces for the route tables (not a family: it is not listed in
-- mautic.api.names). Result shapers and data_shape hooks used by several
-- families live here so that each family file stays a table of rows.
local list = require "mautic.list"
local W = require "mautic.where"

local type, ipairs, pairs, tostring = type, ipairs, pairs, tostring
local format = string.format

local _M = {}

--- A result shaper for a list of rows that are not this family's entities
-- (campaign membership rows, submissions, stats rows...): normalised to
-- { total =, items = } in the server's order, without entity methods.
function _M.plain_list(key)
  return function(body, meta)
    return list.normalize(body, meta.body, key)
  end
end

--- A result shaper that unwraps `key` and turns an object keyed by index
-- or id into an array in the server's order (e.g. {"files":{"3":"x.png"}}).
function _M.values(key)
  return function(body, meta)
    local v = type(body) == "table" and body[key]
    return list.values_in_order(v, meta.body, key)
  end
end

local function is_array_of_ids(t)
  if type(t) ~= "table" then return false end
  local n = #t
  if n == 0 then return false end
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n then return false end
  end
  return true
end

local function check_ids(ids, what)
  for i, id in ipairs(ids) do
    local tid = type(id)
    if not ((tid == "number" and id >= 1 and id == math.floor(id))
            or (tid == "string" and id:match("^[1-9]%d*$"))) then
      return nil, format("%s[%d]: positive integer id expected, got %s", what, i, tostring(id))
    end
  end
  return true
end

--- data_shape for routes that take ids in the QUERY as `<param>[]`:
-- accepts an array of ids, or { <param> = { ... } }.
function _M.ids_in_query(param)
  return function(spec, data)
    local ids = data
    if type(data) == "table" and data[param] ~= nil then ids = data[param] end
    if not is_array_of_ids(ids) then
      return nil, format("an array of ids (or { %s = {...} }) expected", param)
    end
    local ok, msg = check_ids(ids, param)
    if not ok then return nil, msg end
    local q = {}
    for i, id in ipairs(ids) do q[i] = id end
    spec.query = { [param] = q }
    spec.body = nil
    return true
  end
end

--- data_shape for list-like queries: checks `where` and `order` with
-- mautic.where before anything is sent.
function _M.check_query(spec, data)
  if type(data) == "table" then
    if data.where ~= nil then
      local ok, msg = W.check(data.where)
      if not ok then return nil, "where: " .. msg end
    end
    if type(data.order) == "table" then
      local ok, msg = W.check_order(data.order)
      if not ok then return nil, "order: " .. msg end
    end
  end
  return true
end

--- A multipart part from a source table:
-- { file = "/path" } (streamed from disk by the C core) or
-- { data = "bytes", filename = "x.png" }, with optional content_type.
function _M.file_part(src, field)
  if type(src) ~= "table" then return nil, "table { file = path } or { data = string, filename = name } expected" end
  local part = { name = field or "file", filename = src.filename, content_type = src.content_type }
  if src.file ~= nil then
    if type(src.file) ~= "string" or src.file == "" then return nil, "file: a path string expected" end
    if src.data ~= nil then return nil, "give file or data, not both" end
    part.file = src.file
    if part.filename == nil then part.filename = src.file:match("([^/\\]+)$") end
  elseif src.data ~= nil then
    if type(src.data) ~= "string" then return nil, "data: string expected, got " .. type(src.data) end
    if type(src.filename) ~= "string" or src.filename == "" then
      return nil, "filename: required with data"
    end
    part.data = src.data
  else
    return nil, "file (a path) or data (a string) is required"
  end
  if part.filename ~= nil and (type(part.filename) ~= "string" or part.filename:find("[%z\1-\31\127\"]")) then
    return nil, "filename: plain text without quotes or control characters expected"
  end
  if part.content_type ~= nil and (type(part.content_type) ~= "string" or part.content_type:find("[%z\1-\31\127]")) then
    return nil, "content_type: string without control characters expected"
  end
  return part
end

return _M
