-- The operations of a /api/v2 resource: GET collection and item, POST, PUT,
-- PATCH, DELETE. Each returns the `ok` table of answer.success or an error
-- response of errors.lua.
local json = require "mautic.fake.json"
local resources = require "mautic.fake.v2.resources"
local rows = require "mautic.fake.v2.rows"
local items = require "mautic.fake.v2.items"
local collection = require "mautic.fake.v2.collection"
local write = require "mautic.fake.v2.write"
local errors = require "mautic.fake.v2.errors"
local docs = require "mautic.fake.v2.docs"

local _M = {}

local function item_body(r, v, fmt)
  if fmt == "json" then return items.json(r, v) end
  if fmt == "jsonapi" then return items.jsonapi(r, v) end
  return items.jsonld(r, v)
end

local function item_ok(r, v, fmt, status)
  if fmt == "html" then return { status = status, raw = docs.html(), fmt = fmt, item = resources.iri(r, v.id) } end
  return { status = status, body = item_body(r, v, fmt), fmt = fmt, item = resources.iri(r, v.id) }
end

function _M.list(ctx)
  local page = collection.page(ctx.req.args)
  if not page then return errors.generic(500) end
  if ctx.fmt == "html" then return { status = 200, raw = docs.html(), fmt = "html" } end
  return { status = 200, fmt = ctx.fmt,
           body = collection.answer(ctx.r, rows.all(ctx.r), page, ctx.req.query, ctx.fmt) }
end

function _M.get(ctx)
  local v = rows.load(ctx.r, ctx.id)
  if not v then return errors.not_found() end
  return item_ok(ctx.r, v, ctx.fmt, 200)
end

-- the body as an object of properties: a JSON:API document gives its attributes
-- (and relationships as IRIs); a JSON array is no batch, it is an empty object
local function input_of(ctx)
  local v = ctx.input
  if json.is_arr(v) or type(v) ~= "table" or v == json.null then return json.obj() end
  if ctx.body_type == "application/vnd.api+json" and json.is_obj(v.data) then
    local out = json.is_obj(v.data.attributes) and json.copy(v.data.attributes) or json.obj()
    local rels = v.data.relationships
    for _, k in ipairs(json.is_obj(rels) and json.keys(rels) or {}) do
      local d = rels[k].data
      if json.is_obj(d) then out[k] = d.id end
    end
    return out
  end
  return v
end

function _M.create(ctx)
  local v, err = write.write(ctx.r, "create", input_of(ctx), nil, ctx.ident)
  if not v then return err end
  return item_ok(ctx.r, v, ctx.fmt, 201)
end

local function edit(ctx, op)
  local current = rows.load(ctx.r, ctx.id)
  if not current then return errors.not_found() end
  local v, err = write.write(ctx.r, op, input_of(ctx), current, ctx.ident)
  if not v then return err end
  return item_ok(ctx.r, v, ctx.fmt, 200)
end

function _M.put(ctx) return edit(ctx, "put") end
function _M.patch(ctx) return edit(ctx, "patch") end

function _M.delete(ctx)
  if not rows.load(ctx.r, ctx.id) then return errors.not_found() end
  rows.remove(ctx.r, ctx.id)
  return { status = 204, fmt = ctx.fmt, item = resources.iri(ctx.r, ctx.id) }
end

return _M
