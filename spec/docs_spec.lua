-- doc/REFERENCE.md is generated from the route tables: it must be what
-- `make docs` would write now, or a route changed without its docs.
describe("doc/REFERENCE.md", function()
  it("is what bin/gen-docs generates from the route tables", function()
    local p = io.popen("lua5.4 bin/gen-docs")
    local generated = p:read("*a")
    p:close()
    local committed = assert(io.open("doc/REFERENCE.md")):read("*a")
    assert.is_true(#generated > 10000)
    assert.is_true(generated == committed, "doc/REFERENCE.md is stale: run `make docs`")
  end)
end)
