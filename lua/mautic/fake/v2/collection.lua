-- /api/v2 collections: 30 items a page, whatever the query says (itemsPerPage,
-- pagination, limit, search, where, order are ignored, §2.3); `page` must be
-- a positive integer (0, -1, abc: a 500). JSON-LD: totalItems, member and a
-- view; plain JSON: a bare array without total; JSON:API: links, meta, data.
local json = require "mautic.fake.json"
local items = require "mautic.fake.v2.items"

local O, A = json.O, json.A

local _M = { PER_PAGE = 30 }

-- the page asked for, or nil when it is not a positive integer
function _M.page(args)
  local p = args.page
  if p == nil then return 1 end
  if type(p) ~= "string" or not p:match("^%d+$") then return nil end
  p = tonumber(p)
  if p < 1 then return nil end
  return p
end

-- the query echoed in the links: without page, list indexes as [] (PHP's
-- where[0][col] comes back as where[][col])
local function echoed(query)
  local kept = {}
  for part in (query or ""):gmatch("[^&]+") do
    if not part:match("^page=") and not part:match("^page$") then
      kept[#kept + 1] = (part:gsub("%%5B%d+%%5D", "%%5B%%5D"):gsub("%[%d+%]", "[]"))
    end
  end
  return table.concat(kept, "&")
end

local function link(base, q, page)
  if q ~= "" then return base .. "?" .. q .. "&page=" .. page end
  return base .. "?page=" .. page
end

local function view(base, q, page, last)
  if last <= 1 then
    if q == "" then return nil end
    return O{ "@id", base .. "?" .. q, "@type", "PartialCollectionView" }
  end
  local v = O{ "@id", link(base, q, page), "@type", "PartialCollectionView",
               "first", link(base, q, 1), "last", link(base, q, last) }
  if page > 1 then v.previous = link(base, q, math.min(page - 1, last)) end
  if page < last then v.next = link(base, q, page + 1) end
  return v
end

local function slice(all, page)
  local out, first = {}, (page - 1) * _M.PER_PAGE + 1
  for i = first, math.min(#all, first + _M.PER_PAGE - 1) do out[#out + 1] = all[i] end
  return out
end

-- r: the resource, all: its values by id, fmt: "jsonld" | "json" | "jsonapi"
function _M.answer(r, all, page, query, fmt)
  local base = "/api/v2/" .. r.name
  local last = math.max(1, math.ceil(#all / _M.PER_PAGE))
  local q = echoed(query)
  local members = A{}
  if fmt == "jsonapi" then
    local included = A{}
    for _, v in ipairs(slice(all, page)) do members[#members + 1] = items.jsonapi_data(r, v, included) end
    local links = O{ "self", q ~= "" and base .. "?" .. q or base }    -- one page: self only (real 7.0)
    if last > 1 or page > 1 then
      links = O{ "self", link(base, q, page), "first", link(base, q, 1), "last", link(base, q, last) }
      if page > 1 then links.prev = link(base, q, math.min(page - 1, last)) end
      if page < last then links.next = link(base, q, page + 1) end
    end
    local o = O{ "links", links, "meta", O{ "totalItems", #all, "itemsPerPage", _M.PER_PAGE, "currentPage", page },
                 "data", members }
    if #included > 0 then o.included = included end
    return o
  end
  for _, v in ipairs(slice(all, page)) do
    members[#members + 1] = fmt == "json" and items.json(r, v) or items.jsonld(r, v, true)
  end
  if fmt == "json" then return members end
  local o = O{ "@context", "/api/v2/contexts/" .. r.type, "@id", base, "@type", "Collection",
               "totalItems", #all, "member", members }
  local v = view(base, q, page, last)
  if v then o.view = v end
  return o
end

return _M
