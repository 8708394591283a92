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
end)
