--- Users: /api/users.
local type = type

return {
  name = "users", path = "/users", item = "user", list = "users",
  examples = { create = 'api.users.create{ username = "ann", firstName = "Ann", lastName = "Lee", ' ..
    'email = "ann@example.com", plainPassword = { password = "s3cret!", confirm = "s3cret!" }, role = 1 }' },
  verbs = {
    { "self", "GET", "/users/self",
      doc = "The user the API credentials belong to (a bare user object; for an OAuth2 " ..
        "client_credentials client it has no id).",
      example = "local me = api.users.self()" },
    -- {userId}, not {id}: the answer is the point, so no entity method (those return the entity)
    { "check_permission", "POST", "/users/{userId}/permissioncheck", data = "body",
      -- an array of permission names is the common case: wrap it as Mautic wants
      data_shape = function(spec, data)
        local perms = data
        if type(data) == "table" and data.permissions ~= nil then perms = data.permissions end
        if type(perms) == "string" then perms = { perms } end
        if type(perms) ~= "table" or #perms == 0 then
          return nil, "an array of permission names (or { permissions = {...} }) expected"
        end
        for i, p in ipairs(perms) do
          if type(p) ~= "string" or p == "" then
            return nil, ("permissions[%d]: non-empty string expected"):format(i)
          end
        end
        spec.body = { permissions = perms }
        return true
      end,
      doc = "Check permissions of a user (POST only on Mautic 5): answers { [permission] = true|false }.",
      example = 'api.users.check_permission(1, { "lead:leads:viewown", "email:emails:full" })' },
    { "get_roles", "GET", "/users/list/roles",
      doc = "Roles a user can be given (a bare array of { id, name... }).",
      example = "api.users.get_roles()" },
  },
}
