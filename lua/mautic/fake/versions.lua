-- Which Mautic the fake answers as (config `version`), and what that version
-- does differently on /api: one table of facts, so a handler asks "does this
-- version have X" (versions.has "projects") instead of comparing version
-- numbers. Facts come from the recordings (reference/real-mautic-7.0/SUMMARY.md
-- Part 1); a version without a row of its own takes the row of the closest
-- lower major version (6.x answers as 5.1 here: nothing was recorded from it).
local config = require "mautic.fake.config"

local _M = {}

-- every fact is false for 5.1, the fake's default
local FACTS = {
  [5] = {},
  [7] = {
    no_rate_limiter = true,        -- §1.5: never 429, no X-RateLimit-* headers
    modified_on_create = true,     -- §1.3: dateModified = dateAdded, modifiedByUser = the creator
    frozen_date_modified = true,   -- §1.3: an edit moves modifiedByUser, not dateModified
    modified_by_id = true,         -- §1.3: a contact edited with Basic answers modifiedBy <user id>
    projects = true,               -- §1.3: "projects": [] on 14 families
    dynamic_content_type = true,   -- §1.3: dynamicContent loses its audit keys, gains "type"
    field_index = true,            -- §1.3: fields gain isIndex and charLengthLimit
    field_short_hidden = true,     -- §1.3: a field created through the API has isShortVisible false
    email_preheader = true,        -- §1.3: emails gain preheaderText
    reshaped_entities = true,      -- §1.3: the /api answers go through shape70.lua
    form_field_width = true,       -- §1.3: form fields gain isReadOnly and fieldWidth
    form_mapping_shown = true,     -- §1.3: a form read back shows mappedObject/mappedField
    focus_cache_null = true,       -- §1.3: a focus answers cache null
    themes70 = true,               -- §1.3: 23 more themes (data/themes70.lua)
    report_dnc_preferences = true, -- §1.3: the email report's dataColumns gain dnc_preferences
    event_log_queue = true,        -- §1.3: stats campaign_lead_event_log gains date_queued, version
    hook_text_fixed = true,        -- §1.3: hooks/triggers spells "company" (5.1: "commpany")
    owner_email = true,            -- §1.3: contacts/list/owners entries carry email
    symfony7_values = true,        -- §1.3: field values checked by Symfony 7's rules and texts
                                   -- ("The selected choice is invalid.", field_values.lua)
    basic_challenge = true,        -- §1.4: wrong Basic password: 401, empty body, WWW-Authenticate
    lowercase_charset = true,      -- §1.4: "text/html; charset=utf-8" on redirect pages
    campaign_transfer = true,      -- §1.6: /api/campaigns/export/{id}, /api/campaigns/import
    -- §1.2, the status codes that changed:
    dynamic_content_needs_type = true,  -- a PUT without "type" is an uncaught 500 (batch too)
    field_limit_required = true,        -- a field PUT without charLengthLimit: 400 (not 500)
    user_form_on_empty = true,          -- users/new {}: 400 with details (not 500)
    fields_delete_without_ids = true,   -- forms/{id}/fields/delete without fields[]: 200, unchanged
    upload_needs_file = true,           -- files upload without a file: 406 (not 200 {"file":[]})
  },
}

--- The major version number of a version string ("7.0.0" -> 7; junk -> 5).
function _M.major(version)
  if version == nil then version = config.get("version") end
  return tonumber(tostring(version or ""):match("^%s*(%d+)")) or 5
end

local function facts(version)
  local major = _M.major(version)
  local best
  for m in pairs(FACTS) do
    if m <= major and (not best or m > best) then best = m end
  end
  return FACTS[best or 5]
end

--- Whether the version the fake answers as (or `version`) has behaviour `fact`.
function _M.has(fact, version)
  return facts(version)[fact] == true
end

--- Whether the fake answers as a Mautic 7.x (the one question the /api/v2
-- routes need: they exist from 7.0 on).
function _M.is_7x(version)
  return _M.major(version) >= 7
end

--- "7.0" / "7" / "7.0.0" -> "7.0.0", "5.1" -> "5.1.0"; nil for a version the
-- fake has no facts for (what --mautic accepts).
function _M.normalize(v)
  local s = tostring(v or "")
  local major, minor, patch = s:match("^(%d+)%.?(%d*)%.?(%d*)$")
  major = tonumber(major)
  if not major or not FACTS[major] then return nil end
  if minor == "" then minor = major == 5 and "1" or "0" end
  if patch == "" then patch = "0" end
  return major .. "." .. minor .. "." .. patch
end

return _M
