-- luacheck: globals ngx
--- The hostile server's entry point, run inside nginx (one worker; state in
-- module tables): `content_by_lua_block { require("support.hostile.server").handle() }`.
--
-- Each API or token request is counted, routed (and the route counted),
-- then offered to the fault rules. Without a fault it gets Mautic's answer.
-- With one, the handler runs first when the fault stores (store_then_*,
-- empty_2xx, ... see support.hostile.faults), then the fault misbehaves.
local store = require "support.hostile.store"
local api = require "support.hostile.api"
local faults = require "support.hostile.faults"
local admin = require "support.hostile.admin"

local _M = {}

function _M.handle()
  local method = ngx.req.get_method()
  local path = ngx.var.uri
  if path:sub(1, 11) == "/__hostile/" then return admin.handle(method, path:sub(12)) end

  local reused = (tonumber(ngx.var.connection_requests) or 1) > 1
  store.count_request(ngx.var.connection, reused)
  local route, caps = api.route(method, path)
  store.bump(store.counters.routes, route[3])
  if route[3] == "token" then
    store.counters.token_requests = store.counters.token_requests + 1
  end

  local rule = faults.pick(method, path, reused)
  if rule and rule.action == "drop" then return faults.act(rule) end  -- body never read

  ngx.req.read_body()
  local req = api.request(method, path)
  req.fault = rule
  if not rule then return api.send(api.run(route, caps, req)) end
  local res = faults.stores(rule) and api.run(route, caps, req) or nil
  return faults.act(rule, res, req)
end

return _M
