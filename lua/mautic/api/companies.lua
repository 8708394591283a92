--- Companies: /api/companies.
return {
  name = "companies", path = "/companies", item = "company", list = "companies",
  -- writes are checked against the company fields first (mautic.fields)
  fields = "company",
  examples = { create = 'api.companies.create{ companyname = "Acme", companyemail = "info@acme.test" }' },
  verbs = {
    { "add_contact", "POST", "/companies/{id}/contact/{contactId}/add",
      doc = "Link a contact to a company.", example = "api.companies.add_contact(3, 5)" },
    { "remove_contact", "POST", "/companies/{id}/contact/{contactId}/remove",
      doc = "Unlink a contact from a company.", example = "api.companies.remove_contact(3, 5)" },
  },
}
