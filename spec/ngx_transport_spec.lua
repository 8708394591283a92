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
  end)
end)
