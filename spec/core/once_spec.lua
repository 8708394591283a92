-- A request is sent at most once per call: libcurl's own resend on a dead
-- keep-alive connection is stopped, and a failure says whether the request
-- may have reached the server (the fourth value, `sent`).
local core = require "mautic.core"
local server = require "spec.core.support.http_server"

describe("core: a request goes out at most once", function()
  local srv, dead

  lazy_setup(function()
    srv = assert(server.start())
    dead = server.dead_port()
  end)

  lazy_teardown(function()
    if srv then srv:stop() end
  end)

  local function arrivals(key)
    local s = core.session()
    local status, _, body = s:request { url = srv.url .. "/arrivals?key=" .. key }
    s:close()
    assert.are.equal(200, status)
    return tonumber(body)
  end

  -- a first request opens the connection, the second reuses it and is dropped
  local function drop_on_reused(send, key, req)
    local status = send { url = srv.url .. "/echo" }
    assert.are.equal(200, status)
    req.url = srv.url .. "/arrive?drop=1&key=" .. key
    return send(req)
  end

  local cases = {
    { "a POST with a body", { method = "POST", body = '{"email":"a@example.com"}' } },
    { "a bodyless POST", { method = "POST" } },
    { "a PATCH", { method = "PATCH", body = "{}" } },
    { "a PUT", { method = "PUT", body = "{}" } },
    { "a DELETE", { method = "DELETE" } },
    { "a GET", { method = "GET" } },
  }

  for i, case in ipairs(cases) do
    it("does not resend " .. case[1] .. " after a reused connection closes without an answer", function()
      local s = core.session()
      local key = "session" .. i
      local ok, msg, kind, sent = drop_on_reused(function(r) return s:request(r) end, key, case[2])
      s:close()
      assert.is_nil(ok)
      assert.are.equal("network", kind)
      assert.is_true(sent)
      assert.matches("not sent again", msg)
      assert.are.equal(1, arrivals(key))
    end)
  end

  it("does not resend through the multi handle either", function()
    local m = core.multi()
    local function send(r)
      m:add(r)
      local results = m:run(10)
      local res = results[1]
      if res.err then return nil, res.err, res.kind, res.sent end
      return res.status, res.headers, res.body
    end
    local ok, _, kind, sent = drop_on_reused(send, "multi", { method = "POST", body = "x" })
    m:close()
    assert.is_nil(ok)
    assert.are.equal("network", kind)
    assert.is_true(sent)
    assert.are.equal(1, arrivals("multi"))
  end)

  it("keeps the connection alive for writes that succeed", function()
    local s = core.session()
    local cjson = require "cjson"
    local conns = {}
    for i = 1, 3 do
      local status, _, body = s:request { method = i == 2 and "POST" or "GET", url = srv.url .. "/echo",
                                          body = i == 2 and "x" or nil }
      assert.are.equal(200, status)
      conns[i] = cjson.decode(body).connection
    end
    s:close()
    assert.are.equal(conns[1], conns[2])
    assert.are.equal(conns[2], conns[3])
  end)

  describe("says whether a failed request may have reached the server", function()
    local s
    before_each(function() s = core.session() end)
    after_each(function() s:close() end)

    it("not after a refused connection", function()
      local ok, _, kind, sent = s:request { method = "POST", url = "http://127.0.0.1:" .. dead .. "/", body = "x" }
      assert.is_nil(ok)
      assert.are.equal("connect", kind)
      assert.is_false(sent)
    end)

    it("not after a TLS handshake that failed", function()
      local ok, _, kind, sent = s:request { method = "POST", url = "https://127.0.0.1:" .. srv.port .. "/", body = "x" }
      assert.is_nil(ok)
      assert.are.equal("tls", kind)
      assert.is_false(sent)
    end)

    it("yes after a connection closed without an answer", function()
      local ok, _, kind, sent = s:request { method = "POST", url = srv.url .. "/drop", body = "x" }
      assert.is_nil(ok)
      assert.are.equal("network", kind)
      assert.is_true(sent)
    end)

    it("yes after a timeout while waiting for the answer", function()
      local ok, _, kind, sent = s:request { method = "POST", url = srv.url .. "/slow?s=2", body = "x", timeout = 0.2 }
      assert.is_nil(ok)
      assert.are.equal("timeout", kind)
      assert.is_true(sent)
    end)
  end)

  describe("an answer that is not HTTP", function()
    local s
    before_each(function() s = core.session() end)
    after_each(function() s:close() end)

    it("is a network failure after sending, not a usage error", function()
      local ok, _, kind, sent = s:request { method = "POST", url = srv.url .. "/not-http", body = "x" }
      assert.is_nil(ok)
      assert.are.equal("network", kind)
      assert.is_true(sent)
    end)

    it("is a network failure when the status line is garbage", function()
      local ok, _, kind, sent = s:request { url = srv.url .. "/bad-status" }
      assert.is_nil(ok)
      assert.are.equal("network", kind)
      assert.is_true(sent)
    end)

    it("leaves a wrong URL scheme a usage failure, never sent", function()
      local ok, _, kind, sent = s:request { url = "ftp://127.0.0.1/" }
      assert.is_nil(ok)
      assert.are.equal("usage", kind)
      assert.is_false(sent)
    end)
  end)

  describe("max_bytes", function()
    local s
    before_each(function() s = core.session() end)
    after_each(function() s:close() end)

    it("stops reading an answer with a Content-Length larger than the cap", function()
      local ok, msg, kind, sent = s:request { url = srv.url .. "/big?n=3000000", max_bytes = 1000000 }
      assert.is_nil(ok)
      assert.are.equal("too_large", kind)
      assert.matches("1000000", msg)
      assert.is_true(sent)
    end)

    it("stops reading a chunked answer larger than the cap", function()
      local ok, _, kind = s:request { url = srv.url .. "/huge?n=5000000", max_bytes = 200000 }
      assert.is_nil(ok)
      assert.are.equal("too_large", kind)
    end)

    it("reads an answer up to the cap, headers included", function()
      local status, _, body = s:request { url = srv.url .. "/huge?n=100000", max_bytes = 101000 }
      assert.are.equal(200, status)
      assert.are.equal(100000, #body)
    end)

    it("leaves the session usable afterwards", function()
      s:request { url = srv.url .. "/huge?n=500000", max_bytes = 1000 }
      local status, _, body = s:request { url = srv.url .. "/echo", max_bytes = 100000 }
      assert.are.equal(200, status)
      assert.matches('"method":"GET"', body)
    end)

    it("does not apply to a 2xx body written to a file", function()
      local path = os.tmpname()
      local status = s:request { url = srv.url .. "/big?n=300000", max_bytes = 1000, output = path }
      local f = io.open(path, "rb")
      local n = #f:read("*a")
      f:close()
      os.remove(path)
      assert.are.equal(200, status)
      assert.are.equal(300000, n)
    end)

    for _, bad in ipairs{ -1, "10", 0 / 0 } do
      it("raises on " .. tostring(bad), function()
        assert.has_error(function() s:request { url = srv.url .. "/echo", max_bytes = bad } end)
      end)
    end
  end)
end)
