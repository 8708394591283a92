--- One API call, from a request description to a decoded answer.
-- Knows Mautic's wire habits (JSON bodies, PHP-style queries, the
-- rate-limit headers, which failures are safe to retry) but not sockets:
-- the bytes go through `client.transport`, a function
-- `(req) -> status, headers, body | nil, message, kind`.
local json = require "mautic.json"
local query = require "mautic.query"
local errors = require "mautic.errors"

local tostring, tonumber, pcall, pairs, ipairs = tostring, tonumber, pcall, pairs, ipairs
local min, max, random = math.min, math.max, math.random
local find = string.find

local _M = { _VERSION = "0.1.0" }

-- Methods whose repetition cannot write twice. PUT is not among them:
-- Mautic's PUT on a missing id creates a new row with a fresh id each time.
local IDEMPOTENT = { GET = true, HEAD = true }

-- Statuses worth another try for an idempotent request.
local RETRY_STATUS = { [502] = true, [503] = true, [504] = true }

-- Failures where the request cannot have reached the server.
local NOT_SENT = { connect = true, resolve = true }

local function backoff(attempt)
  -- 0.25s, 0.5s, 1s ... capped at 8s, with jitter so clients spread out
  local base = min(8, 0.25 * 2 ^ (attempt - 1))
  return base / 2 + random() * base / 2
end

--- Seconds to wait before a rate-limited call may be tried again.
-- Mautic sends no Retry-After: the reset time comes as epoch seconds in
-- X-RateLimit-Reset. A Retry-After from a proxy is honoured too.
function _M.retry_after(headers, now)
  local ra = headers and tonumber(headers["retry-after"])
  if ra then return max(0, ra) end
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

local function decode_answer(status, headers, body, req, spec)
  if spec.raw then return body end
  if req.method == "HEAD" or body == nil or body == "" then
    return true
  end
  local ctype = headers and headers["content-type"] or ""
  if spec.binary_ok and not find(ctype, "json", 1, true) then return body end
  local v, why = json.decode(body)
  if v == nil then return nil, errors.decode(status, body, why, req) end
  return v
end

--- Send a built request, with auth, retries and rate-limit waits.
-- @treturn[1] decoded body (or true for an empty body)
-- @treturn[1] table meta { status, headers, body }
-- @treturn[2] nil
-- @treturn[2] mautic.error
function _M.send(client, req, spec)
  local attempt = 0
  local refreshed = false
  local retries = spec.retries or client.retries
  while true do
    attempt = attempt + 1
    if client.auth and not spec.noauth then
      local ok, err = client.auth:authorize(client, req)
      if not ok then
        if errors.is(err) then return nil, err end
        return nil, errors.new{ kind = "auth", message = tostring(err), method = req.method, url = req.url }
      end
    end

    local status, headers, body = client.transport(req)
    if not status then
      local message, kind = headers, body
      local retry = attempt <= retries and (NOT_SENT[kind] or (IDEMPOTENT[req.method] or spec.idempotent))
      if not retry or kind == "usage" then
        return nil, errors.transport(message, kind, req)
      end
      client.sleep(backoff(attempt))
    else
      status = tonumber(status)
      client:observe(status, headers)
      if status < 300 then
        local v, err = decode_answer(status, headers, body, req, spec)
        if v == nil then return nil, err end
        return v, { status = status, headers = headers, body = body }
      end

      local decoded = json.decode(body or "")
      local wait
      if status == 429 then
        wait = _M.retry_after(headers, client.now())
      end

      if status == 401 and client.auth and client.auth.on_unauthorized and not refreshed and not spec.noauth then
        -- an expired token: refresh once, then replay
        refreshed = true
        local again = client.auth:on_unauthorized(client, status, decoded, req)
        if not again then
          local err = errors.from_response(status, decoded, body, req)
          return nil, err
        end
        attempt = attempt - 1
      elseif status == 429 and attempt <= retries and wait and wait <= client.max_retry_wait then
        -- a 429 was not executed, so any method may wait and go again
        client.sleep(wait + 0.05)
      elseif RETRY_STATUS[status] and attempt <= retries and (IDEMPOTENT[req.method] or spec.idempotent) then
        client.sleep(backoff(attempt))
      else
        if decoded == nil and body and body ~= "" and status >= 400 then
          local err = errors.decode(status, body, "not JSON", req)
          err.retry_after = wait
          return nil, err
        end
        local err = errors.from_response(status, decoded, body, req)
        err.retry_after = wait
        if status == 429 then err.kind = "http" end
        return nil, err
      end
    end
  end
end

--- Build and send in one step.
function _M.call(client, spec)
  local req, err = _M.build(client, spec)
  if not req then
    return nil, errors.new{ kind = "usage", message = err, method = spec.method, url = client.api_url .. spec.path }
  end
  return _M.send(client, req, spec)
end

return _M
