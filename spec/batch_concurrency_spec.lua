-- Concurrent batches keep the batch contract: one result per input row in
-- input order, exact err.completed/err.results, nothing new started after a
-- failed chunk, and the write-once rules per chunk.
local mautic = require "mautic"
local mfake = require "mautic.fake"

describe("create_batch with concurrency", function()
  local srv

  lazy_setup(function() srv = assert(mfake.start{ seed = 99 }) end)
  lazy_teardown(function() if srv then srv:stop() end end)
  before_each(function() srv:reset() end)

  local function client(opts)
    local o = { url = srv.url, auth = mautic.auth.basic{ username = srv.username, password = srv.password },
                timeout = 5, sleep = function() end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return mautic.new(o)
  end

  local function rows(n, prefix)
    local t = {}
    for i = 1, n do t[i] = { email = ("%s%d@conc.test"):format(prefix, i) } end
    return t
  end

  it("returns one result per row, in input order", function()
    local api = client()
    local results = assert(api.contacts.create_batch(rows(1000, "a"), { batch_limit = 50, concurrency = 4 }))
    assert.equal(1000, #results)
    for i = 1, 1000 do
      assert.is_true(results[i].ok)
      assert.equal(("a%d@conc.test"):format(i), results[i].item.fields.all.email)
    end
    assert.equal(20, srv:arrivals("POST /api/contacts/batch/new"))
    assert.equal(1000, #srv:state("contacts"))
  end)

  it("has chunks in flight at once: a slow first chunk ends after the others", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_delay", delay = 1, count = 1 }
    local order = {}
    local api = client()
    assert(api.contacts.create_batch(rows(40, "b"), { batch_limit = 10, concurrency = 4,
      on_chunk = function(_, first) order[#order + 1] = first end }))
    assert.equal(4, #order)
    assert.equal(1, order[4])
  end)

  it("reports lean results with results = \"ids\"", function()
    local api = client()
    assert(api.contacts.create{ email = "c2@conc.test" })
    local results = assert(api.contacts.create_batch(rows(3, "c"), { results = "ids", concurrency = 2, batch_limit = 1 }))
    for i = 1, 3 do
      assert.is_true(results[i].ok)
      assert.is_number(results[i].id)
      assert.is_nil(results[i].item)
    end
    assert.is_true(results[1].created)
    assert.is_false(results[2].created)     -- merged into the existing contact
    assert.is_true(results[3].created)
  end)

  it("starts nothing new after a failed chunk and reports every row that went out", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_500", skip = 2, count = 1 }
    local api = client()
    local seen = 0
    local results, err = api.contacts.create_batch(rows(200, "d"),
      { batch_limit = 10, concurrency = 2, on_chunk = function() seen = seen + 1 end })
    assert.is_nil(results)
    assert.equal(500, err.status)
    local sent = srv:arrivals("POST /api/contacts/batch/new")
    -- the failed chunk was the third to arrive; at most one more was in flight
    assert.is_true(sent >= 3 and sent <= 4, "chunks sent: " .. sent)
    assert.equal(sent, seen)
    local ok_rows, failed_rows, absent = 0, 0, 0
    for i = 1, 200 do
      local r = err.results[i]
      if r == nil then absent = absent + 1
      elseif r.ok then ok_rows = ok_rows + 1
      else
        failed_rows = failed_rows + 1
        assert.is_true(r.maybe_applied)
      end
    end
    assert.equal(err.completed, ok_rows)
    assert.equal(10, failed_rows)
    assert.equal(200 - sent * 10, absent)
    assert.equal(sent * 10, #srv:state("contacts"))   -- the 500 came after storing
  end)

  it("keeps the write-once rules per chunk under mixed faults", function()
    srv:fault{
      { path = "^/api/contacts/batch/new$", action = "store_then_drop", reused_only = true, p = 0.15, count = 0 },
      { path = "^/api/contacts/batch/new$", action = "drop", p = 0.05, count = 0 },
      { path = "^/api/contacts/batch/new$", action = "status", status = 503, p = 0.05, count = 0 },
    }
    -- about one request in four meets a fault, so with 5 tries a chunk of
    -- the 40 fails outright about once in 25 runs (seen once under ASan);
    -- 13 tries make that less than one run in a million. What is tested
    -- here is that every resend is merged, not how long the budget lasts.
    local api = client{ retries = 12 }
    local results = assert(api.contacts.create_batch(rows(1000, "e"), { batch_limit = 25, concurrency = 4 }))
    local stored = srv:state("contacts")
    local by_email = {}
    for _, c in ipairs(stored) do
      local e = c.fields.all.email
      by_email[e] = (by_email[e] or 0) + 1
    end
    for i = 1, 1000 do
      assert.is_true(results[i].ok)
      assert.equal(1, by_email[("e%d@conc.test"):format(i)])
    end
    assert.equal(1000, #stored)
    local fired = 0
    for _, f in ipairs(srv:faults()) do fired = fired + f.fired end
    assert.is_true(fired > 0)
  end)

  it("runs concurrent delete_batch and edit_batch chunks too (against the fake Mautic)", function()
    local fake = require "support.fake"
    fake.reset()
    local api = fake.client()
    local created = assert(api.contacts.create_batch(rows(30, "f"), { results = "ids" }))
    local ids, edits = {}, {}
    for i, r in ipairs(created) do ids[i] = r.id; edits[i] = { id = r.id, firstname = "F" .. i } end
    local edited = assert(api.contacts.edit_batch(edits, { batch_limit = 7, concurrency = 3 }))
    for i = 1, 30 do assert.equal(ids[i], edited[i].item.id) end
    local deleted = assert(api.contacts.delete_batch(ids, { batch_limit = 7, concurrency = 3, results = "ids" }))
    for i = 1, 30 do
      assert.is_true(deleted[i].ok)
      assert.equal(ids[i], deleted[i].id)
    end
    local left = 0
    for _ in pairs(fake.state("contacts")) do left = left + 1 end
    assert.equal(0, left)
  end)

  it("raises at the caller's line for bad batch options", function()
    local api = client()
    for _, o in ipairs{ { concurrency = 0 }, { concurrency = 1.5 }, { results = "some" }, { on_chunk = 1 },
                        { batch_limit = 0 } } do
      assert.has_error(function() api.contacts.create_batch(rows(2, "g"), o) end)
    end
  end)
end)

-- Mautic 5.1's batch answers, as recorded: a PATCH lists the rows it found
-- (refused ones included) and leaves out missing ids; results follow ids.
describe("batch answers as Mautic 5.1 shapes them", function()
  local fake = require "support.fake"
  before_each(function() fake.reset() end)

  local function contact(id, city) return ('{"id":%d,"fields":{"all":{"id":%d,"city":"%s"}}}'):format(id, id, city) end

  it("matches PATCH rows by id when a missing row comes first", function()
    fake.fault{ path = "^/api/contacts/batch/edit$", status = 200, count = 1,
      body = '{"contacts":[' .. contact(9, "Oslo") .. '],"statusCodes":[404,200],' ..
             '"errors":{"0":{"code":404,"message":"Item was not found.","details":[]}}}' }
    local results = assert(fake.client().contacts.edit_batch{ { id = 99999, city = "x" }, { id = 9, city = "Oslo" } })
    assert.is_false(results[1].ok)
    assert.equal(404, results[1].status)
    assert.is_true(results[2].ok)
    assert.equal(9, results[2].item.id)
  end)

  it("matches PATCH rows by id when a refused row is listed too", function()
    fake.fault{ path = "^/api/contacts/batch/edit$", status = 200, count = 1,
      body = '{"contacts":[' .. contact(10, "x") .. ',' .. contact(9, "Bergen") .. '],"statusCodes":[400,200],' ..
             '"errors":{"0":{"code":400,"message":"email: bad","details":{"email":["bad"]}}}}' }
    -- strict_fields = false: the canned answer refuses the row, not the client
    local results = assert(fake.client().contacts.edit_batch({ { id = 10, email = "bad" }, { id = 9, city = "Bergen" } },
                                                             { strict_fields = false }))
    assert.is_false(results[1].ok)
    assert.same({ "bad" }, results[1].error.details.email)
    assert.equal(9, results[2].item.id)
    assert.equal("Bergen", results[2].item.fields.all.city)
  end)

  it("takes PUT rows in order, a created row under its new id", function()
    fake.fault{ path = "^/api/contacts/batch/edit$", method = "PUT", status = 200, count = 1,
      body = '{"contacts":[' .. contact(9, "a") .. ',' .. contact(31, "b") .. '],"statusCodes":[200,201]}' }
    local results = assert(fake.client().contacts.edit_batch({ { id = 9, city = "a" }, { id = 500, city = "b" } },
      { create = true }))
    assert.equal(9, results[1].item.id)
    assert.equal(31, results[2].item.id)
  end)
end)
