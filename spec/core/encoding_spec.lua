-- mautic.core base64 (RFC 4648) and percent-encoding (RFC 3986).
local core = require "mautic.core"

describe("mautic.core encoding", function()

  describe("base64", function()
    -- RFC 4648, section 10
    local vectors = {
      { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
      { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    }
    for _, v in ipairs(vectors) do
      it(string.format("encodes %q as %q", v[1], v[2]), function()
        assert.are.equal(v[2], core.b64encode(v[1]))
      end)
      it(string.format("decodes %q to %q", v[2], v[1]), function()
        assert.are.equal(v[1], core.b64decode(v[2]))
      end)
    end

    it("uses + and / (not the URL alphabet)", function()
      assert.are.equal("+/+/", core.b64encode("\251\255\191"))
      assert.are.equal("\251\255\191", core.b64decode("+/+/"))
    end)

    it("round-trips every byte value", function()
      local t = {}
      for i = 0, 255 do t[#t + 1] = string.char(i) end
      local all = table.concat(t)
      for n = 0, 5 do
        local s = all:sub(1, 256 - n)
        assert.are.equal(s, core.b64decode(core.b64encode(s)))
      end
    end)

    local invalid = {
      { "Zg", "missing padding" },
      { "Zg=", "short padding" },
      { "Z===", "too much padding" },
      { "Zg==Zg==", "padding in the middle" },
      { "=Zg=", "padding first" },
      { "Zm9v\n", "a trailing newline" },
      { "Zm 9v", "a space" },
      { "Zm9-", "a URL-alphabet character" },
      { "Zh==", "non-zero padding bits" },
      { "Zm9=", "non-zero padding bits before one =" },
      { "Zm9v\0", "a NUL byte" },
    }
    for _, v in ipairs(invalid) do
      it("rejects input with " .. v[2] .. " with nil, err", function()
        local s, err = core.b64decode(v[1])
        assert.is_nil(s)
        assert.is_string(err)
      end)
    end
  end)

  describe("pct_encode", function()
    local cases = {
      { "unreserved characters unchanged",
        "AZaz09-._~", "AZaz09-._~" },
      { "every reserved character",
        ":/?#[]@!$&'()*+,;=", "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D" },
      { "space as %20", "a b", "a%20b" },
      { "plus as %2B", "a+b", "a%2Bb" },
      { "tilde kept", "~user", "~user" },
      { "percent itself", "100%", "100%25" },
      { "UTF-8 bytes with upper-case hex", "é€", "%C3%A9%E2%82%AC" },
      { "a NUL byte", "a\0b", "a%00b" },
      { "a search with a wildcard", "email:%@example.com", "email%3A%25%40example.com" },
      { "the empty string", "", "" },
    }
    for _, c in ipairs(cases) do
      it("encodes " .. c[1], function()
        assert.are.equal(c[3], core.pct_encode(c[2]))
      end)
    end
  end)

  describe("pct_decode", function()
    local cases = {
      { "upper and lower case escapes", "%C3%a9", "é" },
      { "+ as a plus, not a space", "a+b", "a+b" },
      { "%20 as a space", "a%20b", "a b" },
      { "%00 as a NUL byte", "a%00b", "a\0b" },
      { "plain text unchanged", "abc-._~", "abc-._~" },
    }
    for _, c in ipairs(cases) do
      it("decodes " .. c[1], function()
        assert.are.equal(c[3], core.pct_decode(c[2]))
      end)
    end

    for _, bad in ipairs({ "%", "%2", "abc%", "%G0", "%0G", "%%41" }) do
      it(string.format("returns nil, err for the bad escape %q", bad), function()
        local s, err = core.pct_decode(bad)
        assert.is_nil(s)
        assert.is_string(err)
      end)
    end

    it("round-trips every byte value", function()
      local t = {}
      for i = 0, 255 do t[#t + 1] = string.char(i) end
      local all = table.concat(t)
      local enc = core.pct_encode(all)
      assert.is_nil(enc:find("[^%w%-%._~%%]"))
      assert.are.equal(all, core.pct_decode(enc))
    end)
  end)
end)
