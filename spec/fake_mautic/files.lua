-- /api/files/{dir} (SUMMARY.md §5): in-memory media folders. dir is
-- "images" or "media" (anything else, "assets" included: 406 as recorded);
-- a sub-folder goes in the `subdir` query parameter. Uploads are
-- multipart/form-data with the file under any field name; the stored name is
-- <md5>.<ext> and the link repeats the port (a Mautic 5.1 bug, recorded).
-- Files are served back at GET /media/images/[subdir/]name.
local json = require "fake_mautic.json"
local util = require "fake_mautic.util"
local store = require "fake_mautic.store"
local responses = require "fake_mautic.responses"
local multipart = require "fake_mautic.multipart"

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

-- "dir" or "dir/sub" key of a folder; nil, error response when invalid
local function folder_key(req)
  local dir = req.params.dir
  if not DIRS[dir] then
    return nil, responses.error(406, tostring(util.url_decode(dir, false)) ..
      " not found. Only media or images options are possible.")
  end
  local sub = req.args.subdir
  if sub == nil or sub == "" then return dir end
  if type(sub) ~= "string" then return nil, responses.bad_request() end
  -- a nested subdir (a/b) is fine, as long as no part climbs out
  for part in sub:gmatch("[^/]+") do
    if part == ".." or part == "." then return nil, responses.bad_request() end
  end
  sub = sub:gsub("^/+", ""):gsub("/+$", "")
  if sub == "" then return dir end
  return dir .. "/" .. sub
end

local function folder(key, create)
  local f = folders()[key]
  if not f and create then f = {}; folders()[key] = f end
  return f
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
  local key, err = folder_key(req)
  if not key then return err end
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

local EXT_BY_TYPE = { ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/gif"] = "gif",
                      ["image/webp"] = "webp", ["image/svg+xml"] = "svg", ["application/pdf"] = "pdf" }

function _M.upload(req)
  local key, err = folder_key(req)
  if not key then return err end
  local parts = multipart.parse(req.body, req.content_type)
  local file = parts and multipart.first_file(parts)
  if not file then return ok(O{ "file", A{} }) end
  local ext = (file.filename or ""):match("%.([%w]+)$")
  ext = ext and ext:lower() or EXT_BY_TYPE[(file.content_type or ""):lower()]
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
