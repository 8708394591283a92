-- HTTPS from inside HAProxy. HAProxy's Lua sockets (core.tcp's
-- connect_ssl) check no certificate at all, so the transport refuses to
-- send over https unless told tls = { verify = false }, and refuses the
-- TLS settings connect_ssl has no room for. The way to verify is a
-- listener of HAProxy's own whose server line makes the TLS connection:
-- shown here too. Needs haproxy and build/lua5.3.
local haproxy = require "support.haproxy"
local core = require "mautic.core"

local root = io.popen("pwd"):read("*l")
local ready = haproxy.installed() and io.open("build/lua5.3/mautic/core.so") ~= nil
local describe_haproxy = ready and describe or pending

describe_haproxy("the client inside HAProxy, over TLS", function()
  local fake, srv, session, relay_port, wrong_port
  setup(function()
    fake = require("support.tls_fake").start()
    -- two ports the kernel just gave out (both open at once, so they differ)
    local l1, l2 = assert(core.listen(0)), assert(core.listen(0))
    relay_port, wrong_port = l1:port(), l2:port()
    l1:close()
    l2:close()
    srv = haproxy.start{
      lua = root .. "/spec/haproxy/tls_service.lua",
      frontend = ([[
  http-request use-service lua.mautic_tls if { path /call }
listen mautic_verified
  bind 127.0.0.1:%d
  server mautic %s ssl verify required ca-file %s sni str(localhost)
listen mautic_wrong_ca
  bind 127.0.0.1:%d
  server mautic %s ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt sni str(localhost)
]]):format(relay_port, fake.url:match("//(.*)$"), fake.ca_file, wrong_port, fake.url:match("//(.*)$")),
    }
    session = core.session()
  end)
  teardown(function()
    if srv then srv.stop() end
    if fake then fake.stop() end
  end)
  before_each(function() fake.reset() end)

  local function call(q)
    local parts = {}
    for k, v in pairs(q) do parts[#parts + 1] = k .. "=" .. core.pct_encode(v) end
    local status, _, body = session:request{ url = srv.url .. "/call?" .. table.concat(parts, "&"), timeout = 30 }
    assert.equal(200, status, body)
    return body
  end

  it("refuses https with verification on: connect_ssl would accept any certificate", function()
    local body = call{ url = fake.url }
    assert.matches("^error usage ", body)
    assert.matches("verify = false", body, 1, true)
    assert.equal(0, #fake.requests("^/api/contacts$"))
  end)

  it("sends over https when told tls = { verify = false }", function()
    assert.equal("ok 200", call{ url = fake.url, verify = "0" })
  end)

  it("refuses tls.ca_file and tls.server_name rather than dropping them", function()
    assert.matches("^error usage tls.ca_file", call{ url = fake.url, verify = "0", ca_file = fake.ca_file })
    assert.matches("^error usage tls.server_name", call{ url = fake.url, verify = "0", server_name = "localhost" })
    assert.equal(0, #fake.requests("^/api/contacts$"))
  end)

  it("refuses an https request through a proxy (no TLS inside a tunnel)", function()
    assert.matches("^error usage ", call{ url = fake.url, verify = "0", proxy = "http://127.0.0.1:3128" })
  end)

  it("verifies through a listener of HAProxy's own whose server line makes the TLS connection", function()
    assert.equal("ok 200", call{ url = "http://127.0.0.1:" .. relay_port })
    -- the same listener with CAs that do not sign the fake's certificate: HAProxy's 503, not Mautic
    assert.matches("^error %a+ .*HTTP 503", call{ url = "http://127.0.0.1:" .. wrong_port })
    assert.equal(1, #fake.requests("^/api/contacts$"))
  end)
end)
