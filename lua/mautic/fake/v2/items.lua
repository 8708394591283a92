-- One /api/v2 resource as API Platform answers it, from its values (rows.lua):
-- JSON-LD (@context, @id, @type, then the properties in the read schema's
-- order), plain JSON (the properties only) or JSON:API (data.id is the IRI,
-- attributes._id the integer id, relations under relationships). Nulls are
-- left out; relations become IRIs, the tags of a contact an object keyed by
-- tag name ([] when it has none), embedded objects their schema's properties.
local json = require "mautic.fake.json"
local resources = require "mautic.fake.v2.resources"
local rows = require "mautic.fake.v2.rows"

local null = json.null
local O, A = json.O, json.A

local _M = {}

local iri = resources.iri

local function embedded(kind, id, ld)
  local target = resources.get(kind.target)
  local v = target and rows.load(target, id)
  if not v then return nil end
  local o = json.obj()
  if ld then o["@id"] = iri(target, id); o["@type"] = target.type end
  for _, p in ipairs(kind.props) do
    local x = v[p]
    if x ~= nil and x ~= null and not target.kinds[p] then o[p] = x end
  end
  return o
end

local function tag_object(ids)
  local tags = resources.get("tags")
  local o = json.obj()
  for _, id in ipairs(ids) do
    local v = rows.load(tags, id)
    if v and v.tag then o[v.tag] = iri(tags, id) end
  end
  if #json.keys(o) == 0 then return A{} end
  return o
end

-- a relation's value as the answer shows it (ld: JSON-LD, which embeds @id/@type)
local function relation(kind, x, ld)
  if kind.what == "iri" then return iri(resources.get(kind.target) or { name = kind.target }, x) end
  if kind.what == "tags" then return tag_object(x) end
  if kind.what == "embed" then return embedded(kind, x, ld) end
  local out = A{}
  for _, id in ipairs(x) do
    if kind.what == "iris" then out[#out + 1] = iri(resources.get(kind.target) or { name = kind.target }, id)
    else out[#out + 1] = embedded(kind, id, ld) end
  end
  return out
end

local function properties(r, v, o, ld)
  for _, p in ipairs(r.read) do
    local x = v[p]
    if x ~= nil and x ~= null then
      local kind = r.kinds[p]
      if kind then x = relation(kind, x, ld)
      elseif json.is_obj(x) and #json.keys(x) == 0 then x = A{} end   -- PHP's empty array
      if x ~= nil then o[p] = x end
    end
  end
  return o
end

function _M.jsonld(r, v, member)
  local o = json.obj()
  if not member then o["@context"] = "/api/v2/contexts/" .. r.type end
  o["@id"] = iri(r, v.id)
  o["@type"] = r.type
  return properties(r, v, o, true)
end

function _M.json(r, v) return properties(r, v, json.obj(), false) end

local function rel_data(kind, x)
  local target = resources.get(kind.target) or { name = kind.target, type = kind.target }
  if kind.what == "iri" or kind.what == "embed" then
    return O{ "type", target.type, "id", iri(target, x) }
  end
  local list = A{}
  for _, id in ipairs(x) do list[#list + 1] = O{ "type", target.type, "id", iri(target, id) } end
  return list
end

-- JSON:API resource object, and what it adds to "included"
function _M.jsonapi_data(r, v, included)
  local attrs, rels = O{ "_id", v.id }, json.obj()
  for _, p in ipairs(r.read) do
    local kind, x = r.kinds[p], v[p]
    if kind then
      if kind.what == "tags" then kind = { what = "iris", target = "tags" } end
      local d = (x ~= nil and x ~= null) and rel_data(kind, x) or A{}
      rels[p] = O{ "data", d }
      for _, item in ipairs(d[1] and d or (d.id and { d } or {})) do
        included[#included + 1] = O{ "id", item.id, "type", item.type }
      end
    elseif p ~= "id" and x ~= nil and x ~= null then
      attrs[p] = x
    end
  end
  local o = O{ "id", iri(r, v.id), "type", r.type, "attributes", attrs }
  if #json.keys(rels) > 0 then o.relationships = rels end
  return o
end

function _M.jsonapi(r, v)
  local included = A{}
  local o = O{ "data", _M.jsonapi_data(r, v, included) }
  if #included > 0 then o.included = included end
  return o
end

local function utf8_char(cp)
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
                     0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- one escape of json.encode's output at s[j] == "\\" -> its v2 spelling, the index after it
local function reescape(s, j)
  local c = s:sub(j + 1, j + 1)
  if c == '"' then return "\\u0022", j + 2 end
  if c ~= "u" then return s:sub(j, j + 1), j + 2 end
  local cp, after = tonumber(s:sub(j + 2, j + 5), 16), j + 6
  if cp >= 0xD800 and cp <= 0xDBFF and s:sub(after, after + 1) == "\\u" then
    local lo = tonumber(s:sub(after + 2, after + 5), 16)
    if lo and lo >= 0xDC00 and lo <= 0xDFFF then
      cp, after = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00), after + 6
    end
  end
  -- PHP keeps U+2028/2029 and lone surrogates escaped under JSON_UNESCAPED_UNICODE
  if cp < 0x80 or (cp >= 0xD800 and cp <= 0xDFFF) or cp == 0x2028 or cp == 0x2029 then
    return s:sub(j, after - 1), after
  end
  return utf8_char(cp), after
end

-- json.encode (PHP's /api spelling), then API Platform's: non-ASCII as UTF-8,
-- and < > & ' and a quote inside strings as \u003C \u003E \u0026 \u0027 \u0022
-- (outside strings JSON has none of these characters)
function _M.encode(v)
  local s, out, i = json.encode(v), {}, 1
  while true do
    local j = s:find("\\", i, true)
    if not j then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, j - 1)
    out[#out + 1], i = reescape(s, j)
  end
  s = table.concat(out)
  return (s:gsub("[<>&']", { ["<"] = "\\u003C", [">"] = "\\u003E", ["&"] = "\\u0026", ["'"] = "\\u0027" }))
end

return _M
