-- postgis.sql — the PostgreSQL + PostGIS side of bench/postgis.sh. Run by
-- psql in the directory where geo_bench and geocode_bench wrote their
-- --export files: loads the same data Guichet answered from, defines the
-- same two questions as functions, and times them inside the server over
-- the same query list (pgbench then times them from a client).
--
-- eligibility(lon, lat) answers what heat_answer_in (features/heat/
-- eligibility.c) answers, step by step: the communes covering the point
-- (none while communes exist: outside the territory), the priority zone
-- covering it (smallest id), the nearest segment of a network open to
-- connections (GiST KNN `<->`, filtered by a join on the network rows),
-- that network's thresholds, whether the segment's nearest point lies in
-- one of the point's communes, the cascade, the figures of the network
-- shown. suggest(tsquery, numero) asks what geocode_suggest asks of its
-- FTS5 index: the 30 biggest streets whose words match (the last one as a
-- prefix), a GIN index on a tsvector of the same normalised text, and the
-- house number looked up on the first 5; Guichet's re-weighing of the 30
-- in C is left out (an application would do it outside the database).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;

-- ------------------------------------------------------------------ data
\echo chargement des réseaux, communes, zones et points
CREATE TABLE heat_networks (
  id int PRIMARY KEY, sncu text UNIQUE NOT NULL, name text, operator text, co2 float8, co2_acv float8,
  renewable float8, year text, open boolean, kind text, vc int, c int);
\copy heat_networks FROM 'heat_networks.tsv'
CREATE TABLE features_in (fid bigint, ext text, nom text, gj text);
\copy features_in FROM 'heat_segments.tsv'
CREATE TABLE heat_segments AS
  SELECT fid::int AS id, ext AS sncu, ST_SetSRID(ST_GeomFromGeoJSON(gj), 2154)::geometry(LineString, 2154) AS geom
  FROM features_in;
TRUNCATE features_in;
\copy features_in FROM 'communes.tsv'
CREATE TABLE communes AS
  SELECT fid::int AS id, ext AS code, nom, ST_SetSRID(ST_GeomFromGeoJSON(gj), 2154)::geometry(Polygon, 2154) AS geom
  FROM features_in;
TRUNCATE features_in;
\copy features_in FROM 'heat_zones.tsv'
CREATE TABLE heat_zones AS
  SELECT fid::int AS id, ext AS sncu, ST_SetSRID(ST_GeomFromGeoJSON(gj), 2154)::geometry(Polygon, 2154) AS geom
  FROM features_in;
DROP TABLE features_in;
ALTER TABLE heat_segments ADD PRIMARY KEY (id);
ALTER TABLE communes ADD PRIMARY KEY (id);
ALTER TABLE heat_zones ADD PRIMARY KEY (id);
CREATE INDEX heat_segments_geom ON heat_segments USING gist (geom);
CREATE INDEX communes_geom ON communes USING gist (geom);
CREATE INDEX heat_zones_geom ON heat_zones USING gist (geom);
CREATE TABLE bench_points (id int PRIMARY KEY, lon float8, lat float8);
\copy bench_points FROM 'points.tsv'
CREATE TABLE guichet_eligibility (id int PRIMARY KEY, us float8, level text, network text, dist_cm float8);
\copy guichet_eligibility FROM 'guichet_eligibility.tsv'

\echo chargement des voies et des numéros
CREATE TABLE streets (id int PRIMARY KEY, rank int, norm text, lieu text, voie text, code_postal text, commune text, n int);
\copy streets FROM 'streets.tsv'
ALTER TABLE streets ADD COLUMN tsv tsvector;
UPDATE streets SET tsv = to_tsvector('simple', norm || ' ' || lieu);
CREATE INDEX streets_tsv ON streets USING gin (tsv);
CREATE INDEX streets_rank ON streets (rank);
CREATE TABLE numbers (id int PRIMARY KEY, street_id int, numero int, rep text, lon float8, lat float8);
\copy numbers FROM 'numbers.tsv'
CREATE INDEX numbers_street ON numbers (street_id, numero);
CREATE TABLE suggest_queries (qid int PRIMARY KEY, target int, numero int, tsq text, prefix text, guichet_ms float8,
                              guichet_hit int);
