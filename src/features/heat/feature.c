/*
** feature.c — the heat-network service (issue #4, after France Chaleur
** Urbaine): network traces and figures for administrators, the public
** eligibility test by address (page and /api/v1), contact requests routed
** to the network's operator, and the operators' pipeline; the public map,
** the public statistics and the cost and CO2 comparator with its dated
** parameters.
**
** Capabilities: "heat.admin" (territory administrators: networks, and every
** request) and "heat.operate" (operators: the requests of their networks;
** territory administrators too). The eligibility page, its API and the
** contact form are public; the form is CSRF-checked like every form. The
** operators' own API (api.c) takes their API token.
**
** Files: eligibility.c (test and contact requests), networks_pages.c
** (admin), requests_list.c (operators' table and exports), operator_pages.c
** (one request: status, e-mails), requests_map.c (the operators' map of
** their requests, same filters as the table), api.c (CRM API), reminders.c (job),
** map_pages.c (public map, GeoJSON, admin network map), stats_pages.c
** (/stats, CSV, test counter), compare_pages.c (cost and CO2 comparator,
** its dated parameters), bulk.c (bulk eligibility of a CSV file).
**
** Bulk eligibility (bulk.c) asks for an account, not a role. Its answers
** are public (the same test is open to anyone, one address at a time, on
** the page and the API), as they are on France Chaleur Urbaine, where the
** bulk test needs no account at all. The account is what ties a file, which
** may list a client's buildings, to the one person who may see it, and what
** bounds the cost: one file in progress per account, 50,000 rows, 16 MB.
** A "professional" role would be granted by hand by an administrator, and
** make a syndic or a design office wait for it, for data the public API
** already gives them address by address.
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/feature.h"
#include "core/geo.h"
#include "core/i18n.h"
#include "core/log.h"
#include "features/heat/heat_int.h"
#include "features/heat/privacy.h"

#define HEAT_FORM_BODY (64 * 1024)               /* the contact form: a comment of 2,000 characters and a dozen fields */
#define HEAT_API_BODY (16 * 1024)                /* a status and a comment of 2,000 characters, in JSON */
#define HEAT_IMPORT_BODY (20 * 1024 * 1024 + 4096) /* a 20 MB GeoJSON (the national file is ~50 MB: import by region) */
/* A CSV of 50,000 addresses: ~4 MB with a reference column or two; 16 MB
** leaves room for wide files, and a larger one is refused (413) unread. */
#define HEAT_BULK_BODY (16 * 1024 * 1024 + 4096)

