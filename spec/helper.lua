-- Loaded by busted before any spec (see .busted): points package.cpath at
-- the C core built for the running Lua ABI, and makes sure a fake Mautic
-- server is running (one started by bin/run-specs, or one of our own).
local abi = jit and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
local dir = os.getenv("MAUTIC_CORE_DIR") or ("build/" .. abi)
package.cpath = dir .. "/?.so;" .. package.cpath
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;spec/?/init.lua;" .. package.path

-- Under `make sanitize` the sanitizer runtime is preloaded into this
-- process; the programs specs start (nginx, curl, other Lua processes) must
-- not inherit it, or they hang or report on code that is not ours.
if os.getenv("LD_PRELOAD") and os.getenv("SPEC_PRELOAD") then
  local popen, execute = io.popen, os.execute
  local function clean(cmd)
    return "env -u LD_PRELOAD sh -c '" .. cmd:gsub("'", "'\\''") .. "'"
  end
  io.popen = function(cmd, ...) return popen(clean(cmd), ...) end   -- luacheck: ignore
  os.execute = function(cmd, ...)                                   -- luacheck: ignore
    if cmd == nil then return execute() end
    return execute(clean(cmd), ...)
  end
end
