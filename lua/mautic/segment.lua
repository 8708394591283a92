--- The segment of a bulk job: named by id or alias, checked with the
-- server before anything is sent, and filled chunk by chunk (an import's
-- `segment`; an export lists its members with Mautic's `segment:<alias>`
-- search).
local endpoint = require "mautic.endpoint"
local errors = require "mautic.errors"
local pager = require "mautic.pager"

local type, pairs, tostring, tonumber, pcall, assert = type, pairs, tostring, tonumber, pcall, assert
local floor = math.floor

local _M = {}

local function is_id(v)
  return type(v) == "number" and v == floor(v) and v >= 1
end

-- the segment whose alias (or name) is `name`, paging through them all
local function find(client, fam, name)
  return pcall(function()
    local iter = assert(pager.each_handler(client, fam, "segments.each", { page_size = 200 }))
    for s in iter do
      if s.alias == name or s.name == name then return s end
    end
  end)
end

--- The id of a segment given by id or alias (and its alias), checked with the server.
-- @param ref an id (a number or a numeric string) or an alias (or a name)
-- @treturn[1] number the id
-- @treturn[1] string its alias
-- @treturn[2] nil
-- @treturn[2] mautic.error err (a 404 for a missing id; kind "usage" for an unknown alias)
function _M.resolve(client, ref)
  local fam = client:family("segments")
  local id = tonumber(ref)
  if id and is_id(id) then
    local s, err = endpoint.invoke(client, fam, fam.routes.get, id)
    if not s then return nil, err end
    return id, s.alias
  end
  local ok, found = find(client, fam, ref)
  if not ok then return nil, found end
  if not found then
    return nil, errors.new{ kind = "usage", message = ("no segment has the alias %q"):format(tostring(ref)) }
  end
  return tonumber(found.id), found.alias
end

--- Put contacts into the segment.
-- @treturn[1] true
-- @treturn[1] table the ids Mautic did not add (id as a string -> true)
-- @treturn[2] nil
-- @treturn[2] mautic.error err, when the call failed as a whole
function _M.add(client, segment, ids)
  local fam = client:family("segments")
  local answer, err = endpoint.invoke(client, fam, fam.routes.add_contacts, segment, ids)
  if not answer then return nil, err end
  local missing = {}
  local details = type(answer) == "table" and answer.details
  if type(details) == "table" then
    for k, d in pairs(details) do
      if type(d) == "table" and (d.success == false or d.success == 0) then missing[tostring(k)] = true end
    end
  end
  return true, missing
end

return _M
