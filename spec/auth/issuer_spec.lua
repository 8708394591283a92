-- Tokens belong to their issuer: two clients of two Mautic servers, with
-- two client ids, sharing one token store (a file path, a Redis, a memory
-- store) never send each other's tokens. Both servers are fakes of our own;
-- their logs say, for every request that carried a bearer token, which
-- client the token was issued to ("unknown" for a token the server never
-- issued), so the spec counts what reached each server.
local fake = require "support.fake"
local redis = require "support.redis"
local mautic = require "mautic"
local core = require "mautic.core"

local A = { id = "client-a", secret = "secret-a" }
local B = { id = "client-b", secret = "secret-b" }

-- what reached one server: token requests, API calls by status, and API
-- calls that carried a token not issued to `own`
local function tally(server, own)
  local t = { token = 0, ok = 0, refused = 0, foreign = 0 }
  for _, r in ipairs(server.log()) do
    if r.path == "/oauth/v2/token" then
      t.token = t.token + 1
    elseif r.path:match("^/api/") then
      if r.status == 200 then t.ok = t.ok + 1 end
      if r.status == 401 then t.refused = t.refused + 1 end
      if r.token_of ~= nil and r.token_of ~= own then t.foreign = t.foreign + 1 end
    end
  end
  return t
end

describe("tokens belong to their issuer", function()
  local other
  setup(function() other = fake.another() end)
  teardown(function() other.stop() end)
  before_each(function()
    fake.reset()
    other.reset()
    fake.config{ oauth2_clients = { [A.id] = { secret = A.secret } } }
    other.config{ oauth2_clients = { [B.id] = { secret = B.secret } } }
  end)

  -- two clients, one per server, each with a store from make_store(); three calls each, in turn
  local function three_each(make_store)
    local a = fake.client{ auth = mautic.auth.oauth2{ client_id = A.id, client_secret = A.secret,
                                                       store = make_store() } }
    local b = other.client{ auth = mautic.auth.oauth2{ client_id = B.id, client_secret = B.secret,
                                                        store = make_store() } }
    for _ = 1, 3 do
      assert(a.contacts.list{ limit = 1 })
      assert(b.contacts.list{ limit = 1 })
    end
    return tally(fake, A.id), tally(other, B.id)
  end

  local function assert_apart(ta, tb)
    assert.same({ token = 1, ok = 3, refused = 0, foreign = 0 }, ta)
    assert.same({ token = 1, ok = 3, refused = 0, foreign = 0 }, tb)
  end

  it("with one file path: 0 requests bear the other's token, one token request each", function()
    local path = os.tmpname()
    assert_apart(three_each(function() return mautic.auth.store.file(path) end))
    -- the file holds both entries, each with its issuer
    local saved = mautic.json.decode(io.open(path):read("*a"))
    assert.equal(fake.url .. "/oauth/v2/token", saved.entries[fake.token_entry(A.id)].issuer)
    assert.equal(other.url .. "/oauth/v2/token", saved.entries[other.token_entry(B.id)].issuer)
    os.remove(path)
    os.remove(path .. ".lock")
  end)

  it("with one memory store object: 0 requests bear the other's token", function()
    local shared = mautic.auth.store.memory()
    assert_apart(three_each(function() return shared end))
  end)

  local describe_redis = redis.installed() and describe or pending
  describe_redis("and one Redis", function()
    local srv
    setup(function() srv = redis.start() end)
    teardown(function() srv.stop() end)
    before_each(function() srv.cli("FLUSHALL") end)

    it("0 requests bear the other's token, one token request each", function()
      assert_apart(three_each(function() return mautic.auth.store.redis{ port = srv.port } end))
      assert.matches(fake.url, srv.cli("GET '" .. fake.token_entry(A.id) .. "'"), 1, true)
      assert.matches(other.url, srv.cli("GET '" .. other.token_entry(B.id) .. "'"), 1, true)
    end)

    it("shares one key only when told to, and even then never sends the other's token", function()
      local ta, tb = three_each(function() return mautic.auth.store.redis{ port = srv.port, key = "app:tokens" } end)
      -- each client finds the other's token under the one key, refuses it and gets its own
      assert.equal(0, ta.foreign)
      assert.equal(0, tb.foreign)
      assert.equal(0, ta.refused + tb.refused)
      assert.equal(3, ta.ok)
      assert.equal(3, tb.ok)
    end)

    it("keeps one request budget per Mautic and credential", function()
      -- a budget of 2 calls per 10 s: shared, the second client's calls would wait
      local function budget(o)
        o = o or {}
        return mautic.limit.redis{ port = srv.port, limit = 2, window = 10, key = o.key }
      end
      local basic = mautic.auth.basic{ username = "admin", password = "mautic" }
      local a, slept_a = fake.client{ auth = basic, rate_limit = budget() }
      local b, slept_b = other.client{ auth = basic, rate_limit = budget() }
      for _ = 1, 2 do assert(a.contacts.list{ limit = 1 }) assert(b.contacts.list{ limit = 1 }) end
      assert.same({}, slept_a)
      assert.same({}, slept_b)
      -- one budget when both are given the same key: the third and fourth calls wait
      srv.cli("FLUSHALL")
      local c, slept_c = fake.client{ auth = basic, rate_limit = budget{ key = "one" } }
      local d, slept_d = other.client{ auth = basic, rate_limit = budget{ key = "one" } }
      -- the recorded sleeps do not pass: let a call through once the wait is seen
      assert(c.contacts.list{ limit = 1 })
      assert(d.contacts.list{ limit = 1 })
      assert.same({}, slept_c)
      assert.same({}, slept_d)
      local waited = false
      local e = fake.client{ auth = basic, rate_limit = budget{ key = "one" },
                             sleep = function() waited = true error("waited", 0) end }
      assert.is_false(pcall(e.contacts.list, { limit = 1 }))
      assert.is_true(waited)
    end)
  end)

  it("refuses to bind a handler holding tokens given in code to a second server", function()
    local auth = mautic.auth.oauth2{ client_id = A.id, client_secret = A.secret, access_token = "given-a",
                                     expires_at = core.now() + 3600 }
    fake.client{ auth = auth }
    fake.client{ auth = auth }        -- the same server again is fine
    assert.has_error(function() other.client{ auth = auth } end,
      "bad argument #1 to 'new' (auth: this oauth2 handler holds tokens given in code for "
      .. fake.url .. "/oauth/v2/token; make one handler per Mautic)")
  end)

  it("uses no token of another issuer found in a store that ignores keys", function()
    -- a store of the user's own, from before keys: one slot for everything
    local slot
    local naive = { get = function() return slot end, set = function(_, t) slot = t end,
                    lock = function(_, fn) return fn() end }
    local ta, tb = three_each(function() return naive end)
    assert.equal(0, ta.foreign)
    assert.equal(0, tb.foreign)
    assert.equal(3, ta.ok)
    assert.equal(3, tb.ok)
  end)
end)
