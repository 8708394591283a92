-- Public tracking (no auth): POST /mtc/event as mtc.js posts it, GET /mtc.js,
-- and the form submit endpoint POST /form/submit?formId=N.
--
-- /mtc/event takes a form-encoded or JSON body: page_url, page_title,
-- page_referrer, page_language, utm_*, and contact fields (email, firstname,
-- ...). The contact comes from the email (found or created), else from the
-- mtc_id / mautic_device_id cookies, else a new anonymous contact; the hit is
-- recorded (GET /__fake/state/hits, stats page_hits, report 1) and the answer
-- is {"success":1,"id":<contact>,"sid":<hit id>,"device_id":"…","events":[]}
-- with the cookies mtc_id, mtc_sid and mautic_device_id.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local families = require "mautic.fake.families"
local contacts = require "mautic.fake.contacts"
local fielded = require "mautic.fake.fielded"
local stats = require "mautic.fake.stats"
local devices_ua = require "mautic.fake.devices_ua"

local null = json.null
local O, A = json.O, json.A

local _M = {}

local CF = families.get("contacts")

local PAGE_KEYS = { page_url = true, page_title = true, page_referrer = true, page_language = true,
                    counter = true, timezone_offset = true, resolution = true, platform = true,
                    do_not_track = true, adblock = true, fingerprint = true, mtc_id = true, mautic_device_id = true,
                    ct = true }

local function header(req, name)
  local v = req.headers and req.headers[name]
  if type(v) == "table" then v = v[1] end
  return v
end

local function client_ip(req)
  local xff = header(req, "x-forwarded-for")
  if type(xff) == "string" and xff ~= "" then
    local first = xff:match("^%s*([^,%s]+)")
    if first then return first end
  end
  return ngx.var.remote_addr
end

local function cookies(req)
  local out = {}
  local raw = header(req, "cookie")
  if type(raw) ~= "string" then return out end
  for pair in raw:gmatch("[^;]+") do
    local k, v = pair:match("^%s*([^=%s]+)%s*=%s*(.-)%s*$")
    if k then out[k] = v end
  end
  return out
end

local ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
local function device_id()
  local t = {}
  for i = 1, 23 do
    local n = math.random(1, #ALNUM)
    t[i] = ALNUM:sub(n, n)
  end
  return table.concat(t)
end

local function devices() return store.extra("tracked_devices") end

-- contact field values of the payload
local function field_input(input)
  local aliases = fielded.aliases("fields/contact")
  local out = json.obj()
  for _, k in ipairs(json.keys(input)) do
    if aliases[k] and not PAGE_KEYS[k] then
      local v = input[k]
      if type(v) == "string" or type(v) == "number" then out[k] = v end
    end
  end
  return out
end

local function has_keys(t) return #json.keys(t) > 0 end

local function add_utm(rec, input, url, referrer, ip, ua)
  local any = false
  for _, k in ipairs({ "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term" }) do
    if type(input[k]) == "string" and input[k] ~= "" then any = true end
  end
  if not any then return end
  local seq = store.extra("subseq")
  seq.utm = (seq.utm or 0) + 1
  local function v(k) local x = input[k]; if x == nil or x == "" then return null end; return x end
  store.extra("utm_dates")[seq.utm] = util.iso()
  rec.utmtags[#rec.utmtags + 1] = O{
    "id", seq.utm, "query", A{}, "referer", referrer or null, "remoteHost", ip or null,
    "url", url or null, "userAgent", ua or null, "utmCampaign", v("utm_campaign"),
    "utmContent", v("utm_content"), "utmMedium", v("utm_medium"), "utmSource", v("utm_source"),
    "utmTerm", v("utm_term") }
end

-- the contact a hit belongs to: -> rec, created
local function resolve_contact(input, jar)
  local fields = field_input(input)
  local email = fields.email
  local known
  local cid = tonumber(jar.mtc_id or input.mtc_id)
  if cid then known = store.get("contacts", cid) end
  local dev = jar.mautic_device_id or input.mautic_device_id
  if not known and type(dev) == "string" and devices()[dev] then known = store.get("contacts", devices()[dev]) end
  if type(email) == "string" and email ~= "" then
    local byemail = contacts.find_by_email(email)
    if byemail then known = byemail
    elseif known and type(known.values.email) == "string" and known.values.email ~= "" then
      known = nil                                  -- a different person on the same device
    end
  end
  if known then
    if has_keys(fields) then
      local ok = contacts.edit(CF, known, fields, nil, false)
      if not ok then
        fields.email = nil
        contacts.edit(CF, known, fields, nil, false)
      end
    end
    return known, false
  end
  local rec = contacts.create(CF, fields, nil)
  if not rec then
    fields.email = nil
    rec = contacts.create(CF, fields, nil)
  end
  return rec, true
end

-- a page hit: the contact it belongs to, the hit row, the device id
local function hit(req, input)
  local jar = cookies(req)
  local rec = resolve_contact(input, jar)
  rec.lastActive = util.iso()
  local ip = client_ip(req)
  local ua = header(req, "user-agent")
  local url = type(input.page_url) == "string" and input.page_url or nil
  local referrer = type(input.page_referrer) == "string" and input.page_referrer or nil
  add_utm(rec, input, url, referrer, ip, ua)

  local dev = jar.mautic_device_id or input.mautic_device_id
  if type(dev) ~= "string" or not dev:match("^[%w]+$") then dev = device_id() end
  devices()[dev] = rec.id

  local hits = store.extra("hits")
  local id = #hits + 1
  local title = type(input.page_title) == "string" and input.page_title or nil
  local lang = type(input.page_language) == "string" and input.page_language or nil
  local hit_row = {
    id = id, url = url, title = title, referrer = referrer, ip = ip, user_agent = ua, contact_id = rec.id,
    device_id = dev, language = lang, date = util.sql_date(),
    utm_source = input.utm_source, utm_medium = input.utm_medium, utm_campaign = input.utm_campaign,
    utm_content = input.utm_content, utm_term = input.utm_term,
  }
  hits[id] = hit_row
  stats.record("page_hits", {
    "date_hit", hit_row.date, "lead_id", rec.id, "ip_id", 1, "code", 200, "referer", referrer or null,
    "url", url or null, "url_title", title or null, "user_agent", ua or null, "tracking_id", dev,
    "page_language", lang or null, "source", null,
    "utm_campaign", input.utm_campaign or null, "utm_content", input.utm_content or null,
    "utm_medium", input.utm_medium or null, "utm_source", input.utm_source or null,
    "utm_term", input.utm_term or null })
  devices_ua.track(rec.id, ua)
  return rec, hit_row, dev
end

local function tracking_cookies(rec, hit_row, dev)
  local attrs = "; path=/; samesite=lax"
  local year = "; expires=" .. ngx.cookie_time(ngx.time() + 365 * 86400)
  return {
    "mtc_id=" .. rec.id .. attrs,
    "mtc_sid=" .. hit_row.id .. attrs,
    "mautic_device_id=" .. dev .. year .. attrs,
  }
end

function _M.event(req)
  local input = req.input
  if type(input) ~= "table" or json.is_arr(input) then input = json.obj() end
  local rec, hit_row, dev = hit(req, input)
  return {
    status = 200, version = false,
    body = O{ "success", 1, "id", rec.id, "sid", hit_row.id, "device_id", dev, "events", A{} },
    headers = { ["Set-Cookie"] = tracking_cookies(rec, hit_row, dev) },
  }
end

-- GET /mtracking.gif: the tracking pixel; its query is the hit (url, title,
-- referrer or the page_* names, utm_*, contact fields); answers a 1x1 GIF
local PIXEL = "GIF89a\1\0\1\0\128\0\0\255\255\255\0\0\0!\249\4\1\0\0\0\0,\0\0\0\0\1\0\1\0\0\2\2D\1\0;"

function _M.pixel(req)
  local input = json.obj()
  for _, k in ipairs(json.keys(req.args)) do input[k] = req.args[k] end
  for _, pair in ipairs({ { "url", "page_url" }, { "title", "page_title" }, { "referrer", "page_referrer" },
                          { "language", "page_language" } }) do
    if input[pair[2]] == nil and type(input[pair[1]]) == "string" then input[pair[2]] = input[pair[1]] end
  end
  local rec, hit_row, dev = hit(req, input)
  return { status = 200, raw = PIXEL, content_type = "image/gif", version = false,
           headers = { ["Set-Cookie"] = tracking_cookies(rec, hit_row, dev),
                       ["Cache-Control"] = "private, no-cache, no-store, must-revalidate" } }
end

-- hits for GET /__fake/state/hits
function _M.state()
  local out = A{}
  for _, h in ipairs(store.extra("hits")) do
    out[#out + 1] = O{ "id", h.id, "url", h.url or null, "title", h.title or null, "referrer", h.referrer or null,
                       "ip", h.ip or null, "user_agent", h.user_agent or null, "contact_id", h.contact_id,
                       "device_id", h.device_id, "language", h.language or null, "date", h.date,
                       "utm_source", h.utm_source or null, "utm_medium", h.utm_medium or null,
                       "utm_campaign", h.utm_campaign or null, "utm_content", h.utm_content or null,
                       "utm_term", h.utm_term or null }
  end
  return out
end

local MTC_JS = [[
(function(w,d){
  // fake Mautic tracking script: posts a page hit to /mtc/event
  var base = (d.currentScript && d.currentScript.src || '').replace(/\/mtc\.js.*$/, '');
  w.MauticJS = w.MauticJS || {};
  w.mt = w.mt || function(){ (w.mt.q = w.mt.q || []).push(arguments); };
  w.MauticJS.send = function(params){
    var body = [];
    params = params || {};
    params.page_url = params.page_url || w.location.href;
    params.page_title = params.page_title || d.title;
    params.page_referrer = params.page_referrer || d.referrer;
    for (var k in params) body.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
    var x = new XMLHttpRequest();
    x.open('POST', base + '/mtc/event', true);
    x.withCredentials = true;
    x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
    x.send(body.join('&'));
  };
})(window, document);
]]

function _M.js(req)
  return { status = 200, raw = MTC_JS, content_type = "application/javascript", version = false }
end

---------------------------------------------------------------- forms

-- POST /form/submit?formId=N with mauticform[alias]=value: stores a
-- submission (GET /api/forms/{id}/submissions) and maps fields with a
-- leadField onto the contact (found by email or created).
function _M.form_submit(req)
  local input = type(req.input) == "table" and req.input or json.obj()
  local mf = type(input.mauticform) == "table" and input.mauticform or json.obj()
  local form = store.get("forms", req.args.formId or mf.formId or mf.formid)
  if not form then
    return { status = 404, raw = "<html><body>The form was not found.</body></html>",
             content_type = "text/html; charset=UTF-8", version = false }
  end
  local results = json.obj()
  local lead_input = json.obj()
  for _, f in ipairs(util.list(form.fields)) do
    if type(f) == "table" and type(f.alias) == "string" then
      local v = mf[f.alias]
      if type(v) == "table" then v = table.concat(util.list(v), ", ") end
      if v ~= nil then
        results[f.alias] = tostring(v)
        local lf = f.leadField ~= null and f.leadField or (f.mappedObject == "contact" and f.mappedField)
        if type(lf) == "string" and lf ~= "" then lead_input[lf] = v end
      end
    end
  end
  local jar = cookies(req)
  local rec = resolve_contact(lead_input, jar)
  local ip = client_ip(req)
  local referer = header(req, "referer")
  local subs = store.extra("form_submissions")
  local id = #subs + 1
  subs[id] = { id = id, form_id = form.id, contact_id = rec and rec.id, ip = ip, referer = referer,
               date = util.iso(), results = results }
  stats.record("form_submissions", { "form_id", form.id, "ip_id", 1, "lead_id", rec and rec.id or null,
    "tracking_id", null, "date_submitted", util.sql_date(), "referer", referer or null, "page_id", null })
  local ret = mf["return"]
  if type(ret) == "string" and ret:match("^https?://") then
    return { status = 302, raw = "", content_type = "text/html; charset=UTF-8", version = false,
             headers = { Location = ret } }
  end
  return { status = 200, content_type = "text/html; charset=UTF-8", version = false,
           raw = "<html><body><h1>Thank you for your submission.</h1></body></html>" }
end

function _M.routes()
  return {
    { "POST", "/mtc/event", _M.event },
    { "GET", "/mtc.js", _M.js },
    { "GET", "/mtracking.gif", _M.pixel },
    { "POST", "/form/submit", _M.form_submit },
  }
end

return _M
