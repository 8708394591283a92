--- `each(query)`: an iterator over every item of a list route.
-- Pages with start/limit in a stable order (id ascending unless the query
-- says otherwise), moves on by the number of items actually received, and
-- never yields an id twice. `page_size` sets the page size (default 100);
-- `limit` caps the number of items yielded.
-- On failure it raises the error object (a mautic.error) from inside the
-- loop: an iterator cannot return nil, err without ending the loop as if
-- the list were complete. Catch it with pcall around the loop. A page that
-- brings no item it has not yielded before (a server that ignores `start`)
-- is such a failure, of kind "decode".
-- While the caller works on one page, the next one is already on its way
-- (opts.prefetch, default true with the built-in transport: a request on a
-- curl multi handle, or a light thread inside nginx).
-- /api/v2 collections page by number instead (`?page=N`, 30 items each,
-- `totalItems`): `pages_handler` runs the same loop with that strategy.
-- `concurrency = n` in the query scans by id ranges instead (mautic.ranges):
-- n pages in flight, id order, exact while rows change. On /api/v2 it keeps
-- n numbered pages in flight (fill_pages), with the sequential scan's guarantees.
local http = require "mautic.http"
local list = require "mautic.list"
local errors = require "mautic.errors"
local check = require "mautic.check"
local entity = require "mautic.entity"
local parallel = require "mautic.parallel"
local options = require "mautic.options"
local collection = require "mautic.collection"
local server = require "mautic.server"
local ranges = require "mautic.ranges"

local type, pairs, ipairs, error, pcall = type, pairs, ipairs, error, pcall
local min = math.min
local remove = table.remove

local _M = {}

-- each(query, opts): what the query may hold besides the list's own
-- parameters, and what opts may hold
local EACH_QUERY = { page_size = options.is_int(1), concurrency = options.is_int(1) }
local EACH_OPTIONS = options.merge(options.CALL, { page_size = options.is_int(1), prefetch = "boolean" })

-- The state of one loop: the query of every page (`base`), where the next
-- page starts, the page in hand and the ids yielded so far.
local OFFSET, PAGES = {}, {}

local function new_pager(client, family, sent, o)
  local base = {}
  for k, v in pairs(sent or {}) do base[k] = v end
  local route = family.routes.list
  local p = {
    client = client, family = family, route = route, list_key = route.list_key or family.list, o = o,
    page_size = base.page_size or o.page_size or 100, cap = base.limit, from = base.start or 0,
    start = base.start or 0, buffer = {}, pos = 1, done = false, yielded = 0, seen = {},
    -- the next page, asked for while the caller works on this one
    prefetch = o.prefetch ~= false and client.default_transport,
    how = OFFSET,
  }
  base.page_size, base.limit, base.concurrency = nil, nil, nil
  if base.orderBy == nil then base.orderBy, base.orderByDir = "id", "ASC" end
  p.base = base
  return p
end

-- never more than `limit` still needs (Mautic reads limit=0 as "every row")
local function page_limit(p, at)
  if not p.cap then return p.page_size end
  return min(p.page_size, p.cap - (at - p.from))
end

-- /api: start and limit on the list's own query
function OFFSET.query(p, at)
  local query = {}
  for k, v in pairs(p.base) do query[k] = v end
  query.start, query.limit = at, page_limit(p, at)
  return query
end

function OFFSET.advance(_, at, n) return at + n end

function OFFSET.normalize(p, body, raw) return list.normalize(body, raw, p.list_key) end

function OFFSET.where(p) return ("start=%d"):format(p.start) end

-- /api/v2: page numbers, a fixed page size; the query holds nothing else
-- (the server ignores search, order and itemsPerPage)
function PAGES.query(_, at) return { page = at } end

function PAGES.advance(_, at) return at + 1 end

function PAGES.normalize(_, body) return collection.normalize(body) end

function PAGES.where(p) return ("page=%d"):format(p.start) end

local function request_page(p, at)
  local o = p.o
  local body, meta = http.call(p.client, { method = "GET", path = p.route.path, query = p.how.query(p, at),
                                           headers = p.route.headers, share = true,
                                           timeout = o.timeout, retries = o.retries, deadline = o.deadline })
  if body == nil then error(meta, 0) end
  return body, meta
end

-- A page that brings nothing new means the server ignores `start`: paging
-- on would ask for the same page forever.
local function check_fresh(p, page, meta)
  for _, item in ipairs(page.items) do
    local id = type(item) == "table" and item.id
    if id == nil or not p.seen[id] then return end
  end
  if #page.items == 0 then return end
  error(errors.new{ kind = "decode", status = meta.status, method = "GET", url = p.client.api_url .. p.route.path,
    message = ("the page at %s holds only items already seen: the server ignores %s, "
            .. "so paging stops here"):format(p.how.where(p), p.how == PAGES and "page" or "start") }, 0)
end

-- The end: an empty page, the total reached, or (a total that is not a
-- count: nil) a page shorter than asked for.
function OFFSET.is_last(p, page)
  local n = #page.items
  return n == 0 or (page.total and p.start >= page.total) or (not page.total and n < page_limit(p, p.start - n))
     or page_limit(p, p.start) <= 0
end

-- The end of a numbered collection: an empty page, totalItems reached, or
-- (no total) a page shorter than the server's page size.
function PAGES.is_last(p, page)
  local n = #page.items
  p.received = p.received + n
  return n == 0 or (page.total ~= nil and p.skipped + p.received >= page.total)
     or (page.total == nil and n < p.page_size)
