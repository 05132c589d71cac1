/*
** test_geosvg.c — server-side SVG maps (core/geosvg.h): the viewBox and the
** flipped y, rounding and relative paths on shapes whose output is known by
** hand, Douglas–Peucker at its tolerance, rings and lines that shrink below
** a unit, escaping of classes and titles, and a whole layer read through
** geo_layer_each from a real import (the La Rochelle networks), which must
** come out small.
*/
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/db.h"
#include "core/geo.h"
#include "core/geosvg.h"
#include "core/log.h"
#include "core/util.h"
#include "testdb.h"

/* A one-part shape over n points (x, y pairs). */
static geo_shape shape1(int kind, const double *xy, int n, int *len, unsigned char *outer) {
  geo_shape s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.nPart = 1;
  *len = n;
  *outer = kind == GEO_POLYGON;
  s.aPartLen = len;
  s.aOuter = outer;
  s.aXY = xy;
  geosvg_box_empty(s.box);
  for (int i = 0; i < n; i++) {
    double b[4] = {xy[2 * i], xy[2 * i + 1], xy[2 * i], xy[2 * i + 1]};
    geosvg_box_union(s.box, b);
  }
  return s;
}

/* A polygon of two closed rings of 5 points each (xy: 20 numbers): an
** exterior ring and one hole. */
static geo_shape polygon_with_hole(const double *xy, int *len, unsigned char *outer) {
  geo_shape s;
  memset(&s, 0, sizeof s);
  s.kind = GEO_POLYGON;
  s.nPart = 2;
  len[0] = len[1] = 5;
  outer[0] = 1;
  outer[1] = 0;
  s.aPartLen = len;
  s.aOuter = outer;
  s.aXY = xy;
  geosvg_box_empty(s.box);
  for (int i = 0; i < 5; i++) {
    double b[4] = {xy[2 * i], xy[2 * i + 1], xy[2 * i], xy[2 * i + 1]};
    geosvg_box_union(s.box, b);
  }
  return s;
}

/* The drawing of box [0,1000]² at 100 units wide: 10 m per unit. */
static void begin100(geosvg *g) {
  double box[4] = {0, 0, 1000, 1000};
  geosvg_begin(g, box, 100, "carte", "Essai");
}

Test(geosvg, viewbox_follows_the_aspect_and_title_is_there) {
  geosvg g;
  double box[4] = {380000, 6560000, 400000, 6570000}; /* 20 km × 10 km */
  geosvg_begin(&g, box, 800, "carte", "Réseaux & zones");
  cr_assert_eq(g.width, 800);
  cr_assert_eq(g.height, 400);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "viewBox=\"0 0 800 400\""), "%s", z);
  cr_assert(strstr(z, "role=\"img\"><title>Réseaux &amp; zones</title>"), "%s", z);
  cr_assert(strstr(z, "class=\"carte\""));
  cr_assert(!strncmp(z + strlen(z) - 6, "</svg>", 6));
  free(z);
}

Test(geosvg, untitled_drawing_is_hidden_from_screen_readers) {
  geosvg g;
  double box[4] = {0, 0, 10, 10};
  geosvg_begin(&g, box, 50, NULL, NULL);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "aria-hidden=\"true\""), "%s", z);
  cr_assert(!strstr(z, "<title>"));
  free(z);
}

Test(geosvg, tall_box_is_capped) {
  geosvg g;
  double box[4] = {0, 0, 10, 100000};
  geosvg_begin(&g, box, 1000, NULL, NULL);
  cr_assert_eq(g.height, GEOSVG_MAX_SIDE);
  cr_assert_leq(g.width, 1);
  geosvg_free(&g);
}

Test(geosvg, degenerate_box_is_widened_around_its_centre) {
  geosvg g;
  double box[4] = {5000, 7000, 5000, 7000}; /* one point */
  geosvg_begin(&g, box, 100, NULL, NULL);
  cr_assert_float_eq(g.box[0], 4950, 1e-9);
  cr_assert_float_eq(g.box[3], 7050, 1e-9);
  cr_assert_eq(g.width, 100);
  cr_assert_eq(g.height, 100);
  geosvg_free(&g);
}

