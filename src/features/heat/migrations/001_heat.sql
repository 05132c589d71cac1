-- Heat networks (France Chaleur Urbaine's model), eligibility contact
-- requests and their pipeline. Traces and priority zones are geo features of
-- the core layers "heat_networks" and "heat_zones", whose source identifier
-- (geo_features.ext_id) is the network's SNCU id: the row and its trace are
-- joined by that id, so a re-imported trace keeps its network.
CREATE TABLE heat_networks (
  id                     INTEGER PRIMARY KEY,
  sncu_id                TEXT NOT NULL UNIQUE,   -- national identifier, "1701C"
  name                   TEXT NOT NULL,
  operator_name          TEXT NOT NULL DEFAULT '', -- gestionnaire, as published
  operator_org_id        INTEGER,                -- organisations.id (account feature), not used yet
  operator_user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL, -- operator account that receives requests
  operator_email         TEXT NOT NULL DEFAULT '', -- or an address that receives them (no account)
  co2_g_kwh              REAL,                   -- regulatory CO2 content, direct (arrêté DPE), g/kWh
  co2_acv_g_kwh          REAL,                   -- life-cycle CO2 content, g/kWh
  renewable_pct          REAL,                   -- renewable and recovered share, %
  figures_year           TEXT NOT NULL DEFAULT '', -- reference year of the figures ("2024", "Moyenne")
  open_to_connections    INTEGER NOT NULL DEFAULT 1 CHECK (open_to_connections IN (0, 1)),
  kind                   TEXT NOT NULL DEFAULT 'heat' CHECK (kind IN ('heat', 'cold')),
  threshold_very_close_m INTEGER,                -- NULL: default (heat.c)
  threshold_close_m      INTEGER,                -- NULL: default (heat.c)
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL
);
CREATE INDEX heat_networks_operator ON heat_networks(operator_user_id);

-- Contact requests from the eligibility page. Personal data: last_name,
-- first_name, email, phone, comment, address (export and erasure find them
-- by these columns).
CREATE TABLE heat_requests (
  id              INTEGER PRIMARY KEY,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  address         TEXT NOT NULL,                  -- personal: geocoded label
  address_id      INTEGER,                        -- geocoder address id (0: street level)
  commune         TEXT NOT NULL DEFAULT '',
  lon             REAL NOT NULL,
  lat             REAL NOT NULL,
  profile         TEXT NOT NULL CHECK (profile IN ('copropriete', 'maison', 'professionnel')),
  structure_type  TEXT NOT NULL DEFAULT '',       -- professionals only
  structure_name  TEXT NOT NULL DEFAULT '',
  energy          TEXT NOT NULL CHECK (energy IN ('gaz', 'fioul', 'electricite', 'bois', 'autre')),
  heating_mode    TEXT NOT NULL CHECK (heating_mode IN ('individuel', 'collectif')),
  dwellings       INTEGER,
  surface_m2      INTEGER,
  last_name       TEXT NOT NULL,                  -- personal
  first_name      TEXT NOT NULL,                  -- personal
  email           TEXT NOT NULL,                  -- personal, lower-cased
  phone           TEXT NOT NULL DEFAULT '',       -- personal
  comment         TEXT NOT NULL DEFAULT '',       -- personal
  eligibility     TEXT NOT NULL,                  -- heat_level_code at creation
  distance_m      REAL,                           -- to the nearest open network, NULL if none
  network_id      INTEGER REFERENCES heat_networks(id) ON DELETE SET NULL, -- routed to its operator; NULL: energy agency
  routed_to       TEXT NOT NULL,                  -- the address that was told
  status          TEXT NOT NULL                   -- heat.c heat_statuses
);
CREATE INDEX heat_requests_dedupe ON heat_requests(email, address, created_at);
CREATE INDEX heat_requests_network ON heat_requests(network_id, created_at);

CREATE TABLE heat_request_history (
  id          INTEGER PRIMARY KEY,
  request_id  INTEGER NOT NULL REFERENCES heat_requests(id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: the applicant (creation)
  old_status  TEXT,                                -- NULL at creation
  new_status  TEXT NOT NULL,
  comment     TEXT NOT NULL DEFAULT ''             -- shown to the applicant in the email
);
CREATE INDEX heat_request_history_request ON heat_request_history(request_id, id);
