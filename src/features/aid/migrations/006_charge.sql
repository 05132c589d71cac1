-- Charging data of funded points (issue #3, journey 9): the points a dossier
-- funds, described by their IRVE static rows; their charging sessions; the
-- per-day aggregates that the summary pages read; and the imports (CSV
-- uploads and API calls) with their row-by-row reports. No personal data:
-- operators' contacts are professional addresses published in open data.

-- One row per charging point (IRVE "point de charge"), keyed nationally by
-- id_pdc_itinerance, attached for good to one dossier (validated or later)
-- and its organisation. The main fields of IRVE statique 2.3.0; booleans
-- are 0/1, NULL when the file left them empty.
CREATE TABLE aid_charge_points (
  id                    INTEGER PRIMARY KEY,
  id_pdc_itinerance     TEXT NOT NULL UNIQUE,
  dossier_id            INTEGER NOT NULL REFERENCES aid_dossiers(id),
  org_id                INTEGER NOT NULL REFERENCES organisations(id),
  id_station_itinerance TEXT NOT NULL,
  nom_station           TEXT NOT NULL,
  nom_amenageur         TEXT,
  siren_amenageur       TEXT,
  nom_operateur         TEXT,
  contact_operateur     TEXT NOT NULL,
  nom_enseigne          TEXT NOT NULL,
  implantation_station  TEXT NOT NULL,
  adresse_station       TEXT NOT NULL,
  code_insee_commune    TEXT,
  lon                   REAL NOT NULL,         -- coordonneesXY, WGS 84 degrees
  lat                   REAL NOT NULL,
  nbre_pdc              INTEGER NOT NULL,
  puissance_nominale    REAL NOT NULL,         -- kW
  prise_type_ef         INTEGER NOT NULL,
  prise_type_2          INTEGER NOT NULL,
  prise_type_combo_ccs  INTEGER NOT NULL,
  prise_type_chademo    INTEGER NOT NULL,
  prise_type_autre      INTEGER NOT NULL,
  gratuit               INTEGER,
  paiement_acte         INTEGER NOT NULL,
  paiement_cb           INTEGER,
  condition_acces       TEXT NOT NULL,
  reservation           INTEGER NOT NULL,
  horaires              TEXT NOT NULL,
  accessibilite_pmr     TEXT NOT NULL,
  raccordement          TEXT,
  date_mise_en_service  TEXT,                  -- 'YYYY-MM-DD'
  date_maj              TEXT NOT NULL,         -- 'YYYY-MM-DD'
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL
);
CREATE INDEX aid_charge_points_dossier ON aid_charge_points(dossier_id, id_pdc_itinerance);
CREATE INDEX aid_charge_points_org ON aid_charge_points(org_id);

-- Charging sessions: 5 million rows and more, so every column is an
-- integer and the table is its own index (WITHOUT ROWID, keyed by point
-- then start): about 30 bytes a row on disk (BENCHMARKS.md). A point cannot
-- start two sessions in the same second, so the key also makes a repeated
-- upload, or a load resumed after a crash, add nothing twice.
-- No REFERENCES on point_id: the loader resolved it from the organisation's
-- points, and points are never deleted while they have sessions.
CREATE TABLE aid_charge_sessions (
  point_id  INTEGER NOT NULL,                  -- aid_charge_points.id
  start_at  INTEGER NOT NULL,                  -- unix seconds (UTC)
  end_at    INTEGER NOT NULL,                  -- unix seconds, >= start_at
  energy_wh INTEGER NOT NULL,                  -- Wh delivered (kWh × 1000, rounded)
  PRIMARY KEY (point_id, start_at)
) WITHOUT ROWID;

-- Per point and per day, written in the same transaction as the sessions
-- they count (so a crash never leaves them out of step). day: days since
-- 1970-01-01 in the territory's calendar (local midnight to midnight).
-- A session counts (sessions, energy) on the day it starts; its occupied
-- seconds are split between the days it spans.
CREATE TABLE aid_charge_point_days (
  point_id  INTEGER NOT NULL,
  day       INTEGER NOT NULL,
  sessions  INTEGER NOT NULL,
  energy_wh INTEGER NOT NULL,
  busy_s    INTEGER NOT NULL,                  -- seconds occupied that day
  PRIMARY KEY (point_id, day)
) WITHOUT ROWID;

-- The same, summed per dossier: what the dossier and programme summaries
-- read, so that they cost one row per dossier and day whatever the number
-- of points and sessions.
CREATE TABLE aid_charge_dossier_days (
  dossier_id INTEGER NOT NULL,
  day        INTEGER NOT NULL,
  sessions   INTEGER NOT NULL,
  energy_wh  INTEGER NOT NULL,
  busy_s     INTEGER NOT NULL,
  PRIMARY KEY (dossier_id, day)
) WITHOUT ROWID;

-- Every load: a CSV upload (small ones run in the request, big ones in the
-- job "aid.charge.load", which updates the counters after each batch, in
-- the batch's transaction) or an API call. report: the JSON of
-- ts_report_json (first 1,000 issues, and their total).
CREATE TABLE aid_charge_imports (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES organisations(id),
  dossier_id    INTEGER REFERENCES aid_dossiers(id), -- points: the dossier; sessions: NULL
  user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('points', 'sessions')),
  source        TEXT NOT NULL CHECK (source IN ('csv', 'api')),
  filename      TEXT NOT NULL DEFAULT '',      -- client's name, display only
  size          INTEGER NOT NULL DEFAULT 0,    -- bytes received
  bytes_read    INTEGER NOT NULL DEFAULT 0,    -- bytes read so far (after gunzip), for the progress bar
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  rows_read     INTEGER NOT NULL DEFAULT 0,
  rows_loaded   INTEGER NOT NULL DEFAULT 0,    -- rows new to the database
  rows_known    INTEGER NOT NULL DEFAULT 0,    -- sessions already there (ignored)
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  error         TEXT NOT NULL DEFAULT '',      -- why the load stopped, French
  report        TEXT NOT NULL DEFAULT '',      -- JSON, see above
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER
);
CREATE INDEX aid_charge_imports_org ON aid_charge_imports(org_id, id);
CREATE INDEX aid_charge_imports_dossier ON aid_charge_imports(dossier_id, id);
