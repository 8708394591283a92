--- One API call, from a request description to a decoded answer.
-- Knows Mautic's wire habits (JSON bodies, PHP-style queries, the
-- rate-limit headers, which failures are safe to retry) but not sockets:
-- the bytes go through `client.transport`, a function
-- `(req) -> status, headers, body | nil, message, kind`.
local json = require "mautic.json"
local query = require "mautic.query"
local errors = require "mautic.errors"
local outcome = require "mautic.outcome"
local redact = require "mautic.redact"

local type, tostring, tonumber, pcall, pairs, ipairs = type, tostring, tonumber, pcall, pairs, ipairs
local min, max, random, floor = math.min, math.max, math.random, math.floor
local find, match = string.find, string.match

local _M = {}

local function backoff(attempt)
  -- 0.25s, 0.5s, 1s ... capped at 8s, with jitter so clients spread out
  local base = min(8, 0.25 * 2 ^ (attempt - 1))
  return base / 2 + random() * base / 2
end
_M.backoff = backoff

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
                 Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- days since 1970-01-01 of a civil date (proleptic Gregorian)
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Epoch seconds of an HTTP-date (RFC 9110: IMF-fixdate, and the obsolete
-- RFC 850 and asctime forms), or nil.
function _M.parse_http_date(s)
  if type(s) ~= "string" then return nil end
  local d, mon, y, hh, mm, ss = match(s, "^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d then
    d, mon, y, hh, mm, ss = match(s, "^%a+, (%d%d)%-(%a%a%a)%-(%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if y then
      -- a two-digit year more than 50 years ahead is in the past century
      y = tonumber(y) + 2000
      if y > tonumber(os.date("!%Y")) + 50 then y = y - 100 end
    end
  end
  if not d then
    mon, d, hh, mm, ss, y = match(s, "^%a+ (%a%a%a) +(%d+) (%d%d):(%d%d):(%d%d) (%d%d%d%d)$")
  end
  local m = mon and MONTHS[mon]
  if not m then return nil end
  d, y, hh, mm, ss = tonumber(d), tonumber(y), tonumber(hh), tonumber(mm), tonumber(ss)
  if d < 1 or d > 31 or hh > 23 or mm > 59 or ss > 60 then return nil end
  return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss
end

--- Epoch seconds of an ISO 8601 date and time as Mautic writes them
-- ("2026-12-03T17:56:07+00:00", also with "Z" or a space), or nil.
function _M.parse_iso_date(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, zone = match(s, "^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):?(%d*)(.*)$")
  if not y then return nil end
  local offset = 0
  if zone ~= "" and zone ~= "Z" then
    local sign, zh, zm = match(zone, "^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
  end
  return days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60
         + (tonumber(sec) or 0) - offset
end

--- Seconds to wait before a rate-limited call may be tried again.
-- Mautic sends no Retry-After: the reset time comes as epoch seconds in
-- X-RateLimit-Reset. A Retry-After from a proxy is honoured too, in seconds
-- or as an HTTP-date.
function _M.retry_after(headers, now)
  local ra = headers and headers["retry-after"]
  if ra then
    local secs = tonumber(ra)
    if secs then return max(0, secs) end
    local at = _M.parse_http_date(ra)
    if at then return max(0, at - now) end
  end
  local reset = headers and tonumber(headers["x-ratelimit-reset"])
  if reset then return max(0, reset - now) end
  return nil
end

local function build_body(client, spec, req)
  if spec.parts then
    req.parts = spec.parts
    -- form fields sent alongside the files
    if spec.body then
      local ok, pairs_or_err = pcall(query.pairs_of, spec.body)
      if not ok then return nil, pairs_or_err end
      for _, p in ipairs(pairs_or_err) do
        req.parts[#req.parts + 1] = { name = p[1], data = p[2] }
      end
    end
    return true
  end
  if spec.body == nil then return true end
  if spec.form or client.auth_body == "form" then
    local ok, s = pcall(query.encode, spec.body)
    if not ok then return nil, s end
    req.body = s
    req.form = spec.body
    req.headers["Content-Type"] = "application/x-www-form-urlencoded"
  else
    local s, err = json.encode(spec.body)
    if not s then return nil, err end
    req.body = s
    req.headers["Content-Type"] = "application/json"
  end
  return true
end

--- Turn a call description into a transport request.
-- spec: { method, path, base = "api"|"root", query = table, body = table,
--         form = bool, parts = array, output = path, headers = table }
-- @treturn[1] table the request
-- @treturn[2] nil
-- @treturn[2] string why the arguments cannot be sent (a usage error)
function _M.build(client, spec)
  local base = spec.base == "root" and client.base_url or client.api_url
  local url = base .. spec.path
  local qs = ""
  if spec.query ~= nil then
    local ok, s = pcall(query.encode, spec.query)
    if not ok then return nil, s end
    qs = s
  end
  local req = {
    method = spec.method,
    url = url,
    path = spec.path,
    query = spec.query,
    headers = {
      ["Accept"] = "application/json",
      ["User-Agent"] = client.user_agent,
    },
    timeout = spec.timeout or client.timeout,
    connect_timeout = client.connect_timeout,
    tls = client.tls,
    proxy = client.proxy,
    output = spec.output,
    max_bytes = client.max_response_bytes,
  }
  if qs ~= "" then req.url = url .. "?" .. qs end
  req.base_url = url
  if spec.headers then
    for k, v in pairs(spec.headers) do req.headers[k] = v end
  end
  local ok, err = build_body(client, spec, req)
  if not ok then return nil, err end
  return req
end

-- The decoded answer of a 2xx, or nil and a decode error.
local function decode_answer(status, headers, body, req, spec)
  if spec.raw then return body end
  if req.method == "HEAD" or body == nil or body == "" then
    if spec.want_body and req.method ~= "HEAD" then
      return nil, errors.decode(status, body, "the answer is empty where Mautic sends an entity", req)
    end
    return true
  end
  local ctype = headers and headers["content-type"] or ""
  if spec.binary_ok and not find(ctype, "json", 1, true) then return body end
  local v, why = json.decode(body)
  if v == nil then return nil, errors.decode(status, body, why, req) end
  return v
end

-- The error for an answer of 300 or more.
local function status_error(client, status, headers, body, decoded, req)
  local err
  if decoded == nil and body and body ~= "" then
    err = errors.decode(status, body, "not JSON", req)
  else
    err = errors.from_response(status, decoded, body, req)
  end
  if status == 429 then
    err.kind = "http"
    err.retry_after = _M.retry_after(headers, client.now())
  end
  return err
end

-- The entity path a PUT edits ("/contacts/5/edit" -> "/contacts/5"), or nil
-- when the PUT is not about one entity (a batch).
local function probe_path(req)
  if req.method ~= "PUT" or type(req.path) ~= "string" then return nil end
  return match(req.path, "^(.*/%d+)/edit$")
end

-- Does the entity a PUT would edit exist? true, false, or nil and an error.
local function probe(client, req)
  local path = probe_path(req)
  if not path then return false end
  local v, err = _M.call(client, { method = "GET", path = path, retries = 0, deadline = req.probe_deadline })
  if v ~= nil then return true end
  if err.status == 404 then return false end
  return nil, err
end

-- What the caller learns besides the answer: also kept as api.last_response().
-- first_sent_at: when the first attempt went (client clock), and the
-- server's clock ahead of the client's by `clock_offset` seconds (from the
-- answer's Date header; 0 without one): with a resend, what the server
-- dated after first_sent_at + clock_offset may be the first attempt's work.
local function finish(client, status, headers, body, attempts, resent, already_done, first_sent_at)
  local meta = { status = status, headers = headers, body = body, attempts = attempts,
                 resent = resent or nil, already_done = already_done or nil }
  if resent then
    local server_now = _M.parse_http_date(headers and headers["date"])
    meta.first_sent_at = first_sent_at
    meta.clock_offset = server_now and (server_now - client.now()) or 0
  end
  client.last = { status = status, headers = headers, attempts = attempts,
                  resent = meta.resent, already_done = meta.already_done }
  return meta
end

--- Send a built request, with auth, retries and rate-limit waits.
-- What may be sent again, and when, is decided by mautic.outcome; this loop
-- only carries it out and keeps the counts.
-- @treturn[1] decoded body (or true for an empty body)
-- @treturn[1] table meta { status, headers, body, attempts, resent, already_done }
-- @treturn[2] nil
-- @treturn[2] mautic.error, with maybe_applied and attempts
-- The deadline of a call: seconds for all of it, retries and waits
-- included (spec.deadline, else the client's; 0: none). Each attempt gets
-- at most what is left, and no wait starts that would end past it.
local function new_deadline(client, spec, req)
  local d = spec.deadline or client.deadline or 0
  if d <= 0 then return nil end
  return { seconds = d, at = client.now() + d, timeout = req.timeout, connect_timeout = req.connect_timeout }
end

-- Seconds left before the deadline (math.huge without one).
local function left(client, deadline)
  if not deadline then return math.huge end
  return deadline.at - client.now()
end

-- Fit the next attempt's timeouts into what the deadline leaves.
local function fit(client, deadline, req)
  if not deadline then return true end
  local rest = left(client, deadline)
  if rest <= 0 then return false end
  local t = deadline.timeout
  req.timeout = (t == nil or t == 0) and rest or min(t, rest)
  local ct = deadline.connect_timeout
  req.connect_timeout = (ct == nil or ct == 0) and rest or min(ct, rest)
  return true
end

-- The error of a call that ran out of its deadline: the last failure, told
-- so, or a timeout when none came yet.
local function past_deadline(deadline, req, err, attempts)
  if not err then
    err = errors.new{ kind = "timeout", reason = "deadline", method = req.method, url = req.url,
      message = ("the deadline of %s s passed before an answer came"):format(tostring(deadline.seconds)) }
  else
    err.message = tostring(err.message) .. ("; the deadline of %s s leaves no time to try again")
      :format(tostring(deadline.seconds))
  end
  err.deadline = true
  err.attempts = attempts
  return err
end

function _M.send(client, req, spec)
  local call = outcome.call_kind(req.method, spec.merges)
  local retries = spec.retries or client.retries
  local waits = client.rate_limit_retries
  local failures, limited, attempts = 0, 0, 0
  local renewed = false
  local maybe = false      -- an earlier attempt may have been applied
  local resent = false     -- sent again after an attempt that may have been applied
  local must_probe = false
  local deadline = new_deadline(client, spec, req)
  local last_err, first_sent_at
  while true do
    if not fit(client, deadline, req) then
      local err = past_deadline(deadline, req, last_err, attempts)
      err.maybe_applied = maybe
      return nil, err
    end
    if must_probe then
      must_probe = false
      req.probe_deadline = deadline and left(client, deadline) or nil
      local exists, perr = probe(client, req)
      if exists == false then
        local err = errors.new{
          kind = "network", method = req.method, url = req.url,
          message = "the PUT may have reached Mautic and the entity does not exist: not resent, "
                 .. "since a PUT on a missing id creates a new entity each time",
        }
        err.maybe_applied, err.attempts = true, attempts
        return nil, err
      end
      if exists == nil then
        perr.maybe_applied, perr.attempts = maybe, attempts
        return nil, perr
      end
    end
    if client.auth and not spec.noauth then
      local ok, err = client.auth:authorize(client, req)
      if not ok then
        if not errors.is(err) then
          err = errors.new{ kind = "auth", message = tostring(err), method = req.method, url = req.url }
        end
        err.maybe_applied, err.attempts = maybe, attempts
        return nil, err
      end
    end

    if maybe then resent = true end
    attempts = attempts + 1
    if attempts == 1 then first_sent_at = client.now() end
    local status, headers, body, sent = client.transport(req)
    local class, err, wait
    if not status then
      local message, kind = headers, body
      class = outcome.classify(nil, kind, sent)
      err = errors.transport(message, kind, req)
    else
      status = tonumber(status)
      client:observe(status, headers)
      if status < 300 then
        local v, derr = decode_answer(status, headers, body, req, spec)
        if v ~= nil then
          return v, finish(client, status, headers, body, attempts, resent, nil, first_sent_at)
        end
        class, err = "garbage", derr
      else
        local decoded = json.decode(body or "")
        local again, renew_err
        if status == 401 and not renewed and not spec.noauth and client.auth and client.auth.on_unauthorized then
          renewed = true
          again, renew_err = client.auth:on_unauthorized(client, status, decoded, req)
        end
        if again then
          -- the token was to blame and there is a fresh one: replay, once
          class = "renew"
        elseif renew_err then
          -- the renewal itself failed ("Invalid refresh token"): that is the news
          if not errors.is(renew_err) then
            renew_err = errors.new{ kind = "auth", message = tostring(renew_err), method = req.method, url = req.url }
          end
          local said = errors.parse_body(decoded).message
          if said and said ~= "" then
            renew_err.message = tostring(renew_err.message) .. " (renewing after Mautic's 401: "
                             .. redact.text(said) .. ")"
          end
          renew_err.maybe_applied, renew_err.attempts = maybe, attempts
          return nil, renew_err
        elseif status == 404 and call == "delete" and maybe then
          -- an earlier attempt may have deleted it: done, and flagged so
          return true, finish(client, status, headers, body, attempts, resent, true, first_sent_at)
        else
          class = outcome.classify(status)
          err = status_error(client, status, headers, body, decoded, req)
          wait = err.retry_after
        end
      end
    end

    if class ~= "renew" then
      local action, applied = outcome.decide(class, call)
      maybe = maybe or applied
      last_err = err
      if action == "probe" and not probe_path(req) then action = "stop" end
      local pause
      if (action == "retry" or action == "probe") and failures < retries then
        pause = backoff(failures + 1)
      elseif action == "wait" and limited < waits and wait and wait <= client.max_retry_wait then
        pause = wait + 0.05
      end
      if pause and pause >= left(client, deadline) then
        -- another attempt could not even start before the deadline
        err = past_deadline(deadline, req, err, attempts)
        pause = nil
      end
      if pause and action == "wait" then
        limited = limited + 1
        client.sleep(pause)
      elseif pause then
        failures = failures + 1
        must_probe = action == "probe"
        client.sleep(pause)
      else
        err.maybe_applied = maybe
        err.attempts = attempts
        return nil, err
      end
    end
  end
end

--- Build and send in one step.
function _M.call(client, spec)
  local req, err = _M.build(client, spec)
  if not req then
    return nil, errors.new{ kind = "usage", message = err, method = spec.method, url = client.api_url .. spec.path,
                            maybe_applied = false }
  end
  return _M.send(client, req, spec)
end

return _M
