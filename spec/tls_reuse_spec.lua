-- Connection reuse never crosses a TLS verification setting (plain Lua:
-- one libcurl share handle per Lua state, so every client of the process
-- draws on one connection cache and one TLS session cache). The fake over
-- TLS logs the connection that carried each request and whether its
-- handshake resumed a session, so reuse is counted at the server, not
-- guessed from an answer.
local mautic = require "mautic"
local core = require "mautic.core"

describe("TLS connection reuse between clients of one Lua state", function()
  local srv
  local auth = mautic.auth.basic{ username = "admin", password = "mautic" }

  setup(function() srv = require("support.tls_fake").start() end)
  teardown(function() if srv then srv.stop() end end)
  before_each(function() srv.reset() end)

  local function client(tls)
    return mautic.new{ url = srv.url, auth = auth, tls = tls, retries = 0, timeout = 30 }
  end

  local function connections()
    local out = {}
    for i, e in ipairs(srv.requests("^/api/contacts$")) do out[i] = e.connection end
    return out
  end

  it("does not lend a verify = false connection to a client that verifies: that client fails with kind tls", function()
    local lax, strict = client{ verify = false }, client()
    assert(lax.contacts.list())
    local page, err = strict.contacts.list()
    assert.is_nil(page)
    assert.equal("tls", err.kind)
    -- the lax client's connection was kept alive all along: it carries its next request
    assert(lax.contacts.list())
    local seen = connections()
    assert.equal(2, #seen)           -- nothing of the strict client's reached the server
    assert.equal(seen[1], seen[2])
  end)

  it("does not lend a verified connection to a verify = false client, nor the other way round", function()
    local verified, lax = client{ ca_file = srv.ca_file }, client{ verify = false }
    for _ = 1, 2 do
      assert(verified.contacts.list())
      assert(lax.contacts.list())
    end
    local seen = connections()
    assert.equal(4, #seen)
    assert.equal(seen[1], seen[3])   -- each kept its own connection alive
    assert.equal(seen[2], seen[4])
    assert.are_not.equal(seen[1], seen[2])
  end)

  it("does not lend a connection verified with a CA file to a client without it", function()
    local verified, strict = client{ ca_file = srv.ca_file }, client()
    assert(verified.contacts.list())
    local page, err = strict.contacts.list()
    assert.is_nil(page)
    assert.equal("tls", err.kind)
    assert.equal(1, #connections())
  end)

  describe("TLS session resumption", function()
    -- a server of its own for each case: the TLS session caches (the
    -- process's, keyed by host and port, and the server's) start empty
    local own
    before_each(function() own = require("support.tls_fake").start() end)
    after_each(function() own.stop() end)

    -- core sessions with fresh = true: every request a new connection, so
    -- every request a handshake that may resume a cached session
    local function get(tls)
      local s = assert(core.session())
      local status, headers, body = s:request{ url = own.url .. "/api/contacts", tls = tls, fresh = true,
        headers = { Authorization = "Basic " .. core.b64encode("admin:mautic") } }
      s:close()
      return status, headers, body
    end
    local function resumed()
      local out = {}
      for i, e in ipairs(own.requests("^/api/contacts$")) do out[i] = e.tls_resumed == true end
      return out
    end

    it("resumes a session between handshakes with the same settings (what the next two rely on)", function()
      assert.equal(200, (get{ ca_file = own.ca_file }))
      assert.equal(200, (get{ ca_file = own.ca_file }))
      assert.same({ false, true }, resumed())
    end)

    it("never resumes a session of a verify = false handshake in one that verifies", function()
      assert.equal(200, (get{ verify = false }))
      assert.equal(200, (get{ ca_file = own.ca_file }))
      local status, _, kind = get{}
      assert.is_nil(status)
      assert.equal("tls", kind)
      assert.same({ false, false }, resumed())
    end)

    it("never resumes a verified session in a verify = false handshake", function()
      assert.equal(200, (get{ ca_file = own.ca_file }))
      assert.equal(200, (get{ verify = false }))
      assert.same({ false, false }, resumed())
    end)
  end)
end)
