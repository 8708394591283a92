local fake = require "support.fake"
local json = require "mautic.json"

-- bin/mautic as a user runs it, under the interpreter of this run
local function mautic(args, env)
  local cmd = ("MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic %s %s bin/mautic %s 2>&1; echo \"exit=$?\"")
    :format(fake.url, env or "", require("support.lua").interpreter, args)
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  local body, code = out:match("^(.-)\n?exit=(%d+)\n$")
  return body, tonumber(code)
end

describe("bin/mautic", function()
  before_each(function() fake.reset() end)

  it("creates with name=value pairs, typed and nested, and prints the entity as JSON", function()
    local out, code = mautic("contacts create email=cli@example.com firstname=Cli points=5 'tags[]=vip' 'tags[]=lead'")
    assert.equal(0, code, out)
    local c = json.decode(out)
    assert.equal("cli@example.com", c.fields.all.email)
    local sent = json.decode(fake.last("POST").body)
    assert.same({ "vip", "lead" }, sent.tags)
    assert.equal(5, sent.points)
  end)

  it("fills path parameters from bare arguments and passes --create and --json", function()
    assert.equal(0, select(2, mautic("segments create --json '{\"name\":\"VIP\"}'")))
    assert.equal(0, select(2, mautic("contacts create email=a@example.com")))
    local out, code = mautic("segments add_contact 1 1")
    assert.equal(0, code)
    assert.same({ success = 1 }, json.decode(out))
    assert.equal(0, select(2, mautic("contacts edit 7 email=z@example.com --create")))
    assert.equal("PUT", fake.last("PUT").method)
  end)

  it("exits 1 with the error for a failure and 2 for a usage mistake", function()
    local out, code = mautic("contacts get 4242")
    assert.equal(1, code)
    assert.matches("http 404 Item was not found", out, 1, true)
    out, code = mautic("contacts get abc")
    assert.equal(2, code)
    assert.matches("positive integer id expected", out, 1, true)
    assert.equal(2, select(2, mautic("nosuchfamily list")))
    assert.equal(2, select(2, mautic("contacts nosuchverb")))
  end)

  it("streams every item of each as one JSON line", function()
    for i = 1, 3 do mautic("contacts create email=e" .. i .. "@example.com") end
    local out = mautic("contacts each page_size=2")
    local n = 0
    for line in out:gmatch("[^\n]+") do n = n + 1 assert.is_number(json.decode(line).id) end
    assert.equal(3, n)
  end)

  it("lists the routes of a family", function()
    local out = mautic("routes segments")
    assert.matches("segments%s+add_contact%s+POST%s+/segments/{id}/contact/{contactId}/add", out)
  end)
end)
