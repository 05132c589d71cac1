-- Public pages of the heat service: the count of eligibility tests shown on
-- /stats, and the dated parameters of the cost and CO2 comparator.

-- Eligibility tests, counted per day, where they were asked and answer. No
-- address, no point, nobody: only the counts (stats_pages.c keeps the last
-- minute's in memory and adds them here).
CREATE TABLE heat_test_counts (
  day    TEXT NOT NULL,                                   -- 'YYYY-MM-DD', local time
  source TEXT NOT NULL CHECK (source IN ('page', 'api', 'bulk')), -- the public page, /api/v1, a bulk file
  level  TEXT NOT NULL,                                   -- heat_level_code: 'tres_proche'…
  n      INTEGER NOT NULL CHECK (n >= 0),                 -- tests that day
  PRIMARY KEY (day, source, level)
) WITHOUT ROWID;

-- What heating a building costs and emits, by heating mode. A row applies
-- from valid_from on, until a newer row of the same mode: the comparator
-- takes, per mode, the row with the latest valid_from not after today.
-- Rows are added, never edited, so past comparisons can be explained.
CREATE TABLE heat_cost_params (
  id              INTEGER PRIMARY KEY,
  mode            TEXT NOT NULL CHECK (mode IN ('reseau', 'gaz', 'fioul', 'pac', 'bois')),
  valid_from      TEXT NOT NULL,                          -- 'YYYY-MM-DD'
  price_cents_mwh INTEGER NOT NULL CHECK (price_cents_mwh >= 0), -- final energy, taxes and subscription included: cents per MWh (11000 = 0.11 €/kWh)
  efficiency_bp   INTEGER NOT NULL CHECK (efficiency_bp > 0), -- heat delivered / final energy, basis points (9000 = 90 %, a heat pump's SCOP 2.9 = 29000)
  co2_g_kwh       INTEGER NOT NULL CHECK (co2_g_kwh >= 0), -- g CO2e per kWh of final energy (DPE factors); for 'reseau', used when the network has no published content
  source          TEXT NOT NULL DEFAULT '',               -- where the figures come from, shown on the page
  created_at      INTEGER NOT NULL,
  created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: these defaults
  UNIQUE (mode, valid_from)
);

-- Defaults. Emission factors: the DPE method's (arrêté du 31 mars 2021,
-- kgCO2e/kWh: gas 0.227, fuel oil 0.324, electricity for heating 0.079,
-- wood 0.030). Prices and efficiencies are orders of magnitude for 2024,
-- for the administrator to replace with dated local figures.
INSERT INTO heat_cost_params(mode, valid_from, price_cents_mwh, efficiency_bp, co2_g_kwh, source, created_at) VALUES
  ('reseau', '2024-01-01', 11000, 9500, 100,
   'Contenu CO2 : celui du réseau (arrêté DPE) ; 100 g/kWh est une valeur de repli indicative quand il n’est pas publié. Prix : ordre de grandeur 2024, abonnement compris.', strftime('%s', 'now')),
  ('gaz', '2024-01-01', 12000, 9000, 227,
   'Facteur d’émission : méthode DPE (0,227 kgCO2e/kWh). Prix : ordre de grandeur 2024, abonnement compris. Rendement : chaudière à condensation.', strftime('%s', 'now')),
  ('fioul', '2024-01-01', 12000, 8500, 324,
   'Facteur d’émission : méthode DPE (0,324 kgCO2e/kWh). Prix : ordre de grandeur 2024 (1,20 € le litre, 10 kWh par litre).', strftime('%s', 'now')),
  ('pac', '2024-01-01', 25000, 29000, 79,
   'Facteur d’émission : électricité pour le chauffage, méthode DPE (0,079 kgCO2e/kWh). Prix : ordre de grandeur 2024 du kWh électrique. Rendement : coefficient de performance saisonnier de 2,9.', strftime('%s', 'now')),
  ('bois', '2024-01-01', 9000, 8500, 30,
   'Facteur d’émission : méthode DPE (0,030 kgCO2e/kWh). Prix : ordre de grandeur 2024 des granulés. Rendement : chaudière à granulés.', strftime('%s', 'now'));
