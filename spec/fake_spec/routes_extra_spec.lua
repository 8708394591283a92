-- The fake's extra routes: reports, campaign events, dashboard data, files,
-- form submissions, stats, themes and public tracking (SUMMARY.md §5, the
-- golden transcripts). Driven over HTTP with curl, like server_spec.lua.
local S = require "spec.fake_spec.support"
local json = S.json

local function keys(t) return json.keys(t) end

local PNG = "\137PNG\r\n\26\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\8\6\0\0\0\31\21\196\137\0\0\0\rIDATx\156c\248\255\255?\0\5\254\2\254\167\53\129\132\0\0\0\0IEND\174B`\130"
local BOUNDARY = "----FakeBoundary7MA4YWxkTrZu0gW"

local function multipart(parts)
  local out = {}
  for _, p in ipairs(parts) do
    out[#out + 1] = "--" .. BOUNDARY .. "\r\n"
    local cd = 'Content-Disposition: form-data; name="' .. p.name .. '"'
    if p.filename then cd = cd .. '; filename="' .. p.filename .. '"' end
    out[#out + 1] = cd .. "\r\n"
    if p.content_type then out[#out + 1] = "Content-Type: " .. p.content_type .. "\r\n" end
    out[#out + 1] = "\r\n" .. p.data .. "\r\n"
  end
  out[#out + 1] = "--" .. BOUNDARY .. "--\r\n"
  return table.concat(out)
end

local MP = { ["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY }

local function tmpfile(data)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb")); f:write(data); f:close()
  return name
end

-- python's zipfile as the independent judge of an archive: "ok <names>" or an error
local function check_zip(data)
  local name = tmpfile(data)
  local out = S.sh("python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); " ..
    "bad=z.testzip(); print(\"bad \"+bad if bad else \"ok \"+\",\".join(z.namelist()))' " .. name .. " 2>&1")
  os.remove(name)
  return (out:gsub("%s+$", ""))
end

local function make_zip(files)
  local dir = os.tmpname(); os.remove(dir)
  local path = dir .. ".zip"
  local script = "import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\n"
  for _, f in ipairs(files) do
    script = script .. "z.writestr(" .. string.format("%q", f[1]) .. "," .. string.format("%q", f[2]) .. ")\n"
  end
  script = script .. "z.close()\n"
  local sfile = tmpfile(script)
  S.sh("python3 " .. sfile .. " " .. path)
  os.remove(sfile)
  local h = assert(io.open(path, "rb")); local data = h:read("*a"); h:close()
  os.remove(path)
  return data
end

describe("fake Mautic extra routes", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end

  local function new_contact(fields)
    local r = req("POST", "/api/contacts/new", { json = fields })
    assert.equal(201, r.status)
    return r.body.contact.id
  end

  local EVENT = { id = "new1", name = "Adjust points", type = "lead.changepoints", eventType = "action", order = 1,
                  properties = { points = 5 }, triggerMode = "immediate", triggerInterval = 1,
                  triggerIntervalUnit = "d", anchor = "leadsource", anchorEventType = "source" }

  local function new_campaign(name)
    local r = req("POST", "/api/campaigns/new", { json = { name = name or "C", events = { EVENT } } })
    assert.equal(201, r.status)
    return r.body.campaign
  end

  ------------------------------------------------------------------ reports
  describe("reports", function()
    it("lists the five system reports by name with an integer total", function()
      local r = req("GET", "/api/reports")
      assert.equal(200, r.status)
      assert.equal("5.1.0", r.headers["mautic-version"])
      assert.equal(5, r.body.total)
      local ids = {}
      for _, x in ipairs(r.body.reports) do ids[#ids + 1] = x.id end
      assert.same({ 4, 2, 5, 3, 1 }, ids)
      local rec = S.transcript("reports.list")
      if rec then assert.same(keys(rec.response.decoded.reports[1]), keys(r.body.reports[1])) end
    end)

    it("searches and limits the list", function()
      local r = req("GET", "/api/reports", { query = "search=Emails&limit=2" })
      assert.equal(1, r.body.total)
      assert.equal("All Emails", r.body.reports[1].name)
    end)

    it("runs the email report over the sent emails, paged, with the recorded keys", function()
      local cid = new_contact({ email = "ann@example.com" })
      local e = req("POST", "/api/emails/new", { json = { name = "E", subject = "Hello", emailType = "template" } })
      for _ = 1, 3 do
        assert.equal(200, req("POST", "/api/emails/" .. e.body.email.id .. "/contact/" .. cid .. "/send").status)
      end
      local r = req("GET", "/api/reports/4")
      assert.equal(200, r.status)
      assert.equal(3, r.body.totalResults)
      assert.same({ "date_sent", "date_read", "subject1", "email_address", "e_id" }, keys(r.body.data[1]))
      assert.equal("Hello", r.body.data[1].subject1)
      assert.equal("ann@example.com", r.body.data[1].email_address)
      assert.equal(tostring(e.body.email.id), r.body.data[1].e_id)
      assert.equal(0, r.body.limit)
      assert.same({ "totalResults", "data", "dataColumns", "limit", "page", "debug", "aggregatorColumns", "report" },
                  keys(r.body))
      assert.is_nil(r.body.report.description)
      assert.equal(true, r.body.report.isPublished)

      local p = req("GET", "/api/reports/4", { query = "limit=2&page=2&dateFrom=2020-01-01&dateTo=2035-12-31" })
      assert.equal(3, p.body.totalResults)
      assert.equal(1, #p.body.data)
      assert.equal("2020-01-01T00:00:00+00:00", p.body.dateFrom)
      assert.equal("2035-12-31T00:00:00+00:00", p.body.dateTo)
      local rec = S.transcript("reports.get.paged")
      if rec then assert.same(keys(rec.response.decoded), keys(p.body)) end

      local old = req("GET", "/api/reports/4", { query = "dateFrom=2001-01-01&dateTo=2001-12-31" })
      assert.equal(0, old.body.totalResults)
    end)

    it("answers 404 for a missing report", function()
      local r = req("GET", "/api/reports/99999")
      assert.equal(404, r.status)
      assert.equal("Item was not found.", r.body.errors[1].message)
    end)
  end)

  ------------------------------------------------------------------ campaign events
  describe("campaign events", function()
    it("lists and gets the events of the stored campaigns with their campaign", function()
      assert.equal('{"total":0,"events":[]}', req("GET", "/api/campaigns/events").raw)
      local c = new_campaign("Golden")
      local ev = c.events[1]
      local r = req("GET", "/api/campaigns/events")
      assert.equal(200, r.status)
      assert.equal(1, r.body.total)
      assert.equal(ev.id, r.body.events[1].id)
      assert.same({ id = c.id, name = "Golden", category = json.null, description = json.null },
                  { id = r.body.events[1].campaign.id, name = r.body.events[1].campaign.name,
                    category = r.body.events[1].campaign.category, description = r.body.events[1].campaign.description })
      local rec = S.transcript("campaigns.events.list")
      if rec then assert.same(keys(rec.response.decoded.events[1]), keys(r.body.events[1])) end

      local g = req("GET", "/api/campaigns/events/" .. ev.id)
      assert.equal(200, g.status)
      assert.equal("Adjust points", g.body.event.name)
      assert.equal(5, g.body.event.properties.points)
      assert.equal(404, req("GET", "/api/campaigns/events/99999").status)
    end)

    it("keeps per-contact logs: edit (201), batch edit (200) and the contact views", function()
      local c = new_campaign()
      local eid = c.events[1].id
      local cid = new_contact({ email = "ann@example.com" })
      assert.equal(200, req("POST", "/api/campaigns/" .. c.id .. "/contact/" .. cid .. "/add").status)

      local empty = req("GET", "/api/campaigns/events/contact/" .. cid)
      assert.equal(200, empty.status)
      assert.equal(0, empty.body.total)

      local cc = req("GET", "/api/campaigns/" .. c.id .. "/events/contact/" .. cid)
      assert.equal(200, cc.status)
      assert.same({ "total", "events", "campaign", "membership" }, keys(cc.body))
      assert.equal(1, #cc.body.membership)
      assert.equal(0, #cc.body.events[1].contactLog)
      local rec = S.transcript("campaigns.campaign_events.contact")
      if rec then
        assert.same(keys(rec.response.decoded.events[1]), keys(cc.body.events[1]))
        assert.same(keys(rec.response.decoded.membership[1]), keys(cc.body.membership[1]))
      end

      local e = req("PUT", "/api/campaigns/events/" .. eid .. "/contact/" .. cid .. "/edit",
                    { json = { triggerDate = "2030-01-01 10:00:00" } })
      assert.equal(201, e.status)
      assert.equal("2030-01-01T10:00:00+00:00", e.body.event.contactLog[1].triggerDate)
      assert.equal(true, e.body.event.contactLog[1].isScheduled)
      rec = S.transcript("campaigns.events.contact.edit")
      if rec then
        assert.same(keys(rec.response.decoded.event), keys(e.body.event))
        assert.same(keys(rec.response.decoded.event.campaign), keys(e.body.event.campaign))
      end

      local b = req("PUT", "/api/campaigns/events/batch/edit",
                    { json = { { eventId = eid, contactId = cid, triggerDate = "2030-01-02 10:00:00" } } })
      assert.equal(200, b.status)
      assert.same({ tostring(eid) }, keys(b.body.events))
      assert.equal("2030-01-02T10:00:00+00:00", b.body.events[tostring(eid)].contactLog[1].triggerDate)

      local after = req("GET", "/api/campaigns/events/contact/" .. cid)
      assert.equal(1, after.body.total)
      assert.equal("2030-01-02T10:00:00+00:00", after.body.events[1].contactLog[1].triggerDate)
    end)

    it("answers 404 for missing events, contacts or campaigns and reports batch errors", function()
      local c = new_campaign()
      local cid = new_contact({ email = "x@example.com" })
      assert.equal(200, req("POST", "/api/campaigns/" .. c.id .. "/contact/" .. cid .. "/add").status)
      assert.equal(404, req("PUT", "/api/campaigns/events/99999/contact/" .. cid .. "/edit",
                            { json = { triggerDate = "2030-01-01 10:00:00" } }).status)
      assert.equal(404, req("PUT", "/api/campaigns/events/" .. c.events[1].id .. "/contact/99999/edit",
                            { json = { triggerDate = "2030-01-01 10:00:00" } }).status)
      assert.equal(404, req("GET", "/api/campaigns/99999/events/contact/" .. cid).status)
      assert.equal(404, req("GET", "/api/campaigns/events/contact/99999").status)
      local b = req("PUT", "/api/campaigns/events/batch/edit",
                    { json = { { eventId = c.events[1].id, contactId = cid, triggerDate = "2030-01-02 10:00:00" },
                               { eventId = 99999, contactId = cid }, { contactId = cid } } })
      assert.equal(200, b.status)
      assert.same({ tostring(c.events[1].id) }, keys(b.body.events))
      assert.same({ "1", "2" }, keys(b.body.errors))
      assert.equal(404, b.body.errors["1"].code)
      assert.equal(404, b.body.errors["2"].code)
      assert.equal("contactId and/or eventId are misssing from this item's parameters.", b.body.errors["2"].message)
    end)

    it("clones a campaign without its events, as Mautic 5.1 does", function()
      local c = new_campaign()
      local r = req("POST", "/api/campaigns/clone/" .. c.id)
      assert.equal(200, r.status)
      assert.same({}, r.body.campaign.events)
      assert.equal(1, req("GET", "/api/campaigns/events").body.total)
    end)
  end)

  ------------------------------------------------------------------ data
  describe("dashboard data", function()
    it("lists the widget types as recorded", function()
      local r = req("GET", "/api/data")
      assert.equal(200, r.status)
      assert.equal(1, r.body.success)
      assert.equal("Created contacts in time", r.body.types["Contact Widgets"]["created.leads.in.time"])
      local rec = S.transcript("data.types")
      if rec then assert.same(rec.response.decoded, r.body) end
    end)

    it("draws a line chart per time unit and counts the contacts", function()
      new_contact({ email = "a@example.com" }); new_contact({ email = "b@example.com" })
      local r = req("GET", "/api/data/created.leads.in.time",
                    { query = "timeUnit=m&dateFrom=2020-01-01&dateTo=2035-12-31" })
      assert.equal(200, r.status)
      assert.same({ "success", "cached", "execution_time", "data" }, keys(r.body))
      assert.equal(false, r.body.cached)
      assert.is_number(r.body.execution_time)
      local cd = r.body.data.chartData
      assert.equal(16 * 12, #cd.labels)
      assert.equal("Jan 2020", cd.labels[1])
      assert.equal(#cd.labels, #cd.datasets[1].data)
      local sum = 0
      for _, v in ipairs(cd.datasets[1].data) do sum = sum + tonumber(v) end
      assert.equal(2, sum)
      assert.equal("All contacts", cd.datasets[1].label)

      local d = req("GET", "/api/data/created.leads.in.time", { query = "timeUnit=d&dateFrom=2020-01-01&dateTo=2020-01-03" })
      assert.same({ "Jan 1, 20", "Jan 2, 20", "Jan 3, 20" }, d.body.data.chartData.labels)

      local raw = req("GET", "/api/data/created.leads.in.time",
                      { query = "timeUnit=Y&dateFrom=2020-01-01&dateTo=2021-12-31&dataFormat=raw" })
      assert.same({ "2020", "2021" }, keys(raw.body.data["All contacts"]))
    end)

    it("does not count today by default (dateTo is today's midnight, as recorded)", function()
      new_contact({ email = "a@example.com" })
      local r = req("GET", "/api/data/created.leads.in.time")
      local sum = 0
      for _, v in ipairs(r.body.data.chartData.datasets[1].data) do sum = sum + tonumber(v) end
      assert.equal(0, sum)
      local t = req("GET", "/api/data/top.lists", { query = "limit=3" })
      assert.same({ "mautic.dashboard.label.title", "mautic.lead.leads" }, t.body.data.headItems)
      assert.same({}, t.body.data.bodyItems)
    end)

    it("answers 404 for an unknown widget", function()
      local r = req("GET", "/api/data/no.such.widget")
      assert.equal(404, r.status)
      assert.equal("Item was not found.", r.body.errors[1].message)
    end)
  end)

  ------------------------------------------------------------------ files
  describe("files", function()
    it("uploads (any field name), lists by scandir index, serves and deletes images", function()
      assert.equal('{"files":[]}', req("GET", "/api/files/images").raw)
      local up = req("POST", "/api/files/images/new", { headers = MP,
        body = multipart({ { name = "file", filename = "golden.png", content_type = "image/png", data = PNG } }) })
      assert.equal(200, up.status)
      assert.equal("5.1.0", up.headers["mautic-version"])
      local name = up.body.file.name
      assert.truthy(name:match("^%x+%.png$"))
      assert.equal(32 + 4, #name)
      local port = srv.url:match(":(%d+)$")
      assert.equal(srv.url .. ":" .. port .. "/media/images/" .. name, up.body.file.link)

      local l = req("GET", "/api/files/images")
      assert.same({ ["3"] = name }, { ["3"] = l.body.files["3"] })
      assert.same({ "3" }, keys(l.body.files))

      local served = req("GET", "/media/images/" .. name, { auth = false })
      assert.equal(200, served.status)
      assert.equal(PNG, served.raw)
      assert.equal("image/png", served.headers["content-type"])

      local other = req("POST", "/api/files/images/new", { headers = MP,
        body = multipart({ { name = "wrongfield", filename = "x.png", content_type = "image/png", data = PNG } }) })
      assert.equal(200, other.status)
      assert.are_not.equal(name, other.body.file.name)

      local d = req("DELETE", "/api/files/images/" .. name .. "/delete")
      assert.equal(200, d.status)
      assert.equal('{"success":true}', d.raw)
      local again = req("DELETE", "/api/files/images/" .. name .. "/delete")
      assert.equal(404, again.status)
      assert.equal("File does not exist", again.body.errors[1].message)
    end)

    it("answers {\"file\":[]} without a body and 406 for other folders", function()
      local r = req("POST", "/api/files/images/new")
      assert.equal(200, r.status)
      assert.equal('{"file":[]}', r.raw)
      for _, dir in ipairs({ "assets", "nosuchdir" }) do
        local x = req("GET", "/api/files/" .. dir)
        assert.equal(406, x.status)
        assert.equal(dir .. " not found. Only media or images options are possible.", x.body.errors[1].message)
      end
      local sub = req("GET", "/api/files/images/flags")
      assert.equal(404, sub.status)
      assert.is_nil(sub.headers["mautic-version"])
    end)

    it("keeps files of a subdir apart and never leaves the folder", function()
      local up = req("POST", "/api/files/images/new", { query = "subdir=logos", headers = MP,
        body = multipart({ { name = "file", filename = "a.png", content_type = "image/png", data = PNG } }) })
      assert.equal(200, up.status)
      assert.truthy(up.body.file.link:find("/media/images/logos/", 1, true))
      local l = req("GET", "/api/files/images", { query = "subdir=logos" })
      assert.same({ "2" }, keys(l.body.files))
      assert.equal(up.body.file.name, l.body.files["2"])
      assert.equal('{"files":[]}', req("GET", "/api/files/images").raw)
      for _, evil in ipairs({ "..%2F..%2Fetc%2Fpasswd", "..", "%2E%2E", "logos%2F" .. up.body.file.name }) do
        local d = req("DELETE", "/api/files/images/" .. evil .. "/delete")
        assert.equal(404, d.status, evil)
      end
      assert.equal(400, req("GET", "/api/files/images", { query = "subdir=../../etc" }).status)
      assert.equal(200, req("DELETE", "/api/files/images/" .. up.body.file.name .. "/delete",
                            { query = "subdir=logos" }).status)
    end)

    it("takes a large upload that nginx buffers to a temp file", function()
      local big = PNG .. string.rep("\0\1\2\3\255", 400000)           -- ~2 MB > client_body_buffer_size
      local up = req("POST", "/api/files/images/new", { headers = MP,
        body = multipart({ { name = "file", filename = "big.png", content_type = "image/png", data = big } }) })
      assert.equal(200, up.status)
      local served = req("GET", "/media/images/" .. up.body.file.name, { auth = false })
      assert.equal(#big, #served.raw)
      assert.equal(big, served.raw)
    end)
  end)

  ------------------------------------------------------------------ form submissions
  describe("form submissions", function()
    local function new_form()
      local r = req("POST", "/api/forms/new", { json = { name = "Signup", formType = "standalone", fields = {
        { label = "Email", alias = "email", type = "email", leadField = "email" },
        { label = "First", alias = "first", type = "text", leadField = "firstname" },
        { label = "Note", alias = "note", type = "text" } } } })
      assert.equal(201, r.status)
      return r.body.form
    end

    it("answers the recorded empty shape and 404s", function()
      local f = new_form()
      local cid = new_contact({ email = "a@example.com" })
      assert.equal('{"total":"0","submissions":{}}', req("GET", "/api/forms/" .. f.id .. "/submissions").raw)
      assert.equal('{"total":"0","submissions":{}}',
                   req("GET", "/api/forms/" .. f.id .. "/submissions/contact/" .. cid).raw)
      assert.equal(404, req("GET", "/api/forms/99999/submissions").status)
      assert.equal(404, req("GET", "/api/forms/" .. f.id .. "/submissions/99999").status)
    end)

    it("stores a POST /form/submit and maps lead fields onto the contact", function()
      local f = new_form()
      local s = req("POST", "/form/submit", { auth = false, query = "formId=" .. f.id,
        form = "mauticform%5Bemail%5D=sub%40example.com&mauticform%5Bfirst%5D=Sue&mauticform%5Bnote%5D=hi" ..
               "&mauticform%5BformId%5D=" .. f.id })
      assert.equal(200, s.status)
      local l = req("GET", "/api/forms/" .. f.id .. "/submissions")
      assert.equal("1", l.body.total)
      local sub = l.body.submissions[1]
      assert.same({ email = "sub@example.com", first = "Sue", note = "hi" }, {
        email = sub.results.email, first = sub.results.first, note = sub.results.note })
      assert.equal(f.id, sub.form.id)
      local cid = sub.lead.id
      local c = req("GET", "/api/contacts/" .. cid)
      assert.equal("Sue", c.body.contact.fields.all.firstname)
      assert.equal(sub.id, req("GET", "/api/forms/" .. f.id .. "/submissions/" .. sub.id).body.submission.id)
      assert.equal("1", req("GET", "/api/forms/" .. f.id .. "/submissions/contact/" .. cid).body.total)
      assert.equal("1", req("GET", "/api/stats/form_submissions").body.total)
    end)
  end)

  ------------------------------------------------------------------ stats
  describe("stats", function()
    it("lists the recorded tables and answers an unknown table with them (200)", function()
      local r = req("GET", "/api/stats")
      assert.equal(200, r.status)
      assert.same({ "availableTables", "tableColumns" }, keys(r.body))
      assert.equal(34, #r.body.availableTables)
      local u = req("GET", "/api/stats/no_such_table")
      assert.equal(200, u.status)
      assert.same(r.body, u.body)
    end)

    it("gives the points log as strings, ordered, filtered and paged", function()
      local cid = new_contact({ email = "p@example.com" })
      req("POST", "/api/contacts/" .. cid .. "/points/plus/10")
      req("POST", "/api/contacts/" .. cid .. "/points/minus/3")
      req("POST", "/api/contacts/" .. cid .. "/points/plus/5", { json = { eventName = "Golden bonus", actionName = "API" } })
      local r = req("GET", "/api/stats/lead_points_change_log")
      assert.equal("3", r.body.total)
      assert.same({ "id", "lead_id", "ip_id", "type", "event_name", "action_name", "delta", "date_added" },
                  keys(r.body.stats[1]))
      assert.equal("add (+)", r.body.stats[1].event_name)
      assert.equal("subtract (-)", r.body.stats[2].event_name)
      assert.equal("Golden bonus", r.body.stats[3].event_name)
      assert.equal("10", r.body.stats[1].delta)

      local p = req("GET", "/api/stats/lead_points_change_log",
                    { query = "start=0&limit=2&order%5B0%5D%5Bcol%5D=id&order%5B0%5D%5Bdir%5D=desc" })
      assert.equal("3", p.body.total)
      assert.same({ "3", "2" }, { p.body.stats[1].id, p.body.stats[2].id })

      local w = req("GET", "/api/stats/lead_points_change_log",
                    { query = "where%5B0%5D%5Bcol%5D=delta&where%5B0%5D%5Bexpr%5D=gte&where%5B0%5D%5Bval%5D=5" })
      assert.equal("2", w.body.total)
      local none = req("GET", "/api/stats/lead_points_change_log",
                       { query = "where%5B0%5D%5Bcol%5D=lead_id&where%5B0%5D%5Bexpr%5D=eq&where%5B0%5D%5Bval%5D=99999" })
      assert.equal('{"total":"0","stats":[]}', none.raw)
      assert.equal(500, req("GET", "/api/stats/lead_points_change_log",
                            { query = "where%5B0%5D%5Bcol%5D=nope&where%5B0%5D%5Bval%5D=1" }).status)
    end)

    it("derives email_stats, lead_donotcontact and lead_lists_leads from the state", function()
      local a = new_contact({ email = "a@example.com" })
      local b = new_contact({ email = "b@example.com" })
      local seg = req("POST", "/api/segments/new", { json = { name = "S" } }).body.list
      req("POST", "/api/segments/" .. seg.id .. "/contact/" .. a .. "/add")
      req("POST", "/api/segments/" .. seg.id .. "/contact/" .. b .. "/add")
      req("POST", "/api/contacts/" .. b .. "/dnc/email/add", { json = { reason = 3, comments = "no" } })
      local e = req("POST", "/api/emails/new", { json = { name = "Seg", subject = "S", emailType = "list",
                                                         lists = { seg.id } } }).body.email
      local send = req("POST", "/api/emails/" .. e.id .. "/send")
      assert.equal(1, send.body.sentCount)                      -- b has an email DNC
      assert.equal(0, req("POST", "/api/emails/" .. e.id .. "/send").body.sentCount)   -- already sent
      local s = req("GET", "/api/stats/email_stats")
      assert.equal("1", s.body.total)
      assert.equal(tostring(a), s.body.stats[1].lead_id)
      assert.equal(tostring(seg.id), s.body.stats[1].list_id)
      assert.equal("email", s.body.stats[1].source)
      local d = req("GET", "/api/stats/lead_donotcontact")
      assert.equal("1", d.body.total)
      assert.same({ "id", "lead_id", "date_added", "reason", "channel", "comments" }, keys(d.body.stats[1]))
      local ll = req("GET", "/api/stats/lead_lists_leads")
      assert.equal("2", ll.body.total)
    end)
  end)

  ------------------------------------------------------------------ themes
  describe("themes", function()
    it("lists the recorded themes", function()
      local r = req("GET", "/api/themes")
      assert.equal(200, r.status)
      assert.equal("Blank", r.body.themes.blank.name)
      local rec = S.transcript("themes.list")
      if rec then assert.same(keys(rec.response.decoded.themes), keys(r.body.themes)) end
    end)

    it("downloads a theme as a valid zip", function()
      local r = req("GET", "/api/themes/blank")
      assert.equal(200, r.status)
      assert.equal("application/zip", r.headers["content-type"])
      assert.is_nil(r.headers["mautic-version"])
      local res = check_zip(r.raw)
      assert.truthy(res:match("^ok "), res)
      assert.truthy(res:find("config.json", 1, true), res)
    end)

    it("answers the recorded 500s", function()
      local m = req("GET", "/api/themes/nosuchtheme")
      assert.equal(500, m.status)
      assert.equal('The "/tmp/mautic-real/app/themes/nosuchtheme" directory does not exist.', m.body.errors[1].message)
      local bad = req("POST", "/api/themes/new", { headers = MP,
        body = multipart({ { name = "file", filename = "notazip.zip", content_type = "application/zip",
                             data = "this is not a zip file" } }) })
      assert.equal(500, bad.status)
      assert.truthy(bad.body.errors[1].message:find("The ZIP archive does not seem to be valid", 1, true))
      assert.equal("5.1.0", bad.headers["mautic-version"])
      local nofile = req("POST", "/api/themes/new")
      assert.equal(500, nofile.status)
      assert.is_nil(nofile.headers["mautic-version"])
      local del = req("DELETE", "/api/themes/nosuchtheme/delete")
      assert.equal(500, del.status)
      assert.equal("nosuchtheme not found!", del.body.errors[1].message)
    end)

    it("installs an uploaded zip, serves it back byte for byte and deletes it", function()
      local z = make_zip({ { "config.json", '{"name":"My Theme","features":["email"]}' },
                           { "html/email.html.twig", "<html></html>" } })
      local up = req("POST", "/api/themes/new", { headers = MP,
        body = multipart({ { name = "file", filename = "mytheme.zip", content_type = "application/zip", data = z } }) })
      assert.equal(200, up.status)
      assert.equal(true, up.body.success)
      local l = req("GET", "/api/themes")
      assert.equal("mytheme", l.body.themes.mytheme.key)
      local g = req("GET", "/api/themes/mytheme")
      assert.equal(z, g.raw)
      assert.equal(200, req("DELETE", "/api/themes/mytheme/delete").status)
      assert.equal(500, req("GET", "/api/themes/mytheme").status)
    end)
  end)

  ------------------------------------------------------------------ tracking
  describe("tracking", function()
    it("tracks a form-encoded hit without credentials, creating the contact by email", function()
      local r = req("POST", "/mtc/event", { auth = false,
        headers = { ["X-Forwarded-For"] = "203.0.113.7, 10.0.0.1", ["User-Agent"] = "FakeBrowser/1.0" },
        form = "page_url=https%3A%2F%2Fshop.example%2Fpricing&page_title=Pricing&page_referrer=https%3A%2F%2Fsearch.example%2F" ..
               "&email=visitor%40example.com&firstname=Vic&utm_source=news&utm_campaign=spring" })
      assert.equal(200, r.status)
      assert.same({ "success", "id", "sid", "device_id", "events" }, keys(r.body))
      assert.equal(1, r.body.success)
      assert.is_number(r.body.id)
      assert.equal(1, r.body.sid)
      assert.truthy(r.body.device_id:match("^%w+$"))
      local c = req("GET", "/api/contacts/" .. r.body.id)
      assert.equal("visitor@example.com", c.body.contact.fields.all.email)
      assert.equal("Vic", c.body.contact.fields.all.firstname)
      assert.equal(1, #c.body.contact.utmtags)

      local h = req("GET", "/__fake/state/hits", { auth = false })
      assert.equal(200, h.status)
      assert.equal(1, #h.body)
      assert.equal("https://shop.example/pricing", h.body[1].url)
      assert.equal("Pricing", h.body[1].title)
      assert.equal("https://search.example/", h.body[1].referrer)
      assert.equal("203.0.113.7", h.body[1].ip)
      assert.equal("FakeBrowser/1.0", h.body[1].user_agent)
      assert.equal(r.body.id, h.body[1].contact_id)

      local again = req("POST", "/mtc/event", { auth = false,
        json = { page_url = "https://shop.example/buy", email = "VISITOR@example.com", lastname = "Tor" } })
      assert.equal(r.body.id, again.body.id)
      assert.equal(2, again.body.sid)
      assert.equal("Tor", req("GET", "/api/contacts/" .. r.body.id).body.contact.fields.all.lastname)
      assert.equal("2", req("GET", "/api/stats/page_hits").body.total)
      assert.equal(2, req("GET", "/api/reports/1").body.totalResults)
    end)

    it("sets the cookies and knows the visitor again by them", function()
      local r = req("POST", "/mtc/event", { auth = false, form = "page_url=https%3A%2F%2Fa.example%2F" })
      assert.equal(200, r.status)
      local hfile = os.tmpname()
      S.sh("curl -s -D " .. hfile .. " -o /dev/null -X POST --data 'page_url=x' " .. srv.url .. "/mtc/event")
      local f = io.open(hfile); local head = f:read("*a"); f:close(); os.remove(hfile)
      assert.truthy(head:find("Set%-Cookie: mtc_id=%d+"), head)
      assert.truthy(head:find("Set%-Cookie: mtc_sid=%d+"), head)
      assert.truthy(head:find("Set%-Cookie: mautic_device_id=%w+"), head)

      local back = req("POST", "/mtc/event", { auth = false, form = "page_url=https%3A%2F%2Fa.example%2Fb",
        headers = { Cookie = "mautic_device_id=" .. r.body.device_id } })
      assert.equal(r.body.id, back.body.id)
      assert.equal(r.body.device_id, back.body.device_id)
      local byid = req("POST", "/mtc/event", { auth = false, form = "page_url=x",
        headers = { Cookie = "mtc_id=" .. r.body.id } })
      assert.equal(r.body.id, byid.body.id)
      local stranger = req("POST", "/mtc/event", { auth = false, form = "page_url=x" })
      assert.are_not.equal(r.body.id, stranger.body.id)
    end)

    it("serves mtc.js", function()
      local r = req("GET", "/mtc.js", { auth = false })
      assert.equal(200, r.status)
      assert.equal("application/javascript", r.headers["content-type"])
      assert.truthy(r.raw:find("/mtc/event", 1, true))
    end)
  end)

  ------------------------------------------------------------------ log
  describe("the request log", function()
    it("records every request, route 404s and public tracking included", function()
      req("DELETE", "/__fake/log", { auth = false })
      req("GET", "/api/nosuchthing")
      req("POST", "/oauth/v1/request_token", { auth = false })
      req("POST", "/mtc/event", { auth = false, form = "page_url=x" })
      req("GET", "/api/stats")
      local l = req("GET", "/__fake/log", { auth = false }).body
      local seen = {}
      for _, e in ipairs(l) do seen[#seen + 1] = e.method .. " " .. e.path .. " " .. e.status end
      assert.same({ "GET /api/nosuchthing 404", "POST /oauth/v1/request_token 404", "POST /mtc/event 200",
                    "GET /api/stats 200" }, seen)
    end)
  end)
end)
