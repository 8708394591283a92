-- No secret fragment anywhere: passwords holding "@", ":", "/", "%",
-- spaces, quotes and non-ASCII text go through every way a client can fail
-- (a URL with credentials, a wrong password, a proxy that cannot be
-- reached, a server that echoes the credentials back in every encoding),
-- and every error, tostring, JSON form and log line is scanned for the
-- password as it is, JSON-escaped, percent-encoded and base64-encoded, and
-- for any piece of six characters or more of it.
local fake = require "support.fake"
local mautic = require "mautic"
local core = require "mautic.core"
local json = require "mautic.json"

local PASSWORDS = {
  "p@ssw0rd-Kq7",          -- the "@" the old scrubber stopped at
  "Zq@9x:/%ü-Kw7",
  "a:b:c:d-Xy3",
  "sl/ash/es-Mn8",
  "100%sure%41-Rt5",
  "pässwörd-Üñï",
  "日本語のパスワード",
  "with space@x-Hj2",
  'quo"te\\back-Vb6',
  "p?ss#frag@Lk4",
}

-- code points of UTF-8 text (any Lua)
local function codes(s)
  local cps, i = {}, 1
  while i <= #s do
    local b = s:byte(i)
    local len = b < 0x80 and 1 or b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
    local c = len == 1 and b or b % (2 ^ (7 - len))
    for j = i + 1, i + len - 1 do c = c * 64 + s:byte(j) % 64 end
    cps[#cps + 1] = c
    i = i + len
  end
  return cps
end

-- s as JSON string content: "\u" escapes for what is not plain ASCII (with
-- all = true also for the quote, the backslash and the slash), else PHP's
-- json_encode style ("\/", '\"', "\\")
local function u_escaped(s, hex, all)
  local t = {}
  for _, c in ipairs(codes(s)) do
    if all and (c == 47 or c == 34 or c == 92) then t[#t + 1] = string.format("\\u" .. hex, c)
    elseif c == 47 then t[#t + 1] = "\\/"
    elseif c == 34 then t[#t + 1] = '\\"'
    elseif c == 92 then t[#t + 1] = "\\\\"
    elseif c < 128 then t[#t + 1] = string.char(c)
    elseif c < 0x10000 then t[#t + 1] = string.format("\\u" .. hex, c)
    else
      local v = c - 0x10000
      t[#t + 1] = string.format("\\u" .. hex .. "\\u" .. hex, 0xD800 + math.floor(v / 1024), 0xDC00 + v % 1024)
    end
  end
  return table.concat(t)
end

-- the password as JSON string content, every way an encoder writes it
local function json_spellings(pw)
  return {
    (json.encode(pw):sub(2, -2)),                            -- UTF-8 kept
    (json.encode(pw):sub(2, -2):gsub("/", "\\/")),          -- PHP's JSON_UNESCAPED_UNICODE
    u_escaped(pw, "%04x"), u_escaped(pw, "%04X"),             -- PHP's json_encode
    u_escaped(pw, "%04x", true), u_escaped(pw, "%04X", true), -- everything escaped
  }
end

-- the password in forms that need no escaping anywhere: percent and base64
local function plain_spellings(user, pw)
  return {
    core.pct_encode(pw),
    (core.pct_encode(pw):gsub("%%(%x%x)", function(h) return "%" .. h:lower() end)),
    (core.pct_encode(pw):gsub("%%20", "+")),
    core.b64encode(user .. ":" .. pw),
    core.b64encode(pw),
  }
end

-- every spelling a server or a log could show
local function spellings(user, pw)
  local out = { pw }
  for _, v in ipairs(json_spellings(pw)) do out[#out + 1] = v end
  for _, v in ipairs(plain_spellings(user, pw)) do out[#out + 1] = v end
  return out
end

-- what an echoing server writes: a JSON error whose message and details
-- hold the password in each JSON spelling and each plain one (as JSON
-- text, written by hand as a server would), and an HTML page with it raw
local function echo_json(user, pw)
  local list = {}
  for _, v in ipairs(json_spellings(pw)) do list[#list + 1] = v end
  for _, v in ipairs(plain_spellings(user, pw)) do list[#list + 1] = v end
  local joined = table.concat(list, " | ")
  return '{"errors":[{"code":400,"message":"bad: ' .. joined .. '","details":{"password":["' .. joined .. '"]}}]}'
end

local function echo_html(user, pw)
  return "<p>" .. pw .. " " .. table.concat(plain_spellings(user, pw), " ") .. "</p>"
end

local function leaks(text, user, pw)
  for _, form in ipairs(spellings(user, pw)) do
    if text:find(form, 1, true) then return form end
  end
  -- any piece of six bytes or more of the password itself
  for i = 1, #pw - 5 do
    local piece = pw:sub(i, i + 5)
    if text:find(piece, 1, true) then return piece end
  end
end

describe("no secret fragment anywhere", function()
  local seen

  -- everything a failure shows: tostring, fields, to_json, ..
  local function keep(err)
    if err == nil then return end
    seen[#seen + 1] = tostring(err)
    seen[#seen + 1] = "x" .. err
    if type(err) == "table" then
      for _, f in ipairs{ "message", "body", "url", "type", "details" } do
        if err[f] ~= nil then seen[#seen + 1] = type(err[f]) == "table" and json.encode(err[f]) or tostring(err[f]) end
      end
      seen[#seen + 1] = mautic.errors.to_json(err)
    end
  end

  local function raised(fn)
    local ok, e = pcall(fn)
    assert.is_false(ok)
    keep(e)
    return e
  end

  before_each(function()
    seen = {}
    fake.reset()
  end)

  for n, pw in ipairs(PASSWORDS) do
    local user = "user" .. n
    it(("for the password %q"):format(pw), function()
      -- a URL with credentials: refused, and quoted with them removed whole
      local e = raised(function() mautic.new{ url = "htps://admin:" .. pw .. "@crm.example.com/" } end)
      assert.matches("<redacted>@crm.example.com/", tostring(e), 1, true)
      raised(function() mautic.new{ url = "https://admin:" .. pw .. "@crm.example.com/" } end)
      raised(function() mautic.new{ url = "admin:" .. pw .. "@crm.example.com" } end)

      -- a wrong password (the fake's user has another)
      fake.config{ users = { [user] = "the-right-one" } }
      local api = fake.client{ auth = mautic.auth.basic{ username = user, password = pw }, retries = 0 }
      keep(select(2, api.contacts.list()))

      -- a server that echoes the credentials back, in every encoding, in an error and in a 200
      assert.is_table(json.decode(echo_json(user, pw)))
      fake.fault{ path = "^/api/contacts$", status = 400, body = echo_json(user, pw) }
      keep(select(2, api.contacts.list()))
      fake.fault{ path = "^/api/contacts/1$", status = 200, content_type = "text/html", body = echo_html(user, pw) }
      keep(select(2, api.contacts.get(1)))

      -- a proxy with credentials that cannot be reached
      local proxied = fake.client{ auth = mautic.auth.basic{ username = user, password = "x" }, retries = 0,
        proxy = "http://" .. user .. ":" .. core.pct_encode(pw) .. "@127.0.0.1:9" }
      keep(select(2, proxied.contacts.list()))

      -- an OAuth2 client secret the server refuses, and a token endpoint that echoes it
      local o2 = fake.client{ retries = 0, auth = mautic.auth.oauth2{ client_id = "fake-client", client_secret = pw } }
      keep(select(2, o2.contacts.list()))
      fake.fault{ path = "^/oauth/v2/token$", status = 400, body = echo_json("fake-client", pw) }
      keep(select(2, o2.contacts.list()))

      -- the fake's log, as a spec or an operator would print it
      seen[#seen + 1] = json.encode(fake.log())

      local text = table.concat(seen, "\n")
      assert.matches("invalid credentials", text, 1, true)       -- the failures really happened
      assert.matches("bad: ", text, 1, true)
      local leaked = leaks(text, user, pw)
      if leaked then
        local at = text:find(leaked, 1, true)
        leaked = leaked .. " in: " .. text:sub(math.max(1, at - 200), at + #leaked + 40)
      end
      assert.is_nil(leaked, "leaked: " .. tostring(leaked))
    end)
  end

  it("cannot be read by walking an auth handler's fields", function()
    local dir = os.tmpname()
    local secrets = { "walk-pw-1", "walk-cs-2", "walk-at-3", "walk-rt-4", "walk-ck-5", "walk-ts-6", "walk-tk-7" }
    local handlers = {
      mautic.auth.basic{ username = "u", password = "walk-pw-1" },
      mautic.auth.oauth2{ client_id = "c", client_secret = "walk-cs-2", access_token = "walk-at-3",
                          refresh_token = "walk-rt-4" },
      mautic.auth.oauth2{ client_id = "c", client_secret = "walk-cs-2", access_token = "walk-at-3",
                          refresh_token = "walk-rt-4", store = mautic.auth.store.file(dir) },
      mautic.auth.oauth1{ consumer_key = "k", consumer_secret = "walk-ck-5", token = "walk-tk-7",
                          token_secret = "walk-ts-6" },
    }
    -- put the tokens in the stores, as a first call does
    for i = 2, 3 do
      local h = handlers[i]
      fake.client{ auth = h, transport = function(req)
        assert.matches("walk%-at%-3", req.headers.Authorization)
        return 200, { ["content-type"] = "application/json" }, '{"total":0,"contacts":[]}'
      end }.contacts.list()
    end
    local function walk(v, depth, seen_tables)
      if type(v) ~= "table" or seen_tables[v] or depth > 8 then return end
      seen_tables[v] = true
      for k, x in pairs(v) do
        for _, s in ipairs(secrets) do
          assert.not_matches(s, tostring(k) .. "=" .. tostring(x), 1, true)
        end
        walk(k, depth + 1, seen_tables)
        walk(x, depth + 1, seen_tables)
      end
      walk(getmetatable(v), depth + 1, seen_tables)
    end
    for _, h in ipairs(handlers) do walk(h, 0, {}) end
    os.remove(dir)
    os.remove(dir .. ".lock")
  end)
end)
