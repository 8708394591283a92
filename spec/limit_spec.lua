-- A request budget shared by many processes (mautic.limit.redis): together
-- they stay under Mautic's rate limit instead of each running into 429s.
-- Against the fake (which rate-limits like Mautic) and a real redis-server.
local fake = require "support.fake"
local workers = require "auth.support.workers"
local support = require "support.redis"
local mautic = require "mautic"
local core = require "mautic.core"

describe("mautic.limit", function()
  it("checks its options at the caller's line", function()
    assert.has_error(function() mautic.limit.redis{ window = 10 } end,
      "bad argument to 'redis' (limit: an integer >= 1 expected)")
    assert.has_error(function() mautic.limit.redis{ limit = 5, window = 0 } end,
      "bad argument to 'redis' (window: seconds > 0 expected)")
    assert.has_error(function() mautic.new{ url = "http://x.test", rate_limit = {} } end)
  end)

  it("takes a slot from any budget of your own before each request", function()
    local taken = 0
    local budget = { take = function(_, sleep) taken = taken + 1 sleep(0) return true end }
    local api = mautic.new{ url = "http://x.test", rate_limit = budget, sleep = function() end,
      transport = function() return 200, { ["content-type"] = "application/json" }, '{"total":0,"contacts":[]}' end }
    assert(api.contacts.list())
    assert(api.contacts.list())
    assert.equal(2, taken)
  end)

  it("fails a request unsent when the budget cannot be reached", function()
    local budget = { take = function() return nil, "budget down" end }
    local sent = 0
    local api = mautic.new{ url = "http://x.test", rate_limit = budget, retries = 0,
      transport = function() sent = sent + 1 end }
    local _, err = api.contacts.create{ email = "x@example.com" }
    assert.equal(0, sent)
    assert.equal("network", err.kind)
    assert.is_false(err.maybe_applied)
    assert.matches("budget down", err.message, 1, true)
  end)
end)

local describe_redis = support.installed() and describe or pending

describe_redis("mautic.limit.redis", function()
  local srv
  setup(function() srv = support.start() end)
  teardown(function() srv.stop() end)
  before_each(function()
    fake.reset()
    srv.cli("FLUSHALL")
  end)

  it("lets `limit` requests through at once, then waits until the oldest leaves the window", function()
    local budget = mautic.limit.redis{ port = srv.port, limit = 3, window = 0.3, margin = 0 }
    local slept = {}
    local function sleep(s) slept[#slept + 1] = s core.sleep(s) end
    for _ = 1, 3 do assert.is_true(budget:take(sleep)) end
    assert.same({}, slept)
    assert.is_true(budget:take(sleep))
    assert.is_true(#slept >= 1)
    assert.is_true(slept[1] > 0 and slept[1] <= 0.31, tostring(slept[1]))
  end)

  describe("across 8 processes", function()
    local pool = workers.pool()
    before_each(pool.fresh)
    after_each(pool.clean)

    it("keeps 8 x 8 requests under Mautic's 50 per 10 s: every call succeeds, 0 answers of 429", function()
      fake.config{ rate_limit = 50, rate_limit_window = 10 }
      local configs = {}
      for i = 1, 8 do
        configs[i] = { url = fake.url, basic = true, requests = 8,
          redis = { host = "127.0.0.1", port = srv.port }, rate_limit = { limit = 50, window = 10 } }
      end
      local outcomes = pool.run(configs)
      local errs = workers.errors(outcomes)
      local limited, ok = 0, 0
      for _, e in ipairs(fake.log()) do
        if e.path == "/api/contacts" then
          if e.status == 429 then limited = limited + 1 elseif e.status == 200 then ok = ok + 1 end
        end
      end
      assert.equal(0, workers.sum(outcomes, "failed"), errs)
      assert.equal(64, workers.sum(outcomes, "ok"), errs)
      assert.equal(0, limited)
      assert.equal(64, ok)
      if os.getenv("SPEC_FIGURES") then
        io.stderr:write(("\nRedis budget: 8 processes, 64 requests under 50/10 s: %d ok, %d answers of 429\n")
          :format(ok, limited))
      end
    end)
  end)
end)
