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
local deadline = require "mautic.deadline"
local dates = require "mautic.dates"
local versions = require "mautic.versions"

local type, tostring, tonumber, pcall, pairs, ipairs = type, tostring, tonumber, pcall, pairs, ipairs
local min, max, random = math.min, math.max, math.random
local find, match = string.find, string.match

local _M = {}

local function backoff(attempt)
  -- 0.25s, 0.5s, 1s ... capped at 8s, with jitter so clients spread out
  local base = min(8, 0.25 * 2 ^ (attempt - 1))
  return base / 2 + random() * base / 2
end
_M.backoff = backoff

-- the date parsers live in mautic.dates; kept here for older callers
_M.parse_http_date = dates.parse_http
_M.parse_iso_date = dates.parse_iso

--- Seconds to wait before a rate-limited call may be tried again.
-- Mautic sends no Retry-After: the reset time comes as epoch seconds in
-- X-RateLimit-Reset. A Retry-After from a proxy is honoured too, in seconds
-- or as an HTTP-date.
function _M.retry_after(headers, now)
  local ra = headers and headers["retry-after"]
  if ra then
    local secs = tonumber(ra)
    if secs then return max(0, secs) end
    local at = dates.parse_http(ra)
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
    req.headers["Content-Type"] = spec.content_type or "application/json"
  end
  return true
end

--- Turn a call description into a transport request.
-- spec: { method, path, base = "api"|"root", query = table, body = table,
--         form = bool, parts = array, output = path, headers = table,
--         content_type = the JSON body's media type,
--         share = decode the answer with json.decode_shared (lists, batches) }
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
  -- answers with many entities share their repeated leaf objects (json.decode_shared)
  local v, why = (spec.share and json.decode_shared or json.decode)(body)
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

-- The entity path a PUT edits ("/contacts/5/edit" -> "/contacts/5"; an
-- /api/v2 item is its own path), or nil when the PUT is not about one
-- entity (a batch).
local function probe_path(req)
  if req.method ~= "PUT" or type(req.path) ~= "string" then return nil end
  return match(req.path, "^(.*/%d+)/edit$") or match(req.path, "^(/v2/[%w_]+/%d+)$")
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
local function finish(client, job, status, headers, body, already_done)
  local meta = { status = status, headers = headers, body = body, attempts = job.attempts,
                 resent = job.resent or nil, already_done = already_done or nil }
  if job.resent then
    local server_now = dates.parse_http(headers and headers["date"])
    meta.first_sent_at = job.first_sent_at
    meta.clock_offset = server_now and (server_now - client.now()) or 0
  end
  client.last = { status = status, headers = headers, attempts = job.attempts,
                  resent = meta.resent, already_done = meta.already_done }
  return meta
end

-- A call in progress: what the loop counts between attempts.
local function new_job(client, req, spec)
  return {
    call = outcome.call_kind(req.method, spec.merges),
    retries = spec.retries or client.retries,   -- attempts after a failure
    waits = client.rate_limit_retries,          -- attempts after a 429's wait
    failures = 0, limited = 0, attempts = 0,
    renewed = false,      -- the token was renewed once after a 401
    maybe = false,        -- an earlier attempt may have been applied
    resent = false,       -- sent again after an attempt that may have been applied
    must_probe = false,   -- look the PUT's entity up before sending it again
    deadline = deadline.new(client, spec, req),
    last_err = nil,
    first_sent_at = nil,
  }
end

-- The end of a failed call: the error, with what the caller must know.
local function fail(job, err)
  err.maybe_applied, err.attempts = job.maybe, job.attempts
  return nil, err
end

-- What an auth handler returned as its failure, as a mautic.error.
local function auth_error(err, req)
  if errors.is(err) then return err end
  return errors.new{ kind = "auth", message = tostring(err), method = req.method, url = req.url }
end

-- The renewal after Mautic's 401 failed ("Invalid refresh token"): that is
-- the news, with what Mautic said about the first request.
local function renewal_error(err, decoded, req)
  err = auth_error(err, req)
  local said = errors.parse_body(decoded).message
  if said and said ~= "" then
    err.message = tostring(err.message) .. " (renewing after Mautic's 401: " .. redact.text(said) .. ")"
  end
  return err
end

-- A PUT that may have reached Mautic is resent only onto an entity that
-- exists: Mautic's PUT on a missing id creates a new entity each time.
local function probe_before_resend(client, req, job)
  req.probe_deadline = job.deadline and deadline.left(client, job.deadline) or nil
  local exists, err = probe(client, req)
  if exists == nil then return nil, err end
  if exists then return true end
  job.maybe = true
  return nil, errors.new{ kind = "network", method = req.method, url = req.url,
    message = "the PUT may have reached Mautic and the entity does not exist: not resent, "
           .. (match(req.path, "^/v2/") and "since it could only answer 404 (an /api/v2 PUT creates nothing)"
               or "since a PUT on a missing id creates a new entity each time") }
