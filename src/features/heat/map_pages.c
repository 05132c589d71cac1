/*
** map_pages.c — the maps of the heat service: the public map /carte (an
** SVG drawn here, which works without JavaScript, that carte.js turns into
** a Leaflet map fed by GET /api/v1/carte), the map of one network on its
** admin page, and the layers under every map of the service (heat_map_base:
** communes, zones, traces), the operators' map of requests included
** (requests_map.c).
**
** What is public: the networks (traces, name, operator, heat or cold, open
** to connections, CO2 content, renewable share), the priority zones, the
** communes, and the number of contact requests per commune. Nothing about
** a request but that count leaves this file: its point only decides which
** commune it is counted in, and the symbol stands on the commune's own
** label point, never on a request's position.
**
** Cost: the map reads each layer once (geo_layer_each, one WKB parse per
** feature) and places each distinct request point in its commune with one
** geo_contains; at a territory's scale (tens of features, thousands of
** requests) a render takes milliseconds.
**
** Memory: json values released with the request; SVG texts malloc'ed by
** geosvg and copied into the page data.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/db.h"
#include "core/geo.h"
#include "core/geosvg.h"
#include "core/i18n.h"
#include "core/log.h"
#include "features/heat/heat_int.h"

#define MAP_WIDTH 800         /* viewBox width of the public map: its CSS width in pixels, roughly */
#define NETWORK_MAP_WIDTH 640 /* the admin page's map of one network */
#define MAP_PAD 0.04          /* margin around the territory, fraction of its size */
#define NETWORK_PAD 0.25      /* around one network: a little of its surroundings */
#define NETWORK_MIN_M 800.0   /* the smallest area shown around one network, metres */
#define JSON_TOL_M 2.0        /* simplification of the API's geometries, metres */
#define JSON_DEC 1e6          /* degrees rounded to 6 decimals (about 10 cm) */

static void json_release(void *p) { json_decref(p); }

/* ----------------------------------------------------------- networks */

/* The network rows by SNCU id: {sncu: {name, operator, kind, open, co2, enrr}},
** released with the request. */
static json_t *networks_by_sncu(req *r) {
  json_t *m = json_object();
  arena_defer(r->a, json_release, m);
  db_stmt *s = db_query("SELECT sncu_id, name, operator_name, kind, open_to_connections, co2_g_kwh, renewable_pct"
                        " FROM heat_networks ORDER BY sncu_id", "");
  while (db_step(s) == DB_ROW) {
    json_t *n = json_object();
    json_object_set_new(n, "id", json_string(db_text(s, 0)));
    json_object_set_new(n, "name", json_string(db_text(s, 1)));
    json_object_set_new(n, "operator", json_string(db_text(s, 2)));
    json_object_set_new(n, "kind", json_string(db_text(s, 3)));
    json_object_set_new(n, "open", json_boolean(db_int(s, 4)));
    json_object_set_new(n, "co2_g_kwh", db_is_null(s, 5) ? json_null() : json_real(db_double(s, 5)));
    json_object_set_new(n, "renewable_pct", db_is_null(s, 6) ? json_null() : json_real(db_double(s, 6)));
    json_object_set_new(m, db_text(s, 0), n);
  }
  db_done(s);
  return m;
}

/* CSS classes of a network's trace: "reseau chaleur ouvert"… */
static const char *network_class(json_t *n) {
  if (!n) return "reseau inconnu";
  int cold = str_eq(json_string_value(json_object_get(n, "kind")), "cold");
  int open = json_is_true(json_object_get(n, "open"));
  return cold ? (open ? "reseau froid ouvert" : "reseau froid ferme")
              : (open ? "reseau chaleur ouvert" : "reseau chaleur ferme");
}

static const char *network_title(req *r, const char *sncu, json_t *n) {
  if (!n) return arena_printf(r->a, _("Tracé %s (réseau inconnu)"), sncu ? sncu : "");
  return arena_printf(r->a, "%s — %s (%s, %s)", sncu, json_string_value(json_object_get(n, "name")),
                      str_eq(json_string_value(json_object_get(n, "kind")), "cold") ? _("froid") : _("chaleur"),
                      json_is_true(json_object_get(n, "open")) ? _("ouvert aux raccordements")
                                                               : _("fermé aux raccordements"));
}

