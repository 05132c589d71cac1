/*
** eligibility.c — the eligibility test by address (page /eligibilite and
** GET /api/v1/eligibility) and the contact request that follows it.
**
** The geographic questions (geo core, Lambert-93) are asked here; the
** decision is heat_cascade's (heat.c). Per point: which commune covers it
** (layer "communes", when loaded: none → outside the territory), which
** priority zone covers it ("heat_zones"), and the nearest trace of a network
** open to connections ("heat_networks", filtered on heat_networks rows).
** "A network in the commune" is approximated by: the nearest point of the
** nearest open network lies in the same commune (core has no
** line-polygon intersection query).
**
** Contact requests: eligibility is recomputed on the server whatever the
** page showed; the same email and address within 30 days give back the
** existing request; the request goes to the operator of the nearest open
** network within heat_route_max_m (500 m), else to the energy agency
** (heat_agency_email). The applicant and the
** recipient are told by email, and the creation is audited, all in one write
** transaction.
**
** Memory: everything lives in the request arena or in json values released
** with it.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/geo.h"
#include "core/geocode.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/mail.h"
#include "features/heat/heat_int.h"

#define NHITS 5 /* suggestions shown for an address not found */

/* ------------------------------------------------------------ geography */

/* geo_nearest filter: a trace counts when its network row exists, is a heat
** network and is open to connections. */
static int keep_open(void *arg, int64_t id, const char *ext_id) {
  (void)arg;
  (void)id;
  if (!ext_id) return 0;
  return db_get_int(0, "SELECT 1 FROM heat_networks WHERE sncu_id=? AND open_to_connections=1 AND kind='heat'",
                    "t", ext_id) == 1;
}

static int64_t network_by_sncu(const char *sncu) {
  return db_get_int(0, "SELECT id FROM heat_networks WHERE sncu_id=?", "t", sncu);
}

/* A nullable REAL column as a json number or null. */
static json_t *col_num(db_stmt *s, int col) { return db_is_null(s, col) ? json_null() : json_real(db_double(s, col)); }

json_t *heat_network_json(int64_t id) {
  db_stmt *s = db_query("SELECT sncu_id, name, operator_name, co2_g_kwh, co2_acv_g_kwh, renewable_pct, figures_year,"
                        " open_to_connections FROM heat_networks WHERE id=?", "i", id);
  json_t *n = NULL;
  if (db_step(s) == DB_ROW) {
    n = json_object();
    json_object_set_new(n, "id", json_string(db_text(s, 0)));
    json_object_set_new(n, "name", json_string(db_text(s, 1)));
    json_object_set_new(n, "operator", json_string(db_text(s, 2)));
    json_object_set_new(n, "co2_g_kwh", col_num(s, 3));
    json_object_set_new(n, "co2_acv_g_kwh", col_num(s, 4));
    json_object_set_new(n, "renewable_pct", col_num(s, 5));
    json_object_set_new(n, "figures_year", json_string(db_text(s, 6)));
    json_object_set_new(n, "open_to_connections", json_boolean(db_int(s, 7)));
  }
  db_done(s);
  return n;
}

static void json_release(void *p) { json_decref(p); }

/* The thresholds of a network: defaults with its overrides. */
static heat_thresholds network_thresholds(int64_t id) {
  double vc = 0, c = 0;
  db_stmt *s = db_query("SELECT coalesce(threshold_very_close_m, 0), coalesce(threshold_close_m, 0)"
                        " FROM heat_networks WHERE id=?", "i", id);
  if (db_step(s) == DB_ROW) {
    vc = db_double(s, 0);
    c = db_double(s, 1);
  }
  db_done(s);
  return heat_thresholds_for(vc, c);
}

/* 1 when the id list ids[0..n) holds id. */
static int has_id(const int64_t *ids, int n, int64_t id) {
  for (int i = 0; i < n; i++)
    if (ids[i] == id) return 1;
  return 0;
}

int heat_answer_at(req *r, double lon, double lat, heat_answer *a) { return heat_answer_in(r->a, lon, lat, a); }

