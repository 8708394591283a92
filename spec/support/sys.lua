--- Small operating-system helpers the specs share: files, commands and
-- processes. Plain Lua, so that every Lua the specs run under can use them.
local _M = {}

--- The whole content of a file, or nil when it cannot be read.
function _M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("*a")
  f:close()
  return data
end

--- Write a file whole (raises when it cannot).
function _M.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

--- What a shell command prints on stdout.
function _M.shell(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

--- What a shell command prints (stdout and stderr together) and its exit
-- status, as a user at a terminal would see them.
function _M.run(cmd)
  local out = _M.shell(("%s 2>&1; echo \"exit=$?\""):format(cmd))
  local body, code = out:match("^(.-)\n?exit=(%d+)\n$")
  return body, tonumber(code)
end

--- A copy of the project's sources (without build/ and .git) in a new
-- temporary directory, for `luarocks make`: its builtin backend compiles
-- the C files in place, so two suites building for two Luas at once in the
-- same folder would link each other's object files.
function _M.source_copy()
  local dir = _M.shell("mktemp -d /tmp/mautic-spec-src.XXXXXX"):gsub("%s+$", "")
  assert(os.execute(("tar --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.so' -cf - . "
    .. "| tar -xf - -C %s"):format(dir)))
  return dir
end

--- The pid of this process, as a string.
function _M.own_pid()
  return _M.read_file("/proc/self/stat"):match("^(%d+)")
end

--- Is process `pid` running (neither gone nor a zombie)?
function _M.alive(pid)
  local stat = _M.read_file("/proc/" .. pid .. "/stat")
  return stat ~= nil and stat:match("^%d+ %b() (%a)") ~= "Z"
end

return _M
