-- Injected faults (POST /__fake/fault): which request misbehaves, and how
-- (the "how" is misbehave.lua). See doc/INTERNALS.md for the whole contract.
--
-- Faults form one queue in registration order. Each request is offered to
-- them in that order; a fault whose filters match it (path: a Lua pattern on
-- the path without /index.php and the query; method; reused_only: only a
-- request that is not the first on its keep-alive connection) counts the
-- match, then decides whether it fires: not while `skip` matches are left,
-- then only every `every`-th match, with probability `p` (from the fault's
-- own generator, seeded by `seed`, else the config's seed, and its place in
-- the queue: the same faults on the same requests fire the same way), and
-- at most `count` times (default 1; <= 0: no limit). The first fault that
-- fires handles the request; one that matches but does not fire lets the
-- next one try ("first registered, first used"). A used-up fault stays in
-- the queue for its counters (GET /__fake/fault) and never fires again.
local json = require "mautic.fake.json"
local config = require "mautic.fake.config"

local _M = { list = {} }

-- action -> its own fields (and their types)
local ACTIONS = {
  delay = {},
  drop = {},
  status = { status = "number", body = "string", content_type = "string", headers = "table" },
  store_then_drop = {},
  store_then_500 = {},
  store_then_delay = {},
  empty_2xx = { status = "number" },
  garbage_status = { variant = "string", bytes = "number", raw = "string" },
  non_http = { raw = "string" },
  huge_body = { bytes = "number", chunked = "boolean", truncate = "boolean" },
  repeat_pages = { total = "number" },
  bad_list = { variant = "string" },
  token_garbage = { variant = "string" },
  echo_secret = { forms = "table", status = "number" },
  retry_after = { status = "number", retry_after = "number", retry_after_date = "boolean",
                  reset = "number", limit = "number", body = "string" },
}
_M.ACTIONS = ACTIONS

-- does the action let Mautic handle the request before it misbehaves? (`store`
-- changes that for the actions not listed in FIXED)
local STORES = {
  delay = true, drop = false, status = false, store_then_drop = true, store_then_500 = true,
  store_then_delay = true, empty_2xx = true, garbage_status = false, non_http = false,
  huge_body = false, repeat_pages = true, bad_list = true, token_garbage = false,
  echo_secret = false, retry_after = false,
}
local FIXED = { delay = true, drop = true, store_then_drop = true, store_then_500 = true,
                store_then_delay = true, repeat_pages = true, bad_list = true }

local COMMON = { path = "string", method = "string", action = "string", count = "number", skip = "number",
                 every = "number", p = "number", seed = "number", reused_only = "boolean", store = "boolean",
                 delay = "number", name = "string",
                 -- the shorthand of the first faults: { drop = true }, { status =, body = }
                 drop = "boolean" }

local VARIANTS = {
  garbage_status = { status_line = true, random = true },
  token_garbage = { html = true, no_token = true, crlf = true, truncated = true },
  bad_list = { repeated_key = true, negative_total = true, text_total = true },
}
local FORMS = { json = true, percent = true, form = true, base64 = true }

local MAX_DELAY = 600
local MAX_BYTES = 1024 * 1024 * 1024

-- the action a fault names, or the one its fields imply (the shorthand)
local function action_of(f)
  if f.action ~= nil then return f.action end
  if f.drop then return "drop" end
  if f.status ~= nil or f.body ~= nil then return "status" end
  return "delay"
end

local function whole(v, min) return v % 1 == 0 and v >= min end

