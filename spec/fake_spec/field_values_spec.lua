-- Contact and company field values as real Mautic stores them, per field type: the
-- fake against what Mautic 5.1.0 and 7.0.0 did with the same requests (measured on
-- both servers, doc/FIELD_VALUES.md). Each row: the field type, the value sent, then
-- what a GET reads back after a create, after a PATCH and after a PUT of a record that
-- held the type's PRIOR value (E"message": a 400 with that message for the field,
-- E500: the request fails); `answer`: "all" in the create's own answer where it is not
-- what a GET reads. Driven over HTTP with curl, like server_spec.lua.
local S = require "spec.fake_spec.support"
local json = S.json
local null, O, A = json.null, json.O, json.A

local function rep(c, n) return string.rep(c, n) end
local function E(message) return { err = message } end
local E500 = { err = 500 }
-- "2024" alone is a time (20:24) of today, the server's UTC day: stored as
-- today's date (the same day at the fake as here, but for a run across midnight)
local TODAY = os.date("!%Y-%m-%d")
local NONE = { none = true }      -- a batch row that made no entity

-- the custom fields of each type, made on both objects (p<type> on contacts,
-- c<type> on companies; the company lookup field is left out: made with its list as
-- "x|y|z" it is a 500)
local TYPES = {
  { "bool", "boolean", O{ "no", "No", "yes", "Yes" } },
  { "num", "number", O{} },
  { "date", "date", O{} },
  { "datetime", "datetime", O{} },
  { "time", "time", O{} },
  { "select", "select", O{ "list", A{ O{ "label", "Alpha", "value", "a" }, O{ "label", "Beta", "value", "b" } } } },
  { "multi", "multiselect", O{ "list", A{ O{ "label", "Alpha", "value", "a" }, O{ "label", "Beta", "value", "b" },
                                          O{ "label", "Gamma", "value", "c" } } } },
  { "url", "url", O{} },
  { "email", "email", O{} },
  { "lookup", "lookup", O{ "list", "x|y|z" } },
  { "country", "country", O{} },
  { "region", "region", O{} },
  { "locale", "locale", O{} },
  { "tz", "timezone", O{} },
  { "tel", "tel", O{} },
  { "text", "text", O{} },
  { "textarea", "textarea", O{} },
  { "html", "html", O{} },
  { "num2", "number", O{ "scale", 2, "roundmode", 4 } },
  { "selnum", "select", O{ "list", A{ O{ "label", "One", "value", "1" }, O{ "label", "Two", "value", "2" },
                                     O{ "label", "Ten", "value", "10" } } } },
}

-- the value each edit starts from
local PRIOR = { bool = 1, num = 42, num2 = 1.25, date = "2020-02-02", datetime = "2020-02-02 02:02:00",
                time = "02:02:00", select = "b", selnum = "2", multi = "c", url = "https://prior.example",
                email = "prior@example.com", lookup = "y", country = "Germany", region = "California",
                locale = "de", tz = "Europe/Berlin", tel = "123", text = "prior", textarea = "prior",
                html = "<p>prior</p>" }

