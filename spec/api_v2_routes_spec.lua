-- The /api/v2 route table is generated from Mautic 7.0's OpenAPI document
-- (tools/gen-v2-routes): generated again here and compared, so the checked-in
-- table cannot drift from the document; and every resource it makes passes
-- the schema every /api family passes (mautic.routes).
local routes = require "mautic.routes"
local endpoint = require "mautic.endpoint"
local core = require "mautic.core"
local v2 = require "mautic.api.v2"

package.path = "tools/v2/?.lua;" .. package.path
local gen = require "gen_routes"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

describe("the /api/v2 route table", function()
  local doc = read("tools/v2/openapi-v2.json")

  it("is what tools/gen-v2-routes makes of the document checked in", function()
    assert.are.equal(gen.generate(doc), read("lua/mautic/api/v2/routes.lua"))
  end)

  it("names the document it came from by its sha256 (the recorded docs.jsonopenapi answer's)", function()
    local generated = require "mautic.api.v2.routes"
    assert.are.equal("43f5bf2faeffb0def85ba298c9aac82846aab586248a5c3faf6f5efa89995286", hex(core.sha256(doc)))
    assert.are.equal(hex(core.sha256(doc)), generated.sha256)
  end)

  it("has the 33 resources of the entrypoint, downloads and ip_addresses read-only", function()
    assert.are.equal(33, #v2.names)
    for _, name in ipairs(v2.names) do
      local def = v2.defs[name]
      local verbs = {}
      for _, r in ipairs(endpoint.routes_of(def)) do verbs[#verbs + 1] = r.name end
      local want = (name == "downloads" or name == "ip_addresses") and "list each get"
                   or "list each get create replace update delete"
      assert.are.equal(want, table.concat(verbs, " "), name)
    end
  end)

  it("passes the route schema in every resource, PATCH as a merge patch and JSON-LD asked for", function()
    for _, name in ipairs(v2.names) do
      local def = v2.defs[name]
      assert.has_no.errors(function() routes.check_family(def) end, name)
      for _, r in ipairs(endpoint.routes_of(def)) do
        assert.are.equal("v2", r.needs, name .. "." .. r.name)
        assert.are.equal("application/ld+json", r.headers.Accept, name .. "." .. r.name)
        if r.name == "update" then assert.are.equal("application/merge-patch+json", r.content_type) end
      end
    end
  end)

  it("refuses a document with a route it does not know how to call", function()
    local bad = '{"openapi":"3.1.0","info":{"title":"x"},"paths":{"/api/v2/tags/{id}/spin":{"get":{"tags":["Tag"]}}}}'
    assert.has_error(function() gen.generate(bad) end, "unexpected path /api/v2/tags/{id}/spin")
    local no_merge = '{"openapi":"3.1.0","info":{"title":"x"},"paths":{"/api/v2/tags/{id}":{"patch":'
      .. '{"tags":["Tag"],"requestBody":{"content":{"application/json":{}}}}}}}'
    assert.has_error(function() gen.generate(no_merge) end,
      "patch /api/v2/tags/{id}: PATCH without application/merge-patch+json")
  end)
end)
