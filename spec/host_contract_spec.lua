-- One contract for every host adapter of mautic.host (sleep and now,
-- connect, light threads, the lock, the HTTP transport), run on each host:
-- plain Lua, a mautic.parallel task, inside nginx, inside HAProxy (and a
-- task of a luv loop's driver: spec/loop_spec.lua). Adding a host means one adapter file and one row here.
local fake = require "support.fake"
local contract = require "support.host_contract"
local mautic = require "mautic"
local core = require "mautic.core"
local json = require "mautic.json"

local root = io.popen("pwd"):read("*l")
local AUTH = "Basic " .. core.b64encode("admin:mautic")
local CHECKS = { "sleep_and_now", "connect", "spawn_and_wait", "lock", "send" }

local function assert_kept(results, name)
  assert.equal(name, results.name)
  for _, c in ipairs(CHECKS) do assert.equal(true, results[c], name .. " " .. c .. ": " .. tostring(results[c])) end
end

describe("every host keeps the host contract", function()
  before_each(function() fake.reset() end)

  it("plain Lua", function()
    assert_kept(contract.run{ url = fake.url, auth = AUTH }, "plain")
  end)

  it("a mautic.parallel task", function()
    local values, errs = mautic.parallel({ function() return contract.run{ url = fake.url, auth = AUTH } end })
    assert.is_nil(errs[1])
    assert_kept(values[1], "tasks")
  end)

  -- a task of a luv loop's driver: in spec/loop_spec.lua, which holds the one
  -- luv of this busted run (a second `require "luv"` in another spec file,
  -- which busted insulates, frees the first one's default loop)

  it("inside nginx", function()
    local srv = require("support.nginx").start(([[
      location = /contract {
        content_by_lua_block {
          local contract = dofile("%s/spec/support/host_contract.lua")
          ngx.say(require("mautic.json").encode(contract.run{ url = os.getenv("MAUTIC_FAKE_URL"), auth = %q }))
        }
      }
    ]]):format(root, AUTH), { MAUTIC_FAKE_URL = fake.url })
    local ok, body = pcall(srv.get, "/contract")
    srv.stop()
    assert(ok, body)
    assert_kept(json.decode(body), "nginx")
  end)

  local haproxy = require "support.haproxy"
  local ready = haproxy.installed() and io.open("build/lua5.3/mautic/core.so") ~= nil
  ;(ready and it or pending)("inside HAProxy", function()
    local srv = haproxy.start{
      lua = root .. "/spec/haproxy/contract_service.lua",
      env = { MAUTIC_FAKE_URL = fake.url, SPEC_ROOT = root, SPEC_AUTH = AUTH:match("^Basic (.*)$") },
      frontend = "  http-request use-service lua.host_contract if { path /contract }\n",
    }
    local status, _, body = core.session():request{ url = srv.url .. "/contract", timeout = 30 }
    srv.stop()
    assert.equal(200, status, body)
    assert_kept(json.decode(body), "haproxy")
  end)
end)
