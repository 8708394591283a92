local store = require "mautic.auth.store"
local core = require "mautic.core"

local lua = jit and "luajit" or "lua5.4"
-- child processes load the plain build: they run without the sanitizer runtime
local cpath = (jit and "build/luajit" or "build/lua5.4") .. "/?.so;;"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function mode_of(path)
  local p = io.popen("stat -c %a " .. path)
  local m = p:read("*l")
  p:close()
  return m
end

describe("token stores", function()
  it("memory: get, set and lock", function()
    local s = store.memory()
    assert.is_nil(s:get())
    s:set{ access_token = "a" }
    assert.equal("a", s:get().access_token)
    assert.same({ 1, 2 }, { s:lock(function() return 1, 2 end) })
  end)

  describe("file", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. dir))
    end)
    after_each(function() os.execute("rm -rf " .. dir) end)

    it("saves tokens as JSON with mode 0600 and reads them back", function()
      local s = store.file(dir .. "/tokens.json")
      assert.is_nil(s:get())
      s:set{ access_token = "tok-1", refresh_token = "ref-1", expires_at = 1700000000 }
      assert.equal("600", mode_of(dir .. "/tokens.json"))
      assert.same({ access_token = "tok-1", refresh_token = "ref-1", expires_at = 1700000000 }, s:get())
      s:set{ access_token = "tok-2" }
      assert.equal("tok-2", s:get().access_token)
      -- replaced by rename: no temporary file is left behind
      local p = io.popen("ls -A " .. dir)
      local names = p:read("*a")
      p:close()
      assert.equal("tokens.json\n", names)
    end)

    it("reads a damaged file as no tokens", function()
      local f = io.open(dir .. "/tokens.json", "w")
      f:write("{not json")
      f:close()
      assert.is_nil(store.file(dir .. "/tokens.json"):get())
    end)

    it("excludes another process while the lock is held", function()
      local path = dir .. "/tokens.json"
      local trace = dir .. "/trace"
      -- the child takes the lock, says so, holds it a moment, says it let go
      local child = ([[package.cpath=%q; local c=require"mautic.core"
        local l=assert(c.lock_file(%q)); local f=io.open(%q,"a"); f:write("child-locked\n"); f:close()
        c.sleep(0.5); f=io.open(%q,"a"); f:write("child-unlocked\n"); f:close(); l:unlock()]])
        :format(cpath, path .. ".lock", trace, trace)
      assert(os.execute(("%s -e %q &"):format(lua, child)))
      for _ = 1, 500 do
        if (read(trace) or ""):find("child-locked", 1, true) then break end
        core.sleep(0.01)
      end
      assert.matches("child-locked", read(trace) or "", 1, true)
      store.file(path):lock(function()
        local f = io.open(trace, "a")
        f:write("parent-locked\n")
        f:close()
      end)
      assert.equal("child-locked\nchild-unlocked\nparent-locked\n", read(trace))
    end)

    it("releases the lock when the function raises", function()
      local s = store.file(dir .. "/t.json")
      assert.has_error(function() s:lock(function() error("boom") end) end, "boom")
      assert.equal(7, s:lock(function() return 7 end))
    end)

    it("reports a path it cannot write", function()
      local s = store.file("/nonexistent-dir/tokens.json")
      assert.has_error(function() s:set{ access_token = "x" } end)
      local ok, err = core.write_file_atomic("/nonexistent-dir/x", "data")
      assert.is_nil(ok)
      assert.matches("/nonexistent%-dir/x", err)
    end)
  end)
end)

describe("core.listen", function()
  it("accepts one request on 127.0.0.1 and answers it", function()
    local l = assert(core.listen(0))
    local port = l:port()
    assert.is_true(port > 0)
    local out = os.tmpname()
    assert(os.execute(("curl -s 'http://127.0.0.1:%d/callback?code=abc&state=x%%20y' > %s &"):format(port, out)))
    local target = assert(l:accept(10, "done"))
    assert.equal("/callback?code=abc&state=x%20y", target)
    l:close()
    for _ = 1, 200 do
      if read(out) == "done" then break end
      core.sleep(0.01)
    end
    assert.equal("done", read(out))
    os.remove(out)
    l:close()
  end)

  it("times out when nobody comes", function()
    local l = assert(core.listen(0))
    assert.same({ nil, "timeout" }, { l:accept(0.05) })
    l:close()
    assert.has_error(function() l:port() end)
  end)
end)
