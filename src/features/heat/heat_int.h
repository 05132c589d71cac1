/*
** heat_int.h — what the files of the heat feature share (not for other
** features: they use heat.h). Handlers live in networks_pages.c (admin),
** eligibility.c (public page, API, contact requests) and operator_pages.c
** (operators' back office); feature.c holds the route table.
*/
#ifndef GUICHET_HEAT_INT_H
#define GUICHET_HEAT_INT_H

#include <jansson.h>
#include <stdint.h>

#include "core/http.h"
#include "features/heat/heat.h"

#define HEAT_LAYER_LINES "heat_networks" /* geo layer of the traces; ext_id = SNCU id */
#define HEAT_LAYER_ZONES "heat_zones"    /* geo layer of the priority zones; property "id" = SNCU id */
#define HEAT_LAYER_COMMUNES "communes"   /* core layer of the territory's communes (property "nom") */
#define HEAT_ROUTE_MAX_M 500             /* FCU assigns a request to a network within 500 m */
#define HEAT_DEDUPE_DAYS 30              /* same email + address within 30 days: same request */
/* Requests no network takes go to the territory's energy agency. A core
** configuration key would be the right home (see the report of issue #4). */
#define HEAT_AGENCY_EMAIL "reseaux-chaleur@agence-energie.localhost"

/* One answer of the eligibility test for a point. */
typedef struct heat_answer {
  heat_level level;          /* the cascade's answer */
  double x, y;               /* the point, Lambert-93 */
  int has_network;           /* the nearest open network below is set */
  double dist_m;             /* distance to it, metres */
  int64_t network_id;        /* heat_networks.id, 0 if none */
  json_t *network;           /* {sncu_id, name, operator, co2_g_kwh, …} or NULL; owned by the answer */
  const char *commune;       /* commune covering the point, "" if unknown (arena) */
} heat_answer;

/* Computes the answer for (lon, lat) in WGS84. 0, or -1 on a geo or database
** error (logged). a->network is deferred for release with the request. */
int heat_answer_at(req *r, double lon, double lat, heat_answer *a);
/* The nearest open network within max_m of (x, y) in Lambert-93: its
** heat_networks.id, or 0 (none, or error). */
int64_t heat_nearest_open(double x, double y, double max_m, double *dist);
/* The network as page/API data (new reference), NULL if no such row. */
json_t *heat_network_json(int64_t id);

/* Scope of the back office: 1 when the user sees every request. */
int heat_sees_all(req *r);

/* French date "12/03/2026 14:05" in the arena. */
const char *heat_date(arena *a, int64_t t);
/* "12 345": thousands separated by a narrow no-break space, in the arena. */
const char *heat_fmt_int(arena *a, int64_t n);

/* The SVG map of one network's surroundings, its trace highlighted (arena;
** map_pages.c), or NULL when it has no trace (or on error, logged). */
const char *heat_network_svg(req *r, const char *sncu);

/* Counts one eligibility test for /stats (stats_pages.c): in memory, added
** to the heat_test_counts table at most a minute later. source: "page",
** "api" or "bulk". Never fails (a failed write keeps the counts for the
** next try). */
void heat_test_count(heat_level level, const char *source);
/* Writes the counts not written yet (at exit: the feature's init registers
** it with atexit). */
void heat_test_flush(void);

/* Handlers. */
void networks_page(req *r);
void networks_import_post(req *r);
void networks_figures_post(req *r);
void network_page(req *r);
void network_post(req *r);
void eligibility_page(req *r);
void eligibility_api(req *r);
void request_post(req *r);
void requests_page(req *r);
void request_page(req *r);
void request_status_post(req *r);
void map_page(req *r);
void map_api(req *r);
void stats_page(req *r);
void stats_csv(req *r);
void compare_page(req *r);
void params_page(req *r);
void params_post(req *r);

#endif
