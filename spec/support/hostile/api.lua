-- luacheck: globals ngx
--- The part of Mautic 5 that the hostile server emulates: contacts (single,
-- batch, list, points), notes and the OAuth2 token endpoint, with Basic or
-- bearer authentication. Handlers return a response table and never write:
--   { status =, json = <value for support.hostile.json> | body = "<raw>",
--     version = true (send Mautic-Version), headers = {}, content_type = }
-- so that a fault rule can store first and answer (or not) afterwards.
local json = require "support.hostile.json"
local store = require "support.hostile.store"

local _M = {}
local O, A, null = json.O, json.A, json.null

-- ---------------------------------------------------------------- answers

function _M.ok(value, status, headers)
  return { status = status or 200, json = value, version = true, headers = headers }
end

-- controller error: code first, details, with Mautic-Version
function _M.error(status, message, details)
  return { status = status, version = true,
           json = O{ "errors", A{ O{ "code", status, "message", message, "details", details or A{} } } } }
end

-- firewall, router and uncaught errors: message first, type, no Mautic-Version
function _M.plain(status, message, typ)
  return { status = status, version = false,
           json = O{ "errors", A{ O{ "message", message, "code", status, "type", typ or null } } } }
end

function _M.uncaught(status)
  status = status or 500
  return _M.plain(status, "Looks like I encountered an error (error #" .. status ..
    "). If I do it again, please report me to the system administrator!")
end

local function not_found(message) return _M.error(404, message or "Item was not found.") end

local function route_404(req)
  local p = req.path
  if req.query and req.query ~= "" then p = p .. "?" .. req.query end
  return _M.plain(404, "Requested URL not found: " .. p)
end

--- Write an answer (Content-Length always set) and end the request.
function _M.send(res)
  local body = res.body
  if body == nil then body = res.json ~= nil and json.encode(res.json) or "" end
  ngx.status = res.status
  ngx.header["Content-Type"] = res.content_type or "application/json"
  if res.version then ngx.header["Mautic-Version"] = store.config.version end
  for k, v in pairs(res.headers or {}) do ngx.header[k] = v end
  ngx.header["Content-Length"] = #body
  ngx.send_headers()
  if body ~= "" and ngx.req.get_method() ~= "HEAD" then ngx.print(body) end
  return ngx.exit(ngx.OK)
end

-- ---------------------------------------------------------------- request

local function first(v)
  if type(v) == "table" then return v[1] end
  return v
end
_M.first = first

--- The request body, wherever nginx kept it (the body must have been read).
function _M.body_text()
  local body = ngx.req.get_body_data()
  if not body then
    local file = ngx.req.get_body_file()
    if file then
      local f = io.open(file, "rb")
      if f then body = f:read("*a") f:close() end
    end
  end
  return body
end

--- The request as the handlers see it (the body must have been read).
function _M.request(method, path)
  local body = _M.body_text()
  return {
    method = method, path = path, query = ngx.var.args,
    args = ngx.req.get_uri_args(200), headers = ngx.req.get_headers(100),
    body = body or "",
  }
end

local function is_json(req)
  local ct = first(req.headers["content-type"]) or ""
  return ct:find("json", 1, true) or req.body:match("^%s*[%[{]")
end

--- Body parameters: a JSON object/array or a form; nil, answer when unreadable.
function _M.params(req)
  if req.body == "" then return {} end
  if is_json(req) then
    local v = json.decode(req.body)
    if type(v) ~= "table" then return nil, _M.uncaught(400) end
    return v
  end
  return ngx.decode_args(req.body, 200)
end

local function now_text()
  return os.date("!%Y-%m-%dT%H:%M:%S+00:00", ngx.time() + (store.config.clock_offset or 0))
end

-- ---------------------------------------------------------------- auth

local function reject(reason, message, typ)
  store.bump(store.counters.rejected, reason)
  return _M.plain(401, message, typ)
end

