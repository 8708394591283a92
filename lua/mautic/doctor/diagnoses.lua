--- The doctor's decisions: one row per known way an install fails, each
-- with the evidence that identifies it (`when`, a test on the facts of the
-- probes' answers), its cause and its fix. Pure: spec/doctor_decisions_spec.lua
-- feeds it recorded answers.
--
-- The facts (mautic.doctor builds them):
--   auth         "basic" | "oauth2" | "oauth1" | "none"
--   scheme, host the client's URL's ("http", "mautic.example.com:8080")
--   settings_on  the user says the API settings are on in Mautic's Configuration
--   skew, window the server's clock minus this one (seconds, from Date), OAuth1's window
--   api, anon, index, v2   each probe's answer (mautic.doctor.probes.answer); index may be nil
local probes = require "mautic.doctor.probes"
local redact = require "mautic.redact"

local ipairs, tostring, format, abs = ipairs, tostring, string.format, math.abs
local find = string.find

local _M = {}

-- where each probe went, for the evidence ("GET /api/users/self")
local WHERE = {}
for _, p in ipairs(probes.LIST) do
  WHERE[p.id] = p.method .. " " .. (p.base == "api" and "/api" or "") .. p.path .. (p.auth and "" or " (no credentials)")
end

-- Mautic's own texts that the rows below test for: shown as they are (the
-- shape-based scrub would read "Basic Auth disabled" as a Basic credential)
local API_DISABLED = "API disabled. You need to enable the API in the API settings of Mautic's Configuration."
local KNOWN = {
  [API_DISABLED] = true,
  ["Basic Auth disabled. You need to enable HTTP basic auth in the API settings of Mautic's Configuration."] = true,
  ["API authorization denied."] = true,
  ["Authorization denied, invalid credentials."] = true,
  ["Invalid credentials."] = true,
}

-- A server's text as the report shows it: any other text may echo a credential.
local function shown(text)
  if KNOWN[text] then return text end
  return redact.text(tostring(text))
end

-- 'GET /api/users/self answered 403 "API disabled. ..."'
local function said(f, id)
  local a = f[id]
  if a.error then return format("%s got no answer (%s: %s)", WHERE[id], a.error, shown(a.message)) end
  local where = a.from == "token" and "POST /oauth/v2/token (the token for it)" or WHERE[id]
  local text = a.message and format(' "%s"', shown(a.message)) or (a.empty and " with an empty body" or "")
  if a.location then text = text .. " to " .. a.location end
  return format("%s answered %s%s", where, tostring(a.status), text)
end

local function redirected(a) return a.status and a.status >= 300 and a.status < 400 and a.location end
local function api_off(a) return a.type == "api_disabled" end
local function basic_off(a) return a.status == 403 and find(a.message or "", "^Basic Auth disabled") ~= nil end
-- what Mautic answers a request that carries no credentials
local function denied(a) return a.status == 401 and a.message == "API authorization denied." end
local function basic_refused(a)
  return a.status == 401 and (a.message == "Authorization denied, invalid credentials."
    or (a.empty and find(a.www_authenticate or "", "^Basic") ~= nil))
end
local function sends_credentials(f) return f.auth == "basic" or f.auth == "oauth2" end

