-- /api/themes (SUMMARY.md §5): the themes of a fresh Mautic 5.1
-- (data/extra.lua) plus uploaded ones, in memory. GET /api/themes/{theme}
-- answers application/zip (a real archive built by zip.lua; an uploaded
-- theme comes back byte for byte); a missing theme, a bad zip or a missing
-- delete is a 500 with the recorded messages.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local multipart = require "mautic.fake.multipart"
local zip = require "mautic.fake.zip"
local extra = require "mautic.fake.data.extra"
local themes70 = require "mautic.fake.data.themes70"
local versions = require "mautic.fake.versions"

local O = json.O
local ok = responses.ok

local _M = {}

-- the themes folder of the recorded install (it shows in the error message)
local THEMES_DIR = "/tmp/mautic-real/app/themes/"

-- state: { order = {key...}, by_key = { key = { entry =, zip = bytes|nil } } }
local function state()
  local s = store.extra("themes")
  if not s.by_key then
    s.by_key = {}
    local seeded = json.decode(versions.has("themes70") and themes70.themes or extra.themes).themes
    for _, k in ipairs(json.keys(seeded)) do s.by_key[k] = { entry = seeded[k] } end
  end
  return s
end

local function sorted_keys()
  local ks = {}
  for k in pairs(state().by_key) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

function _M.list(req)
  local out = json.obj()
  local s = state()
  for _, k in ipairs(sorted_keys()) do out[k] = s.by_key[k].entry end
  return ok(O{ "themes", out })
end

local function key_of(raw)
  local k = util.url_decode(tostring(raw or ""), false)
  if k == "" or k == "." or k == ".." or k:find("[/\\%z]") then return nil, k end
  return k
end

-- a small but complete theme archive: config.json plus the twig templates
local function build_zip(key, entry)
  local config = entry.config or O{ "name", entry.name or key }
  local features = {}
  for _, f in ipairs(util.list(config.features)) do features[f] = true end
  local files = {
    { name = "config.json", data = json.encode(config) },
    { name = "html/", data = "" },
    { name = "html/base.html.twig",
      data = "<!DOCTYPE html>\n<html>\n<head><title>{% block title %}{% endblock %}</title></head>\n" ..
             "<body>{% block content %}{% endblock %}</body>\n</html>\n" },
  }
  if features.email or not next(features) then
    files[#files + 1] = { name = "html/email.html.twig",
      data = "{% extends \":" .. key .. ":base.html.twig\" %}\n{% block content %}{{ content|raw }}{% endblock %}\n" }
  end
  if features.page then
    files[#files + 1] = { name = "html/page.html.twig",
      data = "{% extends \":" .. key .. ":base.html.twig\" %}\n{% block content %}{{ content|raw }}{% endblock %}\n" }
  end
  if features.form then
    files[#files + 1] = { name = "html/form.html.twig", data = "{{ form|raw }}\n" }
  end
  return zip.build(files)
end

function _M.get(req)
  local key, raw = key_of(req.params.theme)
  local t = key and state().by_key[key]
  if not t then
    return responses.handled_500('The "' .. THEMES_DIR .. tostring(key or raw) .. '" directory does not exist.')
  end
  local body = t.zip or build_zip(key, t.entry)
  return { status = 200, raw = body, content_type = "application/zip", version = false }
end

local BAD_ZIP = "The ZIP archive does not seem to be valid. Please check your cache directory and delete " ..
  "the package then try again."

function _M.upload(req)
  local parts = multipart.parse(req.body, req.content_type)
  local file = parts and multipart.first_file(parts)
  if not file then return responses.uncaught(500) end          -- recorded: no file -> uncaught 500
  local entries = zip.list(file.data)
  if not entries or #entries == 0 then return responses.handled_500(BAD_ZIP) end
  local key = (file.filename or "theme.zip"):gsub("^.*[/\\]", ""):gsub("%.[Zz][Ii][Pp]$", "")
  key = key:gsub("[^%w%-_]", "-")
  if key == "" then key = "theme" end
  local config
  local text = zip.read(file.data, "config.json")
  if text then config = json.decode(text) end
  if not json.is_obj(config) then config = O{ "name", key } end
  local entry = O{ "name", config.name or key, "key", key, "config", config, "visibility", O{ "hidden", false } }
  state().by_key[key] = { entry = entry, zip = file.data }
  return ok(O{ "success", true })
end

function _M.delete(req)
  local key, raw = key_of(req.params.theme)
  local s = state()
  if not key or not s.by_key[key] then
    return responses.handled_500(tostring(key or raw) .. " not found!")
  end
  s.by_key[key] = nil
  return ok(O{ "success", true })
end

function _M.routes()
  return {
    { "GET", "/api/themes", _M.list },
    { "POST", "/api/themes/new", _M.upload },
    { "GET", "/api/themes/{theme}", _M.get },
    { "DELETE", "/api/themes/{theme}/delete", _M.delete },
  }
end

return _M
