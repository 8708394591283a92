--- What became of a request that did not succeed, and what to do next.
-- Every rule about resending lives in the table below, so that the loop in
-- mautic.http never decides by itself whether a write may be repeated.
--
-- A failure is first put in a class. Each class says whether a write that
-- failed that way may still have been applied by Mautic (`maybe_applied`),
-- and what each kind of call does next:
--   retry  send again after a backoff (counts against `retries`)
--   wait   send again once the server's wait is over (counts against the
--          separate rate-limit budget, `rate_limit_retries`)
--   probe  a PUT: look the entity up first; resend only if it exists, since
--          Mautic's PUT on a missing id creates a new entity each time
--   stop   give up: the error goes back to the caller
--
-- Kinds of call:
--   read    GET, HEAD: nothing to apply, always safe to repeat
--   delete  DELETE: repeating it cannot write twice (a 404 after an attempt
--           that may have worked means it did), so even a 500 is retried: it
--           either deletes what the first attempt did not, or finds it gone
--   put     PUT: an update when the entity exists, a create when it does not
--   write   POST, PATCH: never repeated once they may have reached Mautic
--   merge   a contact create whose every row carries a unique identifier:
--           Mautic merges a second create into the first (200, same id),
--           so it is safe to resend after an unknown outcome
local _M = {}

--            class            maybe_applied   read     delete   put      write    merge
local RULES = {
  unsent    = { false,         "retry", "retry", "retry", "retry", "retry" },
  dropped   = { true,          "retry", "retry", "probe", "stop",  "retry" },
  timeout   = { true,          "retry", "retry", "probe", "stop",  "retry" },
  garbage   = { true,          "retry", "retry", "probe", "stop",  "retry" },
  gateway   = { true,          "retry", "retry", "probe", "stop",  "retry" },  -- 502 503 504
  server    = { true,          "stop",  "retry", "stop",  "stop",  "stop" },   -- other 5xx
  too_large = { true,          "stop",  "stop",  "stop",  "stop",  "stop" },
  limited   = { false,         "wait",  "wait",  "wait",  "wait",  "wait" },   -- 429
  refused   = { false,         "stop",  "stop",  "stop",  "stop",  "stop" },   -- other 4xx
  local_err = { false,         "stop",  "stop",  "stop",  "stop",  "stop" },   -- usage, file, memory, tls
}
_M.RULES = RULES

local COLUMN = { read = 2, delete = 3, put = 4, write = 5, merge = 6 }

local KIND_OF_METHOD = { GET = "read", HEAD = "read", DELETE = "delete", PUT = "put",
                         POST = "write", PATCH = "write" }

-- transport kinds that mean the request never left this machine
local NEVER_SENT = { connect = true, resolve = true, proxy = true }
-- transport kinds where resending cannot help
local LOCAL = { usage = true, file = true, memory = true, tls = true }

--- The kind of call, from its method and whether Mautic merges it.
function _M.call_kind(method, merges)
  if merges and method == "POST" then return "merge" end
  return KIND_OF_METHOD[method] or "write"
end

--- The class of a failure.
-- @param status HTTP status, or nil for a transport failure
-- @param kind the transport's failure kind (connect, resolve, timeout, tls,
--   network, proxy, file, usage, memory, too_large)
-- @param sent the transport's word on whether the request went out: true,
--   false, or nil when it cannot tell (then only connect/resolve/proxy
--   failures count as unsent)
function _M.classify(status, kind, sent)
  if status then
    if status == 429 then return "limited" end
    if status == 502 or status == 503 or status == 504 then return "gateway" end
    if status >= 500 then return "server" end
    return "refused"
  end
  if kind == "too_large" then return "too_large" end
  if NEVER_SENT[kind] or sent == false then
    -- a failure before sending (a TLS handshake, a bad URL) is still local
    if LOCAL[kind] then return "local_err" end
    return "unsent"
  end
  if LOCAL[kind] then return "local_err" end
  if kind == "timeout" then return "timeout" end
  if kind == "garbage" then return "garbage" end
  return "dropped"
end

--- Decide what to do after a failure.
-- @tparam string class from classify()
-- @tparam string call from call_kind()
-- @treturn string action: "retry", "wait", "probe" or "stop"
-- @treturn boolean whether a write that failed this way may have been applied
function _M.decide(class, call)
  local rule = RULES[class] or RULES.local_err
  local applied = rule[1]
  if call == "read" then applied = false end
  return rule[COLUMN[call] or COLUMN.write], applied
end

return _M
