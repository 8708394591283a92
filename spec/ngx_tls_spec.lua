-- Inside nginx, connections go back to the worker's cosocket keepalive
-- pool: a pooled connection must never serve a client whose TLS or proxy
-- settings differ from those it was opened with (its handshake is not
-- repeated). The fake over TLS logs the connection of every request, so
-- reuse is counted at the server.
local core = require "mautic.core"
local json = require "mautic.json"
local nginx = require "support.nginx"

describe("the client inside nginx, over TLS", function()
  local fake, session
  local root = io.popen("pwd"):read("*l")
  local LOCATION = "location = /run { content_by_lua_file " .. root .. "/spec/ngx/tls_clients.lua; }"

  setup(function()
    fake = require("support.tls_fake").start()
    session = core.session()
  end)
  teardown(function() if fake then fake.stop() end end)
  before_each(function() fake.reset() end)

  -- run the steps in `srv` (one nginx request): what each client got
  local function run(srv, steps, extra)
    local q = "steps=" .. steps .. "&url=" .. core.pct_encode(fake.url)
    for k, v in pairs(extra or {}) do q = q .. "&" .. k .. "=" .. core.pct_encode(v) end
    local status, _, body = session:request{ url = srv.url .. "/run?" .. q, timeout = 30 }
    assert.equal(200, status, tostring(body) .. "\n" .. srv.error_log())
    return json.decode(body)
  end

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
      local r = run(srv, "lax,strict,lax")
      assert.is_true(r[1].ok)
      assert.equal("tls", r[2].kind, r[2].message)
      assert.is_true(r[3].ok)
      local seen = connections()
      assert.equal(2, #seen)            -- nothing of the strict client's reached the server
      assert.equal(seen[1], seen[2])    -- the lax connection was pooled all along
    end)

    it("fails the verifying client first, and still serves a verify = false one after it", function()
      local r = run(srv, "strict,lax")
      assert.equal("tls", r[1].kind)
      assert.is_true(r[2].ok)
      assert.equal(1, #connections())
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
    it("keeps verified and verify = false connections apart, each kept alive", function()
      local r = run(srv, "named,lax,named,lax")
      for i = 1, 4 do assert.is_true(r[i].ok, r[i].message) end
      local seen = connections()
      assert.equal(4, #seen)
      assert.equal(seen[1], seen[3])
      assert.equal(seen[2], seen[4])
      assert.are_not.equal(seen[1], seen[2])
    end)
  end)
end)
