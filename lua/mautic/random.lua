--- Unguessable strings from the secure random source (OpenSSL's RAND_bytes),
-- for OAuth nonces and states.
local core = require "mautic.core"

local format, gsub, byte = string.format, string.gsub, string.byte

local _M = { _VERSION = "0.2.0" }

--- n random bytes as 2n lower-case hex digits.
function _M.hex(n)
  return (gsub(core.random_bytes(n), ".", function(c) return format("%02x", byte(c)) end))
end

return _M
