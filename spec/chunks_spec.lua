-- The chunk engine with a `send` of the spec's: chunks of `size`, rows
-- refused or skipped before sending, results in input order, the first
-- failure stopping the job (chunks in flight finish), a raise stopping it
-- too, and the resend decision.
local chunks = require "mautic.chunks"
local parallel = require "mautic.parallel"
local fake = require "support.fake"

-- A chunk "in flight" for a while: a pause, then a request (to the fake,
-- which answers at once), as a real chunk is.
local function in_flight(seconds)
  if not parallel.active() then return end     -- no workers: one chunk after the other
  parallel.sleep(seconds)
  parallel.send{ method = "GET", url = fake.url .. "/__chunks_spec", timeout = 5 }
end

-- Waits (as a chunk in flight, a worker task) until `ready()` holds: the
-- order of events is set by events, never by how long a sleep lasts.
local function wait_until(ready)
  local waited = 0
  while not ready() do
    assert(waited < 10, "an awaited event never came")
    parallel.sleep(0.005)
    waited = waited + 0.005
  end
end

local function rows(n)
  local t = {}
  for i = 1, n do t[i] = { email = ("r%d@chunks.test"):format(i) } end
  return t
end

-- a send that answers ok for every row, recording each chunk it was given
local function recorder(sent)
  return function(chunk)
    sent[#sent + 1] = { first = chunk.first, last = chunk.last, n = #chunk.rows, merges = chunk.merges }
    local out = {}
    for j, row in ipairs(chunk.rows) do out[j] = { ok = true, email = row.email, at = chunk.index[j] } end
    return out
  end
end

local function failure(status) return { kind = "http", status = status, maybe_applied = true } end

describe("mautic.chunks", function()
  it("cuts rows into chunks of `size` and gives one result per row, in input order", function()
    local sent = {}
    local results = assert(chunks.run{ rows = rows(7), size = 3, send = recorder(sent) })
    assert.same({ { first = 1, last = 3, n = 3, merges = false }, { first = 4, last = 6, n = 3, merges = false },
                  { first = 7, last = 7, n = 1, merges = false } }, sent)
    assert.equal(7, #results)
    for i = 1, 7 do assert.equal(("r%d@chunks.test"):format(i), results[i].email) end
  end)

  it("reads rows from a function until it returns nil", function()
    local i = 0
    local sent = {}
    local results = assert(chunks.run{ size = 2, send = recorder(sent), rows = function()
      i = i + 1
      if i <= 5 then return { email = i } end
    end })
    assert.equal(3, #sent)
    assert.equal(5, results[5].email)
  end)

  it("sends the rows read before a source that broke off, and fails at the row it broke on", function()
    local i = 0
    local sent = {}
    local broken = { kind = "usage", message = "line 4: malformed" }
    local results, err, failures = chunks.run{ size = 2, send = recorder(sent), rows = function()
      i = i + 1
      if i <= 3 then return { email = i } end
      return nil, broken
    end }
    assert.is_nil(results)
    assert.equal(broken, err)
    assert.same({ { first = 4, err = broken } }, failures)
    assert.equal(2, #sent)                   -- rows 1-2, then row 3 alone
    assert.equal(3, err.completed)
  end)

  it("keeps the place and result of a row refused before sending; a skipped row takes no place", function()
    local sent = {}
    local refused = { ok = false, why = "bad value" }
    local results = assert(chunks.run{ rows = rows(8), size = 3, send = recorder(sent),
      admit = function(row, i)
        if i == 2 then return nil, refused end     -- refused: counts in its chunk
        if i == 4 or i == 5 then return false end  -- skipped: settled before
        return row
      end })
    -- chunk 1: rows 1-3 (row 2 refused); chunk 2: rows 4-8 hold 6, 7, 8
    assert.same({ { first = 1, last = 3, n = 2, merges = false }, { first = 4, last = 8, n = 3, merges = false } }, sent)
    assert.equal(refused, results[2])
    assert.is_nil(results[4])
    assert.is_nil(results[5])
    assert.equal(6, results[6].at)
  end)

  it("sends nothing for a chunk of refused rows, and still reports it", function()
    local heard = {}
    local results = assert(chunks.run{ rows = rows(2), size = 2,
      send = function() error("nothing to send") end,
      admit = function(_, i) return nil, { ok = false, row = i } end,
      on_chunk = function(res, first, last, err) heard[#heard + 1] = { #res, first, last, err } end })
    assert.same({ { 2, 1, 2, nil } }, heard)
    assert.equal(2, results[2].row)
  end)

  it("stops at the first failed chunk: what went through, one failed result per row sent", function()
    local calls = 0
    local results, err, failures = chunks.run{ rows = rows(10), size = 3, send = function(chunk)
      calls = calls + 1
      if chunk.first == 4 then return nil, failure(500) end
      return recorder({})(chunk)
    end }
    assert.is_nil(results)
    assert.equal(2, calls)                   -- nothing new after the failure
    assert.equal(500, err.status)
    assert.equal(3, err.completed)
    assert.equal(6, #err.results)
    for i = 4, 6 do
      assert.is_false(err.results[i].ok)
      assert.equal(err, err.results[i].error)
      assert.is_true(err.results[i].maybe_applied)
    end
    assert.same({ { first = 4, last = 6, err = err } }, failures)
    assert.is_nil(err.failures)
  end)

  it("lets the chunks in flight finish after a failure, and speaks with the lowest row's failure", function()
    local started, heard = {}, {}
    local results, err = chunks.run{ rows = rows(40), size = 5, concurrency = 3, send = function(chunk)
      started[#started + 1] = chunk.first
      -- the second chunk fails at once; the first (failing) and the third
      -- end only once the engine has heard of that failure
      if chunk.first ~= 6 then wait_until(function() return heard[6] end) end
      in_flight(0)
      if chunk.first == 1 or chunk.first == 6 then return nil, failure(chunk.first == 1 and 502 or 500) end
      return recorder({})(chunk)
    end, on_chunk = function(_, first) heard[first] = true end }
    assert.is_nil(results)
    assert.equal(502, err.status)            -- rows 1-5 come first
    assert.equal(2, #err.failures)
    assert.equal(500, err.failures[2].status)
    -- the three first chunks went out at once, and nothing started after the failure
    assert.same({ 1, 6, 11 }, started)
    for i = 1, 15 do assert.is_table(err.results[i]) end
  end)

  it("puts results at their input index whatever order chunks end in", function()
    local order, heard = {}, {}
    local results = assert(chunks.run{ rows = rows(20), size = 5, concurrency = 4, send = function(chunk)
      -- the last chunk ends first: each waits until the next one was heard of
      if chunk.first < 16 then wait_until(function() return heard[chunk.first + 5] end) end
      in_flight(0)
      return recorder({})(chunk)
    end, on_chunk = function(_, first) order[#order + 1] = first; heard[first] = true end })
    assert.same({ 16, 11, 6, 1 }, order)
    for i = 1, 20 do assert.equal(i, results[i].at) end
  end)

  it("stops the job when on_chunk says so", function()
    local calls = 0
    local full = { kind = "usage", message = "disk full" }
    local results, err, failures = chunks.run{ rows = rows(9), size = 3,
      send = function(chunk) calls = calls + 1 return recorder({})(chunk) end,
      on_chunk = function(_, first) if first == 4 then return nil, full end end }
    assert.is_nil(results)
    assert.equal(full, err)
    assert.equal(2, calls)
    assert.same({ first = 4, last = 6, err = full }, failures[1])
  end)

  it("raises what a callback raised, after the chunks in flight, and starts nothing new", function()
    for _, concurrency in ipairs{ 1, 3 } do
      local calls, broke = 0, false
      assert.has_error(function()
        chunks.run{ rows = rows(30), size = 3, concurrency = concurrency,
          send = function(chunk)
            calls = calls + 1
            -- the others end once the first chunk's callback has raised
            if chunk.first ~= 1 and parallel.active() then wait_until(function() return broke end) end
            in_flight(0)
            return recorder({})(chunk)
          end,
          on_chunk = function(_, first) if first == 1 then broke = true; error("on_chunk broke", 0) end end }
      end, "on_chunk broke")
      assert.equal(concurrency, calls)     -- one chunk per worker, none after the raise
    end
  end)

  it("keeps no results with keep = false: each chunk's go to on_chunk", function()
    local seen = {}
    local results = assert(chunks.run{ rows = rows(6), size = 4, keep = false, send = recorder({}),
      on_chunk = function(res, first, last)
        local n = 0
        for _ in pairs(res) do n = n + 1 end
        seen[#seen + 1] = { first, last, n, res[first].at }
      end })
    assert.same({}, results)
    assert.same({ { 1, 4, 4, 1 }, { 5, 6, 2, 5 } }, seen)
  end)

  describe("whether a chunk may be resent after an unknown outcome", function()
    it("is a merge only when the server merges creates and every row carries an identifier", function()
      local sent = {}
      local t = rows(4)
      t[3] = { email = "  ", firstname = "Blank" }
      assert(chunks.run{ rows = t, size = 2, merge_on = { "email" }, send = recorder(sent) })
      assert.same({ true, false }, { sent[1].merges, sent[2].merges })
      sent = {}
      assert(chunks.run{ rows = rows(2), size = 2, send = recorder(sent) })
      assert.is_false(sent[1].merges)        -- nothing merges without merge_on
    end)

    it("reads an identifier as a number or text that is not blank, in any of the fields", function()
      assert.is_true(chunks.identified({ "email" }, { email = "a@b.test" }))
      assert.is_true(chunks.identified({ "email", "uid" }, { uid = 5 }))
      assert.is_false(chunks.identified({ "email" }, { email = " \t" }))
      assert.is_false(chunks.identified({ "email" }, { email = true }))
      assert.is_false(chunks.identified({ "email" }, "a@b.test"))
      assert.is_true(chunks.merges({ "email" }, {}))
      assert.is_false(chunks.merges(nil, rows(1)))
    end)
  end)
end)
