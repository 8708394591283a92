-- mautic.core sessions: HTTP over 127.0.0.1 against a throwaway nginx.
local core = require "mautic.core"
local cjson = require "cjson"
local server = require "spec.core.support.http_server"
local sys = require "support.sys"

local read_file, write_file = sys.read_file, sys.write_file

local function is_integer(n)
  if math.type then return math.type(n) == "integer" end
  return type(n) == "number" and n % 1 == 0
end

local function tmpname()
  local p = os.tmpname()
  os.remove(p)
  return p
end


describe("core.session", function()
  local srv, s, dead

  lazy_setup(function()
    srv = assert(server.start())
    dead = server.dead_port()
    s = assert(core.session())
  end)

  lazy_teardown(function()
    if s then s:close() end
    if srv then srv:stop() end
  end)

  local function echo(req)
    req.url = req.url or srv.url .. "/echo"
    local status, headers, body = s:request(req)
    assert.is_truthy(status, headers)
    return cjson.decode(body), status, headers
  end

  describe("methods", function()
    local cases = {
      { method = "GET" },
      { method = "POST", body = '{"a":1}' },
      { method = "PUT", body = "put body" },
      { method = "PATCH", body = "patch body" },
      { method = "DELETE" },
      { method = "DELETE", body = "delete body" },
      { method = "get", sent = "GET" },
    }
    for _, c in ipairs(cases) do
      it("sends " .. c.method .. (c.body and " with a body" or ""), function()
        local e, status = echo { method = c.method, body = c.body }
        assert.are.equal(200, status)
        assert.are.equal(c.sent or c.method, e.method)
        assert.are.equal(c.body or "", e.body)
        if c.body then
          assert.are.equal(tostring(#c.body), e.headers["content-length"])
        end
      end)
    end

    it("sends HEAD and returns the headers with an empty body", function()
      local status, headers, body = s:request { method = "HEAD", url = srv.url .. "/headers" }
      assert.are.equal(200, status)
      assert.are.equal("5.1.0", headers["mautic-version"])
      assert.are.equal("", body)
    end)

    it("sends PUT and PATCH without a body with Content-Length: 0", function()
      for _, m in ipairs({ "PUT", "PATCH", "POST" }) do
        local e = echo { method = m }
        assert.are.equal(m, e.method)
        assert.are.equal("0", e.headers["content-length"])
      end
    end)

    it("defaults to GET", function()
      assert.are.equal("GET", echo {}.method)
    end)
  end)

  describe("request bodies and headers", function()
    it("keeps NUL bytes in the body", function()
      local body = "a\0b\0\0c" .. string.rep("\0", 100)
      local e = echo { method = "POST", body = body }
      assert.are.equal(body, e.body)
    end)

    it("sends a large body", function()
      local body = string.rep("0123456789", 300000)
      local e = echo { method = "POST", body = body }
      assert.are.equal(#body, #e.body)
      assert.are.equal(body, e.body)
    end)

    it("sends the given headers, numbers as decimal strings", function()
      local e = echo { headers = { ["X-Token"] = "abc", ["X-Count"] = 42, ["Content-Type"] = "application/json" } }
      assert.are.equal("abc", e.headers["x-token"])
      assert.are.equal("42", e.headers["x-count"])
      assert.are.equal("application/json", e.headers["content-type"])
    end)

    it("sends a header with an empty value", function()
      local e = echo { headers = { ["X-Empty"] = "" } }
      assert.are.equal("", e.headers["x-empty"])
    end)

    it("never sends Expect: 100-continue nor asks for compression", function()
      local e = echo { method = "POST", body = string.rep("x", 2 * 1024 * 1024) }
      assert.is_nil(e.headers["expect"])
      assert.is_nil(e.headers["accept-encoding"])
    end)

    it("lets a User-Agent header replace the default one", function()
      assert.matches("^lua%-mautic/", echo {}.headers["user-agent"])
      assert.are.equal("me/1", echo { headers = { ["User-Agent"] = "me/1" } }.headers["user-agent"])
    end)
  end)

  describe("responses", function()
    for _, code in ipairs({ 200, 201, 204, 400, 404, 429, 500, 503 }) do
      it("returns status " .. code .. " as an integer", function()
        local status, headers, body = s:request { url = srv.url .. "/status/" .. code }
        assert.are.equal(code, status)
        assert.is_true(is_integer(status))
        assert.is_table(headers)
        assert.are.equal(code == 204 and "" or "status " .. code, body)
      end)
    end

    it("keys headers by lower-cased name and finds them in any case", function()
      local _, h = s:request { url = srv.url .. "/headers" }
      for k in pairs(h) do
        assert.are.equal(k:lower(), k)
      end
      assert.are.equal("5.1.0", h["mautic-version"])
      assert.are.equal("5.1.0", h["Mautic-Version"])
      assert.are.equal("5.1.0", h["MAUTIC-VERSION"])
      assert.is_nil(h["X-Missing"])
      assert.is_nil(h[1])
    end)

    it("joins repeated headers with a comma", function()
      local _, h = s:request { url = srv.url .. "/headers" }
      assert.are.equal("a=1, b=2", h["set-cookie"])
      assert.are.equal("one, two, three", h["X-Dup"])
    end)

    it("does not include the status line in the headers", function()
      local _, h = s:request { url = srv.url .. "/headers" }
      for k, v in pairs(h) do
        assert.is_nil(k:find("^http/"))
        assert.is_nil(v:find("\r", 1, true))
      end
    end)

    it("returns a large body complete", function()
      local n = 3 * 1024 * 1024 + 17
      local status, _, body = s:request { url = srv.url .. "/big?n=" .. n }
      assert.are.equal(200, status)
      assert.are.equal(n, #body)
      assert.is_nil(body:find("[^x]"))
    end)

    it("carries nothing of one answer into the next (buffers are reused)", function()
      -- sizes around the 64 KiB a session keeps between answers, growing
      -- and shrinking, with a bodyless answer and a header-only one between
      local sizes = { 70000, 10, 65536, 0, 65537, 1, 3000000, 5 }
      for _, n in ipairs(sizes) do
        local status, _, body = s:request { url = srv.url .. "/big?n=" .. n }
        assert.are.equal(200, status)
        assert.are.equal(n, #body)
        assert.is_nil(body:find("[^x]"))
        local hs, hh, hb = s:request { method = "HEAD", url = srv.url .. "/headers" }
        assert.are.equal(200, hs)
        assert.are.equal("", hb)
        assert.are.equal("one, two, three", hh["x-dup"])
        local hstatus, headers, hbody = s:request { url = srv.url .. "/status/204" }
        assert.are.equal(204, hstatus)
        assert.are.equal("", hbody)
        assert.is_nil(headers["x-dup"])
        assert.is_nil(headers["mautic-version"])
        assert.is_nil(headers["set-cookie"])
      end
    end)

    it("shares one metatable between header tables", function()
      local _, h1 = s:request { url = srv.url .. "/headers" }
      local _, h2 = s:request { url = srv.url .. "/echo" }
      assert.are.equal(getmetatable(h1), getmetatable(h2))
    end)

    it("does not follow redirects", function()
      local status = s:request { url = srv.url .. "/status/302" }
      assert.are.equal(302, status)
    end)
  end)

  describe("output", function()
    it("writes the body to the file and returns an empty body", function()
      local path = tmpname()
      local status, _, body = s:request { url = srv.url .. "/big?n=100000", output = path }
      assert.are.equal(200, status)
      assert.are.equal("", body)
      local data = read_file(path)
      os.remove(path)
      assert.are.equal(100000, #data)
    end)

    it("keeps an error answer in memory and leaves an existing file alone", function()
      local path = tmpname()
      local f = assert(io.open(path, "wb"))
      f:write("previous download")
      f:close()
      local status, _, body = s:request { url = srv.url .. "/status/404", output = path }
      assert.are.equal(404, status)
      assert.are_not.equal("", body)
      assert.are.equal("previous download", read_file(path))
      assert.is_nil(io.open(path .. ".part", "rb"))
      os.remove(path)
    end)

    it("leaves no file at all when the transfer breaks off", function()
      local path = tmpname()
      os.remove(path)
      local ok, _, kind = s:request { url = srv.url .. "/drop", output = path }
      assert.is_nil(ok)
      assert.are.equal("network", kind)
      assert.is_nil(io.open(path, "rb"))
      assert.is_nil(io.open(path .. ".part", "rb"))
    end)

    it("fails with kind 'file' when the file cannot be created", function()
      local ok, err, kind = s:request { url = srv.url .. "/echo", output = "/nonexistent-dir/x/out" }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("file", kind)
    end)
  end)

  describe("multipart", function()
    it("sends data and file parts as multipart/form-data", function()
      local path = tmpname()
      write_file(path, "file contents\0with NUL")
      local e = echo {
        method = "POST",
        parts = {
          { name = "field", data = "value 1" },
          { name = "upload", file = path, filename = "hello.txt", content_type = "text/plain" },
          { name = "raw", data = "\1\2\0\3", filename = "raw.bin" },
        },
      }
      os.remove(path)
      assert.matches("^multipart/form%-data; boundary=", e.headers["content-type"])
      local b = e.body
      assert.truthy(b:find('Content-Disposition: form-data; name="field"\r\n\r\nvalue 1\r\n', 1, true))
      assert.truthy(b:find('Content-Disposition: form-data; name="upload"; filename="hello.txt"\r\n'
                           .. 'Content-Type: text/plain\r\n\r\nfile contents\0with NUL\r\n', 1, true))
      assert.truthy(b:find('name="raw"; filename="raw.bin"', 1, true))
      assert.truthy(b:find("\1\2\0\3", 1, true))
    end)

    it("names a file part after the file when no filename is given", function()
      local dir = tmpname()
      os.execute("mkdir " .. dir)
      write_file(dir .. "/report.csv", "a,b\n")
      local e = echo { method = "PUT", parts = { { name = "file", file = dir .. "/report.csv" } } }
      os.execute("rm -rf " .. dir)
      assert.are.equal("PUT", e.method)
      assert.truthy(e.body:find('name="file"; filename="report.csv"', 1, true))
    end)

    it("fails with kind 'file' when the upload file is missing", function()
      local ok, err, kind = s:request {
        method = "POST", url = srv.url .. "/echo",
        parts = { { name = "f", file = "/nonexistent-dir/upload.bin" } },
      }
      assert.is_nil(ok)
      assert.matches("upload", err)
      assert.are.equal("file", kind)
    end)
  end)

  describe("transport failures", function()
    it("reports a refused connection as kind 'connect'", function()
      local ok, err, kind = s:request { url = "http://127.0.0.1:" .. dead .. "/" }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("connect", kind)
    end)

    it("reports a slow answer as kind 'timeout'", function()
      local ok, err, kind = s:request { url = srv.url .. "/slow?s=3", timeout = 0.2 }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("timeout", kind)
    end)

    it("reports a connection closed without an answer as kind 'network'", function()
      local ok, err, kind = s:request { url = srv.url .. "/drop" }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("network", kind)
    end)

    it("reports a TLS handshake with a plain HTTP server as kind 'tls'", function()
      local ok, err, kind = s:request { url = "https://127.0.0.1:" .. srv.port .. "/" }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("tls", kind)
    end)

    it("reports an unknown host as kind 'resolve'", function()
      local ok, err, kind = s:request { url = "http://no-such-host.invalid/", timeout = 10 }
      assert.is_nil(ok)
      assert.is_string(err)
      assert.are.equal("resolve", kind)
    end)

    it("reports an unknown proxy host as kind 'proxy'", function()
      local ok, _, kind = s:request { url = srv.url .. "/echo", proxy = "http://no-such-proxy.invalid:3128", timeout = 10 }
      assert.is_nil(ok)
      assert.are.equal("proxy", kind)
    end)

    it("reports a scheme other than http and https as kind 'usage'", function()
      local ok, _, kind = s:request { url = "file:///etc/passwd" }
      assert.is_nil(ok)
      assert.are.equal("usage", kind)
    end)

    it("never puts request headers or the body in the message", function()
      local secret = "Bearer s3cr3t-t0ken"
      for _, url in ipairs({ "http://127.0.0.1:" .. dead .. "/", srv.url .. "/slow?s=3", srv.url .. "/drop" }) do
        local _, err = s:request { method = "POST", url = url, timeout = 0.2, body = "password=hunter2",
                                   headers = { Authorization = secret } }
        assert.is_nil(err:find("s3cr3t", 1, true))
        assert.is_nil(err:find("hunter2", 1, true))
      end
    end)

    it("keeps working after a failure", function()
      s:request { url = srv.url .. "/drop" }
      assert.are.equal("GET", echo {}.method)
    end)
  end)

  describe("proxy", function()
    it("sends the request through the given proxy", function()
      -- nginx answers absolute-form requests itself, so it can play the proxy
      local status, _, body = s:request { url = "http://mautic.invalid/echo", proxy = srv.url }
      assert.are.equal(200, status)
      local e = cjson.decode(body)
      assert.are.equal("mautic.invalid", e.headers.host)
    end)
  end)

  describe("connection reuse", function()
    it("uses one connection for consecutive requests on a session", function()
      local a = echo {}
      local b = echo { method = "POST", body = "x" }
      local c = echo {}
      assert.are.equal(a.connection, b.connection)
      assert.are.equal(a.connection, c.connection)
    end)

    it("shares connections between sessions, one after the other (one share handle per process)", function()
      local other = core.session()
      local a = echo {}
      local _, _, body = other:request { url = srv.url .. "/echo" }
      other:close()
      assert.are.equal(a.connection, cjson.decode(body).connection)
    end)

    it("lets a second multi handle reuse the connections of a first one (mautic.parallel runs)", function()
      local function run_once()
        local m = core.multi()
        m:add { url = srv.url .. "/echo" }
        local r = m:run(10)[1]
        m:close()
        return cjson.decode(r.body).connection
      end
      assert.are.equal(run_once(), run_once())
    end)

    it("opens and closes a connection of its own for a request with fresh = true", function()
      local a = echo {}
      local b = echo { fresh = true }
      assert.are_not.equal(a.connection, b.connection)
      assert.are.equal(a.connection, echo {}.connection)   -- the cached one is still there
      assert.has_error(function() s:request { url = srv.url .. "/echo", fresh = 1 } end)
    end)

    it("lets a multi handle reuse the connection a session opened, and the other way round", function()
      local a = echo {}
      local m = core.multi()
      m:add { url = srv.url .. "/echo" }
      local r = m:run(10)[1]
      m:close()
      assert.are.equal(a.connection, cjson.decode(r.body).connection)
      assert.are.equal(a.connection, echo {}.connection)
    end)

  end)

  describe("usage errors", function()
    local bad = {
      { "a missing url", {} },
      { "an empty url", { url = "" } },
      { "an unknown method", { method = "TRACE" } },
      { "a non-string method", { method = 1 } },
      { "a body on GET", { body = "x" } },
      { "a body on HEAD", { method = "HEAD", body = "x" } },
      { "both body and parts", { method = "POST", body = "x", parts = { { name = "a", data = "b" } } } },
      { "a part with data and file", { method = "POST", parts = { { name = "a", data = "b", file = "/etc/hosts" } } } },
      { "a part without data or file", { method = "POST", parts = { { name = "a" } } } },
      { "a part without a name", { method = "POST", parts = { { data = "b" } } } },
      { "a part that is not a table", { method = "POST", parts = { "x" } } },
      { "an empty parts array", { method = "POST", parts = {} } },
      { "CR in a header value", { headers = { ["X-A"] = "a\rb" } } },
      { "LF in a header value", { headers = { ["X-A"] = "a\nInjected: 1" } } },
      { "NUL in a header value", { headers = { ["X-A"] = "a\0b" } } },
      { "CR LF in a header name", { headers = { ["X-A\r\nB"] = "v" } } },
      { "a colon in a header name", { headers = { ["X-A:B"] = "v" } } },
      { "an empty header name", { headers = { [""] = "v" } } },
      { "a non-string header name", { headers = { [1] = "v" } } },
      { "a table header value", { headers = { ["X-A"] = {} } } },
      { "headers that are not a table", { headers = "X-A: 1" } },
      { "a NUL in the url", { url = "http://127.0.0.1/\0x" } },
      { "a negative timeout", { timeout = -1 } },
      { "a string timeout", { timeout = "5" } },
      { "a non-boolean tls.verify", { tls = { verify = "no" } } },
      { "a non-table tls", { tls = true } },
      { "an unknown tls option (never ignored)", { tls = { verfy = false } } },
      { "a tls.key_file without tls.cert_file", { tls = { key_file = "/etc/hosts" } } },
      { "an empty tls.ca_file", { tls = { ca_file = "" } } },
      { "a tls.server_name that is no host name", { tls = { server_name = "a.example/x" } } },
      { "a non-string proxy", { proxy = 8080 } },
    }
    for _, c in ipairs(bad) do
      it("raises for " .. c[1], function()
        local req = c[2]
        if req.url == nil and c[1] ~= "a missing url" then req.url = srv.url .. "/echo" end
        assert.has_error(function() s:request(req) end)
      end)
    end

    it("raises when the request is not a table", function()
      assert.has_error(function() s:request("http://127.0.0.1/") end)
      assert.has_error(function() s:request() end)
    end)

    it("does not put a header value in the error message", function()
      local ok, msg = pcall(s.request, s, { url = srv.url .. "/echo", headers = { Authorization = "Bearer s3cr3t\r\n" } })
      assert.is_false(ok)
      assert.matches("Authorization", msg)
      assert.is_nil(msg:find("s3cr3t", 1, true))
    end)

    it("still works after raising", function()
      pcall(s.request, s, { url = srv.url .. "/echo", headers = { ["X-A"] = "a\nb" } })
      assert.are.equal("GET", echo {}.method)
    end)
  end)

  describe("close", function()
    it("can be called twice", function()
      local x = core.session()
      x:close()
      x:close()
    end)

    it("makes later requests fail with nil, err, 'usage'", function()
      local x = core.session()
      x:close()
      local ok, err, kind = x:request { url = srv.url .. "/echo" }
      assert.is_nil(ok)
      assert.matches("closed", err)
      assert.are.equal("usage", kind)
    end)

    it("is what the garbage collector calls", function()
      for _ = 1, 20 do
        local x = core.session()
        x:request { url = srv.url .. "/echo" }
      end
      collectgarbage()
      collectgarbage()
    end)

    if _VERSION == "Lua 5.4" then
      it("is what a to-be-closed variable calls", function()
        local chunk = assert(load([[
          local core, url = ...
          local keep
          do
            local x <close> = core.session()
            keep = x
            x:request { url = url }
          end
          return keep
        ]]))
        local x = chunk(core, srv.url .. "/echo")
        local ok, err = x:request { url = srv.url .. "/echo" }
        assert.is_nil(ok)
        assert.matches("closed", err)
      end)
    end

    it("rejects a session method called on something else", function()
      local x = core.session()
      assert.has_error(function() x.request({}, { url = srv.url }) end)
      assert.has_error(function() x.close(core.multi()) end)
      x:close()
    end)
  end)

  describe("module", function()
    it("has a version and the curl version", function()
      assert.are.equal("lua-mautic core 0.2.0", core._VERSION)
      assert.matches("^libcurl/", core.curl_version)
    end)

    it("tells the time as float seconds and sleeps", function()
      local t0 = core.now()
      assert.is_number(t0)
      assert.is_true(t0 > 1.6e9)
      core.sleep(0.01)
      core.sleep(0)
      core.sleep(-1)
      assert.is_true(core.now() >= t0)
    end)
  end)
end)
