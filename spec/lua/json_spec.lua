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

    it("returns nil and a message with the byte offset for text that is not JSON", function()
      for _, bad in ipairs{ "<html>500</html>", '{"total":"7","contacts":{"1":', "", "nul", "{} x" } do
        local v, err = json.decode(bad)
        assert.is_nil(v)
        assert.matches("at byte offset %d+$", err)
      end
      assert.same({ nil, "unexpected end of input at byte offset 29" },
                  { json.decode('{"total":"7","contacts":{"1":') })
      assert.same({ nil, "expected a string to decode" }, { json.decode(nil) })
    end)

    it("marks arrays, so that they encode back as arrays, empty ones too", function()
      assert.equal("[]", json.encode(json.decode("[]")))
      assert.equal('{"tags":[]}', json.encode(json.decode('{"tags":[]}')))
      assert.equal('{"fields":{"personal":[]},"o":{}}', json.encode(json.decode('{"o":{},"fields":{"personal":[]}}')))
      assert.is_true(json.is_array_marked(json.decode('{"a":[1]}').a))
      assert.is_false(json.is_array_marked(json.decode('{"a":{}}').a))
    end)

    it("uses lua-cjson's null, so code that compares with cjson.null keeps working", function()
      local ok, cjson = pcall(require, "cjson")
      if ok then assert.equal(cjson.null, json.null) end
      assert.equal(json.null, json.decode("[null]")[1])
      assert.equal(json.null, json.decode("null"))
    end)

    it("gives the keys of a member in document order when asked", function()
      local v, keys = json.decode('{"total":"3","contacts":{"6":{"id":6},"12":{"id":12},"1":{"id":1}}}', "contacts")
      assert.equal(12, v.contacts["12"].id)
      assert.same({ "6", "12", "1" }, keys)
      assert.same({ { lists = {} } }, { json.decode('{"lists":[]}', "lists") })
    end)
  end)

  describe("order", function()
    it("knows the key order of the objects json.decode made, at the top two levels", function()
      local v = json.decode('{"total":"3","contacts":{"6":{"id":6,"x":1},"12":{"id":12},"1":{"id":1}}}')
      assert.same({ "total", "contacts" }, json.order(v))
      assert.same({ "6", "12", "1" }, json.order(v.contacts))
      assert.is_nil(json.order(v.contacts["6"]))
      assert.is_nil(json.order({ a = 1, b = 2 }))
    end)

    it("forgets an object once it is garbage", function()
      local weak = setmetatable({}, { __mode = "k" })
      weak[json.decode('{"contacts":{"2":{},"1":{}},"total":2}').contacts] = true
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak))
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

    it("returns nil when the value is not an object, or the text not JSON", function()
      assert.is_nil(json.keys_in_order('{"lists":[]}', "lists"))
      assert.is_nil(json.keys_in_order('{"other":{}}', "lists"))
      assert.same({}, json.keys_in_order('{"lists":{}}', "lists"))
      assert.is_nil(json.keys_in_order('{"lists":{"1":{}', "lists"))
      assert.is_nil(json.keys_in_order(nil, "lists"))
    end)

    it("reads the top-level keys when no field is given", function()
      assert.same({ "b", "a", "c" }, json.keys_in_order('{"b":1,"a":2,"c":null}'))
      assert.same({ "a" }, json.keys_in_order('{"a":2}'))
      assert.same({}, json.keys_in_order("{}"))
      assert.is_nil(json.keys_in_order("[1,2]"))
      assert.is_nil(json.keys_in_order("7"))
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
