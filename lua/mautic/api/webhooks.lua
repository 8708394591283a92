--- Webhooks: /api/hooks.
return {
  name = "webhooks", path = "/hooks", item = "hook", list = "hooks",
  examples = { create = 'api.webhooks.create{ name = "CRM sync", webhookUrl = "https://crm.example/hook", ' ..
    'triggers = { "mautic.lead_post_save_new" } }' },
  verbs = {
    { "triggers", "GET", "/hooks/triggers", result = "triggers",
      doc = "Events a webhook can subscribe to: a table keyed by event name, each { label, description }.",
      example = 'api.webhooks.triggers()["mautic.lead_post_save_new"].label' },
  },
}
