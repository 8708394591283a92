-- Contacts (leads): records, their JSON shape, search syntax and
-- validation (SUMMARY.md §2). Implements the entity interface of entity.lua.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local versions = require "mautic.fake.versions"
local fielded = require "mautic.fake.fielded"
local search = require "mautic.fake.search"
local fv = require "mautic.fake.field_values"
local activity = require "mautic.fake.activity"

local null = json.null
local O, A = json.O, json.A

local _M = {}

local FAMILY = "fields/contact"

---------------------------------------------------------------- tags

function _M.tag_id(name, create)
  name = tostring(name):match("^%s*(.-)%s*$")
  if name == "" then return nil end
  for _, t in ipairs(store.all("tags")) do
    if t.tag == name then return t.id end
  end
  if not create then return nil end
  local id = store.next_id("tags")
  store.put("tags", id, O{ "id", id, "tag", name, "description", null })
  return id
end

local function apply_tags(rec, tags)
  local list
  if type(tags) == "string" then list = util.split(tags, ",")
  else list = util.list(tags) end
  for _, t in ipairs(list) do
    t = tostring(t)
    if t:sub(1, 1) == "-" then
      local id = _M.tag_id(t:sub(2), false)
      if id then
        for i = #rec.tags, 1, -1 do if rec.tags[i] == id then table.remove(rec.tags, i) end end
      end
    else
      local id = _M.tag_id(t, true)
      local have = false
      for _, x in ipairs(rec.tags) do if x == id then have = true end end
      if id and not have then rec.tags[#rec.tags + 1] = id end
    end
  end
end

---------------------------------------------------------------- validation

-- every sent field through the form (field_values.lua): -> results by alias | nil, 400
local function form_results(input)
  local results, errors = {}, {}
  for _, f in ipairs(fielded.defs(FAMILY)) do
    local v = input[f.alias]
    if v ~= nil and f.alias ~= "points" then
      local r = fv.form(f, v, fv.limit(f))
      if r.err then errors[#errors + 1] = { f.alias, r.err } end
      results[f.alias] = r
    end
  end
  local owner = input.owner
  if owner ~= nil and owner ~= null and owner ~= "" then
    local oid = type(owner) == "table" and owner.id or owner
    if not store.get("users", util.int(oid)) then
      errors[#errors + 1] = { "owner", versions.has("symfony7_values") and "The selected choice is invalid."
                                         or "This value is not valid." }
    end
  end
  if #errors > 0 then return nil, responses.validation(errors) end
  return results
end

---------------------------------------------------------------- records

local IDENTIFYING = { "email", "firstname", "lastname", "company" }

local function new_record(ident)
  local now = util.iso()
  local who = ident and ident.display or null
  local stamped = versions.has("modified_on_create")   -- 7.0 fills both at creation
  return {
    id = nil, isPublished = true, dateAdded = now, dateModified = stamped and now or null,
    createdByUser = who, modifiedByUser = stamped and who or null,
    points = 0, color = null, values = {}, owner = nil, tags = {}, utmtags = {},
    stage = nil, dateIdentified = null, lastActive = null, dnc = {}, fresh = true,
  }
end

-- PHP's FILTER_VALIDATE_BOOLEAN, which boolean fields go through: "1", "true", "on",
-- "yes" (any case) and true are 1, anything else ("no", "false", "0", "off") is 0
local function to_boolean(v)
  if v == true then return 1 end
  if type(v) == "number" then return v == 1 and 1 or 0 end
  if type(v) ~= "string" then return 0 end
  local s = v:match("^%s*(.-)%s*$"):lower()
  return (s == "1" or s == "true" or s == "on" or s == "yes") and 1 or 0
end
_M.to_boolean = to_boolean

local function is_blank(v) return v == nil or v == null or v == "" end

-- A field a PUT leaves out is cleared. The answer to that PUT shows it as the
-- form's empty data ("", 0 for numbers) in its group, and in "all" as null when it
-- had a value, as the empty data when it had none; what is stored (and read back
-- later) is null either way. overwriteWithBlank shows every empty field that way too.
local function empty_data(f)
  if f.type == "number" then return fv.number_out(f, 0) end
  return ""
end
local function blanked(f, current)
  if not is_blank(current) then return null end
  return empty_data(f)
end

-- a field value as the contact stores it (a default value, written without the form)
local function field_value(f, v)
  if type(v) == "table" and v ~= null then v = table.concat(util.list(v), "|") end
  if f.type == "number" and util.num(v) then v = util.num(v) end
  if f.type == "boolean" then v = to_boolean(v) end
  return v
end
_M.field_value = field_value

-- Contacts by lower-cased email, so that a merge lookup is not a scan of
-- every contact (an import of 100,000 rows would take hours). Built from the
-- store on first use after a reset (seeds do not go through apply), kept up
-- to date by apply; an entry is checked against the contact before use.
local function email_of(rec)
  local v = rec and rec.values and rec.values.email
  return type(v) == "string" and v ~= "" and v:lower() or nil
end

local function email_index()
  local idx = store.extra("email_index")
  if not idx.built then
    idx.built, idx.ids = true, {}
    for _, r in ipairs(store.all("contacts")) do
      local e = email_of(r)
      if e and not idx.ids[e] then idx.ids[e] = r.id end
    end
  end
  return idx.ids
end

local function index_email(rec, before)
  local ids, now = email_index(), email_of(rec)
  if before and before ~= now and ids[before] == rec.id then ids[before] = nil end
  if now and rec.id and ids[now] == nil then ids[now] = rec.id end
end

-- One sent field into a record, as the contact API writes it (field_values.lua):
-- the form's value; a numeric 0 is taken for "not meant to overwrite" except by a
-- PUT; a new contact (not a PUT) first gets the values unvalidated, so what the form
-- left empty can still come from there (or make the save fail: rec.fatal).
-- rec.shown / rec.shown_all: how this write's answer shows the field (group, "all").
local function set_field(rec, f, v, r, replace, blank_ok, creating)
  local k = f.alias
  local cur = rec.values[k]
  if f.type == "boolean" and r.value ~= nil then
    rec.values[k] = r.value
    if creating then
      rec.shown[k] = r.bool and true or null
      rec.shown_all[k] = r.bool
    elseif cur ~= r.value then
      rec.shown[k] = is_blank(cur) and null or cur
      rec.shown_all[k] = r.bool
    end
    return
  end
  local val = not r.absent and r.value or nil
  if val ~= nil and not replace and fv.zero(val) then val = nil end
  if val ~= nil and fv.contact_empty(f, val) then val = nil end
  if val ~= nil then
    rec.values[k] = val
    return
  end
  if creating and not replace then
    local shown, stored, failure = fv.raw(f, v)
    if failure then rec.fatal = k; return end
    if stored ~= nil then
      rec.values[k] = stored
      if shown ~= stored then rec.shown[k] = shown; rec.shown_all[k] = shown end
      return
    end
  end
  if blank_ok then
    -- (a PATCH with overwriteWithBlank leaves a dropped date as it was)
    if r.absent and not replace then return end
    rec.values[k] = null
    if not is_blank(cur) or v == "" or r.absent then
      rec.shown[k] = empty_data(f)
      rec.shown_all[k] = (f.type == "number") and fv.number_out(f, 0) or blanked(f, cur)
    end
  end
end

local apply_fields

local function apply(rec, input, replace, creating, results)
  local before = email_of(rec)
  local r = apply_fields(rec, input, replace, creating, results)
  index_email(rec, before)
  return r
end

-- a PUT clears every field it does not send, overwriteWithBlank every empty one
local function clear_unsent(rec, input, replace)
  for _, f in ipairs(fielded.defs(FAMILY)) do
    if f.alias ~= "points" and input[f.alias] == nil then
      local cur = rec.values[f.alias]
      if replace or is_blank(cur) then
        rec.shown[f.alias] = empty_data(f)
        rec.shown_all[f.alias] = blanked(f, cur)
        rec.values[f.alias] = null
      end
    end
  end
end

-- a new contact gets the default value of every field it does not send
local function apply_defaults(rec, input)
  for _, f in ipairs(fielded.defs(FAMILY)) do
    local d = f.defaultValue
    if f.alias ~= "points" and is_blank(input[f.alias]) and not is_blank(d) and is_blank(rec.values[f.alias]) then
      rec.values[f.alias] = field_value(f, d)
    end
  end
end

-- The keys of a write that are no field (points is kept outside the values):
-- function(rec, v), false when it leaves the key to a field of that alias.
local SETTERS = { tags = apply_tags }

function SETTERS.points(rec, v)
  local n = util.num(v)
  if n then rec.points = n; rec.points_set = true end
end

function SETTERS.owner(rec, v)
  local oid = type(v) == "table" and v.id or v
  rec.owner = util.int(oid)
end

function SETTERS.color(rec, v) rec.color = v end

function SETTERS.stage(rec, v)
  local sid = type(v) == "table" and v.id or v
  rec.stage = util.int(sid)
end

function SETTERS.lastActive(rec, v) rec.lastActive = v end

function SETTERS.doNotContact(rec, v)
  if type(v) ~= "table" then return false end
  for _, d in ipairs(util.list(v)) do
    if type(d) == "table" and type(d.channel) == "string" and d.channel ~= "" then
      _M.add_dnc(rec, d.channel, util.int(d.reason) or 3, d.comments, util.int(d.channelId))
    end
  end
end

-- a contact is identified once one of its identifying fields has a value
local function mark_identified(rec)
  if rec.dateIdentified ~= null then return end
  for _, k in ipairs(IDENTIFYING) do
    local v = rec.values[k]
    if v ~= nil and v ~= null and v ~= "" then rec.dateIdentified = rec.dateAdded; break end
  end
end

-- copy input into a record. PATCH ignores blank values unless overwriteWithBlank,
-- which also fills every empty field; PUT clears what it does not send.
function apply_fields(rec, input, replace, creating, results)
  local aliases = fielded.aliases(FAMILY)
  rec.fatal = nil
  local overwrite = util.truthy(input.overwriteWithBlank)
  local blank_ok = replace or overwrite
  if replace then rec.points_set = true end
  rec.shown, rec.shown_all = {}, {}     -- how this write's answer shows the fields it cleared
  if replace or overwrite then clear_unsent(rec, input, replace) end
  if creating then apply_defaults(rec, input) end
  for _, k in ipairs(json.keys(input)) do
    local v = input[k]
    local set = SETTERS[k]
    local taken = set ~= nil and set(rec, v) ~= false
    local f = not taken and aliases[k]
    if f then set_field(rec, f, v, results and results[k] or fv.form(f, v), replace, blank_ok, creating) end
  end
  mark_identified(rec)
end

-- a do-not-contact entry for a channel (updated when the channel has one already)
function _M.add_dnc(rec, channel, reason, comments, channel_id)
  for _, d in ipairs(rec.dnc) do
    if d.channel == channel then
      d.reason = reason
      if comments ~= nil and comments ~= null then d.comments = comments end
      return d
    end
  end
  local seq = store.extra("subseq")
  seq.dnc = (seq.dnc or 0) + 1
  local d = { id = seq.dnc, dateAdded = util.iso(), reason = reason,
              comments = (comments == nil or comments == null) and "" or comments,
              channel = channel, channelId = channel_id }
  rec.dnc[#rec.dnc + 1] = d
  return d
end

function _M.find_by_email(email)
  if type(email) ~= "string" or email == "" then return nil end
  local e = email:lower()
  local ids = email_index()
  local id = ids[e]
  if id == nil then return nil end
  local r = store.get("contacts", id)
  if email_of(r) == e then return r end
  -- the indexed contact was deleted or changed its email: look again
  ids[e] = nil
  for _, other in ipairs(store.all("contacts")) do
    if email_of(other) == e then
      ids[e] = other.id
      return other
    end
  end
end

-- who edited: 7.0 also answers the user's id when that user logged in (Basic)
local function modified_by(rec, ident)
  rec.modifiedByUser = ident and ident.display or null
  rec.modifiedBy = versions.has("modified_by_id") and ident and ident.kind == "basic" and ident.user_id or nil
end

local function touch(rec, ident)
  if not versions.has("frozen_date_modified") then rec.dateModified = util.iso() end
  modified_by(rec, ident)
  rec.fresh = false
end
_M.touch = touch

-- create: returns rec, status (201 or 200 when merged into a duplicate)
-- what a save compares: empty and null are the same value
local function fingerprint(rec)
  local keys = {}
  for k in pairs(rec.values) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = rec.values[k]
    if not is_blank(v) then parts[#parts + 1] = k .. "=" .. tostring(v) end
  end
  parts[#parts + 1] = table.concat({ tostring(rec.points), tostring(rec.owner), tostring(rec.stage),
    tostring(rec.color), table.concat(rec.tags, ","), #rec.dnc, tostring(rec.lastActive) }, "|")
  return table.concat(parts, "\0")
end

-- create: returns rec, status (201 or 200 when merged into a duplicate).
-- replace: a PUT on a missing id, which clears what it does not send
function _M.create(F, input, ident, replace)
  local results, err = form_results(input)
  if not results then return nil, err end
  local dup = _M.find_by_email(input.email)
  if dup then
    apply(dup, input, false, false, results)
    touch(dup, ident)
    return dup, nil, 200
  end
  local rec = new_record(ident)
  rec.id = store.next_id("contacts")
  apply(rec, input, replace, true, results)
  if rec.fatal then
    -- the database refused a value the form had left alone: the contact is saved
    -- without it and the request fails
    rec.values[rec.fatal] = null
    rec.fatal, rec.shown, rec.shown_all = nil, nil, nil
    store.put("contacts", rec.id, rec)
    return nil, responses.uncaught(500)
  end
  store.put("contacts", rec.id, rec)
  if rec.dateIdentified ~= null then activity.identified(rec) end
  return rec
end

-- an edit that changes nothing (empty and null being alike) leaves dateModified alone
function _M.edit(F, rec, input, ident, replace)
  local results, err = form_results(input)
  if not results then rec.shown, rec.shown_all = nil, nil; return nil, err end
  local before = fingerprint(rec)
  if replace then
    rec.points = 0; rec.owner = nil; rec.color = null
  end
  apply(rec, input, replace, false, results)
  if fingerprint(rec) ~= before then
    touch(rec, ident)
  else
    modified_by(rec, ident)
    rec.fresh = false
  end
  return rec
end

---------------------------------------------------------------- JSON shape

function _M.owner_repr(id)
  local u = id and store.get("users", id)
  if not u then return null end
  return O{ "createdByUser", null, "modifiedByUser", null, "id", u.id, "username", u.username,
            "firstName", u.firstName, "lastName", u.lastName }
end

local function tags_repr(rec)
  local out = A{}
  for _, id in ipairs(rec.tags) do
    local t = store.get("tags", id)
    if t then out[#out + 1] = O{ "id", t.id, "tag", t.tag, "description", t.description } end
  end
  return out
end

local function stage_repr(id)
  local s = id and store.get("stages", id)
  if not s then return null end
  return O{ "createdByUser", s.createdByUser, "modifiedByUser", s.modifiedByUser, "id", s.id,
            "name", s.name, "category", s.category, "weight", s.weight, "description", s.description }
end

local function dnc_repr(rec)
  local out = A{}
  for _, d in ipairs(rec.dnc) do
    out[#out + 1] = O{ "id", d.id, "reason", d.reason, "comments", d.comments,
                       "channel", d.channel, "channelId", d.channelId or null }
  end
  return out
end

local function utm_repr(rec)
  local out = A{}
  for _, u in ipairs(rec.utmtags) do out[#out + 1] = u end
  return out
end

-- opts: see fielded.block; opts.points_float: the points field as the raw column
-- (a float), as the shapes read straight from the database show it
-- opts.written: the answer to the write that changed rec (shows what it cleared)
function _M.fields_block(rec, opts)
  opts = opts or {}
  local points = rec.points
  if opts.fresh then points = (rec.points ~= 0 or rec.points_set) and rec.points or nil
  elseif opts.points_float then points = json.float(rec.points) end
  local overrides, all_overrides = { points = points }, nil
  if opts.written then
    for k, v in pairs(rec.shown or {}) do overrides[k] = v end
    all_overrides = rec.shown_all
  end
  local b = fielded.block(FAMILY, "lead", rec.id, rec.values, opts, overrides, all_overrides)
  if b.all then b.all.points = rec.points end
  return b
end

-- ctx.fresh (create answer), ctx.minimal, ctx.deleted (a DELETE's answer: null id),
-- ctx.columns (read by a list or a batch: values in table column order),
-- ctx.kept (a batch delete's answer: id kept)
function _M.serialize(F, rec, ctx)
  ctx = ctx or {}
  local fresh = ctx.fresh and rec.fresh
  local e = O{ "isPublished", true, "dateAdded", rec.dateAdded, "dateModified", rec.dateModified,
               "createdBy", null, "createdByUser", rec.createdByUser, "modifiedBy", rec.modifiedBy or null,
               "modifiedByUser", rec.modifiedByUser, "id", ctx.deleted and null or rec.id,
               "points", rec.points, "color", rec.color,
               "fields", _M.fields_block(rec, { fresh = fresh, columns = ctx.columns, deleted = ctx.deleted,
                                                written = ctx.input ~= nil and not ctx.refused,
                                                all = not ctx.refused }) }
  if ctx.minimal then return e end
  e.lastActive = rec.lastActive
  e.owner = _M.owner_repr(rec.owner)
  e.ipAddresses = A{}
  e.tags = tags_repr(rec)
  e.utmtags = fresh and null or utm_repr(rec)
  e.stage = stage_repr(rec.stage)
  e.dateIdentified = ctx.deleted and null or rec.dateIdentified
  e.preferredProfileImage = null
  e.doNotContact = dnc_repr(rec)
  e.frequencyRules = A{}
  return e
end

-- the Lead entity's own properties for the core fields, in their order: the
-- serializations without groups (the dnc and utm verbs, devices) show them
local PROPS = { "title", "firstname", "lastname", "company", "position", "email", "phone", "mobile", "address1",
                "address2", "city", "state", "zipcode", "timezone", "country" }

local function user_full(id)
  local u = id and store.get("users", id)
  if not u then return null end
  local role = type(u.role) == "table" and u.role ~= null and store.get("roles", u.role.id)
  local r = null
  if role then
    r = O{ "isPublished", role.isPublished ~= false, "id", role.id, "name", role.name,
           "description", role.description, "isAdmin", role.isAdmin == true }
  end
  return O{ "isPublished", u.isPublished ~= false, "id", u.id, "username", u.username, "firstName", u.firstName,
            "lastName", u.lastName, "email", u.email, "role", r,
            "timezone", (u.timezone == nil or u.timezone == null) and "" or u.timezone,
            "locale", (u.locale == nil or u.locale == null) and "" or u.locale }
end

-- a value without its nulls (JMS with serializeNull off), recursively
local function drop_nulls(v)
  if type(v) ~= "table" or v == null or json.is_float(v) then return v end
  if json.is_obj(v) then
    local out = json.obj()
    for _, k in ipairs(json.keys(v)) do
      local x = v[k]
      if x ~= null and x ~= nil then out[k] = drop_nulls(x) end
    end
    return out
  end
  local out = A{}
  for i = 1, #v do out[#out + 1] = drop_nulls(v[i]) end
  return out
end
_M.drop_nulls = drop_nulls

-- the contact as the dnc and utm verbs answer it: every property, nulls left out,
-- the core values flat beside the fields, no "all" group
function _M.serialize_plain(rec)
  local e = O{ "isPublished", true, "dateAdded", rec.dateAdded, "dateModified", rec.dateModified,
               "createdByUser", rec.createdByUser, "modifiedByUser", rec.modifiedByUser, "id", rec.id,
               "points", rec.points, "color", rec.color }
  for _, k in ipairs(PROPS) do e[k] = rec.values[k] end
  e.fields = _M.fields_block(rec, { all = false, points_float = true })
  e.lastActive = rec.lastActive
  e.owner = user_full(rec.owner)
  e.ipAddresses = A{}
  e.tags = tags_repr(rec)
  e.utmtags = utm_repr(rec)
  e.stage = stage_repr(rec.stage)
  e.dateIdentified = rec.dateIdentified
  local dnc = A{}
  for _, d in ipairs(rec.dnc) do
    dnc[#dnc + 1] = O{ "id", d.id, "dateAdded", d.dateAdded, "reason", d.reason, "comments", d.comments,
                       "channel", d.channel, "channelId", d.channelId or null }
  end
  e.doNotContact = dnc
  e.frequencyRules = A{}
  return drop_nulls(e)
end

-- the contact inside a note or a device ("lead"). loaded: the request set it, so
-- its fields were read (without "all"); otherwise it is a lazy reference whose
-- fields are []. style "note": id, points, color, fields; "device": every property.
function _M.embedded(id, style, loaded)
  local rec = id and store.get("contacts", id)
  if not rec then return null end
  local fields = loaded and _M.fields_block(rec, { all = false, points_float = true }) or A{}
  if style == "note" then
    return O{ "id", rec.id, "points", rec.points, "color", rec.color, "fields", fields }
  end
  local e = O{ "createdByUser", rec.createdByUser, "modifiedByUser", rec.modifiedByUser, "id", rec.id,
               "points", rec.points, "color", rec.color }
  for _, k in ipairs(PROPS) do
    local v = rec.values[k]
    if v == nil then v = null end
    e[k] = v
  end
  e.fields = fields
  e.lastActive = rec.lastActive
  e.owner = user_full(rec.owner)
  e.ipAddresses = A{}
  e.tags = tags_repr(rec)
  e.utmtags = utm_repr(rec)
  e.stage = stage_repr(rec.stage)
  e.dateIdentified = rec.dateIdentified
  e.preferredProfileImage = null
  e.doNotContact = dnc_repr(rec)
  e.frequencyRules = A{}
  return e
end

-- the flat contact inside form submissions ("lead")
function _M.lead_repr(id)
  local rec = id and store.get("contacts", id)
  if not rec then return null end
  return O{ "id", rec.id, "points", rec.points, "color", rec.color,
            "fields", _M.fields_block(rec, {}) }
end

-- ctx.batch: a batch delete, whose answer keeps the ids and reads the rows as a list does
function _M.remove(F, rec, ctx)
  store.delete("contacts", rec.id)
  for _, m in pairs(store.extra("segment_members")) do m[rec.id] = nil end
  if ctx and ctx.batch then return _M.serialize(F, rec, { columns = true }) end
  return _M.serialize(F, rec, { deleted = true })
end

---------------------------------------------------------------- listing

local FIXED_COLS = { id = true, points = true, dateAdded = true, dateModified = true,
                     dateIdentified = true, lastActive = true, owner = true, owner_id = true,
                     stage = true, stage_id = true, date_added = true, date_modified = true,
                     date_identified = true, last_active = true, color = true }

function _M.columns()
  local cols = {}
  for k in pairs(FIXED_COLS) do cols[k] = true end
  for alias in pairs(fielded.aliases(FAMILY)) do cols[alias] = true end
  return cols
end

local COL_MAP = { date_added = "dateAdded", date_modified = "dateModified",
                  date_identified = "dateIdentified", last_active = "lastActive",
                  owner_id = "owner", stage_id = "stage" }

function _M.value(F, rec, col)
  col = COL_MAP[col] or col
  if col == "id" then return rec.id end
  if col == "points" then return rec.points end
  if col == "owner" then return rec.owner end
  if col == "stage" then return rec.stage end
  if FIXED_COLS[col] then return rec[col] end
  local v = rec.values[col]
  if v == nil then return null end
  return v
end

local function is_anonymous(rec)
  for _, k in ipairs({ "email", "firstname", "lastname", "company" }) do
    local v = rec.values[k]
    if v ~= nil and v ~= null and v ~= "" then return false end
  end
  return true
end

local function in_segment(rec, alias)
  for _, s in ipairs(store.all("segments")) do
    if s.alias == alias then
      local m = store.extra("segment_members")[s.id]
      return m ~= nil and m[rec.id] ~= nil
    end
  end
  return false
end

local function has_tag(rec, name)
  for _, id in ipairs(rec.tags) do
    local t = store.get("tags", id)
    if t and search.like(t.tag, name) then return true end
  end
  return false
end

local TEXT_COLS = { "firstname", "lastname", "email", "company" }

local function text_match(rec, term)
  local pattern = term:find("%%") and term or ("%" .. term .. "%")
  for _, c in ipairs(TEXT_COLS) do
    if search.like(rec.values[c], pattern) then return true end
  end
  return false
end

-- tokenize a search string: words, "quoted words", !negation, cmd:value
local function tokens(s)
  local out = {}
  local i = 1
  while i <= #s do
    local c = s:sub(i, i)
    if c:match("%s") then i = i + 1
    else
      local j = i
      local buf = {}
      while j <= #s and not s:sub(j, j):match("%s") do
        local ch = s:sub(j, j)
        if ch == '"' then
          local k = s:find('"', j + 1, true) or (#s + 1)
          buf[#buf + 1] = s:sub(j + 1, k - 1)
          j = k + 1
        else
          buf[#buf + 1] = ch
          j = j + 1
        end
      end
      out[#out + 1] = table.concat(buf)
      i = j
    end
  end
  return out
end

local function token_match(rec, tok)
  local neg = false
  if tok:sub(1, 1) == "!" then neg = true; tok = tok:sub(2) end
  local cmd, val = tok:match("^([%w_]+):(.*)$")
  local r
  if cmd then
    cmd = cmd:lower()
    if cmd == "ids" then
      r = false
      for _, id in ipairs(util.split(val, ",")) do if tonumber(id) == rec.id then r = true end end
    elseif cmd == "is" then
      if val == "anonymous" then r = is_anonymous(rec)
      elseif val == "unowned" then r = rec.owner == nil
      elseif val == "mine" then r = rec.owner == 1
      elseif val == "donotcontact" then r = #rec.dnc > 0
      elseif val == "published" then r = true
      else r = false end
    elseif cmd == "segment" or cmd == "list" then r = in_segment(rec, val)
    elseif cmd == "tag" then r = has_tag(rec, val)
    elseif cmd == "name" then
      r = search.like(rec.values.firstname, val) or search.like(rec.values.lastname, val)
    elseif cmd == "owner" then
      local u = rec.owner and store.get("users", rec.owner)
      r = u ~= nil and (search.like(u.username, val) or search.like(u.firstName, val) or search.like(u.lastName, val))
    elseif cmd == "stage" then
      local st = rec.stage and store.get("stages", rec.stage)
      r = st ~= nil and search.like(st.name, val)
    elseif cmd == "id" then r = tonumber(val) == rec.id
    elseif fielded.aliases(FAMILY)[cmd] then
      local v = rec.values[cmd]
      if cmd == "points" then v = rec.points end
      r = search.like(v, val)
    else
      r = text_match(rec, tok)
    end
  else
    r = text_match(rec, tok)
  end
  if neg then return not r end
  return r
end

function _M.matches(F, rec, s)
  for _, tok in ipairs(tokens(s)) do
    if not token_match(rec, tok) then return false end
  end
  return true
end

return _M
