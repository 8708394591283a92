--- Starting and stopping a fake Mautic process (for `mautic.fake`).
-- The server is nginx with the fake's Lua modules; `bin/fake-mautic` knows
-- how to run it (a free port, its own state directory, a certificate for
-- TLS, a watch on the process that started it), so this module finds that
-- command and runs it, in a checkout and in a luarocks tree alike.
-- Plain Lua and Linux's /proc: no nginx module is loaded here.
-- @module mautic.fake.launch
local _M = {}

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- The pid of this process (Linux), as a string.
function _M.own_pid()
  return (read_file("/proc/self/stat") or ""):match("^(%d+)")
end

--- Is process `pid` running (neither gone nor a zombie)?
function _M.alive(pid)
  local stat = read_file("/proc/" .. tostring(pid) .. "/stat")
  return stat ~= nil and stat:match("^%d+ %b() (%a)") ~= "Z"
end

--- The `fake-mautic` command: $MAUTIC_FAKE_LAUNCHER, else the one beside
-- these modules (a checkout's bin/ next to its lua/; a luarocks tree's bin/
-- three levels above share/lua/5.x/), else the one on the PATH.
function _M.command()
  local env = os.getenv("MAUTIC_FAKE_LAUNCHER")
  if env and env ~= "" then return env end
  local dir = debug.getinfo(1, "S").source:match("^@(.-)/?mautic/fake/launch%.lua$")
  if dir then
    if dir == "" then dir = "." end
    for _, up in ipairs{ "/..", "/../../.." } do
      local path = dir .. up .. "/bin/fake-mautic"
      if read_file(path) then return path end
    end
  end
  return "fake-mautic"
end

--- Start a server that stops when this process ends.
-- @tparam table opts `tls` (boolean), `state_dir`, `command` (the fake-mautic to run)
-- @treturn[1] table { url =, pid_file =, dir = (its working directory), ca_file = (with tls) }
-- @treturn[2] nil
-- @treturn[2] string what went wrong (the command's own words)
function _M.start(opts)
  local base = os.tmpname()
  os.remove(base)     -- a unique name; the pid file and the error output go beside it
  local pid_file, err_file = base .. ".pid", base .. ".err"
  local cmd = { quote(opts.command or _M.command()), "start", "--watch-pid", _M.own_pid(),
                "--pid-file", quote(pid_file) }
  if opts.tls then cmd[#cmd + 1] = "--tls" end
  if opts.state_dir then cmd[#cmd + 1] = "--state-dir " .. quote(opts.state_dir) end
  local p = io.popen(table.concat(cmd, " ") .. " 2>" .. quote(err_file))
  local url = p and p:read("*l")
  if p then p:close() end
  local said = read_file(err_file) or ""
  os.remove(err_file)
  if not (url and url:match("^https?://")) then
    local why = said:gsub("%s+$", "")
    if why == "" then why = "no URL printed" end
    return nil, "could not start the fake Mautic server (" .. cmd[1] .. " start): " .. why
  end
  -- fake-mautic writes the server's working directory (nginx.conf, error.log) beside the pid file
  local dir = (read_file(pid_file .. ".dir") or ""):match("[^\r\n]+")
  return { url = url, pid_file = pid_file, ca_file = said:match("ca_file=(%S+)"), dir = dir }
end

--- The pid of the nginx master of a started server (nil once stopped).
function _M.pid(started)
  return tonumber((read_file(started.pid_file) or ""):match("%d+"))
end

--- nginx's error log of a started server ("" when there is none).
function _M.error_log(started)
  return started.dir and read_file(started.dir .. "/error.log") or ""
end

--- Stop a started server by its pid file (fake-mautic stop: a graceful quit,
-- then the working directory is removed). Its stderr comes through: it says
-- when the server's worker crashed while it ran.
function _M.stop(started, command)
  os.execute(("%s stop --pid-file %s >/dev/null"):format(quote(command or _M.command()),
                                                                quote(started.pid_file)))
end

return _M