end

-- Before each attempt: time left, the probe a resent PUT needs, and the
-- credentials. true, or nil and the error that ends the call.
local function ready(client, req, spec, job)
  if not deadline.fit(client, job.deadline, req) then
    return nil, deadline.passed(job.deadline, req, job.last_err, job.attempts)
  end
  if job.must_probe then
    job.must_probe = false
    local ok, err = probe_before_resend(client, req, job)
    if not ok then return nil, err end
  end
  if client.auth and not spec.noauth then
    local ok, err = client.auth:authorize(client, req)
    if not ok then return nil, auth_error(err, req) end
  end
  return true
end

-- An answer of 300 or more: a 401 renews the token once; a 404 to a DELETE
-- resent after an attempt that may have worked means that attempt did.
local function failed_status(client, req, spec, job, status, headers, body)
  local decoded = json.decode(body or "")
  if versions.v2_bearer_refused(status, decoded, req.path, client.auth and client.auth.kind) then
    -- stock 7.0's refusal of every bearer token on /api/v2: a renewed token
    -- would be refused the same way
    return "fatal", errors.new{ kind = "auth", status = status, code = status, type = "v2_bearer_refused",
      message = versions.V2_BEARER_MESSAGE, method = req.method, url = req.url, body = body }
  end
  if status == 401 and not job.renewed and not spec.noauth and client.auth and client.auth.on_unauthorized then
    job.renewed = true
    local again, err = client.auth:on_unauthorized(client, status, decoded, req)
    if again then return "renew" end     -- the token was to blame and there is a fresh one
    if err then return "fatal", renewal_error(err, decoded, req) end
  end
  if status == 404 and job.call == "delete" and job.maybe then
    return "answer", true, finish(client, job, status, headers, body, true)
  end
  local err = status_error(client, status, headers, body, decoded, req)
  return outcome.classify(status), err, err.retry_after
end

-- One attempt: send, and read what came back. Returns
--   "answer", value, meta   the call is done
--   "fatal", err            the call is over
--   "renew"                 the token was renewed: send again, once
--   class, err, wait        a failure, in mautic.outcome's class
local function attempt(client, req, spec, job)
  if job.maybe then job.resent = true end
  job.attempts = job.attempts + 1
  if job.attempts == 1 then job.first_sent_at = client.now() end
  local status, headers, body, sent = client.transport(req)
  if not status then
    local message, kind = headers, body
    return outcome.classify(nil, kind, sent), errors.transport(message, kind, req)
  end
  status = tonumber(status)
  client:observe(status, headers)
  if status >= 300 then return failed_status(client, req, spec, job, status, headers, body) end
  local v, err = decode_answer(status, headers, body, req, spec)
  if v == nil then return "garbage", err end
  return "answer", v, finish(client, job, status, headers, body)
end

-- After a failure: the pause before the next attempt, or nil and the error
-- that ends the call. Whether it may be sent again is mautic.outcome's
-- decision; this only counts it against its budget and the deadline.
local function plan(client, req, job, class, err, wait)
  local action, applied = outcome.decide(class, job.call)
  job.maybe = job.maybe or applied
  job.last_err = err
  if action == "probe" and not probe_path(req) then action = "stop" end
  local pause, budget
  if (action == "retry" or action == "probe") and job.failures < job.retries then
    pause, budget = backoff(job.failures + 1), "failures"
  elseif action == "wait" and job.limited < job.waits and wait and wait <= client.max_retry_wait then
    pause, budget = wait + 0.05, "limited"
  end
  if not pause then return nil, err end
  if pause >= deadline.left(client, job.deadline) then
    -- another attempt could not even start before the deadline
    return nil, deadline.passed(job.deadline, req, err, job.attempts)
  end
  job[budget] = job[budget] + 1
  job.must_probe = action == "probe"
  return pause
end

--- Send a built request, with auth, retries and rate-limit waits: one
-- attempt after the other, each failure planned by mautic.outcome.
-- @treturn[1] decoded body (or true for an empty body)
-- @treturn[1] table meta { status, headers, body, attempts, resent, already_done }
-- @treturn[2] nil
-- @treturn[2] mautic.error, with maybe_applied and attempts
function _M.send(client, req, spec)
  local job = new_job(client, req, spec)
  while true do
    local ok, err = ready(client, req, spec, job)
    if not ok then return fail(job, err) end
    local class, a, b = attempt(client, req, spec, job)
    if class == "answer" then return a, b end
    if class == "fatal" then return fail(job, a) end
    if class ~= "renew" then
      local pause, stop = plan(client, req, job, class, a, b)
      if not pause then return fail(job, stop) end
      client.sleep(pause)
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