Test(geosvg, y_is_flipped_and_coordinates_rounded) {
  geosvg g;
  begin100(&g);
  double px, py;
  geosvg_px(&g, 0, 1000, &px, &py);
  cr_assert_float_eq(px, 0, 1e-9);
  cr_assert_float_eq(py, 0, 1e-9, "the north-west corner is the SVG origin");
  geosvg_px(&g, 1000, 0, &px, &py);
  cr_assert_float_eq(px, 100, 1e-9);
  cr_assert_float_eq(py, 100, 1e-9);
  /* A line from (104, 896) to (506, 496) to (906, 896): units (10.4, 10.4),
  ** (50.6, 50.4), (90.6, 10.4) → 10 10, then +41 +40, then +40 -40. */
  double xy[] = {104, 896, 506, 496, 906, 896};
  int len;
  unsigned char outer;
  geo_shape s = shape1(GEO_LINE, xy, 3, &len, &outer);
  cr_assert_eq(geosvg_shape(&g, &s, "reseau chaleur", NULL), 1);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "<path d=\"M10 10l41 40 40-40\" class=\"reseau chaleur\"/>"), "%s", z);
  cr_assert(!strstr(z, "fill-rule"), "lines are not filled");
  free(z);
}

Test(geosvg, polygon_with_hole_is_closed_and_evenodd) {
  geosvg g;
  begin100(&g);
  /* Outer square 100..900, hole 400..600, both closed rings. */
  double xy[] = {100, 100, 900, 100, 900, 900, 100, 900, 100, 100,
                 400, 400, 400, 600, 600, 600, 600, 400, 400, 400};
  int len[2];
  unsigned char outer[2];
  geo_shape s = polygon_with_hole(xy, len, outer);
  cr_assert_eq(geosvg_shape(&g, &s, "zone", "Zone <1701C>"), 1);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "d=\"M10 90l80 0 0-80-80 0zM40 60l0-20 20 0 0 20z\""), "%s", z);
  cr_assert(strstr(z, "fill-rule=\"evenodd\" class=\"zone\"><title>Zone &lt;1701C&gt;</title></path>"), "%s", z);
  free(z);
}

Test(geosvg, sub_unit_ring_is_dropped_with_its_holes) {
  geosvg g;
  begin100(&g);
  /* A 3 m square (0.3 units) and its hole: nothing visible. */
  double xy[] = {500, 500, 503, 500, 503, 503, 500, 503, 500, 500,
                 501, 501, 501, 502, 502, 502, 502, 501, 501, 501};
  int len[2];
  unsigned char outer[2];
  geo_shape s = polygon_with_hole(xy, len, outer);
  cr_assert_eq(geosvg_shape(&g, &s, "zone", "t"), 0);
  cr_assert_eq(g.nDrawn, 0);
  char *z = geosvg_end(&g);
  cr_assert(!strstr(z, "<path"), "%s", z);
  cr_assert(!strstr(z, "\"t\""), "no half-written element is left: %s", z);
  free(z);
}

Test(geosvg, short_line_becomes_a_dot) {
  geosvg g;
  begin100(&g);
  double xy[] = {500, 500, 502, 501, 503, 500};
  int len;
  unsigned char outer;
  geo_shape s = shape1(GEO_LINE, xy, 3, &len, &outer);
  cr_assert_eq(geosvg_shape(&g, &s, NULL, NULL), 1);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "<path d=\"M50 50h0\"/>"), "%s", z);
  free(z);
}

Test(geosvg, shapes_and_points_outside_are_skipped) {
  geosvg g;
  begin100(&g);
  double xy[] = {2000, 2000, 3000, 3000};
  int len;
  unsigned char outer;
  geo_shape s = shape1(GEO_LINE, xy, 2, &len, &outer);
  cr_assert_eq(geosvg_shape(&g, &s, NULL, NULL), 0);
  geosvg_circle(&g, 5000, 5000, 4, "demandes", "3 demandes");
  geosvg_text(&g, -1, 500, NULL, "3");
  cr_assert_eq(g.nDrawn, 0);
  geosvg_free(&g);
}

Test(geosvg, points_circles_and_texts) {
  geosvg g;
  begin100(&g);
  double xy[] = {500, 500};
  int len;
  unsigned char outer;
  geo_shape s = shape1(GEO_POINT, xy, 1, &len, &outer);
  cr_assert_eq(geosvg_shape(&g, &s, "borne", "Borne \"A\""), 1);
  geosvg_circle(&g, 250, 750, 7.25, "demandes", NULL);
  geosvg_text(&g, 250, 750, "compte", "12 < 13");
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "<circle cx=\"50\" cy=\"50\" r=\"3\" class=\"borne\"><title>Borne &quot;A&quot;</title></circle>"),
            "%s", z);
  cr_assert(strstr(z, "<circle cx=\"25\" cy=\"25\" r=\"7.3\" class=\"demandes\"/>"), "%s", z);
  cr_assert(strstr(z, ">12 &lt; 13</text>"), "%s", z);
  free(z);
}

