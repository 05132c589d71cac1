-- Bulk eligibility (issue #4, item 7): a logged-in user uploads a CSV of up
-- to 50,000 addresses; the job heat.bulk answers every row and writes the
-- result file. The rows themselves are not stored here: the input (kept as
-- UTF-8) and the result are files <data_dir>/heat-bulk/<id>.csv and
-- <id>-resultat.csv, named from the id only. Finished files are deleted
-- after 7 days (job heat.bulk.purge), with their row.
CREATE TABLE heat_bulk (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, -- the uploader, the only one who sees it
  filename    TEXT NOT NULL,             -- the client's file name, for display only
  encoding    TEXT NOT NULL CHECK (encoding IN ('utf-8', 'windows-1252')), -- as detected at upload
  sep         TEXT NOT NULL,             -- the file's separator (the result uses it too)
  columns     TEXT NOT NULL,             -- the columns used, in French, for the page
  rows_total  INTEGER NOT NULL,          -- data rows (header excluded), at most 50,000
  rows_done   INTEGER NOT NULL DEFAULT 0, -- rows answered so far (the job resumes after them)
  rows_error  INTEGER NOT NULL DEFAULT 0, -- of which answered with an error
  out_bytes   INTEGER NOT NULL DEFAULT 0, -- bytes of the result file that belong to rows_done
  counts      TEXT NOT NULL DEFAULT '{}', -- JSON {eligibility code or "erreur": rows}
  errors      TEXT NOT NULL DEFAULT '[]', -- JSON [{"line", "message"}]: the first 100 rows in error
  status      TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  error       TEXT,                      -- why the whole file failed, in French
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER
);
CREATE INDEX heat_bulk_user ON heat_bulk(user_id, id);
