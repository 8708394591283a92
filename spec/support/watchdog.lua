--- An nginx directive that stops the server (graceful quit of its master)
-- once the process that started it is gone, so a spec run that dies never
-- leaves a server behind. Used by the throwaway nginx servers of the specs.
local _M = {}

local own_pid = require("support.sys").own_pid

--- init_worker_by_lua_block watching this process; pid_file is nginx's.
function _M.directive(pid_file)
  return ([[
init_worker_by_lua_block {
  local watched, pid_file = "%s", "%s"
  ngx.timer.every(0.5, function(premature)
    if premature then return end
    local alive = io.open("/proc/" .. watched .. "/stat")
    if alive then alive:close() return end
    local f = io.open(pid_file)
    local master = f and tonumber(f:read("*l"))
    if f then f:close() end
    if master then os.execute("kill -QUIT " .. master) end
  end)
}]]):format(own_pid(), pid_file)
end

return _M
