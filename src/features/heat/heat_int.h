/*
** heat_int.h — what the files of the heat feature share (not for other
** features: they use heat.h). Handlers live in networks_pages.c (admin),
** eligibility.c (public page, API, contact requests), operator_pages.c
** (operators' back office), requests_list.c and requests_map.c (the
** operators' table and map) and bulk.c (bulk eligibility of a CSV file);
** feature.c holds the route table.
*/
#ifndef GUICHET_HEAT_INT_H
#define GUICHET_HEAT_INT_H

#include <jansson.h>
#include <stdint.h>

#include "core/form.h"
#include "core/geosvg.h"
#include "core/http.h"
#include "core/listing.h"
#include "features/heat/heat.h"

#define HEAT_LAYER_LINES "heat_networks" /* geo layer of the traces; ext_id = SNCU id */
#define HEAT_LAYER_ZONES "heat_zones"    /* geo layer of the priority zones; property "id" = SNCU id */
#define HEAT_LAYER_COMMUNES "communes"   /* core layer of the territory's communes (property "nom") */
#define HEAT_DEDUPE_DAYS 30              /* same email + address within 30 days: same request */
#define HEAT_THRESHOLD_MAX_M 5000        /* past 5 km no one would call a network "close" */

/* Configuration keys (the feature's table in feature.c; README). */
#define HEAT_CONF_ROUTE_MAX_M "heat_route_max_m"   /* a request goes to the operator of an open network within it */
#define HEAT_CONF_AGENCY "heat_agency_email"       /* requests no network takes go to the energy agency */
#define HEAT_CONF_REMINDER_DAYS "heat_reminder_days" /* operators are reminded of requests left this long */

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
/* The network as page/API data (new reference), NULL if no such row. */
json_t *heat_network_json(int64_t id);

/* Scope of the back office: 1 when the user sees every request. */
int heat_sees_all(req *r);

/* "12 345": thousands separated by a narrow no-break space, in the arena. */
const char *heat_fmt_int(arena *a, int64_t n);

/* The SVG map of one network's surroundings, its trace highlighted (arena;
** map_pages.c), or NULL when it has no trace (or on error, logged). */
const char *heat_network_svg(req *r, const char *sncu);
/* The layers under every map of the service (map_pages.c): communes,
** priority zones and network traces. With mine (an object whose keys are
** SNCU ids; NULL for the public map) those networks are highlighted
** ("reseau courant") and the others greyed ("reseau autre"); without it
** each is drawn by kind and openness. heat_map_base draws them over g's
** box: 0, or -1 on a geo error; nets is the caller's network table if it
** has one (the map page lists it too), else NULL and it is read here.
** heat_map_base_json appends them to feats as GeoJSON features (WGS84)
** with "layer" and "class" properties: 0 or -1. */
int heat_map_base(req *r, geosvg *g, json_t *mine, json_t *nets);
int heat_map_base_json(req *r, json_t *feats, json_t *mine);
/* The area the public map shows: the communes, else the networks and
** zones. 1 with box set (Lambert-93), 0 when nothing geographic is
** loaded, -1 on error. */
int heat_map_territory_box(double box[4]);
/* Adds "tiles" and "attribution" to d: the background carte.js puts under
** the Leaflet map (configuration; "" for none). */
void heat_map_tiles_into(json_t *d);
/* [lon, lat] rounded to about 10 cm, for the GeoJSON of the maps. */
json_t *heat_map_coord(double lon, double lat);

/* Counts one eligibility test for /stats (stats_pages.c): in memory, added
** to the heat_test_counts table at most a minute later. source: "page",
** "api" or "bulk". Never fails (a failed write keeps the counts for the
** next try). */
void heat_test_count(heat_level level, const char *source);
/* Writes the counts not written yet (at exit: the feature's init registers
** it with atexit). */
void heat_test_flush(void);

/* The requests r (alias of heat_requests) a user may see: every one with
** "heat.admin"; else those routed to a network whose operator account is
** the user, or whose operator organisation has the user as a member.
** Binds (sees all, user id, user id) in that order. Pages, exports and the
** API all filter with it, so their scopes cannot drift apart. */
#define HEAT_SCOPE_SQL                                                                                  \
  "(? = 1 OR r.network_id IN (SELECT n2.id FROM heat_networks n2 WHERE n2.operator_user_id = ? OR"   \
  " n2.operator_org_id IN (SELECT m.org_id FROM org_members m WHERE m.user_id = ?)))"
/* Adds HEAT_SCOPE_SQL for the request's user to w. */
void heat_scope(listing_query *w, req *r);
/* The networks n (alias of heat_networks) whose requests the user sees,
** under the same rule. Binds (sees all, user id, user id). */
#define HEAT_NETWORK_SCOPE_SQL                                                                          \
  "(? = 1 OR n.operator_user_id = ? OR n.operator_org_id IN (SELECT m.org_id FROM org_members m"        \
  " WHERE m.user_id = ?))"

