/*
** operator_pages.c — one contact request in the operators' back office:
** its details and history, status changes, and e-mails written to the
** applicant from templates. The table of requests and its exports are in
** requests_list.c.
**
** Scope, checked on every route (HEAT_SCOPE_SQL): an operator sees the
** requests routed to a network whose operator account is theirs or whose
** operator organisation they belong to; holders of "heat.admin" (territory
** administrators) see every request, including those routed to the energy
** agency. A request out of scope answers 404, exactly like one that does
** not exist, so ids reveal nothing.
**
** A status change (heat_request_set_status, shared with the API) writes a
** history row, tells the applicant by email with the comment, and is
** audited, in one write transaction. An e-mail to the applicant starts
** from a template of heat_mail_templates whose {placeholders} are filled in
** for this request; the operator edits it and sends it; it goes to the
** outbox and into the history ('email'), also in one transaction. Both
** count as an action: they move updated_at, which stops the reminders.
*/
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/mail.h"
#include "features/heat/heat_int.h"

#define SUBJECT_MAX 200    /* characters of an e-mail subject typed by an operator */
#define MESSAGE_MAX 10000  /* characters of its text */
#define COMMENT_MAX 2000   /* characters of a status comment */

static void not_found(req *r) { res_error(r, 404, _("Cette demande n’existe pas.")); }

int heat_request_visible(req *r, int64_t id) {
  return db_get_int(0, "SELECT 1 FROM heat_requests r WHERE r.id = ? AND " HEAT_SCOPE_SQL, "iiii", id,
                    (int64_t)heat_sees_all(r), r->me->id, r->me->id) == 1;
}

/* The request id from the path when the user may see it; else answers 404
** and returns -1. */
static int scoped_or_reply(req *r, int64_t *out) {
  if (req_id_or_reply(r, "id", out)) return -1;
  if (!heat_request_visible(r, *out)) {
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

/* ------------------------------------------------------------- the page */

/* The request and its history into d; the raw status code in *status when
** status is not NULL. 0 or -1 (no row, database). */
static int request_load(req *r, int64_t id, json_t *d, const char **status) {
  db_stmt *s = db_query("SELECT " HEAT_ROW_COLS ", r.reminded_at" HEAT_ROW_FROM " WHERE r.id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return -1;
  }
  static const struct {
    const char *key;
    int col;
  } texts[] = {{"address", HC_ADDRESS},     {"commune", HC_COMMUNE},     {"profile", HC_PROFILE},
               {"structure_type", HC_STRUCT_TYPE}, {"structure_name", HC_STRUCT_NAME}, {"energy", HC_ENERGY},
               {"mode", HC_MODE},           {"last_name", HC_LAST_NAME}, {"first_name", HC_FIRST_NAME},
               {"email", HC_EMAIL},         {"phone", HC_PHONE},         {"comment", HC_COMMENT},
               {"eligibility", HC_ELIGIBILITY}, {"routed_to", HC_ROUTED_TO}};
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, HC_CREATED), "")));
  for (size_t i = 0; i < ARRAY_SIZE(texts); i++) json_object_set_new(o, texts[i].key, json_string(db_text(s, texts[i].col)));
  if (*db_text(s, HC_SNCU))
    json_object_set_new(o, "network", json_string(arena_printf(r->a, "%s %s", db_text(s, HC_SNCU),
                                                               db_text(s, HC_NETWORK))));
  if (!db_is_null(s, HC_DWELLINGS)) json_object_set_new(o, "dwellings", json_integer(db_int(s, HC_DWELLINGS)));
  if (!db_is_null(s, HC_SURFACE)) json_object_set_new(o, "surface", json_integer(db_int(s, HC_SURFACE)));
  if (!db_is_null(s, HC_DISTANCE))
    json_object_set_new(o, "distance", json_string(arena_printf(r->a, "%.0f m", db_double(s, HC_DISTANCE))));
  int last = HC_LAT + 1; /* reminded_at */
  if (!db_is_null(s, last)) json_object_set_new(o, "reminded", json_string(fmt_datetime(r->a, db_int(s, last), "")));
  const char *st = arena_strdup(r->a, db_text(s, HC_STATUS));
  json_object_set_new(o, "status", json_string(heat_status_label(st) ? heat_status_label(st) : st));
  db_done(s);
  json_object_set_new(o, "route_max", json_integer(config_int(HEAT_CONF_ROUTE_MAX_M)));
  json_object_set_new(d, "r", o);
  json_object_set_new(d, "status_opts", status_opts(st));
  if (status) *status = st;

  json_t *h = json_array();
  s = db_query("SELECT h.at, coalesce(u.email, ''), h.old_status, h.new_status, h.comment, h.kind, h.subject"
               " FROM heat_request_history h LEFT JOIN users u ON u.id = h.user_id WHERE h.request_id = ?"
               " ORDER BY h.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *e = json_object();
    const char *kind = db_text(s, 5);
    json_object_set_new(e, "date", json_string(fmt_datetime(r->a, db_int(s, 0), "")));
    json_object_set_new(e, "who", json_string(*db_text(s, 1) ? db_text(s, 1)
                                              : !strcmp(kind, "status") ? _("le demandeur") : _("le service")));
    json_object_set_new(e, kind, json_true()); /* "status", "email" or "reminder": how the template shows it */
    if (db_text(s, 2) && strcmp(db_text(s, 2), db_text(s, 3)))
      json_object_set_new(e, "old", json_string(heat_status_label(db_text(s, 2))));
    json_object_set_new(e, "new", json_string(heat_status_label(db_text(s, 3))));
    json_object_set_new(e, "comment", json_string(db_text(s, 4)));
    json_object_set_new(e, "subject", json_string(db_text(s, 6)));
    json_array_append_new(h, e);
  }
  db_done(s);
  json_object_set_new(d, "history", h);

  json_t *t = json_array();
  s = db_query("SELECT code, name FROM heat_mail_templates ORDER BY position, id", "");
  while (db_step(s) == DB_ROW)
    json_array_append_new(t, json_pack("{s:s, s:s}", "value", db_text(s, 0), "label", db_text(s, 1)));
  db_done(s);
  json_object_set_new(d, "templates", t);
  return 0;
}