static const struct route routes[] = {
    {"GET", "/admin/reseaux", "heat.admin", 0, 0, networks_page},
    {"POST", "/admin/reseaux/import", "heat.admin", R_UPLOAD, HEAT_IMPORT_BODY, networks_import_post},
    {"POST", "/admin/reseaux/chiffres", "heat.admin", R_UPLOAD, HEAT_IMPORT_BODY, networks_figures_post},
    {"GET", "/admin/reseaux/parametres", "heat.admin", 0, 0, params_page}, /* before :id */
    {"POST", "/admin/reseaux/parametres", "heat.admin", 0, HEAT_FORM_BODY, params_post},
    {"GET", "/admin/reseaux/:id", "heat.admin", 0, 0, network_page},
    {"POST", "/admin/reseaux/:id", "heat.admin", 0, HEAT_FORM_BODY, network_post},
    {"GET", "/eligibilite", CAP_PUBLIC, 0, 0, eligibility_page},
    {"POST", "/eligibilite/demande", CAP_PUBLIC, 0, HEAT_FORM_BODY, request_post},
    {"GET", "/api/v1/eligibility", CAP_PUBLIC, R_API, 0, eligibility_api},
    {"GET", "/eligibilite/comparateur", CAP_PUBLIC, 0, 0, compare_page},
    {"GET", "/carte", CAP_PUBLIC, 0, 0, map_page},
    {"GET", "/api/v1/carte", CAP_PUBLIC, R_API, 0, map_api},
    {"GET", "/stats", CAP_PUBLIC, 0, 0, stats_page},
    {"GET", "/stats.csv", CAP_PUBLIC, 0, 0, stats_csv},
    {"GET", "/operateur/demandes", "heat.operate", 0, 0, requests_page},
    {"GET", "/operateur/demandes.csv", "heat.operate", 0, 0, requests_csv},
    {"GET", "/operateur/demandes.xlsx", "heat.operate", 0, 0, requests_xlsx},
    {"GET", "/operateur/demandes/carte", "heat.operate", 0, 0, requests_map_page},              /* before :id */
    {"GET", "/operateur/demandes/carte.json", "heat.operate", R_API, 0, requests_map_api},     /* before :id */
    {"GET", "/operateur/demandes/:id", "heat.operate", 0, 0, request_page},
    {"POST", "/operateur/demandes/:id/statut", "heat.operate", 0, HEAT_FORM_BODY, request_status_post},
    {"POST", "/operateur/demandes/:id/message", "heat.operate", 0, HEAT_FORM_BODY, request_message_post},
    {"GET", "/api/v1/heat/requests", "heat.operate", R_API, 0, heat_requests_api},
    {"GET", "/api/v1/heat/requests/:id", "heat.operate", R_API, 0, heat_request_api},
    {"POST", "/api/v1/heat/requests/:id/status", "heat.operate", R_API, HEAT_API_BODY, heat_request_status_api},
    {"GET", "/eligibilite/en-masse", CAP_LOGIN, 0, 0, bulk_page},
    {"POST", "/eligibilite/en-masse", CAP_LOGIN, R_UPLOAD, HEAT_BULK_BODY, bulk_post},
    {"GET", "/eligibilite/en-masse/:id", CAP_LOGIN, 0, 0, bulk_job_page},
    {"GET", "/eligibilite/en-masse/:id/resultat.csv", CAP_LOGIN, 0, 0, bulk_result},
    {0, 0, 0, 0, 0, 0},
};

static const struct grant grants[] = {
    {"territory_admin", "heat.admin"},
    {"territory_admin", "heat.operate"},
    {"operator", "heat.operate"},
    {0, 0},
};

/* Settings, read from guichet.conf or GUICHET_HEAT_… at start-up (README,
** "Configuration"). Whole numbers are checked against their range there. */
#define STR_(x) #x
#define STR(x) STR_(x)
static const struct config_key config[] = {
    {HEAT_CONF_RETENTION_MONTHS, "36", 0, 600}, /* closed requests keep the person's data 3 years; 0: forever */
    {"heat_threshold_very_close_m", STR(HEAT_VERY_CLOSE_M), 1, HEAT_THRESHOLD_MAX_M},
    {"heat_threshold_close_m", STR(HEAT_CLOSE_M), 1, HEAT_THRESHOLD_MAX_M},
    {"heat_threshold_far_m", STR(HEAT_FAR_M), 1, 4 * HEAT_THRESHOLD_MAX_M}, /* "loin" may reach 20 km */
    {HEAT_CONF_ROUTE_MAX_M, "500", 1, HEAT_THRESHOLD_MAX_M},    /* FCU's rule: the operator within 500 m */
    {HEAT_CONF_AGENCY, "reseaux-chaleur@agence-energie.localhost", 0, 0},
    {HEAT_CONF_REMINDER_DAYS, "7", 1, 365},
    {0, 0, 0, 0},
};

/* Reads the thresholds once, before any thread runs. Inconsistent values
** (close below very close…) are said in the log and made monotonic, as a
** network's overrides are. */
static void init(void) {
  heat_thresholds t = {
      .very_close_m = (double)config_int("heat_threshold_very_close_m"),
      .close_m = (double)config_int("heat_threshold_close_m"),
      .far_m = (double)config_int("heat_threshold_far_m"),
  };
  if (t.close_m < t.very_close_m || t.far_m < t.close_m)
    log_error("heat", "heat_threshold_*_m: very close %.0f ≤ close %.0f ≤ far %.0f does not hold: raised to fit",
              t.very_close_m, t.close_m, t.far_m);
  if (t.close_m < t.very_close_m) t.close_m = t.very_close_m;
  if (t.far_m < t.close_m) t.far_m = t.close_m;
  heat_default_thresholds = t;
  heat_jobs_init();
  atexit(heat_test_flush); /* the test counts kept in memory, when serve returns from main */
  heat_bulk_init();
}

