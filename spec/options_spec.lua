-- Every options table is checked: a key the function does not know, or a
-- bad value, is a usage error raised at the caller's line that names the
-- function and, for a misspelling, the nearest known key. Nothing is sent.
local fake = require "support.fake"
local mautic = require "mautic"
local options = require "mautic.options"

describe("mautic.options", function()
  describe("distance", function()
    for _, row in ipairs{
      { "timeout", "timeout", 0 }, { "timout", "timeout", 1 }, { "tiemout", "timeout", 1 },
      { "concurency", "concurrency", 1 }, { "TimeOut", "timeout", 0 }, { "", "abc", 3 }, { "abc", "", 3 },
      { "serach", "search", 1 }, { "kitten", "sitting", 3 },
    } do
      it(("from %q to %q is %d"):format(row[1], row[2], row[3]), function()
        assert.equal(row[3], options.distance(row[1], row[2]))
      end)
    end
  end)

  describe("nearest", function()
    local known = { "timeout", "connect_timeout", "retries", "rate_limit_retries", "search", "select" }
    for _, row in ipairs{
      { "timout", { "timeout" } }, { "retires", { "retries" } }, { "serach", { "search" } },
      { "zzz", {} }, { "x", {} }, { "timeouts", { "timeout" } },
    } do
      it(("for %q is %s"):format(row[1], table.concat(row[2], ", ")), function()
        assert.same(row[2], options.nearest(row[1], known))
      end)
    end
  end)
end)

describe("options checked at the caller's line", function()
  local api
  before_each(function()
    fake.reset()
    api = fake.client()
    fake.clear_log()
  end)

  local basic = mautic.auth.basic{ username = "admin", password = "mautic" }
  local cases = {
    { "mautic.new with a misspelled key", function() mautic.new{ url = fake.url, auth = basic, timout = 5 } end,
      "bad argument #1 to 'new' (unknown option 'timout'; did you mean 'timeout'?)" },
    { "mautic.new with a bad value", function() mautic.new{ url = fake.url, retries = 1.5 } end,
      "bad argument #1 to 'new' (retries: an integer >= 0 expected, got 1.5)" },
    { "mautic.new with a misspelled tls key", function() mautic.new{ url = fake.url, tls = { verfy = false } } end,
      "bad argument #1 to 'new' (unknown tls option 'verfy'; did you mean 'verify'?)" },
    { "mautic.new with strict_fields of another kind", function() mautic.new{ url = fake.url, strict_fields = "no" } end,
      "bad argument #1 to 'new' (strict_fields: true, false or \"warn\" expected, got \"no\")" },
    { "from_env's extra options", function() mautic.from_env{ retires = 1 } end,
      "bad argument #1 to 'from_env' (unknown option 'retires'; did you mean 'retries'?)" },
    { "a per-call timeout that is not a number",
      function() api.contacts.edit(1, { firstname = "B" }, { timeout = "abc" }) end,
      "bad argument #3 to 'contacts.edit' (timeout: a number of seconds >= 0 expected, got \"abc\")" },
    { "a misspelled per-call option", function() api.contacts.get(1, nil, { retires = 0 }) end,
      "bad argument #3 to 'contacts.get' (unknown option 'retires'; did you mean 'retries'?)" },
    { "a misspelled option in the query's place", function() api.contacts.get(1, { retires = 0 }) end,
      "bad argument #2 to 'contacts.get' (unknown query parameter 'retires'; did you mean 'retries'?)" },
    { "create on a verb that cannot PUT", function() api.contacts.delete(1, { create = true }) end,
      "bad argument #2 to 'contacts.delete' (unknown option 'create')" },
    { "a misspelled batch option", function() api.contacts.create_batch({ { email = "a@b.c" } }, { concurency = 4 }) end,
      "bad argument #2 to 'contacts.create_batch' (unknown option 'concurency'; did you mean 'concurrency'?)" },
    { "a misspelled import option", function() api.contacts.import({ { email = "a@b.c" } }, { concurency = 4 }) end,
      "bad argument #2 to 'contacts.import' (unknown option 'concurency'; did you mean 'concurrency'?)" },
    { "a misspelled export key", function() api.contacts.export{ to = io.stdout, feilds = { "email" } } end,
      "bad argument #1 to 'contacts.export' (unknown key 'feilds'; did you mean 'fields'?)" },
    { "a misspelled each option", function() api.contacts.each({}, { prefetsh = false }) end,
      "bad argument #2 to 'contacts.each' (unknown option 'prefetsh'; did you mean 'prefetch'?)" },
    { "a misspelled route option", function() api.files.list("images", {}, { subdri = "flags" }) end,
      "bad argument #3 to 'files.list' (unknown option 'subdri'; did you mean 'subdir'?)" },
    { "a misspelled basic key", function() mautic.auth.basic{ username = "u", pasword = "p" } end,
      "bad argument #1 to 'basic' (unknown option 'pasword'; did you mean 'password'?)" },
    { "a misspelled oauth2 key", function() mautic.auth.oauth2{ client_id = "c", cilent_secret = "s" } end,
      "bad argument #1 to 'oauth2' (unknown option 'cilent_secret'; did you mean 'client_secret'?)" },
    { "a misspelled oauth1 key", function() mautic.auth.oauth1{ consumer_key = "k", consumer_secret = "s", toke = "t" } end,
      "bad argument #1 to 'oauth1' (unknown option 'toke'; did you mean 'token'?)" },
    { "a misspelled file store key", function() mautic.auth.store.file("/tmp/x.json", { kye = "k" }) end,
      "bad argument #2 to 'file' (unknown option 'kye'; did you mean 'key'?)" },
    { "a misspelled redis store key", function() mautic.auth.store.redis{ prot = 6379 } end,
      "bad argument #1 to 'redis' (unknown option 'prot'; did you mean 'port'?)" },
    { "a misspelled limit key", function() mautic.limit.redis{ limit = 5, window = 1, windw = 2 } end,
      "bad argument #1 to 'redis' (unknown option 'windw'; did you mean 'window'?)" },
    { "a misspelled parallel option", function() mautic.parallel({}, { concurency = 2 }) end,
      "bad argument #2 to 'parallel' (unknown option 'concurency'; did you mean 'concurrency'?)" },
    { "a misspelled request option", function() api.request("GET", "/contacts", { qeury = {} }) end,
      "bad argument #3 to 'request' (unknown option 'qeury'; did you mean 'query'?)" },
    { "a misspelled authorize_url key",
      function() mautic.oauth2.authorize_url{ url = "https://m", client_id = "c", redirect_uri = "x", scopes = "a" } end,
      "bad argument #1 to 'authorize_url' (unknown option 'scopes'; did you mean 'scope'?)" },
  }
  for _, case in ipairs(cases) do
    it("raises for " .. case[1], function()
      local ok, msg = pcall(case[2])
      assert.is_false(ok)
      -- at the caller's line: this file, not the library
      assert.matches("^spec/options_spec.lua:%d+: ", msg)
      assert.equal(case[3], (msg:gsub("^spec/options_spec.lua:%d+: ", "")))
    end)
  end

  it("takes a table of nothing but options in the query's place as the options", function()
    fake.fault{ path = "^/api/contacts/1$", delay = 2 }
    local c, err = api.contacts.get(1, { timeout = 0.2, retries = 0 })
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.is_nil(fake.last("GET", "^/api/contacts/1$").args.timeout)
  end)

  it("sends nothing when it raises", function()
    for _, case in ipairs(cases) do pcall(case[2]) end
    assert.same({}, fake.log())
  end)
end)
