local fake = require "support.fake"
local mautic = require "mautic"
local core = require "mautic.core"
local json = require "mautic.json"

-- Everything an operator could see: error strings and fields, the fake's
-- request log, the client's warnings. None may hold a secret.
describe("secrets", function()
  local seen = {}
  local secrets = {}

  local function keep(err)
    if err == nil then return end
    seen[#seen + 1] = tostring(err)
    if type(err) == "table" then
      for _, f in ipairs{ "message", "body", "url", "type" } do
        if err[f] then seen[#seen + 1] = tostring(err[f]) end
      end
      seen[#seen + 1] = mautic.errors.to_json(err)
    end
  end

  setup(function()
    fake.reset()
    fake.config{ oauth1 = true, users = { admin = "mautic", ["bo b"] = "Pässw0rd with spaces" } }

    -- Basic: a wrong password, a right one with spaces
    secrets[#secrets + 1] = "wrong-pass-1234"
    keep(select(2, fake.client{ auth = mautic.auth.basic{ username = "admin", password = "wrong-pass-1234" } }
      .contacts.list()))
    secrets[#secrets + 1] = "Pässw0rd with spaces"
    secrets[#secrets + 1] = core.b64encode("bo b:Pässw0rd with spaces")
    local b = fake.client{ auth = mautic.auth.basic{ username = "bo b", password = "Pässw0rd with spaces" } }
    assert(b.contacts.list())
    keep(select(2, b.contacts.get(99999)))

    -- OAuth2: a wrong secret, then tokens obtained and refused
    secrets[#secrets + 1] = "client-secret-xyz"
    keep(select(2, fake.client{ auth = mautic.auth.oauth2{ client_id = "fake-client",
      client_secret = "client-secret-xyz" } }.contacts.list()))
    secrets[#secrets + 1] = "fake-secret"
    local tokens = {}
    local o2 = fake.client{ auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret",
      on_token = function(t) tokens[#tokens + 1] = t end } }
    assert(o2.contacts.list())
    secrets[#secrets + 1] = tokens[1].access_token
    keep(select(2, o2.contacts.get(99999)))
    secrets[#secrets + 1] = "garbage-access-token-000"
    secrets[#secrets + 1] = "garbage-refresh-token-000"
    keep(select(2, fake.client{ auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret",
      access_token = "garbage-access-token-000", refresh_token = "garbage-refresh-token-000" } }.contacts.list()))
    keep(select(2, fake.client{ auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret",
      token_in_query = true, access_token = "garbage-access-token-000" } }.contacts.list()))
    keep(select(2, mautic.oauth2.exchange_code{ url = fake.url, client_id = "fake-client",
      client_secret = "fake-secret", redirect_uri = "http://127.0.0.1:9/cb", code = "garbage-code-123" }))
    secrets[#secrets + 1] = "garbage-code-123"

    -- OAuth1: a good token and a forged one
    secrets[#secrets + 1] = "fake-consumer-secret"
    local req = assert(mautic.oauth1.request_token{ url = fake.url, consumer_key = "fake-consumer",
      consumer_secret = "fake-consumer-secret" })
    secrets[#secrets + 1] = req.oauth_token_secret
    local auth1 = mautic.auth.oauth1{ consumer_key = "fake-consumer", consumer_secret = "fake-consumer-secret",
      token = req.oauth_token, token_secret = "forged-token-secret" }
    secrets[#secrets + 1] = "forged-token-secret"
    local r1 = { method = "GET", url = fake.url .. "/api/contacts", headers = {} }
    auth1:authorize(nil, r1)
    secrets[#secrets + 1] = r1.headers.Authorization:match('oauth_signature="([^"]+)"')
    keep(select(2, fake.client{ auth = auth1 }.contacts.list()))

    -- the fake's own log, as a spec would print it
    seen[#seen + 1] = json.encode(fake.log())
  end)

  it("were all exercised (the errors above really happened)", function()
    assert.is_true(#seen > 10)
    local text = table.concat(seen, "\n")
    assert.matches("invalid credentials", text, 1, true)
    assert.matches("client credentials are invalid", text, 1, true)
    assert.matches("access token provided is invalid", text, 1, true)
  end)

  it("never appear in an error, a tostring or the request log", function()
    local text = table.concat(seen, "\n")
    for _, secret in ipairs(secrets) do
      assert.is_string(secret)
      assert.is_nil(text:find(secret, 1, true), "leaked: " .. secret)
      assert.is_nil(text:find(core.pct_encode(secret), 1, true), "leaked encoded: " .. secret)
    end
  end)

  it("are hidden when an auth handler is printed", function()
    for _, a in ipairs{ mautic.auth.basic{ username = "u", password = "pw-print-me" },
                        mautic.auth.oauth2{ client_id = "c", client_secret = "cs-print-me" },
                        mautic.auth.oauth1{ consumer_key = "k", consumer_secret = "cs1-print-me" } } do
      local s = tostring(a)
      assert.not_matches("print%-me", s)
      for k, v in pairs(a) do assert.not_matches("print%-me", tostring(k) .. "=" .. tostring(v)) end
    end
  end)
end)

describe("what is sent", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  it("rejects CR/LF and control characters in path parameters before sending", function()
    fake.clear_log()
    for _, bad in ipairs{ "email\r\nX-Injected: 1", "a\0b", "tab\there" } do
      assert.has_error(function() api.contacts.add_dnc(1, bad) end)
    end
    assert.same({}, fake.log())
  end)

  it("rejects ids that are not positive integers", function()
    for _, bad in ipairs{ "1 OR 1=1", "../1", -3, 0, 2.5, "0x10" } do
      assert.has_error(function() api.contacts.get(bad) end)
    end
  end)

  it("percent-encodes file names so ../ cannot climb out of a folder", function()
    api.files.delete("images", "../../config/local.php")
    local r = fake.last("DELETE")
    assert.matches("/api/files/images/..%2F..%2Fconfig%2Flocal.php/delete", r.raw_path, 1, true)
  end)

  it("turns a token with CR/LF from a hostile token endpoint into an auth error, not a crash", function()
    fake.fault{ path = "^/oauth/v2/token$", status = 200, body = '{"access_token":"tok\\r\\nX-Evil: 1"}' }
    local a = fake.client{ auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret" } }
    local page, err = a.contacts.list()
    assert.is_nil(page)
    assert.equal("auth", err.kind)
    assert.matches("/oauth/v2/token", err.message, 1, true)
    assert.is_nil(fake.last("GET", "^/api/contacts$"))
  end)

  it("refuses a token with CR/LF given in code, at the caller's line", function()
    assert.has_error(function()
      mautic.auth.oauth2{ client_id = "c", client_secret = "s", access_token = "tok\r\nX-Evil: 1" }
    end)
  end)
end)
