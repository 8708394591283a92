--- Dashboard widget data: /api/data.
local type, pairs = type, pairs

local TIME_UNITS = { Y = true, m = true, W = true, d = true, H = true }

local function check_widget_query(spec, data)
  if type(data) ~= "table" then return true end
  if data.timeUnit ~= nil and not TIME_UNITS[data.timeUnit] then
    return nil, "timeUnit: one of Y, m, W, d, H expected, got " .. tostring(data.timeUnit)
  end
  for _, k in pairs{ "dateFrom", "dateTo", "timezone", "dataFormat" } do
    if data[k] ~= nil and type(data[k]) ~= "string" then
      return nil, k .. ": string expected, got " .. type(data[k])
    end
  end
  if data.filter ~= nil and type(data.filter) ~= "table" then
    return nil, "filter: table expected ({ campaignId =, companyId =, segmentId = })"
  end
  if data.dataset ~= nil and type(data.dataset) ~= "table" then
    return nil, "dataset: array expected ({ 'sent', 'opened', ... })"
  end
  return true
end

return {
  name = "data", path = "/data", crud = false,
  verbs = {
    { "types", "GET", "/data", result = "types",
      doc = "Widget types, grouped: { ['Contact Widgets'] = { ['created.leads.in.time'] = 'Created contacts in time', ... } }.",
      example = 'for group, widgets in pairs(api.data.types()) do print(group) end' },
    { "get", "GET", "/data/{type}", data = "query", types = { type = "name" },
      data_shape = check_widget_query, result = "data",
      doc = "One widget's data. Query: dateFrom, dateTo ('YYYY-mm-dd'), timeUnit (Y m W d H), timezone, " ..
        "filter = { campaignId =, companyId =, segmentId = }, dataset = { 'sent', 'opened', ... }, " ..
        "dataFormat = 'raw', limit, offset.",
      example = 'api.data.get("emails.in.time", { dateFrom = "2024-01-01", dateTo = "2024-12-31", timeUnit = "m",\n' ..
        '  filter = { segmentId = 3 }, dataset = { "sent", "opened" }, dataFormat = "raw" })' },
  },
}
