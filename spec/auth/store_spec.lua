local store = require "mautic.auth.store"
local core = require "mautic.core"

-- child processes run the same Lua and load the plain build (no sanitizer runtime)
local lua = require("support.lua").interpreter
local cpath = require("support.lua").cpath

local read = require("support.sys").read_file

local function mode_of(path)
  local p = io.popen("stat -c %a " .. path)
  local m = p:read("*l")
  p:close()
  return m
end

describe("token stores", function()
  it("memory: get, set and lock, one entry per key", function()
    local s = store.memory()
    assert.is_nil(s:get("k"))
    s:set({ access_token = "a" }, "k")
    assert.equal("a", s:get("k").access_token)
    assert.is_nil(s:get("other"))
    assert.same({ 1, 2 }, { s:lock(function() return 1, 2 end) })
  end)

  it("memory: keeps its tokens out of its fields, so a walk over a handler finds none", function()
    local s = store.memory()
    s:set({ access_token = "walk-me-not" }, "k")
    local function walk(t, depth, seen)
      for k, v in pairs(t) do
        assert.not_matches("walk%-me%-not", tostring(k) .. "=" .. tostring(v))
        if type(v) == "table" and not seen[v] and depth < 6 then seen[v] = true walk(v, depth + 1, seen) end
      end
    end
    walk(s, 0, {})
    walk(getmetatable(s), 0, {})
  end)

  it("asks for an entry key when it was given none", function()
    assert.has_error(function() store.memory():get() end,
      "bad argument #1 to 'get' (entry key expected: see mautic.auth.store.default_key)")
    -- a store made with a key uses it for every entry
    local s = store.memory{ key = "mine" }
    s:set({ access_token = "a" }, "ignored")
    assert.equal("a", s:get("other").access_token)
    assert.equal("a", s:get().access_token)
  end)

  it("names the default entry by the token endpoint and the client id", function()
    assert.equal("mautic:tokens:https://m.example.com/oauth/v2/token cid",
      store.default_key("https://m.example.com/oauth/v2/token", "cid"))
  end)

  describe("file", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. dir))
    end)
    after_each(function() os.execute("rm -rf " .. dir) end)

    it("saves tokens as JSON with mode 0600 and reads them back, one entry per key", function()
      local s = store.file(dir .. "/tokens.json")
      assert.is_nil(s:get("k"))
      s:set({ access_token = "tok-1", refresh_token = "ref-1", expires_at = 1700000000 }, "k")
      assert.equal("600", mode_of(dir .. "/tokens.json"))
      assert.same({ access_token = "tok-1", refresh_token = "ref-1", expires_at = 1700000000 }, s:get("k"))
      s:set({ access_token = "tok-2" }, "k")
      assert.equal("tok-2", s:get("k").access_token)
      -- another entry of the same file leaves this one alone
      store.file(dir .. "/tokens.json"):set({ access_token = "other" }, "k2")
      assert.equal("tok-2", s:get("k").access_token)
      assert.equal("other", s:get("k2").access_token)
      -- replaced by rename: no temporary file is left behind (the lock file stays)
      local p = io.popen("ls -A " .. dir)
      local names = p:read("*a")
      p:close()
      assert.equal("tokens.json\ntokens.json.lock\n", names)
    end)

    it("reads a damaged file as no tokens", function()
      local f = io.open(dir .. "/tokens.json", "w")
      f:write("{not json")
      f:close()
      assert.is_nil(store.file(dir .. "/tokens.json"):get("k"))
    end)

    it("reads a file of lua-mautic 0.2 (one token set, no issuer) as no tokens", function()
      local f = io.open(dir .. "/tokens.json", "w")
      f:write('{"access_token":"old","refresh_token":"old-r","expires_at":1700000000}')
      f:close()
      assert.is_nil(store.file(dir .. "/tokens.json"):get("k"))
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
      assert.has_error(function() s:set({ access_token = "x" }, "k") end)
      local ok, err = core.write_file_atomic("/nonexistent-dir/x", "data")
      assert.is_nil(ok)
      assert.matches("/nonexistent%-dir/x", err)
    end)
  end)
end)

