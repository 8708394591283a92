-- mautic.dates: the three HTTP-date forms (RFC 9110 section 5.6.7, its
-- own example), Mautic's ISO 8601 with offsets, and the calendar
-- arithmetic, checked against os.time in UTC and over 800 years.
local dates = require "mautic.dates"

describe("mautic.dates", function()
  -- RFC 9110's example instant, 1994-11-06 08:49:37 UTC
  local RFC = 784111777

  for _, case in ipairs{
    { "Sun, 06 Nov 1994 08:49:37 GMT", RFC },          -- IMF-fixdate
    { "Sunday, 06-Nov-94 08:49:37 GMT", RFC },         -- obsolete RFC 850
    { "Sun Nov  6 08:49:37 1994", RFC },               -- obsolete asctime
    { "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
    { "Tue, 29 Feb 2028 23:59:60 GMT", 1835481600 },   -- a leap day, a leap second
    { "Sun, 06 Nov 1994 08:49:37 UTC", nil },          -- only GMT is an HTTP-date
    { "Sun, 06 Foo 1994 08:49:37 GMT", nil },
    { "Sun, 32 Nov 1994 08:49:37 GMT", nil },
    { "Sun, 06 Nov 1994 24:00:00 GMT", nil },
    { "", nil },
    { 42, nil },
  } do
    it(("reads the HTTP-date %q"):format(tostring(case[1])), function()
      assert.equal(case[2], dates.parse_http(case[1]))
    end)
  end

  for _, case in ipairs{
    { "1994-11-06T08:49:37+00:00", RFC },
    { "1994-11-06T08:49:37Z", RFC },
    { "1994-11-06 08:49:37", RFC },                    -- Mautic's database form, UTC
    { "1994-11-06T10:49:37+02:00", RFC },
    { "1994-11-06T03:19:37-0530", RFC },
    { "1994-11-06T08:49", RFC - 37 },
    { "1994-11-06T08:49:37 Europe/Paris", nil },
    { "06/11/1994", nil },
  } do
    it(("reads the ISO date %q"):format(case[1]), function()
      assert.equal(case[2], dates.parse_iso(case[1]))
    end)
  end

  it("counts days as os.time does in UTC, and back, from 1600 to 2400", function()
    for day = dates.days_from_civil(1600, 1, 1), dates.days_from_civil(2400, 12, 31), 97 do
      local y, m, d = dates.civil_from_days(day)
      assert.equal(day, dates.days_from_civil(y, m, d))
      if y >= 1970 and y < 2038 then
        assert.equal(day * 86400, os.time{ year = y, month = m, day = d, hour = 0 } - os.time{ year = 1970,
          month = 1, day = 1, hour = 0 })
      end
    end
    assert.same({ 2000, 2, 29 }, { dates.civil_from_days(dates.days_from_civil(2000, 2, 29)) })
    assert.equal(dates.days_from_civil(1900, 3, 1), dates.days_from_civil(1900, 2, 28) + 1)   -- 1900: no leap day
  end)
end)
