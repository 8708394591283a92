--- The rows of an import, read one at a time: an array of row tables, an
-- iterator function returning them, or CSV (a path, or an open file) whose
-- header names the fields. Rows are numbered from 1 in source order (CSV:
-- the records after the header; `line` is where a record starts).
local csv = require "mautic.csv"
local errors = require "mautic.errors"
local check = require "mautic.check"

local type, tostring = type, tostring

local _M = {}

local function usage(msg) return errors.new{ kind = "usage", message = msg } end

local function from_array(rows)
  local n, i = #rows, 0
  return {
    total = n,
    next = function()
      i = i + 1
      if i > n then return nil end
      return rows[i], nil
    end,
    close = function() end,
  }
end

local function from_iterator(fn)
  return { next = function() return fn(), nil end, close = function() end }
end

-- A path is checked (and counted) whole before anything is sent; an open
-- file is read as it goes.
local function from_csv(source, opts)
  local copts = { separator = opts.separator }
  local is_path = type(source) == "string"
  local total
  if is_path then
    local n, err = csv.count(source, copts)
    if not n then return nil, usage(source .. ": " .. tostring(err)) end
    total = n
  end
  local reader, err = csv.open(source, copts)
  if not reader then return nil, usage((is_path and source .. ": " or "") .. tostring(err)) end
  local name = is_path and source or "CSV input"
  return {
    total = total, header = reader.header,
    next = function()
      local row, line = reader:row()
      if row == nil and line ~= nil then return nil, usage(name .. ": " .. line) end
      return row, line
    end,
    close = function() reader:close() end,
  }
end

--- Open a source of rows.
-- @param source an array of rows, an iterator function, a CSV path or an open file
-- @tparam table opts separator (CSV)
-- @treturn[1] table { next() -> row, line | nil (the end) | nil, err (a malformed record);
--   total (the row count, when known); header (CSV: the column names); close() }
-- @treturn[2] nil
-- @treturn[2] mautic.error a usage error (unreadable or malformed CSV, or no source at all)
function _M.open(source, opts)
  local t = type(source)
  if t == "table" and io.type(source) == nil then return from_array(source) end
  if t == "function" then return from_iterator(source) end
  if t == "string" or io.type(source) == "file" then return from_csv(source, opts) end
  return nil, check.usage("source must be an array of rows, an iterator function, a CSV path or a file")
end

return _M
