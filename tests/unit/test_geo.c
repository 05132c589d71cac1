/*
** test_geo.c — the geographic core through geo.h, on a fresh database per
** test: transforms against values computed with PROJ's cs2cs, distances
** and point-in-polygon on geometries whose answer is known by construction,
** imports with the reports a user would read, and the real La Rochelle
** networks and communes (tests/fixtures/geo, see SOURCES.md there for the
** licences and how the expected figures were computed).
*/
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/db.h"
#include "core/geo.h"
#include "core/log.h"
#include "core/util.h"
#include "testdb.h"

#define FIX "tests/fixtures/geo/"

static testdb T; /* the test's directory and database */

static void setup(void) {
  testdb_open(&T, "geo");
}

static void teardown(void) {
  geo_thread_close();
  testdb_close(&T);
}

TestSuite(proj, .init = setup, .fini = teardown);
TestSuite(geo, .init = setup, .fini = teardown);

/* Imports GeoJSON text; asserts no fatal error; returns the count. */
static long import_text(const char *layer, const char *z, int epsg, const char *id_prop,
                        int flags, geo_report *rep) {
  long n = geo_import_geojson(layer, z, strlen(z), epsg, id_prop, flags, rep);
  cr_assert_geq(n, 0, "import failed: %s", rep->zFatal ? rep->zFatal : "?");
  return n;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s (tests run from the repository root)", path);
  buf b = {0};
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  return b.z ? b.z : xstrdup(""); /* the buffer's text, now ours */
}

static long import_file(const char *layer, const char *path, int epsg, const char *id_prop,
                        geo_report *rep) {
  char *z = slurp(path);
  long n = import_text(layer, z, epsg, id_prop, 0, rep);
  free(z);
  return n;
}

