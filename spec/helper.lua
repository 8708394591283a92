-- Loaded by busted before any spec (see .busted): points package.cpath at
-- the C core built for the running Lua ABI, and makes sure a fake Mautic
-- server is running (one started by bin/run-specs, or one of our own).
local abi = jit and "luajit" or "lua5.4"
local dir = os.getenv("MAUTIC_CORE_DIR") or ("build/" .. abi)
package.cpath = dir .. "/?.so;" .. package.cpath
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;spec/?/init.lua;" .. package.path
