--- HTTP Basic authentication (Mautic 2.3+; enable it under API Settings).
-- The password travels with every request: over plain http to anything but
-- the loopback it is readable on the wire, so the client warns once.
local core = require "mautic.core"
local redact = require "mautic.redact"
local check = require "mautic.check"
local options = require "mautic.options"

local OPTIONS = { username = "string", password = "string" }

local type, error, setmetatable = type, error, setmetatable

local _M = {}
local Basic = { kind = "basic" }
Basic.__index = Basic
Basic.__tostring = function() return "mautic.auth.basic(<redacted>)" end

--- Make a Basic auth handler.
-- @tparam table opts { username = string, password = string }
function _M.new(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'basic' (table expected, got " .. type(opts) .. ")", 2)
  end
  options.check("basic", 1, opts, OPTIONS, 2)
  if type(opts.username) ~= "string" or opts.username == "" then
    error("bad argument #1 to 'basic' (username: non-empty string expected)", 2)
  end
  if type(opts.password) ~= "string" then
    error("bad argument #1 to 'basic' (password: string expected)", 2)
  end
  if opts.username:find(":", 1, true) then
    error("bad argument #1 to 'basic' (username may not contain ':')", 2)
  end
  for _, v in ipairs{ opts.username, opts.password } do
    if not check.no_controls(v) then
      error("bad argument #1 to 'basic' (credentials may not contain control characters)", 2)
    end
  end
  redact.remember(opts.password)
  local token = core.b64encode(opts.username .. ":" .. opts.password)
  redact.remember(token)
  -- the header lives in a closure, not in a field that a dump would print
  local header = "Basic " .. token
  return setmetatable({
    username = opts.username,
    header = function() return header end,
  }, Basic)
end

--- Who requests are sent for, as a rate budget names it (never a secret).
function Basic:identity()
  return "basic:" .. self.username
end

function Basic:authorize(_, req)
  req.headers["Authorization"] = self.header()
  return true
end

return _M
