--- Reports: /api/reports (read-only).
return {
  name = "reports", path = "/reports", item = "report", list = "reports", crud = false,
  verbs = {
    { "list", "GET", "/reports", data = "query", result = "list",
      doc = "Reports the user can see: { total =, items = } (search, start, limit).",
      example = "local page = api.reports.list{ limit = 20 }" },
    { "get", "GET", "/reports/{id}", data = "query",
      doc = "Run a report: { totalResults, data = rows, dataColumns, limit, page, dateFrom, dateTo, report... }. " ..
        "Query: limit, page, dateFrom, dateTo.",
      example = 'local r = api.reports.get(4, { limit = 100, page = 1, dateFrom = "2024-01-01", dateTo = "2024-12-31" })' },
  },
}
