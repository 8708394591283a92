-- Devices Mautic records from a user agent (a contact's UTM tags, tracked page
-- hits): one device per contact and user agent, classified the way its device
-- detector does for the common agents (smartphone, tablet, desktop); an agent it
-- does not know gives a device with empty strings and no OS, as recorded.
local json = require "mautic.fake.json"
local store = require "mautic.fake.store"

local null = json.null
local O = json.O

local _M = {}

local OSES = {
  { "iPhone OS ([%d_]+)", "iOS", "IOS" }, { "CPU OS ([%d_]+)", "iOS", "IOS" },
  { "Android ([%d%.]+)", "Android", "AND" }, { "Windows NT ([%d%.]+)", "Windows", "WIN" },
  { "Mac OS X ([%d_%.]+)", "Mac", "MAC" }, { "Linux", "GNU/Linux", "LIN" },
}

-- -> device, brand, model, os name, os short name, os version (nil: unknown agent)
function _M.detect(ua)
  if type(ua) ~= "string" or ua == "" then return nil end
  local device, brand, model
  if ua:find("iPhone", 1, true) or ua:find("iPod", 1, true) then
    device, brand, model = "smartphone", "Apple", ua:find("iPod", 1, true) and "iPod Touch" or "iPhone"
  elseif ua:find("iPad", 1, true) then
    device, brand, model = "tablet", "Apple", "iPad"
  elseif ua:find("Android", 1, true) then
    device = ua:find("Mobile", 1, true) and "smartphone" or "tablet"
    brand, model = "", ""
  elseif ua:find("Windows Phone", 1, true) then
    device, brand, model = "smartphone", "", ""
  elseif ua:find("Macintosh", 1, true) then
    device, brand, model = "desktop", "Apple", ""
  elseif ua:find("Windows NT", 1, true) or ua:find("X11", 1, true) or ua:find("Linux", 1, true) then
    device, brand, model = "desktop", "", ""
  else
    return nil
  end
  local os_name, os_short, os_version = null, null, null
  for _, o in ipairs(OSES) do
    local v = ua:match(o[1])
    if v or ua:find(o[1], 1, true) then
      os_name, os_short = o[2], o[3]
      os_version = v and (v:gsub("_", ".")) or ""
      break
    end
  end
  return device, brand, model, os_name, os_short, os_version
end

-- the device of this contact and user agent, created when new -> device row
function _M.track(contact_id, ua)
  if type(ua) ~= "string" or ua == "" then return nil end
  local seen = store.extra("device_agents")
  for id, agent in pairs(seen) do
    local d = store.get("devices", id)
    if d and agent == ua and type(d.lead) == "table" and d.lead.id == contact_id then return d end
  end
  local device, brand, model, os_name, os_short, os_version = _M.detect(ua)
  local id = store.next_id("devices")
  local row
  if device then
    row = O{ "id", id, "lead", O{ "id", contact_id }, "clientInfo", O{ "type", "browser" }, "device", device,
             "deviceBrand", brand, "deviceModel", model, "deviceOsName", os_name, "deviceOsShortName", os_short,
             "deviceOsVersion", os_version, "deviceOsPlatform", "" }
  else
    row = O{ "id", id, "lead", O{ "id", contact_id }, "clientInfo", null, "device", "", "deviceBrand", "",
             "deviceModel", "", "deviceOsName", null, "deviceOsShortName", null, "deviceOsVersion", null,
             "deviceOsPlatform", null }
  end
  store.put("devices", id, row)
  seen[id] = ua
  return row
end

return _M
