--- A fake Mautic of its own over TLS (bin/fake-mautic start --tls), for the
-- specs of TLS verification and of connection reuse: a self-signed
-- certificate for 127.0.0.1, a session cache (so a resumed TLS session
-- shows in the log), stopped by pid file at teardown and by itself when
-- this process is gone (--watch-pid).
--
--   local srv = require("support.tls_fake").start()
--   srv.url, srv.ca_file          -- "https://127.0.0.1:PORT", the certificate to trust
--   srv.reset()  srv.log()        -- admin calls, over connections of their own
--   srv.requests(pattern)         -- the logged requests whose path matches
--   srv.stop()
local core = require "mautic.core"
local json = require "mautic.json"
local sys = require "support.sys"

local _M = {}

function _M.start()
  local dir = sys.shell("mktemp -d /tmp/mautic-spec-tlsfake.XXXXXX"):gsub("%s+$", "")
  assert(dir ~= "", "mktemp failed")
  local p = assert(io.popen(("env -u LD_PRELOAD bin/fake-mautic start --tls --watch-pid %s --pid-file %s/fake.pid 2>%s/err")
    :format(sys.own_pid(), dir, dir)))
  local url = p:read("*l")
  p:close()
  local ca_file = (sys.read_file(dir .. "/err") or ""):match("ca_file=(%S+)")
  assert(url and url:match("^https://"), "no TLS fake server: " .. tostring(sys.read_file(dir .. "/err")))
  assert(ca_file, "the fake did not say where its certificate is")

  local srv = { url = url, ca_file = ca_file }

  -- on a connection of its own (fresh): an admin call neither takes nor
  -- leaves a connection or TLS session the clients under test could see
  local function admin(method, path)
    local s = assert(core.session())
    local status, headers, body = s:request{ method = method, url = url .. path, fresh = true,
                                             tls = { ca_file = ca_file }, timeout = 10 }
    s:close()
    assert(status == 200, ("fake admin %s %s: %s"):format(method, path, tostring(status or headers)))
    return json.decode(body)
  end

  function srv.reset() return admin("POST", "/__fake/reset") end
  function srv.log() return admin("GET", "/__fake/log") end

  function srv.requests(pattern)
    local out = {}
    for _, e in ipairs(srv.log()) do
      if e.path:match(pattern) then out[#out + 1] = e end
    end
    return out
  end

  function srv.stop()
    if not dir then return end
    os.execute(("bin/fake-mautic stop --pid-file %s/fake.pid >/dev/null 2>&1; rm -rf %s"):format(dir, dir))
    dir = nil
  end
  return srv
end

return _M
