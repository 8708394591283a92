--- Dates as Mautic and HTTP write them, to epoch seconds, in plain Lua
-- (no os.time: it reads the local zone). The fake server uses the same
-- calendar arithmetic.
local type, tonumber, floor = type, tonumber, math.floor
local match = string.match

local _M = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
                 Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

--- Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's
-- algorithm), for any year, without os.time (which reads the local zone).
function _M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- The civil date (y, m, d) of a day count since 1970-01-01: the inverse of
-- days_from_civil.
function _M.civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

--- Epoch seconds of an HTTP-date (RFC 9110: IMF-fixdate, and the obsolete
-- RFC 850 and asctime forms), or nil.
function _M.parse_http(s)
  if type(s) ~= "string" then return nil end
  local d, mon, y, hh, mm, ss = match(s, "^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d then
    d, mon, y, hh, mm, ss = match(s, "^%a+, (%d%d)%-(%a%a%a)%-(%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if y then
      -- a two-digit year more than 50 years ahead is in the past century
      y = tonumber(y) + 2000
      if y > tonumber(os.date("!%Y")) + 50 then y = y - 100 end
    end
  end
  if not d then
    mon, d, hh, mm, ss, y = match(s, "^%a+ (%a%a%a) +(%d+) (%d%d):(%d%d):(%d%d) (%d%d%d%d)$")
  end
  local m = mon and MONTHS[mon]
  if not m then return nil end
  d, y, hh, mm, ss = tonumber(d), tonumber(y), tonumber(hh), tonumber(mm), tonumber(ss)
  if d < 1 or d > 31 or hh > 23 or mm > 59 or ss > 60 then return nil end
  return _M.days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss
end

--- Epoch seconds of an ISO 8601 date and time as Mautic writes them
-- ("2026-12-03T17:56:07+00:00", also with "Z" or a space), or nil.
function _M.parse_iso(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, zone = match(s, "^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):?(%d*)(.*)$")
  if not y then return nil end
  local offset = 0
  if zone ~= "" and zone ~= "Z" then
    local sign, zh, zm = match(zone, "^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
  end
  return _M.days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60
         + (tonumber(sec) or 0) - offset
end

return _M
