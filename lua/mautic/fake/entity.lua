-- Generic entities: the shape of each family comes from the real server's
-- create answer (data/templates.lua); input keys are copied in, derived
-- values (alias, publicName, downloadUrl, ...) are computed here.
--
-- Interface shared with the custom families (contacts, companies):
--   impl.create(F, input, ident)            -> row | nil, errres
--   impl.edit(F, row, input, ident, replace) -> row | nil, errres
--   impl.serialize(F, row, ctx)             -> JSON value (ordered object)
--   impl.columns(F)                         -> set of sortable/filterable columns
--   impl.value(F, row, col)                 -> value of a column
--   impl.matches(F, row, search)            -> bool (free-text search)
--   impl.remove(F, row)                     -> serialized row with "id": null
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local data = require "mautic.fake.data.templates"
local config = require "mautic.fake.config"
local versions = require "mautic.fake.versions"
local field_order = require "mautic.fake.field_order"
local fv = require "mautic.fake.field_values"
local password = require "mautic.fake.password"
local contacts = require "mautic.fake.contacts"

local null = json.null
local O, A = json.O, json.A

local _M = {}

local FIXED = {
  id = true, dateAdded = true, dateModified = true, createdBy = true, createdByUser = true,
  modifiedBy = true, modifiedByUser = true,
}
local NUMERIC = { weight = true, delta = true, points = true, order = true, charLengthLimit = true }

local base_url = util.base_url

function _M.category_repr(id)
  local c = store.get("categories", util.int(id))
  if not c then return null end
  return O{ "createdByUser", null, "modifiedByUser", null, "id", c.id, "title", c.title,
            "alias", c.alias, "description", c.description, "color", c.color, "bundle", c.bundle }
end

function _M.role_repr(id)
  local r = store.get("roles", util.int(id))
  if not r then return null end
  return O{ "createdByUser", r.createdByUser, "modifiedByUser", r.modifiedByUser, "id", r.id,
            "name", r.name, "description", r.description, "isAdmin", r.isAdmin,
            "rawPermissions", r.rawPermissions }
end

function _M.segment_repr(id)
  local s = store.get("segments", util.int(id))
  if not s then return nil end
  return O{ "createdByUser", s.createdByUser, "modifiedByUser", s.modifiedByUser, "id", s.id,
            "name", s.name, "publicName", s.publicName, "alias", s.alias,
            "description", s.description, "category", s.category }
end

local function sub_id(name)
  local seqs = store.extra("subseq")
  seqs[name] = (seqs[name] or 0) + 1
  return seqs[name]
end

