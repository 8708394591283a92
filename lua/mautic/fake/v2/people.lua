-- Contacts and companies on /api/v2, kept in /api's own records (contacts.lua,
-- companies.lua) so that each API sees what the other wrote: a v2 property is
-- a field value (rec.values[alias]) or one of the record's own slots.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"

local null = json.null

local _M = {}

local function blank(v) return v == nil or v == null end

-- v2 property -> where the record keeps it: a field alias, or "=slot"
local CONTACT = {
  title = "title", firstname = "firstname", lastname = "lastname", company = "company",
  position = "position", email = "email", phone = "phone", mobile = "mobile", address1 = "address1",
  address2 = "address2", city = "city", state = "state", zipcode = "zipcode", timezone = "timezone",
  country = "country", owner = "=owner", points = "=points", lastActive = "=lastActive",
  dateIdentified = "=dateIdentified", tags = "=tags", stage = "=stage",
}
local CONTACT_ORDER = { "id", "title", "firstname", "lastname", "company", "position", "email", "phone",
  "mobile", "address1", "address2", "city", "state", "zipcode", "timezone", "country", "owner", "points",
  "lastActive", "dateIdentified", "tags", "stage" }

local COMPANY = {
  score = "=score", owner = "=owner", socialCache = "=socialCache", email = "companyemail",
  address1 = "companyaddress1", address2 = "companyaddress2", phone = "companyphone", city = "companycity",
  state = "companystate", zipcode = "companyzipcode", country = "companycountry", name = "companyname",
  website = "companywebsite", industry = "companyindustry", description = "companydescription",
  isPublished = "=isPublished",
}
-- (no dateAdded/dateModified: a real 7.0 shows none on a company, §2.4)
local COMPANY_ORDER = { "id", "score", "owner", "socialCache", "email", "address1", "address2", "phone",
  "city", "state", "zipcode", "country", "name", "website", "industry", "description", "isPublished" }

local function reader(fam, map, order)
  return function(id)
    local rec = store.get(fam, id)
    if not rec then return nil end
    local v = json.obj()
    for _, p in ipairs(order) do
      local where = map[p]
      local x
      if p == "id" then x = rec.id
      elseif where:sub(1, 1) == "=" then x = rec[where:sub(2)]
      else x = rec.values[where] end
      if p == "tags" and x then x = json.copy(x) end
      if not blank(x) then v[p] = x end
    end
    return v
  end
end

-- A new contact as contacts.lua makes one (its fields are read by /api); /api
-- shows no creator for a contact /api/v2 made (auth.api_v1.bearer.ok)
local function new_contact()
  return {
    isPublished = true, dateAdded = util.iso(), dateModified = null,
    createdByUser = null, modifiedByUser = null,
    points = 0, color = null, values = {}, tags = {}, utmtags = {}, dateIdentified = null,
    lastActive = null, dnc = {}, fresh = true,
  }
end

local function new_company(ident)
  return { score = 0, values = {}, fresh = true, dateAdded = util.sql_date(),
           createdByUser = ident and ident.display or null }
end

local function writer(fam, map, make)
  return function(id, values, ident)
    local rec = id and store.get(fam, id)
    if not rec then
      rec = make(ident)
      rec.id = store.next_id(fam)
    end
    -- only the fields /api/v2 knows: the others (custom fields, fax...) stay as /api wrote them
    for p, where in pairs(map) do
      local x = values[p]
      if blank(x) then x = nil end
      if where:sub(1, 1) == "=" then
        rec[where:sub(2)] = x
      else
        rec.values[where] = x
      end
    end
    if fam == "contacts" then
      rec.points = rec.points or 0
      rec.tags = rec.tags or {}
      rec.dateIdentified = rec.dateIdentified or null
      rec.lastActive = rec.lastActive or null
      -- contacts.lua indexes emails for its merge: rebuilt on its next use
      store.extra("email_index").built = false
    else
      rec.score = rec.score or 0
    end
    store.put(fam, rec.id, rec)
    return rec.id
  end
end

local function remover(fam)
  return function(id) store.delete(fam, id) end
end

_M.contacts = { load = reader("contacts", CONTACT, CONTACT_ORDER), save = writer("contacts", CONTACT, new_contact),
                remove = remover("contacts") }
_M.companies = { load = reader("companies", COMPANY, COMPANY_ORDER),
                 save = writer("companies", COMPANY, new_company), remove = remover("companies") }

return _M
