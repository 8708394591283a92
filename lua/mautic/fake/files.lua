-- /api/files/{dir} (SUMMARY.md §5): in-memory media folders. dir is
-- "images" or "media" (anything else, "assets" included: 406 as recorded);
-- a sub-folder goes in the `subdir` query parameter or after a dot
-- (images.sub: images/sub); listing one that does not exist is a 406, an
-- upload creates it. Only Mautic's allowed extensions upload (else 406). Uploads are
-- multipart/form-data with the file under any field name; the stored name is
-- <md5>.<ext> and the link repeats the port (a Mautic 5.1 bug, recorded).
-- Files are served back at GET /media/images/[subdir/]name.
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local store = require "mautic.fake.store"
local responses = require "mautic.fake.responses"
local versions = require "mautic.fake.versions"
local multipart = require "mautic.fake.multipart"

local O, A = json.O, json.A
local ok = responses.ok

local _M = {}

local DIRS = { images = true, media = true }
-- what scandir() lists in a fresh install before the files (index 0 "." , 1 "..", 2 ".gitkeep")
local LEADING = { ".", "..", ".gitkeep" }
-- sub-folders a fresh media/images has
local SEEDED_SUBDIRS = { images = { flags = true } }

local function folders() return store.extra("media_files") end

-- a single path segment, percent-decoded; nil when it could leave the folder
local function segment(s)
  if s == nil then return nil end
  s = util.url_decode(tostring(s), false)
  if s == "" or s == "." or s == ".." or s:find("[/\\%z]") then return nil end
  return s
end

-- "dir" or "dir/sub" key of a folder; nil, error response when invalid. The
-- sub-folder comes from the `subdir` parameter or, without it, from the dots of
-- the dir ("images.sub_dir" is images/sub_dir, as the PHP client sends it).
local function folder_key(req)
  local dir = util.url_decode(tostring(req.params.dir), false)
  local sub = req.args.subdir
  if (sub == nil or sub == "") and dir:find(".", 1, true) then
    local first, rest = dir:match("^([^.]*)%.(.*)$")
    dir, sub = first, rest:gsub("%.", "/")
  end
  if not DIRS[dir] then
    return nil, responses.error(406, dir .. " not found. Only media or images options are possible.")
  end
  if sub == nil or sub == "" then return dir end
  if type(sub) ~= "string" then return nil, responses.bad_request() end
  -- a nested subdir (a/b) is fine, as long as no part climbs out
  for part in sub:gmatch("[^/]+") do
    if part == ".." or part == "." then return nil, responses.bad_request() end
  end
  sub = sub:gsub("^/+", ""):gsub("/+$", "")
  if sub == "" then return dir end
  return dir .. "/" .. sub, dir, sub
end

local function folder(key, create)
  local f = folders()[key]
  if not f and create then f = {}; folders()[key] = f end
  return f
end

