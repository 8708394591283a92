-- Permissions on /api/v2 (SUMMARY §2.7): the role of the user a request
-- authenticates as, read from its rawPermissions as /api/roles wrote them.
-- Unlike /api, "view own" is not applied: any view permission reads every
-- entity, and editing needs the "other" (or full) permission. A refusal is
-- the 403 problem+json of errors.forbidden.
local store = require "mautic.fake.store"
local json = require "mautic.fake.json"

local _M = {}

-- resource -> the permission that guards it
local PERMISSION = {
  contacts = "lead:leads", companies = "lead:leads", segments = "lead:lists", lead_fields = "lead:fields",
  tags = "lead:leads", emails = "email:emails", users = "user:users", roles = "user:roles",
  webhooks = "webhook:webhooks", categories = "category:categories", forms = "form:forms",
  fields = "form:forms", assets = "asset:assets", campaigns = "campaign:campaigns", pages = "page:pages",
  points = "point:points", triggers = "point:triggers", stages = "stage:stages", sms = "sms:smses",
  notifications = "notification:notifications", messages = "channel:messages", focus_items = "focus:items",
  dynamic_contents = "dynamiccontent:dynamiccontents", reports = "report:reports",
}

local NEEDS = {
  GET = { "viewown", "viewother", "view", "full" }, HEAD = { "viewown", "viewother", "view", "full" },
  POST = { "create", "full" }, PUT = { "editother", "edit", "full" }, PATCH = { "editother", "edit", "full" },
  DELETE = { "deleteother", "delete", "full" },
}

local function role_of(username)
  for _, u in ipairs(store.all("users")) do
    if u.username == username then
      local rid = type(u.role) == "table" and u.role.id or u.role
      return store.get("roles", tonumber(rid)) or false
    end
  end
end

function _M.allowed(ident, r, method)
  local role
  if ident and ident.kind == "basic" then role = role_of(ident.user) end
  if role == nil or (role and role.isAdmin == true) then return true end   -- unknown users: the API client
  if not role then return false end
  local perms = type(role.rawPermissions) == "table" and role.rawPermissions or {}
  local key = PERMISSION[r.name]
  local have = key and perms[key]
  if type(have) ~= "table" then return false end
  for _, want in ipairs(NEEDS[method] or {}) do
    for _, p in ipairs(json.is_obj(have) and {} or have) do
      if p == want then return true end
    end
  end
  return false
end

return _M