/* ----------------------------------------------------------- requests */

/* One commune's count of requests. */
typedef struct commune_count {
  int64_t fid;        /* its feature in the communes layer, 0 if unknown */
  const char *name;   /* its name (arena) */
  int64_t n;          /* requests */
  double x, y;        /* label point, Lambert-93 (fid > 0) */
} commune_count;

static int count_cmp(const void *a, const void *b) {
  const commune_count *x = a, *y = b;
  if (x->n != y->n) return x->n < y->n ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* Requests counted by commune, most first, in *out (arena); returns how
** many communes, or -1. With a communes layer, a request counts in the
** commune whose polygon holds its point; without one, in the commune the
** geocoder named. */
static int requests_by_commune(req *r, commune_count **out, int64_t *total) {
  int cap = 16, n = 0;
  commune_count *a = arena_alloc(r->a, (size_t)cap * sizeof *a);
  *total = 0;
  long ncommunes = geo_layer_count(HEAT_LAYER_COMMUNES);
  if (ncommunes < 0) return -1;
  db_stmt *s = db_query("SELECT lon, lat, commune, count(*) FROM heat_requests GROUP BY lon, lat, commune", "");
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    int64_t fid = 0, k = db_int(s, 3);
    const char *name = db_text(s, 2) ? db_text(s, 2) : "";
    *total += k;
    if (ncommunes > 0) {
      double x = db_double(s, 0), y = db_double(s, 1);
      if (geo_wgs84_to_l93(&x, &y, 1) != 0 || geo_contains(HEAT_LAYER_COMMUNES, x, y, &fid, 1) <= 0) fid = 0;
    }
    int i = 0;
    while (i < n && !(fid ? a[i].fid == fid : !a[i].fid && !strcmp(a[i].name, name))) i++;
    if (i == n) {
      if (n == cap) {
        commune_count *b = arena_alloc(r->a, (size_t)cap * 2 * sizeof *b);
        memcpy(b, a, (size_t)n * sizeof *a);
        a = b;
        cap *= 2;
      }
      memset(&a[n], 0, sizeof a[n]);
      a[n].fid = fid;
      a[n].name = arena_strdup(r->a, name);
      n++;
    }
    a[i].n += k;
  }
  db_done(s);
  if (rc != DB_DONE) return -1;
  for (int i = 0; i < n; i++) {
    if (!a[i].fid) continue;
    json_t *p = geo_feature_props(a[i].fid);
    const char *nom = json_string_value(json_object_get(p, "nom"));
    if (nom) a[i].name = arena_strdup(r->a, nom);
    json_decref(p);
    if (geo_feature_point(a[i].fid, &a[i].x, &a[i].y) != 0) a[i].fid = 0;
  }
  qsort(a, (size_t)n, sizeof *a, count_cmp);
  *out = a;
  return n;
}

/* Radius of a commune's symbol, viewBox units: its area grows with the count. */
static double count_radius(int64_t n) { return 5 + 3 * sqrt((double)n); }

/* -------------------------------------------------------------- drawing */

typedef struct style_ctx {
  req *r;             /* the request (arena for titles) */
  json_t *nets;       /* networks_by_sncu */
  json_t *mine;       /* SNCU ids drawn "courant", the others "autre"; NULL: by kind */
} style_ctx;

/* CSS classes of a network's trace on a map that highlights mine (see
** heat_map_base), else network_class. */
static const char *trace_class(json_t *mine, const char *sncu, json_t *n) {
  if (!mine) return network_class(n);
  return sncu && json_object_get(mine, sncu) ? "reseau courant" : "reseau autre";
}

static int style_commune(void *arg, const geo_shape *s, const char **zClass, const char **zTitle) {
  style_ctx *c = arg;
  json_t *p = geo_feature_props(s->id);
  const char *nom = json_string_value(json_object_get(p, "nom"));
  *zTitle = nom ? arena_strdup(c->r->a, nom) : NULL;
  json_decref(p);
  *zClass = "commune";
  return 1;
}