static const char *write_csv(const char *text) {
  static char path[160];
  snprintf(path, sizeof path, "%s/in.csv", T.dir);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* --------------------------------------------------------------- PROJ */

Test(proj, round_trip_wgs84_l93_wgs84_within_1e7_degrees) {
  double lon[64], lat[64], x[64], y[64];
  int n = 0;
  for (double a = -4.5; a <= 8.0; a += 2.5)
    for (double b = 42.5; b <= 51.0; b += 1.7) {
      lon[n] = x[n] = a;
      lat[n] = y[n] = b;
      n++;
    }
  cr_assert_eq(geo_wgs84_to_l93(x, y, (size_t)n), 0);
  for (int i = 0; i < n; i++) {
    cr_assert(x[i] > 0 && x[i] < 1300000 && y[i] > 6000000 && y[i] < 7200000,
              "point %d lands at %f %f", i, x[i], y[i]);
  }
  cr_assert_eq(geo_l93_to_wgs84(x, y, (size_t)n), 0);
  for (int i = 0; i < n; i++) {
    cr_assert(fabs(x[i] - lon[i]) < 1e-7 && fabs(y[i] - lat[i]) < 1e-7,
              "point %d: %.10f %.10f back as %.10f %.10f", i, lon[i], lat[i], x[i], y[i]);
  }
}

Test(proj, known_points_match_cs2cs) {
  /* La Rochelle town hall; cs2cs: 379679.4793 6570567.1212. */
  double x = -1.1528, y = 46.1591;
  cr_assert_eq(geo_wgs84_to_l93(&x, &y, 1), 0);
  cr_assert(fabs(x - 379679.4793) < 1.0 && fabs(y - 6570567.1212) < 1.0, "got %f %f", x, y);
  cr_assert(fabs(x - 379679.4793) < 0.001 && fabs(y - 6570567.1212) < 0.001, "got %f %f", x, y);
  /* Lambert-93's false origin: lon 3, lat 46.5 is (700000, 6600000). */
  x = 3;
  y = 46.5;
  cr_assert_eq(geo_wgs84_to_l93(&x, &y, 1), 0);
  cr_assert(fabs(x - 700000) < 0.001 && fabs(y - 6600000) < 0.001, "got %f %f", x, y);
}

Test(proj, any_crs_by_epsg_code) {
  double x = 2, y = 0; /* Web Mercator; cs2cs: 222638.9816 0 */
  cr_assert_eq(geo_transform(4326, 3857, &x, &y, 1), 0);
  cr_assert(fabs(x - 222638.9816) < 0.001 && fabs(y) < 0.001, "got %f %f", x, y);
  x = 567643.8; /* a vertex of the BD CARTO fixture; cs2cs: 1.292348526 45.914084118 */
  y = 6536364.1;
  cr_assert_eq(geo_transform(2154, 4326, &x, &y, 1), 0);
  cr_assert(fabs(x - 1.292348526) < 1e-8 && fabs(y - 45.914084118) < 1e-8, "got %.9f %.9f", x, y);
  x = 1;
  y = 2;
  cr_assert_eq(geo_transform(4326, 999999, &x, &y, 1), -1, "an unknown code is an error");
  cr_assert(x == 1 && y == 2, "points untouched when the code is unknown");
  cr_assert_eq(geo_transform(2154, 2154, &x, &y, 1), 0);
  cr_assert(x == 1 && y == 2);
}

Test(proj, point_outside_the_domain_is_an_error) {
  double x[2] = {-1.15, -1.15}, y[2] = {46.15, 95.0};
  cr_assert_eq(geo_wgs84_to_l93(x, y, 2), -1);
  cr_assert(fabs(x[0] - 380000) < 2000, "the good point is transformed");
  cr_assert(x[1] == HUGE_VAL && y[1] == HUGE_VAL);
}

/* ---------------------------------------------------------- distances */

static const char *k_line_l93 =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"L1\"},\"geometry\":{\"type\":\"LineString\","
    "\"coordinates\":[[380000,6570000],[381000,6570000]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"L2\"},\"geometry\":{\"type\":\"LineString\","
    "\"coordinates\":[[380000,6570300],[381000,6570300]]}}]}";

Test(geo, distance_to_a_line_is_exact) {
  geo_report rep = {0};
  cr_assert_eq(import_text("net", k_line_l93, GEO_L93, "id", 0, &rep), 2);
  geo_hit h;
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "L1");
  cr_assert(fabs(h.dist - 100) < 0.01, "dist %f", h.dist);
  cr_assert(fabs(h.px - 380500) < 0.01 && fabs(h.py - 6570000) < 0.01);
  /* Past the end: 60 east, 80 south of (381000, 6570000). */
  cr_assert_eq(geo_nearest("net", 381060, 6569920, 1000, NULL, NULL, &h), 1);
  cr_assert(fabs(h.dist - 100) < 0.01, "dist %f", h.dist);
  /* Nearer to L2. */
  cr_assert_eq(geo_nearest("net", 380200, 6570210, 1000, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "L2");
  cr_assert(fabs(h.dist - 90) < 0.01, "dist %f", h.dist);
  geo_report_free(&rep);
}

Test(geo, nearest_honours_the_threshold_and_expands) {
  geo_report rep = {0};
  import_text("net", k_line_l93, GEO_L93, "id", 0, &rep);
  geo_hit h;
  cr_assert_eq(geo_nearest("net", 380500, 6569900, 99.99, NULL, NULL, &h), 0);
  cr_assert_eq(geo_nearest("net", 380500, 6569900, 100.01, NULL, NULL, &h), 1);
  cr_assert(fabs(h.dist - 100) < 0.01);
  /* 5 km away: found by doubling the search square, no limit given. */
  cr_assert_eq(geo_nearest("net", 380500, 6565000, 0, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "L1");
  cr_assert(fabs(h.dist - 5000) < 0.01, "dist %f", h.dist);
  /* Within 6 km but not within 4 km. */
  cr_assert_eq(geo_nearest("net", 380500, 6565000, 4000, NULL, NULL, &h), 0);
  cr_assert_eq(geo_nearest("net", 380500, 6565000, 6000, NULL, NULL, &h), 1);
  /* An empty or unknown layer answers "none". */
  cr_assert_eq(geo_nearest("nothing", 380500, 6570000, 0, NULL, NULL, &h), 0);
  geo_report_free(&rep);
}

static int not_l1(void *arg, int64_t id, const char *ext_id) {
  UNUSED(id);
  (*(int *)arg)++;
  return !str_eq(ext_id, "L1");
}

Test(geo, nearest_filter_skips_features) {
  geo_report rep = {0};
  import_text("net", k_line_l93, GEO_L93, "id", 0, &rep);
  geo_hit h;
  int calls = 0;
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, not_l1, &calls, &h), 1);
  cr_assert_str_eq(h.ext_id, "L2");
  cr_assert(fabs(h.dist - 200) < 0.01, "dist %f", h.dist);
  cr_assert_geq(calls, 2);
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 150, not_l1, &calls, &h), 0);
  geo_report_free(&rep);
}

/* ------------------------------------------------------ point in polygon */

static const char *k_zones =
    "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
    "{\"name\":\"urn:ogc:def:crs:EPSG::2154\"}},\"features\":["
    /* 1 km square with a 200 m hole in its middle. */
    "{\"type\":\"Feature\",\"id\":\"Z1\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[380000,6570000],[381000,6570000],[381000,6571000],[380000,6571000],"
    "[380000,6570000]],[[380400,6570400],[380600,6570400],[380600,6570600],[380400,6570600],"
    "[380400,6570400]]]}},"
    /* Overlaps Z1's east half. */
    "{\"type\":\"Feature\",\"id\":\"Z2\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[380800,6570000],[382000,6570000],[382000,6571000],[380800,6571000],"
    "[380800,6570000]]]}},"
    /* A line is not a zone, even under the point. */
    "{\"type\":\"Feature\",\"id\":\"L\",\"properties\":{},\"geometry\":{\"type\":\"LineString\","
    "\"coordinates\":[[380000,6570100],[381000,6570100]]}}]}";

