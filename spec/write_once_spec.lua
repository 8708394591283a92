-- Writes happen once, and every failure says what became of the write:
-- proved against a fake Mautic of its own (mautic.fake), made to store a
-- write and then drop the kept-alive connection, fail after storing, answer
-- garbage, and counting every write that reaches it.
local mautic = require "mautic"
local fake = require "mautic.fake"

-- The mix of faults every "under faults" case below runs with: about 10% of
-- the requests to `path` misbehave, each way a real network or a real
-- Mautic does. `scale` multiplies the rates (a batch run has few requests).
-- Each fault fires as often as its draw says (count = 0: no limit).
local function mixed_faults(path, with_500, scale)
  scale = scale or 1
  local rules = {
    { path = path, method = "POST", action = "store_then_drop", reused_only = true, p = 0.04 * scale, count = 0 },
    { path = path, method = "POST", action = "drop", p = 0.02 * scale, count = 0 },
    { path = path, method = "POST", action = "status", status = 503, p = 0.015 * scale, count = 0 },
    { path = path, method = "POST", action = "non_http", p = 0.005 * scale, count = 0 },
    { path = path, method = "POST", action = "store_then_delay", delay = 1.5, p = 0.005 * scale, count = 0 },
  }
  if with_500 then
    rules[#rules + 1] = { path = path, method = "POST", action = "store_then_500", p = 0.015 * scale, count = 0 }
  else
    rules[#rules + 1] = { path = path, method = "POST", action = "store_then_drop", p = 0.015 * scale, count = 0 }
  end
  return rules
end

-- MAUTIC_SPEC_FIGURES=1 prints what each run measured (for closing notes)
local function figures(name, t)
  if not os.getenv("MAUTIC_SPEC_FIGURES") then return end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(t[k]) end
  io.stderr:write("\n[figures] ", name, ": ", table.concat(parts, " "), "\n")
end

describe("writes happen once", function()
  local srv

  -- a password the client's messages could not contain by chance (they start "mautic:")
  lazy_setup(function() srv = assert(fake.start{ seed = 20261129, users = { admin = "secret-pass" } }) end)
  lazy_teardown(function() if srv then srv:stop() end end)
  before_each(function() srv:reset() end)

  -- how many times the faults fired
  local function fired()
    local n = 0
    for _, f in ipairs(srv:faults()) do n = n + f.fired end
    return n
  end

  -- sleeps are skipped (recorded), the timeout is short for the delayed answers
  local function client(opts)
    local o = { url = srv.url, auth = mautic.auth.basic{ username = srv.username, password = srv.password },
                timeout = 1, retries = 3, sleep = function() end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return mautic.new(o)
  end

  -- the stored contacts: how many per email (lower case), and the set of ids
  local function stored_contacts()
    local by_email, ids, n = {}, {}, 0
    for _, c in ipairs(srv:state("contacts")) do
      local e = (c.fields.all.email or ""):lower()
      by_email[e] = (by_email[e] or 0) + 1
      ids[c.id] = true
      n = n + 1
    end
    return by_email, ids, n
  end

  it("500 contact creates under 10% mixed faults: 0 duplicates, 0 silent losses, every failure flagged", function()
    srv:fault(mixed_faults("^/api/contacts/new$", true))
    local api = client()
    local outcome = {}
    for i = 1, 500 do
      local c, err = api.contacts.create{ email = ("c%d@once.test"):format(i), firstname = "C" .. i }
      outcome[i] = { c = c, err = err, resent = c and api.last_response().resent }
    end
    local by_email, ids, stored_count = stored_contacts()
    local faults_fired = fired()
    local duplicates, lost, unflagged, failed, resent = 0, 0, 0, 0, 0
    for i = 1, 500 do
      local email, o = ("c%d@once.test"):format(i), outcome[i]
      local stored = by_email[email] or 0
      if stored > 1 then duplicates = duplicates + 1 end
      if o.c then
        if stored ~= 1 or not ids[o.c.id] then lost = lost + 1 end
        if o.resent then resent = resent + 1 end
      else
        failed = failed + 1
        if type(o.err.maybe_applied) ~= "boolean" then unflagged = unflagged + 1 end
        -- a write the client calls unapplied must not be on the server
        if stored > 0 and not o.err.maybe_applied then lost = lost + 1 end
      end
    end
    figures("500 contact creates", { faults = faults_fired, duplicates = duplicates, silent_losses = lost,
      unflagged = unflagged, failed = failed, resent = resent, stored = stored_count })
    assert.is_true(faults_fired >= 30, "the faults fired " .. faults_fired .. " times")
    assert.is_true(resent > 0, "some creates were resent after an unknown outcome")
    assert.equal(0, duplicates)
    assert.equal(0, lost)
    assert.equal(0, unflagged)
    -- only a 500 after storing stops a merge-safe create: it is flagged applied
    for i = 1, 500 do
      local e = outcome[i].err
      if e then assert.is_true(e.maybe_applied, tostring(e)) end
    end
    assert.is_true(failed < 30, failed .. " creates failed")
  end)

  it("500 note creates under 10% mixed faults: each reaches the server at most once", function()
    srv:fault(mixed_faults("^/api/notes/new$", true))
    local api = client()
    local outcome = {}
    for i = 1, 500 do
      local n, err = api.notes.create{ text = "note " .. i, lead = 1, type = "general" }
      outcome[i] = { n = n, err = err }
    end
    local all_arrivals, faults_fired = srv:arrivals(), fired()
    local twice, lost, flagged, failed, stored = 0, 0, 0, 0, 0
    for i = 1, 500 do
      local arrivals = all_arrivals["notes:note " .. i] or 0
      if arrivals > 1 then twice = twice + 1 end
      if arrivals > 0 then stored = stored + 1 end
      local o = outcome[i]
      if o.n then
        if arrivals ~= 1 then lost = lost + 1 end
      else
        failed = failed + 1
        if o.err.maybe_applied then flagged = flagged + 1 end
        if arrivals > 0 and not o.err.maybe_applied then lost = lost + 1 end
        assert.equal(1, o.err.attempts, "a note create is never sent twice")
      end
    end
    figures("500 note creates", { faults = faults_fired, sent_twice = twice, silent_losses = lost,
      failed = failed, flagged = flagged, stored = stored })
    assert.is_true(faults_fired >= 30)
    assert.equal(0, twice)
    assert.equal(0, lost)
    assert.equal(failed, flagged)     -- every fault in the mix comes after the request went out
    assert.equal(stored, #srv:state("notes"))
    assert.is_true(failed >= 30, "the faults reached the caller: " .. failed)
  end)

  it("a create_batch of 1000 under mixed faults: every row once, results in input order", function()
    srv:fault(mixed_faults("^/api/contacts/batch/new$", false, 2.5))
    -- a quarter of the requests meet a fault: with 4 tries one chunk of the
    -- 40 could fail outright on an unlucky draw; every row must succeed here
    local api = client{ retries = 12 }
    local rows = {}
    for i = 1, 1000 do rows[i] = { email = ("b%d@once.test"):format(i) } end
    local results = assert(api.contacts.create_batch(rows, { batch_limit = 25 }))
    local by_email, _, stored_count = stored_contacts()
    local faults_fired = fired()
    assert.is_true(faults_fired >= 4, "faults fired " .. faults_fired)
    assert.equal(1000, #results)
    local resent = 0
    for i = 1, 1000 do
      local email = ("b%d@once.test"):format(i)
      assert.is_true(results[i].ok)
      assert.equal(email, results[i].item.fields.all.email)
      assert.equal(1, by_email[email])
      if results[i].resent then resent = resent + 1 end
    end
    figures("create_batch of 1000", { faults = faults_fired, rows_resent = resent, stored = stored_count,
      chunk_requests = srv:arrivals("POST /api/contacts/batch/new") })
    assert.equal(1000, stored_count)
    assert.is_true(resent >= 25, "whole chunks were resent and merged")
  end)

  it("a create_batch stopped by a 500 after storing says which rows may be written", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_500", skip = 2, count = 1 }
    local api = client()
    local rows = {}
    for i = 1, 500 do rows[i] = { email = ("s%d@once.test"):format(i) } end
    local results, err = api.contacts.create_batch(rows, { batch_limit = 100 })
    assert.is_nil(results)
    assert.equal(500, err.status)
    assert.equal(200, err.completed)
    assert.equal(300, #err.results)
    for i = 1, 200 do assert.is_true(err.results[i].ok) end
    for i = 201, 300 do
      assert.is_false(err.results[i].ok)
      assert.is_true(err.results[i].maybe_applied)
    end
    assert.is_nil(err.results[301])
    -- the failed chunk was stored (the 500 came after), the rest never sent
    assert.equal(300, #srv:state("contacts"))
  end)

  it("a create_batch with a row lacking a unique identifier is never resent after an unknown outcome", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_drop", reused_only = true, count = 1 }
    local api = client()
    assert(api.contacts.list())      -- open the connection, so the next request reuses it
    local rows = {}
    for i = 1, 10 do rows[i] = { email = ("n%d@once.test"):format(i) } end
    rows[5] = { firstname = "No email" }
    local results, err = api.contacts.create_batch(rows)
    assert.is_nil(results)
    assert.equal("network", err.kind)
    assert.equal(0, err.completed)
    for i = 1, 10 do assert.is_true(err.results[i].maybe_applied) end
    assert.equal(1, srv:arrivals("POST /api/contacts/batch/new"))
    assert.equal(10, #srv:state("contacts"))      -- the row without an email: an anonymous contact
  end)

  it("a bodyless POST (add_points) dropped on a kept-alive connection adds the points once", function()
    local api = client()
    local c = assert(api.contacts.create{ email = "points@once.test" })
    srv:fault{ path = "^/api/contacts/%d+/points/plus/%d+$", action = "store_then_drop", reused_only = true, count = 0 }
    local ok, err = api.contacts.add_points(c.id, 10)
    assert.is_nil(ok)
    assert.equal("network", err.kind)
    assert.is_true(err.maybe_applied)
    assert.equal(1, srv:arrivals("POST /api/contacts/" .. c.id .. "/points/plus/10"))
    assert.equal(10, srv:state("contacts")[1].points)
  end)

  it("a DELETE resent after an unknown outcome that finds nothing left is done, flagged", function()
    local api = client()
    local c = assert(api.contacts.create{ email = "gone@once.test" })
    srv:fault{ path = "^/api/contacts/%d+/delete$", action = "store_then_drop", count = 1 }
    local deleted = assert(api.contacts.delete(c.id))
    assert.equal(c.id, deleted.id)
    assert.is_true(api.last_response().already_done)
    assert.equal(2, srv:arrivals("DELETE /api/contacts/" .. c.id .. "/delete"))
    assert.equal(0, #srv:state("contacts"))
  end)

  it("a PUT dropped after storing is resent once the entity is known to exist", function()
    local api = client()
    local c = assert(api.contacts.create{ email = "put@once.test" })
    srv:fault{ path = "^/api/contacts/%d+/edit$", method = "PUT", action = "store_then_drop", count = 1 }
    local edited = assert(api.contacts.edit(c.id, { firstname = "Put" }, { create = true }))
    assert.equal(c.id, edited.id)
    assert.equal(2, srv:arrivals("PUT /api/contacts/" .. c.id .. "/edit"))
    assert.equal(1, #srv:state("contacts"))
  end)

  it("a PUT that may have created a new entity is not resent", function()
    local api = client()
    srv:fault{ path = "^/api/contacts/%d+/edit$", method = "PUT", action = "store_then_drop", count = 1 }
    local c, err = api.contacts.edit(4242, { firstname = "New" }, { create = true })
    assert.is_nil(c)
    assert.is_true(err.maybe_applied)
    assert.equal(1, srv:arrivals("PUT /api/contacts/4242/edit"))
    assert.equal(1, #srv:state("contacts"))
  end)

  it("a 500 after storing a note is flagged applied and not resent", function()
    srv:fault{ path = "^/api/notes/new$", action = "store_then_500", count = 0 }
    local n, err = client().notes.create{ text = "n500", lead = 1 }
    assert.is_nil(n)
    assert.equal(500, err.status)
    assert.is_true(err.maybe_applied)
    assert.equal(1, srv:arrivals("notes:n500"))
  end)

  it("a DELETE answered 500 after deleting is retried, and reported done when the retry finds nothing", function()
    local api = client()
    local c = assert(api.contacts.create{ email = "del500@once.test" })
    srv:fault{ path = "^/api/contacts/%d+/delete$", action = "store_then_500", count = 1 }
    local gone = assert(api.contacts.delete(c.id))
    assert.equal(c.id, gone.id)
    assert.is_true(api.last_response().already_done)
    assert.equal(2, srv:arrivals("DELETE /api/contacts/" .. c.id .. "/delete"))
  end)

  describe("answers that are not HTTP", function()
    for _, action in ipairs{ "non_http", "garbage_status" } do
      it(action .. ": a GET is retried, a write is a network error flagged maybe_applied", function()
        local api = client()
        assert(api.contacts.create{ email = "g@once.test" })
        srv:fault{ { path = "^/api/contacts$", action = action, count = 1 },
                   { path = "^/api/notes/new$", action = action, count = 0 } }
        assert.is_table(api.contacts.list())
        local n, err = api.notes.create{ text = "garbage", lead = 1 }
        assert.is_nil(n)
        assert.equal("network", err.kind)
        assert.is_true(err.maybe_applied)
        assert.equal(1, err.attempts)
      end)
    end

    it("an empty 2xx on a create is a decode error, flagged maybe_applied", function()
      srv:fault{ path = "^/api/notes/new$", action = "empty_2xx", count = 0 }
      local n, err = client().notes.create{ text = "empty", lead = 1 }
      assert.is_nil(n)
      assert.equal("decode", err.kind)
      assert.is_true(err.maybe_applied)
    end)
  end)

  it("a 50 MB answer is cut off at max_response_bytes", function()
    srv:fault{ path = "^/api/contacts$", action = "huge_body", bytes = 50 * 1024 * 1024, count = 0 }
    local before = collectgarbage("count")
    local page, err = client{ max_response_bytes = 4 * 1024 * 1024 }.contacts.list()
    assert.is_nil(page)
    assert.equal("too_large", err.kind)
    assert.is_true(collectgarbage("count") - before < 16 * 1024, "the body was not kept")
  end)

  it("each stops with an error when the server repeats a page", function()
    local api = client()
    for i = 1, 5 do assert(api.contacts.create{ email = ("p%d@once.test"):format(i) }) end
    srv:fault{ path = "^/api/contacts$", action = "repeat_pages", count = 0 }
    local seen = 0
    local ok, err = pcall(function()
      for _ in api.contacts.each{ page_size = 2 } do seen = seen + 1 end
    end)
    assert.is_false(ok)
    assert.equal("decode", err.kind)
    assert.equal(2, seen)
    assert.equal(2, srv:count("^/api/contacts$", 200))
  end)

  it("never shows a secret the server echoes back, in any spelling", function()
    local api = mautic.new{ url = srv.url, sleep = function() end,
                            auth = mautic.auth.basic{ username = srv.username, password = srv.password } }
    srv:fault{ path = "^/api/", action = "echo_secret", forms = { "json", "percent", "form", "base64" }, count = 0 }
    local _, err = api.contacts.get(1)
    assert.equal(400, err.status)
    local seen = tostring(err) .. (err.body or "") .. (err.message or "") .. require("mautic.json").encode(err.details or {})
    assert.not_matches(srv.password, seen, 1, true)
    local core = require "mautic.core"
    assert.not_matches(core.b64encode(srv.username .. ":" .. srv.password), seen, 1, true)
    assert.not_matches(core.pct_encode(srv.password), seen, 1, true)
    assert.matches("<redacted>", seen, 1, true)
  end)
end)
