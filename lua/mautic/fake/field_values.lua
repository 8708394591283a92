-- Contact and company field values as real Mautic 5.1 / 7.0 store them, per field
-- type: what a write accepts, how it coerces a value, what it refuses (400) and what
-- makes it fail (500). Measured on both servers (doc/FIELD_VALUES.md).
--
-- A write goes through two steps, as on the real servers:
--   form(f, v)  the API form: 400s, coercions; { err = msg } | { absent = true } (the
--               value is dropped before the form, as if not sent) | { value = v } (nil:
--               empty)
--   raw(f, v)   a new contact's values are first set unvalidated (the duplicate
--               check): a value the form left empty can still come from there
--               -> shown, stored (nil: empty) | nil, "db" (the database refuses it: 500)
local json = require "mautic.fake.json"
local versions = require "mautic.fake.versions"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local dates = require "mautic.dates"

local null = json.null
local floor, ceil, format = math.floor, math.ceil, string.format

local _M = {}

-- The choice lists of the country, region, locale and timezone fields
-- (data/countries.lua ... data/timezones.lua; regions alone is 135 KB of
-- source) load on the first value of such a field, so a worker that never
-- sees one never holds them. Their name is built at run time: they are data
-- and require nothing, so this late require hides no module edge.
local DATA = {}
local function data(name)
  if DATA[name] == nil then DATA[name] = require("mautic.fake.data." .. name) end
  return DATA[name]
end

-- 7.x validates field values with newer Symfony rules and texts (versions.lua)
local function newer() return versions.has("symfony7_values") end

local function msg(kind)
  local new = newer()
  if kind == "choice" then return new and "The selected choice is invalid." or "This value is not valid." end
  if kind == "number" then return new and "Please enter a number." or "This value is not valid." end
  return "This value is not valid."
end
_M.msg = msg

local function blank(v) return v == nil or v == null or v == "" end
_M.blank = blank

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- PHP's (string) of a scalar
local function php_string(v)
  if v == true then return "1" end
  if v == false or v == nil or v == null then return "" end
  if type(v) == "number" then
    if v == floor(v) and v > -1e15 and v < 1e15 then return format("%d", v) end
    local s = format("%.14G", v)
    if s:find("E") then
      local m, e = s:match("^(.-)E([-+]%d+)$")
      if not m:find("%.") then m = m .. ".0" end
      return m .. "E" .. (e:sub(1, 1) == "+" and "+" or "-") .. tostring(tonumber(e:sub(2)))
    end
    return s
  end
  return tostring(v)
end
_M.php_string = php_string

-- PHP's (int) of a string: leading whitespace, a sign and digits
local function php_intval(s)
  local n = tonumber(tostring(s):match("^%s*([+-]?%d+)"))
  return n or 0
end

-- PHP's (float) of a string: its leading numeric part
local function php_floatval(v)
  if type(v) == "number" then return v end
  if v == true then return 1 end
  if type(v) ~= "string" then return 0 end
  local s = v:match("^%s*([+-]?%d*%.?%d*[eE][+-]?%d+)") or v:match("^%s*([+-]?%d*%.?%d*)")
  return tonumber(s) or 0
end

-- strip_tags, as the API's default input cleaning does
local function strip_tags(s)
  s = s:gsub("<!%-%-.-%-%->", "")
  s = s:gsub("<%s*[%a/!?][^>]*>", "")
  s = s:gsub("<%s*[%a/!?][^>]*$", "")
  s = s:gsub("<[%a/!?].*$", "")
  return s
end

-- the html cleaning of html fields: tags kept, event-handler attributes removed
local function clean_html(s)
  return (s:gsub("(<%a[^>]*>)", function(tag)
    tag = tag:gsub("%s+[oO][nN]%a+%s*=%s*\"[^\"]*\"", "")
    tag = tag:gsub("%s+[oO][nN]%a+%s*=%s*'[^']*'", "")
    tag = tag:gsub("%s+[oO][nN]%a+%s*=%s*[^%s>]+", "")
    return tag
  end))
end

---------------------------------------------------------------- dates (PHP's strtotime, the usual forms)

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6, jul = 7, aug = 8, sep = 9, sept = 9,
                 oct = 10, nov = 11, dec = 12, january = 1, february = 2, march = 3, april = 4, june = 6,
                 july = 7, august = 8, september = 9, october = 10, november = 11, december = 12 }

