-- Mautic 7's second API generation, /api/v2, end to end: tag new contacts,
-- correct one with a merge patch, read every page back, and clean up.
--
--   MAUTIC_URL=https://mautic.example.com MAUTIC_USERNAME=admin MAUTIC_PASSWORD=secret \
--     lua5.4 examples/api_v2.lua
--
-- On a Mautic without /api/v2 (5.x, 6.x) it stops before sending anything
-- to /api/v2 and says which version it found.
local mautic = require "mautic"

local api = mautic.from_env()

local server = mautic.assert(api.server())
if not server.v2 then
  io.stderr:write(("Mautic %s has no /api/v2 (it came with 7.0)\n"):format(server.version or "?"))
  os.exit(1)
end
print(("Mautic %s"):format(server.version))

-- A tag, and contacts carrying it: on /api/v2 a contact's tags are an
-- object of tag name -> tag IRI.
local tag = mautic.assert(api.v2.tags.create{ tag = "v2-example" })
local ids = {}
for i = 1, 3 do
  local c = mautic.assert(api.v2.contacts.create{
    email = ("v2-example-%d@example.com"):format(i), firstname = "Example " .. i,
    tags = { [tag.tag] = tag["@id"] },
  })
  ids[#ids + 1] = c.id
end
print(("created tag %d and contacts %s"):format(tag.id, table.concat(ids, ", ")))

-- PATCH is a merge patch: only what is named changes, and null removes.
local fixed = mautic.assert(api.v2.contacts.update(ids[1], { firstname = "Ada", lastname = "Lovelace" }))
print(("contact %d is now %s %s"):format(fixed.id, fixed.firstname, fixed.lastname))

-- Every contact, page after page (30 a page; the next page is asked for
-- while this one is read).
local seen = 0
for c in api.v2.contacts.each() do
  if c.email and c.email:match("^v2%-example%-") then seen = seen + 1 end
end
print(("read back %d example contacts"):format(seen))

for _, id in ipairs(ids) do mautic.assert(api.v2.contacts.delete(id)) end
mautic.assert(api.v2.tags.delete(tag.id))
print("cleaned up")