static int style_zone(void *arg, const geo_shape *s, const char **zClass, const char **zTitle) {
  style_ctx *c = arg;
  json_t *p = geo_feature_props(s->id);
  const char *sncu = json_string_value(json_object_get(p, "id"));
  *zTitle = sncu ? arena_printf(c->r->a, _("Zone de développement prioritaire du réseau %s"), sncu)
                 : _("Zone de développement prioritaire");
  json_decref(p);
  *zClass = "zone";
  return 1;
}

static int style_network(void *arg, const geo_shape *s, const char **zClass, const char **zTitle) {
  style_ctx *c = arg;
  json_t *n = s->ext_id ? json_object_get(c->nets, s->ext_id) : NULL;
  *zClass = trace_class(c->mine, s->ext_id, n);
  *zTitle = network_title(c->r, s->ext_id, n);
  return 1;
}

int heat_map_base(req *r, geosvg *g, json_t *mine, json_t *nets) {
  style_ctx c = {r, nets ? nets : networks_by_sncu(r), mine};
  static const struct {
    const char *layer;      /* geo layer */
    const char *cls;        /* its group's class */
    geosvg_style_fn style;  /* its features' classes and titles */
  } layers[] = {
      {HEAT_LAYER_COMMUNES, "communes", style_commune},
      {HEAT_LAYER_ZONES, "zones", style_zone},
      {HEAT_LAYER_LINES, "reseaux", style_network},
  };
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    geosvg_group_begin(g, layers[i].cls);
    long n = geosvg_layer(g, layers[i].layer, layers[i].style, &c);
    geosvg_group_end(g);
    if (n < 0) return -1;
  }
  return 0;
}

int heat_map_territory_box(double box[4]) {
  int rc = geo_layer_extent(HEAT_LAYER_COMMUNES, box);
  if (rc != 0) return rc;
  geosvg_box_empty(box);
  const char *layers[] = {HEAT_LAYER_LINES, HEAT_LAYER_ZONES};
  for (int i = 0; i < 2; i++) {
    double b[4];
    int k = geo_layer_extent(layers[i], b);
    if (k < 0) return -1;
    if (k) geosvg_box_union(box, b);
  }
  return box[0] <= box[2];
}

/* The public map's SVG (arena), NULL when there is nothing to draw, or
** *err set on a geo or database error. */
static const char *territory_svg(req *r, json_t *nets, const commune_count *cc, int ncc, int *err) {
  double box[4];
  int k = heat_map_territory_box(box);
  *err = k < 0;
  if (k <= 0) return NULL;
  geosvg_box_pad(box, MAP_PAD, 500);
  geosvg g;
  geosvg_begin(&g, box, MAP_WIDTH, "carte-svg",
               _("Carte des réseaux de chaleur et de froid, des zones prioritaires et des demandes par commune"));
  if (heat_map_base(r, &g, NULL, nets) != 0) {
    geosvg_free(&g);
    *err = 1;
    return NULL;
  }
  geosvg_group_begin(&g, "demandes");
  for (int i = 0; i < ncc; i++) {
    if (!cc[i].fid) continue;
    const char *t = arena_printf(r->a, _("%s : %lld demande(s) de raccordement"), cc[i].name, (long long)cc[i].n);
    geosvg_circle(&g, cc[i].x, cc[i].y, count_radius(cc[i].n), "demandes-cercle", t);
    geosvg_text(&g, cc[i].x, cc[i].y, "demandes-nombre", arena_printf(r->a, "%lld", (long long)cc[i].n));
  }
  geosvg_group_end(&g);
  char *z = geosvg_end(&g);
  const char *out = arena_strdup(r->a, z);
  free(z);
  return out;
}

static json_t *networks_list(json_t *nets) {
  json_t *l = json_array();
  const char *k;
  json_t *n;
  json_object_foreach(nets, k, n) {
    json_t *o = json_deep_copy(n);
    json_object_set_new(o, "kind_label", json_string(str_eq(json_string_value(json_object_get(n, "kind")), "cold")
                                                         ? _("froid") : _("chaleur")));
    json_object_set_new(o, "css", json_string(network_class(n)));
    if (geo_feature_find(HEAT_LAYER_LINES, k) > 0) json_object_set_new(o, "has_trace", json_true());
    json_array_append_new(l, o);
  }
  return l;
}

