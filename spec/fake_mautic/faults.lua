-- Injected faults (POST /__fake/fault): canned answers, dropped
-- connections and delays for requests whose path matches a Lua pattern.
local _M = { list = {} }

function _M.add(f)
  local fault = {}
  for k, v in pairs(f) do fault[k] = v end
  fault.count = tonumber(fault.count) or 1
  _M.list[#_M.list + 1] = fault
  return fault
end

function _M.clear() _M.list = {} end

-- returns the fault to apply (its count already decremented) or nil
function _M.match(method, path)
  for i, f in ipairs(_M.list) do
    local ok_path = (f.path == nil) or (path:find(f.path) ~= nil)
    local ok_method = (f.method == nil) or (tostring(f.method):upper() == method)
    if ok_path and ok_method then
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
