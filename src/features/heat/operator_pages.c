/*
** operator_pages.c — the operators' back office: the contact requests of
** their networks, one request with its history, and status changes.
**
** Scope, checked on every route (list and each id): an operator sees the
** requests routed to a network whose operator_user_id is theirs; holders of
** "heat.admin" (territory administrators) see every request, including
** those routed to the energy agency. A request out of scope answers 404,
** exactly like one that does not exist, so ids reveal nothing.
**
** A status change writes a history row, tells the applicant by email with
** the comment, and is audited, in one write transaction.
*/
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/mail.h"
#include "features/heat/heat_int.h"

#define LIST_MAX 500 /* rows shown; a network gets a few hundred requests a year */

/* WHERE fragment of the scope; binds (all, uid) in that order. */
#define SCOPE_SQL "(? = 1 OR r.network_id IN (SELECT id FROM heat_networks WHERE operator_user_id = ?))"

static void not_found(req *r) { res_error(r, 404, _("Cette demande n’existe pas.")); }

static void db_failed(req *r) {
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

/* The request id from the path when the user may see it; else answers 404
** and returns -1. */
static int scoped_or_reply(req *r, int64_t *out) {
  if (req_id_or_reply(r, "id", out)) return -1;
  if (db_get_int(0, "SELECT 1 FROM heat_requests r WHERE r.id=? AND " SCOPE_SQL, "iii", *out,
                 (int64_t)heat_sees_all(r), r->me->id) != 1) {
    not_found(r);
    return -1;
  }
  return 0;
}

static json_t *status_opts(const char *current) {
  json_t *l = json_array();
  for (int i = 0; i < heat_nstatuses; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(heat_statuses[i].code));
    json_object_set_new(o, "label", json_string(_(heat_statuses[i].label)));
    if (current && !strcmp(current, heat_statuses[i].code)) json_object_set_new(o, "selected", json_true());
    json_array_append_new(l, o);
  }
  return l;
}

void requests_page(req *r) {
  const char *st = req_query(r, "statut");
  if (!heat_status_label(st)) st = NULL; /* unknown or absent: every status */
  json_t *d = json_object();
  json_object_set_new(d, "status_opts", status_opts(st));
  json_object_set_new(d, "all", json_boolean(heat_sees_all(r)));
  db_stmt *s = db_query("SELECT r.id, r.created_at, r.address, r.profile, r.energy, r.heating_mode, r.eligibility,"
                        " r.distance_m, coalesce(n.sncu_id || ' ' || n.name, ''), r.status, r.dwellings"
                        " FROM heat_requests r LEFT JOIN heat_networks n ON n.id = r.network_id"
                        " WHERE " SCOPE_SQL " AND (? IS NULL OR r.status = ?)"
                        " ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
                        "iitti", (int64_t)heat_sees_all(r), r->me->id, st, st, (int64_t)LIST_MAX);
  json_t *l = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "date", json_string(heat_date(r->a, db_int(s, 1))));
    json_object_set_new(o, "address", json_string(db_text(s, 2)));
    json_object_set_new(o, "mode", json_string(db_text(s, 5)));
    json_object_set_new(o, "energy", json_string(db_text(s, 4)));
    json_object_set_new(o, "eligibility", json_string(db_text(s, 6)));
    if (!db_is_null(s, 7))
      json_object_set_new(o, "distance", json_string(arena_printf(r->a, "%.0f m", db_double(s, 7))));
    json_object_set_new(o, "network", json_string(db_text(s, 8)));
    const char *lab = heat_status_label(db_text(s, 9));
    json_object_set_new(o, "status", json_string(lab ? lab : db_text(s, 9)));
    if (!db_is_null(s, 10)) json_object_set_new(o, "dwellings", json_integer(db_int(s, 10)));
    json_array_append_new(l, o);
  }
  db_done(s);
  if (rc != DB_DONE) {
    json_decref(l);
    json_decref(d);
    db_failed(r);
    return;
  }
  json_object_set_new(d, "requests", l);
  res_page(r, 200, "heat/requests", d);
}