Test(geo, point_in_polygon) {
  geo_report rep = {0};
  cr_assert_eq(import_text("zones", k_zones, 0, NULL, 0, &rep), 3, "crs member read");
  int64_t z1 = geo_feature_find("zones", "Z1"), z2 = geo_feature_find("zones", "Z2");
  cr_assert(z1 > 0 && z2 > 0);
  int64_t ids[4];
  cr_assert_eq(geo_contains("zones", 380200, 6570200, ids, 4), 1);
  cr_assert_eq(ids[0], z1);
  cr_assert_eq(geo_contains("zones", 380500, 6570500, ids, 4), 0, "in the hole");
  cr_assert_eq(geo_contains("zones", 379999, 6570500, ids, 4), 0, "outside");
  cr_assert_eq(geo_contains("zones", 380000, 6570500, ids, 4), 1, "on the boundary counts");
  cr_assert_eq(geo_contains("zones", 380900, 6570900, ids, 4), 2, "in both");
  cr_assert(ids[0] == z1 && ids[1] == z2, "smallest id first");
  cr_assert_eq(geo_contains("zones", 380900, 6570900, ids, 1), 2, "count beyond max");
  cr_assert_eq(geo_contains("zones", 380500, 6570100, ids, 4), 1, "the line is ignored");
  geo_report_free(&rep);
}

/* ------------------------------------------------------------ imports */

static const char *k_mixed =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"p1\",\"nom\":\"Hôtel de ville\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[-1.1528,46.1591]}},"
    /* A bow tie: its two edges cross. */
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"noeud\"},\"geometry\":{\"type\":\"Polygon\","
    "\"coordinates\":[[[-1.15,46.15],[-1.14,46.16],[-1.14,46.15],[-1.15,46.16],[-1.15,46.15]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"vide\"},\"geometry\":{\"type\":\"LineString\"}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"mp\"},\"geometry\":{\"type\":\"MultiPolygon\","
    "\"coordinates\":[[[[-1.13,46.13],[-1.12,46.13],[-1.12,46.14],[-1.13,46.13]]],"
    "[[[-1.10,46.13],[-1.09,46.13],[-1.09,46.14],[-1.10,46.13]]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"ml\"},\"geometry\":{\"type\":\"MultiLineString\","
    "\"coordinates\":[[[-1.16,46.17],[-1.15,46.17]],[[-1.20,46.20],[-1.19,46.20],[-1.19,46.21]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"mpt\"},\"geometry\":{\"type\":\"MultiPoint\","
    "\"coordinates\":[[-1.17,46.17],[-1.18,46.18]]}}]}";

Test(geo, geojson_import_reports_bad_features_and_keeps_the_rest) {
  geo_report rep = {0};
  cr_assert_eq(import_text("mix", k_mixed, 0, "id", 0, &rep), 4);
  cr_assert_eq(rep.nSeen, 6);
  cr_assert_eq(rep.nOk, 4);
  cr_assert_eq(rep.nSkip, 2);
  cr_assert_eq(rep.nMsg, 2);
  cr_assert(str_startswith(rep.aMsg[0], "objet n°2 (id noeud) : géométrie invalide — "
                                        "auto-intersection (Self-intersection) au point -1.145"),
            "%s", rep.aMsg[0]);
  cr_assert_str_eq(rep.aMsg[1], "objet n°3 (id vide) : coordonnées manquantes");
  cr_assert_eq(geo_layer_count("mix"), 4);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM geo_rtree WHERE layer = 'mix'", ""), 4);
  cr_assert_eq(geo_feature_find("mix", "noeud"), 0, "the invalid feature is not stored");
  /* Kinds, multi-geometries included. */
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM geo_features WHERE kind='point'", ""), 2);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM geo_features WHERE kind='line'", ""), 1);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM geo_features WHERE kind='polygon'", ""), 1);
  json_t *props = geo_feature_props(geo_feature_find("mix", "p1"));
  cr_assert_not_null(props);
  cr_assert_str_eq(json_string_value(json_object_get(props, "nom")), "Hôtel de ville");
  json_decref(props);
  cr_assert_null(geo_feature_props(999999));
  geo_report_free(&rep);
}

