-- Geographic core (core/geo.c): layers of features with a spatial index.
-- Only geo.c reads or writes these tables; it is the interface a PostGIS
-- backend would replace (geometry column and GiST index for the R*Tree).
-- No personal data: layers hold territorial data (networks, zones,
-- communes, points of interest), not people's addresses.

CREATE TABLE geo_features (
  id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: geo.c caches geometries by id
  layer      TEXT NOT NULL,                     -- "reseaux_chaleur", "communes": named at import
  ext_id     TEXT,                              -- the source's identifier ("1701C", "17300"), if any
  props      TEXT NOT NULL DEFAULT '{}',        -- the source's properties, a JSON object
  geom       BLOB NOT NULL,                     -- 2D little-endian WKB, Lambert-93 (EPSG:2154), GEOS-valid
  kind       TEXT NOT NULL CHECK (kind IN ('point', 'line', 'polygon')), -- multi-geometries included
  created_at INTEGER NOT NULL                   -- unix seconds of the import
);
CREATE INDEX geo_features_layer ON geo_features(layer, ext_id);

-- One row per feature, same id: its bounding box in Lambert-93 metres
-- (stored as float32, rounded outwards, so it always contains the geometry).
-- "layer" is an auxiliary column, filtered after the spatial search.
CREATE VIRTUAL TABLE geo_rtree USING rtree(id, minx, maxx, miny, maxy, +layer);

-- geo.c inserts both rows in one transaction; a delete from anywhere keeps
-- the index in step.
CREATE TRIGGER geo_features_rtree_delete AFTER DELETE ON geo_features
BEGIN
  DELETE FROM geo_rtree WHERE id = old.id;
END;
