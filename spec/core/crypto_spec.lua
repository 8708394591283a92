-- mautic.core crypto primitives against the published test vectors.
local core = require "mautic.core"

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function bytes(from, to)
  local t = {}
  for i = from, to do t[#t + 1] = string.char(i) end
  return table.concat(t)
end

describe("mautic.core crypto", function()

  describe("hmac_sha1", function()
    -- RFC 2202, section 3: all seven test cases
    local cases = {
      { key = ("\11"):rep(20), data = "Hi There",
        digest = "b617318655057264e28bc0b6fb378c8ef146be00" },
      { key = "Jefe", data = "what do ya want for nothing?",
        digest = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
      { key = ("\170"):rep(20), data = ("\221"):rep(50),
        digest = "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
      { key = bytes(1, 25), data = ("\205"):rep(50),
        digest = "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
      { key = ("\12"):rep(20), data = "Test With Truncation",
        digest = "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
      { key = ("\170"):rep(80), data = "Test Using Larger Than Block-Size Key - Hash Key First",
        digest = "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
      { key = ("\170"):rep(80),
        data = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
        digest = "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
    }
    for i, c in ipairs(cases) do
      it("matches RFC 2202 test case " .. i, function()
        local mac = core.hmac_sha1(c.key, c.data)
        assert.are.equal(20, #mac)
        assert.are.equal(c.digest, hex(mac))
      end)
    end
    it("matches the truncated digest of RFC 2202 test case 5", function()
      assert.are.equal("4c1a03424b55e07fe7f27be1",
                       hex(core.hmac_sha1(("\12"):rep(20), "Test With Truncation")):sub(1, 24))
    end)
  end)

  describe("hmac_sha256", function()
    -- RFC 4231, section 4: test cases 1 to 7 (case 5 is truncated to 128 bits)
    local cases = {
      { key = ("\11"):rep(20), data = "Hi There",
        digest = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
      { key = "Jefe", data = "what do ya want for nothing?",
        digest = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
      { key = ("\170"):rep(20), data = ("\221"):rep(50),
        digest = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
      { key = bytes(1, 25), data = ("\205"):rep(50),
        digest = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
      { key = ("\12"):rep(20), data = "Test With Truncation",
        digest = "a3b6167473100ee06e0c796c2955552b", truncate = 16 },
      { key = ("\170"):rep(131), data = "Test Using Larger Than Block-Size Key - Hash Key First",
        digest = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
      { key = ("\170"):rep(131),
        data = "This is a test using a larger than block-size key and a larger than "
            .. "block-size data. The key needs to be hashed before being used by the "
            .. "HMAC algorithm.",
        digest = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
    }
    for i, c in ipairs(cases) do
      it("matches RFC 4231 test case " .. i, function()
        local mac = core.hmac_sha256(c.key, c.data)
        assert.are.equal(32, #mac)
        if c.truncate then mac = mac:sub(1, c.truncate) end
        assert.are.equal(c.digest, hex(mac))
      end)
    end

    it("accepts keys and messages with NUL bytes", function()
      assert.are_not.equal(core.hmac_sha256("k\0a", "m"), core.hmac_sha256("k\0b", "m"))
      assert.are_not.equal(core.hmac_sha256("k", "m\0a"), core.hmac_sha256("k", "m\0b"))
    end)

    it("raises when given something that is not a string", function()
      assert.has_error(function() core.hmac_sha256({}, "m") end)
      assert.has_error(function() core.hmac_sha1("k") end)
    end)
  end)

  describe("sha256", function()
    local cases = {
      { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
      { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
      { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    }
    for _, c in ipairs(cases) do
      it("hashes " .. string.format("%q", c[1]) .. " to the FIPS 180-2 digest", function()
        assert.are.equal(c[2], hex(core.sha256(c[1])))
      end)
    end
  end)

  describe("random_bytes", function()
    for _, n in ipairs({ 0, 1, 16, 32, 5000, 100000 }) do
      it("returns exactly " .. n .. " bytes", function()
        assert.are.equal(n, #core.random_bytes(n))
      end)
    end

    it("does not repeat itself", function()
      local seen = {}
      for _ = 1, 200 do
        local r = core.random_bytes(16)
        assert.is_nil(seen[r])
        seen[r] = true
      end
    end)

    it("uses every byte value over a long run", function()
      local counts = {}
      for c in core.random_bytes(65536):gmatch(".") do counts[c] = true end
      local n = 0
      for _ in pairs(counts) do n = n + 1 end
      assert.are.equal(256, n)
    end)

    for _, bad in ipairs({ -1, 1.5, 2 ^ 40, "x" }) do
      it("raises for the out-of-range count " .. tostring(bad), function()
        assert.has_error(function() core.random_bytes(bad) end)
      end)
    end
  end)

  describe("ct_equal", function()
    local cases = {
      { "equal strings", "secret-signature", "secret-signature", true },
      { "strings that differ in the last byte", "secret-signaturf", "secret-signature", false },
      { "strings that differ in the first byte", "Xecret", "secret", false },
      { "a prefix of the other", "secret", "secret-signature", false },
      { "a longer string", "secret-signature", "secret", false },
      { "two empty strings", "", "", true },
      { "an empty and a non-empty string", "", "x", false },
      { "binary strings with NUL bytes", "a\0b", "a\0b", true },
      { "binary strings that differ after a NUL byte", "a\0b", "a\0c", false },
    }
    for _, c in ipairs(cases) do
      it("says " .. tostring(c[4]) .. " for " .. c[1], function()
        assert.are.equal(c[4], core.ct_equal(c[2], c[3]))
      end)
    end
  end)

  it("round-trips a digest through hex for the specs themselves", function()
    assert.are.equal("00ff10", hex(unhex("00ff10")))
  end)
end)
