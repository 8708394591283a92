-- The rockspec is what `luarocks make` installs: it must name every module.
describe("rockspec/mautic-scm-1.rockspec", function()
  local text = assert(io.open("rockspec/mautic-scm-1.rockspec")):read("*a")

  local function files(cmd)
    local out = {}
    for line in io.popen(cmd):lines() do out[#out + 1] = line end
    return out
  end

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
end)
