--- OAuth endpoints at the site root (/oauth/...), for code that runs an
-- authorization flow itself. Day-to-day token handling (client_credentials,
-- refresh) is done by mautic.auth.oauth2{...}; these functions are the raw
-- steps: authorize URLs to send a browser to, and the token exchanges.
-- OAuth1a exists up to Mautic 3 only (Mautic 5 answers 404).
local query = require "mautic.query"
local check = require "mautic.check"

local random = require "mautic.random"

local type, pairs, format = type, pairs, string.format

-- OAuth1a answers are query strings: oauth_token=...&oauth_token_secret=...
local function parse_form(body)
  if type(body) ~= "string" then return body end
  return query.decode(body)
end

-- authorize_url(params): a URL for the user's browser, not a request.
local function url_builder(path, required, defaults)
  return function(client, family, fname, params)
    if params ~= nil and type(params) ~= "table" then
      return nil, check.usage(format("bad argument #1 to '%s' (table expected, got %s)", fname, type(params)))
    end
    local q = {}
    for k, v in pairs(defaults) do q[k] = v end
    for k, v in pairs(params or {}) do q[k] = v end
    for _, k in ipairs(required) do
      if type(q[k]) ~= "string" and type(q[k]) ~= "number" then
        return nil, check.usage(format("bad argument #1 to '%s' (%s is required)", fname, k))
      end
    end
    local state
    if path:find("/v2/") then
      if q.state == nil then q.state = random.hex(16) end
      state = q.state
    end
    local ok, s = pcall(query.encode, q)
    if not ok then return nil, check.usage(format("bad argument #1 to '%s' (%s)", fname, s)) end
    return client.base_url .. path .. "?" .. s, state
  end
end

local function need(keys)
  return function(spec, data)
    if type(data) ~= "table" then return nil, "a table with " .. table.concat(keys, ", ") .. " expected" end
    for _, k in ipairs(keys) do
      if data[k] == nil then return nil, k .. " is required" end
    end
    return true
  end
end

return {
  name = "oauth", crud = false,
  verbs = {
    { name = "authorize_url", signature = "(params)",
      handler = url_builder("/oauth/v2/authorize", { "client_id", "redirect_uri" }, { response_type = "code" }),
      method = "GET", path = "/oauth/v2/authorize", base = "root",
      doc = "No request: the URL to send the user's browser to (OAuth2 authorization code). " ..
        "Params: client_id, redirect_uri, state (generated when absent), response_type ('code'). " ..
        "Returns the URL and the state to check on the callback.",
      example = 'local url, state = api.oauth.authorize_url{ client_id = id, redirect_uri = "https://app.example/cb" }' },
    { "token", "POST", "/oauth/v2/token", data = "body", base = "root", noauth = true, form = true,
      data_shape = need{ "grant_type", "client_id" },
      doc = "Exchange a grant for tokens (form-encoded, no Authorization): grant_type = authorization_code " ..
        "(code, redirect_uri), refresh_token (refresh_token) or client_credentials, with client_id and " ..
        "client_secret. Returns { access_token, expires_in, token_type, scope, refresh_token }.",
      example = 'local t = api.oauth.token{ grant_type = "authorization_code", client_id = id, client_secret = secret,\n' ..
        '  redirect_uri = "https://app.example/cb", code = code }' },
    { "request_token", "POST", "/oauth/v1/request_token", data = "body", base = "root", form = true, raw = true,
      result = parse_form,
      doc = "OAuth1a step one (Mautic <= 3), signed by an mautic.auth.oauth1 client without a token; " ..
        "body { oauth_callback = url }. Returns { oauth_token, oauth_token_secret, ... }.",
      example = 'local rt = api.oauth.request_token{ oauth_callback = "https://app.example/cb" }' },
    { name = "authorize_url_v1", signature = "(params)", handler = url_builder("/oauth/v1/authorize", { "oauth_token" }, {}),
      method = "GET", path = "/oauth/v1/authorize", base = "root",
      doc = "No request: the OAuth1a authorization URL for the user's browser (oauth_token, oauth_callback).",
      example = 'local url = api.oauth.authorize_url_v1{ oauth_token = rt.oauth_token }' },
    { "access_token", "POST", "/oauth/v1/access_token", data = "body", base = "root", form = true, raw = true,
      result = parse_form,
      doc = "OAuth1a step three: exchange the verified request token (body { oauth_verifier = ... }, signed " ..
        "with the request token). Returns { oauth_token, oauth_token_secret }.",
      example = 'local at = api.oauth.access_token{ oauth_verifier = verifier }' },
  },
}
