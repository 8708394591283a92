--- Ways to authenticate.
--   mautic.auth.basic{ username =, password = }
--   mautic.auth.oauth2{ client_id =, client_secret =, grant = "client_credentials" }
--   mautic.auth.oauth1{ consumer_key =, consumer_secret =, token =, token_secret = }
-- Token stores for OAuth2: mautic.auth.store.memory(), mautic.auth.store.file(path).
local _M = {}

_M.store = require "mautic.auth.store"

-- the constructors themselves, so that their argument errors point at the caller
_M.basic = require("mautic.auth.basic").new
_M.oauth2 = require("mautic.auth.oauth2").new
_M.oauth1 = require("mautic.auth.oauth1").new

return _M
