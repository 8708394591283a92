-- multipart/form-data bodies (RFC 7578) for the upload routes (files,
-- themes). The raw body comes from app.lua (ngx.req.get_body_data(), or the
-- temp file of a large body); parse(body, content_type) -> array of parts
-- { name =, filename = (nil when absent), content_type =, data = } | nil, err.
local _M = {}

function _M.boundary(content_type)
  if type(content_type) ~= "string" then return nil end
  if not content_type:lower():find("multipart/form-data", 1, true) then return nil end
  local b = content_type:match('[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
        or content_type:match("[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)")
  return b
end

local function header_param(value, name)
  -- name="quoted" (with \" escapes) or name=token
  local lower = value:lower()
  local s = lower:find(";%s*" .. name .. '="')
  if s then
    local q = value:find('"', s)
    local out, i = {}, q + 1
    while i <= #value do
      local c = value:sub(i, i)
      if c == "\\" and i < #value then out[#out + 1] = value:sub(i + 1, i + 1); i = i + 2
      elseif c == '"' then break
      else out[#out + 1] = c; i = i + 1 end
    end
    return table.concat(out)
  end
  s = lower:find(";%s*" .. name .. "=")
  if s then return value:sub(s):match("=%s*([^;%s]+)") end
  return nil
end

function _M.parse(body, content_type)
  local boundary = _M.boundary(content_type)
  if not boundary then return nil, "not multipart/form-data" end
  if type(body) ~= "string" or body == "" then return {} end
  local delim = "--" .. boundary
  local parts = {}
  local pos = body:find(delim, 1, true)
  if not pos then return nil, "boundary not found" end
  pos = pos + #delim
  while true do
    if body:sub(pos, pos + 1) == "--" then break end          -- closing delimiter
    -- skip transport padding and the CRLF after the delimiter
    local eol = body:find("\r?\n", pos)
    if not eol then break end
    local hstart = body:find("\n", pos, true) + 1
    local hend_s, hend_e = body:find("\r?\n\r?\n", hstart)
    local headers_text, data_start
    if body:sub(hstart, hstart + 1) == "\r\n" or body:sub(hstart, hstart) == "\n" then
      headers_text = ""                                         -- no headers at all
      data_start = hstart + (body:sub(hstart, hstart) == "\r" and 2 or 1)
    else
      if not hend_s then return nil, "unterminated part headers" end
      headers_text = body:sub(hstart, hend_s - 1)
      data_start = hend_e + 1
    end
    local next_s = body:find("\r\n" .. delim, data_start - 2, true)
    local sep = 2
    if not next_s then
      next_s = body:find("\n" .. delim, data_start - 1, true); sep = 1
    end
    if not next_s then return nil, "closing boundary not found" end
    local part = { data = body:sub(data_start, next_s - 1), headers = {} }
    for line in headers_text:gmatch("[^\r\n]+") do
      local k, v = line:match("^([^:]+):%s*(.-)%s*$")
      if k then
        k = k:lower()
        part.headers[k] = v
        if k == "content-disposition" then
          part.name = header_param(v, "name")
          part.filename = header_param(v, "filename")
        elseif k == "content-type" then
          part.content_type = v
        end
      end
    end
    parts[#parts + 1] = part
    pos = next_s + sep + #delim
  end
  return parts
end

-- first part that carries a file (any field name, as Mautic accepts)
function _M.first_file(parts)
  for _, p in ipairs(parts or {}) do
    if p.filename ~= nil then return p end
  end
  return nil
end

return _M
