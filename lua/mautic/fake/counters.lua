-- What reached the fake (GET /__fake/counters): every request, the
-- connections that carried them, and the arrivals of each write at its
-- controller. The request log says what was sent; arrivals say what Mautic
-- would have acted on, so a spec can tell a write that happened twice from
-- one that happened once, even when the answer never left (a dropped
-- connection after storing).
--
-- Arrival keys:
--   "<METHOD> <path>"        a request that passed the firewall and the router
--                            and whose body decodes (the moment Mautic's
--                            controller starts): "POST /api/contacts/batch/new",
--                            "DELETE /api/contacts/5/delete" (the path as routed,
--                            without /index.php and the query)
--   "<family>:<identifier>"  each entity a create goes on to write: a POST
--                            /api/<family>/new body, or a row of a batch/new within
--                            the batch limit, by the family's identifying field
--                            (contacts: the email in lower case, Mautic's unique
--                            identifier; notes: the text; others: their first
--                            required field); "contacts:" for a row without an email.
local json = require "mautic.fake.json"

local _M = {}

local state

-- Requests being handled now, of those that arrived since the last reset
-- (`epoch`): one still sleeping on a delay from an earlier spec is not
-- counted, nor uncounted when it ends.
local in_flight, epoch = 0, 0

function _M.reset()
  state = { requests = 0, reused = 0, connections = 0, seen = {}, arrivals = {}, max_in_flight = 0 }
  in_flight, epoch = 0, epoch + 1
end
_M.reset()

--- One request (admin routes excluded) on the connection with nginx's
-- serial `connection`; `reused`: not the first request on it.
function _M.request(connection, reused)
  state.requests = state.requests + 1
  in_flight = in_flight + 1
  if in_flight > state.max_in_flight then state.max_in_flight = in_flight end
  ngx.ctx.counted = epoch
  if reused then state.reused = state.reused + 1 end
  if connection and not state.seen[connection] then
    state.seen[connection] = true
    state.connections = state.connections + 1
  end
end

--- A request has been answered (the end of the handler), or closed by a
-- fault (misbehave.lua, just before its ngx.exit); counted once.
function _M.done()
  if ngx.ctx.counted == epoch then in_flight = in_flight - 1 end
  ngx.ctx.counted = nil
end

local function bump(key)
  state.arrivals[key] = (state.arrivals[key] or 0) + 1
end

-- the value that names a created entity of family F
local function identifier(F, row)
  if type(row) ~= "table" then return "" end
  local field = F.ident or (F.required and F.required[1] and F.required[1][1])
  local v = field and row[field]
  if type(v) == "number" then v = tostring(v) end
  if type(v) ~= "string" then return "" end
  if F.ident_lower then v = v:lower() end
  return v
end

--- A request that reached its controller (req.method, req.path).
function _M.arrive(req)
  bump(req.method .. " " .. req.path)
end

--- An entity of family F a create is about to write (a create's body, or one
-- row of a batch that passed the batch limit).
function _M.create(F, row)
  bump(F.path .. ":" .. identifier(F, row))
end

function _M.state()
  local arrivals = json.obj()
  local keys = {}
  for k in pairs(state.arrivals) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do arrivals[k] = state.arrivals[k] end
  return json.O{ "requests", state.requests, "reused", state.reused, "connections", state.connections,
                 "max_in_flight", state.max_in_flight, "arrivals", arrivals }
end

return _M
