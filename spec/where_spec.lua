-- mautic.where: clauses that mautic.encode_query writes the way Mautic 5's
-- CommonRepository::buildWhereClauseFromArray reads them.
local mautic = require "mautic"
local W = require "mautic.where"

local function q(where) return mautic.encode_query{ where = where } end
local function decoded(s) return (s:gsub("%%5B", "["):gsub("%%5D", "]")) end

describe("mautic.where", function()
  describe("builds clauses that encode as Mautic reads them:", function()
    local cases = {
      { "eq", W.eq("email", "ann+x@example.com"),
        "where[0][col]=email&where[0][expr]=eq&where[0][val]=ann%2Bx%40example.com" },
      { "neq", W.neq("id", 5), "where[0][col]=id&where[0][expr]=neq&where[0][val]=5" },
      { "lt", W.lt("points", 10), "where[0][col]=points&where[0][expr]=lt&where[0][val]=10" },
      { "lte", W.lte("points", 10.5), "where[0][col]=points&where[0][expr]=lte&where[0][val]=10.5" },
      { "gt", W.gt("l.id", 3), "where[0][col]=l.id&where[0][expr]=gt&where[0][val]=3" },
      { "gte", W.gte("date_added", "2024-01-01 00:00:00"),
        "where[0][col]=date_added&where[0][expr]=gte&where[0][val]=2024-01-01%2000%3A00%3A00" },
      { "like", W.like("email", "%@example.com"), "where[0][col]=email&where[0][expr]=like&where[0][val]=%25%40example.com" },
      { "notLike", W.notLike("email", "%test%"), "where[0][col]=email&where[0][expr]=notLike&where[0][val]=%25test%25" },
      { "a boolean as 1", W.eq("is_published", true), "where[0][col]=is_published&where[0][expr]=eq&where[0][val]=1" },
      { "a boolean as 0", W.eq("is_published", false), "where[0][col]=is_published&where[0][expr]=eq&where[0][val]=0" },
      { "in from an array, as one CSV string", W.in_("id", { 1, 2, 3 }),
        "where[0][col]=id&where[0][expr]=in&where[0][val]=1%2C2%2C3" },
      { "in from a string, as given", W["in"]("id", "1,2"), "where[0][col]=id&where[0][expr]=in&where[0][val]=1%2C2" },
      { "in quoting commas and quotes as str_getcsv reads them", W.in_("city", { "Paris, TX", 'a "b"', " x" }),
        'where[0][col]=city&where[0][expr]=in&where[0][val]=%22Paris%2C%20TX%22%2C%22a%20%22%22b%22%22%22%2C%22%20x%22' },
      { "in with & kept through html_entity_decode", W.in_("company", { "AT&T", "&lt;" }),
        "where[0][col]=company&where[0][expr]=in&where[0][val]=AT%26amp%3BT%2C%26amp%3Blt%3B" },
      { "notIn", W.notIn("stage", { "lead" }), "where[0][col]=stage&where[0][expr]=notIn&where[0][val]=lead" },
      { "between with a two-item val", W.between("points", 1, 5),
        "where[0][col]=points&where[0][expr]=between&where[0][val][0]=1&where[0][val][1]=5" },
      { "notBetween from a table", W.notBetween("date_added", { "2024-01-01", "2024-02-01" }),
        "where[0][col]=date_added&where[0][expr]=notBetween&where[0][val][0]=2024-01-01&where[0][val][1]=2024-02-01" },
      { "isNull", W.isNull("phone"), "where[0][col]=phone&where[0][expr]=isNull" },
      { "isNotNull", W.isNotNull("phone"), "where[0][col]=phone&where[0][expr]=isNotNull" },
      { "isEmpty", W.isEmpty("phone"), "where[0][col]=phone&where[0][expr]=isEmpty" },
      { "isNotEmpty", W.isNotEmpty("phone"), "where[0][col]=phone&where[0][expr]=isNotEmpty" },
      { "orX nesting its clauses in val", W.orX{ W.isNull("phone"), W.eq("phone", "") },
        "where[0][expr]=orX&where[0][val][0][col]=phone&where[0][val][0][expr]=isNull" ..
        "&where[0][val][1][col]=phone&where[0][val][1][expr]=eq&where[0][val][1][val]=" },
      { "andX inside orX", W.orX(W.andX{ W.gt("id", 1), W.lt("id", 9) }, W.eq("id", 20)),
        "where[0][expr]=orX&where[0][val][0][expr]=andX" ..
        "&where[0][val][0][val][0][col]=id&where[0][val][0][val][0][expr]=gt&where[0][val][0][val][0][val]=1" ..
        "&where[0][val][0][val][1][col]=id&where[0][val][0][val][1][expr]=lt&where[0][val][0][val][1][val]=9" ..
        "&where[0][val][1][col]=id&where[0][val][1][expr]=eq&where[0][val][1][val]=20" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        assert.equal(c[3], decoded(q{ c[2] }))
      end)
    end

    it("several clauses, numbered from 0", function()
      assert.equal("where[0][col]=a&where[0][expr]=eq&where[0][val]=1&where[1][col]=b&where[1][expr]=isNull",
        decoded(q{ W.eq("a", 1), W.isNull("b") }))
    end)

    it("a chain, which encodes as its clauses only", function()
      local w = W.where():eq("a", 1):in_("b", { 2, 3 }):isNull("c")
      assert.equal(3, #w)
      assert.equal("where[0][col]=a&where[0][expr]=eq&where[0][val]=1&where[1][col]=b&where[1][expr]=in" ..
        "&where[1][val]=2%2C3&where[2][col]=c&where[2][expr]=isNull", decoded(q(w)))
      assert.equal(mautic.json.encode{ W.eq("a", 1) }, mautic.json.encode(W.where():eq("a", 1)))
    end)

    it("order, with the direction upper-cased", function()
      assert.equal("order[0][col]=id&order[0][dir]=DESC&order[1][col]=email&order[1][dir]=ASC",
        decoded(mautic.encode_query{ order = W.order{ { col = "id", dir = "desc" }, { col = "email" } } }))
      assert.same({ { col = "id", dir = "DESC" } }, W.order("id", "desc"))
    end)
  end)

  describe("raises at the caller's line", function()
    local bad = {
      { "a missing column", function() W.eq(nil, 1) end, "col" },
      { "a column with SQL in it", function() W.eq("id; drop table", 1) end, "not a column name" },
      { "a missing value", function() W.gt("id") end, "val" },
      { "a table value for eq", function() W.eq("id", { 1 }) end, "val" },
      { "an empty in list", function() W.in_("id", {}) end, "empty" },
      { "a table inside an in list", function() W.in_("id", { { 1 } }) end, "val%[1%]" },
      { "a non-array in list", function() W.notIn("id", { a = 1 }) end, "array" },
      { "a backslash before a quote in an in list", function() W.in_("x", { 'a\\"b' }) end, "backslash" },
      { "between with one bound", function() W.between("id", 1) end, "from and to" },
      { "isNull with a value", function() W.isNull("phone", "x") end, "only a column" },
      { "an empty orX", function() W.orX{} end, "non%-empty" },
      { "a bad clause inside andX", function() W.andX{ { col = "a", expr = "nope" } } end, "unknown expr" },
      { "a bad order direction", function() W.order{ { col = "id", dir = "sideways" } } end, "ASC or DESC" },
      { "an order without col", function() W.order{ { dir = "asc" } } end, "col" },
      { "a chain method given a bad value", function() W.where():eq("a") end, "val" },
    }
    for _, c in ipairs(bad) do
      it("on " .. c[1], function()
        local ok, err = pcall(c[2])
        assert.is_false(ok)
        assert.matches("where_spec.lua:%d+:", err)
        assert.matches(c[3], err)
      end)
    end

    it("on an unknown expression name", function()
      assert.is_nil(W.between_ish)
      local ok, msg = W.check{ { col = "id", expr = "regexp", val = "x" } }
      assert.is_nil(ok)
      assert.matches("unknown expr", msg)
    end)
  end)

  describe("check()", function()
    it("accepts raw clause tables, also with Mautic's column/value spelling", function()
      assert.is_true(W.check{ { col = "id", expr = "gt", val = 3 }, { column = "email", expr = "like", value = "%x" },
                              { expr = "orX", val = { { col = "a", expr = "isNull" } } } })
    end)

    it("refuses an in clause whose val is an array (Mautic 5 would answer 500)", function()
      local ok, msg = W.check{ { col = "id", expr = "in", val = { 1, 2 } } }
      assert.is_nil(ok)
      assert.matches("comma%-separated", msg)
    end)

    it("refuses a clause without expr, or a where that is not an array", function()
      assert.is_nil((W.check{ { col = "id", val = 1 } }))
      assert.is_nil((W.check{ where = 1 }))
      assert.is_nil((W.check("id=1")))
    end)
  end)

  describe("with a client", function()
    local fake = require "support.fake"

    it("stops a list call with a bad where before any request", function()
      fake.reset()
      fake.clear_log()
      local api = fake.client()
      local ok, err = pcall(function()
        api.stats.rows("email_stats", { where = { { col = "id", expr = "in", val = { 1, 2 } } } })
      end)
      assert.is_false(ok)
      assert.matches("where_spec.lua:%d+:.*comma%-separated", err)
      assert.equal(0, #fake.log())
    end)

    it("sends a built where in the query", function()
      fake.reset()
      fake.clear_log()
      local api = fake.client()
      api.contacts.list{ where = { W.like("email", "%@example.com"), W.in_("id", { 1, 2 }) } }
      local sent = assert(fake.last("GET", "^/api/contacts$"))
      assert.equal("where[0][col]=email&where[0][expr]=like&where[0][val]=%25%40example.com" ..
        "&where[1][col]=id&where[1][expr]=in&where[1][val]=1%2C2", decoded(sent.query))
    end)
  end)
end)
