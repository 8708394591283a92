local fake = require "support.fake"
local mautic = require "mautic"

describe("api.contacts against the fake Mautic", function()
  local api

  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  describe("create and get", function()
    it("creates a contact, answers the entity unwrapped, with an integer id", function()
      local c, err = api.contacts.create{ email = "ann@example.com", firstname = "Ann" }
      assert.is_nil(err)
      assert.equal("ann@example.com", c.fields.all.email)
      assert.equal("Ann", c.fields.all.firstname)
      if math.type then assert.equal("integer", math.type(c.id)) end
      local req = fake.last("POST")
      assert.equal("/api/contacts/new", req.path)
      assert.equal("application/json", req.content_type)
      assert.same({ email = "ann@example.com", firstname = "Ann" }, mautic.json.decode(req.body))
      assert.equal(201, api.last_response().status)

      local got = assert(api.contacts.get(c.id))
      assert.equal(c.id, got.id)
      assert.equal("/api/contacts/" .. c.id, fake.last("GET").path)
    end)

    it("answers a duplicate email with the existing contact (200, same id)", function()
      local a = assert(api.contacts.create{ email = "bob@example.com" })
      local b = assert(api.contacts.create{ email = "BOB@example.com", firstname = "Bob" })
      assert.equal(a.id, b.id)
      assert.equal(200, api.last_response().status)
    end)

    it("reports the Mautic-Version of the last answer", function()
      assert.is_nil(api.version())
      assert(api.contacts.list{ limit = 1 })
      assert.equal("5.1.0", api.version())
    end)

    it("returns a 404 error for a missing id", function()
      local c, err = api.contacts.get(99999)
      assert.is_nil(c)
      assert.equal("http", err.kind)
      assert.equal(404, err.status)
      assert.equal("Item was not found.", err.message)
      assert.equal("GET", err.method)
      assert.matches("/api/contacts/99999$", err.url)
    end)

    it("refuses an invalid value before sending, with details by field", function()
      fake.clear_log()
      local c, err = api.contacts.create{ email = "not-an-email" }
      assert.is_nil(c)
      assert.equal("usage", err.kind)
      assert.is_false(err.maybe_applied)
      assert.is_table(err.details.email)
      assert.is_nil(fake.last("POST"))
    end)

    it("returns Mautic's 400 with details for an invalid field when sent unchecked", function()
      local c, err = api.contacts.create({ email = "not-an-email" }, { strict_fields = false })
      assert.is_nil(c)
      assert.equal(400, err.status)
      assert.is_table(err.details.email)
    end)

    it("accepts ids that lua-cjson decoded as floats", function()
      local c = assert(api.contacts.create{ email = "f@example.com" })
      assert(api.contacts.get(c.id + 0.0))
      assert.equal("/api/contacts/" .. c.id, fake.last("GET").path)
    end)
  end)

  describe("argument checks", function()
    it("raise at the caller's line for a bad id", function()
      local ok, msg = pcall(function() api.contacts.get("abc") end)
      assert.is_false(ok)
      assert.matches("contacts_spec.lua:%d+: bad argument #1 to 'contacts.get' %(positive integer id expected", msg)
      for _, bad in ipairs{ 0, -1, 1.5, {}, true } do
        assert.has_error(function() api.contacts.get(bad) end)
      end
    end)

    it("raise for a non-table body and for a colon call", function()
      assert.has_error(function() api.contacts.create("ann@example.com") end,
        nil)
      local ok, msg = pcall(function() api.contacts:get(1) end)
      assert.is_false(ok)
      assert.matches("with a dot", msg)
    end)

    it("send nothing when the arguments are wrong", function()
      fake.clear_log()
      pcall(api.contacts.edit, "x", {})
      assert.same({}, fake.log())
    end)
  end)

  describe("list", function()
    before_each(function()
      for i, name in ipairs{ "cara", "ann", "bob" } do
        assert(api.contacts.create{ email = name .. "@example.com", firstname = name, phone = tostring(i) })
      end
      assert(api.contacts.create{ email = "ann+test@example.org" })
    end)

    it("returns an integer total and items in the server's order", function()
      local page = assert(api.contacts.list{ orderBy = "email", orderByDir = "DESC" })
      assert.equal(4, page.total)
      local emails = {}
      for i, c in ipairs(page.items) do emails[i] = c.fields.all.email end
      assert.same({ "cara@example.com", "bob@example.com", "ann@example.com", "ann+test@example.org" }, emails)
    end)

    it("sends search with % wildcards and + as %2B", function()
      local page = assert(api.contacts.list{ search = "email:%@example.org" })
      assert.equal(1, page.total)
      page = assert(api.contacts.list{ search = "ann+test@example.org" })
      assert.equal(1, page.total)
      assert.matches("search=ann%2Btest%40example.org", fake.last("GET").query, 1, true)
    end)

    it("pages with start and limit while total stays the whole count", function()
      local page = assert(api.contacts.list{ start = 0, limit = 2, orderBy = "id" })
      assert.equal(4, page.total)
      assert.equal(2, #page.items)
      local rest = assert(api.contacts.list{ start = 2, limit = 2, orderBy = "id" })
      assert.equal(2, #rest.items)
      assert.not_equal(page.items[1].id, rest.items[1].id)
    end)

    it("encodes where clauses as PHP nested parameters", function()
      local page = assert(api.contacts.list{ where = { { col = "phone", expr = "in", val = "1,2" } } })
      assert.equal(2, page.total)
      -- the fake parses the query as PHP does: where[0][col] becomes nested tables
      local where = fake.last("GET").args.where["0"]
      assert.same({ col = "phone", expr = "in", val = "1,2" }, where)
    end)

    it("sends booleans as 1 and 0, and publishedOnly as published (what Mautic reads)", function()
      assert(api.contacts.list{ publishedOnly = true, minimal = false })
      local q = fake.last("GET").query
      assert.matches("published=1", q, 1, true)
      assert.not_matches("publishedOnly", q, 1, true)
      assert.matches("minimal=0", q, 1, true)
    end)

    it("refuses a query parameter Mautic would ignore, before sending, with the nearest one", function()
      fake.clear_log()
      assert.has_error(function() api.contacts.list{ serach = "email:a%" } end,
        "bad argument #1 to 'contacts.list' (unknown query parameter 'serach'; did you mean 'search'?)")
      assert.has_error(function() api.segments.each{ orderby = "id" } end,
        "bad argument #1 to 'segments.each' (unknown query parameter 'orderby'; did you mean 'orderBy'?)")
      assert.has_error(function() api.contacts.list{ limit = -1 } end,
        "bad argument #1 to 'contacts.list' (limit: an integer >= 0 expected, got -1)")
      assert.same({}, fake.log())
    end)

    it("gives an empty page for a search that matches nothing", function()
      local page = assert(api.contacts.list{ search = "email:nobody%" })
      assert.same({ total = 0, items = {} }, page)
    end)
  end)

  describe("each", function()
    it("walks every page without skipping or repeating", function()
      local rows = {}
      for i = 1, 23 do rows[i] = { email = ("p%02d@example.com"):format(i) } end
      assert(api.contacts.create_batch(rows))
      local seen, count = {}, 0
      for c in api.contacts.each{ search = "email:p%", page_size = 5 } do
        assert.is_nil(seen[c.id])
        seen[c.id] = true
        count = count + 1
      end
      assert.equal(23, count)
      -- the pages asked for, by offset (a GET may be retried after a transport hiccup)
      local starts = {}
      for _, r in ipairs(fake.log()) do
        if r.method == "GET" and r.path == "/api/contacts" then starts[tonumber(r.args.start)] = true end
      end
      assert.same({ [0] = true, [5] = true, [10] = true, [15] = true, [20] = true }, starts)
    end)

    it("stops after limit items, and asks for no more than it still needs", function()
      for i = 1, 4 do assert(api.contacts.create{ email = i .. "@l.test" }) end
      local function limits_asked(q)
        fake.clear_log()
        local n = 0
        for _ in api.contacts.each(q) do n = n + 1 end
        local asked = {}
        for _, r in ipairs(fake.log()) do
          if r.method == "GET" and r.path == "/api/contacts" then asked[#asked + 1] = tonumber(r.args.limit) end
        end
        return n, asked
      end
      local n, asked = limits_asked{ limit = 3, page_size = 2 }
      assert.equal(3, n)
      assert.same({ 2, 1 }, asked)
      n, asked = limits_asked{ limit = 3, page_size = 100000 }
      assert.equal(3, n)
      assert.same({ 3 }, asked)
    end)

    it("raises the error object when a page fails mid-way", function()
      for i = 1, 4 do assert(api.contacts.create{ email = i .. "@e.test" }) end
      fake.fault{ path = "^/api/contacts$", status = 500, count = 1, body = "<html>oops</html>",
                  content_type = "text/html", skip = 1 }
      local ok, err = pcall(function()
        for _ in api.contacts.each{ page_size = 2 } do end
      end)
      assert.is_false(ok)
      assert.equal(500, err.status)
    end)
  end)

  describe("edit and delete", function()
    it("PATCHes, and 404s on a missing id", function()
      local c = assert(api.contacts.create{ email = "e@example.com", firstname = "E" })
      local e = assert(api.contacts.edit(c.id, { firstname = "B" }))
      assert.equal("B", e.fields.all.firstname)
      assert.equal("PATCH", fake.last().method)
      local _, err = api.contacts.edit(99999, { firstname = "B" })
      assert.equal(404, err.status)
    end)

    it("PUTs with { create = true }, creating when missing", function()
      local c = assert(api.contacts.edit(99999, { email = "new@example.com" }, { create = true }))
      assert.equal("PUT", fake.last().method)
      assert.equal("/api/contacts/99999/edit", fake.last().path)
      assert.equal(201, api.last_response().status)
      assert.not_equal(99999, c.id)
    end)

    it("deletes and 404s the second time", function()
      local c = assert(api.contacts.create{ email = "d@example.com" })
      local gone = assert(api.contacts.delete(c.id))
      assert.equal("d@example.com", gone.fields.all.email)
      assert.equal("DELETE", fake.last().method)
      local _, err = api.contacts.delete(c.id)
      assert.equal(404, err.status)
    end)
  end)

  describe("batches", function()
    it("chunks creates to the batch limit and merges results in input order", function()
      local rows = {}
      for i = 1, 450 do rows[i] = { email = ("b%03d@example.com"):format(i) } end
      local results = assert(api.contacts.create_batch(rows))
      assert.equal(450, #results)
      for i, r in ipairs(results) do
        assert.is_true(r.ok)
        assert.equal(201, r.status)
        assert.equal(("b%03d@example.com"):format(i), r.item.fields.all.email)
      end
      local sizes = {}
      for _, r in ipairs(fake.log()) do
        if r.path == "/api/contacts/batch/new" then sizes[#sizes + 1] = #mautic.json.decode(r.body) end
      end
      assert.same({ 200, 200, 50 }, sizes)
    end)

    it("honours a smaller batch_limit", function()
      local small = fake.client{ batch_limit = 2 }
      assert(small.contacts.create_batch{ { email = "1@x.test" }, { email = "2@x.test" }, { email = "3@x.test" } })
      local n = 0
      for _, r in ipairs(fake.log()) do if r.path == "/api/contacts/batch/new" then n = n + 1 end end
      assert.equal(2, n)
    end)

    it("reports a per-item error with its status, keeping the others", function()
      local results = assert(api.contacts.create_batch({
        { email = "ok1@example.com" }, { email = "not-an-email" }, { email = "ok2@example.com" } },
        { strict_fields = false }))
      assert.is_true(results[1].ok)
      assert.equal("ok1@example.com", results[1].item.fields.all.email)
      assert.is_false(results[2].ok)
      assert.equal(400, results[2].status)
      assert.is_table(results[2].error.details.email)
      assert.equal("ok2@example.com", results[3].item.fields.all.email)
    end)

    it("edits in batches, reporting missing ids as 404 items", function()
      local a = assert(api.contacts.create{ email = "x1@example.com" })
      local results = assert(api.contacts.edit_batch{ { id = a.id, firstname = "X" }, { id = 99999, firstname = "Y" } })
      assert.is_true(results[1].ok)
      assert.equal("X", results[1].item.fields.all.firstname)
      assert.equal(404, results[2].status)
      assert.equal("PATCH", fake.last().method)
    end)

    it("deletes in batches by id", function()
      local a = assert(api.contacts.create{ email = "y1@example.com" })
      local b = assert(api.contacts.create{ email = "y2@example.com" })
      local results = assert(api.contacts.delete_batch{ a.id, 99999, b.id })
      assert.same({ true, false, true }, { results[1].ok, results[2].ok, results[3].ok })
      assert.equal(404, results[2].status)
      assert.equal("ids=" .. a.id .. "%2C99999%2C" .. b.id, fake.last("DELETE").query)
    end)

    it("stops at a failed chunk and hands back what went through", function()
      local rows = {}
      for i = 1, 5 do rows[i] = { email = i .. "@c.test" } end
      fake.fault{ path = "^/api/contacts/batch/new$", status = 500, count = 1, skip = 1,
                  body = '{"errors":[{"message":"Looks like I encountered an error (error #500).","code":500,"type":null}]}' }
      local results, err = api.contacts.create_batch(rows, { batch_limit = 2 })
      assert.is_nil(results)
      assert.equal(500, err.status)
      assert.equal(2, err.completed)
      -- the two rows that went through, then the two of the failed chunk, flagged
      assert.equal(4, #err.results)
      assert.is_true(err.results[1].ok and err.results[2].ok)
      for i = 3, 4 do
        assert.is_false(err.results[i].ok)
        assert.is_true(err.results[i].maybe_applied)
        assert.equal(500, err.results[i].status)
      end
      assert.is_nil(err.results[5])
    end)

    it("raises for rows that are not an array of tables", function()
      assert.has_error(function() api.contacts.create_batch{ "a" } end)
      assert.has_error(function() api.contacts.edit_batch{ { firstname = "no id" } } end)
      assert.has_error(function() api.contacts.delete_batch{ "x" } end)
    end)
  end)

  describe("points, do-not-contact and utm", function()
    local c
    before_each(function() c = assert(api.contacts.create{ email = "p@example.com" }) end)

    it("adds and subtracts points, with an event name", function()
      assert(api.contacts.add_points(c.id, 10, { eventName = "import" }))
      local r = fake.last("POST")
      assert.equal("/api/contacts/" .. c.id .. "/points/plus/10", r.path)
      assert.equal("import", mautic.json.decode(r.body).eventName)
      assert(api.contacts.subtract_points(c.id, 3))
      assert.equal(7, api.contacts.get(c.id).points)
    end)

    it("adds and removes do-not-contact", function()
      local got = assert(api.contacts.add_dnc(c.id, "email", { reason = 3, comments = "asked" }))
      assert.equal(c.id, got.id)
      assert.equal("/api/contacts/" .. c.id .. "/dnc/email/add", fake.last("POST").path)
      assert(api.contacts.remove_dnc(c.id, "email"))
      assert.equal("/api/contacts/" .. c.id .. "/dnc/email/remove", fake.last("POST").path)
    end)

    it("adds and removes utm tags", function()
      local got = assert(api.contacts.add_utm(c.id, { utm_source = "newsletter", utm_medium = "email" }))
      assert.equal(c.id, got.id)
      local utm = got.utmtags and got.utmtags[1]
      assert.is_table(utm)
      assert(api.contacts.remove_utm(c.id, utm.id))
      assert.equal(("/api/contacts/%d/utm/%d/remove"):format(c.id, utm.id), fake.last("POST").path)
    end)

    it("percent-encodes text path parameters", function()
      api.contacts.add_dnc(c.id, "../x")
      assert.equal("/api/contacts/" .. c.id .. "/dnc/..%2Fx/add", fake.last("POST").raw_path or fake.last("POST").path)
    end)
  end)

  describe("lookups", function()
    it("lists owners, fields and a contact's sub-resources", function()
      local c = assert(api.contacts.create{ email = "s@example.com" })
      local owners = assert(api.contacts.get_owners())
      assert.is_number(owners[1].id)
      local fields = assert(api.contacts.get_fields())
      local aliases = {}
      for _, f in pairs(fields) do aliases[f.alias] = true end
      assert.is_true(aliases.email)
      assert.is_true(aliases.firstname)
      local seg = assert(api.segments.create{ name = "VIP" })
      assert(api.segments.add_contact(seg.id, c.id))
      local segs = assert(api.contacts.get_segments(c.id))
      assert.equal(1, segs.total)
      assert.equal("VIP", segs.items[1].name)
      for _, verb in ipairs{ "get_notes", "get_campaigns", "get_companies", "get_devices" } do
        local page = assert(api.contacts[verb](c.id))
        assert.equal(0, page.total)
        assert.equal("/api/contacts/" .. c.id .. "/" .. verb:sub(5), fake.last("GET").path)
      end
      local act = assert(api.contacts.get_activity(c.id, { limit = 5 }))
      assert.is_table(act.events)
    end)
  end)
end)
