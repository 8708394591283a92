local fake = require "support.fake"
local json = require "mautic.json"
local core = require "mautic.core"

describe("the client inside nginx", function()
  local srv, session
  setup(function()
    local root = io.popen("pwd"):read("*l")
    srv = require("support.nginx").start(
      "location = /run { content_by_lua_file " .. root .. "/spec/ngx/client_in_nginx.lua; }")
    session = core.session()
  end)
  teardown(function() srv.stop() end)
  before_each(function() fake.reset() end)

  local function run(case)
    local status, _, body = session:request{
      url = srv.url .. "/run?case=" .. case .. "&fake=" .. core.pct_encode(fake.url), timeout = 20 }
    assert.equal(200, status, tostring(body) .. "\n" .. srv.error_log())
    return json.decode(body)
  end

  it("talks to Mautic over cosockets, never a blocking curl session", function()
    local r = run("crud")
    assert.equal("Ngx", r.firstname)
    assert.equal(1, r.total)
    assert.equal(404, r.missing)
    assert.equal("http", r.kind)
    assert.equal("5.1.0", r.version)
    assert.equal("POST", fake.last("POST").method)
  end)

  it("runs mautic.parallel as light threads", function()
    local r = run("parallel")
    for i = 1, 5 do assert.equal("p" .. i .. "@ngx.test", r.emails[i]) end
  end)

  it("reports timeouts and refused connections by kind", function()
    fake.fault{ path = "^/api/contacts$", delay = 4, count = 1 }
    assert.equal("timeout", run("timeout").kind)
    local r = run("refused")
    assert.equal("network", r.kind)
    assert.equal("connect", r.reason)
    assert.is_false(r.maybe_applied)
  end)

  it("flags a write whose connection dropped as maybe applied, and sends it once", function()
    fake.fault{ path = "^/api/notes/new$", drop = true, count = 1 }
    local r = run("dropped")
    assert.equal("network", r.kind)
    assert.is_true(r.maybe_applied)
    local posts = 0
    for _, e in ipairs(fake.log()) do if e.path == "/api/notes/new" then posts = posts + 1 end end
    assert.equal(1, posts)
  end)

  it("pages with each, the next page fetched by a light thread", function()
    local r = run("each")
    assert.equal(25, #r.ids)
    local starts = {}
    for _, e in ipairs(fake.log()) do
      if e.method == "GET" and e.path == "/api/contacts" then starts[#starts + 1] = tonumber(e.args.start) end
    end
    assert.same({ 0, 10, 20 }, starts)
  end)

  it("pages with each{ concurrency = 3 } as light threads: id order, at most 3 pages in flight", function()
    fake.fault{ path = "^/api/contacts$", method = "GET", action = "delay", delay = 0.2, count = 0 }
    local r = run("each_concurrent")
    assert.equal(25, #r.ids)
    assert.same(r.seq, r.ids)
    assert.equal(3, fake.counters().max_in_flight)
  end)

  it("stops reading an answer larger than max_response_bytes", function()
    fake.fault{ path = "^/api/contacts$", status = 200, count = 1,
                body = '{"total":1,"contacts":["' .. string.rep("x", 5000) .. '"]}' }
    assert.equal("too_large", run("too_large").kind)
  end)
end)
