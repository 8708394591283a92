-- What /api/v2 writes can do to /api (SUMMARY §2.4): /api/v2 takes a lead
-- field of a type Mautic does not know ("nosuchtype", 201), after which every
-- /api contact create fails with Mautic's uncaught 500 until that field is
-- deleted; /api/v2 contact creates go on working.
local store = require "mautic.fake.store"
local auth = require "mautic.fake.auth"
local responses = require "mautic.fake.responses"

local _M = {}

local KNOWN = {
  text = true, textarea = true, email = true, tel = true, url = true, number = true, boolean = true,
  date = true, datetime = true, time = true, select = true, multiselect = true, lookup = true,
  country = true, region = true, timezone = true, locale = true, html = true,
}

local CREATES = { ["/api/contacts/new"] = true, ["/api/contacts/batch/new"] = true }

local function unknown_type_field()
  for _, f in ipairs(store.all("fields/contact")) do
    if type(f.type) == "string" and not KNOWN[f.type] then return true end
  end
  return false
end

-- the answer that replaces /api's to this request, or nil (an unauthenticated
-- request still gets /api's 401: the firewall comes first)
function _M.api_answer(req)
  if req.method ~= "POST" or not CREATES[req.path] or not unknown_type_field() then return nil end
  if not auth.authenticate(req) then return nil end
  return responses.uncaught(500)
end

return _M
