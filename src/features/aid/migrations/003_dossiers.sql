-- Aid requests ("dossiers") and their life: history, documents, requested
-- documents, messages, private notes. A dossier belongs to an organisation
-- (the installer's company filing it); its members see it, instructors
-- ("aid.review") see all. Money in cents; times are unix seconds.
-- Personal data columns are marked "-- personal".
CREATE TABLE aid_dossiers (
  id              INTEGER PRIMARY KEY,
  number          TEXT UNIQUE,                 -- tracking number "AV-2026-000123", set at creation
  programme_id    INTEGER NOT NULL REFERENCES aid_programmes(id),
  org_id          INTEGER NOT NULL REFERENCES organisations(id),
  user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL, -- who created it
  status          TEXT NOT NULL DEFAULT 'brouillon' CHECK (status IN (
                    'brouillon', 'deposee', 'en_instruction', 'complements', 'validee',
                    'justificatifs', 'versement', 'versee', 'refusee', 'annulee', 'expiree')),
  step            INTEGER NOT NULL DEFAULT 0,  -- last draft step saved (1..4)
  -- Step 1: offer, site, points, costs.
  label_id        INTEGER,                     -- aid_labels.id, a validated label of org_id
  site_address    TEXT NOT NULL DEFAULT '',
  site_postcode   TEXT NOT NULL DEFAULT '',
  site_city       TEXT NOT NULL DEFAULT '',
  departement     TEXT NOT NULL DEFAULT '',    -- "17", "2A", "971": from the postcode
  site_lon        REAL,
  site_lat        REAL,
  points          INTEGER NOT NULL DEFAULT 0,
  cost_cents      INTEGER NOT NULL DEFAULT 0,  -- eligible cost, excluding tax
  with_bonus      INTEGER NOT NULL DEFAULT 0 CHECK (with_bonus IN (0, 1)),
  -- Step 2: applicant (the filing company's contact) and beneficiary.
  contact_name    TEXT NOT NULL DEFAULT '',    -- personal
  contact_email   TEXT NOT NULL DEFAULT '',    -- personal
  contact_phone   TEXT NOT NULL DEFAULT '',    -- personal
  beneficiary_kind TEXT NOT NULL DEFAULT '',   -- copropriete, entreprise, collectivite, particulier
  beneficiary_name TEXT NOT NULL DEFAULT '',   -- personal when a private person
  beneficiary_siret TEXT NOT NULL DEFAULT '',
  beneficiary_email TEXT NOT NULL DEFAULT '',  -- personal
  beneficiary_address TEXT NOT NULL DEFAULT '',-- personal when a private person
  extra           TEXT NOT NULL DEFAULT '{}',  -- the programme's extra fields, JSON object
  -- Amounts: requested (the rule's result at submission), granted (committed
  -- on the envelope when validated), paid.
  amount_cents    INTEGER NOT NULL DEFAULT 0,
  granted_cents   INTEGER NOT NULL DEFAULT 0,
  paid_cents      INTEGER NOT NULL DEFAULT 0,
  committed       INTEGER NOT NULL DEFAULT 0 CHECK (committed IN (0, 1)), -- 1 while granted_cents/points count in the envelope
  -- Amendments: a submitted dossier is cancelled and replaced by a new one.
  replaces_id     INTEGER REFERENCES aid_dossiers(id),
  replaced_by_id  INTEGER REFERENCES aid_dossiers(id),
  assignee_id     INTEGER REFERENCES users(id) ON DELETE SET NULL, -- instructor
  reason          TEXT NOT NULL DEFAULT '',    -- refusal or cancellation reason (also in the history)
  proofs_due_on   TEXT,                        -- 'YYYY-MM-DD': proofs after this day → expirée
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  submitted_at    INTEGER,                     -- first move to 'deposee'
  decided_at      INTEGER,                     -- validee or refusee
  complements_at  INTEGER,                     -- last move to 'complements'
  paid_at         INTEGER
);
CREATE INDEX aid_dossiers_org ON aid_dossiers(org_id, status, updated_at);
CREATE INDEX aid_dossiers_work ON aid_dossiers(status, submitted_at);
CREATE INDEX aid_dossiers_programme ON aid_dossiers(programme_id, status);
CREATE INDEX aid_dossiers_assignee ON aid_dossiers(assignee_id, status);

-- The history: every status change (who, when, why), and other notable
-- actions (assignment, documents requested). Shown to the applicant, except
-- rows with internal = 1.
CREATE TABLE aid_dossier_events (
  id          INTEGER PRIMARY KEY,
  dossier_id  INTEGER NOT NULL REFERENCES aid_dossiers(id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: the platform (a job)
  kind        TEXT NOT NULL,                  -- 'status', 'assign', 'request_docs', 'amend'
  from_status TEXT,
  to_status   TEXT,
  comment     TEXT NOT NULL DEFAULT '',        -- why
  internal    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX aid_dossier_events_dossier ON aid_dossier_events(dossier_id, at);
CREATE INDEX aid_dossier_events_time ON aid_dossier_events(to_status, at);

-- Documents attached to a dossier: the programme's required documents
-- (kind = the document's name as the programme lists it), the proofs after
-- acceptance ('offre_signee', 'facture', 'pv_mise_en_service'), and message
-- attachments (kind 'message', message_id set). Files are in the content
-- store (core/upload.h).
CREATE TABLE aid_dossier_docs (
  id          INTEGER PRIMARY KEY,
  dossier_id  INTEGER NOT NULL REFERENCES aid_dossiers(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  message_id  INTEGER,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  filename    TEXT NOT NULL,                   -- personal: display only
  mime        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  hash        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX aid_dossier_docs_dossier ON aid_dossier_docs(dossier_id, kind);
CREATE INDEX aid_dossier_docs_hash ON aid_dossier_docs(hash);

-- Documents an instructor asked for ("compléments demandés"), from the
-- programme's checklist or typed; fulfilled when the applicant adds one.
CREATE TABLE aid_doc_requests (
  id           INTEGER PRIMARY KEY,
  dossier_id   INTEGER NOT NULL REFERENCES aid_dossiers(id) ON DELETE CASCADE,
  label        TEXT NOT NULL,
  requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  requested_at INTEGER NOT NULL,
  doc_id       INTEGER REFERENCES aid_dossier_docs(id) ON DELETE SET NULL,
  fulfilled_at INTEGER
);
CREATE INDEX aid_doc_requests_dossier ON aid_doc_requests(dossier_id);

-- Messages between the applicant's organisation and the instructors.
CREATE TABLE aid_messages (
  id          INTEGER PRIMARY KEY,
  dossier_id  INTEGER NOT NULL REFERENCES aid_dossiers(id) ON DELETE CASCADE,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  from_staff  INTEGER NOT NULL CHECK (from_staff IN (0, 1)),
  body        TEXT NOT NULL,                   -- personal
  created_at  INTEGER NOT NULL
);
CREATE INDEX aid_messages_dossier ON aid_messages(dossier_id, created_at);

-- Instructors' private notes: never shown to the applicant.
CREATE TABLE aid_notes (
  id          INTEGER PRIMARY KEY,
  dossier_id  INTEGER NOT NULL REFERENCES aid_dossiers(id) ON DELETE CASCADE,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX aid_notes_dossier ON aid_notes(dossier_id);

-- Envelope warnings already sent to the admins (80 and 95 %).
ALTER TABLE aid_programmes ADD COLUMN warned_pct INTEGER NOT NULL DEFAULT 0;
-- Months after the validation during which the proofs must arrive.
ALTER TABLE aid_programmes ADD COLUMN proofs_months INTEGER NOT NULL DEFAULT 12;
-- The programme's extra form fields, a JSON array of
-- {"name", "label", "type" (text, number, date, choice, yesno, file, address,
-- siret), "required", "min", "max", "choices"}; values go to aid_dossiers.extra.
ALTER TABLE aid_programmes ADD COLUMN fields TEXT NOT NULL DEFAULT '[]';
