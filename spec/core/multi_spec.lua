-- mautic.core multi: many transfers at once on one curl multi handle.
local core = require "mautic.core"
local cjson = require "cjson"
local server = require "spec.core.support.http_server"

describe("core.multi", function()
  local srv, dead

  lazy_setup(function()
    srv = assert(server.start())
    dead = server.dead_port()
  end)

  lazy_teardown(function()
    if srv then srv:stop() end
  end)

  -- run until nothing is pending; results keyed by id
  local function drain(m)
    local results, rounds = {}, 0
    while m:pending() > 0 do
      rounds = rounds + 1
      assert.is_true(rounds < 1000, "run() made no progress")
      local done = assert(m:run(5))
      for _, r in ipairs(done) do
        assert.is_nil(results[r.id], "an id was returned twice")
        results[r.id] = r
      end
    end
    return results
  end

  it("runs many requests at once and returns every id with its own body", function()
    local m = assert(core.multi())
    local want = {}
    for i = 1, 10 do
      local id = m:add { url = srv.url .. "/slow?s=0.3&id=req" .. i }
      assert.is_number(id)
      want[id] = "req" .. i
    end
    assert.are.equal(10, m:pending())
    local results = drain(m)
    for id, body in pairs(want) do
      assert.are.equal(200, results[id].status)
      assert.are.equal(body, results[id].body)
      assert.is_table(results[id].headers)
      assert.is_nil(results[id].err)
    end
    assert.are.equal(0, m:pending())
    m:close()
  end)

  it("gives every transfer a distinct id", function()
    local m = core.multi()
    local seen = {}
    for _ = 1, 5 do
      local id = m:add { url = srv.url .. "/echo" }
      assert.is_nil(seen[id])
      seen[id] = true
    end
    drain(m)
    m:close()
  end)

  it("sends methods, headers and bodies like a session", function()
    local m = core.multi()
    local reqs = {
      { method = "POST", body = "a\0b", headers = { ["X-A"] = "1" } },
      { method = "PUT", body = "put" },
      { method = "PATCH" },
      { method = "DELETE" },
      { method = "GET" },
    }
    local ids = {}
    for i, r in ipairs(reqs) do
      r.url = srv.url .. "/echo"
      ids[m:add(r)] = i
    end
    for id, res in pairs(drain(m)) do
      local r = reqs[ids[id]]
      local e = cjson.decode(res.body)
      assert.are.equal(r.method, e.method)
      assert.are.equal(r.body or "", e.body)
      if r.headers then assert.are.equal("1", e.headers["x-a"]) end
    end
    m:close()
  end)

  it("returns headers that are found in any case", function()
    local m = core.multi()
    local id = m:add { url = srv.url .. "/headers" }
    local r = drain(m)[id]
    assert.are.equal("5.1.0", r.headers["Mautic-Version"])
    assert.are.equal("a=1, b=2", r.headers["set-cookie"])
    m:close()
  end)

  it("returns failures as { id, err, kind } next to successes", function()
    local m = core.multi()
    local ok_id = m:add { url = srv.url .. "/status/404" }
    local refused = m:add { url = "http://127.0.0.1:" .. dead .. "/" }
    local dropped = m:add { url = srv.url .. "/drop" }
    local slow = m:add { url = srv.url .. "/slow?s=3", timeout = 0.2 }
    local results = drain(m)
    assert.are.equal(404, results[ok_id].status)
    assert.are.equal("status 404", results[ok_id].body)
    for id, kind in pairs({ [refused] = "connect", [dropped] = "network", [slow] = "timeout" }) do
      assert.is_nil(results[id].status)
      assert.is_string(results[id].err)
      assert.are.equal(kind, results[id].kind)
    end
    m:close()
  end)

  it("reports a request that cannot start (missing upload file) from run()", function()
    local m = core.multi()
    local id = m:add { method = "POST", url = srv.url .. "/echo",
                       parts = { { name = "f", file = "/nonexistent-dir/x" } } }
    assert.are.equal(1, m:pending())
    local done = m:run(5)
    assert.are.equal(1, #done)
    assert.are.equal(id, done[1].id)
    assert.are.equal("file", done[1].kind)
    assert.are.equal(0, m:pending())
    m:close()
  end)

  it("writes a transfer's body to its output file", function()
    local path = os.tmpname()
    local m = core.multi()
    local id = m:add { url = srv.url .. "/big?n=200000", output = path }
    local r = drain(m)[id]
    assert.are.equal(200, r.status)
    assert.are.equal("", r.body)
    local f = assert(io.open(path, "rb"))
    assert.are.equal(200000, #f:read("*a"))
    f:close()
    os.remove(path)
    m:close()
  end)

  it("returns an empty array at once when nothing is pending", function()
    local m = core.multi()
    assert.are.same({}, m:run(10))
    assert.are.same({}, m:run())
    m:close()
  end)

  it("returns an empty array when the timeout passes first", function()
    local m = core.multi()
    m:add { url = srv.url .. "/slow?s=2" }
    assert.are.same({}, m:run(0.05))
    assert.are.same({}, m:run(0))
    assert.are.equal(1, m:pending())
    m:close()
  end)

  it("reuses connections for later transfers", function()
    local m = core.multi()
    local conns = {}
    for i = 1, 3 do
      local id = m:add { url = srv.url .. "/echo" }
      conns[i] = cjson.decode(drain(m)[id].body).connection
    end
    assert.are.equal(conns[1], conns[2])
    assert.are.equal(conns[1], conns[3])
    m:close()
  end)

  it("validates requests like session:request", function()
    local m = core.multi()
    assert.has_error(function() m:add { url = srv.url, headers = { ["X-A"] = "a\r\nb" } } end)
    assert.has_error(function() m:add { method = "BREW", url = srv.url } end)
    assert.has_error(function() m:add {} end)
    assert.are.equal(0, m:pending())
    local id = m:add { url = srv.url .. "/echo" }
    assert.are.equal(200, drain(m)[id].status)
    m:close()
  end)

  it("stays usable for many rounds (idle handles are reused)", function()
    local m = core.multi()
    for round = 1, 5 do
      local ids = {}
      for i = 1, 20 do ids[m:add { url = srv.url .. "/slow?s=0&id=" .. round .. "-" .. i }] = round .. "-" .. i end
      local results = drain(m)
      for id, body in pairs(ids) do assert.are.equal(body, results[id].body) end
    end
    m:close()
  end)

  describe("close", function()
    it("can be called twice, also with transfers in flight", function()
      local m = core.multi()
      m:add { url = srv.url .. "/slow?s=2" }
      m:add { url = srv.url .. "/echo" }
      m:run(0)
      m:close()
      m:close()
      assert.are.equal(0, m:pending())
    end)

    it("makes add and run fail with nil, err, 'usage'", function()
      local m = core.multi()
      m:close()
      local ok, err, kind = m:add { url = srv.url .. "/echo" }
      assert.is_nil(ok)
      assert.matches("closed", err)
      assert.are.equal("usage", kind)
      ok, err, kind = m:run(1)
      assert.is_nil(ok)
      assert.matches("closed", err)
      assert.are.equal("usage", kind)
    end)

    it("is what the garbage collector calls, even with transfers in flight", function()
      for _ = 1, 5 do
        local m = core.multi()
        m:add { url = srv.url .. "/slow?s=1" }
        m:add { url = srv.url .. "/echo" }
        m:run(0)
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
            local m <close> = core.multi()
            keep = m
            m:add { url = url }
          end
          return keep
        ]]))
        local m = chunk(core, srv.url .. "/slow?s=1")
        assert.are.equal(0, m:pending())
        local ok, _, kind = m:add { url = srv.url .. "/echo" }
        assert.is_nil(ok)
        assert.are.equal("usage", kind)
      end)
    end
  end)
end)
