/*
** catalog.c — the shared life cycle of label requests and equipment
** declarations (see catalog.h): the SQL of each kind, statuses, history,
** ownership checks, and the small public interface of aid.h that dossiers
** use to check a label or an equipment.
*/
#include <string.h>

#include "core/db.h"
#include "core/i18n.h"
#include "features/account/account.h"
#include "features/aid/aid.h"
#include "features/aid/catalog.h"

/* Who is told of a decision: the member who filed it while they still
** belong to the organisation and may log in, else the company's contact. */
#define MAILTO(table)                                                                                          \
  "SELECT coalesce(u.email, o.contact_email) FROM " table " x JOIN organisations o ON o.id = x.org_id"     \
  " LEFT JOIN org_members m ON m.user_id = x.user_id AND m.org_id = x.org_id"                                \
  " LEFT JOIN users u ON u.id = m.user_id AND u.status = 'active' WHERE x.id = ?"

#define HISTORY(table, fk)                                                                                      \
  "SELECT e.at, u.first_name, u.last_name, u.email, e.status, e.comment FROM " table " e"                      \
  " LEFT JOIN users u ON u.id = e.user_id WHERE e." fk " = ? ORDER BY e.id"

const cat_kind cat_label = {
    .noun = "label",
    .sql_load = "SELECT org_id, status, name, reason FROM aid_labels WHERE id = ?",
    .sql_decide = "UPDATE aid_labels SET status = ?, reason = ?, decided_by = ?, decided_at = ?, updated_at = ?"
                  " WHERE id = ? AND status = 'deposee'",
    .sql_event = "INSERT INTO aid_label_events(label_id, at, user_id, status, comment) VALUES(?,?,?,?,?)",
    .sql_history = HISTORY("aid_label_events", "label_id"),
    .sql_mailto = MAILTO("aid_labels"),
    .mine_path = "/aides/labels",
    .review_path = "/instruction/labels",
    .what = N_("Votre demande de label pour l’offre"),
    .subject_ok = N_("Label validé : "),
    .subject_ko = N_("Demande de label refusée : "),
    .next_ok = N_("Vous pouvez désormais choisir cette offre labellisée dans vos demandes d’aide."),
    .next_ko = N_("Vous pouvez déposer une nouvelle demande de label qui tienne compte de ce motif."),
};

const cat_kind cat_equipment = {
    .noun = "equipment",
    .sql_load = "SELECT org_id, status, brand || ' ' || model || ' (' || reference || ')', reason"
                " FROM aid_equipment WHERE id = ?",
    .sql_decide = "UPDATE aid_equipment SET status = ?, reason = ?, decided_by = ?, decided_at = ?, updated_at = ?"
                  " WHERE id = ? AND status = 'deposee'",
    .sql_event = "INSERT INTO aid_equipment_events(equipment_id, at, user_id, status, comment) VALUES(?,?,?,?,?)",
    .sql_history = HISTORY("aid_equipment_events", "equipment_id"),
    .sql_mailto = MAILTO("aid_equipment"),
    .mine_path = "/aides/materiels",
    .review_path = "/instruction/materiels",
    .what = N_("Votre déclaration du matériel"),
    .subject_ok = N_("Matériel validé : "),
    .subject_ko = N_("Matériel refusé : "),
    .next_ok = N_("Vous pouvez désormais citer ce matériel dans vos demandes d’aide."),
    .next_ko = N_("Vous pouvez corriger la déclaration ou ses documents, puis la déposer à nouveau."),
};

static const char *const statuses[] = {"brouillon", "deposee", "validee", "refusee", NULL};
static const char *const status_labels[] = {N_("Brouillon"), N_("Déposée"), N_("Validée"), N_("Refusée")};
static const char *const status_classes[] = {"", "todo", "ok", "off"};

const char *cat_status_label(const char *status) { return cat_label_of(statuses, status_labels, status); }

const char *cat_status_class(const char *status) {
  for (int i = 0; statuses[i]; i++)
    if (str_eq(status, statuses[i])) return status_classes[i];
  return "";
}

const char *cat_person(arena *a, const char *first, const char *last, const char *email) {
  first = first ? first : "";
  last = last ? last : "";
  if (*first || *last) return arena_printf(a, "%s%s%s", first, *first && *last ? " " : "", last);
  return email ? arena_strdup(a, email) : _("compte supprimé");
}

