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

-- /two: a client of each of two servers (MAUTIC_FAKE_URL with client-a,
-- MAUTIC_FAKE_URL2 with client-b), one shm store for both
local url2 = os.getenv("MAUTIC_FAKE_URL2")
local pair = url2 and url2 ~= "" and {
  a = mautic.new{ url = url, timeout = 10, auth = mautic.auth.oauth2{ client_id = "client-a",
                  client_secret = "secret-a", store = mautic.auth.store.shm("mautic") } },
  b = mautic.new{ url = url2, timeout = 10, auth = mautic.auth.oauth2{ client_id = "client-b",
                  client_secret = "secret-b", store = mautic.auth.store.shm("mautic") } },
}

function _M.two()
  answer(pair[ngx.var.arg_server])
end

return _M