Test(geosvg, links_wrap_what_is_drawn_and_escape_their_address) {
  geosvg g;
  begin100(&g);
  geosvg_link_begin(&g, "/operateur/demandes/12?a=1&b=\"2\"");
  geosvg_circle(&g, 250, 750, 5, "demande st-a_traiter", "Demande 12");
  geosvg_link_end(&g);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "<a href=\"/operateur/demandes/12?a&#61;1&amp;b&#61;&quot;2&quot;\" tabindex=\"-1\"><circle cx=\"25\""
                      " cy=\"25\" r=\"5\" class=\"demande st-a_traiter\"><title>Demande 12</title></circle></a></svg>"),
            "%s", z);
  free(z);
}

Test(geosvg, class_names_are_escaped) {
  geosvg g;
  begin100(&g);
  geosvg_group_begin(&g, "a\" onload=\"x");
  geosvg_group_end(&g);
  char *z = geosvg_end(&g);
  cr_assert(strstr(z, "<g class=\"a&quot; onload&#61;&quot;x\"></g>"), "%s", z);
  cr_assert(!strstr(z, "onload=\""));
  free(z);
}

Test(geosvg, douglas_peucker_keeps_what_exceeds_the_tolerance) {
  /* A straight line with a 0.4 bump and a 2.0 spike: the spike stays, and
  ** so do its feet (1.11 and 0.71 from the lines to the spike); the bump
  ** (0.4 from [0,0]-[2,0]) goes. */
  double xy[] = {0, 0, 1, 0.4, 2, 0, 3, 2.0, 4, 0, 5, 0};
  size_t k = geosvg_simplify(xy, 6, 0.5);
  cr_assert_eq(k, 5, "kept %zu", k);
  double want[] = {0, 0, 2, 0, 3, 2.0, 4, 0, 5, 0};
  for (int i = 0; i < 10; i++) cr_assert_float_eq(xy[i], want[i], 1e-12, "coordinate %d", i);
  double two[] = {0, 0, 1, 1};
  cr_assert_eq(geosvg_simplify(two, 2, 10), 2);
  /* Collinear points all go. */
  double line[200];
  for (int i = 0; i < 100; i++) {
    line[2 * i] = i;
    line[2 * i + 1] = 2 * i;
  }
  cr_assert_eq(geosvg_simplify(line, 100, 0.01), 2);
}

Test(geosvg, dense_ring_shrinks_to_what_can_be_seen) {
  /* A circle of radius 400 m with 10,000 vertices, drawn 100 units wide
  ** (10 m a unit): a 40-unit circle needs a few dozen points. */
  enum { N = 10000 };
  double *xy = xmalloc(2 * (N + 1) * sizeof(double));
  for (int i = 0; i <= N; i++) {
    double a = 2 * M_PI * (i % N) / N;
    xy[2 * i] = 500 + 400 * cos(a);
    xy[2 * i + 1] = 500 + 400 * sin(a);
  }
  int len;
  unsigned char outer;
  geo_shape s = shape1(GEO_POLYGON, xy, N + 1, &len, &outer);
  geosvg g;
  begin100(&g);
  cr_assert_eq(geosvg_shape(&g, &s, "zone", NULL), 1);
  char *z = geosvg_end(&g);
  cr_assert_lt(strlen(z), 1000, "%zu bytes: %s", strlen(z), z);
  cr_assert_gt(strlen(z), 150, "still a circle, not a square: %s", z);
  free(z);
  free(xy);
}

Test(geosvg, boxes) {
  double b[4];
  geosvg_box_empty(b);
  cr_assert(b[0] > b[2]);
  double e[4];
  geosvg_box_empty(e);
  geosvg_box_union(b, e);
  cr_assert(b[0] > b[2], "an empty box adds nothing");
  double p[4] = {10, 20, 30, 60};
  geosvg_box_union(b, p);
  cr_assert_float_eq(b[0], 10, 1e-12);
  cr_assert_float_eq(b[3], 60, 1e-12);
  geosvg_box_pad(b, 0.5, 0);
  cr_assert_float_eq(b[0], 0, 1e-12);
  cr_assert_float_eq(b[2], 40, 1e-12);
  cr_assert_float_eq(b[1], 0, 1e-12);
  cr_assert_float_eq(b[3], 80, 1e-12);
  geosvg_box_pad(b, 0, 100);
  cr_assert_float_eq(b[2] - b[0], 100, 1e-12);
  cr_assert_float_eq((b[0] + b[2]) / 2, 20, 1e-12, "widened around the centre");
}

