-- Errors read on every Lua. Each idiom of the README runs in a child
-- process of the Lua that runs this spec (so `bin/run-specs` covers 5.1,
-- 5.2, 5.3, 5.4 and LuaJIT), against the fake, for a contact that does not
-- exist: the text the script prints (or dies with) must hold Mautic's
-- message. Where a Lua cannot print a table (5.1's interpreter with an
-- error object; 5.1 and 5.2's assert and 5.1's string.format, which take
-- only strings), the spec pins what that Lua does and that the README's
-- alternative, which works on all five, prints the message there.
local fake = require "support.fake"
local L = require "support.lua"

local MESSAGE = "Item was not found."

local VERSION = jit and "luajit" or _VERSION:match("%d+%.%d+")
local PLAIN_51 = VERSION == "5.1"
local OLD_ASSERT = VERSION == "5.1" or VERSION == "5.2"

-- run `body` in a child Lua with `api` and `mautic` set up; its stdout and stderr together
local function run(body)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(("package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path\n"
    .. "package.cpath = %q .. package.cpath\n"
    .. "local mautic = require 'mautic'\n"
    .. "local api = mautic.new{ url = %q, auth = mautic.auth.basic{ username = 'admin', password = 'mautic' },"
    .. " retries = 0 }\n"):format(L.cpath, fake.url))
  f:write(body, "\n")
  f:close()
  local p = assert(io.popen(("env -u LD_PRELOAD -u MAUTIC_URL %s %s 2>&1"):format(L.interpreter, script)))
  local out = p:read("*a")
  p:close()
  os.remove(script)
  return out
end

describe("errors read on " .. L.abi, function()
  -- idiom, the code, whether it prints the message on this Lua, what it prints when not
  local IDIOMS = {
    { "print(err)", "local _, err = api.contacts.get(99999) print(err)", true },
    { '"failed: " .. err', "local _, err = api.contacts.get(99999) print('failed: ' .. err)", true },
    { "tostring(err)", "local _, err = api.contacts.get(99999) io.write(tostring(err), '\\n')", true },
    { 'string.format("%s", err)', "local _, err = api.contacts.get(99999) print(string.format('%s', err))",
      not PLAIN_51, "bad argument #2 to 'format'" },
    { 'string.format("%s", tostring(err))',
      "local _, err = api.contacts.get(99999) print(string.format('%s', tostring(err)))", true },
    { "assert(api.contacts.get(...))", "assert(api.contacts.get(99999))",
      not OLD_ASSERT, "bad argument #2 to 'assert'" },
    { "mautic.assert(api.contacts.get(...))", "mautic.assert(api.contacts.get(99999))", true },
    { "error(err), uncaught", "local _, err = api.contacts.get(99999) error(err)",
      not PLAIN_51, "(error object is not a string)" },
    { "error(tostring(err)), uncaught", "local _, err = api.contacts.get(99999) error(tostring(err))", true },
    { "an uncaught error from each", "for c in api.contacts.each{ search = 'ids:1', page_size = 1 } do end",
      not PLAIN_51, "(error object is not a string)", "/api/contacts" },
    { "mautic.assert(pcall(...)) around each",
      "mautic.assert(pcall(function() for c in api.contacts.each{ page_size = 1 } do end end))", true, nil,
      "/api/contacts" },
    { "pcall around each, then print", [[
        local ok, err = pcall(function() for c in api.contacts.each{ page_size = 1 } do end end)
        if not ok then print(err) end]], true, nil, "/api/contacts" },
    { "an uncaught error from a batch (raise = true)", [[
        local strict = mautic.new{ url = ]] .. ("%q"):format(fake.url) .. [[,
          auth = mautic.auth.basic{ username = 'admin', password = 'wrong' }, raise = true, retries = 0 }
        strict.contacts.create_batch{ { email = 'a@example.com' } }]],
      not PLAIN_51, "(error object is not a string)", "invalid credentials" },
    { "mautic.assert(from_env())", "mautic.assert(mautic.from_env())", true, nil, "MAUTIC_URL is not set" },
  }

  for _, idiom in ipairs(IDIOMS) do
    local name, code, prints, otherwise, expect = idiom[1], idiom[2], idiom[3], idiom[4], idiom[5] or MESSAGE
    local each_fault = expect == "/api/contacts"
    it((prints and "prints the message with " or "cannot print the message with ") .. name, function()
      fake.reset()
      if each_fault then
        -- the list fails: a 500 from Mautic, raised inside the for loop
        fake.fault{ path = "^/api/contacts$", status = 500, count = 0,
                    body = '{"errors":[{"code":500,"message":"' .. MESSAGE .. '","details":[]}]}' }
        expect = MESSAGE
      end
      local out = run(code)
      if prints then
        assert.matches(expect, out, 1, true)
      else
        assert.matches(otherwise, out, 1, true)
        assert.not_matches(expect, out, 1, true)
      end
    end)
  end
end)