local CONTACT_CASES = {
  { "bool", true, create = 1, patch = 1, put = 1, answer = true },
  { "bool", false, create = 0, patch = 0, put = 0, answer = false },
  { "bool", 1, create = 1, patch = 1, put = 1, answer = true },
  { "bool", 0, create = 0, patch = 0, put = 0, answer = false },
  { "bool", "1", create = 1, patch = 1, put = 1, answer = true },
  { "bool", "0", create = 0, patch = 0, put = 0, answer = false },
  { "bool", "yes", create = 1, patch = 1, put = 1, answer = true },
  { "bool", "no", create = 0, patch = 0, put = 0, answer = false },
  { "bool", "true", create = 1, patch = 1, put = 1, answer = true },
  { "bool", "false", create = 0, patch = 0, put = 0, answer = false },
  { "bool", "Yes", create = 1, patch = 1, put = 1, answer = true },
  { "bool", "No", create = 0, patch = 0, put = 0, answer = false },
  { "bool", "on", create = 1, patch = 1, put = 1, answer = true },
  { "bool", "off", create = 0, patch = 0, put = 0, answer = false },
  { "bool", "abc", create = 0, patch = 0, put = 0, answer = false },
  { "bool", 2, create = 0, patch = 0, put = 0, answer = false },
  { "bool", null, create = null, patch = 1, put = null },
  { "bool", "", create = null, patch = 1, put = null },
  { "bool", " 1 ", create = 1, patch = 1, put = 1, answer = true },
  { "bool", 1.0, create = 1, patch = 1, put = 1, answer = true },
  { "bool", A{"1"}, create = 1, patch = 1, put = 1, answer = true },
  { "num", 5, all = 5 },
  { "num", "5", all = 5 },
  { "num", 5.5, all = 5 },
  { "num", "5.5", all = 5 },
  { "num", "5,5", all = 5 },
  { "num", "abc", all = E("This value is not valid.") },
  { "num", "1e3", all = 1000 },
  { "num", "", create = null, patch = 42, put = null },
  { "num", null, create = null, patch = 42, put = null },
  { "num", "  7 ", all = 7 },
  { "num", -3, all = -3 },
  { "num", 0, create = null, patch = 42, put = 0 },
  { "num", "0", create = null, patch = 42, put = 0 },
  { "num", "0.4", create = 0, patch = 42, put = 0 },
  { "num", 0.4, create = 0, patch = 42, put = 0 },
  { "num", "1,234.5", all = E("This value is not valid.") },
  { "num", "1 000", all = E("This value is not valid.") },
  { "num", true, all = 1 },
  { "num", false, create = null, patch = 42, put = null },
  { "num", "+5", all = E("This value is not valid.") },
  { "num", ".5", create = 0, patch = 42, put = 0 },
  { "num", "5.", all = 5 },
  { "num", A{1}, all = E("This value is not valid.") },
  { "num", "12abc", all = E("This value is not valid.") },
  { "num", "-0.6", create = 0, patch = 42, put = 0 },
  { "num2", 5, all = 5.0 },
  { "num2", 5.5, all = 5.5 },
  { "num2", 5.555, all = 5.56 },
  { "num2", 5.554, all = 5.55 },
  { "num2", 5.565, all = 5.56 },
  { "num2", "5.555", all = 5.56 },
  { "num2", 1234.5678, all = 1234.57 },
  { "num2", "abc", all = E("This value is not valid.") },
  { "num2", 0, create = null, patch = 1.25, put = 0.0 },
  { "num2", 0.004, create = 0.004, patch = 1.25, put = 0.0 },
  { "num2", -2.345, all = -2.34 },
  { "num2", "3,14", all = 3.14 },
  { "date", "2024-05-01", all = "2024-05-01" },
  { "date", "2024-5-1", all = "2024-05-01" },
  { "date", "01/05/2024", all = "2024-01-05" },
  { "date", "05/01/2024", all = "2024-05-01" },
  { "date", "2024-05-01 10:00:00", all = "2024-05-01" },
  { "date", "2024-05-01T10:00:00+00:00", all = "2024-05-01" },
  { "date", "May 1 2024", create = null, patch = "2020-02-02", put = null },
  { "date", "tomorrow", create = null, patch = "2020-02-02", put = null },
  { "date", "2024-13-45", create = E500, patch = "2020-02-02", put = null },
  { "date", "abc", create = null, patch = "2020-02-02", put = null },
  { "date", "", create = null, patch = "2020-02-02", put = null },
  { "date", null, create = null, patch = "2020-02-02", put = null },
  { "date", "20240501", all = "2024-05-01" },
  { "date", "0000-00-00", create = null, patch = "2020-02-02", put = null },
  { "date", "2024-02-30", all = "2024-03-01" },
  { "date", "12.05.2024", all = "2024-05-12" },
  { "date", "2024/05/01", all = "2024-05-01" },
  { "date", "31/12/2024", create = E500, patch = "2020-02-02", put = null },
  { "date", "2024-05-01T23:30:00-05:00", all = "2024-05-02" },
  { "date", "2024-05-01T01:30:00+05:00", all = "2024-04-30" },
  { "date", 20240501, all = "2024-05-01" },
  { "date", "1 May 2024", all = "2024-05-01" },
  { "date", "2024", all = TODAY },
  { "datetime", "2024-05-01 10:00:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01 10:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01T10:00:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01T10:00:00+02:00",
    all = "2024-05-01 08:00:00" },
  { "datetime", "2024-05-01T10:00:00Z",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01",
    all = "2024-05-01 00:00:00" },
  { "datetime", "01/05/2024 10:00",
    all = "2024-01-05 10:00:00" },
  { "datetime", "abc", create = null, patch = "2020-02-02 02:02:00", put = null },
  { "datetime", "", create = null, patch = "2020-02-02 02:02:00", put = null },
  { "datetime", "2024-05-01 25:00:00", create = E500, patch = "2020-02-02 02:02:00", put = null },
  { "datetime", "2024-05-01 10:00:00.123",
    all = "2024-05-01 10:00:00" },
  { "datetime", "0000-00-00 00:00:00", create = null, patch = "2020-02-02 02:02:00", put = null },
  { "datetime", "2024-02-30 10:00",
    all = "2024-03-01 10:00:00" },
  { "datetime", "May 1 2024 10:00", create = null, patch = "2020-02-02 02:02:00", put = null },
  { "datetime", "2024-05-01 10:00:00 UTC",
    all = "2024-05-01 10:00:00" },
  { "time", "10:00", all = "10:00:00" },
  { "time", "10:00:00", all = "10:00:00" },
  { "time", "10:00:00.5", all = "10:00:00" },
  { "time", "25:00", create = "25:00:00", patch = "02:02:00", put = null, answer = "25:00" },
  { "time", "10am", all = "10:00:00" },
  { "time", "abc", create = null, patch = "02:02:00", put = null },
  { "time", "2024-05-01 10:00:00", all = "10:00:00" },
  { "time", "", create = null, patch = "02:02:00", put = null },
  { "time", "24:00", create = "00:00:00", patch = "02:02:00", put = null },
  { "time", "10:00 pm", all = "22:00:00" },
  { "time", "1000", all = "10:00:00" },
  { "time", "10", create = "00:00:10", patch = "02:02:00", put = null, answer = "10" },
  { "time", "23:59:60", create = "00:00:00", patch = "02:02:00", put = null },
  { "time", "99:99", create = E500, patch = "02:02:00", put = null },
  { "select", "a", all = "a" },
  { "select", "Alpha", all = E("This value is not valid.") },
  { "select", "z", all = E("This value is not valid.") },
  { "select", "A", all = E("This value is not valid.") },
  { "select", A{"a"}, all = E("This value is not valid.") },
  { "select", "", create = null, patch = "b", put = null },
  { "select", null, create = null, patch = "b", put = null },
  { "select", " a", all = E("This value is not valid.") },
  { "select", 1, all = E("This value is not valid.") },
  { "selnum", 1, all = "1" },
  { "selnum", "1", all = "1" },
  { "selnum", 10, all = "10" },
  { "selnum", "10", all = "10" },
  { "selnum", 1.0, all = "1" },
  { "selnum", "01", all = E("This value is not valid.") },
  { "selnum", 3, all = E("This value is not valid.") },
  { "selnum", true, all = "1" },
  { "multi", "a", all = "a" },
  { "multi", "a|b", all = "a|b" },
  { "multi", A{"a", "b"}, all = "a|b" },
  { "multi", "a|z", all = E("This value is not valid.") },
  { "multi", "z", all = E("This value is not valid.") },
  { "multi", "Alpha", all = E("This value is not valid.") },
  { "multi", A{"a", "z"}, all = E("This value is not valid.") },
  { "multi", "a,b", all = E("This value is not valid.") },
  { "multi", "", create = null, patch = "c", put = null },
  { "multi", A{"b", "a"}, all = "b|a" },
  { "multi", "b|a", all = "b|a" },
  { "multi", "a|a", all = "a|a" },
  { "multi", "a||b", all = "a|b" },
  { "multi", "|a", all = "a" },
  { "multi", A{}, create = null, patch = "c", put = null },
  { "multi", "A|b", all = E("This value is not valid.") },
  { "multi", " a|b", all = E("This value is not valid.") },
  { "multi", null, create = null, patch = "c", put = null },
  { "url", "https://example.com",
    all = "https://example.com" },
  { "url", "example.com", all = "http://example.com" },
  { "url", "not a url", all = "http://not a url" },
  { "url", "ftp://x.y", all = "ftp://x.y" },
  { "url", "javascript:alert(1)",
    all = "http://javascript:alert(1)" },
  { "url", "http://ex ample.com",
    all = "http://ex ample.com" },
  { "url", "mailto:a@b.co",
    all = "http://mailto:a@b.co" },
  { "url", "//cdn.example.com",
    all = "//cdn.example.com" },
  { "url", "/path", all = "/path" },
  { "url", "user@host.com", all = "user@host.com" },
  { "url", "www.example.com/p?q=1&r=2", all = "http://www.example.com/p?q=1&r=2" },
  { "url", "HTTP://EXAMPLE.COM",
    all = "HTTP://EXAMPLE.COM" },
  { "url", "<b>x</b>.com", all = "http://x.com" },
  { "url", "", create = null, patch = "https://prior.example", put = null },
  { "url", rep("a", 200) .. ".com", all = E("This value is too long. It should have 64 characters or less.") },
  { "email", "a@example.com", all = "a@example.com" },
  { "email", "not-an-email", all = E("not-an-email is invalid.") },
  { "email", "a@b", all = E("a@b is invalid.") },
  { "email", "", create = null, patch = "prior@example.com", put = null },
  { "email", "A@Example.COM", all = "A@Example.COM" },
  { "email", " a@example.com ", all = "a@example.com" },
  { "email", "a@example",
    all = E("a@example is invalid.") },
  { "email", "a+b@example.com", all = "a+b@example.com" },
  { "email", "a@example.com.", all = E("a@example.com. is invalid.") },
  { "email", "ä@example.com", all = E("ä@example.com is invalid.") },
  { "email", "a@exämple.com", all = E("a@exämple.com is invalid.") },
  { "email", "a b@example.com", all = E("a b@example.com is invalid.") },
  { "email", "<a@example.com>", create = "a@example.com", patch = "prior@example.com", put = null },
  { "lookup", "x", all = "x" },
  { "lookup", "q", all = "q" },
  { "lookup", rep("x", 191), all = rep("x", 191) },
  { "lookup", rep("x", 192), all = E("This value is too long. It should have 191 characters or less.") },
  { "lookup", "<b>x</b>", all = "x" },
  { "lookup", "", create = null, patch = "y", put = null },
  { "country", "France", all = "France" },
  { "country", "FR", all = E("This value is not valid.") },
  { "country", "france", all = E("This value is not valid.") },
  { "country", "Narnia", all = E("This value is not valid.") },
  { "country", "United States", all = "United States" },
  { "country", "USA", all = E("This value is not valid.") },
  { "country", "Russia", all = "Russia" },
  { "country", "Russian Federation", all = E("This value is not valid.") },
  { "country", "", create = null, patch = "Germany", put = null },
  { "country", " France", all = E("This value is not valid.") },
  { "region", "Bavaria", all = E("This value is not valid.") },
  { "region", "Bayern", all = "Bayern" },
  { "region", "Île-de-France", all = "Île-de-France" },
  { "region", "California", all = "California" },
  { "region", "Narnia", all = E("This value is not valid.") },
  { "region", "CA", all = E("This value is not valid.") },
  { "region", "Ile-de-France", all = E("This value is not valid.") },
  { "region", "", create = null, patch = "California", put = null },
  { "locale", "fr_FR", all = "fr_FR" },
  { "locale", "fr", all = "fr" },
  { "locale", "en_US", all = "en_US" },
  { "locale", "en-US", all = E("This value is not valid.") },
  { "locale", "xx_YY", all = E("This value is not valid.") },
  { "locale", "French", all = E("This value is not valid.") },
  { "locale", "", create = null, patch = "de", put = null },
  { "locale", "FR_fr", all = E("This value is not valid.") },
  { "locale", "zh_Hans_CN", all = "zh_Hans_CN" },
  { "locale", "es_419", all = "es_419" },
  { "tz", "UTC", all = "UTC" },
  { "tz", "europe/paris", all = E("This value is not valid.") },
  { "tz", "Mars/Base", all = E("This value is not valid.") },
  { "tz", "GMT+2", all = E("This value is not valid.") },
  { "tz", "EST", all = E("This value is not valid.") },
  { "tz", "", create = null, patch = "Europe/Berlin", put = null },
  { "tz", "US/Eastern", all = E("This value is not valid.") },
  { "tz", "Europe/Kiev", all = E("This value is not valid.") },
  { "tz", "Europe/Kyiv", all = "Europe/Kyiv" },
  { "tz", "Etc/GMT+2", all = E("This value is not valid.") },
  { "tz", "America/Argentina/Buenos_Aires", all = "America/Argentina/Buenos_Aires" },
  { "tel", "+33 1 23 45 67 89",
    all = "+33 1 23 45 67 89" },
  { "tel", "abc", all = "abc" },
  { "tel", "<b>1</b>", all = "1" },
  { "tel", "", create = null, patch = "123", put = null },
  { "text", "plain", all = "plain" },
  { "text", rep("x", 191), all = E("This value is too long. It should have 64 characters or less.") },
  { "text", rep("x", 192), all = E("This value is too long. It should have 191 characters or less.") },
  { "text", "<b>bold</b>", all = "bold" },
  { "text", "a & b", all = "a & b" },
  { "text", "x<y", all = "x" },
  { "text", "  padded  ", all = "padded" },
  { "text", "line\nbreak", all = "line\nbreak" },
  { "text", "é", all = "é" },
  { "text", 5, all = "5" },
  { "text", 5.5, all = "5.5" },
  { "text", true, all = "1" },
  { "text", A{"a", "b"}, all = E("This value is not valid.") },
  { "text", O{"k", "v"}, all = E("This value is not valid.") },
  { "text", "", create = null, patch = "prior", put = null },
  { "text", null, create = null, patch = "prior", put = null },
  { "text", "<script>alert(1)</script>x", all = "alert(1)x" },
  { "text", "\"q\" 'a'", all = "\"q\" 'a'" },
  { "textarea", "<b>bold</b>", all = "bold" },
  { "textarea", "<script>alert(1)</script>x", all = "alert(1)x" },
  { "textarea", rep("x", 300), all = rep("x", 300) },
  { "textarea", "a & b", all = "a & b" },
  { "textarea", "line\nbreak", all = "line\nbreak" },
  { "html", "<b>bold</b>", all = "<b>bold</b>" },
  { "html", "<script>alert(1)</script>x",
    all = "<script>alert(1)</script>x" },
  { "html", "<p onclick=\"x()\">p</p>", all = "<p>p</p>" },
  { "html", "a & b", all = "a & b" },
}

