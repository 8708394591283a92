local mautic = require "mautic"

-- A second fake server with a self-signed certificate: TLS verification is
-- on by default, so the request is refused until the client is given the CA.
describe("TLS", function()
  local srv, url, ca_file

  setup(function()
    srv = require("support.tls_fake").start()
    url, ca_file = srv.url, srv.ca_file
  end)

  teardown(function() if srv then srv.stop() end end)

  local auth = mautic.auth.basic{ username = "admin", password = "mautic" }

  it("refuses a certificate it cannot verify", function()
    local api = mautic.new{ url = url, auth = auth, retries = 0 }
    local page, err = api.contacts.list()
    assert.is_nil(page)
    assert.equal("tls", err.kind)
  end)

  it("accepts it with ca_file", function()
    local api = mautic.new{ url = url, auth = auth, tls = { ca_file = ca_file } }
    local page = assert(api.contacts.list())
    assert.equal(0, page.total)
  end)

  it("accepts it with verify = false, when asked in so many words", function()
    local api = mautic.new{ url = url, auth = auth, tls = { verify = false } }
    assert(api.contacts.list())
  end)
end)

describe("Basic auth over plain http", function()
  local function stderr_of(code)
    local cmd = ("%s -e %q 2>&1 >/dev/null"):format(require("support.lua").interpreter,
      "package.path='lua/?.lua;lua/?/init.lua;'..package.path; package.cpath='" ..
      require("support.lua").core_dir .. "/?.so;'..package.cpath; local m = require 'mautic'; " .. code)
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    return out
  end

  it("warns once for a remote host, never with the password", function()
    local out = stderr_of([[local a = m.auth.basic{ username = 'u', password = 'pw-secret-9' }
      m.new{ url = 'http://mautic.example.com', auth = a }
      m.new{ url = 'http://mautic.example.com', auth = a }]])
    local _, count = out:gsub("warning", "")
    assert.equal(1, count)
    assert.matches("mautic.example.com", out, 1, true)
    assert.not_matches("pw-secret-9", out, 1, true)
  end)

  it("stays quiet for https and for the loopback", function()
    assert.equal("", stderr_of([[local a = m.auth.basic{ username = 'u', password = 'p' }
      m.new{ url = 'https://mautic.example.com', auth = a }
      m.new{ url = 'http://127.0.0.1:8080', auth = a }
      m.new{ url = 'http://localhost', auth = a }]]))
  end)
end)
