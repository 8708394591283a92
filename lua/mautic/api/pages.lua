--- Landing pages: /api/pages.
return {
  name = "pages", path = "/pages", item = "page", list = "pages",
  examples = {
    create = 'api.pages.create{ title = "Offer", template = "blank" }',
  },
}
