-- Injected faults (POST /__fake/fault): canned answers, dropped
-- connections and delays for requests whose path matches a Lua pattern.
--
-- Faults form one queue in registration order. A request is handled by the
-- FIRST registered fault that matches it (path pattern and method): while
-- that fault still has `skip` left, the request goes through untouched and
-- the skip is used up; after that the fault applies `count` times (a count
-- <= 0 means forever) and then leaves the queue, so the next matching
-- fault takes over ("first registered, first used").
local _M = { list = {} }

function _M.add(f)
  local fault = {}
  for k, v in pairs(f) do fault[k] = v end
  fault.count = tonumber(fault.count) or 1
  fault.skip = math.max(0, math.floor(tonumber(fault.skip) or 0))
  _M.list[#_M.list + 1] = fault
  return fault
end

function _M.clear() _M.list = {} end

local function matches(f, method, path)
  local ok_path = true
  if f.path ~= nil then
    local ok, pos = pcall(string.find, path, tostring(f.path))
    if not ok then pos = path:find(tostring(f.path), 1, true) end -- a bad pattern: plain text
    ok_path = pos ~= nil
  end
  local ok_method = (f.method == nil) or (tostring(f.method):upper() == method)
  return ok_path and ok_method
end

-- returns the fault to apply (its count already decremented) or nil
function _M.match(method, path)
  for i, f in ipairs(_M.list) do
    if matches(f, method, path) then
      if f.skip > 0 then
        f.skip = f.skip - 1
        return nil
      end
      if f.count > 0 then
        f.count = f.count - 1
        if f.count == 0 then table.remove(_M.list, i) end
      end
      return f
    end
  end
  return nil
end

return _M
