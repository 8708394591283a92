--- Themes (Mautic 5): /api/themes.
local util = require "mautic.api._util"
local check = require "mautic.check"
local endpoint = require "mautic.endpoint"

local type, pairs, format = type, pairs, string.format

local function shape_get(spec, data, opts)
  if opts.output ~= nil then
    if type(opts.output) ~= "string" or opts.output == "" then
      return nil, "output: a file path expected"
    end
    spec.output = opts.output
  end
  return true
end

local function shape_upload(spec, data)
  local part, msg = util.file_part(data, "file")
  if not part then return nil, msg end
  if part.content_type == nil then part.content_type = "application/zip" end
  spec.parts = { part }
  spec.body = nil
  return true
end

-- download(theme, path [, opts]): get() with opts.output, returning the path.
local function download(client, family, fname, theme, path, opts)
  if type(path) ~= "string" or path == "" then
    return nil, check.usage(format("bad argument #2 to '%s' (file path expected, got %s)", fname, type(path)))
  end
  if opts ~= nil and type(opts) ~= "table" then
    return nil, check.usage(format("bad argument #3 to '%s' (options table expected, got %s)", fname, type(opts)))
  end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.output = path
  local v, err = endpoint.invoke(client, family, family.routes.get, theme, o)
  if v == nil then
    if err and err.kind == "usage" then return nil, check.usage((err.message:gsub("'themes%.get'", "'" .. fname .. "'"))) end
    return nil, err
  end
  return path
end

return {
  name = "themes", path = "/themes", crud = false,
  verbs = {
    { "list", "GET", "/themes", result = "themes",
      doc = "Installed themes, keyed by theme key: { aurora = { name =, key =, config = {...} }, ... }.",
      example = 'for key, theme in pairs(api.themes.list()) do print(key, theme.name) end' },
    { "get", "GET", "/themes/{theme}", types = { theme = "name" }, binary_ok = true, data_shape = shape_get,
      options = { output = "string" },
      doc = "A theme as a zip: returned as a string, or, with { output = path }, written to that file " ..
        "by the C core (then the call returns true).",
      example = 'local zip = api.themes.get("blank")\napi.themes.get("blank", { output = "/tmp/blank.zip" })' },
    { name = "download", handler = download, signature = "(theme, path, [opts])", method = "GET", path = "/themes/{theme}",
      doc = "Save a theme's zip to a file (streamed to disk); returns the path.",
      example = 'api.themes.download("blank", "/tmp/blank.zip")' },
    { "upload", "POST", "/themes/new", data = "body", data_shape = shape_upload,
      doc = "Install a theme from a zip: { file = '/path/theme.zip' } or { data = zip_bytes, filename = 'x.zip' }.",
      example = 'api.themes.upload{ file = "/tmp/mytheme.zip" }' },
    { "delete", "DELETE", "/themes/{theme}/delete", types = { theme = "name" },
      doc = "Delete a theme (Mautic answers 500 when it does not exist).",
      example = 'api.themes.delete("mytheme")' },
  },
}
