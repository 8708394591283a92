-- /api/v2 and the 7.0 routes over real HTTP: against a fake Mautic started
-- in 7.0 mode (mautic.fake), or against a real Mautic 7 when MAUTIC_V2_URL
-- is set (MAUTIC_V2_USER / MAUTIC_V2_PASSWORD, default admin /
-- Mautic-Api-Pass1):
--   MAUTIC_V2_URL=http://127.0.0.1:8289 busted --lua=lua5.4 spec/api_v2_spec.lua
-- (MAUTIC_V2_OLD_URL=http://127.0.0.1:8089 adds a real 5.x, where v2 is refused)
-- What needs the fake (faults, its request log) is pending against a real
-- server; what needs /api/v2 or the campaign export routes is pending
-- against a fake that does not serve them yet.
local mautic = require "mautic"
local fake = require "mautic.fake"
local core = require "mautic.core"
local json = require "mautic.json"

local REAL = os.getenv("MAUTIC_V2_URL")
local unpack = table.unpack or unpack     -- luacheck: ignore 143
local MARK = ("v2spec-%d-%d"):format(os.time(), math.random(1000000))

-- GET a path with Basic auth, outside the client: status and decoded body
local function raw_get(url, user, pass, path)
  local s = core.session()
  local status, _, body = s:request{ method = "GET", url = url .. path, timeout = 30,
    headers = { Authorization = "Basic " .. core.b64encode(user .. ":" .. pass), Accept = "application/json" } }
  s:close()
  return status, status and json.decode(body or "")
end

describe("/api/v2 and the 7.0 routes", function()
  local srv, url, user, pass
  local has_v2, has_export

  lazy_setup(function()
    if REAL then
      url, user = REAL:gsub("/+$", ""), os.getenv("MAUTIC_V2_USER") or "admin"
      pass = os.getenv("MAUTIC_V2_PASSWORD") or "Mautic-Api-Pass1"
    else
      -- a password no message could hold by chance (the default, "mautic", is a word of them)
      srv = assert(fake.start{ version = "7.0.0", users = { admin = "v2-spec-Pass1" } })
      url, user, pass = srv.url, srv.username, srv.password
    end
    -- what the server serves: a route 404 names the URL, a missing item does not
    has_v2 = raw_get(url, user, pass, "/api/v2/tags") == 200
    local st, body = raw_get(url, user, pass, "/api/campaigns/export/999999")
    has_export = st == 404 and not tostring(body and body.errors and body.errors[1].message):find("Requested URL")
  end)
  lazy_teardown(function() if srv then srv:stop() end end)
  before_each(function() if srv then srv:reset() end end)

  local function client(extra)
    local o = { url = url, auth = mautic.auth.basic{ username = user, password = pass }, sleep = function() end }
    for k, v in pairs(extra or {}) do o[k] = v end
    return mautic.new(o)
  end

  -- it() that runs only where the server has what it needs
  local function given(what, name, fn)
    it(name, function()
      -- the fake in 7.0 mode has both: there, a missing one is a failure
      assert(REAL or (has_v2 and has_export), "the fake in 7.0 mode serves /api/v2 and campaign export")
      if what.v2 and not has_v2 then return pending("the server has no /api/v2") end
      if what.export and not has_export then return pending("the server has no campaign export") end
      if what.fake and not srv then return pending("needs the fake's faults and log") end
      fn()
    end)
  end

  describe("a resource", function()
    given({ v2 = true }, "is created, read, merge-patched, replaced and deleted", function()
      local api = client()
      local t = assert(api.v2.tags.create{ tag = MARK .. "-crud", description = "first" })
      assert.is_number(t.id)
      assert.are.equal("/api/v2/tags/" .. t.id, t["@id"])
      local got = assert(api.v2.tags.get(t.id))
      assert.are.equal(MARK .. "-crud", got.tag)
      -- PATCH as application/merge-patch+json: Mautic answers application/json with 415
      local patched = assert(api.v2.tags.update(t.id, { description = "second" }))
      assert.are.equal("second", patched.description)
      assert.are.equal(MARK .. "-crud", patched.tag)
      if srv then
        assert.are.equal("application/merge-patch+json", srv:last("PATCH", "^/api/v2/tags/%d+$").content_type)
      end
      -- PUT replaces: what it leaves out is reset
      local replaced = assert(api.v2.tags.replace(t.id, { tag = MARK .. "-crud2" }))
      assert.are.equal(MARK .. "-crud2", replaced.tag)
      assert.is_nil(replaced.description)
      -- an entity's methods are the resource's verbs
      local again = assert(api.v2.tags.get(t.id))
      assert.are.equal("third", assert(again:update{ description = "third" }).description)
      assert.is_true(assert(api.v2.tags.delete(t.id)))
      local gone, err = api.v2.tags.get(t.id)
      assert.is_nil(gone)
      assert.are.same({ "http", 404, "Not Found" }, { err.kind, err.status, err.message })
    end)

    given({ v2 = true }, "is listed one page at a time: total, items and the page", function()
      local api = client()
      assert(api.v2.tags.create{ tag = MARK .. "-l1" })
      local page = assert(api.v2.tags.list())
      assert.are.equal(1, page.page)
      assert.is_true(math.floor(page.total) == page.total and page.total >= 1)
      assert.is_true(#page.items >= 1 and #page.items <= 30)
      for _, item in ipairs(page.items) do assert.is_number(item.id) end
      local past = assert(api.v2.tags.list{ page = 1000 })
      assert.are.same({ 1000, 0 }, { past.page, #past.items })
    end)

    given({ v2 = true }, "is walked by each over every page, 30 a page, each item once", function()
      local api = client()
      local mine = {}
      for i = 1, 32 do mine[assert(api.v2.tags.create{ tag = ("%s-e%02d"):format(MARK, i) }).id] = true end
      local before = assert(api.v2.tags.list()).total
      if srv then srv:clear_log() end
      local seen, n = {}, 0
      for tag in api.v2.tags.each() do
        assert.is_nil(seen[tag.id], "yielded twice")
        seen[tag.id], n = true, n + 1
      end
      for id in pairs(mine) do assert.is_true(seen[id], "missing " .. id) end
      assert.is_true(n >= before and n >= 32)
      if srv then
        -- pages 1..ceil(total/30): it stops at totalItems, not at an empty page
        assert.are.equal(math.ceil(n / 30), srv:count("^/api/v2/tags$"))
      end
      local capped = 0
      for _ in api.v2.tags.each({ limit = 5 }) do capped = capped + 1 end
      assert.are.equal(5, capped)
      local from2 = 0
      for _ in api.v2.tags.each({ page = 2 }) do from2 = from2 + 1 end
      assert.are.equal(n - 30, from2)
    end)

    given({ v2 = true }, "is walked with concurrency in page order, each item once, n pages in flight", function()
      local api = client()
      for i = 1, 95 do assert(api.v2.tags.create{ tag = ("%s-c%03d"):format(MARK, i) }) end
      local order = {}
      for tag in api.v2.tags.each() do order[#order + 1] = tag.id end
      assert.is_true(#order >= 95)
      for _, n in ipairs{ 2, 4 } do
        local got = {}
        for tag in api.v2.tags.each({ concurrency = n }) do got[#got + 1] = tag.id end
        assert.are.same(order, got)                     -- the sequential scan's items, in its order
      end
      local capped = {}
      for tag in api.v2.tags.each({ concurrency = 4, limit = 31 }) do capped[#capped + 1] = tag.id end
      assert.are.same({ unpack(order, 1, 31) }, capped)
      local from2 = {}
      for tag in api.v2.tags.each({ concurrency = 3, page = 2 }) do from2[#from2 + 1] = tag.id end
      assert.are.same({ unpack(order, 31) }, from2)
    end)

    given({ v2 = true, fake = true }, "keeps at most n v2 page requests in flight, and uses them", function()
      local api = client()
      for _, n in ipairs{ 1, 3 } do
        srv:reset()                                       -- the counters too
        for i = 1, 95 do assert(api.v2.tags.create{ tag = ("%s-f%03d"):format(MARK, i) }) end
        local total = assert(api.v2.tags.list()).total
        srv:clear_log()
        srv:fault{ path = "^/api/v2/tags$", method = "GET", action = "delay", delay = 0.2, count = 0 }
        local seen = 0
        for _ in api.v2.tags.each({ concurrency = n }) do seen = seen + 1 end
        assert.are.equal(total, seen)
        assert.are.equal(n, srv:counters().max_in_flight)
        -- every page once, none past the last (totalItems says where it is)
        assert.are.equal(math.ceil(total / 30), srv:count("^/api/v2/tags$"))
      end
      -- a page that fails while others are on their way: the loop raises it, after the pages before it
      srv:clear_faults()
      srv:fault{ path = "^/api/v2/tags$", method = "GET", action = "status", status = 404, skip = 2, count = 1 }
      local yielded = 0
      local ok, err = pcall(function() for _ in api.v2.tags.each({ concurrency = 3 }) do yielded = yielded + 1 end end)
      assert.is_false(ok)
      assert.are.same({ "http", 404, 60 }, { err.kind, err.status, yielded })
    end)

    given({ v2 = true }, "answers a missing id with a 404 error of kind http", function()
      local v, err = client().v2.contacts.get(999999999)
      assert.is_nil(v)
      assert.are.same({ "http", 404, "GET" }, { err.kind, err.status, err.method })
      local _, derr = client().v2.tags.delete(999999999)
      assert.are.same({ "http", 404 }, { derr.kind, derr.status })
    end)
  end)

  describe("bad input", function()
    it("raises at the caller's line: an unknown option, query parameter or verb, a write on a read-only resource",
      function()
        local api = client()
        local line = debug.getinfo(1, "l").currentline
        local ok, msg = pcall(function() api.v2.tags.list({ page = 1 }, { timout = 1 }) end)
        assert.is_false(ok)
        assert.matches(":" .. (line + 1) .. ": bad argument #2 to 'v2.tags.list' %(unknown option 'timout'; "
          .. "did you mean 'timeout'%?%)", msg)
        assert.has_error(function() api.v2.tags.list{ search = "x" } end,
          "bad argument #1 to 'v2.tags.list' (unknown query parameter 'search')")
        assert.has_error(function() api.v2.tags.list{ page = 0 } end,
          "bad argument #1 to 'v2.tags.list' (page: an integer >= 1 expected, got 0)")
        assert.has_error(function() api.v2.downloads.create{} end,
          "v2.downloads.create: /api/v2/downloads is read-only (GET only): it has no create")
        assert.has_error(function() api.v2.ip_addresses.delete(3) end,
          "v2.ip_addresses.delete: /api/v2/ip_addresses is read-only (GET only): it has no delete")
        assert.has_error(function() api.v2.tags.edit(1, {}) end, "v2.tags has no verb 'edit'")
        assert.has_error(function() return api.v2.tag end, "api.v2 has no resource 'tag'; did you mean 'tags'?")
        assert.has_error(function() api.v2.tags.update("x", {}) end)
        assert.has_error(function() api.campaigns.import("x") end)
        assert.has_error(function() api.campaigns.import{ zip = "/tmp/a.zip", name = "x" } end,
          "bad argument to 'campaigns.import' ({ zip = path } takes nothing else)")
      end)
  end)

  describe("the server's version", function()
    given({ fake = true }, "is learnt from an /api answer already seen, with no request of its own", function()
      local api = client()
      assert(api.contacts.list{ limit = 1 })
      local s = assert(api.server())
      assert.are.same({ "7.0.0", 7, 0, 0, true, true, false }, { s.version, s.major, s.minor, s.patch, s.v2,
                                                                  s.campaign_import, s.rate_limiter })
      assert.are.equal(0, srv:count("^/api/users/self$"))
    end)

    it("is asked for once, with GET /api/users/self, when no answer was seen", function()
      local api = client()
      local s = assert(api.server())
      assert.are.equal(7, s.major)
      assert.is_true(s.v2)
      assert.are.equal(s, api.server())
      if srv then assert.are.equal(1, srv:count("^/api/users/self$")) end
    end)

    given({ fake = true }, "is asked for once by tasks that all start with a v2 call at the same time", function()
      local api = client()
      local tasks = {}
      for i = 1, 4 do tasks[i] = function() return api.server() end end
      local values, errs = mautic.parallel(tasks, { concurrency = 4 })
      for i = 1, 4 do
        assert.is_nil(errs[i])
        assert.are.equal("7.0.0", values[i].version)
      end
      assert.are.equal(1, srv:count("^/api/users/self$"))
    end)

    given({ fake = true }, "keeps v2 and campaign export from a 5.1 server: unsupported, nothing sent", function()
      srv:config{ version = "5.1.0" }
      local api = client()
      local v, err = api.v2.contacts.list()
      assert.is_nil(v)
      assert.are.equal("unsupported", err.kind)
      assert.are.equal("v2.contacts.list: Mautic 5.1.0 has no /api/v2 (it came with Mautic 7.0)", err.message)
      local _, cerr = api.v2.tags.create{ tag = "x" }
      assert.are.equal("unsupported", cerr.kind)
      local ok, ierr = pcall(function() for _ in api.v2.tags.each() do end end)
      assert.is_false(ok)
      assert.are.equal("unsupported", ierr.kind)
      local _, xerr = api.campaigns.export(1)
      assert.are.equal("campaigns.export: Mautic 5.1.0 has no campaign export and import (it came with Mautic 7.0)",
        xerr.message)
      local _, merr = api.campaigns.import{ { campaign = {} } }
      assert.are.equal("unsupported", merr.kind)
      assert.are.equal(0, srv:count("^/api/v2"))
      assert.are.equal(0, srv:count("^/api/campaigns/"))
      assert.are.equal(1, srv:count("^/api/users/self$"))      -- learnt once, then known
    end)
  end)

  -- a real 5.x as well, when MAUTIC_V2_OLD_URL names one (same credentials)
  local OLD = os.getenv("MAUTIC_V2_OLD_URL")
  it("refuses v2 and campaign export on a real 5.x server too (MAUTIC_V2_OLD_URL)", function()
    if not OLD then return pending("MAUTIC_V2_OLD_URL is not set") end
    local api = mautic.new{ url = OLD, auth = mautic.auth.basic{ username = user, password = pass }, raise = true }
    local s = api.server()
    assert.is_true(s.major < 7)
    local ok, err = pcall(api.v2.tags.list)
    assert.is_false(ok)
    assert.are.equal("unsupported", err.kind)
    assert.are.equal(("v2.tags.list: Mautic %s has no /api/v2 (it came with Mautic 7.0)"):format(s.version), err.message)
    local xok, xerr = pcall(api.campaigns.export, 1)
    assert.is_false(xok)
    assert.are.equal("unsupported", xerr.kind)
  end)

  describe("one behaviour for both generations", function()
    given({ fake = true }, "never resends a v2 POST or PATCH that may have reached the server", function()
      local api = client{ retries = 3 }
      srv:fault{ path = "^/api/v2/tags$", method = "POST", action = "drop", count = 0 }
      local v, err = api.v2.tags.create{ tag = MARK }
      assert.is_nil(v)
      assert.are.same({ "network", true, 1 }, { err.kind, err.maybe_applied, err.attempts })
      srv:fault{ path = "^/api/v2/tags/%d+$", method = "PATCH", action = "drop", count = 0 }
      local _, perr = api.v2.tags.update(5, { tag = MARK })
      assert.are.same({ true, 1 }, { perr.maybe_applied, perr.attempts })
      assert.are.equal(1, srv:count("^/api/v2/tags$"))
      assert.are.equal(1, srv:count("^/api/v2/tags/5$"))
    end)

    given({ fake = true, v2 = true }, "retries a v2 read, a PUT (after a probe) and a DELETE after a drop", function()
      local api = client{ retries = 3 }
      local t = assert(api.v2.tags.create{ tag = MARK .. "-retry" })
      srv:fault{ path = "^/api/v2/tags/%d+$", method = "GET", action = "drop", count = 1 }
      assert.are.equal(t.id, assert(api.v2.tags.get(t.id)).id)
      -- a PUT is resent once a GET found the item (the /api decision table's probe)
      srv:fault{ path = "^/api/v2/tags/%d+$", method = "PUT", action = "store_then_drop", count = 1 }
      assert.are.equal(MARK .. "-put", assert(api.v2.tags.replace(t.id, { tag = MARK .. "-put" })).tag)
      assert.are.equal(2, srv:count{ method = "PUT", path = "^/api/v2/tags/%d+$" })
      srv:fault{ path = "^/api/v2/tags/%d+$", method = "DELETE", action = "store_then_drop", count = 1 }
      assert.is_truthy(api.v2.tags.delete(t.id))
      assert.is_true(api.last_response().already_done)
    end)

    given({ fake = true }, "says what a stock 7.0 refusing the bearer token on /api/v2 means, once", function()
      srv:fault{ path = "^/api/v2/", action = "status", status = 401, body = '{"message":"Invalid credentials."}',
                 content_type = "application/json", count = 0 }
      local api = client{ auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret",
                                                     grant = "client_credentials" } }
      assert(api.contacts.list{ limit = 1 })      -- the token works on /api
      local v, err = api.v2.contacts.list()
      assert.is_nil(v)
      assert.are.same({ "auth", 401, "v2_bearer_refused" }, { err.kind, err.status, err.type })
      assert.matches("mautic/mautic#16243, fixed in Mautic 7.1.3", err.message, 1, true)
      assert.matches("mautic.auth.basic (HTTP Basic) works on /api/v2", err.message, 1, true)
      for token in pairs(srv:tokens().oauth2.access_tokens) do
        assert.is_nil(tostring(err):find(token, 1, true))
        assert.is_nil(tostring(err.body):find(token, 1, true))
      end
      assert.are.equal(1, srv:count("^/api/v2/"))           -- no renewal: a new token is refused the same way
      assert.are.equal(1, srv:count("^/oauth/v2/token$"))
    end)

    given({ fake = true }, "never sends a cookie, whatever Set-Cookie the server sent", function()
      srv:fault{ path = "^/api/contacts$", action = "status", status = 200, count = 1,
                 body = '{"total":0,"contacts":[]}', content_type = "application/json",
                 headers = { ["Set-Cookie"] = "17ecc33ab74e517f0a6a77b9c815b55a=sess1; path=/; httponly; samesite=lax" } }
      local api = client()
      assert(api.contacts.list{ limit = 1 })
      assert.matches("sess1", api.last_response().headers["set-cookie"], 1, true)
      assert(api.contacts.list{ limit = 1 })
      assert(api.tags.list())
      for _ in api.contacts.each({ page_size = 1, limit = 3 }) do end   -- prefetched pages: the multi handle
      local log = srv:log()
      assert.is_true(#log >= 4)
      for _, r in ipairs(log) do assert.is_nil(r.headers.cookie, r.method .. " " .. r.path) end
    end)
  end)

  describe("campaign export and import (7.0)", function()
    given({ export = true }, "exports a campaign as Mautic's array and imports it back", function()
      local api = client()
      -- Mautic 7 wants an event and a source (campaigns.create.ok's body)
      local seg = assert(api.segments.create{ name = MARK .. " segment" })
      local c = assert(api.campaigns.create{ name = MARK .. " campaign", isPublished = false, lists = { { id = seg.id } },
        events = { { id = "new1", name = "Adjust points", type = "lead.changepoints", eventType = "action", order = 1,
                     properties = { points = 5 }, triggerMode = "immediate", triggerInterval = 1,
                     triggerIntervalUnit = "d", anchor = "leadsource", anchorEventType = "source" } } })
      local data = assert(api.campaigns.export(c.id))
      assert.are.equal(1, #data)
      assert.are.equal(c.id, data[1].campaign[1].id)
      assert.is_string(data[1].campaign[1].uuid)
      local said = assert(api.campaigns.import(data))
      assert.matches("^Import successful", said[1])
      -- an entity's method too; the same uuid was updated in place
      assert.are.equal(data[1].campaign[1].uuid, assert(c:export())[1].campaign[1].uuid)
    end)

    given({ export = true }, "reads the import's 400 {\"error\": ...} as a structured error", function()
      local api = client()
      local v, err = api.campaigns.import{ { lists = {} } }
      assert.is_nil(v)
      assert.are.same({ "http", 400, "No JSON content found and exactly one ZIP file must be uploaded.", false },
        { err.kind, err.status, err.message, err.maybe_applied })
      local zip = os.tmpname() .. ".zip"     -- Mautic reads the name first
      local f = assert(io.open(zip, "wb"))
      f:write("PK not a zip")
      f:close()
      local _, zerr = api.campaigns.import{ zip = zip }
      os.remove(zip)
      os.remove((zip:gsub("%.zip$", "")))
      assert.are.same({ "http", 400 }, { zerr.kind, zerr.status })
      assert.matches("^Unable to open ZIP file", zerr.message)
      local _, merr = api.campaigns.export(999999)
      assert.are.same({ 404, "Item was not found." }, { merr.status, merr.message })
    end)
  end)
end)
