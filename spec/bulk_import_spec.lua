-- contacts.import: rows from an array, an iterator or a CSV file, chunked,
-- with progress, per-row results and a checkpoint that lets a job killed
-- halfway finish without storing anything twice. Against the fake Mautic:
-- the suite's for the shapes, one of its own (counting every arrival of a
-- row, made to fail) for kills, lost answers and failed chunks.
local mautic = require "mautic"
local json = require "mautic.json"
local checkpoint = require "mautic.checkpoint"
local fake = require "support.fake"
local mfake = require "mautic.fake"
local sys = require "support.sys"
local core = require "mautic.core"

local LUA = require("support.lua").interpreter   -- also the name of its build folder

local function tmp(text)
  local path = os.tmpname()
  if text then sys.write_file(path, text) end
  return path
end

local function csv_file(n, prefix, extra)
  local lines = { "email,firstname,lastname" .. (extra and ",city" or "") }
  for i = 1, n do
    lines[#lines + 1] = ("%s%d@import.test,First %d,\"Last, %d\"%s"):format(prefix, i, i, i, extra and ",Lyon" or "")
  end
  return tmp(table.concat(lines, "\r\n") .. "\r\n")
end

describe("contacts.import against the fake", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  it("imports an array of rows and says what it created, merged and refused", function()
    assert(api.contacts.create{ email = "old@import.test" })
    local rows = {
      { email = "a@import.test", firstname = "A" },
      { email = "old@import.test", firstname = "Old" },
      { email = "not-an-email" },
      { email = "b@import.test", tags = { "x" } },
    }
    local s = assert(api.contacts.import(rows, { batch_limit = 3 }))
    assert.equal(4, s.total)
    assert.equal(2, s.created)
    assert.equal(1, s.merged)
    assert.equal(1, s.failed)
    assert.equal(0, s.skipped)
    assert.equal(0, s.pending)
    assert.is_true(s.complete)
    assert.equal(1, #s.errors)
    assert.equal(3, s.errors[1].row)
    assert.is_nil(s.errors[1].status)           -- refused before sending: the email field takes emails
    assert.matches("email: an email address expected", s.errors[1].message, 1, true)
    assert.equal("not-an-email", s.errors[1].identifier)
    assert.is_table(s.errors[1].details.email)
    assert.equal(3, assert(api.contacts.list{ search = "email:%@import.test" }).total)   -- a, old, b
    -- the caller's rows are not changed
    assert.same({ email = "b@import.test", tags = { "x" } }, rows[4])
  end)

  it("imports from an iterator, whose total is unknown", function()
    local i = 0
    local totals = {}
    local s = assert(api.contacts.import(function()
      i = i + 1
      if i <= 7 then return { email = ("it%d@import.test"):format(i) } end
    end, { batch_limit = 3, on_progress = function(done, total) totals[#totals + 1] = { done, total } end }))
    assert.equal(7, s.total)
    assert.equal(7, s.created)
    assert.same({ { 3 }, { 6 }, { 7 } }, totals)
  end)

  it("imports a CSV file: header = field aliases, quoted cells, empty cells not sent", function()
    local path = tmp('\239\187\191email,firstname,lastname,tags\r\n' ..
                     'ann@import.test,Ann,"Lee, Jr.","vip,lead"\r\n' ..
                     'bob@import.test,,Ng,\r\n' ..
                     '"cy@import.test","Cy ""C""","two\nlines",\r\n')
    local s = assert(api.contacts.import(path))
    os.remove(path)
    assert.equal(3, s.created)
    local log = fake.log()
    local sent
    for _, r in ipairs(log) do
      if r.path == "/api/contacts/batch/new" then sent = json.decode(r.body) end
    end
    assert.same({ email = "ann@import.test", firstname = "Ann", lastname = "Lee, Jr.", tags = "vip,lead" }, sent[1])
    assert.same({ email = "bob@import.test", lastname = "Ng" }, sent[2])          -- empty cells: not given
    assert.same({ email = "cy@import.test", firstname = 'Cy "C"', lastname = "two\nlines" }, sent[3])
    local ann = assert(api.contacts.list{ search = "email:ann@import.test" }).items[1]
    local tags = {}
    for _, t in ipairs(ann.tags) do tags[#tags + 1] = t.tag end
    table.sort(tags)
    assert.same({ "lead", "vip" }, tags)
  end)

  it("checks the whole CSV file before sending anything", function()
    local path = tmp('email\n"a@import.test"\n"b@import.test"x\n')
    local s, err = api.contacts.import(path)
    os.remove(path)
    assert.is_nil(s)
    assert.equal("usage", err.kind)
    assert.matches("line 3", err.message, 1, true)
    for _, r in ipairs(fake.log()) do assert.not_equal("/api/contacts/batch/new", r.path) end
    local _, err2 = api.contacts.import("/nonexistent/contacts.csv")
    assert.equal("usage", err2.kind)
  end)

  it("reads an open file as it goes, and stops at a malformed record after sending the rows before it", function()
    local path = tmp('email\na1@import.test\na2@import.test\na3@import.test\n"a4@import.test"x\na5@import.test\n')
    local f = assert(io.open(path, "rb"))
    local s, err = api.contacts.import(f, { batch_limit = 2 })
    f:close()
    os.remove(path)
    assert.is_nil(s)
    assert.equal("usage", err.kind)
    assert.matches("line 5", err.message, 1, true)
    assert.equal(3, err.summary.created)
    assert.equal(3, err.summary.total)          -- rows read before the break
  end)

  it("adds tags to every row and every contact to a segment", function()
    local seg = assert(api.segments.create{ name = "Imported", alias = "imported" })
    local rows = {}
    for i = 1, 5 do rows[i] = { email = ("s%d@import.test"):format(i), tags = (i == 1) and "mine" or nil } end
    local s = assert(api.contacts.import(rows, { batch_limit = 2, segment = seg.id, tags = { "import", "2026" } }))
    assert.equal(5, s.created)
    local members = assert(api.contacts.list{ search = "segment:imported", limit = 10 })
    assert.equal(5, members.total)
    local first = assert(api.contacts.list{ search = "email:s1@import.test" }).items[1]
    local tags = {}
    for _, t in ipairs(first.tags) do tags[#tags + 1] = t.tag end
    table.sort(tags)
    assert.same({ "2026", "import", "mine" }, tags)
    -- by alias too
    assert(api.contacts.import({ { email = "s6@import.test" } }, { segment = "imported" }))
    assert.equal(6, assert(api.contacts.list{ search = "segment:imported" }).total)
  end)

  it("fails before sending anything when the segment does not exist", function()
    local s, err = api.contacts.import({ { email = "x@import.test" } }, { segment = 999 })
    assert.is_nil(s)
    assert.equal(404, err.status)
    local s2, err2 = api.contacts.import({ { email = "x@import.test" } }, { segment = "no-such-alias" })
    assert.is_nil(s2)
    assert.equal("usage", err2.kind)
    for _, r in ipairs(fake.log()) do assert.not_equal("/api/contacts/batch/new", r.path) end
  end)

  it("hands every row to on_row with its number, line, action and id", function()
    local path = tmp("email\nr1@import.test\nbad\nr3@import.test\n")
    local seen = {}
    assert(api.contacts.import(path, { on_row = function(r, row)
      seen[#seen + 1] = { r.row, r.line, r.action, r.ok, type(r.id), row.email }
    end }))
    os.remove(path)
    assert.same({ { 1, 2, "created", true, "number", "r1@import.test" },
                  { 2, 3, "failed", false, "nil", "bad" },
                  { 3, 4, "created", true, "number", "r3@import.test" } }, seen)
  end)

  it("reports progress as rows done, the total and a rate", function()
    local rows = {}
    for i = 1, 25 do rows[i] = { email = ("p%d@import.test"):format(i) } end
    local calls = {}
    assert(api.contacts.import(rows, { batch_limit = 10,
      on_progress = function(done, total, rate) calls[#calls + 1] = { done, total, rate } end }))
    assert.equal(3, #calls)
    assert.same({ 10, 25 }, { calls[1][1], calls[1][2] })
    assert.same({ 20, 25 }, { calls[2][1], calls[2][2] })
    assert.same({ 25, 25 }, { calls[3][1], calls[3][2] })
    for _, c in ipairs(calls) do assert.is_true(c[3] > 0) end
  end)

  it("keeps only the first max_errors failures", function()
    local rows = {}
    for i = 1, 6 do rows[i] = { email = "bad" .. i } end
    local s = assert(api.contacts.import(rows, { max_errors = 2 }))
    assert.equal(6, s.failed)
    assert.equal(2, #s.errors)
  end)

  it("raises for bad arguments", function()
    assert.has_error(function() api.contacts.import(42) end)
    assert.has_error(function() api.contacts.import({}, { concurrency = 0 }) end)
    assert.has_error(function() api.contacts.import({}, { on_progress = 1 }) end)
    assert.has_error(function() api.contacts.import({}, { results = "some" }) end)
    assert.has_error(function() api.contacts.import({ "not a row" }) end)
    assert.has_error(function() api.contacts:import({}) end)
  end)
end)

describe("contacts.import against a fake that fails on command", function()
  local srv

  lazy_setup(function() srv = assert(mfake.start{ seed = 8 }) end)
  lazy_teardown(function() if srv then srv:stop() end end)
  before_each(function() srv:reset() end)

  local BATCH = "POST /api/contacts/batch/new"

  local function client(opts)
    local o = { url = srv.url, auth = mautic.auth.basic{ username = srv.username, password = srv.password },
                timeout = 10, sleep = function() end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return mautic.new(o)
  end

  local function email(prefix, i) return ("%s%d@import.test"):format(prefix, i) end

  -- every row of the CSV stored exactly once
  local function assert_all_stored(n, prefix)
    local stored = srv:state("contacts")
    assert.equal(n, #stored)
    local by_email = {}
    for _, c in ipairs(stored) do
      local e = c.fields.all.email
      by_email[e] = (by_email[e] or 0) + 1
    end
    for i = 1, n do assert.equal(1, by_email[email(prefix, i)], email(prefix, i)) end
  end

  -- rows the checkpoint records as done
  local function done_rows(path)
    local cp = assert(checkpoint.read(path))
    local set = {}
    for _, r in ipairs(cp.done) do for i = r[1], r[2] do set[i] = true end end
    return set, cp
  end

  -- The import in a child process, as a user runs it. kill_after = n: the
  -- child kills itself with SIGKILL from on_progress after n chunks (after
  -- the checkpoint of the nth is written). Returns the child's output and
  -- how it ended ("killed" or "exit <code>").
  local CHILD = [[
    package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
    package.cpath = "build/]] .. LUA .. [[/?.so;" .. package.cpath
    local mautic, json = require "mautic", require "mautic.json"
    local url, user, pass, src, cp = arg[1], arg[2], arg[3], arg[4], arg[5]
    local limit, conc, kill_after = tonumber(arg[6]), tonumber(arg[7]), tonumber(arg[8])
    local api = assert(mautic.new{ url = url, auth = mautic.auth.basic{ username = user, password = pass },
                                   timeout = 60, sleep = function() end })
    local chunks = 0
    local s, err = api.contacts.import(src, { checkpoint = cp, batch_limit = limit, concurrency = conc,
      on_progress = function()
        chunks = chunks + 1
        if kill_after and chunks == kill_after then os.execute("kill -9 $PPID") end
      end })
    print(json.encode(s or { failed_with = tostring(err), summary = err.summary }))
  ]]

  local function child_cmd(src, cp, limit, conc, kill_after)
    local script = tmp(CHILD)
    return ("%s %s %s %s %s %s %s %d %d %s"):format(LUA, script, srv.url, srv.username, srv.password, src, cp,
      limit, conc or 1, kill_after and tostring(kill_after) or ""), script
  end

  local function run_child(...)
    local cmd, script = child_cmd(...)
    local out = sys.shell(cmd .. " 2>&1; echo \"status=$?\"")
    os.remove(script)
    local body, status = out:match("^(.-)status=(%d+)%s*$")
    status = tonumber(status)
    return body, status == 137 and "killed" or ("exit " .. tostring(status))
  end

  it("resumes after a kill between chunks and sends no row twice", function()
    local src, cp = csv_file(100, "k"), tmp()
    os.remove(cp)
    local out, how = run_child(src, cp, 10, 1, 3)
    assert.equal("killed", how, out)
    local done = done_rows(cp)
    for i = 1, 30 do assert.is_true(done[i], "row " .. i) end
    assert.is_nil(done[31])
    assert.equal(3, srv:arrivals(BATCH))

    out, how = run_child(src, cp, 10, 1)
    assert.equal("exit 0", how, out)
    local s = json.decode(out)
    assert.equal(100, s.total)
    assert.equal(30, s.skipped)
    assert.equal(70, s.created)
    assert.equal(0, s.merged)
    assert.is_true(s.complete)
    local arrivals = srv:arrivals()
    assert.equal(10, arrivals[BATCH])                      -- 3 chunks, then the 7 left
    for i = 1, 100 do assert.equal(1, arrivals["contacts:" .. email("k", i)], email("k", i)) end
    assert_all_stored(100, "k")
    -- the checkpoint now says the whole file is done: one more run sends nothing
    local _, cpt = done_rows(cp)
    assert.is_true(cpt.complete)
    assert.same({ { 1, 100 } }, cpt.done)
    out = run_child(src, cp, 10, 1)
    assert.equal(100, json.decode(out).skipped)
    assert.equal(10, srv:arrivals(BATCH))
    os.remove(src) os.remove(cp)
  end)

  it("resends a chunk whose answer a kill lost, and Mautic stores it once", function()
    local src, cp = csv_file(60, "u"), tmp()
    os.remove(cp)
    -- the fourth chunk is stored, then its answer waits: the job is killed meanwhile
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_delay", delay = 30, skip = 3, count = 1 }
    local cmd, script = child_cmd(src, cp, 10, 1)
    local pidfile = tmp()
    os.execute(("sh -c '%s >/dev/null 2>&1 & echo $! > %s'"):format(cmd, pidfile))
    local pid = assert(sys.read_file(pidfile):match("%d+"))
    local deadline = core.now() + 20
    while srv:arrivals(BATCH) < 4 and core.now() < deadline do core.sleep(0.05) end
    assert.equal(4, srv:arrivals(BATCH))
    os.execute("kill -9 " .. pid)
    while sys.alive(pid) and core.now() < deadline do core.sleep(0.02) end
    assert.is_false(sys.alive(pid))
    os.remove(script) os.remove(pidfile)
    local done = done_rows(cp)
    assert.is_nil(done[31])                                 -- stored, but never confirmed
    srv:clear_faults()

    local out, how = run_child(src, cp, 10, 1)
    assert.equal("exit 0", how, out)
    local s = json.decode(out)
    assert.equal(30, s.skipped)
    assert.equal(10, s.merged)                              -- the lost chunk, merged into what it stored
    assert.equal(20, s.created)
    local arrivals = srv:arrivals()
    for i = 1, 60 do
      local want = (i >= 31 and i <= 40) and 2 or 1
      assert.equal(want, arrivals["contacts:" .. email("u", i)], email("u", i))
    end
    assert_all_stored(60, "u")
    os.remove(src) os.remove(cp)
  end)

  it("resumes a concurrent job killed with chunks in flight: confirmed rows are never resent", function()
    local src, cp = csv_file(200, "c"), tmp()
    os.remove(cp)
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_delay", delay = 0.2, every = 3, count = 0 }
    local out, how = run_child(src, cp, 10, 4, 6)
    assert.equal("killed", how, out)
    local done = done_rows(cp)
    local confirmed = 0
    for _ in pairs(done) do confirmed = confirmed + 1 end
    assert.is_true(confirmed >= 60, "rows confirmed before the kill: " .. confirmed)
    srv:clear_faults()

    out, how = run_child(src, cp, 10, 4)
    assert.equal("exit 0", how, out)
    local s = json.decode(out)
    assert.equal(confirmed, s.skipped)
    assert.equal(200 - confirmed, s.created + s.merged)
    local arrivals = srv:arrivals()
    for i = 1, 200 do
      local n = arrivals["contacts:" .. email("c", i)]
      if done[i] then
        assert.equal(1, n, "confirmed row " .. i .. " was sent again")
      else
        assert.is_true(n == 1 or n == 2, "row " .. i .. " arrived " .. tostring(n) .. " times")
      end
    end
    assert_all_stored(200, "c")
    os.remove(src) os.remove(cp)
  end)

  it("stops at a chunk that failed as a whole, and a second run finishes the job", function()
    local src, cp = csv_file(50, "f"), tmp()
    os.remove(cp)
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_500", skip = 2, count = 1 }
    local api = client()
    local s, err = api.contacts.import(src, { batch_limit = 10, checkpoint = cp })
    assert.is_nil(s)
    assert.equal(500, err.status)
    assert.is_true(err.maybe_applied)
    assert.equal(20, err.summary.created)
    assert.equal(30, err.summary.pending)
    assert.is_false(err.summary.complete)
    assert.equal(3, srv:arrivals(BATCH))                      -- nothing new after the failure
    local done = done_rows(cp)
    assert.is_true(done[20])
    assert.is_nil(done[21])

    srv:clear_faults()
    s = assert(api.contacts.import(src, { batch_limit = 10, checkpoint = cp }))
    assert.equal(20, s.skipped)
    assert.equal(10, s.merged)                                -- the 500 came after Mautic stored them
    assert.equal(20, s.created)
    local arrivals = srv:arrivals()
    for i = 1, 20 do assert.equal(1, arrivals["contacts:" .. email("f", i)]) end
    for i = 21, 30 do assert.equal(2, arrivals["contacts:" .. email("f", i)]) end
    assert_all_stored(50, "f")
    os.remove(src) os.remove(cp)
  end)

  it("refuses, with a checkpoint, rows without a unique identifier, and never sends them", function()
    local cp = tmp()
    os.remove(cp)
    local rows = { { email = "n1@import.test" }, { firstname = "No email" }, { email = "  " },
                   { email = "n4@import.test" } }
    local api = client()
    local s = assert(api.contacts.import(rows, { checkpoint = cp }))
    assert.equal(2, s.created)
    assert.equal(2, s.failed)
    assert.equal(2, s.errors[1].row)
    assert.matches("has no email", s.errors[1].message)
    assert.equal(2, #srv:state("contacts"))
    -- settled: a second run skips them too
    s = assert(api.contacts.import(rows, { checkpoint = cp }))
    assert.equal(4, s.skipped)
    assert.equal(1, srv:arrivals(BATCH))
    -- without a checkpoint they are sent (and Mautic creates what it can)
    s = assert(api.contacts.import({ { firstname = "Anon" } }))
    assert.equal(1, s.created)
    -- another unique field makes them sendable
    local s2 = assert(client({ unique_fields = { "email", "firstname" } }).contacts.import(
      { { firstname = "Named" } }, { checkpoint = cp .. "2" }))
    assert.equal(1, s2.created)
    os.remove(cp) os.remove(cp .. "2")
  end)

  it("refuses a checkpoint written for another file", function()
    local a, b, cp = csv_file(5, "a"), csv_file(6, "b"), tmp()
    os.remove(cp)
    local api = client()
    assert(api.contacts.import(a, { checkpoint = cp }))
    local s, err = api.contacts.import(b, { checkpoint = cp })
    assert.is_nil(s)
    assert.equal("usage", err.kind)
    assert.matches("remove it to start over", err.message, 1, true)
    -- the same file, edited
    sys.write_file(a, sys.read_file(a):gsub("a1@", "z1@"))
    s, err = api.contacts.import(a, { checkpoint = cp })
    assert.is_nil(s)
    assert.equal("usage", err.kind)
    sys.write_file(cp, "not json")
    s, err = api.contacts.import(a, { checkpoint = cp })
    assert.is_nil(s)
    assert.matches("not a checkpoint", err.message)
    os.remove(a) os.remove(b) os.remove(cp)
  end)

  it("keeps input order in per-row results with chunks in flight at once", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_delay", delay = 0.3, count = 1 }
    local rows = {}
    for i = 1, 95 do rows[i] = { email = email("o", i) } end
    local chunk_order, seen = {}, {}
    local api = client()
    local s = assert(api.contacts.import(rows, { batch_limit = 10, concurrency = 4,
      on_row = function(r, row)
        seen[r.row] = row.email
        if r.row % 10 == 1 then chunk_order[#chunk_order + 1] = r.row end
      end }))
    assert.equal(95, s.created)
    for i = 1, 95 do assert.equal(email("o", i), seen[i]) end
    assert.not_equal(1, chunk_order[1])              -- the slow first chunk ended after others
    assert_all_stored(95, "o")
  end)

  it("resends a dropped chunk by itself (the merge makes it safe) and counts its rows created and resent", function()
    srv:fault{ path = "^/api/contacts/batch/new$", action = "store_then_drop", count = 1, skip = 1 }
    local rows = {}
    for i = 1, 30 do rows[i] = { email = email("d", i) } end
    local s = assert(client().contacts.import(rows, { batch_limit = 10 }))
    -- the dropped attempt created the chunk's 10 contacts; the resend merged into them
    assert.equal(30, s.created)
    assert.equal(0, s.merged)
    assert.equal(10, s.resent)
    assert_all_stored(30, "d")
  end)
end)

describe("contacts.import and Mautic's list-shaped batch errors", function()
  -- PHP encodes an `errors` array whose keys are 0..k-1 as a JSON list, not
  -- an object: a chunk whose FIRST row is refused answers "errors":[{...}].
  -- mautic.batch reads list keys as if they were 0-based object keys, so the
  -- refusal lands on the next row (and the row Mautic created is reported
  -- failed). The fix belongs in lua/mautic/batch.lua (send_chunk: a numeric
  -- key of a list is already 1-based; only string keys get + 1); until it
  -- lands this stays pending.
  it("reports the refusal of a chunk's first row on that row, and the next row as created", function()
    fake.reset()
    local api = fake.client()
    -- strict_fields = false: Mautic, not the client, refuses the row here
    local s = assert(api.contacts.import({ { email = "not-an-email" }, { email = "fine@import.test" } },
                                         { strict_fields = false }))
    assert.equal(1, s.created)
    assert.equal(1, s.failed)
    assert.equal(1, s.errors[1].row)
    assert.matches("not%-an%-email is invalid", s.errors[1].message)
  end)
end)

describe("examples/bulk_import.lua", function()
  it("imports examples/contacts.csv into a segment and says what became of each row", function()
    fake.reset()
    local copy = os.tmpname()
    sys.write_file(copy, sys.read_file("examples/contacts.csv"))
    local cmd = ("MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic LUA_PATH='lua/?.lua;lua/?/init.lua;;' " ..
                 "LUA_CPATH='build/%s/?.so;;' %s examples/bulk_import.lua %s 'Example import' 2>/dev/null; echo \"exit=$?\"")
      :format(fake.url, LUA, LUA, copy)
    local out = sys.shell(cmd)
    assert.matches("exit=0", out, 1, true)
    -- refused before sending: the client checks values against the contact fields
    assert.matches("line 6: not-an-email refused (not sent): row 5: email: an email address expected", out, 1, true)
    assert.matches("5 rows: 4 created, 0 merged into existing contacts, 1 refused, 0 done before", out, 1, true)
    assert.matches('now holds 4 contacts', out, 1, true)
    assert.is_nil(sys.read_file(copy .. ".checkpoint"))
    os.remove(copy)
  end)
end)
