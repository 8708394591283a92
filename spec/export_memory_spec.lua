-- contacts.export with pages in flight keeps only those pages in memory: the
-- peak resident set of a child process exporting every contact to a CSV
-- file, 4 pages of 500 in flight, stays under 64 MB for 10,000 contacts and
-- (with MAUTIC_SPEC_SLOW=1) does not grow from 10,000 to 100,000: on Lua 5.4
-- and LuaJIT (42 and 48 MB, flat to 100,000 on 5.4). On 5.1-5.3 it still
-- grows with the row count (5.3: 36 MB for 2,000, 98 MB for 10,000): pending,
-- with the figure, until issue 17 fixes it.
-- Measured as in bulk_memory_spec.lua: VmHWM of the child, against the fake.
local fake = require "support.fake"
local sys = require "support.sys"

local LUA = require("support.lua").interpreter
local LIMIT_KB = 64 * 1024
local SLOW = os.getenv("MAUTIC_SPEC_SLOW") == "1"
-- the Luas on which a concurrent export's peak is flat today
local FLAT_ON = { ["lua5.4"] = true, luajit = true }

local CHILD = [[
  package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
  package.cpath = "build/]] .. LUA .. [[/?.so;" .. package.cpath
  local mautic = require "mautic"
  local url, user, pass, out = arg[1], arg[2], arg[3], arg[4]
  local api = assert(mautic.new{ url = url, auth = mautic.auth.basic{ username = user, password = pass },
                                 timeout = 60 })
  local s = assert(api.contacts.export{ fields = { "id", "email", "firstname" }, to = out,
                                        page_size = 500, concurrency = 4 })
  local hwm = io.open("/proc/self/status"):read("*a"):match("VmHWM:%s*(%d+)")
  print(s.rows or s.exported or s.count or -1, hwm)
]]

describe("contacts.export memory, 4 pages in flight", function()
  local script

  lazy_setup(function()
    script = os.tmpname()
    sys.write_file(script, CHILD)
  end)
  lazy_teardown(function()
    fake.reset()          -- leave no 100,000 contacts behind
    os.remove(script)
  end)
  before_each(function() fake.reset() end)

  -- n more contacts in the fake, numbered from `first`, imported by a child
  -- process (4 chunks in flight): this busted may run under valgrind
  local function seed(n, first)
    first = first or 1
    local code = ([[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/%s/?.so;" .. package.cpath
      local mautic = require "mautic"
      local api = assert(mautic.new{ url = %q, auth = mautic.auth.basic{ username = %q, password = %q },
                                     timeout = 60 })
      local i, last = %d, %d
      local s = assert(api.contacts.import(function()
        i = i + 1
        if i <= last then return { email = ("x%%d@export-memory.test"):format(i), firstname = "First " .. i } end
      end, { concurrency = 4 }))
      print(s.created)
    ]]):format(LUA, fake.url, fake.username, fake.password, first - 1, first - 1 + n)
    local path = os.tmpname()
    sys.write_file(path, code)
    local out = sys.shell(("%s %s 2>&1"):format(LUA, path))
    os.remove(path)
    assert.equal(tostring(n), out:match("^(%d+)%s*$"), out)
  end

  -- peak resident set (kB) of a child exporting every contact; the CSV checked whole
  local function measure(n)
    local out = os.tmpname()
    local printed = sys.shell(("%s %s %s %s %s %s 2>&1"):format(LUA, script, fake.url, fake.username,
      fake.password, out))
    local hwm = printed:match("(%d+)%s*$")
    assert(hwm, printed)
    local text = assert(sys.read_file(out))
    os.remove(out)
    local lines = select(2, text:gsub("\n", "\n"))
    assert.equal(n + 1, lines)                                   -- the header and every contact
    assert.truthy(text:find(("x%d@export-memory.test"):format(n), 1, true))
    io.stderr:write(("\n  peak RSS %s export of %d contacts, concurrency 4: %.1f MB"):format(LUA, n, hwm / 1024))
    return tonumber(hwm)
  end

  it("stays under 64 MB exporting 10,000 contacts", function()
    seed(10000)
    local peak = measure(10000)
    if not FLAT_ON[LUA] then
      -- measured, not yet met: on these Luas the peak still grows with the row count (issue 17)
      return pending(("grows on %s (issue 17): %d kB for 10,000"):format(LUA, peak))
    end
    assert.is_true(peak < LIMIT_KB, peak .. " kB")
  end)

  if SLOW and FLAT_ON[LUA] then
    it("stays flat from 10,000 to 100,000 contacts (MAUTIC_SPEC_SLOW)", function()
      seed(10000)
      local small = measure(10000)
      seed(90000, 10001)
      local large = measure(100000)
      assert.is_true(large < LIMIT_KB)
      assert.is_true(large < small * 1.25, ("%d kB for 100,000, %d kB for 10,000"):format(large, small))
    end)
  end
end)
