-- Reference addresses for the geocoder (core/geocode.c), loaded by
-- `guichet import addresses FILE` from the BAN (LO 2.0) or BANO (ODbL).
-- No personal data: these are public reference layers.
--
-- Text lives on streets, positions on numbers: a street's name, postcode
-- and commune are stored (and indexed) once, not once per number, so the
-- full-text index covers ~15 times fewer rows than there are addresses.
-- The view `addresses` gives the one-row-per-address shape.
--
-- FTS5 and R*Tree are SQLite-specific: a PostgreSQL backend would replace
-- address_fts with a tsvector/pg_trgm index on address_streets and
-- address_streets_rtree with a GiST index on the points; only geocode.c knows.

CREATE TABLE address_streets (
  id          INTEGER PRIMARY KEY,
  voie        TEXT NOT NULL,             -- name as published: 'Rue de la République'
  code_postal TEXT NOT NULL DEFAULT '',  -- '93140'; '' if the file had none
  code_insee  TEXT NOT NULL DEFAULT '',  -- '93010'; '' if the file had none
  commune     TEXT NOT NULL,             -- 'Bondy'
  ancienne    TEXT NOT NULL DEFAULT '',  -- former commune (commune déléguée), '' if none
  norm        TEXT NOT NULL,             -- geocode_normalize(voie): indexed text
  lieu        TEXT NOT NULL,             -- geocode_normalize(commune, ancienne, code_postal)
  n           INTEGER NOT NULL DEFAULT 0,-- numbers on the street
  lon         REAL,                      -- centroid of its numbers (WGS84)
  lat         REAL,
  rank        INTEGER UNIQUE             -- 1 = most numbers; rowid in address_fts;
                                         -- NULL until the import ends and indexes it
);
-- Re-importing a commune deletes its streets first.
CREATE INDEX address_streets_commune ON address_streets(code_insee, commune);

CREATE TABLE address_numbers (
  id        INTEGER PRIMARY KEY,
  street_id INTEGER NOT NULL REFERENCES address_streets(id),
  ban_id    TEXT NOT NULL DEFAULT '',    -- identifier in the source file
  numero    INTEGER NOT NULL,            -- house number; 0 = none (lieu-dit)
  rep       TEXT NOT NULL DEFAULT '',    -- suffix in lower case: 'bis', 'ter', 'a'…
  lon       REAL NOT NULL,               -- WGS84
  lat       REAL NOT NULL,
  x         REAL,                        -- projected metres (Lambert-93 in
  y         REAL                         -- metropolitan France), NULL if unknown
);
-- House-number lookup on a matched street, and the foreign key.
CREATE INDEX address_numbers_street ON address_numbers(street_id, numero);

CREATE VIEW addresses AS
  SELECT a.id, a.ban_id, a.numero, a.rep, s.voie, s.code_postal, s.code_insee, s.commune,
         a.lon, a.lat, a.x, a.y, a.street_id
  FROM address_numbers a JOIN address_streets s ON s.id = a.street_id;

-- One row per street (rowid = address_streets.rank, so that a scan in rowid
-- order meets the biggest streets first). Contentless: the text is in
-- address_streets. detail=column: street names repeat no word that matters,
-- so positions would only cost space. prefix: autocomplete on 1 to 4
-- letters reads one doclist instead of merging every word that starts so.
CREATE VIRTUAL TABLE address_fts USING fts5(
  voie, lieu, content = '', detail = column,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4');

-- The index's words and how many streets use each: spelling suggestions.
CREATE VIRTUAL TABLE address_fts_vocab USING fts5vocab(address_fts, 'row');
CREATE TABLE address_words (
  word TEXT PRIMARY KEY,                 -- a normalised word of a street or commune
  n    INTEGER NOT NULL                  -- streets that contain it
) WITHOUT ROWID;

-- Reverse geocoding: the extent of each street's numbers (id =
-- address_streets.id). Streets rather than numbers: 15 times fewer R*Tree
-- inserts (they were two thirds of the import time at 2 million addresses),
-- and the numbers of the few streets that meet a small box are read through
-- address_numbers_street.
CREATE VIRTUAL TABLE address_streets_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
