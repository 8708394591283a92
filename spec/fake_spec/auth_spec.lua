-- Authentication of the fake Mautic server: OAuth2 (Mautic 5), OAuth1a
-- (Mautic 2/3, config oauth1 = true), bearer tokens, plus the fault `skip`,
-- the log's raw_path and redaction, rate_limit_window and --tls.
--
-- OAuth1 signatures are computed here on their own: the base strings of the
-- rule tests are written out by hand, and HMAC-SHA1 comes from openssl.
local S = require "spec.fake_spec.support"
local json = S.json

-- RFC 3986 percent-encoding (PHP rawurlencode)
local function enc(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function dec(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function hmac_sha1_b64(key, text)
  local f = os.tmpname()
  local h = io.open(f, "wb"); h:write(text); h:close()
  local out = S.sh("openssl dgst -sha1 -hmac " .. S.quote(key) .. " -binary < " .. S.quote(f) .. " | base64")
  os.remove(f)
  return (out:gsub("%s+", ""))
end

local function form_parse(s)
  local t = {}
  for pair in (s or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    t[dec(k)] = dec(v)
  end
  return t
end

local function query_of(url)
  return form_parse(url:match("%?([^#]*)") or "")
end

local nonce_n = 0
local function new_nonce()
  nonce_n = nonce_n + 1
  return string.format("n%d%d%d", os.time(), math.random(1, 1e6), nonce_n)
end

-- the oauth_* parameters of a request (without the signature)
local function oauth_params(o)
  local p = {
    oauth_consumer_key = o.consumer_key or "fake-consumer",
    oauth_nonce = o.nonce or new_nonce(),
    oauth_signature_method = o.method_name or "HMAC-SHA1",
    oauth_timestamp = tostring(o.timestamp or os.time()),
    oauth_version = "1.0",
  }
  if o.token then p.oauth_token = o.token end
  if o.callback then p.oauth_callback = o.callback end
  if o.verifier then p.oauth_verifier = o.verifier end
  return p
end

-- "name=value" pairs (already signed names) sorted byte-wise and joined
local function flat_pairs(list)
  local items = {}
  for _, p in ipairs(list) do items[#items + 1] = enc(p[1]) .. "=" .. enc(p[2]) end
  table.sort(items)
  return table.concat(items, "&")
end

local function oauth_list(p)
  local l = {}
  for k, v in pairs(p) do l[#l + 1] = { k, v } end
  return l
end

local function header_for(p, signature)
  local names = {}
  for k in pairs(p) do names[#names + 1] = k end
  table.sort(names)
  local parts = {}
  for _, k in ipairs(names) do parts[#parts + 1] = k .. '="' .. enc(p[k]) .. '"' end
  parts[#parts + 1] = 'oauth_signature="' .. enc(signature) .. '"'
  return "OAuth " .. table.concat(parts, ", ")
end

local function sign(base, consumer_secret, token_secret)
  return hmac_sha1_b64(enc(consumer_secret or "fake-consumer-secret") .. "&" .. enc(token_secret or ""), base)
end

describe("fake Mautic authentication", function()
  local srv

  setup(function() srv = S.start() end)
  teardown(function() S.stop(srv) end)
  before_each(function() S.reset(srv) end)

  local function req(method, path, opts) return S.request(srv, method, path, opts) end
  local function config(t) assert.equal(200, req("POST", "/__fake/config", { auth = false, json = t }).status) end
  local function log() return req("GET", "/__fake/log", { auth = false }).body end
  local function token_req(form, opts)
    opts = opts or {}
    opts.auth = opts.auth or false
    opts.form = form
    return req("POST", "/oauth/v2/token", opts)
  end
  local CC = "grant_type=client_credentials&client_id=fake-client&client_secret=fake-secret"
  local function transcript_body(name) return assert(S.transcript(name), name).response.body end
  local function bearer(t) return { auth = false, headers = { Authorization = "Bearer " .. t } } end
  local function authorize(q)
    return req("GET", "/oauth/v2/authorize", { auth = false, query = q })
  end
  local function code_for(redirect)
    local r = authorize("client_id=fake-client&response_type=code&state=xyz&redirect_uri=" .. enc(redirect))
    assert.equal(302, r.status)
    return query_of(r.headers["location"]).code, r
  end

  ------------------------------------------------------------------ OAuth2
  describe("OAuth2 token endpoint", function()
    it("grants client_credentials from a form body, a JSON body and a GET query", function()
      local want = S.transcript("auth.oauth2.token.client_credentials.ok")
      for _, r in ipairs{
        token_req(CC),
        req("POST", "/oauth/v2/token", { auth = false, json = { grant_type = "client_credentials",
            client_id = "fake-client", client_secret = "fake-secret" } }),
        req("GET", "/oauth/v2/token", { auth = false, query = CC }),
      } do
        assert.equal(200, r.status)
        assert.equal("application/json", r.headers["content-type"])
        assert.is_nil(r.headers["mautic-version"])
        if want then assert.same(S.keys(want.response.decoded), S.keys(r.body)) end
        assert.same({ "access_token", "expires_in", "token_type", "scope" }, S.keys(r.body))
        assert.equal(3600, r.body.expires_in)
        assert.equal("bearer", r.body.token_type)
        assert.equal(json.null, r.body.scope)
        assert.matches("^[%w]+$", r.body.access_token)
      end
    end)

    it("takes the client credentials from HTTP Basic too", function()
      local r = token_req("grant_type=client_credentials", { auth = "fake-client:fake-secret" })
      assert.equal(200, r.status)
      r = token_req("grant_type=client_credentials", { auth = "fake-client:nope" })
      assert.equal(400, r.status)
      assert.equal("invalid_client", r.body.errors[1].type)
    end)

    it("answers errors exactly as recorded, in the errors envelope, without Mautic-Version", function()
      local cases = {
        { "grant_type=client_credentials&client_id=fake-client&client_secret=wrong", "auth.oauth2.token.bad_secret" },
        { "grant_type=client_credentials&client_id=1_nosuchclient&client_secret=x", "auth.oauth2.token.unknown_client" },
        { "grant_type=urn%3Agolden%3Aunsupported&client_id=fake-client&client_secret=fake-secret",
          "auth.oauth2.token.unsupported_grant" },
        { "grant_type=password&client_id=fake-client&client_secret=fake-secret&username=admin&password=mautic",
          "auth.oauth2.token.password_grant_not_allowed" },
        { "client_id=fake-client&client_secret=fake-secret", "auth.oauth2.token.missing_grant_type" },
        { "grant_type=refresh_token&client_id=fake-client&client_secret=fake-secret&refresh_token=garbage",
          "auth.oauth2.token.refresh_garbage" },
        { "grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=garbage-code" ..
          "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8089%2Fcallback", "auth.oauth2.token.authorization_code_garbage" },
      }
      for _, c in ipairs(cases) do
        local r = token_req(c[1])
        assert.equal(400, r.status, c[2])
        assert.equal(transcript_body(c[2]), r.raw, c[2])
        assert.is_nil(r.headers["mautic-version"])
        assert.equal("application/json", r.headers["content-type"])
      end
    end)

    it("needs a client id", function()
      local r = token_req("grant_type=client_credentials")
      assert.equal(400, r.status)
      assert.equal("invalid_client", r.body.errors[1].type)
    end)

    it("takes clients, lifetimes and the error style from the config", function()
      config{ oauth2_clients = { app = { secret = "s3" } }, token_ttl = 120 }
      local r = token_req("grant_type=client_credentials&client_id=app&client_secret=s3")
      assert.equal(200, r.status)
      assert.equal(120, r.body.expires_in)
      assert.equal(400, token_req(CC).status) -- the map was replaced
      config{ oauth2_error_style = "legacy" }
      r = token_req("grant_type=client_credentials&client_id=app&client_secret=bad")
      assert.equal(400, r.status)
      assert.equal('{"error":"invalid_client","error_description":"The client credentials are invalid"}', r.raw)
      r = token_req("grant_type=refresh_token&client_id=app&client_secret=s3&refresh_token=x")
      assert.equal('{"error":"invalid_grant","error_description":"Invalid refresh token"}', r.raw)
    end)

    it("is not rate limited", function()
      config{ rate_limit = 1 }
      for _ = 1, 3 do
        local r = token_req(CC)
        assert.equal(200, r.status)
        assert.is_nil(r.headers["x-ratelimit-limit"])
      end
    end)
  end)

  describe("OAuth2 authorization code", function()
    it("redirects to redirect_uri with a code and the state, without a login page", function()
      local code, r = code_for("http://127.0.0.1:9/cb?keep=1")
      local loc = r.headers["location"]
      assert.matches("^http://127%.0%.0%.1:9/cb%?keep=1&code=", loc)
      local q = query_of(loc)
      assert.equal("xyz", q.state)
      assert.equal("1", q.keep)
      assert.truthy(code and #code > 10)
      assert.equal("text/html; charset=UTF-8", r.headers["content-type"])
    end)

    it("exchanges a code once for an access and a refresh token", function()
      local code = code_for("http://127.0.0.1:9/cb")
      local form = "grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=" ..
                   code .. "&redirect_uri=" .. enc("http://127.0.0.1:9/cb")
      local r = token_req(form)
      assert.equal(200, r.status)
      assert.same({ "access_token", "expires_in", "token_type", "scope", "refresh_token" }, S.keys(r.body))
      assert.equal(200, req("GET", "/api/contacts", bearer(r.body.access_token)).status)
      r = token_req(form)
      assert.equal(400, r.status)
      assert.equal(transcript_body("auth.oauth2.token.authorization_code_garbage"), r.raw)
    end)

    it("rejects a code of another client, a different redirect_uri, a missing and an expired code", function()
      config{ oauth2_clients = { ["fake-client"] = { secret = "fake-secret" }, other = { secret = "o" } } }
      local code = code_for("http://127.0.0.1:9/cb")
      local r = token_req("grant_type=authorization_code&client_id=other&client_secret=o&code=" .. code ..
                          "&redirect_uri=" .. enc("http://127.0.0.1:9/cb"))
      assert.equal(400, r.status)
      assert.equal("invalid_grant", r.body.errors[1].type)
      r = token_req("grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=" .. code ..
                    "&redirect_uri=" .. enc("http://evil.example/cb"))
      assert.equal(400, r.status)
      assert.equal("redirect_uri_mismatch", r.body.errors[1].type)
      r = token_req("grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret")
      assert.equal(400, r.status)
      assert.equal("invalid_request", r.body.errors[1].type)
      -- expired (codes live code_ttl = 30 s; expire it now through the admin route)
      code = code_for("http://127.0.0.1:9/cb")
      assert.equal(200, req("POST", "/__fake/oauth/expire", { auth = false, json = { token = code } }).status)
      r = token_req("grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=" .. code ..
                    "&redirect_uri=" .. enc("http://127.0.0.1:9/cb"))
      assert.equal(400, r.status)
      assert.equal('{"errors":[{"message":"The authorization code has expired","code":400,"type":"invalid_grant"}]}', r.raw)
    end)

    it("answers 400 for an unknown or missing client and checks registered redirect URIs", function()
      local r = authorize("client_id=nope&response_type=code&redirect_uri=" .. enc("http://x/cb"))
      assert.equal(400, r.status)
      assert.equal('{"errors":[{"message":"Unknown client","code":400,"type":"invalid_client"}]}', r.raw)
      r = authorize("response_type=code&redirect_uri=" .. enc("http://x/cb"))
      assert.equal(400, r.status)
      assert.equal("invalid_client", r.body.errors[1].type)
      r = authorize("client_id=fake-client&response_type=code")
      assert.equal(400, r.status)
      assert.equal("redirect_uri_mismatch", r.body.errors[1].type)
      config{ oauth2_clients = { ["fake-client"] = { secret = "fake-secret", redirect_uri = "http://good.example/cb" } } }
      r = authorize("client_id=fake-client&response_type=code&redirect_uri=" .. enc("http://evil.example/cb"))
      assert.equal(400, r.status)
      assert.equal("redirect_uri_mismatch", r.body.errors[1].type)
      r = authorize("client_id=fake-client&response_type=code")
      assert.equal(302, r.status)
      assert.matches("^http://good%.example/cb%?code=", r.headers["location"])
      r = authorize("client_id=fake-client&response_type=token&state=s")
      assert.equal(302, r.status)
      assert.equal("unsupported_response_type", query_of(r.headers["location"]).error)
      assert.equal("s", query_of(r.headers["location"]).state)
    end)
  end)

  describe("OAuth2 refresh tokens", function()
    local function pair()
      local code = code_for("http://127.0.0.1:9/cb")
      local r = token_req("grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=" ..
                          code .. "&redirect_uri=" .. enc("http://127.0.0.1:9/cb"))
      assert.equal(200, r.status)
      return r.body
    end
    local function refresh(rt, client, secret)
      return token_req("grant_type=refresh_token&client_id=" .. (client or "fake-client") .. "&client_secret=" ..
                       (secret or "fake-secret") .. "&refresh_token=" .. rt)
    end

    it("rotate: each use gives a new pair and the used refresh token is dead", function()
      local p1 = pair()
      local r = refresh(p1.refresh_token)
      assert.equal(200, r.status)
      local p2 = r.body
      assert.same({ "access_token", "expires_in", "token_type", "scope", "refresh_token" }, S.keys(p2))
      assert.not_equal(p1.refresh_token, p2.refresh_token)
      assert.not_equal(p1.access_token, p2.access_token)
      r = refresh(p1.refresh_token)
      assert.equal(400, r.status)
      assert.equal(transcript_body("auth.oauth2.token.refresh_garbage"), r.raw)
      assert.equal(200, req("GET", "/api/contacts", bearer(p2.access_token)).status)
      assert.equal(200, refresh(p2.refresh_token).status)
    end)

    it("rejects another client's, a missing and an expired refresh token", function()
      config{ oauth2_clients = { ["fake-client"] = { secret = "fake-secret" }, other = { secret = "o" } } }
      local p = pair()
      local r = refresh(p.refresh_token, "other", "o")
      assert.equal(400, r.status)
      assert.equal("Invalid refresh token", r.body.errors[1].message)
      r = token_req("grant_type=refresh_token&client_id=fake-client&client_secret=fake-secret")
      assert.equal(400, r.status)
      assert.equal("invalid_request", r.body.errors[1].type)
      assert.equal(200, req("POST", "/__fake/oauth/expire", { auth = false, json = { token = p.refresh_token } }).status)
      r = refresh(p.refresh_token)
      assert.equal(400, r.status)
      assert.equal('{"errors":[{"message":"Refresh token has expired","code":400,"type":"invalid_grant"}]}', r.raw)
    end)

    it("honours refresh_ttl", function()
      config{ refresh_ttl = 1 }
      local p = pair()
      S.sh("sleep 2.1")
      local r = refresh(p.refresh_token)
      assert.equal(400, r.status)
      assert.equal("Refresh token has expired", r.body.errors[1].message)
    end)
  end)

  describe("bearer authentication on /api", function()
    local function token()
      local r = token_req(CC)
      assert.equal(200, r.status)
      return r.body.access_token
    end

    it("accepts the token in the Authorization header and as ?access_token=", function()
      local t = token()
      local r = req("GET", "/api/contacts", { auth = false, headers = { Authorization = "Bearer " .. t }, query = "limit=1" })
      assert.equal(200, r.status)
      assert.equal("5.1.0", r.headers["mautic-version"])
      r = req("GET", "/api/contacts", { auth = false, query = "limit=1&access_token=" .. t })
      assert.equal(200, r.status)
    end)

    it("acts as the API user: createdByUser as for Basic admin", function()
      local r1 = req("POST", "/api/contacts/new", { json = { email = "basic@example.com" } })
      local r2 = req("POST", "/api/contacts/new", { auth = false, json = { email = "bearer@example.com" },
                                                    headers = { Authorization = "Bearer " .. token() } })
      assert.equal(201, r1.status)
      assert.equal(201, r2.status)
      assert.equal("Api Admin", r2.body.contact.createdByUser)
      assert.equal(r1.body.contact.createdByUser, r2.body.contact.createdByUser)
    end)

    it("answers an unknown token as recorded", function()
      for _, r in ipairs{ req("GET", "/api/contacts", bearer("garbage")),
                          req("GET", "/api/contacts", { auth = false, query = "access_token=garbage" }) } do
        assert.equal(401, r.status)
        assert.equal(transcript_body("auth.bearer.garbage"), r.raw)
        assert.is_nil(r.headers["mautic-version"])
        assert.is_nil(r.headers["www-authenticate"])
      end
    end)

    it("answers an expired token as recorded (token_ttl, and the admin expire route)", function()
      config{ token_ttl = 1 }
      local t = token()
      assert.equal(200, req("GET", "/api/contacts", bearer(t)).status)
      S.sh("sleep 2.1")
      local r = req("GET", "/api/contacts", bearer(t))
      assert.equal(401, r.status)
      assert.equal(transcript_body("auth.bearer.expired"), r.raw)
      assert.is_nil(r.headers["mautic-version"])
      config{ token_ttl = 3600 }
      t = token()
      req("POST", "/__fake/oauth/expire", { auth = false, json = { token = t } })
      assert.equal(transcript_body("auth.bearer.expired"), req("GET", "/api/contacts", bearer(t)).raw)
    end)

    it("answers the legacy RFC shape with oauth2_error_style = legacy", function()
      config{ oauth2_error_style = "legacy" }
      local r = req("GET", "/api/contacts", bearer("garbage"))
      assert.equal(401, r.status)
      assert.equal('{"error":"invalid_grant","error_description":"The access token provided is invalid."}', r.raw)
    end)

    it("keeps config.tokens working", function()
      config{ tokens = { static1 = true, old = { expires_at = 1000 } } }
      assert.equal(200, req("GET", "/api/contacts", bearer("static1")).status)
      assert.equal(transcript_body("auth.bearer.expired"), req("GET", "/api/contacts", bearer("old")).raw)
    end)

    it("gives tokens from the admin route and shows them", function()
      local r = req("POST", "/__fake/oauth2/issue", { auth = false, json = { ttl = 50 } })
      assert.equal(200, r.status)
      assert.equal(50, r.body.expires_in)
      assert.truthy(r.body.refresh_token)
      assert.equal(200, req("GET", "/api/contacts", bearer(r.body.access_token)).status)
      local st = req("GET", "/__fake/oauth", { auth = false }).body
      assert.equal("fake-client", st.oauth2.access_tokens[r.body.access_token].client_id)
      assert.equal(false, st.oauth2.access_tokens[r.body.access_token].expired)
    end)

    it("counts the bearer budget apart from Basic", function()
      config{ rate_limit = 1 }
      local t = token()
      assert.equal(200, req("GET", "/api/contacts", bearer(t)).status)
      assert.equal(429, req("GET", "/api/segments", bearer(t)).status)
      assert.equal(200, req("GET", "/api/contacts").status)
    end)
  end)

  ------------------------------------------------------------------ OAuth1
  describe("OAuth1a", function()
    local base_url
    before_each(function()
      base_url = srv.url
      config{ oauth1 = true }
    end)

    -- a signed request; o: method, path, query (raw), form (raw), json, signed (the
    -- normalised non-oauth pairs, as list), token, token_secret, ... (see oauth_params)
    local function signed(o)
      local p = oauth_params(o)
      local list = oauth_list(p)
      local extra = o.signed or {}
      for _, x in ipairs(extra) do list[#list + 1] = x end
      local params = o.normalized and o.normalized(p) or flat_pairs(list)
      local base = o.method .. "&" .. enc(base_url .. (o.sign_path or o.path)) .. "&" .. enc(params)
      local sig = o.signature or sign(base, o.consumer_secret, o.token_secret)
      local headers = { Authorization = header_for(p, sig) }
      return req(o.method, o.path, { auth = false, headers = headers, query = o.query, form = o.form,
                                      json = o.json }), base
    end

    local function request_token(callback)
      local r = signed{ method = "POST", path = "/oauth/v1/request_token", callback = callback or "http://127.0.0.1:9/cb" }
      assert.equal(200, r.status, r.raw)
      return form_parse(r.raw), r
    end

    local function access_pair()
      local rt = request_token()
      local a = req("GET", "/oauth/v1/authorize", { auth = false, query = "oauth_token=" .. enc(rt.oauth_token) })
      assert.equal(302, a.status)
      local q = query_of(a.headers["location"])
      local r = signed{ method = "POST", path = "/oauth/v1/access_token", token = rt.oauth_token,
                        token_secret = rt.oauth_token_secret, verifier = q.oauth_verifier }
      assert.equal(200, r.status, r.raw)
      return form_parse(r.raw), rt, q
    end

    it("is off by default, as on Mautic 5: /oauth/v1/* is a route 404 and OAuth headers are denied", function()
      config{ oauth1 = false }
      local r = req("POST", "/oauth/v1/request_token", { auth = false })
      assert.equal(404, r.status)
      assert.equal(transcript_body("auth.oauth1.request_token"), r.raw)
      local p = oauth_params{}
      r = req("GET", "/api/contacts", { auth = false, headers = { Authorization = header_for(p, "x") } })
      assert.equal(401, r.status)
      assert.equal(transcript_body("auth.none"), r.raw)
    end)

    it("runs the three-legged flow without a login page", function()
      local rt, r = request_token("http://127.0.0.1:9/cb?x=1")
      assert.equal("application/x-www-form-urlencoded", r.headers["content-type"])
      assert.matches("^oauth_token=%w+&oauth_token_secret=%w+&oauth_callback_confirmed=true$", r.raw)
      local a = req("GET", "/oauth/v1/authorize", { auth = false, query = "oauth_token=" .. enc(rt.oauth_token) })
      assert.equal(302, a.status)
      assert.matches("^http://127%.0%.0%.1:9/cb%?x=1&oauth_token=", a.headers["location"])
      local q = query_of(a.headers["location"])
      assert.equal(rt.oauth_token, q.oauth_token)
      assert.truthy(q.oauth_verifier)
      local at = signed{ method = "POST", path = "/oauth/v1/access_token", token = rt.oauth_token,
                         token_secret = rt.oauth_token_secret, verifier = q.oauth_verifier }
      assert.equal(200, at.status)
      assert.matches("^oauth_token=%w+&oauth_token_secret=%w+$", at.raw)
      local acc = form_parse(at.raw)
      local api = signed{ method = "GET", path = "/api/contacts", query = "limit=1", signed = { { "limit", "1" } },
                          token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      assert.equal(200, api.status, api.raw)
      -- the request token is used up
      at = signed{ method = "POST", path = "/oauth/v1/access_token", token = rt.oauth_token,
                   token_secret = rt.oauth_token_secret, verifier = q.oauth_verifier }
      assert.equal(401, at.status)
    end)

    it("lets oauth_callback in the authorize query override, and answers oob without a redirect", function()
      local rt = request_token()
      local a = req("GET", "/oauth/v1/authorize", { auth = false,
        query = "oauth_token=" .. enc(rt.oauth_token) .. "&oauth_callback=" .. enc("http://other.example/back") })
      assert.matches("^http://other%.example/back%?oauth_token=", a.headers["location"])
      rt = request_token("oob")
      a = req("GET", "/oauth/v1/authorize", { auth = false, query = "oauth_token=" .. enc(rt.oauth_token) })
      assert.equal(200, a.status)
      assert.truthy(form_parse(a.raw).oauth_verifier)
      a = req("GET", "/oauth/v1/authorize", { auth = false, query = "oauth_token=nosuch" })
      assert.equal(400, a.status)
    end)

    it("signs by Mautic's rules: nested under the top name, PHP-empty skipped, byte order, nested sorts as one item", function()
      local acc = access_pair()
      local query = "where%5B0%5D%5Bcol%5D=email&where%5B0%5D%5Bexpr%5D=eq&where%5B0%5D%5Bval%5D=a%40b.c" ..
                    "&limit=10&search=&start=0&orderBy=id&Zeta=z&x%5B0%5D%5B%5D=b&x%5B0%5D%5B%5D=c&x%5B1%5D=bb" ..
                    "&q=a%2Bb+c%7E"
      local r, base = signed{ method = "GET", path = "/api/contacts", query = query,
        token = acc.oauth_token, token_secret = acc.oauth_token_secret,
        normalized = function(p)
          -- written out by hand: "Zeta" sorts before lower case; search= and start=0 are
          -- skipped; where[0][...] signs as where=…, its pairs sorted among themselves;
          -- x's nested table "x=b&x=c" sorts as one item before "x=bb"; + in a query is a space
          return "Zeta=z&limit=10" ..
            "&oauth_consumer_key=" .. p.oauth_consumer_key .. "&oauth_nonce=" .. p.oauth_nonce ..
            "&oauth_signature_method=HMAC-SHA1&oauth_timestamp=" .. p.oauth_timestamp ..
            "&oauth_token=" .. p.oauth_token .. "&oauth_version=1.0" ..
            "&orderBy=id&q=a%2Bb%20c~&where=a%40b.c&where=email&where=eq&x=b&x=c&x=bb"
        end }
      assert.equal(200, r.status, r.raw .. "\n" .. base)
    end)

    it("signs a form body (replacing the query's value) but not a JSON body", function()
      local acc = access_pair()
      local r = signed{ method = "POST", path = "/api/contacts/new", query = "a=1&keep=q",
        form = "a=2&email=form%40example.com&b%5Bx%5D=3&b%5By%5D=",
        signed = { { "a", "2" }, { "keep", "q" }, { "email", "form@example.com" }, { "b", "3" } },
        token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      assert.equal(201, r.status, r.raw)
      assert.equal("Api Admin", r.body.contact.createdByUser)
      r = signed{ method = "POST", path = "/api/contacts/new", json = { email = "json@example.com" },
        token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      assert.equal(201, r.status, r.raw)
      -- signing the form body's old query value fails
      r = signed{ method = "POST", path = "/api/contacts/new", query = "a=1", form = "a=2",
        signed = { { "a", "1" } }, token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      assert.equal(401, r.status)
    end)

    it("signs the path as received (still percent-encoded) and the Host the client used", function()
      local acc = access_pair()
      local r = signed{ method = "GET", path = "/api/contacts/a%20b", token = acc.oauth_token,
                        token_secret = acc.oauth_token_secret }
      assert.equal(404, r.status) -- authenticated, then a route 404
      base_url = srv.url:gsub("127%.0%.0%.1", "localhost")
      r = signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      assert.equal(401, r.status) -- curl sent Host: 127.0.0.1:port
    end)

    it("rejects a wrong signature, unknown consumer or token, wrong verifier, bad method", function()
      local acc, rt = access_pair()
      local function denied(r, what)
        assert.equal(401, r.status, what)
        assert.equal("access_denied", r.body.errors[1].type, what)
        assert.equal(401, r.body.errors[1].code, what)
        assert.is_nil(r.headers["mautic-version"], what)
      end
      denied(signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                     token_secret = acc.oauth_token_secret, signature = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, "signature")
      denied(signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                     token_secret = "wrong" }, "token secret")
      denied(signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                     token_secret = acc.oauth_token_secret, consumer_secret = "wrong" }, "consumer secret")
      denied(signed{ method = "GET", path = "/api/contacts", query = "limit=5", signed = { { "limit", "6" } },
                     token = acc.oauth_token, token_secret = acc.oauth_token_secret }, "tampered query")
      denied(signed{ method = "GET", path = "/api/contacts", consumer_key = "nosuch", token = acc.oauth_token,
                     token_secret = acc.oauth_token_secret }, "consumer")
      denied(signed{ method = "GET", path = "/api/contacts", token = "nosuch", token_secret = "x" }, "token")
      denied(signed{ method = "GET", path = "/api/contacts", token = rt.oauth_token,
                     token_secret = rt.oauth_token_secret }, "request token as access token")
      denied(signed{ method = "GET", path = "/api/contacts" }, "no token")
      denied(signed{ method = "GET", path = "/api/contacts", method_name = "PLAINTEXT", token = acc.oauth_token,
                     token_secret = acc.oauth_token_secret }, "method")
      denied(req("GET", "/api/contacts", { auth = false, headers = { Authorization = 'OAuth oauth_consumer_key="fake-consumer"' } }),
             "missing parameters")
      -- a wrong verifier
      local rt2 = request_token()
      req("GET", "/oauth/v1/authorize", { auth = false, query = "oauth_token=" .. enc(rt2.oauth_token) })
      denied(signed{ method = "POST", path = "/oauth/v1/access_token", token = rt2.oauth_token,
                     token_secret = rt2.oauth_token_secret, verifier = "wrong" }, "verifier")
      -- not yet authorized
      local rt3 = request_token()
      denied(signed{ method = "POST", path = "/oauth/v1/access_token", token = rt3.oauth_token,
                     token_secret = rt3.oauth_token_secret, verifier = "x" }, "unauthorized request token")
      -- request token signed with a wrong consumer secret
      denied(signed{ method = "POST", path = "/oauth/v1/request_token", callback = "oob", consumer_secret = "x" },
             "request token signature")
    end)

    it("rejects a reused nonce (per consumer) and a stale or future timestamp", function()
      config{ oauth1_consumers = { ["fake-consumer"] = "fake-consumer-secret", other = "other-secret" } }
      local acc = access_pair()
      local o = { method = "GET", path = "/api/contacts", token = acc.oauth_token,
                  token_secret = acc.oauth_token_secret, nonce = "fixed-nonce-1" }
      assert.equal(200, signed(o).status)
      local r = signed(o)
      assert.equal(401, r.status)
      assert.matches("[Nn]once", r.body.errors[1].message)
      -- the same nonce from another consumer is fine
      local r2 = signed{ method = "POST", path = "/oauth/v1/request_token", callback = "oob",
                         consumer_key = "other", consumer_secret = "other-secret", nonce = "fixed-nonce-1" }
      assert.equal(200, r2.status)
      local now = os.time()
      for _, ts in ipairs{ now - 310, now + 310 } do -- 300 s window (+ slack for the clocks)
        r = signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                    token_secret = acc.oauth_token_secret, timestamp = ts }
        assert.equal(401, r.status)
        assert.matches("[Tt]imestamp", r.body.errors[1].message)
      end
      assert.equal(200, signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                                token_secret = acc.oauth_token_secret, timestamp = now - 200 }.status)
      config{ oauth1_timestamp_window = 1000 }
      assert.equal(200, signed{ method = "GET", path = "/api/contacts", token = acc.oauth_token,
                                token_secret = acc.oauth_token_secret, timestamp = now - 600 }.status)
    end)

    it("gives access tokens from the admin route", function()
      local r = req("POST", "/__fake/oauth1/issue", { auth = false, json = {} })
      assert.equal(200, r.status)
      local api = signed{ method = "GET", path = "/api/contacts", token = r.body.oauth_token,
                          token_secret = r.body.oauth_token_secret }
      assert.equal(200, api.status)
    end)

    it("logs the auth as oauth1, with the header and the secrets redacted", function()
      local acc = access_pair()
      req("DELETE", "/__fake/log", { auth = false })
      signed{ method = "POST", path = "/api/contacts/new", form = "email=l%40example.com&oauth_verifier=v1",
              signed = { { "email", "l@example.com" }, { "oauth_verifier", "v1" } },
              token = acc.oauth_token, token_secret = acc.oauth_token_secret }
      local e = log()[1]
      assert.equal("oauth1", e.auth)
      assert.equal("<redacted>", e.headers.authorization)
      assert.equal("email=l%40example.com&oauth_verifier=<redacted>", e.body)
      assert.equal(201, e.status)
    end)
  end)

  ------------------------------------------------------------------ log
  describe("the log", function()
    it("has raw_path (as received) beside the decoded path", function()
      req("GET", "/api/contacts/a%20b%2Fc")
      local e = log()[1]
      assert.equal("/api/contacts/a%20b%2Fc", e.raw_path)
      assert.equal("/api/contacts/a b/c", e.path)
    end)

    it("redacts tokens, secrets, codes and signatures in queries and bodies", function()
      token_req(CC)
      req("POST", "/oauth/v2/token", { auth = false, json = { grant_type = "refresh_token", client_id = "fake-client",
          client_secret = "fake-secret", refresh_token = "rt-secret-1" } })
      req("GET", "/oauth/v2/token", { auth = false, query = CC .. "&code=c0de1" })
      req("GET", "/api/contacts", { auth = false, query = "limit=1&access_token=at-secret-1" })
      req("GET", "/api/contacts", bearer("at-secret-2"))
      token_req("grant_type=authorization_code&client_id=fake-client&client_secret=fake-secret&code=c0de2" ..
                "&oauth_signature=sig1&oauth_token_secret=ts1&oauth_verifier=ver1&zipcode=12345")
      local entries = log()
      local text = json.encode(entries)
      for _, secret in ipairs{ "fake-secret", "rt-secret-1", "c0de1", "c0de2", "at-secret-1", "at-secret-2",
                               "sig1", "ts1", "ver1" } do
        assert.is_nil(text:find(secret, 1, true), secret)
      end
      assert.equal(6, #entries)
      assert.equal("grant_type=client_credentials&client_id=fake-client&client_secret=<redacted>", entries[1].body)
      assert.equal("<redacted>", json.decode(entries[2].body).refresh_token)
      assert.equal("<redacted>", entries[3].args.code)
      assert.equal("limit=1&access_token=<redacted>", entries[4].query)
      assert.equal("bearer", entries[4].auth)
      assert.equal("<redacted>", entries[5].headers.authorization)
      assert.equal("bearer", entries[5].auth)
      assert.matches("zipcode=12345", entries[6].body, 1, true) -- only exact names are secret
      assert.equal("none", entries[6].auth)
    end)
  end)

  ------------------------------------------------------------------ faults
  describe("faults", function()
    local function fault(f) assert.equal(200, req("POST", "/__fake/fault", { auth = false, json = f }).status) end

    it("lets `skip` matching requests through first", function()
      fault{ path = "^/api/tags$", skip = 2, status = 503, body = "{}" }
      assert.equal(200, req("GET", "/api/tags").status)
      assert.equal(200, req("GET", "/api/contacts").status) -- not matching: not counted
      assert.equal(200, req("GET", "/api/tags").status)
      assert.equal(503, req("GET", "/api/tags").status)
      assert.equal(200, req("GET", "/api/tags").status)
    end)

    it("applies several faults on one path in registration order", function()
      fault{ path = "^/api/tags$", status = 502, body = "a", count = 2 }
      fault{ path = "^/api/tags$", status = 503, body = "b" }
      fault{ path = "^/api/tags$", skip = 1, status = 504, body = "c" }
      local got = {}
      for i = 1, 6 do got[i] = req("GET", "/api/tags").status end
      assert.same({ 502, 502, 503, 200, 504, 200 }, got)
    end)

    it("faults the token endpoint too", function()
      fault{ path = "^/oauth/v2/token$", status = 500, body = "{}" }
      assert.equal(500, token_req(CC).status)
      assert.equal(200, token_req(CC).status)
    end)
  end)

  ------------------------------------------------------------------ rate limit window
  describe("rate_limit_window", function()
    it("sets the X-RateLimit window; a new budget starts once it is over", function()
      config{ rate_limit = 1, rate_limit_window = 2 }
      local r1 = req("GET", "/api/contacts")
      assert.equal(200, r1.status)
      local d = tonumber(r1.headers["x-ratelimit-reset"]) - os.time()
      assert.truthy(d >= 1 and d <= 2, tostring(d))
      assert.equal(429, req("GET", "/api/contacts").status)
      S.sh("sleep 2.1")
      local r3 = req("GET", "/api/contacts")
      assert.equal(200, r3.status)
      assert.equal("0", r3.headers["x-ratelimit-remaining"])
    end)

    it("defaults to an hour", function()
      config{ rate_limit = 5 }
      local r = req("GET", "/api/contacts")
      local d = tonumber(r.headers["x-ratelimit-reset"]) - os.time()
      assert.truthy(d >= 3598 and d <= 3600, tostring(d))
    end)
  end)
end)

describe("fake Mautic over TLS", function()
  local srv
  setup(function() srv = S.start("--tls") end)
  teardown(function() S.stop(srv) end)

  it("prints ca_file=<path> and verifies OAuth1 signatures over https", function()
    local ca = srv.out:match("ca_file=(%S+)")
    assert.truthy(ca)
    local f = io.open(ca); assert.truthy(f); f:close()
    assert.matches("^https://", srv.url)
    local function curl(args, path)
      return S.sh("curl -s --cacert " .. S.quote(ca) .. " " .. args .. " " .. S.quote(srv.url .. path))
    end
    assert.equal("200", curl("-u admin:mautic -o /dev/null -w '%{http_code}'", "/api/contacts"))
    curl("-X POST -H 'Content-Type: application/json' --data-binary '{\"oauth1\":true}'", "/__fake/config")
    local acc = json.decode(curl("-X POST", "/__fake/oauth1/issue"))
    local function try(scheme_url)
      local p = oauth_params{ token = acc.oauth_token }
      local base = "GET&" .. enc(scheme_url .. "/api/contacts") .. "&" .. enc(flat_pairs(oauth_list(p)))
      local hdr = header_for(p, sign(base, nil, acc.oauth_token_secret))
      return curl("-H " .. S.quote("Authorization: " .. hdr) .. " -o /dev/null -w '%{http_code}'", "/api/contacts")
    end
    assert.equal("200", try(srv.url))
    assert.equal("401", try((srv.url:gsub("^https", "http")))) -- the scheme is signed
  end)
end)
