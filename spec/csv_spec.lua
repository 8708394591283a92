-- mautic.csv: the RFC 4180 reader bulk imports stream through, and the
-- writer exports use. Offline: canned text in, records out.
local csv = require "mautic.csv"
local sys = require "support.sys"

local function tmpfile(text)
  local path = os.tmpname()
  sys.write_file(path, text)
  return path
end

describe("mautic.csv", function()
  describe("parse", function()
    -- { name, input, expected records | { error = "text in the message" }, opts }
    local CASES = {
      { "plain fields, LF", "a,b,c\n1,2,3\n", { { "a", "b", "c" }, { "1", "2", "3" } } },
      { "CRLF line ends", "a,b\r\n1,2\r\n", { { "a", "b" }, { "1", "2" } } },
      { "no line break at the end", "a,b\n1,2", { { "a", "b" }, { "1", "2" } } },
      { "a byte order mark before the header", "\239\187\191a,b\n1,2\n", { { "a", "b" }, { "1", "2" } } },
      { "a quoted separator", 'a,b\n"x,y",2\n', { { "a", "b" }, { "x,y", "2" } } },
      { "doubled quotes", 'a\n"he said ""hi"""\n', { { "a" }, { 'he said "hi"' } } },
      { "a line break inside quotes", 'a,b\n"two\nlines",2\n', { { "a", "b" }, { "two\nlines", "2" } } },
      { "CRLF inside quotes is kept", 'a,b\r\n"two\r\nlines",2\r\n', { { "a", "b" }, { "two\r\nlines", "2" } } },
      { "a quoted field over three lines", 'a\n"1\n2\n3"\n', { { "a" }, { "1\n2\n3" } } },
      { "empty cells", "a,b,c\n,,\n", { { "a", "b", "c" }, { "", "", "" } } },
      { "a trailing empty cell", "a,b\nx,\n", { { "a", "b" }, { "x", "" } } },
      { "quoted empty cells", 'a,b\n"",""\n', { { "a", "b" }, { "", "" } } },
      { "a quoted last cell then an empty one", 'a,b\n"x",\n', { { "a", "b" }, { "x", "" } } },
      { "empty lines are skipped", "a,b\n\n1,2\r\n\r\n\n3,4\n", { { "a", "b" }, { "1", "2" }, { "3", "4" } } },
      { "spaces are data", "a,b\n x , y \n", { { "a", "b" }, { " x ", " y " } } },
      { "a quote inside an unquoted field is text", 'a,b\n5" screen,2\n', { { "a", "b" }, { '5" screen', "2" } } },
      { "UTF-8 passes through", "name\nJosé Müller\n", { { "name" }, { "José Müller" } } },
      { "another separator", 'a;b\n1;"2;3"\n', { { "a", "b" }, { "1", "2;3" } }, { separator = ";" } },
      { "a tab separator", "a\tb\n1\t2\n", { { "a", "b" }, { "1", "2" } }, { separator = "\t" } },
      { "text after a closing quote", 'a,b\n"x"y,2\n', { error = 'line 2: "y" after a closing quote' } },
      { "a quoted field never closed", 'a,b\n1,2\n"open,2\n3,4\n', { error = "line 3: a quoted field is not closed" } },
    }
    for _, c in ipairs(CASES) do
      it("reads " .. c[1], function()
        local records, err = csv.parse(c[2], c[4])
        if c[3].error then
          assert.is_nil(records)
          assert.matches(c[3].error, err, 1, true)
        else
          assert.is_nil(err)
          assert.same(c[3], records)
        end
      end)
    end

    it("refuses a separator that is a quote or a line break", function()
      assert.is_nil((csv.parse("a", { separator = '"' })))
      assert.is_nil((csv.parse("a", { separator = "\n" })))
      assert.is_nil((csv.parse("a", { separator = ",," })))
    end)
  end)

  describe("a reader over a file", function()
    it("gives rows keyed by the header, leaves empty cells out and numbers lines", function()
      local path = tmpfile('email, firstname ,tags\r\nann@x.test,Ann,"a,b"\r\nbob@x.test,,\r\n"multi\nline@x.test",Cy\r\n')
      local r = assert(csv.open(path))
      assert.same({ "email", "firstname", "tags" }, r.header)   -- header names trimmed
      local rows, lines = {}, {}
      for row, line in r:rows() do rows[#rows + 1] = row lines[#lines + 1] = line end
      r:close()
      os.remove(path)
      assert.same({ { email = "ann@x.test", firstname = "Ann", tags = "a,b" },
                    { email = "bob@x.test" },
                    { email = "multi\nline@x.test", firstname = "Cy" } }, rows)
      assert.same({ 2, 3, 4 }, lines)
    end)

    it("refuses an empty file, an empty or repeated header name and a record longer than the header", function()
      local cases = {
        { "", "the file is empty" },
        { "a,,b\n", "header cell 2 is empty" },
        { "a,b,a\n", 'header name "a" appears twice' },
      }
      for _, c in ipairs(cases) do
        local path = tmpfile(c[1])
        local r, err = csv.open(path)
        os.remove(path)
        assert.is_nil(r)
        assert.matches(c[2], err, 1, true)
      end
      local path = tmpfile("a,b\n1,2\n1,2,3\n")
      local r = assert(csv.open(path))
      assert.same({ a = "1", b = "2" }, r:row())
      local row, err = r:row()
      r:close()
      os.remove(path)
      assert.is_nil(row)
      assert.equal("line 3 has 3 cells, the header 2", err)
    end)

    it("counts the rows of a whole file and names the first bad line", function()
      local path = tmpfile('h\n1\n"2\n2"\n3\n')
      assert.equal(3, csv.count(path))
      sys.write_file(path, 'h\n1\n"x"y\n3\n')
      local n, err = csv.count(path)
      os.remove(path)
      assert.is_nil(n)
      assert.matches("^line 3:", err)
      assert.is_nil((csv.count("/nonexistent/file.csv")))
    end)

    it("reads from an open file handle and leaves it open", function()
      local path = tmpfile("a\n1\n2\n")
      local f = assert(io.open(path, "rb"))
      local r = assert(csv.open(f))
      assert.same({ a = "1" }, r:row())
      assert.same({ a = "2" }, r:row())
      assert.is_nil(r:row())
      r:close()
      assert.equal("file", io.type(f))
      f:close()
      os.remove(path)
    end)
  end)

  describe("writing", function()
    it("quotes only what must be quoted and ends lines with CRLF", function()
      assert.equal("a,b c,3\r\n", csv.line{ "a", "b c", 3 })
      assert.equal('"x,y","say ""hi""","two\nlines","cr\rhere"\r\n',
        csv.line{ "x,y", 'say "hi"', "two\nlines", "cr\rhere" })
      assert.equal("1;\"2;3\"\n", csv.line({ "1", "2;3" }, nil, { separator = ";", eol = "\n" }))
    end)

    it("writes nil and null as empty, booleans as 1/0, integral numbers without .0, arrays joined", function()
      local json = require "mautic.json"
      assert.equal(",,1,0,5,2.5,\"a,b\"\r\n", csv.line({ nil, json.null, true, false, 5.0, 2.5, { "a", "b" } }, 7))
    end)

    it("reads back what it writes", function()
      local values = { "plain", "with,comma", 'with "quotes"', "two\r\nlines", " spaced ", "José" }
      local text = csv.line(values) .. csv.line(values)
      local records = assert(csv.parse(text))
      assert.same({ values, values }, records)
    end)
  end)
end)
