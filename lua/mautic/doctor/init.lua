--- The doctor: what is wrong with a Mautic install that answers 401 or 404.
-- Sends the probes of mautic.doctor.probes once each (no retries, no token
-- renewal: the first answer is the evidence) through the client's own
-- transport and auth, so it works with Basic, OAuth2 and OAuth1, lists
-- every request that went out (token requests too), and reads the answers
-- with the decision table of mautic.doctor.diagnoses.
--
--   local report = api.diagnose()      -- api.diagnose{ settings_on = true }
--   report.ok, report.findings[i].id/.cause/.fix/.evidence, report.tried[i].method/.url/.status
--
-- Nothing secret goes into the report: URLs lose their credentials and
-- token parameters (mautic.redact), and the findings quote the server only
-- through the scrub of mautic.doctor.diagnoses.
local http = require "mautic.http"
local redact = require "mautic.redact"
local options = require "mautic.options"
local probes = require "mautic.doctor.probes"
local diagnoses = require "mautic.doctor.diagnoses"

local ipairs, pairs, tonumber, setmetatable, floor = ipairs, pairs, tonumber, setmetatable, math.floor

local _M = {}

local OPTIONS = {
  settings_on = "boolean",                  -- the API settings are on in Mautic's Configuration
  timeout = options.is_positive_seconds,    -- per probe (default: the client's timeout)
}

-- OAuth1's window on Mautic's server (and the fake's default)
local OAUTH1_WINDOW = 300

-- The client as the probes use it: the same settings, auth and transport,
-- but every request that goes out (a token request too) is added to `tried`
-- under the probe being sent (`current`).
local function recording(client, tried, current)
  local view = setmetatable({}, { __index = client })
  view.transport = function(req)
    local status, headers, body, sent = client.transport(req)
    tried[#tried + 1] = { method = req.method, url = redact.url(req.url), status = tonumber(status),
                          credentials = current.with_auth, error = not status and body or nil,
                          probe = current.id }
    return status, headers, body, sent
  end
  return view
end

-- One probe: its request built as the client builds any, signed by the
-- client's auth when the probe carries credentials, sent once. Returns the
-- answer's facts.
local function send(view, probe, timeout, current)
  local req = http.build(view, { method = probe.method, path = probe.path, base = probe.base,
                                 query = probe.query, timeout = timeout })
  current.id, current.with_auth = probe.id, probe.auth and view.auth ~= nil
  if current.with_auth then
    local ok, err = view.auth:authorize(view, req)
    -- the token request failed (OAuth2): that answer is the evidence
    if not ok then return probes.token_failure(err) end
  end
  local status, headers, body = view.transport(req)
  if not status then return probes.no_answer(headers, body) end
  return probes.answer(status, headers, body)
end

-- The facts the decision table reads.
local function facts(client, o, answers)
  local scheme, host = probes.scheme_host(client.base_url)
  local f = { auth = client.auth and client.auth.kind or "none", scheme = scheme, host = host,
              settings_on = o.settings_on == true, window = OAUTH1_WINDOW }
  for id, a in pairs(answers) do f[id] = a end
  if f.api.date then f.skew = floor(f.api.date - client.now() + 0.5) end
  return f
end

--- Diagnose the client's Mautic.
-- @tparam table client the client behind an API object
-- @tparam[opt] table o { settings_on = boolean, timeout = seconds }
-- @tparam number level where a bad option raises
-- @treturn table { ok, findings = { { id, cause, fix, evidence } ... },
--   tried = { { method, url, status, credentials, error, probe } ... } (every request sent, in order),
--   url, auth, version }
function _M.run(client, o, level)
  o = options.check("diagnose", 1, o, OPTIONS, level + 1) or {}
  local timeout = o.timeout or client.timeout
  local tried, answers, current = {}, {}, {}
  local view = recording(client, tried, current)
  for _, probe in ipairs(probes.LIST) do
    if probes.wanted(probe, client.base_url, client.auth ~= nil, answers) then
      answers[probe.id] = send(view, probe, timeout, current)
    end
  end
  local f = facts(client, o, answers)
  local findings, ok = diagnoses.decide(f)
  return { ok = ok, findings = findings, tried = tried, url = redact.url(client.base_url),
           auth = f.auth, version = f.api.version }
end

return _M