end

-- /api/v2 with concurrency: the next pages by number, up to n on their way
-- at once (one page only until the first answer says how many there are),
-- never past the last page nor past what `limit` still needs
local function fill_pages(p)
  p.next_at = p.next_at or p.start
  while #p.queue < p.n do
    local at = p.next_at
    local before = (at - 1) * p.page_size               -- items on the pages before `at`
    if p.total ~= nil and before >= p.total then return end
    if p.cap and before - p.skipped >= p.cap then return end
    p.queue[#p.queue + 1] = p.group.ahead(function() return request_page(p, at) end)
    p.next_at = at + 1
  end
end

-- the end of a scan with pages on their way (or of the caller's interest)
local function drop_ahead(p)
  if p.group then p.group.close(); p.group, p.queue = nil, nil end
end

-- the answer for the page at p.start: waited for, or asked for now
local function take_page(p)
  if p.queue and #p.queue > 0 then return remove(p.queue, 1).result() end
  if p.ahead then
    local h = p.ahead
    p.ahead = nil
    return h.result()
  end
  return request_page(p, p.start)
end

local function fetch(p)
  local body, meta = take_page(p)
  local page, why = p.how.normalize(p, body, meta.body)
  if not page then error(errors.decode(meta.status, meta.body, why, { method = "GET", url = p.route.path }), 0) end
  check_fresh(p, page, meta)
  p.buffer, p.pos = page.items, 1
  p.start = p.how.advance(p, p.start, #page.items)
  p.done = p.how.is_last(p, page)
  if p.queue then
    p.total = page.total
    if p.done then drop_ahead(p) else fill_pages(p) end
  elseif p.prefetch and not p.done and not (p.cap and p.yielded + #p.buffer >= p.cap) then
    local at = p.start
    p.ahead = parallel.ahead(function() return request_page(p, at) end)
  end
end

local function next_item(p)
  if p.before then
    -- checked at the first step: an iterator that returned nil, err would
    -- end a for loop as if the list were empty
    local ok, err = p.before()
    if not ok then error(err, 0) end
    p.before = nil
  end
  while true do
    if p.cap and p.yielded >= p.cap then drop_ahead(p); return nil end
    if p.pos > #p.buffer then
      if p.done then return nil end
      -- a failed page ends the scan: what is still on its way is dropped
      local ok, err = pcall(fetch, p)
      if not ok then drop_ahead(p); error(err, 0) end
      if #p.buffer == 0 then return nil end
    end
    local item = p.buffer[p.pos]
    p.pos = p.pos + 1
    local id = type(item) == "table" and item.id
    if id == nil or not p.seen[id] then
      if id ~= nil then p.seen[id] = true end
      p.yielded = p.yielded + 1
      return entity.bless(p.client, p.family, item)
    end
  end
end

--- The iterator of `each` (a route handler).
-- @treturn[1] function the iterator: the next entity, or nil at the end (raises a failure)
-- @treturn[2] nil
-- @treturn[2] mautic.error a usage error (a bad query or option)
function _M.each_handler(client, family, fname, q, opts)
  local sent, qerr = list.list_query(fname, 1, q, EACH_QUERY)
  if qerr then return nil, check.usage(qerr) end
  local o, oerr = options.problem(fname, 2, opts, EACH_OPTIONS)
  if not o then return nil, check.usage(oerr) end
  local p = new_pager(client, family, sent, o)
  local n = sent and sent.concurrency
  if n then
    -- checked before base's default order is filled in
    local why = ranges.refuse(sent)
    if why then return nil, check.usage(("bad argument #1 to '%s' (%s)"):format(fname, why)) end
    ranges.setup(p, n)
    local function bless(item) return entity.bless(client, family, item) end
    return function() return ranges.next_item(p, bless) end
  end
  return function() return next_item(p) end
end

-- each(query, opts) of a numbered collection
local PAGES_QUERY = { page = options.is_int(1), limit = options.is_int(0), concurrency = options.is_int(1) }
local PAGES_OPTIONS = options.merge(options.CALL, { prefetch = "boolean" })

--- The iterator of an /api/v2 collection's `each` (a route handler):
-- query { page = first page (1), limit = most items }, opts { prefetch,
-- timeout, retries, deadline }. The route's `needs` is checked (mautic.server)
-- at the first step.
function _M.pages_handler(client, family, fname, q, opts)
  local qok, qerr = options.problem(fname, 1, q, PAGES_QUERY, "query parameter")
  if not qok then return nil, check.usage(qerr) end
  local o, oerr = options.problem(fname, 2, opts, PAGES_OPTIONS)
  if not o then return nil, check.usage(oerr) end
  q = q or {}
  local p = new_pager(client, family, nil, o)
  p.how, p.page_size, p.cap = PAGES, collection.PAGE_SIZE, q.limit
  p.start, p.skipped, p.received = q.page or 1, ((q.page or 1) - 1) * collection.PAGE_SIZE, 0
  -- concurrency = n: n pages by number on their way at once, yielded in
  -- page order. v2 has no where nor order to cut id ranges with, so this
  -- guarantees what the sequential scan does (an id once at most; a row
  -- deleted meanwhile can shift another past a page), no more
  p.n = q.concurrency or 1
  if p.n > 1 then p.group, p.queue, p.prefetch = parallel.group(), {}, false end
  local needs = p.route.needs
  if needs then
    p.before = function() return server.require(client, needs, fname, o) end
  end
  return function() return next_item(p) end
end

return _M
