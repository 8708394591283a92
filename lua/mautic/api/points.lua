--- Point actions: /api/points.
return {
  name = "points", path = "/points", item = "point", list = "points",
  examples = { create = 'api.points.create{ name = "Opened an email", type = "email.open", delta = 2 }' },
  verbs = {
    { "action_types", "GET", "/points/actions/types", result = "pointActionTypes",
      doc = "Available point action types: a table keyed by type (\"email.open\" = \"Opens an email\").",
      example = "for kind, label in pairs(api.points.action_types()) do print(kind, label) end" },
  },
}
