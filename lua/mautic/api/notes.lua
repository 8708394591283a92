--- Contact notes: /api/notes.
return {
  name = "notes", path = "/notes", item = "note", list = "notes",
  examples = {
    create = 'api.notes.create{ lead = 5, text = "Called back", type = "call" }',
  },
}
