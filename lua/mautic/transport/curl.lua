--- The default transport: one libcurl session per client, kept alive.
-- Requests go out one at a time, except inside mautic.parallel, where the
-- running coroutine hands its request to the scheduler's curl multi
-- handle and waits for the answer without blocking the others.
local core = require "mautic.core"
local parallel = require "mautic.parallel"

local pcall, tostring = pcall, tostring

local _M = { _VERSION = "0.1.0" }

--- A transport function bound to a fresh session, and a closer.
-- @treturn function (req) -> status, headers, body | nil, message, kind
-- @treturn function close()
function _M.new()
  local session = core.session()
  local function send(req)
    if parallel.active() then return parallel.send(req) end
    -- the core raises on what must never be sent (CR/LF in a header, a body
    -- on GET); such a request comes from data, not from the caller's code,
    -- so it becomes an error value like any other failure
    local ok, status, headers, body = pcall(session.request, session, req)
    if not ok then return nil, tostring(status), "usage" end
    return status, headers, body
  end
  local function close()
    session:close()
  end
  return send, close
end

return _M
