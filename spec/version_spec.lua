-- One version everywhere: the Lua layer, the C core, the User-Agent and
-- the versioned rockspec.
local mautic = require "mautic"
local core = require "mautic.core"
local fake = require "support.fake"

local VERSION = "0.2.0"

describe("the version", function()
  it("is " .. VERSION .. " in mautic, mautic.core and every module", function()
    assert.equal(VERSION, mautic._VERSION)
    assert.equal("lua-mautic core " .. VERSION, core._VERSION)
    for _, name in ipairs{ "mautic.http", "mautic.transport.curl", "mautic.transport.http1", "mautic.redis",
                           "mautic.limit", "mautic.loop", "mautic.auth.oauth2" } do
      assert.equal(VERSION, require(name)._VERSION, name)
    end
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
