-- mautic.core.json_decode: the one-pass JSON decoder behind mautic.json.decode.
-- Accept/reject cases are written after the categories of Nicolas Seriot's
-- JSONTestSuite (y_ must be accepted, n_ must be rejected, i_ is the
-- implementation's choice, decided here), then Mautic-shaped answers.
local core = require "mautic.core"

local decode, null, array_mt = core.json_decode, core.json_null, core.json_array_mt
local is_int = math.type and function(v) return math.type(v) == "integer" end

local function is_array(t) return getmetatable(t) == array_mt end

-- the exact type of every number in v, on Lua 5.3+
local function same_number_types(expected, actual)
  if not is_int or type(expected) ~= type(actual) then return true end
  if type(expected) == "number" then return math.type(expected) == math.type(actual) end
  if type(expected) == "table" then
    for k, v in pairs(expected) do
      if not same_number_types(v, actual[k]) then return false end
    end
  end
  return true
end

-- n copies of `doc`, each with one to three bytes replaced, inserted or
-- dropped at places drawn from a seeded generator (the same run every time)
local function mangled(doc, seed, n)
  local function rand(k) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % k + 1 end
  local bytes = '{}[]":,\\u0123456789.eE+-tfn \0\255'
  local made = 0
  return function()
    if made == n then return nil end
    made = made + 1
    local s = doc
    for _ = 1, rand(3) do
      local i, c = rand(#s), rand(#bytes)
      s = s:sub(1, i - 1) .. bytes:sub(c, c) .. s:sub(i + rand(2) - 1)
    end
    return s
  end
end

describe("mautic.core.json_decode", function()

  describe("accepts what JSON allows (JSONTestSuite y_ cases)", function()
    local cases = {
      { "array_arraysWithSpaces", "[[]   ]", { {} } },
      { "array_empty-string", '[""]', { "" } },
      { "array_empty", "[]", {} },
      { "array_ending_with_newline", '["a"]\n', { "a" } },
      { "array_false", "[false]", { false } },
      { "array_heterogeneous", '[null, 1, "1", {}]', { null, 1, "1", {} } },
      { "array_null", "[null]", { null } },
      { "array_with_several_null", "[1,null,null,null,2]", { 1, null, null, null, 2 } },
      { "array_with_leading_and_trailing_space", " [1] \n\t\r", { 1 } },
      { "number", "[123e65]", { 123e65 } },
      { "number_0e+1", "[0e+1]", { 0 } },
      { "number_0e1", "[0e1]", { 0 } },
      { "number_double_close_to_zero", "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]",
        { -1e-78 } },
      { "number_int_with_exp", "[20e1]", { 200 } },
      { "number_minus_zero", "[-0]", { 0 } },
      { "number_negative_int", "[-123]", { -123 } },
      { "number_real_capital_e", "[1E22]", { 1e22 } },
      { "number_real_capital_e_neg_exp", "[1E-2]", { 0.01 } },
      { "number_real_capital_e_pos_exp", "[1E+2]", { 100 } },
      { "number_real_fraction_exponent", "[123.456e78]", { 123.456e78 } },
      { "number_simple_real", "[123.456789]", { 123.456789 } },
      { "object_basic", '{"asd":"sdf"}', { asd = "sdf" } },
      { "object_duplicated_key (the last one wins)", '{"a":"b","a":"c"}', { a = "c" } },
      { "object_empty", "{}", {} },
      { "object_empty_key", '{"":0}', { [""] = 0 } },
      { "object_escaped_null_in_key", '{"foo\\u0000bar": 42}', { ["foo\0bar"] = 42 } },
      { "object_extreme_numbers", '{ "min": -1.0e+28, "max": 1.0e+28 }', { min = -1e28, max = 1e28 } },
      { "object_with_newlines", '{\n"a": "b"\n}', { a = "b" } },
      { "string_accepted_surrogate_pair", '["\\uD801\\udc37"]', { "\240\144\144\183" } },
      { "string_allowed_escapes", '["\\"\\\\\\/\\b\\f\\n\\r\\t"]', { '"\\/\b\f\n\r\t' } },
      { "string_backslash_and_u_escaped_zero", '["\\\\u0000"]', { "\\u0000" } },
      { "string_comments", '["a/*b*/c/*d//e"]', { "a/*b*/c/*d//e" } },
      { "string_escaped_control_character", '["\\u0012"]', { "\18" } },
      { "string_escaped_noncharacter", '["\\uFFFF"]', { "\239\191\191" } },
      { "string_last_surrogates_1_and_2", '["\\uDBFF\\uDFFF"]', { "\244\143\191\191" } },
      { "string_null_escape", '["\\u0000"]', { "\0" } },
      { "string_surrogates_U+1D11E", '["\\uD834\\uDd1e"]', { "\240\157\132\158" } },
      { "string_two_and_three_byte_escapes", '["\\u00e9\\u20AC"]', { "\195\169\226\130\172" } },
      { "string_uEscape", '["\\u0061\\u30af\\u30EA\\u30b9"]', { "a\227\130\175\227\131\170\227\130\185" } },
      { "string_unescaped_char_delete", '["\127"]', { "\127" } },
      { "string_unicode_escaped_double_quote", '["\\u0022"]', { '"' } },
      { "string_unicodeEscapedBackslash", '["\\u005C"]', { "\\" } },
      { "string_utf8 (raw bytes kept)", '["€𝄞"]', { "€𝄞" } },
      { "string_u+2028_line_sep (raw)", '["\226\128\168"]', { "\226\128\168" } },
      { "structure_lonely_false", "false", false },
      { "structure_lonely_int", "42", 42 },
      { "structure_lonely_negative_real", "-0.1", -0.1 },
      { "structure_lonely_null", "null", null },
      { "structure_lonely_string", '"asd"', "asd" },
      { "structure_lonely_true", "true", true },
      { "structure_string_empty", '""', "" },
      { "structure_whitespace_array", " [] ", {} },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local v, err = decode(c[2])
        assert.is_nil(err)
        assert.same(c[3], v)
        assert.is_true(same_number_types(c[3], v))
      end)
    end
  end)

  describe("rejects what JSON does not allow (JSONTestSuite n_ cases)", function()
    -- text, the offset reported
    local cases = {
      { "array_extra_comma", "[1,]", 3 },
      { "array_double_comma", "[1,,2]", 3 },
      { "array_inner_array_no_comma", "[3[4]]", 2 },
      { "array_items_separated_by_semicolon", "[1:2]", 2 },
      { "array_unclosed", '[""', 3 },
      { "array_unclosed_with_object_inside", "[{}", 3 },
      { "array_invalid_utf8 (outside a string)", "[\255]", 1 },
      { "incomplete_false", "[fals]", 1 },
      { "incomplete_null", "[nul]", 1 },
      { "incomplete_true", "[tru]", 1 },
      { "number_0.e1", "[0.e1]", 3 },
      { "number_1.0e", "[1.0e]", 5 },
      { "number_1.0e+", "[1.0e+]", 6 },
      { "number_-01", "[-01]", 2 },
      { "number_real_without_fractional_part", "[1.]", 3 },
      { "number_starting_with_dot", "[.123]", 1 },
      { "number_plus", "[+1]", 1 },
      { "number_hex", "[0x1]", 2 },
      { "number_infinity", "[Infinity]", 1 },
      { "number_NaN", "[NaN]", 1 },
      { "number_minus_space", "[- 1]", 2 },
      { "number_invalid+-", "[0e+-1]", 4 },
      { "number_with_leading_zero", "[012]", 1 },
      { "object_unquoted_key", "{a:1}", 1 },
      { "object_single_quote", "{'a':0}", 1 },
      { "object_non_string_key", "{1:1}", 1 },
      { "object_missing_colon", '{"a" b}', 5 },
      { "object_missing_value", '{"a":}', 5 },
      { "object_double_colon", '{"x"::"b"}', 5 },
      { "object_comma_instead_of_colon", '{"x", null}', 4 },
      { "object_trailing_comma", '{"id":0,}', 8 },
      { "object_unterminated_value", '{"a":"a', 7 },
      { "string_single_quote", "['single quote']", 1 },
      { "string_escape_x", '["\\x00"]', 2 },
      { "string_escaped_emoji", '["\\\240\159\140\128"]', 2 },
      { "string_incomplete_escape", '["\\"]', 5 },
      { "string_incomplete_escaped_character", '["\\u00A"]', 2 },
      { "string_invalid_unicode_escape", '["\\uqqqq"]', 2 },
      { "string_unicode_CapitalU", '"\\UA66D"', 1 },
      { "string_invalid_utf8_after_escape", '["\\\229"]', 2 },
      { "string_unescaped_tab", '["\t"]', 2 },
      { "string_unescaped_newline", '["new\nline"]', 5 },
      { "string_unescaped_ctrl_char", '["a\0a"]', 3 },
      { "string_no_quotes_with_bad_escape", "[\\n]", 1 },
      { "structure_no_data", "", 0 },
      { "single_space", " ", 1 },
      { "structure_UTF8_BOM_no_data", "\239\187\191", 0 },
      { "structure_UTF8_BOM_empty_object", "\239\187\191{}", 0 },
      { "structure_double_array", "[][]", 2 },
      { "structure_object_followed_by_closing_object", "{}}", 2 },
      { "structure_object_with_trailing_garbage", '{"a": true} "x"', 12 },
      { "structure_trailing_#", '{"a":"b"}#{}', 9 },
      { "structure_whitespace_formfeed", "[\f]", 1 },
      { "structure_null-byte-outside-string", "[\0]", 1 },
      { "structure_capitalized_True", "[True]", 1 },
      { "structure_lone-open-bracket", "[", 1 },
      { "structure_end_array", "]", 0 },
      { "structure_open_object_open_string", '{"a', 3 },
      { "multidigit_number_then_00", "123\0", 3 },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local v, err = decode(c[2])
        assert.is_nil(v)
        assert.is_string(err)
        assert.matches(" at byte offset " .. c[3] .. "$", err)
      end)
    end

    it("says what is wrong", function()
      assert.same({ nil, "unexpected end of input at byte offset 29" },
                  { decode('{"total":"7","contacts":{"1":') })
      assert.same({ nil, "invalid escape in a string at byte offset 6" }, { decode('{"a":"\\q"}') })
      assert.same({ nil, "control character in a string at byte offset 2" }, { decode('["\t"]') })
      assert.same({ nil, "unexpected text after the JSON value at byte offset 3" }, { decode("{} x") })
      assert.same({ nil, "unexpected character at byte offset 0" }, { decode("<html>500</html>") })
    end)
  end)

  describe("decides the implementation-defined cases (JSONTestSuite i_ cases)", function()
    it("keeps bytes that are not valid UTF-8 as they are (no check, no replacement)", function()
      for _, s in ipairs{ "\255", "\224\255", "\237\160\128", "\192\175", "\128", "\230\151", "\233", "\244\144\128\128" } do
        assert.equal(s, decode('"' .. s .. '"'))
        assert.equal(1, decode('{"x' .. s .. '":1}')["x" .. s])
      end
    end)

    it("rejects a UTF-16 surrogate that is not part of a pair", function()
      for _, s in ipairs{ '"\\uD800"', '"\\uDd1ea"', '"\\uD800\\n"', '"\\uDADA"', '"\\uD888\\u1234"',
                          '"\\uD800\\uD800\\n"', '"\\uDFAA"', '"\\uD834\\uDd"', '["\\ud800abc"]',
                          '"\\uDd1e\\uD834"', '{"\\uDFAA":0}' } do
        local v, err = decode(s)
        assert.is_nil(v, s)
        assert.matches("surrogate", err)
      end
    end)

    it("rejects a number too large for a double, and rounds one too small to zero", function()
      for _, s in ipairs{ "[1.5e999]", "[-1e400]", "[-123123e100000]", "[123123e100000]",
                          "[0.4e00669999999999999999999999999999999999999999999999999999999999]" } do
        local v, err = decode(s)
        assert.is_nil(v)
        assert.equal("number out of range at byte offset 1", err)
      end
      assert.equal(0, decode("[123.456e-789]")[1])
      assert.equal(0, decode("[-1e-400]")[1])
    end)

    it("reads integers too large for 64 bits as floats", function()
      for _, s in ipairs{ "100000000000000000000", "-237462374673276894279832749832423479823246327846",
                          "9223372036854775808", "-9223372036854775809" } do
        local v = decode(s)
        assert.equal(tonumber(s), v)
        if is_int then assert.equal("float", math.type(v)) end
      end
    end)
  end)

  describe("numbers", function()
    it("gives integers where the value is integral, floats otherwise", function()
      local ints = { ["0"] = 0, ["-0"] = 0, ["5"] = 5, ["-3"] = -3, ["5.0"] = 5, ["1e3"] = 1000, ["-0.0"] = 0,
                     ["9007199254740991"] = 9007199254740991, ["-9007199254740991"] = -9007199254740991,
                     ["1.5e1"] = 15, ["100e-2"] = 1 }
      for s, n in pairs(ints) do
        local v = decode(s)
        assert.equal(n, v)
        if is_int then assert.equal("integer", math.type(v), s) end
      end
      for _, s in ipairs{ "1.5", "-0.25", "1e-3", "9007199254740992.0", "1e300", "2.5e-1" } do
        local v = decode(s)
        assert.equal(tonumber(s), v)
        if is_int then assert.equal("float", math.type(v), s) end
      end
    end)

    it("keeps 64-bit integer literals exact on Lua 5.3+", function()
      if not is_int then return end
      assert.equal(math.maxinteger, decode("9223372036854775807"))
      assert.equal(math.mininteger, decode("-9223372036854775808"))
      assert.equal(9007199254740993, decode("9007199254740993"))
      assert.equal("integer", math.type(decode("-9223372036854775808")))
    end)

    it("reads long numbers exactly as strtod does", function()
      local long = "0." .. ("0"):rep(300) .. "123456789"
      assert.equal(tonumber(long), decode(long))
      local digits = "1" .. ("0"):rep(200) .. ".5"
      assert.equal(1e200, decode(digits))
      assert.is_nil((decode("1" .. ("0"):rep(400))))
      assert.equal(0.1 + 0.2, decode("0.30000000000000004"))
      assert.equal(5e-324, decode("5e-324"))
      assert.equal(1.7976931348623157e308, decode("1.7976931348623157e308"))
    end)

    it("reads numbers with a '.' whatever the C locale says", function()
      local old = os.setlocale(nil, "numeric")
      local comma
      for _, l in ipairs{ "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE", "fr_FR" } do
        if os.setlocale(l, "numeric") then comma = l break end
      end
      if not comma then
        pending("no locale with a decimal comma is installed")
        return
      end
      local ok, v = pcall(decode, "[1.5, 2.25e1]")
      os.setlocale(old, "numeric")
      assert.is_true(ok)
      assert.same({ 1.5, 22.5 }, v)
    end)
  end)

  describe("strings", function()
    it("decodes escapes in strings of any length, keys included", function()
      local long = ("a\\u00e9\\n\\\"b"):rep(200)
      local want = ("a\195\169\n\"b"):rep(200)
      assert.equal(want, decode('"' .. long .. '"'))
      local v = decode('{"' .. long .. '":"' .. long .. '"}')
      assert.equal(want, v[want])
      assert.equal(("x"):rep(100000), decode('"' .. ("x"):rep(100000) .. '"'))
    end)

    it("keeps NUL bytes that were escaped", function()
      assert.equal("a\0b\0", decode('"a\\u0000b\\u0000"'))
    end)
  end)

  describe("nulls", function()
    it("are left out of objects and kept in place in arrays", function()
      local v = decode('{"a":null,"b":[1,null,3],"c":{"d":null,"e":1},"f":[null]}')
      assert.is_nil(v.a)
      assert.same({ 1, null, 3 }, v.b)
      assert.same({ e = 1 }, v.c)
      assert.equal(null, v.f[1])
      assert.equal(1, #v.f)
    end)

    it("are the light userdata NULL that lua-cjson uses for null", function()
      assert.equal("userdata", type(null))
      local ok, cjson = pcall(require, "cjson")
      if ok then assert.equal(cjson.null, null) end
    end)

    it("remove an earlier member of the same name (the last one wins)", function()
      assert.same({}, decode('{"a":1,"a":null}'))
      assert.same({ a = 2 }, decode('{"a":null,"a":2}'))
      -- past the members gathered before the table is made
      local parts = {}
      for i = 1, 100 do parts[i] = ('"k%d":%d'):format(i, i) end
      local v = decode("{" .. table.concat(parts, ",") .. ',"k1":null,"k99":null,"k100":"x"}')
      assert.is_nil(v.k1)
      assert.is_nil(v.k99)
      assert.equal("x", v.k100)
      assert.equal(50, v.k50)
    end)
  end)

  describe("arrays", function()
    it("carry the json.array mark, empty ones too; objects do not", function()
      local v = decode('{"tags":[],"list":[1,[2]],"o":{},"fields":{"personal":[]}}')
      assert.is_true(is_array(v.tags))
      assert.is_true(is_array(v.list))
      assert.is_true(is_array(v.list[2]))
      assert.is_true(is_array(v.fields.personal))
      assert.is_nil(getmetatable(v))
      assert.is_nil(getmetatable(v.o))
      assert.equal("mautic.json.array", array_mt.__name)
    end)

    it("hold every element in order, past the ones gathered before the table is made", function()
      local parts, want = {}, {}
      for i = 1, 1000 do
        parts[i] = i % 7 == 0 and "null" or tostring(i)
        want[i] = i % 7 == 0 and null or i
      end
      local v = decode("[" .. table.concat(parts, ",") .. "]")
      assert.same(want, v)
      assert.equal(1000, #v)
    end)

    it("re-encode as arrays through mautic.json", function()
      local json = require "mautic.json"
      assert.equal("[]", json.encode(decode("[]")))
      assert.equal('{"tags":[]}', json.encode(decode('{"tags":[]}')))
      assert.equal('{"a":[1,null,[]],"o":{}}', json.encode(decode('{"a":[1,null,[]],"o":{}}')))
    end)
  end)

  describe("the order of an object's keys", function()
    local body = '{"total":"3","contacts":{"6":{"id":6,"x":{"9":1}},"12":{"id":12,"s":"a\\"}b"},"1":{"id":1}}}'

    it("is given for the member named by a string, in document order", function()
      local v, keys = decode(body, "contacts")
      assert.same({ "6", "12", "1" }, keys)
      assert.equal(12, v.contacts["12"].id)
    end)

    it("is nil when that member is an array, missing or not an object; {} when it is empty", function()
      assert.is_nil(select(2, decode('{"lists":[]}', "lists")))
      assert.is_nil(select(2, decode('{"other":{}}', "lists")))
      assert.is_nil(select(2, decode('{"lists":"x"}', "lists")))
      assert.is_nil(select(2, decode('{"lists":null}', "lists")))
      assert.is_nil(select(2, decode('[{"lists":{"a":1}}]', "lists")))
      assert.is_nil(select(2, decode('{"x":{"lists":{"a":1}}}', "lists")))
      assert.same({}, select(2, decode('{"lists":{}}', "lists")))
    end)

    it("follows the last member of that name, as the value does", function()
      assert.same({ "b" }, select(2, decode('{"l":{"a":1},"l":{"b":2}}', "l")))
      assert.is_nil(select(2, decode('{"l":{"a":1},"l":[1]}', "l")))
      assert.is_nil(select(2, decode('{"l":{"a":1},"l":null}', "l")))
    end)

    it("lists keys as decoded, escapes, repeats and null members included", function()
      local _, keys = decode('{ "a" : [1,{"b":"]}"}], "q\\"k": "x", "l\\u0069sts" : '
                          .. '{ "2" : {}, "\\u00e9" : [], "2": 1, "n": null } }', "lists")
      assert.same({ "2", "\195\169", "2", "n" }, keys)
    end)

    it("is noted in a table for the top-level object and the objects right under it", function()
      local order = setmetatable({}, { __mode = "k" })
      local v = decode('{"total":"3","contacts":{"6":{"a":1,"b":2},"12":{},"1":{}},"one":{"a":1},'
                    .. '"none":{},"arr":[{"a":1,"b":2}]}', order)
      assert.same({ "total", "contacts", "one", "none", "arr" }, order[v])
      assert.same({ "6", "12", "1" }, order[v.contacts])
      -- one member or none: order cannot matter; deeper objects are not looked at
      assert.is_nil(order[v.one])
      assert.is_nil(order[v.none])
      assert.is_nil(order[v.contacts["6"]])
      assert.is_nil(order[v.arr[1]])
      assert.is_nil(next(order, next(order, next(order))))
    end)

    it("is not noted for the objects inside a top-level array", function()
      local order = {}
      decode('[{"a":1,"b":2},{"c":1,"d":2}]', order)
      assert.is_nil(next(order))
    end)
  end)

  describe("nesting", function()
    it("goes 1000 levels deep and no deeper", function()
      assert.is_table(decode(("["):rep(1000) .. ("]"):rep(1000)))
      assert.is_table(decode(('{"a":'):rep(1000) .. "1" .. ("}"):rep(1000)))
      assert.same({ nil, "nested deeper than 1000 levels at byte offset 1000" },
                  { decode(("["):rep(1001) .. ("]"):rep(1001)) })
      assert.same({ nil, "nested deeper than 1000 levels at byte offset 5000" },
                  { decode(('{"a":'):rep(1001) .. "1" .. ("}"):rep(1001)) })
    end)

    it("returns an error for 100000 opening brackets (JSONTestSuite n_structure_100000_opening_arrays)", function()
      local v, err = decode(("["):rep(100000))
      assert.is_nil(v)
      assert.matches("nested deeper than 1000 levels", err)
      assert.is_nil((decode(('[{"":'):rep(50000))))
    end)

    it("has room on the Lua stack for wide objects at every level", function()
      local members = {}
      for i = 1, 31 do members[i] = ('"m%d":%d'):format(i, i) end
      local head = "{" .. table.concat(members, ",") .. ',"a":'
      local v, err = decode(head:rep(200) .. "1" .. ("}"):rep(200))
      if v then
        assert.equal(31, v.a.a.m31)
      else -- LuaJIT lets one C call hold 8000 stack slots at most: an error, never a crash
        assert.matches("nested too deeply for the Lua stack", err)
      end
    end)
  end)

  describe("Mautic answers", function()
    local exchanges = {}
    for line in io.lines("spec/fixtures/real-mautic-5.1.jsonl") do exchanges[#exchanges + 1] = line end

    it("decodes every recorded exchange and every JSON body in it", function()
      local n = 0
      for _, line in ipairs(exchanges) do
        local ex = assert(decode(line))
        local body = ex.response and ex.response.body
        if type(body) == "string" and body:match("^%s*[%[{]") then
          local v, err = decode(body)
          assert(v ~= nil, err)
          n = n + 1
        end
      end
      assert.is_true(n > 400)
    end)

    it("reads a real contacts list with integer ids, its order and nulls dropped", function()
      local body
      for _, line in ipairs(exchanges) do
        if line:find('"contacts.list.order_email_desc"', 1, true) then body = decode(line).response.body end
      end
      local v, keys = decode(body, "contacts")
      assert.equal("7", v.total)
      local ids = {}
      for id in body:gmatch('"(%d+)":{"isPublished"') do ids[#ids + 1] = id end
      assert.same(ids, keys)
      for _, k in ipairs(keys) do
        local c = v.contacts[k]
        assert.equal(tonumber(k), c.id)
        if is_int then assert.equal("integer", math.type(c.id)) end
        assert.is_nil(c.createdBy)       -- null in the answer
        assert.is_true(is_array(c.ipAddresses))
      end
    end)

    it("reads the empty lists and the error envelopes", function()
      assert.same({ { total = "0", contacts = {} }, {} }, { decode('{"total":"0","contacts":{}}', "contacts") })
      local v, keys = decode('{"total":0,"lists":[]}', "lists")
      assert.same({ total = 0, lists = {} }, v)
      assert.is_true(is_array(v.lists))
      assert.is_nil(keys)
      v = decode('{"errors":[{"message":"Item was not found.","code":404,"type":null}]}')
      assert.same({ errors = { { message = "Item was not found.", code = 404 } } }, v)
      v = decode('{"statusCodes":[201,400],"errors":{"1":{"code":400,"message":"email: bad","details":{"email":["bad"]}}}}')
      assert.same({ 201, 400 }, v.statusCodes)
      assert.equal(400, v.errors["1"].code)
    end)
  end)

  describe("bad input", function()
    it("never raises: every prefix of a document is an error with an offset", function()
      local doc = '{"total":"2","contacts":{"5":{"id":5,"n":-1.5e3,"s":"\\u00e9\\ud83d\\ude00\\"","t":[true,false,null]},'
               .. '"4":{"id":4,"tags":[],"o":{}}}}'
      assert.is_table(decode(doc, "contacts"))
      for i = 0, #doc - 1 do
        local ok, v, err = pcall(decode, doc:sub(1, i), "contacts")
        assert.is_true(ok)
        assert.is_nil(v)
        local at = tonumber(err:match("at byte offset (%d+)$"))
        assert.is_true(at ~= nil and at <= i, err)
      end
    end)

    it("never raises on mangled documents", function()
      local doc = '{"a":[1,2.5e-3,"x\\n\\u00e9",{"b":null,"c":[[],{}]}],"d":true,"e":"\\ud83d\\ude00"}'
      for s in mangled(doc, 1, 3000) do
        local ok, v, err = pcall(decode, s, setmetatable({}, { __mode = "k" }))
        assert.is_true(ok, v)
        assert.is_true(v ~= nil or type(err) == "string")
      end
    end)

    it("raises for arguments of the wrong type (a programmer's error)", function()
      assert.has_error(function() decode(nil) end)
      assert.has_error(function() decode(5) end)
      assert.has_error(function() decode("{}", 5) end)
      assert.has_error(function() decode("{}", true) end)
    end)
  end)

  describe("with share, identical leaf objects are one table", function()
    local function deep_equal(a, b)
      if type(a) ~= "table" or type(b) ~= "table" then return a == b end
      if getmetatable(a) ~= getmetatable(b) then return false end
      for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end

    it("makes one table of the same leaf text, and copies without share", function()
      local text = '[{"id":1,"alias":"phone","properties":[],"value":null},' ..
                   '{"id":1,"alias":"phone","properties":[],"value":null},{"id":2,"alias":"fax"}]'
      local shared = assert(decode(text, nil, true))
      local plain = assert(decode(text))
      assert.is_true(rawequal(shared[1], shared[2]))
      assert.is_false(rawequal(plain[1], plain[2]))
      assert.is_false(rawequal(shared[1], shared[3]))
      assert.is_true(deep_equal(plain, shared))
      assert.is_true(is_array(shared[1].properties))
      assert.is_nil(shared[1].value)
    end)

    it("shares no object holding an object or a non-empty array, and no empty object", function()
      local text = '[{"a":{"b":1}},{"a":{"b":1}},{"l":[1]},{"l":[1]},{},{},[],[]]'
      local v = assert(decode(text, nil, true))
      assert.is_true(rawequal(v[1].a, v[2].a))      -- the leaf inside is shared
      assert.is_false(rawequal(v[1], v[2]))
      assert.is_false(rawequal(v[3], v[4]))
      assert.is_false(rawequal(v[5], v[6]))
      assert.is_false(rawequal(v[7], v[8]))
    end)

    it("reads strings with escaped quotes and braces right while looking for leaves", function()
      local text = '[{"a":"x\\"}{[","b":"\\\\"},{"a":"x\\"}{[","b":"\\\\"},{"a":"x\\"}{[","b":"y"}]'
      local v = assert(decode(text, nil, true))
      assert.equal('x"}{[', v[1].a)
      assert.equal("\\", v[1].b)
      assert.is_true(rawequal(v[1], v[2]))
      assert.is_false(rawequal(v[1], v[3]))
      assert.equal("y", v[3].b)
    end)

    it("keeps apart two different leaves whose texts hash alike", function()
      -- {"a":24329} and {"a":568614} have the same 31-bit FNV-1a key
      local v = assert(decode('[{"a":24329},{"a":568614},{"a":568614},{"a":24329}]', nil, true))
      assert.same({ 24329, 568614, 568614, 24329 }, { v[1].a, v[2].a, v[3].a, v[4].a })
      assert.is_true(rawequal(v[1], v[4]))
    end)

    it("decodes a long leaf (not looked up) the same", function()
      local long = '{"a":"' .. ("x"):rep(2000) .. '"}'
      local v = assert(decode("[" .. long .. "," .. long .. "]", nil, true))
      assert.equal(2000, #v[1].a)
      assert.is_true(deep_equal(v[1], v[2]))
    end)

    it("gives the same values, key orders and errors as without share on mangled documents", function()
      local doc = '{"a":[{"x":1,"y":[]},{"x":1,"y":[]},{"b":null,"c":[[],{}]}],"d":{"k":"\\u00e9","l":2},' ..
                  '"e":[{"k":"\\u00e9","l":2},{"k":"\\u00e9","l":2}]}'
      for s in mangled(doc, 7, 3000) do
        local o1, o2 = {}, {}
        local v1, e1 = decode(s, o1)
        local v2, e2 = decode(s, o2, true)
        assert.equal(e1, e2)
        assert.is_true(deep_equal(v1, v2), s)
        if type(v1) == "table" then assert.is_true(deep_equal(o1[v1], o2[v2]), s) end
      end
    end)
  end)
end)
