--- The checkpoint of a resumable import: which rows of which source are
-- settled. A small JSON file, rewritten atomically (temp file, fsync,
-- rename) after every chunk that settles:
--   { "format": "mautic-import/1",
--     "source": { "kind": "csv", "path": "...", "bytes": 1234, "sha256": "<hex>" },
--     "rows": 10000,                      -- the source's row count, when known
--     "done": [[1, 4200], [4401, 4600]],  -- rows settled, as ranges
--     "created": 4100, "merged": 40, "failed": 60,  -- so far, every run together
--     "complete": false, "unique": ["email"], "updated": <epoch seconds> }
-- A checkpoint belongs to one source: a CSV file by its size and SHA-256
-- (so the same file, edited, is another source), an array by its row
-- count; an iterator cannot be told apart (it must give the same rows in
-- the same order again). It does no I/O but its own file's, so it is
-- tested with canned files (spec/checkpoint_spec.lua).
local core = require "mautic.core"
local json = require "mautic.json"
local errors = require "mautic.errors"
local random = require "mautic.random"

local type, ipairs, tostring = type, ipairs, tostring
local floor, max, min = math.floor, math.max, math.min
local sort = table.sort

local FORMAT = "mautic-import/1"

local _M = { FORMAT = FORMAT }

local function usage(msg) return errors.new{ kind = "usage", message = msg } end

local function is_row(v)
  return type(v) == "number" and v == floor(v) and v >= 1
end

-- ------------------------------------------------------------------ ranges

--- Add [a, b] to a sorted list of disjoint ranges, merging neighbours.
-- @treturn table a new list: { { first, last }, ... } in order
function _M.add_range(ranges, a, b)
  local out, placed = {}, false
  for _, r in ipairs(ranges) do
    if r[2] < a - 1 then
      out[#out + 1] = r
    elseif r[1] > b + 1 then
      if not placed then out[#out + 1] = { a, b } placed = true end
      out[#out + 1] = r
    else
      a, b = min(a, r[1]), max(b, r[2])
    end
  end
  if not placed then out[#out + 1] = { a, b } end
  sort(out, function(x, y) return x[1] < y[1] end)
  return out
end

--- How many rows the ranges hold.
function _M.count(ranges)
  local n = 0
  for _, r in ipairs(ranges) do n = n + r[2] - r[1] + 1 end
  return n
end

--- A test for "is row i in the ranges?", asked for rows in ascending
-- order (a source read from the start): each range is passed once.
-- @treturn function covered(i) -> boolean
function _M.covers(ranges)
  local at = 1
  return function(i)
    while ranges[at] and ranges[at][2] < i do at = at + 1 end
    return ranges[at] ~= nil and ranges[at][1] <= i
  end
end

-- ------------------------------------------------------------------ sources

-- size and digest of a file: SHA-256 chained over 64 KiB blocks
local function file_identity(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, usage(tostring(err)) end
  local h, bytes = "", 0
  while true do
    local block = f:read(65536)
    if not block then break end
    bytes = bytes + #block
    h = core.sha256(h .. block)
  end
  f:close()
  return { kind = "csv", path = path, bytes = bytes, sha256 = random.to_hex(h) }
end

--- The identity of an import's source, as a checkpoint records it.
-- @param source an array of rows, an iterator function, a CSV path or an open file
-- @treturn[1] table { kind = "csv" | "array" | "iterator" | "csv-stream", ... }
-- @treturn[2] nil
-- @treturn[2] mautic.error a usage error (the file cannot be read)
function _M.identity(source)
  local t = type(source)
  if t == "table" and io.type(source) == nil then return { kind = "array", rows = #source } end
  if t == "function" then return { kind = "iterator" } end
  if t == "string" then return file_identity(source) end
  return { kind = "csv-stream" }
end

--- Are two identities the same source?
function _M.same_source(a, b)
  if a.kind ~= b.kind then return false end
  if a.kind == "csv" then return a.bytes == b.bytes and a.sha256 == b.sha256 end
  if a.kind == "array" then return a.rows == b.rows end
  return true
end

--- A source's identity in words ("contacts.csv (1234 bytes)").
function _M.describe(s)
  if s.kind == "csv" then return ("%s (%d bytes)"):format(tostring(s.path), s.bytes or 0) end
  if s.kind == "array" then return ("an array of %d rows"):format(s.rows or 0) end
  return "an " .. tostring(s.kind)
end

-- ------------------------------------------------------------------ the file

--- Read a checkpoint file.
-- @treturn[1] table the checkpoint, its `done` ranges sorted and merged
-- @treturn[2] false there is none
-- @treturn[3] nil
-- @treturn[3] mautic.error a usage error (not a checkpoint, or a damaged range)
function _M.read(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local text = f:read("*a")
  f:close()
  local cp = json.decode(text)
  if type(cp) ~= "table" or cp.format ~= FORMAT or type(cp.source) ~= "table" or type(cp.done) ~= "table" then
    return nil, usage(path .. " is not a checkpoint of mautic import (" .. FORMAT .. ")")
  end
  local done = {}
  for _, r in ipairs(cp.done) do
    if type(r) ~= "table" or not is_row(r[1]) or not is_row(r[2]) or r[2] < r[1] then
      return nil, usage(path .. ": a damaged range in \"done\"")
    end
    done = _M.add_range(done, r[1], r[2])
  end
  cp.done = done
  return cp
end

--- Read the checkpoint of a job about to start: it must record the same source.
-- @treturn[1] table the checkpoint
-- @treturn[2] false there is none
-- @treturn[3] nil
-- @treturn[3] mautic.error a usage error (unreadable, or another source's: remove it to start over)
function _M.resume(path, identity)
  local cp, err = _M.read(path)
  if not cp then return cp, err end
  if not _M.same_source(cp.source, identity) then
    return nil, usage(("%s records an import of %s, not of %s: remove it to start over")
      :format(path, _M.describe(cp.source), _M.describe(identity)))
  end
  return cp
end

--- Write a checkpoint, atomically: a reader sees the old file or the new
-- one, never half of one.
-- @tparam string path
-- @tparam table state { source, rows, done, created, merged, failed, complete, unique }
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] mautic.error a usage error ("cannot write the checkpoint: ...")
function _M.write(path, state)
  local cp = {
    format = FORMAT, source = state.source, rows = state.rows, done = json.array{},
    created = state.created, merged = state.merged, failed = state.failed,
    complete = state.complete or false, unique = json.array(state.unique), updated = os.time(),
  }
  for i, r in ipairs(state.done) do cp.done[i] = json.array{ r[1], r[2] } end
  local ok, err = core.write_file_atomic(path, json.encode(cp), 420)  -- 0644
  if not ok then return nil, usage("cannot write the checkpoint: " .. tostring(err)) end
  return true
end

return _M
