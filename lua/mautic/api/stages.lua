--- Stages: /api/stages.
return {
  name = "stages", path = "/stages", item = "stage", list = "stages",
  examples = { create = 'api.stages.create{ name = "Lead", weight = 10 }' },
  verbs = {
    { "add_contact", "POST", "/stages/{id}/contact/{contactId}/add",
      doc = "Move a contact into a stage.", example = "api.stages.add_contact(4, 5)" },
    { "remove_contact", "POST", "/stages/{id}/contact/{contactId}/remove",
      doc = "Take a contact out of a stage.", example = "api.stages.remove_contact(4, 5)" },
  },
}
