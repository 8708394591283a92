-- The fake's fault modes and counters (lua/mautic/fake/faults.lua,
-- misbehave.lua, counters.lua), driven through mautic.fake as a user's
-- specs would: every mode shown over real HTTP, with mautic.core sessions,
-- the curl command line, and raw bytes on a TCP connection (bash's
-- /dev/tcp) where the bytes themselves matter. Nothing here depends on how
-- a client retries: failures are provoked on a fresh connection, or
-- checked byte by byte.
local fake = require "mautic.fake"
local core = require "mautic.core"
local cjson = require "cjson"
local sys = require "support.sys"

local read_file, write_file, shell = sys.read_file, sys.write_file, sys.shell

describe("the fake's faults and counters", function()
  local srv

  lazy_setup(function()
    srv = assert(fake.start{ seed = 42 })
  end)

  lazy_teardown(function()
    if srv then srv:stop() end
  end)

  before_each(function()
    srv:reset()
  end)

  after_each(function()
    -- a Lua error inside the server shows as [error] in nginx's log
    local log = srv:error_log()
    assert.falsy(log:find("[error]", 1, true), log)
  end)

  local function basic_auth()
    return "Basic " .. core.b64encode(srv.username .. ":" .. srv.password)
  end

  -- the queue holds exactly these faults
  local function faults(list)
    srv:clear_faults()
    if #list > 0 then srv:fault(list) end
  end

  local function fired()
    local n = 0
    for _, f in ipairs(srv:faults()) do n = n + f.fired end
    return n
  end

  local function contacts() return srv:state("contacts") end

  -- every call on a connection of its own (sessions share a connection cache)
  local function call(method, path, body, headers, opts)
    local h = { Authorization = basic_auth() }
    if body then h["Content-Type"] = "application/json" end
    for k, v in pairs(headers or {}) do h[k] = v or nil end   -- false removes a header
    local s = assert(core.session())
    local status, hdrs, rbody = s:request{ method = method, url = srv.url .. path, body = body,
                                           headers = h, timeout = (opts and opts.timeout) or 20, fresh = true }
    s:close()
    return status, hdrs, rbody
  end

  local function decode(body) return cjson.decode(body) end

  -- an HTTP/1.1 request as bytes
  local function http(method, path, body, extra)
    local lines = { method .. " " .. path .. " HTTP/1.1", "Host: 127.0.0.1", "Authorization: " .. basic_auth() }
    if body then
      lines[#lines + 1] = "Content-Type: application/json"
      lines[#lines + 1] = "Content-Length: " .. #body
    end
    for _, l in ipairs(extra or {}) do lines[#lines + 1] = l end
    return table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")
  end

  -- write bytes on one TCP connection, return every byte that came back
  -- until the server closed it (bounded by `timeout 10`)
  local function raw_exchange(bytes)
    local req, out = os.tmpname(), os.tmpname()
    write_file(req, bytes)
    os.execute(("timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/%s; cat %s >&3; cat <&3' > %s 2>/dev/null")
      :format(srv.url:match(":(%d+)$"), req, out))
    local got = read_file(out) or ""
    os.remove(req)
    os.remove(out)
    return got
  end

  -- the curl command line: "<http code> <bytes downloaded>", exit code, response headers
  local function curl(args)
    local hdr = os.tmpname()
    local out = shell(("curl -s -o /dev/null -D %s -w '%%{http_code} %%{size_download}' --max-time 60 %s; echo \" $?\"")
      :format(hdr, args))
    local headers = read_file(hdr) or ""
    os.remove(hdr)
    local code, size, rc = out:match("^(%d+) (%d+) (%d+)")
    return tonumber(code), tonumber(size), tonumber(rc), headers
  end

  local function curl_auth()
    return "-u '" .. srv.username .. ":" .. srv.password .. "'"
  end

  local function count_status_lines(bytes)
    local n = 0
    for _ in bytes:gmatch("HTTP/1%.1 %d%d%d ") do n = n + 1 end
    return n
  end

  describe("counting what reached it", function()
    it("creates a contact with 201 and a Location, and merges a known email (any case) with 200", function()
      local status, headers, body = call("POST", "/api/contacts/new", '{"email":"ann@example.com","firstname":"Ann"}')
      assert.equal(201, status)
      assert.equal("/api/contacts/1", headers["location"])
      assert.equal("5.1.0", headers["mautic-version"])
      local c = decode(body).contact
      assert.equal(1, c.id)
      assert.equal("ann@example.com", c.fields.all.email)
      assert.equal("Ann", c.fields.all.firstname)

      status, headers, body = call("POST", "/api/contacts/new", '{"email":"ANN@example.com","lastname":"Lee"}')
      assert.equal(200, status)
      assert.is_nil(headers["location"])
      c = decode(body).contact
      assert.equal(1, c.id)
      assert.equal("Ann", c.fields.all.firstname)
      assert.equal("Lee", c.fields.all.lastname)
      assert.equal(1, #contacts())
    end)

    it("counts every create of a known email, each merged into the one contact", function()
      local got = {}
      for i = 1, 3 do got[i] = (call("POST", "/api/contacts/new", '{"email":"dup@example.com"}')) end
      assert.same({ 201, 200, 200 }, got)
      assert.equal(1, #contacts())
      assert.equal(3, srv:arrivals("contacts:dup@example.com"))
      assert.equal(3, srv:arrivals("POST /api/contacts/new"))
    end)

    it("refuses requests without valid credentials with Mautic's 401 bodies and no Mautic-Version", function()
      local status, headers, body = call("GET", "/api/contacts", nil, { Authorization = false })
      assert.equal(401, status)
      assert.is_nil(headers["mautic-version"])
      assert.same({ errors = { { message = "API authorization denied.", code = 401, type = "access_denied" } } },
                  decode(body))

      status, headers, body = call("GET", "/api/contacts", nil,
                                   { Authorization = "Basic " .. core.b64encode("admin:wrong") })
      assert.equal(401, status)
      assert.is_nil(headers["mautic-version"])
      assert.equal("Authorization denied, invalid credentials.", decode(body).errors[1].message)

      status, headers, body = call("GET", "/api/contacts", nil, { Authorization = "Bearer nonsense" })
      assert.equal(401, status)
      assert.is_nil(headers["mautic-version"])
      assert.same({ message = "The access token provided is invalid.", code = 401, type = "invalid_grant" },
                  decode(body).errors[1])
      local refused = {}
      for _, r in ipairs(srv:log()) do
        if r.status == 401 then refused[#refused + 1] = r.auth end
      end
      assert.same({ "none", "basic:admin", "bearer" }, refused)
      assert.same({}, srv:arrivals())          -- none reached a controller
    end)

    it("creates batches with per-row status codes, errors keyed by input index, and a 500 above batch_limit", function()
      local status, _, body = call("POST", "/api/contacts/batch/new",
        '[{"email":"a@example.com"},{"email":"b@example.com"}]')
      assert.equal(201, status)
      local r = decode(body)
      assert.same({ 201, 201 }, r.statusCodes)
      assert.equal("b@example.com", r.contacts[2].fields.all.email)

      -- an empty row is an anonymous contact, as a POST {} is in Mautic
      status, _, body = call("POST", "/api/contacts/batch/new",
        '[{"email":"A@example.com","firstname":"A"},{},{"email":"not-an-email"},{"email":"c@example.com"}]')
      assert.equal(201, status)
      r = decode(body)
      assert.same({ 200, 201, 400, 201 }, r.statusCodes)
      assert.equal(1, r.contacts["0"].id)
      assert.equal(3, r.contacts["1"].id)
      assert.equal(4, r.contacts["3"].id)
      assert.is_nil(r.contacts["2"])
      assert.equal(400, r.errors["2"].code)
      assert.same({ "not-an-email is invalid." }, r.errors["2"].details.email)

      srv:config{ batch_limit = 2 }
      status, _, body = call("POST", "/api/contacts/batch/new", '[{"email":"x@e.io"},{"email":"y@e.io"},{"email":"z@e.io"}]')
      assert.equal(500, status)
      assert.equal("A max of 2 entities are supported at a time.", decode(body).errors[1].message)

      assert.equal(4, #contacts())
      assert.equal(2, srv:arrivals("contacts:a@example.com"))
      assert.equal(1, srv:arrivals("contacts:"))
      assert.equal(3, srv:arrivals("POST /api/contacts/batch/new"))   -- the refused batch reached the controller
      assert.equal(0, srv:arrivals("contacts:x@e.io"))                -- but none of its rows
    end)

    it("gets, patches, puts and deletes contacts, with 404 for missing ones and PUT creating with a fresh id", function()
      call("POST", "/api/contacts/new", '{"email":"g@example.com"}')
      local status, _, body = call("GET", "/api/contacts/1")
      assert.equal(200, status)
      assert.equal("g@example.com", decode(body).contact.fields.all.email)
      status, _, body = call("GET", "/api/contacts/99")
      assert.equal(404, status)
      assert.equal("Item was not found.", decode(body).errors[1].message)

      status, _, body = call("PATCH", "/api/contacts/1/edit", '{"firstname":"Gil"}')
      assert.equal(200, status)
      assert.equal("Gil", decode(body).contact.fields.all.firstname)
      assert.equal(404, (call("PATCH", "/api/contacts/99/edit", '{"firstname":"X"}')))

      status, _, body = call("PUT", "/api/contacts/1/edit", '{"email":"g@example.com"}')
      assert.equal(200, status)
      assert.equal(cjson.null, decode(body).contact.fields.all.firstname)   -- cleared: Mautic answers null
      local headers
      status, headers, body = call("PUT", "/api/contacts/99/edit", '{"email":"new@example.com"}')
      assert.equal(201, status)
      assert.equal(2, decode(body).contact.id)
      assert.equal("/api/contacts/2", headers["location"])

      status, _, body = call("DELETE", "/api/contacts/1/delete")
      assert.equal(200, status)
      assert.equal(cjson.null, decode(body).contact.id)
      assert.equal(404, (call("DELETE", "/api/contacts/1/delete")))
      assert.equal(1, #contacts())
      assert.equal(2, srv:arrivals("DELETE /api/contacts/1/delete"))
      assert.equal(1, srv:arrivals("PATCH /api/contacts/1/edit"))
      assert.equal(1, srv:arrivals("PUT /api/contacts/1/edit"))
    end)

    it("deletes contacts in batch by ids", function()
      call("POST", "/api/contacts/batch/new", '[{"email":"1@e.io"},{"email":"2@e.io"},{"email":"3@e.io"}]')
      local status, _, body = call("DELETE", "/api/contacts/batch/delete?ids=1,3,99")
      assert.equal(200, status)
      local r = decode(body)
      assert.equal(2, #r.contacts)
      assert.equal(3, r.contacts[2].id)
      local left = contacts()
      assert.equal(1, #left)
      assert.equal(2, left[1].id)
    end)

    it("lists contacts as an object keyed by id, in the server's order, with total as a string", function()
      call("POST", "/api/contacts/batch/new", '[{"email":"1@e.io"},{"email":"2@e.io"},{"email":"3@e.io"}]')
      local status, _, body = call("GET", "/api/contacts?start=0&limit=2&orderBy=id&orderByDir=DESC")
      assert.equal(200, status)
      local r = decode(body)
      assert.equal("3", r.total)
      assert.truthy(r.contacts["3"] and r.contacts["2"])
      assert.is_nil(r.contacts["1"])
      assert.truthy(body:find('"3":{', 1, true) < body:find('"2":{', 1, true))
      _, _, body = call("GET", "/api/contacts?start=2&limit=2&orderBy=id&orderByDir=DESC")
      r = decode(body)
      assert.equal("1@e.io", r.contacts["1"].fields.all.email)
      _, _, body = call("GET", "/api/contacts?search=email:2%25")
      assert.equal("1", decode(body).total)
      _, _, body = call("GET", "/api/contacts?start=5")
      assert.equal('{"total":"3","contacts":{}}', body)
    end)

    it("adds points to a contact, with or without a JSON body", function()
      call("POST", "/api/contacts/new", '{"email":"p@example.com"}')
      local status, _, body = call("POST", "/api/contacts/1/points/plus/5")
      assert.equal(200, status)
      assert.same({ success = 1 }, decode(body))
      assert.equal(200, (call("POST", "/api/contacts/1/points/plus/2", '{"eventName":"api"}')))
      assert.equal(404, (call("POST", "/api/contacts/7/points/plus/2")))
      assert.equal(7, contacts()[1].points)
      assert.equal(3, srv:arrivals("POST /api/contacts/1/points/plus/5") + srv:arrivals("POST /api/contacts/1/points/plus/2")
                      + srv:arrivals("POST /api/contacts/7/points/plus/2"))
    end)

    it("creates a note for every request, never merging", function()
      call("POST", "/api/contacts/new", '{"email":"n@example.com"}')
      local before = #srv:state("notes")
      for _ = 1, 2 do
        local status, headers, body = call("POST", "/api/notes/new", '{"text":"called","lead":1}')
        assert.equal(201, status)
        assert.truthy(headers["location"]:match("^/api/notes/%d+$"))
        assert.equal("called", decode(body).note.text)
      end
      assert.equal(before + 2, #srv:state("notes"))
      assert.equal(2, srv:arrivals("notes:called"))
    end)

    it("issues tokens for client_credentials (without a refresh token) and rotates refresh tokens", function()
      local form = { ["Content-Type"] = "application/x-www-form-urlencoded", Authorization = false }
      local status, headers, body = call("POST", "/oauth/v2/token",
        "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret", form)
      assert.equal(200, status)
      assert.is_nil(headers["mautic-version"])
      local t = decode(body)
      assert.equal("bearer", t.token_type)
      assert.equal(3600, t.expires_in)
      assert.is_nil(t.refresh_token)                -- as Mautic answers client_credentials
      assert.equal(200, (call("GET", "/api/contacts", nil, { Authorization = "Bearer " .. t.access_token })))

      local held = srv:issue_token{ refresh = true }      -- a pair a client got earlier
      local refresh = "grant_type=refresh_token&client_id=fake-client&client_secret=fake-secret&refresh_token="
      status, headers, body = call("POST", "/oauth/v2/token", refresh .. held.refresh_token, form)
      assert.equal(200, status)
      assert.matches("no-store", headers["cache-control"], 1, true)
      local t2 = decode(body)
      assert.are_not.equal(held.refresh_token, t2.refresh_token)
      status, headers, body = call("POST", "/oauth/v2/token", refresh .. held.refresh_token, form)
      assert.equal(400, status)
      assert.is_nil(headers["mautic-version"])
      assert.same({ errors = { { message = "Invalid refresh token", code = 400, type = "invalid_grant" } } },
                  decode(body))
      status, headers, body = call("POST", "/oauth/v2/token",
        "grant_type=client_credentials&client_id=fake-client&client_secret=nope", form)
      assert.equal(400, status)
      assert.is_nil(headers["mautic-version"])
      assert.equal("invalid_client", decode(body).errors[1].type)

      assert.equal(4, srv:count("^/oauth/v2/token$"))
      assert.equal(2, srv:count("^/oauth/v2/token$", 200))    -- one issued, one refreshed
      assert.equal(2, srv:count("^/oauth/v2/token$", 400))    -- refused
      local alive = 0
      for _, r in pairs(srv:tokens().oauth2.refresh_tokens) do
        if not r.expired then alive = alive + 1 end
      end
      assert.equal(1, alive)                                  -- the used one is gone
    end)

    it("rejects bearer tokens once they expire, server-side on demand or by token_ttl", function()
      local held = srv:issue_token()
      local bearer = { Authorization = "Bearer " .. held.access_token }
      assert.equal(200, (call("GET", "/api/contacts", nil, bearer)))
      assert.equal(2, srv:expire_tokens())                    -- the access and the refresh token
      local status, headers, body = call("GET", "/api/contacts", nil, bearer)
      assert.equal(401, status)
      assert.is_nil(headers["mautic-version"])
      assert.same({ errors = { { message = "The access token provided has expired.", code = 401,
                                 type = "invalid_grant" } } }, decode(body))

      srv:config{ token_ttl = 0 }
      local fresh = srv:issue_token()
      assert.equal(401, (call("GET", "/api/contacts", nil, { Authorization = "Bearer " .. fresh.access_token })))
      assert.equal(2, srv:count{ status = 401, path = "^/api/" })
      assert.equal(0, srv:count("^/oauth/v2/token$"))          -- tokens issued by the admin side are not requests
    end)

    it("writes JSON the way PHP does: \\/ for / and \\uXXXX in lower case for non-ASCII", function()
      local _, _, body = call("POST", "/api/contacts/new", '{"email":"e@example.com","city":"Saint-\\u00c9tienne/Loire"}')
      assert.truthy(body:find('"city":"Saint-\\u00c9tienne\\/Loire"', 1, true))
      assert.equal("Saint-\195\137tienne/Loire", decode(body).contact.fields.all.city)
      _, _, body = call("GET", "/api/nowhere")
      assert.truthy(body:find("Requested URL not found: \\/api\\/nowhere", 1, true))
    end)

    it("counts requests, routes, arrivals and connections, but not its own admin requests", function()
      call("POST", "/api/contacts/new", '{"email":"c@example.com"}')
      call("GET", "/api/contacts/1")
      call("GET", "/api/unknown")
      srv:counters()
      local c = srv:counters()
      assert.equal(3, c.requests)
      assert.equal(1, srv:count("^/api/contacts/new$"))
      assert.equal(1, srv:count("^/api/contacts/1$"))
      assert.equal(1, srv:count("^/api/unknown$"))
      assert.equal(1, c.arrivals["contacts:c@example.com"])
      assert.is_nil(c.arrivals["GET /api/unknown"])           -- a route 404 reaches no controller
      assert.equal(3, c.connections)
      assert.equal(0, c.reused)
    end)
  end)

  describe("faults", function()
    it("store_then_drop on a reused connection stores the write, counts its arrival, and closes without an answer", function()
      faults{ { path = "^/api/contacts/new$", method = "POST", action = "store_then_drop", reused_only = true } }
      local got = raw_exchange(http("POST", "/api/contacts/new", '{"email":"first@example.com"}') ..
                               http("POST", "/api/contacts/new", '{"email":"second@example.com"}'))
      assert.equal(1, count_status_lines(got))          -- the second request got no answer at all
      assert.truthy(got:find("^HTTP/1%.1 201 "))
      assert.truthy(got:find("first@example.com", 1, true))
      assert.falsy(got:find("second@example.com", 1, true))
      assert.equal(1, srv:arrivals("contacts:first@example.com"))
      assert.equal(1, srv:arrivals("contacts:second@example.com"))
      assert.equal(2, #contacts())                      -- stored before the drop
      local f = srv:faults()[1]
      assert.equal(1, f.fired)
      assert.equal(1, f.matched)                        -- the first request on the connection never matched
      local c = srv:counters()
      assert.equal(1, c.reused)
      assert.equal(1, c.connections)
      assert.equal(444, srv:last("POST").status)
      assert.equal("store_then_drop", srv:last("POST").fault)
    end)

    it("counts every arrival of a write that a client sends again after a drop, and Mautic merges the resend", function()
      faults{ { path = "^/api/contacts/new$", action = "store_then_drop", reused_only = true, count = 0 } }
      -- curl sends both on one connection; libcurl may resend the second on a new one
      local url = srv.url .. "/api/contacts/new"
      shell(("curl -s -o /dev/null --max-time 20 %s -H 'Content-Type: application/json' -d '{\"email\":\"one@e.io\"}' %s " ..
             "--next %s -H 'Content-Type: application/json' -d '{\"email\":\"two@e.io\"}' %s")
        :format(curl_auth(), url, curl_auth(), url))
      local arrivals = srv:arrivals("contacts:two@e.io")
      assert.truthy(arrivals >= 1)
      assert.equal(srv:count("^/api/contacts/new$"), 1 + arrivals)
      local stored = 0
      for _, c in ipairs(contacts()) do
        if c.fields.all.email == "two@e.io" then stored = stored + 1 end
      end
      assert.equal(1, stored)                            -- each arrival merged: a resent create is no duplicate
    end)

    it("lets the first request on each connection through when reused_only is set", function()
      faults{ { path = "^/api/", action = "drop", reused_only = true, count = 0 } }
      for i = 1, 3 do
        assert.equal(201, (call("POST", "/api/contacts/new", '{"email":"f' .. i .. '@e.io"}')))
      end
      local f = srv:faults()[1]
      assert.equal(0, f.fired)
      assert.equal(0, f.matched)
    end)

    it("drop closes the connection without an answer, storing nothing", function()
      faults{ { path = "^/api/contacts/new$", action = "drop", count = 0 } }
      local code, _, rc = curl(curl_auth() .. " -H 'Content-Type: application/json' -d '{\"email\":\"d@e.io\"}' " ..
                               srv.url .. "/api/contacts/new")
      assert.equal(0, code)
      assert.equal(52, rc)                               -- curl: empty reply from server
      assert.is_nil((call("POST", "/api/contacts/new", '{"email":"d@e.io"}')))
      assert.equal(0, srv:arrivals("contacts:d@e.io"))
      assert.equal(0, #contacts())
      assert.equal(2, srv:faults()[1].fired)
      assert.equal(2, srv:count("^/api/contacts/new$"))
    end)

    it("drop = true is the same fault (the short form)", function()
      faults{ { path = "^/api/contacts/new$", drop = true } }
      assert.is_nil((call("POST", "/api/contacts/new", '{"email":"d@e.io"}')))
      assert.equal("drop", srv:faults()[1].action)
      assert.equal(201, (call("POST", "/api/contacts/new", '{"email":"d@e.io"}')))   -- count 1 by default
    end)

    it("store_then_500 stores, then answers Mautic's bare 500", function()
      faults{ { path = "^/api/contacts/new$", action = "store_then_500" } }
      local status, headers, body = call("POST", "/api/contacts/new", '{"email":"five@e.io"}')
      assert.equal(500, status)
      assert.is_nil(headers["mautic-version"])
      assert.same({ errors = { { code = 500, type = cjson.null, message =
        "Looks like I encountered an error (error #500). If I do it again, please report me to the system administrator!" } } },
        decode(body))
      assert.equal(1, #contacts())
    end)

    it("status answers a gateway error or any status, with a body and headers, storing nothing", function()
      faults{ { path = "^/api/contacts/new$", action = "status", status = 502, count = 1 },
              { path = "^/api/contacts/new$", action = "status", status = 418, body = "teapot", count = 0,
                headers = { ["X-Fake"] = "yes" }, content_type = "text/plain" } }
      local status, headers, body = call("POST", "/api/contacts/new", '{"email":"s@e.io"}')
      assert.equal(502, status)
      assert.truthy(headers["content-type"]:find("text/html", 1, true))
      assert.truthy(body:find("502 Bad Gateway", 1, true))
      status, headers, body = call("POST", "/api/contacts/new", '{"email":"s@e.io"}')
      assert.equal(418, status)
      assert.equal("teapot", body)
      assert.equal("yes", headers["x-fake"])
      assert.equal("text/plain", headers["content-type"])
      assert.equal(0, #contacts())
      assert.equal(0, srv:arrivals("contacts:s@e.io"))
      assert.equal(2, fired())
    end)

    it("status with store = true answers the status after storing", function()
      faults{ { path = "^/api/contacts/new$", action = "status", status = 503, store = true } }
      assert.equal(503, (call("POST", "/api/contacts/new", '{"email":"s3@e.io"}')))
      assert.equal(1, #contacts())
    end)

    it("store_then_delay stores, then answers only after the client's timeout has fired", function()
      faults{ { path = "^/api/contacts/new$", action = "store_then_delay", delay = 3 } }
      local status = call("POST", "/api/contacts/new", '{"email":"slow@e.io"}', nil, { timeout = 0.5 })
      assert.is_nil(status)
      -- served while the write's answer still waits
      assert.equal(1, #contacts())
      assert.equal(1, srv:arrivals("contacts:slow@e.io"))
    end)

    it("delay waits, then lets Mautic answer", function()
      faults{ { path = "^/api/contacts/new$", delay = 0.2 } }
      local status = call("POST", "/api/contacts/new", '{"email":"late@e.io"}')
      assert.equal(201, status)
      assert.equal("delay", srv:faults()[1].action)
    end)

    it("empty_2xx stores, then answers the handler's 2xx status with an empty body", function()
      faults{ { path = "^/api/contacts/new$", action = "empty_2xx" } }
      local status, headers, body = call("POST", "/api/contacts/new", '{"email":"empty@e.io"}')
      assert.equal(201, status)
      assert.equal("", body)
      assert.equal("0", headers["content-length"])
      assert.equal(1, #contacts())
    end)

    it("garbage_status writes a status line that is not HTTP, then closes", function()
      faults{ { path = "^/api/contacts$", action = "garbage_status", count = 0 } }
      local got = raw_exchange(http("GET", "/api/contacts", nil, { "Connection: close" }))
      assert.equal("HTTP/1.1 2x0 OK\r\n", got:sub(1, 17))
      assert.is_nil((call("GET", "/api/contacts")))
    end)

    it("garbage_status with variant random writes seeded random bytes", function()
      local rule = { path = "^/api/contacts$", action = "garbage_status", variant = "random", bytes = 32 }
      faults{ rule }
      local a = raw_exchange(http("GET", "/api/contacts"))
      faults{ rule }
      local b = raw_exchange(http("GET", "/api/contacts"))
      assert.equal(32, #a)
      assert.equal(a, b)
      assert.falsy(a:find("^HTTP"))
    end)

    it("non_http writes bytes that are not HTTP at all, then closes", function()
      faults{ { path = "^/api/", action = "non_http", count = 0 } }
      local got = raw_exchange(http("POST", "/api/contacts/new", '{"email":"n@e.io"}'))
      assert.equal("SSH-2.0-fake-mautic\r\n", got)
      assert.is_nil((call("GET", "/api/contacts")))
      assert.equal(0, #contacts())
    end)

    it("huge_body streams the given number of bytes, with a Content-Length or chunked", function()
      local bytes = 3 * 1024 * 1024 + 17
      faults{ { path = "^/api/contacts$", action = "huge_body", bytes = bytes } }
      local code, size, rc, headers = curl(curl_auth() .. " " .. srv.url .. "/api/contacts")
      assert.equal(0, rc)
      assert.equal(200, code)
      assert.equal(bytes, size)
      assert.truthy(headers:lower():find("content-length: " .. bytes, 1, true))

      faults{ { path = "^/api/contacts$", action = "huge_body", bytes = bytes, chunked = true, count = 0 } }
      code, size, rc, headers = curl(curl_auth() .. " " .. srv.url .. "/api/contacts")
      assert.equal(0, rc)
      assert.equal(200, code)
      assert.equal(bytes, size)
      assert.truthy(headers:lower():find("transfer-encoding: chunked", 1, true))
      assert.falsy(headers:lower():find("content-length", 1, true))

      local status, _, body = call("GET", "/api/contacts")
      assert.equal(200, status)
      assert.equal('{"total":"1","contacts":{"1":{"id":1,"pad":"xxx', body:sub(1, 47))
      assert.equal('xx"}}}', body:sub(-6))
    end)

    it("huge_body with truncate closes the connection halfway through the announced body", function()
      faults{ { path = "^/api/contacts$", action = "huge_body", bytes = 1000000, truncate = true } }
      local code, size, rc = curl(curl_auth() .. " " .. srv.url .. "/api/contacts")
      assert.equal(200, code)
      assert.equal(500000, size)
      assert.equal(18, rc)                               -- curl: partial file
    end)

    it("repeat_pages answers the first page whatever the start, with a total larger than that page", function()
      call("POST", "/api/contacts/batch/new", '[{"email":"1@e.io"},{"email":"2@e.io"},{"email":"3@e.io"}]')
      faults{ { path = "^/api/contacts$", method = "GET", action = "repeat_pages", count = 0 } }
      local _, _, p1 = call("GET", "/api/contacts?start=0&limit=2&orderBy=id&orderByDir=ASC")
      local _, _, p2 = call("GET", "/api/contacts?start=2&limit=2&orderBy=id&orderByDir=ASC")
      assert.equal(p1, p2)
      local r = decode(p2)
      assert.truthy(r.contacts["1"] and r.contacts["2"])
      assert.truthy(tonumber(r.total) > 2)
      assert.equal(2, srv:faults()[1].fired)
    end)

    it("bad_list sends a list with an id twice, a negative total, or a total that is not a number", function()
      call("POST", "/api/contacts/batch/new", '[{"email":"1@e.io"},{"email":"2@e.io"}]')
      faults{ { path = "^/api/contacts$", action = "bad_list", variant = "repeated_key", count = 1 },
              { path = "^/api/contacts$", action = "bad_list", variant = "negative_total", count = 1 },
              { path = "^/api/contacts$", action = "bad_list", variant = "text_total", count = 0 } }
      local status, _, body = call("GET", "/api/contacts")
      assert.equal(200, status)
      local n = 0
      for _ in body:gmatch('"1":{') do n = n + 1 end
      assert.equal(2, n)
      assert.equal("2", decode(body).total)
      _, _, body = call("GET", "/api/contacts")
      assert.equal("-5", decode(body).total)
      _, _, body = call("GET", "/api/contacts")
      assert.equal("many", decode(body).total)
    end)

    describe("token_garbage", function()
      local form = { ["Content-Type"] = "application/x-www-form-urlencoded", Authorization = false }
      local grant = "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret"
      local function token_with(variant)
        faults{ { path = "^/oauth/v2/token$", action = "token_garbage", variant = variant } }
        return call("POST", "/oauth/v2/token", grant, form)
      end
      local function issued()
        local n = 0
        for _ in pairs(srv:tokens().oauth2.access_tokens) do n = n + 1 end
        return n
      end

      it("answers an HTML page with 200 (variant html)", function()
        local status, headers, body = token_with("html")
        assert.equal(200, status)
        assert.truthy(headers["content-type"]:find("text/html", 1, true))
        assert.truthy(body:find("<html>", 1, true))
        assert.equal(0, issued())
      end)

      it("answers JSON without a token (variant no_token)", function()
        local status, _, body = token_with("no_token")
        assert.equal(200, status)
        assert.equal('{"foo":1}', body)
      end)

      it("answers an access token holding CR LF and a header line (variant crlf)", function()
        local status, _, body = token_with("crlf")
        assert.equal(200, status)
        local t = decode(body)
        assert.truthy(t.access_token:find("\r\nX-Injected: 1", 1, true))
        assert.equal(3600, t.expires_in)
        assert.equal(1, issued())                      -- a real token was issued, then spoilt
      end)

      it("answers a token cut in the middle (variant truncated)", function()
        local status, _, body = token_with("truncated")
        assert.equal(200, status)
        assert.truthy(body:find('^{"access_token":"'))
        assert.is_false((pcall(cjson.decode, body)))
        assert.equal(1, srv:count("^/oauth/v2/token$"))
      end)
    end)

    describe("echo_secret", function()
      it("echoes the Basic password and the bearer token in PHP-style JSON", function()
        srv:config{ users = { admin = "pa/ss\195\169" } }
        faults{ { path = "^/api/", action = "echo_secret", count = 0 } }
        local status, headers, body = call("GET", "/api/contacts")
        assert.equal(400, status)
        assert.is_nil(headers["mautic-version"])
        assert.truthy(body:find('password \\"pa\\/ss\\u00e9\\"', 1, true))
        assert.falsy(body:find("pa/ss", 1, true))
        assert.truthy(decode(body).errors[1].message:find('password "pa/ss\195\169"', 1, true))

        status, headers, body = call("GET", "/api/contacts", nil, { Authorization = "Bearer tok/en" })
        assert.equal(400, status)
        assert.equal("application/json", headers["content-type"])
        assert.truthy(body:find('token \\"tok\\/en\\"', 1, true))
      end)

      it("echoes client_secret and refresh_token from a token request, in the forms asked for", function()
        faults{ { path = "^/oauth/", action = "echo_secret", forms = { "json", "percent", "form", "base64" } } }
        local _, _, body = call("POST", "/oauth/v2/token",
          "grant_type=refresh_token&client_id=c&client_secret=s%2F+%C3%A9&refresh_token=r1",
          { ["Content-Type"] = "application/x-www-form-urlencoded", Authorization = false })
        local msg = decode(body).errors[1].message
        assert.truthy(msg:find('client_secret (json) "s/ \195\169"', 1, true))
        assert.truthy(msg:find('client_secret (percent) "s%2F%20%C3%A9"', 1, true))
        assert.truthy(msg:find('client_secret (form) "s%2F+%C3%A9"', 1, true))
        assert.truthy(msg:find('client_secret (base64) "' .. core.b64encode("s/ \195\169") .. '"', 1, true))
        assert.truthy(msg:find('refresh_token (json) "r1"', 1, true))
      end)

      it("never writes the secrets it echoes into its own log", function()
        faults{ { path = "^/api/", action = "echo_secret" } }
        call("GET", "/api/contacts")
        local entry = srv:last("GET", "^/api/contacts$")
        assert.equal("<redacted>", entry.headers.authorization)
        assert.equal(400, entry.status)
      end)
    end)

    describe("retry_after", function()
      it("answers 429 with Retry-After in seconds and Mautic's X-RateLimit headers", function()
        faults{ { path = "^/api/", action = "retry_after", retry_after = 2, limit = 5 } }
        local status, headers, body = call("GET", "/api/contacts")
        assert.equal(429, status)
        assert.equal("2", headers["retry-after"])
        assert.equal("5", headers["x-ratelimit-limit"])
        assert.equal("0", headers["x-ratelimit-remaining"])
        assert.truthy(headers["x-ratelimit-reset"]:match("^%d+$"))
        assert.is_nil(headers["mautic-version"])
        assert.equal(429, decode(body).errors[1].code)
      end)

      it("gives Retry-After as an HTTP-date (IMF-fixdate) with retry_after_date", function()
        faults{ { path = "^/api/", action = "retry_after", retry_after = 3, retry_after_date = true } }
        local _, headers = call("GET", "/api/contacts")
        assert.truthy(headers["retry-after"]:match("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$"))
      end)

      it("sends no Retry-After at all by default, as Mautic does", function()
        faults{ { path = "^/api/", action = "retry_after" } }
        local status, headers = call("GET", "/api/contacts")
        assert.equal(429, status)
        assert.is_nil(headers["retry-after"])
        assert.truthy(headers["x-ratelimit-reset"])
      end)
    end)

    describe("selection", function()
      local function outcomes(n)
        local s = assert(core.session())
        local out = {}
        for i = 1, n do
          local status = s:request{ url = srv.url .. "/api/contacts/" .. i,
                                    headers = { Authorization = basic_auth() }, timeout = 10 }
          assert(status == 503 or status == 404, status)
          out[i] = status == 503 and "x" or "."
        end
        s:close()
        return table.concat(out)
      end

      it("fires p faults from a generator seeded by the seed: the same seed gives the same faults", function()
        local rule = { path = "^/api/contacts/%d+$", action = "status", status = 503, p = 0.5, count = 0 }
        faults{ rule }
        local a = outcomes(40)
        faults{ rule }
        local b = outcomes(40)
        srv:reset()
        faults{ rule }
        local c = outcomes(40)
        assert.equal(a, b)
        assert.equal(a, c)
        assert.truthy(a:find("x", 1, true) and a:find(".", 1, true))
        local seeded = { path = rule.path, action = "status", status = 503, p = 0.5, count = 0, seed = 7 }
        faults{ seeded }
        assert.are_not.equal(a, outcomes(40))
        srv:reset{ seed = 7 }
        faults{ rule }
        local d = outcomes(40)
        faults{ seeded }
        assert.equal(d, outcomes(40))
      end)

      it("fires every n-th match, after skip, at most count times", function()
        faults{ { path = "^/api/contacts/%d+$", action = "status", status = 503, every = 3, count = 0 } }
        assert.equal("..x..x..x.", outcomes(10))
        faults{ { path = "^/api/contacts/%d+$", action = "status", status = 503, skip = 2, count = 2 } }
        assert.equal("..xx......", outcomes(10))
        local f = srv:faults()[1]
        assert.same({ "status", 10, 2 }, { f.action, f.matched, f.fired })
      end)

      it("tries faults in order, and a fault that does not fire lets the next one try", function()
        faults{ { path = "^/api/contacts/%d+$", action = "status", status = 503, count = 1 },
                { path = "^/api/contacts/%d+$", method = "GET", action = "status", status = 504, every = 2, count = 0 },
                { path = "^/api/contacts/%d+$", method = "POST", action = "status", status = 503, count = 0 } }
        local s = assert(core.session())
        local got = {}
        for i = 1, 4 do
          got[i] = s:request{ url = srv.url .. "/api/contacts/" .. i,
                              headers = { Authorization = basic_auth() }, timeout = 10 }
        end
        s:close()
        assert.same({ 503, 404, 504, 404 }, got)
        local list = srv:faults()
        assert.equal(1, list[1].fired)
        assert.equal(3, list[2].matched)
        assert.equal(0, list[3].matched)
      end)

      it("refuses unknown actions, fields, variants, bad patterns and unknown configuration", function()
        assert.has_error(function() srv:fault{ action = "explode" } end)
        assert.has_error(function() srv:fault{ action = "drop", pth = "^/api" } end)
        assert.has_error(function() srv:fault{ action = "token_garbage", variant = "xml" } end)
        assert.has_error(function() srv:fault{ action = "drop", path = "[" } end)
        assert.has_error(function() srv:fault{ action = "drop", every = 0 } end)
        assert.has_error(function() srv:fault{ action = "store_then_drop", store = false } end)
        assert.has_error(function() srv:fault{} end)
        assert.has_error(function() srv:config{ merge = true } end)
        assert.has_error(function() srv:config{ token_ttl = "long" } end)
        -- an array is added whole or not at all
        assert.has_error(function() srv:fault{ { action = "drop" }, { action = "explode" } } end)
        assert.equal(0, #srv:faults())
      end)
    end)
  end)
end)
