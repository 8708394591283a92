--- Point triggers: /api/points/triggers.
local util = require "mautic.api._util"

return {
  name = "point_triggers", path = "/points/triggers", item = "trigger", list = "triggers",
  examples = { create = 'api.point_triggers.create{ name = "Hot lead", points = 50, ' ..
    'events = { { name = "Tag", type = "lead.changetags", order = 1, properties = { add_tags = { "hot" } } } } }' },
  verbs = {
    { "event_types", "GET", "/points/triggers/events/types", result = "eventTypes",
      doc = "Available trigger event types: a table keyed by type.",
      example = "api.point_triggers.event_types()" },
    { "delete_events", "DELETE", "/points/triggers/{id}/events/delete", data = "query", result = "item",
      data_shape = util.ids_in_query("events"),
      doc = "Delete events of a trigger by id (sent as events[] in the query); returns the trigger.",
      example = "api.point_triggers.delete_events(4, { 56, 59 })" },
  },
}
