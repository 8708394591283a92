--- Ways to authenticate: mautic.auth.basic{...} (and, as they land, oauth2, oauth1).
local _M = { _VERSION = "0.1.0" }

_M.basic = function(opts) return require("mautic.auth.basic").new(opts) end

return _M
