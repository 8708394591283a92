-- The endpoint families of Mautic 5.1, as data (SUMMARY.md §1).
--   path     URL part after /api/
--   item     key of the single-entity answer, list: key of the list answer
--   keyed    non-empty list is an object keyed by id (else an array)
--   string_total  total is a string and the empty list is {} (contacts, companies)
--   required  { field, message } checked in this order on create and PUT
--   search    columns the free-text search looks in
--   alias     { from = "name", sep = "-" }: alias derived on create and PUT
--   put_500   PUT (replace) without this key ends in an uncaught 500 (NOT NULL column)
--   put_null  booleans a PUT that leaves them out sets to null (the others become false)
--   order     default list order (a column), else by id
--   ident     the field that names a created entity in the arrival counters
--             (counters.lua; default: the first required field), ident_lower: in lower case
local _M = {}

local list = {
  { path = "assets", item = "asset", list = "assets", keyed = false,
    required = { { "title", "A title is required." } }, search = { "title", "alias", "description" },
    alias = { from = "title" }, put_null = { "disallow" } },
  { path = "campaigns", item = "campaign", list = "campaigns", keyed = true,
    required = { { "name", "A name is required." } }, search = { "name", "description" } },
  { path = "categories", item = "category", list = "categories", keyed = false,
    required = { { "title", "A title is required." }, { "bundle", "A value is required." } },
    search = { "title", "alias", "description", "bundle" }, alias = { from = "title" } },
  { path = "companies", item = "company", list = "companies", keyed = true, string_total = true,
    required = { { "companyname", "This field is required." } }, custom = "companies" },
  { path = "contacts", item = "contact", list = "contacts", keyed = true, string_total = true,
    required = {}, custom = "contacts", ident = "email", ident_lower = true },
  { path = "devices", item = "device", list = "devices", keyed = false,
    required = {}, search = {} },
  { path = "dynamiccontents", item = "dynamicContent", list = "dynamicContents", keyed = true,
    required = { { "name", "A name is required." } }, search = { "name", "content" } },
  { path = "emails", item = "email", list = "emails", keyed = true,
    required = { { "name", "A name is required." } }, search = { "name", "subject" }, put_500 = "language" },
  { path = "fields/contact", item = "field", list = "fields", keyed = true, order = "order",
    required = { { "label", "A label is required." } }, search = { "label", "alias" },
    alias = { from = "label", sep = "_" }, put_500 = "isRequired", object = "lead" },
  { path = "fields/company", item = "field", list = "fields", keyed = true, order = "order",
    required = { { "label", "A label is required." } }, search = { "label", "alias" },
    alias = { from = "label", sep = "_" }, put_500 = "isRequired", object = "company" },
  { path = "focus", item = "focus", list = "focus", keyed = true,
    required = { { "type", "Use the builder to select what the focus should be." },
                 { "style", "Use the builder to select what style should be used." },
                 { "name", "A name is required." } }, search = { "name", "description" } },
  { path = "forms", item = "form", list = "forms", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "alias", "description" },
    put_null = { "inKioskMode", "renderStyle" } },
  { path = "hooks", item = "hook", list = "hooks", keyed = true,
    required = { { "name", "A name is required." }, { "webhookUrl", "A valid URL is required." } },
    search = { "name", "description", "webhookUrl" } },
  { path = "messages", item = "message", list = "messages", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "description" } },
  { path = "notes", item = "note", list = "notes", keyed = false,
    required = { { "text", "Note text cannot be empty" } }, search = { "text", "type" } },
  { path = "notifications", item = "notification", list = "notifications", keyed = true,
    required = { { "name", "A name is required." }, { "message", "A message is required." } },
    search = { "name", "heading", "message" }, put_500 = "language" },
  { path = "pages", item = "page", list = "pages", keyed = false,
    required = { { "title", "A title is required." } }, search = { "title", "alias" },
    alias = { from = "title" }, put_500 = "language" },
  { path = "points", item = "point", list = "points", keyed = false,
    required = { { "name", "A name is required." }, { "type", "A point action must be selected." } },
    search = { "name", "description", "type" }, put_500 = "repeatable" },
  { path = "points/groups", item = "pointGroup", list = "pointGroups", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "description" } },
  { path = "points/triggers", item = "trigger", list = "triggers", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "description" },
    put_500 = "triggerExistingLeads" },
  { path = "roles", item = "role", list = "roles", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "description" } },
  { path = "segments", item = "list", list = "lists", keyed = true,
    required = { { "name", "A name is required." } }, search = { "name", "alias", "publicName", "description" },
    alias = { from = "name" } },
  { path = "smses", item = "sms", list = "smses", keyed = true,
    required = { { "name", "A name is required." } }, search = { "name", "message" }, put_500 = "language" },
  { path = "stages", item = "stage", list = "stages", keyed = false,
    required = { { "name", "A name is required." } }, search = { "name", "description" } },
  -- Mautic 5.1 ignores free text when listing tags and devices (commands like ids: still work)
  { path = "tags", item = "tag", list = "tags", keyed = true,
    required = {}, search = {}, ident = "tag" },
  { path = "tweets", item = "tweet", list = "tweets", keyed = true,
    required = { { "name", "A name is required." }, { "text", "A value is required." } },
    search = { "name", "text", "description" } },
  { path = "users", item = "user", list = "users", keyed = false,
    required = { { "username", "Username is required." } },
    search = { "username", "firstName", "lastName", "email" } },
}

_M.list = list
_M.by_path = {}
for _, f in ipairs(list) do
  f.name = f.path
  f.search = f.search or { "name" }
  _M.by_path[f.path] = f
end

function _M.get(path) return _M.by_path[path] end

return _M
