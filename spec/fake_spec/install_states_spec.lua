-- config `install`: the fake answers as a broken install does, with the
-- bytes a stock Mautic 7.0.0 sent in each state (doc/DOCTOR.md has the
-- commands that measured them).
local S = require "spec.fake_spec.support"

local API_DISABLED = '{"errors":[{"message":"API disabled. You need to enable the API in the API settings of '
  .. 'Mautic\\u0027s Configuration.","code":403,"type":"api_disabled"}]}'
local BASIC_DISABLED = '{"errors":[{"message":"Basic Auth disabled. You need to enable HTTP basic auth in the API '
  .. 'settings of Mautic\\u0027s Configuration.","code":403,"type":"access_denied"}]}'
local DENIED = '{"errors":[{"message":"API authorization denied.","code":401,"type":"access_denied"}]}'

describe("fake server: broken installs (config install)", function()
  local srv
  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)

  local function install(state, extra)
    S.reset(srv)
    local config = { install = state }
    for k, v in pairs(extra or {}) do config[k] = v end
    local r = S.request(srv, "POST", "/__fake/config", { auth = false, json = config })
    assert.equal(200, r.status, r.raw)
  end

  it("refuses a state it does not know, naming the ones it does", function()
    S.reset(srv)
    local r = S.request(srv, "POST", "/__fake/config", { auth = false, json = { install = "api_off" } })
    assert.equal(400, r.status)
    assert.matches("api_disabled, auth_header_stripped, basic_disabled", r.raw, 1, true)
  end)

  it("api_disabled: 403 to every /api and /oauth request, credentials or not, without Mautic-Version", function()
    install("api_disabled")
    for _, req in ipairs{ { "GET", "/api/users/self" }, { "GET", "/api/users/self", false },
                          { "GET", "/index.php/api/contacts" }, { "POST", "/oauth/v2/token", false } } do
      local r = S.request(srv, req[1], req[2], { auth = req[3] })
      assert.equal(403, r.status)
      assert.equal(API_DISABLED, r.raw)
      assert.equal("application/json", r.headers["content-type"])
      assert.is_nil(r.headers["mautic-version"])
    end
  end)

  it("stale_cache answers as api_disabled (Mautic still runs the old settings)", function()
    install("stale_cache")
    assert.equal(API_DISABLED, S.request(srv, "GET", "/api/users/self").raw)
  end)

  it("basic_disabled: 403 to Basic credentials, right or wrong; none and a bearer token as usual", function()
    install("basic_disabled")
    assert.equal(BASIC_DISABLED, S.request(srv, "GET", "/api/users/self").raw)
    assert.equal(BASIC_DISABLED, S.request(srv, "GET", "/api/users/self", { auth = "admin:wrong" }).raw)
    local none = S.request(srv, "GET", "/api/users/self", { auth = false })
    assert.equal(401, none.status)
    assert.equal(DENIED, none.raw)
    local tok = S.request(srv, "POST", "/oauth/v2/token", { auth = false,
      form = "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret" })
    local r = S.request(srv, "GET", "/api/users/self", { auth = false,
      headers = { Authorization = "Bearer " .. tok.body.access_token } })
    assert.equal(200, r.status)
  end)

  it("auth_header_stripped: Mautic sees no credentials; a token in the query still works", function()
    install("auth_header_stripped")
    local r = S.request(srv, "GET", "/api/users/self")
    assert.equal(401, r.status)
    assert.equal(DENIED, r.raw)
    local tok = S.request(srv, "POST", "/oauth/v2/token", { auth = false,
      form = "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret" })
    assert.equal(200, tok.status)
    r = S.request(srv, "GET", "/api/users/self", { auth = false, query = "access_token=" .. tok.body.access_token })
    assert.equal(200, r.status)
  end)

  it("redirect_https and redirect_host: nginx's 301 to the same path and query", function()
    install("redirect_https")
    local r = S.request(srv, "GET", "/api/contacts", { query = "limit=1" })
    assert.equal(301, r.status)
    assert.equal(srv.url:gsub("^http:", "https:") .. "/api/contacts?limit=1", r.headers["location"])
    assert.matches("<title>301 Moved Permanently</title>", r.raw, 1, true)
    install("redirect_host")
    r = S.request(srv, "GET", "/index.php/api/contacts")
    assert.equal(301, r.status)
    assert.equal(srv.url:gsub("127%.0%.0%.1", "localhost") .. "/index.php/api/contacts", r.headers["location"])
    install("redirect_host", { install_redirect_host = "127.0.0.1" })
    assert.equal(200, S.request(srv, "GET", "/api/users/self").status)
  end)

  it("index_php_only: Apache's 404 page unless the path goes through /index.php", function()
    install("index_php_only")
    local r = S.request(srv, "GET", "/api/users/self")
    assert.equal(404, r.status)
    assert.matches("<h1>Not Found</h1>", r.raw, 1, true)
    assert.equal("text/html; charset=iso-8859-1", r.headers["content-type"])
    assert.equal(200, S.request(srv, "GET", "/index.php/api/users/self").status)
  end)

  it("clock_skew: the Date header runs ahead by install_clock_offset", function()
    install("clock_skew", { install_clock_offset = 7200 })
    local r = S.request(srv, "GET", "/api/users/self")
    assert.equal(200, r.status)
    local d, mon, y, h, mi, s = r.headers["date"]:match("(%d+) (%a+) (%d+) (%d+):(%d+):(%d+) GMT")
    local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
                     Nov = 11, Dec = 12 }
    local utc_now = os.time(os.date("!*t"))
    local server = os.time{ year = y, month = months[mon], day = d, hour = h, min = mi, sec = s }
    assert.is_true(math.abs(server - utc_now - 7200) <= 2, r.headers["date"])
  end)

  it("healthy changes nothing", function()
    install("healthy")
    assert.equal(200, S.request(srv, "GET", "/api/users/self").status)
  end)
end)
