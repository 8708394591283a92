-- Broken installs: config `install = "<state>"` makes the fake answer as a
-- Mautic (or the web server in front of it) does in one of the states that
-- users cannot tell apart from a plain 401 or 404. What each answers was
-- measured on a stock 7.0.0 (doc/DOCTOR.md); 5.1's ApiSubscriber is the same.
--
--   healthy               nothing changes (the default)
--   api_disabled          api_enabled off: every URL holding /api or /oauth -> 403 api_disabled,
--                         before the firewall (credentials are not even read)
--   stale_cache           the setting was switched on, but PHP still runs the old local.php
--                         (opcache without timestamp checks, a cache not cleared): as api_disabled
--   basic_disabled        api_enable_basic_auth off: an API request with Basic credentials
--                         (right or wrong) -> 403 "Basic Auth disabled..."; bearer still works
--   auth_header_stripped  the web server does not pass Authorization to PHP (FastCGI/CGI without
--                         CGIPassAuth): Mautic sees a request without credentials
--   redirect_https        the web server sends http to https (301, nginx's page)
--   redirect_host         the web server sends every other host name to install_redirect_host
--   index_php_only        no URL rewriting: only /index.php/... reaches Mautic, the rest is
--                         Apache's 404 page
--   clock_skew            the server's clock is install_clock_offset seconds ahead: its Date
--                         header says so, and OAuth1 timestamps are checked against it
--
-- answer(req) runs first in the request path (app.lua): a response, or nil
-- to let Mautic answer (auth_header_stripped and clock_skew change the
-- request or the headers and then let it through).
local config = require "mautic.fake.config"
local responses = require "mautic.fake.responses"

local _M = {}

-- the bodies byte for byte: Symfony's JsonResponse writes ' as \u0027
local API_DISABLED = '{"errors":[{"message":"API disabled. You need to enable the API in the API settings of '
  .. 'Mautic\\u0027s Configuration.","code":403,"type":"api_disabled"}]}'
local BASIC_DISABLED = '{"errors":[{"message":"Basic Auth disabled. You need to enable HTTP basic auth in the API '
  .. 'settings of Mautic\\u0027s Configuration.","code":403,"type":"access_denied"}]}'
local TIMESTAMP = "Expired timestamp: the request timestamp is outside the allowed window."

local NGINX_301 = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
  .. "<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

local function apache_404(host)
  return '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
    .. "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n<hr>\n"
    .. "<address>Apache/2.4.62 (Debian) Server at " .. host .. " Port 80</address>\n</body></html>\n"
end

-- Mautic's ApiSubscriber answers before the firewall: no Mautic-Version
local function subscriber_403(body)
  return { status = 403, version = false, raw = body, content_type = "application/json" }
end

-- RequestHelper::isApiRequest: the request URI holds /oauth or /api anywhere
local function is_api(req)
  local uri = req.raw_path .. (req.query ~= "" and ("?" .. req.query) or "")
  return uri:find("/api", 1, true) ~= nil or uri:find("/oauth", 1, true) ~= nil
end

local function authorization(req)
  local h = req.headers["authorization"]
  if type(h) == "table" then h = h[1] end
  return h
end

local function host_of(req)
  return ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
end

local function redirect(scheme, host, req)
  local url = scheme .. "://" .. host .. req.raw_path .. (req.query ~= "" and ("?" .. req.query) or "")
  return { status = 301, raw = NGINX_301, content_type = "text/html", headers = { Location = url } }
end

local function api_disabled(req)
  if is_api(req) then return subscriber_403(API_DISABLED) end
end

-- The OAuth1 timestamp refused against the server's own (wrong) clock; a
-- timestamp within the window goes on to oauth1.lua's other checks.
local function clock_skew(req)
  local offset = tonumber(config.get("install_clock_offset")) or 0
  local now = ngx.time() + offset
  ngx.header["Date"] = ngx.http_time(now)
  local h = authorization(req)
  local ts = h and h:match('oauth_timestamp="(%d+)"')
  local window = tonumber(config.get("oauth1_timestamp_window")) or 300
  if ts and is_api(req) and math.abs(now - tonumber(ts)) > window then
    return responses.plain_error(401, TIMESTAMP, "access_denied")
  end
end

local STATES = {
  healthy = function() end,
  api_disabled = api_disabled,
  stale_cache = api_disabled,
  basic_disabled = function(req)
    local h = authorization(req)
    if is_api(req) and h and h:lower():sub(1, 5) == "basic" then
      return subscriber_403(BASIC_DISABLED)
    end
  end,
  auth_header_stripped = function(req) req.headers["authorization"] = nil end,
  redirect_https = function(req)
    if ngx.var.scheme == "http" then return redirect("https", host_of(req), req) end
  end,
  redirect_host = function(req)
    local canonical = config.get("install_redirect_host")
    local name, port = host_of(req):match("^([^:]+)(:?%d*)$")
    if name ~= canonical then return redirect(ngx.var.scheme, canonical .. port, req) end
  end,
  index_php_only = function(req)
    if req.base == "" then
      return { status = 404, raw = apache_404(host_of(req):match("^[^:]+")), content_type = "text/html; charset=iso-8859-1" }
    end
  end,
  clock_skew = clock_skew,
}

--- The names of the states, for config checks and specs.
_M.names = {}
for name in pairs(STATES) do _M.names[#_M.names + 1] = name end
table.sort(_M.names)

-- an unknown state is refused by POST /__fake/config, as a misspelt option is
config.checks.install = function(v)
  if not STATES[v] then return "config install must be one of " .. table.concat(_M.names, ", ") end
end

--- The broken install's answer to a request, or nil to let Mautic answer.
function _M.answer(req)
  return STATES[config.get("install")](req)
end

return _M
