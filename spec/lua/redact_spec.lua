local redact = require "mautic.redact"

describe("redaction", function()
  it("masks credentials in URLs", function()
    assert.equal("https://<redacted>@m.test/api?access_token=<redacted>&limit=5",
      redact.url("https://u:p@m.test/api?access_token=abc123&limit=5"))
  end)

  it("masks Authorization values, token fields and remembered secrets in text", function()
    redact.remember("hunter2-secret")
    local s = redact.text('Authorization: Bearer abc.def-ghi {"access_token":"tok","refresh_token":"r"} ' ..
      'client_secret=zzz&x=1 Basic dXNlcjpwYXNz pw hunter2-secret')
    assert.not_matches("abc.def", s, 1, true)
    assert.not_matches('"tok"', s, 1, true)
    assert.not_matches("zzz", s, 1, true)
    assert.not_matches("dXNlcjpwYXNz", s, 1, true)
    assert.not_matches("hunter2-secret", s, 1, true)
    assert.matches("x=1", s, 1, true)
  end)

  it("masks authorization and cookie headers", function()
    assert.same({ Authorization = "<redacted>", Cookie = "<redacted>", Accept = "application/json" },
      redact.headers{ Authorization = "Basic x", Cookie = "s=1", Accept = "application/json" })
  end)

  describe("a remembered secret, however it is written", function()
    local secret = "p\195\164ss/w0rd+1 \226\130\172x"   -- "päss/w0rd+1 €x"
    redact.remember(secret)
    local spellings = {
      { "as is", secret },
      { "PHP json_encode (\\/ and \\u lower-case)", "p\\u00e4ss\\/w0rd+1 \\u20acx" },
      { "JSON with upper-case \\u", "p\\u00E4ss\\/w0rd+1 \\u20ACx" },
      { "JSON with raw UTF-8 and \\/", "p\195\164ss\\/w0rd+1 \226\130\172x" },
      { "percent-encoded (RFC 3986)", "p%C3%A4ss%2Fw0rd%2B1%20%E2%82%ACx" },
      { "percent-encoded, lower-case hex", "p%c3%a4ss%2fw0rd%2b1%20%e2%82%acx" },
      { "form-encoded", "p%C3%A4ss%2Fw0rd%2B1+%E2%82%ACx" },
    }
    for _, case in ipairs(spellings) do
      it("is masked " .. case[1], function()
        local out = redact.text('{"message":"Invalid credentials: ' .. case[2] .. '"}')
        assert.equal('{"message":"Invalid credentials: <redacted>"}', out)
      end)
    end

    it("is masked inside a body that an error cuts short", function()
      local errors = require "mautic.errors"
      local body = string.rep("a", 500) .. "p\\u00e4ss\\/w0rd+1 \\u20acx" .. string.rep("b", 100)
      local e = errors.new{ kind = "http", body = body }
      assert.not_matches("w0rd", e.body, 1, true)
    end)
  end)

  it("masks the base64 user:password a Basic handler sends", function()
    local mautic = require "mautic"
    mautic.auth.basic{ username = "zed", password = "Sup3r/Secret" }
    local core = require "mautic.core"
    local b64 = core.b64encode("zed:Sup3r/Secret")
    assert.equal("echo <redacted> and <redacted>", redact.text("echo " .. b64 .. " and Sup3r\\/Secret"))
  end)
end)
