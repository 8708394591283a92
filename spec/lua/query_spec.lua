local query = require "mautic.query"

describe("mautic.encode_query", function()
  -- expected strings are what PHP's parse_str reads back into the same structure
  local cases = {
    { "a scalar", { search = "ann" }, "search=ann" },
    { "+ as %2B and @ and % escaped", { search = "email:ann+test%@example.com" },
      "search=email%3Aann%2Btest%25%40example.com" },
    { "space as %20", { search = "Ann Lee" }, "search=Ann%20Lee" },
    { "~ and - . _ unescaped", { v = "a~b-c.d_e" }, "v=a~b-c.d_e" },
    { "booleans as 1 and 0", { publishedOnly = true, minimal = false }, "minimal=0&publishedOnly=1" },
    { "integral floats without .0", { limit = 100.0, start = 0 }, "limit=100&start=0" },
    { "other floats as PHP prints them", { a = 0.1, b = 1 / 3, c = -2.5 }, "a=0.1&b=0.33333333333333&c=-2.5" },
    { "lists numbered from 0", { ids = { 3, 4 } }, "ids%5B0%5D=3&ids%5B1%5D=4" },
    { "nested where clauses", { where = { { col = "phone", expr = "in", val = "1,2" } } },
      "where%5B0%5D%5Bcol%5D=phone&where%5B0%5D%5Bexpr%5D=in&where%5B0%5D%5Bval%5D=1%2C2" },
    { "deep nesting", { where = { { expr = "andX", val = { { col = "id", expr = "gt", val = 1 } } } } },
      "where%5B0%5D%5Bexpr%5D=andX&where%5B0%5D%5Bval%5D%5B0%5D%5Bcol%5D=id" ..
      "&where%5B0%5D%5Bval%5D%5B0%5D%5Bexpr%5D=gt&where%5B0%5D%5Bval%5D%5B0%5D%5Bval%5D=1" },
    { "empty tables vanish as in http_build_query", { a = {}, b = "x" }, "b=x" },
    { "sparse tables keep their keys", { f = { [2] = "b", [5] = "e" } }, "f%5B2%5D=b&f%5B5%5D=e" },
    { "UTF-8 bytes", { q = "é" }, "q=%C3%A9" },
    { "nothing", {}, "" },
  }
  for _, c in ipairs(cases) do
    it("encodes " .. c[1], function()
      assert.equal(c[3], query.encode(c[2]))
    end)
  end

  it("is the same function as mautic.encode_query", function()
    assert.equal(query.encode, require("mautic").encode_query)
  end)

  it("raises on values that cannot be sent", function()
    assert.has_error(function() query.encode{ f = print } end)
  end)
end)