-- nil when the fault is valid, else what is wrong with it
local function problem(f)
  if type(f) ~= "table" then return "a fault is a JSON object" end
  if next(f) == nil then return "an empty fault does nothing (give an action, status, drop or delay)" end
  local action = action_of(f)
  local own = ACTIONS[action]
  if not own then return "unknown action " .. tostring(action) end
  for k, v in pairs(f) do
    local want = COMMON[k] or own[k]
    if not want then return ("unknown field %s (action %s)"):format(tostring(k), action) end
    if type(v) ~= want then return ("%s must be a %s"):format(k, want) end
  end
  if f.drop ~= nil and action ~= "drop" then return "drop is the action drop" end
  if f.path and not pcall(string.find, "", f.path) then return ("bad path pattern %q"):format(f.path) end
  if f.p and not (f.p >= 0 and f.p <= 1) then return "p must be in [0, 1]" end
  if f.every and not whole(f.every, 1) then return "every must be a whole number >= 1" end
  if f.skip and not whole(f.skip, 0) then return "skip must be a whole number >= 0" end
  if f.count and f.count % 1 ~= 0 then return "count must be a whole number" end
  if f.store ~= nil and FIXED[action] then
    return ("%s always %s"):format(action, STORES[action] and "stores" or "stores nothing")
  end
  if f.variant and not VARIANTS[action][f.variant] then
    return ("unknown %s variant %s"):format(action, f.variant)
  end
  if f.delay and not (f.delay >= 0 and f.delay <= MAX_DELAY) then
    return ("delay must be in [0, %d]"):format(MAX_DELAY)
  end
  if f.bytes and not (whole(f.bytes, 0) and f.bytes <= MAX_BYTES) then
    return ("bytes must be a whole number in [0, %d]"):format(MAX_BYTES)
  end
  if action == "garbage_status" and f.bytes and f.bytes > 65536 then
    return "garbage_status sends at most 65536 random bytes"
  end
  if f.status and not (whole(f.status, 100) and f.status <= 599) then return "status must be an HTTP status" end
  for k, v in pairs(f.headers or {}) do
    if type(k) ~= "string" or type(v) ~= "string" or (k .. v):find("[\r\n]") then
      return "headers must map names to single-line strings"
    end
  end
  for _, form in ipairs(f.forms or {}) do
    if not FORMS[form] then return "unknown echo form " .. tostring(form) end
  end
end

---------------------------------------------------------------- generator

-- Park-Miller (minimal standard): exact in doubles, the same on every Lua
local M31 = 2147483647

local function seed_state(seed, place)
  local s = (math.floor(math.abs(tonumber(seed) or 1)) % M31 * 31 + place * 7919) % (M31 - 1) + 1
  for _ = 1, 8 do s = (s * 48271) % M31 end   -- small seeds start small: warm up
  return s
end

--- The fault's next number in [0, 1).
function _M.draw(f)
  f.rng = (f.rng * 48271) % M31
  return f.rng / M31
end

---------------------------------------------------------------- queue

--- Validate and add an array of faults (all or none); returns how many were
-- added, or nil and what is wrong with one of them.
function _M.add(list)
  local added = {}
  for i, f in ipairs(list) do
    local err = problem(f)
    if err then return nil, (#list > 1 and ("fault %d: "):format(i) or "") .. err end
    local fault = { matched = 0, fired = 0 }
    for k, v in pairs(f) do fault[k] = v end
    fault.action = action_of(f)
    fault.method = f.method and f.method:upper()
    fault.count = f.count or 1
    fault.skip = f.skip or 0
    added[i] = fault
  end
  for _, fault in ipairs(added) do
    _M.list[#_M.list + 1] = fault
    fault.rng = seed_state(fault.seed or config.get("seed"), #_M.list)
  end
  return #added
end

function _M.clear() _M.list = {} end

local function fires(f)
  f.matched = f.matched + 1
  local n = f.matched - f.skip
  if n < 1 then return false end
  if f.count > 0 and f.fired >= f.count then return false end
  if f.every and n % f.every ~= 0 then return false end
  if f.p and _M.draw(f) >= f.p then return false end
  return true
end

--- The fault that handles this request, or nil.
function _M.pick(method, path, reused)
  for _, f in ipairs(_M.list) do
    if (not f.method or f.method == method) and (not f.path or path:find(f.path))
       and (not f.reused_only or reused) and fires(f) then
      f.fired = f.fired + 1
      return f
    end
  end
end

--- Whether Mautic handles the request before the fault acts.
function _M.stores(f)
  if f.store ~= nil then return f.store end
  if f.action == "token_garbage" then return f.variant == "crlf" or f.variant == "truncated" end
  return STORES[f.action]
end

-- the fields a fault was given, and its counters
local SHOWN = { rng = true }
function _M.report()
  local out = json.A{}
  for i, f in ipairs(_M.list) do
    local o = json.obj()
    local keys = {}
    for k in pairs(f) do if not SHOWN[k] then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do o[k] = f[k] end
    out[i] = o
  end
  return out
end

return _M
