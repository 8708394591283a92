--- Emails: /api/emails.
return {
  name = "emails", path = "/emails", item = "email", list = "emails",
  examples = { create = 'api.emails.create{ name = "Welcome", subject = "Hi {contactfield=firstname}", ' ..
    'customHtml = "<p>Hello</p>", emailType = "template" }' },
  verbs = {
    { "send", "POST", "/emails/{id}/send", data = "body",
      doc = "Send a segment (list) email to its segments; optional body { limit =, batch = }. " ..
        "Answers { success = 1, sentCount =, failedRecipients = }.",
      example = "local r = api.emails.send(5)  -- r.sentCount" },
    { "send_to_contact", "POST", "/emails/{id}/contact/{contactId}/send", data = "body",
      data_shape = function(spec, data)
        if type(data) == "table" then
          if data.tokens ~= nil and type(data.tokens) ~= "table" then
            return nil, "tokens: table expected ({ ['{custom}'] = 'value' })"
          end
          if data.assetAttachments ~= nil and type(data.assetAttachments) ~= "table" then
            return nil, "assetAttachments: array of asset ids expected"
          end
        end
        return true
      end,
      doc = "Send a template email to one contact; body { tokens = { ['{token}'] = value }, " ..
        "assetAttachments = { asset ids } }. Answers { success = true }.",
      example = 'api.emails.send_to_contact(2, 5, { tokens = { ["{custom}"] = "golden" }, assetAttachments = { 3 } })' },
    { "reply", "POST", "/emails/reply/{trackingHash}", types = { trackingHash = "name" },
      doc = "Record a reply to a sent email (by the send's tracking hash); also marks it read.",
      example = 'api.emails.reply("6b0308460ab77192966312")' },
  },
}
