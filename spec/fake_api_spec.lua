-- mautic.fake as a user's own specs drive it: start a server with the
-- users, OAuth2 clients and fields their Mautic has, run their code against
-- it, make it misbehave, read what reached it, reset it between cases, stop
-- it. README "Testing your own scripts" is this, shortened.
local fake = require "mautic.fake"
local mautic = require "mautic"
local core = require "mautic.core"
local sys = require "support.sys"
local lua = require "support.lua"

describe("mautic.fake", function()
  local srv

  setup(function()
    srv = assert(fake.start{
      version = "5.1.0",
      users = { ann = "pa55 w0rd" },
      clients = { ["sync-job"] = "sync-secret" },
      fields = { { alias = "shoe_size", type = "number" }, { alias = "vat_id", object = "company" } },
    })
  end)
  teardown(function() if srv then srv:stop() end end)
  before_each(function() srv:reset() end)

  -- the user's code under test: sleeps skipped, so retries take no time
  local function client(opts)
    local o = { url = srv.url, auth = mautic.auth.basic{ username = "ann", password = "pa55 w0rd" },
                sleep = function() end, timeout = 30 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return mautic.new(o)
  end

  it("starts on a free 127.0.0.1 port with the users, clients and fields it is given", function()
    assert.matches("^http://127%.0%.0%.1:%d+$", srv.url)
    assert.equal("ann", srv.username)
    local api = client()
    local c = assert(api.contacts.create{ email = "a@shop.test", shoe_size = 42 })
    assert.equal(42, c.fields.all.shoe_size)
    assert.equal("5.1.0", api.version())
    local aliases = {}
    for _, f in ipairs(assert(api.company_fields.list{ limit = 0 }).items) do aliases[f.alias] = true end
    assert.is_true(aliases.vat_id)
    local oauth = client{ auth = mautic.auth.oauth2{ client_id = "sync-job", client_secret = "sync-secret" } }
    assert(oauth.contacts.get(c.id))
    assert.equal(1, srv:count("^/oauth/v2/token$", 200))
  end)

  it("answers with the version it is given", function()
    srv:config{ version = "7.0.0" }
    local api = client()
    assert(api.contacts.list{ limit = 1 })
    assert.equal("7.0.0", api.version())
  end)

  it("goes back to its start state on reset: data, log, faults and configuration", function()
    local api = client()
    assert(api.contacts.create{ email = "gone@shop.test" })
    srv:config{ batch_limit = 3, users = { bob = "other" } }
    srv:fault{ path = "^/api/contacts$", status = 503, count = 0 }
    srv:reset()
    assert.same({}, srv:state("contacts"))
    assert.same({}, srv:log())
    assert.same({}, srv:faults())
    assert.equal(200, srv:config().batch_limit)
    assert.equal("ann", srv.username)
    local page = assert(api.contacts.list())
    assert.equal(0, page.total)
    local fields = assert(api.contact_fields.list{ search = "shoe" })
    assert.equal("shoe_size", fields.items[1].alias)
  end)

  it("logs what went over the wire, with the secrets redacted", function()
    local api = client()
    assert(api.contacts.create{ email = "log@shop.test" })
    assert.is_nil(api.contacts.get(999))
    local log = srv:log()
    assert.equal(#log, srv:count("^/api/"))
    local create = srv:last("POST", "^/api/contacts/new$")
    assert.equal("basic:ann", create.auth)
    assert.equal("<redacted>", create.headers.authorization)
    assert.equal(201, create.status)
    assert.equal(1, srv:count("^/api/contacts/%d+$", 404))
    assert.equal(1, srv:count{ method = "GET", path = "^/api/contacts/999$" })
    assert.not_matches("pa55 w0rd", assert(mautic.json.encode(log)), 1, true)
  end)

  it("makes a write fail after storing it, and counts what reached it", function()
    srv:fault{ path = "^/api/contacts/new$", action = "store_then_500" }
    local c, err = client().contacts.create{ email = "once@shop.test" }
    assert.is_nil(c)
    assert.equal(500, err.status)
    assert.is_true(err.maybe_applied)
    assert.equal(1, srv:arrivals("contacts:once@shop.test"))
    assert.equal(1, #srv:state("contacts"))
    assert.equal(1, srv:faults()[1].fired)
    assert.equal("store_then_500", srv:last("POST").fault)
  end)

  it("drops a kept-alive connection after storing, and the client's resend merges", function()
    local api = client()
    assert(api.contacts.list())          -- opens the connection the create then reuses
    srv:fault{ path = "^/api/contacts/new$", action = "store_then_drop", reused_only = true }
    local c = assert(api.contacts.create{ email = "again@shop.test" })
    assert.is_true(api.last_response().resent)
    assert.equal(2, srv:arrivals("contacts:again@shop.test"))
    assert.equal(1, #srv:state("contacts"))
    assert.equal(c.id, srv:state("contacts")[1].id)
  end)

  it("expires tokens server-side", function()
    local api = client{ auth = mautic.auth.oauth2{ client_id = "sync-job", client_secret = "sync-secret" } }
    assert(api.contacts.list())
    assert.equal(1, srv:expire_tokens())
    assert(api.contacts.list())           -- a 401, a new token, the call again
    assert.equal(2, srv:count("^/oauth/v2/token$", 200))
    assert.equal(1, srv:count("^/api/contacts$", 401))
  end)

  it("refuses an option it does not know, saying which, and starts nothing", function()
    local other, err = fake.start{ batch_limt = 5 }
    assert.is_nil(other)
    assert.matches("unknown config option batch_limt", err, 1, true)
  end)

  it("attaches to a server started elsewhere", function()
    local same = fake.attach(srv.url)
    assert(client().contacts.create{ email = "seen@shop.test" })
    assert.equal(1, same:count("^/api/contacts/new$"))
    same:stop()                            -- not its own: still running
    assert.equal(1, srv:count("^/api/contacts/new$"))
  end)

  it("runs README's example as it is written (a busted spec of its own)", function()
    local readme = sys.read_file("README.md")
    local section = readme:match("\n## Testing your own scripts\n(.-)\n## ")
    local example = section and section:match("```lua\n(.-)```")
    assert.truthy(example, "README has a Lua example under 'Testing your own scripts'")
    local path = os.tmpname() .. "_readme_spec.lua"
    sys.write_file(path, example)
    -- the plain build of the core for this Lua (never the sanitizer's), as every child gets
    local out = sys.shell(("MAUTIC_CORE_DIR=%s busted --lua=%s -o plainTerminal %s 2>&1")
      :format(lua.core_dir, lua.interpreter, path))
    os.remove(path)
    assert.matches("2 successes / 0 failures / 0 errors", out, 1, true)
  end)

  describe("lifecycle", function()
    it("stops by pid: master and worker are gone and the port refuses connections", function()
      local other = assert(fake.start())
      local pid, worker, url = other.pid, other.worker_pid, other.url
      assert.truthy(sys.alive(pid) and sys.alive(worker))
      other:stop()
      for _ = 1, 100 do                                -- bounded: the pid file goes first
        if not sys.alive(pid) and not sys.alive(worker) then break end
        core.sleep(0.05)
      end
      assert.is_false(sys.alive(pid))
      assert.is_false(sys.alive(worker))
      local s = assert(core.session())
      local status, _, kind = s:request{ url = url .. "/__fake/status", fresh = true, timeout = 5 }
      s:close()
      assert.is_nil(status)
      assert.equal("connect", kind)
      other:stop()                                      -- idempotent
    end)

    it("stops by itself when the process that started it ends", function()
      local script = os.tmpname()
      sys.write_file(script, ([[
        package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
        package.cpath = %q .. "/?.so;" .. package.cpath
        local srv = assert(require("mautic.fake").start())
        io.write(srv.pid, " ", srv.worker_pid, "\n")
        os.exit(0)   -- without stopping it
      ]]):format(lua.core_dir))
      local out = sys.shell(lua.interpreter .. " " .. script)
      os.remove(script)
      local pid, worker = out:match("^(%d+) (%d+)")
      assert.truthy(pid, out)
      for _ = 1, 200 do                                -- bounded: the watch looks every 0.5 s
        if not sys.alive(pid) and not sys.alive(worker) then break end
        core.sleep(0.05)
      end
      assert.is_false(sys.alive(pid))
      assert.is_false(sys.alive(worker))
    end)
  end)
end)
