--- Contact and company fields: learned from Mautic, checked before a write.
--
-- Mautic ignores a field alias it does not know without a word, stores a
-- boolean given "abc" as 0, a date it cannot read as null, "25:00" as a
-- time, "not a url" as "http://not a url", and cuts decimals a number field
-- does not keep (doc/FIELD_VALUES.md, measured on 5.1 and 7.0). So before a
-- contact or company is written, its keys and values are checked against
-- the field list (`/fields/contact`, `/fields/company`), fetched once per
-- client and kept `fields_ttl` seconds:
--   * a key that is neither a published field nor one of the keys Mautic
--     reads besides fields (tags, owner, stage, ...) is a usage error naming
--     it and the nearest known aliases;
--   * a value is checked the way Mautic reads the field's type; a Lua array
--     for a multiselect is sent as Mautic expects ("a|b"), a number for a
--     datetime as "YYYY-MM-DD HH:MM:SS" (UTC).
-- strict_fields = false (client or call) sends unchecked; "warn" reports
-- each problem to on_field_warning (default: stderr, or ngx.log inside
-- nginx) and sends as given.
local list = require "mautic.list"
local options = require "mautic.options"
local json = require "mautic.json"
local http = require "mautic.http"
local errors = require "mautic.errors"

local type, pairs, ipairs, tostring, tonumber, next = type, pairs, ipairs, tostring, tonumber, next
local find, match, format, lower, gsub, byte = string.find, string.match, string.format, string.lower, string.gsub,
                                               string.byte
local concat = table.concat
local floor, huge = math.floor, math.huge

local _M = {}

local null = json.null

-- The objects whose writes are checked: the family's name for the object,
-- Mautic's (fields' `object`), the list route, and the keys Mautic reads
-- besides fields (LeadApiController, CompanyApiController, 5.1 to 7.0).
local OBJECTS = {
  contact = {
    mautic = "lead", path = "/fields/contact", word = "contact",
    standard = {
      id = true, tags = true, companies = true, owner = true, stage = true, doNotContact = true,
      ipAddress = true, lastActive = true, overwriteWithBlank = true, frequencyRules = true,
      preferred_profile_image = true, custom_avatar = true,
    },
  },
  company = {
    mautic = "company", path = "/fields/company", word = "company",
    standard = { id = true, owner = true, score = true, overwriteWithBlank = true },
  },
}
_M.OBJECTS = OBJECTS

-- Values -----------------------------------------------------------------------
-- Each check takes the field and a value that is not empty, and returns the
-- value to send, or nil and what is wrong (said the way a user can act on it).

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= floor(k) then return false end
  end
  return true
end

local function plain(v)
  if type(v) == "number" then
    if v == floor(v) and v > -1e15 and v < 1e15 then return format("%d", v) end
    return format("%.14g", v)
  end
  return v
end

local BOOLEAN_WORDS = { ["1"] = true, ["0"] = true, ["true"] = true, ["false"] = true, yes = true, no = true,
                        on = true, off = true }

local function check_boolean(_, v)
  if type(v) == "boolean" or v == 1 or v == 0 then return v end
  if type(v) == "string" and BOOLEAN_WORDS[lower((gsub(v, "^%s*(.-)%s*$", "%1")))] then return v end
  return nil, format("a boolean field takes true/false, 1/0 or yes/no; Mautic stores %s as 0", options.describe(v))
end

-- decimals of a number as written: 5.25 -> 2, "5.250" -> 3, 1e3 -> 0
local function decimals(v)
  if type(v) == "number" and v == floor(v) then return 0 end
  local s = type(v) == "number" and format("%.14g", v) or v
  if not find(s, ".", 1, true) and not find(s, "[eE]") then return 0 end
  if find(s, "[eE]") then s = format("%.14g", tonumber(s)) end
  local frac = match(s, "%.(%d*)")
  if not frac then return 0 end
  frac = gsub(frac, "0+$", "")
  return #frac
end

