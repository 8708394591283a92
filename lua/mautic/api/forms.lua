--- Forms: /api/forms.
local util = require "mautic.api._util"

return {
  name = "forms", path = "/forms", item = "form", list = "forms",
  examples = { create = 'api.forms.create{ name = "Contact us", formType = "standalone", ' ..
    'fields = { { label = "Email", type = "email", alias = "email" } } }' },
  verbs = {
    { "get_submissions", "GET", "/forms/{id}/submissions", data = "query", result = util.plain_list("submissions"),
      doc = "Submissions of a form (search, start, limit, orderBy, orderByDir, publishedOnly, minimal, where).",
      example = 'api.forms.get_submissions(3, { limit = 50, orderBy = "s.date_submitted", orderByDir = "desc" })' },
    { "get_submission", "GET", "/forms/{id}/submissions/{submissionId}", result = "submission",
      doc = "One submission of a form.", example = "api.forms.get_submission(3, 17)" },
    { "get_submissions_for_contact", "GET", "/forms/{id}/submissions/contact/{contactId}", data = "query",
      result = util.plain_list("submissions"),
      doc = "Submissions of a form by one contact (same query as get_submissions).",
      example = "api.forms.get_submissions_for_contact(3, 5)" },
    { "delete_fields", "DELETE", "/forms/{id}/fields/delete", data = "query", result = "item",
      data_shape = util.ids_in_query("fields"),
      doc = "Delete fields of a form by id (sent as fields[] in the query); returns the form.",
      example = "api.forms.delete_fields(3, { 56, 59 })" },
    { "delete_actions", "DELETE", "/forms/{id}/actions/delete", data = "query", result = "item",
      data_shape = util.ids_in_query("actions"),
      doc = "Delete actions of a form by id (sent as actions[] in the query); returns the form.",
      example = "api.forms.delete_actions(3, { 56, 59 })" },
  },
}
