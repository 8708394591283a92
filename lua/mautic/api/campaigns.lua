--- Campaigns: /api/campaigns.
local util = require "mautic.api._util"

local type, next = type, next

-- import's data: the export array as JSON, or { zip = path } uploaded as
-- the one file Mautic takes
local function import_body(spec, data)
  if type(data) ~= "table" or next(data) == nil then
    return nil, "the array campaigns.export returned, or { zip = path } expected"
  end
  if data.zip == nil then
    if data[1] == nil then return nil, "the array campaigns.export returned, or { zip = path } expected" end
    return true
  end
  if next(data, next(data)) ~= nil then return nil, "{ zip = path } takes nothing else" end
  local part, why = util.file_part({ file = data.zip, content_type = "application/zip" }, "file")
  if not part then return nil, "zip: " .. why:gsub("^file: ", "") end
  spec.parts, spec.body = { part }, nil
  return true
end

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
    -- Mautic 7.0+: on 5.x and 6.x an "unsupported" error, before anything is sent
    { "export", "GET", "/campaigns/export/{id}", needs = "campaign_import",
      doc = "Mautic 7.0+: a campaign with its events, segments and dependencies, as the decoded array "
         .. "Mautic answers (snake_case columns); the input of import.",
      example = "local data = api.campaigns.export(2)" },
    { "import", "POST", "/campaigns/import", data = "body", needs = "campaign_import", data_shape = import_body,
      doc = "Mautic 7.0+: import an export (the array, sent as JSON) or { zip = path } (a ZIP file, uploaded); "
         .. "returns Mautic's messages ({ \"Import successful: ...\" }). The same uuid updates that campaign, "
         .. "a new one creates an unpublished campaign; never resent once it may have reached Mautic.",
      example = "api.campaigns.import(api.campaigns.export(2))" },
  },
}
