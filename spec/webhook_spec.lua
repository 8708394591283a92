local mautic = require "mautic"
local core = require "mautic.core"

local function hex2bin(h)
  return (h:gsub("%s", ""):gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end

-- RFC 4231 test cases (HMAC-SHA256): key, data, expected MAC in hex
local rfc4231 = {
  { string.rep(string.char(0x0b), 20), "Hi There",
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
  { "Jefe", "what do ya want for nothing?",
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
  { string.rep(string.char(0xaa), 20), string.rep(string.char(0xdd), 50),
    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
  { hex2bin("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.rep(string.char(0xcd), 50),
    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
  { string.rep(string.char(0xaa), 131), "Test Using Larger Than Block-Size Key - Hash Key First",
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
  { string.rep(string.char(0xaa), 131),
    "This is a test using a larger than block-size key and a larger than block-size data. " ..
    "The key needs to be hashed before being used by the HMAC algorithm.",
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
}

describe("mautic.webhook", function()
  describe("verify", function()
    for i, v in ipairs(rfc4231) do
      it("accepts the RFC 4231 case " .. i .. " signature and rejects a changed one", function()
        local sig = core.b64encode(hex2bin(v[3]))
        assert.is_true(mautic.webhook.verify(v[1], v[2], sig))
        assert.equal(sig, mautic.webhook.sign(v[1], v[2]))
        assert.is_false(mautic.webhook.verify(v[1], v[2] .. " ", sig))
        assert.is_false(mautic.webhook.verify(v[1] .. "x", v[2], sig))
      end)
    end

    it("rejects a missing, empty, truncated or padded signature", function()
      local body = '{"mautic.lead_post_save_new":[]}'
      local sig = mautic.webhook.sign("s3cret", body)
      assert.is_false(mautic.webhook.verify("s3cret", body, nil))
      assert.is_false(mautic.webhook.verify("s3cret", body, ""))
      assert.is_false(mautic.webhook.verify("s3cret", body, sig:sub(1, -2)))
      assert.is_false(mautic.webhook.verify("s3cret", body, sig .. "A"))
      assert.is_true(mautic.webhook.verify("s3cret", body, " " .. sig .. "\r\n"))
    end)

    it("raises for a missing secret or body", function()
      assert.has_error(function() mautic.webhook.verify(nil, "", "x") end)
      assert.has_error(function() mautic.webhook.verify("s", nil, "x") end)
    end)
  end)

  describe("parse", function()
    it("turns a payload into events in the order they were sent", function()
      local raw = '{"mautic.lead_post_save_update":[{"contact":{"id":3},"timestamp":"2026-01-02T10:00:00+00:00"}],' ..
                  '"mautic.lead_post_save_new":[{"contact":{"id":1}},{"contact":{"id":2}}],' ..
                  '"timestamp":"2026-01-02T10:00:01+00:00"}'
      local events = assert(mautic.webhook.parse(raw))
      assert.equal(3, #events)
      assert.equal("mautic.lead_post_save_update", events[1].type)
      assert.equal(3, events[1].payload.contact.id)
      assert.equal("2026-01-02T10:00:00+00:00", events[1].timestamp)
      assert.equal("mautic.lead_post_save_new", events[2].type)
      assert.same({ 1, 2 }, { events[2].payload.contact.id, events[3].payload.contact.id })
      assert.equal("2026-01-02T10:00:01+00:00", events[2].timestamp)
    end)

    it("returns nil and a message for a body that is not a payload", function()
      local events, err = mautic.webhook.parse("<html>")
      assert.is_nil(events)
      assert.matches("not a webhook payload", err)
    end)
  end)
end)
