--- The fake Mautic server as the specs see it: `mautic.fake` (the library's
-- own), called with a dot. bin/run-specs starts one server per suite and
-- exports its URL in MAUTIC_FAKE_URL; a spec run by hand starts its own,
-- which stops itself when this process exits. `fake.another()` starts one
-- more, with the same functions, for specs that need two servers.
-- What is only the specs' own: `client` records sleeps instead of sleeping,
-- `token_entry` and `owned` name a token store's entry for this server.
local mfake = require "mautic.fake"

local _M = {}

-- the functions of server `srv`, added to `t`, callable as t.reset()
local function bind(t, srv)
  t.server, t.url, t.ca_file = srv, srv.url, srv.ca_file
  t.username, t.password = srv.username, srv.password
  for _, name in ipairs{ "reset", "log", "clear_log", "config", "fault", "faults", "clear_faults", "state",
                         "last", "count", "counters", "arrivals", "tokens", "expire_tokens", "issue_token" } do
    t[name] = function(...) return srv[name](srv, ...) end
  end

  --- How many logged requests have this method and a path matching `pattern`.
  function t.requests(method, pattern) return srv:count{ method = method, path = pattern } end

  --- The store entry an OAuth2 handler of `client_id` keeps its tokens in for
  -- this server: its key and issuer.
  function t.token_entry(client_id)
    local issuer = srv.url .. "/oauth/v2/token"
    return require("mautic.auth.store").default_key(issuer, client_id), issuer
  end

  --- Tokens as the handler of `client_id` writes them (with their issuer),
  -- to put in a store by hand: returns them and the entry key.
  function t.owned(tokens, client_id)
    local key, issuer = t.token_entry(client_id)
    local copy = {}
    for k, v in pairs(tokens) do copy[k] = v end
    copy.issuer, copy.client_id = issuer, client_id
    return copy, key
  end

  --- A client for this server; sleeps are recorded instead of slept
  -- (sleep = false: the client's own sleep).
  function t.client(opts)
    local slept = {}
    local o = {
      sleep = function(s) slept[#slept + 1] = s end,
      timeout = 30,   -- room for `make valgrind`, where everything runs many times slower
    }
    for k, v in pairs(opts or {}) do o[k] = v end
    if o.sleep == false then o.sleep = nil end
    return srv:client(o), slept
  end

  function t.stop() srv:stop() end
  return t
end

local url = os.getenv("MAUTIC_FAKE_URL")
bind(_M, url and url ~= "" and mfake.attach(url) or assert(mfake.start()))

--- One more fake server, of this process (it stops when the process ends,
-- or with .stop()).
-- @tparam[opt] table opts the options of mautic.fake.start ({ tls = true })
function _M.another(opts)
  return bind({}, assert(mfake.start(opts)))
end

return _M
