--- Worker processes for the token renewal specs: start token_worker.lua
-- children, wait for their outcomes, and make sure none outlives the spec.
-- Each child runs under `timeout` (killed after LIMIT seconds whatever
-- happens), checks that this process is alive before every request, and is
-- killed by its pid when the spec is done with it.
local core = require "mautic.core"
local json = require "mautic.json"

local _M = {}

-- seconds a worker may live, and a spec may wait for its outcome
local LIMIT = 90

local lua = require("support.lua").interpreter

local sys = require "support.sys"
local own_pid, read = sys.own_pid, sys.read_file

local running = sys.alive

--- A fresh temporary directory.
function _M.tempdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  return dir
end

--- Start one worker with this config (see token_worker.lua); returns a
-- handle { pid, result, log }.
function _M.start(dir, n, cfg)
  local c = {}
  for k, v in pairs(cfg) do c[k] = v end
  c.parent_pid = own_pid()
  c.result = ("%s/result-%d.json"):format(dir, n)
  local cfg_path = ("%s/worker-%d.json"):format(dir, n)
  assert(core.write_file_atomic(cfg_path, assert(json.encode(c))))
  local log = ("%s/worker-%d.log"):format(dir, n)
  local p = assert(io.popen(("timeout -k 2 %d %s spec/auth/support/token_worker.lua %s >%s 2>&1 </dev/null & echo $!")
    :format(LIMIT, lua, cfg_path, log)))
  local pid = p:read("*l")
  p:close()
  assert(pid and pid:match("^%d+$"), "could not start a worker")
  return { pid = pid, result = c.result, log = log }
end

--- Kill a worker (by its pid) unless it is gone already.
function _M.kill(w)
  if running(w.pid) then os.execute("kill " .. w.pid .. " 2>/dev/null") end
end

--- Wait for every worker's outcome (bounded), then make sure each is gone.
-- @treturn table outcomes in worker order; a worker that left none gets
--   { failed = 1, errors = { its log } }
function _M.wait(workers)
  local outcomes = {}
  local deadline = core.now() + LIMIT + 5
  for i, w in ipairs(workers) do
    while not read(w.result) and running(w.pid) and core.now() < deadline do core.sleep(0.02) end
    local text = read(w.result)
    outcomes[i] = text and json.decode(text)
      or { ok = 0, failed = 1, errors = { "no outcome: " .. tostring(read(w.log)) }, expired = 0 }
  end
  for _, w in ipairs(workers) do
    for _ = 1, 250 do
      if not running(w.pid) then break end
      core.sleep(0.02)
    end
    _M.kill(w)
  end
  return outcomes
end

--- Sum a field over outcomes.
function _M.sum(outcomes, field)
  local n = 0
  for _, o in ipairs(outcomes) do n = n + (o[field] or 0) end
  return n
end

--- Every error message of every worker, for assertion messages.
function _M.errors(outcomes)
  local all = {}
  for i, o in ipairs(outcomes) do
    for _, e in ipairs(o.errors or {}) do all[#all + 1] = ("worker %d: %s"):format(i, e) end
    if o.stopped then all[#all + 1] = ("worker %d stopped: %s"):format(i, o.stopped) end
  end
  return table.concat(all, "\n")
end

--- Workers for one test at a time: register `before_each(pool.fresh)` and
-- `after_each(pool.clean)` (busted's hooks exist only in a spec file's own
-- environment). fresh makes a new directory, `pool.dir`; clean kills every
-- worker started in it and removes it.
-- @treturn table pool, whose `run(configs)` starts one worker per config and
--   returns their outcomes (see wait)
function _M.pool()
  local pool, started = {}, {}
  function pool.fresh() pool.dir, started = _M.tempdir(), {} end
  function pool.clean()
    for _, w in ipairs(started) do _M.kill(w) end
    os.execute("rm -rf " .. pool.dir)
  end
  function pool.run(configs)
    for i, cfg in ipairs(configs) do started[i] = _M.start(pool.dir, i, cfg) end
    return _M.wait(started)
  end
  return pool
end

return _M
