/*
** heat_int.h — what the files of the heat feature share (not for other
** features: they use heat.h). Handlers live in networks_pages.c (admin),
** eligibility.c (public page, API, contact requests), operator_pages.c
** (operators' back office) and bulk.c (bulk eligibility of a CSV file);
** feature.c holds the route table.
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
** error (logged). a->commune is allocated in ar and a->network released with
** it; heat_answer_at uses the request's arena (jobs use their own). */
int heat_answer_in(arena *ar, double lon, double lat, heat_answer *a);
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
void bulk_page(req *r);
void bulk_post(req *r);
void bulk_job_page(req *r);
void bulk_result(req *r);

/* Registers the bulk eligibility jobs (bulk.c); the feature's init. */
void heat_bulk_init(void);

#endif
