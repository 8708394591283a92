-- The `order` of custom fields as Mautic keeps it: one sequence over the contact
-- and the company fields together (both live in lead_fields), renumbered after
-- every save of a field by Mautic's own algorithm (FieldModel::reorderFieldsByEntity):
-- walk every field by order (nulls first, ties by id), give each the running
-- count, skipping the saved field, and push the one that had the saved field's
-- order one slot away from it. The order decides how a contact's or a company's
-- `fields` groups are sorted when it is read on its own.
--
-- A new field that names no order is placed right after the highest order of the
-- fields created since the install (1 when there are none); this reproduces the
-- recorded Mautic 5.1 answers but for one case (see doc/INTERNALS.md).
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"

local null = json.null
local _M = {}

local FAMILIES = { "fields/contact", "fields/company" }

local function order_of(f)
  local o = f.order
  if o == nil or o == null then return nil end
  return tonumber(o)
end

-- every field of both objects, by order (nulls first), ties by id
function _M.sorted()
  local all = {}
  for _, fam in ipairs(FAMILIES) do
    for _, f in pairs(store.rows(fam)) do all[#all + 1] = f end
  end
  table.sort(all, function(a, b)
    local oa, ob = order_of(a), order_of(b)
    if (oa == nil) ~= (ob == nil) then return oa == nil end
    if oa ~= ob then return oa < ob end
    return a.id < b.id
  end)
  return all
end

function _M.new_order()
  local max = 0
  for _, f in ipairs(_M.sorted()) do
    local o = order_of(f)
    if o and f.dateAdded ~= nil and f.dateAdded ~= null and o > max then max = o end
  end
  return max + 1
end

function _M.reorder(saved)
  local order = order_of(saved)
  local count, hit = 1, false
  for _, f in ipairs(_M.sorted()) do
    if f.id ~= saved.id then
      if order_of(f) == order then
        f.order = hit and (count - 1) or (count + 1)
      else
        f.order = count
      end
    else
      hit = true
    end
    count = count + 1
  end
end

return _M
