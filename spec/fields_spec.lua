-- Fields are checked before they are sent. Mautic ignores an unknown alias
-- without a word and stores many bad values wrong (doc/FIELD_VALUES.md);
-- the client checks every contact and company write against the field list
-- it reads once per client (and TTL) from Mautic.
local fake = require "support.fake"
local fields = require "mautic.fields"
local json = require "mautic.json"
local sys = require "support.sys"

-- the custom fields the specs below write to, made on the fake as Mautic makes them
local CUSTOM = {
  { alias = "pbool", type = "boolean", properties = { no = "No", yes = "Yes" } },
  { alias = "pnum", type = "number", properties = {} },
  { alias = "pmoney", type = "number", properties = { scale = 2, roundmode = 4 } },
  { alias = "pdate", type = "date" }, { alias = "pdatetime", type = "datetime" }, { alias = "ptime", type = "time" },
  { alias = "pselect", type = "select",
    properties = { list = { { label = "Alpha", value = "a" }, { label = "Beta", value = "b" } } } },
  { alias = "pmulti", type = "multiselect", properties = { list = { { label = "Alpha", value = "a" },
    { label = "Beta", value = "b" }, { label = "Gamma", value = "c" } } } },
  { alias = "purl", type = "url" }, { alias = "pcountry", type = "country" }, { alias = "plocale", type = "locale" },
  { alias = "ptz", type = "timezone" }, { alias = "plookup", type = "lookup", properties = { list = { "x", "y" } } },
}

local function make_fields(api)
  for _, f in ipairs(CUSTOM) do
    assert(api.contact_fields.create{ label = f.alias, alias = f.alias, type = f.type, properties = f.properties,
                                      isPublished = true })
  end
end

