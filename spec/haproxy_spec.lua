-- The client inside HAProxy (Debian's haproxy embeds Lua 5.3): with no
-- transport given, it finds HAProxy's cosockets by itself, so slow Mautic
-- answers never block the proxy. Needs haproxy and build/lua5.3.
local fake = require "support.fake"
local haproxy = require "support.haproxy"
local core = require "mautic.core"

local root = io.popen("pwd"):read("*l")
local ready = haproxy.installed() and io.open("build/lua5.3/mautic/core.so") ~= nil
local describe_haproxy = ready and describe or pending

describe_haproxy("the client inside HAProxy", function()
  local srv, session
  setup(function()
    srv = haproxy.start{
      lua = root .. "/spec/haproxy/service.lua",
      env = { MAUTIC_FAKE_URL = fake.url },
      frontend = [[
  http-request return status 200 content-type text/plain string pong if { path /ping }
  http-request use-service lua.mautic_lookup if { path /lookup }
  http-request use-service lua.mautic_sleep if { path /sleep }
]],
    }
    session = core.session()
  end)
  teardown(function() if srv then srv.stop() end end)
  before_each(function() fake.reset() end)

  local function get(path)
    local status, _, body = session:request{ url = srv.url .. path, timeout = 30 }
    return status, body
  end

  it("calls Mautic through HAProxy's own sockets", function()
    local status, body = get("/lookup")
    assert.equal(200, status, body)
    assert.matches("^ok %d+$", body)
    assert.equal("GET", fake.last("GET", "^/api/contacts$").method)
  end)

  it("sleeps through core.msleep, not a blocking sleep", function()
    local status, body = get("/sleep")
    assert.equal(200, status)
    -- HAProxy's clock moved on while the call slept: it yielded to HAProxy
    assert.is_true(tonumber(body) >= 0.15, body)
  end)

  it("runs 20 slow calls at once in about one latency, and an unrelated request is not held up", function()
    local N, DELAY = 20, 0.5
    -- the sequential baseline, in this run: two slow calls one after the other
    fake.fault{ path = "^/api/contacts$", delay = DELAY, count = 2 }
    local t0 = core.now()
    for _ = 1, 2 do assert.equal(200, (get("/lookup"))) end
    local per_call = (core.now() - t0) / 2
    fake.reset()

    fake.fault{ path = "^/api/contacts$", delay = DELAY, count = N }
    local multi = core.multi()
    local ids, order = {}, {}
    local started = core.now()
    for _ = 1, N do ids[multi:add{ url = srv.url .. "/lookup", timeout = 30 }] = "lookup" end
    -- let the 20 reach HAProxy and Mautic, then ask for something unrelated
    local early = multi:run(0.15)
    local ping = multi:add{ url = srv.url .. "/ping", timeout = 30 }
    ids[ping] = "ping"
    local results = {}
    for _, r in ipairs(early) do results[#results + 1] = r end
    while #results < N + 1 do
      local done = multi:run(10)
      assert.is_true(#done > 0, "nothing finished in 10 s")
      for _, r in ipairs(done) do results[#results + 1] = r end
    end
    local elapsed = core.now() - started
    multi:close()
    if os.getenv("SPEC_FIGURES") then
      io.stderr:write(("\nHAProxy: %d calls at once %.2f s; one call alone %.2f s\n"):format(N, elapsed, per_call))
    end
    local ok = 0
    for _, r in ipairs(results) do
      order[#order + 1] = ids[r.id]
      if ids[r.id] == "lookup" and r.status == 200 and r.body:match("^ok") then ok = ok + 1 end
    end
    assert.equal(N, ok)
    -- the unrelated request came back first, while the 20 were still waiting on Mautic
    assert.equal("ping", order[1])
    -- all 20 reached Mautic
    local arrived = 0
    for _, e in ipairs(fake.log()) do if e.path == "/api/contacts" then arrived = arrived + 1 end end
    assert.equal(N, arrived)
    -- one after the other they would take N * per_call; at once, about one latency
    assert.is_true(elapsed < N * per_call / 4,
      ("%d calls at once took %.2f s; one call alone %.2f s"):format(N, elapsed, per_call))
  end)

  it("serves examples/haproxy: a signup creates the contact", function()
    local ex = haproxy.start{
      lua = root .. "/examples/haproxy/mautic_signup.lua",
      env = { MAUTIC_URL = fake.url, MAUTIC_USERNAME = "admin", MAUTIC_PASSWORD = "mautic" },
      frontend = "  http-request use-service lua.mautic_signup if { path /signup }\n",
    }
    local status, _, body = session:request{ url = ex.url .. "/signup?email=hap%40example.com", timeout = 30 }
    ex.stop()
    assert.equal(201, status, body)
    local id = assert(tonumber(body:match('"id":(%d+)')))
    local c = assert(fake.client().contacts.get(id))
    assert.equal("hap@example.com", c.fields.all.email)
  end)
end)
