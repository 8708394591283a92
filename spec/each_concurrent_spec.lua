-- each{ concurrency = n }: a scan by id ranges with n page requests in
-- flight (mautic.ranges), over real HTTP against the fake. Order,
-- completeness, the in-flight limit (the fake's max_in_flight counter,
-- never a clock) and rows created and deleted during the scan.
local fake = require "support.fake"

describe("each with concurrency", function()
  local api, all

  local function ids_of(query, opts)
    local ids = {}
    for c in api.contacts.each(query, opts) do ids[#ids + 1] = c.id end
    return ids
  end

  lazy_setup(function()
    fake.reset()
    api = fake.client()
    local rows = {}
    for i = 1, 57 do rows[i] = { email = ("conc%d@example.com"):format(i), city = i % 3 == 0 and "Oslo" or "Rome" } end
    assert(api.contacts.create_batch(rows))
    -- gaps in the ids: ranges that hold fewer rows than a page
    for _, id in ipairs{ 3, 4, 5, 20, 21, 22, 23, 24, 25, 26 } do assert(api.contacts.delete(id)) end
    all = ids_of({ page_size = 100 })
    assert.equal(47, #all)
  end)

  before_each(function() fake.clear_faults() end)

  for _, n in ipairs{ 1, 2, 4 } do
    it(("yields every row once, in id order, with concurrency = %d"):format(n), function()
      assert.same(all, ids_of{ page_size = 5, concurrency = n })
      assert.same(all, ids_of{ page_size = 100, concurrency = n })
      assert.same(ids_of{ page_size = 4, search = "city:Oslo" }, ids_of{ page_size = 4, search = "city:Oslo", concurrency = n })
      local filtered = ids_of{ where = { { col = "city", expr = "eq", val = "Rome" } }, page_size = 3, concurrency = n }
      assert.same(ids_of{ where = { { col = "city", expr = "eq", val = "Rome" } } }, filtered)
    end)
  end

  it("stops at the caller's limit and yields nothing from an empty list", function()
    local got = ids_of{ page_size = 5, concurrency = 3, limit = 12 }
    assert.equal(12, #got)
    for i = 1, 12 do assert.equal(all[i], got[i]) end
    assert.same({}, ids_of{ search = "email:nobody%", concurrency = 2 })
  end)

  it("yields each row that existed throughout exactly once while rows are created and deleted", function()
    local extra = {}
    for i = 1, 30 do extra[i] = { email = ("churn%d@example.com"):format(i) } end
    assert(api.contacts.create_batch(extra))
    local before = ids_of{ page_size = 100 }
    -- only churn rows are deleted (the other specs keep `all`): behind the
    -- scan, the row just yielded, and one ahead, perhaps on a page in flight
    local churn, at = ids_of{ search = "email:churn%", page_size = 100 }, {}
    for i, id in ipairs(churn) do at[id] = i end
    local deleted, created, seen, got = {}, {}, {}, {}
    for c in api.contacts.each{ page_size = 4, concurrency = 3 } do
      got[#got + 1] = c.id
      assert.is_nil(seen[c.id], "id " .. c.id .. " yielded twice")
      seen[c.id] = true
      local i = at[c.id]
      if i and i % 4 == 0 then
        for _, id in ipairs{ churn[i - 2], c.id, churn[i + 5] } do
          if id and not deleted[id] then assert(api.contacts.delete(id)); deleted[id] = true end
        end
        local new = assert(api.contacts.create{ email = ("new%d@example.com"):format(i) })
        created[new.id] = true
      end
    end
    assert.truthy(next(deleted) and next(created))
    for i = 2, #got do assert.is_true(got[i] > got[i - 1]) end
    for _, id in ipairs(before) do
      if not deleted[id] then assert.is_true(seen[id], "id " .. id .. " was skipped") end
    end
    for id in pairs(seen) do assert.is_nil(created[id], "id " .. id .. " was created after the scan began") end
    -- the churn rows go again, for the other specs
    local keep = {}
    for _, id in ipairs(all) do keep[id] = true end
    for _, id in ipairs(ids_of{ page_size = 100 }) do if not keep[id] then assert(api.contacts.delete(id)) end end
  end)

  it("works for other families with a list route", function()
    for i = 1, 9 do assert(api.companies.create{ companyname = "Conc " .. i }) end
    local seq, conc = {}, {}
    for c in api.companies.each{ page_size = 2 } do seq[#seq + 1] = c.id end
    for c in api.companies.each{ page_size = 2, concurrency = 3 } do conc[#conc + 1] = c.id end
    assert.is_true(#seq >= 9)
    assert.same(seq, conc)
  end)

  it("raises a decode error when the server ignores where on id", function()
    -- after the two bound requests and the first range, a page of rows from the first range again
    fake.fault{ path = "^/api/contacts$", method = "GET", skip = 3, status = 200, count = 1,
                body = '{"total":2,"contacts":{"1":{"id":1},"2":{"id":2}}}' }
    local ok, err = pcall(ids_of, { page_size = 5, concurrency = 2 })
    assert.is_false(ok)
    assert.equal("decode", err.kind)
    assert.matches("ignores where on id", err.message)
  end)

  it("raises a failed page's error from the loop, and scans again afterwards", function()
    local strict = fake.client{ retries = 0 }
    fake.fault{ path = "^/api/contacts$", method = "GET", skip = 4, status = 500, count = 1 }
    local n = 0
    local ok, err = pcall(function()
      for _ in strict.contacts.each{ page_size = 5, concurrency = 3 } do n = n + 1 end
    end)
    assert.is_false(ok)
    assert.equal("http", err.kind)
    assert.equal(500, err.status)
    assert.is_true(n < #all)
    assert.same(all, ids_of{ page_size = 5, concurrency = 3 })
  end)

  it("raises at the caller's line for an order it cannot keep", function()
    local line = debug.getinfo(1, "l").currentline
    local ok, msg = pcall(function() api.contacts.each{ concurrency = 2, orderBy = "email" } end)
    assert.is_false(ok)
    assert.matches(":" .. (line + 1) .. ": bad argument #1 to 'contacts.each' %(concurrency needs orderBy = \"id\"", msg)
    assert.has_error(function() api.contacts.each{ concurrency = 2, orderByDir = "DESC" } end)
    assert.has_error(function() api.contacts.each{ concurrency = 2, start = 10 } end)
    assert.has_error(function() api.contacts.each{ concurrency = 2, order = { { col = "email" } } } end)
    assert.has_error(function() api.contacts.each{ concurrency = 0 } end)
    assert.has_error(function() api.contacts.each{ concurrency = 1.5 } end)
    assert.has_error(function() api.v2.tags.each{ concurrency = 0 } end)
  end)
end)

describe("each with concurrency, its requests", function()
  it("keeps at most n page requests in flight, and uses them", function()
    for _, n in ipairs{ 1, 2, 4 } do
      fake.reset()     -- the counters too
      local api = fake.client()
      local rows = {}
      for i = 1, 30 do rows[i] = { email = ("flight%d@example.com"):format(i) } end
      assert(api.contacts.create_batch(rows))
      fake.fault{ path = "^/api/contacts$", method = "GET", action = "delay", delay = 0.3, count = 0 }
      local got = {}
      for c in api.contacts.each{ page_size = 5, concurrency = n } do got[#got + 1] = c.id end
      assert.equal(30, #got)
      assert.equal(n, fake.counters().max_in_flight)
    end
  end)
end)