int heat_answer_in(arena *ar, double lon, double lat, heat_answer *a) {
  memset(a, 0, sizeof *a);
  a->commune = "";
  heat_situation s = {.thr = heat_default_thresholds};
  double x = lon, y = lat;
  if (geo_wgs84_to_l93(&x, &y, 1) != 0 || !isfinite(x) || !isfinite(y)) {
    a->level = HEAT_OUTSIDE; /* outside Lambert-93's domain: not in this territory */
    return 0;
  }
  a->x = x;
  a->y = y;

  int64_t cids[8];
  int nc = 0;
  long ncommunes = geo_layer_count(HEAT_LAYER_COMMUNES);
  if (ncommunes < 0) return -1;
  if (ncommunes > 0) {
    nc = geo_contains(HEAT_LAYER_COMMUNES, x, y, cids, 8);
    if (nc < 0) return -1;
    if (nc == 0) s.outside = 1;
    else {
      json_t *p = geo_feature_props(cids[0]);
      const char *nom = json_string_value(json_object_get(p, "nom"));
      if (nom) a->commune = arena_strdup(ar, nom);
      json_decref(p);
    }
  }
  if (nc > 8) nc = 8;

  int64_t zone_net = 0;
  int64_t zid;
  int nz = geo_contains(HEAT_LAYER_ZONES, x, y, &zid, 1);
  if (nz < 0) return -1;
  if (nz > 0) {
    s.in_zone = 1;
    json_t *p = geo_feature_props(zid);
    const char *sncu = json_string_value(json_object_get(p, "id"));
    if (sncu) zone_net = network_by_sncu(sncu);
    json_decref(p);
  }

  geo_hit h;
  int found = geo_nearest(HEAT_LAYER_LINES, x, y, 0, keep_open, NULL, &h);
  if (found < 0) return -1;
  if (found == 1 && (a->network_id = network_by_sncu(h.ext_id)) > 0) {
    a->has_network = s.has_network = 1;
    a->dist_m = s.dist_m = h.dist;
    s.thr = network_thresholds(a->network_id);
    if (nc > 0) {
      int64_t pids[8];
      int np = geo_contains(HEAT_LAYER_COMMUNES, h.px, h.py, pids, 8);
      if (np < 0) return -1;
      for (int i = 0; i < np && i < 8; i++) s.network_in_commune |= has_id(cids, nc, pids[i]);
    }
  }
  a->level = heat_cascade(&s);
  int64_t shown = a->level == HEAT_IN_ZONE && zone_net ? zone_net : a->network_id;
  if (a->level != HEAT_OUTSIDE && a->level != HEAT_NONE && shown) {
    a->network = heat_network_json(shown);
    if (a->network) arena_defer(ar, json_release, a->network);
  }
  return 0;
}

/* The answer as data shared by the page and the API. */
static json_t *answer_json(const heat_answer *a) {
  json_t *o = json_object();
  json_object_set_new(o, "eligibility", json_string(heat_level_code(a->level)));
  json_object_set_new(o, "eligible", json_boolean(heat_level_eligible(a->level)));
  json_object_set_new(o, "message", json_string(heat_level_label(a->level)));
  json_object_set_new(o, "in_priority_zone", json_boolean(a->level == HEAT_IN_ZONE));
  json_object_set_new(o, "distance_m", a->has_network && a->level != HEAT_OUTSIDE
                                           ? json_real(round(a->dist_m * 100) / 100) : json_null());
  json_object_set_new(o, "commune", *a->commune ? json_string(a->commune) : json_null());
  json_object_set(o, "network", a->network ? a->network : json_null());
  return o;
}

static json_t *hit_json(const geocode_hit *h) {
  json_t *o = json_object();
  json_object_set_new(o, "label", json_string(h->label));
  json_object_set_new(o, "lon", json_real(h->lon));
  json_object_set_new(o, "lat", json_real(h->lat));
  return o;
}

/* ----------------------------------------------------------------- API */

