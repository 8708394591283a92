-- Runs inside nginx for spec/ngx_phases_spec.lua, in the phases that have
-- no cosockets: calls Mautic there and records what came back in the
-- shared dict "phases" (phase -> JSON { ok, kind, message }).
-- A blocking curl session or multi is a failure: the trap below raises.
local core = require "mautic.core"
core.session = function() error("a blocking curl session was used inside nginx") end
core.multi = function() error("a blocking curl multi was used inside nginx") end

local mautic = require "mautic"
local json = require "mautic.json"

local _M = {}

-- the fake's URL comes in the environment (nginx's env directive)
local function client()
  return mautic.new{ url = os.getenv("MAUTIC_FAKE_URL"), auth = mautic.auth.basic{ username = "admin", password = "mautic" },
                     timeout = 2, retries = 0 }
end

--- Call Mautic from the running phase; returns and records the outcome.
function _M.try(id)
  local v, err = client().contacts.get(id)
  local out = { phase = ngx.get_phase(), ok = v ~= nil, kind = err and err.kind,
                message = err and err.message, maybe_applied = err and err.maybe_applied }
  ngx.shared.phases:set(out.phase, json.encode(out))
  return out
end

--- The documented way out: the same call, deferred to a zero-delay timer.
function _M.defer(id)
  return ngx.timer.at(0, function(premature)
    if premature then return end
    local v, err = client().contacts.get(id)
    ngx.shared.phases:set("deferred", json.encode{ ok = v ~= nil, status = err and err.status,
                                                   kind = err and err.kind })
  end)
end

return _M