void heat_map_tiles_into(json_t *d) {
  json_object_set_new(d, "tiles", json_string(http_map_tiles()));
  json_object_set_new(d, "attribution", json_string(*http_map_tiles() ? config_str("map_tiles_attribution") : ""));
}

void map_page(req *r) {
  json_t *nets = networks_by_sncu(r);
  commune_count *cc = NULL;
  int64_t total = 0;
  int ncc = requests_by_commune(r, &cc, &total);
  int err = ncc < 0;
  const char *svg = err ? NULL : territory_svg(r, nets, cc, ncc, &err);
  if (err) {
    res_error(r, 500, _("La carte n’a pas pu être dessinée : réessayez dans un instant."));
    return;
  }
  json_t *d = json_object();
  if (svg) json_object_set_new(d, "svg", json_string(svg));
  heat_map_tiles_into(d);
  json_object_set_new(d, "networks", networks_list(nets));
  json_t *l = json_array();
  for (int i = 0; i < ncc; i++)
    json_array_append_new(l, json_pack("{s:s, s:I}", "name", *cc[i].name ? cc[i].name : _("commune inconnue"), "n",
                                       (json_int_t)cc[i].n));
  json_object_set_new(d, "communes", l);
  json_object_set_new(d, "total", json_integer(total));
  res_page(r, 200, "heat/map", d);
}

/* ----------------------------------------------------------------- API */

json_t *heat_map_coord(double x, double y) {
  return json_pack("[f, f]", round(x * JSON_DEC) / JSON_DEC, round(y * JSON_DEC) / JSON_DEC);
}

/* One part as a GeoJSON position array in WGS84, simplified to JSON_TOL_M
** (rings stay closed: their first and last points are kept). */
static json_t *part_json(const double *xy, int n) {
  double *t = xmalloc((size_t)n * 2 * sizeof(double));
  memcpy(t, xy, (size_t)n * 2 * sizeof(double));
  size_t k = geosvg_simplify(t, (size_t)n, JSON_TOL_M);
  json_t *a = json_array();
  for (size_t i = 0; i < k; i++) {
    double x = t[2 * i], y = t[2 * i + 1];
    if (geo_l93_to_wgs84(&x, &y, 1) == 0) json_array_append_new(a, heat_map_coord(x, y));
  }
  free(t);
  return a;
}

/* A feature's geometry as GeoJSON (WGS84), or NULL if empty. */
static json_t *shape_geometry(const geo_shape *s) {
  json_t *parts = json_array(); /* lines or points, or polygons (arrays of rings) */
  json_t *poly = NULL;
  const double *xy = s->aXY;
  for (int i = 0; i < s->nPart; i++) {
    int n = s->aPartLen[i];
    if (s->kind == GEO_POINT) {
      double x = xy[0], y = xy[1];
      if (n >= 1 && geo_l93_to_wgs84(&x, &y, 1) == 0) json_array_append_new(parts, heat_map_coord(x, y));
    } else if (s->kind == GEO_LINE) {
      json_array_append_new(parts, part_json(xy, n));
    } else {
      if (s->aOuter[i] || !poly) {
        poly = json_array();
        json_array_append_new(parts, poly);
      }
      json_array_append_new(poly, part_json(xy, n));
    }
    xy += 2 * (size_t)n;
  }
  size_t np = json_array_size(parts);
  if (!np) {
    json_decref(parts);
    return NULL;
  }
  static const char *const single[] = {"", "Point", "LineString", "Polygon"};
  static const char *const multi[] = {"", "MultiPoint", "MultiLineString", "MultiPolygon"};
  json_t *coords = np == 1 ? json_incref(json_array_get(parts, 0)) : json_incref(parts);
  json_decref(parts);
  return json_pack("{s:s, s:o}", "type", np == 1 ? single[s->kind] : multi[s->kind], "coordinates", coords);
}

typedef struct api_ctx {
  json_t *features;   /* the collection's array */
  json_t *nets;       /* networks_by_sncu */
  json_t *mine;       /* as style_ctx's */
  const char *layer;  /* "commune", "zone", "network": the "layer" property */
} api_ctx;

