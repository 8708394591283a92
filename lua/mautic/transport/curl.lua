--- The default transport: one libcurl session per client, kept alive.
local core = require "mautic.core"

local _M = { _VERSION = "0.1.0" }

--- A transport function bound to a fresh session, and a closer.
-- @treturn function (req) -> status, headers, body | nil, message, kind
-- @treturn function close()
function _M.new()
  local session = core.session()
  local function send(req)
    return session:request(req)
  end
  local function close()
    session:close()
  end
  return send, close
end

return _M
