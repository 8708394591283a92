--- A throwaway HAProxy (Debian's, which embeds Lua 5.3) on 127.0.0.1, for
-- the specs of the client inside HAProxy. Each instance lives in its own
-- temporary directory, binds a random free port, runs one thread (so a
-- blocked Lua call would hold up everything, as it would on a busy proxy),
-- is stopped by pid, and stops itself if the spec process dies (a Lua task
-- watching this process).
--
--   local srv = require("support.haproxy").start{ lua = path, env = { NAME = value }, frontend = lines }
--   srv.url, srv.port, srv:stop()
local sys = require "support.sys"

local _M = {}

local function sh(cmd)
  local ok, _, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end
  return ok == true and (code == nil or code == 0)
end

local root = sys.shell("pwd"):gsub("%s+$", "")

--- Is Debian's haproxy installed?
function _M.installed()
  return sh("command -v haproxy >/dev/null 2>&1")
end

local conf_template = [[
global
  nbthread 1
  pidfile %s/haproxy.pid
  setenv SPEC_PARENT_PID %s
%s
  lua-prepend-path %s/lua/?.lua
  lua-prepend-path %s/lua/?/init.lua
  lua-prepend-path %s/build/lua5.3/?.so cpath
  lua-load %s/spec/haproxy/watchdog.lua
  lua-load %s
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend spec
  bind 127.0.0.1:%d
%s
]]

--- Start HAProxy with a Lua file loaded (lua-load) and frontend rules.
-- @treturn table { url =, port =, dir =, stop = function() }
function _M.start(o)
  local dir = sys.shell("mktemp -d /tmp/mautic-spec-haproxy.XXXXXX"):gsub("%s+$", "")
  assert(dir ~= "", "mktemp failed")
  local env = {}
  for name, value in pairs(o.env or {}) do env[#env + 1] = "  setenv " .. name .. " " .. value end
  local last_err
  for _ = 1, 20 do
    -- a port the kernel just gave out (the listener is closed at once)
    local l = assert(require("mautic.core").listen(0))
    local port = l:port()
    l:close()
    sys.write_file(dir .. "/haproxy.cfg", conf_template:format(dir, sys.own_pid(), table.concat(env, "\n"),
      root, root, root, root, o.lua, port, o.frontend or ""))
    if sh(("env -u LD_PRELOAD haproxy -D -f %s/haproxy.cfg >%s/start.err 2>&1"):format(dir, dir)) then
      local srv = { url = "http://127.0.0.1:" .. port, port = port, dir = dir }
      function srv.stop()
        if not srv.dir then return end
        local pid = tonumber(sys.read_file(dir .. "/haproxy.pid") or "")
        if pid then
          sh("kill " .. pid .. " 2>/dev/null")
          for _ = 1, 100 do
            if not sys.alive(pid) then break end
            sh("sleep 0.05")
          end
        end
        sh("rm -rf " .. dir)
        srv.dir = nil
      end
      return srv
    end
    last_err = sys.read_file(dir .. "/start.err") or "haproxy failed"
    -- a configuration error will not go away: stop; anything else (a port
    -- taken meanwhile) is worth another port
    if last_err:find("[ALERT]", 1, true) and last_err:find("parsing", 1, true) then break end
  end
  sh("rm -rf " .. dir)
  error("could not start haproxy: " .. tostring(last_err))
end

return _M
