--- Visitor tracking through Mautic's public tracking endpoint, /mtc/event
-- (what mtc.js posts to), for servers that track on behalf of a browser,
-- e.g. an nginx/OpenResty handler:
--
--   local r = api.tracking.pageview({ page_url = ngx.var.scheme .. "://" .. ngx.var.host .. ngx.var.request_uri,
--                                     page_title = "Pricing", email = email },
--                                   { ip = ngx.var.remote_addr, user_agent = ngx.var.http_user_agent,
--                                     cookies = { mtc_id = ngx.var.cookie_mtc_id,
--                                                 mautic_device_id = ngx.var.cookie_mautic_device_id } })
--   if r then ngx.header["Set-Cookie"] = api.tracking.set_cookies(r, { max_age = 31536000 }) end
--
-- The request goes to the site root (not /api), form-encoded and WITHOUT
-- credentials: Mautic refuses to track a request that is authenticated.
local check = require "mautic.check"
local options = require "mautic.options"
local errors = require "mautic.errors"

local type, pairs, tostring, format = type, pairs, tostring, string.format
local concat = table.concat

local COOKIES = { "mtc_id", "mtc_sid", "mautic_device_id" }

local function header_value(v, what)
  if type(v) == "number" then v = tostring(v) end
  local ok, msg = check.no_controls(v, what)
  if not ok then return nil, msg end
  return v
end

local function cookie_value(v, name)
  if type(v) == "number" then v = format("%d", v) end
  if type(v) ~= "string" or not v:match("^[%w%-_%.]+$") then
    return nil, format("cookies.%s: letters, digits, '-', '_' or '.' expected", name)
  end
  return v
end

local function shape(need_url)
  return function(spec, data, opts)
    local body = {}
    for k, v in pairs(data or {}) do body[k] = v end
    if need_url and (type(body.page_url) ~= "string" or body.page_url == "") then
      return nil, "page_url is required (the URL the visitor saw)"
    end
    local ip = opts.ip or body.ip
    local ua = opts.user_agent or body.user_agent
    body.ip, body.user_agent = nil, nil
    local headers = {}
    if ip ~= nil then
      local v, msg = header_value(ip, "ip")
      if not v then return nil, msg end
      headers["X-Forwarded-For"] = v
    end
    if ua ~= nil then
      local v, msg = header_value(ua, "user_agent")
      if not v then return nil, msg end
      headers["User-Agent"] = v
    end
    -- the visitor's Mautic cookies identify the contact and the device
    local cookies = opts.cookies or {}
    if type(cookies) ~= "table" then return nil, "cookies: table expected" end
    local jar = {}
    for _, name in ipairs(COOKIES) do
      local v = cookies[name]
      if v == nil and name ~= "mtc_sid" then v = body[name] end
      if v ~= nil and v ~= "" then
        local cv, msg = cookie_value(v, name)
        if not cv then return nil, msg end
        jar[#jar + 1] = name .. "=" .. cv
      end
    end
    if #jar > 0 then headers["Cookie"] = concat(jar, "; ") end
    spec.body = body
    spec.headers = headers
    return true
  end
end

-- {"success":1,"id":<contact id>,"sid":<tracking id>,"device_id":"...","events":[]}
local function tracked(body, meta)
  if type(body) ~= "table" then
    return nil, errors.decode(meta.status, meta.body, "no JSON object", nil)
  end
  if body.success ~= 1 and body.success ~= true then
    return nil, errors.new{
      kind = "http", status = meta.status, code = meta.status,
      message = "Mautic did not track the hit (success = 0): it refuses authenticated requests and bad 'ct' values",
      body = meta.body,
    }
  end
  local r = {
    contact_id = body.id, session_id = body.sid, device_id = body.device_id, events = body.events,
    cookies = {},
  }
  if body.id ~= nil then r.cookies.mtc_id = tostring(body.id) end
  if body.sid ~= nil then r.cookies.mtc_sid = tostring(body.sid) end
  if body.device_id ~= nil then r.cookies.mautic_device_id = tostring(body.device_id) end
  return r
end

local COOKIE_OPTIONS = { path = "string", domain = "string", max_age = options.is_int(0), secure = "boolean",
                         same_site = options.is_one_of("Lax", "Strict", "None") }

-- set_cookies(result [, opts]): Set-Cookie header values for the browser.
local function set_cookies(client, family, fname, result, opts)
  if type(result) ~= "table" or type(result.cookies) ~= "table" then
    return nil, check.usage(format("bad argument #1 to '%s' (the result of pageview or event expected)", fname))
  end
  local perr
  opts, perr = options.problem(fname, 2, opts, COOKIE_OPTIONS)
  if not opts then return nil, check.usage(perr) end
  local attrs = { "Path=" .. (opts.path or "/") }
  if opts.domain then attrs[#attrs + 1] = "Domain=" .. opts.domain end
  if opts.max_age then attrs[#attrs + 1] = format("Max-Age=%d", opts.max_age) end
  if opts.secure then attrs[#attrs + 1] = "Secure" end
  attrs[#attrs + 1] = "SameSite=" .. (opts.same_site or "Lax")
  local suffix = "; " .. concat(attrs, "; ")
  for _, a in ipairs(attrs) do
    if a:find("[%z\1-\31\127;]") then
      return nil, check.usage(format("bad argument #2 to '%s' (cookie attributes may not hold ';' or controls)", fname))
    end
  end
  local out = {}
  for _, name in ipairs(COOKIES) do
    local v = result.cookies[name]
    if v ~= nil then
      local cv = cookie_value(v, name)
      if cv then out[#out + 1] = name .. "=" .. cv .. suffix end
    end
  end
  return out
end

-- what pageview and event take besides the common call options
local TRACKING_OPTIONS = { ip = "any", user_agent = "any", cookies = "table" }

return {
  name = "tracking", crud = false,
  verbs = {
    { "pageview", "POST", "/mtc/event", data = "body", base = "root", noauth = true, form = true,
      data_shape = shape(true), result = tracked, options = TRACKING_OPTIONS,
      doc = "Record a page hit as mtc.js does: page_url (required), page_title, page_referrer, page_language, " ..
        "utm_source/medium/campaign/content/term, and contact fields (email, firstname, ...). opts (or data): " ..
        "ip -> X-Forwarded-For, user_agent -> User-Agent, cookies = { mtc_id =, mautic_device_id = } from the " ..
        "visitor. Returns { contact_id, session_id, device_id, events, cookies = { mtc_id, mtc_sid, mautic_device_id } }.",
      example = 'local r = api.tracking.pageview({ page_url = "https://shop.example/pricing", email = "ann@example.com" },\n' ..
        '  { ip = "203.0.113.7", user_agent = "Mozilla/5.0" })' },
    { "event", "POST", "/mtc/event", data = "body", base = "root", noauth = true, form = true,
      data_shape = shape(false), result = tracked, options = TRACKING_OPTIONS,
      doc = "Post any tracking payload to /mtc/event (page_url optional): e.g. identify a visitor by email " ..
        "with contact fields. Same options and result as pageview.",
      example = 'api.tracking.event({ email = "ann@example.com", firstname = "Ann" }, { ip = "203.0.113.7" })' },
    { name = "set_cookies", handler = set_cookies, signature = "(result, [opts])",
      doc = "No request: Set-Cookie values (mtc_id, mtc_sid, mautic_device_id) for a pageview/event result; " ..
        "opts: path, domain, max_age, secure, same_site.",
      example = 'ngx.header["Set-Cookie"] = api.tracking.set_cookies(r, { max_age = 31536000, secure = true })' },
  },
}
