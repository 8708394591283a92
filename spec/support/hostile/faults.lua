-- luacheck: globals ngx
--- Fault rules of the hostile server: which request gets which misbehaviour.
--
-- Rules are tried in order; each one whose filters match (path: a Lua
-- pattern on the path without the query; method; reused_only: only a
-- request that is not the first on its connection) counts the request, then
-- decides whether it fires (skip the first `skip` matches, then at most
-- `count` times, every `every`-th match, with probability `p` from the
-- rule's own PRNG seeded by the configured seed). The first rule that fires
-- acts; a rule that matches but does not fire lets the next one try.
--
-- Actions (extra fields in brackets). "Stores" means the request goes to its
-- handler first (it is counted in arrivals and applied); `store = true|false`
-- changes that where the name does not say it.
--   store_then_drop   stores, closes the connection without an answer (444)
--   drop              closes at once, body unread, nothing stored
--   store_then_500    stores, answers Mautic's uncaught 500
--   status            [status=503, body, headers, content_type] answers that
--                     status (502-504: nginx's HTML page; 429: Mautic's body)
--   store_then_delay  [delay=2, at most 60] stores, sleeps, then answers
--   empty_2xx         [status] stores, answers the handler's 2xx (or status)
--                     with an empty body
--   garbage_status    [variant=status_line|random, bytes=64 (<= 64 KiB), raw] a status
--                     line that is not HTTP ("HTTP/1.1 2x0 OK") or seeded
--                     random bytes, on the raw socket, then closes
--   non_http          [raw] "SSH-2.0-hostile\r\n" on the raw socket, closes
--   huge_body         [bytes=8 MiB, chunked, truncate] 200 with `bytes` of
--                     JSON-ish body in 64 KiB chunks, with Content-Length
--                     (or chunked); truncate closes after half of it
--   repeat_pages      [total] list routes ignore `start` (always page one),
--                     total = max(real, page + 1000) unless given
--   bad_list          [variant=repeated_key|negative_total|text_total] a list
--                     answer with its first id twice, total "-5", or total "many"
--   token_garbage     [variant=html|no_token|crlf|truncated] a token answer that
--                     is an HTML page, JSON without a token, a token holding
--                     "\r\nX-Injected: 1", or cut in half (crlf and truncated
--                     issue real tokens first)
--   echo_secret       [status=400, forms={json|percent|form|base64}] a
--                     PHP-style JSON error quoting the Basic password, the
--                     bearer token and any client_secret, refresh_token,
--                     password or access_token of the query or body
--   retry_after       [status=429, retry_after, retry_after_date, reset, limit,
--                     body] X-RateLimit-Limit/-Remaining: 0/-Reset (epoch
--                     seconds, now + reset or retry_after or 2) and, when asked,
--                     Retry-After in seconds or as an IMF-fixdate (now + retry_after)
local json = require "support.hostile.json"
local store = require "support.hostile.store"
local api = require "support.hostile.api"

local _M = {}
local O, A, null = json.O, json.A, json.null

-- action -> does it run the handler (store) before misbehaving, by default
local STORES = {
  store_then_drop = true, drop = false, store_then_500 = true, status = false,
  store_then_delay = true, empty_2xx = true, garbage_status = false, non_http = false,
  huge_body = false, repeat_pages = true, bad_list = true, token_garbage = false,
  echo_secret = false, retry_after = false,
}
-- actions whose `store` cannot be changed
local FIXED = { store_then_drop = true, drop = true, store_then_500 = true, store_then_delay = true,
                repeat_pages = true, bad_list = true }

local COMMON = { path = "string", method = "string", action = "string", p = "number",
                 every = "number", count = "number", skip = "number", reused_only = "boolean",
                 store = "boolean", name = "string" }
local FIELDS = {
  status = { status = "number", body = "string", headers = "table", content_type = "string" },
  store_then_delay = { delay = "number" },
  empty_2xx = { status = "number" },
  garbage_status = { variant = "string", bytes = "number", raw = "string" },
  non_http = { raw = "string" },
  huge_body = { bytes = "number", chunked = "boolean", truncate = "boolean" },
  repeat_pages = { total = "number" },
  bad_list = { variant = "string" },
  token_garbage = { variant = "string" },
  echo_secret = { forms = "table", status = "number" },
  retry_after = { status = "number", retry_after = "number", retry_after_date = "boolean",
                  reset = "number", limit = "number", body = "string" },
}
local VARIANTS = {
  garbage_status = { status_line = true, random = true },
  token_garbage = { html = true, no_token = true, crlf = true, truncated = true },
  bad_list = { repeated_key = true, negative_total = true, text_total = true },
}
local FORMS = { json = true, percent = true, form = true, base64 = true }

local MAX_DELAY = 60
local MAX_BYTES = 1024 * 1024 * 1024

-- ------------------------------------------------------------------ PRNG
-- Park-Miller (minimal standard) generator: exact in doubles and integers.
local M31 = 2147483647

local function seed_state(seed, index)
  local s = (math.floor(math.abs(tonumber(seed) or 1)) % M31 * 31 + index * 7919) % (M31 - 1) + 1
  for _ = 1, 8 do s = (s * 48271) % M31 end   -- warm up: small seeds start small
  return s
end

local function draw(rule)
  rule.rng = (rule.rng * 48271) % M31
  return rule.rng / M31
end

-- ------------------------------------------------------------------ rules

local function check_rule(r, i)
  if type(r) ~= "table" then return nil, ("rule %d is not an object"):format(i) end
  local action = r.action
  if type(action) ~= "string" or STORES[action] == nil then
    return nil, ("rule %d: unknown action %s"):format(i, tostring(action))
  end
  local extra = FIELDS[action] or {}
  for k, v in pairs(r) do
    local want = COMMON[k] or extra[k]
    if not want then return nil, ("rule %d (%s): unknown field %s"):format(i, action, tostring(k)) end
    if type(v) ~= want then return nil, ("rule %d (%s): %s must be a %s"):format(i, action, k, want) end
  end
  if r.path and not pcall(string.find, "", r.path) then
    return nil, ("rule %d: bad path pattern %q"):format(i, r.path)
  end
  if r.p and not (r.p >= 0 and r.p <= 1) then return nil, ("rule %d: p must be in [0, 1]"):format(i) end
  for _, k in ipairs{ "every", "count", "skip" } do
    local v = r[k]
    if v and (v % 1 ~= 0 or v < (k == "every" and 1 or 0)) then
      return nil, ("rule %d: %s must be a whole number%s"):format(i, k, k == "every" and " >= 1" or " >= 0")
    end
  end
  if r.store ~= nil and FIXED[action] then
    return nil, ("rule %d: %s always %s"):format(i, action, STORES[action] and "stores" or "drops")
  end
  if r.variant and not VARIANTS[action][r.variant] then
    return nil, ("rule %d: unknown %s variant %s"):format(i, action, r.variant)
  end
  if r.delay and not (r.delay >= 0 and r.delay <= MAX_DELAY) then
    return nil, ("rule %d: delay must be in [0, %d]"):format(i, MAX_DELAY)
  end
  if r.bytes and not (r.bytes >= 0 and r.bytes <= MAX_BYTES and r.bytes % 1 == 0) then
    return nil, ("rule %d: bytes must be a whole number in [0, %d]"):format(i, MAX_BYTES)
  end
  if action == "garbage_status" and r.bytes and r.bytes > 65536 then
    return nil, ("rule %d: garbage_status sends at most 65536 random bytes"):format(i)
  end
  if r.status and not (r.status >= 100 and r.status <= 599 and r.status % 1 == 0) then
    return nil, ("rule %d: status must be an HTTP status"):format(i)
  end
  for k, v in pairs(r.headers or {}) do
    if type(k) ~= "string" or type(v) ~= "string" or (k .. v):find("[\r\n]") then
      return nil, ("rule %d: headers must map names to single-line strings"):format(i)
    end
  end
  for _, f in ipairs(r.forms or {}) do
    if not FORMS[f] then return nil, ("rule %d: unknown echo form %s"):format(i, tostring(f)) end
  end
  return true
end

--- Replace the rules (seeded from `seed`, else the configured seed);
-- nil, message when one is invalid (the old rules stay).
function _M.set(list, seed)
  if type(list) ~= "table" then return nil, "rules must be an array" end
  local rules = {}
  for i, r in ipairs(list) do
    local ok, err = check_rule(r, i)
    if not ok then return nil, err end
    local copy = {}
    for k, v in pairs(r) do copy[k] = v end
    if copy.method then copy.method = copy.method:upper() end
    copy.matched, copy.fired = 0, 0
    copy.rng = seed_state(seed or store.config.seed, i)
    rules[i] = copy
  end
  if next(list) ~= nil and #rules == 0 then return nil, "rules must be an array" end
  store.rules = rules
  return #rules
end

--- The rule that fires for this request, or nil.
function _M.pick(method, path, reused)
  for _, r in ipairs(store.rules) do
    if (not r.method or r.method == method) and (not r.path or path:find(r.path))
       and (not r.reused_only or reused) then
      r.matched = r.matched + 1
      local n = r.matched - (r.skip or 0)
      local fire = n >= 1
      if fire and r.count and r.fired >= r.count then fire = false end
      if fire and r.every and n % r.every ~= 0 then fire = false end
      if fire and r.p and draw(r) >= r.p then fire = false end
      if fire then
        r.fired = r.fired + 1
        store.bump(store.counters.fired, r.action)
        return r
      end
    end
  end
  return nil
end

--- Whether the request goes to its handler before the fault acts.
function _M.stores(rule)
  if rule.store ~= nil then return rule.store end
  if rule.action == "token_garbage" then
    return rule.variant == "crlf" or rule.variant == "truncated"
  end
  return STORES[rule.action]
end

--- Counters of each rule, in order.
function _M.report()
  local out = {}
  for i, r in ipairs(store.rules) do
    out[i] = { action = r.action, name = r.name, matched = r.matched, fired = r.fired }
  end
  return out
end

-- ------------------------------------------------------------------ bodies

local REASONS = { [429] = "Too Many Requests", [500] = "Internal Server Error",
                  [502] = "Bad Gateway", [503] = "Service Temporarily Unavailable",
                  [504] = "Gateway Time-out" }

local function html_page(status)
  local title = status .. " " .. (REASONS[status] or "Error")
  return ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n" ..
          "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"):format(title, title)
