--- The default transport.
-- Picks, for each request, what the running code can use without harm:
--  * inside nginx, in a phase that has cosockets: HTTP over cosockets, so
--    the worker never blocks (mautic.transport.ngx); in a phase without
--    them (init, init_worker outside a timer, set, header_filter,
--    body_filter, log, balancer): nothing is sent, the answer is a "usage"
--    error saying so and how to defer the call, never a blocking request;
--  * inside HAProxy: HTTP over HAProxy's core.tcp cosockets
--    (mautic.transport.haproxy), so the proxy never blocks;
--  * inside mautic.parallel: the scheduler's curl multi handle;
--  * anywhere else: one libcurl session per client, kept alive.
local core = require "mautic.core"
local parallel = require "mautic.parallel"

local pcall, tostring = pcall, tostring

local _M = { _VERSION = "0.2.0" }

local ngx_transport
if ngx and ngx.socket then ngx_transport = require "mautic.transport.ngx" end

local haproxy_transport = require "mautic.transport.haproxy"
if not haproxy_transport.available() then haproxy_transport = nil end

--- A transport function with its own session, and a closer.
-- @treturn function (req) -> status, headers, body | nil, message, kind, sent
-- @treturn function close()
function _M.new()
  local session
  local function send(req)
    if ngx_transport then
      if ngx_transport.available() then return ngx_transport.request(req) end
      return nil, ngx_transport.unavailable_reason(), "usage", false
    end
    if haproxy_transport then return haproxy_transport.request(req) end
    if parallel.active() then return parallel.send(req) end
    session = session or core.session()
    -- the core raises on what must never be sent (CR/LF in a header, a body
    -- on GET); such a request comes from data, not from the caller's code,
    -- so it becomes an error value like any other failure
    local ok, status, headers, body, sent = pcall(session.request, session, req)
    if not ok then return nil, tostring(status), "usage", false end
    return status, headers, body, sent
  end
  local function close()
    if session then session:close() end
  end
  return send, close
end

return _M
