--- What the doctor asks a Mautic, as data, and what an answer tells.
-- Each probe is one request made once, without retries: the doctor wants
-- to see the first answer, not to get past it. `answer` is pure (status,
-- headers, body in; facts out), so the decisions can be tested offline on
-- recorded answers.
local json = require "mautic.json"
local errors = require "mautic.errors"
local redact = require "mautic.redact"
local dates = require "mautic.dates"

local type, tonumber = type, tonumber
local find, match, lower = string.find, string.match, string.lower

local _M = {}

--- The probes, in the order they are sent.
--   id      the name the diagnoses read the answer under
--   base    "api" (the client's URL + /api) or "root" (the client's URL)
--   auth    whether the client's credentials go with it
--   skip    "index_url": not sent when the client's URL already ends in /index.php;
--           "no_auth": not sent by a client without credentials (it would repeat "api")
_M.LIST = {
  { id = "api", method = "GET", base = "api", path = "/users/self", auth = true,
    why = "the API with the client's credentials" },
  { id = "anon", method = "GET", base = "api", path = "/users/self", auth = false, skip = "no_auth",
    why = "the API without credentials: Mautic's answer when none arrive" },
  { id = "index", method = "GET", base = "root", path = "/index.php/api/users/self", auth = true,
    skip = "index_url", why = "the same through Mautic's front controller (no URL rewriting needed)" },
  { id = "v2", method = "GET", base = "api", path = "/v2/contacts", query = { page = 1 }, auth = true,
    why = "the /api/v2 generation (Mautic 7) with the same credentials" },
}

-- "https", "mautic.example.com:8443" of a URL
local function scheme_host(url)
  local scheme, host = match(url or "", "^(%a[%w+.-]*)://([^/?#]+)")
  host = host and (match(host, "@([^@]*)$") or host)     -- without user:password@
  return scheme and lower(scheme), host and lower(host)
end
_M.scheme_host = scheme_host

--- The facts of one answer: status, the message and type of Mautic's error
-- envelope (or of a bare {"message"}), whether the body was Mautic's JSON,
-- Location, Mautic-Version, WWW-Authenticate, and the server's clock (Date).
-- The message is kept as the server wrote it, for the decisions to compare;
-- mautic.doctor.diagnoses scrubs what it shows (a server may echo a credential).
function _M.answer(status, headers, body)
  headers = headers or {}
  local decoded = type(body) == "string" and body ~= "" and json.decode(body) or nil
  local info = type(decoded) == "table" and errors.parse_body(decoded) or {}
  local bare = type(decoded) == "table" and decoded.errors == nil and decoded.error == nil
    and type(decoded.message) == "string"
  return {
    status = tonumber(status),
    json = type(decoded) == "table",
    message = info.message or (bare and decoded.message) or nil,
    type = type(info.type) == "string" and info.type or nil,
    bare_message = bare or nil,           -- {"message":"..."} alone: Symfony's own 401, not Mautic's envelope
    empty = body == nil or body == "",
    location = redact.url(headers["location"]),
    version = headers["mautic-version"],
    www_authenticate = headers["www-authenticate"],
    date = dates.parse_http(headers["date"]),
  }
end

--- The facts of a request that got no answer (connect, resolve, TLS, timeout).
function _M.no_answer(message, kind)
  return { error = kind or "network", message = message }
end

--- The facts of a token request that failed before the probe could be sent
-- (OAuth2 client credentials): what the token endpoint answered.
function _M.token_failure(err)
  if not err.status then return _M.no_answer(err.message, err.kind) end
  local facts = _M.answer(err.status, nil, err.body)
  facts.from = "token"
  facts.type = facts.type or err.type
  facts.message = facts.message or err.message
  return facts
end

--- Whether a probe is sent, after the answers so far, by a client whose
-- URL is `base_url` (`has_auth`: it has credentials). Nothing more is sent
-- to a URL where nothing answered, and no more credentials once the token
-- request failed (each probe would only ask for a token again).
function _M.wanted(probe, base_url, has_auth, answers)
  local first = answers.api
  if first and first.error then return false end
  if first and first.from == "token" and probe.auth then return false end
  if probe.skip == "index_url" then return not find(base_url, "/index%.php$") end
  if probe.skip == "no_auth" then return has_auth end
  return true
end

return _M
