--- Structured errors.
-- Every expected failure (network, HTTP >= 400, undecodable body, auth) is
-- returned as `nil, err` where err is one of these tables. It reads every
-- error shape Mautic has used:
--   {"errors":[{"code":404,"message":"...","details":{...}}]}   Mautic 2.6+
--   {"error":{"code":403,"message":"..."}}                        Mautic < 2.6
--   {"error":"invalid_grant","error_description":"..."}           OAuth servers
--   {"error":"Unsupported file type..."}                         campaign import (7.0)
--   {"title","detail","status","type","violations":[...]}        problem+json (/api/v2's 403)
--   {"message":"Invalid credentials."}                            /api/v2's refused bearer (7.0)
-- Nothing secret goes in: URLs are stored without their query's tokens and
-- bodies are cut short and scrubbed.
local json = require "mautic.json"
local redact = require "mautic.redact"

local type, pairs, ipairs, tostring, next = type, pairs, ipairs, tostring, next
local setmetatable, getmetatable = setmetatable, getmetatable
local tonumber = tonumber
local concat, sub, format, find = table.concat, string.sub, string.format, string.find

local _M = {}

local BODY_LIMIT = 512

local Error = {}
Error.__index = Error
Error.__name = "mautic.error"

function Error.__tostring(e)
  local parts = { "mautic:", e.kind }
  if e.status then parts[#parts + 1] = tostring(e.status) end
  if e.message and e.message ~= "" then parts[#parts + 1] = e.message end
  if e.method and e.url then
    parts[#parts + 1] = "(" .. e.method .. " " .. e.url .. ")"
  end
  return concat(parts, " ")
end

-- "failed: " .. err works, on either side
function Error.__concat(a, b)
  return tostring(a) .. tostring(b)
end

_M.Error = Error

--- Is v one of our error objects?
function _M.is(v)
  return type(v) == "table" and getmetatable(v) == Error
end

--- Make an error object. Kinds: "http", "auth", "network", "timeout", "tls",
-- "decode", "usage", "too_large", "unsupported" (the server's version lacks
-- the route: mautic.server). Fields: kind, status, code, message, details,
-- type, retry_after, method, url, body, errors, maybe_applied (false
-- unless given: whether a failed write may still have been applied),
-- attempts.
function _M.new(fields)
  local e = setmetatable(fields, Error)
  if e.url then e.url = redact.url(e.url) end
  if e.message then e.message = redact.text(e.message) end
  -- what the server said, whatever shape, may echo a credential
  if e.details ~= nil then e.details = redact.deep(e.details) end
  if e.errors ~= nil then e.errors = redact.deep(e.errors) end
  if type(e.type) == "string" then e.type = redact.text(e.type) end
  if type(e.body) == "string" then
    -- scrub first: a cut could otherwise leave half a secret unrecognised
    e.body = redact.text(e.body)
    if #e.body > BODY_LIMIT then e.body = sub(e.body, 1, BODY_LIMIT) .. "..." end
  end
  if e.maybe_applied == nil then e.maybe_applied = false end
  return e
end

local function first_message(list)
  local msgs = {}
  for _, item in ipairs(list) do
    if type(item) == "table" and type(item.message) == "string" then
      msgs[#msgs + 1] = item.message
    elseif type(item) == "string" then
      msgs[#msgs + 1] = item
    end
  end
  return concat(msgs, "; ")
end

-- Merge the `details` of several errors; an empty JSON array means none.
local function merge_details(list)
  local merged
  for _, item in ipairs(list) do
    local d = type(item) == "table" and item.details
    if type(d) == "table" and next(d) ~= nil then
      merged = merged or {}
      for k, v in pairs(d) do merged[k] = v end
    end
  end
  return merged
end

-- RFC 9457 problem+json and API Platform's Hydra errors: the message is
-- the detail (or the Hydra description, or the title), the violations of a
-- 422 become `details` keyed by property path, as /api's 400s give them.
local function problem(decoded, out)
  local msg = decoded.detail
  if type(msg) ~= "string" or msg == "" then msg = decoded["hydra:description"] or decoded.description end
  if type(msg) ~= "string" or msg == "" then msg = decoded.title or decoded["hydra:title"] end
  out.message = msg
  out.code = tonumber(decoded.status)
  if type(decoded.type) == "string" then out.type = decoded.type end
  local violations = decoded.violations
  if type(violations) == "table" and #violations > 0 then
    local details = {}
    for _, v in ipairs(violations) do
      if type(v) == "table" and type(v.message) == "string" then
        local key = type(v.propertyPath) == "string" and v.propertyPath ~= "" and v.propertyPath or "_"
        details[key] = details[key] or {}
        details[key][#details[key] + 1] = v.message
      end
    end
    if next(details) ~= nil then out.details = details end
  end
end

--- Read what an error body says.
-- @param decoded the decoded JSON body (any value)
-- @treturn table { message=, code=, details=, type=, errors= } (fields may be nil)
function _M.parse_body(decoded)
  local out = {}
  if type(decoded) ~= "table" then
    if type(decoded) == "string" then out.message = decoded end
    return out
  end
  local errs = decoded.errors
  if type(errs) == "table" then
    -- {"errors":[...]} and, in batch answers, {"errors":{"1":{...}}}
    local list = {}
    if #errs > 0 then
      list = errs
    else
      for _, v in pairs(errs) do list[#list + 1] = v end
    end
    local first = list[1]
    if type(first) == "table" then
      out.code = first.code
      out.type = first.type
    end
    out.message = first_message(list)
    out.details = merge_details(list)
    out.errors = list
    return out
  end
  local e = decoded.error
  if type(e) == "table" then
    out.code, out.message, out.details, out.type = e.code, e.message, e.details, e.type
  elseif type(e) == "string" then
    -- OAuth: {"error":"invalid_grant","error_description":"..."}; a sentence
    -- (the campaign import's {"error":"No JSON content found..."}) is no type
    if find(e, "^[%w_.-]+$") then out.type = e end
    out.message = decoded.error_description or e
  elseif decoded.detail ~= nil or decoded.title ~= nil or decoded["hydra:description"] ~= nil then
    problem(decoded, out)
  elseif type(decoded.message) == "string" then
    out.message = decoded.message
  end
  if type(out.message) ~= "string" then out.message = nil end
  return out
end

--- Build the error for an HTTP answer with status >= 400.
function _M.from_response(status, decoded, raw, req)
  local info = _M.parse_body(decoded)
  local kind = "http"
  if status == 401 then kind = "auth" end
  return _M.new{
    kind = kind,
    status = status,
    code = info.code or status,
    message = info.message or format("HTTP %d", status),
    details = info.details,
    type = info.type,
    errors = info.errors,
    method = req and req.method,
    url = req and req.url,
    body = raw,
  }
end

--- An answer that was not the JSON it should have been.
function _M.decode(status, raw, why, req)
  local snippet = type(raw) == "string" and sub(redact.text(raw), 1, 80) or ""
  return _M.new{
    kind = "decode",
    status = status,
    code = status,
    message = format("cannot decode the answer (HTTP %s): %s; body starts %q",
      tostring(status), tostring(why), snippet),
    method = req and req.method,
    url = req and req.url,
    body = raw,
  }
end

-- curl failure kinds to our kinds: connect/resolve/network/proxy/file are
-- all "network" to a caller except timeouts, TLS and answers larger than
-- max_response_bytes, which get their own.
local transport_kinds = {
  timeout = "timeout", tls = "tls", usage = "usage", too_large = "too_large",
}

--- A failure below HTTP: no answer was received.
function _M.transport(message, kind, req)
  return _M.new{
    kind = transport_kinds[kind] or "network",
    reason = kind,
    message = tostring(message),
    method = req and req.method,
    url = req and req.url,
  }
end

--- Encode an error for logs (never includes secrets).
function _M.to_json(e)
  return json.encode{
    kind = e.kind, status = e.status, code = e.code, message = e.message,
    details = e.details, method = e.method, url = e.url, maybe_applied = e.maybe_applied,
  }
end

return _M