--- nil when the request may use the API, else a 401 answer.
function _M.authenticate(req)
  if not store.config.auth then return nil end
  local h = first(req.headers["authorization"])
  if h then
    local basic = h:match("^[Bb]asic%s+(%S+)")
    if basic then
      local decoded = ngx.decode_base64(basic) or ""
      local user, pass = decoded:match("^([^:]*):(.*)$")
      if user == store.config.username and pass == store.config.password then return nil end
      return reject("denied", "Authorization denied, invalid credentials.", "access_denied")
    end
  end
  local token = h and h:match("^[Bb]earer%s+(%S+)") or first(req.args.access_token)
  if token then
    local rec = store.access[token]
    if not rec then
      return reject("invalid", "The access token provided is invalid.", "invalid_grant")
    end
    if ngx.now() >= rec.expires_at then
      return reject("expired", "The access token provided has expired.", "invalid_grant")
    end
    return nil
  end
  return reject("denied", "API authorization denied.", "access_denied")
end

-- ---------------------------------------------------------------- contacts

local NOT_FIELDS = { ipAddress = true, lastActive = true, owner = true, overwriteWithBlank = true,
                     tags = true, doNotContact = true, frequencyRules = true, stage = true,
                     utmtags = true, id = true }

local function valid_email(e)
  return type(e) == "string" and e:match("^[^@%s]+@[^@%s]+%.[^@%s]+$") ~= nil
end

-- the fields of a create or edit body; nil, answer-or-error-table when invalid
local function contact_fields(body)
  local fields = {}
  for k, v in pairs(body) do
    if type(k) == "string" and not NOT_FIELDS[k] and type(v) ~= "table" then fields[k] = v end
  end
  local email = fields.email
  if email ~= nil and email ~= null and email ~= "" and not valid_email(email) then
    local msg = tostring(email) .. " is invalid."
    return nil, O{ "code", 400, "message", "email: " .. msg, "details", O{ "email", A{ msg } } }
  end
  if email == "" or email == null then fields.email = nil end
  return fields
end

local function email_key(e) return type(e) == "string" and e:lower() or nil end