Test(geo, multi_geometries_answer_by_their_nearest_part) {
  geo_report rep = {0};
  import_text("mix", k_mixed, 0, "id", 0, &rep);
  /* A vertex of the second part of "ml", far from its first. */
  double x = -1.19, y = 46.20;
  geo_wgs84_to_l93(&x, &y, 1);
  geo_hit h;
  cr_assert_eq(geo_nearest("mix", x, y, 50, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "ml");
  cr_assert_lt(h.dist, 0.01);
  /* Inside the second polygon of "mp". */
  x = -1.093;
  y = 46.132;
  geo_wgs84_to_l93(&x, &y, 1);
  int64_t ids[2];
  cr_assert_eq(geo_contains("mix", x, y, ids, 2), 1);
  cr_assert_eq(ids[0], geo_feature_find("mix", "mp"));
  cr_assert_eq(geo_nearest("mix", x, y, 10, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "mp");
  cr_assert_eq(h.dist, 0.0, "inside a polygon the distance is 0");
  geo_report_free(&rep);
}

Test(geo, geojson_problems_are_named_in_french) {
  const char *z =
      "{\"type\":\"FeatureCollection\",\"features\":["
      "{\"type\":\"Feature\",\"id\":\"a\",\"geometry\":{\"type\":\"Polygon\","
      "\"coordinates\":[[[-1.15,46.15],[-1.14,46.15],[-1.14,46.16],[-1.15,46.16]]]}},"
      "{\"type\":\"Feature\",\"id\":\"b\",\"geometry\":{\"type\":\"Polygon\","
      "\"coordinates\":[[[-1.15,46.15],[-1.14,46.15],[-1.15,46.15]]]}},"
      "{\"type\":\"Feature\",\"id\":\"c\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[200,46]}},"
      "{\"type\":\"Feature\",\"id\":\"d\",\"geometry\":{\"type\":\"Circle\",\"coordinates\":[1,2]}},"
      "{\"type\":\"Feature\",\"id\":\"e\",\"geometry\":{\"type\":\"GeometryCollection\",\"geometries\":[]}},"
      "{\"type\":\"Feature\",\"id\":\"f\",\"geometry\":null},"
      "{\"type\":\"Feature\",\"id\":7,\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,\"x\"],[2,3]]}},"
      "{\"type\":\"Feature\",\"id\":\"h\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,2]]}},"
      "{\"type\":\"Feature\",\"id\":\"i\",\"geometry\":{\"type\":\"MultiLineString\","
      "\"coordinates\":[[[1,2],[1,3]],[[1,2]]]}},"
      "{\"type\":\"Feature\",\"id\":\"j\",\"geometry\":{\"type\":\"LineString\","
      "\"coordinates\":[[-1.15,46.15],[-1.15,46.15]]}},"
      "42,"
      "{\"type\":\"Feature\",\"id\":\"ok\",\"properties\":null,\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[-1.15,46.15,12.5]}}]}";
  geo_report rep = {0};
  cr_assert_eq(import_text("bad", z, 0, NULL, 0, &rep), 1);
  cr_assert_eq(rep.nSkip, 11);
  const char *want[] = {
      "objet n°1 (id a) : anneau non fermé",
      "objet n°2 (id b) : anneau de 3 position(s)",
      "objet n°3 (id c) : coordonnées hors des bornes longitude/latitude",
      "objet n°4 (id d) : type de géométrie inconnu : « Circle »",
      "objet n°5 (id e) : GeometryCollection non prise en charge",
      "objet n°6 (id f) : géométrie absente",
      "objet n°7 (id 7) : position n°1 illisible",
      "objet n°8 (id h) : ligne de 1 position(s)",
      "objet n°9 (id i) : partie n°2 : ligne de 1 position(s)",
      "objet n°10 (id j) : ligne de longueur nulle",
      "objet n°11 : ce n'est pas un objet GeoJSON",
  };
  cr_assert_eq(rep.nMsg, (int)ARRAY_SIZE(want));
  for (size_t i = 0; i < ARRAY_SIZE(want); i++)
    cr_assert(str_startswith(rep.aMsg[i], want[i]), "message %zu: %s", i, rep.aMsg[i]);
  geo_report_free(&rep);
}

Test(geo, coordinates_in_the_wrong_crs_are_reported) {
  /* Lambert-93 figures declared as WGS84, and WGS84 figures declared as
  ** Lambert-93 far beyond any French territory. */
  const char *z = "{\"type\":\"FeatureCollection\",\"features\":["
                  "{\"type\":\"Feature\",\"id\":\"a\",\"geometry\":{\"type\":\"Point\","
                  "\"coordinates\":[380000,6570000]}}]}";
  geo_report rep = {0};
  cr_assert_eq(import_text("crs", z, GEO_WGS84, NULL, 0, &rep), 0);
  cr_assert(str_startswith(rep.aMsg[0], "objet n°1 (id a) : coordonnées hors des bornes "
                                        "longitude/latitude"),
            "%s", rep.aMsg[0]);
  geo_report_free(&rep);
  z = "{\"type\":\"FeatureCollection\",\"features\":["
      "{\"type\":\"Feature\",\"id\":\"b\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[1e300,2]}}]}";
  cr_assert_eq(import_text("crs", z, GEO_L93, NULL, 0, &rep), 0);
  cr_assert(str_startswith(rep.aMsg[0], "objet n°1 (id b) : coordonnées à plus de 10 000 km"),
            "%s", rep.aMsg[0]);
  geo_report_free(&rep);
}

Test(geo, geojson_fatal_errors_keep_nothing) {
  geo_report rep = {0};
  const char *bad = "{\"type\":\"FeatureCollection\",\"features\":[";
  cr_assert_eq(geo_import_geojson("x", bad, strlen(bad), 0, NULL, 0, &rep), -1);
  cr_assert(str_startswith(rep.zFatal, "GeoJSON illisible, ligne 1"), "%s", rep.zFatal);
  geo_report_free(&rep);
  const char *notfc = "{\"type\":\"Point\",\"coordinates\":[1,2]}";
  cr_assert_eq(geo_import_geojson("x", notfc, strlen(notfc), 0, NULL, 0, &rep), -1);
  cr_assert(strstr(rep.zFatal, "FeatureCollection"), "%s", rep.zFatal);
  geo_report_free(&rep);
  const char *crs = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
                    "{\"name\":\"Lambert zone II\"}},\"features\":[]}";
  cr_assert_eq(geo_import_geojson("x", crs, strlen(crs), 0, NULL, 0, &rep), -1);
  cr_assert(strstr(rep.zFatal, "« Lambert zone II » non reconnu"), "%s", rep.zFatal);
  geo_report_free(&rep);
  cr_assert_eq(geo_import_geojson("x", k_mixed, strlen(k_mixed), 999999, NULL, 0, &rep), -1);
  cr_assert(strstr(rep.zFatal, "EPSG:999999"), "%s", rep.zFatal);
  geo_report_free(&rep);
  cr_assert_eq(geo_import_geojson("", k_mixed, strlen(k_mixed), 0, NULL, 0, &rep), -1);
  cr_assert(strstr(rep.zFatal, "nom de couche"), "%s", rep.zFatal);
  geo_report_free(&rep);
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM geo_features", ""), 0);
}

Test(geo, report_keeps_the_first_1000_problems) {
  buf b = {0};
  buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
  for (int i = 0; i < 1005; i++)
    buf_printf(&b, "%s{\"type\":\"Feature\",\"geometry\":null}", i ? "," : "");
  buf_puts(&b, ",{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[-1,46]}}]}");
  geo_report rep = {0};
  cr_assert_eq(import_text("many", buf_str(&b), 0, NULL, 0, &rep), 1);
  cr_assert_eq(rep.nSeen, 1006);
  cr_assert_eq(rep.nSkip, 1005);
  cr_assert_eq(rep.nMsg, GEO_REPORT_MAX);
  cr_assert_str_eq(rep.aMsg[999], "objet n°1000 : géométrie absente");
  geo_report_free(&rep);
  buf_free(&b);
}

Test(geo, epsg_2154_input_from_the_crs_member) {
  geo_report rep = {0};
  cr_assert_eq(import_file("aires", FIX "aires_aquitaine_l93.geojson", 0, "ID", &rep), 3);
  int64_t id = geo_feature_find("aires", "EQ_RESEA0000000010492882");
  cr_assert_gt(id, 0);
  geo_hit h;
  cr_assert_eq(geo_nearest("aires", 567643.8, 6536364.1, 10, NULL, NULL, &h), 1);
  cr_assert_eq(h.id, id);
  cr_assert_lt(h.dist, 0.001, "a vertex of the polygon, stored unchanged");
  /* Written back in WGS84: the first vertex is cs2cs's 1.292349 45.914084. */
  char *z = geo_buffer_geojson(id, 0, GEO_WGS84);
  cr_assert_not_null(z);
  cr_assert(str_startswith(z, "{\"type\":\"Polygon\",\"coordinates\":[[[1.292349,45.914084],"), "%s", z);
  free(z);
  geo_report_free(&rep);
}

Test(geo, replace_swaps_the_layer_and_the_cache_follows) {
  geo_report rep = {0};
  import_text("net", k_line_l93, GEO_L93, "id", 0, &rep);
  geo_hit h;
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 1);
  cr_assert(fabs(h.dist - 100) < 0.01);
  const char *moved = "{\"type\":\"FeatureCollection\",\"features\":["
                      "{\"type\":\"Feature\",\"properties\":{\"id\":\"L1\"},\"geometry\":{\"type\":"
                      "\"LineString\",\"coordinates\":[[380000,6570090],[381000,6570090]]}}]}";
  geo_report_free(&rep);
  cr_assert_eq(import_text("net", moved, GEO_L93, "id", GEO_REPLACE, &rep), 1);
  cr_assert_eq(geo_layer_count("net"), 1);
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 1);
  cr_assert(fabs(h.dist - 10) < 0.01, "dist %f: the new geometry", h.dist);
  cr_assert_eq(geo_layer_delete("net"), 1);
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM geo_rtree", ""), 0, "index in step");
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 0);
  geo_report_free(&rep);
}

