--- A throwaway nginx (with its Lua module) on 127.0.0.1 for the core specs.
-- The locations below, served by support.nginx (which owns starting and stopping).
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
--   /arrive?key=&drop=1   counts an arrival under key (after reading the body),
--                  then answers the count, or with drop=1 closes without an answer
--   /arrivals?key= how many requests arrived under key
--   /not-http      reads the request, answers bytes that are not HTTP, closes
--   /bad-status    a status line that is not HTTP/1.x NNN
--   /huge?n=       n bytes without Content-Length (chunked)
local M = {}

local locations = [[
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
    location = /arrive {
      content_by_lua_block {
        ngx.req.read_body()
        local counts = package.loaded["spec.arrivals"] or {}
        package.loaded["spec.arrivals"] = counts
        local key = ngx.var.arg_key or ""
        counts[key] = (counts[key] or 0) + 1
        if ngx.var.arg_drop == "1" then return ngx.exit(444) end
        ngx.print(counts[key])
      }
    }
    location = /arrivals {
      content_by_lua_block {
        local counts = package.loaded["spec.arrivals"] or {}
        ngx.print(counts[ngx.var.arg_key or ""] or 0)
      }
    }
    location = /not-http {
      content_by_lua_block {
        ngx.req.read_body()
        local sock = assert(ngx.req.socket(true))
        sock:send("SSH-2.0-OpenSSH_9.2\r\n")
        ngx.exit(444)
      }
    }
    location = /bad-status {
      content_by_lua_block {
        ngx.req.read_body()
        local sock = assert(ngx.req.socket(true))
        sock:send("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok")
        ngx.exit(444)
      }
    }
    location = /huge {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n) or 1048576
        local chunk = string.rep("y", 65536)
        ngx.header["Content-Type"] = "application/json"
        while n > 0 do
          local k = n < #chunk and n or #chunk
          local ok = ngx.print(k == #chunk and chunk or chunk:sub(1, k))
          if not ok then return end
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
]]

--- Start a server on a random free port.
-- @treturn table server with `url`, `port`, `dir` and `:stop()`
function M.start()
  return require("support.nginx").start(locations)
end

--- A port on 127.0.0.1 where nothing listens (a server started and stopped).
function M.dead_port()
  local srv = assert(M.start())
  local port = srv.port
  srv:stop()
  return port
end

return M
