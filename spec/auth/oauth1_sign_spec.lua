local mautic = require "mautic"
local core = require "mautic.core"

local sign = mautic.auth.oauth1_sign
local enc = core.pct_encode

-- RFC 5849 section 1.2: the three requests of the printer example.
local rfc = {
  consumer_key = "dpf43f3p2l4k3l03", consumer_secret = "kd94hf93k423kf44",
}

describe("mautic.auth.oauth1_sign", function()
  describe("RFC 5849 section 1.2", function()
    it("signs the temporary-credentials request", function()
      local header, sig = sign{
        method = "POST", url = "https://photos.example.net/initiate",
        consumer_key = rfc.consumer_key, consumer_secret = rfc.consumer_secret,
        nonce = "wIjqoS", timestamp = 137131200, callback = "http://printer.example.com/ready",
      }
      assert.equal("74KNZJeDHnMBp0EMJ9ZHt/XKycU=", sig)
      assert.matches('oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"', header, 1, true)
      assert.matches('oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready"', header, 1, true)
      assert.matches("^OAuth ", header)
    end)

    it("signs the token request with the verifier", function()
      local _, sig = sign{
        method = "POST", url = "https://photos.example.net/token",
        consumer_key = rfc.consumer_key, consumer_secret = rfc.consumer_secret,
        token = "hh5s93j4hdidpola", token_secret = "hdhd0244k9j7ao03",
        nonce = "walatlh", timestamp = 137131201, verifier = "hfdp7dh39dks9884",
      }
      assert.equal("gKgrFCywp7rO0OXSjdot/IHF7IU=", sig)
    end)

    it("signs the resource request, query parameters included", function()
      local _, sig, base = sign{
        method = "GET", url = "http://photos.example.net/photos?file=vacation.jpg&size=original",
        consumer_key = rfc.consumer_key, consumer_secret = rfc.consumer_secret,
        token = "nnch734d00sl2jdk", token_secret = "pfkkdhi9sl3r4s00",
        nonce = "chapoH", timestamp = 137131202,
      }
      assert.equal("MdpQcU8iPSUjWoN/UDMsK2sui9I=", sig)
      assert.equal("GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3D" ..
        "dpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D" ..
        "137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal", base)
    end)
  end)

  describe("Mautic's normalisation, worked out by hand", function()
    local fixed = {
      method = "GET", url = "http://m.test/api/contacts",
      consumer_key = "ck", consumer_secret = "cs&1", token = "tk", token_secret = "ts~2",
      nonce = "n0", timestamp = 1700000000,
    }
    local function with(params, extra)
      local o = {}
      for k, v in pairs(fixed) do o[k] = v end
      for k, v in pairs(extra or {}) do o[k] = v end
      o.params = params
      return o
    end
    local oauth = "oauth_consumer_key=ck&oauth_nonce=n0&oauth_signature_method=HMAC-SHA1" ..
                  "&oauth_timestamp=1700000000&oauth_token=tk"
    local function base_for(pairs_string, method, url)
      return (method or "GET") .. "&" .. enc(url or "http://m.test/api/contacts") .. "&" .. enc(pairs_string)
    end

    local cases = {
      { "signs a nested where under its top-level name only",
        { where = { { col = "phone", expr = "in", val = "1,2" } }, limit = 10 },
        "limit=10&" .. oauth .. "&where=1%2C2&where=in&where=phone" },
      { "sorts each nested table on its own, then as one item",
        { where = { { col = "phone", expr = "eq", val = "1" }, { col = "email", expr = "like", val = "%x" } } },
        oauth .. "&where=%25x&where=email&where=like&where=1&where=eq&where=phone" },
      { "leaves out what PHP calls empty",
        { start = 0, search = "", flag = false, zero = "0", none = {}, keep = "00", n = 0.0 },
        "keep=00&" .. oauth },
      { "adds nothing for a nested table whose every value is PHP-empty (no stray &)",
        { ids = { "0" }, tags = { "" }, deep = { a = { "" }, b = false }, limit = 5 },
        "limit=5&" .. oauth },
      { "keeps the non-empty values of a nested table that also holds empty ones",
        { tags = { "", "vip", "0" } },
        oauth .. "&tags=vip" },
      { "writes numbers as PHP does and true as 1",
        { limit = 100.0, publishedOnly = true, ratio = 1.5, tenth = 0.1 },
        "limit=100&" .. oauth .. "&publishedOnly=1&ratio=1.5&tenth=0.1" },
      { "encodes with RFC 3986, ~ unescaped, + as %2B",
        { search = "email:ann+te st~@x.org" },
        oauth .. "&search=email%3Aann%2Bte%20st~%40x.org" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local _, sig, base = sign(with(c[2]))
        assert.equal(base_for(c[3]), base)
        assert.equal(core.b64encode(core.hmac_sha1("cs%261&ts~2", base)), sig)
      end)
    end

    it("lets a body value replace a query value of the same name", function()
      local _, _, base = sign(with({ a = "9" }, { url = "http://m.test/api/x?a=1&b=2" }))
      assert.equal(base_for("a=9&b=2&" .. oauth, "GET", "http://m.test/api/x"), base)
    end)

    it("normalises scheme, host and default port but not the path", function()
      local _, _, base = sign(with({}, { url = "HTTP://M.Test:80/api/Contacts" }))
      assert.equal(base_for(oauth, "GET", "http://m.test/api/Contacts"), base)
    end)

    it("makes a fresh random nonce and the current timestamp when none is given", function()
      local o = with({})
      o.nonce, o.timestamp = nil, nil
      local h1 = sign(o)
      local h2 = sign(o)
      local n1, n2 = h1:match('oauth_nonce="(%x+)"'), h2:match('oauth_nonce="(%x+)"')
      assert.equal(32, #n1)
      assert.not_equal(n1, n2)
      local ts = tonumber(h1:match('oauth_timestamp="(%d+)"'))
      assert.is_true(math.abs(ts - os.time()) < 5)
    end)
  end)

  it("raises at the caller's line on bad arguments", function()
    local ok, msg = pcall(function() sign{ method = "GET", url = "http://x" } end)
    assert.is_false(ok)
    assert.matches("oauth1_sign_spec.lua:%d+: bad argument #1 to 'oauth1_sign' %(consumer_key", msg)
    assert.has_error(function() sign("x") end)
  end)
end)