/* ---------------------------------------------------------------- CSV */

Test(geo, csv_with_lon_lat_columns) {
  const char *path = write_csv("\xEF\xBB\xBFnom;Longitude;Latitude;code\n"
                               "Hôtel de ville;-1,1528;46,1591;HV\n"
                               "\"Gare; quai\";-1.1455;46.1529;GARE\n"
                               "Sans position;;;SP\n"
                               "Mauvaise;abc;46.1;MV\n"
                               "\n"
                               "Vieux-Port;-1.1525;46.1555;VP\n");
  geo_csv_cols cols = {.x_col = "longitude", .y_col = "latitude", .id_col = "code"};
  geo_report rep = {0};
  long n = geo_import_csv("poi", path, &cols, 0, 0, &rep);
  cr_assert_eq(n, 3, "%s", rep.zFatal ? rep.zFatal : "");
  cr_assert_eq(rep.nSeen, 5);
  cr_assert_eq(rep.nMsg, 2);
  cr_assert_str_eq(rep.aMsg[0], "ligne 4 (id SP) : coordonnées manquantes");
  cr_assert_str_eq(rep.aMsg[1],
                   "ligne 5 (id MV) : coordonnée « abc » illisible : un nombre est attendu");
  int64_t id = geo_feature_find("poi", "HV");
  cr_assert_gt(id, 0);
  json_t *p = geo_feature_props(id);
  cr_assert_str_eq(json_string_value(json_object_get(p, "nom")), "Hôtel de ville");
  cr_assert_str_eq(json_string_value(json_object_get(p, "code")), "HV");
  cr_assert_null(json_object_get(p, "Longitude"), "coordinates are not properties");
  json_decref(p);
  geo_hit h;
  cr_assert_eq(geo_nearest("poi", 379679.4793, 6570567.1212, 1, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "HV");
  cr_assert_lt(h.dist, 0.01);
  cr_assert_gt(geo_feature_find("poi", "GARE"), 0, "quoted delimiter");
  geo_report_free(&rep);
}

Test(geo, csv_with_wkt_column) {
  const char *path = write_csv(
      "id,wkt,label\n"
      "1,\"LINESTRING(380000 6570000, 381000 6570000)\",ligne\n"
      "2,\"POLYGON((380000 6571000, 381000 6571000, 381000 6572000, 380000 6572000, 380000 6571000))\",carre\n"
      "3,\"POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))\",noeud\n"
      "4,\"POINT(1 2\",casse\n"
      "5,,rien\n");
  geo_csv_cols cols = {.wkt_col = "wkt", .id_col = "id"};
  geo_report rep = {0};
  long n = geo_import_csv("w", path, &cols, GEO_L93, 0, &rep);
  cr_assert_eq(n, 2, "%s", rep.zFatal ? rep.zFatal : "");
  cr_assert_eq(rep.nMsg, 3);
  cr_assert(str_startswith(rep.aMsg[0], "ligne 4 (id 3) : géométrie invalide — auto-intersection"),
            "%s", rep.aMsg[0]);
  cr_assert(str_startswith(rep.aMsg[1], "ligne 5 (id 4) : WKT illisible — "), "%s", rep.aMsg[1]);
  cr_assert_str_eq(rep.aMsg[2], "ligne 6 (id 5) : géométrie absente (colonne WKT vide)");
  geo_hit h;
  cr_assert_eq(geo_nearest("w", 380500, 6570100, 1000, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "1");
  cr_assert(fabs(h.dist - 100) < 0.01);
  int64_t ids[2];
  cr_assert_eq(geo_contains("w", 380500, 6571500, ids, 2), 1);
  cr_assert_eq(ids[0], geo_feature_find("w", "2"));
  geo_report_free(&rep);
}

Test(geo, csv_wkt_in_wgs84_and_missing_columns) {
  const char *path = write_csv("nom\twkt\nmairie\tPOINT(-1.1528 46.1591)\n");
  geo_csv_cols cols = {.wkt_col = "wkt", .id_col = "nom"};
  geo_report rep = {0};
  cr_assert_eq(geo_import_csv("t", path, &cols, 0, 0, &rep), 1, "tab guessed");
  geo_hit h;
  cr_assert_eq(geo_nearest("t", 379679.4793, 6570567.1212, 1, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "mairie");
  geo_report_free(&rep);
  geo_csv_cols lonlat = {.x_col = "lon", .y_col = "lat"};
  cr_assert_eq(geo_import_csv("t", path, &lonlat, 0, GEO_REPLACE, &rep), -1);
  cr_assert_str_eq(rep.zFatal, "colonne « lon » absente de l'en-tête (colonnes : nom, wkt)");
  cr_assert_eq(geo_layer_count("t"), 1, "the failed replace kept the layer");
  geo_report_free(&rep);
  cr_assert_eq(geo_import_csv("t", "/nonexistent/x.csv", &lonlat, 0, 0, &rep), -1);
  cr_assert(str_startswith(rep.zFatal, "impossible d'ouvrir"), "%s", rep.zFatal);
  geo_report_free(&rep);
}

Test(geo, csv_latin1_is_refused) {
  const char *path = write_csv("nom,lon,lat\nH\xf4tel,,\nH\xf4tel,-1.15,46.15\n");
  geo_csv_cols cols = {.x_col = "lon", .y_col = "lat", .id_col = "nom"};
  geo_report rep = {0};
  cr_assert_eq(geo_import_csv("t", path, &cols, 0, 0, &rep), -1);
  cr_assert_str_eq(rep.zFatal, "ligne 3, colonne « nom » : le fichier n'est pas en UTF-8 "
                               "(convertissez-le, par exemple iconv -f latin1 -t utf-8)");
  /* Messages stay valid UTF-8, so they can go out as JSON. */
  cr_assert_eq(rep.nMsg, 1);
  cr_assert_str_eq(rep.aMsg[0], "ligne 2 (id H?tel) : coordonnées manquantes");
  json_t *j = json_string(rep.aMsg[0]);
  cr_assert_not_null(j);
  json_decref(j);
  cr_assert_eq(geo_layer_count("t"), 0);
  geo_report_free(&rep);
}

Test(geo, csv_unclosed_quote_hits_the_field_cap) {
  char path[160];
  snprintf(path, sizeof path, "%s/in.csv", T.dir);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  fputs("nom,lon,lat\nok,-1.15,46.15\n\"", f);
  for (int i = 0; i < 1100; i++) {
    char kb[1024];
    memset(kb, 'a', sizeof kb);
    fwrite(kb, 1, sizeof kb, f);
  }
  fclose(f);
  geo_csv_cols cols = {.x_col = "lon", .y_col = "lat"};
  geo_report rep = {0};
  cr_assert_eq(geo_import_csv("t", path, &cols, 0, 0, &rep), -1);
  cr_assert_str_eq(rep.zFatal, "CSV illisible vers la ligne 3 : champ de plus de 1 Mo "
                               "(guillemet non refermé ?)");
  cr_assert_eq(geo_layer_count("t"), 0, "nothing kept, not even the good row");
  geo_report_free(&rep);
}

Test(geo, import_joins_the_callers_transaction) {
  geo_report rep = {0};
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_eq(import_text("net", k_line_l93, GEO_L93, "id", 0, &rep), 2);
  cr_assert_eq(db_in_transaction(), 1, "still the caller's to end");
  geo_hit h;
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 1, "seen inside");
  int64_t first = h.id;
  db_rollback();
  cr_assert_eq(geo_layer_count("net"), 0);
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 0);
  /* The rolled-back id comes back with another geometry, written by another
  ** connection as `guichet import` in another process would (so no
  ** generation bump here): the cached geometry must not answer for it. */
  unsigned char wkb[9 + 32] = {1, 2, 0, 0, 0, 2, 0, 0, 0}; /* LINESTRING, 2 points, LE */
  double xy[4] = {380000, 6570050, 381000, 6570050};
  memcpy(wkb + 9, xy, sizeof xy);
  sqlite3 *raw;
  sqlite3_stmt *st;
  cr_assert_eq(sqlite3_open(T.db, &raw), SQLITE_OK);
  cr_assert_eq(sqlite3_prepare_v2(raw,
                                  "INSERT INTO geo_features(id, layer, ext_id, geom, kind, created_at)"
                                  " VALUES(?, 'net', 'F', ?, 'line', 0)",
                                  -1, &st, NULL),
               SQLITE_OK);
  sqlite3_bind_int64(st, 1, first);
  sqlite3_bind_blob(st, 2, wkb, sizeof wkb, SQLITE_STATIC);
  cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  cr_assert_eq(sqlite3_prepare_v2(raw,
                                  "INSERT INTO geo_rtree VALUES(?, 380000, 381000, 6570050, 6570050, 'net')",
                                  -1, &st, NULL),
               SQLITE_OK);
  sqlite3_bind_int64(st, 1, first);
  cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(raw);
  cr_assert_eq(geo_nearest("net", 380500, 6570100, 1000, NULL, NULL, &h), 1);
  cr_assert_eq(h.id, first);
  cr_assert_str_eq(h.ext_id, "F");
  cr_assert(fabs(h.dist - 50) < 0.01, "dist %f", h.dist);
  geo_report_free(&rep);
}

/* ------------------------------------------------- real La Rochelle data */

static int not_1701c(void *arg, int64_t id, const char *ext_id) {
  UNUSED(arg);
  UNUSED(id);
  return !str_eq(ext_id, "1701C");
}

Test(geo, la_rochelle_heat_networks) {
  geo_report rep = {0};
  cr_assert_eq(import_file("reseaux", FIX "reseaux_la_rochelle.geojson", 0, "id", &rep), 3);
  cr_assert_eq(rep.nSkip, 0);
  /* The traces hold "segments" from a point to itself: dropped, and said. */
  cr_assert_eq(rep.nFixed, 2);
  cr_assert_str_eq(rep.aMsg[0], "objet n°1 (id 1701C) : importé après correction — "
                                "3 tronçon(s) de longueur nulle retiré(s)");
  /* 40 m east of 1701C's first vertex (380579.018, 6570479.802): 39.19 m. */
  geo_hit h;
  cr_assert_eq(geo_nearest("reseaux", 380619.018, 6570479.802, 200, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "1701C");
  cr_assert(fabs(h.dist - 39.19) < 0.01, "dist %f", h.dist);
  json_t *p = geo_feature_props(h.id);
  cr_assert_str_eq(json_string_value(json_object_get(p, "nom")), "Villeneuve les Salines");
  json_decref(p);
  cr_assert_eq(geo_nearest("reseaux", 380619.018, 6570479.802, 1000, not_1701c, NULL, &h), 0);
  cr_assert_eq(geo_nearest("reseaux", 380619.018, 6570479.802, 0, not_1701c, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "1704C");
  cr_assert(fabs(h.dist - 1498.00) < 0.01, "dist %f", h.dist);
  /* The town hall: 575.94 m from 1704C, so not within 500 m. */
  double x = -1.1528, y = 46.1591;
  geo_wgs84_to_l93(&x, &y, 1);
  cr_assert_eq(geo_nearest("reseaux", x, y, 500, NULL, NULL, &h), 0);
  cr_assert_eq(geo_nearest("reseaux", x, y, 1000, NULL, NULL, &h), 1);
  cr_assert_str_eq(h.ext_id, "1704C");
  cr_assert(fabs(h.dist - 575.94) < 0.01, "dist %f", h.dist);
  geo_report_free(&rep);
}

/* The one commune covering lon/lat, by its INSEE code ("" if none). */
static const char *commune_at(double lon, double lat) {
  static char code[16];
  geo_wgs84_to_l93(&lon, &lat, 1);
  int64_t ids[4];
  int n = geo_contains("communes", lon, lat, ids, 4);
  cr_assert_geq(n, 0);
  cr_assert_leq(n, 1);
  code[0] = 0;
  if (n == 1) {
    json_t *p = geo_feature_props(ids[0]);
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(p, "code")));
    json_decref(p);
  }
  return code;
}

Test(geo, la_rochelle_communes) {
  geo_report rep = {0};
  cr_assert_eq(import_file("communes", FIX "communes_la_rochelle.geojson", 0, "code", &rep), 5);
  cr_assert_str_eq(commune_at(-1.1528, 46.1591), "17300"); /* town hall */
  cr_assert_str_eq(commune_at(-1.115, 46.135), "17028");   /* Aytré */
  cr_assert_str_eq(commune_at(-1.16, 46.175), "17200");    /* Lagord */
  cr_assert_str_eq(commune_at(-1.10, 46.16), "17274");     /* Périgny */
  cr_assert_str_eq(commune_at(-1.25, 46.15), "");          /* at sea */
  json_t *p = geo_feature_props(geo_feature_find("communes", "17300"));
  cr_assert_str_eq(json_string_value(json_object_get(p, "nom")), "Rochelle");
  json_decref(p);
  geo_report_free(&rep);
}

/* ------------------------------------------------------------- buffers */

Test(geo, buffer_of_a_point) {
  const char *pt = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\","
                   "\"coordinates\":[380000,6570000]}}";
  geo_report rep = {0};
  cr_assert_eq(import_text("b", pt, GEO_L93, NULL, 0, &rep), 1, "a single Feature");
  int64_t id = db_get_int(0, "SELECT id FROM geo_features WHERE layer = 'b'", "");
  char *z = geo_buffer_geojson(id, 100, GEO_L93);
  cr_assert_not_null(z);
  json_t *j = json_loads(z, 0, NULL);
  cr_assert_not_null(j, "valid JSON: %s", z);
  cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "Polygon");
  json_t *ring = json_array_get(json_object_get(j, "coordinates"), 0);
  cr_assert_geq(json_array_size(ring), 32);
  for (size_t i = 0; i < json_array_size(ring); i++) {
    json_t *c = json_array_get(ring, i);
    double dx = json_number_value(json_array_get(c, 0)) - 380000;
    double dy = json_number_value(json_array_get(c, 1)) - 6570000;
    cr_assert(fabs(sqrt(dx * dx + dy * dy) - 100) < 0.01, "vertex %zu", i);
  }
  json_decref(j);
  free(z);
  z = geo_buffer_geojson(id, 0, GEO_WGS84);
  cr_assert_not_null(z);
  cr_assert(str_startswith(z, "{\"type\":\"Point\",\"coordinates\":[-1."), "%s", z);
  free(z);
  cr_assert_null(geo_buffer_geojson(id + 100, 10, GEO_L93));
  geo_report_free(&rep);
}

