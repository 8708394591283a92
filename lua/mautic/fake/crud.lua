-- Standard CRUD for every family, driven by families.lua:
-- list, get, new, PATCH/PUT edit, delete, batch new/edit/delete.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"
local search = require "mautic.fake.search"
local entity = require "mautic.fake.entity"
local contacts = require "mautic.fake.contacts"
local companies = require "mautic.fake.companies"
local counters = require "mautic.fake.counters"

local null = json.null
local O, A = json.O, json.A

local _M = {}

-- the families with a module of their own (families.lua's `custom`); the others are entity.lua's
local CUSTOM = { contacts = contacts, companies = companies }

function _M.impl(F)
  if F.custom then return CUSTOM[F.custom] or error("no module for the family " .. F.path .. ": " .. F.custom) end
  return entity
end

local function item_body(F, e)
  return O{ F.item, e }
end

local function location(F, id) return { Location = "/api/" .. F.path .. "/" .. id } end

local function input_object(req)
  local input = req.input
  if input == nil then return json.obj() end
  if type(input) ~= "table" then return json.obj() end
  return input
end

function _M.list(F, req)
  local impl = _M.impl(F)
  local page, total = search.run(F, impl, store.all(F.path), req.args)
  if not page then return total end
  local minimal = util.truthy(req.args.minimal)
  return responses.ok(search.list_body(F, page, total, function(row)
    return impl.serialize(F, row, { minimal = minimal, columns = true })
  end))
end

function _M.get(F, req)
  local impl = _M.impl(F)
  local row = store.get(F.path, req.params.id)
  if not row then return responses.not_found() end
  return responses.ok(item_body(F, impl.serialize(F, row, {})))
end

function _M.new(F, req)
  local impl = _M.impl(F)
  counters.create(F, input_object(req))
  local row, err, status = impl.create(F, input_object(req), req.ident)
  if not row then return err end
  local body = item_body(F, impl.serialize(F, row, { fresh = true, input = input_object(req) }))
  if status == 200 then return responses.ok(body, 200) end
  return responses.ok(body, 201, location(F, row.id))
end

local function edit(F, req, replace)
  local impl = _M.impl(F)
  local input = input_object(req)
  local row = store.get(F.path, req.params.id)
  if not row then
    if not replace then return responses.not_found() end
    local created, err = impl.create(F, input, req.ident, true)
    if not created then return err end
    return responses.ok(item_body(F, impl.serialize(F, created, { fresh = true, input = input })), 201,
                        location(F, created.id))
  end
  local ok, err = impl.edit(F, row, input, req.ident, replace)
  if not ok then return err end
  return responses.ok(item_body(F, impl.serialize(F, row, { input = input })))
end

function _M.patch(F, req) return edit(F, req, false) end
function _M.put(F, req) return edit(F, req, true) end

function _M.delete(F, req)
  local impl = _M.impl(F)
  local row = store.get(F.path, req.params.id)
  if not row then return responses.not_found() end
  return responses.ok(item_body(F, impl.remove(F, row)))
end

---------------------------------------------------------------- batch

-- the items of a batch body: a JSON array, or a form list (0[email]=..)
local function batch_items(req)
  local input = req.input
  if json.is_arr(input) then return input end
  if json.is_obj(input) then
    local keys = json.keys(input)
    local items = {}
    for i, k in ipairs(keys) do
      if tostring(k) ~= tostring(i - 1) then return nil end
      items[i] = input[k]
    end
    return items
  end
  if input == nil then return {} end
  return nil
end

-- error object as embedded in a batch answer
local function batch_error(res)
  local e = res.body and res.body.errors and res.body.errors[1]
  if not e then return O{ "code", res.status, "message", "", "details", A{}, "type", null } end
  if res.status == 404 then
    return O{ "message", e.message, "code", 404, "type", "api" }
  end
  return O{ "code", e.code or res.status, "message", e.message, "details", e.details or A{}, "type", null }
end

-- The items of a batch request, or nil and Mautic's answer when there are
-- none to read (an uncaught 500) or more than api_batch_max_limit.
local function batch_rows(req)
  local items = batch_items(req)
  if not items then return nil, responses.uncaught(500) end
  local limit = tonumber(config.get("batch_limit")) or 200
  if #items > limit then
    return nil, responses.handled_500("A max of " .. limit .. " entities are supported at a time.")
  end
  return items
end

-- a PHP array of { index, value } pairs as json_encode writes it: a list when the
-- indexes run 0, 1, 2..., else an object keyed by index
local function php_array(pairs_)
  local sequential = true
  for i, pair in ipairs(pairs_) do
    if pair[1] ~= i - 1 then sequential = false end
  end
  local out = sequential and A{} or json.obj()
  for i, pair in ipairs(pairs_) do
    if sequential then out[i] = pair[2] else out[tostring(pair[1])] = pair[2] end
  end
  return out
end
_M.php_array = php_array

-- entities, errors: arrays of { input index, value }
local function batch_answer(F, entities, codes, errors, status)
  local body = json.obj()
  body[F.list] = php_array(entities)
  body.statusCodes = A(codes)
  if #errors > 0 then body.errors = php_array(errors) end
  return responses.ok(body, status)
end

function _M.batch_new(F, req)
  local impl = _M.impl(F)
  local items, answer = batch_rows(req)
  if not items then return answer end
  local entities, codes, errors = {}, {}, {}
  for i, item in ipairs(items) do
    if type(item) ~= "table" then item = json.obj() end
    counters.create(F, item)
    local row, err, status = impl.create(F, item, req.ident)
    if row then
      entities[#entities + 1] = { i - 1, impl.serialize(F, row, { fresh = true, input = item }) }
      codes[#codes + 1] = status or 201
    else
      if err.version == false then return err end     -- uncaught: the whole request fails
      codes[#codes + 1] = err.status
      errors[#errors + 1] = { i - 1, batch_error(err) }
    end
  end
  return batch_answer(F, entities, codes, errors, 201)
end

local function batch_edit(F, req, replace)
  local impl = _M.impl(F)
  local items, answer = batch_rows(req)
  if not items then return answer end
  -- the answer lists every entity the batch found, edited or refused; a missing
  -- one is only a 404 among the errors
  local entities, codes, errors = {}, {}, {}
  for i, item in ipairs(items) do
    if type(item) ~= "table" then item = json.obj() end
    local id = util.int(item.id)
    local row = id and store.get(F.path, id)
    local res_row, err, code
    if row then
      res_row, err = impl.edit(F, row, item, req.ident, replace)
      code = 200
    elseif replace then
      res_row, err = impl.create(F, item, req.ident, true)
      code = 201
    else
      err = responses.not_found()
    end
    if err and err.version == false then return err end
    local shown = res_row or row
    -- a refused contact or company is answered as it was, without its "all" group
    local refused = not res_row and row ~= nil and err.status == 400 and not impl.preview
    if not res_row and row and err.status == 400 and impl.preview then shown = impl.preview(F, row, item, replace) end
    if shown then
      -- the batch read its rows as a list does: a row edited in place keeps that shape
      -- (a contact replaced by PUT gets its fields rebuilt, in the fields' order)
      local columns = code == 200 and not (replace and F.path == "contacts" and res_row)
      entities[#entities + 1] = { i - 1, impl.serialize(F, shown, { fresh = code == 201, input = item,
                                                                    columns = columns, refused = refused }) }
    end
    if res_row then
      codes[#codes + 1] = code
    else
      codes[#codes + 1] = err.status
      errors[#errors + 1] = { i - 1, batch_error(err) }
    end
  end
  return batch_answer(F, entities, codes, errors, 200)
end

function _M.batch_patch(F, req) return batch_edit(F, req, false) end
function _M.batch_put(F, req) return batch_edit(F, req, true) end

function _M.batch_delete(F, req)
  local impl = _M.impl(F)
  local ids = req.args.ids
  local list
  if type(ids) == "string" then list = util.split(ids, ",") else list = util.list(ids) end
  local out = A{}
  for _, id in ipairs(list) do
    local row = store.get(F.path, util.int(id))
    if row then
      local e = impl.remove(F, row, { batch = true })
      if e.id == null then e.id = row.id end   -- batch delete keeps the ids
      out[#out + 1] = e
    end
  end
  return responses.ok(O{ F.list, out })
end

-- route table entries for one family
function _M.routes(F)
  local p = "/api/" .. F.path
  local function h(fn) return function(req) return fn(F, req) end end
  return {
    { "GET", p, h(_M.list) },
    { "GET", p .. "/{id}", h(_M.get) },
    { "POST", p .. "/new", h(_M.new) },
    { "PATCH", p .. "/{id}/edit", h(_M.patch) },
    { "PUT", p .. "/{id}/edit", h(_M.put) },
    { "DELETE", p .. "/{id}/delete", h(_M.delete) },
    { "POST", p .. "/batch/new", h(_M.batch_new) },
    { "PATCH", p .. "/batch/edit", h(_M.batch_patch) },
    { "PUT", p .. "/batch/edit", h(_M.batch_put) },
    { "DELETE", p .. "/batch/delete", h(_M.batch_delete) },
  }
end

return _M
