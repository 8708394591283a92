-- The pure parts of version awareness and /api/v2: what a Mautic-Version
-- says a server has, JSON-LD collections made regular, and the error shapes
-- of 7.0 read as /api's are (answers as recorded from a real 7.0.0 in
-- reference/real-mautic-7.0).
local versions = require "mautic.versions"
local collection = require "mautic.collection"
local errors = require "mautic.errors"
local json = require "mautic.json"

describe("mautic.versions", function()
  local cases = {
    -- header           major minor patch v2     import rate   moves  bearer
    { "5.1.0",           5, 1, 0,  false, false, true,  true,  false },
    { "6.0.3",           6, 0, 3,  false, false, true,  true,  false },
    { "6.0.4",           6, 0, 4,  false, false, true,  false, false },
    { "7.0.0",           7, 0, 0,  true,  true,  false, false, false },
    { "7.1.2",           7, 1, 2,  true,  true,  false, false, false },
    { "7.1.3",           7, 1, 3,  true,  true,  false, false, true },
    { "7.2.0-rc1",       7, 2, 0,  true,  true,  false, false, true },
    { "8",               8, 0, 0,  true,  true,  false, false, true },
  }
  for _, c in ipairs(cases) do
    it("reads " .. c[1], function()
      local v = versions.describe(c[1])
      assert.are.same({ c[2], c[3], c[4] }, { v.major, v.minor, v.patch })
      assert.are.equal(c[1], v.version)
      assert.are.same({ v2 = c[5], campaign_import = c[6], rate_limiter = c[7], date_modified_moves = c[8],
                        v2_bearer = c[9] },
                      { v2 = v.v2, campaign_import = v.campaign_import, rate_limiter = v.rate_limiter,
                        date_modified_moves = v.date_modified_moves, v2_bearer = v.v2_bearer })
    end)
  end

  it("knows nothing of a header that is not a version", function()
    assert.are.same({ version = "unknown" }, versions.describe("unknown"))
    assert.are.same({}, versions.describe(nil))
  end)

  it("names the version and the release a feature came with when refusing", function()
    assert.are.equal("v2.tags.list: Mautic 5.1.0 has no /api/v2 (it came with Mautic 7.0)",
      versions.unsupported_message("v2.tags.list", "v2", "5.1.0"))
  end)

  it("tells stock 7.0's refusal of a bearer token on /api/v2 from any other 401", function()
    local refused = json.decode('{"message":"Invalid credentials."}')        -- auth.unpatched_7_0_0.bearer.collection
    assert.is_true(versions.v2_bearer_refused(401, refused, "/v2/contacts", "oauth2"))
    assert.is_false(versions.v2_bearer_refused(401, refused, "/v2/contacts", "basic"))
    assert.is_false(versions.v2_bearer_refused(401, refused, "/contacts", "oauth2"))
    assert.is_false(versions.v2_bearer_refused(403, refused, "/v2/contacts", "oauth2"))
    local expired = json.decode('{"errors":[{"message":"The access token provided has expired.","code":401,'
      .. '"type":"invalid_grant"}]}')
    assert.is_false(versions.v2_bearer_refused(401, expired, "/v2/contacts", "oauth2"))
    assert.matches("fixed in Mautic 7.1.3", versions.V2_BEARER_MESSAGE, 1, true)
    assert.matches("mautic.auth.basic (HTTP Basic) works on /api/v2", versions.V2_BEARER_MESSAGE, 1, true)
  end)
end)

