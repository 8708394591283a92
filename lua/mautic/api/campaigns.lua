--- Campaigns: /api/campaigns.
local util = require "mautic.api._util"

return {
  name = "campaigns", path = "/campaigns", item = "campaign", list = "campaigns",
  examples = { create = 'api.campaigns.create{ name = "Onboarding", isPublished = true }' },
  verbs = {
    { "add_contact", "POST", "/campaigns/{id}/contact/{contactId}/add",
      doc = "Put a contact into a campaign (answers { success = 1 }, also when already a member).",
      example = "api.campaigns.add_contact(2, 5)" },
    { "remove_contact", "POST", "/campaigns/{id}/contact/{contactId}/remove",
      doc = "Take a contact out of a campaign.", example = "api.campaigns.remove_contact(2, 5)" },
    { "get_contacts", "GET", "/campaigns/{id}/contacts", data = "query", result = util.plain_list("contacts"),
      doc = "Membership rows of a campaign (campaign_id, lead_id, date_added... as strings); start, limit, where, order.",
      example = "api.campaigns.get_contacts(2, { start = 0, limit = 100 })" },
    -- {campaignId}, not {id}: an entity method would return the original, not the copy
    { "clone", "POST", "/campaigns/clone/{campaignId}", result = "item",
      doc = "Clone a campaign; returns the copy (Mautic answers 200 with a Location header).",
      example = "local copy = api.campaigns.clone(2)" },
  },
}
