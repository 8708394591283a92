-- The 33 resources of /api/v2 as data: data/v2.lua (generated from real
-- Mautic 7.0's OpenAPI document and recordings by tools/fake/gen_v2_schema.py)
-- decoded once at load, plus what neither source says: where each resource's
-- rows live in the fake's store (so /api and /api/v2 see the same contacts,
-- tags, segments...) and the rules a real 7.0 applies beyond the schema.
local json = require "mautic.fake.json"
local text = require "mautic.fake.data.v2"

local _M = {}

local doc = assert(json.decode(text), "mautic.fake.v2.data: not JSON")

-- the /api family (store family) of a resource /api has too; the others keep
-- their rows in a family of their own, "v2/<name>"
local SHARED = {
  assets = "assets", campaigns = "campaigns", categories = "categories", companies = "companies",
  contacts = "contacts", dynamic_contents = "dynamiccontents", emails = "emails", focus_items = "focus",
  forms = "forms", messages = "messages", notifications = "notifications", pages = "pages",
  points = "points", roles = "roles", segments = "segments", sms = "smses", stages = "stages",
  tags = "tags", triggers = "points/triggers", users = "users", webhooks = "hooks",
}

-- Required in practice (SUMMARY §2.4): left out, a real 7.0 fails with a generic 500
-- (a NOT NULL column or a listener), not the 422 of the schema's required list.
local PRACTICE = {
  segments = { "alias", "publicName" }, categories = { "alias" }, webhooks = { "secret" },
  fields = { "alias", "form" }, forms = { "alias" }, tags = { "tag" },
}

-- values that must be unique: a PUT builds a new entity, which meets the old
-- one's value and fails validation (422), as a create with a taken value does
local UNIQUE = { segments = { "alias" }, users = { "username", "email" }, lead_fields = { "alias" } }

-- PUT on these ends in a 500 on real 7.0 (contacts: the replaced entity loses
-- its field values mid-save; emails: the new entity misses its translations)
local PUT_500 = { contacts = true, emails = true }

-- lists that are the other side of a child's relation: a form's fields are the
-- form fields whose form it is (resource = { property = { child resource, its property } })
local INVERSE = {
  forms = { fields = { "fields", "form" }, actions = { "actions", "form" } },
  triggers = { events = { "trigger_events", "trigger" } },
  campaigns = { events = { "events", "campaign" } },
  roles = { permissions = { "permissions", "role" } },
}

-- read-schema properties a real 7.0 never shows (a webhook's triggers become its events)
local HIDDEN = { webhooks = { triggers = true } }

local function parse_kind(k)
  local what, target, props = k:match("^(%a+):([%w_]+):?(.*)$")
  if not what then return { what = k } end
  local list = {}
  for p in props:gmatch("[^,]+") do list[#list + 1] = p end
  return { what = what, target = target, props = list }
end

local function set_of(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

_M.by_name = {}
_M.order = {}
for _, pair in ipairs(doc.order) do
  local key, name = pair[1], pair[2]
  local r = doc.resources[name]
  local kinds = {}
  for _, p in ipairs(json.keys(r.kinds)) do kinds[p] = parse_kind(r.kinds[p]) end
  local read = {}
  for _, p in ipairs(r.read) do
    if not (HIDDEN[name] and HIDDEN[name][p]) then read[#read + 1] = p end
  end
  local res = {
    name = name, key = key, type = r.type, get_only = r.get_only, read = read,
    writable = set_of(r.write), write = r.write, required = r.required, kinds = kinds, types = r.types,
    defaults = r.defaults, stamp = r.stamp, family = SHARED[name] or ("v2/" .. name),
    shared = SHARED[name] ~= nil, practice = PRACTICE[name] or {}, unique = UNIQUE[name] or {},
    put_500 = PUT_500[name] or false, has_uuid = set_of(r.read).uuid or false, inverse = INVERSE[name] or {},
  }
  _M.by_name[name] = res
  _M.order[#_M.order + 1] = res
end

-- the recorded JSON-LD context terms of a type ({ {term, relation}, ... }) or nil
_M.contexts = doc.contexts or {}

function _M.get(name) return _M.by_name[name] end

-- "/api/v2/<name>/<id>" -> resource, id (the IRIs this API reads and writes)
function _M.from_iri(iri)
  if type(iri) ~= "string" then return nil end
  local name, id = iri:match("^/api/v2/([%w_]+)/(%d+)$")
  local r = name and _M.by_name[name]
  if not r then return nil end
  return r, tonumber(id)
end

function _M.iri(r, id) return "/api/v2/" .. r.name .. "/" .. math.floor(id) end

return _M
