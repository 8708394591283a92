--- The contract every host adapter keeps (mautic.host), run on whatever
-- host runs it: plain Lua, a mautic.parallel task, a task of a loop's
-- driver, inside nginx, inside HAProxy. spec/host_contract_spec.lua runs
-- it on each and checks every answer. Plain Lua in every Lua the specs run
-- under (loaded with dofile inside nginx and HAProxy).
--   local results = contract.run{ url = fake_url, auth = "Basic ..." }
--   -- results.name, and for each check: true, or what went wrong
local host = require "mautic.host"
-- a pcall a task may yield across (plain Lua 5.1 cannot otherwise)
local pcall = require("mautic.compat").pcall

local _M = {}

local function check(results, name, fn)
  local ok, why = pcall(fn)
  if ok and why == nil then results[name] = true
  else results[name] = tostring(why or "failed") end
end

--- Run every check; returns { name = adapter name, <check> = true | message }.
-- @tparam table o url (a fake Mautic), auth (an Authorization header)
function _M.run(o)
  local results = { name = host.current().name }
  local h, p = o.url:match("^http://([^:/]+):(%d+)")

  check(results, "sleep_and_now", function()
    local t0 = host.now()
    host.sleep(0.05)
    local waited = host.now() - t0
    if waited < 0.04 then return "slept " .. waited .. " s for 0.05" end
  end)

  check(results, "connect", function()
    local conn, err = host.connect(h, tonumber(p), { timeout = 5, read_timeout = 10 })
    if not conn then return "connect: " .. tostring(err) end
    local ok, serr = conn:send("GET /api/contacts HTTP/1.0\r\nHost: " .. h .. "\r\n\r\n")
    if not ok then return "send: " .. tostring(serr) end
    local line, rerr = conn:receive("*l")
    conn:close()
    if not (line and line:match("^HTTP/1%.%d 401")) then return "receive: " .. tostring(line or rerr) end
  end)

  check(results, "spawn_and_wait", function()
    local t = host.spawn(function(a, b) return a + b, "x" end, 2, 3)
    local ok, v, s = host.wait(t)
    if not (ok == true and v == 5 and s == "x") then
      return "got " .. tostring(ok) .. " " .. tostring(v) .. " " .. tostring(s)
    end
    local bad = host.spawn(function() error("boom", 0) end)
    local bok, berr = host.wait(bad)
    if bok ~= false or berr ~= "boom" then return "a raising thread gave " .. tostring(bok) .. " " .. tostring(berr) end
  end)

  check(results, "lock", function()
    local inner, outer = 0, 0
    local a, b = host.lock("contract", function()
      outer = host.depth("contract")
      host.lock("contract", function() inner = host.depth("contract") end)
      return 1, 2
    end)
    if not (a == 1 and b == 2 and outer == 1 and inner == 2 and host.depth("contract") == 0) then
      return ("depths %d %d %d, values %s %s"):format(outer, inner, host.depth("contract"), tostring(a), tostring(b))
    end
    local ok, err = pcall(host.lock, "contract", function() error("inside", 0) end)
    if ok or err ~= "inside" or host.depth("contract") ~= 0 then return "a raise inside the lock kept it" end
  end)

  check(results, "send", function()
    local send, close = host.transport()
    local status, _, body = send{ method = "GET", url = o.url .. "/api/contacts?limit=1", timeout = 10,
                                  connect_timeout = 5, headers = { Authorization = o.auth } }
    close()
    if status ~= 200 then return "status " .. tostring(status) .. " " .. tostring(body) end
  end)
  return results
end

return _M