int heat_sees_all(req *r) { return auth_can(r->me, "heat.admin"); }

void heat_db_failed(req *r) {
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

const char *heat_fmt_int(arena *a, int64_t n) {
  char digits[24], out[48];
  snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
  size_t len = strlen(digits), k = 0;
  if (n < 0) out[k++] = '-';
  for (size_t i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0) {
      memcpy(out + k, "\u202f", 3); /* U+202F in UTF-8 */
      k += 3;
    }
    out[k++] = digits[i];
  }
  out[k] = 0;
  return arena_strdup(a, out);
}

/* ----------------------------------------------------------------- seed */

/* The three networks of La Rochelle with their regulatory figures (arrêté
** DPE 2026, tests/fixtures/heat/; CO2 in g/kWh). Their traces are read from
** the test fixture when the server runs from the repository; without it the
** networks exist but the eligibility test finds none of them. */
static const struct {
  const char *sncu, *name, *op;
  double co2, acv, enrr;
  const char *year;
} seed_networks[] = {
    {"1701C", "Villeneuve les Salines", "SALINES ENERGIES SERVICES (ENGIE SOLUTIONS)", 49, 84, 73.5, "Moyenne"},
    {"1703C", "Réseau de Aytré", "DALKIA La Rochelle", 41, 64, 83.5, "Moyenne"},
    {"1704C", "Port Neuf Mireuil Énergie", "PNME (DALKIA)", 14, 20, 96.3, "2024"},
};
#define SEED_TRACES "tests/fixtures/geo/reseaux_la_rochelle.geojson"

static void seed(void) {
  int64_t now = now_unix();
  char pw[21];
  static const char alpha[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (int i = 0; i < 16; i++) pw[i] = alpha[randombytes_uniform(sizeof alpha - 1)];
  memcpy(pw + 16, "-7a!", 5);
  int64_t op = auth_user_create("operateur@guichet.localhost", pw, "active", "operator", NULL);
  if (op > 0) printf("  %-32s %-22s %s\n", "operateur@guichet.localhost", "exploitant (1701C)", pw);
  for (size_t i = 0; i < sizeof seed_networks / sizeof seed_networks[0]; i++)
    db_run("INSERT INTO heat_networks(sncu_id, name, operator_name, co2_g_kwh, co2_acv_g_kwh,"
           " renewable_pct, figures_year, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?)"
           " ON CONFLICT(sncu_id) DO NOTHING",
           "tttdddtii", seed_networks[i].sncu, seed_networks[i].name, seed_networks[i].op,
           seed_networks[i].co2, seed_networks[i].acv, seed_networks[i].enrr, seed_networks[i].year, now, now);
  if (op > 0) db_run("UPDATE heat_networks SET operator_user_id=? WHERE sncu_id='1701C'", "i", op);
  FILE *fp = fopen(SEED_TRACES, "rb");
  if (!fp) return;
  buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) buf_append(&b, chunk, n);
  fclose(fp);
  if (geo_import_geojson(HEAT_LAYER_LINES, buf_str(&b), b.n, GEO_WGS84, "id", GEO_REPLACE, NULL) < 0)
    log_error("heat", "seed: traces of %s not imported", SEED_TRACES);
  buf_free(&b);
}

const struct feature feature_heat = {
    .name = "heat",
    .routes = routes,
    .grants = grants,
    .init = init,
    .seed = seed,
    .config = config,
    .export_user = heat_export_user,
    .erase_plan = heat_erase_plan,
    .erase_user = heat_erase_user,
};
