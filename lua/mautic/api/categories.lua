--- Categories: /api/categories.
return {
  name = "categories", path = "/categories", item = "category", list = "categories",
  examples = {
    create = 'api.categories.create{ title = "News", bundle = "email" }',
  },
}
