--- The transport for nginx (OpenResty or nginx with the Lua module):
-- HTTP/1.1 over cosockets, so a request never blocks the worker.
-- Connections go back to nginx's keepalive pool, keyed by scheme, host and
-- port. TLS verification uses the `lua_ssl_trusted_certificate` of the
-- nginx configuration (cosockets take no per-request CA file).
local ngx = ngx -- luacheck: ignore
local tcp = ngx.socket.tcp

local type, tonumber, tostring, pairs, ipairs, rawget, setmetatable =
      type, tonumber, tostring, pairs, ipairs, rawget, setmetatable
local concat = table.concat
local lower, find, format, sub, match = string.lower, string.find, string.format, string.sub, string.match
local floor = math.floor

local _M = { _VERSION = "0.1.0" }

-- phases where cosockets may be used
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, preread = true,
}

--- Can the running code use cosockets?
function _M.available()
  return ngx ~= nil and type(ngx.get_phase) == "function" and COSOCKET_PHASES[ngx.get_phase()] == true
end


--- Why a request cannot be sent from the running phase: the message of
-- the "usage" error the default transport returns there instead of
-- blocking the worker with libcurl.
-- @treturn string
function _M.unavailable_reason()
  local phase = type(ngx.get_phase) == "function" and ngx.get_phase() or "unknown"
  -- every phase but init may start a timer, which has cosockets
  local how = "defer the call with ngx.timer.at(0, function() ... end)"
  if phase == "init" then how = "make the call in init_worker_by_lua* inside ngx.timer.at(0, ...)" end
  return "cannot call Mautic from nginx's " .. phase .. " phase: it has no cosockets, and a blocking "
      .. "request would stall the worker; " .. how
end

local headers_mt = {
  __index = function(t, k)
    if type(k) == "string" then return rawget(t, lower(k)) end
  end,
}

local function classify(err)
  err = tostring(err)
  if find(err, "timeout", 1, true) then return "timeout" end
  if find(err, "refused", 1, true) then return "connect" end
  if find(err, "resolve", 1, true) or find(err, "resolver", 1, true) then return "resolve" end
  if find(err, "handshake", 1, true) or find(err, "certificate", 1, true) or find(err, "ssl", 1, true) then
    return "tls"
  end
  return "network"
end