end

-- Mautic's 429 body, literal spaces included
local function rate_limit_body(limit)
  return '{ "errors": [ { "code": 429, "message": "You exceeded the rate limit of ' .. limit ..
         ' API calls per hour.", "details": [] } ]}'
end

local function default_answer(status)
  if status == 429 then return { status = 429, body = rate_limit_body(60) } end
  if status >= 502 and status <= 504 then
    return { status = status, body = html_page(status), content_type = "text/html" }
  end
  return api.uncaught(status)
end

-- ------------------------------------------------------------------ I/O

-- write bytes that are not (valid) HTTP on the raw connection, then close it
local function raw_close(bytes)
  local sock, err = ngx.req.socket(true)
  if not sock then
    ngx.log(ngx.ERR, "hostile: no raw socket: ", err)
    return ngx.exit(444)
  end
  if bytes ~= "" then sock:send(bytes) end
  return ngx.exit(444)
end

local function pct(s, form)
  s = s:gsub("[^%w%-%._~ ]", function(c) return ("%%%02X"):format(c:byte()) end)
  return (s:gsub(" ", form and "+" or "%%20"))
end

-- ------------------------------------------------------------------ actions

local ACT = {}

function ACT.store_then_drop() return ngx.exit(444) end
ACT.drop = ACT.store_then_drop