_M.ROWS = {
  { id = "unreachable",
    when = function(f) return f.api.error ~= nil end,
    evidence = function(f) return said(f, "api") end,
    cause = "No HTTP answer came from the URL: nothing listens there, the name does not resolve, TLS fails or it times out.",
    fix = "Check the URL (scheme, host, port) and that the web server runs and is reachable from this machine." },
  { id = "redirect_https",
    when = function(f)
      local scheme = probes.scheme_host(redirected(f.api))
      return scheme == "https" and f.scheme == "http"
    end,
    evidence = function(f) return said(f, "api") end,
    cause = "The web server redirects http:// to https://. The client does not follow redirects (a followed "
      .. "redirect turns a POST into a GET and may lose the credentials), so no request reaches Mautic.",
    fix = "Use the https:// address as the client's url (MAUTIC_URL=https://...)." },
  { id = "redirect_host",
    when = function(f)
      local _, host = probes.scheme_host(redirected(f.api))
      return host ~= nil and host ~= f.host
    end,
    evidence = function(f) return said(f, "api") end,
    cause = "The web server redirects to another host name. Credentials are not resent to another host "
      .. "(curl drops the Authorization header), so Mautic would see a request without them.",
    fix = "Use the host name the server redirects to (its canonical site URL) as the client's url." },
  { id = "index_php_only",
    when = function(f)
      return f.api.status == 404 and f.index ~= nil and f.index.json and f.index.status ~= 404
    end,
    evidence = function(f) return said(f, "api") .. "; " .. said(f, "index") end,
    cause = "URL rewriting is off: /api/... never reaches Mautic (the web server's 404), while "
      .. "/index.php/api/... does.",
    fix = "Use <your URL>/index.php as the client's url, or enable rewriting (Apache: mod_rewrite and "
      .. "AllowOverride All for Mautic's .htaccess; nginx: try_files $uri /index.php$is_args$args)." },
  { id = "api_disabled",
    when = function(f) return not f.settings_on and api_off(f.api) end,
    evidence = function(f) return said(f, "api") end,
    cause = "The API is switched off in Mautic (Configuration > API Settings > API enabled: No): Mautic "
      .. "answers 403 to every /api and /oauth request, whatever the credentials.",
    fix = "In Mautic, Configuration > API Settings: set API enabled to Yes and save. If it already says Yes, "
      .. "see stale_cache (run again with --settings-on)." },
  { id = "stale_cache",
    when = function(f) return f.settings_on and (api_off(f.api) or basic_off(f.api)) end,
    evidence = function(f) return said(f, "api") .. ", although the API settings are on" end,
    cause = "The API settings say on, but PHP still runs the old configuration: a cache not cleared after "
      .. "the change, or opcache (validate_timestamps=0) keeping the old config/local.php.",
    fix = "Clear Mautic's cache (php bin/console cache:clear, or remove var/cache/prod) and reload PHP "
      .. "(e.g. systemctl reload php8.2-fpm) so that config/local.php is read again." },
  { id = "basic_disabled",
    when = function(f) return not f.settings_on and f.auth == "basic" and basic_off(f.api) end,
    evidence = function(f) return said(f, "api") end,
    cause = "HTTP Basic auth is switched off in Mautic (API Settings > Enable HTTP basic auth: No); the API is on.",
    fix = "Set Enable HTTP basic auth to Yes in Configuration > API Settings, or use OAuth2 "
      .. "(MAUTIC_CLIENT_ID and MAUTIC_CLIENT_SECRET)." },
  { id = "auth_header_stripped",
    when = function(f) return sends_credentials(f) and f.api.from ~= "token" and denied(f.api) and denied(f.anon) end,
    evidence = function(f) return said(f, "api") .. ", the same as " .. said(f, "anon") end,
    cause = "The credentials were sent but Mautic saw none: the web server drops the Authorization header "
      .. "before PHP (PHP under FastCGI/CGI).",
    fix = "Apache: add 'CGIPassAuth On' (2.4.13+) or 'RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]' "
      .. "for Mautic's folder; nginx with PHP-FPM: fastcgi_param HTTP_AUTHORIZATION $http_authorization;" },
  { id = "no_credentials",
    when = function(f) return f.auth == "none" and denied(f.api) end,
    evidence = function(f) return said(f, "api") end,
    cause = "No credentials were given, and Mautic answers 401 without them; the rest cannot be checked.",
    fix = "Give credentials: MAUTIC_USERNAME and MAUTIC_PASSWORD (Basic), or MAUTIC_CLIENT_ID and "
      .. "MAUTIC_CLIENT_SECRET (OAuth2), or an auth handler in mautic.new." },
  { id = "credentials_refused",
    when = function(f)
      return (f.auth == "basic" and basic_refused(f.api))
        or (f.api.from == "token" and (f.api.status == 400 or f.api.status == 401))
    end,
    evidence = function(f) return said(f, "api") end,
    cause = "Mautic refused the credentials: a wrong username or password (or OAuth2 client id or secret).",
    fix = "Check MAUTIC_USERNAME and MAUTIC_PASSWORD (or MAUTIC_CLIENT_ID and MAUTIC_CLIENT_SECRET), and that "
      .. "the user is active with a role that may use the API." },
  { id = "clock_skew",
    when = function(f)
      if f.auth ~= "oauth1" or f.api.status ~= 401 then return false end
      return (f.skew ~= nil and abs(f.skew) > f.window) or find(f.api.message or "", "timestamp") ~= nil
    end,
    evidence = function(f)
      local off = f.skew and format("; the server's clock is %+d s off this one's (its Date header)", f.skew) or ""
      return said(f, "api") .. off
    end,
    cause = "The two clocks are far apart: OAuth1 refuses a request whose timestamp is more than "
      .. "300 seconds off the server's clock.",
    fix = "Set the clocks right on both machines (NTP: timedatectl set-ntp true)." },
  { id = "v2_bearer_bug",
    when = function(f)
      local v2 = f.v2
      return f.auth == "oauth2" and f.api.status == 200 and v2 ~= nil and v2.status == 401
        and v2.bare_message == true and v2.message == "Invalid credentials."
    end,
    evidence = function(f) return said(f, "v2") .. " while " .. WHERE.api .. " took the same token" end,
    cause = "Mautic 7.0 refuses every OAuth2 bearer token on /api/v2 (upstream bug mautic/mautic#16243, "
      .. "fixed in 7.1.3); /api accepts the token.",
    fix = "Upgrade Mautic to 7.1.3 or later; until then call /api/v2 with Basic auth, or stay on /api." },
}

local UNEXPLAINED = {
  id = "unexplained",
  evidence = function(f) return said(f, "api") end,
  cause = "Mautic did not answer 200, in a way the doctor does not know.",
  fix = "Read the answers above; Mautic's log (var/logs/mautic_prod-<date>.php) says more.",
}

local function finding(row, f)
  return { id = row.id, cause = row.cause, fix = row.fix, evidence = row.evidence(f) }
end

--- The findings for the facts, in the table's order, and whether the
-- install is healthy (the API answered 200 and nothing was found).
-- @treturn table findings { { id, cause, fix, evidence } ... }
-- @treturn boolean ok
function _M.decide(f)
  local found = {}
  for _, row in ipairs(_M.ROWS) do
    if row.when(f) then found[#found + 1] = finding(row, f) end
  end
  if #found == 0 and f.api.status ~= 200 then found[1] = finding(UNEXPLAINED, f) end
  return found, #found == 0
end

return _M
