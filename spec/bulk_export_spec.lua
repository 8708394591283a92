-- contacts.export: every matching contact streamed to CSV, a page at a
-- time, to a path, an open file or a function; and back again with import.
local fake = require "support.fake"
local csv = require "mautic.csv"
local sys = require "support.sys"

describe("contacts.export", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  local function seed(n)
    local rows = {}
    for i = 1, n do
      rows[i] = { email = ("e%02d@export.test"):format(i), firstname = "First " .. i, lastname = "Last" .. i }
    end
    assert(api.contacts.import(rows))
  end

  it("writes a header from fields and one row per contact, in id order, to a path", function()
    seed(5)
    local path = os.tmpname()
    local r = assert(api.contacts.export{ fields = { "email", "firstname", "id" }, to = path, page_size = 2 })
    assert.equal(5, r.rows)
    assert.same({ "email", "firstname", "id" }, r.fields)
    local text = sys.read_file(path)
    os.remove(path)
    local records = assert(csv.parse(text))
    assert.equal(6, #records)
    assert.same({ "email", "firstname", "id" }, records[1])
    for i = 1, 5 do
      assert.same({ ("e%02d@export.test"):format(i), "First " .. i, tostring(i) }, records[i + 1])
    end
    assert.matches("\r\n$", text)
    -- several pages went out: it streamed
    local pages = 0
    for _, l in ipairs(fake.log()) do if l.path == "/api/contacts" then pages = pages + 1 end end
    assert.is_true(pages >= 3, "list requests: " .. pages)
  end)

  it("writes the same CSV with concurrency as without, a segment and progress included", function()
    seed(23)
    assert(api.contacts.delete(7))     -- a gap in the ids
    local function export(q)
      local lines = {}
      q.to = function(l) lines[#lines + 1] = l end
      local r = assert(api.contacts.export(q))
      return table.concat(lines), r.rows
    end
    local plain, rows = export{ page_size = 4 }
    assert.equal(22, rows)
    for _, n in ipairs{ 1, 2, 4 } do
      local progress = {}
      local text, n_rows = export{ page_size = 4, concurrency = n, on_progress = function(done, total)
        progress[#progress + 1] = done .. "/" .. total
      end }
      assert.equal(plain, text)
      assert.equal(22, n_rows)
      assert.equal("22/22", progress[#progress])
    end
    assert(api.segments.create{ name = "Half", alias = "half" })
    local ids = {}
    for i = 1, 22, 2 do ids[#ids + 1] = i end
    assert(api.segments.add_contacts(1, { ids = ids }))
    assert.equal(export{ segment = "half", fields = { "id", "email" } },
                 export{ segment = "half", fields = { "id", "email" }, concurrency = 3, page_size = 2 })
    assert.has_error(function() api.contacts.export{ to = function() end, concurrency = 2, orderBy = "email" } end)
  end)

  it("quotes what needs quoting", function()
    assert(api.contacts.create{ email = "q@export.test", firstname = 'Ann "A"', lastname = "Lee, Jr.",
                                city = "two\nlines" })
    local lines = {}
    assert(api.contacts.export{ fields = "email,firstname,lastname,city", to = function(s) lines[#lines + 1] = s end })
    assert.same({ "email,firstname,lastname,city\r\n",
                  'q@export.test,"Ann ""A""","Lee, Jr.","two\nlines"\r\n' }, lines)
  end)

  it("writes to an open file and leaves it open", function()
    seed(2)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    assert(api.contacts.export{ fields = { "email" }, to = f, header = false })
    assert.equal("file", io.type(f))
    f:close()
    assert.equal("e01@export.test\r\ne02@export.test\r\n", sys.read_file(path))
    os.remove(path)
  end)

  it("exports a segment (by id or alias) and a search", function()
    seed(6)
    local seg = assert(api.segments.create{ name = "Export me", alias = "export-me" })
    assert(api.segments.add_contacts(seg.id, { 2, 4, 6 }))
    local lines = {}
    local sink = function(s) lines[#lines + 1] = s end
    assert(api.contacts.export{ segment = seg.id, fields = { "id" }, to = sink })
    assert.same({ "id\r\n", "2\r\n", "4\r\n", "6\r\n" }, lines)
    lines = {}
    assert(api.contacts.export{ segment = "export-me", search = "email:e04%", fields = { "id" }, to = sink })
    assert.same({ "id\r\n", "4\r\n" }, lines)
    local _, err = api.contacts.export{ segment = 999, to = sink }
    assert.equal(404, err.status)
  end)

  it("asks for minimal pages (fields without the per-contact lists) unless a column is tags", function()
    seed(3)
    assert(api.contacts.edit(2, { tags = { "beta", "vip" } }))
    local function pages_asked(q)
      fake.clear_log()
      local lines = {}
      q.to = function(s) lines[#lines + 1] = s end
      assert(api.contacts.export(q))
      local minimal = {}
      for _, l in ipairs(fake.log()) do
        if l.path == "/api/contacts" then minimal[#minimal + 1] = l.args.minimal or "-" end
      end
      return minimal, lines
    end
    local minimal, lines = pages_asked{ fields = { "id", "email" } }
    assert.same({ "1" }, minimal)
    assert.same({ "id,email\r\n", "1,e01@export.test\r\n", "2,e02@export.test\r\n", "3,e03@export.test\r\n" }, lines)
    minimal = pages_asked{}                               -- every field, still minimal
    assert.same({ "1" }, minimal)
    minimal, lines = pages_asked{ fields = { "id", "tags" } }
    assert.same({ "-" }, minimal)                         -- tags need the full contact
    assert.equal("2,\"beta,vip\"\r\n", lines[3])
    minimal = pages_asked{ fields = { "id" }, minimal = false }
    assert.same({ "0" }, minimal)
  end)

  it("exports every contact field when fields are not given, id first", function()
    seed(1)
    local lines = {}
    local r = assert(api.contacts.export{ to = function(s) lines[#lines + 1] = s end })
    assert.equal("id", r.fields[1])
    local have = {}
    for _, f in ipairs(r.fields) do have[f] = true end
    assert.is_true(have.email and have.firstname and have.lastname)
    assert.is_nil(have.companyname)        -- company fields are not contact columns
    assert.equal(2, #lines)
  end)

  it("reports progress with the total", function()
    seed(5)
    local calls = {}
    assert(api.contacts.export{ fields = { "id" }, page_size = 2, to = function() end,
      on_progress = function(done, total, rate) calls[#calls + 1] = { done, total, rate > 0 } end })
    assert.same({ { 2, 5, true }, { 4, 5, true }, { 5, 5, true } }, calls)
  end)

  it("leaves no file behind when the export fails, and says how far it got", function()
    seed(5)
    fake.fault{ path = "^/api/contacts$", status = 500, skip = 1, count = 5 }
    local path = os.tmpname()
    os.remove(path)
    local r, err = api.contacts.export{ fields = { "id" }, to = path, page_size = 2, prefetch = false }
    assert.is_nil(r)
    assert.equal(500, err.status)
    assert.equal(2, err.rows)
    assert.is_nil(sys.read_file(path))
    assert.is_nil(sys.read_file(path .. ".part"))
  end)

  it("raises for bad arguments", function()
    assert.has_error(function() api.contacts.export() end)
    assert.has_error(function() api.contacts.export{ fields = { "id" } } end)          -- no to
    assert.has_error(function() api.contacts.export{ to = 5 } end)
    assert.has_error(function() api.contacts.export{ to = "x.csv", fields = {} } end)
  end)

  it("round-trips: export, then import into a fresh server, gives the same rows", function()
    local rows = {
      { email = "rt1@export.test", firstname = "Ann", lastname = "Lee, Jr.", city = "Lyon", tags = { "vip", "lead" } },
      { email = "rt2@export.test", firstname = 'Bo "B"', lastname = "Ng" },
      { email = "rt3@export.test", firstname = "Cy", city = "two\nlines", tags = { "x" } },
    }
    assert(api.contacts.import(rows))
    local fields = { "email", "firstname", "lastname", "city", "tags" }
    local first, second = os.tmpname(), os.tmpname()
    assert.equal(3, assert(api.contacts.export{ fields = fields, to = first }).rows)
    fake.reset()
    local s = assert(api.contacts.import(first))
    assert.equal(3, s.created)
    assert(api.contacts.export{ fields = fields, to = second })
    local a, b = sys.read_file(first), sys.read_file(second)
    os.remove(first) os.remove(second)
    assert.equal(a, b)
    assert.matches('rt1@export.test,Ann,"Lee, Jr.",Lyon,"vip,lead"', a, 1, true)
  end)
end)
