-- Mautic's API rate limiter (api_rate_limiter_limit): a budget of N calls
-- per hour (config rate_limit_window seconds, default 3600) per credential,
-- X-RateLimit-* headers on every authenticated /api answer (reset = first
-- counted call + window), 429 with no Retry-After once the budget is spent.
local config = require "mautic.fake.config"
local versions = require "mautic.fake.versions"

local _M = { buckets = {} }

function _M.reset() _M.buckets = {} end

-- returns headers (or nil when off), and a 429 response when over budget
function _M.check(key)
  if versions.has("no_rate_limiter") then return nil end   -- 7.0 has none, whatever rate_limit says
  local limit = tonumber(config.get("rate_limit")) or 0
  if limit <= 0 then return nil end
  local now = ngx.time()
  local b = _M.buckets[key]
  if not b or now >= b.reset then
    local window = tonumber(config.get("rate_limit_window")) or 3600
    if window <= 0 then window = 3600 end
    b = { count = 0, reset = now + math.ceil(window) }
    _M.buckets[key] = b
  end
  local headers = {
    ["X-RateLimit-Limit"] = tostring(limit),
    ["X-RateLimit-Reset"] = tostring(b.reset),
  }
  if b.count >= limit then
    headers["X-RateLimit-Remaining"] = "0"
    local body = '{ "errors": [ { "code": 429, "message": "You exceeded the rate limit of ' .. limit ..
                 ' API calls per hour.", "details": [] } ]}'
    return headers, { status = 429, raw = body, version = false, headers = headers }
  end
  b.count = b.count + 1
  headers["X-RateLimit-Remaining"] = tostring(limit - b.count)
  return headers
end

return _M
