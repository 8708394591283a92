-- Helpers for the fake server specs: start/stop bin/fake-mautic, talk to it with curl.
local root = debug.getinfo(1, "S").source:match("^@(.*)/spec/fake_spec/") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
local json = require "mautic.fake.json"

local S = { root = root, json = json }

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("*a")
  local ok, _, code = p:close()
  return out, code or (ok and 0 or 1)
end
S.sh = sh

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
S.quote = quote

function S.self_pid()
  local f = io.open("/proc/self/stat")
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  -- /proc/self is the reader; its parent chain leads to busted. io.open reads in-process,
  -- so this is busted's own pid.
  return pid
end

-- start a server; returns { url =, pid_file = }
function S.start(extra)
  local dir = os.tmpname(); os.remove(dir)
  local pid_file = dir .. ".pid"
  local out, code = sh(root .. "/bin/fake-mautic start --pid-file " .. quote(pid_file) ..
    " --watch-pid " .. S.self_pid() .. " " .. (extra or "") .. " 2>&1")
  assert(code == 0, "fake-mautic start failed: " .. out)
  local url = out:match("(https?://127%.0%.0%.1:%d+)")
  assert(url, out)
  return { url = url, pid_file = pid_file, out = out }
end

function S.stop(server)
  if server then sh(root .. "/bin/fake-mautic stop --pid-file " .. quote(server.pid_file) .. " 2>&1") end
end

function S.alive(server)
  local f = io.open(server.pid_file)
  if not f then return false end
  local pid = f:read("*l"); f:close()
  local _, code = sh("kill -0 " .. pid .. " 2>/dev/null")
  return code == 0
end

-- request: opts = { auth = "admin:mautic" | false, body =, json = value, form =, headers = {}, query = }
function S.request(server, method, path, opts)
  opts = opts or {}
  local hfile, bfile = os.tmpname(), os.tmpname()
  local args = { "curl -s -g -X " .. method, "-D " .. hfile, "-o " .. bfile, "-w '%{http_code}'",
                 "--max-time " .. (opts.timeout or 10) }
  if method == "HEAD" then args[1] = "curl -s -g -I" end
  local auth = opts.auth
  if auth == nil then auth = "admin:mautic" end
  if auth then args[#args + 1] = "-u " .. quote(auth) end
  for k, v in pairs(opts.headers or {}) do args[#args + 1] = "-H " .. quote(k .. ": " .. v) end
  local body = opts.body
  if opts.json ~= nil then
    body = type(opts.json) == "string" and opts.json or json.encode(opts.json)
    args[#args + 1] = "-H 'Content-Type: application/json'"
  elseif opts.form then
    body = opts.form
    args[#args + 1] = "-H 'Content-Type: application/x-www-form-urlencoded'"
  end
  local bodyfile
  if body then
    bodyfile = os.tmpname()
    local f = io.open(bodyfile, "wb"); f:write(body); f:close()
    args[#args + 1] = "--data-binary @" .. bodyfile
  end
  local url = server.url .. path
  if opts.query then url = url .. "?" .. opts.query end
  args[#args + 1] = quote(url)
  local out, code = sh(table.concat(args, " "))
  local status = tonumber(out:match("(%d%d%d)$") or "0")
  local f = io.open(hfile, "rb"); local htext = f and f:read("*a") or ""; if f then f:close() end
  f = io.open(bfile, "rb"); local btext = f and f:read("*a") or ""; if f then f:close() end
  os.remove(hfile); os.remove(bfile); if bodyfile then os.remove(bodyfile) end
  local headers = {}
  for line in htext:gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then headers[k:lower()] = v end
  end
  local decoded = nil
  if btext ~= "" then decoded = json.decode(btext) end
  return { status = status, headers = headers, raw = btext, body = decoded, curl_code = code }
end

function S.reset(server)
  local r = S.request(server, "POST", "/__fake/reset", { auth = false })
  assert(r.status == 200)
end

function S.keys(obj) return json.keys(obj) end

-- the recorded exchange named `name` from the golden transcripts of real Mautic
-- `version` ("5.1", the default, or "7.0"), if available
local transcripts = {}
function S.transcript(name, version)
  version = version or "5.1"
  if not transcripts[version] then
    local t = {}
    transcripts[version] = t
    local f = io.open("/work/shared/reference/real-mautic-" .. version .. "/transcripts.jsonl")
    if f then
      for line in f:lines() do
        local n = line:match('^{"name": "([^"]+)"')
        if n then t[n] = line end
      end
      f:close()
    end
  end
  local line = transcripts[version][name]
  if not line then return nil end
  local t = json.decode(line)
  t.response.decoded = t.response.body and json.decode(t.response.body)
  return t
end

return S