-- a number as PHP's is_numeric reads one: no hex, no "inf", digits on at least one side of the point
local function numeric_text(s)
  -- the common case first, in one match: plain digits
  if match(s, "^%d+$") then return tonumber(s) end
  -- text that starts with a letter is no number (most of what fields hold)
  if not find(s, "^%s*[%d.+-]") then return nil end
  s = match(s, "^%s*(.-)%s*$")
  local mantissa, exp = match(s, "^([+-]?[%d.]+)(.*)$")
  if not mantissa or not (match(mantissa, "^[+-]?%d+%.?%d*$") or match(mantissa, "^[+-]?%.%d+$")) then return nil end
  if exp ~= "" and not match(exp, "^[eE][+-]?%d+$") then return nil end
  return tonumber(s)
end
_M.numeric_text = numeric_text

local function check_number(field, v)
  local n
  if type(v) == "number" then n = v elseif type(v) == "string" then n = numeric_text(v) end
  if not n or n ~= n or n == huge or n == -huge then
    local hint = type(v) == "string" and find(v, "^%s*[+-]?%d+,%d+%s*$") and " (write the decimal point as '.')" or ""
    return nil, format("a number expected, got %s%s", options.describe(v), hint)
  end
  local props = type(field.properties) == "table" and field.properties or {}
  local scale = tonumber(props.scale) or 0
  if field.alias ~= "points" and decimals(v) > scale then
    return nil, format("%s has %d decimals and this field keeps %d (its scale): Mautic would not store it as given",
      plain(v), decimals(v), scale)
  end
  return v
end

-- one "@" (not first), no space or angle bracket, a dot inside the domain
local function check_email(_, v)
  if type(v) == "string" and find(v, "^[^@%s<>]+@[^@%s<>.][^@%s<>]*%.[^@%s<>.]+$") then return v end
  return nil, format("an email address expected, got %s", options.describe(v))
end

local function check_url(_, v)
  if type(v) == "string" and not find(v, "%s") then
    if match(v, "^%a[%w+.-]*://[^/%s]") or match(v, "^/") then return v end
    -- a host without a scheme: Mautic adds http://
    if match(v, "^[%w][%w.-]*%.%a%a+[/?#:]?") and not find(v, "^%a[%w+.-]*:[^%d]") then return v end
  end
  return nil, format("a URL expected (https://...), got %s: Mautic would store it as \"http://%s\"",
    options.describe(v), tostring(v))
end

local DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function valid_date(y, m, d)
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if not (y and m and d) or m < 1 or m > 12 or d < 1 then return false end
  if m == 2 and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then return d <= 29 end
  return d <= DAYS[m]
end

local function valid_time(s)
  local h, mi, rest = match(s, "^(%d%d?):(%d%d)(.*)$")
  if not h or tonumber(h) > 23 or tonumber(mi) > 59 then return false end
  if rest == "" then return true end
  local sec, frac = match(rest, "^:(%d%d)(.*)$")
  if not sec or tonumber(sec) > 59 then return false end
  return frac == "" or match(frac, "^%.%d+$") ~= nil
end

-- a time, then maybe a zone: "10:00", "10:00:00.5Z", "10:00:00+02:00"
local function valid_time_zone(s)
  local t, zone = match(s, "^([%d:.]+)(.*)$")
  if not t or not valid_time(t) then return false end
  return zone == "" or zone == "Z" or match(zone, "^[+-]%d%d:?%d%d$") ~= nil or match(zone, "^[+-]%d%d$") ~= nil
end

-- "YYYY-MM-DD", then maybe a time: "YYYY-MM-DD[ T]HH:MM[:SS]", with a zone
-- when `zones`, else only a UTC one (a date field keeps the UTC date: a
-- zone could move it a day)
local function valid_date_text(s, zones)
  local y, m, d, rest = match(s, "^(%d%d%d%d)%-(%d%d?)%-(%d%d?)(.*)$")
  if not y or not valid_date(y, m, d) then return false end
  if rest == "" then return true end
  local t = match(rest, "^[T ](.+)$")
  if not t then return false end
  if not zones then t = gsub(gsub(t, "Z$", ""), "[+-]00:?00$", "") end
  return zones and valid_time_zone(t) or valid_time(t)
end

local DATE_HINT = "; write it as YYYY-MM-DD (Mautic reads 01/05/2024 as January 5 and stores what it cannot read as null)"

