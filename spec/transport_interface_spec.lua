-- The transport interface (README "Any host: a transport of your own"):
-- mautic.new{ transport = function(req) ... end, sleep = function(seconds) ... end }.
-- What a transport is given, what it may answer, and what the client makes of it.
local mautic = require "mautic"

local function canned(status, body, headers)
  local h = headers or {}
  h["content-type"] = h["content-type"] or "application/json"
  return function() return status, h, body end
end

describe("a transport of your own", function()
  it("is given a request table: method, url, headers, body, timeouts, max_bytes", function()
    local seen
    -- strict_fields = false: one request, not the field list first
    local api = mautic.new{ url = "https://m.test", auth = mautic.auth.basic{ username = "u", password = "p" },
      timeout = 7, connect_timeout = 3, strict_fields = false, transport = function(req)
        seen = req
        return 201, { ["content-type"] = "application/json" }, '{"contact":{"id":9,"fields":{"all":{}}}}'
      end }
    assert(api.contacts.create{ email = "a@example.com" })
    assert.equal("POST", seen.method)
    assert.equal("https://m.test/api/contacts/new", seen.url)
    assert.equal("application/json", seen.headers["Content-Type"])
    assert.matches("^Basic ", seen.headers["Authorization"])
    assert.matches("^lua%-mautic/", seen.headers["User-Agent"])
    assert.same({ email = "a@example.com" }, require("mautic.json").decode(seen.body))
    assert.equal(7, seen.timeout)
    assert.equal(3, seen.connect_timeout)
    assert.is_number(seen.max_bytes)
  end)

  it("answers status, headers (lower-case names) and body as a string", function()
    local api = mautic.new{ url = "http://m.test",
      transport = canned(200, '{"contact":{"id":4,"fields":{"all":{"email":"x@example.com"}}}}',
                         { ["mautic-version"] = "5.1.0" }) }
    local c = assert(api.contacts.get(4))
    assert.equal(4, c.id)
    assert.equal("5.1.0", api.version())
  end)

  it("reports a failure as nil, message, kind, sent: not sent is retried, even for a POST", function()
    local calls = 0
    local api = mautic.new{ url = "http://m.test", retries = 1, sleep = function() end,
      transport = function()
        calls = calls + 1
        if calls == 1 then return nil, "connection refused", "connect", false end
        return 201, { ["content-type"] = "application/json" }, '{"note":{"id":1}}'
      end }
    assert(api.notes.create{ text = "x", type = "general", lead = 1 })
    assert.equal(2, calls)
  end)

  it("reports a write that may have arrived with sent = true: never resent, flagged maybe_applied", function()
    local calls = 0
    local api = mautic.new{ url = "http://m.test", retries = 3, sleep = function() end,
      transport = function() calls = calls + 1 return nil, "connection reset", "network", true end }
    local _, err = api.notes.create{ text = "x", type = "general", lead = 1 }
    assert.equal(1, calls)
    assert.equal("network", err.kind)
    assert.is_true(err.maybe_applied)
  end)

  it("waits through the sleep it is given, never a blocking sleep of its own", function()
    local slept, calls = {}, 0
    local api = mautic.new{ url = "http://m.test", sleep = function(s) slept[#slept + 1] = s end,
      transport = function()
        calls = calls + 1
        if calls == 1 then return nil, "timed out", "timeout", true end
        return 200, { ["content-type"] = "application/json" }, '{"total":0,"contacts":[]}'
      end }
    assert(api.contacts.list())
    assert.equal(1, #slept)
    assert.is_true(slept[1] > 0)
  end)

  it("lets what it raises reach the caller (a transport reports failures as values instead)", function()
    local api = mautic.new{ url = "http://m.test", transport = function() error("boom") end }
    assert.has_error(function() api.contacts.get(1) end)
  end)
end)
