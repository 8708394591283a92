-- nginx phases without cosockets (init_by_lua, set_by_lua,
-- header_filter_by_lua, log_by_lua): a call there must never fall back to a
-- blocking libcurl request that stalls the worker. It returns a "usage"
-- error that says why and how to defer the call; deferred to a zero-delay
-- timer, the same call goes through.
local fake = require "support.fake"
local json = require "mautic.json"
local core = require "mautic.core"

local root = io.popen("pwd"):read("*l")

describe("a call from an nginx phase without cosockets", function()
  local srv
  setup(function()
    srv = require("support.nginx").start([[
      location = /set {
        set_by_lua_block $kind { return require("phases").try(424202).kind }
        return 200 $kind;
      }
      location = /header {
        header_filter_by_lua_block { require("phases").try(424203) }
        content_by_lua_block { ngx.say("ok") }
      }
      location = /log {
        log_by_lua_block {
          local phases = require("phases")
          phases.try(424204)
          phases.defer(424205)
        }
        content_by_lua_block { ngx.say("ok") }
      }
      location = /results {
        content_by_lua_block {
          local out = {}
          for _, k in ipairs(ngx.shared.phases:get_keys()) do out[k] = ngx.shared.phases:get(k) end
          ngx.say(require("cjson").encode(out))
        }
      }
    ]], { MAUTIC_FAKE_URL = fake.url }, { http = ([[
      lua_shared_dict phases 1m;
      init_by_lua_block {
        package.loaded.phases = dofile("%s/spec/ngx/phases.lua")
        require("phases").try(424201)
      }
    ]]):format(root) })
  end)
  teardown(function() srv.stop() end)

  local function get(path) return srv.get(path) end

  -- phase -> outcome recorded inside nginx
  local function results()
    local out = {}
    for k, v in pairs(json.decode(get("/results"))) do out[k] = json.decode(v) end
    return out
  end

  local function arrived(id)
    for _, e in ipairs(fake.log()) do
      if e.path == "/api/contacts/" .. id then return true end
    end
    return false
  end

  local function refused(r, phase)
    assert.is_table(r, phase .. " recorded nothing:\n" .. srv.error_log())
    assert.is_false(r.ok)
    assert.equal("usage", r.kind)
    assert.matches("nginx's " .. phase .. " phase: it has no cosockets", r.message, 1, true)
    assert.matches("ngx.timer.at(0", r.message, 1, true)
    assert.is_false(r.maybe_applied)
  end

  it("in init_by_lua returns a usage error naming the phase, and sends nothing", function()
    refused(results().init, "init")
    assert.is_false(arrived(424201))
  end)

  it("in set_by_lua returns a usage error naming the phase, and sends nothing", function()
    assert.equal("usage\n", get("/set") .. "\n")
    refused(results().set, "set")
    assert.is_false(arrived(424202))
  end)

  it("in header_filter_by_lua returns a usage error, and the response goes out untouched", function()
    assert.equal("ok\n", get("/header"))
    refused(results().header_filter, "header_filter")
    assert.is_false(arrived(424203))
  end)

  it("in log_by_lua returns a usage error, and the same call deferred to ngx.timer.at(0) goes through", function()
    fake.reset()
    assert.equal("ok\n", get("/log"))
    local r
    for _ = 1, 200 do
      r = results()
      if r.deferred then break end
      core.sleep(0.05)
    end
    refused(r.log, "log")
    assert.is_false(arrived(424204))
    -- the deferred call reached Mautic: the contact does not exist, so a 404
    assert.same({ ok = false, status = 404, kind = "http" }, r.deferred)
    assert.is_true(arrived(424205))
  end)
end)
