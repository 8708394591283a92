--- Tags: /api/tags.
return {
  name = "tags", path = "/tags", item = "tag", list = "tags",
  examples = {
    create = 'api.tags.create{ tag = "vip" }',
  },
}
