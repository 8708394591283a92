-- The route tables have a schema (mautic.routes): a misspelled key or a
-- value of the wrong kind fails when the family loads, naming the family
-- and the row, instead of being ignored.
local routes = require "mautic.routes"
local families = require "mautic.api"
local endpoint = require "mautic.endpoint"

describe("the route tables", function()
  it("hold nothing the schema does not know, in every family", function()
    for _, name in ipairs(families.names) do
      local def = families.load(name)
      assert.has_no.errors(function() routes.check_family(def) end, name)
      assert.is_true(#endpoint.routes_of(def) > 0, name)
    end
  end)

  local function family(verbs, extra)
    local def = { name = "widgets", path = "/widgets", item = "widget", list = "widgets", verbs = verbs }
    for k, v in pairs(extra or {}) do def[k] = v end
    return def
  end

  local cases = {
    { "a misspelled key in a short row", family{ { "spin", "POST", "/widgets/{id}/spin", dta = "body" } },
      "mautic.api.widgets: row 1 (spin): unknown key 'dta'; did you mean 'data'?" },
    { "a misspelled key in a long row", family{ { name = "spin", method = "POST", path = "/w", reslut = "item" } },
      "mautic.api.widgets: row 1 (spin): unknown key 'reslut'; did you mean 'result'?" },
    { "a value of the wrong kind", family{ { "spin", "POST", "/w", data = "bdy" } },
      "mautic.api.widgets: row 1 (spin): data: \"query\" or \"body\" expected, got \"bdy\"" },
    { "a method that is none", family{ { "spin", "FETCH", "/w" } },
      "mautic.api.widgets: row 1 (spin): method: \"GET\", \"POST\", \"PUT\", \"PATCH\", \"DELETE\" or \"HEAD\" "
      .. "expected, got \"FETCH\"" },
    { "a placeholder type that is none", family{ { "spin", "POST", "/w/{n}", types = { n = "int" } } },
      "mautic.api.widgets: row 1 (spin): types.n: \"id\", \"number\" or \"name\" expected" },
    { "a row without its path", family{ { name = "spin", method = "GET" } },
      "mautic.api.widgets: row 1 (spin): method and path are required" },
    { "a misspelled key of the family", family({}, { merge_create = true }),
      "mautic.api.widgets: unknown key 'merge_create'; did you mean 'merge_creates'?" },
  }
  for _, c in ipairs(cases) do
    it("fail to load with " .. c[1] .. ", naming the family and the row", function()
      assert.has_error(function() endpoint.routes_of(c[2]) end, c[3])
    end)
  end
end)
