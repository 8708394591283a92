--- A throwaway Redis (Debian's redis-server) on 127.0.0.1, for the specs of
-- the shared token store and rate limit. It binds a random free port, keeps
-- nothing on disk, is stopped by pid, and stops itself if the spec process
-- dies (a small shell watchdog).
--
--   local srv = require("support.redis").start()   -- srv.port, srv:stop()
local sys = require "support.sys"

local _M = {}

local function sh(cmd)
  local ok, _, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end
  return ok == true and (code == nil or code == 0)
end

function _M.installed()
  return sh("command -v redis-server >/dev/null 2>&1")
end

function _M.start()
  local dir = sys.shell("mktemp -d /tmp/mautic-spec-redis.XXXXXX"):gsub("%s+$", "")
  local last
  for _ = 1, 20 do
    -- a port the kernel just gave out (the listener is closed at once): a
    -- random pick collides with a Redis of another suite run side by side,
    -- whose Lua drew the same numbers
    local l = assert(require("mautic.core").listen(0))
    local port = l:port()
    l:close()
    local ok = sh(("env -u LD_PRELOAD redis-server --bind 127.0.0.1 --port %d --save '' --appendonly no " ..
      "--daemonize yes --pidfile %s/redis.pid --dir %s --logfile %s/redis.log"):format(port, dir, dir, dir))
    -- up to 10 s each: a loaded machine (suites side by side) starts it slowly
    local pid
    for _ = 1, 500 do
      pid = tonumber(sys.read_file(dir .. "/redis.pid") or "")
      if pid then break end
      -- (a Redis that could not listen exits before it writes its pid file)
      if (sys.read_file(dir .. "/redis.log") or ""):find("Could not create server TCP listening socket", 1, true) then
        break
      end
      sh("sleep 0.02")
    end
    -- up and answering? (a port taken by another server makes redis exit)
    local up = false
    for _ = 1, pid and 500 or 0 do
      if not sys.alive(pid) then break end
      if sh(("redis-cli -p %d ping 2>/dev/null | grep -q PONG"):format(port)) then up = true break end
      sh("sleep 0.02")
    end
    if ok and up then
      -- stop it once this process is gone
      sh(("(while [ -e /proc/%s ] && [ -e /proc/%d ]; do sleep 0.5; done; [ -e /proc/%d ] && kill %d) " ..
          ">/dev/null 2>&1 </dev/null &"):format(sys.own_pid(), pid, pid, pid))
      local srv = { host = "127.0.0.1", port = port, pid = pid, dir = dir }
      function srv.stop()
        if not srv.dir then return end
        sh("kill " .. pid .. " 2>/dev/null")
        for _ = 1, 100 do
          if not sys.alive(pid) then break end
          sh("sleep 0.02")
        end
        sh("rm -rf " .. dir)
        srv.dir = nil
      end
      --- Run a redis-cli command, for the specs' own looks.
      function srv.cli(args) return (sys.shell(("redis-cli -p %d %s"):format(port, args)):gsub("%s+$", "")) end
      return srv
    end
    last = sys.read_file(dir .. "/redis.log") or "redis-server failed"
    if pid and sys.alive(pid) then sh("kill " .. pid) end
    os.remove(dir .. "/redis.pid")
    os.remove(dir .. "/redis.log")   -- (the next try looks for its own failure in it)
  end
  sh("rm -rf " .. dir)
  error("could not start redis-server: " .. tostring(last))
end

return _M
