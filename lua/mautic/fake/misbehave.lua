-- What a fired fault (faults.lua) does with its request. Networks and
-- servers fail in ways a client must survive without writing twice: a
-- connection dropped after Mautic stored the write, a 500 after storing, an
-- answer that comes after the client gave up, bytes that are not HTTP, a
-- body too large to hold, pages that repeat, a token endpoint that answers
-- nonsense, an error that quotes the credentials back.
--
-- act(fault, ctx): ctx = { req, entry (its log entry), answer = function(req)
-- -> Mautic's answer (runs the controller, so it stores), send = function(req,
-- res, extra_headers) }. The actions that store (faults.stores) get Mautic's
-- answer first, then wait `delay` seconds, then misbehave; the others wait
-- first. `delay` alone (the action "delay") waits, then Mautic answers.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"
local faults = require "mautic.fake.faults"
local counters = require "mautic.fake.counters"

local _M = {}
local O, null = json.O, json.null

---------------------------------------------------------------- answers

local REASONS = { [429] = "Too Many Requests", [500] = "Internal Server Error", [502] = "Bad Gateway",
                  [503] = "Service Temporarily Unavailable", [504] = "Gateway Time-out" }

-- what nginx in front of PHP-FPM says when PHP is not there
local function html_page(status)
  local title = status .. " " .. (REASONS[status] or "Error")
  return ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n" ..
          "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"):format(title, title)
end

-- Mautic's 429 body, its literal spaces included
local function rate_limit_body(limit)
  return '{ "errors": [ { "code": 429, "message": "You exceeded the rate limit of ' .. limit ..
         ' API calls per hour.", "details": [] } ]}'
end

-- the answer a status gets when the fault gives no body: what the server
-- that would send that status sends
local function default_answer(status)
  if status < 400 then return { status = status, raw = "", version = false } end
  if status == 429 then return { status = 429, raw = rate_limit_body(60), version = false } end
  if status >= 502 and status <= 504 then
    return { status = status, raw = html_page(status), content_type = "text/html", version = false }
  end
  return responses.uncaught(status)
end

local function canned(f)
  local status = f.status or (f.body and 200) or 503
  local res
  if f.body then
    res = { status = status, raw = f.body, version = false }
  else
    res = default_answer(status)
  end
  res.content_type = f.content_type or res.content_type
  res.headers = f.headers
  return res
end

local function finish(ctx, res, extra)
  ctx.entry.status = res.status
  return ctx.send(ctx.req, res, extra)
end

-- end the request here (the handler does not go on): no longer in flight
local function exit(status)
  counters.done()
  return ngx.exit(status)
end

-- close the connection without a word
local function drop(_, ctx)
  ctx.entry.status = 444
  return exit(444)
end

-- bytes that are not (valid) HTTP on the raw connection, then close it
local function raw_close(ctx, bytes)
  ctx.entry.status = 444
  local sock, err = ngx.req.socket(true)
  if not sock then
    ngx.log(ngx.ERR, "fake-mautic: no raw socket: ", err)
    return exit(444)
  end
  if bytes ~= "" then sock:send(bytes) end
  return exit(444)
end

local function pct(s, form)
  s = s:gsub("[^%w%-%._~ ]", function(c) return ("%%%02X"):format(c:byte()) end)
  return (s:gsub(" ", form and "+" or "%%20"))
end

---------------------------------------------------------------- actions

local ACT = {}

function ACT.delay(f, ctx)
  ngx.sleep(f.delay or 0)
  local res = ctx.answer(ctx.req)
  return finish(ctx, res, ctx.req.rate_headers)
end

ACT.drop = drop
ACT.store_then_drop = drop

function ACT.status(f, ctx) return finish(ctx, canned(f)) end

function ACT.store_then_500(_, ctx) return finish(ctx, responses.uncaught(500)) end

function ACT.store_then_delay(_, ctx, res) return finish(ctx, res, ctx.req.rate_headers) end

function ACT.empty_2xx(f, ctx, res)
  local status = f.status or (res and res.status >= 200 and res.status < 300 and res.status) or 200
  local headers = { ["Content-Length"] = "0" }
  for k, v in pairs(res and res.headers or {}) do headers[k] = v end
  return finish(ctx, { status = status, raw = "", version = true, headers = headers }, ctx.req.rate_headers)
