-- One renewal per expiry (issue 7): across mautic.parallel tasks, across
-- processes sharing a file store, with rotating refresh tokens, and with
-- tokens that live less than the refresh margin. Over real HTTP against
-- the fake; the fake's log counts the token requests.
local fake = require "support.fake"
local workers = require "auth.support.workers"
local mautic = require "mautic"
local json = require "mautic.json"
local core = require "mautic.core"

local CLIENT_ID, SECRET = "fake-client", "fake-secret"

local admin = core.session()

local function post(path, body)
  local status, _, resp = admin:request{
    method = "POST", url = fake.url .. path, headers = { ["Content-Type"] = "application/json" },
    body = assert(json.encode(body or {})), timeout = 10,
  }
  assert.equal(200, status)
  return json.decode(resp)
end

-- a token set issued by the fake without a token request (so the log's
-- token requests are only the renewals)
local function issue(refresh)
  local t = post("/__fake/oauth2/issue", { client_id = CLIENT_ID, refresh = refresh })
  t.expires_at = core.now() + t.expires_in
  return t
end

local function expire(token)
  return post("/__fake/oauth/expire", { token = token }).expired
end

local count = fake.count

local function token_requests() return count("^/oauth/v2/token$") end

describe("token renewal", function()
  before_each(function() fake.reset() end)

  describe("across 50 mautic.parallel tasks", function()
    for _, grant in ipairs{ "client_credentials", "refresh_token" } do
      it("makes exactly 1 token request when the " .. grant .. " token expires mid-run, and every task succeeds",
        function()
          local issued = issue(grant == "refresh_token")
          local api = fake.client({ auth = mautic.auth.oauth2{
            client_id = CLIENT_ID, client_secret = SECRET, grant = grant,
            access_token = issued.access_token, refresh_token = issued.refresh_token,
            expires_at = issued.expires_at,
          }, sleep = false })
          -- slow answers: requests sent with the old token keep being
          -- rejected after the renewal is done, as on a loaded server
          fake.fault{ path = "^/api/contacts$", delay = 0.05, count = 0 }
          local expired = 0
          local tasks = {}
          for i = 1, 50 do
            tasks[i] = function()
              require("mautic.parallel").sleep(0.002 * i)      -- the tasks' requests spread out over time
              for n = 1, 4 do
                local page, err = api.contacts.list{ limit = n }
                if not page then return nil, err end
                -- task 1, once answered, expires the token on the server while
                -- the other tasks' requests are on their way with it
                if i == 1 and n == 1 then expired = expired + expire(issued.access_token) end
              end
              return true
            end
          end
          local values, errs = mautic.parallel(tasks, { concurrency = 50 })
          for i = 1, 50 do
            assert.is_nil(errs[i], "task " .. i .. ": " .. tostring(errs[i]))
            assert.is_true(values[i])
          end
          assert.equal(1, expired)
          assert.equal(1, token_requests())
          assert.equal(200, count("^/api/contacts$", 200))
          assert.is_true(count("^/api/contacts$", 401) >= 1, "the expired token was never rejected")
        end)
    end
  end)

  describe("across 8 processes sharing a file store", function()
    local pool = workers.pool()
    before_each(pool.fresh)
    after_each(pool.clean)

    it("makes exactly 1 token request per server-side expiry over 8 x 100 requests, with 0 failed calls", function()
      local issued = issue(false)
      mautic.auth.store.file(pool.dir .. "/tokens.json"):set(fake.owned({ access_token = issued.access_token,
        expires_in = issued.expires_in, expires_at = issued.expires_at }, CLIENT_ID))
      -- slow answers: requests sent with the old token keep being rejected
      -- after another process has renewed it, as on a loaded server
      fake.fault{ path = "^/api/contacts$", delay = 0.01, count = 0 }
      local configs = {}
      for i = 1, 8 do
        configs[i] = { url = fake.url, store = pool.dir .. "/tokens.json", requests = 100,
                       client_id = CLIENT_ID, client_secret = SECRET, grant = "client_credentials",
                       expire_every = i == 1 and 20 or nil }
      end
      local outcomes = pool.run(configs)
      local errs = workers.errors(outcomes)
      assert.equal(0, workers.sum(outcomes, "failed"), errs)
      assert.equal(800, workers.sum(outcomes, "ok"), errs)
      assert.equal(4, workers.sum(outcomes, "expired"))
      assert.equal(4, token_requests())
      assert.equal(800, count("^/api/contacts$", 200))
    end)

    it("with rotating refresh tokens and processes started at random times, each seeded with the original "
       .. "tokens, no call fails and the store ends with a live refresh token", function()
      local original = issue(true)
      local path = pool.dir .. "/tokens.json"
      fake.fault{ path = "^/api/contacts$", delay = 0.01, count = 0 }   -- slow answers, as above
      local configs = {}
      math.randomseed(os.time())
      for i = 1, 8 do
        configs[i] = { url = fake.url, store = path, requests = 100, pace = i == 1 and 0.01 or nil,
                       client_id = CLIENT_ID, client_secret = SECRET,
                       access_token = original.access_token, refresh_token = original.refresh_token,
                       expires_at = original.expires_at,
                       -- worker 1 starts at once and expires the access token every 10 requests;
                       -- the others start at random times, half of them surely after a rotation
                       expire_every = i == 1 and 10 or nil,
                       delay = i > 1 and math.random() or nil,
                       after_rotation_of = i > 4 and original.refresh_token or nil }
      end
      local outcomes = pool.run(configs)
      local errs = workers.errors(outcomes)
      assert.equal(0, workers.sum(outcomes, "failed"), errs)
      assert.equal(800, workers.sum(outcomes, "ok"), errs)
      assert.equal(9, workers.sum(outcomes, "expired"))
      assert.equal(9, token_requests())           -- one refresh per expiry, none for seeding
      local final = mautic.auth.store.file(path):get((fake.token_entry(CLIENT_ID)))
      assert.not_equal(original.refresh_token, final.refresh_token)
      local server = json.decode(select(3, admin:request{ url = fake.url .. "/__fake/oauth", timeout = 10 }))
      local rec = server.oauth2.refresh_tokens[final.refresh_token]
      assert.is_table(rec, "the store's refresh token is unknown to the server")
      assert.is_false(rec.expired)
    end)
  end)

  describe("a token that lives less than the refresh margin", function()
    it("is fetched once for 10 calls, and again once half its lifetime has passed", function()
      fake.config{ token_ttl = 30 }           -- below the default margin of 60 s
      local clock = core.now()
      local api = fake.client{ auth = mautic.auth.oauth2{ client_id = CLIENT_ID, client_secret = SECRET },
                               now = function() return clock end }
      for _ = 1, 10 do assert(api.contacts.list()) end
      assert.equal(1, token_requests())
      clock = clock + 16                      -- past half of 30 s
      assert(api.contacts.list())
      assert.equal(2, token_requests())
      assert.equal(11, count("^/api/contacts$", 200))
    end)
  end)
end)
