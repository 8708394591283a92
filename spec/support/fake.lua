--- The fake Mautic server as the specs see it.
-- bin/run-specs starts one server for the whole run and exports its URL in
-- MAUTIC_FAKE_URL; a spec run by hand starts its own, which stops itself
-- when this process exits (--watch-pid). `fake.another()` starts one more,
-- with the same functions (reset, log, config, count...), for specs that
-- need two servers.
local core = require "mautic.core"
local json = require "mautic.json"

local _M = {}

local own_pid = require("support.sys").own_pid

-- start a server of our own: its URL and pid file
local function start(extra)
  local pid_file = os.tmpname()
  os.remove(pid_file)
  pid_file = pid_file .. ".pid"
  local p = assert(io.popen("env -u LD_PRELOAD bin/fake-mautic start --watch-pid " .. own_pid() ..
    " --pid-file " .. pid_file .. (extra or "")))
  local url = p:read("*l")
  p:close()
  assert(url and url:match("^http"), "could not start the fake Mautic server (bin/fake-mautic start)")
  return url, pid_file
end

local session = core.session()

-- the functions of one server at `url`, added to `t`
local function bind(t, url)
  t.url = url
  t.username, t.password = "admin", "mautic"

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
  function t.reset() return admin("POST", "/__fake/reset") end

  --- The requests the fake received since the last reset (oldest first).
  function t.log() return admin("GET", "/__fake/log") end

  function t.clear_log() return admin("DELETE", "/__fake/log") end

  --- Merge settings into the fake's config (users, batch_limit, rate_limit, ...).
  function t.config(c) return admin("POST", "/__fake/config", c) end

  --- Make the next matching requests misbehave (status/body/drop/delay).
  function t.fault(f) return admin("POST", "/__fake/fault", f) end

  --- What the fake holds for a family.
  function t.state(family) return admin("GET", "/__fake/state/" .. family) end

  --- The last logged request (optionally the last matching a method and path pattern).
  function t.last(method, pattern)
    local log = t.log()
    for i = #log, 1, -1 do
      local r = log[i]
      if (not method or r.method == method) and (not pattern or r.path:match(pattern)) then return r end
    end
  end

  --- How many logged requests have a path matching `pattern` (and, when
  -- given, that status).
  function t.count(pattern, status)
    local n = 0
    for _, r in ipairs(t.log()) do
      if r.path:match(pattern) and (status == nil or r.status == status) then n = n + 1 end
    end
    return n
  end

  --- How many logged requests have this method and a path matching `pattern`.
  function t.requests(method, pattern)
    local n = 0
    for _, r in ipairs(t.log()) do
      if r.method == method and r.path:match(pattern) then n = n + 1 end
    end
    return n
  end

  --- The store entry an OAuth2 handler of `client_id` keeps its tokens in for
  -- this server: its key and issuer.
  function t.token_entry(client_id)
    local issuer = url .. "/oauth/v2/token"
    return require("mautic.auth.store").default_key(issuer, client_id), issuer
  end

  --- Tokens as the handler of `client_id` writes them (with their issuer),
  -- to put in a store by hand: returns them and the entry key.
  function t.owned(tokens, client_id)
    local key, issuer = t.token_entry(client_id)
    local copy = {}
    for k, v in pairs(tokens) do copy[k] = v end
    copy.issuer, copy.client_id = issuer, client_id
    return copy, key
  end

  --- A client for this server; sleeps are recorded instead of slept.
  function t.client(opts)
    local mautic = require "mautic"
    local o = {
      url = url,
      auth = mautic.auth.basic{ username = t.username, password = t.password },
      timeout = 30,   -- room for `make valgrind`, where everything runs many times slower
    }
    local slept = {}
    o.sleep = function(s) slept[#slept + 1] = s end
    for k, v in pairs(opts or {}) do o[k] = v end
    if o.sleep == false then o.sleep = nil end   -- the client's own sleep
    local api = mautic.new(o)
    return api, slept
  end
  return t
end

local url = os.getenv("MAUTIC_FAKE_URL")
if not url or url == "" then url = start() end
bind(_M, url)

--- One more fake server, of this process (it stops when the process ends,
-- or with :stop()).
-- @tparam[opt] string extra options for bin/fake-mautic start (" --tls")
function _M.another(extra)
  local other_url, pid_file = start(extra)
  local other = bind({}, other_url)
  function other.stop()
    os.execute("bin/fake-mautic stop --pid-file " .. pid_file .. " >/dev/null 2>&1")
  end
  return other
end

return _M
