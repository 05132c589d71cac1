-- Labelled commercial offers and declared equipment (issue #3, journeys 2
-- and 3). An organisation (installer) asks for a label on an offer, or
-- declares a charging equipment with its technical documents; instructors
-- (capability "aid.review") validate or refuse with a reason. Each change of
-- status writes an event row: the history the applicant sees (who, when,
-- why). Dossiers reference aid_labels(id, org_id, status, name): those four
-- columns and the three label statuses are a contract with them.

CREATE TABLE aid_labels (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,   -- who asked (mails go to them)
  status TEXT NOT NULL DEFAULT 'deposee' CHECK (status IN ('deposee', 'validee', 'refusee')),
  name TEXT NOT NULL,                          -- the commercial offer's name
  departements TEXT NOT NULL,                  -- "17,2A,79,971": sorted, distinct, comma-joined
  parking TEXT NOT NULL CHECK (parking IN ('residentiel_collectif', 'maison_individuelle', 'entreprise_flotte',
                                           'parking_public', 'voirie_publique', 'poids_lourds', 'autre')),
  housing TEXT NOT NULL CHECK (housing IN ('collectif', 'maison', 'aucun')), -- collective residence, private house
  company INTEGER NOT NULL CHECK (company IN (0, 1)), -- offer made for companies
  description TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',             -- the refusal's reason ('' unless refusee)
  decided_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  decided_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX aid_labels_org ON aid_labels(org_id, status);
CREATE INDEX aid_labels_status ON aid_labels(status, created_at);

CREATE TABLE aid_label_events (
  id INTEGER PRIMARY KEY,
  label_id INTEGER NOT NULL REFERENCES aid_labels(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: the account is gone
  status TEXT NOT NULL,                        -- status after the event
  comment TEXT NOT NULL DEFAULT ''             -- why (refusal reason, instructor's note)
);
CREATE INDEX aid_label_events_label ON aid_label_events(label_id, id);

CREATE TABLE aid_equipment (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,   -- who declared it
  -- brouillon: documents being added; refusee may be corrected and filed again.
  status TEXT NOT NULL DEFAULT 'brouillon' CHECK (status IN ('brouillon', 'deposee', 'validee', 'refusee')),
  brand TEXT NOT NULL,
  model TEXT NOT NULL,
  reference TEXT NOT NULL,
  power_max_w INTEGER NOT NULL CHECK (power_max_w > 0),      -- watts (the form speaks kW)
  power_min_w INTEGER NOT NULL CHECK (power_min_w > 0 AND power_min_w <= power_max_w),
  plug TEXT NOT NULL CHECK (plug IN ('t2', 't3', 'ef', 'ccs2', 'chademo', 'autre')),
  reason TEXT NOT NULL DEFAULT '',
  decided_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  decided_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX aid_equipment_org ON aid_equipment(org_id, status);
CREATE INDEX aid_equipment_status ON aid_equipment(status, created_at);

CREATE TABLE aid_equipment_docs (
  id INTEGER PRIMARY KEY,
  equipment_id INTEGER NOT NULL REFERENCES aid_equipment(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,   -- who uploaded it
  filename TEXT NOT NULL,                      -- the client's file name, display only
  mime TEXT NOT NULL,                          -- detected by content (application/pdf)
  size INTEGER NOT NULL,
  hash TEXT NOT NULL,                          -- SHA-256: the stored file's name (core/upload.h)
  created_at INTEGER NOT NULL
);
CREATE INDEX aid_equipment_docs_eq ON aid_equipment_docs(equipment_id);
CREATE INDEX aid_equipment_docs_hash ON aid_equipment_docs(hash);

CREATE TABLE aid_equipment_events (
  id INTEGER PRIMARY KEY,
  equipment_id INTEGER NOT NULL REFERENCES aid_equipment(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  status TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX aid_equipment_events_eq ON aid_equipment_events(equipment_id, id);
