-- Companies: values in company fields, {"id","score","fields"} shape.
local json = require "fake_mautic.json"
local util = require "fake_mautic.util"
local store = require "fake_mautic.store"
local responses = require "fake_mautic.responses"
local fielded = require "fake_mautic.fielded"
local search = require "fake_mautic.search"

local null = json.null
local O = json.O

local _M = {}
local FAMILY = "fields/company"

local function validate(input, creating)
  local name = input.companyname
  if (creating and util.is_empty(name)) or (not creating and name ~= nil and util.is_empty(name)) then
    return responses.validation({ { "companyname", "This field is required." } })
  end
end

local function apply(rec, input, replace)
  local aliases = fielded.aliases(FAMILY)
  if replace then rec.values = {}; rec.score = 0 end
  for _, k in ipairs(json.keys(input)) do
    local v = input[k]
    if k == "score" then rec.score = util.num(v) or rec.score
    elseif k == "owner" then rec.owner = util.int(type(v) == "table" and v.id or v)
    elseif aliases[k] then
      if type(v) == "table" then v = table.concat(util.list(v), "|") end
      if aliases[k].type == "number" and util.num(v) then v = util.num(v) end
      if v == "" then v = null end
      rec.values[k] = v
    end
  end
end

function _M.create(F, input, ident)
  local err = validate(input, true)
  if err then return nil, err end
  local rec = { id = store.next_id("companies"), score = 0, values = {}, fresh = true,
                dateAdded = util.sql_date(), createdByUser = ident and ident.display or null }
  apply(rec, input, false)
  store.put("companies", rec.id, rec)
  return rec
end

function _M.edit(F, rec, input, ident, replace)
  local err = validate(input, replace)
  if err then return nil, err end
  apply(rec, input, replace)
  rec.fresh = false
  return rec
end

-- ctx: fresh, deleted, columns (see contacts.serialize)
function _M.serialize(F, rec, ctx)
  ctx = ctx or {}
  local fresh = ctx.fresh and rec.fresh
  return O{ "id", ctx.deleted and null or rec.id, "score", rec.score,
            "fields", fielded.block(FAMILY, "company", rec.id, rec.values,
                                    { fresh = fresh, columns = ctx.columns, deleted = ctx.deleted }) }
end

function _M.remove(F, rec, ctx)
  store.delete("companies", rec.id)
  if ctx and ctx.batch then return _M.serialize(F, rec, { columns = true }) end
  return _M.serialize(F, rec, { deleted = true })
end

function _M.columns()
  local cols = { id = true, score = true }
  for alias in pairs(fielded.aliases(FAMILY)) do cols[alias] = true end
  return cols
end

function _M.value(F, rec, col)
  if col == "id" then return rec.id end
  if col == "score" then return rec.score end
  local v = rec.values[col]
  if v == nil then return null end
  return v
end

function _M.matches(F, rec, s)
  local pattern = s:find("%%") and s or ("%" .. s .. "%")
  local cmd, val = s:match("^([%w_]+):(.*)$")
  if cmd and cmd == "ids" then
    for _, id in ipairs(util.split(val, ",")) do if tonumber(id) == rec.id then return true end end
    return false
  end
  if cmd and fielded.aliases(FAMILY)[cmd] then return search.like(rec.values[cmd], val) end
  for _, c in ipairs({ "companyname", "companyemail", "companycity", "companywebsite" }) do
    if search.like(rec.values[c], pattern) then return true end
  end
  return false
end

return _M
