local fake = require "support.fake"
local mautic = require "mautic"
local core = require "mautic.core"

local KEY, SECRET = "fake-consumer", "fake-consumer-secret"

-- the three legs against the fake, which recomputes every signature by Mautic's rules
local function access_tokens()
  local req = assert(mautic.oauth1.request_token{ url = fake.url, consumer_key = KEY, consumer_secret = SECRET,
                                                  callback = "http://127.0.0.1:9/done" })
  assert.equal("true", req.oauth_callback_confirmed)
  local url = mautic.oauth1.authorize_url{ url = fake.url, token = req.oauth_token }
  local status, headers = core.session():request{ url = url }
  assert.equal(302, status)
  local verifier = headers.location:match("oauth_verifier=([^&]+)")
  assert.is_string(verifier)
  return assert(mautic.oauth1.access_token{ url = fake.url, consumer_key = KEY, consumer_secret = SECRET,
    token = req.oauth_token, token_secret = req.oauth_token_secret, verifier = verifier })
end

describe("OAuth1a against a verifying server", function()
  local tokens
  before_each(function()
    fake.reset()
    fake.config{ oauth1 = true }
    tokens = access_tokens()
  end)

  local function api(overrides)
    local o = { consumer_key = KEY, consumer_secret = SECRET,
                token = tokens.oauth_token, token_secret = tokens.oauth_token_secret }
    for k, v in pairs(overrides or {}) do o[k] = v end
    return fake.client{ auth = mautic.auth.oauth1(o) }
  end

  it("gets an access token in three legs", function()
    assert.is_string(tokens.oauth_token)
    assert.is_string(tokens.oauth_token_secret)
  end)

  it("signs GETs with nested where clauses and PHP-empty values", function()
    local a = api()
    assert(a.contacts.create{ email = "o1@example.com", firstname = "Ann" })
    local page = assert(a.contacts.list{ start = 0, search = "email:o1%",
      where = { { col = "firstname", expr = "eq", val = "Ann" } }, publishedOnly = false })
    assert.equal(1, page.total)
    assert.equal("oauth1", fake.last("GET").auth)
  end)

  it("sends bodies form-encoded so their fields are signed", function()
    local a = api()
    local c = assert(a.contacts.create{ email = "o2@example.com", tags = { "x", "y" } })
    local r = fake.last("POST")
    assert.equal("application/x-www-form-urlencoded", r.content_type)
    assert(a.contacts.edit(c.id, { firstname = "Bea", lastname = "" }))
    assert.equal("Bea", assert(a.contacts.get(c.id)).fields.all.firstname)
    assert(a.contacts.edit(c.id, { firstname = "Cy" }, { create = true }))
    assert(a.contacts.delete(c.id))
  end)

  it("is refused with a wrong consumer secret or token secret", function()
    for _, bad in ipairs{ { consumer_secret = "wrong" }, { token_secret = "wrong" } } do
      local _, err = api(bad).contacts.list()
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
    end
  end)

  it("never reuses a nonce: two requests in the same second both pass", function()
    local a = api()
    for _ = 1, 5 do assert(a.contacts.list()) end
  end)
end)
