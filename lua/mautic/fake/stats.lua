-- GET /api/stats and /api/stats/{table} (SUMMARY.md §5): raw rows of
-- Mautic's tables with every value a string and NULL columns left out,
-- a string total; an unknown table answers 200 with availableTables.
--
-- Rows come from the in-memory state: tables written by the verbs
-- (lead_points_change_log, email_stats, via _M.record) and views of side
-- tables (segment/campaign/company membership, dnc, utm tags, devices,
-- tracking hits, form submissions).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local extra = require "mautic.fake.data.extra"
local versions = require "mautic.fake.versions"

local null = json.null
local A = json.A
local ok = responses.ok

local _M = {}

-- 7.0's campaign_lead_event_log has two more columns (SUMMARY.md 7.0 §1.3)
local EVENT_LOG_70 = { "date_queued", "version" }

local TABLES = {}
local function tables()
  local v = versions.has("event_log_queue") and 7 or 5
  if not TABLES[v] then
    local t = json.decode(extra.stats_tables)
    if v == 7 then
      local cols = t.tableColumns.campaign_lead_event_log
      for _, c in ipairs(EVENT_LOG_70) do cols[#cols + 1] = c end
      table.sort(cols)
    end
    TABLES[v] = t
  end
  return TABLES[v]
end

local function str(v)
  if v == nil or v == null then return nil end
  if v == true then return "1" elseif v == false then return "0" end
  if type(v) == "number" and v == math.floor(v) then return string.format("%d", v) end
  return tostring(v)
end
_M.str = str

-- ordered row from { k1, v1, k2, v2, ... }: values as strings, nil/null dropped
function _M.row(list)
  local r = json.obj()
  local n = 0                                     -- the list may hold nils: find its real end
  for k in pairs(list) do if type(k) == "number" and k > n then n = k end end
  for i = 1, n, 2 do
    local v = str(list[i + 1])
    if v ~= nil then r[list[i]] = v end
  end
  return r
end

-- append a row to a recorded table; the id is the table's auto-increment.
-- list = { k1, v1, ... } (nil or json.null for NULL columns)
function _M.record(tbl, list)
  local t = store.extra("stats:" .. tbl)
  local id = #t + 1
  local full = { "id", id }
  local n = 0
  for k in pairs(list) do if type(k) == "number" and k > n then n = k end end
  for i = 1, n do full[i + 2] = list[i] end
  local r = _M.row(full)
  t[#t + 1] = r
  return r, id
end

local function recorded(tbl) return function() return store.extra("stats:" .. tbl) end end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- The rows of a list of { id, row } pairs, ordered by id (as MySQL
-- returns a table without ORDER BY: by primary key).
local function by_id(pairs_)
  table.sort(pairs_, function(a, b) return a[1] < b[1] end)
  for i, x in ipairs(pairs_) do pairs_[i] = x[2] end
  return pairs_
end

local function membership_rows(extra_name, id_col, extra_cols)
  return function()
    local out = {}
    local m = store.extra(extra_name)
    for _, gid in ipairs(sorted_keys(m)) do
      for _, cid in ipairs(sorted_keys(m[gid])) do
        local e = m[gid][cid]
        local l = { id_col, gid, "lead_id", cid, "date_added", e.date }
        for _, x in ipairs(extra_cols or {}) do l[#l + 1] = x end
        out[#out + 1] = _M.row(l)
      end
    end
    return out
  end
end

local VIEWS = {
  lead_points_change_log = recorded("lead_points_change_log"),
  email_stats = recorded("email_stats"),
  page_hits = recorded("page_hits"),
  form_submissions = recorded("form_submissions"),
  lead_lists_leads = membership_rows("segment_members", "leadlist_id", { "manually_removed", "0", "manually_added", "1" }),
  campaign_leads = function()
    local out = {}
    local m = store.extra("campaign_members")
    for _, gid in ipairs(sorted_keys(m)) do
      for _, cid in ipairs(sorted_keys(m[gid])) do
        out[#out + 1] = _M.row{ "campaign_id", gid, "lead_id", cid, "date_added", m[gid][cid].date,
                                "manually_removed", "0", "manually_added", "1", "rotation", "1" }
      end
    end
    return out
  end,
  companies_leads = membership_rows("company_members", "company_id", { "is_primary", "1" }),
  lead_donotcontact = function()
    local out = {}
    for _, c in ipairs(store.all("contacts")) do
      for _, d in ipairs(c.dnc or {}) do
        local date = d.dateAdded
        if type(date) == "string" then date = date:gsub("T", " "):gsub("%+00:00$", "") end
        out[#out + 1] = { d.id, _M.row{ "id", d.id, "lead_id", c.id, "date_added", date, "reason", d.reason,
                                         "channel", d.channel, "channel_id", d.channelId, "comments", d.comments } }
      end
    end
    return by_id(out)
  end,
  lead_utmtags = function()
    local out = {}
    for _, c in ipairs(store.all("contacts")) do
      for _, u in ipairs(c.utmtags or {}) do
        out[#out + 1] = { u.id, _M.row{ "id", u.id, "lead_id", c.id, "date_added", u.dateAdded or util.sql_date(),
          "referer", u.referer, "remote_host", u.remoteHost, "url", u.url, "user_agent", u.userAgent,
          "utm_campaign", u.utmCampaign, "utm_content", u.utmContent, "utm_medium", u.utmMedium,
          "utm_source", u.utmSource, "utm_term", u.utmTerm } }
      end
    end
    return by_id(out)
  end,
  lead_devices = function()
    local out = {}
    for _, d in ipairs(store.all("devices")) do
      local lead = type(d.lead) == "table" and d.lead ~= null and d.lead.id or nil
      out[#out + 1] = _M.row{ "id", d.id, "lead_id", lead, "date_added", util.sql_date(), "device", d.device,
        "device_brand", d.deviceBrand, "device_model", d.deviceModel, "device_os_name", d.deviceOsName,
        "device_os_shortname", d.deviceOsShortName, "device_os_version", d.deviceOsVersion,
        "device_os_platform", d.deviceOsPlatform }
    end
    return out
  end,
}

function _M.rows(tbl)
  local v = VIEWS[tbl]
  if not v then return {} end
  return v()
end

function _M.available(req)
  local t = tables()
  return ok(t)
end

---------------------------------------------------------------- where / order

local function like(s, pat)
  -- SQL LIKE: % any run, _ one char; case-insensitive like MySQL's default collation
  local lp = pat:lower():gsub("[%^%$%(%)%.%[%]%*%+%-%?]", "%%%0"):gsub("%%%%", "\1"):gsub("_", ".")
  lp = "^" .. lp:gsub("\1", ".*") .. "$"
  return s:lower():match(lp) ~= nil
end

local function cmp_val(a, b)
  local na, nb = tonumber(a), tonumber(b)
  if na and nb then return na, nb end
  return tostring(a), tostring(b)
end

local EXPR = {
  eq = function(v, x) return v ~= nil and v == tostring(x) end,
  neq = function(v, x) return v == nil or v ~= tostring(x) end,
  lt = function(v, x) if v == nil then return false end local a, b = cmp_val(v, x); return a < b end,
  lte = function(v, x) if v == nil then return false end local a, b = cmp_val(v, x); return a <= b end,
  gt = function(v, x) if v == nil then return false end local a, b = cmp_val(v, x); return a > b end,
  gte = function(v, x) if v == nil then return false end local a, b = cmp_val(v, x); return a >= b end,
  like = function(v, x) return v ~= nil and like(v, tostring(x)) end,
  notLike = function(v, x) return v == nil or not like(v, tostring(x)) end,
  isNull = function(v) return v == nil end,
  isNotNull = function(v) return v ~= nil end,
  ["in"] = function(v, x)
    for _, y in ipairs(type(x) == "table" and util.list(x) or util.split(x, ",")) do
      if v == tostring(y) then return true end
    end
    return false
  end,
  notIn = function(v, x)
    for _, y in ipairs(type(x) == "table" and util.list(x) or util.split(x, ",")) do
      if v == tostring(y) then return false end
    end
    return true
  end,
}
EXPR.between = function(v, x)
  local l = type(x) == "table" and util.list(x) or util.split(x, ",")
  return v ~= nil and EXPR.gte(v, l[1]) and EXPR.lte(v, l[2])
end
EXPR.notBetween = function(v, x) return not EXPR.between(v, x) end

function _M.table_rows(req)
  local tbl = req.params.table
  local t = tables()
  local columns = t.tableColumns[tbl]
  if not columns then return ok(t) end           -- unknown table: 200 with the list (as recorded)
  local colset = {}
  for _, c in ipairs(columns) do colset[c] = true end
  local rows = _M.rows(tbl)
  local where = util.list(req.args.where)
  local filtered = {}
  for _, w in ipairs(where) do
    if type(w) ~= "table" then return responses.uncaught(500) end
    local col, expr = w.col, w.expr or "eq"
    if not colset[col] or not EXPR[expr] then return responses.uncaught(500) end
  end
  for _, r in ipairs(rows) do
    local keep = true
    for _, w in ipairs(where) do
      if not EXPR[w.expr or "eq"](r[w.col], w.val) then keep = false; break end
    end
    if keep then filtered[#filtered + 1] = r end
  end
  local order = util.list(req.args.order)
  for _, o in ipairs(order) do
    if type(o) ~= "table" or not colset[o.col] then return responses.uncaught(500) end
  end
  if #order > 0 then
    local idx = {}
    for i, r in ipairs(filtered) do idx[r] = i end
    table.sort(filtered, function(a, b)
      for _, o in ipairs(order) do
        local va, vb = a[o.col], b[o.col]
        if va ~= vb then
          if va == nil then return tostring(o.dir):lower() ~= "desc" end
          if vb == nil then return tostring(o.dir):lower() == "desc" end
          local x, y = cmp_val(va, vb)
          if tostring(o.dir):lower() == "desc" then return x > y end
          return x < y
        end
      end
      return idx[a] < idx[b]
    end)
  end
  local start = util.int(req.args.start) or 0
  local limit = util.int(req.args.limit) or 100
  local out = A{}
  local last = (limit <= 0) and #filtered or math.min(#filtered, start + limit)
  for i = start + 1, last do out[#out + 1] = filtered[i] end
  return ok(json.O{ "total", tostring(#filtered), "stats", out })
end

function _M.routes()
  return {
    { "GET", "/api/stats", _M.available },
    { "GET", "/api/stats/{table}", _M.table_rows },
  }
end

return _M
