--- The fake Mautic server as the specs see it.
-- bin/run-specs starts one server for the whole run and exports its URL in
-- MAUTIC_FAKE_URL; a spec run by hand starts its own, which stops itself
-- when this process exits (--watch-pid).
local core = require "mautic.core"
local json = require "mautic.json"

local _M = {}

local own_pid = require("support.sys").own_pid

local url = os.getenv("MAUTIC_FAKE_URL")
if not url or url == "" then
  local pid_dir = os.tmpname()
  os.remove(pid_dir)
  local p = assert(io.popen("env -u LD_PRELOAD bin/fake-mautic start --watch-pid " .. own_pid() ..
    " --pid-file " .. pid_dir .. ".pid"))
  url = p:read("*l")
  p:close()
  assert(url and url:match("^http"), "could not start the fake Mautic server (bin/fake-mautic start)")
end
_M.url = url
_M.username, _M.password = "admin", "mautic"

local session = core.session()

local function admin(method, path, body)
  local status, headers, resp = session:request{
    method = method, url = url .. path,
    headers = body and { ["Content-Type"] = "application/json" } or nil,
    body = body and assert(json.encode(body)) or nil,
    timeout = 10,
  }
  assert(status, headers)
  assert(status < 300, ("fake admin %s %s -> %s %s"):format(method, path, tostring(status), tostring(resp)))
  return json.decode(resp)
end

--- Back to the seeded state: data, log, config and faults.
function _M.reset() return admin("POST", "/__fake/reset") end

--- The requests the fake received since the last reset (oldest first).
function _M.log() return admin("GET", "/__fake/log") end

function _M.clear_log() return admin("DELETE", "/__fake/log") end

--- Merge settings into the fake's config (users, batch_limit, rate_limit, ...).
function _M.config(t) return admin("POST", "/__fake/config", t) end

--- Make the next matching requests misbehave (status/body/drop/delay).
function _M.fault(t) return admin("POST", "/__fake/fault", t) end

--- What the fake holds for a family.
function _M.state(family) return admin("GET", "/__fake/state/" .. family) end

--- The last logged request (optionally the last matching a method and path pattern).
function _M.last(method, pattern)
  local log = _M.log()
  for i = #log, 1, -1 do
    local r = log[i]
    if (not method or r.method == method) and (not pattern or r.path:match(pattern)) then return r end
  end
end

--- How many logged requests have a path matching `pattern` (and, when
-- given, that status).
function _M.count(pattern, status)
  local n = 0
  for _, r in ipairs(_M.log()) do
    if r.path:match(pattern) and (status == nil or r.status == status) then n = n + 1 end
  end
  return n
end

--- A client for the fake; sleeps are recorded instead of slept.
function _M.client(opts)
  local mautic = require "mautic"
  local o = {
    url = url,
    auth = mautic.auth.basic{ username = _M.username, password = _M.password },
    timeout = 30,   -- room for `make valgrind`, where everything runs many times slower
  }
  local slept = {}
  o.sleep = function(s) slept[#slept + 1] = s end
  for k, v in pairs(opts or {}) do o[k] = v end
  if o.sleep == false then o.sleep = nil end   -- the client's own sleep
  local api = mautic.new(o)
  return api, slept
end

return _M
