-- Answers with many entities (list pages, batch results) decode with
-- json.decode_shared: a field definition that is the same text in several
-- contacts of one answer is one table, which is most of what a contact
-- costs. These specs check, against the fake Mautic, that sharing is on
-- where it should be, that the data is the same as an unshared decode gives,
-- and the Lua memory a full-result create_batch keeps per contact.
local fake = require "support.fake"
local json = require "mautic.json"

local function deep_equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function rows(n, tag)
  local t = {}
  for i = 1, n do t[i] = { email = ("%s%d@memory.test"):format(tag, i), firstname = "First " .. i } end
  return t
end

describe("entities of one answer", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
  end)

  it("share the field definitions that are the same in a create_batch answer", function()
    local res = assert(api.contacts.create_batch(rows(3, "share")))
    local a, b = res[1].item, res[2].item
    assert.is_true(rawequal(a.fields.core.phone, b.fields.core.phone))
    assert.is_false(rawequal(a.fields.core.firstname, b.fields.core.firstname))
    assert.equal("First 1", a.fields.core.firstname.value)
    assert.equal("First 2", b.fields.core.firstname.value)
    assert.equal("share2@memory.test", b.fields.all.email)
  end)

  it("share field definitions across the items of a list page, with the data of an unshared decode", function()
    assert(api.contacts.create_batch(rows(3, "list")))
    local page = assert(api.contacts.list{ limit = 3 })
    assert.equal(3, #page.items)
    local a, c = page.items[1], page.items[3]
    assert.is_true(rawequal(a.fields.core.phone, c.fields.core.phone))
    assert.is_false(rawequal(a.fields.core.email, c.fields.core.email))
    local raw = assert(api.request("GET", "/contacts?limit=3", { raw = true }))
    local plain = assert(json.decode(raw)).contacts
    local k1, k3 = tostring(a.id), tostring(c.id)
    assert.is_false(rawequal(plain[k1].fields.core.phone, plain[k3].fields.core.phone))
    assert.is_true(deep_equal(plain[k1], a))
    assert.is_true(deep_equal(plain[k3], c))
    assert.equal(json.encode(plain[k3]), json.encode(c))
  end)

  it("keep under 6 KB of Lua memory per contact in a full-result create_batch (11 KB unshared)", function()
    local input = rows(1000, "heap")
    collectgarbage()
    collectgarbage()
    local before = collectgarbage("count")
    local res = assert(api.contacts.create_batch(input))
    collectgarbage()
    collectgarbage()
    local per_contact = (collectgarbage("count") - before) * 1024 / #res
    assert.equal(1000, #res)
    assert.is_true(res[1000].ok and res[1000].item.fields.all.email == "heap1000@memory.test")
    assert.is_true(per_contact < 6 * 1024, ("%.0f B per contact"):format(per_contact))
  end)
end)
