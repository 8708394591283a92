--- Contact devices: /api/devices.
return {
  name = "devices", path = "/devices", item = "device", list = "devices",
  examples = {
    create = 'api.devices.create{ lead = 5, device = "desktop", deviceOsName = "Linux" }',
  },
}
