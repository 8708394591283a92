--- Raw statistics tables: /api/stats.
local util = require "mautic.api._util"
local list = require "mautic.list"
local errors = require "mautic.errors"

local type = type

-- An unknown table is not an error for Mautic: it answers 200 with the list
-- of available tables and no rows. Say so instead of returning an empty page.
local function rows_result(body, meta)
  if type(body) == "table" and body.stats == nil and body.availableTables ~= nil then
    return nil, errors.new{
      kind = "http", status = 404, code = 404,
      message = "unknown stats table (see api.stats.tables())",
      details = { availableTables = body.availableTables },
    }
  end
  return list.normalize(body, meta.body, "stats")
end

return {
  name = "stats", path = "/stats", crud = false,
  verbs = {
    { "tables", "GET", "/stats", result = "availableTables",
      doc = "Names of the tables the stats endpoint can read (an array of strings).",
      example = "for _, t in ipairs(api.stats.tables()) do print(t) end" },
    { "rows", "GET", "/stats/{table}", data = "query", types = { table = "name" },
      data_shape = util.check_query, result = rows_result,
      doc = "Rows of a stats table: { total =, items = } with every value a string. Query: start, limit, " ..
        "order = W.order{...}, where = { W.gt('id', 3), ... } (see mautic.where). An unknown table gives " ..
        "nil, err with status 404 (Mautic itself answers 200 with the list of tables).",
      example = 'local W = require "mautic.where"\n' ..
        'local page = api.stats.rows("email_stats", { start = 0, limit = 50,\n' ..
        '  order = W.order{ { col = "id", dir = "desc" } }, where = { W.eq("lead_id", 5) } })' },
  },
}