static int api_feature_cb(void *arg, const geo_shape *s) {
  api_ctx *c = arg;
  json_t *geom = shape_geometry(s);
  if (!geom) return 0;
  json_t *props = json_pack("{s:s}", "layer", c->layer);
  if (!strcmp(c->layer, "network")) {
    json_t *n = s->ext_id ? json_object_get(c->nets, s->ext_id) : NULL;
    if (n) json_object_update(props, n);
    else json_object_set_new(props, "id", s->ext_id ? json_string(s->ext_id) : json_null());
    json_object_set_new(props, "class", json_string(trace_class(c->mine, s->ext_id, n)));
  } else {
    json_t *p = geo_feature_props(s->id);
    const char *v = json_string_value(json_object_get(p, !strcmp(c->layer, "zone") ? "id" : "nom"));
    json_object_set_new(props, !strcmp(c->layer, "zone") ? "network" : "name", v ? json_string(v) : json_null());
    json_decref(p);
    json_object_set_new(props, "class", json_string(!strcmp(c->layer, "zone") ? "zone" : "commune"));
  }
  json_array_append_new(c->features, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geom,
                                               "properties", props));
  return 0;
}

int heat_map_base_json(req *r, json_t *feats, json_t *mine) {
  json_t *nets = networks_by_sncu(r);
  static const struct {
    const char *geo;    /* geo layer */
    const char *name;   /* "layer" property */
  } layers[] = {{HEAT_LAYER_COMMUNES, "commune"}, {HEAT_LAYER_ZONES, "zone"}, {HEAT_LAYER_LINES, "network"}};
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    api_ctx c = {feats, nets, mine, layers[i].name};
    if (geo_layer_each(layers[i].geo, NULL, api_feature_cb, &c) < 0) return -1;
  }
  return 0;
}

void map_api(req *r) {
  commune_count *cc = NULL;
  int64_t total = 0;
  int ncc = requests_by_commune(r, &cc, &total);
  json_t *feats = json_array();
  if (ncc < 0 || heat_map_base_json(r, feats, NULL) != 0) {
    json_decref(feats);
    res_error(r, 500, _("La carte n’a pas pu être lue : réessayez dans un instant."));
    return;
  }
  for (int i = 0; i < ncc; i++) {
    if (!cc[i].fid) continue;
    double x = cc[i].x, y = cc[i].y;
    if (geo_l93_to_wgs84(&x, &y, 1) != 0) continue;
    json_array_append_new(feats, json_pack("{s:s, s:{s:s, s:o}, s:{s:s, s:s, s:s, s:I}}", "type", "Feature",
                                           "geometry", "type", "Point", "coordinates", heat_map_coord(x, y),
                                           "properties", "layer", "requests", "class", "demandes", "commune",
                                           cc[i].name, "requests", (json_int_t)cc[i].n));
  }
  json_t *o = json_pack("{s:s, s:o, s:I, s:s}", "type", "FeatureCollection", "features", feats, "requests_total",
                        (json_int_t)total, "licence",
                        "Licence Ouverte 2.0 : France Chaleur Urbaine (tracés), IGN Admin Express (communes)");
  res_json(r, 200, o);
}

/* ------------------------------------------------------- one network */

const char *heat_network_svg(req *r, const char *sncu) {
  int64_t fid = geo_feature_find(HEAT_LAYER_LINES, sncu);
  double box[4];
  if (fid <= 0 || geo_feature_box(fid, box) != 0) return NULL;
  geosvg_box_pad(box, NETWORK_PAD, NETWORK_MIN_M);
  geosvg g;
  geosvg_begin(&g, box, NETWORK_MAP_WIDTH, "carte-svg carte-reseau",
               arena_printf(r->a, _("Carte du réseau %s, des autres réseaux et des zones prioritaires alentour"), sncu));
  json_t *mine = json_pack("{s:b}", sncu, 1);
  int rc = heat_map_base(r, &g, mine, NULL);
  json_decref(mine);
  if (rc != 0) {
    geosvg_free(&g);
    log_error("heat", "%s: map of network %s not drawn", r->id, sncu);
    return NULL;
  }
  char *z = geosvg_end(&g);
  const char *out = arena_strdup(r->a, z);
  free(z);
  return out;
}
