local json = require "mautic.json"
local errors = require "mautic.errors"

local function from(status, raw)
  local req = { method = "GET", url = "http://m.test/api/contacts/5" }
  return errors.from_response(status, json.decode(raw), raw, req)
end

describe("error objects", function()
  it("read Mautic 5's errors envelope with field details", function()
    local e = from(400, '{"errors":[{"code":400,"message":"name: A name is required.",' ..
                        '"details":{"name":["A name is required."]}}]}')
    assert.equal("http", e.kind)
    assert.equal(400, e.status)
    assert.equal(400, e.code)
    assert.equal("name: A name is required.", e.message)
    assert.same({ "A name is required." }, e.details.name)
  end)

  it("treat an empty details array as no details", function()
    local e = from(404, '{"errors":[{"code":404,"message":"Item was not found.","details":[]}]}')
    assert.equal("Item was not found.", e.message)
    assert.is_nil(e.details)
  end)

  it("read the old single-error shape", function()
    local e = from(403, '{"error":{"message":"You do not have access to the requested area/action.","code":403}}')
    assert.equal(403, e.code)
    assert.matches("do not have access", e.message)
  end)

  it("read OAuth's error and error_description", function()
    local e = from(400, '{"error":"invalid_grant","error_description":"The access token provided has expired."}')
    assert.equal("invalid_grant", e.type)
    assert.equal("The access token provided has expired.", e.message)
  end)

  it("mark 401s as auth errors and keep the error type", function()
    local e = from(401, '{"errors":[{"message":"API authorization denied.","code":401,"type":"access_denied"}]}')
    assert.equal("auth", e.kind)
    assert.equal("access_denied", e.type)
  end)

  it("join several messages and merge their details", function()
    local e = from(400, '{"errors":[{"code":400,"message":"a","details":{"x":["1"]}},' ..
                        '{"code":400,"message":"b","details":{"y":["2"]}}]}')
    assert.equal("a; b", e.message)
    assert.same({ x = { "1" }, y = { "2" } }, e.details)
  end)

  it("print kind, status, message, method and url", function()
    local e = from(404, '{"errors":[{"code":404,"message":"Item was not found.","details":[]}]}')
    assert.equal("mautic: http 404 Item was not found. (GET http://m.test/api/contacts/5)", tostring(e))
  end)

  it("carry the status and the start of an undecodable body", function()
    local e = errors.decode(502, "<html><body>Bad gateway</body></html>", "not JSON", { method = "GET", url = "u" })
    assert.equal("decode", e.kind)
    assert.equal(502, e.status)
    assert.matches("<html><body>Bad gateway", e.message, 1, true)
  end)

  it("cut long bodies short", function()
    local e = errors.decode(500, string.rep("x", 5000), "not JSON")
    assert.is_true(#e.body < 600)
  end)
end)
