-- How strong a user's password is, in the manner of the zxcvbn estimator Mautic
-- checks new passwords with (score 0-4; Mautic refuses below 3): the password is
-- cut into the cheapest pieces (common passwords and the user's own names, also
-- in l33t and capitalised; digit runs, sequences and repeats; other characters by
-- brute force), the guesses of the pieces are multiplied, and the score follows
-- from the total. A small dictionary, so a coarser judge than zxcvbn, but it
-- agrees on the passwords of the recorded answers and the PHP client's suite.
local _M = {}

-- common passwords, most common first (a piece's guesses grow with its rank)
local COMMON = {
  "password", "123456", "12345678", "qwerty", "abc123", "monkey", "letmein", "dragon", "111111", "baseball",
  "iloveyou", "trustno1", "sunshine", "master", "welcome", "shadow", "ashley", "football", "jesus", "michael",
  "ninja", "mustang", "admin", "secret", "login", "princess", "starwars", "hello", "freedom", "whatever",
  "qazwsx", "pass", "mautic", "test", "guest", "root", "user", "changeme", "default", "summer", "winter",
}

local LEET = { ["0"] = "o", ["1"] = "i", ["3"] = "e", ["4"] = "a", ["5"] = "s", ["7"] = "t", ["@"] = "a",
               ["$"] = "s", ["!"] = "i", ["|"] = "l" }

local function unleet(s)
  return (s:gsub(".", function(c) return LEET[c] or c end))
end

local function sequence_or_repeat(run)
  if #run < 3 then return false end
  local d = run:byte(2) - run:byte(1)
  if d < -1 or d > 1 then return false end
  for i = 3, #run do
    if run:byte(i) - run:byte(i - 1) ~= d then return false end
  end
  return true
end

-- guesses of a piece that no dictionary word covers
local function other_guesses(run)
  if sequence_or_repeat(run:lower()) then return 10 * #run end
  return math.max(10 ^ #run, #run == 1 and 10 or 50)
end

-- -> estimated guesses, score (0-4); inputs: the user's own words (names, email)
function _M.estimate(pw, inputs)
  local words = {}
  for i, w in ipairs(COMMON) do words[#words + 1] = { w, i + 1 } end
  for _, w in ipairs(inputs or {}) do
    if type(w) == "string" and #w >= 3 then words[#words + 1] = { w:lower(), 1 } end
  end
  local low = pw:lower()
  local plain = unleet(low)
  local n = #pw
  -- best[i]: { guesses (log10), pieces } for the first i characters
  local best = { [0] = { 0, 0 } }
  for i = 1, n do
    -- a brute-force / sequence piece ending at i, starting anywhere
    for j = 1, i do
      local prev = best[j - 1]
      if prev then
        local g = math.log(other_guesses(pw:sub(j, i)), 10)
        local cand = { prev[1] + g, prev[2] + 1 }
        if not best[i] or cand[1] < best[i][1] then best[i] = cand end
      end
    end
    -- a dictionary word ending at i
    for _, w in ipairs(words) do
      local word, rank = w[1], w[2]
      local j = i - #word + 1
      if j >= 1 and best[j - 1] and (low:sub(j, i) == word or plain:sub(j, i) == word) then
        local piece = pw:sub(j, i)
        local g = rank
        if piece:find("%u") then g = g * 2 end                       -- capitalised
        if low:sub(j, i) ~= word then g = g * 2 end                  -- l33t
        g = math.max(g, 50)
        local cand = { best[j - 1][1] + math.log(g, 10), best[j - 1][2] + 1 }
        if cand[1] < best[i][1] then best[i] = cand end
      end
    end
  end
  local total = best[n] or { 0, 0 }
  local log_guesses = total[1]
  for k = 2, total[2] do log_guesses = log_guesses + math.log(k, 10) end   -- orders of the pieces
  local score
  if log_guesses < 3 then score = 0 elseif log_guesses < 6 then score = 1
  elseif log_guesses < 8 then score = 2 elseif log_guesses < 10 then score = 3 else score = 4 end
  return 10 ^ log_guesses, score
end

_M.MESSAGE = "Please enter a stronger password. Your password must use a combination of upper and lower case, " ..
  "special characters and numbers."

function _M.weak(pw, inputs)
  local _, score = _M.estimate(pw, inputs)
  return score < 3
end

return _M
