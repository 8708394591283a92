--- A forward HTTP proxy for the specs (spec/support/forward_proxy_server.lua,
-- in a Lua process of its own): a free port on 127.0.0.1, stopped by pid,
-- gone by itself when this process is. It logs one entry per client
-- connection, so a spec counts the tunnels and connections a client made.
--
--   local proxy = require("support.forward_proxy").start{ user = "alice", password = "pw" }
--   proxy.url                   -- "http://127.0.0.1:PORT" (no credentials in it)
--   proxy.log()                 -- { { method =, target =, auth = "Basic ..." | nil }, ... }
--   proxy.clear()  proxy.stop()
-- With user and password, a request without them gets 407.
local core = require "mautic.core"
local sys = require "support.sys"
local lua = require "support.lua"

local _M = {}

function _M.start(o)
  o = o or {}
  local dir = sys.shell("mktemp -d /tmp/mautic-spec-proxy.XXXXXX"):gsub("%s+$", "")
  assert(dir ~= "", "mktemp failed")
  local expected = o.user and ("'Basic " .. core.b64encode(o.user .. ":" .. o.password) .. "'") or ""
  local pid = sys.shell(("%s spec/support/forward_proxy_server.lua %s/port %s/log %s %s >%s/err 2>&1 & echo $!")
    :format(lua.interpreter, dir, dir, sys.own_pid(), expected, dir)):match("%d+")
  local port
  for _ = 1, 200 do
    port = tonumber(sys.read_file(dir .. "/port") or "")
    if port then break end
    os.execute("sleep 0.025")
  end
  assert(port, "the proxy did not start: " .. tostring(sys.read_file(dir .. "/err")))
  local proxy = { url = "http://127.0.0.1:" .. port, port = port }
  function proxy.log()
    local out = {}
    for line in (sys.read_file(dir .. "/log") or ""):gmatch("[^\n]+") do
      local _, method, target, auth = line:match("^(%d+)\t(%S+)\t(%S+)\t(.*)$")
      out[#out + 1] = { method = method, target = target, auth = auth ~= "-" and auth or nil }
    end
    return out
  end
  function proxy.clear() sys.write_file(dir .. "/log", "") end
  function proxy.stop()
    if not dir then return end
    os.execute("kill " .. pid .. " 2>/dev/null")
    os.execute("rm -rf " .. dir)
    dir = nil
  end
  return proxy
end

return _M
