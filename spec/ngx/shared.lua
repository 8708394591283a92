-- Loaded by init_by_lua into the specs' 4-worker nginx, so every worker has it
-- (spec/ngx_shared_spec.lua): one client per worker, all sharing the
-- tokens (mautic.auth.store.shm) and, for /limited, a request budget
-- (mautic.limit.shm) in lua_shared_dict "mautic".
local mautic = require "mautic"
local json = require "mautic.json"

local _M = {}

local url = os.getenv("MAUTIC_FAKE_URL")

local oauth_api = mautic.new{
  url = url, timeout = 10,
  auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = "fake-secret",
                             store = mautic.auth.store.shm("mautic") },
}

local limited_api = mautic.new{
  url = url, timeout = 10,
  auth = mautic.auth.basic{ username = "admin", password = "mautic" },
  rate_limit = mautic.limit.shm("mautic", { limit = 20, window = 2 }),
}

local function answer(api)
  local page, err = api.contacts.list{ limit = 1 }
  ngx.say(json.encode{ worker = ngx.worker.pid(), ok = page ~= nil, err = err and tostring(err) })
end

function _M.call() answer(oauth_api) end
function _M.limited() answer(limited_api) end

return _M
