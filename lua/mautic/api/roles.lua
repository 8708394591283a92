--- User roles: /api/roles.
return {
  name = "roles", path = "/roles", item = "role", list = "roles",
  examples = {
    create = 'api.roles.create{ name = "Editors", isAdmin = false, rawPermissions = { email = { "emails" } } }',
  },
}
