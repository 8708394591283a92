--- Segments (lists): /api/segments.
return {
  name = "segments", path = "/segments", item = "list", list = "lists",
  verbs = {
    { "add_contact", "POST", "/segments/{id}/contact/{contactId}/add",
      doc = "Put a contact into a segment.", example = "api.segments.add_contact(3, 5)" },
    { "remove_contact", "POST", "/segments/{id}/contact/{contactId}/remove",
      doc = "Take a contact out of a segment.", example = "api.segments.remove_contact(3, 5)" },
    { "add_contacts", "POST", "/segments/{id}/contacts/add", data = "body",
      -- a plain array of ids is the common case: wrap it as Mautic wants
      data_shape = function(spec, data)
        if type(data) == "table" and #data > 0 then spec.body = { ids = data } end
        return true
      end,
      doc = "Put many contacts into a segment (an array of ids, or { ids = {...} }); answers per id.",
      example = "api.segments.add_contacts(3, { 5, 6, 7 })" },
  },
}
