-- What a stopped import says about itself: err.summary.errors names the
-- chunk failure that stopped the job (its rows, kind, status, message and
-- whether Mautic may have applied it), ahead of the rows Mautic refused, so
-- a summary printed as JSON tells what happened.
local fake = require "support.fake"

local function rows(n)
  local out = {}
  for i = 1, n do out[i] = { email = ("stop%d@import.test"):format(i) } end
  out[3].email = "not-an-email"          -- one row Mautic refuses, in the first chunk
  return out
end

describe("a contacts import stopped by a failed chunk", function()
  before_each(function() fake.reset() end)

  it("lists the failure that stopped it first in err.summary.errors, then the refused rows", function()
    local api = fake.client()
    fake.fault{ path = "^/api/contacts/batch/new$", status = 500, skip = 1, count = 1 }
    local s, err = api.contacts.import(rows(30), { batch_limit = 10 })
    assert.is_nil(s)
    assert.equal(500, err.status)
    local errors = err.summary.errors
    assert.equal(2, #errors)
    assert.same({ 11, 20 }, errors[1].rows)
    assert.equal("http", errors[1].kind)
    assert.equal(500, errors[1].status)
    assert.is_true(errors[1].maybe_applied)
    assert.equal(err.message, errors[1].message)
    assert.equal(3, errors[2].row)               -- the refused row keeps its own shape
    assert.equal(20, err.summary.pending)
  end)

  it("keeps the errors of a job that finished to the refused rows", function()
    local api = fake.client()
    local s = assert(api.contacts.import(rows(12), { batch_limit = 10 }))
    assert.equal(1, #s.errors)
    assert.equal(3, s.errors[1].row)
    assert.is_nil(s.errors[1].rows)
  end)
end)
