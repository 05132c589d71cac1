-- Mon compte: organisations (companies), their members and documents.
CREATE TABLE organisations (
  id            INTEGER PRIMARY KEY,
  siret         TEXT NOT NULL UNIQUE,          -- 14 digits, Luhn-checked
  kind          TEXT NOT NULL,                 -- see account.c org_kinds
  name          TEXT NOT NULL,                 -- raison sociale
  address       TEXT NOT NULL,
  postcode      TEXT NOT NULL,
  city          TEXT NOT NULL,
  contact_email TEXT NOT NULL,                 -- personal (may name a person)
  contact_phone TEXT NOT NULL,                 -- personal
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE org_members (
  org_id   INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE, -- one company per account
  role     TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id)
);

CREATE TABLE documents (
  id         INTEGER PRIMARY KEY,
  org_id     INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL, -- who uploaded it
  kind       TEXT NOT NULL CHECK (kind IN ('kbis', 'identity')),
  filename   TEXT NOT NULL,                    -- personal: the client's file name, display only
  mime       TEXT NOT NULL,                    -- detected by content
  size       INTEGER NOT NULL,
  hash       TEXT NOT NULL,                    -- SHA-256: the stored file's name
  created_at INTEGER NOT NULL
);
CREATE INDEX documents_org ON documents(org_id, kind);
CREATE INDEX documents_hash ON documents(hash);
