--- Marketing messages: /api/messages.
return {
  name = "messages", path = "/messages", item = "message", list = "messages",
  examples = {
    create = 'api.messages.create{ name = "Welcome",\n' ..
      '  channels = { email = { channel = "email", channelId = 2, isEnabled = true } } }',
  },
}
