--- Campaign events (Mautic 5): /api/campaigns/events. No create/edit/delete:
-- events are written through their campaign; contacts' scheduled events can
-- be moved with edit_contact_event and edit_batch.
return {
  name = "campaign_events", path = "/campaigns/events", item = "event", list = "events", crud = false,
  verbs = {
    { "list", "GET", "/campaigns/events", data = "query", result = "list",
      doc = "List campaign events (search, start, limit, orderBy, orderByDir, where).",
      example = "local page = api.campaign_events.list{ limit = 50 }" },
    { "get", "GET", "/campaigns/events/{id}", result = "item",
      doc = "Get one campaign event.", example = "api.campaign_events.get(2)" },
    { "get_for_contact", "GET", "/campaigns/events/contact/{contactId}", data = "query", result = "list",
      doc = "Events of every campaign for one contact, each with its contactLog.",
      example = "api.campaign_events.get_for_contact(5)" },
    { "get_for_campaign_contact", "GET", "/campaigns/{campaignId}/events/contact/{contactId}", data = "query",
      result = "list",
      doc = "Events of one campaign for one contact.",
      example = "api.campaign_events.get_for_campaign_contact(2, 5)" },
    { "edit_contact_event", "PUT", "/campaigns/events/{id}/contact/{contactId}/edit", data = "body", result = "item",
      doc = "Reschedule (or mark) a contact's event: body { triggerDate = 'Y-m-d H:i:s' }; answers 201.",
      example = 'api.campaign_events.edit_contact_event(2, 5, { triggerDate = "2030-01-01 10:00:00" })' },
    { "edit_batch", "PUT", "/campaigns/events/batch/edit", data = "body", result = "list",
      data_shape = function(spec, data)
        if type(data) ~= "table" or #data == 0 then
          return nil, "an array of { eventId =, contactId =, triggerDate = } expected"
        end
        for i, row in ipairs(data) do
          if type(row) ~= "table" or row.eventId == nil or row.contactId == nil then
            return nil, ("item %d: eventId and contactId are required"):format(i)
          end
        end
        return true
      end,
      doc = "Edit many contacts' events at once: an array of { eventId, contactId, triggerDate }.",
      example = 'api.campaign_events.edit_batch{ { eventId = 2, contactId = 5, triggerDate = "2030-01-02 10:00:00" } }' },
  },
}
