local mautic = require "mautic"
local core = require "mautic.core"

local SECRET = "whsec-example-123"
local BODY = '{"mautic.lead_post_save_new":[{"contact":{"id":7,"email":"a@b.c"}},{"contact":{"id":8}}],' ..
             '"timestamp":"2026-11-22T10:00:00+00:00"}'

describe("the webhook receiver examples", function()
  describe("inside nginx", function()
    local srv, session
    setup(function()
      local root = io.popen("pwd"):read("*l")
      srv = require("support.nginx").start(
        "location = /mautic/webhook { content_by_lua_file " .. root .. "/examples/nginx/webhook.lua; }",
        { MAUTIC_WEBHOOK_SECRET = SECRET })
      session = core.session()
    end)
    teardown(function() srv.stop() end)

    local function post(body, signature)
      return session:request{ method = "POST", url = srv.url .. "/mautic/webhook", body = body,
        headers = { ["Content-Type"] = "application/json", ["Webhook-Signature"] = signature }, timeout = 5 }
    end

    it("accepts a correctly signed payload and counts its events", function()
      local status, _, body = post(BODY, mautic.webhook.sign(SECRET, BODY))
      assert.equal(200, status, srv.error_log())
      assert.equal('{"received":2}\n', body)
      assert.matches("mautic.lead_post_save_new contact 7", srv.error_log(), 1, true)
    end)

    it("refuses a payload signed with another secret or altered", function()
      assert.equal(403, (post(BODY, mautic.webhook.sign("other", BODY))))
      assert.equal(403, (post(BODY .. " ", mautic.webhook.sign(SECRET, BODY))))
      assert.equal(403, (post(BODY, nil)))
    end)
  end)

  describe("as a CGI script", function()
    local function run(body, signature)
      local input = os.tmpname()
      local f = io.open(input, "wb")
      f:write(body)
      f:close()
      local cmd = ("MAUTIC_WEBHOOK_SECRET=%s CONTENT_LENGTH=%d HTTP_WEBHOOK_SIGNATURE='%s' " ..
                   "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' " ..
                   "%s examples/webhook_receiver.lua < %s 2>/dev/null")
        :format(SECRET, #body, signature or "", require("support.lua").core_dir,
                require("support.lua").interpreter, input)
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      os.remove(input)
      return out
    end

    it("answers 200 for a good signature and 403 for a bad one", function()
      assert.matches("^Status: 200 OK", run(BODY, mautic.webhook.sign(SECRET, BODY)))
      assert.matches("received 2 events", run(BODY, mautic.webhook.sign(SECRET, BODY)))
      assert.matches("^Status: 403", run(BODY, "bm9wZQ=="))
    end)
  end)
end)

describe("examples/import_contacts.lua (what make demo runs)", function()
  it("imports examples/contacts.csv, says which row was refused and why, and files the rest", function()
    local fake = require "support.fake"
    fake.reset()
    local L = require "support.lua"
    local cmd = ("MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic LUA_PATH='lua/?.lua;lua/?/init.lua;;' "
      .. "LUA_CPATH='%s/?.so;;' %s examples/import_contacts.lua examples/contacts.csv 'Demo import' 2>&1; echo exit=$?")
      :format(fake.url, L.core_dir, L.interpreter)
    local out = require("support.sys").shell(cmd)
    assert.matches("exit=0", out, 1, true)
    assert.matches("line 6: rejected (not sent) row 5: email: an email address expected", out, 1, true)
    assert.matches('segment 1 "Demo import": 4 contacts added', out, 1, true)
  end)
end)

describe("examples/api_v2.lua", function()
  local L = require "support.lua"
  local sys = require "support.sys"
  local fake = require "mautic.fake"

  local function run_against(srv)
    return sys.run(("MAUTIC_URL=%s MAUTIC_USERNAME=%s MAUTIC_PASSWORD=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' "
      .. "LUA_CPATH='%s/?.so;;' %s examples/api_v2.lua")
      :format(srv.url, srv.username, srv.password, L.core_dir, L.interpreter))
  end

  it("runs end to end on a Mautic 7.0 and leaves nothing behind", function()
    local srv = assert(fake.start{ version = "7.0.0" })
    finally(function() srv:stop() end)
    local out, code = run_against(srv)
    assert.equal(0, code, out)
    assert.matches("contact %d+ is now Ada Lovelace", out)
    assert.matches("read back 3 example contacts", out, 1, true)
    assert.equal(1, srv:count("^/api/v2/contacts/%d+$", 200))          -- the merge patch
    assert.equal("application/merge-patch+json", srv:last("PATCH", "^/api/v2/contacts/").headers["content-type"])
    assert.same({}, srv:state("contacts"))
  end)

  it("stops before /api/v2 on a Mautic 5.1, naming the version", function()
    local srv = assert(fake.start())
    finally(function() srv:stop() end)
    local out, code = run_against(srv)
    assert.equal(1, code)
    assert.matches("Mautic 5.1.0 has no /api/v2", out, 1, true)
    assert.equal(0, srv:count("^/api/v2"))
  end)
end)
