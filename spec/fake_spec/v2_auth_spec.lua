-- Who may call the fake's /api/v2 (reference/real-mautic-7.0/SUMMARY.md §2.7,
-- §2.8): Basic, bearer and ?access_token=, the session cookie of a Basic
-- answer, the stock 7.0.0 bearer bug, "view own" not applied, and a 5.1 fake
-- without /api/v2. Then the replay of the recorded exchanges.
local S = require "spec.fake_spec.support"

local TOKEN = "v2-spec-token"
local STRONG = "Kx9!vRt#2qLm-Zp"

describe("fake Mautic's /api/v2 firewall", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)

  local function configure(c)
    local r = S.request(srv, "POST", "/__fake/config", { auth = false, json = c })
    assert.equal(200, r.status, r.raw)
  end

  before_each(function()
    S.reset(srv)
    configure({ version = "7.0.0", tokens = { [TOKEN] = true, expired = { expires_at = 1 } } })
  end)

  local function get(path, opts)
    opts = opts or {}
    return S.request(srv, opts.method or "GET", path, { auth = opts.auth or false, headers = opts.headers,
                                                        query = opts.query, json = opts.json })
  end
  local function bearer(t) return { Authorization = "Bearer " .. (t or TOKEN) } end
  local function cookie_of(r) return (r.headers["set-cookie"] or ""):match("^([^;]+)") end

  it("takes Basic, a bearer token and ?access_token=, echoing the query in the view", function()
    assert.equal(200, get("/api/v2/contacts", { auth = "admin:mautic" }).status)
    assert.equal(200, get("/api/v2/contacts", { headers = bearer() }).status)
    local r = get("/api/v2/contacts", { query = "access_token=" .. TOKEN })
    assert.equal(200, r.status)
    assert.equal("/api/v2/contacts?access_token=" .. TOKEN, r.body.view["@id"])
  end)

  it("refuses a request without credentials with /api's 401, in a new session for a read only", function()
    local r = get("/api/v2/contacts")
    assert.equal(401, r.status)
    assert.equal("API authorization denied.", r.body.errors[1].message)
    assert.truthy(cookie_of(r))
    r = get("/api/v2/contacts", { method = "POST", json = {} })
    assert.equal(401, r.status)
    assert.is_nil(r.headers["set-cookie"])
  end)

  it("answers a wrong Basic password with an empty 401 asking for Basic, a bad token with invalid_grant", function()
    local r = get("/api/v2/contacts", { auth = "admin:wrong" })
    assert.equal(401, r.status)
    assert.equal("", r.raw)
    assert.equal('Basic realm="Secured Area"', r.headers["www-authenticate"])
    assert.is_nil(r.headers["set-cookie"])
    r = get("/api/v2/contacts", { headers = bearer("garbage") })
    assert.equal("The access token provided is invalid.", r.body.errors[1].message)
    r = get("/api/v2/contacts", { headers = bearer("expired") })
    assert.equal("The access token provided has expired.", r.body.errors[1].message)
  end)

  it("lets the cookie of a Basic answer authenticate alone; a bearer answer's cookie does not, nor does /api", function()
    local basic_cookie = cookie_of(get("/api/v2/contacts", { auth = "admin:mautic" }))
    assert.truthy(basic_cookie)
    local r = get("/api/v2/contacts", { headers = { Cookie = basic_cookie } })
    assert.equal(200, r.status)
    assert.is_nil(r.headers["set-cookie"])          -- the session goes on
    assert.equal(401, get("/api/contacts", { headers = { Cookie = basic_cookie } }).status)
    local bearer_cookie = cookie_of(get("/api/v2/contacts", { headers = bearer() }))
    assert.truthy(bearer_cookie)
    assert.equal(401, get("/api/v2/contacts", { headers = { Cookie = bearer_cookie } }).status)
    assert.equal(401, get("/api/v2/contacts", { headers = { Cookie = "MAUTICSESSID=made0up" } }).status)
  end)

  it("with v2_bearer_bug refuses every bearer token on /api/v2 only, as a stock 7.0.0", function()
    configure({ v2_bearer_bug = true })
    for _, c in ipairs({ { "/api/v2/contacts" }, { "/api/v2/docs.jsonopenapi" }, { "/api/v2/contacts", "POST" } }) do
      local r = get(c[1], { headers = bearer(), method = c[2], json = c[2] and {} or nil })
      assert.equal(401, r.status, c[1])
      assert.equal('{"message":"Invalid credentials."}', r.raw)
      assert.is_nil(r.headers["set-cookie"])
    end
    assert.equal(200, get("/api/v2/contacts", { auth = "admin:mautic" }).status)
    assert.equal(200, get("/api/contacts", { headers = bearer() }).status)
    local r = S.request(srv, "POST", "/__fake/config", { auth = false, json = { v2_bearer_bug = "yes" } })
    assert.equal(400, r.status)                      -- a boolean option
  end)

  it("reads every contact for a 'view own' user but refuses what the role lacks with a 403 problem+json", function()
    local role = S.request(srv, "POST", "/api/roles/new", { json = { name = "Limited", isAdmin = false,
      rawPermissions = { ["lead:leads"] = { "viewown" }, ["api:access"] = { "full" } } } })
    assert.equal(201, role.status, role.raw)
    local user = S.request(srv, "POST", "/api/users/new", { json = { username = "limited", firstName = "L",
      lastName = "U", email = "limited@example.com", role = role.body.role.id,
      plainPassword = { password = STRONG, confirm = STRONG } } })
    assert.equal(201, user.status, user.raw)
    configure({ users = { admin = "mautic", limited = STRONG } })
    local c = S.request(srv, "POST", "/api/contacts/new", { json = { email = "other@example.com" } }).body.contact
    local as = "limited:" .. STRONG
    local r = get("/api/v2/contacts", { auth = as })
    assert.equal(200, r.status)
    assert.equal(1, r.body.totalItems)
    assert.equal(200, get("/api/v2/contacts/" .. c.id, { auth = as }).status)
    for _, x in ipairs({ { "/api/v2/emails" }, { "/api/v2/users" }, { "/api/v2/contacts/" .. c.id, "PATCH" } }) do
      r = S.request(srv, x[2] or "GET", x[1], { auth = as, body = x[2] and "{}" or nil,
        headers = { ["Content-Type"] = "application/merge-patch+json" } })
      assert.equal(403, r.status, x[1])
      assert.equal("application/problem+json; charset=utf-8", r.headers["content-type"])
      assert.equal("Access Denied.", r.body.detail)
      assert.matches("hydra/core#apiDocumentation", r.headers["link"], 1, true)
    end
  end)

  it("does not exist on a 5.1 fake: a route 404 with credentials, /api's 401 without, as real 5.1 answers", function()
    configure({ version = "5.1.0" })
    local r = get("/api/v2/contacts", { auth = "admin:mautic" })
    assert.equal(404, r.status)
    assert.equal("Requested URL not found: /api/v2/contacts", r.body.errors[1].message)
    assert.equal(401, get("/api/v2/contacts").status)
    assert.equal(404, get("/api/v2", { auth = "admin:mautic" }).status)
  end)
end)

-- real Mautic 7.0's recorded exchanges, replayed by tools/fake/replay_v2.py
local TRANSCRIPTS = "/work/shared/reference/real-mautic-7.0/transcripts-v2.jsonl"
local have = io.open(TRANSCRIPTS)
if have then have:close() end

describe("the fake's /api/v2, replayed against real Mautic 7.0's recordings", function()
  local srv
  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)

  local run = have and it or pending
  run("matches the 368 /api/v2 exchanges", function()
    local out = S.sh("python3 " .. S.root .. "/tools/fake/replay_v2.py " .. srv.url .. " " .. TRANSCRIPTS .. " 2>&1")
    local ok, bad = out:match("/api/v2: ok (%d+) bad (%d+)")
    assert.truthy(ok, out)
    assert.equal(368, tonumber(ok), out)
    assert.equal(368, tonumber(ok) + tonumber(bad))
  end)
end)
