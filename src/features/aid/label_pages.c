/*
** label_pages.c — an installer's label requests ("Labellisation des
** offres"): their organisation's list, the request form, one request with
** its history. The instructors' side is review_pages.c.
**
** Who may do what, checked on every route:
**   - any logged-in member of an organisation sees its requests; a request
**     of another organisation answers 404, like one that does not exist;
**   - filing needs a complete Mon compte (account_is_complete): the form
**     page says what is missing, with links, and the POST refuses (403)
**     whatever the page showed.
** A request is filed as 'deposee' with its first event, in one transaction;
** it is then read-only for the applicant (a refused offer is filed anew).
*/
#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "features/account/account.h"
#include "features/aid/aid.h"
#include "features/aid/catalog.h"

#define NAME_MAX_LEN 200      /* the offer's name */
#define DEPTS_INPUT_MAX 1000  /* the typed zone: every code with separators fits in ~500 */
#define DESC_MAX_LEN 5000     /* the offer's description */

static const char *const parkings[] = {"residentiel_collectif", "maison_individuelle", "entreprise_flotte",
                                       "parking_public", "voirie_publique", "poids_lourds", "autre", NULL};
static const char *const parking_labels[] = {N_("Résidentiel collectif"), N_("Maison individuelle"),
                                             N_("Entreprise / flotte"), N_("Parking ouvert au public"),
                                             N_("Voirie publique"), N_("Poids lourds"), N_("Autre")};
static const char *const housings[] = {"collectif", "maison", "aucun", NULL};
static const char *const housing_labels[] = {N_("Résidence collective"), N_("Maison individuelle"),
                                             N_("Ni l’un ni l’autre")};
static const char *const yesno[] = {"oui", "non", NULL};
static const char *const yesno_labels[] = {N_("Oui"), N_("Non")};

static const char *const fields[] = {"name", "departements", "parking", "housing", "company", "description", NULL};

const char *label_parking_label(const char *code) { return cat_label_of(parkings, parking_labels, code); }

const char *label_depts_display(arena *a, const char *csv) {
  buf b = {0};
  for (const char *p = csv; *p; p++) {
    if (*p == ',') buf_puts(&b, ", ");
    else buf_putc(&b, *p);
  }
  const char *z = arena_strdup(a, buf_str(&b));
  buf_free(&b);
  return z;
}

int label_json(req *r, int64_t id, json_t *o) {
  db_stmt *s = db_query("SELECT l.name, l.departements, l.parking, l.housing, l.company, l.description, "
                        CAT_COMMON_SQL("l") " FROM aid_labels l JOIN organisations o ON o.id = l.org_id"
                        " WHERE l.id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return 0;
  }
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "name", json_string(db_text(s, 0)));
  json_object_set_new(o, "departements", json_string(label_depts_display(r->a, db_text(s, 1))));
  json_object_set_new(o, "parking", json_string(label_parking_label(db_text(s, 2))));
  json_object_set_new(o, "housing", json_string(cat_label_of(housings, housing_labels, db_text(s, 3))));
  json_object_set_new(o, "company", json_string(db_int(s, 4) ? _("Oui") : _("Non")));
  json_object_set_new(o, "description", json_string(db_text(s, 5)));
  cat_common_json(r, s, 6, o);
  db_done(s);
  json_object_set_new(o, "history", cat_history(r, &cat_label, id));
  return 1;
}

/* ------------------------------------------------------------- the list */

static void label_row(req *r, db_stmt *s, json_t *o) {
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "name", json_string(db_text(s, 1)));
  json_object_set_new(o, "departements", json_string(label_depts_display(r->a, db_text(s, 2))));
  json_object_set_new(o, "parking", json_string(label_parking_label(db_text(s, 3))));
  json_object_set_new(o, "status", json_string(cat_status_label(db_text(s, 4))));
  json_object_set_new(o, "status_class", json_string(cat_status_class(db_text(s, 4))));
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, 5), "")));
}

void labels_page(req *r) {
  cat_org_list_page(r, "nav_labels",
                    "SELECT id, name, departements, parking, status, created_at FROM aid_labels WHERE org_id = ?"
                    " ORDER BY created_at DESC, id DESC LIMIT ?",
                    label_row, "labels", "aid/labels");
}

/* ------------------------------------------------------------- the form */

/* Renders the form page: values f (stolen), fm's errors if any; when
** missing is a non-empty array (stolen), the page explains what Mon compte
** lacks instead of showing the form. */
static void form_page(req *r, int status, json_t *f, form *fm, json_t *missing) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_labels", json_true());
  if (missing && json_array_size(missing)) {
    json_object_set_new(d, "incomplete", json_true());
    json_object_set_new(d, "missing", missing);
    json_decref(f);
    res_page(r, status, "aid/label_form", d);
    return;
  }
  json_decref(missing);
  json_object_set_new(d, "parkings", cat_options(parkings, parking_labels, json_string_value(json_object_get(f, "parking"))));
  json_object_set_new(d, "housings", cat_options(housings, housing_labels, json_string_value(json_object_get(f, "housing"))));
  json_object_set_new(d, "companies", cat_options(yesno, yesno_labels, json_string_value(json_object_get(f, "company"))));
  if (fm) form_into(fm, d);
  json_object_set_new(d, "f", f);
  res_page(r, status, "aid/label_form", d);
}

