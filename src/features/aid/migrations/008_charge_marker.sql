-- A change counter of the charging data: charge.c adds one in the
-- transaction of every load batch it commits (points or sessions), the only
-- writes to the charging tables. The dashboard's cache (dashboard.c) reads
-- it in its probe, so its charging-data figures are recomputed once the
-- data changed, at the cost of one row read per visit.
CREATE TABLE aid_charge_marker (
  id INTEGER PRIMARY KEY CHECK (id = 1),       -- a single row
  n  INTEGER NOT NULL                          -- load batches committed since the table was made
);
INSERT INTO aid_charge_marker(id, n) VALUES (1, 0);
