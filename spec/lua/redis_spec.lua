-- mautic.redis: the RESP codec on canned bytes (no I/O), then the client
-- against a real redis-server (Debian's), started here on a free port.
local redis = require "mautic.redis"
local support = require "support.redis"

-- a connection that reads canned bytes, as a cosocket would
local function canned(bytes)
  local pos = 1
  return {
    receive = function(_, what)
      if what == "*l" then
        local s, e = bytes:find("\r\n", pos, true)
        if not s then return nil, "closed" end
        local line = bytes:sub(pos, s - 1)
        pos = e + 1
        return line
      end
      if pos + what - 1 > #bytes then return nil, "closed" end
      local data = bytes:sub(pos, pos + what - 1)
      pos = pos + what
      return data
    end,
  }
end

describe("the RESP codec", function()
  it("encodes a command as an array of bulk strings", function()
    assert.equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv a\r\n\r\n", redis.encode("SET", "k", "v a\r\n"))
    assert.equal("*2\r\n$4\r\nINCR\r\n$2\r\n42\r\n", redis.encode("INCR", 42))
  end)

  it("reads simple strings, integers, bulk strings (binary-safe) and nil bulks", function()
    assert.equal("OK", redis.read_reply(canned("+OK\r\n")))
    assert.equal(-7, redis.read_reply(canned(":-7\r\n")))
    assert.equal("a\r\nb", redis.read_reply(canned("$4\r\na\r\nb\r\n")))
    assert.equal("", redis.read_reply(canned("$0\r\n\r\n")))
    assert.equal(redis.null, redis.read_reply(canned("$-1\r\n")))
  end)

  it("reads nested arrays, with nil members in place", function()
    local v = redis.read_reply(canned("*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:1\r\n"))
    assert.same({ "a", redis.null, { 1 } }, v)
  end)

  it("tells an error reply (kind redis) from a broken connection (kind network)", function()
    assert.same({ nil, "redis: ERR wrong", "redis" }, { redis.read_reply(canned("-ERR wrong\r\n")) })
    assert.same({ nil, "redis: closed", "network" }, { redis.read_reply(canned("$5\r\nab")) })
    assert.equal("network", select(3, redis.read_reply(canned("?what\r\n"))))
  end)
end)

local describe_redis = support.installed() and describe or pending

describe_redis("the Redis client in plain Lua", function()
  local srv
  setup(function() srv = support.start() end)
  teardown(function() srv.stop() end)

  it("talks to Redis over the C core's TCP client, keeping one connection", function()
    local r = redis.new{ port = srv.port }
    assert.equal("OK", r:call("SET", "spec:k", "v"))
    assert.equal("v", r:call("GET", "spec:k"))
    assert.equal(redis.null, r:call("GET", "spec:missing"))
    assert.equal(1, r:call("DEL", "spec:k"))
    local conn = r.conn
    r:call("PING")
    assert.equal(conn, r.conn)
    r:close()
  end)

  it("answers an error reply as nil, message, kind redis, and goes on", function()
    local r = redis.new{ port = srv.port }
    local v, err, kind = r:call("NOSUCHCOMMAND")
    assert.is_nil(v)
    assert.equal("redis", kind)
    assert.matches("unknown command", err)
    assert.equal("PONG", r:call("PING"))
    r:close()
  end)

  it("picks the database on a new connection", function()
    local r = redis.new{ port = srv.port, db = 3 }
    assert.equal("OK", r:call("SET", "spec:db", "3"))
    assert.equal("3", srv.cli("-n 3 GET spec:db"))
    assert.equal("", srv.cli("-n 0 GET spec:db"))
    r:close()
  end)

  it("reports a server that is not there as a network failure", function()
    local r = redis.new{ port = 9, timeout = 1 }
    local v, err, kind = r:call("PING")
    assert.is_nil(v)
    assert.equal("network", kind)
    assert.matches("127.0.0.1:9", err, 1, true)
  end)
end)
