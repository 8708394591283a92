--- HTTP proxies for the transports over a host's cosockets (nginx,
-- HAProxy): what a `proxy` URL names, and the CONNECT tunnel an https
-- request goes through. As lua-resty-http and libcurl do it: an http
-- request goes to the proxy with its URL in absolute form and the proxy's
-- credentials in Proxy-Authorization (mautic.transport.http1); an https
-- request first asks the proxy for a tunnel to the server, then makes its
-- TLS handshake with the server inside it, so the proxy sees neither the
-- request nor the answer.
local core = require "mautic.core"

local tonumber, tostring = tonumber, tostring
local find, lower, match, sub, format = string.find, string.lower, string.match, string.sub, string.format

local _M = {}

-- libcurl's default proxy port, so that one proxy string means the same
-- proxy with every transport
local DEFAULT_PORT = 1080

--- What a proxy URL names: "host:port", "http://host:port" or
-- "http://user:password@host:port" (user and password percent-encoded).
-- @treturn[1] table { host =, port =, authorization = "Basic ..." or nil }
-- @treturn[2] nil
-- @treturn[2] string why it cannot be used over cosockets (a usage error)
function _M.parse(s)
  local scheme, rest = match(s, "^(%a[%w+.-]*)://(.*)$")
  if not scheme then rest = s end
  if scheme and lower(scheme) ~= "http" then
    return nil, format("proxy: only http:// proxies can be used over cosockets, not %s:// "
      .. "(libcurl, outside nginx and HAProxy, takes https:// and socks ones)", scheme)
  end
  rest = match(rest, "^([^/?#]*)/?$")
  if not rest or rest == "" then return nil, "proxy: expected http://[user:password@]host[:port]" end
  local userinfo, hostport = match(rest, "^(.*)@([^@]*)$")
  if not userinfo then hostport = rest end
  local host, port = match(hostport, "^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = match(hostport, "^([^:]+):?(%d*)$") end
  if not host then return nil, "proxy: expected http://[user:password@]host[:port]" end
  port = port ~= "" and tonumber(port) or DEFAULT_PORT
  if port < 1 or port > 65535 then return nil, "proxy: port out of range" end
  local authorization
  if userinfo then
    local user, password = match(userinfo, "^([^:]*):?(.*)$")
    user, password = core.pct_decode(user), core.pct_decode(password)
    if not user or not password then return nil, "proxy: bad percent-encoding in the credentials" end
    authorization = "Basic " .. core.b64encode(user .. ":" .. password)
  end
  return { host = host, port = port, authorization = authorization }
end

--- Ask the proxy on `conn` for a tunnel to host:port.
-- @treturn[1] true the tunnel is open: what is sent next reaches the server
-- @treturn[2] nil
-- @treturn[2] string message
-- @treturn[2] string kind: "proxy"
function _M.tunnel(conn, host, port, proxy)
  local authority = (find(host, ":", 1, true) and "[" .. host .. "]" or host) .. ":" .. port
  local head = "CONNECT " .. authority .. " HTTP/1.1\r\nHost: " .. authority .. "\r\n"
  if proxy.authorization then head = head .. "Proxy-Authorization: " .. proxy.authorization .. "\r\n" end
  local ok, err = conn:send(head .. "\r\n")
  if not ok then return nil, "proxy: " .. tostring(err), "proxy" end
  local line
  line, err = conn:receive("*l")
  if not line then return nil, "proxy: " .. tostring(err), "proxy" end
  local status = tonumber(match(line, "^HTTP/%d%.%d (%d%d%d)"))
  -- the rest of the proxy's answer: headers up to the empty line
  repeat
    local h
    h, err = conn:receive("*l")
    if not h then return nil, "proxy: " .. tostring(err), "proxy" end
  until h == ""
  if not status or status < 200 or status > 299 then
    return nil, format("proxy: the proxy refused the tunnel to %s (%s)", authority,
                       status and "HTTP " .. status or "not an HTTP answer: " .. sub(line, 1, 40)), "proxy"
  end
  return true
end

return _M
