-- Behaviour of real Mautic 5.1 that the official PHP client's own test suite
-- (make fidelity) relies on: searches, validation, side effects. Driven over
-- HTTP with curl, like server_spec.lua.
local S = require "spec.fake_mautic_spec.support"
local json = S.json

describe("fake Mautic, as the PHP client's suite sees it", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end
  local function create(path, body, key)
    local r = req("POST", "/api/" .. path .. "/new", { json = body })
    assert.equal(201, r.status, r.raw)
    return r.body[key]
  end

  describe("the ids: search command", function()
    local cases = {
      { "assets", "asset", "assets", { title = "A", storageLocation = "remote", file = "http://x.test/a.pdf" } },
      { "campaigns", "campaign", "campaigns", { name = "C", events = { { name = "E", type = "lead.changepoints",
                                                                        eventType = "action" } } } },
      { "categories", "category", "categories", { title = "C", bundle = "asset" } },
      { "dynamiccontents", "dynamicContent", "dynamicContents", { name = "D" } },
      { "emails", "email", "emails", { name = "E" } },
      { "focus", "focus", "focus", { name = "F", type = "notice", style = "bar" } },
      { "forms", "form", "forms", { name = "F" } },
      { "hooks", "hook", "hooks", { name = "H", webhookUrl = "http://x.test/h", triggers = { "mautic.lead_post_save_new" } } },
      { "notifications", "notification", "notifications", { name = "N", message = "m" } },
      { "pages", "page", "pages", { title = "P" } },
      { "points", "point", "points", { name = "P", type = "form.submit" } },
      { "points/groups", "pointGroup", "pointGroups", { name = "G" } },
      { "points/triggers", "trigger", "triggers", { name = "T" } },
      { "roles", "role", "roles", { name = "R" } },
      { "segments", "list", "lists", { name = "S" } },
      { "smses", "sms", "smses", { name = "S" } },
      { "stages", "stage", "stages", { name = "S" } },
      { "tags", "tag", "tags", { tag = "t" } },
      { "tweets", "tweet", "tweets", { name = "T", text = "t" } },
      { "companies", "company", "companies", { companyname = "C" } },
    }
    for _, c in ipairs(cases) do
      local path, item, list, body = c[1], c[2], c[3], c[4]
      it("finds exactly the listed " .. path, function()
        local ids = {}
        for i = 1, 3 do
          local b = json.decode(json.encode(body))
          if b.tag then b.tag = b.tag .. i end
          ids[i] = create(path, b, item).id
        end
        local r = req("GET", "/api/" .. path, { query = "search=ids:" .. ids[1] .. "," .. ids[3] })
        assert.equal(200, r.status)
        assert.equal(2, tonumber(r.body.total))
        local got = {}
        for _, k in ipairs(json.keys(r.body[list])) do got[#got + 1] = r.body[list][k].id end
        table.sort(got)
        assert.same({ ids[1], ids[3] }, got)
      end)
    end

    it("works for the campaign events list, combined with other terms and negated", function()
      local c = create("campaigns", { name = "C", events = {
        { name = "One", type = "lead.changepoints", eventType = "action" },
        { name = "Two", type = "lead.changepoints", eventType = "action" } } }, "campaign")
      local e1, e2 = c.events[1].id, c.events[2].id
      local r = req("GET", "/api/campaigns/events", { query = "search=ids:" .. e1 .. "," .. e2 })
      assert.equal(2, r.body.total)
      r = req("GET", "/api/campaigns/events", { query = "search=ids:" .. e1 .. "," .. e2 .. "%20Two" })
      assert.equal(1, r.body.total)
      assert.equal(e2, r.body.events[1].id)
      r = req("GET", "/api/stages", { query = "search=!ids:1" })
      assert.equal(0, r.body.total)
      create("stages", { name = "S1" }, "stage")
      create("stages", { name = "S2" }, "stage")
      r = req("GET", "/api/stages", { query = "search=!ids:1" })
      assert.equal(1, r.body.total)
      assert.equal("S2", r.body.stages[1].name)
    end)
  end)

  describe("marketing messages", function()
    local body = { name = "M", channels = { email = { channel = "email", isEnabled = true },
                                            sms = { channel = "sms", isEnabled = false } } }

    it("refuses the sms channel on a fresh install, as no SMS integration is published", function()
      local r = req("POST", "/api/messages/new", { json = body })
      assert.equal(400, r.status)
      assert.equal('{"errors":[{"code":400,"message":"sms: This form should not contain extra fields.",' ..
        '"details":{"sms":["This form should not contain extra fields."]}}]}', r.raw)
      r = req("POST", "/api/messages/new", { json = { name = "M", channels = { email = body.channels.email } } })
      assert.equal(201, r.status)
    end)

    it("accepts it once config sms_integration is on", function()
      req("POST", "/__fake/config", { auth = false, json = { sms_integration = true } })
      local r = req("POST", "/api/messages/new", { json = body })
      assert.equal(201, r.status)
      assert.equal("sms", r.body.message.channels[2].channel)
    end)
  end)

  describe("a contact's campaign event log", function()
    local campaign, contact
    before_each(function()
      campaign = create("campaigns", { name = "C", events = {
        { name = "Opens email", type = "email.open", eventType = "decision" },
        { name = "Adjust points", type = "lead.changepoints", eventType = "action", properties = { points = 5 } } } },
        "campaign")
      contact = create("contacts", { firstname = "Ann" }, "contact")
    end)
    local function edit(event, body)
      return req("PUT", "/api/campaigns/events/" .. event.id .. "/contact/" .. contact.id .. "/edit", { json = body })
    end

    it("is refused (409) while the contact is not in the campaign", function()
      local r = edit(campaign.events[2], { triggerDate = "2030-01-01 10:00:00" })
      assert.equal(409, r.status)
      assert.equal(("The contact %d is not in the campaign %d."):format(contact.id, campaign.id), r.body.errors[1].message)
      r = req("GET", "/api/campaigns/" .. campaign.id .. "/events/contact/" .. contact.id)
      assert.equal(409, r.status)
    end)

    it("schedules an action (201, then 200), refuses to schedule a decision or to leave a new log unscheduled", function()
      req("POST", "/api/campaigns/" .. campaign.id .. "/contact/" .. contact.id .. "/add")
      local decision, action = campaign.events[1], campaign.events[2]
      local r = edit(action, { triggerDate = "2016-01-10 00:00:00" })
      assert.equal(201, r.status)
      assert.equal("2016-01-10T00:00:00+00:00", r.body.event.contactLog[1].triggerDate)
      assert.equal(true, r.body.event.contactLog[1].isScheduled)
      assert.equal(200, edit(action, { triggerDate = "2016-01-11 00:00:00" }).status)

      r = edit(decision, { triggerDate = "2016-01-10 00:00:00" })
      assert.equal(409, r.status)
      assert.equal(("A decision type event cannot be scheduled. Event: %d, campaign: %d, contact: %d.")
        :format(decision.id, campaign.id, contact.id), r.body.errors[1].message)
      r = edit(decision, { metadata = { a = 1 } })
      assert.equal(409, r.status)
      assert.matches("must be scheduled or marked as complete", r.body.errors[1].message)

      r = req("PUT", "/api/campaigns/events/batch/edit", { json = {
        { contactId = contact.id, eventId = decision.id, dateTriggered = "2016-01-10 00:00:00" },
        { contactId = contact.id, eventId = action.id, triggerDate = "2016-01-11 00:00:00" } } })
      assert.equal(200, r.status)
      assert.is_nil(r.body.errors)
      assert.equal("2016-01-10T00:00:00+00:00", r.body.events[tostring(decision.id)].contactLog[1].dateTriggered)

      r = edit(decision, { dateTriggered = "2016-01-12 00:00:00" })
      assert.equal(409, r.status)
      assert.matches("has already been executed at 2016%-01%-10T00:00:00%+00:00", r.body.errors[1].message)
    end)
  end)

  describe("categories of entities", function()
    local asset = { title = "Logo", storageLocation = "remote", file = "http://x.test/logo.pdf" }

    it("files an entity in an existing category and refuses an unknown one with Mautic's 500", function()
      local cat = create("categories", { title = "Docs", bundle = "asset" }, "category")
      asset.category = cat.id
      local a = create("assets", asset, "asset")
      assert.equal(cat.id, a.category.id)
      assert.equal(200, req("DELETE", "/api/categories/" .. cat.id .. "/delete").status)
      assert.equal(json.null, req("GET", "/api/assets/" .. a.id).body.asset.category)
      local r = req("POST", "/api/assets/new", { json = asset })
      assert.equal(500, r.status)
      assert.equal('{"errors":[{"message":"Category ' .. cat.id .. ' does not exist","code":500,"type":null}]}', r.raw)
      assert.is_nil(r.headers["mautic-version"])
      assert.equal(1, req("GET", "/api/assets").body.total)
      r = req("PATCH", "/api/assets/" .. a.id .. "/edit", { json = { title = "New", category = 99 } })
      assert.equal(500, r.status)
      assert.equal("Logo", req("GET", "/api/assets/" .. a.id).body.asset.title)
      r = req("POST", "/api/stages/new", { json = { name = "S", category = 42 } })
      assert.equal("Category 42 does not exist", r.body.errors[1].message)
    end)

    it("leaves the category alone on PATCH when it is empty", function()
      local cat = create("categories", { title = "Docs", bundle = "asset" }, "category")
      asset.category = cat.id
      local a = create("assets", asset, "asset")
      local r = req("PATCH", "/api/assets/" .. a.id .. "/edit", { json = { category = 0 } })
      assert.equal(cat.id, r.body.asset.category.id)
    end)
  end)

  describe("webhooks", function()
    it("take ASC, DESC or nothing as eventsOrderbyDir", function()
      local hook = { name = "H", webhookUrl = "http://x.test/h", triggers = { "mautic.lead_post_save_new" } }
      for _, dir in ipairs({ "ASC", "DESC" }) do
        hook.eventsOrderbyDir = dir
        assert.equal(dir, create("hooks", hook, "hook").eventsOrderbyDir)
      end
      hook.eventsOrderbyDir = nil
      assert.equal(json.null, create("hooks", hook, "hook").eventsOrderbyDir)
      hook.eventsOrderbyDir = "abrakadabra"
      local r = req("POST", "/api/hooks/new", { json = hook })
      assert.equal(400, r.status)
      assert.same({ eventsOrderbyDir = { "This value is not valid." } }, r.body.errors[1].details)
    end)
  end)

  describe("emails", function()
    it("default to the template type and answer their segments as objects", function()
      local e = create("emails", { name = "E", subject = "S" }, "email")
      assert.equal("template", e.emailType)
      local seg = create("segments", { name = "Readers" }, "list")
      e = create("emails", { name = "E2", subject = "S", emailType = "list", lists = { seg.id } }, "email")
      assert.equal("list", e.emailType)
      assert.equal(1, #e.lists)
      assert.same({ "createdByUser", "modifiedByUser", "id", "name", "publicName", "alias", "description", "category" },
                  json.keys(e.lists[1]))
      assert.equal(seg.id, e.lists[1].id)
      assert.equal("Readers", req("GET", "/api/emails/" .. e.id).body.email.lists[1].name)
      assert.equal(200, req("DELETE", "/api/segments/" .. seg.id .. "/delete").status)
      assert.same({}, req("GET", "/api/emails/" .. e.id).body.email.lists)
    end)
  end)
end)
