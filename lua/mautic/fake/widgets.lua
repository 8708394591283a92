-- GET /api/data and /api/data/{type} (dashboard widgets, SUMMARY.md §5):
-- {"success":1,"types":{...}} and {"success":1,"cached":false,
-- "execution_time":…,"data":{…}}; an unknown type is a 404.
-- Line charts count the in-memory state per time unit (dateFrom, dateTo,
-- timeUnit Y m W d H); dataFormat=raw gives {label: {bucket: value}}.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local extra = require "mautic.fake.data.extra"
local calendar = require "mautic.dates"

local null = json.null
local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

local TYPES
local function types()
  if not TYPES then TYPES = json.decode(extra.data_types) end
  return TYPES
end

local function known(t)
  local all = types().types
  for _, g in ipairs(json.keys(all)) do
    if all[g][t] ~= nil then return true end
  end
  return false
end

function _M.list(req)
  return ok(types())
end

---------------------------------------------------------------- time

local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }

local function epoch(y, m, d, h, mi, s)
  return calendar.days_from_civil(y, m, d) * 86400 + (h or 0) * 3600 + (mi or 0) * 60 + (s or 0)
end

local function parse(v)
  if type(v) ~= "string" then return nil end
  local y, mo, d, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  local h, mi, s = rest:match("^[T ](%d%d):(%d%d):?(%d*)")
  return epoch(tonumber(y), tonumber(mo), tonumber(d), tonumber(h) or 0, tonumber(mi) or 0, tonumber(s) or 0)
end

local function parts(t)
  local d = os.date("!*t", t)
  return d.year, d.month, d.day, d.hour
end

-- the start of the bucket holding t
local function floor_unit(t, unit)
  local y, m, d, h = parts(t)
  if unit == "Y" then return epoch(y, 1, 1)
  elseif unit == "m" then return epoch(y, m, 1)
  elseif unit == "W" then
    local day0 = epoch(y, m, d)
    local wday = (math.floor(day0 / 86400) + 3) % 7        -- 0 = Monday
    return day0 - wday * 86400
  elseif unit == "H" then return epoch(y, m, d, h)
  end
  return epoch(y, m, d)
end

local function next_unit(t, unit)
  local y, m = parts(t)
  if unit == "Y" then return epoch(y + 1, 1, 1)
  elseif unit == "m" then
    if m == 12 then return epoch(y + 1, 1, 1) end
    return epoch(y, m + 1, 1)
  elseif unit == "W" then return t + 7 * 86400
  elseif unit == "H" then return t + 3600
  end
  return t + 86400
end

local function label(t, unit)
  local y, m, d, h = parts(t)
  if unit == "Y" then return tostring(y)
  elseif unit == "m" then return MONTHS[m] .. " " .. y
  elseif unit == "W" then return "Week " .. os.date("!%V", t) .. " " .. y
  elseif unit == "H" then
    local h12 = h % 12 == 0 and 12 or h % 12
    return string.format("%s %d %d%s", MONTHS[m], d, h12, h < 12 and "am" or "pm")
  end
  return string.format("%s %d, %02d", MONTHS[m], d, y % 100)
end

local MAX_BUCKETS = 50000

