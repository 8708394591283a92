--- each{ concurrency = n }: a scan of a list route by id ranges, up to n
-- page requests in flight, every item yielded once, in id order.
--
-- Offsets shift when rows are created or deleted during a scan (a delete
-- before the offset skips a row, a create repeats one), and concurrent
-- pages make that worse. So the scan first learns the smallest and the
-- largest id that match (two requests of one row, ordered by id), cuts
-- [min, max] into ranges of about a page each, and asks for each range
-- with `where` on `id` (id > lo and id <= hi, ordered by id, start 0). A
-- range holding more than a page goes on from its last id (keyset), still
-- before the next range. What that guarantees while the data changes:
--   * a row that exists from the start to the end of the scan is yielded
--     exactly once (ranges are disjoint and cover [min, max]);
--   * a row created during the scan (its id is above max) is not yielded;
--   * a row deleted during the scan may or may not be yielded, once at most.
-- Memory: the page in hand and the n pages in flight, never the whole list.
local http = require "mautic.http"
local list = require "mautic.list"
local errors = require "mautic.errors"
local parallel = require "mautic.parallel"

local type, pairs, ipairs, error, tonumber, tostring, pcall = type, pairs, ipairs, error, tonumber, tostring, pcall
local min, max, ceil = math.min, math.max, math.ceil
local insert, remove = table.insert, table.remove

local _M = {}

