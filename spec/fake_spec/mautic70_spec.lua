-- The fake answering as Mautic 7.0 on /api (fake-mautic start --mautic 7.0):
-- what differs from 5.1 as recorded in reference/real-mautic-7.0 (SUMMARY.md
-- Part 1). Each difference is also checked the other way, on the same server
-- switched back to 5.1 through /__fake/config, so no test passes for nothing.
-- Driven over HTTP with curl, like server_spec.lua.
local S = require "spec.fake_spec.support"
local json = S.json

local EXPORT_MSG = "No JSON content found and exactly one ZIP file must be uploaded."

describe("fake Mautic 7.0", function()
  local srv

  setup(function() srv = S.start("--mautic 7.0") end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end
  local function as51() req("POST", "/__fake/config", { auth = false, json = { version = "5.1.0" } }) end
  local function create(path, body, key)
    local r = req("POST", "/api/" .. path .. "/new", { json = body })
    assert.equal(201, r.status, r.raw)
    return r.body[key], r
  end

  describe("the switch", function()
    it("is set by fake-mautic start --mautic 7.0 and kept by every reset", function()
      local r = req("GET", "/api/contacts")
      assert.equal("7.0.0", r.headers["mautic-version"])
      assert.equal("7.0.0", req("GET", "/__fake/status", { auth = false }).body.version)
      as51()
      assert.equal("5.1.0", req("GET", "/api/contacts").headers["mautic-version"])
      S.reset(srv)
      assert.equal("7.0.0", req("GET", "/api/contacts").headers["mautic-version"])
    end)

    it("refuses a version it has no facts for, as a usage error", function()
      local out = S.sh(S.root .. "/bin/fake-mautic start --mautic 6.3 2>&1; echo rc=$?")
      assert.matches("rc=2", out, 1, true)
      assert.matches("unknown Mautic version '6.3'", out, 1, true)
    end)

    it("is what POST /__fake/config {version} selects on a 5.1 server", function()
      as51()
      assert.equal(404, req("GET", "/api/campaigns/export/1").status)
      req("POST", "/__fake/config", { auth = false, json = { version = "7.0.0" } })
      assert.equal(404, req("GET", "/api/campaigns/export/1").body.errors[1].code)
      assert.equal("Item was not found.", req("GET", "/api/campaigns/export/1").body.errors[1].message)
    end)

    it("is what require('mautic.fake').start{ version = '7.0.0' } selects", function()
      local ok, fake = pcall(require, "mautic.fake")
      if not ok then pending("mautic.fake needs the C core: " .. tostring(fake)); return end
      local other = assert(fake.start{ version = "7.0.0", rate_limit = 1 })
      local r = S.request({ url = other.url }, "GET", "/api/contacts")
      local r2 = S.request({ url = other.url }, "GET", "/api/contacts")
      other:stop()
      assert.equal("7.0.0", r.headers["mautic-version"])
      assert.equal(200, r2.status)
    end)
  end)

  describe("rate limiting", function()
    it("never answers 429 nor sends X-RateLimit headers, whatever rate_limit says", function()
      req("POST", "/__fake/config", { auth = false, json = { rate_limit = 2 } })
      for _ = 1, 4 do
        local r = req("GET", "/api/contacts")
        assert.equal(200, r.status)
        assert.is_nil(r.headers["x-ratelimit-limit"])
        assert.is_nil(r.headers["x-ratelimit-remaining"])
      end
      as51()
      req("GET", "/api/contacts"); req("GET", "/api/contacts")
      assert.equal(429, req("GET", "/api/contacts").status)
    end)
  end)

  describe("dateModified and modifiedByUser", function()
    it("are filled at creation and an edit moves only modifiedByUser (contacts)", function()
      local c = create("contacts", { firstname = "Ann" }, "contact")
      assert.equal(c.dateAdded, c.dateModified)
      assert.equal(c.createdByUser, c.modifiedByUser)
      S.sh("sleep 1.1")
      local r = req("PATCH", "/api/contacts/" .. c.id .. "/edit", { json = { firstname = "Bea" } })
      assert.equal(200, r.status)
      assert.equal(c.dateAdded, r.body.contact.dateModified)
      assert.equal(1, r.body.contact.modifiedBy)        -- edited with Basic: the user's id
      as51()
      local c51 = create("contacts", { firstname = "Cy" }, "contact")
      assert.equal(json.null, c51.dateModified)
    end)

    it("are filled at creation and an edit never moves dateModified (segments)", function()
      local s = create("segments", { name = "S" }, "list")
      assert.equal(s.dateAdded, s.dateModified)
      S.sh("sleep 1.1")
      local r = req("PATCH", "/api/segments/" .. s.id .. "/edit", { json = { name = "T" } })
      assert.equal(s.dateAdded, r.body.list.dateModified)
      as51()
      r = req("PATCH", "/api/segments/" .. s.id .. "/edit", { json = { name = "U" } })
      assert.are_not.equal(s.dateAdded, r.body.list.dateModified)
    end)
  end)

  describe("the projects key", function()
    local with = {
      { "segments", "list", "lists", { name = "S" } },
      { "stages", "stage", "stages", { name = "S" } },
      { "companies", "company", "companies", { companyname = "C" } },
      { "assets", "asset", "assets", { title = "A", storageLocation = "remote", file = "http://x.test/a.pdf" } },
    }
    for _, c in ipairs(with) do
      it("ends every " .. c[2] .. " of /api/" .. c[1] .. " (create, get, list)", function()
        local e, r = create(c[1], c[4], c[2])
        local ks = json.keys(e)
        assert.equal("projects", ks[#ks])
        assert.matches('"projects":%[%]}}$', r.raw)
        r = req("GET", "/api/" .. c[1] .. "/" .. e.id)
        assert.matches('"projects":%[%]}}$', r.raw)
        assert.matches('"projects":%[%]', req("GET", "/api/" .. c[1]).raw)
        as51()
        assert.not_matches('"projects"', req("GET", "/api/" .. c[1] .. "/" .. e.id).raw)
      end)
    end

    it("is not on contacts, tags or users", function()
      create("contacts", { firstname = "A" }, "contact")
      create("tags", { tag = "t" }, "tag")
      assert.not_matches('"projects"', req("GET", "/api/contacts").raw)
      assert.not_matches('"projects"', req("GET", "/api/tags").raw)
      assert.not_matches('"projects"', req("GET", "/api/users").raw)
    end)
  end)

  describe("body changes", function()
    it("dynamic contents lose their audit keys and gain type html", function()
      local d = create("dynamiccontents", { name = "D", content = "x" }, "dynamicContent")
      assert.same({ "id", "name", "category", "type", "publishUp", "publishDown", "sentCount", "variantParent",
                    "variantChildren", "content", "utmTags", "filters", "isCampaignBased", "slotName", "projects" },
                  json.keys(d))
      assert.equal("html", d.type)
    end)

    it("fields gain isIndex and charLengthLimit, API-created ones isShortVisible false", function()
      local r = req("GET", "/api/fields/contact", { query = "limit=0" })
      local email
      for _, k in ipairs(json.keys(r.body.fields)) do
        local f = r.body.fields[k]
        assert.is_boolean(f.isIndex)
        if f.alias == "email" then email = f end
      end
      assert.is_true(email.isIndex)
      assert.equal(64, email.charLengthLimit)
      local f = create("fields/contact", { label = "Shoe", type = "text" }, "field")
      assert.is_false(f.isIndex)
      assert.equal(64, f.charLengthLimit)
      assert.is_false(f.isShortVisible)
      r = req("PATCH", "/api/fields/contact/" .. f.id .. "/edit", { json = { charLengthLimit = 100 } })
      assert.equal(100, r.body.field.charLengthLimit)
    end)

    it("emails gain preheaderText, focus answers cache null, owners carry email", function()
      local e = create("emails", { name = "E" }, "email")
      assert.equal("preheaderText", json.keys(e)[19])
      local f = create("focus", { name = "F", type = "notice", style = "bar" }, "focus")
      assert.equal(json.null, f.cache)
      local owners = req("GET", "/api/contacts/list/owners").body
      assert.equal("string", type(owners[1].email))
    end)

    it("texts and tables as 7.0 has them: triggers, stats columns, an unknown owner", function()
      assert.equal(S.transcript("hooks.triggers", "7.0").response.body, req("GET", "/api/hooks/triggers").raw)
      assert.equal(S.transcript("stats.tables", "7.0").response.body,
                   req("GET", "/api/stats/no_such_table").raw)
      local r = req("POST", "/api/contacts/new", { json = { firstname = "A", owner = 999 } })
      assert.equal("owner: The selected choice is invalid.", r.body.errors[1].message)
      as51()
      assert.matches("commpany", req("GET", "/api/hooks/triggers").raw, 1, true)
    end)

    it("form fields gain isReadOnly and fieldWidth, and a read form shows its mapping", function()
      local form = create("forms", { name = "F", fields = { { label = "Email", alias = "email", type = "email",
                                                            leadField = "email" } } }, "form")
      assert.is_false(form.fields[1].isReadOnly)
      assert.equal("100%", form.fields[1].fieldWidth)
      local got = req("GET", "/api/forms/" .. form.id).body.form
      assert.equal("contact", got.fields[1].mappedObject)
      assert.equal("email", got.fields[1].mappedField)
    end)
  end)

  describe("the status codes that changed", function()
    it("a dynamic content PUT without type is an uncaught 500, with type a 200", function()
      local d = create("dynamiccontents", { name = "D", content = "x" }, "dynamicContent")
      local r = req("PUT", "/api/dynamiccontents/" .. d.id .. "/edit",
                    { json = { name = "D", content = "y", isCampaignBased = true } })
      assert.equal(500, r.status)
      assert.is_nil(r.headers["mautic-version"])
      r = req("PUT", "/api/dynamiccontents/" .. d.id .. "/edit",
              { json = { name = "D", content = "y", isCampaignBased = true, type = "html" } })
      assert.equal(200, r.status)
    end)

    it("a field PUT without charLengthLimit is a 400 naming it", function()
      local f = create("fields/contact", { label = "Shoe", type = "text" }, "field")
      local r = req("PUT", "/api/fields/contact/" .. f.id .. "/edit", { json = { label = "Shoe", type = "text" } })
      assert.equal(S.transcript("fields/contact.put.existing", "7.0").response.body, r.raw)
      as51()
      assert.equal(500, req("PUT", "/api/fields/contact/" .. f.id .. "/edit",
                            { json = { label = "Shoe", type = "text" } }).status)
    end)

    it("users/new {} is a 400 with the form's details", function()
      local r = req("POST", "/api/users/new", { json = json.obj() })
      assert.equal(S.transcript("users.create.invalid.empty_object", "7.0").response.body, r.raw)
    end)

    it("forms fields/delete without ids answers the form; an upload without a file is a 406", function()
      local form = create("forms", { name = "F", fields = { { label = "A", alias = "a", type = "text" } } }, "form")
      local r = req("DELETE", "/api/forms/" .. form.id .. "/fields/delete")
      assert.equal(200, r.status)
      assert.equal(1, #r.body.form.fields)
      r = req("POST", "/api/files/images/new")
      assert.equal(S.transcript("files.images.upload.no_body", "7.0").response.body, r.raw)
      assert.equal(406, r.status)
    end)
  end)

  describe("headers", function()
    it("a wrong Basic password gets an empty 401 with a Basic challenge", function()
      local r = req("GET", "/api/contacts", { auth = "admin:nope" })
      assert.equal(401, r.status)
      assert.equal("", r.raw)
      assert.equal('Basic realm="Secured Area"', r.headers["www-authenticate"])
      as51()
      r = req("GET", "/api/contacts", { auth = "admin:nope" })
      assert.is_nil(r.headers["www-authenticate"])
      assert.matches("invalid credentials", r.raw, 1, true)
    end)

    it("the trailing-slash redirect says charset=utf-8 in lower case", function()
      local r = req("GET", "/api/contacts/")
      assert.equal(301, r.status)
      assert.equal("text/html; charset=utf-8", r.headers["content-type"])
    end)
  end)
end)

describe("fake Mautic 7.0 campaign export and import", function()
  local srv

  setup(function() srv = S.start("--mautic 7.0") end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end
  local function campaign(name)
    local s = req("POST", "/api/segments/new", { json = { name = "Seg " .. name } }).body.list
    local r = req("POST", "/api/campaigns/new", { json = { name = name, lists = { s.id }, events = {
      { name = "Adjust points", type = "lead.changepoints", eventType = "action", properties = { points = 5 } } } } })
    assert.equal(201, r.status, r.raw)
    return r.body.campaign
  end
  local function export(id)
    local r = req("GET", "/api/campaigns/export/" .. id)
    assert.equal(200, r.status, r.raw)
    return r
  end
  local function import_json(body) return req("POST", "/api/campaigns/import", { json = body }) end
  local function upload(filename, data)
    local name = os.tmpname()
    local f = assert(io.open(name, "wb")); f:write(data); f:close()
    local r = req("POST", "/api/campaigns/import", { headers = { ["Content-Type"] = "multipart/form-data; boundary=B0" },
      body = "--B0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" .. filename .. "\"\r\n" ..
             "Content-Type: application/zip\r\n\r\n" .. data .. "\r\n--B0--\r\n" })
    os.remove(name)
    return r
  end
  -- a deflated zip made by python's zipfile (what zip tools write)
  local function deflated_zip(entry, text)
    local src, out = os.tmpname(), os.tmpname()
    local f = assert(io.open(src, "wb")); f:write(text); f:close()
    S.sh("python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[2],\"w\",zipfile.ZIP_DEFLATED); " ..
         "z.write(sys.argv[1],sys.argv[3]); z.close()' " .. src .. " " .. out .. " " .. S.quote(entry))
    f = assert(io.open(out, "rb")); local data = f:read("*a"); f:close()
    os.remove(src); os.remove(out)
    return data
  end
  local SUCCESS = '["Import successful: Imported campaigns are switched off by default."]'

  it("exports the campaign, its events and segments as the recording shows", function()
    local c = campaign("Golden")
    local r = export(c.id)
    local want = S.transcript("campaigns.export", "7.0").response.decoded
    assert.is_true(json.is_arr(r.body))
    assert.same(json.keys(want[1]), json.keys(r.body[1]))
    assert.same(json.keys(want[1].campaign[1]), json.keys(r.body[1].campaign[1]))
    assert.same(json.keys(want[1].campaign_event[1]), json.keys(r.body[1].campaign_event[1]))
    assert.same(json.keys(want[1].lists[1]), json.keys(r.body[1].lists[1]))
    assert.equal(c.events[1].id, r.body[1].dependencies[1].campaign_event[1].campaign_event)
    assert.matches("^%x+%-%x+%-4%x+%-%x+%-%x+$", r.body[1].campaign[1].uuid)
    assert.equal(r.raw, export(c.id).raw)               -- the uuids stay
  end)

  it("answers 404 for an unknown campaign and 401 without credentials", function()
    local r = req("GET", "/api/campaigns/export/999")
    assert.equal(S.transcript("campaigns.export.missing", "7.0").response.body, r.raw)
    assert.equal(401, req("GET", "/api/campaigns/export/1", { auth = false }).status)
    assert.equal(401, req("POST", "/api/campaigns/import", { auth = false, json = json.obj() }).status)
  end)

  it("imports the same uuid in place, unpublished, moving dateModified", function()
    local c = campaign("Golden")
    local r = import_json(export(c.id).body)
    assert.equal(201, r.status)
    assert.equal(SUCCESS, r.raw)
    assert.is_nil(r.headers.location)
    local list = req("GET", "/api/campaigns").body
    assert.equal(1, list.total)
    local got = req("GET", "/api/campaigns/" .. c.id).body.campaign
    assert.is_false(got.isPublished)
    assert.equal(c.events[1].id, got.events[1].id)
    assert.equal(1, #got.lists)
  end)

  it("creates a campaign for a new uuid, with the exported event", function()
    local c = campaign("Golden")
    local body = export(c.id).body
    body[1].campaign[1].uuid = "00000000-0000-4000-8000-00000000c0de"
    body[1].campaign[1].name = "Imported"
    assert.equal(201, import_json(body).status)
    local r = req("GET", "/api/campaigns", { query = "search=Imported" }).body
    assert.equal(1, r.total)
    local new = r.campaigns[json.keys(r.campaigns)[1]]
    assert.are_not.equal(c.id, new.id)
    assert.is_false(new.isPublished)
    assert.equal(c.events[1].id, new.events[1].id)
    assert.equal(2, req("GET", "/api/campaigns").body.total)
  end)

  it("takes the export as a zip upload (a top-level .json file, deflated)", function()
    local c = campaign("Golden")
    local body = export(c.id).body
    body[1].campaign[1].uuid = "00000000-0000-4000-8000-0000000021f0"
    body[1].campaign[1].name = "Zipped"
    local r = upload("campaign.zip", deflated_zip("campaign.json", json.encode(body)))
    assert.equal(SUCCESS, r.raw)
    assert.equal(1, req("GET", "/api/campaigns", { query = "search=Zipped" }).body.total)
  end)

  it("refuses what is not an export with 400 {\"error\": ...}", function()
    local function refused(r, msg)
      assert.equal(400, r.status)
      assert.equal(json.encode(json.O{ "error", msg }), r.raw)
      assert.equal("7.0.0", r.headers["mautic-version"])
    end
    refused(req("POST", "/api/campaigns/import"), EXPORT_MSG)
    refused(import_json(json.obj()), EXPORT_MSG)
    refused(import_json('[{"lists": []}]'), EXPORT_MSG)
    refused(upload("campaign.txt", "not a zip at all"), "Unsupported file type. Only ZIP archives are supported.")
    local r = upload("campaign.zip", "PK\5\6 not really")
    assert.equal(400, r.status)
    assert.matches('^{"error":"Unable to open ZIP file: \\/tmp\\/php%w+"}$', r.raw)
    refused(upload("c.zip", deflated_zip("x/c.json", "[]")), "Unsafe file path detected in ZIP: x/c.json")
    refused(upload("c.zip", deflated_zip("c.txt", "[]")), "JSON file not found or not readable in ZIP archive.")
    refused(upload("c.zip", deflated_zip("c.json", "nope")), "Invalid JSON: Syntax error")
    assert.equal(0, req("GET", "/api/campaigns").body.total)
  end)

  it("are route 404s on 5.1", function()
    req("POST", "/__fake/config", { auth = false, json = { version = "5.1.0" } })
    local r = req("GET", "/api/campaigns/export/1")
    assert.equal('{"errors":[{"message":"Requested URL not found: \\/api\\/campaigns\\/export\\/1","code":404,' ..
                 '"type":null}]}', r.raw)
    assert.equal(404, req("POST", "/api/campaigns/import", { json = json.obj() }).status)
  end)
end)
