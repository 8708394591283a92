-- Any event loop: the multi handle's non-blocking driver (multi:fds,
-- multi:perform, multi:timeout) and mautic.loop on a real loop, luv.
local fake = require "support.fake"
local core = require "mautic.core"
local loop = require "mautic.loop"

local has_luv, uv = pcall(require, "luv")

describe("the multi handle driven by a host loop", function()
  before_each(function() fake.reset() end)

  it("has no timer and no sockets while idle, and performs without blocking", function()
    local m = core.multi()
    assert.is_nil(m:timeout())
    assert.same({}, m:fds())
    assert.same({}, m:perform())
    m:close()
  end)

  it("asks to be performed at once after an add, then names the sockets to wait on", function()
    -- a slow answer, so that there is a socket to wait on even when the
    -- connection is a kept-alive one from the process's shared cache
    fake.fault{ path = "^/api/contacts$", delay = 0.2, count = 1 }
    local m = core.multi()
    local id = m:add{ url = fake.url .. "/api/contacts", headers = { Authorization = "Basic YWRtaW46bWF1dGlj" } }
    assert.equal(0, m:timeout())
    local results, sockets = {}, 0
    -- a loop with no poller of its own: perform, then look at what curl wants
    for _ = 1, 2000 do
      for _, r in ipairs(m:perform()) do results[#results + 1] = r end
      for _, s in pairs(m:fds()) do
        sockets = sockets + 1
        assert.is_number(s.fd)
        assert.matches("^r?w?$", s.events)
        for _, r in ipairs(m:perform(s.fd, s.events)) do results[#results + 1] = r end
      end
      if #results > 0 then break end
      core.sleep(0.005)
    end
    assert.equal(1, #results)
    assert.equal(id, results[1].id)
    assert.equal(200, results[1].status)
    assert.is_true(sockets > 0)
    assert.equal(0, m:pending())
    m:close()
    assert.equal("usage", select(3, m:perform()))
  end)
end)

local describe_luv = has_luv and describe or pending

describe_luv("mautic.loop on luv", function()
  before_each(function() fake.reset() end)

  local function client(driver)
    return fake.client{ transport = driver.transport, sleep = driver.sleep, retries = 0 }
  end

  it("gives its tasks a host that keeps the host contract (spec/host_contract_spec.lua)", function()
    local contract = require "support.host_contract"
    local driver = loop.luv(uv)
    local results
    driver.spawn(function()
      results = contract.run{ url = fake.url, auth = "Basic " .. core.b64encode("admin:mautic") }
    end)
    uv.run()
    driver.close()
    assert.equal("loop", results.name)
    for _, c in ipairs{ "sleep_and_now", "connect", "spawn_and_wait", "lock", "send" } do
      assert.equal(true, results[c], c .. ": " .. tostring(results[c]))
    end
  end)

  it("runs 50 requests at once while the loop keeps serving its timers", function()
    local N, DELAY = 50, 0.5
    fake.fault{ path = "^/api/contacts$", delay = DELAY, count = N }
    local driver = loop.luv(uv)
    local api = client(driver)
    local ok, done, most_in_flight = 0, 0, 0
    local ticks, ticks_before_first_answer = 0, nil
    local ticker = uv.new_timer()
    ticker:start(10, 10, function() ticks = ticks + 1 end)
    local started = core.now()
    for _ = 1, N do
      driver.spawn(function()
        local page, err = api.contacts.list{ limit = 1 }
        if page then ok = ok + 1 else io.stderr:write(tostring(err), "\n") end
        done = done + 1
        ticks_before_first_answer = ticks_before_first_answer or ticks
        if done == N then ticker:stop() ticker:close() end
      end)
      most_in_flight = math.max(most_in_flight, driver.pending())
    end
    uv.run()
    local elapsed = core.now() - started
    driver.close()
    if os.getenv("SPEC_FIGURES") then
      io.stderr:write(("\nluv: %d requests of %.1f s at once in %.2f s; %d timer ticks before the first answer, %d in all\n")
        :format(N, DELAY, elapsed, ticks_before_first_answer, ticks))
    end
    assert.equal(N, ok)
    -- every request was in flight before any answer came
    assert.equal(N, most_in_flight)
    -- the loop kept ticking while the slow answers were awaited (a blocking client: 0 ticks)
    assert.is_true(ticks_before_first_answer >= 10, "ticks before the first answer: " .. ticks_before_first_answer)
    -- far from one latency per request, one after the other
    assert.is_true(elapsed < N * DELAY / 5, ("%.2f s for %d requests of %.1f s"):format(elapsed, N, DELAY))
  end)

  it("sleeps through the loop, and passes failures on by kind", function()
    fake.fault{ path = "^/api/contacts/1$", delay = 3, count = 1 }
    local driver = loop.luv(uv)
    local api = fake.client{ transport = driver.transport, sleep = driver.sleep, retries = 0, timeout = 0.3 }
    local kind, slept
    driver.spawn(function()
      local t0 = core.now()
      driver.sleep(0.05)
      slept = core.now() - t0
      local _, err = api.contacts.get(1)
      kind = err.kind
    end)
    uv.run()
    driver.close()
    assert.is_true(slept >= 0.04, "slept " .. slept)
    assert.equal("timeout", kind)
  end)

  it("refuses a call made outside a task, without sending it", function()
    local driver = loop.luv(uv)
    local api = client(driver)
    local _, err = api.contacts.get(1)
    driver.close()
    assert.equal("usage", err.kind)
    assert.matches("driver.spawn", err.message, 1, true)
  end)
end)