-- a folder exists once a file went in, or when a fresh install has it
local function exists(key)
  if folder(key) then return true end
  local dir, sub = key:match("^([^/]+)/(.*)$")
  if dir and (SEEDED_SUBDIRS[dir] or {})[sub] then return true end
  for k in pairs(folders()) do
    if k:sub(1, #key + 1) == key .. "/" then return true end
  end
  return false
end

local function public_prefix(key)
  local dir, sub = key:match("^([^/]+)/?(.*)$")
  local path = dir == "images" and "/media/images" or "/media"
  if sub ~= "" then path = path .. "/" .. sub end
  return path
end

-- the link Mautic 5.1 builds: the port appears twice (recorded)
local function link(key, name)
  local host = ngx.var.http_host or ("127.0.0.1:" .. ngx.var.server_port)
  local port = host:match(":(%d+)$")
  local base = ngx.var.scheme .. "://" .. host .. (port and (":" .. port) or "")
  return base .. public_prefix(key) .. "/" .. name
end

function _M.list(req)
  local key, err_or_dir, subdir = folder_key(req)
  if not key then return err_or_dir end
  if subdir and not exists(key) then
    return responses.error(406, subdir .. " doesn't exist in the " .. err_or_dir .. " dir.")
  end
  local f = folder(key) or {}
  local names = {}
  local dir, sub = key:match("^([^/]+)/?(.*)$")
  for n in pairs(f) do names[#names + 1] = n end
  if sub == "" then
    for n in pairs(SEEDED_SUBDIRS[dir] or {}) do names[#names + 1] = n end
  end
  for k in pairs(folders()) do
    local child = k:sub(#key + 2)
    if k:sub(1, #key + 1) == key .. "/" and not child:find("/", 1, true) then names[#names + 1] = child end
  end
  table.sort(names)
  local out = json.obj()
  local i = sub == "" and #LEADING or 2          -- a sub-folder has only "." and ".."
  local seen = {}
  for _, n in ipairs(names) do
    if not seen[n] then
      seen[n] = true
      if f[n] then out[tostring(i)] = n end
      i = i + 1
    end
  end
  if #json.keys(out) == 0 then return ok(O{ "files", A{} }) end
  return ok(O{ "files", out })
end

-- what Mautic lets through an upload (its allowed_extensions default)
local ALLOWED_LIST = { "csv", "doc", "docx", "epub", "gif", "jpg", "jpeg", "mpg", "mpeg", "mp3", "odt", "odp",
                       "ods", "pdf", "png", "ppt", "pptx", "tif", "tiff", "txt", "xls", "xlsx", "wav" }
local ALLOWED = {}
for _, e in ipairs(ALLOWED_LIST) do ALLOWED[e] = true end

local EXT_BY_TYPE = { ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/gif"] = "gif",
                      ["image/webp"] = "webp", ["image/svg+xml"] = "svg", ["application/pdf"] = "pdf" }

function _M.upload(req)
  local key, err = folder_key(req)
  if not key then return err end
  local parts = multipart.parse(req.body, req.content_type)
  local file = parts and multipart.first_file(parts)
  if not file then
    if versions.has("upload_needs_file") then return responses.error(406, "File was not found in the request.") end
    return ok(O{ "file", A{} })
  end
  local ext = (file.filename or ""):match("%.([%w]+)$")
  ext = ext and ext:lower() or EXT_BY_TYPE[(file.content_type or ""):lower()]
  if not ALLOWED[ext or ""] then
    return responses.error(406, "The uploaded file can have only these extensions: " .. table.concat(ALLOWED_LIST, ",") .. ".")
  end
  local seq = store.extra("subseq")
  seq.media = (seq.media or 0) + 1
  local name = ngx.md5(file.data .. "\0" .. seq.media .. "\0" .. ngx.now() .. math.random()) ..
    (ext and ("." .. ext) or "")
  folder(key, true)[name] = { data = file.data, content_type = file.content_type or "application/octet-stream",
                              original = file.filename, date = util.iso() }
  return ok(O{ "file", O{ "link", link(key, name), "name", name } })
end

function _M.delete(req)
  local key, err = folder_key(req)
  if not key then return err end
  local name = segment(req.params.file)
  local f = folder(key)
  if not name or not f or not f[name] then return responses.not_found("File does not exist") end
  f[name] = nil
  return ok(O{ "success", true })
end

-- GET /media/images/[sub/]name: the stored bytes (public, like the web server)
function _M.serve(req)
  local rest = req.path:match("^/media/(.+)$")
  local segs = {}
  for s in rest:gmatch("[^/]+") do
    local d = segment(s)
    if not d then return { status = 404, raw = "Not Found", content_type = "text/html; charset=UTF-8" } end
    segs[#segs + 1] = d
  end
  local name = table.remove(segs)
  local key
  if segs[1] == "images" then key = table.concat(segs, "/")
  else key = "media" .. (#segs > 0 and ("/" .. table.concat(segs, "/")) or "") end
  local f = folder(key)
  local file = f and f[name]
  if not file then return { status = 404, raw = "Not Found", content_type = "text/html; charset=UTF-8" } end
  return { status = 200, raw = file.data, content_type = file.content_type }
end

function _M.routes()
  return {
    { "GET", "/api/files/{dir}", _M.list },
    { "POST", "/api/files/{dir}/new", _M.upload },
    { "DELETE", "/api/files/{dir}/{file}/delete", _M.delete },
    { "GET", "/media/{a}", _M.serve },
    { "GET", "/media/{a}/{b}", _M.serve },
    { "GET", "/media/{a}/{b}/{c}", _M.serve },
    { "GET", "/media/{a}/{b}/{c}/{d}", _M.serve },
  }
end

return _M
