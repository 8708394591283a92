-- Shared state across the workers of one nginx: 4 workers share the
-- OAuth2 tokens through mautic.auth.store.shm (one token request per
-- expiry for all of them) and a request budget through mautic.limit.shm.
local fake = require "support.fake"
local json = require "mautic.json"
local core = require "mautic.core"

local root = io.popen("pwd"):read("*l")

local count = fake.count

describe("4 nginx workers", function()
  local srv, other
  setup(function()
    other = fake.another()
    srv = require("support.nginx").start([[
      location = /call { content_by_lua_block { require("shared").call() } }
      location = /limited { content_by_lua_block { require("shared").limited() } }
      location = /two { content_by_lua_block { require("shared").two() } }
    ]], { MAUTIC_FAKE_URL = fake.url, MAUTIC_FAKE_URL2 = other.url },
    { workers = 4, listen = "reuseport", http = ([[
      lua_shared_dict mautic 1m;
      init_by_lua_block { package.loaded.shared = dofile("%s/spec/ngx/shared.lua") }
    ]]):format(root) })
  end)
  teardown(function()
    srv.stop()
    other.stop()
  end)
  before_each(function() fake.reset() end)

  -- n requests at once; returns the decoded answers and the set of workers seen
  local function round(path, n)
    local multi = core.multi()
    for _ = 1, n do multi:add{ url = srv.url .. path, timeout = 30 } end
    local answers, workers = {}, {}
    while multi:pending() > 0 do
      for _, r in ipairs(multi:run(10)) do
        assert.equal(200, r.status, tostring(r.err) .. "\n" .. srv.error_log())
        local a = json.decode(r.body)
        answers[#answers + 1] = a
        workers[a.worker] = true
      end
    end
    multi:close()
    return answers, workers
  end

  local function all_ok(answers)
    for _, a in ipairs(answers) do assert.is_true(a.ok, a.err) end
  end

  it("share one OAuth2 token: exactly one token request for the first token and one per expiry", function()
    -- slow answers, so that requests with the old token are still in flight when it is renewed
    fake.fault{ path = "^/api/contacts$", delay = 0.01, count = 0 }
    local seen = {}
    for r = 1, 3 do
      if r > 1 then
        local status = core.session():request{ method = "POST", url = fake.url .. "/__fake/oauth/expire",
          headers = { ["Content-Type"] = "application/json" }, body = "{}", timeout = 10 }
        assert.equal(200, status)
      end
      local answers, workers = round("/call", 40)
      assert.equal(40, #answers)
      all_ok(answers)
      for w in pairs(workers) do seen[w] = true end
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.is_true(n >= 2, "the requests all went to one worker")
    assert.equal(3, count("^/oauth/v2/token$"))
    assert.equal(120, count("^/api/contacts$", 200))
    if os.getenv("SPEC_FIGURES") then
      io.stderr:write(("\nshm store: %d workers answered, 2 expiries: %d token requests, %d 401s\n")
        :format(n, count("^/oauth/v2/token$"), count("^/api/contacts$", 401)))
    end
  end)

  it("keep the tokens of two servers apart in one shm dict: 0 requests bear the other's token", function()
    other.reset()
    fake.config{ oauth2_clients = { ["client-a"] = { secret = "secret-a" } } }
    other.config{ oauth2_clients = { ["client-b"] = { secret = "secret-b" } } }
    for _ = 1, 3 do
      for _, which in ipairs{ "a", "b" } do
        local answers = round("/two?server=" .. which, 4)
        all_ok(answers)
      end
    end
    for _, s in ipairs{ { fake, "client-a" }, { other, "client-b" } } do
      local server, own = s[1], s[2]
      local foreign, ok = 0, 0
      for _, r in ipairs(server.log()) do
        if r.path:match("^/api/") then
          if r.token_of ~= own then foreign = foreign + 1 end
          if r.status == 200 then ok = ok + 1 end
        end
      end
      assert.equal(0, foreign)
      assert.equal(12, ok)
      assert.equal(1, server.count("^/oauth/v2/token$"))
    end
  end)

  it("share one request budget: 30 calls under Mautic's 20 per 2 s, 0 answers of 429", function()
    fake.config{ rate_limit = 20, rate_limit_window = 2 }
    local answers = round("/limited", 30)
    all_ok(answers)
    assert.equal(0, count("^/api/contacts$", 429))
    assert.equal(30, count("^/api/contacts$", 200))
  end)
end)