local function parse_url(url)
  local scheme, authority, path = match(url, "^(https?)://([^/?#]+)([^#]*)$")
  if not scheme then return nil end
  local host, port = match(authority, "^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = match(authority, "^([^:]+):?(%d*)$") end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if path == "" then path = "/" elseif sub(path, 1, 1) == "?" then path = "/" .. path end
  return scheme, host, port, path, authority
end

local function random_boundary()
  return format("lua-mautic-%08x%08x", floor(math.random() * 0xffffffff), floor(ngx.now() * 1000) % 0xffffffff)
end

-- multipart/form-data built in memory (the curl transport streams instead)
local function multipart(parts)
  local boundary = random_boundary()
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
  return nil, format("the answer is larger than max_bytes (%d bytes): not read further", max_bytes),
         "too_large", true
end

-- the body of an answer framed by the closing of the connection
local function read_to_close(sock, limit)
  local out, n = {}, 0
  while true do
    local data, err = sock:receiveany(65536)
    if not data then
      if err == "closed" then return concat(out) end
      return nil, err
    end
    n = n + #data
    if limit and n > limit then return nil, "too_large" end
    out[#out + 1] = data
  end
end

local function read_chunked(sock, limit)
  local out, n = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(match(line, "^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then
      -- trailers until the empty line
      repeat
        line, err = sock:receive("*l")
        if not line then return nil, err end
      until line == ""
      return concat(out)
    end
    n = n + size
    if limit and n > limit then return nil, "too_large" end
    local chunk
    chunk, err = sock:receive(size)
    if not chunk then return nil, err end
    out[#out + 1] = chunk
    local crlf
    crlf, err = sock:receive(2)
    if not crlf then return nil, err end
  end
end

--- Send one request: (req) -> status, headers, body | nil, message, kind
function _M.request(req)
  local scheme, host, port, path, authority = parse_url(req.url or "")
  if not scheme then return nil, "cannot parse URL " .. tostring(req.url), "usage" end
  local method = (req.method or "GET"):upper()

  local body, ctype = req.body, nil
  if req.parts then
    body, ctype = multipart(req.parts)
    if not body then return nil, ctype, "file" end
  end

  local lines = { format("%s %s HTTP/1.1", method, path), "Host: " .. authority }
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
  if not has["user-agent"] then lines[#lines + 1] = "User-Agent: lua-mautic/0.1.0" end
  if body or method == "POST" or method == "PUT" or method == "PATCH" then
    lines[#lines + 1] = "Content-Length: " .. #(body or "")
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""

  local sock = tcp()
  local connect_ms = floor((req.connect_timeout or 10) * 1000)
  local timeout_ms = floor((req.timeout or 30) * 1000)
  sock:settimeouts(connect_ms, timeout_ms, timeout_ms)
  local pool = scheme .. ":" .. host .. ":" .. port
  local ok, err = sock:connect(host, port, { pool = pool })
  if not ok then return nil, err, classify(err), false end
  if scheme == "https" and sock:getreusedtimes() == 0 then
    local verify = not (req.tls and req.tls.verify == false)
    ok, err = sock:sslhandshake(nil, host, verify)
    if not ok then sock:close() return nil, "TLS: " .. tostring(err), "tls", false end
  end

  -- from here on the request may have reached the server (sent = true):
  -- nothing here ever sends it twice
  ok, err = sock:send(concat(lines, "\r\n"))
  if not ok then sock:close() return nil, err, classify(err), true end

  local status_line
  status_line, err = sock:receive("*l")
  if not status_line then sock:close() return nil, err, classify(err), true end
  local status = tonumber(match(status_line, "^HTTP/%d%.%d (%d%d%d)"))
  if not status then sock:close() return nil, "the answer is not HTTP (bad status line)", "network", true end

  local headers = setmetatable({}, headers_mt)
  local max_bytes = req.max_bytes and req.max_bytes > 0 and req.max_bytes or nil
  local head_bytes = #status_line
  while true do
    local line
    line, err = sock:receive("*l")
    if not line then sock:close() return nil, err, classify(err), true end
    head_bytes = head_bytes + #line + 2
    if max_bytes and head_bytes > max_bytes then sock:close() return too_large(max_bytes) end
    if line == "" then break end
    local name, value = match(line, "^([^:]+):%s*(.-)%s*$")
    if name then
      name = lower(name)
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end

  local resp_body = ""
  local te = lower(headers["transfer-encoding"] or "")
  if method == "HEAD" or status == 204 or status == 304 or (status >= 100 and status < 200) then
    resp_body = ""
  elseif find(te, "chunked", 1, true) then
    resp_body, err = read_chunked(sock, max_bytes and max_bytes - head_bytes)
  elseif headers["content-length"] then
    local n = tonumber(headers["content-length"])
    if max_bytes and n and n + head_bytes > max_bytes then sock:close() return too_large(max_bytes) end
    if n and n > 0 then resp_body, err = sock:receive(n) end
  else
    resp_body, err = read_to_close(sock, max_bytes and max_bytes - head_bytes)
  end
  if not resp_body then
    sock:close()
    if err == "too_large" then return too_large(max_bytes) end
    return nil, err, classify(err), true
  end

  local framed = headers["content-length"] or find(te, "chunked", 1, true)
  if lower(headers["connection"] or "") == "close" or not framed then
    sock:close()
  else
    sock:setkeepalive(60000, 32)
  end

  if req.output then
    local f, ferr = io.open(req.output, "wb")
    if not f then return nil, "cannot write " .. req.output .. ": " .. tostring(ferr), "file" end
    f:write(resp_body)
    f:close()
    resp_body = ""
  end
  return status, headers, resp_body
end

return _M