\copy suggest_queries FROM 'suggest.tsv'
ALTER TABLE suggest_queries ADD COLUMN q tsquery;
UPDATE suggest_queries SET q = tsq::tsquery;
VACUUM ANALYZE;

-- ------------------------------------------------------------- questions
CREATE FUNCTION eligibility(p_lon float8, p_lat float8, OUT level text, OUT network text, OUT dist float8,
                            OUT commune text, OUT name text, OUT operator text, OUT co2 float8, OUT renewable float8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  p geometry := ST_Transform(ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326), 2154);
  have_communes boolean;
  cids int[];
  zone_net text;
  nsncu text;
  nvc int;
  nc int;
  d float8;
  cp geometry;
  vc float8 := 100;
  c float8 := 200;
  far float8 := 1000;
  in_commune boolean := false;
  shown text;
BEGIN
  have_communes := EXISTS (SELECT 1 FROM communes);
  IF have_communes THEN
    SELECT array_agg(s.id ORDER BY s.id) INTO cids
      FROM (SELECT m.id FROM communes m WHERE ST_Covers(m.geom, p) ORDER BY m.id LIMIT 8) s;
    IF cids IS NOT NULL THEN
      SELECT m.nom INTO commune FROM communes m WHERE m.id = cids[1];
    END IF;
  END IF;
  SELECT z.sncu INTO zone_net FROM heat_zones z WHERE ST_Covers(z.geom, p) ORDER BY z.id LIMIT 1;
  SELECT n.sncu, n.vc, n.c, ST_Distance(s.geom, p), ST_ClosestPoint(s.geom, p) INTO nsncu, nvc, nc, d, cp
    FROM heat_segments s JOIN heat_networks n ON n.sncu = s.sncu
    WHERE n.open AND n.kind = 'heat'
    ORDER BY s.geom <-> p LIMIT 1;
  IF nsncu IS NOT NULL THEN
    vc := coalesce(nvc, 100);
    c := greatest(coalesce(nc, 200), vc);
    far := greatest(1000, c);
    IF cids IS NOT NULL THEN
      in_commune := EXISTS (SELECT 1 FROM communes m WHERE m.id = ANY (cids) AND ST_Covers(m.geom, cp));
    END IF;
  END IF;
  level := CASE
    WHEN have_communes AND cids IS NULL THEN 'hors_territoire'
    WHEN zone_net IS NOT NULL THEN 'dans_zone_prioritaire'
    WHEN nsncu IS NULL THEN 'aucun'
    WHEN d <= vc THEN 'tres_proche'
    WHEN d <= c THEN 'proche'
    WHEN d <= far THEN 'loin'
    WHEN in_commune THEN 'dans_commune'
    ELSE 'aucun' END;
  shown := CASE WHEN level = 'dans_zone_prioritaire' THEN coalesce(zone_net, nsncu) ELSE nsncu END;
  IF level NOT IN ('hors_territoire', 'aucun') AND shown IS NOT NULL THEN
    SELECT h.sncu, h.name, h.operator, h.co2, h.renewable INTO network, name, operator, co2, renewable
      FROM heat_networks h WHERE h.sncu = shown;
  END IF;
  IF nsncu IS NOT NULL AND level <> 'hors_territoire' THEN
    dist := d;
  END IF;
END $$;

CREATE FUNCTION suggest(q tsquery, num int) RETURNS TABLE (street_id int, address_id int, label text)
LANGUAGE sql STABLE AS $$
  WITH c AS MATERIALIZED (
    SELECT s.id, s.rank, s.voie, s.code_postal, s.commune FROM streets s
    WHERE numnode(q) > 0 AND s.tsv @@ q ORDER BY s.rank LIMIT 30)
  SELECT c5.id, n.id, concat_ws(' ', n.numero::text || CASE WHEN n.rep <> '' THEN ' ' || n.rep ELSE '' END,
                                c5.voie, c5.code_postal, c5.commune)
  FROM (SELECT * FROM c ORDER BY rank LIMIT 5) c5
  LEFT JOIN LATERAL (SELECT x.id, x.numero, x.rep FROM numbers x WHERE x.street_id = c5.id AND x.numero = num
                     ORDER BY x.rep LIMIT 1) n ON num > 0
  ORDER BY c5.rank
