-- The checkpoint of a resumable import, without a server: ranges of
-- settled rows, the file read back (and refused when damaged or written
-- for another source), the identity of a source, and a rewrite that
-- replaces the file whole.
local checkpoint = require "mautic.checkpoint"
local json = require "mautic.json"
local sys = require "support.sys"

-- a canned file in a directory of its own: (path, dir)
local function canned(text)
  local dir = sys.shell("mktemp -d /tmp/mautic-checkpoint.XXXXXX"):gsub("%s+$", "")
  local path = dir .. "/job.checkpoint"
  if text then sys.write_file(path, text) end
  return path, dir
end

local function remove(dir) os.execute("rm -rf '" .. dir .. "'") end

local CSV = "email,firstname\r\nann@cp.test,Ann\r\n"
local CSV_SHA256 = "ab48e39f29d0acea5c6bdbee6703e11f0ee5ef06138226ca44e20ec4922360ef"

local function a_checkpoint(fields)
  local cp = { format = "mautic-import/1", source = { kind = "array", rows = 10 }, rows = 10,
               done = { { 1, 4 } }, created = 4, merged = 0, failed = 0, complete = false, unique = { "email" } }
  for k, v in pairs(fields or {}) do cp[k] = v end
  return json.encode(cp)
end

describe("mautic.checkpoint", function()
  describe("ranges of settled rows", function()
    it("merges a range with the ranges it touches and keeps them in order", function()
      local r = checkpoint.add_range({}, 5, 6)
      r = checkpoint.add_range(r, 1, 2)
      assert.same({ { 1, 2 }, { 5, 6 } }, r)
      r = checkpoint.add_range(r, 3, 4)                 -- touches both sides
      assert.same({ { 1, 6 } }, r)
      r = checkpoint.add_range(checkpoint.add_range(r, 10, 12), 8, 8)
      assert.same({ { 1, 6 }, { 8, 8 }, { 10, 12 } }, r)
      r = checkpoint.add_range(r, 7, 9)
      assert.same({ { 1, 12 } }, r)
      r = checkpoint.add_range(r, 2, 20)                -- overlaps
      assert.same({ { 1, 20 } }, r)
      assert.equal(20, checkpoint.count(r))
      assert.equal(7, checkpoint.count{ { 1, 4 }, { 8, 10 } })
    end)

    it("tells whether a row is settled, for rows read in order", function()
      local covered = checkpoint.covers{ { 2, 3 }, { 6, 6 } }
      local got = {}
      for i = 1, 8 do got[i] = covered(i) end
      assert.same({ false, true, true, false, false, true, false, false }, got)
      assert.is_false(checkpoint.covers{}(1))
    end)
  end)

  describe("read", function()
    it("reads a checkpoint, its ranges sorted and merged however they were written", function()
      local path, dir = canned(a_checkpoint{ done = { { 4401, 4600 }, { 1, 4200 }, { 4201, 4300 } } })
      local cp = assert(checkpoint.read(path))
      assert.same({ { 1, 4300 }, { 4401, 4600 } }, cp.done)
      assert.equal(4, cp.created)
      assert.same({ kind = "array", rows = 10 }, cp.source)
      remove(dir)
    end)

    it("answers false when there is no checkpoint yet", function()
      local path, dir = canned()
      assert.is_false(checkpoint.read(path))
      remove(dir)
    end)

    it("refuses a file that is not a checkpoint of an import", function()
      for _, text in ipairs{ "not json", "", "[]", '{"format":"other/1","source":{},"done":[]}',
                             a_checkpoint{ source = "x" }, a_checkpoint{ done = "1-4" } } do
        local path, dir = canned(text)
        local cp, err = checkpoint.read(path)
        assert.is_nil(cp, text)
        assert.equal("usage", err.kind)
        assert.matches("is not a checkpoint of mautic import (mautic-import/1)", err.message, 1, true)
        remove(dir)
      end
    end)

    it("refuses a damaged range", function()
      for _, done in ipairs{ { { 5, 3 } }, { { 0, 2 } }, { { 1.5, 2 } }, { "x" }, { { 1 } }, { { 1, "2" } } } do
        local path, dir = canned(a_checkpoint{ done = done })
        local cp, err = checkpoint.read(path)
        assert.is_nil(cp)
        assert.equal("usage", err.kind)
        assert.matches('a damaged range in "done"', err.message, 1, true)
        remove(dir)
      end
    end)
  end)

  describe("the identity of a source", function()
    it("is a CSV file's size and SHA-256, which an edit changes", function()
      local path, dir = canned(CSV)
      local id = assert(checkpoint.identity(path))
      assert.same({ kind = "csv", path = path, bytes = #CSV, sha256 = CSV_SHA256 }, id)
      sys.write_file(path, (CSV:gsub("Ann", "Anne")))
      local edited = assert(checkpoint.identity(path))
      assert.is_false(checkpoint.same_source(id, edited))
      assert.is_true(checkpoint.same_source(id, { kind = "csv", path = "moved.csv", bytes = #CSV, sha256 = CSV_SHA256 }))
      remove(dir)
    end)

    it("chains the digest over 64 KiB blocks, so a large file is read in pieces", function()
      local path, dir = canned(("x"):rep(65536 * 2 + 10))
      local a = assert(checkpoint.identity(path))
      assert.equal(65536 * 2 + 10, a.bytes)
      sys.write_file(path, ("x"):rep(65536 * 2 + 9) .. "y")
      assert.is_false(checkpoint.same_source(a, assert(checkpoint.identity(path))))
      remove(dir)
    end)

    it("is an array's row count; an iterator or an open file cannot be told apart", function()
      assert.same({ kind = "array", rows = 3 }, checkpoint.identity{ {}, {}, {} })
      assert.same({ kind = "iterator" }, checkpoint.identity(function() end))
      assert.same({ kind = "csv-stream" }, checkpoint.identity(io.stdin))
      assert.is_false(checkpoint.same_source({ kind = "array", rows = 3 }, { kind = "array", rows = 4 }))
      assert.is_true(checkpoint.same_source({ kind = "iterator" }, { kind = "iterator" }))
      assert.is_false(checkpoint.same_source({ kind = "iterator" }, { kind = "array", rows = 3 }))
    end)

    it("cannot be taken of a file that cannot be read", function()
      local id, err = checkpoint.identity("/nonexistent/contacts.csv")
      assert.is_nil(id)
      assert.equal("usage", err.kind)
    end)
  end)

  describe("resume", function()
    it("gives the checkpoint of the same source", function()
      local path, dir = canned(a_checkpoint())
      local cp = assert(checkpoint.resume(path, { kind = "array", rows = 10 }))
      assert.same({ { 1, 4 } }, cp.done)
      remove(dir)
    end)

    it("refuses another source's checkpoint, naming both", function()
      local path, dir = canned(a_checkpoint{ source = { kind = "csv", path = "a.csv", bytes = 10, sha256 = "00" } })
      local cp, err = checkpoint.resume(path, { kind = "array", rows = 3 })
      assert.is_nil(cp)
      assert.equal("usage", err.kind)
      assert.equal(path .. " records an import of a.csv (10 bytes), not of an array of 3 rows: remove it to start over",
                   err.message)
      remove(dir)
    end)

    it("answers false when there is none, and refuses a damaged one", function()
      local path, dir = canned()
      assert.is_false(checkpoint.resume(path, { kind = "iterator" }))
      sys.write_file(path, "{")
      local cp, err = checkpoint.resume(path, { kind = "iterator" })
      assert.is_nil(cp)
      assert.equal("usage", err.kind)
      remove(dir)
    end)
  end)

  describe("write", function()
    local state = { source = { kind = "array", rows = 9 }, rows = 9, done = { { 1, 3 }, { 7, 9 } },
                    created = 5, merged = 0, failed = 1, unique = { "email" } }

    it("writes what read gives back", function()
      local path, dir = canned()
      assert(checkpoint.write(path, state))
      local cp = assert(checkpoint.read(path))
      assert.equal("mautic-import/1", cp.format)
      assert.same(state.source, cp.source)
      assert.same(state.done, cp.done)
      assert.same({ 9, 5, 0, 1, false }, { cp.rows, cp.created, cp.merged, cp.failed, cp.complete })
      assert.same({ "email" }, cp.unique)
      assert.is_number(cp.updated)
      -- an empty list stays a JSON list
      state.done = {}
      assert(checkpoint.write(path, state))
      assert.matches('"done":[]', sys.read_file(path), 1, true)
      state.done = { { 1, 3 }, { 7, 9 } }
      remove(dir)
    end)

    it("rewrites atomically: a new file takes the old one's place whole, nothing is left beside it", function()
      local path, dir = canned(a_checkpoint())
      local function inode() return sys.shell("stat -c %i '" .. path .. "'") end
      local before = inode()
      assert(checkpoint.write(path, state))
      -- renamed over the old file (a new inode), not rewritten in place
      assert.not_equal(before, inode())
      assert.same(state.done, assert(checkpoint.read(path)).done)
      assert.equal("job.checkpoint\n", sys.shell("ls -A '" .. dir .. "'"))
      assert.equal("644\n", sys.shell("stat -c %a '" .. path .. "'"))
      remove(dir)
    end)

    it("says why it cannot write", function()
      local ok, err = checkpoint.write("/nonexistent/dir/job.checkpoint", state)
      assert.is_nil(ok)
      assert.equal("usage", err.kind)
      assert.matches("^cannot write the checkpoint: ", err.message)
    end)
  end)
end)