-- The caller's query with the page's own keys: id bounds added to its where.
local function page_query(p, lo, hi, limit, dir)
  local query = {}
  for k, v in pairs(p.base) do query[k] = v end
  local where = {}
  for i, w in ipairs(type(p.base.where) == "table" and p.base.where or {}) do where[i] = w end
  if lo then where[#where + 1] = { col = "id", expr = "gt", val = lo } end
  if hi then where[#where + 1] = { col = "id", expr = "lte", val = hi } end
  if #where > 0 then query.where = where end
  query.start, query.limit, query.orderBy, query.orderByDir = 0, limit, "id", dir or "ASC"
  return query
end

local function request(p, query)
  local o = p.o
  local body, meta = http.call(p.client, { method = "GET", path = p.route.path, query = query,
                                           headers = p.route.headers,
                                           timeout = o.timeout, retries = o.retries, deadline = o.deadline })
  if body == nil then error(meta, 0) end
  local page, why = list.normalize(body, meta.body, p.list_key)
  if not page then error(errors.decode(meta.status, meta.body, why, { method = "GET", url = p.route.path }), 0) end
  -- decoded: the page may wait in the queue behind slower ones, without its text
  meta.body = nil
  return page, meta
end

local function bad_page(p, meta, msg)
  return errors.new{ kind = "decode", status = meta.status, method = "GET", url = p.client.api_url .. p.route.path,
                     message = msg }
end

-- the id of a row, as a number (nil: none)
local function id_of(item) return type(item) == "table" and tonumber(item.id) or nil end

-- The first step: the smallest and the largest matching id, asked for at once.
local function bounds(p)
  local function ends(dir) return function() return request(p, page_query(p, nil, nil, 1, dir)) end end
  local lo_page, meta, hi_page
  if p.n > 1 then
    local last = p.group.ahead(ends("DESC"))
    lo_page, meta = ends("ASC")()
    hi_page = last.result()
  else
    lo_page, meta = ends("ASC")()
    hi_page = ends("DESC")()
  end
  local lo, hi = id_of(lo_page.items[1]), id_of(hi_page.items[1])
  if #lo_page.items == 0 or #hi_page.items == 0 then return nil end
  if not lo or not hi or lo > hi then
    error(bad_page(p, meta, "the first and last rows by id carry no usable id: the server ignores orderBy=id"), 0)
  end
  -- ranges of about a page each, from the count of matching rows (never
  -- narrower than a page: a range cannot hold more rows than ids)
  local total = tonumber(lo_page.total) or (hi - lo + 1)
  p.width = max(p.page_size, ceil(p.page_size * (hi - lo + 1) / max(total, 1)))
  p.next_lo, p.max = lo - 1, hi
  return true
end

-- a page request of (lo, hi], on its way at once
local function ask(p, lo, hi)
  local query = page_query(p, lo, hi, p.page_size)
  return { lo = lo, hi = hi, handle = p.group.ahead(function() return request(p, query) end) }
end

-- up to n requests in flight, the next ranges in order (none past the cap)
local function fill(p)
  while #p.queue < p.n and p.next_lo < p.max and not (p.cap and p.yielded >= p.cap) do
    local hi = min(p.next_lo + p.width, p.max)
    p.queue[#p.queue + 1] = ask(p, p.next_lo, hi)
    p.next_lo = hi
  end
end

-- the end of the scan (or of the caller's interest): what is on its way is dropped
local function cancel_all(p)
  p.queue = {}
  if p.group then p.group.close(); p.group = nil end
end

-- Every row of a range page must lie in its range, above the last id
-- yielded: a server that ignores `where` or the order would repeat rows.
local function check_page(p, range, page, meta)
  local last = p.last or range.lo
  for _, item in ipairs(page.items) do
    local id = id_of(item)
    if not id or id <= last or id <= range.lo or id > range.hi then
      error(bad_page(p, meta, ("the page of ids (%s, %s] holds id %s out of order or out of range: "
        .. "the server ignores where on id or orderBy=id, so the scan stops here")
        :format(range.lo, range.hi, tostring(item and item.id))), 0)
    end
    last = id
  end
end

-- The next page in hand, in id order; false at the end.
local function fetch(p)
  if not p.started then
    p.started, p.group = true, parallel.group()
    local ok, found = pcall(bounds, p)
    if not ok then cancel_all(p); error(found, 0) end
    if not found then p.next_lo, p.max = 0, 0 end
  end
  if not p.group then return false end
  fill(p)
  local range = remove(p.queue, 1)
  if not range then cancel_all(p); return false end
  local ok, page, meta = pcall(range.handle.result)
  if not ok then cancel_all(p); error(page, 0) end
  local cok, cerr = pcall(check_page, p, range, page, meta)
  if not cok then cancel_all(p); error(cerr, 0) end
  local n = #page.items
  -- a full page: the range goes on from its last id, before the next range
  if n >= p.page_size and id_of(page.items[n]) < range.hi then
    insert(p.queue, 1, ask(p, id_of(page.items[n]), range.hi))
  end
  fill(p)
  p.buffer, p.pos, p.count = page.items, 1, n
  return true
end

--- The next item of a range scan (nil at the end; raises a failure).
function _M.next_item(p, bless)
  while true do
    if p.cap and p.yielded >= p.cap then cancel_all(p); return nil end
    if p.pos > p.count then
      if not fetch(p) then return nil end
    else
      local item = p.buffer[p.pos]
      p.buffer[p.pos] = nil    -- the caller holds it now, not the buffer (so # is not used on it)
      p.pos = p.pos + 1
      p.last = id_of(item)
      p.yielded = p.yielded + 1
      return bless(item)
    end
  end
end

--- Why a query cannot be scanned by id ranges (nil: it can): the order
-- must be id ascending, and the scan starts at the first row.
function _M.refuse(base)
  if base.order ~= nil then return "concurrency needs the order by id: `order` cannot be kept across id ranges" end
  if base.orderBy ~= nil and base.orderBy ~= "id" then
    return "concurrency needs orderBy = \"id\": pages by id range stay exact while rows change, "
        .. "pages by another column do not"
  end
  if base.orderByDir ~= nil and base.orderByDir:upper() ~= "ASC" then
    return "concurrency scans ids in ascending order (orderByDir = \"ASC\")"
  end
  if base.start ~= nil and base.start ~= 0 then
    return "concurrency scans by id ranges, not offsets: give a where on id instead of start"
  end
end

--- Turn a pager's state into a range scan of n requests in flight.
function _M.setup(p, n)
  p.n, p.queue, p.yielded, p.buffer, p.pos, p.count = n, {}, 0, {}, 1, 0
  p.base.start, p.base.orderBy, p.base.orderByDir = nil, nil, nil
  return p
end

return _M
