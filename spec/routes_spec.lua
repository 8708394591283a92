-- Walks every route of reference/routes.txt (343 of them), calls the Lua
-- function that covers it against the fake Mautic server, and checks from
-- the fake's request log what went over the wire: the method, the path
-- with its placeholders filled, and the query and body the route needs.
-- The fake's answer is not checked here (other specs do that).
local fake = require "support.fake"
local json = require "mautic.json"
local query = require "mautic.query"
local W = require "mautic.where"

local EXPECTED_ROUTES = 343
local unpack = table.unpack or unpack

-- ../shared/reference/routes.txt in a work tree next to shared/, else the
-- copy committed with the specs.
local function routes_file()
  for _, p in ipairs{ "../shared/reference/routes.txt", "spec/fixtures/routes.txt" } do
    local f = io.open(p)
    if f then return f, p end
  end
  error("routes.txt not found (../shared/reference/routes.txt or spec/fixtures/routes.txt)")
end

local function read_routes()
  local f, name = routes_file()
  local routes = {}
  for line in f:lines() do
    if not line:match("^%s*#") and line:match("%S") then
      local method, path = line:match("^(%u+)%s+(%S+)")
      assert(method, name .. ": cannot read line: " .. line)
      routes[#routes + 1] = { method = method, path = path }
    end
  end
  f:close()
  return routes
end

------------------------------------------------------------------------------
-- Route -> Lua function. Key: "METHOD PATH" exactly as in routes.txt.
-- Entry: { family, verb, args = { call arguments }, fill = { placeholder = value as sent },
--          query = { expected query (subset) }, body = { expected JSON body (subset) },
--          form = { expected form body (subset) }, multipart = { strings the body holds },
--          noauth = true (no Authorization header), url = true (builds a URL, no request) }
------------------------------------------------------------------------------
local MAP = {}

local function add(key, entry)
  assert(MAP[key] == nil, "two entries for " .. key)
  MAP[key] = entry
end

-- the families with the standard CRUD routes, by Mautic path
local CRUD = {
  assets = "/assets", campaigns = "/campaigns", categories = "/categories", companies = "/companies",
  contacts = "/contacts", devices = "/devices", dynamic_contents = "/dynamiccontents", emails = "/emails",
  contact_fields = "/fields/contact", company_fields = "/fields/company", focus = "/focus", forms = "/forms",
  webhooks = "/hooks", messages = "/messages", notes = "/notes", notifications = "/notifications",
  pages = "/pages", points = "/points", point_groups = "/points/groups", point_triggers = "/points/triggers",
  roles = "/roles", segments = "/segments", smses = "/smses", stages = "/stages", tags = "/tags",
  tweets = "/tweets", users = "/users",
}

for fam, p in pairs(CRUD) do
  local a = "/api" .. p
  add("GET " .. a, { fam, "list", args = { { search = "golden", start = 0, limit = 2, orderBy = "id", orderByDir = "desc" } },
    query = { search = "golden", start = "0", limit = "2", orderBy = "id", orderByDir = "desc" } })
  add("GET " .. a .. "/{id}", { fam, "get", args = { 7 }, fill = { id = 7 } })
  add("POST " .. a .. "/new", { fam, "create", args = { { name = "Wire test" } }, body = { name = "Wire test" } })
  add("PUT " .. a .. "/{id}/edit", { fam, "edit", args = { 7, { name = "Put" }, { create = true } },
    fill = { id = 7 }, body = { name = "Put" } })
  add("PATCH " .. a .. "/{id}/edit", { fam, "edit", args = { 7, { name = "Patch" } },
    fill = { id = 7 }, body = { name = "Patch" } })
  add("DELETE " .. a .. "/{id}/delete", { fam, "delete", args = { 7 }, fill = { id = 7 } })
  add("POST " .. a .. "/batch/new", { fam, "create_batch", args = { { { name = "A" }, { name = "B" } } },
    body = { { name = "A" }, { name = "B" } } })
  add("PUT " .. a .. "/batch/edit", { fam, "edit_batch", args = { { { id = 7, name = "A" } }, { create = true } },
    body = { { id = 7, name = "A" } } })
  add("PATCH " .. a .. "/batch/edit", { fam, "edit_batch", args = { { { id = 7, name = "A" }, { id = 8, name = "B" } } },
    body = { { id = 7, name = "A" }, { id = 8, name = "B" } } })
  add("DELETE " .. a .. "/batch/delete", { fam, "delete_batch", args = { { 7, 8 } }, query = { ids = "7,8" } })
end

local c2_1 = { id = 2, contactId = 1 }

-- reports (read-only)
add("GET /api/reports/{id}", { "reports", "get",
  args = { 4, { limit = 2, page = 1, dateFrom = "2020-01-01", dateTo = "2035-12-31" } }, fill = { id = 4 },
  query = { limit = "2", page = "1", dateFrom = "2020-01-01", dateTo = "2035-12-31" } })
add("GET /api/reports", { "reports", "list", args = { { search = "Emails", limit = 2 } },
  query = { search = "Emails", limit = "2" } })

-- campaigns
add("GET /api/campaigns/{id}/contacts", { "campaigns", "get_contacts", args = { 2, { start = 0, limit = 1 } },
  fill = { id = 2 }, query = { start = "0", limit = "1" } })
add("POST /api/campaigns/{id}/contact/{contactId}/add", { "campaigns", "add_contact", args = { 2, 1 }, fill = c2_1 })
add("POST /api/campaigns/{id}/contact/{contactId}/remove", { "campaigns", "remove_contact", args = { 2, 1 }, fill = c2_1 })
add("POST /api/campaigns/clone/{id}", { "campaigns", "clone", args = { 2 }, fill = { id = 2 } })

-- campaign events
add("GET /api/campaigns/events", { "campaign_events", "list", args = { { limit = 5 } }, query = { limit = "5" } })
add("GET /api/campaigns/events/{id}", { "campaign_events", "get", args = { 2 }, fill = { id = 2 } })
add("GET /api/campaigns/events/contact/{contactId}", { "campaign_events", "get_for_contact", args = { 1 },
  fill = { contactId = 1 } })
add("GET /api/campaigns/{id}/events/contact/{contactId}", { "campaign_events", "get_for_campaign_contact",
  args = { 2, 1 }, fill = c2_1 })
add("PUT /api/campaigns/events/{eventId}/contact/{contactId}/edit", { "campaign_events", "edit_contact_event",
  args = { 2, 1, { triggerDate = "2030-01-01 10:00:00" } }, fill = { eventId = 2, contactId = 1 },
  body = { triggerDate = "2030-01-01 10:00:00" } })
add("PUT /api/campaigns/events/batch/edit", { "campaign_events", "edit_batch",
  args = { { { eventId = 2, contactId = 1, triggerDate = "2030-01-02 10:00:00" } } },
  body = { { eventId = 2, contactId = 1, triggerDate = "2030-01-02 10:00:00" } } })

-- companies, stages: membership
for _, fam in ipairs{ "companies", "stages" } do
  add("POST /api/" .. fam .. "/{id}/contact/{contactId}/add", { fam, "add_contact", args = { 2, 1 }, fill = c2_1 })
  add("POST /api/" .. fam .. "/{id}/contact/{contactId}/remove", { fam, "remove_contact", args = { 2, 1 }, fill = c2_1 })
end

-- contacts
add("POST /api/contacts/{id}/dnc/{channel}/add", { "contacts", "add_dnc",
  args = { 4, "email", { reason = 3, comments = "asked" } }, fill = { id = 4, channel = "email" },
  body = { reason = 3, comments = "asked" } })
add("POST /api/contacts/{id}/dnc/{channel}/remove", { "contacts", "remove_dnc", args = { 4, "sms" },
  fill = { id = 4, channel = "sms" } })
add("POST /api/contacts/{id}/utm/add", { "contacts", "add_utm", args = { 1, { utm_source = "newsletter" } },
  fill = { id = 1 }, body = { utm_source = "newsletter" } })
add("POST /api/contacts/{id}/utm/{utmId}/remove", { "contacts", "remove_utm", args = { 1, 3 },
  fill = { id = 1, utmId = 3 } })
for _, v in ipairs{ { "plus", "add_points" }, { "minus", "subtract_points" }, { "times", "multiply_points" },
                     { "divide", "divide_points" } } do
  add("POST /api/contacts/{id}/points/" .. v[1] .. "/{delta}", { "contacts", v[2],
    args = { 1, 5, { eventName = "Golden bonus" } }, fill = { id = 1, delta = 5 }, body = { eventName = "Golden bonus" } })
end
add("GET /api/contacts/{id}/points/groups", { "contacts", "get_point_groups", args = { 1 }, fill = { id = 1 } })
add("GET /api/contacts/{id}/points/groups/{groupId}", { "contacts", "get_point_group", args = { 1, 2 },
  fill = { id = 1, groupId = 2 } })
add("POST /api/contacts/{id}/points/groups/{groupId}/{operator}/{value}", { "contacts", "change_group_points",
  args = { 1, 2, "plus", 10 }, fill = { id = 1, groupId = 2, operator = "plus", value = 10 } })
add("GET /api/contacts/list/owners", { "contacts", "get_owners", args = {} })
add("GET /api/contacts/list/fields", { "contacts", "get_fields", args = {} })
add("GET /api/contacts/list/segments", { "contacts", "list_segments", args = {} })
add("GET /api/contacts/{id}/notes", { "contacts", "get_notes", args = { 1, { search = "Golden", limit = 5 } },
  fill = { id = 1 }, query = { search = "Golden", limit = "5" } })
for _, v in ipairs{ "segments", "campaigns", "companies", "devices" } do
  add("GET /api/contacts/{id}/" .. v, { "contacts", "get_" .. v, args = { 1 }, fill = { id = 1 } })
end
add("GET /api/contacts/{id}/activity", { "contacts", "get_activity",
  args = { 1, { filters = { search = "", includeEvents = { "lead.utmtagsadded" } }, order = { "timestamp", "ASC" }, limit = 5 } },
  fill = { id = 1 },
  query = { filters = { includeEvents = { "lead.utmtagsadded" } }, order = { "timestamp", "ASC" }, limit = "5" } })
add("GET /api/contacts/activity", { "contacts", "get_all_activity", args = { { limit = 2, page = 1 } },
  query = { limit = "2", page = "1" } })

-- data
add("GET /api/data", { "data", "types", args = {} })
add("GET /api/data/{type}", { "data", "get",
  args = { "created.leads.in.time", { timeUnit = "d", dateFrom = "2020-01-01", dateTo = "2035-12-31",
                                      filter = { segmentId = 3 }, dataset = { "sent", "opened" } } },
  fill = { type = "created.leads.in.time" },
  query = { timeUnit = "d", dateFrom = "2020-01-01", dateTo = "2035-12-31", filter = { segmentId = "3" },
            dataset = { "sent", "opened" } } })

-- emails
add("POST /api/emails/{id}/send", { "emails", "send", args = { 5 }, fill = { id = 5 } })
add("POST /api/emails/{id}/contact/{contactId}/send", { "emails", "send_to_contact",
  args = { 2, 1, { tokens = { ["{custom}"] = "golden" }, assetAttachments = { 3 } } }, fill = c2_1,
  body = { tokens = { ["{custom}"] = "golden" }, assetAttachments = { 3 } } })
add("POST /api/emails/reply/{trackingHash}", { "emails", "reply", args = { "garbagehash0123" },
  fill = { trackingHash = "garbagehash0123" } })

-- files: names are percent-encoded in the path
add("GET /api/files/{dir}", { "files", "list", args = { "images", { subdir = "flags" } },
  fill = { dir = "images" }, query = { subdir = "flags" } })
add("POST /api/files/{dir}/new", { "files", "upload",
  args = { "images", { data = "\137PNG\r\n\26\n golden", filename = "golden.png", content_type = "image/png" } },
  fill = { dir = "images" },
  multipart = { 'name="file"', 'filename="golden.png"', "Content-Type: image/png", "\137PNG\r\n\26\n golden" } })
add("DELETE /api/files/{dir}/{file}/delete", { "files", "delete", args = { "images", "../golden file.png" },
  fill = { dir = "images", file = "..%2Fgolden%20file.png" } })

-- forms
add("GET /api/forms/{id}/submissions", { "forms", "get_submissions", args = { 2, { limit = 5 } },
  fill = { id = 2 }, query = { limit = "5" } })
add("GET /api/forms/{id}/submissions/{submissionId}", { "forms", "get_submission", args = { 2, 1 },
  fill = { id = 2, submissionId = 1 } })
add("GET /api/forms/{id}/submissions/contact/{contactId}", { "forms", "get_submissions_for_contact",
  args = { 2, 1 }, fill = c2_1 })
add("DELETE /api/forms/{id}/fields/delete", { "forms", "delete_fields", args = { 2, { 3, 4 } }, fill = { id = 2 },
  query = { fields = { "3", "4" } } })
add("DELETE /api/forms/{id}/actions/delete", { "forms", "delete_actions", args = { 2, { 2 } }, fill = { id = 2 },
  query = { actions = { "2" } } })

-- webhooks, points, point triggers
add("GET /api/hooks/triggers", { "webhooks", "triggers", args = {} })
add("GET /api/points/actions/types", { "points", "action_types", args = {} })
add("GET /api/points/triggers/events/types", { "point_triggers", "event_types", args = {} })
add("DELETE /api/points/triggers/{id}/events/delete", { "point_triggers", "delete_events", args = { 2, { 2, 5 } },
  fill = { id = 2 }, query = { events = { "2", "5" } } })

-- segments
add("POST /api/segments/{id}/contact/{contactId}/add", { "segments", "add_contact", args = { 2, 1 }, fill = c2_1 })
add("POST /api/segments/{id}/contact/{contactId}/remove", { "segments", "remove_contact", args = { 2, 1 }, fill = c2_1 })
add("POST /api/segments/{id}/contacts/add", { "segments", "add_contacts", args = { 2, { 1, 99999 } },
  fill = { id = 2 }, body = { ids = { 1, 99999 } } })

-- smses
add("GET /api/smses/{id}/contact/{contactId}/send", { "smses", "send_to_contact", args = { 2, 1 }, fill = c2_1 })

-- stats
add("GET /api/stats", { "stats", "tables", args = {} })
add("GET /api/stats/{table}", { "stats", "rows",
  args = { "lead_points_change_log", { start = 0, limit = 2, order = W.order{ { col = "id", dir = "desc" } },
                                       where = { W.eq("lead_id", 1), W.in_("type", { "API", "form" }) } } },
  fill = { table = "lead_points_change_log" },
  query = { start = "0", limit = "2", order = { { col = "id", dir = "DESC" } },
            where = { { col = "lead_id", expr = "eq", val = "1" }, { col = "type", expr = "in", val = "API,form" } } } })

-- themes
add("GET /api/themes", { "themes", "list", args = {} })
add("GET /api/themes/{theme}", { "themes", "get", args = { "blank" }, fill = { theme = "blank" } })
add("POST /api/themes/new", { "themes", "upload", args = { { data = "PK\3\4 not really a zip", filename = "golden.zip" } },
  multipart = { 'name="file"', 'filename="golden.zip"', "Content-Type: application/zip", "PK\3\4 not really a zip" } })
add("DELETE /api/themes/{theme}/delete", { "themes", "delete", args = { "nosuchtheme" }, fill = { theme = "nosuchtheme" } })

-- users
add("GET /api/users/self", { "users", "self", args = {} })
add("POST /api/users/{id}/permissioncheck", { "users", "check_permission",
  args = { 1, { "lead:leads:viewown", "email:emails:full" } }, fill = { id = 1 },
  body = { permissions = { "lead:leads:viewown", "email:emails:full" } } })
add("GET /api/users/list/roles", { "users", "get_roles", args = {} })

-- focus
add("POST /api/focus/{id}/js", { "focus", "js", args = { 2 }, fill = { id = 2 } })

-- OAuth, at the site root
add("POST /oauth/v1/request_token", { "oauth", "request_token", args = { { oauth_callback = "https://app.example/cb" } },
  form = { oauth_callback = "https://app.example/cb" } })
add("GET /oauth/v1/authorize", { "oauth", "authorize_url_v1", args = { { oauth_token = "rt" } }, url = true,
  query = { oauth_token = "rt" } })
add("POST /oauth/v1/access_token", { "oauth", "access_token", args = { { oauth_verifier = "v123" } },
  form = { oauth_verifier = "v123" } })
add("GET /oauth/v2/authorize", { "oauth", "authorize_url",
  args = { { client_id = "1_abc", redirect_uri = "https://app.example/cb", state = "golden" } }, url = true,
  query = { client_id = "1_abc", redirect_uri = "https://app.example/cb", state = "golden", response_type = "code" } })
add("POST /oauth/v2/token", { "oauth", "token",
  args = { { grant_type = "client_credentials", client_id = "1_abc", client_secret = "shh" } }, noauth = true,
  form = { grant_type = "client_credentials", client_id = "1_abc" } })

------------------------------------------------------------------------------
-- Comparing what the fake logged with what the route needs.
------------------------------------------------------------------------------

-- { "name[a][0]" = "value" } from a PHP-parsed table (as the fake logs args)
local function flatten(t, prefix, out)
  out = out or {}
  if type(t) ~= "table" then
    if prefix then out[prefix] = type(t) == "boolean" and (t and "1" or "0") or tostring(t) end
    return out
  end
  local n = #t
  local is_seq = n > 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n then is_seq = false end
  end
  for k, v in pairs(t) do
    local name = is_seq and tostring(k - 1) or tostring(k)
    flatten(v, prefix and (prefix .. "[" .. name .. "]") or name, out)
  end
  return out
end

local function expected_pairs(t)
  local out = {}
  for _, p in ipairs(query.pairs_of(t)) do out[p[1]] = p[2] end
  return out
end

local function url_decode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function form_pairs(s)
  local out = {}
  for pair in (s or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    out[url_decode(k)] = url_decode(v)
  end
  return out
end

-- every expected name=value is in the actual set (values compared as strings)
local function contains_pairs(expected, actual, what)
  for k, v in pairs(expected) do
    assert(actual[k] ~= nil, ("%s: %s is missing (got %s)"):format(what, k, json.encode(actual) or "?"))
    -- the fake's log hides secrets (client_secret, code, oauth_verifier...): presence is all we can see
    assert(tostring(actual[k]) == tostring(v) or actual[k] == "<redacted>",
      ("%s: %s is %q, expected %q"):format(what, k, tostring(actual[k]), tostring(v)))
  end
end

-- a deep subset: every key of expected is in actual with the same value
local function subset(expected, actual, path)
  if type(expected) ~= "table" then
    assert(expected == actual, ("body%s: %s expected, got %s"):format(path, tostring(expected), tostring(actual)))
    return
  end
  assert(type(actual) == "table", ("body%s: table expected, got %s"):format(path, type(actual)))
  if #expected > 0 then
    assert(#actual == #expected, ("body%s: %d items expected, got %d"):format(path, #expected, #actual))
  end
  for k, v in pairs(expected) do subset(v, actual[k], path .. "." .. tostring(k)) end
end

local function fill_path(path, fill)
  return (path:gsub("{([%w_]+)}", function(name)
    local v = fill and fill[name]
    assert(v ~= nil, "no value to fill {" .. name .. "} with")
    return tostring(v)
  end))
end

------------------------------------------------------------------------------

describe("every Mautic route", function()
  local routes = read_routes()
  local api
  local walked = 0
  local statuses = {}

  setup(function()
    fake.reset()
    -- every route gets a made-up body: contact and company writes go unchecked
    api = fake.client{ retries = 0, strict_fields = false }
  end)

  it("is listed " .. EXPECTED_ROUTES .. " times in routes.txt", function()
    assert.equal(EXPECTED_ROUTES, #routes)
  end)

  for _, route in ipairs(routes) do
    local key = route.method .. " " .. route.path
    it("has a Lua function that sends " .. key, function()
      local entry = MAP[key]
      assert(entry, "no Lua function is mapped to " .. key)
      local fam, verb = entry[1], entry[2]
      local family = api[fam]
      assert(family, "no family api." .. fam)
      local fn = family[verb]
      assert(type(fn) == "function", ("api.%s.%s is missing (for %s)"):format(fam, verb, key))
      local want_path = fill_path(route.path, entry.fill)

      if entry.url then
        -- a URL for the user's browser: check what it points at
        local url = fn(unpack(entry.args, 1, entry.args.n or #entry.args))
        assert.is_string(url)
        local path, qs = url:match("^https?://[^/]+(/[^?]*)%??(.*)$")
        assert.equal(want_path, path)
        contains_pairs(expected_pairs(entry.query or {}), form_pairs(qs), key .. " query")
        walked = walked + 1
        return
      end

      fake.clear_log()
      fn(unpack(entry.args, 1, entry.args.n or #entry.args))
      local log = fake.log()
      local sent
      for _, r in ipairs(log) do
        if r.method == route.method then sent = r; break end
      end
      assert(sent, ("no %s request reached the server for %s (log: %d entries)"):format(route.method, key, #log))
      -- the path exactly as sent (the fake logs it raw in raw_path, decoded in path)
      assert.equal(want_path, sent.raw_path or sent.path)
      statuses[key] = sent.status

      if entry.query then
        contains_pairs(expected_pairs(entry.query), flatten(sent.args), key .. " query")
      end
      if entry.body then
        assert.matches("^application/json", sent.content_type or "")
        subset(entry.body, json.decode(sent.body), "")
      end
      if entry.form then
        assert.matches("^application/x%-www%-form%-urlencoded", sent.content_type or "")
        contains_pairs(entry.form, form_pairs(sent.body), key .. " form body")
      end
      if entry.multipart then
        assert.matches("^multipart/form%-data; boundary=", sent.content_type or "")
        for _, s in ipairs(entry.multipart) do
          assert(sent.body and sent.body:find(s, 1, true), ("%s: the multipart body lacks %q"):format(key, s))
        end
      end
      if entry.noauth then
        assert.is_nil(sent.headers.authorization)
      elseif route.path:sub(1, 5) == "/api/" then
        assert.equal("<redacted>", sent.headers.authorization)
        assert.equal("basic:admin", sent.auth)
      end
      walked = walked + 1
    end)
  end

  it("walked all " .. EXPECTED_ROUTES .. " routes", function()
    assert.equal(EXPECTED_ROUTES, walked)
    -- what the fake does not answer with a success yet (for the record)
    local unanswered = {}
    for k, s in pairs(statuses) do
      if type(s) == "number" and (s == 404 or s >= 500) then unanswered[#unanswered + 1] = s .. " " .. k end
    end
    table.sort(unanswered)
    if os.getenv("ROUTES_SPEC_REPORT") then
      io.stderr:write("routes the fake does not answer with a success:\n  ", table.concat(unanswered, "\n  "), "\n")
    end
  end)
end)

describe("routes beyond routes.txt", function()
  local api
  before_each(function()
    fake.reset()
    fake.clear_log()
    -- every route gets a made-up body: contact and company writes go unchecked
    api = fake.client{ retries = 0, strict_fields = false }
  end)

  it("tracks a page view at /mtc/event, form-encoded, without credentials, for the visitor", function()
    api.tracking.pageview({ page_url = "https://shop.example/pricing", page_title = "Pricing", email = "ann@example.com",
                            utm_source = "newsletter" },
                          { ip = "203.0.113.7", user_agent = "Mozilla/5.0 (golden)",
                            cookies = { mtc_id = 5, mautic_device_id = "abc123" } })
    local sent = assert(fake.last("POST", "^/mtc/event$"))
    assert.equal("/mtc/event", sent.path)
    assert.matches("^application/x%-www%-form%-urlencoded", sent.content_type)
    contains_pairs({ page_url = "https://shop.example/pricing", page_title = "Pricing", email = "ann@example.com",
                     utm_source = "newsletter" }, form_pairs(sent.body), "pageview")
    assert.is_nil(form_pairs(sent.body).ip)
    assert.is_nil(sent.headers.authorization)
    assert.equal("203.0.113.7", sent.headers["x-forwarded-for"])
    assert.equal("Mozilla/5.0 (golden)", sent.headers["user-agent"])
  end)

  it("refuses a page view without page_url before sending anything", function()
    assert.has_error(function() api.tracking.pageview{ email = "a@b.c" } end)
    assert.equal(0, #fake.log())
  end)

  it("turns a tracking answer into the visitor's cookies", function()
    local cookies = api.tracking.set_cookies({ cookies = { mtc_id = "5", mtc_sid = "abc", mautic_device_id = "abc" } },
      { max_age = 60, secure = true })
    assert.same({ "mtc_id=5; Path=/; Max-Age=60; Secure; SameSite=Lax",
                  "mtc_sid=abc; Path=/; Max-Age=60; Secure; SameSite=Lax",
                  "mautic_device_id=abc; Path=/; Max-Age=60; Secure; SameSite=Lax" }, cookies)
  end)

  it("streams an upload from a file on disk", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb")); f:write("\137PNG from disk"); f:close()
    api.files.upload("images", { file = path, content_type = "image/png" })
    os.remove(path)
    local sent = assert(fake.last("POST"))
    assert.equal("/api/files/images/new", sent.path)
    assert.matches("^multipart/form%-data", sent.content_type)
    assert.truthy(sent.body:find("\137PNG from disk", 1, true))
    assert.truthy(sent.body:find('name="file"', 1, true))
  end)

  it("raises on bad arguments at the caller's line, before any request", function()
    local cases = {
      function() api.forms.delete_fields(2, {}) end,
      function() api.forms.delete_fields(2, { "x" }) end,
      function() api.users.check_permission(1, {}) end,
      function() api.files.upload("images", { data = "x" }) end,
      function() api.stats.rows("email_stats", { where = { { col = "id", expr = "nope", val = 1 } } }) end,
      function() api.data.get("top.lists", { timeUnit = "q" }) end,
      function() api.campaign_events.edit_batch{ { triggerDate = "2030-01-01" } } end,
      function() api.oauth.token{ client_id = "x" } end,
      function() api.oauth.authorize_url{ client_id = "x" } end,
    }
    for i, fn in ipairs(cases) do
      local ok, err = pcall(fn)
      assert(not ok, "case " .. i .. " did not raise")
      assert.matches("routes_spec.lua:%d+:", tostring(err))
    end
    assert.equal(0, #fake.log())
  end)
end)
