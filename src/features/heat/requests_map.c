/*
** requests_map.c — the operators' map of their contact requests
** (/operateur/demandes/carte), drawn on the server so that it works without
** JavaScript, and its GeoJSON (/operateur/demandes/carte.json), from which
** carte.js builds the same map on Leaflet.
**
** The map shows the requests the table lists (requests_list.c): the same
** filters, parsed by the same heat_filters_parse, so the same scope
** (HEAT_SCOPE_SQL): an operator never sees another network's request here
** either. Each request is a point at its address, coloured by its status in
** the pipeline, with a tooltip (reference, address, status) and a link to
** its page; under the points, the network traces (the user's own networks
** highlighted), the priority zones and the communes (heat_map_base). The
** points are personal data (an address is a home): both routes are for
** "heat.operate" only, and nothing else about the applicant leaves here —
** no name, no e-mail.
**
** Size: at most MAP_MAX_POINTS points, the first ones in the table's order;
** past that the page says how many are left out and asks for narrower
** filters. The list under the map repeats the points drawn as text links:
** the SVG is one image to assistive technology (core/geosvg.h).
**
** Cost: one grouped count by status, one query for the points, one PROJ
** transform per point, one lookup per network of the user for the
** area shown; then the base layers over that area.
**
** Memory: the request arena; json values released with the page.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/geo.h"
#include "core/geosvg.h"
#include "core/i18n.h"
#include "core/log.h"
#include "features/heat/heat_int.h"

#define MAP_WIDTH 800          /* viewBox width: about its CSS width in pixels */
#define MAP_POINT_R 6.0        /* a request's dot, viewBox units */
#define MAP_PAD 0.08           /* margin around the requests and networks, fraction of the area */
#define MAP_MIN_M 1500.0       /* the smallest area shown, metres a side: a street and its blocks */
#define MAP_MAX_POINTS 1000    /* points drawn; more asks for narrower filters */

/* One request on the map. */
typedef struct point {
  int64_t id;             /* heat_requests.id */
  double lon, lat;        /* WGS84, as stored */
  double x, y;            /* Lambert-93 */
  const char *status;     /* pipeline code (arena) */
  const char *address;    /* (arena) */
  const char *commune;    /* (arena) */
  const char *network;    /* SNCU id, "" if routed to the agency (arena) */
} point;

/* The points the filters select, the first max in the table's order, into
** *out (arena). Returns how many, or -1 on a database or projection error
** (logged). */
static int points_read(req *r, const heat_filters *hf, point **out, int max) {
  point *a = arena_alloc(r->a, (size_t)max * sizeof *a);
  db_stmt *s = listing_page_prep(&hf->w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, heat_filters_order(r->a, hf), 1, max);
  int n = 0, rc;
  while ((rc = db_step(s)) == DB_ROW) {
    assert(n < max); /* the LIMIT */
    point *p = &a[n++];
    p->id = db_int(s, HC_ID);
    p->lon = p->x = db_double(s, HC_LON);
    p->lat = p->y = db_double(s, HC_LAT);
    p->status = arena_strdup(r->a, db_text(s, HC_STATUS));
    p->address = arena_strdup(r->a, db_text(s, HC_ADDRESS));
    p->commune = arena_strdup(r->a, db_text(s, HC_COMMUNE));
    p->network = arena_strdup(r->a, db_text(s, HC_SNCU));
  }
  db_done(s);
  if (rc != DB_DONE) return -1;
  for (int i = 0; i < n; i++)
    if (geo_wgs84_to_l93(&a[i].x, &a[i].y, 1) != 0) {
      log_error("heat", "%s: request %lld not projected", r->id, (long long)a[i].id);
      return -1;
    }
  *out = a;
  return n;
}

/* The number of selected requests by status code into *counts (an object,
** new reference), their sum into *total. 0, or -1 on a database error. */
static int status_counts(const heat_filters *hf, json_t **counts, int64_t *total) {
  db_stmt *s = listing_query_prep(&hf->w, "SELECT r.status, count(*) FROM heat_requests r", "GROUP BY r.status");
  json_t *c = json_object();
  *total = 0;
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_object_set_new(c, db_text(s, 0), json_integer(db_int(s, 1)));
    *total += db_int(s, 1);
  }
  db_done(s);
  if (rc != DB_DONE) {
    json_decref(c);
    return -1;
  }
  *counts = c;
  return 0;
}

