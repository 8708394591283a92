--- CSV for bulk jobs: an RFC 4180 reader that streams (one record in
-- memory at a time) and a writer.
--
--   local csv = require "mautic.csv"
--   local r = assert(csv.open("contacts.csv"))      -- path or file handle
--   print(table.concat(r.header, ","))
--   for row, line in r:rows() do ... end            -- { email = "...", ... }, line number
--   r:close()
--
-- Reading: fields are separated by `,` (or opts.separator), records end
-- with LF or CRLF; a field in double quotes may hold separators, quotes
-- (doubled: `""`) and line breaks (kept as they are in the file). A UTF-8
-- byte order mark before the header is dropped. The first record is the
-- header: the field aliases, trimmed of spaces; an empty or repeated name is
-- an error. Empty lines are skipped. In rows, an empty cell (quoted or not)
-- means "not given" and is left out; a record with more cells than the
-- header is an error, one with fewer leaves the missing ones out. A quote
-- inside an unquoted field is kept as text (`5" screen`); anything but a
-- separator or a line end after a closing quote, and a quoted field never
-- closed, are errors naming the line. Errors come back as nil, message.
--
-- Writing: `csv.line(values)` quotes a value when it holds the separator,
-- a quote, CR or LF (quotes doubled) and ends the line with CRLF (opts.eol).
local type, tostring, setmetatable, concat = type, tostring, setmetatable, table.concat
local find, sub, gsub, byte = string.find, string.sub, string.gsub, string.byte
local open = io.open

local _M = {}

local BOM = "\239\187\191"
local QUOTE = 34   -- byte of '"'

local Reader = {}
Reader.__index = Reader

--- Open a CSV source and read its header.
-- @param src a path, or an open file handle (read from where it stands; not closed by close()),
--   or any table whose `read("L")` gives the next line with its line break
-- @tparam[opt] table opts separator (one character, default ","), header (false: no header
--   record, rows are arrays)
-- @treturn[1] table reader: header (array of names), line (the line number reached)
-- @treturn[2] nil
-- @treturn[2] string why
function _M.open(src, opts)
  opts = opts or {}
  local sep = opts.separator or ","
  if type(sep) ~= "string" or #sep ~= 1 or sep == '"' or sep == "\r" or sep == "\n" then
    return nil, "separator must be one character other than a quote or a line break"
  end
  local f, owned = src, false
  if type(src) == "string" then
    local err
    f, err = open(src, "rb")
    if not f then return nil, err end
    owned = true
  elseif io.type(src) ~= "file" and not (type(src) == "table" and type(src.read) == "function") then
    return nil, "a path or an open file expected, got " .. type(src)
  end
  local self = setmetatable({ file = f, owned = owned, sep = sep, line = 0, first = true,
                              path = type(src) == "string" and src or nil }, Reader)
  if opts.header == false then return self end
  local rec, err = self:record()
  if err then self:close() return nil, err end
  if not rec then self:close() return nil, "the file is empty: a header record is needed" end
  local header, seen = {}, {}
  for i, name in ipairs(rec) do
    name = name:match("^%s*(.-)%s*$")
    if name == "" then
      self:close()
      return nil, ("line %d: header cell %d is empty"):format(self.record_line, i)
    end
    if seen[name] then
      self:close()
      return nil, ("line %d: header name %q appears twice"):format(self.record_line, name)
    end
    seen[name] = true
    header[i] = name
  end
  self.header = header
  return self
end

-- one physical line from a buffered block read, with its line break; nil
-- at the end (read("L") would do, but Lua 5.1 has no "L")
local function read_line(self)
  local buf, pos = self.buf or "", self.pos or 1
  while true do
    local nl = find(buf, "\n", pos, true)
    if nl then
      self.buf, self.pos = buf, nl + 1
      return sub(buf, pos, nl)
    end
    local block = self.file:read(65536)
    if block == nil then
      self.buf, self.pos = "", 1
      if pos > #buf then return nil end
      return sub(buf, pos)
    end
    buf, pos = sub(buf, pos) .. block, 1
  end
end

-- the next physical line, with its line break; nil at the end
function Reader:next_line()
  local l = read_line(self)
  if l == nil then return nil end
  self.line = self.line + 1
  if self.first then
    self.first = false
    if sub(l, 1, 3) == BOM then l = sub(l, 4) end
  end
  return l
end

-- the end of a line's content: before "\r\n" or "\n", or its length
local function content_end(l)
  local n = #l
  if byte(l, n) == 10 then
    n = n - 1
    if byte(l, n) == 13 then n = n - 1 end
  end
  return n
end

-- The first line of the next record, or nil at the end of the file;
-- empty lines are no records (a blank line between rows, or at the end).
local function first_line(self)
  local l
  repeat
    l = self:next_line()
    if l == nil then return nil end
  until content_end(l) > 0
  self.record_line = self.line
  return l
end

-- The quoted field whose opening quote is at l's byte pos: its text, up to
-- the quote that is not doubled, then the line it ends on and the position
-- after its closing quote; or nil, why. A line break inside the quotes is
-- part of the text, so the field may go on over the next lines.
local function quoted_field(self, l, pos)
  local parts, np = {}, 0
  local from = pos + 1
  while true do
    local q = find(l, '"', from, true)
    np = np + 1
    if not q then
      parts[np] = sub(l, from)
      l = self:next_line()
      if l == nil then
        return nil, ("line %d: a quoted field is not closed"):format(self.record_line)
      end
      from = 1
    elseif byte(l, q + 1) == QUOTE then
      parts[np] = sub(l, from, q)      -- one quote of the two
      from = q + 2
    else
      parts[np] = sub(l, from, q - 1)
      return concat(parts), l, q + 1
    end
  end
