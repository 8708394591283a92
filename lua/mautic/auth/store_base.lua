--- What every token store shares: the text a store keeps, and the names of
-- its entries (one per issuer and client). The stores (mautic.auth.store,
-- shm_store, redis_store) build on this, and nothing here on them.
local json = require "mautic.json"

local type, error, assert = type, error, assert

local _M = {}

-- Stored text ----------------------------------------------------------------

--- Tokens as the JSON text a store keeps (raises when they cannot be encoded).
-- @tparam table tokens
-- @treturn string
function _M.encode(tokens)
  return (assert(json.encode(tokens)))
end

--- The tokens in a store's text: a table, or nil when there is none (text
-- not a string) or the text is not a JSON object (garbage reads as absent).
-- @param text what the store holds
-- @treturn table|nil
function _M.decode(text)
  if type(text) ~= "string" then return nil end
  local t = json.decode(text)
  if type(t) ~= "table" then return nil end
  return t
end

-- Entries ---------------------------------------------------------------------
--
-- A store holds one entry per issuer and client: the OAuth2 handler names
-- the entry with `default_key(issuer, client_id)`, so that two clients of
-- two Mautics (or two client ids of one) sharing a store never read each
-- other's tokens. A store made with `{ key = "..." }` uses that key for
-- every entry instead (sharing is then the user's explicit choice; the
-- handler still refuses tokens whose issuer is not its own).

--- The entry key the built-in stores use for a client's tokens when they
-- were given no key: the token endpoint's URL and the client id (never a
-- secret).
-- @tparam string issuer the token endpoint, e.g. "https://m.example.com/oauth/v2/token"
-- @tparam[opt] string client_id
-- @treturn string
function _M.default_key(issuer, client_id)
  return "mautic:tokens:" .. issuer .. " " .. (client_id or "")
end

-- The key a store uses: its own, or the one the caller names.
local function key_of(self, key, fname)
  local k = self.key or key
  if type(k) ~= "string" or k == "" then
    error("bad argument #1 to '" .. fname .. "' (entry key expected: see mautic.auth.store.default_key)", 3)
  end
  return k
end
_M.key_of = key_of

-- A store's own `key` option, checked.
local function own_key(o, fname, level)
  local k = o and o.key
  if k ~= nil and (type(k) ~= "string" or k == "") then
    error("bad argument to '" .. fname .. "' (key: non-empty string expected)", (level or 2) + 1)
  end
  return k
end
_M.own_key = own_key


return _M
