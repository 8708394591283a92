--- The Mautic a client talks to: its version and what that version has
-- (mautic.versions), learnt from the `Mautic-Version` header of any /api
-- answer already seen, else from one `GET /api/users/self`, and kept on
-- the client. /api/v2 answers carry no Mautic-Version; the probe is an
-- /api route every user may read.
local http = require "mautic.http"
local errors = require "mautic.errors"
local versions = require "mautic.versions"
local host = require "mautic.host"

local _M = {}

-- one GET /api/users/self; its Mautic-Version is recorded by the client
local function probe(client, o)
  local v, err = http.call(client, { method = "GET", path = "/users/self",
                                     timeout = o.timeout, retries = o.retries, deadline = o.deadline })
  if v == nil then return nil, err end
  local info = versions.describe(client.version)
  client.server = info
  return info
end

--- The server's table: { version, major, minor, patch, v2, campaign_import,
-- rate_limiter, projects, date_modified_moves, v2_bearer }; { version = nil }
-- when the server sends no Mautic-Version.
-- @treturn[1] table
-- @treturn[2] nil
-- @treturn[2] mautic.error the probe's failure
function _M.info(client, o)
  local cached = client.server
  if client.version then
    if not (cached and cached.version == client.version) then
      cached = versions.describe(client.version)
      client.server = cached
    end
    return cached
  end
  if cached then return cached end
  -- tasks of one client that all start with a v2 call make one probe: the
  -- others wait for it, then find the answer kept
  return host.lock(client, function()
    if client.server or client.version then return _M.info(client, o) end
    return probe(client, o or {})
  end)      -- the host's own wait: a caller's sleep may be a test's no-op
end

--- Does the server have `feature`? true (also when its version cannot be
-- known: the server then answers for itself), or nil and an error of kind
-- "unsupported" naming the version, before anything is sent.
function _M.require(client, feature, fname, o)
  local info, err = _M.info(client, o)
  if not info then return nil, err end
  if info.major == nil or info[feature] then return true end
  return nil, errors.new{ kind = "unsupported", message = versions.unsupported_message(fname, feature, info.version),
                          version = info.version, feature = feature }
end

return _M
