--- Assets (downloadable files): /api/assets.
return {
  name = "assets", path = "/assets", item = "asset", list = "assets",
  examples = {
    create = 'api.assets.create{ title = "Whitepaper", storageLocation = "remote", file = "https://example.com/w.pdf" }',
  },
}
