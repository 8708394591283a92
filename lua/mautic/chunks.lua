--- Rows in chunks: the one engine behind batch writes and bulk imports.
--
--   local results, err = chunks.run{
--     rows = rows,                     -- an array, or a function returning the next row
--     size = 200, concurrency = 4,
--     send = function(chunk) ... end,  -- one result per chunk.rows[j], or nil, err
--   }
--
-- It knows rows, not what they are nor where they go: the caller's `send`
-- makes the request. What it decides, for every caller:
--   * where chunks end: `size` rows each, counting every row read except
--     those `admit` skips (a checkpoint's settled rows), so a chunk never
--     sends more than `size` rows;
--   * how many chunks are in flight: up to `concurrency`, over
--     mautic.parallel (one curl multi handle, or light threads inside
--     nginx), each pulled from the source by a worker when it is free, so
--     a source read from a function holds only the chunks in flight;
--   * when to stop: after the first chunk that fails as a whole (a server
--     may write a chunk and then fail, so nothing new is sent on its
--     heels); chunks in flight finish. The same after a raise (a callback,
--     the source), which is raised again once the workers are done;
--   * whether a chunk may be sent again after an unknown outcome
--     (`merges`, below);
--   * one result per row, at its input index, rows refused before sending
--     included, whatever order the chunks end in.
local parallel = require "mautic.parallel"
local compat = require "mautic.compat"

local type, ipairs, pairs, error = type, ipairs, pairs, error
local ceil, min, sort = math.ceil, math.min, table.sort

local _M = {}

--- Does `row` carry an identifier: a value in one of `fields` (a number, or
-- text that is not blank)?
-- @tparam table fields names of the identifier fields
-- @param row the row
-- @treturn boolean
function _M.identified(fields, row)
  if type(row) ~= "table" then return false end
  for _, field in ipairs(fields) do
    local v = row[field]
    if (type(v) == "string" and v:find("%S")) or type(v) == "number" then return true end
  end
  return false
end

--- May a chunk of creates be sent again after an unknown outcome (a drop, a
-- timeout, a 502/503/504)? Only when the server merges a create into the
-- entity with the same identifier and every row carries one: the second
-- create then answers with what the first one made. Mautic merges contact
-- creates on its unique fields; no other family merges anything (a resent
-- note would be stored twice). This is the `merges` flag of a mautic.http
-- call, which mautic.outcome reads as its "merge" kind of call.
-- @tparam[opt] table merge_on the fields the server merges creates on; nil: it merges none
-- @tparam table rows the rows of the chunk
-- @treturn boolean
function _M.merges(merge_on, rows)
  if not merge_on then return false end
  for _, row in ipairs(rows) do
    if not _M.identified(merge_on, row) then return false end
  end
  return true
end

-- ------------------------------------------------------------------ reading

-- The source as a function: row, note | nil (the end) | nil, err (it broke
-- off); and its row count when it is an array.
local function puller(rows)
  if type(rows) == "function" then return rows, nil end
  local i, n = 0, #rows
  return function()
    i = i + 1
    if i <= n then return rows[i] end
  end, n
end

-- A failure that stops the job: nothing new starts after it.
local function fail(job, first, last, err)
  job.stopped = true
  job.failures[#job.failures + 1] = { first = first, last = last, err = err }
end

-- Put the row read at input index i where `admit` says; the places it takes.
--   admit -> row       sent (maybe a converted copy)
--            nil, res  refused before sending: `res` is its result
--            false     skipped: no result, no place
local function place(job, chunk, row, i, note)
  local sent, refused = row, nil
  if job.admit then sent, refused = job.admit(row, i, note) end
  if sent == false then return 0 end
  if sent == nil then
    chunk.refused[i] = refused
    return 1
  end
  local rows = chunk.rows
  rows[#rows + 1] = sent
  chunk.index[#rows] = i
  return 1
end

-- The next chunk: { first, last (input rows it stands for), rows (to send),
-- index (input index of each), refused = { [i] = result }, merges }, or nil
-- when the source is done or the job stopped.
local function read_chunk(job)
  if job.stopped or job.exhausted then return nil end
  local chunk = { first = job.read + 1, rows = {}, index = {}, refused = {} }
  local taken = 0
  while taken < job.size do
    local row, note = job.pull()
    if row == nil then
      job.exhausted = true
      -- the source broke off (a malformed CSV record): what was read still goes
      if note ~= nil then fail(job, job.read + 1, nil, note) end
      break
    end
    job.read = job.read + 1
    taken = taken + place(job, chunk, row, job.read, note)
  end
  chunk.last = job.read
  if chunk.last < chunk.first then return nil end
  chunk.merges = _M.merges(job.merge_on, chunk.rows)
  return chunk
end

-- One reader at a time: a source may wait on a request of its own (an
-- iterator that pages through something), and no two workers read a row.
local function take(job)
  while job.reading do parallel.sleep(0.002) end
  job.reading = true
  local ok, chunk = compat.pcall(read_chunk, job)
  job.reading = false
  if not ok then
    job.stopped = true
    error(chunk, 0)
  end
  return chunk
end

-- ------------------------------------------------------------------ sending

-- A chunk that failed as a whole: one failed result per row sent, flagged
-- with whether the server may have applied it (a row refused before
-- sending keeps its own result).
local function fail_rows(results, chunk, err)
  for _, i in ipairs(chunk.index) do
    results[i] = { ok = false, status = err.status, error = err, maybe_applied = err.maybe_applied }
  end
end

local function run_chunk(job, chunk)
  local results = job.keep and job.results or {}
  for i, r in pairs(chunk.refused) do results[i] = r end
  local got, err = {}, nil
  if #chunk.rows > 0 then got, err = job.send(chunk) end   -- every row refused: nothing to send
  if got then
    for j, i in ipairs(chunk.index) do results[i] = got[j] end
    job.completed = job.completed + (chunk.last - chunk.first + 1)
  else
    fail_rows(results, chunk, err)
    fail(job, chunk.first, chunk.last, err)
  end
  if job.on_chunk then
    local _, stop = job.on_chunk(results, chunk.first, chunk.last, err, chunk)
    if stop ~= nil then fail(job, chunk.first, chunk.last, stop) end
  end
end

-- Chunk after chunk until none is left. A raise stops the job too.
local function worker(job)
  while true do
    local chunk = take(job)
    if not chunk then return end
    local ok, raised = compat.pcall(run_chunk, job, chunk)
    if not ok then
      job.stopped = true
      error(raised, 0)
    end
  end
end

local function run_workers(job, n)
  local tasks = {}
  for i = 1, n do tasks[i] = function() return worker(job) end end
  local _, raised = parallel.run(tasks, { concurrency = n })
  for i = 1, n do
    -- what a worker raised is raised here, as it would have been without workers
    if raised[i] ~= nil then error(raised[i], 0) end
  end
end

-- The job's answer: every result, or the failure of the lowest input row,
-- with what went through.
local function answer(job)
  local failures = job.failures
  if #failures == 0 then return job.results end
  sort(failures, function(a, b) return a.first < b.first end)
  local err = failures[1].err
  if type(err) == "table" then
    err.completed = job.completed
    if job.keep then err.results = job.results end
    if #failures > 1 then
      err.failures = {}
      for i, f in ipairs(failures) do err.failures[i] = f.err end
    end
  end
  return nil, err, failures
end

--- Send rows in chunks and report per row.
-- @tparam table job
--   `rows` an array, or a function returning row[, note] each call, nil at
--   the end, or nil, err when the source broke off (the rows read before
--   are still sent; err is the job's failure at that row);
--   `size` rows per chunk; `concurrency` chunks in flight (default 1);
--   `send(chunk)` sends chunk.rows and returns one result per row, in
--   order, or nil, err when the chunk failed as a whole (chunk.first and
--   chunk.last: the input rows it stands for; chunk.index[j]: the input
--   index of chunk.rows[j]; chunk.merges: whether it may be resent, see
--   `merges`);
--   `admit(row, i, note)` (optional) decides per row read: the row to send,
--   nil and the result of a row refused before sending, or false to skip
--   it (no result, no place in a chunk);
--   `merge_on` (optional) the fields the server merges creates on;
--   `on_chunk(results, first, last, err, chunk)` (optional) hears of every
--   chunk once its results are in; a second return value stops the job
--   with that error;
--   `keep` (default true): false hands each chunk's results to on_chunk
--   only, so that a long job holds only the chunks in flight.
-- @treturn[1] table results by input index (empty with keep = false)
-- @treturn[2] nil
-- @treturn[2] table err, the failure of the lowest input row, with
--   err.completed (rows of the chunks that went through), err.results (with
--   keep: the results so far, a failed one per row of each failed chunk)
--   and, when several failed, err.failures
-- @treturn[2] table the failures in input order: { first, last, err }
function _M.run(job)
  local pull, n = puller(job.rows)
  local state = {
    pull = pull, size = job.size, admit = job.admit, send = job.send, on_chunk = job.on_chunk,
    merge_on = job.merge_on, keep = job.keep ~= false, results = {},
    read = 0, completed = 0, failures = {},
  }
  local workers = job.concurrency or 1
  if n then workers = min(workers, ceil(n / job.size)) end
  if workers <= 1 then
    worker(state)
  else
    run_workers(state, workers)
  end
  return answer(state)
end

return _M
