-- The doctor's decision table, offline: recorded answers of real Mautic
-- (doc/DOCTOR.md: a stock 7.0.0 in each state, the 5.1 and 7.0 recordings)
-- go through mautic.doctor.probes.answer, and each case names the findings
-- they must give, no more and no fewer.
local probes = require "mautic.doctor.probes"
local diagnoses = require "mautic.doctor.diagnoses"

local JSON = { ["content-type"] = "application/json" }
local V = { ["content-type"] = "application/json", ["mautic-version"] = "7.0.0" }

local SELF = '{"isPublished":true,"id":1,"username":"admin","firstName":"Admin","lastName":"User"}'
local API_OFF = '{"errors":[{"message":"API disabled. You need to enable the API in the API settings of Mautic\\u0027s'
  .. ' Configuration.","code":403,"type":"api_disabled"}]}'
local BASIC_OFF = '{"errors":[{"message":"Basic Auth disabled. You need to enable HTTP basic auth in the API settings'
  .. ' of Mautic\\u0027s Configuration.","code":403,"type":"access_denied"}]}'
local DENIED = '{"errors":[{"message":"API authorization denied.","code":401,"type":"access_denied"}]}'
local WRONG_51 = '{"errors":[{"message":"Authorization denied, invalid credentials.","code":401,"type":"access_denied"}]}'
local ROUTE_404 = '{"errors":[{"message":"Requested URL not found: \\/api\\/users\\/self","code":404,"type":null}]}'
local V2_BUG = '{"message":"Invalid credentials."}'
local V2_LIST = '{"@context":"\\/api\\/v2\\/contexts\\/Contacts","@type":"Collection","totalItems":0,"member":[]}'
local BAD_TOKEN = '{"errors":[{"message":"The access token provided is invalid.","code":401,"type":"invalid_grant"}]}'
local APACHE_404 = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>'
local NGINX_301 = "<html>\r\n<head><title>301 Moved Permanently</title></head>"
local TIMESTAMP = '{"errors":[{"message":"Expired timestamp: the request timestamp is outside the allowed window.",'
  .. '"code":401,"type":"access_denied"}]}'
local SIGNATURE = '{"errors":[{"message":"Invalid signature.","code":401,"type":"access_denied"}]}'

local function a(status, headers, body) return probes.answer(status, headers, body) end
local function moved(to) return a(301, { ["content-type"] = "text/html", location = to }, NGINX_301) end
local function token(status, body)
  local facts = probes.token_failure{ kind = "auth", status = status, body = body,
                                      message = "token endpoint answered HTTP " .. status }
  return facts
end

local HEALTHY = { api = a(200, V, SELF), anon = a(401, JSON, DENIED), index = a(200, V, SELF),
                  v2 = a(200, { ["content-type"] = "application/ld+json" }, V2_LIST) }

-- facts: the healthy answers, with the case's own on top
local function facts(case)
  local f = { auth = case.auth or "basic", scheme = "http", host = "mautic.example.com",
              settings_on = case.settings_on or false, skew = case.skew, window = 300 }
  for k, v in pairs(HEALTHY) do f[k] = v end
  for k, v in pairs(case.answers or {}) do f[k] = v end
  return f
end

