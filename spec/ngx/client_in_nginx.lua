-- Runs inside nginx (content_by_lua_file) for spec/ngx_transport_spec.lua:
-- drives the client against the fake Mautic and answers what it saw as JSON.
-- Any use of a blocking curl session is a failure: the trap below raises.
local core = require "mautic.core"
core.session = function() error("a blocking curl session was used inside nginx") end
core.multi = function() error("a blocking curl multi was used inside nginx") end

local mautic = require "mautic"
local json = require "mautic.json"

local args = ngx.req.get_uri_args()
local url = args.fake
local api = mautic.new{ url = url, auth = mautic.auth.basic{ username = "admin", password = "mautic" },
                        timeout = 2, retries = 0 }
local out = {}
local case = args.case

if case == "crud" then
  local c = assert(api.contacts.create{ email = "ngx@example.com", firstname = "Ngx" })
  local got = assert(api.contacts.get(c.id))
  local page = assert(api.contacts.list{ search = "email:ngx%" })
  local _, err = api.contacts.get(99999)
  out = { id = got.id, firstname = got.fields.all.firstname, total = page.total,
          missing = err.status, kind = err.kind, version = api.version() }
elseif case == "parallel" then
  local tasks = {}
  for i = 1, 5 do
    tasks[i] = function() return api.contacts.create{ email = "p" .. i .. "@ngx.test" } end
  end
  local values, errs = mautic.parallel(tasks, { concurrency = 3 })
  out.emails = {}
  for i = 1, 5 do out.emails[i] = values[i] and values[i].fields.all.email or tostring(errs[i]) end
elseif case == "timeout" then
  local _, err = api.contacts.list()
  out = { kind = err.kind }
elseif case == "refused" then
  local dead = mautic.new{ url = "http://127.0.0.1:9", retries = 0 }
  local _, err = dead.contacts.create{ email = "refused@ngx.test" }
  out = { kind = err.kind, reason = err.reason, maybe_applied = err.maybe_applied }
elseif case == "dropped" then
  local _, err = api.notes.create{ text = "dropped", lead = 1 }
  out = { kind = err.kind, maybe_applied = err.maybe_applied }
elseif case == "each" then
  local rows = {}
  for i = 1, 25 do rows[i] = { email = ("ngxeach%d@example.com"):format(i) } end
  assert(api.contacts.create_batch(rows))
  out.ids = {}
  for c in api.contacts.each{ page_size = 10, search = "email:ngxeach%" } do out.ids[#out.ids + 1] = c.id end
elseif case == "each_concurrent" then
  local rows = {}
  for i = 1, 25 do rows[i] = { email = ("ngxconc%d@example.com"):format(i) } end
  assert(api.contacts.create_batch(rows))
  out.ids, out.seq = {}, {}
  for c in api.contacts.each{ page_size = 4, search = "email:ngxconc%", concurrency = 3 } do out.ids[#out.ids + 1] = c.id end
  for c in api.contacts.each{ page_size = 100, search = "email:ngxconc%" } do out.seq[#out.seq + 1] = c.id end
elseif case == "too_large" then
  local small = mautic.new{ url = url, auth = mautic.auth.basic{ username = "admin", password = "mautic" },
                            timeout = 2, retries = 0, max_response_bytes = 1000 }
  local _, err = small.contacts.list()
  out = { kind = err.kind }
end
ngx.header["Content-Type"] = "application/json"
ngx.say(json.encode(out))
