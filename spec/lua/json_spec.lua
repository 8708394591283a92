local json = require "mautic.json"

describe("mautic.json", function()
  describe("decode", function()
    it("turns integral numbers into integers, so ids print without .0", function()
      local v = json.decode('{"id":5,"points":-3,"big":9007199254740991,"ratio":1.5}')
      assert.equal("5", tostring(v.id))
      assert.equal("-3", tostring(v.points))
      -- LuaJIT's tostring switches to exponents past 1e14; paths use query.scalar
      assert.equal("9007199254740991", require("mautic.query").scalar(v.big))
      assert.equal(1.5, v.ratio)
      if math.type then
        assert.equal("integer", math.type(v.id))
        assert.equal("float", math.type(v.ratio))
      end
    end)

    it("drops nulls inside objects and keeps them in place inside arrays", function()
      local v = json.decode('{"a":null,"b":[1,null,3],"c":{"d":null,"e":1}}')
      assert.is_nil(v.a)
      assert.equal(json.null, v.b[2])
      assert.equal(3, v.b[3])
      assert.is_nil(v.c.d)
      assert.equal(1, v.c.e)
    end)

    it("returns nil and a message for text that is not JSON", function()
      for _, bad in ipairs{ "<html>500</html>", '{"total":"7","contacts":{"1":', "", "nul" } do
        local v, err = json.decode(bad)
        assert.is_nil(v)
        assert.is_string(err)
      end
      assert.same({ nil, "expected a string to decode" }, { json.decode(nil) })
    end)
  end)

  describe("keys_in_order", function()
    it("reads the keys of a keyed list in the order of the raw text", function()
      local raw = '{"total":"3","contacts":{"6":{"id":6,"x":{"9":1}},"12":{"id":12,"s":"a\\"}b"},"1":{"id":1}}}'
      assert.same({ "6", "12", "1" }, json.keys_in_order(raw, "contacts"))
    end)

    it("skips other members, nested arrays, strings with brackets and escapes", function()
      local raw = '{ "a" : [1,{"b":"]}"}], "q\\"k": "x", "lists" : { "2" : {}, "10" : [] } }'
      assert.same({ "2", "10" }, json.keys_in_order(raw, "lists"))
    end)

    it("returns nil when the value is not an object", function()
      assert.is_nil(json.keys_in_order('{"lists":[]}', "lists"))
      assert.is_nil(json.keys_in_order('{"other":{}}', "lists"))
      assert.same({}, json.keys_in_order('{"lists":{}}', "lists"))
    end)
  end)

  describe("encode", function()
    local cases = {
      { { email = "a@b.c", id = 5 }, '{"email":"a@b.c","id":5}' },
      { { 1, 2, 3 }, "[1,2,3]" },
      { {}, "{}" },
      { json.array(), "[]" },
      { { tags = json.array{ "a" } }, '{"tags":["a"]}' },
      { 5.0, "5" },
      { 1.5, "1.5" },
      { true, "true" },
      { "line\nbreak \"q\" \\ \1", '"line\\nbreak \\"q\\" \\\\ \\u0001"' },
      { { [1] = "a", [3] = "c" }, '{"1":"a","3":"c"}' },
      { { x = json.null }, '{"x":null}' },
    }
    for _, c in ipairs(cases) do
      it("encodes " .. c[2], function()
        assert.equal(c[2], json.encode(c[1]))
      end)
    end

    it("round-trips UTF-8 text byte for byte", function()
      local s = "Zoë Ærø 日本"
      assert.equal(s, json.decode(json.encode{ s = s }).s)
    end)

    it("refuses values that JSON cannot hold", function()
      local t = {}
      t.self = t
      for _, v in ipairs{ t, { f = print }, { [true] = 1 }, 0 / 0, math.huge } do
        local s, err = json.encode(v)
        assert.is_nil(s)
        assert.matches("cannot encode", err)
      end
    end)
  end)
end)
