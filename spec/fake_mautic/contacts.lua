-- Contacts (leads): records, their JSON shape, search syntax and
-- validation (SUMMARY.md §2). Implements the entity interface of entity.lua.
local json = require "fake_mautic.json"
local util = require "fake_mautic.util"
local store = require "fake_mautic.store"
local responses = require "fake_mautic.responses"
local fielded = require "fake_mautic.fielded"
local search = require "fake_mautic.search"

local null = json.null
local O, A = json.O, json.A

local _M = {}

local FAMILY = "fields/contact"
local COUNTRIES

local function countries()
  if not COUNTRIES then COUNTRIES = require "fake_mautic.data.countries" end
  return COUNTRIES
end

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

local function valid_email(s)
  return type(s) == "string" and s:match("^[^%s@]+@[^%s@]+%.[^%s@]+$") ~= nil
end

local function validate(input, rec)
  local errors = {}
  local email = input.email
  if email ~= nil and email ~= null and email ~= "" and not valid_email(email) then
    errors[#errors + 1] = { "email", tostring(email) .. " is invalid." }
  end
  local owner = input.owner
  if owner ~= nil and owner ~= null and owner ~= "" then
    local oid = type(owner) == "table" and owner.id or owner
    if not store.get("users", util.int(oid)) then
      errors[#errors + 1] = { "owner", "This value is not valid." }
    end
  end
  local country = input.country
  if type(country) == "string" and country ~= "" and not countries()[country] then
    errors[#errors + 1] = { "country", "This value is not valid." }
  end
  if #errors > 0 then return responses.validation(errors) end
end

---------------------------------------------------------------- records

local IDENTIFYING = { "email", "firstname", "lastname", "company" }

local function new_record(ident)
  local now = util.iso()
  return {
    id = nil, isPublished = true, dateAdded = now, dateModified = null,
    createdByUser = ident and ident.display or null, modifiedByUser = null,
    points = 0, color = null, values = {}, owner = nil, tags = {}, utmtags = {},
    stage = nil, dateIdentified = null, lastActive = null, dnc = {}, fresh = true,
  }
end

-- copy input into a record. PATCH ignores blank values unless overwriteWithBlank.
local function apply(rec, input, replace)
  local aliases = fielded.aliases(FAMILY)
  local blank_ok = replace or util.truthy(input.overwriteWithBlank)
  if replace then
    rec.values = {}
    for _, f in ipairs(fielded.defs(FAMILY)) do
      if f.group == "core" then rec.values[f.alias] = (f.type == "number") and 0 or "" end
    end
  end
  for _, k in ipairs(json.keys(input)) do
    local v = input[k]
    if k == "points" then
      local n = util.num(v)
      if n then rec.points = n end
    elseif k == "owner" then
      local oid = type(v) == "table" and v.id or v
      rec.owner = util.int(oid)
    elseif k == "tags" then
      apply_tags(rec, v)
    elseif k == "color" then
      rec.color = v
    elseif k == "stage" then
      local sid = type(v) == "table" and v.id or v
      rec.stage = util.int(sid)
    elseif k == "lastActive" then
      rec.lastActive = v
    elseif aliases[k] then
      if v == "" or v == null then
        if blank_ok then rec.values[k] = null end
      else
        if type(v) == "table" then v = table.concat(util.list(v), "|") end
        local f = aliases[k]
        if f.type == "number" and util.num(v) then v = util.num(v) end
        if f.type == "boolean" then v = util.truthy(v) and 1 or 0 end
        rec.values[k] = v
      end
    end
  end
  if rec.dateIdentified == null then
    for _, k in ipairs(IDENTIFYING) do
      local v = rec.values[k]
      if v ~= nil and v ~= null and v ~= "" then rec.dateIdentified = rec.dateAdded; break end
    end
  end
end

function _M.find_by_email(email)
  if type(email) ~= "string" or email == "" then return nil end
  local e = email:lower()
  for _, r in ipairs(store.all("contacts")) do
    local v = r.values.email
    if type(v) == "string" and v:lower() == e then return r end
  end
end

local function touch(rec, ident)
  rec.dateModified = util.iso()
  rec.modifiedByUser = ident and ident.display or null
  rec.fresh = false
end
_M.touch = touch

-- create: returns rec, status (201 or 200 when merged into a duplicate)
function _M.create(F, input, ident)
  local err = validate(input)
  if err then return nil, err end
  local dup = _M.find_by_email(input.email)
  if dup then
    apply(dup, input, false)
    touch(dup, ident)
    return dup, nil, 200
  end
  local rec = new_record(ident)
  rec.id = store.next_id("contacts")
  apply(rec, input, false)
  store.put("contacts", rec.id, rec)
  return rec
end

function _M.edit(F, rec, input, ident, replace)
  local err = validate(input, rec)
  if err then return nil, err end
  if replace then
    rec.points = 0; rec.owner = nil; rec.color = null
  end
  apply(rec, input, replace)
  touch(rec, ident)
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

function _M.fields_block(rec, fresh)
  local overrides = { points = rec.points }
  if fresh then overrides.points = (rec.points ~= 0) and rec.points or nil end
  local b = fielded.block(FAMILY, "lead", rec.id, rec.values, fresh, overrides)
  b.all.points = rec.points
  return b
end

function _M.serialize(F, rec, ctx)
  ctx = ctx or {}
  local fresh = ctx.fresh and rec.fresh
  local e = O{ "isPublished", true, "dateAdded", rec.dateAdded, "dateModified", rec.dateModified,
               "createdBy", null, "createdByUser", rec.createdByUser, "modifiedBy", null,
               "modifiedByUser", rec.modifiedByUser, "id", ctx.deleted and null or rec.id,
               "points", rec.points, "color", rec.color, "fields", _M.fields_block(rec, fresh) }
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

-- the flat contact inside notes/devices ("lead")
function _M.lead_repr(id)
  local rec = id and store.get("contacts", id)
  if not rec then return null end
  return O{ "id", rec.id, "points", rec.points, "color", rec.color,
            "fields", _M.fields_block(rec, false) }
end

function _M.remove(F, rec)
  store.delete("contacts", rec.id)
  for _, m in pairs(store.extra("segment_members")) do m[rec.id] = nil end
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

---------------------------------------------------------------- reset

table.insert(store.on_reset, function()
  COUNTRIES = COUNTRIES
end)

return _M
