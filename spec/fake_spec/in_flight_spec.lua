-- The fake's max_in_flight counter (counters.lua): the most requests it
-- was handling at once since the last reset, so a client spec can check a
-- concurrency limit without measuring time.
local fake = require "mautic.fake"
local parallel = require "mautic.parallel"

describe("the fake's max_in_flight counter", function()
  local srv, api

  lazy_setup(function()
    srv = assert(fake.start{ seed = 42 })
    api = srv:client()
  end)

  lazy_teardown(function()
    if srv then srv:stop() end
  end)

  before_each(function() srv:reset() end)

  local function gets(n)
    local tasks = {}
    for i = 1, n do tasks[i] = function() return api.contacts.list{ limit = 1, search = "x" .. i } end end
    return tasks
  end

  it("is 1 after requests one at a time, and not counting its own admin requests", function()
    assert(api.contacts.list{ limit = 1 })
    assert(api.contacts.list{ limit = 1 })
    srv:counters()
    assert.equal(1, srv:counters().max_in_flight)
  end)

  it("counts requests held at once by a delay, up to what was sent together", function()
    srv:fault{ path = "^/api/contacts$", action = "delay", delay = 0.5, count = 0 }
    local values, errs = parallel.run(gets(3), { concurrency = 3 })
    for i = 1, 3 do assert.is_table(values[i], tostring(errs[i])) end
    assert.equal(3, srv:counters().max_in_flight)
    srv:reset()
    assert.equal(0, srv:counters().max_in_flight)   -- none in flight any more
  end)

  it("leaves out a request that arrived before the reset and is still being handled", function()
    srv:fault{ path = "^/api/contacts$", action = "delay", delay = 1, count = 1 }
    local slow = srv:client{ timeout = 0.3, retries = 0 }
    assert.is_nil((slow.contacts.list{ limit = 1 }))     -- given up on; the fake still sleeps
    srv:reset()
    assert(api.contacts.list{ limit = 1 })
    assert.equal(1, srv:counters().max_in_flight)
  end)

  it("never counts more than the client's limit", function()
    srv:fault{ path = "^/api/contacts$", action = "delay", delay = 0.2, count = 0 }
    parallel.run(gets(6), { concurrency = 2 })
    assert.equal(2, srv:counters().max_in_flight)
  end)

  it("counts a request a fault closed (drop, garbage) as ended, not as still in flight", function()
    srv:fault{ { path = "^/api/contacts$", action = "drop", count = 1 },
               { path = "^/api/contacts$", action = "non_http", count = 1 } }
    local once = srv:client{ retries = 0 }
    assert.is_nil((once.contacts.list{ limit = 1 }))
    assert.is_nil((once.contacts.list{ limit = 1 }))
    assert(api.contacts.list{ limit = 1 })
    -- one at a time: had the closed ones stayed in flight, the last would make 3
    assert.equal(1, srv:counters().max_in_flight)
  end)
end)
