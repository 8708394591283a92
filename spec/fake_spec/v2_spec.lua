-- /api/v2 (API Platform) on a fake answering as Mautic 7.0: resources, media
-- types, collections, errors and headers, as reference/real-mautic-7.0
-- (SUMMARY.md Part 2) recorded them. Over HTTP with curl, like server_spec.lua.
local S = require "spec.fake_spec.support"
local json = S.json

local JSON, LD, MERGE, JSONAPI = "application/json", "application/ld+json", "application/merge-patch+json",
  "application/vnd.api+json"

describe("fake Mautic 7.0's /api/v2", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)
  before_each(function()
    S.reset(srv)
    local r = S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "7.0.0" } })
    assert.equal(200, r.status, r.raw)
  end)

  -- opts: accept, ct (Content-Type of body), body (a Lua value, encoded), query, auth
  local function v2(method, path, opts)
    opts = opts or {}
    local headers = { Accept = opts.accept }
    local body
    if opts.body ~= nil then
      body = type(opts.body) == "string" and opts.body or json.encode(opts.body)
      headers["Content-Type"] = opts.ct or JSON
    end
    return S.request(srv, method, "/api/v2" .. path, { headers = headers, body = body, query = opts.query,
                                                       auth = opts.auth })
  end

  local function create(path, body)
    local r = v2("POST", path, { body = body })
    assert.equal(201, r.status, r.raw)
    return r.body
  end

  describe("the entrypoint and documentation", function()
    it("lists the 33 collections as a JSON-LD Entrypoint", function()
      local r = v2("GET", "")
      assert.equal(200, r.status)
      assert.equal("Entrypoint", r.body["@type"])
      assert.equal(36, #json.keys(r.body))       -- @context, @id, @type and 33 collections
      assert.equal("/api/v2/contacts", r.body.contacts)
      assert.equal("/api/v2/lead_fields", r.body.leadField)
    end)

    it("refuses the entrypoint as plain JSON with 406 and docs.json with a 404 naming the format", function()
      assert.equal(406, v2("GET", "", { accept = JSON }).status)
      local r = v2("GET", "/docs.json")
      assert.equal(404, r.status)
      assert.equal('Format "json" is not supported', r.body.errors[1].message)
      assert.matches('\\u0022json\\u0022', r.raw, 1, true)
    end)

    it("serves an OpenAPI document of 66 paths, GET-only for downloads and ip_addresses", function()
      local r = v2("GET", "/docs.jsonopenapi")
      assert.equal(200, r.status)
      assert.equal("application/vnd.openapi+json; charset=utf-8", r.headers["content-type"])
      assert.equal(66, #json.keys(r.body.paths))
      assert.is_nil(r.body.paths["/api/v2/downloads"].post)
      assert.truthy(r.body.paths["/api/v2/tags/{id}"].patch)
      assert.equal(200, v2("GET", "/docs", { accept = "application/vnd.openapi+json" }).status)
    end)

    it("needs credentials for the documentation", function()
      assert.equal(401, v2("GET", "/docs.jsonopenapi", { auth = false }).status)
    end)
  end)

  describe("a contact", function()
    it("is created with 201, a relative Location and a .jsonld Content-Location, nulls left out", function()
      local r = v2("POST", "/contacts", { body = { email = "ann@example.com", firstname = "Ann" } })
      assert.equal(201, r.status)
      local id = r.body.id
      assert.equal("/api/v2/contacts/" .. id, r.headers["location"])
      assert.equal("/api/v2/contacts/" .. id .. ".jsonld", r.headers["content-location"])
      assert.same({ "@context", "@id", "@type", "id", "firstname", "email", "points", "dateIdentified", "tags" },
                  json.keys(r.body))
      assert.equal("Contacts", r.body["@type"])
      assert.same({}, r.body.tags)
    end)

    it("without an identifying value has no dateIdentified; {} and a bad email are accepted", function()
      assert.is_nil(create("/contacts", {}).dateIdentified)
      assert.equal("notanemail", create("/contacts", { email = "notanemail" }).email)
    end)

    it("refuses a value of the wrong type and an owner IRI that names nothing with a 500", function()
      assert.equal(500, v2("POST", "/contacts", { body = { firstname = { "a", "b" } } }).status)
      local r = v2("POST", "/contacts", { body = { owner = "/api/v2/users/99999" } })
      assert.equal(500, r.status)
      assert.equal('Item not found for "/api/v2/users/99999".', r.body.errors[1].message)
    end)

    it("takes a merge patch: a value is set, null removes one", function()
      local c = create("/contacts", { email = "m@example.com", city = "Rome", owner = "/api/v2/users/1" })
      assert.equal("/api/v2/users/1", c.owner)
      local r = v2("PATCH", "/contacts/" .. c.id, { ct = MERGE, body = { city = json.null, lastname = "L" } })
      assert.equal(200, r.status, r.raw)
      assert.is_nil(r.body.city)
      assert.equal("L", r.body.lastname)
      assert.equal("/api/v2/contacts/" .. c.id .. ".jsonld", r.headers["content-location"])
      assert.is_nil(v2("PATCH", "/contacts/" .. c.id, { ct = MERGE, body = { owner = json.null } }).body.owner)
    end)

    it("shows its tags as an object keyed by name; writes take such an object, a list is a 500", function()
      local t1, t2 = create("/tags", { tag = "alpha" }), create("/tags", { tag = "beta" })
      local c = create("/contacts", { email = "t@example.com",
                                      tags = { x = "/api/v2/tags/" .. t1.id, y = "/api/v2/tags/" .. t2.id } })
      assert.same({ "alpha", "beta" }, json.keys(c.tags))
      assert.equal("/api/v2/tags/" .. t2.id, c.tags.beta)
      assert.equal(500, v2("POST", "/contacts", { body = { tags = { "/api/v2/tags/" .. t1.id } } }).status)
      local r = v2("PATCH", "/contacts/" .. c.id, { ct = MERGE, body = '{"tags":{}}' })
      assert.same({}, r.body.tags)
    end)

    it("answers a PUT with a 500 and a missing id with a 404", function()
      local c = create("/contacts", { email = "p@example.com" })
      assert.equal(500, v2("PUT", "/contacts/" .. c.id, { body = { email = "q@example.com" } }).status)
      assert.equal("p@example.com", v2("GET", "/contacts/" .. c.id).body.email)
      assert.equal(404, v2("PUT", "/contacts/99999", { body = { email = "q@example.com" } }).status)
    end)

    it("is deleted with an empty 204, then 404s", function()
      local c = create("/contacts", { email = "d@example.com" })
      local r = v2("DELETE", "/contacts/" .. c.id)
      assert.equal(204, r.status)
      assert.equal("", r.raw)
      assert.is_nil(r.headers["content-type"])
      assert.equal(404, v2("GET", "/contacts/" .. c.id).status)
      assert.equal(404, v2("DELETE", "/contacts/" .. c.id).status)
    end)

    it("is the contact /api reads, and the other way round", function()
      local c = create("/contacts", { email = "both@example.com", firstname = "Both" })
      local r = S.request(srv, "GET", "/api/contacts/" .. c.id)
      assert.equal(200, r.status)
      assert.equal("Both", r.body.contact.fields.all.firstname)
      r = S.request(srv, "POST", "/api/contacts/new", { json = { email = "v1@example.com", tags = "red" } })
      assert.equal(201, r.status)
      local got = v2("GET", "/contacts/" .. r.body.contact.id).body
      assert.equal("v1@example.com", got.email)
      assert.same({ "red" }, json.keys(got.tags))
      -- a field /api/v2 does not know survives its writes
      r = S.request(srv, "PATCH", "/api/contacts/" .. c.id .. "/edit", { json = { website = "http://w.test" } })
      assert.equal(200, r.status)
      assert.equal(200, v2("PATCH", "/contacts/" .. c.id, { ct = MERGE, body = { city = "Oslo" } }).status)
      local all = S.request(srv, "GET", "/api/contacts/" .. c.id).body.contact.fields.all
      assert.equal("http://w.test", all.website)
      assert.equal("Oslo", all.city)
      -- /api's duplicate-email merge finds the contact /api/v2 made
      r = S.request(srv, "POST", "/api/contacts/new", { json = { email = "both@example.com" } })
      assert.equal(200, r.status)
      assert.equal(c.id, r.body.contact.id)
    end)
  end)

  describe("the other resources", function()
    it("replace on PUT: what a PUT leaves out goes back to the default, uuid included", function()
      local t = create("/tags", { tag = "t1", description = "d" })
      assert.truthy(t.uuid)
      local r = v2("PUT", "/tags/" .. t.id, { body = { tag = "t2" } })
      assert.equal(200, r.status)
      assert.same({ "@context", "@id", "@type", "id", "tag" }, json.keys(r.body))
      assert.equal("/api/v2/tags/" .. t.id .. ".jsonld", r.headers["content-location"])
      local h = create("/webhooks", { name = "H", webhookUrl = "http://x.test/h", secret = "s",
                                      triggers = { "mautic.email_on_open" } })
      assert.same({ "mautic.email_on_open" }, json.keys(h.events))
      r = v2("PUT", "/webhooks/" .. h.id, { body = { name = "H2", webhookUrl = "http://x.test/h", secret = "s" } })
      assert.same({}, r.body.events)
    end)

    it("apply the required-in-practice rules: 422 for the schema's, a generic 500 for the others", function()
      assert.equal(422, v2("POST", "/segments", { body = {} }).status)
      assert.equal(500, v2("POST", "/segments", { body = { name = "S", alias = "s" } }).status)
      assert.equal(201, v2("POST", "/segments", { body = { name = "S", alias = "s", publicName = "S" } }).status)
      assert.equal(422, v2("POST", "/categories", { body = {} }).status)
      assert.equal(500, v2("POST", "/categories", { body = { title = "C", bundle = "global" } }).status)
      assert.equal(500, v2("POST", "/tags", { body = {} }).status)
      assert.equal(500, v2("POST", "/tags", { body = { tag = 12345 } }).status)
      local t = create("/tags", { tag = "kept", nosuch = 1 })              -- unknown properties: ignored
      assert.equal(500, v2("PATCH", "/tags/" .. t.id, { ct = MERGE, body = '{"tag":null}' }).status)
      assert.equal(500, v2("PATCH", "/tags/" .. t.id, { ct = MERGE, body = { description = 123 } }).status)
      assert.equal("kept", v2("GET", "/tags/" .. t.id).body.tag)
      assert.equal(500, v2("POST", "/webhooks", { body = { name = "H", webhookUrl = "http://x.test/" } }).status)
      assert.equal(422, v2("POST", "/emails", { body = { name = "E" } }).status)
      assert.equal(422, v2("POST", "/projects", { body = {} }).status)
      local r = v2("POST", "/emails", { body = {} })
      assert.same({ "message", "code", "type" }, json.keys(r.body.errors[1]))     -- no violations
      assert.equal("application/json", r.headers["content-type"])
    end)

    it("refuse a PUT that keeps a unique value (the new entity meets the old one): 422", function()
      local s = create("/segments", { name = "S", alias = "uniq", publicName = "S" })
      assert.equal(422, v2("PUT", "/segments/" .. s.id, { body = { name = "S", alias = "uniq", publicName = "S" } }).status)
      local r = v2("PUT", "/segments/" .. s.id, { body = { name = "S2", alias = "uniq2", publicName = "S" } })
      assert.equal(200, r.status)
      assert.equal("uniq2", r.body.alias)
    end)

    it("take users with a string password and a role IRI, refusing weak passwords", function()
      local u = { username = "u1", firstName = "U", lastName = "One", email = "u1@example.com",
                  role = "/api/v2/roles/1", plainPassword = "Kx9!vRt#2qLm-Zp" }
      local body = create("/users", u)
      assert.equal("/api/v2/roles/1", body.role)
      assert.is_nil(body.plainPassword)
      u.username, u.email, u.plainPassword = "u2", "u2@example.com", "Passw0rd!123"
      assert.equal(422, v2("POST", "/users", { body = u }).status)
      u.plainPassword = { password = "x" }
      assert.equal(500, v2("POST", "/users", { body = u }).status)
      u.plainPassword, u.role = "Kx9!vRt#2qLm-Zp", 1
      assert.equal(500, v2("POST", "/users", { body = u }).status)
      assert.equal(500, v2("PATCH", "/users/" .. body.id, { ct = MERGE, body = { lastName = "P" } }).status)
      assert.equal(200, v2("PATCH", "/users/" .. body.id, { ct = MERGE,
        body = { lastName = "P", plainPassword = "Kx9!vRt#2qLm-Zp" } }).status)
    end)

    it("list a form's fields and actions: the form fields and actions whose form it is", function()
      local form = create("/forms", { name = "F", alias = "f" })
      assert.same({}, form.fields)
      local f = create("/fields", { label = "Email", alias = "email", type = "email", form = form["@id"] })
      assert.equal(form["@id"], f.form["@id"])
      assert.equal(form.uuid, f.form.uuid)
      local got = v2("GET", "/forms/" .. form.id).body
      assert.equal(1, #got.fields)
      assert.equal(f["@id"], got.fields[1]["@id"])
      assert.equal(500, v2("POST", "/fields", { body = { label = "X", alias = "x", type = "text" } }).status)
      assert.equal(500, v2("POST", "/forms", { body = { name = "No alias" } }).status)
    end)

    it("keep a category or a role where /api reads it, and read what /api wrote there", function()
      local cat = create("/categories", { title = "Cat", alias = "cat", bundle = "global" })
      local seg = create("/segments", { name = "S", alias = "s-cat", publicName = "S", category = cat["@id"] })
      assert.equal(cat["@id"], seg.category["@id"])
      local r = S.request(srv, "GET", "/api/segments/" .. seg.id)
      assert.equal(cat.id, r.body.list.category.id)
      local cat2 = S.request(srv, "POST", "/api/categories/new", { json = { title = "Cat2", bundle = "global" } })
      r = S.request(srv, "PATCH", "/api/segments/" .. seg.id .. "/edit", { json = { category = cat2.body.category.id } })
      assert.equal(200, r.status, r.raw)
      assert.equal("/api/v2/categories/" .. cat2.body.category.id, v2("GET", "/segments/" .. seg.id).body.category["@id"])
      local role = S.request(srv, "POST", "/api/roles/new", { json = { name = "R2", isAdmin = true } }).body.role
      local u = create("/users", { username = "r2", firstName = "R", lastName = "Two", email = "r2@example.com",
                                   role = "/api/v2/roles/" .. role.id, plainPassword = "Kx9!vRt#2qLm-Zp" })
      assert.equal("/api/v2/roles/" .. role.id, u.role)
      assert.equal(role.id, S.request(srv, "GET", "/api/users/" .. u.id).body.user.role.id)
    end)

    it("include the 43 preset lead fields, shared with /api's contact fields", function()
      local r = v2("GET", "/lead_fields")
      assert.equal(43, r.body.totalItems)
      local f = create("/lead_fields", { label = "Shoe Size", type = "number" })
      assert.equal("shoe_size", f.alias)
      assert.equal("lead", f.object)
      r = S.request(srv, "GET", "/api/fields/contact/" .. f.id)
      assert.equal(200, r.status)
      assert.equal("shoe_size", r.body.field.alias)
    end)

    it("let a lead field of an unknown type break /api contact creates until it is deleted", function()
      local f = create("/lead_fields", { label = "Odd", type = "nosuchtype" })
      assert.equal(500, S.request(srv, "POST", "/api/contacts/new", { json = { email = "a@example.com" } }).status)
      assert.equal(201, v2("POST", "/contacts", { body = { email = "a@example.com" } }).status)
      assert.equal(204, v2("DELETE", "/lead_fields/" .. f.id).status)
      assert.equal(201, S.request(srv, "POST", "/api/contacts/new", { json = { email = "b@example.com" } }).status)
    end)

    it("cover every one of the 33 resources with GET; downloads and ip_addresses take no write", function()
      local names = json.keys(v2("GET", "").body)
      for i = 4, #names do
        local path = v2("GET", "").body[names[i]]:gsub("^/api/v2", "")
        local r = v2("GET", path)
        assert.equal(200, r.status, path)
        assert.equal("Collection", r.body["@type"], path)
        assert.equal("number", type(r.body.totalItems), path)
      end
      assert.equal(404, v2("POST", "/downloads", { body = {} }).status)
      assert.equal(404, v2("DELETE", "/ip_addresses/1").status)
      local st = create("/stages", { name = "Stage" })
      assert.equal("Stage", v2("GET", "/stages/" .. st.id).body.name)
      assert.equal(204, v2("DELETE", "/stages/" .. st.id).status)
    end)
  end)

  describe("media types", function()
    local id
    before_each(function() id = create("/contacts", { email = "media@example.com", firstname = "M" }).id end)

    it("answer JSON-LD by default, plain JSON, JSON:API, and 406 for problem+json or XML", function()
      local item = "/contacts/" .. id
      assert.equal("application/ld+json; charset=utf-8", v2("GET", item).headers["content-type"])
      assert.equal(LD .. "; charset=utf-8", v2("GET", item, { accept = "*/*" }).headers["content-type"])
      local j = v2("GET", item, { accept = JSON })
      assert.equal("application/json; charset=utf-8", j.headers["content-type"])
      assert.is_nil(j.body["@id"])
      local a = v2("GET", item, { accept = JSONAPI })
      assert.equal("/api/v2" .. item, a.body.data.id)
      assert.equal(id, a.body.data.attributes._id)
      assert.same({ data = {} }, json.plain(a.body.data.relationships.owner))
      assert.equal(406, v2("GET", item, { accept = "application/problem+json" }).status)
      assert.equal(406, v2("GET", item, { accept = "application/xml" }).status)
      assert.equal("Contacts", v2("GET", item .. ".json").body["@type"])   -- .json still JSON-LD
      assert.equal(200, v2("GET", item, { accept = "text/html" }).status)
    end)

    it("take JSON, JSON-LD and JSON:API bodies on POST; a form, text or nothing is a 415", function()
      assert.equal(201, v2("POST", "/contacts", { ct = LD, body = { email = "ld@example.com" } }).status)
      local r = v2("POST", "/contacts", { ct = JSONAPI, accept = JSONAPI,
        body = { data = { type = "Contacts", attributes = { email = "api@example.com" } } } })
      assert.equal(201, r.status)
      assert.equal("api@example.com", r.body.data.attributes.email)
      assert.equal("/api/v2/contacts/" .. r.body.data.attributes._id .. ".jsonapi", r.headers["content-location"])
      assert.equal(415, v2("POST", "/contacts", { ct = "application/x-www-form-urlencoded", body = "email=a" }).status)
      assert.equal(415, v2("POST", "/contacts", { ct = "text/plain", body = "{}" }).status)
      r = S.request(srv, "POST", "/api/v2/contacts", { body = "{}" })
      assert.equal(415, r.status)
      assert.matches("error #415", r.body.errors[1].message, 1, true)
    end)

    it("need merge-patch+json or JSON:API on PATCH (JSON and JSON-LD: 415), and refuse merge-patch on PUT", function()
      local item = "/contacts/" .. id
      assert.equal(415, v2("PATCH", item, { ct = JSON, body = { city = "X" } }).status)
      assert.equal(415, v2("PATCH", item, { ct = LD, body = { city = "X" } }).status)
      assert.equal(200, v2("PATCH", item, { ct = JSONAPI,
        body = { data = { type = "Contacts", attributes = { city = "X" } } } }).status)
      assert.equal("X", v2("GET", item).body.city)
      assert.equal(415, v2("PUT", item, { ct = MERGE, body = { city = "Y" } }).status)
    end)

    it("answer malformed JSON with a 400 before the firewall, and a JSON array creates one empty item", function()
      local r = v2("POST", "/contacts", { body = "{nope", auth = false })
      assert.equal(400, r.status)
      assert.equal("no-cache, private", r.headers["cache-control"])
      r = v2("POST", "/contacts", { body = '[{"email":"x@example.com"}]' })
      assert.equal(201, r.status)
      assert.is_nil(r.body.email)
    end)

    it("escape < > & ' and quotes in strings as \\u003C \\u003E \\u0026 \\u0027 \\u0022, not non-ASCII", function()
      local r = v2("POST", "/contacts", { body = { firstname = '<b>"x"</b>', lastname = "O'Neil & Zoë 😀" } })
      assert.matches('"firstname":"\\u003Cb\\u003E\\u0022x\\u0022\\u003C\\/b\\u003E"', r.raw, 1, true)
      assert.matches('"lastname":"O\\u0027Neil \\u0026 Zoë 😀"', r.raw, 1, true)
      assert.equal('<b>"x"</b>', r.body.firstname)
      assert.equal("O'Neil & Zoë 😀", r.body.lastname)
    end)

    it("check the body's media type before the item: PATCH with JSON on a missing id is a 415", function()
      assert.equal(415, v2("PATCH", "/contacts/99999", { ct = JSON, body = {} }).status)
      assert.equal(404, v2("PATCH", "/contacts/99999", { ct = MERGE, body = {} }).status)
    end)
  end)

  describe("collections", function()
    local function tags(n)
      for i = 1, n do create("/tags", { tag = ("tag-%02d"):format(i) }) end
    end

    it("hold 30 members a page with a view, whatever itemsPerPage, pagination or limit say", function()
      tags(36)
      local r = v2("GET", "/tags")
      assert.equal(36, r.body.totalItems)
      assert.equal(30, #r.body.member)
      assert.same({ ["@id"] = "/api/v2/tags?page=1", ["@type"] = "PartialCollectionView",
                    first = "/api/v2/tags?page=1", last = "/api/v2/tags?page=2", next = "/api/v2/tags?page=2" },
                  json.plain(r.body.view))
      r = v2("GET", "/tags", { query = "page=2" })
      assert.equal(6, #r.body.member)
      assert.equal("/api/v2/tags?page=1", r.body.view.previous)
      assert.equal(0, #v2("GET", "/tags", { query = "page=3" }).body.member)
      r = v2("GET", "/tags", { query = "itemsPerPage=5" })
      assert.equal(30, #r.body.member)
      assert.equal("/api/v2/tags?itemsPerPage=5&page=2", r.body.view.last)
      assert.equal(30, #v2("GET", "/tags", { query = "pagination=false" }).body.member)
    end)

    it("answer page=0, page=-1 and page=abc with a 500", function()
      for _, q in ipairs({ "page=0", "page=-1", "page=abc" }) do
        assert.equal(500, v2("GET", "/tags", { query = q }).status, q)
      end
    end)

    it("are a bare array in plain JSON and links + meta in JSON:API", function()
      tags(31)
      local r = v2("GET", "/tags", { accept = JSON })
      assert.is_true(json.is_arr(r.body))
      assert.equal(30, #r.body)
      r = v2("GET", "/tags", { accept = JSONAPI, query = "page=2" })
      assert.same({ totalItems = 31, itemsPerPage = 30, currentPage = 2 }, json.plain(r.body.meta))
      assert.equal("/api/v2/tags?page=1", r.body.links.prev)
      assert.equal(1, #r.body.data)
      assert.equal("[]", v2("GET", "/projects", { accept = JSON }).raw)
      r = v2("GET", "/projects", { accept = JSONAPI })
      assert.same({ self = "/api/v2/projects" }, json.plain(r.body.links))    -- one page: self only
    end)

    it("ignore search, where and order (id ascending), echoing the query in the view", function()
      local a = create("/contacts", { email = "a@example.com" }).id
      local b = create("/contacts", { email = "b@example.com" }).id
      local r = v2("GET", "/contacts", { query = "search=b@example.com&order%5Bid%5D=desc" })
      assert.equal(2, r.body.totalItems)
      assert.equal(a, r.body.member[1].id)
      assert.equal(b, r.body.member[2].id)
      assert.equal("/api/v2/contacts?search=b@example.com&order%5Bid%5D=desc", r.body.view["@id"])
      r = v2("GET", "/contacts", { query = "where%5B0%5D%5Bcol%5D=email" })
      assert.equal("/api/v2/contacts?where%5B%5D%5Bcol%5D=email", r.body.view["@id"])
      assert.is_nil(v2("GET", "/contacts", { query = "page=1" }).body.view)
    end)
  end)

  describe("errors and headers", function()
    it("are 404 Not Found for a missing or non-numeric id, a route 404 for the rest", function()
      local r = v2("GET", "/contacts/99999")
      assert.equal('{"errors":[{"message":"Not Found","code":404,"type":null}]}', r.raw)
      assert.equal(404, v2("GET", "/contacts/abc").status)
      assert.equal(404, v2("GET", "/users/self").status)
      for _, c in ipairs({ { "DELETE", "/contacts" }, { "PATCH", "/contacts" }, { "POST", "/contacts/4" },
                           { "POST", "/contacts/batch/new" }, { "GET", "/nosuchthing" } }) do
        r = v2(c[1], c[2], { ct = MERGE, body = c[1] ~= "DELETE" and {} or nil })
        assert.equal(404, r.status, c[2])
        assert.equal("Requested URL not found: /api/v2" .. c[2], r.body.errors[1].message)
      end
      r = v2("DELETE", "/contacts/batch/delete", { query = "ids[]=1" })
      assert.equal("Requested URL not found: /api/v2/contacts/batch/delete?ids[]=1", r.body.errors[1].message)
    end)

    it("carry no Mautic-Version; Vary, an absolute Link, Cache-Control and an ETag on a GET 200", function()
      local c = create("/contacts", { email = "h@example.com" })
      local r = v2("GET", "/contacts/" .. c.id)
      assert.is_nil(r.headers["mautic-version"])
      assert.equal("Accept", r.headers["vary"])
      assert.equal("<" .. srv.url .. '/api/v2/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"',
                   r.headers["link"])
      assert.equal("max-age=0, must-revalidate, private", r.headers["cache-control"])
      assert.matches('^"%x+"$', r.headers["etag"])
      assert.equal("application/merge-patch+json, application/vnd.api+json", r.headers["accept-patch"])
      local l = v2("GET", "/contacts")
      assert.is_nil(l.headers["accept-patch"])
      assert.is_nil(v2("GET", "/contacts/99999").headers["link"])
      assert.is_nil(v2("PATCH", "/contacts/" .. c.id, { ct = MERGE, body = {} }).headers["etag"])
    end)

    it("answer HEAD with the headers only, OPTIONS with 204, a trailing slash with a 301 to an absolute URL", function()
      local c = create("/contacts", { email = "head@example.com" })
      local r = v2("HEAD", "/contacts/" .. c.id)
      assert.equal(200, r.status)
      assert.is_nil(r.raw:find("{", 1, true))        -- (curl -I: the raw answer is the header block)
      assert.equal("/api/v2/contacts/" .. c.id .. ".jsonld", r.headers["content-location"])
      r = v2("OPTIONS", "/contacts")
      assert.equal(204, r.status)
      assert.is_nil(r.headers["allow"])
      r = v2("GET", "/contacts/")
      assert.equal(301, r.status)
      assert.equal(srv.url .. "/api/v2/contacts", r.headers["location"])
    end)
  end)
end)
