-- Inside nginx, connections go back to the worker's cosocket keepalive
-- pool, and a pooled connection skips its TLS handshake: it must never
-- serve a client whose TLS or proxy settings differ from those it was
-- opened with. The servers count: the fake over TLS logs the connection of
-- every request, the TLS server answers with the connection it saw (and
-- the client certificate), the forward proxy logs every tunnel.
local core = require "mautic.core"
local json = require "mautic.json"
local nginx = require "support.nginx"

local root = io.popen("pwd"):read("*l")
local LOCATION = "location = /run { content_by_lua_file " .. root .. "/spec/ngx/tls_clients.lua; }"

local session = core.session()

-- run the clients of `steps` one after the other inside `srv`: what each got
local function run(srv, steps)
  local status, _, body = session:request{
    url = srv.url .. "/run?steps=" .. core.pct_encode(assert(json.encode(steps))), timeout = 60 }
  assert.equal(200, status, tostring(body) .. "\n" .. srv.error_log())
  return json.decode(body)
end

describe("the client inside nginx, over TLS", function()
  local fake
  setup(function() fake = require("support.tls_fake").start() end)
  teardown(function() if fake then fake.stop() end end)
  before_each(function() fake.reset() end)

  local LAX = { verify = false }
  local function connections()
    local out = {}
    for i, e in ipairs(fake.requests("^/api/contacts$")) do out[i] = e.connection end
    return out
  end

  describe("with no CA trusted (no lua_ssl_trusted_certificate)", function()
    local srv
    setup(function() srv = nginx.start(LOCATION) end)
    teardown(function() if srv then srv.stop() end end)

    it("does not lend a verify = false connection to a client that verifies: that client fails with kind tls", function()
      local r = run(srv, { { url = fake.url, tls = LAX }, { url = fake.url }, { url = fake.url, tls = LAX } })
      assert.is_true(r[1].ok)
      assert.equal("tls", r[2].kind, r[2].message)
      assert.is_true(r[3].ok)
      local seen = connections()
      assert.equal(2, #seen)            -- nothing of the verifying client's reached the server
      assert.equal(seen[1], seen[2])    -- the verify = false connection was pooled all along
    end)

    it("fails the verifying client first too, and serves a verify = false one after it", function()
      local r = run(srv, { { url = fake.url }, { url = fake.url, tls = LAX } })
      assert.equal("tls", r[1].kind)
      assert.is_true(r[2].ok)
      assert.equal(1, #connections())
    end)

    it("refuses tls.ca_file (cosockets verify with lua_ssl_trusted_certificate only), sending nothing", function()
      local r = run(srv, { { url = fake.url, tls = { ca_file = fake.ca_file } } })
      assert.equal("usage", r[1].kind)
      assert.matches("lua_ssl_trusted_certificate", r[1].message, 1, true)
      assert.equal(0, #connections())
    end)
  end)

  describe("with the fake's certificate in lua_ssl_trusted_certificate", function()
    local srv
    setup(function()
      srv = nginx.start(LOCATION, nil, { http = "lua_ssl_trusted_certificate " .. fake.ca_file .. ";" })
    end)
    teardown(function() if srv then srv.stop() end end)

    -- nginx checks the certificate's names, never its IP addresses: the
    -- verifying client names the server (tls.server_name) it reaches at 127.0.0.1
    local NAMED = { server_name = "localhost" }

    it("keeps verified and verify = false connections apart, each kept alive", function()
      local r = run(srv, { { url = fake.url, tls = NAMED }, { url = fake.url, tls = LAX },
                           { url = fake.url, tls = NAMED }, { url = fake.url, tls = LAX } })
      for i = 1, 4 do assert.is_true(r[i].ok, r[i].message) end
      local seen = connections()
      assert.equal(4, #seen)
      assert.equal(seen[1], seen[3])
      assert.equal(seen[2], seen[4])
      assert.are_not.equal(seen[1], seen[2])
    end)

    it("checks the certificate against tls.server_name, and keeps connections apart by it", function()
      local r = run(srv, { { url = fake.url, tls = NAMED }, { url = fake.url },
                           { url = fake.url, tls = { server_name = "mautic.example.com" } } })
      assert.is_true(r[1].ok, r[1].message)
      assert.equal("tls", r[2].kind)   -- 127.0.0.1 is no name of the certificate, for nginx
      assert.equal("tls", r[3].kind)
      assert.equal(1, #connections())
    end)
  end)
end)

describe("the client inside nginx, with a client certificate", function()
  local tls, srv
  setup(function()
    tls = require("support.tls_server").start()
    srv = nginx.start(LOCATION, nil, { http = "lua_ssl_trusted_certificate " .. tls.ca_file .. ";" })
  end)
  teardown(function()
    if srv then srv.stop() end
    if tls then tls.stop() end
  end)

  local function step(t) t.url = tls.url; t.tls.server_name = "localhost"; return t end

  it("presents it, and never lends its connection to a client without one", function()
    local r = run(srv, {
      step{ tls = { cert_file = tls.cert_file, key_file = tls.key_file } },
      step{ tls = {} },
      step{ tls = { cert_file = tls.cert_file, key_file = tls.key_file } },
      step{ tls = { cert_file = tls.bundle_file } },
    })
    local seen = {}
    for i = 1, 4 do
      assert.is_true(r[i].ok, r[i].message)
      seen[i] = json.decode(r[i].body)
    end
    assert.equal("SUCCESS", seen[1].client)
    assert.matches("CN=spec%-client", seen[1].dn)
    assert.equal("NONE", seen[2].client)
    assert.are_not.equal(seen[1].connection, seen[2].connection)
    assert.equal(seen[1].connection, seen[3].connection)   -- kept alive for the next client with it
    assert.equal("SUCCESS", seen[4].client)                 -- certificate and key in one file
  end)

  it("fails with kind tls when the key cannot be read", function()
    local r = run(srv, { step{ tls = { cert_file = tls.cert_file, key_file = tls.encrypted_key_file } },
                         step{ tls = { cert_file = tls.cert_file .. ".missing" } } })
    assert.equal("tls", r[1].kind)
    assert.equal("tls", r[2].kind)
  end)
end)

describe("the client inside nginx, through a proxy", function()
  local fake, tls, proxy, srv
  setup(function()
    fake = require "support.fake"
    tls = require("support.tls_server").start()
    proxy = require("support.forward_proxy").start{ user = "alice", password = "p@ss" }
    srv = nginx.start(LOCATION, nil, { http = "lua_ssl_trusted_certificate " .. tls.ca_file .. ";" })
  end)
  teardown(function()
    if srv then srv.stop() end
    if proxy then proxy.stop() end
    if tls then tls.stop() end
  end)
  before_each(function() proxy.clear() end)

  local function with_credentials() return (proxy.url:gsub("^http://", "http://alice:p%%40ss@")) end
  local NAMED = { server_name = "localhost" }

  it("sends an http request to the proxy in absolute form, with the proxy's credentials", function()
    fake.reset()
    local r = run(srv, { { url = fake.url, proxy = with_credentials() }, { url = fake.url, proxy = with_credentials() } })
    assert.is_true(r[1].ok, r[1].message)
    assert.is_true(r[2].ok, r[2].message)
    local log = proxy.log()
    assert.equal(1, #log)                                  -- one connection to the proxy, kept alive
    assert.equal("GET", log[1].method)
    assert.equal(fake.url .. "/api/contacts", log[1].target)
    assert.equal("Basic " .. core.b64encode("alice:p@ss"), log[1].auth)
  end)

  it("opens a tunnel for https and makes the TLS handshake with the server inside it", function()
    local r = run(srv, { { url = tls.url, tls = NAMED, proxy = with_credentials() },
                         { url = tls.url, tls = NAMED, proxy = with_credentials() } })
    assert.is_true(r[1].ok, r[1].message)
    local a, b = json.decode(r[1].body), json.decode(r[2].body)
    assert.equal(a.connection, b.connection)               -- the tunnel was pooled
    local log = proxy.log()
    assert.equal(1, #log)
    assert.equal("CONNECT", log[1].method)
    assert.equal("127.0.0.1:" .. tls.url:match("(%d+)$"), log[1].target)
  end)

  it("never lends a proxied connection to a direct client, nor one with the proxy's credentials to one without", function()
    local r = run(srv, { { url = tls.url, tls = NAMED, proxy = with_credentials() },
                         { url = tls.url, tls = NAMED },
                         { url = tls.url, tls = NAMED, proxy = proxy.url } })
    assert.is_true(r[1].ok, r[1].message)
    assert.is_true(r[2].ok, r[2].message)
    assert.are_not.equal(json.decode(r[1].body).connection, json.decode(r[2].body).connection)
    assert.equal("network", r[3].kind)
    assert.equal("proxy", r[3].reason)                     -- the proxy's 407 to a tunnel of its own
    local log = proxy.log()
    assert.equal("CONNECT", log[#log].method)
    assert.is_nil(log[#log].auth)
  end)

  it("refuses a proxy it cannot speak to (socks, https) as a usage error", function()
    local r = run(srv, { { url = tls.url, tls = NAMED, proxy = "socks5://127.0.0.1:1080" } })
    assert.equal("usage", r[1].kind)
    assert.matches("socks5", r[1].message, 1, true)
  end)
end)