$$;

-- ---------------------------------------------------- timed in the server
-- clock_timestamp() around each call, the same 1,000 warm-up calls as
-- geo_bench; the INSERT of the result is outside the timing.
\echo éligibilité : requêtes chronométrées dans le serveur
CREATE TABLE pg_eligibility (id int PRIMARY KEY, us float8, level text, network text, dist_cm float8);
DO $$
DECLARE
  r record;
  e record;
  t0 timestamptz;
  us float8;
BEGIN
  FOR r IN SELECT id, lon, lat FROM bench_points ORDER BY id LIMIT 1000 LOOP
    SELECT * INTO e FROM eligibility(r.lon + 1e-5, r.lat - 1e-5);
  END LOOP;
  FOR r IN SELECT id, lon, lat FROM bench_points ORDER BY id LOOP
    t0 := clock_timestamp();
    SELECT * INTO e FROM eligibility(r.lon, r.lat);
    us := extract(epoch FROM clock_timestamp() - t0) * 1e6;
    INSERT INTO pg_eligibility VALUES (r.id, us, e.level, e.network, round((e.dist * 100)::numeric));
  END LOOP;
END $$;

\echo autocomplétion : requêtes chronométrées dans le serveur
CREATE TABLE pg_suggest (qid int PRIMARY KEY, us float8, hit int, n int);
DO $$
DECLARE
  r record;
  t0 timestamptz;
  us float8;
  ids int[];
BEGIN
  FOR r IN SELECT qid, q, numero FROM suggest_queries ORDER BY qid LIMIT 1000 LOOP
    PERFORM * FROM suggest(r.q, r.numero);
  END LOOP;
  FOR r IN SELECT qid, q, numero, target FROM suggest_queries ORDER BY qid LOOP
    t0 := clock_timestamp();
    SELECT array_agg(s.address_id) INTO ids FROM suggest(r.q, r.numero) s;
    us := extract(epoch FROM clock_timestamp() - t0) * 1e6;
    INSERT INTO pg_suggest VALUES (r.qid, us, (r.target = ANY (ids))::int, coalesce(cardinality(ids), 0));
  END LOOP;
END $$;

-- ------------------------------------------------------------- results
\copy (SELECT id, us FROM pg_eligibility ORDER BY id) TO 'pg_eligibility_us.txt'
\copy (SELECT qid, us FROM pg_suggest ORDER BY qid) TO 'pg_suggest_us.txt'
\copy (SELECT count(*), count(*) FILTER (WHERE g.level = p.level AND g.network IS NOT DISTINCT FROM p.network AND (g.dist_cm IS NULL) = (p.dist_cm IS NULL) AND coalesce(abs(g.dist_cm - p.dist_cm), 0) <= 1) FROM guichet_eligibility g JOIN pg_eligibility p USING (id)) TO 'agreement.txt'
\copy (SELECT level, count(*) FROM pg_eligibility GROUP BY level ORDER BY level) TO 'pg_levels.txt'
\copy (SELECT count(*), sum(p.hit), sum(q.guichet_hit), count(*) FILTER (WHERE p.n > 0) FROM pg_suggest p JOIN suggest_queries q USING (qid)) TO 'suggest_hits.txt'
\copy (SELECT g.id, g.level, p.level, g.network, p.network, g.dist_cm, p.dist_cm FROM guichet_eligibility g JOIN pg_eligibility p USING (id) WHERE NOT (g.level = p.level AND g.network IS NOT DISTINCT FROM p.network AND coalesce(abs(g.dist_cm - p.dist_cm), 0) <= 1) ORDER BY g.id LIMIT 20) TO 'disagreements.txt'