local COMPANY_CASES = {
  { "bool", true, all = 1 },
  { "bool", false, all = 0 },
  { "bool", 1, all = 1 },
  { "bool", 0, all = 0 },
  { "bool", "1", all = 1 },
  { "bool", "0", all = 0 },
  { "bool", "yes", all = 1 },
  { "bool", "no", all = 0 },
  { "bool", "true", all = 1 },
  { "bool", "false", all = 0 },
  { "bool", "Yes", all = 1 },
  { "bool", "No", all = 0 },
  { "bool", "on", all = 1 },
  { "bool", "off", all = 0 },
  { "bool", "abc", all = 0 },
  { "bool", 2, all = 0 },
  { "bool", null, all = null },
  { "bool", "", all = null },
  { "bool", " 1 ", all = 1 },
  { "bool", 1.0, all = 1 },
  { "bool", A{"1"}, all = 1 },
  { "num", 5, all = 5 },
  { "num", "5", all = 5 },
  { "num", 5.5, all = 5 },
  { "num", "5.5", all = 5 },
  { "num", "5,5", all = 5 },
  { "num", "abc", all = E("This value is not valid.") },
  { "num", "1e3", all = 1000 },
  { "num", "", all = null },
  { "num", null, all = null },
  { "num", "  7 ", all = 7 },
  { "num", -3, all = -3 },
  { "num", 0, all = 0 },
  { "num", "0", all = 0 },
  { "num", "0.4", all = 0 },
  { "num", 0.4, all = 0 },
  { "num", "1,234.5", all = E("This value is not valid.") },
  { "num", "1 000", all = E("This value is not valid.") },
  { "num", true, all = 1 },
  { "num", false, all = null },
  { "num", "+5", all = E("This value is not valid.") },
  { "num", ".5", all = 0 },
  { "num", "5.", all = 5 },
  { "num", A{1}, all = E("This value is not valid.") },
  { "num", "12abc", all = E("This value is not valid.") },
  { "num", "-0.6", all = 0 },
  { "num2", 5, create = 5.0, patch = 5.0, put = 5.0, answer = 5 },
  { "num2", 5.5, create = 5.5, patch = 5.5, put = 5.5, answer = 5 },
  { "num2", 5.555, create = 5.56, patch = 5.56, put = 5.56, answer = 5 },
  { "num2", 5.554, create = 5.55, patch = 5.55, put = 5.55, answer = 5 },
  { "num2", 5.565, create = 5.56, patch = 5.56, put = 5.56, answer = 5 },
  { "num2", "5.555", create = 5.56, patch = 5.56, put = 5.56, answer = 5 },
  { "num2", 1234.5678, create = 1234.57, patch = 1234.57, put = 1234.57, answer = 1234 },
  { "num2", "abc", all = E("This value is not valid.") },
  { "num2", 0, create = 0.0, patch = 0.0, put = 0.0, answer = 0 },
  { "num2", 0.004, create = 0.0, patch = 0.0, put = 0.0, answer = 0 },
  { "num2", -2.345, create = -2.34, patch = -2.34, put = -2.34, answer = -2 },
  { "num2", "3,14", create = 3.14, patch = 3.14, put = 3.14, answer = 3 },
  { "date", "2024-05-01", all = "2024-05-01" },
  { "date", "2024-5-1", all = "2024-05-01" },
  { "date", "01/05/2024", all = "2024-01-05" },
  { "date", "05/01/2024", all = "2024-05-01" },
  { "date", "2024-05-01 10:00:00", all = "2024-05-01" },
  { "date", "2024-05-01T10:00:00+00:00", all = "2024-05-01" },
  { "date", "May 1 2024", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "tomorrow", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "2024-13-45", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "abc", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", null, create = null, patch = null, put = null, answer = "" },
  { "date", "20240501", all = "2024-05-01" },
  { "date", "0000-00-00", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "2024-02-30", all = "2024-03-01" },
  { "date", "12.05.2024", all = "2024-05-12" },
  { "date", "2024/05/01", all = "2024-05-01" },
  { "date", "31/12/2024", create = null, patch = "2020-02-02", put = null, answer = "" },
  { "date", "2024-05-01T23:30:00-05:00", all = "2024-05-02" },
  { "date", "2024-05-01T01:30:00+05:00", all = "2024-04-30" },
  { "date", 20240501, all = "2024-05-01" },
  { "date", "1 May 2024", all = "2024-05-01" },
  { "date", "2024", all = TODAY },
  { "datetime", "2024-05-01 10:00:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01 10:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01T10:00:00",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01T10:00:00+02:00",
    all = "2024-05-01 08:00:00" },
  { "datetime", "2024-05-01T10:00:00Z",
    all = "2024-05-01 10:00:00" },
  { "datetime", "2024-05-01",
    all = "2024-05-01 00:00:00" },
  { "datetime", "01/05/2024 10:00",
    all = "2024-01-05 10:00:00" },
  { "datetime", "abc", create = null, patch = "2020-02-02 02:02:00", put = null, answer = "" },
  { "datetime", "", create = null, patch = "2020-02-02 02:02:00", put = null, answer = "" },
  { "datetime", "2024-05-01 25:00:00", create = null, patch = "2020-02-02 02:02:00", put = null, answer = "" },
  { "datetime", "2024-05-01 10:00:00.123",
    all = "2024-05-01 10:00:00" },
  { "datetime", "0000-00-00 00:00:00", create = null, patch = "2020-02-02 02:02:00", put = null, answer = "" },
  { "datetime", "2024-02-30 10:00",
    all = "2024-03-01 10:00:00" },
  { "datetime", "May 1 2024 10:00", create = null, patch = "2020-02-02 02:02:00", put = null, answer = "" },
  { "datetime", "2024-05-01 10:00:00 UTC",
    all = "2024-05-01 10:00:00" },
  { "time", "10:00", all = "10:00:00" },
  { "time", "10:00:00", all = "10:00:00" },
  { "time", "10:00:00.5", all = "10:00:00" },
  { "time", "25:00", create = null, patch = "02:02:00", put = null, answer = "" },
  { "time", "10am", all = "10:00:00" },
  { "time", "abc", create = null, patch = "02:02:00", put = null, answer = "" },
  { "time", "2024-05-01 10:00:00", all = "10:00:00" },
  { "time", "", create = null, patch = "02:02:00", put = null, answer = "" },
  { "time", "24:00", all = "00:00:00" },
  { "time", "10:00 pm", all = "22:00:00" },
  { "time", "1000", all = "10:00:00" },
  { "time", "10", create = null, patch = "02:02:00", put = null, answer = "" },
  { "time", "23:59:60", all = "00:00:00" },
  { "time", "99:99", create = null, patch = "02:02:00", put = null, answer = "" },
  { "select", "a", all = "a" },
  { "select", "Alpha", all = E("This value is not valid.") },
  { "select", "z", all = E("This value is not valid.") },
  { "select", "A", all = E("This value is not valid.") },
  { "select", A{"a"}, all = E("This value is not valid.") },
  { "select", "", all = null },
  { "select", null, all = null },
  { "select", " a", all = E("This value is not valid.") },
  { "select", 1, all = E("This value is not valid.") },
  { "selnum", 1, all = "1" },
  { "selnum", "1", all = "1" },
  { "selnum", 10, all = "10" },
  { "selnum", "10", all = "10" },
  { "selnum", 1.0, all = "1" },
  { "selnum", "01", all = E("This value is not valid.") },
  { "selnum", 3, all = E("This value is not valid.") },
  { "selnum", true, all = "1" },
  { "multi", "a", all = "a" },
  { "multi", "a|b", all = "a|b" },
  { "multi", A{"a", "b"}, all = "a|b" },
  { "multi", "a|z", all = E("This value is not valid.") },
  { "multi", "z", all = E("This value is not valid.") },
  { "multi", "Alpha", all = E("This value is not valid.") },
  { "multi", A{"a", "z"}, all = E("This value is not valid.") },
  { "multi", "a,b", all = E("This value is not valid.") },
  { "multi", "", all = null },
  { "multi", A{"b", "a"}, all = "b|a" },
  { "multi", "b|a", all = "b|a" },
  { "multi", "a|a", all = "a|a" },
  { "multi", "a||b", all = "a|b" },
  { "multi", "|a", all = "a" },
  { "multi", A{}, all = null },
  { "multi", "A|b", all = E("This value is not valid.") },
  { "multi", " a|b", all = E("This value is not valid.") },
  { "multi", null, all = null },
  { "url", "https://example.com",
    all = "https://example.com" },
  { "url", "example.com", all = "http://example.com" },
  { "url", "not a url", all = "http://not a url" },
  { "url", "ftp://x.y", all = "ftp://x.y" },
  { "url", "javascript:alert(1)",
    all = "http://javascript:alert(1)" },
  { "url", "http://ex ample.com",
    all = "http://ex ample.com" },
  { "url", "mailto:a@b.co",
    all = "http://mailto:a@b.co" },
  { "url", "//cdn.example.com",
    all = "//cdn.example.com" },
  { "url", "/path", all = "/path" },
  { "url", "user@host.com", all = "user@host.com" },
  { "url", "www.example.com/p?q=1&r=2", all = "http://www.example.com/p?q=1&r=2" },
  { "url", "HTTP://EXAMPLE.COM",
    all = "HTTP://EXAMPLE.COM" },
  { "url", "<b>x</b>.com", all = "http://x.com" },
  { "url", "", all = null },
  { "url", rep("a", 200) .. ".com", all = E("This value is too long. It should have 64 characters or less.") },
  { "email", "a@example.com", all = "a@example.com" },
  { "email", "not-an-email", all = E("not-an-email is invalid.") },
  { "email", "a@b", all = E("a@b is invalid.") },
  { "email", "", all = null },
  { "email", "A@Example.COM", all = "A@Example.COM" },
  { "email", " a@example.com ", all = "a@example.com" },
  { "email", "a@example",
    all = E("a@example is invalid.") },
  { "email", "a+b@example.com", all = "a+b@example.com" },
  { "email", "a@example.com.", all = E("a@example.com. is invalid.") },
  { "email", "ä@example.com", all = E("ä@example.com is invalid.") },
  { "email", "a@exämple.com", all = E("a@exämple.com is invalid.") },
  { "email", "a b@example.com", all = E("a b@example.com is invalid.") },
  { "email", "<a@example.com>", all = null },
  { "country", "France", all = "France" },
  { "country", "FR", all = E("This value is not valid.") },
  { "country", "france", all = E("This value is not valid.") },
  { "country", "Narnia", all = E("This value is not valid.") },
  { "country", "United States", all = "United States" },
  { "country", "USA", all = E("This value is not valid.") },
  { "country", "Russia", all = "Russia" },
  { "country", "Russian Federation", all = E("This value is not valid.") },
  { "country", "", all = null },
  { "country", " France", all = E("This value is not valid.") },
  { "region", "Bavaria", all = E("This value is not valid.") },
  { "region", "Bayern", all = "Bayern" },
  { "region", "Île-de-France", all = "Île-de-France" },
  { "region", "California", all = "California" },
  { "region", "Narnia", all = E("This value is not valid.") },
  { "region", "CA", all = E("This value is not valid.") },
  { "region", "Ile-de-France", all = E("This value is not valid.") },
  { "region", "", all = null },
  { "locale", "fr_FR", all = "fr_FR" },
  { "locale", "fr", all = "fr" },
  { "locale", "en_US", all = "en_US" },
  { "locale", "en-US", all = E("This value is not valid.") },
  { "locale", "xx_YY", all = E("This value is not valid.") },
  { "locale", "French", all = E("This value is not valid.") },
  { "locale", "", all = null },
  { "locale", "FR_fr", all = E("This value is not valid.") },
  { "locale", "zh_Hans_CN", all = "zh_Hans_CN" },
  { "locale", "es_419", all = "es_419" },
  { "tz", "UTC", all = "UTC" },
  { "tz", "europe/paris", all = E("This value is not valid.") },
  { "tz", "Mars/Base", all = E("This value is not valid.") },
  { "tz", "GMT+2", all = E("This value is not valid.") },
  { "tz", "EST", all = E("This value is not valid.") },
  { "tz", "", all = null },
  { "tz", "US/Eastern", all = E("This value is not valid.") },
  { "tz", "Europe/Kiev", all = E("This value is not valid.") },
  { "tz", "Europe/Kyiv", all = "Europe/Kyiv" },
  { "tz", "Etc/GMT+2", all = E("This value is not valid.") },
  { "tz", "America/Argentina/Buenos_Aires", all = "America/Argentina/Buenos_Aires" },
  { "tel", "+33 1 23 45 67 89",
    all = "+33 1 23 45 67 89" },
  { "tel", "abc", all = "abc" },
  { "tel", "<b>1</b>", all = "1" },
  { "tel", "", all = null },
  { "text", "plain", all = "plain" },
  { "text", rep("x", 191), all = E("This value is too long. It should have 64 characters or less.") },
  { "text", rep("x", 192), all = E("This value is too long. It should have 191 characters or less.") },
  { "text", "<b>bold</b>", all = "bold" },
  { "text", "a & b", all = "a & b" },
  { "text", "x<y", all = "x" },
  { "text", "  padded  ", all = "padded" },
  { "text", "line\nbreak", all = "line\nbreak" },
  { "text", "é", all = "é" },
  { "text", 5, all = "5" },
  { "text", 5.5, all = "5.5" },
  { "text", true, all = "1" },
  { "text", A{"a", "b"}, all = E("This value is not valid.") },
  { "text", O{"k", "v"}, all = E("This value is not valid.") },
  { "text", "", all = null },
  { "text", null, all = null },
  { "text", "<script>alert(1)</script>x", all = "alert(1)x" },
  { "text", "\"q\" 'a'", all = "\"q\" 'a'" },
  { "textarea", "<b>bold</b>", all = "bold" },
  { "textarea", "<script>alert(1)</script>x", all = "alert(1)x" },
  { "textarea", rep("x", 300), all = rep("x", 300) },
  { "textarea", "a & b", all = "a & b" },
  { "textarea", "line\nbreak", all = "line\nbreak" },
  { "html", "<b>bold</b>", all = "<b>bold</b>" },
  { "html", "<script>alert(1)</script>x",
    all = "<script>alert(1)</script>x" },
  { "html", "<p onclick=\"x()\">p</p>", all = "<p>p</p>" },
  { "html", "a & b", all = "a & b" },
}

-- batch/new and batch/edit (PATCH) of the same values, one batch per type: the
-- statusCodes, then what a GET reads back per row (NONE: the row made no entity).
-- A batch/new holding a date the database refuses fails whole (see below).
local CONTACT_BATCHES = {
  { "bool",
    values = {
      true, false, 1, 0, "1", "0", "yes", "no", "true", "false", "Yes", "No", "on", "off", "abc", 2, null, "",
      " 1 ", 1.0, A{"1"},
    },
    new = {
      201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201,
    },
    new_stored = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, null, null, 1, 1, 1 },
    edit = {
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
    },
    edit_stored = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1 },
  },
  { "num",
    values = {
      5, "5", 5.5, "5.5", "5,5", "abc", "1e3", "", null, "  7 ", -3, 0, "0", "0.4", 0.4, "1,234.5", "1 000",
      true, false, "+5", ".5", "5.", A{1}, "12abc", "-0.6",
    },
    new = {
      201, 201, 201, 201, 201, 400, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201, 201, 400, 201,
      201, 400, 400, 201,
    },
    new_stored = {
      5, 5, 5, 5, 5, NONE, 1000, null, null, 7, -3, null, null, 0, 0, NONE, NONE, 1, null, NONE, 0, 5, NONE,
      NONE, 0,
    },
    edit = {
      200, 200, 200, 200, 200, 400, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200, 200, 400, 200,
      200, 400, 400, 200,
    },
    edit_stored = { 5, 5, 5, 5, 5, 42, 1000, 42, 42, 7, -3, 42, 42, 42, 42, 42, 42, 1, 42, 42, 42, 5, 42, 42, 42 },
  },
  { "num2",
    values = { 5, 5.5, 5.555, 5.554, 5.565, "5.555", 1234.5678, "abc", 0, 0.004, -2.345, "3,14" },
    new = { 201, 201, 201, 201, 201, 201, 201, 400, 201, 201, 201, 201 },
    new_stored = { 5.0, 5.5, 5.56, 5.55, 5.56, 5.56, 1234.57, NONE, null, 0.004, -2.34, 3.14 },
    edit = { 200, 200, 200, 200, 200, 200, 200, 400, 200, 200, 200, 200 },
    edit_stored = { 5.0, 5.5, 5.56, 5.55, 5.56, 5.56, 1234.57, 1.25, 1.25, 1.25, -2.34, 3.14 },
  },
  { "date",
    values = {
      "2024-05-01", "2024-5-1", "01/05/2024", "05/01/2024", "2024-05-01 10:00:00", "2024-05-01T10:00:00+00:00",
      "May 1 2024", "tomorrow", "2024-13-45", "abc", "", null, "20240501", "0000-00-00", "2024-02-30",
      "12.05.2024", "2024/05/01", "31/12/2024", "2024-05-01T23:30:00-05:00", "2024-05-01T01:30:00+05:00",
      20240501, "1 May 2024", "2024",
    },
    new = 500,
    edit = {
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
      200, 200,
    },
    edit_stored = {
      "2024-05-01", "2024-05-01", "2024-01-05", "2024-05-01", "2024-05-01", "2024-05-01", "2020-02-02",
      "2020-02-02", "2020-02-02", "2020-02-02", "2020-02-02", "2020-02-02", "2024-05-01", "2020-02-02",
      "2024-03-01", "2024-05-12", "2024-05-01", "2020-02-02", "2024-05-02", "2024-04-30", "2024-05-01",
      "2024-05-01", TODAY,
    },
  },
  { "datetime",
    values = {
      "2024-05-01 10:00:00", "2024-05-01 10:00", "2024-05-01T10:00:00", "2024-05-01T10:00:00+02:00",
      "2024-05-01T10:00:00Z", "2024-05-01", "01/05/2024 10:00", "abc", "", "2024-05-01 25:00:00",
      "2024-05-01 10:00:00.123", "0000-00-00 00:00:00", "2024-02-30 10:00", "May 1 2024 10:00",
      "2024-05-01 10:00:00 UTC",
    },
    new = 500,
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
    edit_stored = {
      "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 08:00:00",
      "2024-05-01 10:00:00", "2024-05-01 00:00:00", "2024-01-05 10:00:00", "2020-02-02 02:02:00",
      "2020-02-02 02:02:00", "2020-02-02 02:02:00", "2024-05-01 10:00:00", "2020-02-02 02:02:00",
      "2024-03-01 10:00:00", "2020-02-02 02:02:00", "2024-05-01 10:00:00",
    },
  },
  { "time",
    values = {
      "10:00", "10:00:00", "10:00:00.5", "25:00", "10am", "abc", "2024-05-01 10:00:00", "", "24:00", "10:00 pm",
      "1000", "10", "23:59:60", "99:99",
    },
    new = 500,
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
    edit_stored = {
      "10:00:00", "10:00:00", "10:00:00", "02:02:00", "10:00:00", "02:02:00", "10:00:00", "02:02:00",
      "02:02:00", "22:00:00", "10:00:00", "02:02:00", "02:02:00", "02:02:00",
    },
  },
  { "select",
    values = { "a", "Alpha", "z", "A", A{"a"}, "", null, " a", 1 },
    new = { 201, 400, 400, 400, 400, 201, 201, 400, 400 },
    new_stored = { "a", NONE, NONE, NONE, NONE, null, null, NONE, NONE },
    edit = { 200, 400, 400, 400, 400, 200, 200, 400, 400 },
    edit_stored = { "a", "b", "b", "b", "b", "b", "b", "b", "b" },
  },
  { "selnum",
    values = { 1, "1", 10, "10", 1.0, "01", 3, true },
    new = { 201, 201, 201, 201, 201, 400, 400, 201 },
    new_stored = { "1", "1", "10", "10", "1", NONE, NONE, "1" },
    edit = { 200, 200, 200, 200, 200, 400, 400, 200 },
    edit_stored = { "1", "1", "10", "10", "1", "2", "2", "1" },
  },
  { "multi",
    values = {
      "a", "a|b", A{"a", "b"}, "a|z", "z", "Alpha", A{"a", "z"}, "a,b", "", A{"b", "a"}, "b|a", "a|a", "a||b",
      "|a", A{}, "A|b", " a|b", null,
    },
    new = { 201, 201, 201, 400, 400, 400, 400, 400, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201 },
    new_stored = {
      "a", "a|b", "a|b", NONE, NONE, NONE, NONE, NONE, null, "b|a", "b|a", "a|a", "a|b", "a", null, NONE, NONE,
      null,
    },
    edit = { 200, 200, 200, 400, 400, 400, 400, 400, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200 },
    edit_stored = {
      "a", "a|b", "a|b", "c", "c", "c", "c", "c", "c", "b|a", "b|a", "a|a", "a|b", "a", "c", "c", "c", "c",
    },
  },
  { "url",
    values = {
      "https://example.com", "example.com", "not a url", "ftp://x.y", "javascript:alert(1)",
      "http://ex ample.com", "mailto:a@b.co", "//cdn.example.com", "/path", "user@host.com",
      "www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "<b>x</b>.com", "", rep("a", 200) .. ".com",
    },
    new = { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400 },
    new_stored = {
      "https://example.com", "http://example.com", "http://not a url", "ftp://x.y",
      "http://javascript:alert(1)", "http://ex ample.com", "http://mailto:a@b.co", "//cdn.example.com", "/path",
      "user@host.com", "http://www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "http://x.com", null, NONE,
    },
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400 },
    edit_stored = {
      "https://example.com", "http://example.com", "http://not a url", "ftp://x.y",
      "http://javascript:alert(1)", "http://ex ample.com", "http://mailto:a@b.co", "//cdn.example.com", "/path",
      "user@host.com", "http://www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "http://x.com",
      "https://prior.example", "https://prior.example",
    },
  },
  { "email",
    values = {
      "a@example.com", "not-an-email", "a@b", "", "A@Example.COM", " a@example.com ", "a@example",
      "a+b@example.com", "a@example.com.", "ä@example.com", "a@exämple.com", "a b@example.com",
      "<a@example.com>",
    },
    new = { 201, 400, 400, 201, 201, 201, 400, 201, 400, 400, 400, 400, 201 },
    new_stored = {
      "a@example.com", NONE, NONE, null, "A@Example.COM", "a@example.com", NONE, "a+b@example.com", NONE, NONE,
      NONE, NONE, "a@example.com",
    },
    edit = { 200, 400, 400, 200, 200, 200, 400, 200, 400, 400, 400, 400, 200 },
    edit_stored = {
      "a@example.com", "prior@example.com", "prior@example.com", "prior@example.com", "A@Example.COM",
      "a@example.com", "prior@example.com", "a+b@example.com", "prior@example.com", "prior@example.com",
      "prior@example.com", "prior@example.com", "prior@example.com",
    },
  },
  { "lookup",
    values = { "x", "q", rep("x", 191), rep("x", 192), "<b>x</b>", "" },
    new = { 201, 201, 201, 400, 201, 201 },
    new_stored = { "x", "q", rep("x", 191), NONE, "x", null },
    edit = { 200, 200, 200, 400, 200, 200 },
    edit_stored = { "x", "q", rep("x", 191), "y", "x", "y" },
  },
  { "country",
    values = {
      "France", "FR", "france", "Narnia", "United States", "USA", "Russia", "Russian Federation", "", " France",
    },
    new = { 201, 400, 400, 400, 201, 400, 201, 400, 201, 400 },
    new_stored = { "France", NONE, NONE, NONE, "United States", NONE, "Russia", NONE, null, NONE },
    edit = { 200, 400, 400, 400, 200, 400, 200, 400, 200, 400 },
    edit_stored = {
      "France", "Germany", "Germany", "Germany", "United States", "Germany", "Russia", "Germany", "Germany",
      "Germany",
    },
  },
  { "region",
    values = { "Bavaria", "Bayern", "Île-de-France", "California", "Narnia", "CA", "Ile-de-France", "" },
    new = { 400, 201, 201, 201, 400, 400, 400, 201 },
    new_stored = { NONE, "Bayern", "Île-de-France", "California", NONE, NONE, NONE, null },
    edit = { 400, 200, 200, 200, 400, 400, 400, 200 },
    edit_stored = {
      "California", "Bayern", "Île-de-France", "California", "California", "California", "California",
      "California",
    },
  },
  { "locale",
    values = { "fr_FR", "fr", "en_US", "en-US", "xx_YY", "French", "", "FR_fr", "zh_Hans_CN", "es_419" },
    new = { 201, 201, 201, 400, 400, 400, 201, 400, 201, 201 },
    new_stored = { "fr_FR", "fr", "en_US", NONE, NONE, NONE, null, NONE, "zh_Hans_CN", "es_419" },
    edit = { 200, 200, 200, 400, 400, 400, 200, 400, 200, 200 },
    edit_stored = { "fr_FR", "fr", "en_US", "de", "de", "de", "de", "de", "zh_Hans_CN", "es_419" },
  },
  { "tz",
    values = {
      "UTC", "europe/paris", "Mars/Base", "GMT+2", "EST", "", "US/Eastern", "Europe/Kiev", "Europe/Kyiv",
      "Etc/GMT+2", "America/Argentina/Buenos_Aires",
    },
    new = { 201, 400, 400, 400, 400, 201, 400, 400, 201, 400, 201 },
    new_stored = {
      "UTC", NONE, NONE, NONE, NONE, null, NONE, NONE, "Europe/Kyiv", NONE, "America/Argentina/Buenos_Aires",
    },
    edit = { 200, 400, 400, 400, 400, 200, 400, 400, 200, 400, 200 },
    edit_stored = {
      "UTC", "Europe/Berlin", "Europe/Berlin", "Europe/Berlin", "Europe/Berlin", "Europe/Berlin",
      "Europe/Berlin", "Europe/Berlin", "Europe/Kyiv", "Europe/Berlin", "America/Argentina/Buenos_Aires",
    },
  },
  { "tel",
    values = { "+33 1 23 45 67 89", "abc", "<b>1</b>", "" },
    new = { 201, 201, 201, 201 },
    new_stored = { "+33 1 23 45 67 89", "abc", "1", null },
    edit = { 200, 200, 200, 200 },
    edit_stored = { "+33 1 23 45 67 89", "abc", "1", "123" },
  },
  { "text",
    values = {
      "plain", rep("x", 191), rep("x", 192), "<b>bold</b>", "a & b", "x<y", "  padded  ", "line\nbreak", "é", 5,
      5.5, true, A{"a", "b"}, O{"k", "v"}, "", null, "<script>alert(1)</script>x", "\"q\" 'a'",
    },
    new = { 201, 400, 400, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201, 201, 201, 201 },
    new_stored = {
      "plain", NONE, NONE, "bold", "a & b", "x", "padded", "line\nbreak", "é", "5", "5.5", "1", NONE, NONE,
      null, null, "alert(1)x", "\"q\" 'a'",
    },
    edit = { 200, 400, 400, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200, 200, 200, 200 },
    edit_stored = {
      "plain", "prior", "prior", "bold", "a & b", "x", "padded", "line\nbreak", "é", "5", "5.5", "1", "prior",
      "prior", "prior", "prior", "alert(1)x", "\"q\" 'a'",
    },
  },
  { "textarea",
    values = { "<b>bold</b>", "<script>alert(1)</script>x", rep("x", 300), "a & b", "line\nbreak" },
    new = { 201, 201, 201, 201, 201 },
    new_stored = { "bold", "alert(1)x", rep("x", 300), "a & b", "line\nbreak" },
    edit = { 200, 200, 200, 200, 200 },
    edit_stored = { "bold", "alert(1)x", rep("x", 300), "a & b", "line\nbreak" },
  },
  { "html",
    values = { "<b>bold</b>", "<script>alert(1)</script>x", "<p onclick=\"x()\">p</p>", "a & b" },
    new = { 201, 201, 201, 201 },
    new_stored = { "<b>bold</b>", "<script>alert(1)</script>x", "<p>p</p>", "a & b" },
    edit = { 200, 200, 200, 200 },
    edit_stored = { "<b>bold</b>", "<script>alert(1)</script>x", "<p>p</p>", "a & b" },
  },
}

