-- contacts.import keeps only the chunks in flight in memory: the peak
-- resident set of a process importing 10,000 rows from a CSV file (and, with
-- MAUTIC_SPEC_SLOW=1, 10,000 and 100,000 from a CSV file and from an
-- iterator: about 3 minutes per Lua) stays under 64 MB, and does not grow
-- with the row count. Measured in a child process
-- (VmHWM from /proc/self/status) against the fake Mautic, which answers
-- every batch with whole contacts as Mautic 5.1 does.
local fake = require "support.fake"
local sys = require "support.sys"

local LUA = require("support.lua").interpreter   -- also the name of its build folder
local LIMIT_KB = 64 * 1024
local SLOW = os.getenv("MAUTIC_SPEC_SLOW") == "1"

local CHILD = [[
  package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
  package.cpath = "build/]] .. LUA .. [[/?.so;" .. package.cpath
  local mautic = require "mautic"
  local url, user, pass, mode, n, conc = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5]), tonumber(arg[6])
  local api = assert(mautic.new{ url = url, auth = mautic.auth.basic{ username = user, password = pass },
                                 timeout = 60 })
  local source = arg[7]
  if mode == "iterator" then
    local i = 0
    source = function()
      i = i + 1
      if i <= n then
        return { email = ("m%d@memory.test"):format(i), firstname = "First " .. i, lastname = "Last " .. i,
                 company = "Acme, Inc", city = "Lyon", tags = "a,b" }
      end
    end
  end
  local s = assert(api.contacts.import(source, { concurrency = conc }))
  local hwm = io.open("/proc/self/status"):read("*a"):match("VmHWM:%s*(%d+)")
  print(s.created + s.merged, s.failed, hwm, ("%.0f"):format(s.rate))
]]

describe("contacts.import memory", function()
  local script
  local peaks = {}

  lazy_setup(function()
    script = os.tmpname()
    sys.write_file(script, CHILD)
  end)
  lazy_teardown(function()
    fake.reset()          -- leave no 100,000 contacts behind
    os.remove(script)
    if next(peaks) then
      local keys = {}
      for k in pairs(peaks) do keys[#keys + 1] = k end
      table.sort(keys)
      for _, k in ipairs(keys) do io.stderr:write(("\n  peak RSS %s: %s"):format(k, peaks[k])) end
      io.stderr:write("\n")
    end
  end)
  before_each(function() fake.reset() end)

  local function csv_file(n)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("email,firstname,lastname,company,city,tags\r\n")
    for i = 1, n do
      f:write(("m%d@memory.test,First %d,Last %d,\"Acme, Inc\",Lyon,\"a,b\"\r\n"):format(i, i, i))
    end
    f:close()
    return path
  end

  -- rows imported and peak resident set (kB) of a child importing n rows
  local function measure(mode, n, conc)
    local path = mode == "csv" and csv_file(n) or "-"
    local out = sys.shell(("%s %s %s %s %s %s %d %d %s 2>&1"):format(LUA, script, fake.url, fake.username,
      fake.password, mode, n, conc, path))
    if mode == "csv" then os.remove(path) end
    local imported, failed, hwm, rate = out:match("^(%d+)%s+(%d+)%s+(%d+)%s+(%d+)")
    assert(hwm, out)
    assert.equal(n, tonumber(imported))
    assert.equal(0, tonumber(failed))
    assert.equal(n, assert(fake.client().contacts.list{ limit = 1 }).total)
    peaks[("%s %s %d rows, concurrency %d"):format(LUA, mode, n, conc)] =
      ("%.1f MB (%s rows/s)"):format(tonumber(hwm) / 1024, rate)
    return tonumber(hwm)
  end

  it("stays under 64 MB importing 10,000 rows from a CSV file, 4 chunks in flight", function()
    assert.is_true(measure("csv", 10000, 4) < LIMIT_KB)
  end)

  if SLOW then
    it("stays under 64 MB and flat importing 100,000 rows from a CSV file (MAUTIC_SPEC_SLOW)", function()
      local small = measure("csv", 10000, 4)
      local big = measure("csv", 100000, 4)
      assert.is_true(big < LIMIT_KB)
      assert.is_true(big < small + 16 * 1024, ("10k: %d kB, 100k: %d kB"):format(small, big))
    end)

    it("stays under 64 MB and flat importing 100,000 rows from an iterator (MAUTIC_SPEC_SLOW)", function()
      local small = measure("iterator", 10000, 1)
      local big = measure("iterator", 100000, 1)
      assert.is_true(big < LIMIT_KB)
      assert.is_true(big < small + 16 * 1024, ("10k: %d kB, 100k: %d kB"):format(small, big))
    end)
  end
end)
