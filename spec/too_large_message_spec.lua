-- An answer larger than max_response_bytes: the error names the option the
-- user sets (max_response_bytes, not the transport's max_bytes) and gives the
-- limit in whole bytes under every Lua (no "1048576.0", no "1e+06"), from the
-- C core (plain Lua) and from the HTTP/1.1 reader of the nginx and HAProxy
-- transports alike.
local fake = require "support.fake"
local http1 = require "mautic.transport.http1"

-- a connection that answers canned lines, for http1 without a server
local function canned_net(lines)
  local conn = {}
  function conn.send() return true end
  function conn.receive(_, what)
    if what == "*l" then return table.remove(lines, 1) or nil, "closed" end
    return nil, "closed"
  end
  function conn.receive_to_close() return nil, "closed" end
  function conn.close() end
  return { now = function() return 0 end, connect = function() return conn end }
end

describe("the too_large error", function()
  before_each(function() fake.reset() end)

  it("names max_response_bytes and gives whole bytes, from the C core", function()
    local body = '{"total":1,"contacts":["' .. string.rep("x", 1100000) .. '"]}'
    fake.fault{ path = "^/api/contacts$", status = 200, body = body }
    local api = fake.client{ max_response_bytes = 1048576 }
    local _, err = api.contacts.list()
    assert.equal("too_large", err.kind)
    assert.equal("the answer is larger than max_response_bytes (1048576 bytes): not read further", err.message)
  end)

  it("names max_response_bytes and gives whole bytes, from the reader of nginx and HAProxy", function()
    for _, limit in ipairs{ 32 * 1024 * 1024, 3.2e7 } do
      local net = canned_net{ "HTTP/1.1 200 OK", "Content-Length: 40000000", "" }
      local ok, msg, kind = http1.request({ method = "GET", url = "http://mautic.test/api/contacts",
                                            max_bytes = limit }, net)
      assert.is_nil(ok)
      assert.equal("too_large", kind)
      assert.equal(("the answer is larger than max_response_bytes (%s bytes): not read further")
        :format(limit == 3.2e7 and "32000000" or "33554432"), msg)
    end
  end)
end)
