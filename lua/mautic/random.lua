--- Unguessable strings from the secure random source (OpenSSL's RAND_bytes),
-- for OAuth nonces and states, and the hex spelling of bytes they use.
local core = require "mautic.core"

local format, gsub, byte = string.format, string.gsub, string.byte

local _M = {}

--- A byte string as lower-case hex, two digits a byte.
local function to_hex(s)
  return (gsub(s, ".", function(c) return format("%02x", byte(c)) end))
end
_M.to_hex = to_hex

--- n random bytes as 2n lower-case hex digits.
function _M.hex(n)
  return to_hex(core.random_bytes(n))
end

return _M