local function contact_json(c, id)
  local names = {}
  for k in pairs(c.fields) do names[#names + 1] = k end
  table.sort(names)
  local all, core = { "id", c.id }, {}
  for _, k in ipairs(names) do
    local v = c.fields[k]
    all[#all + 1] = k
    all[#all + 1] = v
    core[#core + 1] = k
    core[#core + 1] = O{ "alias", k, "label", k, "type", k == "email" and "email" or "text",
                         "group", "core", "value", v, "normalizedValue", v }
  end
  all[#all + 1] = "points"
  all[#all + 1] = c.points
  return O{
    "isPublished", true, "dateAdded", c.date_added, "dateModified", c.date_modified or null,
    "createdBy", 1, "createdByUser", "Api Admin", "modifiedBy", null, "modifiedByUser", null,
    "id", id == nil and c.id or id, "points", c.points, "color", null,
    "fields", O{ "core", O(core), "social", A{}, "personal", A{}, "professional", A{}, "all", O(all) },
    "lastActive", null, "owner", null, "ipAddresses", A{}, "tags", A{}, "utmtags", A{},
    "stage", null, "dateIdentified", c.fields.email and c.date_added or null,
    "preferredProfileImage", "gravatar", "doNotContact", A{}, "frequencyRules", A{},
  }
end

local function index_email(c, old)
  local ok = email_key(old)
  if ok and store.by_email[ok] == c.id then store.by_email[ok] = nil end
  local nk = email_key(c.fields.email)
  if nk then store.by_email[nk] = c.id end
end

local function new_contact(fields)
  local id = store.next_contact
  store.next_contact = id + 1
  local c = { id = id, fields = fields, points = 0, date_added = now_text() }
  store.contacts[id] = c
  index_email(c)
  return c
end

local function merge_into(c, fields)
  local old = c.fields.email
  for k, v in pairs(fields) do
    if v ~= "" and v ~= null then c.fields[k] = v end   -- overwriteWithBlank off
  end
  c.date_modified = now_text()
  index_email(c, old)
end

-- create or merge one contact: contact, status (201 new, 200 merged)
local function upsert(fields)
  if store.config.merge_contacts then
    local id = store.by_email[email_key(fields.email) or ""]
    local c = id and store.contacts[id]
    if c then
      merge_into(c, fields)
      return c, 200
    end
  end
  return new_contact(fields), 201
end

local function arrival_key(body)
  local e = type(body) == "table" and body.email
  return "contacts:" .. (type(e) == "string" and e:lower() or "")
end

local function create_contact(req)
  local body, bad = _M.params(req)
  store.arrive(arrival_key(body))
  if not body then return bad end
  local fields, err = contact_fields(body)
  if not fields then return { status = 400, version = true, json = O{ "errors", A{ err } } } end
  local c, status = upsert(fields)
  local headers = status == 201 and { Location = "/api/contacts/" .. c.id } or nil
  return _M.ok(O{ "contact", contact_json(c) }, status, headers)
end

local function batch_create(req)
  if not req.body:match("^%s*%[") then
    if req.body:match("^%s*{") then return _M.uncaught(500) end
    return _M.uncaught(400)
  end
  local rows = json.decode(req.body)
  if type(rows) ~= "table" then return _M.uncaught(400) end
  local limit = store.config.batch_limit
  if #rows > limit then
    return _M.error(500, "A max of " .. limit .. " entities are supported at a time.")
  end
  store.arrive("batch:contacts")
  local ok_rows, codes, errors = {}, {}, {}
  for i, row in ipairs(rows) do
    store.arrive(arrival_key(row))
    local fields, err
    if type(row) ~= "table" or next(row) == nil then
      err = O{ "code", 400, "message", "A contact needs at least one field.", "details", A{}, "type", null }
    else
      fields, err = contact_fields(row)
      if not fields then
        err = O{ "code", 400, "message", err.kv[4], "details", err.kv[6], "type", null }
      end
    end
    if fields then
      local c, status = upsert(fields)
      ok_rows[i] = contact_json(c)
      codes[i] = status
    else
      codes[i] = 400
      errors[i] = err
    end
  end
  local contacts
  if next(errors) then
    local kv, ekv = {}, {}
    for i = 1, #rows do
      if ok_rows[i] then kv[#kv + 1] = tostring(i - 1); kv[#kv + 1] = ok_rows[i] end
      if errors[i] then ekv[#ekv + 1] = tostring(i - 1); ekv[#ekv + 1] = errors[i] end
    end
    return _M.ok(O{ "contacts", O(kv), "statusCodes", A(codes), "errors", O(ekv) }, 201)
  end
  contacts = A{}
  for i = 1, #rows do contacts[i] = ok_rows[i] end
  return _M.ok(O{ "contacts", contacts, "statusCodes", A(codes) }, 201)
end

local function get_contact(_, id)
  local c = store.contacts[tonumber(id)]
  if not c then return not_found() end
  return _M.ok(O{ "contact", contact_json(c) })
end

local function edit_contact(req, id)
  store.arrive("edit:" .. id)
  local c = store.contacts[tonumber(id)]
  if not c then return not_found() end
  local body, bad = _M.params(req)
  if not body then return bad end
  local fields, err = contact_fields(body)
  if not fields then return { status = 400, version = true, json = O{ "errors", A{ err } } } end
  merge_into(c, fields)
  return _M.ok(O{ "contact", contact_json(c) })
end

local function put_contact(req, id)
  store.arrive("edit:" .. id)
  local body, bad = _M.params(req)
  if not body then return bad end
  local fields, err = contact_fields(body)
  if not fields then return { status = 400, version = true, json = O{ "errors", A{ err } } } end
  local c = store.contacts[tonumber(id)]
  if not c then
    c = new_contact(fields)   -- the next id, not the one asked for (as Mautic does)
    return _M.ok(O{ "contact", contact_json(c) }, 201, { Location = "/api/contacts/" .. c.id })
  end
  local old = c.fields.email
  c.fields = fields
  c.date_modified = now_text()
  index_email(c, old)
  return _M.ok(O{ "contact", contact_json(c) })
end

local function remove_contact(id)
  local c = store.contacts[id]
  if not c then return nil end
  store.contacts[id] = nil
  local k = email_key(c.fields.email)
  if k and store.by_email[k] == id then store.by_email[k] = nil end
  return c
end

local function delete_contact(_, id)
  store.arrive("delete:" .. id)
  local c = remove_contact(tonumber(id))
  if not c then return not_found() end
  return _M.ok(O{ "contact", contact_json(c, null) })
end

local function batch_delete(req)
  local ids = req.args.ids or req.args["ids[]"]
  local list = {}
  if type(ids) == "table" then
    for _, v in ipairs(ids) do list[#list + 1] = v end
  elseif type(ids) == "string" then
    for v in ids:gmatch("[^,]+") do list[#list + 1] = v end
  end
  local out = A{}
  for _, v in ipairs(list) do
    local id = tonumber(v)
    if id then
      store.arrive("delete:" .. id)
      local c = remove_contact(id)
      if c then out[#out + 1] = contact_json(c) end
    end
  end
  return _M.ok(O{ "contacts", out })
end

local ORDER = { id = true, email = true, firstname = true, lastname = true, points = true }

local function sort_value(c, col)
  if col == "id" then return c.id end
  if col == "points" then return c.points end
  local v = c.fields[col]
  return type(v) == "string" and v:lower() or nil
end

local function matches(c, search)
  if not search or search == "" then return true end
  local ids = search:match("^ids:(.+)$")
  if ids then
    for v in ids:gmatch("[^,]+") do if tonumber(v) == c.id then return true end end
    return false
  end
  local col, val = search:match("^(%w+):(.+)$")
  if not col then col, val = "email", "%" .. search .. "%" end
  local v = c.fields[col]
  if type(v) ~= "string" then return false end
  -- "%" is Mautic's wildcard
  local parts = {}
  for piece in (val:lower() .. "%"):gmatch("([^%%]*)%%") do
    parts[#parts + 1] = (piece:gsub("[%^%$%(%)%.%[%]%*%+%-%?]", "%%%0"))
  end
  return v:lower():find("^" .. table.concat(parts, ".*") .. "$") ~= nil
end

local function list_contacts(req)
  local args = req.args
  local start = math.max(0, math.floor(tonumber(first(args.start)) or 0))
  local limit = math.floor(tonumber(first(args.limit)) or 30)
  local col = first(args.orderBy) or "id"
  if not ORDER[col] then return _M.uncaught(500) end
  local desc = (first(args.orderByDir) or "ASC"):upper() == "DESC"
  local rows = {}
  for _, c in pairs(store.contacts) do
    if matches(c, first(args.search)) then rows[#rows + 1] = c end
  end
  table.sort(rows, function(a, b)
    local x, y = sort_value(a, col), sort_value(b, col)
    if x == y then return a.id < b.id end
    if x == nil then return false end        -- nulls last
    if y == nil then return true end
    if desc then return x > y end
    return x < y
  end)
  local total = #rows
  local repeat_rule = req.fault and req.fault.action == "repeat_pages" and req.fault
  if repeat_rule then start = 0 end
  local kv = {}
  local stop = limit <= 0 and total or math.min(total, start + limit)
  for i = start + 1, stop do
    kv[#kv + 1] = tostring(rows[i].id)
    kv[#kv + 1] = contact_json(rows[i])
  end
  if repeat_rule then
    total = repeat_rule.total or math.max(total, #kv / 2 + 1000)
  end
  return _M.ok(O{ "total", tostring(math.floor(total)), "contacts", O(kv) })
end

local OPS = {
  plus = function(a, b) return a + b end,
  minus = function(a, b) return a - b end,
  times = function(a, b) return a * b end,
  divide = function(a, b) return b ~= 0 and math.floor(a / b) or a end,
}

local function points(req, id, op, delta)
  store.arrive("points:" .. id)
  local c = store.contacts[tonumber(id)]
  if not c then return not_found("Contact not found.") end
  if not OPS[op] then return _M.error(400, "The requested operation is not permitted.") end
  local n = tonumber(delta)
  if not n then return _M.uncaught(500) end
  local _, bad = _M.params(req)      -- an optional JSON body (eventName, actionName)
  if bad then return bad end
  c.points = OPS[op](c.points, n)
  return _M.ok(O{ "success", 1 })
end

-- ---------------------------------------------------------------- notes

local function note_json(n)
  return O{ "id", n.id, "text", n.text, "type", n.type, "dateTime", n.date,
            "lead", n.lead and O{ "id", n.lead } or null }
end

local function create_note(req)
  local body, bad = _M.params(req)
  local text = type(body) == "table" and body.text
  store.arrive("notes:" .. (type(text) == "string" and text or ""))
  if not body then return bad end
  if type(text) ~= "string" or text == "" then
    local msg = "A value is required."
    return { status = 400, version = true,
             json = O{ "errors", A{ O{ "code", 400, "message", "text: " .. msg,
                                        "details", O{ "text", A{ msg } } } } } }
  end
  local id = store.next_note
  store.next_note = id + 1
  local n = { id = id, text = text, lead = tonumber(body.lead), date = now_text(),
              type = type(body.type) == "string" and body.type or "general" }
  store.notes[id] = n
  return _M.ok(O{ "note", note_json(n) }, 201, { Location = "/api/notes/" .. id })
end

-- The stock contact fields of a fresh Mautic 5.1 (alias, type): what the
-- client reads before it writes a contact (its field checks).
local STOCK_FIELDS = {
  { "title", "lookup" }, { "firstname", "text" }, { "lastname", "text" }, { "company", "text" },
  { "position", "text" }, { "email", "email" }, { "mobile", "tel" }, { "phone", "tel" }, { "points", "number" },
  { "fax", "tel" }, { "address1", "text" }, { "address2", "text" }, { "city", "text" }, { "state", "region" },
  { "zipcode", "text" }, { "country", "country" }, { "preferred_locale", "locale" }, { "timezone", "timezone" },
  { "last_active", "datetime" }, { "attribution_date", "datetime" }, { "attribution", "number" },
  { "website", "url" }, { "facebook", "text" }, { "foursquare", "text" }, { "instagram", "text" },
  { "linkedin", "text" }, { "skype", "text" }, { "twitter", "text" },
}

local function list_fields()
  local kv = {}
  for i, f in ipairs(STOCK_FIELDS) do
    local props = f[1] == "attribution" and O{ "roundmode", 4, "scale", 2 } or A{}
    kv[#kv + 1] = tostring(i)
    kv[#kv + 1] = O{ "isPublished", true, "id", i, "label", f[1], "alias", f[1], "type", f[2],
                     "group", "core", "order", i, "object", "lead", "properties", props }
  end
  return _M.ok(O{ "total", #STOCK_FIELDS, "fields", O(kv) })
end

local function get_note(_, id)
  local n = store.notes[tonumber(id)]
  if not n then return not_found() end
  return _M.ok(O{ "note", note_json(n) })
end

-- ---------------------------------------------------------------- tokens

local function token_error(typ, message)
  return { status = 400, version = false, headers = { ["Cache-Control"] = "no-store" },
           json = O{ "errors", A{ O{ "message", message, "code", 400, "type", typ } } } }
end

local function random_token(prefix)
  local hex = {}
  for i = 1, 16 do hex[i] = string.format("%02x", math.random(0, 255)) end
  return prefix .. store.serial() .. "x" .. table.concat(hex)
end

--- Issue an access token (and a refresh token when with_refresh).
function _M.issue(with_refresh)
  local cfg = store.config
  local access = random_token("hat")
  store.access[access] = { expires_at = ngx.now() + cfg.token_ttl }
  local refresh
  if with_refresh then
    refresh = random_token("hrt")
    store.refresh[refresh] = { expires_at = ngx.now() + cfg.refresh_ttl }
  end
  store.counters.tokens.issued = store.counters.tokens.issued + 1
  local expires_in = cfg.expires_in or cfg.token_ttl
  return { access_token = access, refresh_token = refresh, expires_in = math.floor(expires_in) }
end

function _M.token_json(t)
  local kv = { "access_token", t.access_token, "expires_in", t.expires_in, "token_type", "bearer",
               "scope", null }
  if t.refresh_token then
    kv[#kv + 1] = "refresh_token"
    kv[#kv + 1] = t.refresh_token
  end
  return O(kv)
end

local function token(req)
  local p = {}
  for k, v in pairs(req.args) do p[k] = first(v) end
  if req.method == "POST" then
    local body = _M.params(req)
    if type(body) == "table" then
      for k, v in pairs(body) do p[k] = first(v) end
    end
  end
  local id, secret = p.client_id, p.client_secret
  local h = first(req.headers["authorization"])
  local basic = h and h:match("^[Bb]asic%s+(%S+)")
  if basic then
    local u, s = (ngx.decode_base64(basic) or ""):match("^([^:]*):(.*)$")
    id, secret = id or u, secret or s
  end
  local cfg = store.config
  local tokens = store.counters.tokens
  if not p.grant_type then
    tokens.refused = tokens.refused + 1
    return token_error("invalid_request", "Invalid grant_type parameter or parameter missing")
  end
  if id ~= cfg.client_id or secret ~= cfg.client_secret then
    tokens.refused = tokens.refused + 1
    return token_error("invalid_client", "The client credentials are invalid")
  end
  local t
  if p.grant_type == "client_credentials" then
    t = _M.issue(cfg.client_credentials_refresh)
  elseif p.grant_type == "refresh_token" then
    local rec = p.refresh_token and store.refresh[p.refresh_token]
    if not rec or rec.used then
      tokens.refused = tokens.refused + 1
      return token_error("invalid_grant", "Invalid refresh token")
    end
    if ngx.now() >= rec.expires_at then
      tokens.refused = tokens.refused + 1
      return token_error("invalid_grant", "Refresh token has expired")
    end
    rec.used = true                 -- refresh tokens rotate: this one is dead now
    tokens.refreshed = tokens.refreshed + 1
    t = _M.issue(true)
  else
    tokens.refused = tokens.refused + 1
    return token_error("unauthorized_client", "The grant type is unauthorized for this client_id")
  end
  return { status = 200, version = false, json = _M.token_json(t), tokens = t,
           headers = { ["Cache-Control"] = "no-store", Pragma = "no-cache" } }
end

-- ---------------------------------------------------------------- routing

-- { methods, pattern, name, handler, needs_auth }
local ROUTES = {
  { "POST", "^/api/contacts/new$", "contacts.create", create_contact },
  { "POST", "^/api/contacts/batch/new$", "contacts.batch_create", batch_create },
  { "DELETE", "^/api/contacts/batch/delete$", "contacts.batch_delete", batch_delete },
  { "GET", "^/api/contacts$", "contacts.list", list_contacts },
  { "GET", "^/api/contacts/(%d+)$", "contacts.get", get_contact },
  { "PATCH", "^/api/contacts/(%d+)/edit$", "contacts.edit", edit_contact },
  { "PUT", "^/api/contacts/(%d+)/edit$", "contacts.put", put_contact },
  { "DELETE", "^/api/contacts/(%d+)/delete$", "contacts.delete", delete_contact },
  { "POST", "^/api/contacts/(%d+)/points/(%a+)/([^/]+)$", "contacts.points", points },
  { "POST", "^/api/notes/new$", "notes.create", create_note },
  { "GET", "^/api/fields/contact$", "fields.contact", list_fields },
  { "GET", "^/api/notes/(%d+)$", "notes.get", get_note },
  { "POST GET", "^/oauth/v2/token$", "token", token, false },
}
for _, r in ipairs(ROUTES) do
  local set = {}
  for m in r[1]:gmatch("%u+") do set[m] = true end
  r[1] = set
end

local UNKNOWN = { {}, "", "unknown", route_404, false }

--- The route of a request: the route row (its name is row[3]) and the
-- path's captures; a wrong method is a route 404, as in Mautic.
function _M.route(method, path)
  for _, r in ipairs(ROUTES) do
    if r[1][method] or (method == "HEAD" and r[1].GET) then
      local caps = { path:match(r[2]) }
      if caps[1] then
        if not r[2]:find("(", 1, true) then caps = {} end
        return r, caps
      end
    end
  end
  return UNKNOWN, {}
end

--- Run a routed request: authentication, then the handler.
function _M.run(route, caps, req)
  if route[5] ~= false then
    local denied = _M.authenticate(req)
    if denied then return denied end
  end
  local unpack = table.unpack or unpack   -- luacheck: ignore
  return route[4](req, unpack(caps))
end

return _M
