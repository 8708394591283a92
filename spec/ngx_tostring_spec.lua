-- What nginx's Lua module (Debian 12: lua-nginx-module 0.10.23) does with a
-- table that has a __tostring metamethod, such as a mautic error object, and
-- which environment variables os.getenv sees inside nginx. The README's
-- "Inside nginx / OpenResty" says what this spec finds.

describe("inside nginx", function()
  local srv
  setup(function()
    srv = require("support.nginx").start([[
      location = /log {
        content_by_lua_block {
          local errors = require "mautic.errors"
          local err = errors.new{ kind = "http", status = 404, message = "Item was not found." }
          ngx.log(ngx.ERR, err)
          ngx.log(ngx.ERR, "signup failed: ", err)
          ngx.say("logged")
        }
      }
      location = /say {
        content_by_lua_block {
          local errors = require "mautic.errors"
          local err = errors.new{ kind = "http", status = 404, message = "Item was not found." }
          local said = {}
          for _, name in ipairs{ "say", "print" } do
            local ok, why = pcall(ngx[name], err)
            said[#said + 1] = name .. "=" .. (ok and "ok" or tostring(why))
          end
          local ok, why = pcall(ngx.say, { "a", "b" })
          said[#said + 1] = "array=" .. (ok and "ok" or tostring(why))
          ngx.say("\n", table.concat(said, "\n"))
        }
      }
      location = /env {
        content_by_lua_block {
          ngx.say("MAUTIC_URL=", tostring(os.getenv("MAUTIC_URL")))
          ngx.say("HOME=", tostring(os.getenv("HOME")))
        }
      }
    ]], { MAUTIC_URL = "https://mautic.example.com" })
  end)
  teardown(function() srv.stop() end)

  local function get(path) return srv.get(path) end

  it("ngx.log calls __tostring, alone or among strings: no tostring() needed", function()
    assert.equal("logged\n", get("/log"))
    local log = srv.error_log()
    assert.matches("[lua] content_by_lua(nginx.conf:", log, 1, true)
    assert.matches("mautic: http 404 Item was not found.", log, 1, true)
    assert.matches("signup failed: mautic: http 404 Item was not found.", log, 1, true)
  end)

  it("ngx.say and ngx.print refuse a table that is not an array of strings, __tostring or not", function()
    local body = get("/say")
    assert.matches("\nsay=bad argument #1 [^\n]*%(non%-array table found%)", body)
    assert.matches("\nprint=bad argument #1 [^\n]*%(non%-array table found%)", body)
    assert.matches("array=ok", body, 1, true)   -- an array of strings is written out, concatenated
  end)

  it("os.getenv sees only the variables named by env directives", function()
    assert.is_truthy(os.getenv("HOME"))         -- set for this process, and for nginx's master
    local body = get("/env")
    assert.matches("MAUTIC_URL=https://mautic.example.com", body, 1, true)   -- env MAUTIC_URL;
    assert.matches("HOME=nil", body, 1, true)                               -- no env HOME;
  end)
end)
