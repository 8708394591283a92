-- The throwaway HAProxy and Redis of the specs never outlive the process
-- that started them: a spec run that dies leaves no server behind.
local sys = require "support.sys"
local lua = require "support.lua"
local core = require "mautic.core"

local ready = require("support.haproxy").installed() and require("support.redis").installed()
  and io.open("build/lua5.3/mautic/core.so") ~= nil
local describe_servers = ready and describe or pending

describe_servers("the specs' HAProxy and Redis", function()
  it("stop by themselves when the process that started them dies", function()
    local script = os.tmpname()
    sys.write_file(script, ([[
      package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
      package.cpath = %q .. "/?.so;" .. package.cpath
      local root = io.popen("pwd"):read("*l")
      local hap = require("support.haproxy").start{ lua = root .. "/spec/haproxy/service.lua",
                                                    env = { MAUTIC_FAKE_URL = "http://127.0.0.1:9" } }
      local red = require("support.redis").start()
      local pid = require("support.sys").read_file(hap.dir .. "/haproxy.pid"):match("%%d+")
      io.write(pid, " ", red.pid, "\n")
      os.exit(0)   -- without stopping them
    ]]):format(lua.core_dir))
    local out = sys.shell(lua.interpreter .. " " .. script .. " 2>&1")
    os.remove(script)
    local hap_pid, redis_pid = out:match("(%d+) (%d+)\n$")
    assert.is_string(hap_pid, out)
    local gone = false
    for _ = 1, 100 do
      if not sys.alive(hap_pid) and not sys.alive(redis_pid) then gone = true break end
      core.sleep(0.1)
    end
    assert.is_true(gone, "still running: haproxy " .. tostring(sys.alive(hap_pid)) ..
                         ", redis " .. tostring(sys.alive(redis_pid)))
  end)
end)
