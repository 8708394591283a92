local json = require "mautic.json"
local list = require "mautic.list"

local function normalize(raw, key)
  return list.normalize(json.decode(raw), raw, key)
end

describe("list normalisation", function()
  it("keeps the server's order of a list keyed by id, with an integer total", function()
    local page = normalize('{"total":"7","contacts":{"6":{"id":6},"5":{"id":5},"7":{"id":7}}}', "contacts")
    assert.equal(7, page.total)
    if math.type then assert.equal("integer", math.type(page.total)) end
    assert.same({ 6, 5, 7 }, { page.items[1].id, page.items[2].id, page.items[3].id })
  end)

  it("passes arrays through in order", function()
    local page = normalize('{"total":2,"assets":[{"id":9},{"id":2}]}', "assets")
    assert.equal(2, page.total)
    assert.same({ 9, 2 }, { page.items[1].id, page.items[2].id })
  end)

  it("reads the empty shapes real Mautic 5.1 sends", function()
    assert.same({ total = 0, items = {} }, normalize('{"total":"0","contacts":{}}', "contacts"))
    assert.same({ total = 0, items = {} }, normalize('{"total":0,"lists":[]}', "lists"))
  end)

  it("counts the items when total is missing", function()
    assert.same(1, normalize('{"lists":[{"id":1}]}', "lists").total)
  end)
end)
