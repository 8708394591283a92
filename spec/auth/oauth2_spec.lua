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
      assert.is_string(saved.access_token)
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
end)