describe("mautic.collection", function()
  local cases = {
    { "a JSON-LD page (tags.pages.page2)",
      '{"@context":"/api/v2/contexts/Tag","@id":"/api/v2/tags","@type":"Collection","totalItems":36,'
        .. '"member":[{"@id":"/api/v2/tags/31","id":31},{"@id":"/api/v2/tags/32","id":32}]}',
      36, { 31, 32 } },
    { "an empty collection (contacts.list.empty)",
      '{"@context":"/api/v2/contexts/Contacts","@id":"/api/v2/contacts","@type":"Collection","totalItems":0,"member":[]}',
      0, {} },
    { "Hydra-prefixed keys (API Platform before 4)",
      '{"hydra:totalItems":2,"hydra:member":[{"id":1},{"id":2}]}', 2, { 1, 2 } },
    { "a bare array (Accept: application/json): no total", '[{"id":4},{"id":5}]', nil, { 4, 5 } },
    { "a total that is not a count", '{"totalItems":"many","member":[{"id":1}]}', nil, { 1 } },
  }
  for _, c in ipairs(cases) do
    it("reads " .. c[1], function()
      local page = assert(collection.normalize(json.decode(c[2])))
      assert.are.equal(c[3], page.total)
      local ids = {}
      for i, item in ipairs(page.items) do ids[i] = item.id end
      assert.are.same(c[4], ids)
      if page.total then assert.are.equal(math.type and "integer" or "number", math.type and math.type(page.total)
        or type(page.total)) end
    end)
  end

  it("says why an answer is no collection", function()
    assert.are.same({ nil, "not a collection: no 'member'" }, { collection.normalize(json.decode('{"id":3}')) })
    assert.are.same({ nil, "not a collection: 'member' is not an array" },
      { collection.normalize(json.decode('{"member":{"a":1}}')) })
    assert.are.same({ nil, "not a collection (no JSON object)" }, { collection.normalize("text") })
    assert.are.same({ nil, "not an entity (no JSON object)" }, { collection.item(json.decode('[1]')) })
  end)
end)

describe("7.0's error shapes", function()
  local cases = {
    { "a v2 404 (contacts.get.missing)", 404, '{"errors":[{"message":"Not Found","code":404,"type":null}]}',
      "http", 404, "Not Found" },
    { "a v2 415 (contacts.patch.application_json)", 415,
      '{"errors":[{"message":"Looks like I encountered an error (error #415).","code":415,"type":null}]}',
      "http", 415, "Looks like I encountered an error (error #415)." },
    { "a v2 422 (segments.create.invalid.empty_object)", 422,
      '{"errors":[{"message":"Looks like I encountered an error (error #422).","code":422,"type":null}]}',
      "http", 422, "Looks like I encountered an error (error #422)." },
    { "a v2 401 (auth.bearer.expired)", 401,
      '{"errors":[{"message":"The access token provided has expired.","code":401,"type":"invalid_grant"}]}',
      "auth", 401, "The access token provided has expired.", "invalid_grant" },
    { "a v2 403, problem+json (auth.limited_user.emails.list)", 403,
      '{"@context":"/api/v2/contexts/Error","@id":"/api/v2/errors/403","@type":"Error","title":"An error occurred",'
        .. '"detail":"Access Denied.","status":403,"type":"/errors/403","description":"Access Denied."}',
      "http", 403, "Access Denied.", "/errors/403" },
    { "stock 7.0's bearer refusal (auth.unpatched_7_0_0.bearer.post)", 401, '{"message":"Invalid credentials."}',
      "auth", 401, "Invalid credentials." },
    { "the campaign import's 400 (campaigns.import.no_body)", 400,
      '{"error":"No JSON content found and exactly one ZIP file must be uploaded."}',
      "http", 400, "No JSON content found and exactly one ZIP file must be uploaded." },
    { "an OAuth error, as before", 400, '{"error":"invalid_grant","error_description":"Invalid refresh token"}',
      "http", 400, "Invalid refresh token", "invalid_grant" },
  }
  for _, c in ipairs(cases) do
    it("reads " .. c[1], function()
      local err = errors.from_response(c[2], json.decode(c[3]), c[3], { method = "GET", url = "http://h/api/v2/x" })
      assert.are.equal(c[4], err.kind)
      assert.are.equal(c[5], err.code)
      assert.are.equal(c[6], err.message)
      assert.are.equal(c[7], err.type)
    end)
  end

  it("keys a problem's violations by property path, as /api's details are", function()
    local body = '{"title":"An error occurred","detail":"alias: This value should not be blank.","status":422,'
      .. '"violations":[{"propertyPath":"alias","message":"This value should not be blank."},'
      .. '{"propertyPath":"name","message":"Too short."},{"propertyPath":"name","message":"Bad."}]}'
    local err = errors.from_response(422, json.decode(body), body, nil)
    assert.are.same({ alias = { "This value should not be blank." }, name = { "Too short.", "Bad." } }, err.details)
    assert.are.equal("alias: This value should not be blank.", err.message)
  end)
end)