void cat_common_json(req *r, db_stmt *s, int col, json_t *o) {
  const char *st = db_text(s, col);
  json_object_set_new(o, "status", json_string(cat_status_label(st)));
  json_object_set_new(o, "status_class", json_string(cat_status_class(st)));
  json_object_set_new(o, "pending", json_boolean(!strcmp(st, "deposee")));
  json_object_set_new(o, "refused", json_boolean(!strcmp(st, "refusee")));
  json_object_set_new(o, "draft", json_boolean(!strcmp(st, "brouillon")));
  json_object_set_new(o, "reason", json_string(db_text(s, col + 1)));
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, col + 2), "")));
  json_object_set_new(o, "org_name", json_string(db_text(s, col + 3)));
  json_object_set_new(o, "siret", json_string(db_text(s, col + 4)));
  json_object_set_new(o, "city", json_string(db_text(s, col + 5)));
  json_object_set_new(o, "org_id", json_integer(db_int(s, col + 6)));
}

int cat_load(req *r, const cat_kind *k, int64_t id, int64_t *org, const char **status, const char **title) {
  db_stmt *s = db_query(k->sql_load, "i", id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    if (org) *org = db_int(s, 0);
    if (status) *status = arena_strdup(r->a, db_text(s, 1));
    if (title) *title = arena_strdup(r->a, db_text(s, 2));
  }
  db_done(s);
  return found;
}

int cat_mine_or_reply(req *r, const cat_kind *k, int64_t *id, const char **status, const char **title) {
  if (req_id_or_reply(r, "id", id)) return -1;
  int64_t org = 0;
  int64_t mine = account_org_of(r->me->id, NULL);
  if (!cat_load(r, k, *id, &org, status, title) || !mine || org != mine) {
    res_error(r, 404, _("Cette page n’existe pas."));
    return -1;
  }
  return 0;
}

void cat_db_failed(req *r) {
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

int cat_begin_or_reply(req *r) {
  if (db_begin_write() == 0) return 0;
  cat_db_failed(r);
  return -1;
}

int cat_commit_or_reply(req *r, int ok) {
  if (ok && db_commit() == 0) return 0;
  db_rollback();
  cat_db_failed(r);
  return -1;
}

void cat_list_render(req *r, json_t *d, db_stmt *s, void (*row_fn)(req *, db_stmt *, json_t *), const char *key,
                     const char *tmpl) {
  json_t *list = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *o = json_object();
    row_fn(r, s, o);
    json_array_append_new(list, o);
  }
  db_done(s);
  if (rc != DB_DONE) {
    json_decref(list);
    json_decref(d);
    cat_db_failed(r);
    return;
  }
  json_object_set_new(d, key, list);
  res_page(r, 200, tmpl, d);
}

void cat_org_list_page(req *r, const char *nav, const char *sql, void (*row_fn)(req *, db_stmt *, json_t *),
                       const char *key, const char *tmpl) {
  json_t *d = json_object();
  json_object_set_new(d, nav, json_true());
  int64_t org = account_org_of(r->me->id, NULL);
  json_object_set_new(d, "has_org", json_boolean(org != 0));
  cat_list_render(r, d, db_query(sql, "ii", org, (int64_t)CAT_LIST_MAX), row_fn, key, tmpl);
}

int cat_event(const cat_kind *k, int64_t id, int64_t uid, const char *status, const char *comment) {
  return db_run(k->sql_event, "iiitt", id, now_unix(), uid, status, comment) == DB_DONE ? 0 : -1;
}

json_t *cat_history(req *r, const cat_kind *k, int64_t id) {
  json_t *h = json_array();
  db_stmt *s = db_query(k->sql_history, "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *e = json_object();
    json_object_set_new(e, "date", json_string(fmt_datetime(r->a, db_int(s, 0), "")));
    json_object_set_new(e, "who", json_string(cat_person(r->a, db_text(s, 1), db_text(s, 2), db_text(s, 3))));
    json_object_set_new(e, "status", json_string(cat_status_label(db_text(s, 4))));
    json_object_set_new(e, "status_class", json_string(cat_status_class(db_text(s, 4))));
    json_object_set_new(e, "comment", json_string(db_text(s, 5)));
    json_array_append_new(h, e);
  }
  db_done(s);
  return h;
}

json_t *cat_options(const char *const *codes, const char *const *labels, const char *cur) {
  json_t *l = json_array();
  for (int i = 0; codes[i]; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(codes[i]));
    json_object_set_new(o, "label", json_string(_(labels[i])));
    if (str_eq(cur, codes[i])) json_object_set_new(o, "selected", json_true());
    json_array_append_new(l, o);
  }
  return l;
}

const char *cat_label_of(const char *const *codes, const char *const *labels, const char *code) {
  for (int i = 0; codes[i]; i++)
    if (str_eq(code, codes[i])) return _(labels[i]);
  return code;
}

