-- api.diagnose() and `mautic doctor` over HTTP, against the fake put into
-- each broken-install state (config `install`, lua/mautic/fake/install_states.lua).
local fake = require "support.fake"
local mautic = require "mautic"
local core = require "mautic.core"
local json = require "mautic.json"
local sys = require "support.sys"

local LUA = require("support.lua").interpreter

local USER, PASSWORD = "admin", "Doc-Secret-Pw-9z"
local BASIC64 = core.b64encode(USER .. ":" .. PASSWORD)
local CLIENT_ID, CLIENT_SECRET = "fake-client", "fake-secret-Doc-7q"

local function basic(url)
  return fake.client{ url = url, auth = mautic.auth.basic{ username = USER, password = PASSWORD } }
end

local function oauth2()
  return fake.client{ auth = mautic.auth.oauth2{ client_id = CLIENT_ID, client_secret = CLIENT_SECRET,
                                                 grant = "client_credentials" } }
end

local function reset(config)
  fake.clear_faults()
  local c = { users = { [USER] = PASSWORD }, oauth2_clients = { [CLIENT_ID] = { secret = CLIENT_SECRET } } }
  for k, v in pairs(config or {}) do c[k] = v end
  fake.reset(c)
end

local function ids(report)
  local out = {}
  for i, f in ipairs(report.findings) do out[i] = f.id end
  return out
end