local function with_ids(F, list, seqname)
  local out = A{}
  local tpl = data.items[F.path] and data.items[F.path][seqname]
  for _, item in ipairs(util.list(list)) do
    if type(item) == "table" then
      local o = json.obj()
      o.id = sub_id(F.path .. ":" .. seqname)
      if tpl then
        for _, k in ipairs(json.keys(tpl)) do
          if k ~= "id" then o[k] = json.copy(tpl[k]) end
        end
      end
      for _, k in ipairs(json.keys(item)) do
        if k ~= "id" and (not tpl or tpl[k] ~= nil) then o[k] = item[k] end
      end
      if F.path == "forms" and seqname == "fields" then
        -- a form field: numbered in the order given, its label shown and its result saved
        -- unless told otherwise; a leadField maps it onto that contact field
        if o.order == nil or o.order == null then o.order = #out + 1 end
        if item.showLabel == nil then o.showLabel = true end
        if item.saveResult == nil then o.saveResult = true end
        if type(o.leadField) == "string" and o.leadField ~= "" then
          o.mappedObject = "contact"
          o.mappedField = o.leadField
        end
      end
      out[#out + 1] = o
    end
  end
  return out
end

local function convert(F, k, v, default)
  if k == "category" then
    if v == null or v == nil or v == "" then return null end
    if type(v) == "table" then v = v.id end
    return _M.category_repr(v)
  elseif k == "role" and F.path == "users" then
    if type(v) == "table" then v = v.id end
    return _M.role_repr(v)
  elseif k == "lead" and (F.path == "notes" or F.path == "devices") then
    -- a reference; serialize() answers the contact itself
    if type(v) == "table" then v = v.id end
    local id = util.int(v)
    if not id or not store.get("contacts", id) then return null end
    return O{ "id", id }
  elseif (k == "events" or k == "fields" or k == "actions") and type(v) == "table" then
    return with_ids(F, v, k)
  elseif k == "channels" and F.path == "messages" and type(v) == "table" then
    local out = A{}
    for _, ch in ipairs(json.keys(v)) do
      local c = v[ch]
      if type(c) == "table" then
        local name = null
        local chan = c.channel or ch
        local target = chan == "email" and store.get("emails", util.int(c.channelId))
                    or chan == "sms" and store.get("smses", util.int(c.channelId))
                    or chan == "notification" and store.get("notifications", util.int(c.channelId))
        if target then name = target.name end
        out[#out + 1] = O{ "id", sub_id("messages:channels"), "channel", chan,
                           "channelId", util.int(c.channelId) or c.channelId or null,
                           "channelName", name, "isEnabled", util.truthy(c.isEnabled) }
      end
    end
    return out
  elseif k == "lists" and (F.path == "campaigns" or F.path == "emails") then
    local out = A{}
    for _, l in ipairs(util.list(v)) do
      local id = type(l) == "table" and l.id or l
      local s = _M.segment_repr(id)
      if s then out[#out + 1] = s end
    end
    return out
  end
  if type(default) == "boolean" or (k:match("^is%u") and type(v) == "string") then
    if v == null then return null end
    return util.truthy(v)
  end
  if type(v) == "string" and (type(default) == "number" or NUMERIC[k]) and util.num(v) then
    return util.num(v)
  end
  return v
end

local function derive(F, e, input, replace, creating)
  local a = F.alias
  if a then
    local given = input.alias
    if not util.is_empty(given) then
      e.alias = given
    elseif creating or replace or util.is_empty(e.alias) then
      local src = e[a.from]
      if not util.is_empty(src) then e.alias = util.slug(src, a.sep or "-") end
    end
  end
  if F.path == "segments" and (creating or replace) and util.is_empty(input.publicName) then
    e.publicName = e.name
  end
  if F.path == "forms" and (creating or replace) and util.is_empty(input.alias) and not util.is_empty(e.name) then
    e.alias = util.slug(e.name, "_"):sub(1, 10)
  end
  if F.path == "assets" then
    local file = input.file
    if not util.is_empty(file) then
      e.extension = tostring(file):match("%.(%w+)$") or null
      e.storageLocation = input.storageLocation or e.storageLocation
    end
    if util.is_empty(e.alias) or util.is_empty(e.language) then
      e.downloadUrl = null
    else
      e.downloadUrl = base_url() .. "/asset/" .. tostring(e.id == null and "" or e.id) .. ":" .. e.alias
    end
  end
  if F.path == "hooks" and creating then
    local hex = {}
    for i = 1, 32 do hex[i] = string.format("%x", math.random(0, 15)) end
    e.secret = table.concat(hex)
  end
  if F.path == "focus" and e.id ~= nil then
    e.cache = "(function(window){window.MauticFocus" .. tostring(e.id) .. "=function(){};})(window);"
  end
  if F.path == "forms" and not util.is_empty(e.alias) then
    e.cachedHtml = '<div id="mauticform_wrapper_' .. tostring(e.alias) .. '" class="mauticform_wrapper"></div>'
  end
  if F.path == "fields/contact" or F.path == "fields/company" then
    e.object = F.object
  end
  if F.path == "emails" and (creating or replace) and util.is_empty(e.emailType) then
    e.emailType = "template"      -- the entity's default, also what the form falls back to
  end
end

local function message_channel_enabled(name)
  if name == "email" then return true end
  if name == "sms" then return config.get("sms_integration") == true end
  if name == "notification" then return config.get("notification_integration") == true end
  return false
end
_M.message_channel_enabled = message_channel_enabled

-- what 7.0's user form says about an empty object
local EMPTY_USER = {
  { "username", "Username is required." }, { "firstName", "First name is required." },
  { "lastName", "Last name is required." }, { "email", "The email entered is invalid." },
  { "password", "Password cannot be blank." }, { "role", "A role must be chosen for this user." },
}

-- what real Mautic refuses before its form sees the input
local function early_refusal(F, input, creating, replace)
  if F.path == "tags" and (creating or replace) and util.is_empty(input.tag) then
    return responses.uncaught(500)
  end
  if F.path == "users" and creating and #json.keys(input) == 0 then
    if versions.has("user_form_on_empty") then return responses.validation(EMPTY_USER) end
    return responses.uncaught(500)
  end
  if F.path == "assets" and creating then
    if util.is_empty(input.file) then return responses.bad_request("File of the asset is required.") end
    if util.is_empty(input.title) then return responses.uncaught(500) end
  end
  if F.path == "devices" and creating and util.is_empty(input.lead) then
    return responses.bad_request("contact ID is mandatory")
  end
  return nil
end

-- a create or PUT sends the whole entity, so each required value must be there;
-- a PATCH may leave one out but not empty it
local function required_errors(F, input, whole, errors)
  for _, r in ipairs(F.required or {}) do
    local v = input[r[1]]
    if whole then
      if util.is_empty(v) then errors[#errors + 1] = { r[1], r[2] } end
    elseif v ~= nil and util.is_empty(v) then
      errors[#errors + 1] = { r[1], r[2] }
    end
  end
end

-- The form errors of one family: function(input, errors), which appends { field, message }.
local FORM_ERRORS = {}

function FORM_ERRORS.messages(input, errors)
  if type(input.channels) ~= "table" then return end
  -- the channels a fresh install offers: email; sms and notification only once their
  -- integration is published (config sms_integration / notification_integration)
  local chans = input.channels
  for _, key in ipairs(json.is_arr(chans) and {} or json.keys(chans)) do
    if not message_channel_enabled(key) then
      errors[#errors + 1] = { tostring(key), "This form should not contain extra fields." }
    end
  end
end

function FORM_ERRORS.users(input, errors)
  if type(input.plainPassword) ~= "table" then return end
  local pw = input.plainPassword.password
  if type(pw) == "string" and pw ~= "" then
    local inputs = { input.username, input.firstName, input.lastName }
    if type(input.email) == "string" then inputs[#inputs + 1] = input.email:match("^[^@]*") end
    if password.weak(pw, inputs) then
      errors[#errors + 1] = { "password", password.MESSAGE }
    end
  end
end

function FORM_ERRORS.hooks(input, errors)
  local url = input.webhookUrl
  if url ~= nil and not util.is_empty(url) and not tostring(url):match("^https?://[^/]") then
    errors[#errors + 1] = { "webhookUrl", "A valid URL is required." }
  end
  -- a choice field: none, ASC or DESC
  local dir = input.eventsOrderbyDir
  if not util.is_empty(dir) and dir ~= "ASC" and dir ~= "DESC" then
    errors[#errors + 1] = { "eventsOrderbyDir", "This value is not valid." }
  end
end

-- what 7.0 refuses in a PUT before 5.1's checks would
local function replace_refusal70(F, input)
  if F.path == "dynamiccontents" and versions.has("dynamic_content_needs_type") and util.is_empty(input.type) then
    return responses.uncaught(500)     -- the NOT NULL type column
  end
  if F.object and versions.has("field_limit_required") and util.is_empty(input.charLengthLimit) then
    return responses.validation({ { "charLengthLimit", "This value should not be blank." } })
  end
end

-- what real Mautic refuses once the form has passed (on save)
local function late_refusal(F, input, creating, replace)
  if F.path == "campaigns" and creating and #util.list(input.events) == 0 then
    return responses.bad_request("At least one event is required. Use the Launch Campaign Builder button to add one.")
  end
  if replace then
    local refusal = replace_refusal70(F, input)
    if refusal then return refusal end
    if F.path == "assets" and util.is_empty(input.language) then
      return responses.validation({ { "language", "A value is required." } })
    end
    if F.path == "dynamiccontents" and not util.truthy(input.isCampaignBased) then
      return responses.validation({ { "slotName", "Please enter a slot name." },
                                    { "filters", "At least one filter is required." } })
    end
    if F.put_500 and input[F.put_500] == nil then return responses.uncaught(500) end
  end
  return nil
end

-- validation: returns nil or an error response
local function validate(F, input, op)
  local creating, replace = op == "create", op == "put"
  local refusal = early_refusal(F, input, creating, replace)
  if refusal then return refusal end
  if (F.path == "fields/contact" or F.path == "fields/company") and creating and not util.is_empty(input.type) then
    local props, perr = fv.field_properties(input.type, input.properties, F.object)
    if not props then return perr end
    input.properties = props
  end
  local errors = {}
  required_errors(F, input, creating or replace, errors)
  local family_errors = FORM_ERRORS[F.path]
  if family_errors then family_errors(input, errors) end
  if #errors > 0 then return responses.validation(errors) end
  return late_refusal(F, input, creating, replace)
end
_M.validate = validate

-- the properties a point action's form fills in when a PUT leaves them out (recorded)
local POINT_PROPERTIES = {
  ["url.hit"] = function()
    return O{ "page_url", null, "page_hits", null, "accumulative_time_unit", null, "accumulative_time", 0,
              "returns_within_unit", null, "returns_within", 0, "returns_after_unit", null, "returns_after", 0 }
  end,
}

-- PHP's (int) cast of a request value
local function php_int(v)
  if type(v) == "number" then return v >= 0 and math.floor(v) or -math.floor(-v) end
  if type(v) == "boolean" then return v and 1 or 0 end
  if type(v) == "string" then return tonumber(v:match("^%s*([+-]?%d+)")) or 0 end
  if type(v) == "table" and v ~= null then return next(v) ~= nil and 1 or 0 end
  return 0
end
_M.php_int = php_int

-- The API takes `category` out of the form and sets it after validation, when it is not
-- empty: -> category id (0: leave it alone) | nil, the 500 of the UnexpectedValueException
-- Mautic throws for an unknown one (its message is shown, unlike other uncaught errors)
local function category_of(F, input)
  if input.category == nil or data.templates[F.path].category == nil then return 0 end
  local id = php_int(input.category)
  if id ~= 0 and not store.get("categories", id) then
    return nil, responses.plain_error(500, "Category " .. id .. " does not exist")
  end
  return id
end

local function apply(F, e, input, replace, category)
  local tpl = data.templates[F.path]
  if replace then
    local nulls = {}
    for _, k in ipairs(F.put_null or {}) do nulls[k] = true end
    for _, k in ipairs(json.keys(tpl)) do
      if not FIXED[k] and k ~= "secret" then
        local d = tpl[k]
        if nulls[k] then e[k] = null
        elseif type(d) == "boolean" then e[k] = false else e[k] = json.copy(d) end
      end
    end
  end
  for _, k in ipairs(json.keys(input)) do
    if not FIXED[k] and tpl[k] ~= nil and k ~= "category" and not (F.path == "tags" and k == "description") then
      e[k] = convert(F, k, input[k], tpl[k])
    end
  end
  if category and category ~= 0 then e.category = _M.category_repr(category) end
  if replace and F.path == "points" and input.properties == nil and POINT_PROPERTIES[e.type] then
    e.properties = POINT_PROPERTIES[e.type]()
  end
end

local function stamp_modified(e, ident)
  -- 7.0 (since 6.0.4) never moves dateModified after the create
  if e.dateModified ~= nil and not versions.has("frozen_date_modified") then e.dateModified = util.iso() end
  if e.modifiedByUser ~= nil then e.modifiedByUser = ident and ident.display or null end
end

function _M.create(F, input, ident)
  local err = validate(F, input, "create")
  if err then return nil, err end
  local category, cerr = category_of(F, input)
  if not category then return nil, cerr end
  local tpl = data.templates[F.path]
  local e = json.copy(tpl)
  apply(F, e, input, false, category)
  e.id = store.next_id(F.path)
  local now = util.iso()
  if e.dateAdded ~= nil then e.dateAdded = now end
  local stamped = versions.has("modified_on_create")   -- 7.0 fills both at creation
  if e.dateModified ~= nil and (stamped or tpl.dateModified ~= null) then e.dateModified = now end
  if e.createdByUser ~= nil then e.createdByUser = ident and ident.display or null end
  if e.modifiedByUser ~= nil and (stamped or tpl.modifiedByUser ~= null) then
    e.modifiedByUser = ident and ident.display or null
  end
  derive(F, e, input, false, true)
  local is_field = F.path == "fields/contact" or F.path == "fields/company"
  if is_field and input.order == nil then e.order = field_order.new_order() end
  if is_field and input.isShortVisible == nil and versions.has("field_short_hidden") then e.isShortVisible = false end
  store.put(F.path, e.id, e)
  if is_field then
    field_order.reorder(e)
    -- the character limit a text, select, url or email field was given (not answered by 5.1)
    local limit = util.int(input.charLengthLimit)
    local t = e.type
    if t == "text" or t == "select" or t == "url" or t == "email" then
      if limit then store.extra("field_limits")[e.id] = limit end
    else
      store.extra("field_limits")[e.id] = false
    end
  end
  return e
end

function _M.edit(F, e, input, ident, replace)
  local err = validate(F, input, replace and "put" or "patch")
  if err then return nil, err end
  local category, cerr = category_of(F, input)
  if not category then return nil, cerr end
  apply(F, e, input, replace, category)
  if e.revision ~= nil and type(e.revision) == "number" then e.revision = e.revision + 1 end
  stamp_modified(e, ident)
  derive(F, e, input, replace, false)
  if F.path == "fields/contact" or F.path == "fields/company" then
    -- a PUT clears what it does not send, the field's group and order included
    if replace and input.order == nil then e.order = null end
    if replace and input.group == nil then e.group = null end
    field_order.reorder(e)
    -- 7.0 answers the limit, so an edit of it shows (and is checked from then on)
    local limit = util.int(input.charLengthLimit)
    if limit and versions.has("field_index") then store.extra("field_limits")[e.id] = limit end
  end
  return e
end

local EMBEDS = { notes = "note", devices = "device" }

-- ctx.input: what this request sent (a note's or device's contact named there is
-- read whole, else it is a lazy reference)
-- the entity as a refused edit leaves it in memory: the form bound the input
-- (a PUT cleared the rest) before validation failed; nothing is stored.
-- A batch answers refused entities this way.
-- (what the file sets, not the form, stays)
local NOT_FORM = { extension = true, mime = true, size = true, downloadCount = true, uniqueDownloadCount = true,
                   revision = true, sentCount = true, readCount = true }

function _M.preview(F, e, input, replace)
  local copy = json.copy(e)
  if replace then
    for _, k in ipairs(json.keys(data.templates[F.path])) do
      if not FIXED[k] and not NOT_FORM[k] and input[k] == nil and type(copy[k]) ~= "table" then
        copy[k] = null
        if k == "isPublished" then copy[k] = false end      -- the publish toggle reads false
      end
    end
  end
  apply(F, copy, input, false, 0)
  if F.path == "assets" and util.is_empty(copy.alias) then copy.downloadUrl = null end
  if replace and F.object and versions.has("field_limit_required") then
    -- 7.0's field form keeps what is not a form field and reads its unchecked toggles as false
    copy.alias, copy.object = e.alias, e.object
    for _, k in ipairs({ "isFixed", "isShortVisible", "isPubliclyUpdatable" }) do
      if input[k] == nil then copy[k] = false end
    end
    copy.charLengthLimit = null
  end
  return copy
end

function _M.serialize(F, e, ctx)
  local input = ctx and ctx.input
  if F.path == "forms" and input == nil and not versions.has("form_mapping_shown") then
    -- where a field maps to is worked out when the form is saved, not stored
    local out = json.copy(e)
    for _, f in ipairs(util.list(out.fields)) do
      if type(f) == "table" then f.mappedObject = null; f.mappedField = null end
    end
    return out
  end
  local style = EMBEDS[F.path]
  if not style or type(e.lead) ~= "table" or e.lead == null then return e end
  local out = json.obj()
  local loaded = type(input) == "table" and not util.is_empty(input.lead)
  for _, k in ipairs(json.keys(e)) do
    if k == "lead" then out[k] = contacts.embedded(e.lead.id, style, loaded)
    else out[k] = e[k] end
  end
  return out
end

function _M.remove(F, e, ctx)
  store.delete(F.path, e.id)
  e = _M.serialize(F, e, ctx)
  if F.path == "categories" then
    -- the foreign keys of the categorised tables are ON DELETE SET NULL
    for _, fam in ipairs(store.families()) do
      for _, row in pairs(store.rows(fam)) do
        if type(row) == "table" and type(row.category) == "table" and row.category.id == e.id then
          row.category = null
        end
      end
    end
  elseif F.path == "segments" then
    -- and the join tables of segment emails and campaigns cascade
    for _, fam in ipairs({ "emails", "campaigns" }) do
      for _, row in pairs(store.rows(fam)) do
        if type(row.lists) == "table" then
          local kept = A{}
          for _, l in ipairs(util.list(row.lists)) do
            if not (type(l) == "table" and l.id == e.id) then kept[#kept + 1] = l end
          end
          row.lists = kept
        end
      end
    end
  end
  local out = json.copy(e)
  out.id = null
  -- the rows of the collections go with it (their ids read null too); a campaign's
  -- events and segments are removed before it
  -- (a batch delete answers them as they were)
  if not (ctx and ctx.batch) then
    for _, k in ipairs({ "fields", "actions", "events", "channels" }) do
      if json.is_arr(out[k]) then
        for _, x in ipairs(out[k]) do if type(x) == "table" and x.id ~= nil then x.id = null end end
      end
    end
    if F.path == "campaigns" then out.events = A{}; out.lists = A{}; out.forms = A{} end
  end
  if F.path == "assets" and out.alias ~= null and out.language ~= null then
    out.downloadUrl = base_url() .. "/asset/:" .. tostring(out.alias)
  end
  return out
end

function _M.columns(F)
  local cols = {}
  for _, k in ipairs(json.keys(data.templates[F.path])) do cols[k] = true end
  return cols
end

function _M.value(F, e, col)
  local v = e[col]
  if type(v) == "table" and v ~= null then
    return v.id or v.name or v.title
  end
  return v
end

function _M.matches(F, e, search)
  if #F.search == 0 then return true end
  local s = search:lower()
  for _, col in ipairs(F.search) do
    local v = e[col]
    if type(v) == "string" and v:lower():find(s, 1, true) then return true end
  end
  return false
end

return _M
