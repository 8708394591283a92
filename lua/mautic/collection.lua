--- /api/v2 answers (API Platform, JSON-LD), made regular.
-- A collection is `{"@context","@id","@type":"Collection","totalItems":N,
-- "member":[...]}` (Hydra-prefixed, `hydra:member` / `hydra:totalItems`,
-- in API Platform before 4), 30 members a page; asked for as
-- application/json it is a bare array without a total. Callers get
-- `{ total = <integer or nil>, items = <array> }`, as /api lists give.
local list = require "mautic.list"

local type, tonumber, next, floor = type, tonumber, next, math.floor

local _M = {}

--- Mautic's page size on /api/v2 (fixed: itemsPerPage is ignored).
_M.PAGE_SIZE = 30

--- The media type asked for: JSON-LD carries the total.
_M.ACCEPT = "application/ld+json"

local function is_array(t)
  return type(t) == "table" and (#t > 0 or next(t) == nil)
end

--- Normalise a collection answer.
-- @param body the decoded answer
-- @treturn[1] table { total = integer | nil, items = array }
-- @treturn[2] nil
-- @treturn[2] string why it is not a collection
function _M.normalize(body)
  if is_array(body) then
    -- application/json: a bare array, no total
    local items = {}
    for i = 1, #body do items[i] = body[i] end
    return { total = nil, items = items }
  end
  if type(body) ~= "table" then return nil, "not a collection (no JSON object)" end
  local members = body.member
  if members == nil then members = body["hydra:member"] end
  if members == nil then return nil, "not a collection: no 'member'" end
  if not is_array(members) then return nil, "not a collection: 'member' is not an array" end
  local items = {}
  for i = 1, #members do items[i] = members[i] end
  local total = body.totalItems
  if total == nil then total = body["hydra:totalItems"] end
  total = tonumber(total)
  if total == nil or total ~= total or total < 0 or total == math.huge or total ~= floor(total) then
    return { total = nil, items = items }
  end
  return { total = list.to_integer(total), items = items }
end

--- An item answer: the entity itself (no wrapping key, unlike /api).
-- @treturn[1] table the entity
-- @treturn[2] nil
-- @treturn[2] string why it is not one
function _M.item(body)
  if type(body) ~= "table" or is_array(body) then return nil, "not an entity (no JSON object)" end
  return body
end

return _M