local function check_date(_, v)
  if type(v) == "string" and valid_date_text(v, false) then return v end
  return nil, format("a date expected, got %s%s", options.describe(v), DATE_HINT)
end

local function check_datetime(_, v)
  if type(v) == "string" then
    -- the common form in one match: YYYY-MM-DD HH:MM:SS
    local y, m, d, h, mi, s = match(v, "^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):(%d%d)$")
    if y and valid_date(y, m, d) and tonumber(h) < 24 and tonumber(mi) < 60 and tonumber(s) < 60 then return v end
  end
  if type(v) == "number" and v == v and v > -6e10 and v < 2.5e11 then
    return os.date("!%Y-%m-%d %H:%M:%S", floor(v))       -- epoch seconds, as Mautic keeps them: UTC
  end
  if type(v) == "string" and valid_date_text(v, true) then return v end
  return nil, format("a date and time expected (YYYY-MM-DD HH:MM:SS, or epoch seconds), got %s; "
    .. "Mautic stores what it cannot read as null", options.describe(v))
end

local function check_time(_, v)
  if type(v) == "string" and valid_time(v) then return v end
  return nil, format("a time expected (HH:MM or HH:MM:SS, 00:00 to 23:59), got %s; Mautic stores \"25:00\" "
    .. "as given and \"10am\" as 10:00", options.describe(v))
end

-- The choices of a select or multiselect: value -> label. Mautic writes
-- them as [{label, value}], as ["a", "b"], or as "a|b" (older fields).
local function choices_of(field)
  local c = field.choices
  if c then return c end
  c = {}
  local props = type(field.properties) == "table" and field.properties or {}
  local l = props.list
  if type(l) == "string" then
    for part in (l .. "|"):gmatch("([^|]*)|") do
      local value, label = match(part, "^(.-)%s*=%s*(.*)$")
      if value then c[value] = label else c[part] = part end
    end
  elseif type(l) == "table" then
    for k, item in pairs(l) do
      if type(item) == "table" and item.value ~= nil then
        c[tostring(plain(item.value))] = tostring(item.label or item.value)
      elseif type(item) == "string" or type(item) == "number" then
        -- a list of strings, or an object value -> label
        if type(k) == "number" then c[tostring(plain(item))] = tostring(item)
        else c[tostring(k)] = tostring(item) end
      end
    end
  end
  field.choices = c
  field.known_choices = next(c) ~= nil
  return c
end

