--- The index of endpoint families: Lua name -> module with its routes.
local _M = {
  names = {
    "assets", "campaigns", "campaign_events", "categories", "companies", "company_fields",
    "contact_fields", "contacts", "data", "devices", "dynamic_contents", "emails", "files",
    "focus", "forms", "messages", "notes", "notifications", "oauth", "pages", "points",
    "point_groups", "point_triggers", "reports", "roles", "segments", "smses", "stages",
    "stats", "tags", "themes", "tracking", "tweets", "users", "webhooks",
  },
  known = {},
}
for _, name in ipairs(_M.names) do _M.known[name] = true end

--- Load a family's definition.
function _M.load(name)
  return require("mautic.api." .. name)
end

return _M