/* The filters of the operators' table, which its exports and the map of
** requests take too (requests_list.c): statut, reseau, commune, du, au, q,
** tri, ordre. */
#define HEAT_NFILTERS 8
typedef struct heat_filters {
  const char *v[HEAT_NFILTERS];  /* trimmed query values, "" when absent (arena) */
  listing_query w;               /* the scope and the filters */
  int sort;                      /* the order, an index in requests_list.c's table */
  int desc;                      /* 1: descending */
} heat_filters;
/* Reads and checks the filters of the query string into hf, the user's
** scope included; French errors per field go into f, which keeps the
** values. Returns the number of errors (then hf->w must not be used). */
int heat_filters_parse(req *r, form *f, heat_filters *hf);
/* "ORDER BY …" of hf, fixed text allocated in a. */
const char *heat_filters_order(arena *a, const heat_filters *hf);
/* What every view of the filtered requests shows around its rows, into
** d: "all" (the user sees every request), the choices of the filter form
** (status_opts, network_opts, commune_opts, from the user's scope),
** "filters" (the name/value pairs a link keeps, order aside), "sort"
** {key, order}, and "view" {table|map: true, path} for the tabs and the
** form, view being "table" or "map". */
void heat_filters_into(req *r, json_t *d, const heat_filters *hf, const char *view);

/* One request as every list reads it: SELECT HEAT_ROW_COLS HEAT_ROW_FROM,
** columns numbered by HC_*. */
#define HEAT_ROW_COLS                                                                                   \
  "r.id, r.created_at, r.updated_at, r.status, coalesce(n.sncu_id, ''), coalesce(n.name, ''), r.address," \
  " r.commune, r.profile, r.structure_type, r.structure_name, r.energy, r.heating_mode, r.dwellings,"   \
  " r.surface_m2, r.last_name, r.first_name, r.email, r.phone, r.comment, r.eligibility, r.distance_m,"  \
  " r.routed_to, r.lon, r.lat"
#define HEAT_ROW_FROM " FROM heat_requests r LEFT JOIN heat_networks n ON n.id = r.network_id"
enum {
  HC_ID, HC_CREATED, HC_UPDATED, HC_STATUS, HC_SNCU, HC_NETWORK, HC_ADDRESS, HC_COMMUNE, HC_PROFILE,
  HC_STRUCT_TYPE, HC_STRUCT_NAME, HC_ENERGY, HC_MODE, HC_DWELLINGS, HC_SURFACE, HC_LAST_NAME, HC_FIRST_NAME,
  HC_EMAIL, HC_PHONE, HC_COMMENT, HC_ELIGIBILITY, HC_DISTANCE, HC_ROUTED_TO, HC_LON, HC_LAT
};

/* Answers 500 with a French "try again" page (a database step failed). */
void heat_db_failed(req *r);

/* 1 when request id exists and is in the user's scope (operator_pages.c). */
int heat_request_visible(req *r, int64_t id);
/* NULL when st may follow the request's status with this comment (""
** for none), else the French reason: an unknown status, or the same status
** without a comment. */
const char *heat_status_check(req *r, int64_t id, const char *st, const char *comment);
/* Moves request id to st with the user's comment: history row, e-mail to
** the applicant, audit, in one write transaction. 0, or -1 (rolled back).
** The caller has checked scope and heat_status_check. */
int heat_request_set_status(req *r, int64_t id, const char *st, const char *comment);

/* The addresses that hear about network_id's requests (0: the energy
** agency's), in out[0..max), allocated in a: see reminders.c. Returns how
** many (at least 1 when max > 0). */
int heat_recipients(arena *a, int64_t network_id, const char **out, int max);

/* Registers the reminder job (reminders.c). */
void heat_jobs_init(void);


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
void requests_csv(req *r);
void requests_xlsx(req *r);
void requests_map_page(req *r);
void requests_map_api(req *r);
void request_page(req *r);
void request_status_post(req *r);
void map_page(req *r);
void map_api(req *r);
void stats_page(req *r);
void stats_csv(req *r);
void compare_page(req *r);
void params_page(req *r);
void params_post(req *r);
void request_message_post(req *r);
void heat_requests_api(req *r);
void heat_request_api(req *r);
void heat_request_status_api(req *r);
void bulk_page(req *r);
void bulk_post(req *r);
void bulk_job_page(req *r);
void bulk_result(req *r);

/* Registers the bulk eligibility jobs (bulk.c); the feature's init. */
void heat_bulk_init(void);

#endif
