--- Dynamic content (web): /api/dynamiccontents.
return {
  name = "dynamic_contents", path = "/dynamiccontents", item = "dynamicContent", list = "dynamicContents",
  examples = {
    create = 'api.dynamic_contents.create{ name = "Hero", content = "<p>Hi</p>" }',
  },
}