-- buckets between from and to: array of { start, label }
local function buckets(req)
  local unit = req.args.timeUnit
  if unit ~= "Y" and unit ~= "m" and unit ~= "W" and unit ~= "d" and unit ~= "H" then unit = "Y" end
  -- Mautic's defaults: from a month before today's midnight up to today's midnight
  -- (so today's rows are not counted, as recorded); an explicit dateTo day is inclusive
  local midnight = floor_unit(util.now(), "d")
  local from = parse(req.args.dateFrom) or (midnight - 30 * 86400)
  local to = parse(req.args.dateTo)
  if to and not tostring(req.args.dateTo):find("%d%d:%d%d") then to = to + 86399 end
  to = to or midnight
  if to < from then to = from end
  local out = {}
  local t = floor_unit(from, unit)
  while t <= to and #out < MAX_BUCKETS do
    out[#out + 1] = { t, label(t, unit) }
    t = next_unit(t, unit)
  end
  return out, unit, from, to
end

-- count ISO/SQL dates per bucket
local function count(dates, req)
  local bs, unit, from, to = buckets(req)
  local idx = {}
  for i, b in ipairs(bs) do idx[b[1]] = i end
  local values = {}
  for i = 1, #bs do values[i] = 0 end
  for _, d in ipairs(dates) do
    local t = parse(d)
    if t and t >= from and t <= to then
      local i = idx[floor_unit(t, unit)]
      if i then values[i] = values[i] + 1 end
    end
  end
  return bs, values
end

local COLORS = {
  { "rgba(78,93,157,0.1)", "rgba(78,93,157,0.8)", "rgba(78,93,157,1)" },
  { "rgba(0,180,156,0.1)", "rgba(0,180,156,0.8)", "rgba(0,180,156,1)" },
  { "rgba(253,149,114,0.1)", "rgba(253,149,114,0.8)", "rgba(253,149,114,1)" },
}

local function line_chart(req, series)
  local labels = A{}
  local datasets = A{}
  local raw = json.obj()
  local bs
  for si, s in ipairs(series) do
    local values
    bs, values = count(s.dates, req)
    local c = COLORS[(si - 1) % #COLORS + 1]
    datasets[#datasets + 1] = O{ "label", s.label, "data", A(values), "backgroundColor", c[1], "borderColor", c[2],
                                 "pointHoverBackgroundColor", c[3], "pointHoverBorderColor", c[3] }
    local r = json.obj()
    for i, b in ipairs(bs) do r[b[2]] = values[i] end
    raw[s.label] = r
  end
  for _, b in ipairs(bs or {}) do labels[#labels + 1] = b[2] end
  if req.args.dataFormat == "raw" then return raw end
  return O{ "chartType", "line", "chartHeight", 220, "chartData", O{ "labels", labels, "datasets", datasets } }
end

local function dates_of(fam, col)
  local out = {}
  for _, r in ipairs(store.all(fam)) do
    local v = r[col or "dateAdded"]
    if type(v) == "string" then out[#out + 1] = v end
  end
  return out
end

local function extra_dates(name, col)
  local out = {}
  for _, r in ipairs(store.extra(name)) do
    if type(r[col]) == "string" then out[#out + 1] = r[col] end
  end
  return out
end

local function table_widget(head, body)
  return O{ "headItems", A(head), "bodyItems", A(body or {}) }
end

local function limit_of(req) return util.int(req.args.limit) or 10 end

local WIDGETS = {
  ["created.leads.in.time"] = function(req)
    return line_chart(req, { { label = "All contacts", dates = dates_of("contacts") } })
  end,
  ["emails.in.time"] = function(req)
    return line_chart(req, { { label = "Sent emails", dates = extra_dates("stats:email_stats", "date_sent") } })
  end,
  ["page.hits.in.time"] = function(req)
    return line_chart(req, { { label = "Total visits", dates = extra_dates("hits", "date") } })
  end,
  ["submissions.in.time"] = function(req)
    return line_chart(req, { { label = "Submission Count", dates = extra_dates("stats:form_submissions", "date_submitted") } })
  end,
  ["points.in.time"] = function(req)
    return line_chart(req, { { label = "Point changes", dates = extra_dates("stats:lead_points_change_log", "date_added") } })
  end,
  ["top.lists"] = function(req)
    local members = store.extra("segment_members")
    local _, _, from, to = buckets(req)
    local rows = {}
    for _, s in ipairs(store.all("segments")) do
      local n = 0
      for _, m in pairs(members[s.id] or {}) do
        local t = parse(m.date)
        if t and t >= from and t <= to then n = n + 1 end
      end
      if n > 0 then rows[#rows + 1] = { s, n } end
    end
    table.sort(rows, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1].id < b[1].id end)
    local body = {}
    for i = 1, math.min(#rows, limit_of(req)) do
      local s, n = rows[i][1], rows[i][2]
      body[#body + 1] = A{ O{ "value", s.name, "type", "link", "link", "/s/segments/view/" .. s.id },
                           O{ "value", n } }
    end
    return table_widget({ "mautic.dashboard.label.title", "mautic.lead.leads" }, body)
  end,
  ["recent.activity"] = function(req)
    return table_widget({ "mautic.dashboard.label.title", "mautic.core.date" }, {})
  end,
  ["anonymous.vs.identified.leads"] = function(req)
    local anon, ident = 0, 0
    for _, c in ipairs(store.all("contacts")) do
      if c.dateIdentified ~= nil and c.dateIdentified ~= null then ident = ident + 1 else anon = anon + 1 end
    end
    return O{ "chartType", "pie", "chartHeight", 180, "chartData", O{
      "labels", A{ "Anonymous", "Identified" },
      "datasets", A{ O{ "data", A{ anon, ident }, "backgroundColor", A{ "#04B5FA", "#FD9572" },
                        "hoverBackgroundColor", A{ "#04B5FA", "#FD9572" } } } } }
  end,
}

function _M.get(req)
  local t = req.params.type
  if not known(t) then return not_found() end
  local started = ngx and ngx.now() or os.clock()
  local fn = WIDGETS[t]
  local data
  if fn then
    data = fn(req)
  elseif t:find("in.time", 1, true) then
    data = line_chart(req, { { label = t, dates = {} } })
  else
    data = table_widget({ "mautic.dashboard.label.title" }, {})
  end
  if ngx then ngx.update_time() end
  local elapsed = (ngx and ngx.now() or os.clock()) - started
  return ok(O{ "success", 1, "cached", false, "execution_time", elapsed + 0.0015, "data", data })
end

function _M.routes()
  return {
    { "GET", "/api/data", _M.list },
    { "GET", "/api/data/{type}", _M.get },
  }
end

return _M