/* The request and its history into d. 0 or -1 (database). */
static int request_load(req *r, int64_t id, json_t *d) {
  db_stmt *s = db_query("SELECT r.created_at, r.address, r.commune, r.profile, r.structure_type, r.structure_name,"
                        " r.energy, r.heating_mode, r.dwellings, r.surface_m2, r.last_name, r.first_name, r.email,"
                        " r.phone, r.comment, r.eligibility, r.distance_m, coalesce(n.sncu_id || ' ' || n.name, ''),"
                        " r.routed_to, r.status FROM heat_requests r LEFT JOIN heat_networks n ON n.id = r.network_id"
                        " WHERE r.id=?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return -1;
  }
  static const char *const keys[] = {NULL, "address", "commune", "profile", "structure_type", "structure_name",
                                     "energy", "mode", NULL, NULL, "last_name", "first_name", "email", "phone",
                                     "comment", "eligibility", NULL, "network", "routed_to", NULL};
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "date", json_string(heat_date(r->a, db_int(s, 0))));
  for (int i = 0; i < 20; i++)
    if (keys[i]) json_object_set_new(o, keys[i], json_string(db_text(s, i) ? db_text(s, i) : ""));
  if (!db_is_null(s, 8)) json_object_set_new(o, "dwellings", json_integer(db_int(s, 8)));
  if (!db_is_null(s, 9)) json_object_set_new(o, "surface", json_integer(db_int(s, 9)));
  if (!db_is_null(s, 16)) json_object_set_new(o, "distance", json_string(arena_printf(r->a, "%.0f m", db_double(s, 16))));
  const char *st = arena_strdup(r->a, db_text(s, 19));
  json_object_set_new(o, "status", json_string(heat_status_label(st) ? heat_status_label(st) : st));
  db_done(s);
  json_object_set_new(d, "r", o);
  json_object_set_new(d, "status_opts", status_opts(st));

  json_t *h = json_array();
  s = db_query("SELECT h.at, coalesce(u.email, ''), h.old_status, h.new_status, h.comment FROM heat_request_history h"
               " LEFT JOIN users u ON u.id = h.user_id WHERE h.request_id=? ORDER BY h.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *e = json_object();
    json_object_set_new(e, "date", json_string(heat_date(r->a, db_int(s, 0))));
    json_object_set_new(e, "who", json_string(*db_text(s, 1) ? db_text(s, 1) : _("le demandeur")));
    if (db_text(s, 2)) json_object_set_new(e, "old", json_string(heat_status_label(db_text(s, 2))));
    json_object_set_new(e, "new", json_string(heat_status_label(db_text(s, 3))));
    json_object_set_new(e, "comment", json_string(db_text(s, 4)));
    json_array_append_new(h, e);
  }
  db_done(s);
  json_object_set_new(d, "history", h);
  return 0;
}

void request_page(req *r) {
  int64_t id;
  if (scoped_or_reply(r, &id)) return;
  json_t *d = json_object();
  if (request_load(r, id, d) != 0) {
    json_decref(d);
    db_failed(r);
    return;
  }
  res_page(r, 200, "heat/request", d);
}

static const char *const status_fields[] = {"statut", "commentaire", NULL};

void request_status_post(req *r) {
  int64_t id;
  if (scoped_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, status_fields);
  const char *st = form_get(&f, "statut");
  if (!heat_status_label(st)) form_error(&f, "statut", _("Choisissez un des statuts proposés."));
  form_maxlen(&f, "commentaire", 2000);
  char *old = db_get_text(r->a, "SELECT status FROM heat_requests WHERE id=?", "i", id);
  if (!f.nerr && str_eq(old, st) && !*form_get(&f, "commentaire"))
    form_error(&f, "statut", _("La demande a déjà ce statut : choisissez-en un autre ou ajoutez un commentaire."));
  if (f.nerr) {
    json_t *d = json_object();
    request_load(r, id, d);
    json_object_set_new(d, "status_opts", status_opts(st));
    form_into(&f, d);
    res_page(r, 422, "heat/request", d);
    return;
  }
  const char *comment = form_get(&f, "commentaire");
  int64_t now = now_unix();
  if (db_begin_write() != 0) {
    db_failed(r);
    return;
  }
  char *email = db_get_text(r->a, "SELECT email FROM heat_requests WHERE id=?", "i", id);
  char *addr = db_get_text(r->a, "SELECT address FROM heat_requests WHERE id=?", "i", id);
  buf b = {0};
  buf_printf(&b, _("Bonjour,\n\nVotre demande de raccordement au réseau de chaleur (référence %lld) pour :\n%s\n"
                   "est maintenant : %s.\n"),
             (long long)id, addr ? addr : "", heat_status_label(st));
  if (*comment) buf_printf(&b, _("\nMessage de l’exploitant :\n%s\n"), comment);
  buf_printf(&b, "\n— %s\n", config_str("territory_name"));
  int ok = email && db_run("UPDATE heat_requests SET status=?, updated_at=? WHERE id=?", "tii", st, now, id) == DB_DONE &&
           db_run("INSERT INTO heat_request_history(request_id, at, user_id, old_status, new_status, comment)"
                  " VALUES(?,?,?,?,?,?)", "iiittt", id, now, r->me->id, old, st, comment) == DB_DONE &&
           audit_log(r->me->id, "heat.request.status", arena_printf(r->a, "heat_request:%lld", (long long)id), r->ip,
                     arena_printf(r->a, "%s → %s", old ? old : "", st)) >= 0 &&
           mail_send(email, _("Votre demande de raccordement a avancé"), buf_str(&b)) >= 0 && db_commit() == 0;
  buf_free(&b);
  if (!ok) {
    db_rollback();
    db_failed(r);
    return;
  }
  res_flash(r, _("Le statut est enregistré et le demandeur a été prévenu par e-mail."));
  res_redirect(r, arena_printf(r->a, "/operateur/demandes/%lld", (long long)id));
}
