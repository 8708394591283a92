-- Minimal zip archives for the themes routes: build(entries) writes a valid
-- archive with stored (uncompressed) entries and real CRC32s; list(data)
-- reads the central directory back (-> entries | nil, err), read(data, name)
-- returns a stored entry's bytes. No compression: the fake needs valid, not small.
-- Reading a deflated entry (what zip tools write: campaign imports) inflates it
-- with the system's zlib through LuaJIT's FFI, where there is one.
local has_ffi, ffi = pcall(require, "ffi")

local _M = {}

local char, byte, floor = string.char, string.byte, math.floor

local CRC_TABLE
local function crc32_lua(s)
  local bit = require "bit"
  local bxor, band, rshift = bit.bxor, bit.band, bit.rshift
  if not CRC_TABLE then
    CRC_TABLE = {}
    for i = 0, 255 do
      local c = i
      for _ = 1, 8 do
        if band(c, 1) == 1 then c = bxor(0xEDB88320, rshift(c, 1)) else c = rshift(c, 1) end
      end
      CRC_TABLE[i] = c
    end
  end
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = bxor(CRC_TABLE[band(bxor(c, byte(s, i)), 0xFF)], rshift(c, 8))
  end
  c = bxor(c, 0xFFFFFFFF)
  if c < 0 then c = c + 4294967296 end
  return c
end

function _M.crc32(s)
  if ngx and ngx.crc32_long then return ngx.crc32_long(s) end
  return crc32_lua(s)
end

local function u16(n) return char(n % 256, floor(n / 256) % 256) end
local function u32(n)
  return char(n % 256, floor(n / 256) % 256, floor(n / 65536) % 256, floor(n / 16777216) % 256)
end
local function r16(s, i) local a, b = byte(s, i, i + 1); return a + b * 256 end
local function r32(s, i)
  local a, b, c, d = byte(s, i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

-- DOS time/date of 2026-01-01 00:00 (fixed: the archive is deterministic)
local DOS_TIME, DOS_DATE = 0, ((2026 - 1980) * 512) + (1 * 32) + 1

-- entries: array of { name = "dir/file", data = "bytes" } (a name ending in "/" is a folder)
function _M.build(entries)
  local out, central, offset = {}, {}, 0
  for _, e in ipairs(entries) do
    local data = e.data or ""
    local crc = _M.crc32(data)
    local local_header = "PK\3\4" .. u16(10) .. u16(0) .. u16(0) .. u16(DOS_TIME) .. u16(DOS_DATE) ..
      u32(crc) .. u32(#data) .. u32(#data) .. u16(#e.name) .. u16(0) .. e.name
    out[#out + 1] = local_header
    out[#out + 1] = data
    local attrs = e.name:sub(-1) == "/" and 16 or 0
    central[#central + 1] = "PK\1\2" .. u16(20) .. u16(10) .. u16(0) .. u16(0) .. u16(DOS_TIME) .. u16(DOS_DATE) ..
      u32(crc) .. u32(#data) .. u32(#data) .. u16(#e.name) .. u16(0) .. u16(0) .. u16(0) .. u16(0) ..
      u32(attrs) .. u32(offset) .. e.name
    offset = offset + #local_header + #data
  end
  local cd = table.concat(central)
  return table.concat(out) .. cd .. "PK\5\6" .. u16(0) .. u16(0) .. u16(#entries) .. u16(#entries) ..
    u32(#cd) .. u32(offset) .. u16(0)
end

-- the central directory: array of { name, method, size, csize, crc, offset }
function _M.list(data)
  if type(data) ~= "string" or #data < 22 or data:sub(1, 4) ~= "PK\3\4" and data:sub(1, 4) ~= "PK\5\6" then
    return nil, "not a zip archive"
  end
  -- the end-of-central-directory record: last "PK\5\6" within 64 KiB + 22 of the end
  local eocd
  local from = math.max(1, #data - 65557)
  local i = #data - 21
  while i >= from do
    if data:sub(i, i + 3) == "PK\5\6" then eocd = i; break end
    i = i - 1
  end
  if not eocd then return nil, "no end of central directory" end
  local count = r16(data, eocd + 10)
  local cd_size, cd_off = r32(data, eocd + 12), r32(data, eocd + 16)
  if cd_off + cd_size > eocd - 1 then return nil, "bad central directory" end
  local entries, p = {}, cd_off + 1
  for _ = 1, count do
    if data:sub(p, p + 3) ~= "PK\1\2" then return nil, "bad central directory entry" end
    local nlen, xlen, clen = r16(data, p + 28), r16(data, p + 30), r16(data, p + 32)
    local e = { method = r16(data, p + 10), crc = r32(data, p + 16), csize = r32(data, p + 20),
                size = r32(data, p + 24), offset = r32(data, p + 42), name = data:sub(p + 46, p + 45 + nlen) }
    if data:sub(e.offset + 1, e.offset + 4) ~= "PK\3\4" then return nil, "bad local header" end
    entries[#entries + 1] = e
    p = p + 46 + nlen + xlen + clen
  end
  return entries
end

local zlib
local function load_zlib()
  if zlib ~= nil then return zlib end
  zlib = false
  if not has_ffi then return zlib end
  pcall(ffi.cdef, [[
    typedef struct { const unsigned char *next_in; unsigned avail_in; unsigned long total_in;
      unsigned char *next_out; unsigned avail_out; unsigned long total_out; const char *msg;
      void *state, *zalloc, *zfree, *opaque; int data_type; unsigned long adler, reserved; } fake_z_stream;
    const char *zlibVersion(void);
    int inflateInit2_(fake_z_stream *s, int bits, const char *version, int size);
    int inflate(fake_z_stream *s, int flush);
    int inflateEnd(fake_z_stream *s);
  ]])
  local ok, lib = pcall(ffi.load, "z")
  if not ok then ok, lib = pcall(ffi.load, "libz.so.1") end
  if ok then zlib = lib end
  return zlib
end

-- raw deflate data -> the `size` bytes it holds | nil
local function inflate_raw(src, size)
  local z = load_zlib()
  if not z then return nil end
  local s = ffi.new("fake_z_stream")
  if z.inflateInit2_(s, -15, z.zlibVersion(), ffi.sizeof(s)) ~= 0 then return nil end
  local out = ffi.new("unsigned char[?]", size + 1)
  s.next_in, s.avail_in = src, #src
  s.next_out, s.avail_out = out, size + 1
  local rc = z.inflate(s, 4)                          -- Z_FINISH -> Z_STREAM_END (1)
  local got = tonumber(s.total_out)
  z.inflateEnd(s)
  if rc ~= 1 or got ~= size then return nil end
  return ffi.string(out, got)
end

-- bytes of an entry, stored or deflated (nil for a missing one, or one it cannot read)
function _M.read(data, name)
  local entries = _M.list(data)
  for _, e in ipairs(entries or {}) do
    if e.name == name and (e.method == 0 or e.method == 8) then
      local p = e.offset + 1
      local nlen, xlen = r16(data, p + 26), r16(data, p + 28)
      local s = p + 30 + nlen + xlen
      local raw = data:sub(s, s + e.csize - 1)
      if e.method == 0 then return raw end
      return inflate_raw(raw, e.size)
    end
  end
  return nil
end

return _M
