local fake = require "support.fake"
local mautic = require "mautic"

describe("the client", function()
  before_each(function() fake.reset() end)

  describe("mautic.new", function()
    it("accepts a url with or without a trailing / or /api", function()
      for _, suffix in ipairs{ "", "/", "/api", "/api/" } do
        local api = fake.client{ url = fake.url .. suffix }
        assert(api.contacts.list{ limit = 1 })
        assert.equal("/api/contacts", fake.last("GET").path)
      end
    end)

    it("raises at the caller's line for bad options", function()
      local ok, msg = pcall(function() mautic.new{ url = "ftp://x" } end)
      assert.is_false(ok)
      assert.matches("client_spec.lua:%d+: bad argument #1 to 'new' %(url", msg)
      assert.has_error(function() mautic.new() end)
      assert.has_error(function() mautic.new{ url = fake.url, timeout = "5" } end)
      assert.has_error(function() mautic.new{ url = fake.url, auth = { "basic" } } end)
      assert.has_error(function() mautic.new{ url = "http://bad host" } end)
    end)

    it("sends Basic credentials with spaces and non-ASCII characters", function()
      fake.config{ users = { ["zoë"] = "pass wörd:with colon" } }
      local api = fake.client{ auth = mautic.auth.basic{ username = "zoë", password = "pass wörd:with colon" } }
      assert(api.contacts.list{ limit = 1 })
      assert.equal("basic:zoë", fake.last("GET").auth)
    end)

    it("returns an auth error without the password for wrong credentials", function()
      local api = fake.client{ auth = mautic.auth.basic{ username = "admin", password = "wrong-pass-77" } }
      local page, err = api.contacts.list()
      assert.is_nil(page)
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
      assert.equal("Authorization denied, invalid credentials.", err.message)
      assert.not_matches("wrong%-pass%-77", tostring(err))
      assert.not_matches("wrong%-pass%-77", err.body or "")
    end)

    it("raises error objects with raise = true", function()
      local api = fake.client{ raise = true }
      local ok, err = pcall(api.contacts.get, 424242)
      assert.is_false(ok)
      assert.equal(404, err.status)
      assert.equal("mautic.error", getmetatable(err).__name)
    end)

    it("takes any transport function", function()
      local seen
      local api = mautic.new{ url = "http://m.test", transport = function(req)
        seen = req
        return 200, { ["mautic-version"] = "4.4.0", ["content-type"] = "application/json" },
          '{"total":"1","contacts":{"3":{"id":3}}}'
      end }
      local page = assert(api.contacts.list{ search = "x" })
      assert.equal(3, page.items[1].id)
      assert.equal("GET", seen.method)
      assert.equal("http://m.test/api/contacts?search=x", seen.url)
      assert.equal("4.4.0", api.version())
    end)
  end)

  describe("api.request: any route by hand", function()
    it("calls a path under /api and decodes the answer", function()
      local api = fake.client()
      local c = assert(api.contacts.create{ email = "byhand@example.com" })
      local page = assert(api.request("GET", "/contacts", { query = { search = "byhand@example.com" } }))
      assert.equal("1", tostring(page.total))
      assert.equal("GET", fake.last("GET").method)
      assert.equal("/api/contacts", fake.last("GET").path)
      local got, second = api.request("get", "/contacts/" .. c.id)
      assert.equal(c.id, got.contact.id)
      assert.is_nil(second)     -- `if err then` after a success must not fire
    end)

    it("returns the answer's JSON text undecoded with raw = true", function()
      local api = fake.client()
      local c = assert(api.contacts.create{ email = "raw@example.com" })
      local text = assert(api.request("GET", "/contacts/" .. c.id, { raw = true }))
      assert.equal("string", type(text))
      assert.equal("raw@example.com", require("mautic.json").decode(text).contact.fields.all.email)
    end)

    it("still fails with a structured error with raw = true", function()
      local api = fake.client()
      local v, err = api.request("GET", "/contacts/999999", { raw = true })
      assert.is_nil(v)
      assert.equal(404, err.status)
      assert.equal("http", err.kind)
      assert.equal("Item was not found.", err.message)
    end)

    it("calls a path outside /api with base = 'root'", function()
      local api = fake.client()
      assert(api.request("GET", "/mtracking.gif", { base = "root", raw = true }))
      assert.equal("/mtracking.gif", fake.last("GET").path)
    end)

    it("raises at the caller's line for bad arguments", function()
      local api = fake.client()
      local ok, msg = pcall(function() api.request("GET") end)
      assert.is_false(ok)
      assert.matches("client_spec.lua:%d+: bad argument #2 to 'request' %(path string expected", msg)
      assert.has_error(function() api.request("GET", "/contacts", "limit=5") end,
        "bad argument #3 to 'request' (options table expected, got string)")
      assert.has_error(function() api.request("GET", "/contacts", { qeury = { limit = 5 } }) end,
        "bad argument #3 to 'request' (unknown option 'qeury'; did you mean 'query'?)")
      assert.has_error(function() api.request("FETCH", "/contacts") end,
        "bad argument #1 to 'request' (GET, POST, PUT, PATCH, DELETE or HEAD expected, got \"FETCH\")")
      assert.has_error(function() api.request("GET", fake.url .. "/api/contacts") end)
    end)

    it("takes a path without its leading slash as the same path", function()
      local api = fake.client()
      fake.clear_log()
      assert(api.request("GET", "contacts", { query = { limit = 1 } }))
      assert.equal("/api/contacts", fake.last("GET").path)
    end)
  end)

  describe("failures", function()
    it("returns a network error when nothing listens", function()
      local api = mautic.new{ url = "http://127.0.0.1:9", retries = 0 }
      local page, err = api.contacts.list()
      assert.is_nil(page)
      assert.equal("network", err.kind)
      assert.equal("connect", err.reason)
    end)

    it("returns a timeout error when the server is too slow", function()
      fake.fault{ path = "^/api/contacts$", delay = 2, count = 1 }
      local api = fake.client{ timeout = 0.3, retries = 0 }
      local _, err = api.contacts.list()
      assert.equal("timeout", err.kind)
    end)

    it("does not leave the timed-out request in the log of whatever comes next", function()
      fake.fault{ path = "^/api/contacts$", delay = 1, count = 1 }
      local _, err = fake.client{ timeout = 0.2, retries = 0 }.contacts.list()
      assert.equal("timeout", err.kind)
      fake.reset()
      require("mautic.core").sleep(1.2)     -- the fake answers the abandoned request meanwhile
      assert.same({}, fake.log())
    end)

    it("returns a decode error carrying the status for an HTML error page", function()
      fake.fault{ path = "^/api/contacts$", status = 500, content_type = "text/html",
                  body = "<html><h1>Internal Server Error</h1></html>", count = 1 }
      local api = fake.client{ retries = 0 }
      local _, err = api.contacts.list()
      assert.equal("decode", err.kind)
      assert.equal(500, err.status)
      assert.matches("<html><h1>Internal", err.message, 1, true)
    end)

    it("returns a decode error for truncated JSON on a 200", function()
      fake.fault{ path = "^/api/contacts$", status = 200, body = '{"total":"7","contacts":{"1":{"id"', count = 1 }
      local _, err = fake.client{ retries = 0 }.contacts.list()
      assert.equal("decode", err.kind)
      assert.equal(200, err.status)
      assert.is_false(err.maybe_applied)
    end)

    it("retries a GET that got truncated JSON, and gets the list", function()
      fake.fault{ path = "^/api/contacts$", status = 200, body = '{"total":"7","contacts":{"1":{"id"', count = 1 }
      local api, slept = fake.client()
      local page = assert(api.contacts.list())
      assert.is_number(page.total)
      assert.equal(1, #slept)
    end)

    it("returns a network error, flagged maybe_applied, when the connection drops after a write", function()
      fake.fault{ path = "^/api/notes/new$", drop = true, count = 1 }
      local n, err = fake.client().notes.create{ text = "drop", lead = 1, type = "general" }
      assert.is_nil(n)
      assert.equal("network", err.kind)
      assert.is_true(err.maybe_applied)
      local posts = 0
      for _, r in ipairs(fake.log()) do if r.path == "/api/notes/new" then posts = posts + 1 end end
      assert.equal(1, posts)
    end)

    it("resends a contact create with an email after a drop, since Mautic merges it", function()
      fake.fault{ path = "^/api/contacts/new$", drop = true, count = 1 }
      local api = fake.client()
      local c = assert(api.contacts.create{ email = "drop@example.com" })
      assert.is_number(c.id)
      assert.is_true(api.last_response().resent)
      assert.equal(2, api.last_response().attempts)
    end)

    it("does not resend a contact create without a unique identifier", function()
      fake.fault{ path = "^/api/contacts/new$", drop = true, count = 1 }
      local c, err = fake.client().contacts.create{ firstname = "NoEmail" }
      assert.is_nil(c)
      assert.equal("network", err.kind)
      assert.is_true(err.maybe_applied)
      assert.equal(1, err.attempts)
    end)
  end)

  describe("retries", function()
    it("retries a GET after a dropped connection and a 503, with backoff", function()
      fake.fault{ path = "^/api/contacts$", drop = true, count = 1 }
      fake.fault{ path = "^/api/contacts$", status = 503, body = "{}", count = 1 }
      local api, slept = fake.client{ retries = 2 }
      assert(api.contacts.list())
      assert.equal(2, #slept)
      assert.is_true(slept[1] > 0 and slept[1] <= 8)
    end)

    it("gives up after the configured number of retries", function()
      fake.fault{ path = "^/api/contacts$", status = 503, body = "{}", count = 5 }
      local api, slept = fake.client{ retries = 1 }
      local _, err = api.contacts.list()
      assert.equal(503, err.status)
      assert.equal(1, #slept)
    end)

    it("never resends a POST that may have reached the server", function()
      fake.fault{ path = "^/api/notes/new$", status = 503, body = "{}", count = 1 }
      local api, slept = fake.client{ retries = 2 }
      local _, err = api.notes.create{ text = "once", lead = 1, type = "general" }
      assert.equal(503, err.status)
      assert.is_true(err.maybe_applied)
      assert.equal(0, #slept)
      local posts = 0
      for _, r in ipairs(fake.log()) do if r.method == "POST" then posts = posts + 1 end end
      assert.equal(1, posts)
    end)

    it("waits for X-RateLimit-Reset on a 429, then goes again, even for a POST", function()
      -- a window long enough for two calls even under valgrind; the waits are
      -- real; a user of its own, since the limit counts per credential and a
      -- request of an earlier spec may still arrive late
      fake.config{ rate_limit = 2, rate_limit_window = 4, users = { admin = "mautic", ratelimited = "rl-pass-1234" } }
      local real_sleep = require("mautic.core").sleep
      local slept = {}
      -- strict_fields = false: reading the field list would take one of the window's two calls
      local api = fake.client{ retries = 2, sleep = function(s) slept[#slept + 1] = s; real_sleep(s) end,
                               auth = mautic.auth.basic{ username = "ratelimited", password = "rl-pass-1234" },
                               strict_fields = false }
      assert(api.contacts.create{ email = "r1@example.com" })
      assert(api.contacts.create{ email = "r2@example.com" })
      local before = #slept
      assert(api.contacts.create{ email = "r3@example.com" })
      assert.equal(before + 1, #slept)
      assert.is_true(slept[#slept] > 0 and slept[#slept] <= 4.1)
    end)

    it("reports the rate-limit budget of the last answer", function()
      local api = fake.client()
      assert(api.contacts.list())
      assert.is_nil(api.rate_limit())
      fake.config{ rate_limit = 3 }
      assert(api.contacts.list())
      local r = api.rate_limit()
      assert.equal(3, r.limit)
      assert.equal(2, r.remaining)
      assert.is_true(r.reset > os.time())
    end)

    it("returns the 429 with retry_after when the wait is too long", function()
      fake.config{ rate_limit = 1 }
      local api, slept = fake.client{ retries = 2, max_retry_wait = 5 }
      assert(api.contacts.list())
      local _, err = api.contacts.list()
      assert.equal(429, err.status)
      assert.equal("http", err.kind)
      assert.is_true(err.retry_after > 3000)
      assert.matches("rate limit", err.message)
      assert.equal(0, #slept)
    end)
  end)

  describe("the module as default client", function()
    after_each(function() mautic.configure{ url = fake.url } end)

    it("works after mautic.configure", function()
      mautic.configure{ url = fake.url, auth = mautic.auth.basic{ username = "admin", password = "mautic" } }
      local c = assert(mautic.contacts.create{ email = "mod@example.com" })
      assert.equal(c.id, assert(mautic.contacts.get(c.id)).id)
    end)

    it("builds from the environment in from_env", function()
      -- os.getenv cannot be set from Lua: check what a child process builds
      local cmd = ("MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic %s -e %q"):format(
        fake.url, require("support.lua").interpreter,
        "package.path='lua/?.lua;lua/?/init.lua;'..package.path; package.cpath='" ..
        require("support.lua").core_dir .. "/?.so;'..package.cpath; " ..
        "local m=require'mautic'; local c=assert(m.contacts.create{email='env@example.com'}); io.write(c.id)")
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      assert.matches("^%d+$", out)
      local missing = mautic.from_env and select(2, mautic.from_env())
      if not os.getenv("MAUTIC_URL") then
        assert.equal("usage", missing.kind)
        assert.matches("MAUTIC_URL", missing.message)
      end
    end)
  end)
end)
