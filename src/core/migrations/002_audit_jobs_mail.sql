-- Core audit log, background jobs and mail outbox. Personal data columns are
-- marked "-- personal" so that export and erasure can find them.

-- The append-only, hash-chained audit log (see core/audit.c for the hash).
-- Entries are never erased, personal columns included: the log is the
-- record of who did what, and its retention is the log's own.
CREATE TABLE audit (
  id        INTEGER PRIMARY KEY,               -- assigned by audit_log: head + 1
  at        INTEGER NOT NULL,                  -- unix seconds
  user_id   INTEGER NOT NULL DEFAULT 0,        -- acting user; 0 = system/anonymous
  action    TEXT NOT NULL,                     -- "user.login", "account.document.upload"
  object    TEXT,                              -- what was acted on: "user:12"
  ip        TEXT,                              -- personal
  detail    TEXT,                              -- personal: free text, may name people
  prev_hash TEXT NOT NULL,                     -- previous entry's hash; 64 zeros for the first
  hash      TEXT NOT NULL                      -- SHA-256 hex over prev_hash and the fields
);
CREATE INDEX audit_user ON audit(user_id, at);
CREATE INDEX audit_action ON audit(action, at);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_object ON audit(object, at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'le journal d''audit ne se modifie pas');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'le journal d''audit ne s''efface pas');
END;

-- The last entry appended, updated with each append: a deleted tail leaves
-- no gap in the ids, but it no longer matches this row.
CREATE TABLE audit_head (
  one       INTEGER PRIMARY KEY CHECK (one = 1), -- a single row
  last_id   INTEGER NOT NULL,                  -- 0 while the log is empty
  last_hash TEXT NOT NULL                      -- hash of entry last_id; 64 zeros when empty
);
INSERT INTO audit_head(one, last_id, last_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
  SELECT RAISE(ABORT, 'la tête du journal d''audit ne s''efface pas');
END;

-- Background jobs (core/jobs.c).
CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,                  -- handler name: "mail.send"
  payload      TEXT NOT NULL DEFAULT '{}',     -- JSON object; ids, not personal data
  status       TEXT NOT NULL DEFAULT 'queued'  -- queued, running, done, failed (gave up)
               CHECK (status IN ('queued', 'running', 'done', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,     -- runs started so far
  max_attempts INTEGER NOT NULL DEFAULT 5,     -- 'failed' after this many failed runs
  run_at       INTEGER NOT NULL,               -- not before (unix seconds)
  last_error   TEXT,                           -- message of the last failed run
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);

-- Periodic jobs: when each kind is next due (job_every).
CREATE TABLE job_schedule (
  kind     TEXT PRIMARY KEY,                   -- job kind enqueued every period
  next_run INTEGER NOT NULL                    -- unix seconds
);

-- Outgoing mail (core/mail.c). 'held' = no SMTP configured: the message
-- stays here for admins (/admin/outbox), tests and the demo.
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  to_addr    TEXT NOT NULL,                    -- personal: one address
  subject    TEXT NOT NULL,                    -- personal: may name the recipient
  body       TEXT NOT NULL,                    -- personal: plain text UTF-8
  status     TEXT NOT NULL DEFAULT 'queued'    -- queued, held, sent, failed (last try)
             CHECK (status IN ('queued', 'held', 'sent', 'failed')),
  created_at INTEGER NOT NULL,
  sent_at    INTEGER,
  error      TEXT                              -- last SMTP error
);
CREATE INDEX outbox_status ON outbox(status, created_at);
