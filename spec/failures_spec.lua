-- Every failure has the right name, bad options raise at the caller's line,
-- and the retry rules of mautic.outcome hold over real HTTP (the fake's
-- injected faults; the store-then-drop cases, which count what reached
-- the server, are in write_once_spec.lua).
local mautic = require "mautic"
local fake = require "support.fake"

local count = fake.requests

describe("failures", function()
  before_each(function() fake.reset() end)

  describe("options", function()
    local bad = {
      { "timeout", -1 }, { "timeout", 0 / 0 }, { "timeout", math.huge }, { "connect_timeout", -0.5 },
      { "retries", -1 }, { "retries", 1.5 }, { "rate_limit_retries", -2 }, { "max_retry_wait", -1 },
      { "batch_limit", 0 }, { "batch_limit", 2.5 }, { "max_response_bytes", 0 }, { "timeout", "30" },
      { "unique_fields", {} }, { "unique_fields", { "" } }, { "unique_fields", "email" },
    }
    for _, case in ipairs(bad) do
      it(("raise at the caller's line for %s = %s"):format(case[1], tostring(case[2])), function()
        local ok, msg = pcall(function()
          mautic.new{ url = fake.url, [case[1]] = case[2] }   -- this line is the caller's
        end)
        assert.is_false(ok)
        assert.matches("failures_spec.lua:%d+: bad argument #1 to 'new' %(" .. case[1], msg)
      end)
    end

    it("accept 0 as no timeout", function()
      assert.is_table(mautic.new{ url = fake.url, timeout = 0, connect_timeout = 0 })
    end)

    it("never quote the credentials of a URL", function()
      for _, url in ipairs{ "htps://user:S3cretPW@host", "https://user:S3cretPW@mautic.example.com" } do
        local ok, msg = pcall(mautic.new, { url = url })
        assert.is_false(ok)
        assert.not_matches("S3cretPW", msg, 1, true)
      end
    end)
  end)

  describe("an empty 2xx answer where Mautic sends an entity", function()
    it("is a decode error, flagged maybe_applied for a write", function()
      fake.fault{ path = "^/api/notes/new$", status = 201, body = "", count = 1 }
      local n, err = fake.client().notes.create{ text = "x", lead = 1 }
      assert.is_nil(n)
      assert.equal("decode", err.kind)
      assert.equal(201, err.status)
      assert.is_true(err.maybe_applied)
    end)

    it("is raised with raise = true", function()
      fake.fault{ path = "^/api/notes/new$", status = 200, body = "", count = 1 }
      local api = fake.client{ raise = true }
      local ok, err = pcall(api.notes.create, { text = "x", lead = 1 })
      assert.is_false(ok)
      assert.equal("decode", err.kind)
    end)

    it("is retried for a GET", function()
      fake.fault{ path = "^/api/notes$", status = 200, body = "", count = 1 }
      local api, slept = fake.client()
      assert.is_table(api.notes.list())
      assert.equal(1, #slept)
    end)
  end)

  describe("an answer larger than max_response_bytes", function()
    it("is aborted with kind too_large", function()
      fake.fault{ path = "^/api/contacts$", status = 200, body = '{"total":1,"contacts":["' .. string.rep("x", 5000) .. '"]}' }
      local api, slept = fake.client{ max_response_bytes = 2000 }
      local page, err = api.contacts.list()
      assert.is_nil(page)
      assert.equal("too_large", err.kind)
      assert.equal(0, #slept)
    end)
  end)

  describe("lists", function()
    local function list_with(body)
      fake.fault{ path = "^/api/contacts$", status = 200, body = body, count = 1 }
      return fake.client{ retries = 0 }.contacts.list()
    end

    -- a total that is not a count loses nothing: the items are kept, the total is nil and flagged
    for _, bad in ipairs{ '"-3"', '-5', '"many"', '"abc"', '1.5' } do
      it("keep their items and flag a total of " .. bad, function()
        local page = assert(list_with('{"total":' .. bad .. ',"contacts":{"7":{"id":7},"9":{"id":9}}}'))
        assert.is_nil(page.total)
        assert.equal((bad:gsub('"', "")), page.bad_total)
        assert.equal(2, #page.items)
        assert.equal(7, page.items[1].id)
      end)
    end

    it("are paged to their end by each when the total is not a count", function()
      fake.fault{ path = "^/api/contacts$", status = 200, body = '{"total":"abc","contacts":[{"id":1},{"id":2}]}' }
      fake.fault{ path = "^/api/contacts$", status = 200, body = '{"total":"abc","contacts":[{"id":3}]}' }
      local ids = {}
      for c in fake.client{ retries = 0 }.contacts.each{ page_size = 2 } do ids[#ids + 1] = c.id end
      assert.same({ 1, 2, 3 }, ids)
      assert.equal(2, fake.count("^/api/contacts$"))
    end)

    it("yield an item once when the object repeats its key", function()
      local page = assert(list_with('{"total":"2","contacts":{"7":{"id":7},"9":{"id":9},"7":{"id":7}}}'))
      assert.equal(2, #page.items)
      assert.same({ 7, 9 }, { page.items[1].id, page.items[2].id })
    end)
  end)

  describe("each", function()
    it("ends with a decode error when the server ignores start and repeats a page", function()
      fake.fault{ path = "^/api/contacts$", status = 200, count = 0,
                  body = '{"total":"50","contacts":{"1":{"id":1},"2":{"id":2}}}' }
      local api = fake.client()
      local seen = 0
      local ok, err = pcall(function()
        for _ in api.contacts.each{ page_size = 2 } do seen = seen + 1 end
      end)
      assert.is_false(ok)
      assert.equal("decode", err.kind)
      assert.equal(2, seen)
      assert.equal(2, count("GET", "^/api/contacts$"))
    end)
  end)

  describe("rate limits", function()
    it("wait on their own budget, separate from failure retries", function()
      fake.fault{ path = "^/api/contacts$", status = 429, count = 2, headers = { ["Retry-After"] = "1" },
                  body = '{"errors":[{"code":429,"message":"rate limit"}]}' }
      local api, slept = fake.client{ retries = 0, rate_limit_retries = 2 }
      assert.is_table(api.contacts.list())
      assert.equal(2, #slept)
    end)

    it("give up once the budget is spent", function()
      fake.fault{ path = "^/api/contacts$", status = 429, count = 3, headers = { ["Retry-After"] = "1" },
                  body = '{"errors":[{"code":429,"message":"rate limit"}]}' }
      local api, slept = fake.client{ retries = 5, rate_limit_retries = 1 }
      local _, err = api.contacts.list()
      assert.equal(429, err.status)
      assert.equal(1, err.retry_after)
      assert.equal(1, #slept)
    end)

    it("honour a Retry-After given as an HTTP-date", function()
      local at = os.time() + 3
      fake.fault{ path = "^/api/contacts$", status = 429, count = 1,
                  headers = { ["Retry-After"] = os.date("!%a, %d %b %Y %H:%M:%S GMT", at) },
                  body = '{"errors":[{"code":429,"message":"rate limit"}]}' }
      local api, slept = fake.client{ rate_limit_retries = 1 }
      assert.is_table(api.contacts.list())
      assert.equal(1, #slept)
      assert.is_true(slept[1] > 0 and slept[1] <= 4.1)
    end)

    it("cap a Retry-After date with max_retry_wait", function()
      fake.fault{ path = "^/api/contacts$", status = 503, count = 1,
                  headers = { ["Retry-After"] = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 3600) },
                  body = '{}' }
      fake.fault{ path = "^/api/contacts$", status = 429, count = 1,
                  headers = { ["Retry-After"] = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 3600) },
                  body = '{"errors":[{"code":429,"message":"rate limit"}]}' }
      local api, slept = fake.client{ max_retry_wait = 10 }
      local _, err = api.contacts.list()
      assert.equal(429, err.status)
      assert.is_true(err.retry_after > 3000)
      assert.equal(1, #slept)   -- the backoff after the 503; no rate-limit sleep
    end)
  end)

  describe("PUT", function()
    it("is resent after a 503 once the entity is known to exist", function()
      local api = fake.client()
      local c = assert(api.contacts.create{ email = "put@example.com" })
      fake.clear_log()
      fake.fault{ path = "^/api/contacts/%d+/edit$", method = "PUT", status = 503, body = "{}", count = 1 }
      local edited = assert(api.contacts.edit(c.id, { firstname = "Put" }, { create = true }))
      assert.equal(c.id, edited.id)
      assert.equal(2, count("PUT", "/edit$"))
      assert.equal(1, count("GET", "^/api/contacts/%d+$"))
    end)

    it("is not resent when the entity is missing, since Mautic would create another", function()
      local api = fake.client()
      fake.fault{ path = "^/api/notes/%d+/edit$", method = "PUT", status = 503, body = "{}", count = 1 }
      local n, err = api.notes.edit(987654, { text = "x", lead = 1 }, { create = true })
      assert.is_nil(n)
      assert.is_true(err.maybe_applied)
      assert.matches("not resent", err.message)
      assert.equal(1, count("PUT", "/edit$"))
    end)
  end)

  describe("DELETE", function()
    it("is resent after a 502", function()
      local api = fake.client()
      local c = assert(api.contacts.create{ email = "del@example.com" })
      fake.fault{ path = "^/api/contacts/%d+/delete$", status = 502, body = "{}", count = 1 }
      assert.is_table(api.contacts.delete(c.id))
      assert.equal(2, count("DELETE", "/delete$"))
    end)
  end)

  describe("errors", function()
    it("concatenate on either side", function()
      fake.fault{ path = "^/api/contacts/5$", status = 404, count = 1,
                  body = '{"errors":[{"code":404,"message":"Item was not found."}]}' }
      local _, err = fake.client().contacts.get(5)
      assert.matches("^failed: mautic: http 404 Item was not found%.", "failed: " .. err)
      assert.matches("%(GET .*/api/contacts/5%) !$", err .. " !")
    end)

    it("say maybe_applied = false for a refused write", function()
      local _, err = fake.client().contacts.edit(987654, { firstname = "x" })
      assert.equal(404, err.status)
      assert.is_false(err.maybe_applied)
    end)
  end)
end)
