-- Companies: values in company fields, {"id","score","fields"} shape.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local fielded = require "mautic.fake.fielded"
local search = require "mautic.fake.search"
local fv = require "mautic.fake.field_values"

local null = json.null
local O = json.O

local _M = {}
local FAMILY = "fields/company"

local DATES = { date = true, datetime = true, time = true }

-- companyname is required; every sent field goes through the form (field_values.lua)
-- -> results by alias | nil, 400
local function form_results(input, creating)
  local errors, results = {}, {}
  local name = input.companyname
  if (creating and util.is_empty(name)) or (not creating and name ~= nil and util.is_empty(name)) then
    return nil, responses.validation({ { "companyname", "This field is required." } })
  end
  for _, f in ipairs(fielded.defs(FAMILY)) do
    local v = input[f.alias]
    if v ~= nil then
      local r = fv.form(f, v, fv.limit(f))
      if r.err then errors[#errors + 1] = { f.alias, r.err } end
      results[f.alias] = r
    end
  end
  if #errors > 0 then return nil, responses.validation(errors) end
  return results
end

-- The company API writes every sent field, blank ones included (a blank clears);
-- a date it could not read is dropped before the form (a PATCH leaves the field
-- as it was). rec.shown / rec.shown_all: how this write's answer shows a field.
local function apply(rec, input, replace, creating, results)
  local aliases = fielded.aliases(FAMILY)
  rec.shown, rec.shown_all = {}, {}
  local before = rec.values
  if replace then rec.values = {}; rec.score = 0 end
  for _, k in ipairs(json.keys(input)) do
    local v = input[k]
    if k == "score" then rec.score = util.num(v) or rec.score
    elseif k == "owner" then rec.owner = util.int(type(v) == "table" and v.id or v)
    elseif aliases[k] then
      local f = aliases[k]
      local r = results and results[k] or fv.form(f, v)
      local cur = before[k]
      if f.type == "boolean" and r.value ~= nil then
        rec.values[k] = r.value
        if not creating and cur ~= r.value then
          rec.shown[k] = (cur == nil) and null or cur
          rec.shown_all[k] = r.bool
        end
      elseif not (r.absent and not (creating or replace)) then    -- (a PATCH leaves it as it was)
        local val = (not r.absent) and r.value or nil
        rec.values[k] = (val == nil) and null or val
        if creating and val == nil and (DATES[f.type] or f.type == "multiselect") then
          rec.shown[k] = ""; rec.shown_all[k] = ""
        elseif creating and type(val) == "number" then
          -- the create answer shows a number as an integer, scale or not
          local n = val >= 0 and math.floor(val) or math.ceil(val)
          rec.shown[k] = n; rec.shown_all[k] = n
        end
      end
    end
  end
end

function _M.create(F, input, ident)
  local results, err = form_results(input, true)
  if not results then return nil, err end
  local rec = { id = store.next_id("companies"), score = 0, values = {}, fresh = true,
                dateAdded = util.sql_date(), createdByUser = ident and ident.display or null }
  apply(rec, input, false, true, results)
  store.put("companies", rec.id, rec)
  return rec
end

function _M.edit(F, rec, input, ident, replace)
  local results, err = form_results(input, replace)
  if not results then return nil, err end
  apply(rec, input, replace, false, results)
  rec.fresh = false
  return rec
end

-- ctx: fresh, deleted, columns (see contacts.serialize)
function _M.serialize(F, rec, ctx)
  ctx = ctx or {}
  local fresh = ctx.fresh and rec.fresh
  local written = ctx.input ~= nil
  return O{ "id", ctx.deleted and null or rec.id, "score", rec.score,
            "fields", fielded.block(FAMILY, "company", rec.id, rec.values,
                                    { fresh = fresh, columns = ctx.columns, deleted = ctx.deleted,
                                      all = not ctx.refused },
                                    written and rec.shown or nil, written and rec.shown_all or nil) }
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