local function choice_problem(field, value)
  local c = choices_of(field)
  if not field.known_choices or c[value] ~= nil then return nil end
  for v, label in pairs(c) do
    if label == value then return format("%q is the label of the choice %q: send its value", value, v) end
  end
  local values = {}
  for v in pairs(c) do values[#values + 1] = v end
  table.sort(values)
  local near = options.nearest(value, values, 1)
  return format("%q is not one of its choices (%s)%s; Mautic refuses it", value,
    concat(values, ", ", 1, values[9] and 8 or #values) .. (values[9] and ", ..." or ""),
    near[1] and ("; did you mean " .. format("%q", near[1]) .. "?") or "")
end

local function check_select(field, v)
  if type(v) == "table" then
    return nil, "one value expected: a select field takes one choice (a multiselect field takes several)"
  end
  if type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean" then
    return nil, format("a choice expected, got %s", options.describe(v))
  end
  local why = choice_problem(field, tostring(plain(v)))
  if why then return nil, why end
  return v
end

local function check_multiselect(field, v)
  local items = {}
  if type(v) == "table" then
    if not is_array(v) then return nil, "an array of choices expected, or \"a|b\"" end
    for i, x in ipairs(v) do
      if type(x) ~= "string" and type(x) ~= "number" then
        return nil, format("item %d: a choice expected, got %s", i, options.describe(x))
      end
      items[i] = tostring(plain(x))
    end
  elseif type(v) == "string" or type(v) == "number" then
    for part in (tostring(plain(v)) .. "|"):gmatch("([^|]*)|") do items[#items + 1] = part end
  else
    return nil, format("choices expected (an array, or \"a|b\"), got %s", options.describe(v))
  end
  for _, item in ipairs(items) do
    local why = choice_problem(field, item)
    if why then
      if find(item, ",", 1, true) and not find(item, "|", 1, true) then
        why = why .. " (separate several choices with | or give a Lua array)"
      end
      return nil, why
    end
  end
  -- Mautic reads several choices as one string joined with |
  if type(v) == "table" then return concat(items, "|") end
  return v
end

local function check_text(_, v)
  local t = type(v)
  if t == "string" and find(v, "<", 1, true) then
    -- Mautic strips tags from these fields: "x<y" would be stored as "x"
    return nil, format("Mautic strips HTML from this field, and %s holds a '<': it would not be stored as given "
      .. "(an html field keeps it)", options.describe(v))
  end
  if t == "string" or t == "number" or t == "boolean" then return v end
  return nil, format("text expected, got %s", options.describe(v))
end

-- html fields keep their markup (Mautic only removes event attributes)
local function check_html(_, v)
  local t = type(v)
  if t == "string" or t == "number" then return v end
  return nil, format("text expected, got %s", options.describe(v))
end

local function check_country(_, v)
  if type(v) ~= "string" then return nil, format("a country's name expected, got %s", options.describe(v)) end
  if match(v, "^%u%u%u?$") then
    return nil, format("Mautic takes a country's English name (\"France\", \"United States\"), not its code %q", v)
  end
  return v
end

local function check_locale(_, v)
  if type(v) ~= "string" then return nil, format("a locale expected (fr_FR), got %s", options.describe(v)) end
  local a, b = match(v, "^(%a%a%a?)%-(%w+)$")
  if a then return nil, format("Mautic writes locales with an underscore: %s_%s, not %q", a, b, v) end
  return v
end

local function check_timezone(_, v)
  if type(v) ~= "string" then return nil, format("a time zone expected (Europe/Paris), got %s", options.describe(v)) end
  if v ~= "UTC" and not find(v, "/", 1, true) then
    return nil, format("a tz database name expected (\"Europe/Paris\", \"America/New_York\", \"UTC\"); "
      .. "Mautic refuses %q", v)
  end
  return v
end

local CHECKS = {
  boolean = check_boolean, number = check_number, email = check_email, url = check_url, date = check_date,
  datetime = check_datetime, time = check_time, select = check_select, multiselect = check_multiselect,
  country = check_country, locale = check_locale, timezone = check_timezone,
  -- any text: lookups suggest values but Mautic stores any (checked on 5.1 and 7.0)
  lookup = check_text, region = check_text, text = check_text, textarea = check_text, tel = check_text,
  html = check_html,
}
_M.CHECKS = CHECKS

-- Field lists ------------------------------------------------------------------

-- A field set: { object, by_alias = alias -> field, names = { published aliases and standard keys } }
local function fieldset(object, rows)
  local o = OBJECTS[object]
  -- known: every key a write may hold (published fields and the standard keys), for one lookup
  local set = { object = object, by_alias = {}, names = {}, known = {} }
  for _, f in ipairs(rows) do
    if type(f) == "table" and type(f.alias) == "string" and (f.object == nil or f.object == o.mautic) then
      f.memo, f.memo_n = {}, 0
      f.check = CHECKS[f.type] or check_text
      set.by_alias[f.alias] = f
      if f.isPublished ~= false then set.names[#set.names + 1] = f.alias end
    end
  end
  for k in pairs(o.standard) do set.names[#set.names + 1] = k end
  for _, k in ipairs(set.names) do set.known[k] = true end
  return set
end
_M.fieldset = fieldset

-- GET the field list; a user who may not read /fields (403) but may edit
-- contacts reads /contacts/list/fields (published fields, without choices).
local function fetch(client, object)
  local o = OBJECTS[object]
  local body, meta = http.call(client, { method = "GET", path = o.path, query = { limit = 0 } })
  if body ~= nil then
    return fieldset(object, list.values_in_order(type(body) == "table" and body.fields, meta.body, "fields"))
  end
  local err = meta
  if err.status == 403 then
    local b2, m2 = http.call(client, { method = "GET", path = "/contacts/list/fields" })
    if b2 ~= nil then return fieldset(object, list.values_in_order(b2, m2.body)) end
  end
  return nil, err
end

--- The field set of `object` ("contact" or "company") for a client: from
-- its cache when younger than client.fields_ttl, else fetched.
-- @treturn[1] table the field set
-- @treturn[2] nil
-- @treturn[2] mautic.error why the fields could not be read
function _M.get(client, object)
  local cache = client.field_cache
  if not cache then
    cache = {}
    client.field_cache = cache
  end
  local entry = cache[object]
  local now = client.now()
  if entry and now - entry.at < client.fields_ttl then return entry.set end
  local set, err = fetch(client, object)
  if not set then
    err.message = format("cannot check the %s fields before sending (%s); strict_fields = false sends unchecked",
      OBJECTS[object].word, tostring(err.message))
    return nil, err
  end
  cache[object] = { set = set, at = now }
  return set
end

--- Forget the cached field lists of a client (the next checked write reads them again).
function _M.forget(client)
  client.field_cache = nil
end

-- Rows -------------------------------------------------------------------------

--- A key that is no field: the usage message ("firstnme: no such contact
-- field; did you mean firstname?"), or nil when the key is known.
function _M.unknown_key(set, key)
  if set.known[key] then return nil end
  local o = OBJECTS[set.object]
  if o.standard[key] then return nil end
  local f = set.by_alias[key]
  if f and f.isPublished ~= false then return nil end
  if type(key) ~= "string" then
    return format("%s: a field alias (a string key) expected", options.describe(key))
  end
  if f then return format("%s: the %s field is unpublished, and Mautic ignores it", key, o.word) end
  if key == "fields" then
    return format("fields: Mautic reads each %s field at the top level ({ email = ... }), not under fields", o.word)
  end
  local near = options.nearest(key, set.names, 3)
  local hint = ""
  if #near > 0 then hint = "; did you mean " .. concat(near, " or ") .. "?" end
  return format("%s: no such %s field%s", key, o.word, hint)
end

--- Check one value for the field `key`: the value to send, or nil and
-- what is wrong. Empty values ("", null) always pass: they clear or skip.
-- Does PHP read v as a number whose integer part is 0? Mautic drops such a
-- value from a contact create or PATCH, whatever the field (0, "0", "00", 0.4).
local function php_zero(v)
  local t = type(v)
  if t == "number" then return v > -1 and v < 1 end
  if t ~= "string" then return false end
  -- a number starts with a digit, a sign, a point or a space (all below ':'):
  -- most text is out at its first byte; PHP reads no hex ("0x0")
  local b = byte(v, 1)
  if b == nil or b > 57 then return false end
  local n = tonumber(v)
  if n == nil or n <= -1 or n >= 1 then return false end
  return numeric_text(v) ~= nil
end

local ZERO = "Mautic drops a value it reads as the number 0 from a contact create or PATCH (the field keeps its "
  .. "old value, or stays empty); to store it, edit with { create = true } (a PUT, which clears the fields not sent)"

-- accepted values kept per field, so that a value seen before (a city, a
-- date, a choice: imports repeat them) costs one lookup; bounded per field
local MEMO_SIZE = 512

function _M.check_value(set, key, v)
  if v == "" or v == null then return v end
  local f = set.by_alias[key]
  if not f then return v end                 -- a standard key: Mautic checks it
  local memo = f.memo
  if memo then
    local sent = memo[v]
    if sent ~= nil then return sent end
  else
    memo = {}
    f.memo, f.memo_n = memo, 0
  end
  local check = CHECKS[f.type] or check_text
  local sent, why = check(f, v)
  -- the memo holds accepted values that are no PHP zero (check_row reads it)
  if sent ~= nil and type(v) ~= "table" and f.memo_n < MEMO_SIZE and not php_zero(v) then
    memo[v] = sent
    f.memo_n = f.memo_n + 1
  end
  return sent, why
end

--- Check one row (a table of alias -> value).
-- @tparam table set the field set
-- @tparam table row
-- @tparam[opt] string method the request's method: a contact's POST and PATCH drop zeros
-- @treturn table the row to send (a copy when a value was converted)
-- @treturn string|nil the first unknown key's message (a usage mistake)
-- @treturn table|nil problems with values: alias -> message
function _M.check_row(set, row, method)
  local out = row
  local problems
  local drops_zero = set.object == "contact" and (method == "POST" or method == "PATCH")
  local known, by_alias = set.known, set.by_alias
  for k, v in pairs(row) do
    -- the common case inline (an import checks every row): a value of this
    -- field seen before, accepted and no zero (the memo holds only those)
    local f = by_alias[k]
    local memo = f and f.memo
    local sent, why = memo and memo[v], nil
    if sent == nil then
      -- a published field is known; anything else is looked at closely
      if not (f and f.isPublished ~= false) and not known[k] then
        local unknown = _M.unknown_key(set, k)
        if unknown then return row, unknown end
      end
      if f and f.check == check_text and type(v) == "string" and (byte(v, 1) or 0) > 57 and not find(v, "<", 1, true) then
        -- plain text that starts with a letter: fine, and no PHP zero (most values of an import)
        sent = v
      elseif f and v ~= "" and v ~= null then
        sent, why = f.check(f, v)
        if sent ~= nil then
          if php_zero(v) then
            if drops_zero then sent, why = nil, ZERO end
          elseif f.memo_n < MEMO_SIZE and type(v) ~= "table" then
            memo[v] = sent
            f.memo_n = f.memo_n + 1
          end
        end
      else
        sent = _M.check_value(set, k, v)
      end
    end
    if sent == nil then
      problems = problems or {}
      problems[k] = why
    elseif sent ~= v then
      if out == row then
        out = {}
        for kk, vv in pairs(row) do out[kk] = vv end
      end
      out[k] = sent
    end
  end
  return out, nil, problems
end

--- The message and details of a row's value problems, Mautic's way:
-- "pdate: ..., pbool: ..." and { pdate = { "..." }, ... }.
function _M.describe_problems(problems)
  local keys = {}
  for k in pairs(problems) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts, details = {}, {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = k .. ": " .. problems[k]
    details[k] = { problems[k] }
  end
  return concat(parts, ", "), details
end

--- Check the body of one write (a create or an edit) before it is sent.
-- @tparam table client
-- @tparam string object "contact" or "company"
-- @tparam table row the body
-- @param mode true, false or "warn"
-- @tparam string method the request's method
-- @treturn[1] table the row to send
-- @treturn[2] nil
-- @treturn[2] mautic.error|nil the error to return (fields unreadable, or bad values: kind "usage", details by field)
-- @treturn[2] string|nil a usage message to raise (an unknown key)
function _M.check_write(client, object, row, mode, method)
  if mode == false or type(row) ~= "table" then return row end
  local set, err = _M.get(client, object)
  if not set then return nil, err end
  local out, unknown, problems = _M.check_row(set, row, method)
  if unknown then
    if mode ~= "warn" then return nil, nil, unknown end
    _M.warn(client, { object = object, message = unknown })
    -- the other keys are still checked, the unknown one is sent as given
    local rest = {}
    for k, v in pairs(row) do if not _M.unknown_key(set, k) then rest[k] = v end end
    local checked, _, more = _M.check_row(set, rest, method)
    for k, v in pairs(row) do if checked[k] == nil then checked[k] = v end end
    out, problems = checked, more
  end
  if problems then
    if mode == "warn" then
      for k, why in pairs(problems) do
        _M.warn(client, { object = object, field = k, value = row[k], message = k .. ": " .. why })
      end
      return row == out and row or out
    end
    local message, details = _M.describe_problems(problems)
    return nil, errors.new{ kind = "usage", message = message, details = details, maybe_applied = false }
  end
  return out
end

--- How strict a call is: its own strict_fields, else the client's.
function _M.mode(client, opts)
  local m = opts and opts.strict_fields
  if m == nil then m = client.strict_fields end
  return m
end

--- Report a problem in "warn" mode: to the client's on_field_warning, else
-- to nginx's log or stderr.
function _M.warn(client, w)
  if client.on_field_warning then return client.on_field_warning(w) end
  local text = "lua-mautic: warning: " .. w.message .. (w.row and (" (row " .. w.row .. ")") or "") ..
               ", sent as given (strict_fields = \"warn\")"
  if rawget(_G, "ngx") and ngx.log then return ngx.log(ngx.WARN, text) end
  io.stderr:write(text, "\n")
end

return _M
