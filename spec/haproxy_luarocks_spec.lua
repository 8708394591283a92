-- The HAProxy example (examples/haproxy/) loaded from a luarocks tree, as the
-- README's "Inside HAProxy" tells: `luarocks make --tree DIR --lua-version 5.3`
-- puts the modules under DIR/share/lua/5.3 and the C core under
-- DIR/lib/lua/5.3, neither on Lua 5.3's default paths, so the three
-- lua-prepend-path lines name them; without those lines HAProxy refuses
-- the configuration. Under Debian's `chroot /var/lib/haproxy` the tree is out
-- of reach once HAProxy runs, so the example requires at load time what its
-- requests need.
local fake = require "support.fake"
local sys = require "support.sys"

local function sh(cmd)
  local ok, _, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end
  return ok == true and (code == nil or code == 0)
end

local root = sys.shell("pwd"):gsub("%s+$", "")
local ready = sh("command -v haproxy >/dev/null 2>&1 && command -v luarocks >/dev/null 2>&1 "
  .. "&& pkg-config --exists lua5.3")
local describe_ready = ready and describe or pending

local CONF = [[
global
  nbthread 1
  pidfile %s/haproxy.pid
  setenv MAUTIC_URL %s
  setenv MAUTIC_USERNAME admin
  setenv MAUTIC_PASSWORD mautic
%s
  lua-load %s/examples/haproxy/mautic_signup.lua
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend web
  bind 127.0.0.1:%d
  http-request use-service lua.mautic_signup if { path /signup }
]]

local function stop(dir)
  local pid = tonumber(sys.read_file(dir .. "/haproxy.pid") or "")
  if not pid then return end
  sh("kill " .. pid .. " 2>/dev/null")
  for _ = 1, 100 do
    if not sys.alive(pid) then break end
    sh("sleep 0.05")
  end
end

-- HAProxy started in dir (not the checkout: ./?.lua finds nothing there) with
-- these lua-prepend-path lines; its URL, or nil and what it said
local function start(dir, paths)
  stop(dir)
  local l = assert(require("mautic.core").listen(0))
  local port = l:port()
  l:close()
  sys.write_file(dir .. "/haproxy.cfg", CONF:format(dir, fake.url, paths, root, port))
  if sh(("cd %s && env -u LD_PRELOAD haproxy -D -f haproxy.cfg >start.err 2>&1"):format(dir)) then
    -- stop it if this process dies first (spec/haproxy/watchdog.lua reads
    -- /proc, which a chrooted HAProxy cannot see)
    local pid = tonumber(sys.read_file(dir .. "/haproxy.pid") or "")
    if pid then
      sh(("(while kill -0 %d && kill -0 %d; do sleep 1; done; kill %d) >/dev/null 2>&1 &")
        :format(sys.own_pid(), pid, pid))
    end
    return "http://127.0.0.1:" .. port
  end
  return nil, sys.read_file(dir .. "/start.err")
end

describe_ready("the HAProxy example installed with luarocks --tree", function()
  local tree, dir, src
  setup(function()
    tree = sys.shell("mktemp -d /tmp/mautic-spec-rocks53.XXXXXX"):gsub("%s+$", "")
    dir = sys.shell("mktemp -d /tmp/mautic-spec-haproxy-rocks.XXXXXX"):gsub("%s+$", "")
    src = sys.source_copy()
    local out = sys.shell(("cd %s && luarocks make --tree %s --lua-version 5.3 --deps-mode=none "
      .. "rockspec/mautic-0.2.0-1.rockspec CURL_INCDIR=/usr/include/x86_64-linux-gnu 2>&1; echo rc=$?")
      :format(src, tree))
    assert(out:match("rc=0\n$"), out)
  end)
  teardown(function()
    stop(dir)
    sh("rm -rf " .. tree .. " " .. dir .. " " .. src)
  end)
  before_each(function() fake.reset() end)

  it("puts the modules in DIR/share/lua/5.3 and the C core in DIR/lib/lua/5.3", function()
    assert.is_truthy(sys.read_file(tree .. "/share/lua/5.3/mautic/init.lua"))
    assert.is_truthy(sys.read_file(tree .. "/lib/lua/5.3/mautic/core.so"))
  end)

  it("is refused by HAProxy without lua-prepend-path lines for the tree", function()
    if sys.read_file("/usr/local/share/lua/5.3/mautic/init.lua") then return end  -- installed system-wide
    local url, said = start(dir, "")
    assert.is_nil(url)
    assert.matches("module 'mautic' not found", said, 1, true)
  end)

  local function paths()
    return table.concat({
      "  lua-prepend-path " .. tree .. "/share/lua/5.3/?.lua",
      "  lua-prepend-path " .. tree .. "/share/lua/5.3/?/init.lua",
      "  lua-prepend-path " .. tree .. "/lib/lua/5.3/?.so cpath",
    }, "\n")
  end

  local function signup(url, email)
    return require("mautic.core").session():request{ url = url .. "/signup?email=" .. email, timeout = 20 }
  end

  it("serves signups with the three lines of the README", function()
    local url, said = start(dir, paths())
    assert(url, said)
    local status, _, body = signup(url, "rocks%40haproxy.test")
    assert.equal(201, status, body)
    assert.matches('^{"id":%d+}$', body)
    assert.equal("POST", fake.last("POST", "^/api/contacts/new$").method)
  end)

  it("serves signups under Debian's chroot /var/lib/haproxy, Mautic's refusals too", function()
    local as_root = sys.shell("id -u"):match("^0%s*$")
    if not as_root or not sh("test -d /var/lib/haproxy") then return end   -- chroot needs both
    local url, said = start(dir, "  chroot /var/lib/haproxy\n" .. paths())
    assert(url, said)
    local status, _, body = signup(url, "chroot%40haproxy.test")
    assert.equal(201, status, body)
    status = signup(url, "not-an-email")
    assert.equal(502, status)                 -- the error path needs nothing more either
  end)
end)
