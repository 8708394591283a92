-- GET /api/reports and /api/reports/{id} (SUMMARY.md §5): the five system
-- reports of a fresh Mautic 5.1 (data/extra.lua), run against the
-- in-memory state: email stats (4), points log (5), form submissions (3),
-- tracking hits (1); asset downloads (2) has no source here and stays empty.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local extra = require "mautic.fake.data.extra"
local versions = require "mautic.fake.versions"

local null = json.null
local O, A = json.O, json.A
local ok, not_found = responses.ok, responses.not_found

local _M = {}

local REPORTS
local function reports()
  if not REPORTS then REPORTS = json.decode(extra.reports) end
  return REPORTS
end

local function find(id)
  id = tonumber(id)
  for _, r in ipairs(reports()) do if r.id == id then return r end end
end

function _M.list(req)
  local rows = {}
  local search = req.args.search
  for _, r in ipairs(reports()) do
    if type(search) ~= "string" or search == "" or
       (tostring(r.name):lower():find(search:lower(), 1, true)) then
      rows[#rows + 1] = r
    end
  end
  -- default order: name (as recorded); orderBy id|name, orderByDir
  local col = req.args.orderBy == "id" and "id" or "name"
  local desc = tostring(req.args.orderByDir or ""):lower() == "desc"
  table.sort(rows, function(a, b)
    local x, y = a[col], b[col]
    if desc then return x > y end
    return x < y
  end)
  local start = util.int(req.args.start) or 0
  local limit = util.int(req.args.limit) or 30
  local out = A{}
  local last = limit <= 0 and #rows or math.min(#rows, start + limit)
  for i = start + 1, last do out[#out + 1] = rows[i] end
  return ok(O{ "total", #rows, "reports", out })
end

---------------------------------------------------------------- sources

local function contact_value(id, alias)
  local c = store.get("contacts", tonumber(id))
  if not c then return "" end
  local v = c.values[alias]
  if v == nil or v == null then return "" end
  return tostring(v)
end

local function email_rows()
  local out = {}
  for _, s in ipairs(store.extra("stats:email_stats")) do
    local e = store.get("emails", tonumber(s.email_id))
    if e and e.isPublished ~= false then
      out[#out + 1] = O{ "date_sent", s.date_sent, "date_read", s.date_read or "",
                         "subject1", e.subject == nil and "" or e.subject, "email_address", s.email_address or "",
                         "e_id", s.email_id }
    end
  end
  return out, "date_sent"
end

local function points_rows()
  local out = {}
  for _, s in ipairs(store.extra("stats:lead_points_change_log")) do
    out[#out + 1] = O{ "date_added", s.date_added, "type", s.type, "event_name", s.event_name,
                       "firstname", contact_value(s.lead_id, "firstname"),
                       "lastname", contact_value(s.lead_id, "lastname"),
                       "email", contact_value(s.lead_id, "email"), "delta", s.delta }
  end
  return out, "date_added"
end

local function submission_rows()
  local out = {}
  for _, s in ipairs(store.extra("stats:form_submissions")) do
    local f = store.get("forms", tonumber(s.form_id))
    if f and f.isPublished ~= false then
      out[#out + 1] = O{ "date_submitted", s.date_submitted, "form_id", s.form_id, "name", f.name,
                         "lead_id", s.lead_id or "", "referer", s.referer or "" }
    end
  end
  return out, "date_submitted"
end

local function hit_rows()
  local out = {}
  for _, h in ipairs(store.extra("hits")) do
    out[#out + 1] = O{ "date_hit", h.date, "url", h.url or "", "url_title", h.title or "",
                       "referer", h.referrer or "", "ip_address", h.ip or "", "city", "", "country", "" }
  end
  return out, "date_hit"
end

local SOURCES = {
  ["email.stats"] = email_rows, ["lead.pointlog"] = points_rows,
  ["form.submissions"] = submission_rows, ["page.hits"] = hit_rows,
  ["asset.downloads"] = function() return {}, "date_download" end,
}

local COLUMNS = {
  ["lead.pointlog"] = O{ "date_added", "lp.date_added", "type", "lp.type", "event_name", "lp.event_name",
                         "firstname", "l.firstname", "lastname", "l.lastname", "email", "l.email", "delta", "lp.delta" },
  ["form.submissions"] = O{ "date_submitted", "fs.date_submitted", "form_id", "f.id", "name", "f.name",
                            "lead_id", "fs.lead_id", "referer", "fs.referer" },
  ["page.hits"] = O{ "date_hit", "ph.date_hit", "url", "ph.url", "url_title", "ph.url_title", "referer", "ph.referer",
                     "ip_address", "i.ip_address", "city", "ph.city", "country", "ph.country" },
  ["asset.downloads"] = O{ "date_download", "ad.date_download", "title", "a.title", "ip_address", "i.ip_address",
                           "firstname", "l.firstname", "lastname", "l.lastname", "email", "l.email", "a_id", "a.id" },
}

-- the recorded dataColumns of the email report, with the custom fields of today
local function email_columns()
  local rec = json.decode(extra.report_email_columns)
  local have = {}
  for _, fam in ipairs({ "fields/contact", "fields/company" }) do
    for _, f in ipairs(store.all(fam)) do have[f.alias] = fam end
  end
  local out = json.obj()
  local seen = {}
  for _, k in ipairs(json.keys(rec)) do
    -- the recorded server had two custom fields (golden_*): keep them only if they exist here
    if not k:match("^golden_") or have[k] then
      out[k] = rec[k]; seen[k] = true
    end
    if k == "e_created_by_user" and versions.has("report_dnc_preferences") then
      out.dnc_preferences = "dnc_preferences"; seen.dnc_preferences = true
    end
  end
  -- custom fields created since: append (after the recorded columns)
  for _, fam in ipairs({ "fields/company", "fields/contact" }) do
    for _, f in ipairs(store.all(fam)) do
      if not seen[f.alias] and not rec[f.alias] and f.alias ~= nil then
        out[f.alias] = (fam == "fields/company" and "comp." or "l.") .. f.alias
      end
    end
  end
  return out
end

local function day(v)
  -- "2020-01-01" | "2020-01-01 10:00:00" | ISO -> ("YYYY-mm-dd HH:MM:SS", ISO)
  if type(v) ~= "string" then return nil end
  local y, mo, d, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  local h, mi, s = rest:match("^[T ](%d%d):(%d%d):?(%d?%d?)")
  h, mi, s = h or "00", mi or "00", (s and s ~= "") and s or "00"
  return string.format("%s-%s-%s %s:%s:%s", y, mo, d, h, mi, s),
         string.format("%s-%s-%sT%s:%s:%s+00:00", y, mo, d, h, mi, s)
end

function _M.get(req)
  local r = find(req.params.id)
  if not r then return not_found() end
  local rows, date_col = SOURCES[r.source]()
  local from_sql, from_iso = day(req.args.dateFrom)
  local to_sql, to_iso = day(req.args.dateTo)
  if from_sql or to_sql then
    local kept = {}
    for _, row in ipairs(rows) do
      local d = row[date_col]
      if (not from_sql or (d and d >= from_sql)) and (not to_sql or (d and d <= to_sql:sub(1, 10) .. " 23:59:59")) then
        kept[#kept + 1] = row
      end
    end
    rows = kept
  end
  local pos = {}
  for i, row in ipairs(rows) do pos[row] = i end
  table.sort(rows, function(a, b)
    local x, y = tostring(a[date_col]), tostring(b[date_col])
    if x ~= y then return x < y end
    return pos[a] < pos[b]
  end)
  local limit = util.int(req.args.limit) or 0
  local page = util.int(req.args.page) or 1
  if page < 1 then page = 1 end
  local data = A{}
  local first = limit > 0 and (page - 1) * limit + 1 or 1
  local last = limit > 0 and math.min(#rows, first + limit - 1) or #rows
  for i = first, last do data[#data + 1] = rows[i] end
  local body = O{ "totalResults", #rows, "data", data,
                  "dataColumns", r.source == "email.stats" and email_columns() or json.copy(COLUMNS[r.source]),
                  "limit", limit, "page", page }
  if from_iso then body.dateFrom = from_iso end
  if to_iso then body.dateTo = to_iso end
  body.debug = A{}
  body.aggregatorColumns = A{}
  -- the report as the runner serializes it: isPublished first, null values left out
  local rep = O{ "isPublished", true }
  for _, k in ipairs(json.keys(r)) do
    if r[k] ~= null then rep[k] = r[k] end
  end
  body.report = rep
  return ok(body)
end

function _M.routes()
  return {
    { "GET", "/api/reports", _M.list },
    { "GET", "/api/reports/{id}", _M.get },
  }
end

return _M