/* The SNCU ids of the networks whose requests the user sees, as the keys
** of an object (new reference): heat_map_base highlights them. */
static json_t *my_networks(req *r) {
  json_t *m = json_object();
  db_stmt *s = db_query("SELECT n.sncu_id FROM heat_networks n WHERE " HEAT_NETWORK_SCOPE_SQL, "iii",
                        (int64_t)heat_sees_all(r), r->me->id, r->me->id);
  while (db_step(s) == DB_ROW) json_object_set_new(m, db_text(s, 0), json_true());
  db_done(s);
  return m;
}

/* The area the map shows: the user's networks and the points, else the
** territory. 1 with box set, 0 when there is nothing to show, -1 on error. */
static int map_box(json_t *mine, const point *p, int n, double box[4]) {
  geosvg_box_empty(box);
  const char *sncu;
  json_t *v;
  json_object_foreach(mine, sncu, v) {
    double b[4];
    int64_t fid = geo_feature_find(HEAT_LAYER_LINES, sncu);
    if (fid > 0 && geo_feature_box(fid, b) == 0) geosvg_box_union(box, b);
  }
  for (int i = 0; i < n; i++) {
    double b[4] = {p[i].x, p[i].y, p[i].x, p[i].y};
    geosvg_box_union(box, b);
  }
  if (box[0] > box[2]) {
    int k = heat_map_territory_box(box);
    if (k <= 0) return k;
  }
  geosvg_box_pad(box, MAP_PAD, MAP_MIN_M);
  return 1;
}

/* CSS classes of a request's dot: "demande st-CODE" for a known status. */
static const char *point_class(req *r, const char *status) {
  return heat_status_label(status) ? arena_printf(r->a, "demande st-%s", status) : "demande st-autre";
}

static const char *point_label(const char *status) {
  const char *lab = heat_status_label(status);
  return lab ? lab : status;
}

/* The page of the request (arena). */
static const char *point_href(req *r, const point *p) {
  return arena_printf(r->a, "/operateur/demandes/%lld", (long long)p->id);
}

/* "Demande 12 — 3 rue X, Aytré — À traiter" (arena). */
static const char *point_title(req *r, const point *p) {
  return arena_printf(r->a, _("Demande %lld — %s, %s — %s"), (long long)p->id, p->address, p->commune,
                      point_label(p->status));
}

/* The map's SVG (arena): NULL with *err = 0 when there is nothing to
** draw, NULL with *err = 1 on a geo error. Later points are drawn first, so
** the first in the table's order come out on top. */
static const char *map_svg(req *r, json_t *mine, const point *p, int n, int *err) {
  double box[4];
  int k = map_box(mine, p, n, box);
  *err = k < 0;
  if (k <= 0) return NULL;
  geosvg g;
  geosvg_begin(&g, box, MAP_WIDTH, "carte-svg carte-demandes",
               _("Carte des demandes de raccordement, colorées par statut, sur les tracés des réseaux"));
  if (heat_map_base(r, &g, mine, NULL) != 0) {
    geosvg_free(&g);
    *err = 1;
    return NULL;
  }
  geosvg_group_begin(&g, "demandes-points");
  for (int i = n - 1; i >= 0; i--) {
    geosvg_link_begin(&g, point_href(r, &p[i]));
    geosvg_circle(&g, p[i].x, p[i].y, MAP_POINT_R, point_class(r, p[i].status), point_title(r, &p[i]));
    geosvg_link_end(&g);
  }
  geosvg_group_end(&g);
  char *z = geosvg_end(&g);
  const char *out = arena_strdup(r->a, z);
  free(z);
  return out;
}

/* The legend: every status in the pipeline's order with its class and its
** count among the selected requests. */
static json_t *legend(req *r, json_t *counts) {
  json_t *l = json_array();
  for (int i = 0; i < heat_nstatuses; i++) {
    const char *code = heat_statuses[i].code;
    json_array_append_new(l, json_pack("{s:s, s:s, s:s, s:I}", "code", code, "class", point_class(r, code), "label",
                                       _(heat_statuses[i].label), "n",
                                       (json_int_t)json_integer_value(json_object_get(counts, code))));
  }
  return l;
}