local COMPANY_BATCHES = {
  { "bool",
    values = {
      true, false, 1, 0, "1", "0", "yes", "no", "true", "false", "Yes", "No", "on", "off", "abc", 2, null, "",
      " 1 ", 1.0, A{"1"},
    },
    new = {
      201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201,
    },
    new_stored = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, null, null, 1, 1, 1 },
    edit = {
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
    },
    edit_stored = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, null, null, 1, 1, 1 },
  },
  { "num",
    values = {
      5, "5", 5.5, "5.5", "5,5", "abc", "1e3", "", null, "  7 ", -3, 0, "0", "0.4", 0.4, "1,234.5", "1 000",
      true, false, "+5", ".5", "5.", A{1}, "12abc", "-0.6",
    },
    new = {
      201, 201, 201, 201, 201, 400, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201, 201, 400, 201,
      201, 400, 400, 201,
    },
    new_stored = {
      5, 5, 5, 5, 5, NONE, 1000, null, null, 7, -3, 0, 0, 0, 0, NONE, NONE, 1, null, NONE, 0, 5, NONE, NONE, 0,
    },
    edit = {
      200, 200, 200, 200, 200, 400, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200, 200, 400, 200,
      200, 400, 400, 200,
    },
    edit_stored = { 5, 5, 5, 5, 5, 42, 1000, null, null, 7, -3, 0, 0, 0, 0, 42, 42, 1, null, 42, 0, 5, 42, 42, 0 },
  },
  { "num2",
    values = { 5, 5.5, 5.555, 5.554, 5.565, "5.555", 1234.5678, "abc", 0, 0.004, -2.345, "3,14" },
    new = { 201, 201, 201, 201, 201, 201, 201, 400, 201, 201, 201, 201 },
    new_stored = { 5.0, 5.5, 5.56, 5.55, 5.56, 5.56, 1234.57, NONE, 0.0, 0.0, -2.34, 3.14 },
    edit = { 200, 200, 200, 200, 200, 200, 200, 400, 200, 200, 200, 200 },
    edit_stored = { 5.0, 5.5, 5.56, 5.55, 5.56, 5.56, 1234.57, 1.25, 0.0, 0.0, -2.34, 3.14 },
  },
  { "date",
    values = {
      "2024-05-01", "2024-5-1", "01/05/2024", "05/01/2024", "2024-05-01 10:00:00", "2024-05-01T10:00:00+00:00",
      "May 1 2024", "tomorrow", "2024-13-45", "abc", "", null, "20240501", "0000-00-00", "2024-02-30",
      "12.05.2024", "2024/05/01", "31/12/2024", "2024-05-01T23:30:00-05:00", "2024-05-01T01:30:00+05:00",
      20240501, "1 May 2024", "2024",
    },
    new = {
      201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201,
      201, 201,
    },
    new_stored = {
      "2024-05-01", "2024-05-01", "2024-01-05", "2024-05-01", "2024-05-01", "2024-05-01", null, null, null,
      null, null, null, "2024-05-01", null, "2024-03-01", "2024-05-12", "2024-05-01", null, "2024-05-02",
      "2024-04-30", "2024-05-01", "2024-05-01", TODAY,
    },
    edit = {
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
      200, 200,
    },
    edit_stored = {
      "2024-05-01", "2024-05-01", "2024-01-05", "2024-05-01", "2024-05-01", "2024-05-01", "2020-02-02",
      "2020-02-02", "2020-02-02", "2020-02-02", "2020-02-02", null, "2024-05-01", "2020-02-02", "2024-03-01",
      "2024-05-12", "2024-05-01", "2020-02-02", "2024-05-02", "2024-04-30", "2024-05-01", "2024-05-01",
      TODAY,
    },
  },
  { "datetime",
    values = {
      "2024-05-01 10:00:00", "2024-05-01 10:00", "2024-05-01T10:00:00", "2024-05-01T10:00:00+02:00",
      "2024-05-01T10:00:00Z", "2024-05-01", "01/05/2024 10:00", "abc", "", "2024-05-01 25:00:00",
      "2024-05-01 10:00:00.123", "0000-00-00 00:00:00", "2024-02-30 10:00", "May 1 2024 10:00",
      "2024-05-01 10:00:00 UTC",
    },
    new = { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201 },
    new_stored = {
      "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 08:00:00",
      "2024-05-01 10:00:00", "2024-05-01 00:00:00", "2024-01-05 10:00:00", null, null, null,
      "2024-05-01 10:00:00", null, "2024-03-01 10:00:00", null, "2024-05-01 10:00:00",
    },
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
    edit_stored = {
      "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 08:00:00",
      "2024-05-01 10:00:00", "2024-05-01 00:00:00", "2024-01-05 10:00:00", "2020-02-02 02:02:00",
      "2020-02-02 02:02:00", "2020-02-02 02:02:00", "2024-05-01 10:00:00", "2020-02-02 02:02:00",
      "2024-03-01 10:00:00", "2020-02-02 02:02:00", "2024-05-01 10:00:00",
    },
  },
  { "time",
    values = {
      "10:00", "10:00:00", "10:00:00.5", "25:00", "10am", "abc", "2024-05-01 10:00:00", "", "24:00", "10:00 pm",
      "1000", "10", "23:59:60", "99:99",
    },
    new = { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201 },
    new_stored = {
      "10:00:00", "10:00:00", "10:00:00", null, "10:00:00", null, "10:00:00", null, "00:00:00", "22:00:00",
      "10:00:00", null, "00:00:00", null,
    },
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 },
    edit_stored = {
      "10:00:00", "10:00:00", "10:00:00", "02:02:00", "10:00:00", "02:02:00", "10:00:00", "02:02:00",
      "00:00:00", "22:00:00", "10:00:00", "02:02:00", "00:00:00", "02:02:00",
    },
  },
  { "select",
    values = { "a", "Alpha", "z", "A", A{"a"}, "", null, " a", 1 },
    new = { 201, 400, 400, 400, 400, 201, 201, 400, 400 },
    new_stored = { "a", NONE, NONE, NONE, NONE, null, null, NONE, NONE },
    edit = { 200, 400, 400, 400, 400, 200, 200, 400, 400 },
    edit_stored = { "a", "b", "b", "b", "b", null, null, "b", "b" },
  },
  { "selnum",
    values = { 1, "1", 10, "10", 1.0, "01", 3, true },
    new = { 201, 201, 201, 201, 201, 400, 400, 201 },
    new_stored = { "1", "1", "10", "10", "1", NONE, NONE, "1" },
    edit = { 200, 200, 200, 200, 200, 400, 400, 200 },
    edit_stored = { "1", "1", "10", "10", "1", "2", "2", "1" },
  },
  { "multi",
    values = {
      "a", "a|b", A{"a", "b"}, "a|z", "z", "Alpha", A{"a", "z"}, "a,b", "", A{"b", "a"}, "b|a", "a|a", "a||b",
      "|a", A{}, "A|b", " a|b", null,
    },
    new = { 201, 201, 201, 400, 400, 400, 400, 400, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201 },
    new_stored = {
      "a", "a|b", "a|b", NONE, NONE, NONE, NONE, NONE, null, "b|a", "b|a", "a|a", "a|b", "a", null, NONE, NONE,
      null,
    },
    edit = { 200, 200, 200, 400, 400, 400, 400, 400, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200 },
    edit_stored = {
      "a", "a|b", "a|b", "c", "c", "c", "c", "c", null, "b|a", "b|a", "a|a", "a|b", "a", null, "c", "c", null,
    },
  },
  { "url",
    values = {
      "https://example.com", "example.com", "not a url", "ftp://x.y", "javascript:alert(1)",
      "http://ex ample.com", "mailto:a@b.co", "//cdn.example.com", "/path", "user@host.com",
      "www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "<b>x</b>.com", "", rep("a", 200) .. ".com",
    },
    new = { 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400 },
    new_stored = {
      "https://example.com", "http://example.com", "http://not a url", "ftp://x.y",
      "http://javascript:alert(1)", "http://ex ample.com", "http://mailto:a@b.co", "//cdn.example.com", "/path",
      "user@host.com", "http://www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "http://x.com", null, NONE,
    },
    edit = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400 },
    edit_stored = {
      "https://example.com", "http://example.com", "http://not a url", "ftp://x.y",
      "http://javascript:alert(1)", "http://ex ample.com", "http://mailto:a@b.co", "//cdn.example.com", "/path",
      "user@host.com", "http://www.example.com/p?q=1&r=2", "HTTP://EXAMPLE.COM", "http://x.com", null,
      "https://prior.example",
    },
  },
  { "email",
    values = {
      "a@example.com", "not-an-email", "a@b", "", "A@Example.COM", " a@example.com ", "a@example",
      "a+b@example.com", "a@example.com.", "ä@example.com", "a@exämple.com", "a b@example.com",
      "<a@example.com>",
    },
    new = { 201, 400, 400, 201, 201, 201, 400, 201, 400, 400, 400, 400, 201 },
    new_stored = {
      "a@example.com", NONE, NONE, null, "A@Example.COM", "a@example.com", NONE, "a+b@example.com", NONE, NONE,
      NONE, NONE, null,
    },
    edit = { 200, 400, 400, 200, 200, 200, 400, 200, 400, 400, 400, 400, 200 },
    edit_stored = {
      "a@example.com", "prior@example.com", "prior@example.com", null, "A@Example.COM", "a@example.com",
      "prior@example.com", "a+b@example.com", "prior@example.com", "prior@example.com", "prior@example.com",
      "prior@example.com", null,
    },
  },
  { "country",
    values = {
      "France", "FR", "france", "Narnia", "United States", "USA", "Russia", "Russian Federation", "", " France",
    },
    new = { 201, 400, 400, 400, 201, 400, 201, 400, 201, 400 },
    new_stored = { "France", NONE, NONE, NONE, "United States", NONE, "Russia", NONE, null, NONE },
    edit = { 200, 400, 400, 400, 200, 400, 200, 400, 200, 400 },
    edit_stored = {
      "France", "Germany", "Germany", "Germany", "United States", "Germany", "Russia", "Germany", null,
      "Germany",
    },
  },
  { "region",
    values = { "Bavaria", "Bayern", "Île-de-France", "California", "Narnia", "CA", "Ile-de-France", "" },
    new = { 400, 201, 201, 201, 400, 400, 400, 201 },
    new_stored = { NONE, "Bayern", "Île-de-France", "California", NONE, NONE, NONE, null },
    edit = { 400, 200, 200, 200, 400, 400, 400, 200 },
    edit_stored = {
      "California", "Bayern", "Île-de-France", "California", "California", "California", "California", null,
    },
  },
  { "locale",
    values = { "fr_FR", "fr", "en_US", "en-US", "xx_YY", "French", "", "FR_fr", "zh_Hans_CN", "es_419" },
    new = { 201, 201, 201, 400, 400, 400, 201, 400, 201, 201 },
    new_stored = { "fr_FR", "fr", "en_US", NONE, NONE, NONE, null, NONE, "zh_Hans_CN", "es_419" },
    edit = { 200, 200, 200, 400, 400, 400, 200, 400, 200, 200 },
    edit_stored = { "fr_FR", "fr", "en_US", "de", "de", "de", null, "de", "zh_Hans_CN", "es_419" },
  },
  { "tz",
    values = {
      "UTC", "europe/paris", "Mars/Base", "GMT+2", "EST", "", "US/Eastern", "Europe/Kiev", "Europe/Kyiv",
      "Etc/GMT+2", "America/Argentina/Buenos_Aires",
    },
    new = { 201, 400, 400, 400, 400, 201, 400, 400, 201, 400, 201 },
    new_stored = {
      "UTC", NONE, NONE, NONE, NONE, null, NONE, NONE, "Europe/Kyiv", NONE, "America/Argentina/Buenos_Aires",
    },
    edit = { 200, 400, 400, 400, 400, 200, 400, 400, 200, 400, 200 },
    edit_stored = {
      "UTC", "Europe/Berlin", "Europe/Berlin", "Europe/Berlin", "Europe/Berlin", null, "Europe/Berlin",
      "Europe/Berlin", "Europe/Kyiv", "Europe/Berlin", "America/Argentina/Buenos_Aires",
    },
  },
  { "tel",
    values = { "+33 1 23 45 67 89", "abc", "<b>1</b>", "" },
    new = { 201, 201, 201, 201 },
    new_stored = { "+33 1 23 45 67 89", "abc", "1", null },
    edit = { 200, 200, 200, 200 },
    edit_stored = { "+33 1 23 45 67 89", "abc", "1", null },
  },
  { "text",
    values = {
      "plain", rep("x", 191), rep("x", 192), "<b>bold</b>", "a & b", "x<y", "  padded  ", "line\nbreak", "é", 5,
      5.5, true, A{"a", "b"}, O{"k", "v"}, "", null, "<script>alert(1)</script>x", "\"q\" 'a'",
    },
    new = { 201, 400, 400, 201, 201, 201, 201, 201, 201, 201, 201, 201, 400, 400, 201, 201, 201, 201 },
    new_stored = {
      "plain", NONE, NONE, "bold", "a & b", "x", "padded", "line\nbreak", "é", "5", "5.5", "1", NONE, NONE,
      null, null, "alert(1)x", "\"q\" 'a'",
    },
    edit = { 200, 400, 400, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200, 200, 200, 200 },
    edit_stored = {
      "plain", "prior", "prior", "bold", "a & b", "x", "padded", "line\nbreak", "é", "5", "5.5", "1", "prior",
      "prior", null, null, "alert(1)x", "\"q\" 'a'",
    },
  },
  { "textarea",
    values = { "<b>bold</b>", "<script>alert(1)</script>x", rep("x", 300), "a & b", "line\nbreak" },
    new = { 201, 201, 201, 201, 201 },
    new_stored = { "bold", "alert(1)x", rep("x", 300), "a & b", "line\nbreak" },
    edit = { 200, 200, 200, 200, 200 },
    edit_stored = { "bold", "alert(1)x", rep("x", 300), "a & b", "line\nbreak" },
  },
  { "html",
    values = { "<b>bold</b>", "<script>alert(1)</script>x", "<p onclick=\"x()\">p</p>", "a & b" },
    new = { 201, 201, 201, 201 },
    new_stored = { "<b>bold</b>", "<script>alert(1)</script>x", "<p>p</p>", "a & b" },
    edit = { 200, 200, 200, 200 },
    edit_stored = { "<b>bold</b>", "<script>alert(1)</script>x", "<p>p</p>", "a & b" },
  },
}