void label_new_page(req *r) {
  json_t *f = json_object();
  for (int i = 0; fields[i]; i++) json_object_set_new(f, fields[i], json_string(""));
  form_page(r, 200, f, NULL, account_missing(r->me->id));
}

/* A label request's values, checked. Strings live in the form or r's arena. */
typedef struct label_in {
  const char *name, *parking, *housing, *description;
  char depts[AID_DEPTS_TEXT];  /* "17,2A,79" */
  int company;                 /* 1: the offer is made for companies */
} label_in;

/* Checks every field, each error in French next to its field. Returns the
** number of errors; fills in when there are none. */
static int label_validate(form *f, label_in *in) {
  memset(in, 0, sizeof *in);
  if (form_required(f, "name", _("le nom de l’offre commerciale"))) form_maxlen(f, "name", NAME_MAX_LEN);
  if (form_required(f, "departements", _("la zone géographique : un ou plusieurs départements")) &&
      form_maxlen(f, "departements", DEPTS_INPUT_MAX)) {
    char bad[32];
    if (aid_departements_parse(form_get(f, "departements"), in->depts, sizeof in->depts, bad, sizeof bad) != 0)
      form_error(f, "departements",
                 *bad ? arena_printf(f->r->a, _("« %s » n’est pas un code de département : indiquez des codes comme 17, "
                                                "2A ou 971, séparés par des virgules."), bad)
                      : _("Indiquez au moins un code de département, par exemple 17."));
  }
  if (!*form_get(f, "parking")) form_error(f, "parking", _("Choisissez le type de stationnement."));
  else form_oneof(f, "parking", parkings);
  if (!*form_get(f, "housing"))
    form_error(f, "housing", _("Indiquez si l’offre vise une résidence collective ou une maison individuelle."));
  else form_oneof(f, "housing", housings);
  if (!*form_get(f, "company")) form_error(f, "company", _("Indiquez si l’offre s’adresse à une entreprise."));
  else form_oneof(f, "company", yesno);
  form_maxlen(f, "description", DESC_MAX_LEN);
  if (f->nerr) return f->nerr;
  in->name = form_get(f, "name");
  in->parking = form_get(f, "parking");
  in->housing = form_get(f, "housing");
  in->company = !strcmp(form_get(f, "company"), "oui");
  in->description = form_get(f, "description");
  return 0;
}

void label_new_post(req *r) {
  form f;
  form_init(&f, r, fields);
  json_t *missing = account_missing(r->me->id);
  if (json_array_size(missing)) {
    form_page(r, 403, json_object(), NULL, missing);
    return;
  }
  json_decref(missing);
  label_in in;
  if (label_validate(&f, &in)) {
    form_page(r, 422, json_deep_copy(json_object_get(f.data, "f")), &f, NULL);
    return;
  }
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) { /* complete implies an organisation; a member removed meanwhile lands here */
    res_error(r, 409, _("Votre compte n’est plus rattaché à une entreprise : vérifiez Mon compte."));
    return;
  }
  int64_t now = now_unix();
  if (cat_begin_or_reply(r)) return;
  int64_t id = db_insert("INSERT INTO aid_labels(org_id, user_id, status, name, departements, parking, housing,"
                         " company, description, created_at, updated_at) VALUES(?,?,'deposee',?,?,?,?,?,?,?,?)",
                         NULL, "iittttitii", org, r->me->id, in.name, in.depts, in.parking, in.housing,
                         (int64_t)in.company, in.description, now, now);
  if (cat_commit_or_reply(r, id > 0 && cat_event(&cat_label, id, r->me->id, "deposee", "") == 0 &&
                                audit_log(r->me->id, "aid.label.file", arena_printf(r->a, "label:%lld", (long long)id),
                                          r->ip, in.name) >= 0))
    return;
  res_flash(r, _("Votre demande de label est déposée : un instructeur va l’examiner. Vous serez prévenu par e-mail."));
  res_redirect(r, arena_printf(r->a, "/aides/labels/%lld", (long long)id));
}

/* ------------------------------------------------------------- one label */

void label_page(req *r) {
  int64_t id;
  const char *status;
  if (cat_mine_or_reply(r, &cat_label, &id, &status, NULL)) return;
  json_t *d = json_object();
  json_object_set_new(d, "nav_labels", json_true());
  /* A validated offer leads on to the programmes open to a request. */
  json_object_set_new(d, "validated", json_boolean(!strcmp(status, "validee")));
  json_t *l = json_object();
  label_json(r, id, l);
  json_object_set_new(d, "l", l);
  res_page(r, 200, "aid/label", d);
}
