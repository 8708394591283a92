-- each fetches the next page while the caller works on the current one.
local fake = require "support.fake"
local core = require "mautic.core"

describe("each with prefetch", function()
  local api

  lazy_setup(function()
    fake.reset()
    api = fake.client()
    local rows = {}
    for i = 1, 25 do rows[i] = { email = ("pre%d@example.com"):format(i) } end
    assert(api.contacts.create_batch(rows))
  end)

  before_each(function() fake.clear_log() end)

  -- the start values of the list requests the fake has seen, waiting (a
  -- bounded number of times) for one with start = want to arrive
  local function starts_seen(want)
    local starts
    for _ = 1, 500 do    -- up to 10 s for the request to reach the fake
      starts = {}
      for _, r in ipairs(fake.log()) do
        if r.method == "GET" and r.path == "/api/contacts" then starts[#starts + 1] = tonumber(r.args.start) end
      end
      for _, s in ipairs(starts) do if s == want then return starts end end
      if want == nil then return starts end
      core.sleep(0.02)
    end
    return starts
  end

  it("has asked for the next page while the caller still works on the first", function()
    local it = api.contacts.each{ page_size = 10, search = "email:pre%" }
    assert.is_table(it())                      -- one item of page one in hand
    assert.same({ 0, 10 }, starts_seen(10))    -- page two is already on its way
    local n = 1
    for _ in it do n = n + 1 end
    assert.equal(25, n)
    assert.same({ 0, 10, 20 }, starts_seen(20))
  end)

  it("yields the same items in the same order with and without prefetch", function()
    local with, without = {}, {}
    for c in api.contacts.each{ page_size = 7, search = "email:pre%" } do with[#with + 1] = c.id end
    for c in api.contacts.each({ page_size = 7, search = "email:pre%" }, { prefetch = false }) do
      without[#without + 1] = c.id
    end
    assert.equal(25, #with)
    assert.same(without, with)
  end)

  it("asks for nothing ahead with prefetch = false", function()
    local it = api.contacts.each({ page_size = 10, search = "email:pre%" }, { prefetch = false })
    assert.is_table(it())
    assert.same({ 0 }, starts_seen(nil))
  end)

  it("asks for nothing past the caller's limit", function()
    local n = 0
    for _ in api.contacts.each{ page_size = 10, limit = 10, search = "email:pre%" } do n = n + 1 end
    assert.equal(10, n)
    assert.same({ 0 }, starts_seen(nil))
  end)

  it("raises a failed page's error when the caller reaches it", function()
    fake.fault{ path = "^/api/contacts$", status = 400, skip = 1, count = 1,
                body = '{"errors":[{"code":400,"message":"bad page"}]}' }
    local n = 0
    local ok, err = pcall(function()
      for _ in api.contacts.each{ page_size = 10, search = "email:pre%" } do n = n + 1 end
    end)
    assert.is_false(ok)
    assert.equal(400, err.status)
    assert.equal(10, n)
  end)
end)
