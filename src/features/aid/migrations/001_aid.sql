-- Aid programmes (Advenir-like primes for charging points): programmes are
-- data that territory admins edit in the back office. Money in integer
-- cents, rates in basis points (50 % = 5000), dates as 'YYYY-MM-DD'.
-- No personal data here.
CREATE TABLE aid_programmes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,                          -- "Résidentiel collectif — point individuel"
  target TEXT NOT NULL CHECK (target IN ('residentiel_collectif', 'entreprises_flottes',
                                         'voirie_publique', 'poids_lourds', 'autre')),
  rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  cap_cents INTEGER NOT NULL CHECK (cap_cents > 0),          -- cap per charging point
  bonus_cents INTEGER NOT NULL DEFAULT 0 CHECK (bonus_cents >= 0), -- per point; 0: no bonus
  bonus_label TEXT NOT NULL DEFAULT '',        -- "pilotage intelligent"
  eligible_costs TEXT NOT NULL,                -- what the rate applies to
  budget_cents INTEGER CHECK (budget_cents IS NULL OR budget_cents > 0), -- envelope; NULL: none
  max_points INTEGER CHECK (max_points IS NULL OR max_points > 0),       -- NULL: no limit
  opens_on TEXT NOT NULL,
  closes_on TEXT NOT NULL CHECK (closes_on >= opens_on),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  documents TEXT NOT NULL DEFAULT '',          -- required documents, one per line
  spec_md TEXT NOT NULL DEFAULT '',            -- specification (cahier des charges), Markdown
  -- Consumption of the envelope; kept up to date by the dossier life cycle
  -- (reservation when an offer is signed), which comes in a later slice.
  committed_cents INTEGER NOT NULL DEFAULT 0,
  committed_points INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX aid_programmes_list ON aid_programmes(active, opens_on);
