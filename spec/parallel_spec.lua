local fake = require "support.fake"
local mautic = require "mautic"

describe("mautic.parallel", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  it("runs tasks concurrently and returns results in task order", function()
    local ids = {}
    for i = 1, 12 do ids[i] = assert(api.contacts.create{ email = "par" .. i .. "@example.com" }).id end
    -- each answer is held back, so a sequential run could not overlap them
    fake.fault{ path = "^/api/contacts/%d+$", delay = 0.2, count = 12 }
    local tasks = {}
    for i = 1, 12 do tasks[i] = function() return api.contacts.get(ids[i]) end end
    local values, errs = mautic.parallel(tasks, { concurrency = 6 })
    for i = 1, 12 do
      assert.is_nil(errs[i])
      assert.equal(ids[i], values[i].id)
    end
  end)

  it("keeps each task's error in its slot", function()
    local values, errs = mautic.parallel{
      function() return api.contacts.get(99999) end,
      function() return api.contacts.list{ limit = 1 } end,
      function() error("task failed") end,
    }
    assert.is_nil(values[1])
    assert.equal(404, errs[1].status)
    assert.equal(0, values[2].total)
    assert.matches("task failed", errs[3])
  end)

  it("lets a task retry with a cooperative backoff", function()
    fake.fault{ path = "^/api/contacts$", status = 503, body = "{}", count = 1 }
    local api2 = fake.client{ retries = 2, sleep = false }
    local values = mautic.parallel{ function() return api2.contacts.list() end }
    assert.equal(0, values[1].total)
  end)

  it("ends when its tasks only paused, without sleeping out its wait", function()
    -- once the sleepers it woke have ended there is nothing in flight and
    -- nothing to wake: the scheduler must not sleep the rest of its step
    local core = require "mautic.core"
    local real_sleep, asked = core.sleep, 0
    core.sleep = function(s) asked = asked + s return real_sleep(s) end
    local ok, values = pcall(mautic.parallel, {
      function() require("mautic.parallel").sleep(0.01) return "a" end,
      function() require("mautic.parallel").sleep(0.02) return "b" end,
    }, { timeout = 30 })
    core.sleep = real_sleep
    assert(ok, values)
    assert.same({ "a", "b" }, values)
    assert.is_true(asked < 1, "asked to sleep " .. asked .. " s")
  end)

  it("raises for tasks that are not functions", function()
    assert.has_error(function() mautic.parallel{ 1 } end)
    assert.has_error(function() mautic.parallel("x") end)
  end)
end)
