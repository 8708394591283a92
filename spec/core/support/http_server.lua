--- A throwaway nginx (with its Lua module) on 127.0.0.1 for the core specs.
-- Every instance lives in its own temporary directory and is stopped by pid.
--
--   local server = require "spec.core.support.http_server"
--   local srv = assert(server.start())
--   srv.url .. "/echo"   -- method, headers, body, connection serial as JSON
--   srv:stop()
--
-- Locations:
--   /echo          JSON { method, uri, args, headers, body, connection }
--   /status/<n>    answers status n
--   /slow?s=&id=   sleeps s seconds, then answers "id" (or "slept")
--   /drop          closes the connection without an answer (nginx 444)
--   /big?n=        n bytes of "x", sent in chunks
--   /headers       repeated Set-Cookie / X-Dup, and Mautic-Version
local M = {}

local conf_template = [[
%s
daemon on;
master_process on;
worker_processes 1;
pid %s/nginx.pid;
error_log %s/error.log warn;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections 256; }
http {
  access_log off;
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
  lua_package_path ";;";
  lua_package_cpath ";;";
  server {
    listen 127.0.0.1:%d;
    location = /echo {
      content_by_lua_block {
        local cjson = require "cjson"
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if not body then
          local f = ngx.req.get_body_file()
          if f then
            local fh = io.open(f, "rb"); body = fh:read("*a"); fh:close()
          end
        end
        ngx.header["Content-Type"] = "application/json"
        ngx.say(cjson.encode({
          method = ngx.req.get_method(),
          uri = ngx.var.request_uri,
          args = ngx.req.get_uri_args(),
          headers = ngx.req.get_headers(100),
          body = body or "",
          connection = tonumber(ngx.var.connection),
        }))
      }
    }
    location ~ ^/status/(\d+)$ {
      content_by_lua_block {
        local n = tonumber(ngx.var[1])
        ngx.status = n
        if n ~= 204 and n ~= 304 then ngx.print("status " .. n) end
        ngx.exit(ngx.OK)
      }
    }
    location = /slow {
      content_by_lua_block {
        ngx.sleep(tonumber(ngx.var.arg_s) or 0.1)
        ngx.print(ngx.var.arg_id or "slept")
      }
    }
    location = /drop {
      content_by_lua_block { ngx.exit(444) }
    }
    location = /big {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n) or 1048576
        local chunk = string.rep("x", 65536)
        while n > 0 do
          local k = n < #chunk and n or #chunk
          ngx.print(k == #chunk and chunk or chunk:sub(1, k))
          ngx.flush(true)
          n = n - k
        end
      }
    }
    location = /headers {
      content_by_lua_block {
        ngx.header["Set-Cookie"] = { "a=1", "b=2" }
        ngx.header["X-Dup"] = { "one", "two", "three" }
        ngx.header["Mautic-Version"] = "5.1.0"
        ngx.print("ok")
      }
    }
  }
}
]]

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

local Server = {}
Server.__index = Server

--- Start a server on a random free port.
-- @treturn[1] table server with `url`, `port`, `dir` and `:stop()`
-- @treturn[2] nil
-- @treturn[2] string why nginx would not start
function M.start()
  local dir = capture("mktemp -d /tmp/mautic-core-spec.XXXXXX")
  if dir == "" then return nil, "mktemp failed" end
  local user = capture("id -u") == "0" and "user root;" or ""
  math.randomseed(os.time() + math.floor((os.clock() * 1e6) % 1e6))
  local last_err
  for _ = 1, 20 do
    local port = math.random(20000, 60000)
    local watchdog = require("support.watchdog").directive(dir .. "/nginx.pid")
    local conf = string.format(conf_template, user, dir, dir, watchdog, dir, dir, dir, dir, dir, port)
    local f = assert(io.open(dir .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    if sh(string.format("env -u LD_PRELOAD nginx -q -p %s -e %s/error.log -c %s/nginx.conf 2>>%s/start.log",
                        dir, dir, dir, dir)) then
      return setmetatable({ url = "http://127.0.0.1:" .. port, port = port, dir = dir }, Server)
    end
    local lf = io.open(dir .. "/start.log")
    last_err = lf and lf:read("*a") or "nginx failed"
    if lf then lf:close() end
    if not last_err:find("Address already in use", 1, true) then break end
  end
  sh("rm -rf " .. dir)
  return nil, last_err
end

--- Stop the server (by the pid in its directory) and remove the directory.
function Server:stop()
  if not self.dir then return end
  local f = io.open(self.dir .. "/nginx.pid")
  if f then
    local pid = tonumber(f:read("*a"))
    f:close()
    if pid then
      sh("kill " .. pid .. " 2>/dev/null")
      -- wait for the master to remove its pid file (at most ~5 s)
      for _ = 1, 100 do
        local p = io.open(self.dir .. "/nginx.pid")
        if not p then break end
        p:close()
        sh("sleep 0.05")
      end
    end
  end
  sh("rm -rf " .. self.dir)
  self.dir = nil
end

--- A port on 127.0.0.1 where nothing listens (a server started and stopped).
function M.dead_port()
  local srv = assert(M.start())
  local port = srv.port
  srv:stop()
  return port
end

return M