end

--- The next record as an array of strings (every cell, empty ones as "").
-- @treturn[1] table cells, or nil at the end of the file
-- @treturn[2] nil
-- @treturn[2] string why (the record is malformed)
function Reader:record()
  local l = first_line(self)
  if l == nil then return nil end
  local sep = self.sep
  local cells, n = {}, 0
  local stop = content_end(l)
  local pos = 1
  -- one cell per turn; s: the separator after it. This loop is most of
  -- the time a bulk import spends reading its file, so the common cells
  -- are cut here without a call.
  while true do
    local s
    if byte(l, pos) == QUOTE then
      -- most quoted fields end on their line with no doubled quote: cut
      -- them here (calling quoted_field for each made LuaJIT 5% slower on
      -- a file with a quoted cell in a third of its rows)
      local text
      local q = find(l, '"', pos + 1, true)
      if q and byte(l, q + 1) ~= QUOTE then
        text, pos = sub(l, pos + 1, q - 1), q + 1
      else
        text, l, pos = quoted_field(self, l, pos)
        if text == nil then return nil, l end     -- l: why
      end
      n = n + 1
      cells[n] = text
      stop = content_end(l)              -- the line the field ended on
      if pos > stop then return cells end
      if sub(l, pos, pos) ~= sep then
        return nil, ("line %d: %q after a closing quote (a separator or the end of the line expected)")
          :format(self.line, sub(l, pos, pos))
      end
      s = pos
    else
      s = find(l, sep, pos, true)
      n = n + 1
      if not s or s > stop then
        cells[n] = sub(l, pos, stop)
        return cells
      end
      cells[n] = sub(l, pos, s - 1)
    end
    pos = s + 1
    if pos > stop then                   -- a separator ends the line: one more, empty cell
      n = n + 1
      cells[n] = ""
      return cells
    end
  end
end

--- The next row: a table of header name -> value, empty cells left out.
-- @treturn[1] table row, or nil at the end
-- @treturn[1] integer the line its record starts on
-- @treturn[2] nil
-- @treturn[2] string why
function Reader:row()
  local rec, err = self:record()
  if not rec then return nil, err end
  local header = self.header
  if not header then return rec, self.record_line end
  if #rec > #header then
    return nil, ("line %d has %d cells, the header %d"):format(self.record_line, #rec, #header)
  end
  local row = {}
  for i = 1, #rec do
    local v = rec[i]
    if v ~= "" then row[header[i]] = v end
  end
  return row, self.record_line
end

--- Iterate the rows: `for row, line in reader:rows() do`. A malformed
-- record raises its message (use row() to get nil, err instead).
function Reader:rows()
  return function()
    local row, line = self:row()
    if row == nil and line ~= nil then error(line, 0) end
    return row, line
  end
end

--- Close the file (one given as a handle is left open).
function Reader:close()
  if self.owned and self.file then self.file:close() end
  self.file = nil
end

--- Read a whole CSV text (for tests and small inputs).
-- @treturn[1] table array of records (arrays of cells), header included
-- @treturn[2] nil
-- @treturn[2] string why
function _M.parse(text, opts)
  local at = 1
  local lines = { read = function()
    if at > #text then return nil end
    local nl = find(text, "\n", at, true) or #text
    local l = sub(text, at, nl)
    at = nl + 1
    return l
  end }
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.header = false
  local r, err = _M.open(lines, o)
  if not r then return nil, err end
  local out = {}
  while true do
    local rec, e = r:record()
    if rec == nil then
      if e then return nil, e end
      return out
    end
    out[#out + 1] = rec
  end
end

--- Check a whole CSV file and count its rows (records after the header).
-- @treturn[1] integer rows
-- @treturn[2] nil
-- @treturn[2] string why (the first malformed record)
function _M.count(src, opts)
  local r, err = _M.open(src, opts)
  if not r then return nil, err end
  local n = 0
  while true do
    local row, e = r:row()
    if row == nil then
      r:close()
      if e then return nil, e end
      return n
    end
    n = n + 1
  end
end

-- ------------------------------------------------------------------ writing

--- A value as CSV text: nil and JSON null as "", booleans as 1/0,
-- integral numbers without ".0", tables by `fmt_table` (default: joined with ",").
function _M.text(v)
  local t = type(v)
  if v == nil or t == "userdata" or t == "function" then return "" end   -- json.null is a userdata
  if t == "boolean" then return v and "1" or "0" end
  if t == "number" then
    if v == math.floor(v) and v > -2^53 and v < 2^53 then return ("%d"):format(v) end
    return tostring(v)
  end
  if t == "table" then
    local parts = {}
    for i = 1, #v do parts[i] = _M.text(v[i]) end
    return concat(parts, ",")
  end
  return tostring(v)
end

--- One field, quoted when it must be.
function _M.field(s, sep)
  s = type(s) == "string" and s or _M.text(s)
  sep = sep or ","
  if find(s, '"', 1, true) or find(s, "[\r\n]") or find(s, sep, 1, true) then
    return '"' .. gsub(s, '"', '""') .. '"'
  end
  return s
end

--- One record as a line of CSV text, line break included.
-- @tparam table values array of values (strings, numbers, booleans, nil as "")
-- @tparam[opt] integer n how many values (for arrays with holes; default #values)
-- @tparam[opt] table opts separator (","), eol ("\r\n")
function _M.line(values, n, opts)
  local sep = opts and opts.separator or ","
  local out = {}
  for i = 1, n or #values do out[i] = _M.field(values[i], sep) end
  return concat(out, sep) .. (opts and opts.eol or "\r\n")
end

return _M