local CASES = {
  { "a healthy 7.0 install with Basic", {}, {} },
  { "a healthy install with OAuth2", { auth = "oauth2" }, {} },
  { "a 5.1 install (no /api/v2: a route 404 there)", { answers = { v2 = a(404, JSON, ROUTE_404) } }, {} },
  { "API switched off", { answers = { api = a(403, JSON, API_OFF), anon = a(403, JSON, API_OFF) } },
    { "api_disabled" } },
  { "API switched off, seen from the OAuth2 token endpoint", { auth = "oauth2",
    answers = { api = token(403, API_OFF), anon = a(403, JSON, API_OFF) } }, { "api_disabled" } },
  { "API answering off although the settings say on",
    { settings_on = true, answers = { api = a(403, JSON, API_OFF) } }, { "stale_cache" } },
  { "Basic auth switched off", { answers = { api = a(403, JSON, BASIC_OFF) } }, { "basic_disabled" } },
  { "Basic auth answering off although the settings say on",
    { settings_on = true, answers = { api = a(403, JSON, BASIC_OFF) } }, { "stale_cache" } },
  { "the settings said on while all is well", { settings_on = true }, {} },
  { "Authorization stripped (Basic)", { answers = { api = a(401, JSON, DENIED) } }, { "auth_header_stripped" } },
  { "Authorization stripped (a bearer token)", { auth = "oauth2", answers = { api = a(401, JSON, DENIED) } },
    { "auth_header_stripped" } },
  { "no credentials given", { auth = "none", answers = { api = a(401, JSON, DENIED) } }, { "no_credentials" } },
  { "a wrong password on 7.0 (empty 401, WWW-Authenticate)",
    { answers = { api = a(401, { ["content-type"] = "application/json",
                                 ["www-authenticate"] = 'Basic realm="Secured Area"' }, "") } },
    { "credentials_refused" } },
  { "a wrong password on 5.1", { answers = { api = a(401, JSON, WRONG_51) } }, { "credentials_refused" } },
  { "a wrong OAuth2 client secret", { auth = "oauth2", answers = { api = token(400,
    '{"errors":[{"message":"The client credentials are invalid","code":400,"type":"invalid_client"}]}') } },
    { "credentials_refused" } },
  { "http redirected to https", { answers = { api = moved("https://mautic.example.com/api/users/self") } },
    { "redirect_https" } },
  { "redirected to another host", { answers = { api = moved("http://www.example.com/api/users/self") } },
    { "redirect_host" } },
  { "redirected to https on another host", { answers = { api = moved("https://www.example.com/api/users/self") } },
    { "redirect_https", "redirect_host" } },
  { "only /index.php reaches Mautic", { answers = {
      api = a(404, { ["content-type"] = "text/html; charset=iso-8859-1" }, APACHE_404) } },
    { "index_php_only" } },
  { "a Mautic route 404 on both (a wrong base path)",
    { answers = { api = a(404, JSON, ROUTE_404), index = a(404, JSON, ROUTE_404) } }, { "unexplained" } },
  { "OAuth1 timestamp refused", { auth = "oauth1", skew = 3600, answers = { api = a(401, JSON, TIMESTAMP) } },
    { "clock_skew" } },
  { "OAuth1 refused while the Date header is an hour off", { auth = "oauth1", skew = -3600,
    answers = { api = a(401, JSON, SIGNATURE) } }, { "clock_skew" } },
  { "OAuth1 refused with the clocks in step", { auth = "oauth1", skew = 2,
    answers = { api = a(401, JSON, SIGNATURE) } }, { "unexplained" } },
  { "a stock 7.0.0 refusing bearer tokens on /api/v2", { auth = "oauth2", answers = { v2 = a(401,
    { ["content-type"] = "application/json" }, V2_BUG) } }, { "v2_bearer_bug" } },
  { "an invalid token on /api/v2 is not that bug", { auth = "oauth2", answers = { v2 = a(401, JSON, BAD_TOKEN) } },
    {} },
  { "nothing answers", { answers = { api = probes.no_answer("Failed to connect", "connect"), anon = false,
                                      index = false, v2 = false } }, { "unreachable" } },
}

describe("the doctor's decisions", function()
  for _, case in ipairs(CASES) do
    local name, given, want = case[1], case[2], case[3]
    it(name .. ": " .. (#want > 0 and table.concat(want, ", ") or "no findings"), function()
      local f = facts(given)
      for k, v in pairs(f) do if v == false then f[k] = nil end end
      local found, ok = diagnoses.decide(f)
      local ids = {}
      for i, x in ipairs(found) do
        ids[i] = x.id
        assert.is_string(x.cause)
        assert.is_string(x.fix)
        assert.is_string(x.evidence)
      end
      assert.same(want, ids)
      assert.equal(#want == 0, ok)
    end)
  end

  it("has a case for every row of the table", function()
    local seen = {}
    for _, case in ipairs(CASES) do
      for _, id in ipairs(case[3]) do seen[id] = true end
    end
    for _, row in ipairs(diagnoses.ROWS) do
      assert.is_true(seen[row.id] == true, "no case finds " .. row.id)
      assert.is_string(row.cause)
      assert.is_string(row.fix)
      assert.is_function(row.when)
      assert.is_function(row.evidence)
    end
  end)

  it("quotes what the server said, scrubbed of anything shaped like a credential", function()
    local echo = '{"errors":[{"message":"bad header Authorization: Bearer abc.def-123","code":418}]}'
    local found = diagnoses.decide(facts{ answers = { api = a(418, JSON, echo) } })
    assert.equal("unexplained", found[1].id)
    assert.matches("answered 418", found[1].evidence, 1, true)
    assert.is_nil(found[1].evidence:find("abc.def-123", 1, true))
  end)

  it("names where a redirect goes, without the credentials a Location may hold", function()
    local found = diagnoses.decide(facts{ answers = { api = moved("https://u:pw-in-url@mautic.example.com/x") } })
    assert.equal("redirect_https", found[1].id)
    assert.is_nil(found[1].evidence:find("pw-in-url", 1, true))
  end)
end)
