--- A throwaway nginx (with its Lua module) on 127.0.0.1, for specs of code
-- that talks HTTP or runs inside nginx. Each instance lives in its own
-- temporary directory, binds a random free port, is stopped by pid, and
-- stops itself if the spec process dies (support.watchdog). Lua code in
-- nginx finds lua/ first, then the system's modules, then spec/ (so a
-- spec's own handlers under spec/ load as "support.*", "ngx.*"...).
--
--   local srv = require("support.nginx").start(locations [, env [, opts]])
--   opts: workers (worker_processes, 1), http (more directives in the http
--   block: shared dicts, init_by_lua...), listen (listen options, e.g.
--   "reuseport" to spread connections over the workers)
--   srv.url, srv.port, srv.error_log(), srv:stop()
local _M = {}

local function sh(cmd)
  local ok, _, code = os.execute(cmd)
  -- Lua 5.1 returns the status code only
  if type(ok) == "number" then return ok == 0 end
  return ok == true and (code == nil or code == 0)
end

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local root = capture("pwd")

-- LuaJIT starts every run with the same random sequence: seed from the pid and clock
math.randomseed(os.time() + tonumber(io.open("/proc/self/stat"):read("*l"):match("^(%d+)")) +
                math.floor((os.clock() * 1e6) % 1e6))

local conf_template = [[
%s
daemon on;
worker_processes %d;
pid %s/nginx.pid;
error_log %s/error.log info;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
%s
events { worker_connections 256; }
http {
  access_log off;
  %s
  %s
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  client_max_body_size 64m;
  client_body_buffer_size 64m;
  keepalive_timeout 60s;
  keepalive_requests 10000;
  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;;%s/spec/?.lua;";
  lua_package_cpath "%s/build/luajit/?.so;;";
  server {
    listen 127.0.0.1:%d %s;
%s
  }
}
]]

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- Start nginx serving `locations` (text inside its server block), with the
-- names in `env` (name -> value) passed to nginx and allowed through `env`.
-- @treturn table { url =, port =, dir =, stop = function(), error_log = function() }
function _M.start(locations, env, opts)
  opts = opts or {}
  local dir = capture("mktemp -d /tmp/mautic-spec-nginx.XXXXXX")
  assert(dir ~= "", "mktemp failed")
  sh("chmod 755 " .. dir)
  local user = capture("id -u") == "0" and "user root;" or ""
  local env_lines, prefix = {}, ""
  for name, value in pairs(env or {}) do
    env_lines[#env_lines + 1] = "env " .. name .. ";"
    prefix = prefix .. name .. "='" .. value .. "' "
  end
  local watchdog = require("support.watchdog").directive(dir .. "/nginx.pid")
  local last_err
  for _ = 1, 20 do
    local port = math.random(20000, 60999)
    local f = assert(io.open(dir .. "/nginx.conf", "w"))
    f:write(conf_template:format(user, opts.workers or 1, dir, dir, table.concat(env_lines, "\n"), watchdog,
      opts.http or "",
      dir, dir, dir, dir, dir, root, root, root, root, port, opts.listen or "", locations))
    f:close()
    if sh(("env -u LD_PRELOAD %snginx -q -p %s -c %s/nginx.conf 2>%s/start.err"):format(prefix, dir, dir, dir)) then
      local srv = { url = "http://127.0.0.1:" .. port, port = port, dir = dir }
      -- callable as srv.stop() or srv:stop()
      function srv.stop()
        if not srv.dir then return end
        local pid = tonumber(read(dir .. "/nginx.pid") or "")
        if pid then
          sh("kill " .. pid .. " 2>/dev/null")
          -- wait for the master to remove its pid file (at most ~5 s)
          for _ = 1, 100 do
            if not read(dir .. "/nginx.pid") then break end
            sh("sleep 0.05")
          end
        end
        sh("rm -rf " .. dir)
        srv.dir = nil
      end
      function srv.error_log() return read(dir .. "/error.log") or "" end
      --- GET a path of this server: its body, after checking the answer is a 200
      function srv.get(path)
        srv.session = srv.session or require("mautic.core").session()
        local status, _, body = srv.session:request{ url = srv.url .. path, timeout = 20 }
        assert(status == 200, ("GET %s -> %s %s\n%s"):format(path, tostring(status), tostring(body), srv.error_log()))
        return body
      end
      return srv
    end
    last_err = read(dir .. "/start.err") or "nginx failed"
    if not last_err:find("Address already in use", 1, true) then break end
  end
  sh("rm -rf " .. dir)
  error("could not start nginx: " .. tostring(last_err))
end

return _M
