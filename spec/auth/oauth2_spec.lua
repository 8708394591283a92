local fake = require "support.fake"
local mautic = require "mautic"
local json = require "mautic.json"
local core = require "mautic.core"

local CLIENT_ID, SECRET = "fake-client", "fake-secret"

local function token_requests()
  local n = 0
  for _, r in ipairs(fake.log()) do
    if r.path == "/oauth/v2/token" then n = n + 1 end
  end
  return n
end

-- ask the fake's authorize endpoint for a code, as a browser would
local function authorization_code(redirect_uri)
  local url = mautic.oauth2.authorize_url{ url = fake.url, client_id = CLIENT_ID, redirect_uri = redirect_uri }
  local s = core.session()
  local status, headers = s:request{ url = url }
  assert.equal(302, status)
  return headers.location:match("[?&]code=([^&]+)")
end

local function client(auth_opts, client_opts)
  local o = { client_id = CLIENT_ID, client_secret = SECRET }
  for k, v in pairs(auth_opts or {}) do o[k] = v end
  local c = { auth = mautic.auth.oauth2(o) }
  for k, v in pairs(client_opts or {}) do c[k] = v end
  return fake.client(c)
end

describe("OAuth2", function()
  before_each(function() fake.reset() end)

  describe("client_credentials", function()
    it("fetches a token on first use and sends it as a Bearer header", function()
      local api = client()
      assert.equal(0, token_requests())
      assert(api.contacts.list())
      assert(api.contacts.list())
      assert.equal(1, token_requests())
      local tok = fake.last("POST", "^/oauth/v2/token$")
      assert.equal("client_credentials", tok.body:match("grant_type=([%w_]+)"))
      assert.equal("application/x-www-form-urlencoded", tok.content_type)
      assert.equal("bearer", fake.last("GET", "^/api/contacts$").auth)
    end)

    it("fetches again shortly before the token expires", function()
      local clock = core.now()
      local api = client({ margin = 60 }, { now = function() return clock end })
      assert(api.contacts.list())
      clock = clock + 3600 - 30          -- inside the margin
      assert(api.contacts.list())
      assert.equal(2, token_requests())
    end)

    it("calls on_token with every new token set", function()
      local seen = {}
      local api = client{ on_token = function(t) seen[#seen + 1] = t end }
      assert(api.contacts.list())
      assert.equal(1, #seen)
      assert.is_string(seen[1].access_token)
      assert.is_number(seen[1].expires_at)
    end)

    it("returns an auth error for a wrong secret, without the secret", function()
      local api = client{ client_secret = "wrong-secret-4711" }
      local page, err = api.contacts.list()
      assert.is_nil(page)
      assert.equal("auth", err.kind)
      assert.equal(400, err.status)
      assert.equal("invalid_client", err.type)
      assert.matches("client credentials are invalid", err.message)
      assert.not_matches("wrong%-secret%-4711", tostring(err))
      assert.not_matches("wrong%-secret%-4711", err.body or "")
    end)

    it("reads the older OAuth error shape too", function()
      fake.config{ oauth2_error_style = "legacy" }
      local _, err = client{ client_secret = "nope-nope" }.contacts.list()
      assert.equal("auth", err.kind)
      assert.equal("invalid_client", err.type)
      assert.is_string(err.message)
    end)
  end)

  describe("after a 401 for an expired token", function()
    it("renews once and replays the request", function()
      fake.config{ token_ttl = 0 }
      local s = core.session()
      local _, _, body = s:request{ method = "POST", url = fake.url .. "/oauth/v2/token",
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
        body = "grant_type=client_credentials&client_id=" .. CLIENT_ID .. "&client_secret=" .. SECRET }
      local stale = json.decode(body).access_token
      fake.config{ token_ttl = 3600 }
      fake.clear_log()
      local api = client{ access_token = stale, grant = "client_credentials" }
      local page = assert(api.contacts.list())
      assert.equal(0, page.total)
      local statuses = {}
      for _, r in ipairs(fake.log()) do statuses[#statuses + 1] = r.path .. " " .. r.status end
      assert.same({ "/api/contacts 401", "/oauth/v2/token 200", "/api/contacts 200" }, statuses)
    end)

    it("gives up after one renewal when the new token is refused too", function()
      fake.config{ token_ttl = 0 }
      local api = client()
      local _, err = api.contacts.list()
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
      assert.matches("expired", err.message)
      -- the API request went out twice: once, and one replay after renewing
      local api_calls = 0
      for _, r in ipairs(fake.log()) do
        if r.path == "/api/contacts" then api_calls = api_calls + 1 end
      end
      assert.equal(2, api_calls)
    end)
  end)

  describe("authorization code and refresh tokens", function()
    local redirect = "http://127.0.0.1:9/callback"

    it("builds the authorize URL with a random state", function()
      local url, state = mautic.oauth2.authorize_url{ url = fake.url .. "/api", client_id = CLIENT_ID,
                                                      redirect_uri = redirect }
      assert.matches("^" .. fake.url:gsub("%p", "%%%0") .. "/oauth/v2/authorize%?", url)
      assert.matches("response_type=code", url, 1, true)
      assert.matches("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback", url, 1, true)
      assert.equal(32, #state)
      assert.not_equal(state, select(2, mautic.oauth2.authorize_url{ url = fake.url, client_id = "x",
                                                                       redirect_uri = redirect }))
    end)

    it("exchanges a code, refreshes with a rotating refresh token and reports each set", function()
      local tokens = assert(mautic.oauth2.exchange_code{ url = fake.url, client_id = CLIENT_ID,
        client_secret = SECRET, redirect_uri = redirect, code = authorization_code(redirect) })
      assert.is_string(tokens.refresh_token)
      local saved = {}
      local clock = core.now()
      local api = client({ access_token = tokens.access_token, refresh_token = tokens.refresh_token,
                           expires_at = tokens.expires_at, on_token = function(t) saved[#saved + 1] = t end },
                         { now = function() return clock end })
      assert(api.contacts.list())
      assert.equal(0, #saved)
      clock = clock + 7200
      assert(api.contacts.list())
      assert.equal(1, #saved)
      assert.not_equal(tokens.refresh_token, saved[1].refresh_token)
      -- the old refresh token was spent: the server refuses it now
      local status, _, body = core.session():request{ method = "POST", url = fake.url .. "/oauth/v2/token",
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
        body = mautic.encode_query{ grant_type = "refresh_token", refresh_token = tokens.refresh_token,
                                    client_id = CLIENT_ID, client_secret = SECRET } }
      assert.equal(400, status)
      assert.equal("invalid_grant", json.decode(body).errors[1].type)
    end)

    it("refuses a code that is wrong or used twice", function()
      local code = authorization_code(redirect)
      assert(mautic.oauth2.exchange_code{ url = fake.url, client_id = CLIENT_ID, client_secret = SECRET,
                                          redirect_uri = redirect, code = code })
      local t, err = mautic.oauth2.exchange_code{ url = fake.url, client_id = CLIENT_ID, client_secret = SECRET,
                                                  redirect_uri = redirect, code = code }
      assert.is_nil(t)
      assert.equal("auth", err.kind)
      assert.equal("invalid_grant", err.type)
    end)

    it("runs the whole flow from a terminal with local_callback", function()
      local shown
      local tokens = assert(mautic.oauth2.local_callback{
        url = fake.url, client_id = CLIENT_ID, client_secret = SECRET, timeout = 20,
        -- the "browser": follows Mautic's redirect back to the local listener
        show = function(u)
          shown = u
          assert(os.execute(("curl -s -L -o /dev/null '%s' &"):format(u)))
        end,
      })
      assert.matches("/oauth/v2/authorize?", shown, 1, true)
      assert.is_string(tokens.access_token)
      assert(fake.client{ auth = mautic.auth.oauth2{ client_id = CLIENT_ID, client_secret = SECRET,
        access_token = tokens.access_token, refresh_token = tokens.refresh_token } }.contacts.list())
    end)
  end)

  describe("concurrency", function()
    it("runs one refresh for many requests in flight", function()
      local clock = core.now()
      local api = client({}, { now = function() return clock end, sleep = false })
      assert(api.contacts.list())
      clock = clock + 7200                 -- every request now needs a new token
      local tasks = {}
      for i = 1, 6 do tasks[i] = function() return api.contacts.list{ limit = i } end end
      local values, errs = mautic.parallel(tasks, { concurrency = 6 })
      for i = 1, 6 do assert.is_nil(errs[i]); assert.equal(0, values[i].total) end
      assert.equal(2, token_requests())
    end)
  end)

  describe("token stores", function()
    local path
    before_each(function() path = os.tmpname() os.remove(path) end)
    after_each(function() os.remove(path) os.remove(path .. ".lock") end)

    it("saves to a file store and lets the next client reuse the token", function()
      local api = client{ store = mautic.auth.store.file(path) }
      assert(api.contacts.list())
      local saved = json.decode(io.open(path):read("*a"))
      local entry = saved.entries[fake.token_entry(CLIENT_ID)]
      assert.is_string(entry.access_token)
      assert.equal(fake.url .. "/oauth/v2/token", entry.issuer)
      assert.equal(CLIENT_ID, entry.client_id)
      local again = client{ store = mautic.auth.store.file(path) }
      assert(again.contacts.list())
      assert.equal(1, token_requests())
    end)
  end)

  describe("access_token in the query", function()
    it("sends the token as a parameter instead of a header", function()
      local api = client{ token_in_query = true }
      assert(api.contacts.list{ search = "x" })
      local r = fake.last("GET", "^/api/contacts$")
      assert.equal("bearer", r.auth)
      assert.matches("access_token=", r.query, 1, true)
      assert.matches("search=x", r.query, 1, true)
      assert.is_nil(r.headers.authorization)
    end)
  end)

  it("raises for bad options at the caller's line", function()
    local ok, msg = pcall(function() mautic.auth.oauth2{ client_id = 5 } end)
    assert.is_false(ok)
    assert.matches("oauth2_spec.lua:%d+: bad argument #1 to 'oauth2'", msg)
    assert.has_error(function() mautic.auth.oauth2{ grant = "magic" } end)
    assert.has_error(function() mautic.auth.oauth2{ client_id = "x" } end)  -- client_credentials needs the secret
  end)

  describe("empty credentials and tokens that cannot be sent", function()
    local cases = {
      { "an empty client_id", { client_id = "", client_secret = SECRET }, "client_id: must not be empty" },
      { "an empty client_secret", { client_id = CLIENT_ID, client_secret = "" }, "client_secret: must not be empty" },
      { "an empty access_token", { client_id = CLIENT_ID, client_secret = SECRET, access_token = "" },
        "access_token: must not be empty" },
      { "an empty refresh_token", { client_id = CLIENT_ID, client_secret = SECRET, refresh_token = "" },
        "refresh_token: must not be empty" },
      { "an access_token holding CR/LF", { client_id = CLIENT_ID, client_secret = SECRET,
        access_token = "tok\r\nX-Evil: 1" }, "access_token: holds spaces or control characters" },
      { "a refresh_token without the client credentials to use it", { access_token = "a1", refresh_token = "r1" },
        "a refresh_token needs client_id and client_secret" },
      { "a negative margin", { client_id = CLIENT_ID, client_secret = SECRET, margin = -1 }, "margin:" },
    }
    for _, case in ipairs(cases) do
      it("raise at the caller's line for " .. case[1], function()
        local ok, msg = pcall(function() mautic.auth.oauth2(case[2]) end)
        assert.is_false(ok)
        assert.matches("oauth2_spec.lua:%d+: bad argument #1 to 'oauth2' %(", msg)
        assert.matches(case[3], msg, 1, true)
      end)
    end
  end)

  describe("a token answer whose expires_in is not a positive number", function()
    for _, bad in ipairs{ '"soon"', "-100", "0", '"abc"', "null", '""' } do
      it("gives a client that works, with Mautic's 3600 s assumed, for " .. bad, function()
        local issued = {}
        local api = client{ on_token = function(t) issued[#issued + 1] = t end }
        fake.fault{ path = "^/oauth/v2/token$", status = 200,
                    body = '{"access_token":"fixed-token-1","token_type":"bearer","expires_in":' .. bad .. '}' }
        fake.config{ tokens = { ["fixed-token-1"] = true } }
        for _ = 1, 3 do assert(api.contacts.list()) end
        assert.equal(1, token_requests())
        if bad == "null" then
          -- no lifetime at all (RFC 6749 makes it optional): used until a 401 says otherwise
          assert.is_nil(issued[1].expires_in)
        else
          assert.equal(3600, issued[1].expires_in)
          assert.is_true(issued[1].expires_in_assumed)
        end
      end)
    end
  end)

  describe("a token endpoint that answers nonsense", function()
    local endpoint = fake.url .. "/oauth/v2/token"
    local JSON, HTML = "application/json", "text/html"
    local cases = {
      { "an HTML page with 200", 200, HTML, "<html><body>Please log in</body></html>", "not JSON" },
      { "an HTML error page with 502", 502, HTML, "<html><body>Bad Gateway</body></html>", "not JSON" },
      { "an empty 200", 200, JSON, "", "an empty body" },
      { "a JSON string", 200, JSON, '"ok"', "not a JSON object" },
      { "200 without an access_token", 200, JSON, '{"token_type":"bearer","expires_in":3600}', "no access_token" },
      { "an access_token holding CR/LF", 200, JSON, '{"access_token":"tok\\r\\nX-Evil: 1","expires_in":3600}',
        "an access_token that cannot be sent" },
      { "an access_token holding a control character", 200, JSON, '{"access_token":"tok\\u0007en"}',
        "an access_token that cannot be sent" },
      { "an access_token holding a space", 200, JSON, '{"access_token":"tok en"}', "an access_token that cannot be sent" },
      { "an empty access_token", 200, JSON, '{"access_token":""}', "an access_token that cannot be sent" },
      { "an access_token that is a number", 200, JSON, '{"access_token":12345}', "an access_token that cannot be sent" },
      { "a refresh_token holding LF", 200, JSON, '{"access_token":"tok","refresh_token":"ref\\n1"}',
        "a refresh_token that cannot be used" },
    }
    for _, case in ipairs(cases) do
      local name, status, ctype, body, what = case[1], case[2], case[3], case[4], case[5]
      it("is an auth error naming the token endpoint for " .. name, function()
        fake.fault{ path = "^/oauth/v2/token$", status = status, content_type = ctype, body = body }
        local api = client()
        local ok, page, err = pcall(api.contacts.list)
        assert.is_true(ok, "raised: " .. tostring(page))
        assert.is_nil(page)
        assert.equal("auth", err.kind)
        assert.equal(status, err.status)
        assert.matches("token endpoint " .. endpoint .. " answered HTTP " .. status .. ": ", err.message, 1, true)
        assert.matches(what, err.message, 1, true)
        assert.equal(endpoint, err.url)
        -- nothing went to the API with a token that is not one
        assert.is_nil(fake.last(nil, "^/api/"))
        assert.equal(1, token_requests())
      end)
    end

    it("is an auth error naming the token endpoint when a code is exchanged", function()
      fake.fault{ path = "^/oauth/v2/token$", status = 200, content_type = HTML, body = "<html></html>" }
      local ok, tokens, err = pcall(mautic.oauth2.exchange_code, { url = fake.url .. "/api", client_id = CLIENT_ID,
        client_secret = SECRET, redirect_uri = "http://127.0.0.1:9/cb", code = "code-1" })
      assert.is_true(ok)
      assert.is_nil(tokens)
      assert.equal("auth", err.kind)
      assert.matches("token endpoint " .. endpoint .. " answered HTTP 200: a body that is not JSON", err.message, 1, true)
    end)

    it("names the token endpoint in the message of an OAuth error too", function()
      local _, err = client{ client_secret = "wrong-secret" }.contacts.list()
      assert.equal("auth", err.kind)
      assert.equal("token endpoint " .. endpoint .. " answered HTTP 400: The client credentials are invalid",
                   err.message)
    end)
  end)

  describe("a token request that gets no answer", function()
    local function expired_refresh_client()
      local t = json.decode(select(3, core.session():request{ method = "POST", url = fake.url .. "/__fake/oauth2/issue",
        headers = { ["Content-Type"] = "application/json" }, body = '{"refresh":true}' }))
      return client{ access_token = t.access_token, refresh_token = t.refresh_token, expires_at = core.now() - 1 }
    end

    it("is resent for client_credentials, up to 2 times", function()
      fake.fault{ path = "^/oauth/v2/token$", drop = true, count = 2 }
      assert(client().contacts.list())
      assert.equal(3, token_requests())
    end)

    it("fails after 3 sends for client_credentials, as a network error naming the endpoint", function()
      fake.fault{ path = "^/oauth/v2/token$", drop = true, count = 3 }
      local page, err = client().contacts.list()
      assert.is_nil(page)
      assert.equal("network", err.kind)
      assert.matches("token endpoint " .. fake.url .. "/oauth/v2/token: ", err.message, 1, true)
      assert.equal(3, token_requests())
      assert.is_nil(fake.last(nil, "^/api/"))
    end)

    it("is resent once for a refresh token", function()
      local api = expired_refresh_client()
      fake.clear_log()
      fake.fault{ path = "^/oauth/v2/token$", drop = true, count = 1 }
      assert(api.contacts.list())
      assert.equal(2, token_requests())
    end)

    it("is resent no more than once for a refresh token", function()
      local api = expired_refresh_client()
      fake.clear_log()
      fake.fault{ path = "^/oauth/v2/token$", drop = true, count = 2 }
      local page, err = api.contacts.list()
      assert.is_nil(page)
      assert.equal("network", err.kind)
      assert.equal(2, token_requests())
    end)

    it("is never resent for an authorization code", function()
      fake.fault{ path = "^/oauth/v2/token$", drop = true, count = 1 }
      local tokens, err = mautic.oauth2.exchange_code{ url = fake.url, client_id = CLIENT_ID, client_secret = SECRET,
        redirect_uri = "http://127.0.0.1:9/cb", code = "code-1" }
      assert.is_nil(tokens)
      assert.equal("network", err.kind)
      assert.equal(1, token_requests())
    end)

    it("follows one decision table", function()
      local may_resend = require("mautic.auth.oauth2").may_resend
      --  grant                 failure    sent   resent so far -> resend?
      local rows = {
        { "client_credentials", "timeout", nil,   0, true },  { "client_credentials", "network", true, 1, true },
        { "client_credentials", "garbage", true,  1, true },  { "client_credentials", "network", true, 2, false },
        { "refresh_token",      "timeout", nil,   0, true },  { "refresh_token",      "network", true, 0, true },
        { "refresh_token",      "network", true,  1, false }, { "refresh_token",      "connect", false, 1, true },
        { "refresh_token",      "network", false, 1, true },  { "refresh_token",      "resolve", nil, 2, false },
        { "authorization_code", "network", true,  0, false }, { "authorization_code", "timeout", nil, 0, false },
        { "authorization_code", "connect", false, 0, true },  { "authorization_code", "proxy", nil, 0, true },
        { "client_credentials", "tls",     false, 0, false }, { "client_credentials", "usage", false, 0, false },
        { "client_credentials", "too_large", true, 0, false },
      }
      for _, r in ipairs(rows) do
        assert.equal(r[5], may_resend(r[1], r[2], r[4], r[3]),
                     table.concat({ r[1], r[2], tostring(r[3]), r[4] }, " "))
      end
    end)
  end)

  describe("on a 401", function()
    local function bare_client()
      local send = require("mautic.transport.curl").new()
      return { transport = send, base_url = fake.url, now = core.now, sleep = core.sleep, timeout = 10 }
    end
    local rejected = { errors = { { code = 401, type = "invalid_grant", message = "The access token provided has expired." } } }

    local function handler(opts)
      local t = json.decode(select(3, core.session():request{ method = "POST", url = fake.url .. "/__fake/oauth2/issue",
        headers = { ["Content-Type"] = "application/json" }, body = '{"refresh":false}' }))
      local o = { client_id = CLIENT_ID, client_secret = SECRET, grant = "client_credentials", access_token = t.access_token }
      for k, v in pairs(opts or {}) do o[k] = v end
      return mautic.auth.oauth2(o), t.access_token
    end

    it("replays without renewing when the rejected token is no longer the current one", function()
      local auth = handler()
      local req = { url = fake.url .. "/api/contacts", headers = { Authorization = "Bearer an-older-token" } }
      assert.is_true(auth:on_unauthorized(bare_client(), 401, rejected, req))
      assert.equal(0, token_requests())
    end)

    it("renews once when the rejected token is the current one, and not again for the same token", function()
      local auth, current = handler()
      local c = bare_client()
      local req = { url = fake.url .. "/api/contacts", headers = { Authorization = "Bearer " .. current } }
      assert.is_true(auth:on_unauthorized(c, 401, rejected, req))
      assert.equal(1, token_requests())
      assert.not_equal(current, auth:tokens().access_token)
      -- a second request that carried the same token is rejected later: the token was replaced already
      local later = { url = req.url, headers = { Authorization = "Bearer " .. current } }
      assert.is_true(auth:on_unauthorized(c, 401, rejected, later))
      assert.equal(1, token_requests())
    end)

    it("reads the rejected token from the query with token_in_query", function()
      local auth, current = handler{ token_in_query = true }
      local c = bare_client()
      local req = { url = fake.url .. "/api/contacts?limit=1&access_token=" .. core.pct_encode(current), headers = {} }
      assert.is_true(auth:on_unauthorized(c, 401, rejected, req))
      assert.is_true(auth:on_unauthorized(c, 401, rejected, req))
      assert.equal(1, token_requests())
    end)

    it("gives up, with the renewal's error, when renewing fails", function()
      local auth, current = handler()
      fake.fault{ path = "^/oauth/v2/token$", status = 200, content_type = "text/html", body = "<html></html>" }
      local again, err = auth:on_unauthorized(bare_client(), 401, rejected,
        { url = fake.url .. "/api/contacts", headers = { Authorization = "Bearer " .. current } })
      assert.is_false(again)
      assert.equal("auth", err.kind)
      assert.matches("token endpoint", err.message, 1, true)
    end)
  end)

  describe("seeding a store", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -m 700 " .. dir))
    end)
    after_each(function() os.execute("rm -rf " .. dir) end)

    it("leaves newer tokens in the store alone and uses them", function()
      local t = json.decode(select(3, core.session():request{ method = "POST", url = fake.url .. "/__fake/oauth2/issue",
        headers = { ["Content-Type"] = "application/json" }, body = '{"refresh":true}' }))
      local store = mautic.auth.store.file(dir .. "/tokens.json")
      local key = fake.token_entry(CLIENT_ID)
      store:set(fake.owned({ access_token = t.access_token, refresh_token = t.refresh_token,
                             expires_at = core.now() + 3600 }, CLIENT_ID), key)
      local api = client{ access_token = "stale-access", refresh_token = "stale-refresh",
                          expires_at = core.now() + 60, store = store }
      assert(api.contacts.list())
      assert.equal(t.refresh_token, store:get(key).refresh_token)
      assert.equal("bearer", fake.last("GET", "^/api/contacts$").auth)
      assert.equal(0, token_requests())
    end)
  end)
end)
