--- Contact fields: /api/fields/contact.
return {
  name = "contact_fields", path = "/fields/contact", item = "field", list = "fields",
  examples = {
    create = 'api.contact_fields.create{ label = "Shoe size", type = "number" }',
  },
}
