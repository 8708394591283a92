-- In-memory entities of the one nginx worker: per family a table id -> row
-- and an auto-increment counter (some families share one, like Mautic's
-- tables: fields/contact and fields/company are both lead_fields).
local json = require "mautic.fake.json"
local data = require "mautic.fake.data.templates"

local _M = {}

local SHARED_SEQ = { ["fields/contact"] = "fields", ["fields/company"] = "fields" }

local state

function _M.reset()
  state = { rows = {}, seq = {}, extra = {} }
  for fam, rows in pairs(data.seeds) do
    for _, r in ipairs(rows) do
      _M.put(fam, r.id, json.copy(r))
    end
  end
  -- hooks for modules that seed or keep side tables (contacts, memberships, ...)
  for _, fn in ipairs(_M.on_reset) do fn(state.extra) end
end

_M.on_reset = {}

local function seq_name(fam) return SHARED_SEQ[fam] or fam end

function _M.rows(fam)
  local r = state.rows[fam]
  if not r then r = {}; state.rows[fam] = r end
  return r
end

function _M.next_id(fam)
  local s = seq_name(fam)
  local n = (state.seq[s] or 0) + 1
  state.seq[s] = n
  return n
end

function _M.put(fam, id, row)
  _M.rows(fam)[id] = row
  local s = seq_name(fam)
  if (state.seq[s] or 0) < id then state.seq[s] = id end
  return row
end

function _M.get(fam, id)
  id = tonumber(id)
  if not id then return nil end
  return _M.rows(fam)[id]
end

function _M.delete(fam, id)
  _M.rows(fam)[tonumber(id)] = nil
end

-- all rows sorted by id
function _M.all(fam)
  local out = {}
  for _, row in pairs(_M.rows(fam)) do out[#out + 1] = row end
  table.sort(out, function(a, b) return (tonumber(a.id) or 0) < (tonumber(b.id) or 0) end)
  return out
end

function _M.count(fam)
  local n = 0
  for _ in pairs(_M.rows(fam)) do n = n + 1 end
  return n
end

-- side tables (memberships, dnc, points log...) that reset with the store
function _M.extra(name)
  local t = state.extra[name]
  if not t then t = {}; state.extra[name] = t end
  return t
end

function _M.families()
  local out = {}
  for k in pairs(state.rows) do out[#out + 1] = k end
  table.sort(out)
  return out
end

return _M
