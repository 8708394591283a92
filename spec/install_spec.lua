-- `luarocks make` installs the library for the Lua running the specs (5.1
-- for LuaJIT) into a throwaway tree: the modules, the C core, `mautic` and
-- `fake-mautic`, which starts the fake server from the installed files, as
-- `mautic.fake` does from Lua.
local sys = require "support.sys"
local lua = require "support.lua"

local version = jit and "5.1" or _VERSION:match("%d+%.%d+")
local has_luarocks = os.execute("command -v luarocks >/dev/null 2>&1")
local describe_luarocks = (has_luarocks == true or has_luarocks == 0) and describe or pending

describe_luarocks("luarocks make for Lua " .. version, function()
  local tree, src
  setup(function()
    tree = sys.shell("mktemp -d /tmp/mautic-spec-rocks.XXXXXX"):gsub("%s+$", "")
    src = sys.source_copy()
  end)
  teardown(function() os.execute("rm -rf " .. tree .. " " .. src) end)

  it("installs the modules, the core, mautic and fake-mautic, which run from the installed tree", function()
    local out = sys.shell(("cd %s && luarocks make --tree %s --lua-version %s --deps-mode=none " ..
      "rockspec/mautic-0.2.0-1.rockspec CURL_INCDIR=/usr/include/x86_64-linux-gnu 2>&1; echo rc=$?")
      :format(src, tree, version))
    assert.matches("rc=0\n$", out)
    local env = ("eval \"$(luarocks path --tree %s --lua-version %s)\"; cd /tmp; "):format(tree, version)
    -- the installed library, under this very interpreter
    local said = sys.shell(env .. lua.interpreter ..
      [[ -e 'local m = require "mautic"; io.write(m._VERSION, " ", require("mautic.core")._VERSION)' 2>&1]])
    assert.equal("0.2.0 lua-mautic core 0.2.0", said)
    -- the installed fake server and command line
    local dir = tree .. "/fake"
    local url = sys.shell(("%s fake-mautic start --dir %s --pid-file %s/pid 2>&1"):format(env, dir, dir))
      :gsub("%s+$", "")
    assert.matches("^http://127%.0%.0%.1:%d+$", url)
    local listed = sys.shell(("%s MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic mautic contacts list " ..
      "limit=1 2>&1; fake-mautic stop --pid-file %s/pid --dir %s >/dev/null 2>&1"):format(env, url, dir, dir))
    assert.matches('"total":', listed, 1, true)
    -- and from Lua, as a user's specs start it: mautic.fake runs the installed fake-mautic
    local said_lua = sys.shell(env .. lua.interpreter .. [[ -e '
      local srv = assert(require("mautic.fake").start())
      local api = srv:client()
      assert(api.contacts.create{ email = "installed@example.com" })
      io.write(srv.url:match("^http://127") and "started " or "? ", srv:count("^/api/contacts/new$"))
      srv:stop()' 2>&1]])
    assert.equal("started 1", said_lua)
  end)
end)
