--- The index of endpoint families: Lua name -> module with its routes.
local _M = {
  names = { "contacts", "segments" },
  known = {},
}
for _, name in ipairs(_M.names) do _M.known[name] = true end

--- Load a family's definition.
function _M.load(name)
  return require("mautic.api." .. name)
end

return _M
