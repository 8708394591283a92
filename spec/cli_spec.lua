local fake = require "support.fake"
local json = require "mautic.json"
local sys = require "support.sys"
local families = require "mautic.api"
local endpoint = require "mautic.endpoint"

local LUA = require("support.lua").interpreter
local ENV = ("MAUTIC_URL=%s MAUTIC_USERNAME=admin MAUTIC_PASSWORD=mautic"):format(fake.url)

-- bin/mautic as a user runs it, under the interpreter of this run: stdout and stderr together
local function mautic(args, env)
  return sys.run(("%s %s %s bin/mautic %s"):format(ENV, env or "", LUA, args))
end

-- the same, with stdout and stderr apart
local function mautic3(args, env)
  local err_path = os.tmpname()
  local cmd = ("%s %s %s bin/mautic %s 2>%s; echo \"exit=$?\""):format(ENV, env or "", LUA, args, err_path)
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  local stderr = sys.read_file(err_path) or ""
  os.remove(err_path)
  local body, code = out:match("^(.-)\n?exit=(%d+)\n$")
  return body, stderr, tonumber(code)
end

local function tmp_csv(text)
  local path = os.tmpname()
  sys.write_file(path, text)
  return path
end

local function exists(path) return sys.read_file(path) ~= nil end

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
    assert.matches("must be a positive number", out, 1, true)
    assert.equal(2, select(2, mautic("nosuchfamily list")))
    assert.equal(2, select(2, mautic("contacts nosuchverb")))
    assert.equal(2, select(2, mautic("contacts get 5 --nosuchoption")))
    assert.equal(2, select(2, mautic("")))
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

  describe("a usage mistake", function()
    -- the two lines of a usage error: what is wrong, and where the help is
    local function usage_lines(args, env)
      local out, stderr, code = mautic3(args, env)
      local lines = {}
      for l in stderr:gmatch("[^\n]+") do lines[#lines + 1] = l end
      return lines, code, out
    end

    it("says in one line what is wrong and points at the help, without printing it", function()
      local lines, code, out = usage_lines("contacts import x.csv --concurency 3")
      assert.equal(2, code)
      assert.equal("", out)
      assert.same({ "mautic: unknown option --concurency (did you mean --concurrency?)",
                    "Try 'mautic contacts import --help'." }, lines)
    end)

    it("suggests the nearest family, verb or option when there is a close one", function()
      assert.same({ "mautic: unknown family 'contatcs' (did you mean contacts?)", "Try 'mautic --help'." },
        (usage_lines("contatcs list")))
      assert.same({ "mautic: unknown verb 'lsit' for contacts (did you mean list?)", "Try 'mautic contacts --help'." },
        (usage_lines("contacts lsit")))
      assert.same({ "mautic: unknown verb 'add-points' for contacts (did you mean add_points?)",
                    "Try 'mautic contacts --help'." }, (usage_lines("contacts add-points 5 10")))
      assert.same({ "mautic: unknown option --craete (did you mean --create?)", "Try 'mautic contacts edit --help'." },
        (usage_lines("contacts edit 5 firstname=Bo --craete")))
      assert.same({ "mautic: unknown option --batch_limit (did you mean --batch-limit?)",
                    "Try 'mautic contacts import --help'." }, (usage_lines("contacts import x.csv --batch_limit 5")))
    end)

    it("suggests nothing when no name is close", function()
      assert.same({ "mautic: unknown family 'zzzzzz'", "Try 'mautic --help'." }, (usage_lines("zzzzzz list")))
      assert.same({ "mautic: unknown option --zzzzzz", "Try 'mautic contacts get --help'." },
        (usage_lines("contacts get 5 --zzzzzz")))
    end)

    it("is two lines whatever the mistake", function()
      local mistakes = { "", "contacts", "routes nosuch", "help nosuch", "help contacts nosuch", "contacts import",
                         "contacts import a.csv b.csv", "contacts import x.csv --concurrency zero",
                         "contacts import x.csv --resume --no-checkpoint", "contacts import x.csv name=x",
                         "contacts export extra", "contacts export --where nojson", "contacts export --limit",
                         "contacts create --json nojson", "contacts get", "contacts get abc", "contacts get 5 6",
                         "contacts import /nonexistent/nope.csv" }
      for _, args in ipairs(mistakes) do
        local lines, code = usage_lines(args)
        assert.equal(2, code, args)
        assert.equal(2, #lines, args .. ":\n" .. table.concat(lines, "\n"))
        assert.matches("^mautic: ", lines[1], nil, args)
        assert.matches("^Try 'mautic[%w_ ]*%-%-help'%.$", lines[2], nil, args)
      end
    end)

    it("says why a CSV file cannot be read", function()
      local lines = usage_lines("contacts import /nonexistent/nope.csv")
      assert.equal("mautic: cannot read /nonexistent/nope.csv: No such file or directory", lines[1])
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir " .. dir))
      lines = usage_lines("contacts import " .. dir)
      assert.equal(("mautic: cannot read %s: Is a directory"):format(dir), lines[1])
      os.execute("rmdir " .. dir)
    end)

    it("says a file is not readable when permissions forbid it (as a user other than root)", function()
      if sys.shell("id -u"):match("^0") then return end   -- root reads every file
      local path = tmp_csv("email\nx@cli.test\n")
      os.execute("chmod 000 " .. path)
      local lines = usage_lines("contacts import " .. path)
      assert.equal(("mautic: cannot read %s: Permission denied"):format(path), lines[1])
      os.remove(path)
    end)

    it("names the argument that is not an id, in the words of the command line", function()
      local lines, code = usage_lines("contacts get abc")
      assert.equal(2, code)
      assert.same({ "mautic: contacts get: argument 1 (<id>) must be a positive number, not 'abc'",
                    "Try 'mautic contacts get --help'." }, lines)
      assert.equal("mautic: contacts get_point_group: argument 2 (<groupId>) must be a positive number, not '0'",
        usage_lines("contacts get_point_group 5 0")[1])
      assert.equal("mautic: contacts add_points: argument 2 (<delta>) must be a number, not 'ten'",
        usage_lines("contacts add_points 5 ten")[1])
      assert.equal("mautic: contacts get needs <id> (argument 1)", usage_lines("contacts get")[1])
      assert.equal("mautic: contacts get takes 1 argument (<id>), not 2: name=value pairs make the query",
        usage_lines("contacts get 5 6")[1])
      assert.equal(0, #fake.log())                     -- nothing was sent
    end)

    it("says which variable is missing or wrong, and what Mautic said of the credentials", function()
      local lines, code = usage_lines("contacts get 1", "MAUTIC_URL=")
      assert.equal(2, code)
      assert.matches("^mautic: MAUTIC_URL is not set", lines[1])
      assert.equal("Try 'mautic --help'.", lines[2])
      lines = usage_lines("contacts get 1", "MAUTIC_URL=example.com/api")
      assert.equal("mautic: MAUTIC_URL must be an http:// or https:// URL, not 'example.com/api'", lines[1])
      lines = usage_lines("contacts get 1", "MAUTIC_USERNAME= MAUTIC_PASSWORD=")
      assert.matches("^mautic: no credentials: set MAUTIC_USERNAME and MAUTIC_PASSWORD", lines[1])
      local out, stderr, fcode = mautic3("contacts get 1", "MAUTIC_PASSWORD=wrong")
      assert.equal(1, fcode)
      assert.equal("", out)
      local said = {}
      for l in stderr:gmatch("[^\n]+") do said[#said + 1] = l end
      assert.equal(2, #said, stderr)
      assert.matches("401", said[1], 1, true)
      assert.equal("mautic: Mautic refused the credentials: check MAUTIC_USERNAME and MAUTIC_PASSWORD", said[2])
    end)
  end)

  describe("JSON output", function()
    it("prints an empty list as [] so that jq can index it", function()
      local out, code = mautic("contacts list search=nobody")
      assert.equal(0, code)
      assert.matches('"items":[]', out, 1, true)
      out = mautic("segments list")
      assert.matches('"items":[]', out, 1, true)
    end)

    it("keeps the empty arrays of an entity as []", function()
      -- relies on mautic.json.decode marking the arrays it decodes
      assert.equal('{"a":[]}', json.encode(json.decode('{"a":[]}')))
      local out = mautic("contacts create email=arr@example.com")
      assert.matches('"tags":[]', out, 1, true)
      assert.matches('"doNotContact":[]', out, 1, true)
    end)
  end)

  describe("help", function()
    it("describes the tool, its families and its exit codes, with exit status 0", function()
      for _, flag in ipairs{ "--help", "-h", "help" } do
        local out, code = mautic(flag)
        assert.equal(0, code)
        assert.matches("usage: mautic <family> <verb>", out, 1, true)
        assert.matches("Exit status:", out, 1, true)
        for _, c in ipairs{ "0  success", "1  Mautic or the network said no", "2  usage", "3  import only" } do
          assert.matches(c, out, 1, true)
        end
        for _, name in ipairs(families.names) do assert.matches(name, out, 1, true) end
      end
    end)

    it("lists every verb of every family with its method, path and doc, from the route tables", function()
      for _, name in ipairs(families.names) do
        local out, code = mautic(name .. " --help")
        assert.equal(0, code, name)
        for _, r in ipairs(endpoint.routes_of(families.load(name))) do
          if r.path then
            local path = r.base == "root" and r.path or ("/api" .. r.path)
            assert.matches(("  %s%%s+%s%%s+%s"):format(r.name, r.method, path:gsub("%p", "%%%0")), out)
          else
            assert.matches("  " .. r.name, out, 1, true)   -- no request of its own (a URL builder)
          end
        end
      end
      local out = mautic("help contacts")
      assert.matches("add_points%s+POST%s+/api/contacts/{id}/points/plus/{delta}", out)
      assert.matches("Add points; optional body", out, 1, true)
    end)

    it("describes one verb: its arguments, request, doc and Lua example", function()
      local out, code = mautic("contacts add_points --help")
      assert.equal(0, code)
      assert.matches("usage: mautic contacts add_points <id> <delta>", out, 1, true)
      assert.matches("POST /api/contacts/{id}/points/plus/{delta}", out, 1, true)
      assert.matches("api.contacts.add_points(5, 10", out, 1, true)
      out = mautic("help contacts edit")
      assert.matches("[--create]", out, 1, true)
      out = mautic("contacts import --help")
      assert.matches("usage: mautic contacts import FILE.csv", out, 1, true)
      assert.matches("--resume", out, 1, true)
      out = mautic("contacts export -h")
      assert.matches("--fields a,b", out, 1, true)
      assert.equal(2, select(2, mautic("help contacts nosuchverb")))
    end)
  end)

  describe("contacts import", function()
    it("imports a CSV file with a segment and tags, prints a summary and removes its checkpoint", function()
      mautic("segments create name=Imported")
      local path = tmp_csv('email,firstname,tags\nann@cli.test,Ann,"vip,lead"\nbob@cli.test,Bob,\n')
      local out, stderr, code = mautic3(("contacts import %s --segment 1 --tag cli --tag csv"):format(path))
      assert.equal(0, code, stderr)
      local s = json.decode(out)
      assert.equal(2, s.created)
      assert.equal(0, s.failed)
      assert.equal("", stderr)                        -- stderr is no terminal: no progress bar
      assert.is_false(exists(path .. ".checkpoint"))
      local listed = json.decode((mautic("contacts list search=segment:imported")))
      assert.equal(2, listed.total)
      local ann = json.decode((mautic("contacts list search=email:ann@cli.test"))).items[1]
      local tags = {}
      for _, t in ipairs(ann.tags) do tags[#tags + 1] = t.tag end
      table.sort(tags)
      assert.same({ "cli", "csv", "lead", "vip" }, tags)
      os.remove(path)
    end)

    it("exits 3 when Mautic refused rows, and prints one line per row with --rows", function()
      local path = tmp_csv("email\nok@cli.test\nnot-an-email\nok2@cli.test\n")
      local out, _, code = mautic3("contacts import " .. path .. " --rows --batch-limit 2")
      assert.equal(3, code)
      local lines = {}
      for l in out:gmatch("[^\n]+") do lines[#lines + 1] = json.decode(l) end
      assert.equal(4, #lines)
      assert.same({ "created", "failed", "created" }, { lines[1].action, lines[2].action, lines[3].action })
      assert.equal(3, lines[2].line)
      assert.equal("not-an-email", lines[2].email)
      assert.equal(1, lines[4].failed)               -- the summary comes last
      os.remove(path)
    end)

    it("exits 2 for a malformed CSV file, a missing file or a bad option, and sends nothing", function()
      local path = tmp_csv('email\n"open\n')
      local out, code = mautic("contacts import " .. path)
      assert.equal(2, code)
      assert.matches("a quoted field is not closed", out, 1, true)
      assert.equal(2, select(2, mautic("contacts import /nonexistent.csv")))
      assert.equal(2, select(2, mautic("contacts import " .. path .. " --concurrency zero")))
      assert.equal(2, select(2, mautic("contacts import " .. path .. " --bogus")))
      assert.equal(2, select(2, mautic("contacts import")))
      for _, r in ipairs(fake.log()) do assert.not_equal("/api/contacts/batch/new", r.path) end
      os.remove(path) os.remove(path .. ".checkpoint")
    end)

    it("stops before the first row, exit 2, for a column that is no contact field, and names the nearest", function()
      fake.clear_log()
      local path = tmp_csv("email,firstnme\nann@cli.test,Ann\n")
      local out, code = mautic("contacts import " .. path)
      assert.equal(2, code)
      assert.matches("firstnme: no such contact field; did you mean firstname?", out, 1, true)
      for _, r in ipairs(fake.log()) do assert.not_equal("/api/contacts/batch/new", r.path) end
      assert.is_false(exists(path .. ".checkpoint"))
      os.remove(path)
    end)

    it("takes --timeout and MAUTIC_TIMEOUT, and gives up on a server that never answers", function()
      fake.fault{ path = "^/api/contacts/1$", delay = 3, count = 0 }
      local out, code = mautic("contacts get 1 --timeout 0.3 --deadline 1")
      assert.equal(1, code)
      assert.matches("timeout", out, 1, true)
      out, code = mautic("contacts get 1 --deadline 1", "MAUTIC_TIMEOUT=0.3")
      assert.equal(1, code)
      assert.matches("timeout", out, 1, true)
      assert.equal(2, select(2, mautic("contacts get 1 --timeout soon")))
      assert.equal(2, select(2, mautic("contacts get 1", "MAUTIC_TIMEOUT=soon")))
      fake.reset()
    end)

    it("imports unchecked with --strict-fields off, and says what it sent with warn", function()
      local path = tmp_csv("email,firstnme\noff@cli.test,Ann\n")
      local _, stderr, code = mautic3("contacts import " .. path .. " --no-checkpoint --strict-fields warn")
      assert.equal(0, code)
      assert.matches("firstnme: no such contact field", stderr, 1, true)
      assert.equal(0, select(3, mautic3("contacts import " .. path .. " --no-checkpoint --strict-fields=off")))
      assert.equal(2, select(3, mautic3("contacts import " .. path .. " --strict-fields maybe")))
      os.remove(path)
    end)

    it("exports --fields that are contact fields, and refuses one that is not (exit 2)", function()
      local out, code = mautic("contacts export --fields email,firstnme")
      assert.equal(2, code)
      assert.matches("firstnme: no such contact field; did you mean firstname?", out, 1, true)
    end)

    it("stops on a failed chunk (exit 1), refuses to start over by accident, and finishes with --resume", function()
      local lines = { "email" }
      for i = 1, 30 do lines[#lines + 1] = ("r%d@cli.test"):format(i) end
      local path = tmp_csv(table.concat(lines, "\n") .. "\n")
      fake.fault{ path = "^/api/contacts/batch/new$", status = 500, skip = 1, count = 1 }
      local out, stderr, code = mautic3("contacts import " .. path .. " --batch-limit 10")
      assert.equal(1, code)
      assert.matches("--resume", stderr, 1, true)
      local partial = json.decode(out)
      assert.equal(10, partial.created)
      assert.equal(20, partial.pending)
      assert.is_true(exists(path .. ".checkpoint"))
      -- the summary's errors name the chunk failure that stopped the job
      assert.equal(1, #partial.errors)
      assert.same({ 11, 20 }, partial.errors[1].rows)
      assert.equal(500, partial.errors[1].status)
      assert.is_true(partial.errors[1].maybe_applied)
      assert.is_string(partial.errors[1].message)
      assert.matches("10 of 30 rows done", stderr, 1, true)

      local _, stderr2, code2 = mautic3("contacts import " .. path .. " --batch-limit 10")
      assert.equal(2, code2)
      -- why --resume: what the checkpoint records
      assert.same({ ("mautic: %s.checkpoint records an import that stopped with 10 of 30 rows done "
                     .. "(10 created, 0 merged, 0 refused): add --resume to send only the 20 others, or remove "
                     .. "the checkpoint to start over"):format(path),
                    "Try 'mautic contacts import --help'." },
        (function() local t = {} for l in stderr2:gmatch("[^\n]+") do t[#t + 1] = l end return t end)())

      local out3, _, code3 = mautic3("contacts import " .. path .. " --batch-limit 10 --resume")
      assert.equal(0, code3)
      local s = json.decode(out3)
      assert.equal(10, s.skipped)
      assert.equal(20, s.created + s.merged)
      assert.is_false(exists(path .. ".checkpoint"))
      assert.equal(30, json.decode((mautic("contacts list search=email:%@cli.test"))).total)
      -- the chunk before the failure was sent once
      local sent = 0
      for _, r in ipairs(fake.log()) do
        if r.path == "/api/contacts/batch/new" and r.body:find("r1@cli.test", 1, true) then sent = sent + 1 end
      end
      assert.equal(1, sent)
      os.remove(path)
    end)

    it("leaves no checkpoint behind when nothing could be done", function()
      local path = tmp_csv("email\nnone@cli.test\n")
      local _, stderr, code = mautic3("contacts import " .. path, "MAUTIC_PASSWORD=wrong")
      assert.equal(1, code)
      assert.matches("401", stderr, 1, true)
      assert.is_false(exists(path .. ".checkpoint"))
      assert.equal(1, select(3, mautic3("contacts import " .. path .. " --segment 42")))
      assert.is_false(exists(path .. ".checkpoint"))
      assert.equal(0, select(3, mautic3("contacts import " .. path)))
      os.remove(path)
    end)

    it("reads standard input with -", function()
      local path = tmp_csv("email\nstdin@cli.test\n")
      local out, code = mautic("contacts import - < " .. path)
      assert.equal(0, code, out)
      assert.equal(1, json.decode(out).created)
      os.remove(path)
    end)

    it("draws a progress bar on stderr when it is a terminal, and nothing on a pipe", function()
      local lines = { "email" }
      for i = 1, 5 do lines[#lines + 1] = ("p%d@cli.test"):format(i) end
      local path = tmp_csv(table.concat(lines, "\n") .. "\n")
      local _, stderr = mautic3("contacts import " .. path .. " --batch-limit 2 --no-checkpoint")
      assert.equal("", stderr)
      _, stderr = mautic3("contacts import " .. path .. " --batch-limit 2 --no-checkpoint --progress")
      assert.matches("\rrows [", stderr, 1, true)
      assert.matches("5/5 100%", stderr, 1, true)
      assert.matches("rows/s  ETA 0:00", stderr, 1, true)
      local found = os.execute("command -v script >/dev/null 2>&1")
      if found == true or found == 0 then
        -- under a pseudo-terminal, as a user at a shell sees it
        local cmd = ("%s %s bin/mautic contacts import %s --batch-limit 2 --no-checkpoint"):format(ENV, LUA, path)
        local tty = sys.shell(("script -qec %q /dev/null"):format(cmd))
        assert.matches("\rrows [", tty, 1, true)
        assert.matches("ETA", tty, 1, true)
      end
      os.remove(path)
    end)
  end)

  describe("contacts export", function()
    it("writes CSV to stdout, with the fields asked for", function()
      mautic("contacts create email=x1@cli.test firstname='Ann, A'")
      mautic("contacts create email=x2@cli.test firstname=Bo")
      local out, stderr, code = mautic3("contacts export --fields email,firstname")
      assert.equal(0, code, stderr)
      assert.equal('email,firstname\r\nx1@cli.test,"Ann, A"\r\nx2@cli.test,Bo\r\n', out .. "\n")
      assert.equal("", stderr)
    end)

    it("exports a segment and a search, and writes --output whole", function()
      for i = 1, 4 do mautic(("contacts create email=s%d@cli.test"):format(i)) end
      mautic("segments create name=Some")
      mautic("segments add_contacts 1 'ids[]=2' 'ids[]=3'")
      local out = mautic3("contacts export --segment 1 --fields id")
      assert.equal("id\r\n2\r\n3\r\n", out .. "\n")
      out = mautic3("contacts export --segment some --search email:s3% --fields id")
      assert.equal("id\r\n3\r\n", out .. "\n")
      local file = os.tmpname()
      local _, _, code = mautic3("contacts export --fields email --output " .. file)
      assert.equal(0, code)
      assert.equal("email\r\ns1@cli.test\r\ns2@cli.test\r\ns3@cli.test\r\ns4@cli.test\r\n", sys.read_file(file))
      os.remove(file)
      assert.equal(1, select(3, mautic3("contacts export --segment 99")))
      assert.equal(2, select(3, mautic3("contacts export --where nojson")))
    end)

    it("takes --concurrency: the same CSV, in id order", function()
      for i = 1, 7 do mautic(("contacts create email=k%d@cli.test"):format(i)) end
      local seq = mautic3("contacts export --fields id,email --page-size 2")
      local out, stderr, code = mautic3("contacts export --fields id,email --page-size 2 --concurrency 3")
      assert.equal(0, code, stderr)
      assert.equal(seq, out)
      assert.matches("^id,email\r\n1,k1@cli.test\r\n", out)
      assert.equal(2, select(3, mautic3("contacts export --concurrency 0")))
      assert.equal(2, select(3, mautic3("contacts export --concurrency 2 orderBy=email")))
    end)

    it("round-trips with import", function()
      local path = tmp_csv('email,firstname,lastname,tags\nrt1@cli.test,Ann,"Lee, Jr.","a,b"\nrt2@cli.test,"Bo ""B""",,\n')
      assert.equal(0, select(2, mautic("contacts import " .. path)))
      local first = mautic3("contacts export --fields email,firstname,lastname,tags")
      fake.reset()
      sys.write_file(path, first .. "\n")
      assert.equal(0, select(2, mautic("contacts import " .. path)))
      local second = mautic3("contacts export --fields email,firstname,lastname,tags")
      assert.equal(first, second)
      assert.matches('rt2@cli.test,"Bo ""B""",,', first, 1, true)
      os.remove(path)
    end)
  end)
end)

describe("bin/fake-mautic", function()
  it("prints its help on stdout and exits 0 with --help or -h", function()
    for _, flag in ipairs{ "--help", "-h", "help" } do
      local out = sys.shell("bin/fake-mautic " .. flag .. " 2>/dev/null; echo \"exit=$?\"")
      assert.matches("fake-mautic start", out, 1, true, flag)
      assert.matches("exit=0\n$", out, nil, flag)
    end
  end)

  it("says what is wrong in one line, with the hint to --help, for an unknown command or option", function()
    local out = sys.shell("bin/fake-mautic strat 2>&1; echo \"exit=$?\"")
    assert.equal("fake-mautic: unknown command 'strat' (start, stop or status)\nTry 'fake-mautic --help'.\nexit=2\n", out)
    out = sys.shell("bin/fake-mautic start --prot 5 2>&1; echo \"exit=$?\"")
    assert.equal("fake-mautic: unknown option --prot\nTry 'fake-mautic --help'.\nexit=2\n", out)
  end)
end)
