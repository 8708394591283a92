-- Method + path patterns -> handlers. "{id}"-style parts named in NUMERIC
-- only match digits (Mautic's \d+ requirements): /api/contacts/abc is a
-- route 404. No match, or a wrong method, is a route 404 (no 405 exists).
-- A route may exist only in some versions: its fourth element names the
-- versions.lua fact it needs (without it, a route 404).
local versions = require "mautic.fake.versions"

local _M = { routes = {} }

local NUMERIC = { id = true, contactId = true, eventId = true, groupId = true, submissionId = true,
                  utmId = true, cid = true, leadId = true }

local function compile(pattern)
  local names = {}
  local lua = pattern:gsub("[%-%.%+%*%?%^%$%%%[%]%(%)]", "%%%0")
  lua = lua:gsub("{(%w+)}", function(name)
    names[#names + 1] = name
    if NUMERIC[name] then return "(%d+)" end
    return "([^/]+)"
  end)
  return "^" .. lua .. "$", names
end

function _M.add(method, pattern, handler, fact)
  local lp, names = compile(pattern)
  local r = { method = method, pattern = pattern, lua = lp, names = names, handler = handler,
              literal = not pattern:find("{", 1, true), fact = fact }
  table.insert(_M.routes, r)
  return r
end

function _M.add_all(list)
  for _, r in ipairs(list) do _M.add(r[1], r[2], r[3], r[4]) end
end

-- returns handler, params | nil
function _M.match(method, path)
  if method == "HEAD" then method = "GET" end
  local best
  for _, r in ipairs(_M.routes) do
    if r.method == method and (not r.fact or versions.has(r.fact)) then
      local caps = { path:match(r.lua) }
      if caps[1] ~= nil or (path:match(r.lua) and #r.names == 0) then
        local params = {}
        for i, n in ipairs(r.names) do params[n] = caps[i] end
        if r.literal then return r.handler, params, r end
        if not best then best = { r.handler, params, r } end
      end
    end
  end
  if best then return best[1], best[2], best[3] end
  return nil
end

function _M.clear() _M.routes = {} end

return _M
