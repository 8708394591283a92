-- The tls and proxy options with the libcurl transport (plain Lua): every
-- one is honoured or refused, never dropped, and a connection made with one
-- setting never serves a client with another. Servers of the specs' own:
-- a TLS server that asks for client certificates and tells what it saw,
-- and a forward proxy that logs each connection it was asked for.
local mautic = require "mautic"
local json = require "mautic.json"
local core = require "mautic.core"

local auth = mautic.auth.basic{ username = "admin", password = "mautic" }

describe("mautic.new", function()
  local function new(o)
    o.url = "https://mautic.example.com"
    return function() mautic.new(o) end
  end

  it("raises for a tls option it does not know, naming it and the nearest known one", function()
    assert.has_error(new{ tls = { verfy = false } },
      "bad argument #1 to 'new' (unknown tls option 'verfy'; did you mean 'verify'?)")
  end)

  it("raises for a tls option of the wrong type, a key without its certificate, a server name that is no host name", function()
    assert.has_error(new{ tls = { verify = "no" } },
      "bad argument #1 to 'new' (tls.verify: a boolean expected, got \"no\")")
    assert.has_error(new{ tls = { key_file = "/k.pem" } }, "bad argument #1 to 'new' (tls.key_file needs tls.cert_file)")
    assert.has_error(new{ tls = { server_name = "a.example:443" } })
    assert.has_error(new{ tls = { ca_file = "" } })
    assert.has_error(new{ proxy = "http://p:3128\r\nX: y" })
  end)
end)

describe("TLS options with libcurl", function()
  local srv
  setup(function() srv = require("support.tls_server").start() end)
  teardown(function() if srv then srv.stop() end end)

  -- what the server saw of the request, or nil, err
  local function whoami(tls, o)
    o = o or {}
    local api = mautic.new{ url = o.url or srv.url, auth = auth, tls = tls, proxy = o.proxy, retries = 0, timeout = 30 }
    local body, err = api.request("GET", "/whoami", { base = "root", raw = true })
    if not body then return nil, err end
    return json.decode(body)
  end

  describe("tls.server_name", function()
    it("checks the certificate against that name, and reaches the URL's host", function()
      local ip = assert(whoami{ ca_file = srv.ca_file })
      local named = assert(whoami{ ca_file = srv.ca_file, server_name = "localhost" })
      assert.are_not.equal(ip.connection, named.connection)   -- a name of its own, a connection of its own
      local _, err = whoami{ ca_file = srv.ca_file, server_name = "mautic.example.com" }
      assert.equal("tls", err.kind)
    end)
  end)

  describe("a client certificate (tls.cert_file, tls.key_file)", function()
    it("is presented to the server", function()
      local r = assert(whoami{ ca_file = srv.ca_file, cert_file = srv.cert_file, key_file = srv.key_file })
      assert.equal("SUCCESS", r.client)
      assert.matches("CN=spec%-client", r.dn)
      assert.equal("SUCCESS", assert(whoami{ ca_file = srv.ca_file, cert_file = srv.bundle_file }).client)
    end)

    it("never lends its connection, nor its TLS session, to a client without one", function()
      local with = assert(whoami{ ca_file = srv.ca_file, cert_file = srv.cert_file, key_file = srv.key_file })
      local without = assert(whoami{ ca_file = srv.ca_file })
      assert.equal("NONE", without.client)
      assert.are_not.equal(with.connection, without.connection)
      -- and the certificate's connection is still there for the next client with it
      local again = assert(whoami{ ca_file = srv.ca_file, cert_file = srv.cert_file, key_file = srv.key_file })
      assert.equal(with.connection, again.connection)
    end)

    it("fails with kind tls for an encrypted key, without asking for its password", function()
      -- a connection of its own: libcurl matches a connection by its
      -- certificate, not by the key file (the identity shown is the same)
      local s = assert(core.session())
      local status, _, kind = s:request{ url = srv.url .. "/whoami", fresh = true,
        tls = { ca_file = srv.ca_file, cert_file = srv.cert_file, key_file = srv.encrypted_key_file } }
      s:close()
      assert.is_nil(status)
      assert.equal("tls", kind)
    end)
  end)

  describe("a proxy", function()
    local proxy
    setup(function() proxy = require("support.forward_proxy").start{ user = "alice", password = "p@ss" } end)
    teardown(function() if proxy then proxy.stop() end end)
    before_each(function() proxy.clear() end)

    local with_credentials
    setup(function() with_credentials = proxy.url:gsub("^http://", "http://alice:p%%40ss@") end)

    it("carries an https request through a tunnel it asked for with the proxy's credentials", function()
      assert.equal("SUCCESS", assert(whoami({ ca_file = srv.ca_file, cert_file = srv.cert_file, key_file = srv.key_file },
                                            { proxy = with_credentials })).client)
      local log = proxy.log()
      assert.equal(1, #log)
      assert.equal("CONNECT", log[1].method)
      assert.equal("127.0.0.1:" .. srv.url:match("(%d+)$"), log[1].target)
    end)

    it("carries the OAuth2 token request too: the client secret never goes around the proxy", function()
      local fake = require "support.fake"
      fake.reset()
      local api = mautic.new{ url = fake.url, proxy = with_credentials, retries = 0,
                              auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret" } }
      assert(api.contacts.list())
      local log = proxy.log()
      assert.equal("POST", log[1].method)
      assert.equal(fake.url .. "/oauth/v2/token", log[1].target)
      api.close()
    end)

    it("never lends a tunnel opened with the proxy's credentials to a client without them", function()
      assert(whoami({ ca_file = srv.ca_file }, { proxy = with_credentials }))
      local _, err = whoami({ ca_file = srv.ca_file }, { proxy = proxy.url })
      assert.equal("network", err.kind)
      assert.equal("proxy", err.reason)                    -- the proxy's 407
      local log = proxy.log()
      assert.equal(2, #log)                                -- a tunnel of its own, refused
      assert.is_nil(log[2].auth)
    end)
  end)
end)
