-- Loaded into the specs' HAProxy: stops it once the spec process that
-- started it (SPEC_PARENT_PID) is gone, so a dying spec run leaves no proxy.
local parent = os.getenv("SPEC_PARENT_PID")
core.register_task(function()
  while true do
    local alive = io.open("/proc/" .. parent .. "/stat")
    if not alive then os.exit(0) end
    alive:close()
    core.msleep(500)
  end
end)
