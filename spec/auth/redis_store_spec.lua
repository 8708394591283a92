-- Tokens shared through Redis (mautic.auth.store.redis): processes that
-- could be on as many machines share one token and renew it under one
-- lock with an expiry. Against the fake over real HTTP, with a real
-- redis-server started here; the fake's log counts the token requests.
local fake = require "support.fake"
local workers = require "auth.support.workers"
local support = require "support.redis"
local mautic = require "mautic"
local json = require "mautic.json"
local core = require "mautic.core"

local CLIENT_ID, SECRET = "fake-client", "fake-secret"

local count = fake.count

local describe_redis = support.installed() and describe or pending

describe_redis("a Redis token store", function()
  local srv
  setup(function() srv = support.start() end)
  teardown(function() srv.stop() end)
  before_each(function()
    fake.reset()
    srv.cli("FLUSHALL")
  end)

  it("keeps tokens as JSON under its key, and reads back what it wrote", function()
    local store = mautic.auth.store.redis{ port = srv.port, key = "app:tokens" }
    assert.is_nil(store:get())
    store:set{ access_token = "abc", expires_at = 123 }
    assert.same({ access_token = "abc", expires_at = 123 }, store:get())
    assert.same({ access_token = "abc", expires_at = 123 }, json.decode(srv.cli("GET app:tokens")))
  end)

  it("lets one holder at a time into its lock, which expires if the holder dies", function()
    local a = mautic.auth.store.redis{ port = srv.port, lock_ttl = 1 }
    local inside = a:lock(function()
      -- another process holding the same key would find it taken
      return srv.cli("GET mautic:tokens:lock")
    end, core.sleep)
    assert.matches("^%x+$", inside)
    assert.equal("", srv.cli("GET mautic:tokens:lock"))          -- let go after
    -- a holder that died: its lock is taken until the ttl runs out
    srv.cli("SET mautic:tokens:lock dead-owner PX 300")
    local t0 = core.now()
    assert.equal("ran", a:lock(function() return "ran" end, core.sleep))
    assert.is_true(core.now() - t0 >= 0.2)
    assert.equal("", srv.cli("GET mautic:tokens:lock"))
  end)

  it("reports a Redis that cannot be reached as an auth error, not a crash", function()
    local api = fake.client{ retries = 0, auth = mautic.auth.oauth2{ client_id = CLIENT_ID, client_secret = SECRET,
      store = mautic.auth.store.redis{ port = 9, timeout = 0.5 } } }
    local _, err = api.contacts.list()
    assert.equal("auth", err.kind)
    assert.matches("127.0.0.1:9", err.message, 1, true)
  end)

  describe("across 8 processes", function()
    local pool = workers.pool()
    before_each(pool.fresh)
    after_each(pool.clean)

    it("makes exactly 1 token request per expiry (the first token, then 4 expiries mid-run) over 8 x 100 requests",
       function()
      -- slow answers: requests sent with the old token keep being rejected
      -- after another process has renewed it, as on a loaded server
      fake.fault{ path = "^/api/contacts$", delay = 0.01, count = 0 }
      local configs = {}
      for i = 1, 8 do
        configs[i] = { url = fake.url, redis = { host = "127.0.0.1", port = srv.port }, requests = 100,
                       client_id = CLIENT_ID, client_secret = SECRET, grant = "client_credentials",
                       expire_every = i == 1 and 20 or nil }
      end
      local outcomes = pool.run(configs)
      local errs = workers.errors(outcomes)
      assert.equal(0, workers.sum(outcomes, "failed"), errs)
      assert.equal(800, workers.sum(outcomes, "ok"), errs)
      assert.equal(4, workers.sum(outcomes, "expired"))
      -- the first token, got once for all 8, and one per expiry
      assert.equal(5, count("^/oauth/v2/token$"))
      assert.equal(800, count("^/api/contacts$", 200))
      if os.getenv("SPEC_FIGURES") then
        io.stderr:write(("\nRedis store: 8 processes, 4 expiries: %d token requests, %d 401s\n")
          :format(count("^/oauth/v2/token$"), count("^/api/contacts$", 401)))
      end
    end)
  end)
end)
