-- The Lua layer's requires point one way (doc/INTERNALS.md, "Layers"):
-- every require at the top of its module, no circle of modules, and the
-- engine never reaching into the route tables of api/. Read from the
-- sources, so a new module is held to it the day it is added.
local function modules()
  local out = {}
  for path in io.popen("find lua/mautic -name '*.lua' | sort"):lines() do
    local name = path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
    out[name] = path
  end
  return out
end

-- name -> { required module names }, and the requires made inside a
-- function, read from the bytecode listing (luac5.4 -l): a require of a
-- constant name is `GETTABUP ... "require"` then `LOADK ... "mautic..."`,
-- in the main chunk or in a function's prototype. A name built at run time
-- (api/init.lua loads a family by name, on first use) is not a constant.
local function requires(mods)
  local edges, inside = {}, {}
  for name, path in pairs(mods) do
    edges[name] = {}
    local listing = assert(io.popen("luac5.4 -p -l " .. path .. " 2>&1"))
    local in_main, after_require = true, false
    for line in listing:lines() do
      if line:find("^main <") then in_main = true
      elseif line:find("^function <") then in_main = false end
      local dep = after_require and line:match('LOADK%s.*; "(mautic[%w_.]*)"$')
      if dep and mods[dep] and dep ~= name then
        edges[name][#edges[name] + 1] = dep
        if not in_main then inside[#inside + 1] = path .. " requires " .. dep .. " inside a function" end
      end
      after_require = line:find('_ENV "require"$') ~= nil
    end
    listing:close()
  end
  return edges, inside
end

-- the circles of a graph: every back edge found by a depth-first walk
local function circles(edges)
  local found, state = {}, {}
  local function walk(n, stack)
    state[n] = "open"
    stack[#stack + 1] = n
    for _, d in ipairs(edges[n] or {}) do
      if state[d] == "open" then
        local from
        for i = 1, #stack do if stack[i] == d then from = i end end
        found[#found + 1] = table.concat(stack, " -> ", from) .. " -> " .. d
      elseif state[d] == nil then
        walk(d, stack)
      end
    end
    stack[#stack] = nil
    state[n] = "done"
  end
  local names = {}
  for n in pairs(edges) do names[#names + 1] = n end
  table.sort(names)
  for _, n in ipairs(names) do if state[n] == nil then walk(n, {}) end end
  return found
end

describe("the Lua layer's requires", function()
  local mods = modules()
  local edges, inside = requires(mods)

  it("are at the top of each module (a require inside a function can hide a circle)", function()
    -- the fake server's modules and the facade's table fields are checked too
    assert.same({}, inside)
  end)

  it("form no circle", function()
    assert.same({}, circles(edges))
  end)

  it("never go from the engine to api/ (only the facade and api/ itself read the route tables)", function()
    local bad = {}
    for name, deps in pairs(edges) do
      if name ~= "mautic" and not name:find("^mautic%.api") then
        for _, d in ipairs(deps) do
          if d:find("^mautic%.api") then bad[#bad + 1] = name .. " -> " .. d end
        end
      end
    end
    assert.same({}, bad)
  end)

  it("are found by this spec (a circle and a late require made up here are caught)", function()
    assert.same({ "a -> b -> a" }, circles{ a = { "b" }, b = { "a" } })
    assert.same({}, circles{ a = { "b" }, b = {} })
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/mautic"))
    local f = assert(io.open(dir .. "/mautic/late.lua", "w"))
    f:write('local json = require "mautic.json"\nlocal function later() return require("mautic.json") end\n'
      .. 'return { json = json, later = later }\n')
    f:close()
    local _, late = requires{ ["mautic.late"] = dir .. "/mautic/late.lua", ["mautic.json"] = "lua/mautic/json.lua" }
    os.execute("rm -rf " .. dir)
    assert.same({ dir .. "/mautic/late.lua requires mautic.json inside a function" }, late)
  end)
end)
