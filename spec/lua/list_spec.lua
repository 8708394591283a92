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

  it("needs no raw text for what json.decode made", function()
    local page = list.normalize(json.decode('{"total":3,"contacts":{"6":{"id":6},"12":{"id":12},"1":{"id":1}}}'),
                                nil, "contacts")
    assert.same({ 6, 12, 1 }, { page.items[1].id, page.items[2].id, page.items[3].id })
  end)

  it("gives a single item without looking for an order", function()
    assert.same({ { id = 5 } }, list.values_in_order({ ["5"] = { id = 5 } }, nil, "contacts"))
  end)

  it("yields a key given twice once, where it first appears, with its last value", function()
    local page = normalize('{"total":2,"lists":{"2":{"id":2},"9":{"id":9},"2":{"id":22}}}', "lists")
    assert.same({ 22, 9 }, { page.items[1].id, page.items[2].id })
  end)

  it("reads the order from the raw text for a value decoded elsewhere", function()
    local raw = '{"total":3,"contacts":{"6":{"id":6},"12":{"id":12},"1":{"id":1}}}'
    local value = { ["1"] = { id = 1 }, ["12"] = { id = 12 }, ["6"] = { id = 6 } }
    local items = list.values_in_order(value, raw, "contacts")
    assert.same({ 6, 12, 1 }, { items[1].id, items[2].id, items[3].id })
  end)

  it("falls back to numeric key order when no order is known", function()
    local items = list.values_in_order({ ["10"] = "b", ["9"] = "a", ["100"] = "c" }, nil, "x")
    assert.same({ "a", "b", "c" }, items)
  end)
end)