-- the calendar arithmetic is the client's (mautic.dates)
local days_from_civil, civil_from_days = dates.days_from_civil, dates.civil_from_days

-- the date part: y, m, d, rest | nil
local function date_part(s)
  local y, m, d, rest = s:match("^(%d%d%d%d)[-/](%d%d?)[-/](%d%d?)(.*)$")
  if y then return tonumber(y), tonumber(m), tonumber(d), rest end
  m, d, y, rest = s:match("^(%d%d?)/(%d%d?)/(%d%d%d%d)(.*)$")
  if m then return tonumber(y), tonumber(m), tonumber(d), rest end
  d, m, y, rest = s:match("^(%d%d?)[.-](%d%d?)[.-](%d%d%d%d)(.*)$")
  if d then return tonumber(y), tonumber(m), tonumber(d), rest end
  y, m, d, rest = s:match("^(%d%d%d%d)(%d%d)(%d%d)(.*)$")
  if y and (rest == "" or rest:match("^[Tt%s]")) then return tonumber(y), tonumber(m), tonumber(d), rest end
  local name
  d, name, y, rest = s:match("^(%d%d?)[%s%-]+(%a+)%.?,?[%s%-]+(%d%d%d%d)(.*)$")
  if d and MONTHS[name:lower()] then return tonumber(y), MONTHS[name:lower()], tonumber(d), rest end
  name, d, y, rest = s:match("^(%a+)%.?%s+(%d%d?),?%s+(%d%d%d%d)(.*)$")
  if name and MONTHS[name:lower()] then return tonumber(y), MONTHS[name:lower()], tonumber(d), rest end
  return nil
end

-- the time part: h, mi, sec, rest | nil ("" -> midnight)
local function time_part(s)
  if s == "" then return 0, 0, 0, "" end
  local t = s:gsub("^[Tt]", ""):gsub("^%s+", "")
  local h, mi, rest = t:match("^(%d%d?):(%d%d)(.*)$")
  local sec = 0
  if h then
    local sx, r2 = rest:match("^:(%d%d)(.*)$")
    if sx then
      sec, rest = tonumber(sx), r2
      rest = rest:gsub("^[.,]%d+", "")
    end
  else
    h, rest = t:match("^(%d%d?)(%s*[aApP]%.?[mM]%.?.*)$")
    mi = 0
    if not h then return nil end
  end
  h, mi = tonumber(h), tonumber(mi)
  local ampm, r3 = rest:match("^%s*([aApP])%.?[mM]%.?(.*)$")
  if ampm then
    if h < 1 or h > 12 then return nil end
    if ampm:lower() == "a" then h = (h == 12) and 0 or h
    else h = (h == 12) and 12 or h + 12 end
    rest = r3
  end
  if h > 24 or mi > 59 or sec > 60 then return nil end
  return h, mi, sec, rest
end

-- the zone: offset in seconds | nil
local function zone_part(s)
  s = trim(s)
  if s == "" then return 0 end
  local u = s:upper()
  if u == "Z" or u == "UTC" or u == "GMT" then return 0 end
  local sign, hh, mm = s:match("^([+-])(%d%d):?(%d%d)$")
  if not sign then sign, hh = s:match("^([+-])(%d%d?)$"); mm = "0" end
  if not sign then return nil end
  local off = tonumber(hh) * 3600 + tonumber(mm) * 60
  return sign == "-" and -off or off
end

