--- A throwaway nginx (with the Lua module) serving one location block, for
-- specs of code meant to run inside nginx. Stopped by pid.
local _M = {}

local root = io.popen("pwd"):read("*l")

local function sh(cmd)
  local ok = os.execute(cmd)
  return ok == true or ok == 0
end

--- Start nginx with `locations` inside its server block.
-- @treturn table { url =, dir =, stop = function() }
function _M.start(locations, env)
  local dir = os.tmpname()
  os.remove(dir)
  assert(sh("mkdir -p " .. dir .. " && chmod 755 " .. dir))
  local env_lines = {}
  for name in pairs(env or {}) do env_lines[#env_lines + 1] = "env " .. name .. ";" end
  for _ = 1, 20 do
    local port = math.random(20000, 60999)
    local conf = ([[
%s
daemon on;
worker_processes 1;
pid %s/nginx.pid;
error_log %s/error.log info;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
%s
events { worker_connections 64; }
http {
  access_log off;
  %s
  client_body_temp_path %s/body;
  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;;";
  lua_package_cpath "%s/build/luajit/?.so;;";
  server {
    listen 127.0.0.1:%d;
%s
  }
}
]]):format(io.popen("id -u"):read("*l") == "0" and "user root;" or "", dir, dir,
      table.concat(env_lines, "\n"), require("support.watchdog").directive(dir .. "/nginx.pid"),
      dir, root, root, root, port, locations)
    local f = assert(io.open(dir .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    local prefix = ""
    for k, v in pairs(env or {}) do prefix = prefix .. k .. "='" .. v .. "' " end
    if sh("env -u LD_PRELOAD " .. prefix .. "nginx -p " .. dir .. " -c " .. dir .. "/nginx.conf 2>" .. dir .. "/start.err") then
      local srv = { url = "http://127.0.0.1:" .. port, dir = dir }
      function srv.stop()
        sh("kill $(cat " .. dir .. "/nginx.pid 2>/dev/null) 2>/dev/null; sleep 0.1; rm -rf " .. dir)
      end
      function srv.error_log()
        local lf = io.open(dir .. "/error.log")
        local s = lf and lf:read("*a") or ""
        if lf then lf:close() end
        return s
      end
      return srv
    end
  end
  error("could not start nginx: see " .. dir .. "/start.err")
end

return _M
