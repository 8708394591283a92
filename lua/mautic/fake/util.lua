-- Small helpers: PHP-style query/form parsing, dates, slugs, numbers, the
-- base of the absolute URLs the fake writes.
local json = require "mautic.fake.json"
local config = require "mautic.fake.config"

local _M = {}
local null = json.null

function _M.url_decode(s, plus_is_space)
  if plus_is_space ~= false then s = s:gsub("+", " ") end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- Parse "a[b][0]=x&c[]=y" like PHP's parse_str: nested ordered objects,
-- "[]" appends. Containers are ordered objects whose keys are strings;
-- use _M.list(v) to read one as an array.
function _M.parse_php(qs)
  local root = json.obj()
  if not qs or qs == "" then return root end
  for pair in qs:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = _M.url_decode(k); v = _M.url_decode(v)
    if k ~= "" then
      local base, rest = k:match("^([^%[]+)(.*)$")
      if not base then base, rest = k, "" end
      local parts = { base }
      local ok_brackets = true
      for p in rest:gmatch("%[([^%]]*)%]") do parts[#parts + 1] = p end
      if rest ~= "" and not rest:match("^%[") then ok_brackets = false end
      if not ok_brackets then parts = { k } end
      local t = root
      for i = 1, #parts do
        local p = parts[i]
        local last = (i == #parts)
        if p == "" then
          -- append: next integer index
          local n = 0
          for _, kk in ipairs(json.keys(t)) do
            local num = tonumber(kk)
            if num and num >= n then n = num + 1 end
          end
          p = tostring(n)
        end
        if last then
          t[p] = v
        else
          local nxt = rawget(t, p)
          if type(nxt) ~= "table" then nxt = json.obj(); t[p] = nxt end
          t = nxt
        end
      end
    end
  end
  return root
end

-- Read a value that may be a JSON array, an ordered object ({"0":..}) or a
-- scalar as a Lua array.
function _M.list(v)
  if v == nil or v == null then return {} end
  if type(v) ~= "table" then return { v } end
  if json.is_obj(v) then
    local out = {}
    for _, k in ipairs(json.keys(v)) do out[#out + 1] = v[k] end
    return out
  end
  local out = {}
  for i = 1, #v do out[i] = v[i] end
  return out
end

function _M.is_empty(v)
  return v == nil or v == null or v == ""
end

function _M.truthy(v)
  -- PHP-ish truthiness of a request value
  if v == nil or v == null or v == false or v == 0 or v == "" or v == "0" then return false end
  return true
end

-- the fake's clock for the dates it writes: real time plus config clock_offset
function _M.now()
  local offset = tonumber(config.get("clock_offset")) or 0
  if ngx then return ngx.time() + offset end
  return os.time() + offset
end

-- the base of the absolute URLs the fake writes (an asset's downloadUrl, the
-- links of the activity timeline): config base_url, else the request's host
function _M.base_url()
  local b = config.get("base_url")
  if b then return b end
  if ngx and ngx.var then
    return (ngx.var.scheme or "http") .. "://" .. (ngx.var.http_host or ("127.0.0.1:" .. (ngx.var.server_port or "")))
  end
  return "http://127.0.0.1"
end

function _M.iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%S+00:00", t or _M.now())
end

function _M.sql_date(t)
  return os.date("!%Y-%m-%d %H:%M:%S", t or _M.now())
end

function _M.slug(s, sep)
  sep = sep or "-"
  s = tostring(s or ""):lower()
  s = s:gsub("[^%w]+", sep)
  s = s:gsub("^" .. sep .. "+", ""):gsub(sep .. "+$", "")
  return s
end

-- integer-valued numbers from strings ("5", 5.0) -> 5; else nil
function _M.int(v)
  if type(v) == "number" then
    if v == math.floor(v) then return v end
    return nil
  end
  if type(v) == "string" and v:match("^%-?%d+$") then return tonumber(v) end
  return nil
end

function _M.num(v)
  if type(v) == "number" then return v end
  if type(v) == "string" and v:match("^%s*%-?%d+%.?%d*%s*$") then return tonumber(v) end
  return nil
end

function _M.split(s, sep)
  local out = {}
  for p in tostring(s):gmatch("[^" .. (sep or ",") .. "]+") do
    p = p:match("^%s*(.-)%s*$")
    if p ~= "" then out[#out + 1] = p end
  end
  return out
end

function _M.lower(v)
  if type(v) == "string" then return v:lower() end
  return v
end

return _M
