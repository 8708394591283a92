-- One version everywhere: the Lua layer, the C core, the User-Agent and
-- the versioned rockspec.
local mautic = require "mautic"
local core = require "mautic.core"
local fake = require "support.fake"

local VERSION = "0.2.0"

describe("the version", function()
  it("is " .. VERSION .. " in mautic and mautic.core, and written down once", function()
    assert.equal(VERSION, mautic._VERSION)
    assert.equal(VERSION, require("mautic.fake")._VERSION)
    assert.equal("lua-mautic core " .. VERSION, core._VERSION)
    -- no module of the Lua layer carries a version of its own that could go stale
    local p = io.popen("grep -rln '_VERSION *= *\"' lua/mautic")
    local carriers = p:read("*a")
    p:close()
    assert.equal("", carriers)
  end)

  it("is what the User-Agent says, from the client and from the core alone", function()
    fake.reset()
    assert(fake.client().contacts.list())
    assert.equal("lua-mautic/" .. VERSION, fake.last("GET", "^/api/contacts$").headers["user-agent"])
    local session = core.session()
    session:request{ url = fake.url .. "/api/contacts", timeout = 10 }
    assert.equal("lua-mautic/" .. VERSION, fake.last("GET", "^/api/contacts$").headers["user-agent"])
  end)

  it("names the versioned rockspec", function()
    local text = assert(io.open("rockspec/mautic-" .. VERSION .. "-1.rockspec")):read("*a")
    assert.matches('version = "' .. VERSION .. '-1"', text, 1, true)
  end)
end)