void cat_review_nav(json_t *d, const char *current) {
  json_t *nav = json_object();
  json_object_set_new(nav, current, json_true());
  json_object_set_new(nav, "labels_todo",
                      json_integer(db_get_int(0, "SELECT count(*) FROM aid_labels WHERE status = 'deposee'", "")));
  json_object_set_new(nav, "equipment_todo",
                      json_integer(db_get_int(0, "SELECT count(*) FROM aid_equipment WHERE status = 'deposee'", "")));
  json_object_set_new(d, "review_nav", nav);
  json_object_set_new(d, "nav_review", json_true());
}

/* ------------------------------------------------------ for the dossiers */

int aid_label_valid(int64_t label_id, int64_t org_id) {
  return db_get_int(0, "SELECT 1 FROM aid_labels WHERE id = ? AND org_id = ? AND status = 'validee'", "ii",
                    label_id, org_id) == 1;
}

int aid_equipment_valid(int64_t equipment_id, int64_t org_id) {
  return db_get_int(0, "SELECT 1 FROM aid_equipment WHERE id = ? AND org_id = ? AND status = 'validee'", "ii",
                    equipment_id, org_id) == 1;
}

/* Appends the {id, name} rows of an open statement to out; count or -1. */
static int append_id_names(db_stmt *s, json_t *out) {
  int n = 0, rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "name", json_string(db_text(s, 1)));
    json_array_append_new(out, o);
    n++;
  }
  db_done(s);
  return rc == DB_DONE ? n : -1;
}

int aid_labels_validated(int64_t org_id, json_t *out) {
  return append_id_names(db_query("SELECT id, name FROM aid_labels WHERE org_id = ? AND status = 'validee'"
                                  " ORDER BY name, id", "i", org_id), out);
}

int aid_equipment_validated(int64_t org_id, json_t *out) {
  return append_id_names(db_query("SELECT id, brand || ' ' || model || ' (' || reference || ')' FROM aid_equipment"
                                  " WHERE org_id = ? AND status = 'validee' ORDER BY 2, id", "i", org_id), out);
}

/* ------------------------------------------------------------ demo data */

void catalog_seed(void) {
  int64_t uid = db_get_int(0, "SELECT id FROM users WHERE email = 'entreprise@guichet.localhost'", "");
  int64_t org = uid ? account_org_of(uid, NULL) : 0;
  if (!org) return;
  int64_t instr = db_get_int(0, "SELECT id FROM users WHERE email = 'instructeur@guichet.localhost'", "");
  int64_t filed = now_unix() - 3 * 86400, decided = filed + 86400;
  int64_t label = db_insert(
      "INSERT INTO aid_labels(org_id, user_id, status, name, departements, parking, housing, company, description,"
      " decided_by, decided_at, created_at, updated_at) VALUES(?,?,'validee',?,?,?,?,0,?,nullif(?,0),?,?,?)",
      NULL, "iitttttiiii", org, uid, "Recharge en copropriété — offre clé en main (démo)", "17,79,85",
      "residentiel_collectif", "collectif",
      "Étude, fourniture et pose de points de recharge individuels pilotables sur les places des copropriétés, "
      "raccordés à l’infrastructure collective. Offre de démonstration.",
      instr, decided, filed, decided);
  if (label > 0) {
    db_run("INSERT INTO aid_label_events(label_id, at, user_id, status) VALUES(?,?,?,'deposee')", "iii", label, filed,
           uid);
    db_run("INSERT INTO aid_label_events(label_id, at, user_id, status, comment) VALUES(?,?,nullif(?,0),'validee',?)",
           "iiit", label, decided, instr, "Offre conforme au cahier des charges.");
  }
  int64_t eq = db_insert("INSERT INTO aid_equipment(org_id, user_id, status, brand, model, reference, power_max_w,"
                         " power_min_w, plug, decided_by, decided_at, created_at, updated_at)"
                         " VALUES(?,?,'validee',?,?,?,22000,3680,'t2',nullif(?,0),?,?,?)",
                         NULL, "iitttiiii", org, uid, "Borne Atlantique", "BA-22 pilotable", "BA22-T2-2026", instr,
                         decided, filed, decided);
  if (eq > 0) {
    db_run("INSERT INTO aid_equipment_events(equipment_id, at, user_id, status) VALUES(?,?,?,'deposee')", "iii", eq,
           filed, uid);
    db_run("INSERT INTO aid_equipment_events(equipment_id, at, user_id, status, comment)"
           " VALUES(?,?,nullif(?,0),'validee',?)", "iiit", eq, decided, instr, "Fiche technique conforme.");
  }
}
