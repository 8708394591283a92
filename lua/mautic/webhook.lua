--- Receiving Mautic webhooks.
-- Mautic signs every webhook call with a `Webhook-Signature` header: the
-- base64 HMAC-SHA256 of the raw body under the webhook's secret. Verify
-- against the raw bytes as received, before any JSON decoding.
--   if not mautic.webhook.verify(secret, raw_body, headers["webhook-signature"]) then
--     return 403
--   end
--   for _, ev in ipairs(assert(mautic.webhook.parse(raw_body))) do
--     print(ev.type, ev.payload.contact and ev.payload.contact.id)
--   end
local core = require "mautic.core"
local json = require "mautic.json"

local type, error, pairs, ipairs, next, tostring = type, error, pairs, ipairs, next, tostring
local sort = table.sort
local gsub = string.gsub

local _M = {}

--- The signature Mautic would send for a body.
function _M.sign(secret, raw_body)
  if type(secret) ~= "string" then error("bad argument #1 to 'sign' (secret string expected)", 2) end
  if type(raw_body) ~= "string" then error("bad argument #2 to 'sign' (raw body string expected)", 2) end
  return core.b64encode(core.hmac_sha256(secret, raw_body))
end

--- Check a webhook's signature, in constant time.
-- @tparam string secret the webhook's secret
-- @tparam string raw_body the request body exactly as received
-- @tparam string signature the Webhook-Signature header (nil when absent)
-- @treturn boolean true when it matches
function _M.verify(secret, raw_body, signature)
  if type(secret) ~= "string" or secret == "" then
    error("bad argument #1 to 'verify' (non-empty secret string expected)", 2)
  end
  if type(raw_body) ~= "string" then
    error("bad argument #2 to 'verify' (raw body string expected, got " .. type(raw_body) .. ")", 2)
  end
  if type(signature) ~= "string" then return false end
  signature = gsub(signature, "^%s+", "")
  signature = gsub(signature, "%s+$", "")
  local expected = core.b64encode(core.hmac_sha256(secret, raw_body))
  return core.ct_equal(signature, expected)
end

--- Decode a webhook payload into a list of events.
-- Mautic sends `{"mautic.lead_post_save_new": [ {...}, ... ], "timestamp": "..."}`:
-- one key per event type, each with the events of that type.
-- @treturn[1] table array of { type = "mautic.lead_post_save_new", payload = {...}, timestamp = }
--   in the order the body lists them
-- @treturn[2] nil
-- @treturn[2] string why the body is not a webhook payload
function _M.parse(raw_body)
  if type(raw_body) ~= "string" then
    error("bad argument #1 to 'parse' (raw body string expected, got " .. type(raw_body) .. ")", 2)
  end
  local body, err = json.decode(raw_body)
  if type(body) ~= "table" then return nil, "not a webhook payload: " .. tostring(err or "not an object") end
  local events = {}
  local types = json.keys_in_order(raw_body, nil) or {}
  local order = {}
  for i, k in ipairs(types) do order[k] = i end
  for name, list in pairs(body) do
    if name ~= "timestamp" and type(list) == "table" then
      if #list == 0 and next(list) ~= nil then list = { list } end
      for i, payload in ipairs(list) do
        events[#events + 1] = {
          type = name, payload = payload,
          timestamp = type(payload) == "table" and payload.timestamp or body.timestamp,
          _o = (order[name] or 1e9) * 1e6 + i,   -- the order Mautic sent them in
        }
      end
    end
  end
  sort(events, function(a, b) return a._o < b._o end)
  for _, e in ipairs(events) do e._o = nil end
  return events
end

return _M
