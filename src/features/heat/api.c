/*
** api.c — the contact requests for operators' CRMs, in JSON, with an API
** token ("Authorization: Bearer …", made in Mon compte › Jetons d’API or by
** `guichet token add`):
**
**   GET  /api/v1/heat/requests              list, oldest change first
**   GET  /api/v1/heat/requests/:id          one request with its history
**   POST /api/v1/heat/requests/:id/status   {"status": "etude", "comment": "…"}
**
** The list takes status (a pipeline code), network (an SNCU id, "1701C"),
** updated_since (unix seconds, or "2026-03-01T08:00:00Z") and limit (1 to
** 200, 50 by default). It is ordered by (updated_at, id) and paginated by
** cursor: next_cursor, when not null, is passed back as cursor to get the
** rows after the last one. A CRM that keeps the last cursor and polls with
** it sees every change once; a request changed while it pages comes back
** later, at its new place.
**
** Scope is HEAT_SCOPE_SQL, exactly as on the pages: a token carries its
** owner's rights, so an operator's token never sees another network's
** requests (404 for one of them, as for an id that does not exist). A
** status change goes through heat_request_set_status, as on the page:
** history, e-mail to the applicant and audit, in one transaction.
** Errors are {"error": "…"} in French, with the status that fits.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "features/heat/heat_int.h"

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 200
#define API_COMMENT_MAX 2000 /* as on the page */

/* RFC 3339 UTC time of a unix time, "2026-03-12T13:05:00Z". */
static json_t *utc(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  char out[24];
  if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm)) return json_null();
  return json_string(out);
}

static json_t *text_or_null(db_stmt *s, int col) {
  return db_is_null(s, col) || !*db_text(s, col) ? json_null() : json_string(db_text(s, col));
}

static json_t *int_or_null(db_stmt *s, int col) {
  return db_is_null(s, col) ? json_null() : json_integer(db_int(s, col));
}

/* One request, from a row of SELECT HEAT_ROW_COLS. */
static json_t *request_json(db_stmt *s) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(db_int(s, HC_ID)));
  json_object_set_new(o, "created_at", utc(db_int(s, HC_CREATED)));
  json_object_set_new(o, "updated_at", utc(db_int(s, HC_UPDATED)));
  const char *st = db_text(s, HC_STATUS);
  json_object_set_new(o, "status", json_string(st));
  json_object_set_new(o, "status_label", jstr(heat_status_label(st)));
  json_object_set_new(o, "network", *db_text(s, HC_SNCU) ? json_pack("{s:s, s:s}", "id", db_text(s, HC_SNCU), "name",
                                                                     db_text(s, HC_NETWORK))
                                                         : json_null());
  json_object_set_new(o, "routed_to", json_string(db_text(s, HC_ROUTED_TO)));
  json_object_set_new(o, "address", json_string(db_text(s, HC_ADDRESS)));
  json_object_set_new(o, "commune", json_string(db_text(s, HC_COMMUNE)));
  json_object_set_new(o, "lon", json_real(db_double(s, HC_LON)));
  json_object_set_new(o, "lat", json_real(db_double(s, HC_LAT)));
  json_object_set_new(o, "eligibility", json_string(db_text(s, HC_ELIGIBILITY)));
  json_int_t dist = (json_int_t)(db_double(s, HC_DISTANCE) + 0.5); /* metres, rounded */
  json_object_set_new(o, "distance_m", db_is_null(s, HC_DISTANCE) ? json_null() : json_integer(dist));
  json_object_set_new(o, "profile", json_string(db_text(s, HC_PROFILE)));
  json_object_set_new(o, "structure_type", text_or_null(s, HC_STRUCT_TYPE));
  json_object_set_new(o, "structure_name", text_or_null(s, HC_STRUCT_NAME));
  json_object_set_new(o, "energy", json_string(db_text(s, HC_ENERGY)));
  json_object_set_new(o, "heating_mode", json_string(db_text(s, HC_MODE)));
  json_object_set_new(o, "dwellings", int_or_null(s, HC_DWELLINGS));
  json_object_set_new(o, "surface_m2", int_or_null(s, HC_SURFACE));
  json_object_set_new(o, "comment", text_or_null(s, HC_COMMENT));
  json_object_set_new(o, "applicant", json_pack("{s:s, s:s, s:s, s:o}", "last_name", db_text(s, HC_LAST_NAME),
                                                "first_name", db_text(s, HC_FIRST_NAME), "email",
                                                db_text(s, HC_EMAIL), "phone", text_or_null(s, HC_PHONE)));
  return o;
}

