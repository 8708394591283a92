-- A resumable bulk import: a CSV file of any size into Mautic, four chunks in
-- flight, every contact filed into a segment, progress on stderr.
--
--   MAUTIC_URL=https://mautic.example.com MAUTIC_USERNAME=admin MAUTIC_PASSWORD=secret \
--     lua5.4 examples/bulk_import.lua examples/contacts.csv "CSV import"
--
-- The header row names the contact fields (email, firstname, tags...). Memory
-- stays flat however long the file is: only the chunks in flight are held.
-- The job records what is done in <file>.checkpoint; if it is killed or stops
-- on a failure, run the same command again and it sends only the rest (a
-- chunk whose answer was lost is sent again, and Mautic merges it into the
-- same contacts by email). The checkpoint is removed when every row is done.
local mautic = require "mautic"

local csv_path = arg[1] or "examples/contacts.csv"
local segment_name = arg[2] or "CSV import"
local checkpoint = csv_path .. ".checkpoint"

local api = mautic.assert(mautic.from_env())

-- the segment, by name, made if missing
local segment
for s in api.segments.each{ search = segment_name } do
  if s.name == segment_name then segment = s break end
end
segment = segment or mautic.assert(api.segments.create{ name = segment_name, isPublished = true })

local summary, err = api.contacts.import(csv_path, {
  concurrency = 4,
  segment = segment.id,
  checkpoint = checkpoint,
  on_progress = function(done, total, rate)
    io.stderr:write(("\r%d/%d rows, %.0f rows/s"):format(done, total or 0, rate))
  end,
  on_row = function(r, row)
    if not r.ok then
      -- status: Mautic's answer; none when the row was refused before it was sent
      print(("line %d: %s refused (%s): %s"):format(r.line, tostring(row.email),
        r.status and tostring(r.status) or "not sent", tostring(r.error and r.error.message)))
    end
  end,
})
io.stderr:write("\n")

if not summary then
  -- a chunk failed as a whole (the network, a 5xx): what is done is recorded
  print(("stopped: %s\nrun the same command again to finish (%d rows left)"):format(tostring(err),
    err.summary and err.summary.pending or -1))
  os.exit(1)
end
os.remove(checkpoint)
print(("%d rows: %d created, %d merged into existing contacts, %d refused, %d done before"):format(
  summary.total, summary.created, summary.merged, summary.failed, summary.skipped))
print(("segment %d %q now holds %d contacts"):format(segment.id, segment.name,
  mautic.assert(api.contacts.list{ search = "segment:" .. segment.alias, limit = 1 }).total))