-- an offline field set, as fields.get builds one
local function offline_set()
  local rows = {}
  for i, f in ipairs(CUSTOM) do
    rows[i] = { id = i, alias = f.alias, type = f.type, properties = f.properties or {}, object = "lead" }
  end
  for _, a in ipairs{ "firstname", "lastname", "email", "points" } do
    rows[#rows + 1] = { id = #rows + 1, alias = a, type = a == "email" and "email" or a == "points" and "number"
                        or "text", object = "lead" }
  end
  rows[#rows + 1] = { id = 99, alias = "punpub", type = "text", object = "lead", isPublished = false }
  return fields.fieldset("contact", rows)
end

describe("field values, checked the way Mautic reads each type", function()
  local set = offline_set()
  -- alias, value, accepted?, what is sent (when it differs), what the message says
  local CASES = {
    { "pbool", true, true }, { "pbool", 0, true }, { "pbool", "yes", true }, { "pbool", " No ", true },
    { "pbool", "abc", false, nil, "Mautic stores \"abc\" as 0" }, { "pbool", 2, false },
    { "pnum", 5, true }, { "pnum", "  7 ", true }, { "pnum", "1e3", true }, { "pnum", -3, true },
    { "pnum", 5.5, false, nil, "keeps 0 (its scale)" }, { "pnum", "abc", false, nil, "a number expected" },
    { "pnum", "5,5", false, nil, "decimal point" }, { "pnum", "0x10", false }, { "pmoney", 5.25, true },
    { "pmoney", "5.555", false, nil, "keeps 2" },
    { "pdate", "2024-05-01", true }, { "pdate", "2024-5-1", true }, { "pdate", "2024-05-01 10:00:00", true },
    { "pdate", "01/05/2024", false, nil, "YYYY-MM-DD" }, { "pdate", "May 1 2024", false },
    { "pdate", "2024-13-45", false }, { "pdate", "2024-02-30", false }, { "pdate", "2024-05-01T23:30:00-05:00", false },
    { "pdatetime", "2024-05-01 10:00:00", true }, { "pdatetime", "2024-05-01T10:00:00+02:00", true },
    { "pdatetime", 1714557600, true, "2024-05-01 10:00:00" }, { "pdatetime", "tomorrow", false },
    { "pdatetime", "1714557600", false },
    { "ptime", "10:00", true }, { "ptime", "23:59:59", true }, { "ptime", "25:00", false, nil, "25:00" },
    { "ptime", "10am", false },
    { "pselect", "a", true }, { "pselect", "z", false, nil, "not one of its choices (a, b)" },
    { "pselect", "Alpha", false, nil, "is the label of the choice \"a\"" }, { "pselect", { "a" }, false },
    { "pmulti", "a|b", true }, { "pmulti", { "a", "c" }, true, "a|c" }, { "pmulti", { "a", "z" }, false },
    { "pmulti", "a,b", false, nil, "separate several choices with |" },
    { "purl", "https://example.com/x", true }, { "purl", "example.com", true }, { "purl", "/path", true },
    { "purl", "not a url", false, nil, "http://not a url" }, { "purl", "javascript:alert(1)", false },
    { "pcountry", "France", true }, { "pcountry", "FR", false, nil, "not its code" },
    { "plocale", "fr_FR", true }, { "plocale", "en-US", false, nil, "en_US" },
    { "ptz", "Europe/Paris", true }, { "ptz", "UTC", true }, { "ptz", "EST", false },
    { "plookup", "anything at all", true },
    { "firstname", "Ann", true }, { "firstname", "x<y", false, nil, "strips HTML" }, { "firstname", { 1 }, false },
    { "email", "a@example.com", true }, { "email", "not-an-email", false }, { "email", "<a@example.com>", false },
    { "pdate", "", true }, { "pselect", json.null, true },
  }
  for _, c in ipairs(CASES) do
    local alias, value, ok, sent, says = c[1], c[2], c[3], c[4], c[5]
    it(("%s %s %s"):format(ok and "accepts" or "refuses", alias, json.encode(value)), function()
      local v, why = fields.check_value(set, alias, value)
      if ok then
        assert.is_nil(why)
        if sent then assert.equal(sent, v) else assert.equal(value, v) end
      else
        assert.is_nil(v)
        assert.is_string(why)
        if says then assert.matches(says, why, 1, true) end
      end
    end)
  end

  it("refuses a number PHP reads as 0 in a contact create or PATCH, which Mautic drops, but not in a PUT", function()
    for _, method in ipairs{ "POST", "PATCH" } do
      for _, zero in ipairs{ { "pnum", 0 }, { "pnum", "0" }, { "pnum", "00" }, { "pmoney", 0.4 },
                             { "pmoney", "-0.6" }, { "firstname", "0" } } do
        local _, _, problems = fields.check_row(set, { [zero[1]] = zero[2] }, method)
        assert.matches("reads as the number 0", problems[zero[1]], 1, true)
      end
    end
    local _, _, problems = fields.check_row(set, { pnum = 0, firstname = "0" }, "PUT")
    assert.is_nil(problems)
  end)

  it("names an unknown alias, the nearest known ones, and why a published-only field is refused", function()
    assert.equal("firstnme: no such contact field; did you mean firstname?", fields.unknown_key(set, "firstnme"))
    assert.equal("punpub: the contact field is unpublished, and Mautic ignores it", fields.unknown_key(set, "punpub"))
    assert.matches("at the top level", fields.unknown_key(set, "fields"), 1, true)
    for _, k in ipairs{ "tags", "owner", "stage", "doNotContact", "ipAddress", "lastActive", "overwriteWithBlank", "id" } do
      assert.is_nil(fields.unknown_key(set, k))
    end
  end)
end)

describe("writes checked against the fake's fields", function()
  local api, warnings
  setup(function()
    fake.reset()
    make_fields(fake.client())
  end)
  teardown(function() fake.reset() end)
  before_each(function()
    warnings = {}
    api = fake.client{ on_field_warning = function(w) warnings[#warnings + 1] = w end }
    fake.clear_log()
  end)

  local sent = fake.requests

  it("raises at the caller's line for a misspelled alias, naming the nearest, and sends nothing", function()
    local ok, msg = pcall(function() api.contacts.create{ email = "ann@f.test", firstnme = "Ann" } end)
    assert.is_false(ok)
    assert.matches("fields_spec.lua:%d+: bad argument #1 to 'contacts.create' %(firstnme: no such contact field; "
      .. "did you mean firstname%?%)", msg)
    assert.equal(0, sent("POST", "^/api/contacts"))
    assert.has_error(function() api.companies.create{ companyname = "Acme", compnyemail = "a@acme.test" } end,
      "bad argument #1 to 'companies.create' (compnyemail: no such company field; did you mean companyemail?)")
    local c = assert(api.contacts.create{ email = "ann@f.test" })
    assert.has_error(function() c:update{ lastnme = "B" } end,
      "bad argument #2 to 'contacts.edit' (lastnme: no such contact field; did you mean lastname?)")
  end)

  it("reads the field list once per client and TTL, and again after refresh_fields", function()
    local now = 1000
    local timed = fake.client{ now = function() return now end, fields_ttl = 300 }
    for i = 1, 5 do assert(timed.contacts.create{ email = i .. "@ttl.test" }) end
    assert(timed.contacts.edit_batch{ { id = 1, firstname = "A" } })
    assert.equal(1, sent("GET", "^/api/fields/contact$"))
    now = now + 301
    assert(timed.contacts.create{ email = "6@ttl.test" })
    assert.equal(2, sent("GET", "^/api/fields/contact$"))
    timed.refresh_fields()
    assert(timed.contacts.create{ email = "7@ttl.test" })
    assert.equal(3, sent("GET", "^/api/fields/contact$"))
    assert.equal("boolean", timed.fields("contact").by_alias.pbool.type)
  end)

  it("refuses bad values before sending, with details by field; Mautic would have stored them wrong", function()
    local c, err = api.contacts.create{ email = "v@f.test", pbool = "abc", pdate = "May 1 2024" }
    assert.is_nil(c)
    assert.equal("usage", err.kind)
    assert.is_false(err.maybe_applied)
    assert.is_table(err.details.pbool)
    assert.is_table(err.details.pdate)
    assert.equal(0, sent("POST", "^/api/contacts/new$"))
    -- unchecked, the fake stores what real Mautic stores: 0 and nothing
    local u = assert(api.contacts.create({ email = "v@f.test", pbool = "abc", pdate = "May 1 2024" },
                                         { strict_fields = false }))
    local back = assert(api.contacts.get(u.id))
    assert.equal(0, back.fields.all.pbool)
    assert.is_nil(back.fields.all.pdate ~= json.null and back.fields.all.pdate or nil)
  end)

  it("sends a Lua array for a multiselect as Mautic reads it: a|b", function()
    local c = assert(api.contacts.create{ email = "m@f.test", pmulti = { "a", "c" } })
    assert.equal("a|c", json.decode(fake.last("POST", "^/api/contacts/new$").body).pmulti)
    assert.equal("a|c", assert(api.contacts.get(c.id)).fields.all.pmulti)
  end)

  it("refuses a 0 in a PATCH, which Mautic drops, and sends it with a PUT", function()
    local c = assert(api.contacts.create{ email = "z@f.test", pnum = 5 })
    local e, err = api.contacts.edit(c.id, { pnum = 0 })
    assert.is_nil(e)
    assert.matches("reads as the number 0", err.details.pnum[1], 1, true)
    assert(api.contacts.edit(c.id, { email = "z@f.test", pnum = 0 }, { create = true }))
    assert.equal(0, assert(api.contacts.get(c.id)).fields.all.pnum)
  end)

  it("with strict_fields = \"warn\" reports each problem and sends as given", function()
    local c = assert(api.contacts.create({ email = "w@f.test", pbool = "abc", firstnme = "W" }, { strict_fields = "warn" }))
    assert.is_table(c)
    assert.equal(2, #warnings)
    local body = json.decode(fake.last("POST", "^/api/contacts/new$").body)
    assert.equal("abc", body.pbool)
    assert.equal("W", body.firstnme)
  end)

  it("in a batch: an unknown alias in any row raises before anything is sent; rows with bad values are refused alone",
     function()
    assert.has_error(function()
      api.contacts.create_batch{ { email = "b1@f.test" }, { email = "b2@f.test" }, { email = "b3@f.test", citty = "x" } }
    end, "bad argument #1 to 'contacts.create_batch' (row 3: citty: no such contact field; did you mean city?)")
    assert.equal(0, sent("POST", "^/api/contacts/batch"))
    local results = assert(api.contacts.create_batch{ { email = "b1@f.test" }, { email = "b2@f.test", ptime = "25:00" },
                                                      { email = "b3@f.test", pmulti = { "b" } } })
    assert.is_true(results[1].ok)
    assert.is_false(results[2].ok)
    assert.equal("usage", results[2].error.kind)
    assert.is_nil(results[2].status)
    assert.is_true(results[3].ok)
    assert.equal("b", results[3].item.fields.all.pmulti)
    local sent_rows = json.decode(fake.last("POST", "^/api/contacts/batch/new$").body)
    assert.equal(2, #sent_rows)
  end)

  it("checks the columns of an import before the first row is sent, and its values row by row", function()
    local path = os.tmpname()
    sys.write_file(path, "email,firstnme\na@imp.test,Ann\n")
    assert.has_error(function() api.contacts.import(path) end,
      "bad argument #1 to 'contacts.import' (column: firstnme: no such contact field; did you mean firstname?)")
    assert.equal(0, sent("POST", "^/api/contacts/batch"))
    sys.write_file(path, "email,pdate,pselect\na@imp.test,2024-05-01,a\nb@imp.test,01/05/2024,a\nc@imp.test,,Alpha\n")
    local s = assert(api.contacts.import(path))
    assert.equal(1, s.created)
    assert.equal(2, s.failed)
    assert.matches("pdate", s.errors[1].message, 1, true)
    assert.matches("label", s.errors[2].message, 1, true)
    assert.equal(1, sent("GET", "^/api/fields/contact$"))       -- one copy of the fields for the whole job
    os.remove(path)
  end)

  it("checks the columns an export asks for", function()
    assert.has_error(function() api.contacts.export{ fields = { "email", "firstnme" }, to = function() end } end,
      "bad argument #1 to 'contacts.export' (fields: firstnme: no such contact field; did you mean firstname?)")
  end)

  it("reads the published fields from /contacts/list/fields when /fields is forbidden to the user", function()
    fake.fault{ path = "^/api/fields/contact$", status = 403, count = 1,
      body = '{"errors":[{"code":403,"message":"You do not have access to the requested area\\/action.","details":[]}]}' }
    assert.has_error(function() api.contacts.create{ email = "f@f.test", firstnme = "F" } end)
    assert.equal(1, sent("GET", "^/api/contacts/list/fields$"))
    assert(api.contacts.create{ email = "f@f.test", pbool = true })
  end)

  it("sends nothing, and says how to go on, when the fields cannot be read", function()
    fake.fault{ path = "^/api/fields/contact$", status = 500, count = 0 }
    local c, err = fake.client{ retries = 0 }.contacts.create{ email = "g@f.test" }
    assert.is_nil(c)
    assert.equal(500, err.status)
    assert.matches("cannot check the contact fields before sending", err.message, 1, true)
    assert.matches("strict_fields = false", err.message, 1, true)
    assert.equal(0, sent("POST", "^/api/contacts/new$"))
  end)
end)