end

function ACT.garbage_status(f, ctx)
  if f.raw then return raw_close(ctx, f.raw) end
  if f.variant == "random" then
    local bytes = {}
    for i = 1, f.bytes or 64 do bytes[i] = string.char(math.floor(faults.draw(f) * 256)) end
    local s = table.concat(bytes)
    if s:sub(1, 4) == "HTTP" then s = "\0" .. s:sub(2) end
    return raw_close(ctx, s)
  end
  return raw_close(ctx, "HTTP/1.1 2x0 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
end

function ACT.non_http(f, ctx) return raw_close(ctx, f.raw or "SSH-2.0-fake-mautic\r\n") end

-- `bytes` of a contacts list, streamed in 64 KiB chunks (never built whole), with
-- a Content-Length or chunked; truncate closes the connection halfway
function ACT.huge_body(f, ctx)
  local total = f.bytes or 8 * 1024 * 1024
  local prefix, suffix = '{"total":"1","contacts":{"1":{"id":1,"pad":"', '"}}}'
  ctx.entry.status = 200
  ngx.status = 200
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Mautic-Version"] = config.get("version") or "5.1.0"
  if not f.chunked then ngx.header["Content-Length"] = total end
  local limit = f.truncate and math.floor(total / 2) or total
  local sent = 0
  local function emit(s)      -- false once the client is gone or the limit is reached
    if sent + #s > limit then s = s:sub(1, limit - sent) end
    if #s > 0 then
      if not ngx.print(s) or not ngx.flush(true) then return false end
      sent = sent + #s
    end
    return sent < limit
  end
  if total <= #prefix + #suffix then
    emit((prefix .. suffix):sub(1, total))
  else
    local chunk = string.rep("x", 65536)
    local left = total - #prefix - #suffix
    local go = emit(prefix)
    for _ = 1, math.ceil(left / #chunk) do
      if not go then break end
      local n = math.min(left, #chunk)
      go = emit(n == #chunk and chunk or chunk:sub(1, n))
      left = left - n
    end
    if go then emit(suffix) end
  end
  if sent < total then return exit(444) end   -- cut short: close mid-body
  return exit(ngx.OK)
end

-- the list key of a list answer (the member after "total")
local function list_key(body)
  if not json.is_obj(body) or body.total == nil then return nil end
  for _, k in ipairs(json.keys(body)) do
    if k ~= "total" then return k end
  end
end

function ACT.repeat_pages(f, ctx, res)
  local key = res.status == 200 and list_key(res.body)
  if key then
    local shown = #json.keys(res.body[key])
    local total = f.total or math.max(tonumber(res.body.total) or 0, shown + 1000)
    total = math.floor(total)
    res.body.total = type(res.body.total) == "string" and tostring(total) or total
  end
  return finish(ctx, res, ctx.req.rate_headers)
end

-- a list answer bent: its first item twice, a total of "-5", or "many"
function ACT.bad_list(f, ctx, res)
  local key = res.status == 200 and list_key(res.body)
  if key then
    local v = f.variant or "repeated_key"
    local list = res.body[key]
    if v == "negative_total" then res.body.total = "-5"
    elseif v == "text_total" then res.body.total = "many"
    else
      local names = json.keys(list)
      if #names > 0 then
        -- an object cannot hold a key twice: write the text by hand
        local parts = {}
        for _, k in ipairs(names) do
          parts[#parts + 1] = json.is_arr(list) and json.encode(list[k])
                              or (json.encode(tostring(k)) .. ":" .. json.encode(list[k]))
        end
        parts[#parts + 1] = parts[1]
        local open, close = "{", "}"
        if json.is_arr(list) then open, close = "[", "]" end
        res.raw = "{" .. json.encode("total") .. ":" .. json.encode(res.body.total) .. "," ..
                  json.encode(key) .. ":" .. open .. table.concat(parts, ",") .. close .. "}"
      end
    end
  end
  return finish(ctx, res, ctx.req.rate_headers)
end

function ACT.token_garbage(f, ctx, res)
  local v = f.variant or "html"
  if v == "html" then
    return finish(ctx, { status = 200, content_type = "text/html; charset=UTF-8", version = false,
      raw = "<!DOCTYPE html>\n<html><head><title>Mautic</title></head>\n<body><form action=\"/s/login_check\">" ..
            "<input name=\"_username\"></form></body></html>\n" })
  elseif v == "no_token" then
    return finish(ctx, { status = 200, raw = '{"foo":1}', version = false })
  end
  -- crlf and truncated spoil tokens really issued (Mautic stored them)
  local body = res and res.status == 200 and res.body
  if not body then
    body = O{ "access_token", "unissued", "expires_in", 3600, "token_type", "bearer", "scope", null }
  end
  if v == "crlf" then
    body.access_token = body.access_token .. "\r\nX-Injected: 1"
    return finish(ctx, { status = 200, body = body, version = false, headers = res and res.headers })
  end
  local text = json.encode(body)
  return finish(ctx, { status = 200, raw = text:sub(1, math.floor(#text / 2)), version = false })
end

-- every credential the request carries, as { name, value, user }
local function credentials(req)
  local found = {}
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  if type(h) == "string" then
    local b = h:match("^[Bb]asic%s+(%S+)")
    if b then
      local user, pass = (ngx.decode_base64(b) or ""):match("^([^:]*):(.*)$")
      if pass then found[#found + 1] = { "password", pass, user } end
    end
    local t = h:match("^[Bb]earer%s+(%S+)")
    if t then found[#found + 1] = { "token", t } end
  end
  local body = {}
  if req.body and req.body ~= "" then
    if (req.content_type or ""):find("json", 1, true) or req.body:match("^%s*[%[{]") then
      body = json.plain(json.decode(req.body)) or {}
    else
      body = util.parse_php(req.body)
    end
  end
  for _, name in ipairs{ "client_secret", "refresh_token", "password", "access_token" } do
    local v = type(body) == "table" and body[name]
    if v == nil then v = req.args[name] end
    if type(v) == "string" then found[#found + 1] = { name, v } end
  end
  return found
end

-- a PHP-style error that quotes the credentials back, in the forms asked for
function ACT.echo_secret(f, ctx)
  local forms = f.forms or { "json" }
  local parts = {}
  for _, c in ipairs(credentials(ctx.req)) do
    local name, value, user = c[1], c[2], c[3]
    for _, form in ipairs(forms) do
      local shown = value
      if form == "percent" then shown = pct(value)
      elseif form == "form" then shown = pct(value, true)
      elseif form == "base64" then shown = ngx.encode_base64(user and (user .. ":" .. value) or value) end
      parts[#parts + 1] = (#forms > 1 and (name .. " (" .. form .. ")") or name) .. " \"" .. shown .. "\""
    end
  end
  local status = f.status or 400
  local message = "Invalid credentials: " .. (#parts > 0 and table.concat(parts, ", ") or "none received")
  return finish(ctx, responses.plain_error(status, message))
end

-- 429 with Mautic's X-RateLimit headers and, when asked, a Retry-After (Mautic sends none)
function ACT.retry_after(f, ctx)
  local status = f.status or 429
  local now = ngx.time()
  local wait = math.floor(f.retry_after or 2)
  local limit = math.floor(f.limit or 60)
  local headers = {
    ["X-RateLimit-Limit"] = tostring(limit),
    ["X-RateLimit-Remaining"] = "0",
    ["X-RateLimit-Reset"] = tostring(now + math.floor(f.reset or wait)),
  }
  if f.retry_after_date then
    headers["Retry-After"] = ngx.http_time(now + wait)
  elseif f.retry_after then
    headers["Retry-After"] = tostring(wait)
  end
  local res
  if f.body then res = { status = status, raw = f.body, version = false }
  elseif status == 429 then res = { status = 429, raw = rate_limit_body(limit), version = false }
  else res = default_answer(status) end
  res.headers = headers
  return finish(ctx, res)
end

---------------------------------------------------------------- entry

--- Handle a request with the fault that fired for it.
function _M.act(f, ctx)
  if f.action == "delay" then return ACT.delay(f, ctx) end
  local res
  if faults.stores(f) then
    if f.action == "repeat_pages" then ctx.req.args.start = nil end   -- every page is the first
    res = ctx.answer(ctx.req)
  end
  local wait = f.delay or (f.action == "store_then_delay" and 2) or 0
  if wait > 0 then ngx.sleep(wait) end
  return ACT[f.action](f, ctx, res)
end

return _M