/* A whole number of at most 18 digits; 1 and *out, else 0. */
static int digits_only(const char *z, int64_t *out) {
  size_t n = strlen(z);
  if (!n || n > 18 || strspn(z, "0123456789") != n) return 0;
  *out = strtoll(z, NULL, 10);
  return 1;
}

/* updated_since: unix seconds or "YYYY-MM-DDTHH:MM:SSZ". 1 and *out, else 0. */
static int parse_since(const char *z, int64_t *out) {
  if (digits_only(z, out)) return 1;
  struct tm tm = {0};
  const char *e = strlen(z) == 20 ? strptime(z, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
  if (!e || *e) return 0;
  *out = (int64_t)timegm(&tm);
  return 1;
}

/* cursor: "<updated_at>.<id>" as next_cursor gave it. 1, else 0. */
static int parse_cursor(req *r, const char *z, int64_t *t, int64_t *id) {
  const char *dot = strchr(z, '.');
  if (!dot) return 0;
  return digits_only(arena_strndup(r->a, z, (size_t)(dot - z)), t) && digits_only(dot + 1, id);
}

void heat_requests_api(req *r) {
  listing_query w = {0};
  heat_scope(&w, r);
  const char *st = req_query_trim(r, "status"), *net = req_query_trim(r, "network");
  const char *since = req_query_trim(r, "updated_since"), *cursor = req_query_trim(r, "cursor");
  const char *lim = req_query_trim(r, "limit");
  int64_t limit = API_LIMIT_DEFAULT, t = 0, cid = 0;
  if (*st && !heat_status_label(st)) {
    res_error(r, 400, _("status : code de statut inconnu (a_traiter, attente, non_realisable, prise_en_charge, "
                        "etude, vote_ag, travaux, realise, abandonne)."));
    return;
  }
  if (*since && !parse_since(since, &t)) {
    res_error(r, 400, _("updated_since : un nombre de secondes depuis 1970, ou une date comme 2026-03-01T08:00:00Z."));
    return;
  }
  if (*lim && (!digits_only(lim, &limit) || limit < 1 || limit > API_LIMIT_MAX)) {
    res_error(r, 400, arena_printf(r->a, _("limit : un nombre entier de 1 à %d."), API_LIMIT_MAX));
    return;
  }
  if (*cursor && !parse_cursor(r, cursor, &t, &cid)) {
    res_error(r, 400, _("cursor : reprenez la valeur next_cursor de la réponse précédente, telle quelle."));
    return;
  }
  if (strlen(net) > LISTING_FILTER_MAX) {
    res_error(r, 400, _("network : identifiant SNCU trop long."));
    return;
  }
  if (*st) {
    listing_query_and(&w, "r.status = ?");
    listing_query_text(&w, st);
  }
  if (*net) {
    listing_query_and(&w, "n.sncu_id = ?");
    listing_query_text(&w, net);
  }
  if (*since && !*cursor) {
    listing_query_and(&w, "r.updated_at >= ?");
    listing_query_int(&w, t);
  }
  if (*cursor) {
    listing_query_and(&w, "(r.updated_at > ? OR (r.updated_at = ? AND r.id > ?))");
    listing_query_int(&w, t);
    listing_query_int(&w, t);
    listing_query_int(&w, cid);
  }
  db_stmt *s = listing_query_prep(&w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, "ORDER BY r.updated_at, r.id LIMIT ?");
  db_bind_int(s, w.nbind + 1, limit + 1); /* one more says whether there is a next page */
  json_t *l = json_array();
  int rc;
  int64_t last_t = 0, last_id = 0;
  while ((rc = db_step(s)) == DB_ROW && (int64_t)json_array_size(l) < limit) {
    json_array_append_new(l, request_json(s));
    last_t = db_int(s, HC_UPDATED);
    last_id = db_int(s, HC_ID);
  }
  int more = rc == DB_ROW;
  db_done(s);
  if (rc != DB_ROW && rc != DB_DONE) {
    json_decref(l);
    heat_db_failed(r);
    return;
  }
  json_t *o = json_object();
  json_object_set_new(o, "requests", l);
  json_object_set_new(o, "next_cursor", more ? json_string(arena_printf(r->a, "%lld.%lld", (long long)last_t,
                                                                        (long long)last_id))
                                             : json_null());
  res_json(r, 200, o);
}

/* The request id of the path in the token's scope; else answers 404 and
** returns -1. */
static int api_scoped_or_reply(req *r, int64_t *id) {
  if (req_id_or_reply(r, "id", id)) return -1;
  if (!heat_request_visible(r, *id)) {
    res_error(r, 404, _("Cette demande n’existe pas."));
    return -1;
  }
  return 0;
}

/* Request id with its history, as JSON; NULL on a database error. */
static json_t *request_full(int64_t id) {
  db_stmt *s = db_query("SELECT " HEAT_ROW_COLS HEAT_ROW_FROM " WHERE r.id = ?", "i", id);
  json_t *o = db_step(s) == DB_ROW ? request_json(s) : NULL;
  db_done(s);
  if (!o) return NULL;
  json_t *h = json_array();
  s = db_query("SELECT h.at, h.kind, h.old_status, h.new_status, h.comment, h.subject, u.email"
               " FROM heat_request_history h LEFT JOIN users u ON u.id = h.user_id WHERE h.request_id = ?"
               " ORDER BY h.id", "i", id);
  while (db_step(s) == DB_ROW)
    json_array_append_new(h, json_pack("{s:o, s:s, s:o, s:s, s:s, s:o, s:o}", "at", utc(db_int(s, 0)), "kind",
                                       db_text(s, 1), "old_status", jstr(db_text(s, 2)), "new_status", db_text(s, 3),
                                       "comment", db_text(s, 4), "subject", text_or_null(s, 5), "by",
                                       jstr(db_text(s, 6))));
  db_done(s);
  json_object_set_new(o, "history", h);
  return o;
}

void heat_request_api(req *r) {
  int64_t id;
  if (api_scoped_or_reply(r, &id)) return;
  json_t *o = request_full(id);
  if (!o) {
    heat_db_failed(r);
    return;
  }
  res_json(r, 200, o);
}

void heat_request_status_api(req *r) {
  int64_t id;
  if (api_scoped_or_reply(r, &id)) return;
  json_error_t jerr;
  json_t *in = r->json_body ? json_loadb(r->json_body, r->json_n, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!json_is_object(in)) {
    json_decref(in);
    res_error(r, 400, _("Envoyez un objet JSON (Content-Type: application/json) : {\"status\": \"etude\", "
                        "\"comment\": \"…\"}."));
    return;
  }
  json_t *jst = json_object_get(in, "status"), *jc = json_object_get(in, "comment");
  const char *st = json_string_value(jst);
  const char *comment = jc && !json_is_null(jc) ? json_string_value(jc) : "";
  const char *why = NULL;
  if (!st) why = _("status : une chaîne, le code du nouveau statut.");
  else if (!comment) why = _("comment : une chaîne, ou null.");
  else if (strlen(comment) > API_COMMENT_MAX)
    why = arena_printf(r->a, _("comment : %d caractères au plus."), API_COMMENT_MAX);
  else why = heat_status_check(r, id, st, comment);
  st = st ? arena_strdup(r->a, st) : NULL;
  comment = comment ? arena_strdup(r->a, comment) : NULL;
  json_decref(in);
  if (why) {
    res_error(r, 422, why);
    return;
  }
  json_t *o = heat_request_set_status(r, id, st, comment) == 0 ? request_full(id) : NULL;
  if (!o) {
    heat_db_failed(r);
    return;
  }
  res_json(r, 200, o);
}