/* ------------------------------------------------------------- threads */

#define NQ 400
static double g_qx[NQ], g_qy[NQ], g_want[NQ]; /* queries and their answers */

static void *query_thread(void *arg) {
  long bad = 0;
  for (int round = 0; round < 5; round++)
    for (int i = 0; i < NQ; i++) {
      geo_hit h;
      if (geo_nearest("reseaux", g_qx[i], g_qy[i], 0, NULL, NULL, &h) != 1 ||
          fabs(h.dist - g_want[i]) > 1e-9)
        bad++;
    }
  geo_thread_close();
  db_thread_close();
  *(long *)arg = bad;
  return NULL;
}

Test(geo, concurrent_queries_agree) {
  geo_report rep = {0};
  import_file("reseaux", FIX "reseaux_la_rochelle.geojson", 0, "id", &rep);
  srand(7);
  for (int i = 0; i < NQ; i++) {
    g_qx[i] = 375000 + rand() % 12000;
    g_qy[i] = 6565000 + rand() % 12000;
    geo_hit h;
    cr_assert_eq(geo_nearest("reseaux", g_qx[i], g_qy[i], 0, NULL, NULL, &h), 1);
    g_want[i] = h.dist;
  }
  geo_set_cache_limit(50); /* forces flushes mid-query in the threads */
  pthread_t th[4];
  long bad[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, query_thread, &bad[i]);
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(bad[i], 0, "thread %d: %ld wrong answers", i, bad[i]);
  }
  geo_set_cache_limit(250000);
  geo_report_free(&rep);
}