-- the 7.x texts of the same refusals (config.version "7.0.0")
local CASES_70 = {
  { "contact", "num", "abc", "Please enter a number." },
  { "contact", "num2", "abc", "Please enter a number." },
  { "contact", "select", "Alpha", "The selected choice is invalid." },
  { "contact", "selnum", "01", "The selected choice is invalid." },
  { "contact", "multi", "a|z", "The selected choice is invalid." },
  { "contact", "url", rep("a", 200) .. ".com", "This value is too long. It should have 64 characters or less." },
  { "contact", "email", "not-an-email", "not-an-email is invalid." },
  { "contact", "email", "a@b", "a@b is invalid." },
  { "contact", "lookup", rep("x", 192), "This value is too long. It should have 191 characters or less." },
  { "contact", "country", "FR", "The selected choice is invalid." },
  { "contact", "region", "Bavaria", "The selected choice is invalid." },
  { "contact", "locale", "en-US", "The selected choice is invalid." },
  { "contact", "tz", "europe/paris", "The selected choice is invalid." },
  { "contact", "text", rep("x", 191), "This value is too long. It should have 64 characters or less." },
  { "contact", "text", rep("x", 192), "This value is too long. It should have 191 characters or less." },
  { "contact", "text", A{"a", "b"}, "This value is not valid." },
  { "company", "num", "abc", "Please enter a number." },
  { "company", "num2", "abc", "Please enter a number." },
  { "company", "select", "Alpha", "The selected choice is invalid." },
  { "company", "selnum", "01", "The selected choice is invalid." },
  { "company", "multi", "a|z", "The selected choice is invalid." },
  { "company", "url", rep("a", 200) .. ".com", "This value is too long. It should have 64 characters or less." },
  { "company", "email", "not-an-email", "not-an-email is invalid." },
  { "company", "email", "a@b", "a@b is invalid." },
  { "company", "country", "FR", "The selected choice is invalid." },
  { "company", "region", "Bavaria", "The selected choice is invalid." },
  { "company", "locale", "en-US", "The selected choice is invalid." },
  { "company", "tz", "europe/paris", "The selected choice is invalid." },
  { "company", "text", rep("x", 191), "This value is too long. It should have 64 characters or less." },
  { "company", "text", rep("x", 192), "This value is too long. It should have 191 characters or less." },
  { "company", "text", A{"a", "b"}, "This value is not valid." },
}