/* text with the placeholders of heat_mail_templates filled in for request
** id, allocated in a. An unknown {name} stays as it is. */
static const char *fill(req *r, int64_t id, const char *text) {
  const char *vars[12] = {"reference", arena_printf(r->a, "%lld", (long long)id), "territoire",
                          config_str("territory_name")};
  int n = 4;
  db_stmt *s = db_query("SELECT r.first_name, r.last_name, r.address, coalesce(n.name, '')" HEAT_ROW_FROM
                        " WHERE r.id = ?", "i", id);
  if (db_step(s) == DB_ROW) {
    static const char *const names[] = {"prenom", "nom", "adresse", "reseau"};
    for (int i = 0; i < 4; i++) {
      vars[n++] = names[i];
      vars[n++] = arena_strdup(r->a, db_text(s, i));
    }
  }
  db_done(s);
  buf b = {0};
  for (const char *p = text; *p;) {
    const char *e = *p == '{' ? strchr(p, '}') : NULL;
    int done = 0;
    for (int i = 0; e && i < n && !done; i += 2)
      if ((size_t)(e - p - 1) == strlen(vars[i]) && !strncmp(p + 1, vars[i], strlen(vars[i]))) {
        buf_puts(&b, vars[i + 1]);
        p = e + 1;
        done = 1;
      }
    if (!done) buf_putc(&b, *p++);
  }
  const char *out = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return out;
}

static const char *const status_fields[] = {"statut", "commentaire", NULL};
static const char *const message_fields[] = {"modele", "objet", "message", NULL};

/* Renders the page with the form f (status or message) coming back. */
static void page_render(req *r, int64_t id, int status, form *f) {
  json_t *d = json_object();
  if (request_load(r, id, d, NULL) != 0) {
    json_decref(d);
    heat_db_failed(r);
    return;
  }
  if (f) {
    const char *st = form_get(f, "statut");
    if (*st) json_object_set_new(d, "status_opts", status_opts(st));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "templates"), i, t)
      if (!strcmp(json_string_value(json_object_get(t, "value")), form_get(f, "modele")))
        json_object_set_new(t, "selected", json_true());
    form_into(f, d);
  }
  res_page(r, status, "heat/request", d);
}

void request_page(req *r) {
  int64_t id;
  if (scoped_or_reply(r, &id)) return;
  const char *code = req_query(r, "modele");
  if (!code || !*code) {
    page_render(r, id, 200, NULL);
    return;
  }
  form f;
  form_init(&f, r, message_fields);
  form_set(&f, "modele", code);
  db_stmt *s = db_query("SELECT subject, body FROM heat_mail_templates WHERE code = ?", "t", code);
  if (db_step(s) == DB_ROW) {
    form_set(&f, "objet", fill(r, id, db_text(s, 0)));
    form_set(&f, "message", fill(r, id, db_text(s, 1)));
  } else {
    form_error(&f, "modele", _("Choisissez un des modèles proposés."));
  }
  db_done(s);
  page_render(r, id, f.nerr ? 422 : 200, &f);
}

/* ------------------------------------------------------- status changes */

