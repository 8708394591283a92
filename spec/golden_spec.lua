-- Real Mautic 5.1 answers, recorded (spec/fixtures/real-mautic-5.1.jsonl, a
-- subset of ../shared/reference/real-mautic-5.1/transcripts.jsonl), fed to
-- the client through an injected transport: what the client makes of the
-- real server's bytes, independent of the fake server.
local mautic = require "mautic"
local json = require "mautic.json"
local families = require "mautic.api"

local exchanges = {}
for line in io.lines("spec/fixtures/real-mautic-5.1.jsonl") do
  exchanges[#exchanges + 1] = assert(json.decode(line))
end

-- "/api/fields/contact" -> "contact_fields"
local family_at = {}
for _, name in ipairs(families.names) do
  local def = families.load(name)
  if def.path and def.crud ~= false then family_at["/api" .. def.path] = name end
end

-- a client whose transport answers with one recorded exchange, and records the request
local function replaying(ex)
  local sent
  local api = mautic.new{ url = "http://mautic.test", retries = 0,
    auth = mautic.auth.basic{ username = "admin", password = "x" },
    transport = function(req)
      sent = req
      local headers = setmetatable({}, { __index = function(t, k) return rawget(t, k:lower()) end })
      for k, v in pairs(ex.response.headers or {}) do headers[k:lower()] = v end
      return ex.response.status, headers, ex.response.body
    end }
  return api, function() return sent end
end

-- The keys or positions of a list in the raw body, in order.
local function ids_in_body(raw, key)
  local keys = json.keys_in_order(raw, key)
  if keys then return keys end
  local out = {}
  for _, item in ipairs(json.decode(raw)[key] or {}) do out[#out + 1] = tostring(item.id) end
  return out
end

describe("real Mautic 5.1 answers", function()
  it("are all there", function()
    assert.is_true(#exchanges > 400)
  end)

  describe("lists", function()
    local n = 0
    for _, ex in ipairs(exchanges) do
      local fam = ex.request.method == "GET" and ex.response.status == 200 and family_at[ex.request.path]
      local body = fam and json.decode(ex.response.body)
      if body and body.total ~= nil then
        n = n + 1
        it(ex.name .. " gives an integer total and the items in the server's order", function()
          local api, sent = replaying(ex)
          local def = families.load(fam)
          local page = assert(api[fam].list())
          assert.equal("GET", sent().method)
          assert.equal("http://mautic.test" .. ex.request.path, sent().url)
          assert.equal(tonumber(body.total), page.total)
          if math.type then assert.equal("integer", math.type(page.total)) end
          local expected = ids_in_body(ex.response.body, def.list)
          assert.equal(#expected, #page.items)
          for i, id in ipairs(expected) do
            assert.equal(id, tostring(page.items[i].id))
          end
        end)
      end
    end
    it("cover the keyed and the array families", function() assert.is_true(n > 100) end)
  end)

  describe("single entities", function()
    for _, ex in ipairs(exchanges) do
      local base, id = ex.request.path:match("^(.*)/(%d+)$")
      local fam = ex.request.method == "GET" and ex.response.status == 200 and base and family_at[base]
      if fam then
        it(ex.name .. " is unwrapped with an integer id", function()
          local api = replaying(ex)
          local e = assert(api[fam].get(tonumber(id)))
          local item = json.decode(ex.response.body)[families.load(fam).item]
          assert.equal(item.id, e.id)
          assert.equal(tostring(math.floor(item.id)), tostring(e.id))
        end)
      end
    end
  end)

  describe("creations", function()
    for _, ex in ipairs(exchanges) do
      local fam = ex.response.status == 201 and family_at[ex.request.path:gsub("/new$", "")]
      if fam then
        it(ex.name .. " answers the new entity and its Location", function()
          local api = replaying(ex)
          local e = assert(api[fam].create{})
          assert.is_number(e.id)
          assert.matches("^/api/", api.last_response().headers.location)
        end)
      end
    end
  end)

  describe("errors", function()
    for _, ex in ipairs(exchanges) do
      local status = ex.response.status
      if status >= 400 and ex.request.path:match("^/api/") then
        it(ex.name .. " (" .. status .. ") becomes an error with the server's status and message", function()
          local api = replaying(ex)
          local v, err = api.request(ex.request.method, ex.request.path:sub(5))
          assert.is_nil(v)
          assert.equal(status, err.status)
          local decoded = json.decode(ex.response.body)
          if decoded == nil then
            assert.equal("decode", err.kind)
          else
            assert.equal(status == 401 and "auth" or "http", err.kind)
            local first = decoded.errors and (decoded.errors[1] or select(2, next(decoded.errors)))
            if first and first.message then
              assert.matches(first.message, err.message, 1, true)
            end
            assert.is_string(tostring(err))
          end
          assert.not_matches("Basic ", tostring(err), 1, true)
        end)
      end
    end
  end)
end)
