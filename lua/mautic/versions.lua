--- What a Mautic version has, from its `Mautic-Version` header ("7.0.0").
-- Pure: no I/O (mautic.server learns the version and keeps it per client).
--
--   feature          since / until                 source
--   v2               7.0 (/api/v2, API Platform)    reference/real-mautic-7.0 (5.1: route 404)
--   campaign_import  7.0 (campaign export/import)   Mautic's user guide: "only in 7.0 and later"
--   rate_limiter     until 6.x                      UPGRADE-7.0: "The API Limiter was removed"
--   projects         7.0 (a `projects` key)         SUMMARY 1.3
--   date_modified_moves  before 6.0.4: an edit moves dateModified (SUMMARY 1.3)
--   v2_bearer        not 7.0.0 up to 7.1.2: bearer tokens refused on /api/v2
--                    (mautic/mautic#16243, fixed in 7.1.3)
local type, tonumber, tostring = type, tonumber, tostring
local match, format = string.match, string.format

local _M = {}

--- The release that fixed bearer tokens on /api/v2.
_M.V2_BEARER_FIX = "7.1.3"

-- a <= b for { major, minor, patch }
local function at_least(v, major, minor, patch)
  if v.major ~= major then return v.major > major end
  if v.minor ~= minor then return v.minor > minor end
  return v.patch >= patch
end
_M.at_least = at_least

--- Parse a version string ("7.0.0", "6.0.4-rc1", "5.1"); nil when it holds no
-- number first.
-- @treturn table { version, major, minor, patch } or nil
function _M.parse(s)
  if type(s) ~= "string" then return nil end
  local major, rest = match(s, "^%s*v?(%d+)(.*)$")
  if not major then return nil end
  local minor, rest2 = match(rest, "^%.(%d+)(.*)$")
  local patch = rest2 and match(rest2, "^%.(%d+)")
  return { version = match(s, "^%s*(.-)%s*$"), major = tonumber(major), minor = tonumber(minor) or 0,
           patch = tonumber(patch) or 0 }
end

--- The features of a parsed version, added to it (and returned).
function _M.features(v)
  v.v2 = v.major >= 7
  v.campaign_import = v.major >= 7
  v.rate_limiter = v.major < 7
  v.projects = v.major >= 7
  v.date_modified_moves = not at_least(v, 6, 0, 4)
  v.v2_bearer = v.v2 and not (at_least(v, 7, 0, 0) and not at_least(v, 7, 1, 3))
  return v
end

--- `server()`'s table for a version string (nil, or a string that is not a
-- version: { version = s or nil }, no feature known).
function _M.describe(s)
  local v = _M.parse(s)
  if not v then return { version = s } end
  return _M.features(v)
end

-- what each feature is, for the message that refuses it
local WHAT = {
  v2 = { "/api/v2", "7.0" },
  campaign_import = { "campaign export and import", "7.0" },
}

--- The message of an "unsupported" error.
function _M.unsupported_message(fname, feature, version)
  local what = WHAT[feature] or { tostring(feature), "a later version" }
  return format("%s: Mautic %s has no %s (it came with Mautic %s)", fname, tostring(version), what[1], what[2])
end

--- Is this answer stock Mautic 7.0's refusal of a bearer token on /api/v2
-- (401 `{"message":"Invalid credentials."}`, a shape no other 401 has)?
function _M.v2_bearer_refused(status, decoded, path, auth_kind)
  return status == 401 and auth_kind == "oauth2" and type(path) == "string" and match(path, "^/v2/") ~= nil
     and type(decoded) == "table" and decoded.message == "Invalid credentials." and decoded.errors == nil
end

--- What to say about it (no token in it; worded so that the redaction of
-- "Bearer <x>" and "Basic <x>" leaves it whole).
_M.V2_BEARER_MESSAGE = "Mautic refused the OAuth2 access token on /api/v2 with 401 \"Invalid credentials.\": "
  .. "Mautic 7.0.0 to 7.1.2 refuse every OAuth2 token there (mautic/mautic#16243, fixed in Mautic "
  .. _M.V2_BEARER_FIX .. "); the same token works on /api, and mautic.auth.basic (HTTP Basic) works on /api/v2"

return _M
