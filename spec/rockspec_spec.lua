-- The rockspecs are what `luarocks make` installs: each must name every
-- module (the fake server's, mautic.fake.*, among them), every C source and
-- the commands.
local function files(cmd)
  local out = {}
  for line in io.popen(cmd):lines() do out[#out + 1] = line end
  return out
end

for _, name in ipairs{ "mautic-scm-1", "mautic-0.2.0-1" } do
  describe("rockspec/" .. name .. ".rockspec", function()
    local text = assert(io.open("rockspec/" .. name .. ".rockspec")):read("*a")

    it("lists every Lua module under lua/", function()
      for _, path in ipairs(files("find lua -name '*.lua' | sort")) do
        local mod = path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
        assert.matches('["' .. mod .. '"] = "' .. path .. '"', text, 1, true)
      end
    end)

    it("compiles every C source into mautic.core", function()
      for _, path in ipairs(files("ls src/*.c")) do
        assert.matches('"' .. path .. '"', text, 1, true)
      end
    end)

    it("installs the fake Mautic server (mautic.fake) with the library, so other test suites can start it", function()
      assert.matches('["mautic.fake"] = "lua/mautic/fake/init.lua"', text, 1, true)
      assert.matches('["mautic.fake.app"] = "lua/mautic/fake/app.lua"', text, 1, true)
      assert.matches('["mautic.fake.data.templates"] = "lua/mautic/fake/data/templates.lua"', text, 1, true)
      assert.not_matches("fake_mautic", text, 1, true)
      assert.not_matches('"tools/', text, 1, true)       -- the generators are not installed
    end)

    it("depends on Lua alone (JSON is the core's; lua-cjson is only the specs')", function()
      local deps = assert(text:match("dependencies = (%b{})"))
      assert.same({ '"lua >= 5.1"' }, (function()
        local t = {}
        for d in deps:gmatch('"[^"]*"') do t[#t + 1] = d end
        return t
      end)())
      -- and nothing the rock installs requires it
      for _, path in ipairs(files("grep -rlE \"require[ (]*['\\\"]cjson\" lua bin")) do
        error(path .. " requires cjson")
      end
    end)

    it("installs bin/mautic and bin/fake-mautic", function()
      assert.matches('["mautic"] = "bin/mautic"', text, 1, true)
      assert.matches('["fake-mautic"] = "bin/fake-mautic"', text, 1, true)
    end)
  end)
end
