-- The decision table: for every way a call can fail, whether a write may
-- have been applied, and whether the client may send it again.
local outcome = require "mautic.outcome"

describe("mautic.outcome", function()
  describe("classify", function()
    local cases = {
      -- status, transport kind, sent -> class
      { nil, "connect", false, "unsent" },
      { nil, "resolve", false, "unsent" },
      { nil, "proxy", false, "unsent" },
      { nil, "connect", nil, "unsent" },         -- a transport that cannot tell
      { nil, "timeout", false, "unsent" },       -- timed out while connecting
      { nil, "timeout", true, "timeout" },       -- timed out waiting for the answer
      { nil, "timeout", nil, "timeout" },
      { nil, "network", true, "dropped" },
      { nil, "network", nil, "dropped" },
      { nil, "network", false, "unsent" },
      { nil, "tls", false, "local_err" },
      { nil, "usage", false, "local_err" },
      { nil, "file", nil, "local_err" },
      { nil, "memory", true, "local_err" },
      { nil, "too_large", true, "too_large" },
      { 429, nil, true, "limited" },
      { 502, nil, true, "gateway" },
      { 503, nil, true, "gateway" },
      { 504, nil, true, "gateway" },
      { 500, nil, true, "server" },
      { 501, nil, true, "server" },
      { 400, nil, true, "refused" },
      { 404, nil, true, "refused" },
      { 422, nil, true, "refused" },
    }
    for _, c in ipairs(cases) do
      it(("puts status %s, kind %s, sent %s in class %s"):format(tostring(c[1]), tostring(c[2]), tostring(c[3]), c[4]),
        function()
          assert.equal(c[4], outcome.classify(c[1], c[2], c[3]))
        end)
    end
  end)

  describe("call_kind", function()
    local cases = {
      { "GET", false, "read" }, { "HEAD", false, "read" }, { "DELETE", false, "delete" },
      { "PUT", false, "put" }, { "POST", false, "write" }, { "PATCH", false, "write" },
      { "POST", true, "merge" }, { "PATCH", true, "write" }, { "GET", true, "read" },
    }
    for _, c in ipairs(cases) do
      it(("calls %s%s a %s"):format(c[1], c[2] and " (merging)" or "", c[3]), function()
        assert.equal(c[3], outcome.call_kind(c[1], c[2]))
      end)
    end
  end)

  describe("decide", function()
    -- class,      maybe_applied, read,    delete,  put,     write,   merge
    local TABLE = {
      { "unsent",    false, "retry", "retry", "retry", "retry", "retry" },
      { "dropped",   true,  "retry", "retry", "probe", "stop",  "retry" },
      { "timeout",   true,  "retry", "retry", "probe", "stop",  "retry" },
      { "garbage",   true,  "retry", "retry", "probe", "stop",  "retry" },
      { "gateway",   true,  "retry", "retry", "probe", "stop",  "retry" },
      { "server",    true,  "stop",  "retry", "stop",  "stop",  "stop" },
      { "too_large", true,  "stop",  "stop",  "stop",  "stop",  "stop" },
      { "limited",   false, "wait",  "wait",  "wait",  "wait",  "wait" },
      { "refused",   false, "stop",  "stop",  "stop",  "stop",  "stop" },
      { "local_err", false, "stop",  "stop",  "stop",  "stop",  "stop" },
    }
    local calls = { "read", "delete", "put", "write", "merge" }
    for _, row in ipairs(TABLE) do
      for i, call in ipairs(calls) do
        local want_action = row[2 + i]
        local want_applied = call ~= "read" and row[2]
        it(("after %s, a %s call does %s (maybe_applied %s)"):format(row[1], call, want_action, tostring(want_applied)),
          function()
            local action, applied = outcome.decide(row[1], call)
            assert.equal(want_action, action)
            assert.equal(want_applied, applied)
          end)
      end
    end

    it("never lets a POST or PATCH go again once it may have been applied", function()
      for class, rule in pairs(outcome.RULES) do
        if rule[1] then
          assert.equal("stop", (outcome.decide(class, "write")), class)
        end
      end
    end)

    it("stops on a class it does not know", function()
      assert.equal("stop", (outcome.decide("no such class", "read")))
    end)
  end)
end)
