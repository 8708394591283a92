-- The fake Mautic server answers like a real Mautic 5.1 (see
-- reference/real-mautic-5.1/SUMMARY.md); these specs drive it over HTTP with curl.
local S = require "spec.fake_spec.support"
local json = S.json

local function keys(t) return json.keys(t) end

describe("fake Mautic server", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end

  describe("routing", function()
    it("answers an unknown route with Mautic's route 404 and no Mautic-Version", function()
      local r = req("GET", "/api/nosuchthing")
      assert.equal(404, r.status)
      assert.equal('{"errors":[{"message":"Requested URL not found: \\/api\\/nosuchthing","code":404,"type":null}]}', r.raw)
      assert.is_nil(r.headers["mautic-version"])
      assert.equal("application/json", r.headers["content-type"])
    end)

    it("answers a wrong method with a route 404, never 405", function()
      for _, c in ipairs({ { "DELETE", "/api/contacts/new" }, { "GET", "/api/contacts/new" },
                           { "POST", "/api/contacts" }, { "GET", "/api/contacts/1/delete" },
                           { "POST", "/api/contacts/1/edit" }, { "PUT", "/api/contacts/1" },
                           { "GET", "/api/contacts/batch/delete" } }) do
        local r = req(c[1], c[2], { json = {} })
        assert.equal(404, r.status, c[1] .. " " .. c[2])
        assert.equal("Requested URL not found: " .. c[2], r.body.errors[1].message)
        assert.is_nil(r.headers["mautic-version"])
      end
    end)

    it("treats a non-numeric id as an unknown route", function()
      local r = req("GET", "/api/contacts/abc")
      assert.equal(404, r.status)
      assert.equal(json.null, r.body.errors[1].type)
    end)

    it("redirects a trailing slash with 301", function()
      local r = req("GET", "/api/contacts/")
      assert.equal(301, r.status)
      assert.matches("/api/contacts$", r.headers["location"])
    end)

    it("serves everything under the /index.php front controller too", function()
      local r = req("POST", "/index.php/api/segments/new", { json = { name = "Via index" } })
      assert.equal(201, r.status)
      assert.equal("/index.php/api/segments/1", r.headers["location"])
      r = req("GET", "/index.php/api/segments/1")
      assert.equal("Via index", r.body.list.name)
      assert.equal(1, req("GET", "/api/segments").body.total)
      r = req("GET", "/index.php/api/segments/1", { auth = false })
      assert.equal(401, r.status)
      r = req("GET", "/index.php/api/nosuchthing")
      assert.equal("Requested URL not found: /index.php/api/nosuchthing", r.body.errors[1].message)
      r = req("GET", "/index.php/api/contacts/")
      assert.equal(301, r.status)
      assert.matches("/index.php/api/contacts$", r.headers["location"])
      r = req("POST", "/index.php/oauth/v2/token", { auth = false,
        form = "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret" })
      assert.equal(200, r.status)
      assert.truthy(r.body.access_token)
    end)

    it("answers HEAD with an empty body and OPTIONS with 204", function()
      local r = req("HEAD", "/api/contacts")
      assert.equal(200, r.status)
      assert.is_nil(r.raw:find('"total"', 1, true))    -- curl -I: headers only, no body
      r = req("OPTIONS", "/api/contacts")
      assert.equal(204, r.status)
    end)
  end)

  describe("authentication", function()
    it("denies a request without credentials with 401 access_denied", function()
      local r = req("GET", "/api/contacts", { auth = false })
      assert.equal(401, r.status)
      assert.equal('{"errors":[{"message":"API authorization denied.","code":401,"type":"access_denied"}]}', r.raw)
      assert.is_nil(r.headers["mautic-version"])
      assert.is_nil(r.headers["www-authenticate"])
    end)

    it("checks authentication before routing", function()
      local r = req("GET", "/api/nosuchthing", { auth = false })
      assert.equal(401, r.status)
    end)

    it("rejects a wrong password", function()
      local r = req("GET", "/api/contacts", { auth = "admin:wrong" })
      assert.equal(401, r.status)
      assert.equal("Authorization denied, invalid credentials.", r.body.errors[1].message)
      assert.equal("access_denied", r.body.errors[1].type)
    end)

    it("accepts users added through /__fake/config", function()
      local c = req("POST", "/__fake/config", { auth = false, json = { users = { bob = "s3cret" } } })
      assert.equal(200, c.status)
      assert.equal(200, req("GET", "/api/tags", { auth = "bob:s3cret" }).status)
    end)
  end)

  describe("contacts", function()
    local CONTACT_KEYS = { "isPublished", "dateAdded", "dateModified", "createdBy", "createdByUser",
      "modifiedBy", "modifiedByUser", "id", "points", "color", "fields", "lastActive", "owner",
      "ipAddresses", "tags", "utmtags", "stage", "dateIdentified", "preferredProfileImage",
      "doNotContact", "frequencyRules" }

    local function create(t) return req("POST", "/api/contacts/new", { json = t }) end

    it("answers an empty list with a string total and {}", function()
      local r = req("GET", "/api/contacts")
      assert.equal(200, r.status)
      assert.equal('{"total":"0","contacts":{}}', r.raw)
      assert.equal("5.1.0", r.headers["mautic-version"])
    end)

    it("creates with 201, a relative Location and the real entity shape", function()
      local r = create{ email = "ann+test@example.com", firstname = "Ann", lastname = "Alpha",
                        city = "Boston", tags = { "golden", "vip" } }
      assert.equal(201, r.status)
      assert.equal("/api/contacts/1", r.headers["location"])
      local c = r.body.contact
      assert.same(CONTACT_KEYS, keys(c))
      assert.same({ "core", "social", "personal", "professional", "all" }, keys(c.fields))
      assert.equal("Ann", c.fields.core.firstname.value)
      assert.equal("1", c.fields.all.id)
      assert.equal(2, #c.tags)
      assert.equal("golden", c.tags[1].tag)
      assert.equal(json.null, c.utmtags)
      local g = req("GET", "/api/contacts/1").body.contact
      assert.same(CONTACT_KEYS, keys(g))
      assert.equal("1", g.fields.core.title.id)      -- read back as database rows
    end)

    it("merges a duplicate email (any case) with 200 and no Location", function()
      create{ email = "bob@example.com", firstname = "Bob" }
      local r = create{ email = "BOB@EXAMPLE.COM", lastname = "Bravo" }
      assert.equal(200, r.status)
      assert.is_nil(r.headers["location"])
      assert.equal(1, r.body.contact.id)
      assert.equal("BOB@EXAMPLE.COM", r.body.contact.fields.all.email)
      assert.equal("Bob", r.body.contact.fields.all.firstname)
    end)

    it("validates email with a 400 keyed by field", function()
      local r = create{ email = "not-an-email" }
      assert.equal(400, r.status)
      assert.equal('{"errors":[{"code":400,"message":"email: not-an-email is invalid.","details":{"email":["not-an-email is invalid."]}}]}', r.raw)
    end)

    it("accepts form-urlencoded bodies and rejects malformed JSON", function()
      local r = req("POST", "/api/contacts/new", { form = "email=form%2Burl%40example.com&firstname=Form" })
      assert.equal(201, r.status)
      assert.equal("form+url@example.com", r.body.contact.fields.all.email)
      r = req("POST", "/api/contacts/new", { json = '{"email": "broken@example.com",' })
      assert.equal(400, r.status)
      assert.is_nil(r.headers["mautic-version"])
      assert.matches("error #400", r.body.errors[1].message)
    end)

    describe("listing", function()
      before_each(function()
        create{ email = "ann+test@example.com", firstname = "Ann", lastname = "Alpha" }
        create{ email = "bob@example.com", firstname = "Bob", lastname = "Bravo" }
        create{ email = "carol@example.org", firstname = "Carol", lastname = "Charlie" }
        create{}
      end)

      local function ids(r) return keys(r.body.contacts) end

      it("keys the list by id in orderBy order, nulls last when descending", function()
        local r = req("GET", "/api/contacts", { query = "orderBy=email&orderByDir=desc" })
        assert.same({ "3", "2", "1", "4" }, ids(r))
        r = req("GET", "/api/contacts", { query = "orderBy=id&orderByDir=desc" })
        assert.same({ "4", "3", "2", "1" }, ids(r))
      end)

      it("pages with start/limit while total stays a string of all rows", function()
        local r = req("GET", "/api/contacts", { query = "start=2&limit=1&orderBy=id&orderByDir=asc" })
        assert.equal("4", r.body.total)
        assert.same({ "3" }, ids(r))
        r = req("GET", "/api/contacts", { query = "start=100&limit=2" })
        assert.equal('{"total":"4","contacts":{}}', r.raw)
        r = req("GET", "/api/contacts", { query = "limit=0" })
        assert.equal(4, #ids(r))
      end)

      it("searches with the Mautic syntax", function()
        local function found(q) return ids(req("GET", "/api/contacts", { query = q })) end
        assert.same({ "1" }, found("search=ann%2Btest%40example.com"))
        assert.same({ "1" }, found("search=ann+test@example.com"))
        assert.same({ "1" }, found("search=email%3Aann%2Btest%40example.com"))
        assert.same({ "1", "2" }, found("search=email:%25@example.com"))
        assert.same({ "1", "3" }, found("search=ids:1,3"))
        assert.same({ "4" }, found("search=is:anonymous"))
        assert.same({ "1", "2", "3" }, found("search=!is:anonymous"))
        assert.same({ "2" }, found("search=Bravo"))
        assert.same({}, found("search=zzz-no-such-contact"))
      end)

      it("filters with where[] and fails on unknown columns with a generic 500", function()
        local r = req("GET", "/api/contacts", { query = "where[0][col]=email&where[0][expr]=like&where[0][val]=%25example.com" })
        assert.same({ "1", "2" }, ids(r))
        r = req("GET", "/api/contacts", { query = "where[0][col]=nosuchcolumn&where[0][expr]=eq&where[0][val]=x" })
        assert.equal(500, r.status)
        assert.is_nil(r.headers["mautic-version"])
        r = req("GET", "/api/contacts", { query = "orderBy=nosuchcolumn" })
        assert.equal(500, r.status)
      end)
    end)

    it("edits with PATCH (404 when missing) and creates with PUT on a missing id", function()
      create{ email = "a@example.com" }
      local r = req("PATCH", "/api/contacts/99999/edit", { json = { lastname = "Ghost" } })
      assert.equal(404, r.status)
      assert.equal('{"errors":[{"code":404,"message":"Item was not found.","details":[]}]}', r.raw)
      r = req("PUT", "/api/contacts/99999/edit", { json = { email = "put@example.com" } })
      assert.equal(201, r.status)
      assert.equal("/api/contacts/2", r.headers["location"])
      r = req("PATCH", "/api/contacts/1/edit", { json = { tags = { "x", "y" } } })
      assert.equal(2, #r.body.contact.tags)
      r = req("PATCH", "/api/contacts/1/edit", { json = { tags = { "-x" } } })
      assert.equal(1, #r.body.contact.tags)
      assert.equal("y", r.body.contact.tags[1].tag)
    end)

    it("deletes, answering the entity with a null id", function()
      create{ email = "a@example.com" }
      local r = req("DELETE", "/api/contacts/1/delete")
      assert.equal(200, r.status)
      assert.equal(json.null, r.body.contact.id)
      assert.equal(404, req("GET", "/api/contacts/1").status)
    end)

    describe("batches", function()
      it("answers 201 with statusCodes and errors keyed by input index", function()
        local r = req("POST", "/api/contacts/batch/new", { json = json.A{
          { email = "b3@example.com" }, { email = "not-an-email" }, { email = "b4@example.com" } } })
        assert.equal(201, r.status)
        assert.same({ "contacts", "statusCodes", "errors" }, keys(r.body))
        assert.same({ "0", "2" }, keys(r.body.contacts))
        assert.same({ 201, 400, 201 }, { r.body.statusCodes[1], r.body.statusCodes[2], r.body.statusCodes[3] })
        assert.equal('{"code":400,"message":"email: not-an-email is invalid.","details":{"email":["not-an-email is invalid."]},"type":null}',
          json.encode(r.body.errors["1"]))
      end)

      it("answers a list when all items succeed", function()
        local r = req("POST", "/api/contacts/batch/new", { json = json.A{ { email = "x@example.com" } } })
        assert.equal(201, r.status)
        assert.is_true(json.is_arr(r.body.contacts))
        r = req("POST", "/api/contacts/batch/new", { json = json.A{} })
        assert.equal('{"contacts":[],"statusCodes":[]}', r.raw)
      end)

      it("refuses more than 200 items with a handled 500", function()
        local items = json.A{}
        for i = 1, 201 do items[i] = { email = "over" .. i .. "@example.com" } end
        local r = req("POST", "/api/contacts/batch/new", { json = items })
        assert.equal(500, r.status)
        assert.equal('{"errors":[{"code":500,"message":"A max of 200 entities are supported at a time.","details":[]}]}', r.raw)
        assert.equal("5.1.0", r.headers["mautic-version"])
        assert.equal('{"total":"0","contacts":{}}', req("GET", "/api/contacts").raw)
      end)

      it("reports missing ids in batch/edit and deletes with ids[] or ids=1,2", function()
        req("POST", "/api/contacts/batch/new", { json = json.A{ { email = "1@example.com" }, { email = "2@example.com" }, { email = "3@example.com" } } })
        local r = req("PATCH", "/api/contacts/batch/edit", { json = json.A{ { id = 1, city = "Oslo" }, { id = 99999 } } })
        assert.equal(200, r.status)
        assert.equal('{"message":"Item was not found.","code":404,"type":"api"}', json.encode(r.body.errors["1"]))
        r = req("DELETE", "/api/contacts/batch/delete", { query = "ids[]=1&ids[]=2" })
        assert.equal(2, #r.body.contacts)
        assert.equal(1, r.body.contacts[1].id)
        r = req("DELETE", "/api/contacts/batch/delete", { query = "ids=3" })
        assert.equal(1, #r.body.contacts)
      end)
    end)

    it("adds points and answers {\"success\":1}", function()
      create{ email = "a@example.com" }
      local r = req("POST", "/api/contacts/1/points/plus/10")
      assert.equal('{"success":1}', r.raw)
      req("POST", "/api/contacts/1/points/minus/3")
      assert.equal(7, req("GET", "/api/contacts/1").body.contact.points)
      assert.equal("Contact not found.", req("POST", "/api/contacts/9/points/plus/1").body.errors[1].message)
      assert.equal(500, req("POST", "/api/contacts/1/points/plus/abc").status)
    end)
  end)

  describe("segments (keyed family with an integer total)", function()
    local SEGMENT_KEYS = { "isPublished", "dateAdded", "dateModified", "createdBy", "createdByUser",
      "modifiedBy", "modifiedByUser", "id", "name", "publicName", "alias", "description", "category",
      "filters", "isGlobal", "isPreferenceCenter" }

    it("lists [] when empty and an object keyed by id otherwise", function()
      assert.equal('{"total":0,"lists":[]}', req("GET", "/api/segments").raw)
      local r = req("POST", "/api/segments/new", { json = { name = "Golden Segment 1" } })
      assert.equal(201, r.status)
      assert.equal("/api/segments/1", r.headers["location"])
      assert.same(SEGMENT_KEYS, keys(r.body.list))
      assert.equal("golden-segment-1", r.body.list.alias)
      local l = req("GET", "/api/segments")
      assert.equal(1, l.body.total)
      assert.same({ "1" }, keys(l.body.lists))
    end)

    it("validates the name", function()
      local r = req("POST", "/api/segments/new", { json = { description = "no name" } })
      assert.equal('{"errors":[{"code":400,"message":"name: A name is required.","details":{"name":["A name is required."]}}]}', r.raw)
    end)

    it("replaces on PUT (omitted booleans become false)", function()
      req("POST", "/api/segments/new", { json = { name = "S1" } })
      local r = req("PUT", "/api/segments/1/edit", { json = { name = "S3" } })
      assert.equal(200, r.status)
      assert.is_false(r.body.list.isPublished)
      assert.equal("s3", r.body.list.alias)
    end)

    it("manages membership", function()
      req("POST", "/api/segments/new", { json = { name = "Seg" } })
      req("POST", "/api/contacts/new", { json = { email = "a@example.com" } })
      req("POST", "/api/contacts/new", { json = { email = "b@example.com" } })
      assert.equal('{"success":1}', req("POST", "/api/segments/1/contact/1/add").raw)
      local r = req("POST", "/api/segments/1/contacts/add", { json = { ids = json.A{ 2, 99999 } } })
      assert.equal('{"success":1,"details":{"2":{"success":true},"99999":{"success":false}}}', r.raw)
      r = req("POST", "/api/segments/1/contacts/add", { form = "ids[]=1&ids[]=2" })
      assert.equal(200, r.status)
      r = req("GET", "/api/contacts/1/segments")
      assert.equal(1, r.body.total)
      assert.same({ "1" }, keys(r.body.lists))
      assert.equal(2, #keys(req("GET", "/api/contacts", { query = "search=segment:seg" }).body.contacts))
      req("POST", "/api/segments/1/contact/1/remove")
      assert.equal('{"total":0,"lists":[]}', req("GET", "/api/contacts/1/segments").raw)
      assert.equal("Contact not found.", req("POST", "/api/segments/1/contact/99/add").body.errors[1].message)
    end)
  end)

  describe("an array family (stages) and a keyed family (tags)", function()
    it("lists stages as an array", function()
      req("POST", "/api/stages/new", { json = { name = "Golden Stage 1", weight = 1 } })
      req("POST", "/api/stages/new", { json = { name = "Golden Stage 2", weight = 2 } })
      local r = req("GET", "/api/stages", { query = "orderBy=id&orderByDir=desc" })
      assert.equal(2, r.body.total)
      assert.is_true(json.is_arr(r.body.stages))
      assert.equal(2, r.body.stages[1].id)
      assert.same({ "isPublished", "dateAdded", "dateModified", "createdBy", "createdByUser", "modifiedBy",
        "modifiedByUser", "id", "name", "category", "weight", "description", "publishUp", "publishDown" },
        keys(r.body.stages[1]))
    end)

    it("keys tags by id following orderBy", function()
      req("POST", "/api/contacts/new", { json = { email = "a@example.com", tags = { "golden", "vip" } } })
      req("POST", "/api/tags/new", { json = { tag = "newtag" } })
      local r = req("GET", "/api/tags", { query = "orderBy=tag&orderByDir=desc" })
      assert.same({ "2", "3", "1" }, keys(r.body.tags))
      assert.same({ "id", "tag", "description" }, keys(r.body.tags["1"]))
      assert.equal(500, req("POST", "/api/tags/new", { json = {} }).status)
    end)

    it("seeds the 28 contact fields, 15 company fields, one role and one user", function()
      assert.equal(28, req("GET", "/api/fields/contact").body.total)
      assert.equal(15, req("GET", "/api/fields/company").body.total)
      assert.equal(1, req("GET", "/api/roles").body.total)
      local r = req("POST", "/api/fields/contact/new", { json = { label = "Golden Field 1", type = "text" } })
      assert.equal("/api/fields/contact/44", r.headers["location"])
      assert.equal("golden_field_1", r.body.field.alias)
    end)
  end)

  describe("faults", function()
    local function fault(f) assert.equal(200, req("POST", "/__fake/fault", { auth = false, json = f }).status) end

    it("drops the connection", function()
      fault{ path = "^/api/contacts$", drop = true }
      local r = req("GET", "/api/contacts")
      assert.equal(0, r.status)
      assert.equal(200, req("GET", "/api/contacts").status)     -- count 1 was used up
    end)

    it("answers a canned HTML body", function()
      fault{ path = "^/api/contacts", status = 502, body = "<html>Bad Gateway</html>", content_type = "text/html", count = 2 }
      for _ = 1, 2 do
        local r = req("GET", "/api/contacts")
        assert.equal(502, r.status)
        assert.equal("<html>Bad Gateway</html>", r.raw)
        assert.equal("text/html", r.headers["content-type"])
      end
      assert.equal(200, req("GET", "/api/contacts").status)
    end)

    it("delays the answer", function()
      fault{ path = "^/api/tags", delay = 0.6 }
      local t0 = os.time()
      local r = req("GET", "/api/tags", { timeout = 0.3 })
      assert.equal(0, r.status)     -- timed out
      fault{ path = "^/api/tags", delay = 0.3 }
      r = req("GET", "/api/tags", { timeout = 5 })
      assert.equal(200, r.status)
      assert.is_true(os.time() - t0 < 5)
    end)
  end)

  describe("rate limiting", function()
    it("counts per credential and answers 429 without Mautic-Version", function()
      req("POST", "/__fake/config", { auth = false, json = { rate_limit = 2 } })
      local r1 = req("GET", "/api/tags")
      assert.equal("2", r1.headers["x-ratelimit-limit"])
      assert.equal("1", r1.headers["x-ratelimit-remaining"])
      assert.truthy(tonumber(r1.headers["x-ratelimit-reset"]))
      req("GET", "/api/segments")
      local r3 = req("GET", "/api/contacts")
      assert.equal(429, r3.status)
      assert.equal('{ "errors": [ { "code": 429, "message": "You exceeded the rate limit of 2 API calls per hour.", "details": [] } ]}', r3.raw)
      assert.is_nil(r3.headers["mautic-version"])
      assert.is_nil(r3.headers["retry-after"])
      assert.equal("0", r3.headers["x-ratelimit-remaining"])
    end)
  end)

  describe("the log", function()
    it("records API requests, oldest first, with secrets redacted", function()
      req("POST", "/api/contacts/new", { json = { email = "log@example.com" }, query = "x=1" })
      req("POST", "/api/users/new", { json = { username = "u", plainPassword = { password = "Hunter2!x", confirm = "Hunter2!x" } } })
      req("GET", "/api/tags", { auth = false, query = "access_token=tok123" })
      local r = req("GET", "/__fake/log", { auth = false })
      assert.equal(200, r.status)
      local log = r.body
      assert.equal(3, #log)
      local e = log[1]
      assert.equal("POST", e.method)
      assert.equal("/api/contacts/new", e.path)
      assert.equal("x=1", e.query)
      assert.equal("1", e.args.x)
      assert.equal("application/json", e.content_type)
      assert.matches("log@example.com", e.body)
      assert.equal("<redacted>", e.headers.authorization)
      assert.equal("basic:admin", e.auth)
      assert.equal(201, e.status)
      assert.not_matches("Hunter2", r.raw)
      assert.not_matches("tok123", r.raw)
      assert.not_matches("mautic", r.raw)          -- the Basic password
      assert.equal(200, req("DELETE", "/__fake/log", { auth = false }).status)
      assert.equal("[]", req("GET", "/__fake/log", { auth = false }).raw)
    end)

    it("exposes the stored entities", function()
      req("POST", "/api/segments/new", { json = { name = "S" } })
      local r = req("GET", "/__fake/state/segments", { auth = false })
      assert.equal(1, #r.body)
      assert.equal("S", r.body[1].name)
    end)
  end)
end)

describe("bin/fake-mautic", function()
  it("runs two servers at once on different ports", function()
    local a = S.start()
    local b = S.start()
    finally(function() S.stop(a); S.stop(b) end)
    assert.are_not.equal(a.url, b.url)
    S.request(a, "POST", "/api/segments/new", { json = { name = "only in a" } })
    assert.equal(1, S.request(a, "GET", "/api/segments").body.total)
    assert.equal(0, S.request(b, "GET", "/api/segments").body.total)
  end)

  it("stops itself when the watched process is gone", function()
    local pid = S.sh("sleep 30 >/dev/null 2>&1 & echo $!"):match("%d+")
    local dir = os.tmpname(); os.remove(dir)
    local srv = { pid_file = dir .. ".pid" }
    local out, code = S.sh(S.root .. "/bin/fake-mautic start --pid-file " .. srv.pid_file .. " --watch-pid " .. pid)
    assert.equal(0, code, out)
    srv.url = out:match("(http://[%d%.:]+)")
    assert.is_true(S.alive(srv))
    S.sh("kill " .. pid)
    local gone = false
    for _ = 1, 300 do    -- up to 30 s: the watcher polls, and a loaded machine is slow to stop nginx
      if not S.alive(srv) then gone = true; break end
      S.sh("sleep 0.1")
    end
    assert.is_true(gone)
  end)

  it("serves TLS with a self-signed certificate", function()
    local t = S.start("--tls")
    finally(function() S.stop(t) end)
    assert.matches("^https://", t.url)
    local ca = t.out:match("ca_file=(%S+)")
    assert.truthy(ca)
    local out = S.sh("curl -s --cacert " .. ca .. " -u admin:mautic " .. t.url .. "/api/tags")
    assert.equal('{"total":0,"tags":[]}', out)
  end)

  it("reports its status and stops", function()
    local t = S.start()
    local out = S.sh(S.root .. "/bin/fake-mautic status --pid-file " .. t.pid_file)
    assert.matches("running", out)
    S.stop(t)
    assert.is_false(S.alive(t))
  end)

  it("reports the running server on a second start with the same pid file instead of starting another", function()
    local t = S.start()
    finally(function() S.stop(t) end)
    local out, code = S.sh(S.root .. "/bin/fake-mautic start --pid-file " .. S.quote(t.pid_file) .. " 2>&1")
    assert.equal(0, code)
    assert.matches("already running", out)
    assert.equal(t.url, out:match("(http://127%.0%.0%.1:%d+)"))
    S.stop(t)
    assert.is_false(S.alive(t))
    assert.matches("stopped", (S.sh(S.root .. "/bin/fake-mautic status --pid-file " .. S.quote(t.pid_file))))
  end)

  it("keeps its state in --state-dir, one server per state dir", function()
    local dir = os.tmpname(); os.remove(dir)
    local cmd = S.root .. "/bin/fake-mautic %s --state-dir " .. S.quote(dir)
    finally(function() S.sh(cmd:format("stop") .. " 2>&1"); S.sh("rm -rf " .. S.quote(dir)) end)
    local first, code = S.sh(cmd:format("start") .. " 2>/dev/null")
    assert.equal(0, code)
    local url = first:match("(http://127%.0%.0%.1:%d+)")
    assert.truthy(url)
    assert.truthy(io.open(dir .. "/nginx.pid")):close()
    local again = S.sh(cmd:format("start") .. " 2>&1")
    assert.matches("already running", again)
    assert.equal(url, again:match("(http://127%.0%.0%.1:%d+)"))
    assert.matches("^running pid %d+ " .. url:gsub("%p", "%%%0") .. "\n$", (S.sh(cmd:format("status"))))
    S.sh(cmd:format("stop"))
    assert.matches("stopped", (S.sh(cmd:format("status"))))
  end)

  it("defaults its state to the checkout's own build/fake-mautic, not a shared /tmp folder", function()
    -- the exit status read by the shell: LuaJIT's popen close does not report it
    local out = S.sh("env -u FAKE_MAUTIC_DIR " .. S.root .. "/bin/fake-mautic stop --port 1 2>&1; echo \"rc=$?\"")
    assert.matches("rc=1\n$", out)
    out = out:gsub("rc=1\n$", "")
    local root = S.sh("cd " .. S.quote(S.root) .. " && pwd -P"):gsub("\n$", "")
    assert.equal("fake-mautic: no pid file " .. root .. "/build/fake-mautic/port-1/nginx.pid\n", out)
  end)

  it("removes the working folder of a server started with --pid-file when it stops", function()
    local t = S.start()
    local f = assert(io.open(t.pid_file .. ".dir"))
    local dir = f:read("*l"); f:close()
    assert.truthy(io.open(dir .. "/nginx.conf")):close()
    S.stop(t)
    assert.is_nil(io.open(dir .. "/nginx.conf"))
  end)
end)