-- seconds since the epoch (UTC) | nil
function _M.strtotime(s, now)
  if type(s) ~= "string" then return nil end
  s = trim(s)
  if s == "" then return nil end
  local y, m, d, rest = date_part(s)
  local h, mi, sec, zrest
  if y then
    if m < 1 or m > 12 or d > 31 then return nil end
    h, mi, sec, zrest = time_part(rest:gsub("^%s+", ""))
  else
    -- a time alone is today's; four digits alone are HHMM
    local t = os.date("!*t", now or os.time())
    y, m, d = t.year, t.month, t.day
    local hh, mm = s:match("^(%d%d)(%d%d)$")
    if hh then
      h, mi, sec, zrest = tonumber(hh), tonumber(mm), 0, ""
      if h > 24 or mi > 59 then return nil end
    else
      h, mi, sec, zrest = time_part(s)
      if h and zrest == s then return nil end
    end
  end
  if not h then return nil end
  local off = zone_part(zrest)
  if not off then return nil end
  return (days_from_civil(y, m, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + sec - off
end

local function fmt_epoch(t, pattern)
  local days = floor(t / 86400)
  local secs = t - days * 86400
  local y, m, d = civil_from_days(days)
  local h, mi, s = floor(secs / 3600), floor(secs % 3600 / 60), secs % 60
  return (pattern:gsub("%%(%a)", { Y = format("%04d", y), m = format("%02d", m), d = format("%02d", d),
                                   H = format("%02d", h), M = format("%02d", mi), S = format("%02d", s) }))
end

-- the "zero date placeholder" test both steps make: a value whose digits (once /, -
-- and spaces are gone) read as 0 is dropped
local function date_test(s)
  return php_intval((php_string(s):gsub("[/%- ]", ""))) ~= 0
end

local DATE_FMT = { date = "%Y-%m-%d", datetime = "%Y-%m-%d %H:%M:%S", time = "%H:%M:%S" }

-- MySQL's reading of a TIME string ('25:00' is 25:00:00, '10' 00:00:10) | nil
local function mysql_time(s)
  s = trim(s)
  local neg, h, mi, sec = s:match("^(%-?)(%d+):(%d%d):(%d%d)$")
  if not neg then neg, h, mi = s:match("^(%-?)(%d+):(%d%d)$"); sec = "0" end
  if not neg then
    local digits
    neg, digits = s:match("^(%-?)(%d+)$")
    if not digits then return nil end
    digits = ("000000" .. digits):sub(-math.max(6, #digits))
    h, mi, sec = digits:sub(1, -5), digits:sub(-4, -3), digits:sub(-2)
  end
  h, mi, sec = tonumber(h), tonumber(mi), tonumber(sec)
  if mi > 59 or sec > 59 or h > 838 then return nil end
  return format("%s%02d:%02d:%02d", neg, h, mi, sec)
end

---------------------------------------------------------------- numbers

local function scale_of(f)
  local p = f.properties
  local s = type(p) == "table" and p ~= null and tonumber(p.scale) or nil
  if not s or s == 0 then return nil end
  return floor(s)
end
_M.scale_of = scale_of

-- rounding as the form's number transformer does (NumberFormatter rounding modes),
-- on the decimal value (5.555 to 2 places is 5.56 under half-even)
local function round(n, scale, mode)
  local p = 10 ^ scale
  local x = tonumber(format("%.15g", n * p))
  local i = x >= 0 and floor(x) or ceil(x)
  local frac = math.abs(x - i)
  local away = x >= 0 and 1 or -1
  local r
  if mode == 0 then r = ceil(x)
  elseif mode == 1 then r = floor(x)
  elseif mode == 2 then r = i
  elseif mode == 3 then r = (frac > 0) and i + away or i
  else
    if frac > 0.5 then r = i + away
    elseif frac < 0.5 then r = i
    elseif mode == 5 then r = i
    elseif mode == 6 then r = i + away
    else r = (i % 2 == 0) and i or i + away end
  end
  return tonumber(format("%.15g", r / p))
end

-- the form's number: value | nil (empty) | false (not a number)
local function form_number(f, v)
  local s
  if v == true then s = "1"
  elseif v == false or v == nil or v == null then return nil
  elseif type(v) == "number" then s = php_string(v)
  elseif type(v) == "string" then s = v
  else return false end
  s = trim(strip_tags(s))
  if s == "" then return nil end
  s = s:gsub(",", ".")
  local mant = s:match("^(%-?[%d%.]+)[eE][+-]?%d+$") or s:match("^(%-?[%d%.]+)$")
  if not mant or not mant:find("%d") or select(2, mant:gsub("%.", "")) > 1 then return false end
  local n = tonumber(s)
  if not n then return false end
  local scale = scale_of(f)
  if scale then
    local p = f.properties
    n = round(n, scale, tonumber(p.roundmode) or 0)
  end
  return n
end

-- how a number is answered: an integer when the field has no scale (PHP's (int)),
-- else a float
function _M.number_out(f, n)
  if type(n) ~= "number" then return n end
  if scale_of(f) then return json.float(n) end
  return n >= 0 and floor(n) or ceil(n)
end

---------------------------------------------------------------- choices

-- the values of a select/multiselect field's list
local function list_values(f)
  local p = f.properties
  local list = type(p) == "table" and p ~= null and p.list
  local out = {}
  if type(list) == "string" then
    for part in (list .. "|"):gmatch("(.-)|") do out[part] = true end
  elseif type(list) == "table" and list ~= null then
    for _, item in ipairs(list) do
      if type(item) == "table" then
        if item.value ~= nil and item.value ~= null then out[php_string(item.value)] = true end
      else
        out[php_string(item)] = true
      end
    end
  end
  return out
end

-- the label of a list value (normalizedValue)
function _M.label(f, v)
  local p = f.properties
  local list = type(p) == "table" and p ~= null and p.list
  if type(list) == "table" and list ~= null then
    for _, item in ipairs(list) do
      if type(item) == "table" and php_string(item.value) == v then return item.label end
    end
  end
  return v
end

local CHOICE_DATA = { country = "countries", region = "regions", locale = "locales", timezone = "timezones" }

local function in_choices(f, s)
  local src = CHOICE_DATA[f.type]
  -- 7.x names Turkey by its ISO name
  if f.type == "country" and newer() then
    if s == "Turkey" then return false end
    if s == "T\195\188rkiye" then return true end
  end
  if src then return data(src)[s] == true end
  return list_values(f)[s] == true
end

---------------------------------------------------------------- emails

-- what Mautic takes for an email address (ASCII, a dotted domain, a local part of
-- at most 64 characters)
function _M.valid_email(s)
  if type(s) ~= "string" then return false end
  local loc, dom = s:match("^([%w!#$%%&'*+/=?^_`{|}~.-]+)@([%w.-]+)$")
  if not loc or #loc > 64 then return false end
  if loc:sub(1, 1) == "." or loc:sub(-1) == "." or loc:find("%.%.") then return false end
  if not dom:find("%.") or dom:sub(-1) == "." or dom:sub(1, 1) == "." or dom:find("%.%.") then return false end
  for label in dom:gmatch("[^.]+") do
    if label:sub(1, 1) == "-" or label:sub(-1) == "-" then return false end
  end
  return dom:match("%.(%a%a+)$") ~= nil
end

-- InputHelper::email: what is not an email character goes
local function clean_email(s)
  return trim((s:gsub("[^%w!#$%%&'*+/=?^_`{|}~@.%[%]-]", "")))
end

---------------------------------------------------------------- the form step

local STRING_TYPES = { text = true, textarea = true, html = true, lookup = true, tel = true, url = true,
                       email = true }

local function length_error(f, s, limit)
  local n = utf8 and utf8.len(s) or select(2, s:gsub("[^\128-\191]", ""))
  local text = "This value is too long. It should have %d characters or less."
  if (f.type == "text" or f.type == "lookup") and n > 191 then return format(text, 191) end
  if limit and limit > 0 and n > limit then return format(text, limit) end
end

local function form_boolean(f, v)
  -- set through the entity before the form sees it; "" goes on to the form (empty)
  if type(v) == "table" and v ~= null and #v == 1 then v = v[1] end
  if v == nil or v == null or v == "" then return { value = nil } end
  if type(v) == "table" then return { value = nil } end
  local s = trim(php_string(v)):lower()
  local yes = (s == "1" or s == "true" or s == "on" or s == "yes")
  return { value = yes and 1 or 0, bool = yes }
end

local function form_numeric(f, v)
  local n = form_number(f, v)
  if n == false then return { err = msg("number") } end
  return { value = n }
end

-- date, datetime, time: what strtotime cannot read is dropped, not refused
local function form_date(f, v)
  local t = f.type
  if v == nil or v == null then return { value = nil } end
  if type(v) == "table" or type(v) == "boolean" then return { absent = true } end
  local s = php_string(v)
  if not date_test(s) then return { absent = true } end
  local ts = _M.strtotime(s)
  if not ts then return { absent = true } end
  local pattern = DATE_FMT[t]
  if t == "time" or (t == "datetime" and not newer()) then pattern = pattern:gsub("%%S$", "00") end
  return { value = fmt_epoch(ts, pattern) }
end

-- a multiselect takes an array or one string of "|"-separated values
local function multiselect_items(v)
  local items = {}
  if type(v) == "table" then
    for _, x in ipairs(v) do items[#items + 1] = x end
  else
    local s = php_string(v)
    if s:find("|", 1, true) then
      for part in (s .. "|"):gmatch("(.-)|") do items[#items + 1] = part end
    else
      items[1] = s
    end
  end
  return items
end

local function form_multiselect(f, v)
  if v == nil or v == null or v == false then return { value = nil } end
  local out = {}
  for _, x in ipairs(multiselect_items(v)) do
    if type(x) == "table" then return { err = msg("choice") } end
    local s = php_string(x)
    if s ~= "" then
      if not in_choices(f, s) then return { err = msg("choice") } end
      out[#out + 1] = s
    end
  end
  if #out == 0 then return { value = nil } end
  return { value = table.concat(out, "|") }
end

-- select and the types whose choices are data (country, region, locale, timezone)
local function form_choice(f, v, limit)
  if v == nil or v == null or v == false then return { value = nil } end
  if type(v) == "table" then return { err = msg("choice") } end
  local s = php_string(v)
  if s == "" then return { value = nil } end
  if not in_choices(f, s) then return { err = msg("choice") } end
  local e = length_error(f, s, limit)
  if e then return { err = e } end
  return { value = s }
end

-- text-like types, and any type not in FORMS
local function form_text(f, v, limit)
  local t = f.type
  if v == nil or v == null or v == false then return { value = nil } end
  if type(v) == "table" then return { err = msg() } end
  local s = php_string(v)
  if t == "html" then s = clean_html(s) else s = strip_tags(s) end
  if t == "email" then s = trim(s) end
  if s == "" then return { value = nil } end
  if t == "url" and not (s:match("^[/.]") or s:match("^[%w+.-]+://") or s:match("^[^:/?@#]+@")) then
    s = "http://" .. s
  end
  local e = length_error(f, s, limit)
  if e then return { err = e } end
  if t == "email" and not _M.valid_email(s) then return { err = s .. " is invalid." } end
  s = trim(s)
  if s == "" then return { value = nil } end
  return { value = s }
end

-- the form step of each field type: function(f, v, limit)
local FORMS = { boolean = form_boolean, number = form_numeric, date = form_date, datetime = form_date,
                time = form_date, select = form_choice, multiselect = form_multiselect }
for t in pairs(CHOICE_DATA) do FORMS[t] = form_choice end

-- f: the field; v: the value sent; limit: the field's character limit (nil: none)
function _M.form(f, v, limit)
  return (FORMS[f.type] or form_text)(f, v, limit)
end

-- a form value the contact API drops (a numeric 0, as "not meant to overwrite")
function _M.zero(v)
  if type(v) == "number" then return (v >= 0 and floor(v) or ceil(v)) == 0 end
  if type(v) == "string" and tonumber(v) and not v:find("^%s") then
    local n = tonumber(v)
    return (n >= 0 and floor(n) or ceil(n)) == 0
  end
  return false
end

-- the contact API's second cleaning of a form value: a date whose digits read 0
-- (a time of 00:xx) is dropped
function _M.contact_empty(f, v)
  if v == nil then return true end
  if (f.type == "date" or f.type == "datetime" or f.type == "time") and not date_test(v) then return true end
  return false
end

---------------------------------------------------------------- the raw step (new contacts)

-- -> shown, stored (nil: nothing) | nil, nil, "db"
function _M.raw(f, v)
  local t = f.type
  if v == nil or v == null then return nil end
  if t == "boolean" then return nil end
  if t == "number" then
    local n = php_floatval(v)
    if n == 0 then return nil end
    return n, n
  end
  if t == "date" or t == "datetime" or t == "time" then
    if type(v) == "table" or type(v) == "boolean" then return nil end
    local s = php_string(v)
    if s == "" or not date_test(s) then return nil end
    local ts = _M.strtotime(s)
    if ts then
      local out = fmt_epoch(ts, DATE_FMT[t])
      return out, out
    end
    if t == "time" then
      local stored = mysql_time(s)
      if stored then return s, stored end
    end
    return nil, nil, "db"
  end
  local s
  if type(v) == "table" then
    local parts = {}
    for _, x in ipairs(v) do parts[#parts + 1] = php_string(x) end
    s = table.concat(parts, "|")
  else
    s = php_string(v)
  end
  if t == "email" then s = clean_email(s) end
  s = trim(s)
  if s == "" then return nil end
  return s, s
end

---------------------------------------------------------------- character limits

local LIMITED = { text = true, select = true, url = true, email = true }

-- the character limit of a field: 64 for every stock field; a custom text, select,
-- url or email field has the one it was created with (64 by default)
function _M.limit(f)
  local set = store.extra("field_limits")[f.id]
  if set ~= nil then return set or nil end
  if f.dateAdded == nil or f.dateAdded == null then return 64 end
  if LIMITED[f.type] then return 64 end
  return nil
end

---------------------------------------------------------------- field definitions

local TYPES = { boolean = true, country = true, date = true, datetime = true, email = true, hidden = true,
                locale = true, lookup = true, multiselect = true, number = true, region = true, select = true,
                tel = true, text = true, textarea = true, time = true, timezone = true, url = true, html = true }
local PROPERTIES = { textarea = { allowHtml = true }, multiselect = { list = true }, select = { list = true },
                     boolean = { yes = true, no = true }, lookup = { list = true }, date = { format = true },
                     datetime = { format = true }, number = { roundmode = true, scale = true } }

local function stringify(v)
  if type(v) == "table" and v ~= null then
    local out = json.is_obj(v) and json.obj() or json.A{}
    if json.is_obj(v) then
      for _, k in ipairs(json.keys(v)) do out[k] = stringify(v[k]) end
    else
      for i, x in ipairs(v) do out[i] = stringify(x) end
    end
    return out
  end
  if v == nil or v == null then return null end
  return php_string(v)
end

-- The properties a new custom field keeps, as /fields/{object}/new answers them: values
-- as strings, a lookup's "a|b" list as an array; 5.1 drops the keys its type has no
-- use for. -> properties | nil, error response
function _M.field_properties(t, props, object)
  if not TYPES[t] then
    local m = newer() and "The selected choice is invalid." or "This value is not valid."
    return nil, responses.validation({ { "type", m }, { "charLengthLimit", "This value should not be blank." } })
  end
  if type(props) ~= "table" or props == null then props = json.obj() end
  -- (a company lookup field given its list as "a|b" fails; as an array it is made)
  if object == "company" and t == "lookup" and type(props.list) == "string" then
    return nil, responses.uncaught(500)
  end
  local allowed = PROPERTIES[t] or {}
  local out = json.obj()
  for _, k in ipairs(json.is_obj(props) and json.keys(props) or {}) do
    if allowed[k] or newer() then out[k] = props[k] end
  end
  if allowed.list then
    local list = out.list
    if list == nil or list == null or list == "" or (type(list) == "table" and #list == 0 and not json.is_obj(list)) then
      return nil, responses.validation({ { "list", "At least one list value is required." } })
    end
    if t == "lookup" then
      if type(list) == "string" then
        local items = json.A{}
        for part in (list .. "|"):gmatch("(.-)|") do items[#items + 1] = part end
        out.list = items
      end
    elseif type(list) == "string" then
      if newer() then return nil, responses.uncaught(500) end
      return nil, responses.validation({ { "list", "This value is not valid." } })
    elseif type(list) == "table" then
      local bad = {}
      for _, item in ipairs(list) do
        if type(item) ~= "table" then bad[#bad + 1] = "This value is not valid." end
      end
      if #bad > 0 then
        local details = json.A{}
        for i, m in ipairs(bad) do details[i] = json.A{ m } end
        local body = json.O{ "code", 400, "message", table.concat(bad, ", "), "details", details }
        return nil, { status = 400, version = true, body = json.O{ "errors", json.A{ body } } }
      end
    end
  end
  if t == "boolean" and newer() then
    if blank(out.yes) then return nil, responses.bad_request("A 'positive' label is required.") end
    if blank(out.no) then return nil, responses.bad_request("A 'negative' label is required.") end
  end
  return stringify(out)
end

_M.STRING_TYPES = STRING_TYPES
_M.date_test = date_test
_M.mysql_time = mysql_time
_M.round = round

return _M