/* Reads what both routes need; 0, or -1 after answering (bad filters:
** 422 with the form for the page, {"error"} for the JSON; 500 on a
** database error). d is the page data, or NULL for the JSON. */
static int map_read_or_reply(req *r, json_t *d, heat_filters *hf, json_t **counts, int64_t *total, point **pts,
                             int *npts) {
  form f;
  form_init(&f, r, NULL);
  int nerr = heat_filters_parse(r, &f, hf);
  if (d) heat_filters_into(r, d, hf, "map");
  if (nerr) {
    if (d) {
      form_into(&f, d);
      res_page(r, 422, "heat/requests_map", d);
    } else {
      json_t *first = json_array_get(json_object_get(f.data, "errors"), 0);
      res_error(r, 422, first ? json_string_value(json_object_get(first, "message"))
                              : _("Les filtres ne sont pas valides."));
    }
    return -1;
  }
  if (d) form_into(&f, d);
  *npts = -1;
  if (status_counts(hf, counts, total) == 0) {
    *npts = points_read(r, hf, pts, MAP_MAX_POINTS);
    if (*npts < 0) json_decref(*counts);
  }
  if (*npts < 0) {
    json_decref(d);
    heat_db_failed(r);
    return -1;
  }
  return 0;
}

void requests_map_page(req *r) {
  json_t *d = json_object();
  heat_filters hf;
  json_t *counts;
  int64_t total;
  point *p;
  int n;
  if (map_read_or_reply(r, d, &hf, &counts, &total, &p, &n)) return;
  json_t *mine = my_networks(r);
  int err;
  const char *svg = map_svg(r, mine, p, n, &err);
  json_decref(mine);
  if (err) {
    json_decref(counts);
    json_decref(d);
    res_error(r, 500, _("La carte n’a pas pu être dessinée : réessayez dans un instant."));
    return;
  }
  if (svg) json_object_set_new(d, "svg", json_string(svg));
  json_object_set_new(d, "legend", legend(r, counts));
  json_decref(counts);
  json_object_set_new(d, "total", json_integer(total));
  json_object_set_new(d, "drawn", json_integer(n));
  if (total > n) json_object_set_new(d, "left_out", json_integer(total - n));
  json_t *l = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(l, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)p[i].id, "address",
                                       p[i].address, "commune", p[i].commune, "status", point_label(p[i].status),
                                       "class", point_class(r, p[i].status), "network", p[i].network));
  json_object_set_new(d, "points", l);
  heat_map_tiles_into(d);
  res_page(r, 200, "heat/requests_map", d);
}

/* The point as a GeoJSON feature (new reference): what the SVG shows of it. */
static json_t *point_feature(req *r, const point *p) {
  json_t *props = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "layer", "request", "class",
                            point_class(r, p->status), "id", (json_int_t)p->id, "title", point_title(r, p), "address",
                            p->address, "commune", p->commune, "status", p->status, "network", p->network, "href",
                            point_href(r, p));
  return json_pack("{s:s, s:{s:s, s:o}, s:o}", "type", "Feature", "geometry", "type", "Point", "coordinates",
                   heat_map_coord(p->lon, p->lat), "properties", props);
}

void requests_map_api(req *r) {
  heat_filters hf;
  json_t *counts;
  int64_t total;
  point *p;
  int n;
  if (map_read_or_reply(r, NULL, &hf, &counts, &total, &p, &n)) return;
  json_decref(counts);
  json_t *mine = my_networks(r);
  json_t *feats = json_array();
  int rc = heat_map_base_json(r, feats, mine);
  json_decref(mine);
  if (rc != 0) {
    json_decref(feats);
    res_error(r, 500, _("La carte n’a pas pu être lue : réessayez dans un instant."));
    return;
  }
  for (int i = n - 1; i >= 0; i--) json_array_append_new(feats, point_feature(r, &p[i]));
  res_json(r, 200, json_pack("{s:s, s:o, s:I, s:I}", "type", "FeatureCollection", "features", feats,
                             "requests_total", (json_int_t)total, "requests_drawn", (json_int_t)n));
}
