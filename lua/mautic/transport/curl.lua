--- HTTP through the C core's libcurl session: one easy handle per client,
-- kept alive, sharing connections, DNS answers and TLS sessions with the
-- other sessions of the Lua state (see src/share.c). The transport of
-- plain Lua (mautic.host.plain); mautic.scheduler drives the same requests
-- over a multi handle.
local core = require "mautic.core"

local pcall, tostring = pcall, tostring

local _M = {}

--- A new session (a libcurl easy handle of its own).
function _M.session() return core.session() end

--- Send one request over a session:
-- (req) -> status, headers, body | nil, message, kind, sent
function _M.request(session, req)
  -- the core raises on what must never be sent (CR/LF in a header, a body
  -- on GET); such a request comes from data, not from the caller's code,
  -- so it becomes an error value like any other failure
  local ok, status, headers, body, sent = pcall(session.request, session, req)
  if not ok then return nil, tostring(status), "usage", false end
  return status, headers, body, sent
end

--- A transport function with a session of its own, and its closer.
-- @treturn function (req) -> status, headers, body | nil, message, kind, sent
-- @treturn function close()
function _M.new()
  local session
  local function send(req)
    session = session or core.session()
    return _M.request(session, req)
  end
  local function close()
    if session then session:close() end
  end
  return send, close
end

return _M
