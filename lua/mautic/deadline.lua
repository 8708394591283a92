--- The deadline of a call: seconds for all of it, retries and waits
-- included (the call's `deadline`, else the client's; 0: none). Each
-- attempt gets at most what is left, and no wait starts that would end
-- past it. Without a deadline every function here is a no-op.
local errors = require "mautic.errors"

local tostring, min, huge = tostring, math.min, math.huge

local _M = {}

--- The deadline of a call about to send `req`, or nil for none.
function _M.new(client, spec, req)
  local d = spec.deadline or client.deadline or 0
  if d <= 0 then return nil end
  return { seconds = d, at = client.now() + d, timeout = req.timeout, connect_timeout = req.connect_timeout }
end

--- Seconds left before the deadline (math.huge without one).
function _M.left(client, deadline)
  if not deadline then return huge end
  return deadline.at - client.now()
end

--- Fit the next attempt's timeouts into what the deadline leaves; false
-- when nothing is left.
function _M.fit(client, deadline, req)
  if not deadline then return true end
  local rest = _M.left(client, deadline)
  if rest <= 0 then return false end
  local t = deadline.timeout
  req.timeout = (t == nil or t == 0) and rest or min(t, rest)
  local ct = deadline.connect_timeout
  req.connect_timeout = (ct == nil or ct == 0) and rest or min(ct, rest)
  return true
end

--- The error of a call that ran out of its deadline: the last failure
-- (`err`), told so, or a timeout when none came yet.
function _M.passed(deadline, req, err, attempts)
  if not err then
    err = errors.new{ kind = "timeout", reason = "deadline", method = req.method, url = req.url,
      message = ("the deadline of %s s passed before an answer came"):format(tostring(deadline.seconds)) }
  else
    err.message = tostring(err.message) .. ("; the deadline of %s s leaves no time to try again")
      :format(tostring(deadline.seconds))
  end
  err.deadline = true
  err.attempts = attempts
  return err
end

return _M