/* A decimal number in [lo, hi], whole string; 1 and *out, else 0. */
static int parse_coord(const char *z, double lo, double hi, double *out) {
  if (!z || !*z || strlen(z) > 32) return 0;
  char *end = NULL;
  errno = 0;
  double v = strtod(z, &end);
  if (errno || *end || !isfinite(v) || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

void eligibility_api(req *r) {
  const char *q = req_query(r, "address");
  const char *zlat = req_query(r, "lat"), *zlon = req_query(r, "lon");
  double lon, lat;
  json_t *addr = json_null();
  if (q && *q) {
    if (strlen(q) > GEOCODE_QUERY_MAX) {
      res_error(r, 400, arena_printf(r->a, _("L’adresse compte %d caractères au plus."), GEOCODE_QUERY_MAX));
      return;
    }
    geocode_hit hits[NHITS];
    int n = 0;
    int rc = geocode_search(q, NHITS, hits, &n);
    if (rc == GEOCODE_ERROR) {
      res_error(r, 500, _("La recherche d’adresse n’a pas répondu : réessayez dans un instant."));
      return;
    }
    if (rc != GEOCODE_FOUND || n == 0) {
      buf b = {0};
      geocode_explain(&b, rc, q, hits, n);
      json_t *o = json_object();
      json_object_set_new(o, "error", json_string(buf_str(&b)));
      json_t *sug = json_array();
      for (int i = 0; i < n; i++) json_array_append_new(sug, hit_json(&hits[i]));
      json_object_set_new(o, "suggestions", sug);
      buf_free(&b);
      res_json(r, 404, o);
      return;
    }
    lon = hits[0].lon;
    lat = hits[0].lat;
    addr = hit_json(&hits[0]);
  } else if (zlat || zlon) {
    if (!parse_coord(zlat, -90, 90, &lat) || !parse_coord(zlon, -180, 180, &lon)) {
      res_error(r, 400, _("lat et lon doivent être des nombres décimaux en WGS84 (latitude entre -90 et 90, "
                          "longitude entre -180 et 180)."));
      return;
    }
  } else {
    res_error(r, 400, _("Indiquez une adresse (address=…) ou des coordonnées (lat=…&lon=…)."));
    return;
  }
  heat_answer a;
  if (heat_answer_at(r, lon, lat, &a) != 0) {
    json_decref(addr);
    res_error(r, 500, _("Le test d’éligibilité n’a pas pu être fait : réessayez dans un instant."));
    return;
  }
  heat_test_count(a.level, "api");
  json_t *o = answer_json(&a);
  json_object_set_new(o, "address", addr);
  json_object_set_new(o, "lon", json_real(lon));
  json_object_set_new(o, "lat", json_real(lat));
  res_json(r, 200, o);
}

/* ---------------------------------------------------------------- page */

static const char *const profiles[] = {"copropriete", "maison", "professionnel", NULL};
static const char *const profile_labels[] = {N_("Copropriétaire"), N_("Propriétaire de maison individuelle"),
                                             N_("Professionnel")};
static const char *const structures[] = {"syndic", "bailleur_social", "tertiaire", "bureau_etudes", "autre", NULL};
static const char *const structure_labels[] = {N_("Syndic de copropriété"), N_("Bailleur social"),
                                               N_("Gestionnaire de parc tertiaire"),
                                               N_("Bureau d’études ou AMO"), N_("Autre")};
static const char *const energies[] = {"gaz", "fioul", "electricite", "bois", "autre", NULL};
static const char *const energy_labels[] = {N_("Gaz"), N_("Fioul"), N_("Électricité"), N_("Bois"),
                                            N_("Autre ou je ne sais pas")};
static const char *const modes[] = {"individuel", "collectif", NULL};
static const char *const mode_labels[] = {N_("Individuel"), N_("Collectif")};

/* Options of a radio group or select, the current value checked. */
static json_t *options(const char *const *values, const char *const *labels, const char *current) {
  json_t *l = json_array();
  for (int i = 0; values[i]; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(values[i]));
    json_object_set_new(o, "label", json_string(_(labels[i])));
    if (current && !strcmp(current, values[i])) json_object_set_new(o, "checked", json_true());
    json_array_append_new(l, o);
  }
  return l;
}

static const char *label_of(const char *const *values, const char *const *labels, const char *v) {
  for (int i = 0; values[i]; i++)
    if (!strcmp(values[i], v)) return _(labels[i]);
  return v;
}

static const char *const request_fields[] = {"adresse", "profil", "structure_type", "structure_nom", "energie",
                                             "mode", "logements", "surface", "nom", "prenom", "email",
                                             "telephone", "commentaire", "consentement", NULL};

/* Adds the option lists of the contact form, checked from the form values. */
static void form_options(json_t *d, form *f) {
  json_object_set_new(d, "profiles", options(profiles, profile_labels, form_get(f, "profil")));
  json_object_set_new(d, "structures", options(structures, structure_labels, form_get(f, "structure_type")));
  json_object_set_new(d, "energies", options(energies, energy_labels, form_get(f, "energie")));
  json_object_set_new(d, "modes", options(modes, mode_labels, form_get(f, "mode")));
}

/* Looks the address up. FOUND: *hit set. Otherwise the French explanation
** and the suggestions go into d ("notfound", "suggestions"). */
static int lookup(req *r, const char *q, geocode_hit *hit, json_t *d, const char **why) {
  geocode_hit hits[NHITS];
  int n = 0;
  int rc = geocode_search(q, NHITS, hits, &n);
  if (rc == GEOCODE_FOUND && n > 0) {
    *hit = hits[0];
    return GEOCODE_FOUND;
  }
  buf b = {0};
  if (rc == GEOCODE_ERROR) buf_puts(&b, _("La recherche d’adresse n’a pas répondu : réessayez dans un instant."));
  else geocode_explain(&b, rc, q, hits, n);
  *why = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  json_t *sug = json_array();
  for (int i = 0; i < n; i++) json_array_append_new(sug, hit_json(&hits[i]));
  json_object_set_new(d, "suggestions", sug);
  json_object_set_new(d, "notfound", json_string(*why));
  return rc == GEOCODE_ERROR ? GEOCODE_ERROR : GEOCODE_NOTHING;
}

/* Adds the result of the test at hit to d ("result"). 0 or -1. */
static int add_result(req *r, const geocode_hit *hit, json_t *d, heat_answer *a) {
  if (heat_answer_at(r, hit->lon, hit->lat, a) != 0) return -1;
  json_t *res = answer_json(a);
  json_object_set_new(res, "address", json_string(hit->label));
  if (a->has_network && a->level != HEAT_OUTSIDE)
    json_object_set_new(res, "distance", json_string(arena_printf(r->a, "%.0f m", a->dist_m)));
  json_object_set_new(res, "outside", json_boolean(a->level == HEAT_OUTSIDE));
  json_object_set_new(d, "result", res);
  return 0;
}

void eligibility_page(req *r) {
  json_t *d = json_object();
  form f;
  form_init(&f, r, request_fields);
  const char *q = req_query(r, "adresse");
  q = q ? arena_strdup(r->a, q) : "";
  while (*q == ' ') q++;
  form_set(&f, "adresse", q);
  int status = 200;
  if (*q) {
    geocode_hit hit;
    const char *why = NULL;
    heat_answer a;
    if (strlen(q) > GEOCODE_QUERY_MAX) {
      form_error(&f, "adresse", arena_printf(r->a, _("L’adresse compte %d caractères au plus."), GEOCODE_QUERY_MAX));
      status = 422;
    } else if (lookup(r, q, &hit, d, &why) == GEOCODE_FOUND) {
      form_set(&f, "adresse", hit.label);
      if (add_result(r, &hit, d, &a) != 0) {
        json_decref(d);
        res_error(r, 500, _("Le test d’éligibilité n’a pas pu être fait : réessayez dans un instant."));
        return;
      }
      heat_test_count(a.level, "page");
      if (a.level != HEAT_OUTSIDE) json_object_set_new(d, "show_form", json_true());
    }
  }
  form_options(d, &f);
  form_into(&f, d);
  res_page(r, status, "heat/eligibility", d);
}

/* ------------------------------------------------------- contact request */

/* An optional whole number in [1, max]; 1 if valid or empty, *out 0 when
** empty. */
static int optional_count(form *f, const char *name, int64_t max, int64_t *out) {
  const char *v = form_get(f, name);
  *out = 0;
  if (!*v) return 1;
  char *end = NULL;
  long long n = strlen(v) <= 10 ? strtoll(v, &end, 10) : -1;
  if (n < 1 || n > max || (end && *end)) {
    form_error(f, name, arena_printf(f->r->a, _("Saisissez un nombre entier entre 1 et %lld."), (long long)max));
    return 0;
  }
  *out = n;
  return 1;
}

/* The address a request's emails go to, and the network's name ("" for the
** agency). */
static const char *recipient_of(req *r, int64_t network_id, const char **net_name) {
  *net_name = "";
  if (!network_id) return config_str(HEAT_CONF_AGENCY);
  const char *to = NULL;
  db_stmt *s = db_query("SELECT n.name, u.email, n.operator_email FROM heat_networks n"
                        " LEFT JOIN users u ON u.id = n.operator_user_id AND u.status = 'active' WHERE n.id=?",
                        "i", network_id);
  if (db_step(s) == DB_ROW) {
    *net_name = arena_strdup(r->a, db_text(s, 0));
    if (db_text(s, 1)) to = arena_strdup(r->a, db_text(s, 1));
    else if (db_text(s, 2) && *db_text(s, 2)) to = arena_strdup(r->a, db_text(s, 2));
  }
  db_done(s);
  return to ? to : config_str(HEAT_CONF_AGENCY);
}

void request_post(req *r) {
  form f;
  form_init(&f, r, request_fields);
  json_t *d = json_object();
  const char *q = form_get(&f, "adresse");
  geocode_hit hit;
  heat_answer a;
  memset(&hit, 0, sizeof hit);
  memset(&a, 0, sizeof a);
  int have_addr = 0;
  if (form_required(&f, "adresse", _("l’adresse du bâtiment")) && form_maxlen(&f, "adresse", GEOCODE_QUERY_MAX)) {
    const char *why = NULL;
    if (lookup(r, q, &hit, d, &why) == GEOCODE_FOUND) {
      have_addr = 1;
      form_set(&f, "adresse", hit.label);
    } else {
      form_error(&f, "adresse", why);
    }
  }
  if (have_addr && add_result(r, &hit, d, &a) != 0) {
    json_decref(d);
    res_error(r, 500, _("Le test d’éligibilité n’a pas pu être fait : réessayez dans un instant."));
    return;
  }
  if (have_addr && a.level == HEAT_OUTSIDE)
    form_error(&f, "adresse", _("Cette adresse est en dehors du territoire couvert par ce service."));
  if (form_required(&f, "profil", _("qui vous êtes"))) form_oneof(&f, "profil", profiles);
  int pro = !strcmp(form_get(&f, "profil"), "professionnel");
  if (pro) {
    if (form_required(&f, "structure_type", _("le type de votre structure")))
      form_oneof(&f, "structure_type", structures);
    if (form_required(&f, "structure_nom", _("le nom de votre structure"))) form_maxlen(&f, "structure_nom", 200);
  } else {
    form_set(&f, "structure_type", "");
    form_set(&f, "structure_nom", "");
  }
  if (form_required(&f, "energie", _("votre énergie de chauffage actuelle"))) form_oneof(&f, "energie", energies);
  if (form_required(&f, "mode", _("si le chauffage est individuel ou collectif"))) form_oneof(&f, "mode", modes);
  int64_t dwellings, surface;
  optional_count(&f, "logements", 100000, &dwellings);
  optional_count(&f, "surface", 10000000, &surface);
  if (form_required(&f, "nom", _("votre nom"))) form_maxlen(&f, "nom", 100);
  if (form_required(&f, "prenom", _("votre prénom"))) form_maxlen(&f, "prenom", 100);
  char *email = auth_email_norm(arena_strdup(r->a, form_get(&f, "email")));
  form_set(&f, "email", email);
  if (form_required(&f, "email", _("votre adresse e-mail"))) form_email(&f, "email");
  if (*form_get(&f, "telephone")) form_phone(&f, "telephone");
  form_maxlen(&f, "commentaire", 2000);
  if (strcmp(form_get(&f, "consentement"), "oui") != 0)
    form_error(&f, "consentement", _("Cochez la case pour accepter que vos coordonnées soient transmises."));
  if (f.nerr) {
    json_object_set_new(d, "show_form", json_true());
    form_options(d, &f);
    form_into(&f, d);
    res_page(r, 422, "heat/eligibility", d);
    return;
  }

  const char *level = heat_level_code(a.level);
  /* The answer has already found the nearest open network: route to it when
  ** it is close enough. */
  int64_t net = a.has_network && a.dist_m <= (double)config_int(HEAT_CONF_ROUTE_MAX_M) ? a.network_id : 0;
  const char *net_name;
  const char *to = recipient_of(r, net, &net_name);
  int64_t now = now_unix();
  if (db_begin_write() != 0) goto failed;
  int64_t rid = db_get_int(0, "SELECT id FROM heat_requests WHERE email=? AND address=? AND created_at>=?"
                              " ORDER BY id DESC LIMIT 1", "tti", email, hit.label,
                           now - (int64_t)HEAT_DEDUPE_DAYS * 86400);
  int dup = rid > 0;
  if (!dup) {
    const char *status = heat_level_eligible(a.level) ? "a_traiter" : "non_realisable";
    db_stmt *s = db_prep("INSERT INTO heat_requests(created_at, updated_at, address, address_id, commune, lon, lat,"
                         " profile, structure_type, structure_name, energy, heating_mode, dwellings, surface_m2,"
                         " last_name, first_name, email, phone, comment, eligibility, distance_m, network_id,"
                         " routed_to, status) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int i = 1;
    db_bind_int(s, i++, now);
    db_bind_int(s, i++, now);
    db_bind_text(s, i++, hit.label);
    db_bind_int(s, i++, hit.id);
    db_bind_text(s, i++, hit.commune);
    db_bind_double(s, i++, hit.lon);
    db_bind_double(s, i++, hit.lat);
    db_bind_text(s, i++, form_get(&f, "profil"));
    db_bind_text(s, i++, form_get(&f, "structure_type"));
    db_bind_text(s, i++, form_get(&f, "structure_nom"));
    db_bind_text(s, i++, form_get(&f, "energie"));
    db_bind_text(s, i++, form_get(&f, "mode"));
    if (dwellings) db_bind_int(s, i++, dwellings);
    else db_bind_null(s, i++);
    if (surface) db_bind_int(s, i++, surface);
    else db_bind_null(s, i++);
    db_bind_text(s, i++, form_get(&f, "nom"));
    db_bind_text(s, i++, form_get(&f, "prenom"));
    db_bind_text(s, i++, email);
    db_bind_text(s, i++, form_get(&f, "telephone"));
    db_bind_text(s, i++, form_get(&f, "commentaire"));
    db_bind_text(s, i++, level);
    if (a.has_network) db_bind_double(s, i++, a.dist_m);
    else db_bind_null(s, i++);
    if (net) db_bind_int(s, i++, net);
    else db_bind_null(s, i++);
    db_bind_text(s, i++, to);
    db_bind_text(s, i++, status);
    int rc = db_step(s);
    db_done(s);
    if (rc != DB_DONE) goto rollback;
    rid = db_get_int(0, "SELECT last_insert_rowid()", "");
    if (db_run("INSERT INTO heat_request_history(request_id, at, new_status, comment) VALUES(?,?,?,?)", "iitt",
               rid, now, status, _("Demande envoyée depuis le test d’éligibilité.")) != DB_DONE)
      goto rollback;
    const char *obj = arena_printf(r->a, "heat_request:%lld", (long long)rid);
    if (audit_log(r->me ? r->me->id : 0, "heat.request.create", obj, r->ip,
                  arena_printf(r->a, "%s, réseau %s, transmise à %s", level, *net_name ? net_name : "aucun", to)) < 0)
      goto rollback;
    buf b = {0};
    buf_printf(&b,
               _("Bonjour,\n\nNous avons bien reçu votre demande de raccordement au réseau de chaleur pour :\n%s\n\n"
                 "Résultat du test : %s\n\nElle a été transmise à %s, qui vous recontactera.\n"
                 "Référence de votre demande : %lld.\n\n— %s\n"),
               hit.label, heat_level_label(a.level), *net_name ? arena_printf(r->a, _("l’exploitant du réseau %s"), net_name)
                                                                : _("l’agence locale de l’énergie"),
               (long long)rid, config_str("territory_name"));
    int64_t m1 = mail_send(email, _("Votre demande de raccordement au réseau de chaleur"), buf_str(&b));
    buf_reset(&b);
    buf_printf(&b,
               _("Bonjour,\n\nUne nouvelle demande de raccordement vous a été transmise.\n\nAdresse : %s\n"
                 "Résultat du test : %s\nRéseau : %s\n\nConsultez-la : %s/operateur/demandes/%lld\n\n— %s\n"),
               hit.label, heat_level_label(a.level), *net_name ? net_name
                                                      : arena_printf(r->a, _("aucun à moins de %lld m"),
                                                                     (long long)config_int(HEAT_CONF_ROUTE_MAX_M)),
               http_base_url(), (long long)rid, config_str("territory_name"));
    int64_t m2 = mail_send(to, _("Nouvelle demande de raccordement"), buf_str(&b));
    buf_free(&b);
    if (m1 < 0 || m2 < 0) goto rollback;
  }
  if (db_commit() != 0) goto failed;

  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(rid));
  json_object_set_new(o, "duplicate", json_boolean(dup));
  json_object_set_new(o, "email", json_string(email));
  json_object_set_new(o, "address", json_string(hit.label));
  json_object_set_new(o, "network", json_string(net_name));
  json_object_set_new(o, "profile", json_string(label_of(profiles, profile_labels, form_get(&f, "profil"))));
  json_object_set(d, "req", o);
  json_decref(o);
  res_page(r, 200, "heat/request_sent", d);
  return;
rollback:
  db_rollback();
failed:
  json_decref(d);
  res_error(r, 500, _("Votre demande n’a pas pu être enregistrée : réessayez dans un instant."));
}
