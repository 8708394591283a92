--- HTTP/1.1 over a cosocket of the host: the bytes of a request and the
-- reading of its answer, shared by the transports that have sockets but
-- no HTTP client (nginx's ngx.socket.tcp, HAProxy's core.tcp).
--
-- A host gives `net.connect(scheme, host, port, req, proxy)`, which returns
-- a connection or `nil, message, kind`: to the server, or, with `proxy`
-- (mautic.transport.proxy.parse's table), to the proxy, through a tunnel
-- for https (mautic.transport.proxy.tunnel), its TLS handshake made with
-- the request's `tls` settings. A host that pools connections keys the pool
-- with mautic.transport.security.pool_name. `net.refuse(scheme, req, proxy)`,
-- when given, names a setting the host cannot honour (the request then
-- fails as a "usage" error and is not sent). A connection has
--   conn:send(data)              -> true | nil, err
--   conn:receive("*l" | n)       -> string | nil, err
--   conn:receive_to_close(limit) -> string | nil, err ("too_large" past limit)
--   conn:close()
--   conn:keepalive()             optional: hand the connection back to a pool
-- and `net.now()` gives the time (seconds, for multipart boundaries).
-- The request goes out at most once: nothing here resends it.
local type, tonumber, tostring, pairs, ipairs, rawget, setmetatable =
      type, tonumber, tostring, pairs, ipairs, rawget, setmetatable
local concat = table.concat
local lower, find, format, sub, match = string.lower, string.find, string.format, string.sub, string.match
local floor, random = math.floor, math.random

local security = require "mautic.transport.security"
local proxies = require "mautic.transport.proxy"

local _M = {}

_M.USER_AGENT = "lua-mautic/" .. require("mautic.core")._VERSION:match("(%d+%.%d+%.%d+)$")

local headers_mt = {
  __index = function(t, k)
    if type(k) == "string" then return rawget(t, lower(k)) end
  end,
}

--- The failure kind of a cosocket error message.
function _M.classify(err)
  err = tostring(err)
  if find(err, "timeout", 1, true) then return "timeout" end
  if find(err, "refused", 1, true) then return "connect" end
  if find(err, "resolve", 1, true) or find(err, "resolver", 1, true) then return "resolve" end
  if find(err, "handshake", 1, true) or find(err, "certificate", 1, true) or find(err, "ssl", 1, true) then
    return "tls"
  end
  return "network"
end
local classify = _M.classify

--- scheme, host, port, path (with query), authority of an http(s) URL, or nil.
function _M.parse_url(url)
  local scheme, authority, path = match(url, "^(https?)://([^/?#]+)([^#]*)$")
  if not scheme then return nil end
  local host, port = match(authority, "^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = match(authority, "^([^:]+):?(%d*)$") end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if path == "" then path = "/" elseif sub(path, 1, 1) == "?" then path = "/" .. path end
  return scheme, host, port, path, authority
end

-- multipart/form-data built in memory (the curl transport streams instead)
local function multipart(parts, now)
  local boundary = format("lua-mautic-%08x%08x", floor(random() * 0xffffffff), floor(now * 1000) % 0xffffffff)
  local out = {}
  for _, p in ipairs(parts) do
    local data = p.data
    if p.file then
      local f, err = io.open(p.file, "rb")
      if not f then return nil, "cannot read " .. tostring(p.file) .. ": " .. tostring(err) end
      data = f:read("*a")
      f:close()
    end
    local filename = p.filename or (p.file and match(p.file, "([^/]+)$"))
    out[#out + 1] = "--" .. boundary .. "\r\n"
    out[#out + 1] = 'Content-Disposition: form-data; name="' .. tostring(p.name) .. '"'
    if filename then out[#out + 1] = '; filename="' .. filename .. '"' end
    out[#out + 1] = "\r\n"
    if p.content_type or filename then
      out[#out + 1] = "Content-Type: " .. (p.content_type or "application/octet-stream") .. "\r\n"
    end
    out[#out + 1] = "\r\n" .. tostring(data or "") .. "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return concat(out), "multipart/form-data; boundary=" .. boundary
end

local function too_large(max_bytes)
  -- named by the client option users set; %.0f: whole bytes even for a float limit
  return nil, format("the answer is larger than max_response_bytes (%.0f bytes): not read further", max_bytes),
         "too_large", true
end

local function read_chunked(conn, limit)
  local out, n = {}, 0
  while true do
    local line, err = conn:receive("*l")
    if not line then return nil, err end
    local size = tonumber(match(line, "^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then
      -- trailers until the empty line
      repeat
        line, err = conn:receive("*l")
        if not line then return nil, err end
      until line == ""
      return concat(out)
    end
    n = n + size
    if limit and n > limit then return nil, "too_large" end
    local chunk
    chunk, err = conn:receive(size)
    if not chunk then return nil, err end
    out[#out + 1] = chunk
    local crlf
    crlf, err = conn:receive(2)
    if not crlf then return nil, err end
  end
end

-- The request's bytes, or nil, message, kind. target: the path, or the
-- whole URL for a proxy (absolute form), which then gets `proxy_auth`.
local function request_bytes(req, method, target, authority, now, pooled, proxy_auth)
  local body, ctype = req.body, nil
  if req.parts then
    body, ctype = multipart(req.parts, now)
    if not body then return nil, ctype, "file" end
  end
  local lines = { format("%s %s HTTP/1.1", method, target), "Host: " .. authority }
  if proxy_auth then lines[#lines + 1] = "Proxy-Authorization: " .. proxy_auth end
  local has = {}
  for k, v in pairs(req.headers or {}) do
    v = tostring(v)
    if find(k, "[%c:]") or find(v, "[\r\n%z]") then
      return nil, "header " .. k .. " contains a control character", "usage"
    end
    has[lower(k)] = true
    lines[#lines + 1] = k .. ": " .. v
  end
  if ctype then lines[#lines + 1] = "Content-Type: " .. ctype end
  if not has["user-agent"] then lines[#lines + 1] = "User-Agent: " .. _M.USER_AGENT end
  if not pooled and not has["connection"] then lines[#lines + 1] = "Connection: close" end
  if body or method == "POST" or method == "PUT" or method == "PATCH" then
    lines[#lines + 1] = "Content-Length: " .. #(body or "")
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  return concat(lines, "\r\n")
end

-- Where a request goes, or nil, why when it must not go at all (a "usage"
-- error, decided before any connection is made): its URL's parts and the
-- proxy, checked against the security settings and the host's limits, and
-- the request target. Through a proxy an http URL goes whole (absolute
-- form) with the proxy's credentials; an https one goes through a tunnel,
-- which the proxy does not read.
local function destination(req, net)
  local scheme, host, port, path, authority = _M.parse_url(req.url or "")
  if not scheme then return nil, "cannot parse URL " .. tostring(req.url) end
  local why = security.check(req.tls, req.proxy)
  if why then return nil, why end
  -- "" is no proxy, as with libcurl (where it also turns off the
  -- environment's http_proxy; cosockets never read the environment)
  local proxy
  if req.proxy and req.proxy ~= "" then
    proxy, why = proxies.parse(req.proxy)
    if not proxy then return nil, why end
  end
  why = net.refuse and net.refuse(scheme, req, proxy)
  if why then return nil, why end
  local dest = { scheme = scheme, host = host, port = port, authority = authority, proxy = proxy,
                 target = path }
  if proxy and scheme == "http" then
    dest.target, dest.proxy_auth = "http://" .. authority .. path, proxy.authorization
  end
  return dest
end

-- The status line and the headers: status, headers, the bytes they took;
-- or nil, message, kind, having closed the connection. The head counts towards
-- max_bytes, so a server cannot fill memory with headers either.
local function read_head(conn, max_bytes)
  local status_line, err = conn:receive("*l")
  if not status_line then conn:close() return nil, err, classify(err) end
  local status = tonumber(match(status_line, "^HTTP/%d%.%d (%d%d%d)"))
  if not status then conn:close() return nil, "the answer is not HTTP (bad status line)", "network" end

  local headers = setmetatable({}, headers_mt)
  local head_bytes = #status_line
  while true do
    local line
    line, err = conn:receive("*l")
    if not line then conn:close() return nil, err, classify(err) end
    head_bytes = head_bytes + #line + 2
    if max_bytes and head_bytes > max_bytes then conn:close() return too_large(max_bytes) end
    if line == "" then break end
    local name, value = match(line, "^([^:]+):%s*(.-)%s*$")
    if name then
      name = lower(name)
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end
  return status, headers, head_bytes
end

-- The body, framed as the answer says: none (HEAD, 204, 304, 1xx), chunked,
-- Content-Length, or up to the close of the connection. nil, err on a
-- failure; err "too_large" when it would pass max_bytes (head included).
local function read_body(conn, method, status, headers, max_bytes, head_bytes)
  if method == "HEAD" or status == 204 or status == 304 or (status >= 100 and status < 200) then
    return ""
  end
  if find(lower(headers["transfer-encoding"] or ""), "chunked", 1, true) then
    return read_chunked(conn, max_bytes and max_bytes - head_bytes)
  end
  if headers["content-length"] then
    local n = tonumber(headers["content-length"])
    if max_bytes and n and n + head_bytes > max_bytes then return nil, "too_large" end
    if n and n > 0 then return conn:receive(n) end
    return ""
  end
  return conn:receive_to_close(max_bytes and max_bytes - head_bytes)
end

-- Back to the host's pool, or closed: a connection is reused only when the
-- host pools, the server keeps it open, and the body's end was known from
-- its framing (read to the close, nothing is left to reuse).
local function release(conn, headers)
  local framed = headers["content-length"]
    or find(lower(headers["transfer-encoding"] or ""), "chunked", 1, true)
  if not conn.keepalive or lower(headers["connection"] or "") == "close" or not framed then
    conn:close()
  else
    conn:keepalive()
  end
end

-- req.output: the body goes to that file and the answer's body is "".
local function write_output(path, body)
  local f, err = io.open(path, "wb")
  if not f then return nil, "cannot write " .. path .. ": " .. tostring(err), "file" end
  f:write(body)
  f:close()
  return ""
end

--- Send one request: (req, net) -> status, headers, body | nil, message, kind, sent
function _M.request(req, net)
  local dest, why = destination(req, net)
  if not dest then return nil, why, "usage", false end
  local method = (req.method or "GET"):upper()
  local bytes, kind
  bytes, why, kind = request_bytes(req, method, dest.target, dest.authority, net.now(), net.pooled, dest.proxy_auth)
  if not bytes then return nil, why, kind, false end

  local conn, err
  conn, err, kind = net.connect(dest.scheme, dest.host, dest.port, req, dest.proxy)
  if not conn then return nil, err, kind or classify(err), false end

  -- from here on the request may have reached the server (sent = true):
  -- nothing here ever sends it twice
  local ok
  ok, err = conn:send(bytes)
  if not ok then conn:close() return nil, err, classify(err), true end

  local max_bytes = req.max_bytes and req.max_bytes > 0 and req.max_bytes or nil
  local status, headers, head_bytes = read_head(conn, max_bytes)
  if not status then return nil, headers, head_bytes, true end
  local body
  body, err = read_body(conn, method, status, headers, max_bytes, head_bytes)
  if not body then
    conn:close()
    if err == "too_large" then return too_large(max_bytes) end
    return nil, err, classify(err), true
  end
  release(conn, headers)

  if req.output then
    body, err, kind = write_output(req.output, body)
    if not body then return nil, err, kind end
  end
  return status, headers, body
end

return _M
