--- Company fields: /api/fields/company.
return {
  name = "company_fields", path = "/fields/company", item = "field", list = "fields",
  examples = {
    create = 'api.company_fields.create{ label = "Tier", type = "text" }',
  },
}