describe("seeding a token store", function()
  local T = 1700000000
  local stored = { access_token = "a2", refresh_token = "r2", expires_at = T + 3600 }

  describe("newer", function()
    local rows = {
      -- given                                                       held    -> given wins?
      { "an empty store", { access_token = "a1", refresh_token = "r1" }, nil, true },
      { "a store holding nothing", { access_token = "a1" }, {}, true },
      { "the same tokens", { access_token = "a2", refresh_token = "r2", expires_at = T + 3600 }, stored, false },
      { "older tokens", { access_token = "a1", refresh_token = "r1", expires_at = T }, stored, false },
      { "tokens without a time stamp", { access_token = "a1", refresh_token = "r1" }, stored, false },
      { "a store without a time stamp", { access_token = "a1", refresh_token = "r1", expires_at = T + 7200 },
        { access_token = "a2", refresh_token = "r2" }, false },
      { "tokens of the same age", { access_token = "a1", refresh_token = "r1", expires_at = T + 3600 }, stored, false },
      { "newer tokens", { access_token = "a3", refresh_token = "r3", expires_at = T + 7200 }, stored, true },
    }
    for _, r in ipairs(rows) do
      it((r[4] and "lets the given tokens win over " or "lets the store win over ") .. r[1], function()
        assert.equal(r[4], store.newer(r[2], r[3]))
      end)
    end
  end)

  describe("seed", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. dir))
    end)
    after_each(function() os.execute("rm -rf " .. dir) end)

    for _, kind in ipairs{ "memory", "file" } do
      local function new_store()
        if kind == "memory" then return store.memory() end
        return store.file(dir .. "/tokens.json")
      end

      it("fills an empty " .. kind .. " store", function()
        local s = new_store()
        assert.is_true(store.seed(s, { access_token = "a1", refresh_token = "r1", expires_at = T }, nil, "k"))
        assert.same({ access_token = "a1", refresh_token = "r1", expires_at = T }, s:get("k"))
      end)

      it("does not overwrite newer tokens in a " .. kind .. " store", function()
        local s = new_store()
        s:set(stored, "k")
        assert.is_false(store.seed(s, { access_token = "a1", refresh_token = "r1", expires_at = T }, nil, "k"))
        assert.is_false(store.seed(s, { access_token = "a1", refresh_token = "r1" }, nil, "k"))
        assert.same(stored, s:get("k"))
      end)

      it("replaces older tokens in a " .. kind .. " store with newer ones", function()
        local s = new_store()
        s:set(stored, "k")
        assert.is_true(store.seed(s, { access_token = "a3", refresh_token = "r3", expires_at = T + 7200 }, nil, "k"))
        assert.equal("r3", s:get("k").refresh_token)
      end)
    end

    it("is what an OAuth2 handler does with the tokens it is given, in its first client's entry", function()
      local mautic = require "mautic"
      local url = "http://127.0.0.1:9"        -- no token request: the given tokens are not expired
      local key = store.default_key(url .. "/oauth/v2/token", "c")
      local s = store.file(dir .. "/tokens.json")
      local function own(t)
        t.issuer, t.client_id = url .. "/oauth/v2/token", "c"
        return t
      end
      -- the Authorization header of the first call of a client made with handler a
      local function first_use(a)
        local sent
        local api = mautic.new{ url = url, auth = a, transport = function(req)
          sent = req.headers.Authorization
          return 200, { ["content-type"] = "application/json" }, '{"contact":{"id":1}}'
        end }
        assert(api.contacts.get(1))
        return sent
      end
      s:set(own{ access_token = "a2", refresh_token = "r2", expires_at = os.time() + 3600 }, key)
      local older = mautic.auth.oauth2{ client_id = "c", client_secret = "s", access_token = "a1",
                                        refresh_token = "r1", expires_at = os.time() + 60, store = s }
      assert.equal("Bearer a2", first_use(older))
      assert.equal("r2", s:get(key).refresh_token)
      local newer = mautic.auth.oauth2{ client_id = "c", client_secret = "s", access_token = "a4",
                                        refresh_token = "r4", expires_at = os.time() + 9000, store = s }
      assert.equal("Bearer a4", first_use(newer))
      assert.equal("r4", s:get(key).refresh_token)
    end)
  end)
end)

describe("a store's lock within one process", function()
  -- a tiny scheduler: each sleep yields, and the tasks take turns
  local function run(tasks)
    local cos = {}
    for i, fn in ipairs(tasks) do cos[i] = coroutine.create(fn) end
    local alive = #cos
    for _ = 1, 10000 do
      if alive == 0 then break end
      alive = 0
      for _, co in ipairs(cos) do
        if coroutine.status(co) == "suspended" then
          assert(coroutine.resume(co))
          if coroutine.status(co) ~= "dead" then alive = alive + 1 end
        end
      end
    end
    assert.equal(0, alive)
  end
  local sleep = function() coroutine.yield() end

  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  for _, kind in ipairs{ "memory", "file" } do
    it("lets one coroutine at a time in, for a " .. kind .. " store", function()
      local trace = {}
      local function task(name, s)
        return function()
          s:lock(function()
            trace[#trace + 1] = name .. " in"
            for _ = 1, 3 do sleep() end       -- hold the lock across yields
            trace[#trace + 1] = name .. " out"
          end, sleep)
        end
      end
      -- two store objects on the same file share the lock, as two clients of one process would
      local a = kind == "memory" and store.memory() or store.file(dir .. "/t.json")
      local b = kind == "memory" and a or store.file(dir .. "/t.json")
      run{ task("A", a), task("B", b), task("C", a) }
      assert.same({ "A in", "A out", "B in", "B out", "C in", "C out" }, trace)
    end)
  end

  it("can be taken again by the coroutine holding it", function()
    local s1, s2 = store.file(dir .. "/t.json"), store.file(dir .. "/t.json")
    assert.equal(3, s1:lock(function() return s2:lock(function() return s1:lock(function() return 3 end) end) end))
  end)

  if coroutine.close then   -- Lua 5.4: a coroutine can be ended while suspended
    it("is taken over from a holder that ended without letting go", function()
      local s = store.memory()
      local holder = coroutine.create(function() s:lock(function() coroutine.yield() end, sleep) end)
      assert(coroutine.resume(holder))       -- holds the lock, suspended inside it
      coroutine.close(holder)                -- ended there, as an aborted nginx request is
      local took = false
      run{ function() s:lock(function() took = true end, sleep) end }
      assert.is_true(took)
    end)
  end
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
