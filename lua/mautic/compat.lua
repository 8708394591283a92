--- What differs between Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT, in one place.
--
-- The one difference that changes behaviour: plain Lua 5.1 cannot yield
-- across `pcall`. A task of `mautic.parallel` that waits for a lock (or
-- sleeps) inside a pcall yields to the scheduler, which 5.1 refuses with
-- "attempt to yield across metamethod/C-call boundary". So on plain 5.1,
-- `pcall` here runs the function in a coroutine of its own and passes its
-- yields on to the caller's resumer, and `running` answers with the
-- coroutine the code runs for (the caller's), so that "who holds this
-- lock" and "is this a scheduler's task" see through the wrapper.
-- LuaJIT and Lua 5.2+ yield across pcall natively: both are the plain
-- functions there.
local pcall = pcall
local co_running, co_create, co_resume, co_yield, co_status =
      coroutine.running, coroutine.create, coroutine.resume, coroutine.yield, coroutine.status

local _M = {}

--- `table.unpack` (5.2+) or `unpack` (5.1, LuaJIT).
_M.unpack = table.unpack or unpack -- luacheck: ignore 143

local yields_across_pcall = _VERSION ~= "Lua 5.1" or jit ~= nil
_M.yields_across_pcall = yields_across_pcall

-- wrapper coroutine -> the coroutine it runs for (weak: a wrapper that is
-- gone needs no entry)
local runs_for = setmetatable({}, { __mode = "k" })

--- The running coroutine, seen through the wrappers of `pcall`.
-- @return coroutine or nil (the main thread of plain 5.1)
-- @treturn boolean whether it is the main thread (5.2+)
function _M.running()
  local co, is_main = co_running()
  while co ~= nil and runs_for[co] ~= nil do co = runs_for[co] end
  return co, is_main
end

if yields_across_pcall then
  _M.pcall = pcall
  return _M
end

-- plain Lua 5.1 ---------------------------------------------------------------

local function step(co, ok, ...)
  if not ok then return false, (...) end
  if co_status(co) == "dead" then return true, ... end
  -- fn yielded: pass the yield out, and what the resumer gives back in
  return step(co, co_resume(co, co_yield(...)))
end

--- `pcall` that lets `fn` yield.
function _M.pcall(fn, ...)
  local outer = co_running()
  if outer == nil then return pcall(fn, ...) end     -- the main thread cannot yield anyway
  local co = co_create(fn)
  runs_for[co] = outer
  return step(co, co_resume(co, ...))
end


return _M