-- every access token the fake issued during the test
local function tokens()
  local out = {}
  for t in pairs(fake.tokens().oauth2.access_tokens or {}) do out[#out + 1] = t end
  return out
end

-- no secret of this spec in `text`, in any spelling the redaction knows
local function assert_clean(text)
  for _, secret in ipairs{ PASSWORD, BASIC64, CLIENT_SECRET, core.pct_encode(PASSWORD) } do
    assert.is_nil(text:find(secret, 1, true), "a secret in: " .. text)
  end
  for _, t in ipairs(tokens()) do assert.is_nil(text:find(t, 1, true), "a token in: " .. text) end
end

-- bin/mautic doctor as a user runs it: stdout and stderr together, and the exit status
local function doctor_cli(args, env)
  return sys.run(("%s %s bin/mautic doctor %s"):format(env or "", LUA, args))
end

local BASIC_ENV = ("MAUTIC_USERNAME=%s MAUTIC_PASSWORD=%s"):format(USER, PASSWORD)

describe("api.diagnose", function()
  before_each(function() reset() end)

  it("finds nothing wrong with a healthy install, and says what it tried", function()
    local r = basic().diagnose()
    assert.is_true(r.ok)
    assert.same({}, r.findings)
    assert.equal("basic", r.auth)
    assert.equal("5.1.0", r.version)
    local tried = {}
    for i, t in ipairs(r.tried) do tried[i] = t.method .. " " .. t.url:sub(#fake.url + 1) .. " " .. t.status end
    assert.same({ "GET /api/users/self 200", "GET /api/users/self 401", "GET /index.php/api/users/self 200",
                  "GET /api/v2/contacts?page=1 404" }, tried)
    assert.is_false(r.tried[2].credentials)
  end)

  it("sends each probe once, without retrying a refusal", function()
    reset{ install = "api_disabled" }
    fake.clear_log()
    basic().diagnose()
    assert.equal(4, #fake.log())
  end)

  for _, case in ipairs{
    { "api_disabled", { "api_disabled" } },
    { "basic_disabled", { "basic_disabled" } },
    { "auth_header_stripped", { "auth_header_stripped" } },
    { "redirect_https", { "redirect_https" } },
    { "redirect_host", { "redirect_host" } },
    { "index_php_only", { "index_php_only" } },
  } do
    it("names a broken install: " .. case[1], function()
      reset{ install = case[1] }
      local r = basic().diagnose()
      assert.is_false(r.ok)
      assert.same(case[2], ids(r))
      assert.is_string(r.findings[1].fix)
      assert.is_string(r.findings[1].cause)
    end)
  end

  it("names a stale cache when the settings are said to be on but the API answers off", function()
    reset{ install = "stale_cache" }
    local api = basic()
    assert.same({ "api_disabled" }, ids(api.diagnose()))
    assert.same({ "stale_cache" }, ids(api.diagnose{ settings_on = true }))
  end)

  it("finds the Basic switch off only for Basic: a bearer token still works", function()
    reset{ install = "basic_disabled" }
    assert.is_true(oauth2().diagnose().ok)
  end)

  it("sees a switched-off API at the OAuth2 token endpoint", function()
    reset{ install = "api_disabled" }
    local r = oauth2().diagnose()
    assert.same({ "api_disabled" }, ids(r))
    assert.equal("POST", r.tried[1].method)
    assert.equal(fake.url .. "/oauth/v2/token", r.tried[1].url)
    assert.equal(403, r.tried[1].status)
    assert.matches("/oauth/v2/token", r.findings[1].evidence, 1, true)
    -- then only the request without credentials: no token is asked for again
    assert.equal(2, #r.tried)
    assert.is_false(r.tried[2].credentials)
  end)

  it("names a stripped Authorization header for a bearer token", function()
    reset{ install = "auth_header_stripped" }
    assert.same({ "auth_header_stripped" }, ids(oauth2().diagnose()))
  end)

  it("names refused credentials and missing ones", function()
    local wrong = fake.client{ auth = mautic.auth.basic{ username = USER, password = "not-the-password" } }
    assert.same({ "credentials_refused" }, ids(wrong.diagnose()))
    local none = mautic.new{ url = fake.url }
    local r = none.diagnose()
    assert.same({ "no_credentials" }, ids(r))
    assert.equal(3, #r.tried)     -- no second request without credentials
  end)

  it("uses the /index.php URL it is given, and then finds that install healthy", function()
    reset{ install = "index_php_only" }
    local r = basic(fake.url .. "/index.php").diagnose()
    assert.is_true(r.ok)
    for _, t in ipairs(r.tried) do assert.matches("/index.php/api/", t.url, 1, true) end
  end)

  it("names a clock too far off for OAuth1", function()
    reset{ oauth1 = true }
    local key, secret = "fake-consumer", "fake-consumer-secret"
    local req = assert(mautic.oauth1.request_token{ url = fake.url, consumer_key = key, consumer_secret = secret,
                                                    callback = "http://127.0.0.1:9/done" })
    local _, headers = core.session():request{ url = mautic.oauth1.authorize_url{ url = fake.url,
                                                                                 token = req.oauth_token } }
    local tokens_ = assert(mautic.oauth1.access_token{ url = fake.url, consumer_key = key, consumer_secret = secret,
      token = req.oauth_token, token_secret = req.oauth_token_secret,
      verifier = headers.location:match("oauth_verifier=([^&]+)") })
    local api = fake.client{ auth = mautic.auth.oauth1{ consumer_key = key, consumer_secret = secret,
      token = tokens_.oauth_token, token_secret = tokens_.oauth_token_secret } }
    assert.is_true(api.diagnose().ok)
    fake.config{ install = "clock_skew", install_clock_offset = 3600 }
    local r = api.diagnose()
    assert.same({ "clock_skew" }, ids(r))
    -- the Date header counts whole seconds
    assert.matches("clock is %+3[56]%d%d s off", r.findings[1].evidence)
  end)

  it("names a stock 7.0.0 refusing bearer tokens on /api/v2 (its recorded answer, injected)", function()
    reset{ version = "7.0.0" }
    -- auth.unpatched_7_0_0.bearer.collection in the 7.0 recordings
    fake.fault{ path = "^/api/v2/", status = 401, body = '{"message":"Invalid credentials."}',
                content_type = "application/json", count = 0 }
    local r = oauth2().diagnose()
    assert.same({ "v2_bearer_bug" }, ids(r))
    assert.matches("7.1.3", r.findings[1].fix, 1, true)
  end)

  it("names a stock 7.0.0 refusing bearer tokens on /api/v2", function()
    reset{ version = "7.0.0", v2_bearer_bug = true }
    local r = oauth2().diagnose()
    assert.same({ "v2_bearer_bug" }, ids(r))
    assert.is_true(basic().diagnose().ok)
  end)

  it("names a server that does not answer, after one try", function()
    local r = fake.client{ url = "http://127.0.0.1:9", timeout = 2 }.diagnose()
    assert.same({ "unreachable" }, ids(r))
    assert.equal(1, #r.tried)
    assert.is_nil(r.tried[1].status)
  end)

  it("raises at the caller's line for a bad option", function()
    local api = basic()
    local ok, err = pcall(function() api.diagnose{ settings = true } end)
    assert.is_false(ok)
    assert.matches("doctor_spec.lua:%d+: bad argument #1 to 'diagnose' %(unknown option 'settings'", err)
  end)
end)

describe("no secret in the doctor's report or output", function()
  before_each(function() reset() end)

  it("keeps the password, the Basic header and tokens out of the report, even when Mautic echoes them", function()
    for _, state in ipairs{ "healthy", "auth_header_stripped", "basic_disabled", "redirect_host" } do
      reset{ install = state }
      -- the first probe's answer quotes the credentials it got: the evidence quotes that answer
      for _, api in ipairs{ basic(), (oauth2()) } do
        fake.clear_faults()
        fake.fault{ path = "^/api/users/self", action = "echo_secret", status = 401, count = 1,
                    forms = { "json", "percent", "base64" } }
        local r = api.diagnose()
        assert.equal("unexplained", r.findings[1].id)
        assert_clean(json.encode(r))
      end
    end
  end)

  it("keeps a token sent in the query out of the URLs it lists", function()
    local api = fake.client{ auth = mautic.auth.oauth2{ client_id = CLIENT_ID, client_secret = CLIENT_SECRET,
                                                        grant = "client_credentials", token_in_query = true } }
    local r = api.diagnose()
    assert.is_true(r.ok)
    assert.equal(fake.url .. "/oauth/v2/token", r.tried[1].url)      -- the token request is listed too
    assert.matches("access_token=<redacted>", r.tried[2].url, 1, true)
    assert_clean(json.encode(r))
  end)

  it("prints neither the password nor the Basic header, in text or JSON", function()
    for _, state in ipairs{ "healthy", "basic_disabled", "auth_header_stripped" } do
      reset{ install = state }
      for _, flags in ipairs{ "", " --json" } do
        fake.clear_faults()
        fake.fault{ path = "^/api/users/self", action = "echo_secret", status = 401, count = 1,
                    forms = { "json", "base64" } }
        local out = doctor_cli(fake.url .. flags, BASIC_ENV)
        assert_clean(out)
      end
    end
  end)
end)

describe("mautic doctor", function()
  before_each(function() reset() end)

  it("exits 0 for a healthy install and prints what it tried", function()
    local out, code = doctor_cli(fake.url, BASIC_ENV)
    assert.equal(0, code)
    assert.matches("GET    " .. fake.url .. "/api/users/self -> 200", out, 1, true)
    assert.matches("(no credentials) -> 401", out, 1, true)
    assert.matches("no problem found: Mautic 5.1.0", out, 1, true)
  end)

  it("exits 1 and prints the cause, the evidence and the fix of each problem", function()
    reset{ install = "basic_disabled" }
    local out, code = doctor_cli(fake.url, BASIC_ENV)
    assert.equal(1, code)
    assert.matches("1 problem found:\n\nbasic_disabled\n  cause: ", out, 1, true)
    assert.matches("\n  evidence: GET /api/users/self answered 403", out, 1, true)
    assert.matches("\n  fix: Set Enable HTTP basic auth to Yes", out, 1, true)
  end)

  it("takes --settings-on and --json, and MAUTIC_URL when no URL is given", function()
    reset{ install = "stale_cache" }
    local out, code = doctor_cli("--settings-on --json", BASIC_ENV .. " MAUTIC_URL=" .. fake.url)
    assert.equal(1, code)
    local r = assert(json.decode(out))
    assert.is_false(r.ok)
    assert.equal("stale_cache", r.findings[1].id)
  end)

  it("prints its help, and refuses what it does not take (exit 2)", function()
    local out, code = doctor_cli("--help")
    assert.equal(0, code)
    assert.matches("^usage: mautic doctor", out)
    out, code = doctor_cli("--frobnicate")
    assert.equal(2, code)
    assert.matches("unknown option --frobnicate", out, 1, true)
    out, code = doctor_cli("", "MAUTIC_URL=")
    assert.equal(2, code)
    assert.matches("doctor needs a URL", out, 1, true)
  end)
end)
