-- A forward HTTP proxy for the specs (run by support.forward_proxy in a Lua
-- process of its own, on luv): CONNECT tunnels for https, absolute-form
-- requests for http. One upstream per client connection: the first request
-- on it decides where it goes and is checked and logged, then bytes are
-- relayed both ways until either side closes.
--
--   lua forward_proxy_server.lua <port file> <log file> <pid to watch> [<expected Proxy-Authorization>]
--
-- The log has a line per client connection: "<n>\t<method>\t<target>\t<Proxy-Authorization or ->".
-- Without the expected value every request is let through; with it, a
-- request without that Proxy-Authorization is answered 407.
local uv = require "luv"

local port_file, log_file, watch_pid, expected = arg[1], arg[2], arg[3], arg[4]

local log = assert(io.open(log_file, "a"))
log:setvbuf("line")

local server = uv.new_tcp()
assert(server:bind("127.0.0.1", 0))
local f = assert(io.open(port_file .. ".tmp", "w"))
f:write(server:getsockname().port)
f:close()
os.rename(port_file .. ".tmp", port_file)

local function closer(a, b)
  return function()
    if not a:is_closing() then a:close() end
    if b and not b:is_closing() then b:close() end
  end
end

local function refuse(client, status)
  client:write("HTTP/1.1 " .. status .. "\r\nProxy-Authenticate: Basic realm=\"spec\"\r\n"
               .. "Content-Length: 0\r\nConnection: close\r\n\r\n", closer(client))
end

local n = 0
assert(server:listen(64, function(err)
  if err then return end
  local client = uv.new_tcp()
  server:accept(client)
  n = n + 1
  local id, buf = n, ""
  client:read_start(function(rerr, data)
    if rerr or not data then return closer(client)() end
    buf = buf .. data
    local head_end = buf:find("\r\n\r\n", 1, true)
    if not head_end then return end
    client:read_stop()
    local head, rest = buf:sub(1, head_end + 3), buf:sub(head_end + 4)
    local method, target = head:match("^(%u+) (%S+) HTTP/1%.%d\r\n")
    local auth = head:match("\r\n[Pp][Rr][Oo][Xx][Yy]%-[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]: *([^\r\n]*)")
    log:write(("%d\t%s\t%s\t%s\n"):format(id, tostring(method), tostring(target), auth or "-"))
    if expected and auth ~= expected then return refuse(client, "407 Proxy Authentication Required") end
    local host, port
    if method == "CONNECT" then
      host, port = target:match("^%[?([^%]]-)%]?:(%d+)$")
    else
      host, port = target:match("^http://%[?([^/%]:]+)%]?:?(%d*)")
      if port == "" then port = "80" end
    end
    if not host then return refuse(client, "400 Bad Request") end
    local upstream = uv.new_tcp()
    upstream:connect(host, tonumber(port), function(cerr)
      if cerr then return refuse(client, "502 Bad Gateway") end
      if method == "CONNECT" then
        client:write("HTTP/1.1 200 Connection established\r\n\r\n")
      else
        upstream:write(head)
      end
      if rest ~= "" then upstream:write(rest) end
      local close = closer(client, upstream)
      upstream:read_start(function(e, d) if e or not d then return close() end client:write(d) end)
      client:read_start(function(e, d) if e or not d then return close() end upstream:write(d) end)
    end)
  end)
end))

-- gone with the process that started it
uv.new_timer():start(500, 500, function()
  local alive = io.open("/proc/" .. watch_pid .. "/stat")
  if alive then alive:close() return end
  os.exit(0)
end)

uv.run()