/* ------------------------------------------------ a real layer, read back */

static testdb T; /* the test's directory and database */

static void setup(void) {
  testdb_open(&T, "geosvg");
}

static void teardown(void) {
  geo_thread_close();
  testdb_close(&T);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s (tests run from the repository root)", path);
  buf b = {0};
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  return b.z;
}

typedef struct walk {
  long n, coords;   /* features and coordinates seen */
  int closed;       /* every polygon ring closed */
} walk;

static int count_cb(void *arg, const geo_shape *s) {
  walk *w = arg;
  w->n++;
  const double *xy = s->aXY;
  for (int i = 0; i < s->nPart; i++) {
    int n = s->aPartLen[i];
    w->coords += n;
    if (s->kind == GEO_POLYGON && (xy[0] != xy[2 * n - 2] || xy[1] != xy[2 * n - 1])) w->closed = 0;
    xy += 2 * n;
  }
  return 0;
}

static int only_1701C(void *arg, const geo_shape *s, const char **zClass, const char **zTitle) {
  (void)arg;
  *zClass = "reseau";
  *zTitle = s->ext_id;
  return s->ext_id && !strcmp(s->ext_id, "1701C");
}

Test(geosvg_layer, real_networks_and_communes, .init = setup, .fini = teardown) {
  char *z = slurp("tests/fixtures/geo/reseaux_la_rochelle.geojson");
  cr_assert_eq(geo_import_geojson("heat_networks", z, strlen(z), 0, "id", 0, NULL), 3);
  free(z);
  z = slurp("tests/fixtures/geo/communes_la_rochelle.geojson");
  long ncom = geo_import_geojson("communes", z, strlen(z), 0, "code", 0, NULL);
  cr_assert_eq(ncom, 5);
  free(z);

  double box[4];
  cr_assert_eq(geo_layer_extent("nothing", box), 0);
  cr_assert_eq(geo_layer_extent("communes", box), 1);
  cr_assert(box[0] > 370000 && box[2] < 400000 && box[1] > 6550000 && box[3] < 6580000,
            "La Rochelle in Lambert-93: %f %f %f %f", box[0], box[1], box[2], box[3]);

  walk w = {0, 0, 1};
  cr_assert_eq(geo_layer_each("communes", NULL, count_cb, &w), ncom);
  cr_assert_eq(w.n, ncom);
  cr_assert(w.closed, "rings come back closed");
  walk none = {0, 0, 1};
  double far[4] = {0, 0, 10, 10};
  cr_assert_eq(geo_layer_each("communes", far, count_cb, &none), 0);

  geosvg g;
  geosvg_begin(&g, box, 800, "carte", "La Rochelle");
  geosvg_group_begin(&g, "communes");
  cr_assert_eq(geosvg_layer(&g, "communes", NULL, NULL), ncom);
  geosvg_group_end(&g);
  cr_assert_eq(geosvg_layer(&g, "heat_networks", only_1701C, NULL), 1);
  char *svg = geosvg_end(&g);
  cr_assert(strstr(svg, "class=\"reseau\"><title>1701C</title>"), "%.400s", svg);
  for (const char *d = strstr(svg, " d=\""); d; d = strstr(d + 1, " d=\"")) {
    size_t nd = strcspn(d + 4, "\"");
    cr_assert(!memchr(d + 4, '.', nd), "whole units only: %.*s", (int)nd, d + 4);
  }
  free(svg);

  /* A label point lies inside its commune. */
  int64_t id = geo_feature_find("communes", "17300");
  cr_assert_gt(id, 0);
  double x, y;
  cr_assert_eq(geo_feature_point(id, &x, &y), 0);
  int64_t in[4];
  int nin = geo_contains("communes", x, y, in, 4);
  cr_assert_geq(nin, 1);
  cr_assert_eq(in[0], id);
  cr_assert_eq(geo_feature_point(999999, &x, &y), -1);

  /* A feature's box lies within its layer's extent and holds its label point. */
  double fb[4];
  cr_assert_eq(geo_feature_box(id, fb), 0);
  cr_assert(fb[0] >= box[0] - 1 && fb[2] <= box[2] + 1 && fb[1] >= box[1] - 1 && fb[3] <= box[3] + 1);
  cr_assert(x >= fb[0] && x <= fb[2] && y >= fb[1] && y <= fb[3]);
  cr_assert_eq(geo_feature_box(999999, fb), -1);
}