int heat_request_set_status(req *r, int64_t id, const char *st, const char *comment) {
  int64_t now = now_unix();
  if (db_begin_write() != 0) return -1;
  char *old = db_get_text(r->a, "SELECT status FROM heat_requests WHERE id = ?", "i", id);
  char *email = db_get_text(r->a, "SELECT email FROM heat_requests WHERE id = ?", "i", id);
  char *addr = db_get_text(r->a, "SELECT address FROM heat_requests WHERE id = ?", "i", id);
  buf b = {0};
  buf_printf(&b, _("Bonjour,\n\nVotre demande de raccordement au réseau de chaleur (référence %lld) pour :\n%s\n"
                   "est maintenant : %s.\n"),
             (long long)id, addr ? addr : "", heat_status_label(st));
  if (*comment) buf_printf(&b, _("\nMessage de l’exploitant :\n%s\n"), comment);
  buf_printf(&b, "\n— %s\n", config_str("territory_name"));
  int ok = old && email &&
           db_run("UPDATE heat_requests SET status = ?, updated_at = ? WHERE id = ?", "tii", st, now, id) == DB_DONE &&
           db_run("INSERT INTO heat_request_history(request_id, at, user_id, old_status, new_status, comment)"
                  " VALUES(?, ?, ?, ?, ?, ?)", "iiittt", id, now, r->me->id, old, st, comment) == DB_DONE &&
           audit_log(r->me->id, "heat.request.status", arena_printf(r->a, "heat_request:%lld", (long long)id), r->ip,
                     arena_printf(r->a, "%s → %s", old, st)) >= 0 &&
           /* A pseudonymised request (privacy.c) has no address left to tell. */
           (!*email || mail_send(email, _("Votre demande de raccordement a avancé"), buf_str(&b)) >= 0) &&
           db_commit() == 0;
  buf_free(&b);
  if (!ok) db_rollback();
  return ok ? 0 : -1;
}

const char *heat_status_check(req *r, int64_t id, const char *st, const char *comment) {
  if (!heat_status_label(st)) return _("Choisissez un des statuts proposés.");
  char *old = db_get_text(r->a, "SELECT status FROM heat_requests WHERE id = ?", "i", id);
  if (str_eq(old, st) && !*comment)
    return _("La demande a déjà ce statut : choisissez-en un autre ou ajoutez un commentaire.");
  return NULL;
}

void request_status_post(req *r) {
  int64_t id;
  if (scoped_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, status_fields);
  const char *st = form_get(&f, "statut"), *comment = form_get(&f, "commentaire");
  if (form_maxlen(&f, "commentaire", COMMENT_MAX)) {
    const char *why = heat_status_check(r, id, st, comment);
    if (why) form_error(&f, "statut", why);
  }
  if (f.nerr) {
    page_render(r, id, 422, &f);
    return;
  }
  if (heat_request_set_status(r, id, st, comment) != 0) {
    heat_db_failed(r);
    return;
  }
  res_flash(r, db_get_int(0, "SELECT email <> '' FROM heat_requests WHERE id = ?", "i", id)
                   ? _("Le statut est enregistré et le demandeur a été prévenu par e-mail.")
                   : _("Le statut est enregistré (demande anonymisée : personne n’est prévenu)."));
  res_redirect(r, arena_printf(r->a, "/operateur/demandes/%lld", (long long)id));
}

/* ------------------------------------------------- e-mails to the applicant */

void request_message_post(req *r) {
  int64_t id;
  if (scoped_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, message_fields);
  const char *subject = form_get(&f, "objet"), *text = form_get(&f, "message"), *code = form_get(&f, "modele");
  if (form_required(&f, "objet", _("l’objet de l’e-mail")) && form_maxlen(&f, "objet", SUBJECT_MAX) &&
      strpbrk(subject, "\r\n\t"))
    form_error(&f, "objet", _("L’objet tient sur une ligne."));
  if (form_required(&f, "message", _("le texte de l’e-mail"))) form_maxlen(&f, "message", MESSAGE_MAX);
  if (*code && db_get_int(0, "SELECT 1 FROM heat_mail_templates WHERE code = ?", "t", code) != 1)
    form_error(&f, "modele", _("Choisissez un des modèles proposés."));
  if (f.nerr) {
    page_render(r, id, 422, &f);
    return;
  }
  if (db_get_int(0, "SELECT email = '' FROM heat_requests WHERE id = ?", "i", id)) {
    res_error(r, 409, _("Cette demande est anonymisée : le demandeur ne peut plus recevoir d’e-mail."));
    return;
  }
  int64_t now = now_unix();
  if (db_begin_write() != 0) {
    heat_db_failed(r);
    return;
  }
  char *email = db_get_text(r->a, "SELECT email FROM heat_requests WHERE id = ?", "i", id);
  char *st = db_get_text(r->a, "SELECT status FROM heat_requests WHERE id = ?", "i", id);
  const char *body = arena_printf(r->a, _("%s\n\n— %s\nRéférence de votre demande de raccordement : %lld\n"), text,
                                  config_str("territory_name"), (long long)id);
  int ok = email && st && mail_send(email, subject, body) > 0 &&
           db_run("UPDATE heat_requests SET updated_at = ? WHERE id = ?", "ii", now, id) == DB_DONE &&
           db_run("INSERT INTO heat_request_history(request_id, at, user_id, old_status, new_status, comment, kind,"
                  " subject) VALUES(?, ?, ?, ?, ?, ?, 'email', ?)", "iiitttt", id, now, r->me->id, st, st, text,
                  subject) == DB_DONE &&
           audit_log(r->me->id, "heat.request.email", arena_printf(r->a, "heat_request:%lld", (long long)id), r->ip,
                     *code ? code : "libre") >= 0 &&
           db_commit() == 0;
  if (!ok) {
    db_rollback();
    heat_db_failed(r);
    return;
  }
  res_flash(r, _("L’e-mail est envoyé au demandeur et noté dans l’historique."));
  res_redirect(r, arena_printf(r->a, "/operateur/demandes/%lld", (long long)id));
}