function ACT.store_then_500() return api.send(api.uncaught(500)) end

function ACT.status(rule)
  local status = rule.status or 503
  local res = default_answer(status)
  if rule.body then res = { status = status, body = rule.body } end
  res.headers = rule.headers
  res.content_type = rule.content_type or res.content_type
  return api.send(res)
end

function ACT.store_then_delay(rule, res)
  ngx.sleep(rule.delay or 2)
  return api.send(res)
end

function ACT.empty_2xx(rule, res)
  local status = rule.status
  if not status then
    status = res and res.status >= 200 and res.status < 300 and res.status or 200
  end
  return api.send{ status = status, body = "", version = true, headers = res and res.headers }
end

function ACT.garbage_status(rule)
  if rule.raw then return raw_close(rule.raw) end
  if rule.variant == "random" then
    local bytes = {}
    for i = 1, rule.bytes or 64 do bytes[i] = string.char(math.floor(draw(rule) * 256)) end
    local s = table.concat(bytes)
    if s:sub(1, 4) == "HTTP" then s = "\0" .. s:sub(2) end
    return raw_close(s)
  end
  return raw_close("HTTP/1.1 2x0 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
end

function ACT.non_http(rule)
  return raw_close(rule.raw or "SSH-2.0-hostile\r\n")
end

-- `bytes` of JSON-ish body streamed in 64 KiB chunks, never built whole
function ACT.huge_body(rule)
  local total = rule.bytes or 8 * 1024 * 1024
  local prefix, suffix = '{"total":"1","contacts":{"1":{"id":1,"pad":"', '"}}}'
  ngx.status = 200
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Mautic-Version"] = store.config.version
  if not rule.chunked then ngx.header["Content-Length"] = total end
  local limit = rule.truncate and math.floor(total / 2) or total
  local sent = 0
  local function emit(s)      -- false once the client is gone or the limit is reached
    if sent + #s > limit then s = s:sub(1, limit - sent) end
    if #s > 0 then
      if not ngx.print(s) or not ngx.flush(true) then return false end
      sent = sent + #s
    end
    return sent < limit
  end
  if total <= #prefix + #suffix then
    emit((prefix .. suffix):sub(1, total))
  else
    local chunk = string.rep("x", 65536)
    local left = total - #prefix - #suffix
    local go = emit(prefix)
    for _ = 1, math.ceil(left / #chunk) do     -- bounded
      if not go then break end
      local n = math.min(left, #chunk)
      go = emit(n == #chunk and chunk or chunk:sub(1, n))
      left = left - n
    end
    if go then emit(suffix) end
  end
  if sent < total then return ngx.exit(444) end   -- cut short: close mid-body
  return ngx.exit(ngx.OK)
end

function ACT.repeat_pages(_, res)
  return api.send(res)      -- the list handler saw the rule and ignored `start`
end

-- bend a list answer { "total", t, "<list key>", { id, item, ... } } built by the handler
function ACT.bad_list(rule, res)
  local kv = type(res.json) == "table" and res.json.kv
  if res.status == 200 and kv and kv[1] == "total" then
    local v = rule.variant or "repeated_key"
    if v == "negative_total" then kv[2] = "-5"
    elseif v == "text_total" then kv[2] = "many"
    else
      local items = type(kv[4]) == "table" and kv[4].kv
      if items and #items >= 2 then
        items[#items + 1] = items[1]
        items[#items + 1] = items[2]
      end
    end
  end
  return api.send(res)
end

function ACT.token_garbage(rule, res)
  local v = rule.variant or "html"
  if v == "html" then
    return api.send{ status = 200, content_type = "text/html; charset=UTF-8",
      body = "<!DOCTYPE html>\n<html><head><title>Mautic</title></head>\n<body><form action=\"/s/login_check\">" ..
             "<input name=\"_username\"></form></body></html>\n" }
  elseif v == "no_token" then
    return api.send{ status = 200, body = '{"foo":1}' }
  end
  local t = res and res.tokens or { access_token = "hat-unissued", expires_in = 3600,
                                    refresh_token = "hrt-unissued" }
  if v == "crlf" then
    local bad = { access_token = t.access_token .. "\r\nX-Injected: 1", expires_in = t.expires_in,
                  refresh_token = t.refresh_token }
    return api.send{ status = 200, json = api.token_json(bad) }
  end
  local body = json.encode(api.token_json(t))
  return api.send{ status = 200, body = body:sub(1, math.floor(#body / 2)) }
end

-- every credential the request carries, as { name, value, user }
local function credentials(req)
  local found = {}
  local h = api.first(req.headers["authorization"])
  if h then
    local b = h:match("^[Bb]asic%s+(%S+)")
    if b then
      local user, pass = (ngx.decode_base64(b) or ""):match("^([^:]*):(.*)$")
      if pass then found[#found + 1] = { "password", pass, user } end
    end
    local t = h:match("^[Bb]earer%s+(%S+)")
    if t then found[#found + 1] = { "token", t } end
  end
  local body = api.params(req)
  for _, name in ipairs{ "client_secret", "refresh_token", "password", "access_token" } do
    local v = type(body) == "table" and api.first(body[name]) or api.first(req.args[name])
    if type(v) == "string" then found[#found + 1] = { name, v } end
  end
  return found
end

function ACT.echo_secret(rule, _, req)
  local forms = rule.forms or { "json" }
  local parts = {}
  for _, c in ipairs(credentials(req)) do
    local name, value, user = c[1], c[2], c[3]
    for _, f in ipairs(forms) do
      local shown = value
      if f == "percent" then shown = pct(value)
      elseif f == "form" then shown = pct(value, true)
      elseif f == "base64" then shown = ngx.encode_base64(user and (user .. ":" .. value) or value) end
      parts[#parts + 1] = (#forms > 1 and (name .. " (" .. f .. ")") or name) .. " \"" .. shown .. "\""
    end
  end
  local status = rule.status or 400
  local message = "Invalid credentials: " .. (#parts > 0 and table.concat(parts, ", ") or "none received")
  return api.send{ status = status, version = false,
                   json = O{ "errors", A{ O{ "message", message, "code", status, "type", null } } } }
end

function ACT.retry_after(rule)
  local status = rule.status or 429
  local now = ngx.time()
  local wait = math.floor(rule.retry_after or 2)
  local limit = math.floor(rule.limit or 60)
  local headers = {
    ["X-RateLimit-Limit"] = tostring(limit),
    ["X-RateLimit-Remaining"] = "0",
    ["X-RateLimit-Reset"] = tostring(now + math.floor(rule.reset or wait)),
  }
  if rule.retry_after_date then
    headers["Retry-After"] = ngx.http_time(now + wait)
  elseif rule.retry_after then
    headers["Retry-After"] = tostring(wait)
  end
  local res = rule.body and { status = status, body = rule.body }
           or (status == 429 and { status = 429, body = rate_limit_body(limit) })
           or default_answer(status)
  res.headers = headers
  return api.send(res)
end

--- Act on a fired rule: `res` is the handler's answer when the rule stored
-- (nil otherwise), `req` the request (its body read, except for drop).
function _M.act(rule, res, req)
  return ACT[rule.action](rule, res, req)
end

return _M