/* ----------------------------------------------------------------- CLI */

Test(geo, cli_import) {
  char *ok[] = {"geojson", "reseaux", FIX "reseaux_la_rochelle.geojson", "--id", "id", "--replace"};
  cr_assert_eq(geo_cli_import(6, ok), 0);
  cr_assert_eq(geo_cli_import(6, ok), 0);
  cr_assert_eq(geo_layer_count("reseaux"), 3, "--replace");
  cr_assert_gt(geo_feature_find("reseaux", "1703C"), 0);
  const char *path = write_csv("x;y;n\n380000;6570000;a\n");
  char *csv[] = {"csv", "pts", (char *)path, "--x", "x", "--y", "y", "--epsg", "2154", "--id", "n"};
  cr_assert_eq(geo_cli_import(11, csv), 0);
  cr_assert_gt(geo_feature_find("pts", "a"), 0);
  char *usage[] = {"csv", "pts", (char *)path};
  cr_assert_eq(geo_cli_import(3, usage), 2, "no coordinate columns");
  char *missing[] = {"geojson", "x", "/nonexistent.geojson"};
  cr_assert_eq(geo_cli_import(3, missing), 1);
  char *badfmt[] = {"shp", "x", "y"};
  cr_assert_eq(geo_cli_import(3, badfmt), 2);
}
