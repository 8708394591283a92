-- Timeouts fit the work: a batch request's timeout grows with its rows, a
-- deadline bounds a call across its retries, and rows sent again after a
-- timeout are counted as what they are (created by the lost attempt, not
-- merged with a contact that existed before).
local fake = require "support.fake"
local mautic = require "mautic"

describe("a batch request's timeout", function()
  -- a transport that answers at once and keeps each request's timeout
  local function recording(seen)
    return function(req)
      seen[#seen + 1] = req.timeout
      local rows = #(mautic.json.decode(req.body or "[]") or {})
      local items, codes = {}, {}
      for i = 1, rows do items[i] = { id = i } codes[i] = 201 end
      return 201, { ["content-type"] = "application/json" },
             mautic.json.encode{ contacts = items, statusCodes = codes }
    end
  end

  it("is the call's timeout plus row_timeout per row (0.5 s by default)", function()
    local seen = {}
    local api = mautic.new{ url = "https://m.test", transport = recording(seen), strict_fields = false }
    local rows = {}
    for i = 1, 250 do rows[i] = { email = i .. "@t.test" } end
    assert(api.contacts.create_batch(rows))
    assert.same({ 30 + 200 * 0.5, 30 + 50 * 0.5 }, seen)
    for k in pairs(seen) do seen[k] = nil end
    assert(api.contacts.create_batch(rows, { timeout = 10 }))
    assert.same({ 10 + 100, 10 + 25 }, seen)
  end)

  it("follows the client's row_timeout, and stays none with a timeout of 0", function()
    local seen = {}
    local api = mautic.new{ url = "https://m.test", transport = recording(seen), strict_fields = false,
                            row_timeout = 0.1, timeout = 5 }
    assert(api.contacts.create_batch{ { email = "a@t.test" }, { email = "b@t.test" } })
    assert.same({ 5.2 }, seen)
    seen = {}
    assert(mautic.new{ url = "https://m.test", transport = recording(seen), strict_fields = false, timeout = 0 }
      .contacts.create_batch{ { email = "a@t.test" } })
    assert.same({ 0 }, seen)
  end)
end)

describe("a deadline", function()
  before_each(function() fake.reset() end)

  it("ends a GET to a server that accepts and never answers, whatever the timeout and retries", function()
    fake.fault{ path = "^/api/contacts/1$", delay = 5, count = 0 }
    local api = fake.client{ timeout = 30, retries = 5, deadline = 0.5, sleep = false }
    local c, err = api.contacts.get(1)
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.is_true(err.deadline)
    assert.equal(1, err.attempts)
    fake.reset()
  end)

  it("starts no wait that would end past it, and says so", function()
    fake.fault{ path = "^/api/contacts/1$", status = 503, count = 0 }
    -- a clock that moves only when the client sleeps
    local t = 1000
    local api = fake.client{ retries = 50, deadline = 3, now = function() return t end,
                             sleep = function(s) t = t + s end }
    local c, err = api.contacts.get(1)
    assert.is_nil(c)
    assert.equal(503, err.status)
    assert.is_true(err.deadline)
    assert.matches("the deadline of 3 s leaves no time to try again", err.message, 1, true)
    assert.is_true(err.attempts > 1 and err.attempts < 50)
    assert.is_true(t - 1000 <= 3)
  end)

  it("is taken per call too", function()
    fake.fault{ path = "^/api/contacts/1$", delay = 5, count = 0 }
    local c, err = fake.client{ retries = 5, sleep = false }.contacts.get(1, nil, { deadline = 0.3 })
    assert.is_nil(c)
    assert.is_true(err.deadline)
    fake.reset()
  end)
end)

describe("rows sent again after a timeout", function()
  before_each(function() fake.reset() end)

  it("are counted as created when the lost attempt created them, and as resent", function()
    local srv = fake.server
    -- the first attempt stores the chunk, then answers after the client gave up
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_delay", delay = 1.5, count = 1 }
    local api = mautic.new{ url = srv.url, auth = mautic.auth.basic{ username = srv.username, password = srv.password },
                            timeout = 0.5, row_timeout = 0, retries = 2, sleep = function() end }
    local rows = {}
    for i = 1, 20 do rows[i] = { email = ("new%02d@resent.test"):format(i) } end
    srv:config{ clock_offset = -3600 }                                 -- the fake's clock an hour behind:
    assert(api.contacts.create{ email = "old@resent.test" })          -- one made an hour before
    srv:config{ clock_offset = 0 }
    rows[21] = { email = "old@resent.test" }
    local s = assert(api.contacts.import(rows))
    assert.equal(21, s.total)
    assert.equal(20, s.created)
    assert.equal(1, s.merged)
    assert.equal(21, s.resent)
    -- nothing twice on the server
    assert.equal(21, #srv:state("contacts"))
  end)
end)
