-- mautic.csv: quoted fields. The reader cuts a quoted field that ends on
-- its line with no doubled quote in its record loop, and reads the others
-- (doubled quotes, line breaks) apart; both ways must give the same cells
-- and the same errors, wherever the field stands in its record.
local csv = require "mautic.csv"

describe("mautic.csv quoted fields", function()
  -- { name, input, expected records | { error = "text in the message" } }
  local CASES = {
    { "a plain quoted field beside one with doubled quotes", 'a,b\n"x,y","say ""hi"""\n',
      { { "a", "b" }, { "x,y", 'say "hi"' } } },
    { "a field that is one quote", 'a,b\n"""",x\n', { { "a", "b" }, { '"', "x" } } },
    { "doubled quotes first, then a plain quoted field", 'a,b\n"""x""","y"\n',
      { { "a", "b" }, { '"x"', "y" } } },
    { "a field over two lines, then a quoted one on its last line", 'a,b,c\n"1\n2","3",4\n',
      { { "a", "b", "c" }, { "1\n2", "3", "4" } } },
    { "a quoted field at the end of a CRLF line", 'a,b\r\n1,"x"\r\n2,""\r\n',
      { { "a", "b" }, { "1", "x" }, { "2", "" } } },
    { "a quoted field with no line break after it", 'a\n"x"', { { "a" }, { "x" } } },
    { "a quoted field ending in a separator", 'a,b\n"x,",\n', { { "a", "b" }, { "x,", "" } } },
    { "text after the closing quote of a field that ended on its line", 'a,b\n1,"x" \n',
      { error = 'line 2: " " after a closing quote' } },
    { "text after the closing quote of a field over lines: the line it closed on", 'a,b\n"1\n2"z,3\n',
      { error = 'line 3: "z" after a closing quote' } },
    { "a field whose last quote is doubled and never closed", 'a\n"x""\n', { error = "line 2: a quoted field is not closed" } },
  }
  for _, c in ipairs(CASES) do
    it("reads " .. c[1], function()
      local records, err = csv.parse(c[2])
      if c[3].error then
        assert.is_nil(records)
        assert.matches(c[3].error, err, 1, true)
      else
        assert.is_nil(err)
        assert.same(c[3], records)
      end
    end)
  end
end)
