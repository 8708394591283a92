--- The Lua that runs the specs, for the specs that start child Lua
-- processes: a child must run under the same interpreter and load the core
-- built for the same ABI (a core built for another Lua loads and misbehaves).
-- Children always load the plain build (build/<abi>), never the sanitizer
-- build of `make sanitize`: they run without its runtime.
local version = _VERSION:match("%d+%.%d+")

local _M = {}

--- The ABI name: "luajit", "lua5.1" ... "lua5.4" (also the build folder's name).
_M.abi = jit and "luajit" or ("lua" .. version)

--- The interpreter's command (Debian names it after the ABI).
_M.interpreter = _M.abi

--- Where the plain build of the core for this ABI is.
_M.core_dir = "build/" .. _M.abi

--- A package.cpath entry list for children (ends in ";;": the system's modules).
_M.cpath = _M.core_dir .. "/?.so;;"

return _M