local OBJECTS = {
  contact = { path = "/api/contacts", key = "contact", list = "contacts", prefix = "p", fields = "contact" },
  company = { path = "/api/companies", key = "company", list = "companies", prefix = "c", fields = "company" },
}

local function show(v)
  if v == null then return "null" end
  if type(v) == "table" then return json.encode(v) end
  if type(v) == "string" and #v > 24 then return string.format("%q", v:sub(1, 12) .. "..(" .. #v .. ")") end
  return type(v) == "string" and string.format("%q", v) or tostring(v)
end

describe("fake field values", function()
  local srv
  local seq = 0

  local function req(method, path, body)
    return S.request(srv, method, path, body ~= nil and { json = body } or nil)
  end

  local function ident(o)
    seq = seq + 1
    if o.key == "contact" then return O{ "email", "fv" .. seq .. "@example.com" } end
    return O{ "companyname", "Company " .. seq }
  end

  local function with(body, alias, v)
    body[alias] = v
    return body
  end

  local function all_of(o, id)
    local r = req("GET", o.path .. "/" .. id)
    assert.equal(200, r.status)
    return r.body[o.key].fields.all
  end

  -- a write's answer against what the row expects; -> the record's id
  local function expect_answer(o, alias, expect, r, ok_status)
    if expect == E500 then
      assert.equal(500, r.status)
      assert.equal("Looks like I encountered an error (error #500). If I do it again, please report me to " ..
        "the system administrator!", r.body.errors[1].message)
      return nil
    elseif type(expect) == "table" and expect.err then
      assert.equal(400, r.status, r.raw)
      assert.equal(alias .. ": " .. expect.err, r.body.errors[1].message)
      assert.same({ expect.err }, json.plain(r.body.errors[1].details[alias]))
      return nil
    end
    assert.equal(ok_status, r.status, r.raw)
    return r.body[o.key].id
  end

  local function make(o, alias, t)
    local r = req("POST", o.path .. "/new", with(ident(o), alias, PRIOR[t]))
    assert.equal(201, r.status, r.raw)
    return r.body[o.key].id
  end

  setup(function()
    srv = S.start()
    S.reset(srv)
    for _, spec in ipairs(TYPES) do
      for name, o in pairs(OBJECTS) do
        if not (name == "company" and spec[1] == "lookup") then
          local alias = o.prefix .. spec[1]
          local r = req("POST", "/api/fields/" .. o.fields .. "/new",
                        O{ "label", alias, "alias", alias, "type", spec[2], "properties", spec[3] })
          assert.equal(201, r.status, r.raw)
        end
      end
    end
  end)
  teardown(function() S.stop(srv) end)

  for _, set in ipairs({ { "contact", CONTACT_CASES }, { "company", COMPANY_CASES } }) do
    local o = OBJECTS[set[1]]
    describe(set[1] .. " values (Mautic 5.1)", function()
      for _, row in ipairs(set[2]) do
        -- all = X: the same result for create, PATCH and PUT
        if row.all ~= nil then row.create, row.patch, row.put = row.all, row.all, row.all end
        local t, v = row[1], row[2]
        local alias = o.prefix .. t
        it(t .. " " .. show(v) .. ": create, PATCH, PUT", function()
          -- create
          local r = req("POST", o.path .. "/new", with(ident(o), alias, v))
          local id = expect_answer(o, alias, row.create, r, 201)
          if id then
            local answered = r.body[o.key].fields.all[alias]
            if row.answer ~= nil then assert.same(row.answer, answered) end
            assert.same(row.create, all_of(o, id)[alias])
          end
          -- PATCH a record holding PRIOR
          local pid = make(o, alias, t)
          r = req("PATCH", o.path .. "/" .. pid .. "/edit", with(O{}, alias, v))
          if expect_answer(o, alias, row.patch, r, 200) then assert.same(row.patch, all_of(o, pid)[alias]) end
          -- PUT on a record holding PRIOR
          local body = ident(o)
          r = req("POST", o.path .. "/new", with(json.copy(body), alias, PRIOR[t]))
          pid = r.body[o.key].id
          r = req("PUT", o.path .. "/" .. pid .. "/edit", with(body, alias, v))
          if expect_answer(o, alias, row.put, r, 200) then assert.same(row.put, all_of(o, pid)[alias]) end
        end)
      end
    end)
  end

  for _, set in ipairs({ { "contact", CONTACT_BATCHES }, { "company", COMPANY_BATCHES } }) do
    local o = OBJECTS[set[1]]
    describe(set[1] .. " batches (Mautic 5.1)", function()
      for _, row in ipairs(set[2]) do
        local t = row[1]
        local alias = o.prefix .. t
        local function check_rows(stored, entities, ids)
          for i, want in ipairs(stored) do
            local e = entities[tostring(i - 1)] or entities[i]
            if want == NONE then
              assert.is_nil(e, "row " .. i)
            else
              assert.same(want, all_of(o, ids and ids[i] or e.id)[alias], "row " .. i)
            end
          end
        end
        if row.new ~= 500 then
          it(t .. ": batch/new answers a status per row and stores what a create does", function()
            local rows = A{}
            for i, v in ipairs(row.values) do rows[i] = with(ident(o), alias, v) end
            local r = req("POST", o.path .. "/batch/new", rows)
            assert.equal(201, r.status, r.raw)
            assert.same(row.new, json.plain(r.body.statusCodes))
            check_rows(row.new_stored, r.body[o.list])
          end)
        end
        it(t .. ": batch/edit answers a status per row and stores what a PATCH does", function()
          local rows, ids = A{}, {}
          for i = 1, #row.values do rows[i] = with(ident(o), alias, PRIOR[t]) end
          local r = req("POST", o.path .. "/batch/new", rows)
          local made = r.body[o.list]
          for i = 1, #row.values do ids[i] = (made[i] or made[tostring(i - 1)]).id end
          local edits = A{}
          for i, v in ipairs(row.values) do edits[i] = with(O{ "id", ids[i] }, alias, v) end
          r = req("PATCH", o.path .. "/batch/edit", edits)
          assert.equal(200, r.status, r.raw)
          assert.same(row.edit, json.plain(r.body.statusCodes))
          check_rows(row.edit_stored, r.body[o.list], ids)
          -- a refused row is answered as it was, without its "all" group
          for i, code in ipairs(row.edit) do
            if code == 400 then
              local e = r.body[o.list][tostring(i - 1)] or r.body[o.list][i]
              assert.is_nil(e.fields.all)
            end
          end
        end)
      end
    end)
  end

  describe("the rest of a write", function()
    it("a contact batch/new holding a date the database refuses fails whole after saving the rows before it", function()
      local tag = "dbfail" .. os.time()
      local rows = A{}
      for i, v in ipairs({ "2024-01-01", "2024-13-45", "2024-01-03" }) do
        rows[i] = O{ "email", tag .. i .. "@example.com", "pdate", v }
      end
      local r = req("POST", "/api/contacts/batch/new", rows)
      assert.equal(500, r.status)
      assert.is_nil(r.headers["mautic-version"])
      r = S.request(srv, "GET", "/api/contacts", { query = "search=" .. tag .. "&limit=10" })
      local got = {}
      for _, c in pairs(r.body.contacts) do got[c.fields.all.email] = c.fields.all.pdate end
      assert.same({ [tag .. "1@example.com"] = "2024-01-01", [tag .. "2@example.com"] = null }, got)
    end)

    it("a create that merges into a contact with the same email writes as a PATCH does", function()
      local body = O{ "email", "merge-fv@example.com", "pnum", 42, "pdate", "2020-02-02", "ptime", "02:02" }
      assert.equal(201, req("POST", "/api/contacts/new", body).status)
      local r = req("POST", "/api/contacts/new", O{ "email", "merge-fv@example.com", "pnum", 0,
                                                    "pdate", "2024-13-45", "ptime", "25:00" })
      assert.equal(200, r.status)
      local all = all_of(OBJECTS.contact, r.body.contact.id)
      assert.same({ 42, "2020-02-02", "02:02:00" }, { all.pnum, all.pdate, all.ptime })
    end)

    it("a PUT on a missing contact creates it without the unvalidated first pass", function()
      local r = req("PUT", "/api/contacts/99999/edit", O{ "email", "putnew-fv@example.com", "ptime", "25:00",
                                                          "pdate", "2024-13-45" })
      assert.equal(201, r.status)
      local all = all_of(OBJECTS.contact, r.body.contact.id)
      assert.same({ null, null }, { all.ptime, all.pdate })
    end)

    it("refusals are listed in the fields' order, unknown aliases are ignored", function()
      local r = req("POST", "/api/contacts/new", O{ "email", "order-fv@example.com", "pcountry", "Narnia",
                                                    "pnum", "abc", "pselect", "a", "nosuchfield", "x" })
      assert.equal(400, r.status)
      assert.equal("pnum: This value is not valid., pcountry: This value is not valid.", r.body.errors[1].message)
      r = req("POST", "/api/contacts/new", O{ "email", "order-fv2@example.com", "nosuchfield", "x" })
      assert.equal(201, r.status)
      assert.is_nil(r.body.contact.fields.all.nosuchfield)
    end)

    it("stock fields hold 64 characters; a custom text field the limit it was made with", function()
      local r = req("POST", "/api/contacts/new", O{ "email", "len-fv@example.com", "firstname", rep("f", 65) })
      assert.equal("firstname: This value is too long. It should have 64 characters or less.",
                   r.body.errors[1].message)
      r = req("POST", "/api/companies/new", O{ "companyname", rep("n", 65) })
      assert.equal("companyname: This value is too long. It should have 64 characters or less.",
                   r.body.errors[1].message)
      r = req("POST", "/api/fields/contact/new", O{ "label", "short", "alias", "pshort", "type", "text",
                                                     "charLengthLimit", 10 })
      assert.equal(201, r.status)
      r = req("POST", "/api/contacts/new", O{ "email", "len-fv2@example.com", "pshort", rep("t", 11) })
      assert.equal("pshort: This value is too long. It should have 10 characters or less.",
                   r.body.errors[1].message)
    end)

    it("5.1 drops the seconds of a datetime, 7.x keeps them; both drop a time's", function()
      local function stored(v)
        local r = req("POST", "/api/contacts/new", O{ "email", "sec" .. seq .. "-fv@example.com",
                                                      "pdatetime", v, "ptime", "10:00:30" })
        seq = seq + 1
        local all = all_of(OBJECTS.contact, r.body.contact.id)
        return { all.pdatetime, all.ptime }
      end
      assert.same({ "2024-05-01 10:00:00", "10:00:00" }, stored("2024-05-01 10:00:30"))
      S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "7.0.0" } })
      local ok, err = pcall(function()
        assert.same({ "2024-05-01 10:00:30", "10:00:00" }, stored("2024-05-01 10:00:30"))
      end)
      S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "5.1.0" } })
      assert(ok, err)
    end)
  end)

  describe("the texts of Mautic 7.x", function()
    setup(function() S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "7.0.0" } }) end)
    teardown(function() S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "5.1.0" } }) end)
    for _, row in ipairs(CASES_70) do
      local o = OBJECTS[row[1]]
      local alias = o.prefix .. row[2]
      it(row[1] .. " " .. row[2] .. " " .. show(row[3]) .. ": " .. row[4], function()
        local r = req("POST", o.path .. "/new", with(ident(o), alias, row[3]))
        assert.equal(400, r.status)
        assert.equal(alias .. ": " .. row[4], r.body.errors[1].message)
      end)
    end
  end)

  describe("custom field definitions", function()
    local function new_field(object, body)
      return req("POST", "/api/fields/" .. object .. "/new", body)
    end
    it("answer their properties as strings, a lookup's list as an array", function()
      local r = new_field("contact", O{ "label", "n3", "type", "number",
                                        "properties", O{ "scale", 3, "roundmode", 2, "foo", 1 } })
      assert.equal(201, r.status)
      assert.same({ scale = "3", roundmode = "2" }, json.plain(r.body.field.properties))
      r = new_field("contact", O{ "label", "lk", "type", "lookup", "properties", O{ "list", "x|y" } })
      assert.same({ "x", "y" }, json.plain(r.body.field.properties.list))
      r = new_field("contact", O{ "label", "sel", "type", "select", "properties",
                                  O{ "list", A{ O{ "label", "One", "value", 1 } } } })
      assert.same({ { label = "One", value = "1" } }, json.plain(r.body.field.properties.list))
    end)
    it("refuse a list type without its list, or with a list of plain strings", function()
      local r = new_field("contact", O{ "label", "s0", "type", "select" })
      assert.equal(400, r.status)
      assert.equal("list: At least one list value is required.", r.body.errors[1].message)
      r = new_field("contact", O{ "label", "s1", "type", "select", "properties", O{ "list", "a|b" } })
      assert.equal("list: This value is not valid.", r.body.errors[1].message)
      r = new_field("contact", O{ "label", "s2", "type", "select", "properties", O{ "list", A{ "a", "b" } } })
      assert.equal("This value is not valid., This value is not valid.", r.body.errors[1].message)
    end)
    it("refuse an unknown type; a company lookup field given its list as a string is a 500", function()
      local r = new_field("contact", O{ "label", "bad", "type", "nonsense" })
      assert.equal(400, r.status)
      assert.equal("type: This value is not valid., charLengthLimit: This value should not be blank.",
                   r.body.errors[1].message)
      r = new_field("company", O{ "label", "clk", "type", "lookup", "properties", O{ "list", "x|y" } })
      assert.equal(500, r.status)
      r = new_field("company", O{ "label", "clk2", "type", "lookup", "properties", O{ "list", A{ "x", "y" } } })
      assert.equal(201, r.status)
    end)
    it("7.x wants a boolean's two labels", function()
      S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "7.0.0" } })
      local r = new_field("contact", O{ "label", "b7", "type", "boolean", "properties", O{ "yes", "Y" } })
      S.request(srv, "POST", "/__fake/config", { auth = false, json = { version = "5.1.0" } })
      assert.equal(400, r.status)
      assert.equal("A 'negative' label is required.", r.body.errors[1].message)
      r = new_field("contact", O{ "label", "b5", "type", "boolean" })
      assert.equal(201, r.status)
    end)
  end)
end)
