/*
** apply_pages.c — an organisation's aid requests, from its side: the home
** page "Mes demandes" (/aides), starting a request on a programme, the four
** steps of the form, and the submission. See apply.h for who may do what.
**
** The steps: (1) offer and site, (2) applicant and beneficiary, (3) the
** programme's documents and extra fields, (4) review and submission. Every
** post of a step saves the draft: each value that is well formed is
** written (an empty one too: a draft may be partial), a malformed one keeps
** the value saved before and comes back with its French error (422) —
** nothing that was typed correctly is lost. "Continuer" also requires the
** step's mandatory fields before moving on; the steps stay reachable in any
** order, and step 4 lists what is still missing, with links. Submitting
** goes through aid_dossier_move(), which computes the amount again.
**
** Cost: the home page reads one page of dossiers through the index
** (org_id, updated_at) of migrations/004_apply.sql, and counts them on
** (org_id, status, updated_at); a step reads the dossier, its programme and
** its documents, a handful of indexed statements.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/upload.h"
#include "features/account/account.h"
#include "features/account/siret.h"
#include "features/aid/aid.h"
#include "features/aid/apply.h"
#include "features/aid/apply_rules.h"
#include "features/aid/catalog.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

#define NSTEPS 4
#define ID_MAX 1000000000000LL /* a row id typed in a form: larger is not one of ours */

static const char *const step_titles[NSTEPS] = {N_("Offre et site"), N_("Demandeur et bénéficiaire"),
                                                N_("Pièces et informations complémentaires"),
                                                N_("Vérification et dépôt")};

static const char *const ben_kinds[] = {"copropriete", "entreprise", "collectivite", "particulier", NULL};
static const char *const ben_labels[] = {N_("Copropriété (syndicat des copropriétaires)"), N_("Entreprise"),
                                         N_("Collectivité ou établissement public"), N_("Particulier")};

const char *apply_beneficiary_label(const char *code) {
  for (int i = 0; ben_kinds[i]; i++)
    if (str_eq(code, ben_kinds[i])) return _(ben_labels[i]);
  return code;
}

static void decref_cb(void *p) { json_decref(p); }

json_t *apply_keep(req *r, json_t *v) {
  arena_defer(r->a, decref_cb, v);
  return v;
}

/* Cents for an input field: "12500" or "12500,50"; "" for 0. */
static const char *cents_input(req *r, int64_t cents) {
  if (!cents) return "";
  if (cents % 100 == 0) return arena_printf(r->a, "%lld", (long long)(cents / 100));
  return arena_printf(r->a, "%lld,%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

/* ---------------------------------------------------------------- loading */

int apply_dossier_or_reply(req *r, dossier *d) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return -1;
  int64_t org = account_org_of(r->me->id, NULL);
  db_stmt *s = db_query(
      "SELECT number, programme_id, status, step, coalesce(label_id, 0), site_address, site_postcode, site_city,"
      " departement, points, cost_cents, with_bonus, contact_name, contact_email, contact_phone, beneficiary_kind,"
      " beneficiary_name, beneficiary_siret, beneficiary_email, beneficiary_address, extra, amount_cents,"
      " granted_cents, paid_cents, coalesce(replaces_id, 0), coalesce(replaced_by_id, 0), reason,"
      " coalesce(proofs_due_on, ''), created_at, updated_at, coalesce(submitted_at, 0), coalesce(decided_at, 0)"
      " FROM aid_dossiers WHERE id=? AND org_id=?",
      "ii", id, org);
  int found = org > 0 && db_step(s) == DB_ROW;
  if (found) {
    arena *a = r->a;
    d->id = id;
    d->org_id = org;
    d->number = arena_strdup(a, db_text(s, 0) ? db_text(s, 0) : "");
    d->programme_id = db_int(s, 1);
    d->status = arena_strdup(a, db_text(s, 2));
    d->step = (int)db_int(s, 3);
    d->label_id = db_int(s, 4);
    d->site_address = arena_strdup(a, db_text(s, 5));
    d->site_postcode = arena_strdup(a, db_text(s, 6));
    d->site_city = arena_strdup(a, db_text(s, 7));
    d->departement = arena_strdup(a, db_text(s, 8));
    d->points = db_int(s, 9);
    d->cost_cents = db_int(s, 10);
    d->with_bonus = (int)db_int(s, 11);
    d->contact_name = arena_strdup(a, db_text(s, 12));
    d->contact_email = arena_strdup(a, db_text(s, 13));
    d->contact_phone = arena_strdup(a, db_text(s, 14));
    d->beneficiary_kind = arena_strdup(a, db_text(s, 15));
    d->beneficiary_name = arena_strdup(a, db_text(s, 16));
    d->beneficiary_siret = arena_strdup(a, db_text(s, 17));
    d->beneficiary_email = arena_strdup(a, db_text(s, 18));
    d->beneficiary_address = arena_strdup(a, db_text(s, 19));
    d->extra = arena_strdup(a, db_text(s, 20));
    d->amount_cents = db_int(s, 21);
    d->granted_cents = db_int(s, 22);
    d->paid_cents = db_int(s, 23);
    d->replaces_id = db_int(s, 24);
    d->replaced_by_id = db_int(s, 25);
    d->reason = arena_strdup(a, db_text(s, 26));
    d->proofs_due_on = arena_strdup(a, db_text(s, 27));
    d->created_at = db_int(s, 28);
    d->updated_at = db_int(s, 29);
    d->submitted_at = db_int(s, 30);
    d->decided_at = db_int(s, 31);
  }
  db_done(s);
  if (!found) res_error(r, 404, _("Cette demande d’aide est introuvable."));
  return found ? 0 : -1;
}

int apply_prog_load(req *r, int64_t id, apply_prog *pg) {
  pg->p = apply_keep(r, json_object());
  if (!aid_programme_load(r, id, &pg->ru, pg->p)) return 0;
  pg->docs = apply_keep(r, aid_lines(json_string_value(json_object_get(pg->p, "documents_text"))));
  char *fields = db_get_text(r->a, "SELECT fields FROM aid_programmes WHERE id=?", "i", id);
  pg->fields = json_loads(fields ? fields : "[]", 0, NULL);
  if (!json_is_array(pg->fields)) {
    json_decref(pg->fields);
    pg->fields = json_array();
  }
  apply_keep(r, pg->fields);
  return 1;
}

/* The extra values of a dossier (a new object, {} when unreadable). */
static json_t *extra_of(const dossier *d) {
  json_t *x = json_loads(d->extra, 0, NULL);
  if (json_is_object(x)) return x;
  json_decref(x);
  return json_object();
}

/* ------------------------------------------------------------- documents */

int64_t apply_doc_add(req *r, int64_t dossier_id, const char *kind, int64_t message_id, const form_file *file,
                      const upload_info *info) {
  char name[200];
  snprintf(name, sizeof name, "%s", file->filename && *file->filename ? file->filename : "document");
  return db_insert("INSERT INTO aid_dossier_docs(dossier_id, kind, message_id, user_id, filename, mime, size, hash,"
                   " created_at) VALUES(?,?,nullif(?,0),?,?,?,?,?,?)",
                   NULL, "itiittiti", dossier_id, kind, message_id, r->me->id, name, info->mime,
                   (int64_t)info->size, info->hash, now_unix());
}

int apply_upload(req *r, form_file *file, upload_info *info, const char **err) {
  return upload_store(r, file, upload_doc_types, (size_t)config_int("max_upload"), info, err);
}

int64_t apply_store_doc(req *r, int64_t dossier_id, const char *kind, form_file *file, int replace,
                        const char **err) {
  upload_info info;
  if (apply_upload(r, file, &info, err) != 0) return -1;
  if (db_begin_write() != 0) {
    *err = _("Le document n’a pas pu être enregistré : réessayez dans un instant.");
    return -1;
  }
  json_t *old = apply_keep(r, json_array()); /* the replaced files, removed once nothing names them */
  int ok = 1;
  if (replace) {
    db_stmt *s = db_query("SELECT hash FROM aid_dossier_docs WHERE dossier_id=? AND kind=? AND message_id IS NULL",
                          "it", dossier_id, kind);
    while (db_step(s) == DB_ROW) json_array_append_new(old, json_string(db_text(s, 0)));
    db_done(s);
    ok = db_run("DELETE FROM aid_dossier_docs WHERE dossier_id=? AND kind=? AND message_id IS NULL", "it", dossier_id,
                kind) == DB_DONE;
  }
  int64_t id = ok ? apply_doc_add(r, dossier_id, kind, 0, file, &info) : -1;
  if (id <= 0 || db_commit() != 0) {
    db_rollback();
    *err = _("Le document n’a pas pu être enregistré : réessayez dans un instant.");
    return -1;
  }
  size_t i;
  json_t *h;
  json_array_foreach(old, i, h) {
    if (strcmp(json_string_value(h), info.hash) != 0) upload_remove(json_string_value(h));
  }
  return id;
}

json_t *apply_doc_json(req *r, int64_t dossier_id, int64_t id, const char *filename, int64_t size) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "filename", json_string(filename));
  json_object_set_new(o, "size_kb", json_integer(size < 1024 ? 1 : (size + 1023) / 1024));
  json_object_set_new(o, "href", json_string(arena_printf(r->a, "/aides/dossiers/%lld/documents/%lld",
                                                          (long long)dossier_id, (long long)id)));
  return o;
}

void apply_docs_load(req *r, int64_t dossier_id, apply_docset *ds) {
  ds->by_kind = apply_keep(r, json_object());
  ds->by_id = apply_keep(r, json_object());
  db_stmt *s = db_query("SELECT id, kind, filename, size FROM aid_dossier_docs WHERE dossier_id=?"
                        " AND message_id IS NULL ORDER BY id", "i", dossier_id);
  while (db_step(s) == DB_ROW) {
    json_t *o = apply_doc_json(r, dossier_id, db_int(s, 0), db_text(s, 2), db_int(s, 3));
    json_object_set(ds->by_kind, db_text(s, 1), o);
    json_object_set_new(ds->by_id, arena_printf(r->a, "%lld", (long long)db_int(s, 0)), o);
  }
  db_done(s);
}

/* The document an extra field of type file points to, or NULL. */
static json_t *field_doc(req *r, const apply_docset *ds, json_t *extra, const char *name) {
  json_t *v = json_object_get(extra, name);
  if (!json_is_integer(v)) return NULL;
  return json_object_get(ds->by_id, arena_printf(r->a, "%lld", (long long)json_integer_value(v)));
}

/* The programme's required documents with what the dossier has of each:
** [{"name", "input" ("doc_I"), "doc"?, "err"? (from err, may be NULL)}]. */
static json_t *doc_rows(req *r, const apply_prog *pg, const apply_docset *ds, json_t *err) {
  json_t *rows = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(pg->docs, i, v) {
    json_t *o = json_object();
    const char *in = arena_printf(r->a, "doc_%zu", i);
    json_object_set_new(o, "input", json_string(in));
    json_object_set_new(o, "name", json_string(json_string_value(v)));
    json_t *doc = json_object_get(ds->by_kind, json_string_value(v));
    if (doc) json_object_set(o, "doc", doc);
    json_t *e = json_object_get(err, in);
    if (e) json_object_set(o, "err", e);
    json_array_append_new(rows, o);
  }
  return rows;
}

/* ---------------------------------------------------------------- review */

json_t *apply_review(req *r, const dossier *d, const apply_prog *pg) {
  json_t *o = json_object();
  if (d->label_id) {
    const char *name = db_get_text(r->a, "SELECT name FROM aid_labels WHERE id=? AND org_id=?", "ii", d->label_id,
                                   d->org_id);
    json_object_set_new(o, "label", json_string(name ? name : ""));
  }
  json_object_set_new(o, "site_address", json_string(d->site_address));
  json_object_set_new(o, "site_postcode", json_string(d->site_postcode));
  json_object_set_new(o, "site_city", json_string(d->site_city));
  json_object_set_new(o, "departement", json_string(d->departement));
  if (d->points) json_object_set_new(o, "points", json_integer(d->points));
  if (d->cost_cents) json_object_set_new(o, "cost", json_string(aid_euros(r->a, d->cost_cents)));
  json_object_set_new(o, "with_bonus", json_boolean(d->with_bonus));
  json_object_set_new(o, "contact_name", json_string(d->contact_name));
  json_object_set_new(o, "contact_email", json_string(d->contact_email));
  json_object_set_new(o, "contact_phone", json_string(d->contact_phone));
  json_object_set_new(o, "beneficiary_kind", json_string(*d->beneficiary_kind ? apply_beneficiary_label(d->beneficiary_kind) : ""));
  json_object_set_new(o, "beneficiary_name", json_string(d->beneficiary_name));
  if (*d->beneficiary_siret) {
    char sir[32];
    const char *z = d->beneficiary_siret;
    snprintf(sir, sizeof sir, "%.3s %.3s %.3s %s", z, z + 3, z + 6, strlen(z) == 14 ? z + 9 : "");
    json_object_set_new(o, "beneficiary_siret", json_string(sir));
  }
  json_object_set_new(o, "beneficiary_email", json_string(d->beneficiary_email));
  json_object_set_new(o, "beneficiary_address", json_string(d->beneficiary_address));
  apply_docset ds;
  apply_docs_load(r, d->id, &ds);
  json_object_set_new(o, "documents", doc_rows(r, pg, &ds, NULL));
  size_t i;
  json_t *v;
  json_t *extra = apply_keep(r, extra_of(d)), *rows = json_array();
  json_array_foreach(pg->fields, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    json_t *row = json_object();
    json_object_set_new(row, "label", json_string(json_string_value(json_object_get(v, "label"))));
    if (str_eq(json_string_value(json_object_get(v, "type")), "file")) {
      json_t *doc = field_doc(r, &ds, extra, name);
      if (doc) json_object_set(row, "doc", doc);
    } else {
      char text[AID_FIELD_TEXT_MAX * 4 + 1];
      aid_field_display(v, json_object_get(extra, name), text, sizeof text);
      json_object_set_new(row, "value", json_string(text));
    }
    json_array_append_new(rows, row);
  }
  json_object_set_new(o, "extra", rows);
  /* Before submission the amount is the rule's on what was typed; after,
  ** the requested amount the server computed. */
  if (d->points > 0 && d->cost_cents > 0)
    json_object_set_new(o, "amount", aid_amount_detail(r, &pg->ru, d->cost_cents, d->points, d->with_bonus));
  return o;
}

/* ------------------------------------------------------------ what's missing */

/* Appends {"step", "text", "href"} to list and counts it for its step. */
static void miss(req *r, json_t *list, int counts[NSTEPS + 1], int64_t id, int step, const char *anchor,
                 const char *text) {
  json_t *o = json_object();
  json_object_set_new(o, "step", json_integer(step));
  json_object_set_new(o, "text", json_string(text));
  json_object_set_new(o, "href", json_string(step ? arena_printf(r->a, "/aides/dossiers/%lld/etape/%d#%s",
                                                                  (long long)id, step, anchor)
                                                  : anchor));
  json_array_append_new(list, o);
  counts[step]++;
}

json_t *apply_missing(req *r, const dossier *d, const apply_prog *pg, int counts[NSTEPS + 1]) {
  json_t *l = json_array();
  memset(counts, 0, sizeof(int) * (NSTEPS + 1));
  int64_t id = d->id;
  json_t *acc = apply_keep(r, account_missing(r->me->id));
  size_t i;
  json_t *v;
  json_array_foreach(acc, i, v) {
    miss(r, l, counts, id, 0, json_string_value(json_object_get(v, "href")),
         arena_printf(r->a, _("Votre compte n’est pas complet : %s."), json_string_value(json_object_get(v, "text"))));
  }
  if (!d->label_id) miss(r, l, counts, id, 1, "label_id", _("Choisissez l’offre labellisée qui porte le projet."));
  else if (!aid_label_valid(d->label_id, d->org_id))
    miss(r, l, counts, id, 1, "label_id", _("L’offre choisie n’est plus labellisée : choisissez-en une autre."));
  if (!*d->site_address) miss(r, l, counts, id, 1, "site_address", _("Indiquez l’adresse du site."));
  if (!*d->site_postcode) miss(r, l, counts, id, 1, "site_postcode", _("Indiquez le code postal du site."));
  if (!*d->site_city) miss(r, l, counts, id, 1, "site_city", _("Indiquez la commune du site."));
  if (!d->points) miss(r, l, counts, id, 1, "points", _("Indiquez le nombre de points de recharge."));
  if (!d->cost_cents) miss(r, l, counts, id, 1, "cost", _("Indiquez le coût éligible HT."));
  if (!*d->contact_name) miss(r, l, counts, id, 2, "contact_name", _("Indiquez le nom du contact du demandeur."));
  if (!*d->contact_email) miss(r, l, counts, id, 2, "contact_email", _("Indiquez l’e-mail du contact."));
  if (!*d->contact_phone) miss(r, l, counts, id, 2, "contact_phone", _("Indiquez le téléphone du contact."));
  if (!*d->beneficiary_kind) miss(r, l, counts, id, 2, "beneficiary_kind", _("Indiquez le type de bénéficiaire."));
  if (!*d->beneficiary_name) miss(r, l, counts, id, 2, "beneficiary_name", _("Indiquez le nom du bénéficiaire."));
  if (!strcmp(d->beneficiary_kind, "entreprise") && !*d->beneficiary_siret)
    miss(r, l, counts, id, 2, "beneficiary_siret", _("Indiquez le SIRET de l’entreprise bénéficiaire."));
  if (!*d->beneficiary_email) miss(r, l, counts, id, 2, "beneficiary_email", _("Indiquez l’e-mail du bénéficiaire."));
  if (!*d->beneficiary_address)
    miss(r, l, counts, id, 2, "beneficiary_address", _("Indiquez l’adresse du bénéficiaire."));
  apply_docset ds;
  apply_docs_load(r, d->id, &ds);
  json_array_foreach(pg->docs, i, v) {
    if (!json_object_get(ds.by_kind, json_string_value(v)))
      miss(r, l, counts, id, 3, arena_printf(r->a, "doc_%zu", i),
           arena_printf(r->a, _("Déposez « %s »."), json_string_value(v)));
  }
  json_t *extra = apply_keep(r, extra_of(d));
  json_array_foreach(pg->fields, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *label = json_string_value(json_object_get(v, "label"));
    const char *anchor = arena_printf(r->a, "x_%s", name);
    if (str_eq(json_string_value(json_object_get(v, "type")), "file")) {
      if (json_is_true(json_object_get(v, "required")) && !field_doc(r, &ds, extra, name))
        miss(r, l, counts, id, 3, anchor, arena_printf(r->a, _("Déposez « %s »."), label));
      continue;
    }
    /* A saved answer is checked again: the programme's rules may have changed. */
    char in[AID_FIELD_TEXT_MAX * 4 + 1], err[AID_FIELD_ERR];
    json_t *out = NULL;
    aid_field_input(v, json_object_get(extra, name), in, sizeof in);
    if (aid_field_check(v, in, &out, err, sizeof err) != 0) miss(r, l, counts, id, 3, anchor, arena_strdup(r->a, err));
    json_decref(out);
  }
  return l;
}

/* ------------------------------------------------------------- the home page */

const char *apply_status_class(const char *st) {
  if (!strcmp(st, "validee") || !strcmp(st, "versee")) return "ok";
  if (!strcmp(st, "refusee") || !strcmp(st, "annulee") || !strcmp(st, "expiree")) return "off";
  if (!strcmp(st, "complements") || !strcmp(st, "brouillon")) return "todo";
  return "";
}

/* The dossiers of org, one page, newest change first. */
static json_t *dossier_list(req *r, int64_t org, const char *status, int64_t page) {
  json_t *list = json_array();
  int64_t off = (page - 1) * APPLY_PER_PAGE;
  db_stmt *s = *status
                   ? db_query("SELECT d.id, d.number, p.name, d.status, d.amount_cents, d.granted_cents, d.updated_at"
                              " FROM aid_dossiers d JOIN aid_programmes p ON p.id=d.programme_id"
                              " WHERE d.org_id=? AND d.status=? ORDER BY d.updated_at DESC, d.id DESC LIMIT ? OFFSET ?",
                              "itii", org, status, (int64_t)APPLY_PER_PAGE, off)
                   : db_query("SELECT d.id, d.number, p.name, d.status, d.amount_cents, d.granted_cents, d.updated_at"
                              " FROM aid_dossiers d JOIN aid_programmes p ON p.id=d.programme_id"
                              " WHERE d.org_id=? ORDER BY d.updated_at DESC, d.id DESC LIMIT ? OFFSET ?",
                              "iii", org, (int64_t)APPLY_PER_PAGE, off);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    const char *st = db_text(s, 3);
    int64_t granted = db_int(s, 5), asked = db_int(s, 4);
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "number", json_string(db_text(s, 1) ? db_text(s, 1) : ""));
    json_object_set_new(o, "programme", json_string(db_text(s, 2)));
    json_object_set_new(o, "status", json_string(aid_dossier_status_label(st)));
    json_object_set_new(o, "status_class", json_string(apply_status_class(st)));
    json_object_set_new(o, "draft", json_boolean(!strcmp(st, "brouillon")));
    if (granted || asked) json_object_set_new(o, "amount", json_string(aid_euros(r->a, granted ? granted : asked)));
    json_object_set_new(o, "granted", json_boolean(granted > 0));
    json_object_set_new(o, "updated", json_string(fmt_datetime(r->a, db_int(s, 6), "")));
    json_array_append_new(list, o);
  }
  db_done(s);
  return list;
}

/* The programmes open today, each with "can_apply". */
static json_t *open_programmes(req *r, int can_apply) {
  char today[11];
  fmt_today(today);
  json_t *all = apply_keep(r, aid_programmes_of(r, db_query("SELECT id FROM aid_programmes WHERE active=1"
                                                            " AND opens_on<=? AND closes_on>=? ORDER BY name, id",
                                                            "tt", today, today)));
  json_t *list = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(all, i, o) {
    if (!json_is_true(json_object_get(o, "open"))) continue; /* envelope used up */
    json_object_set_new(o, "can_apply", json_boolean(can_apply));
    json_array_append(list, o);
  }
  return list;
}

void apply_home_page(req *r) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_aid", json_true());
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) {
    json_object_set_new(d, "no_org", json_true());
    json_object_set_new(d, "programmes", open_programmes(r, 0));
    res_page(r, 200, "aid/apply_home", d);
    return;
  }
  json_object_set_new(d, "org_name",
                      jstr(db_get_text(r->a, "SELECT name FROM organisations WHERE id=?", "i", org)));
  json_t *labels = apply_keep(r, json_array());
  int nlabels = aid_labels_validated(org, labels);
  json_t *todo = account_missing(r->me->id);
  size_t i;
  json_t *v;
  json_array_foreach(todo, i, v) {
    json_object_set_new(v, "text", json_string(arena_printf(r->a, _("Mon compte : %s."),
                                                            json_string_value(json_object_get(v, "text")))));
    json_object_set_new(v, "link", json_string(_("Compléter")));
  }
  if (!nlabels)
    json_array_append_new(todo, json_pack("{s:s, s:s, s:s}", "text",
                                          _("Votre entreprise n’a pas d’offre labellisée validée : une demande "
                                            "porte sur une offre labellisée."),
                                          "href", "/aides/labels", "link", _("Demander un label")));
  json_object_set_new(d, "todo", todo);
  /* Filter by status: only a known code counts. */
  const char *status = req_query(r, "statut");
  if (!status || !aid_dossier_status_label(status)) status = "";
  json_t *opts = json_array();
  for (int k = 0; k < aid_ndossier_statuses; k++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(aid_dossier_statuses[k].code));
    json_object_set_new(o, "label", json_string(_(aid_dossier_statuses[k].label)));
    if (!strcmp(status, aid_dossier_statuses[k].code)) json_object_set_new(o, "selected", json_true());
    json_array_append_new(opts, o);
  }
  json_object_set_new(d, "statuses", opts);
  json_object_set_new(d, "statut", json_string(status));
  int64_t total = *status ? db_get_int(0, "SELECT count(*) FROM aid_dossiers WHERE org_id=? AND status=?", "it",
                                       org, status)
                          : db_get_int(0, "SELECT count(*) FROM aid_dossiers WHERE org_id=?", "i", org);
  const char *const keep[] = {"statut", status, NULL};
  int64_t page = listing_pager(d, total, listing_page_arg(r), APPLY_PER_PAGE, keep);
  json_object_set_new(d, "total", json_integer(total));
  json_object_set_new(d, "dossiers", dossier_list(r, org, status, page));
  /* The charging data page, once a dossier takes some (an index lookup). */
  json_object_set_new(d, "has_charge", json_boolean(db_get_int(0, "SELECT 1 FROM aid_dossiers WHERE org_id=? AND"
                                                                  " status IN " CHARGE_OPEN_SQL " LIMIT 1",
                                                                  "i", org) == 1));
  json_object_set_new(d, "programmes", open_programmes(r, nlabels > 0));
  res_page(r, 200, "aid/apply_home", d);
}

/* ------------------------------------------------------------- a new request */

/* Why this user cannot start a request on programme id (ru loaded): 0 when
** they can, else the HTTP status with *why a French sentence and *href
** where to fix it (or NULL). */
static int refuse_new(req *r, const aid_rules *ru, int64_t org, const char **why, const char **href) {
  *href = NULL;
  if (!org) {
    *why = _("Pour déposer une demande d’aide, renseignez d’abord votre entreprise (SIRET) dans Mon compte : "
             "une demande est faite au nom d’une entreprise.");
    *href = "/compte";
    return 403;
  }
  json_t *labels = apply_keep(r, json_array());
  if (aid_labels_validated(org, labels) == 0) {
    *why = _("Votre entreprise n’a pas encore d’offre labellisée validée : une demande d’aide porte sur une offre "
             "labellisée. Demandez un label, puis revenez quand il est validé.");
    *href = "/aides/labels";
    return 403;
  }
  char today[11];
  fmt_today(today);
  aid_state st = aid_status(ru, today, 0, 0);
  if (st != AID_OPEN) {
    char reason[256];
    aid_state_reason(st, ru, reason, sizeof reason);
    *why = arena_strdup(r->a, reason);
    return 409;
  }
  return 0;
}

/* The programme named by ?programme= (GET) or the form (POST); 404 when it
** does not exist. */
static int new_programme_or_reply(req *r, const char *arg, apply_prog *pg, int64_t *id) {
  if (!arg || aid_parse_count(arg, ID_MAX, id) != 0 || !apply_prog_load(r, *id, pg)) {
    res_error(r, 404, _("Ce programme d’aide est introuvable."));
    return -1;
  }
  return 0;
}

static void new_render(req *r, int status, const apply_prog *pg, const char *why, const char *href) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_aid", json_true());
  json_object_set(d, "p", pg->p);
  json_object_set(d, "documents", pg->docs);
  json_t *fields = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(pg->fields, i, v) {
    json_array_append_new(fields, json_string(json_string_value(json_object_get(v, "label"))));
  }
  json_object_set_new(d, "fields", fields);
  if (why) json_object_set_new(d, "refused", json_string(why));
  if (href) json_object_set_new(d, "fix_href", json_string(href));
  res_page(r, status, "aid/apply_new", d);
}

void apply_new_page(req *r) {
  apply_prog pg;
  int64_t pid;
  if (new_programme_or_reply(r, req_query(r, "programme"), &pg, &pid)) return;
  const char *why, *href;
  int st = refuse_new(r, &pg.ru, account_org_of(r->me->id, NULL), &why, &href);
  new_render(r, st ? st : 200, &pg, st ? why : NULL, href);
}

void apply_new_post(req *r) {
  apply_prog pg;
  int64_t pid;
  if (new_programme_or_reply(r, req_form_trim(r, "programme"), &pg, &pid)) return;
  const char *why, *href;
  int64_t org = account_org_of(r->me->id, NULL);
  int st = refuse_new(r, &pg.ru, org, &why, &href);
  if (st) {
    new_render(r, st, &pg, why, href);
    return;
  }
  int64_t id = aid_dossier_create(pid, org, r->me->id);
  if (id <= 0) {
    res_error(r, 500, _("La demande n’a pas pu être créée : réessayez dans un instant."));
    return;
  }
  audit_log(r->me->id, "aid.dossier.create", arena_printf(r->a, "aid_dossier:%lld", (long long)id), r->ip,
            arena_printf(r->a, "programme:%lld", (long long)pid));
  res_flash(r, _("Votre demande est créée en brouillon : elle est enregistrée à chaque étape."));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld/etape/1", (long long)id));
}

/* ------------------------------------------------------------- the steps */

/* A text input of a step. Empty: saved as empty (a draft may be partial),
** with an error on "Continuer". Longer than max or refused by check (which
** writes its own error): the old value is kept. Returns the value to save. */
static const char *text_in(form *f, const char *name, const char *label, size_t max, int next, const char *old,
                           int (*check)(form *, const char *)) {
  const char *v = form_get(f, name);
  if (!*v) {
    if (next) form_required(f, name, label);
    return "";
  }
  if (!form_maxlen(f, name, max) || (check && !check(f, name))) return old;
  return form_get(f, name); /* as check may have written it (a SIRET without its spaces) */
}

static void step1_read(form *f, dossier *d, const apply_prog *pg, int next) {
  const char *v = form_get(f, "label_id");
  int64_t lid = 0;
  if (!*v) {
    if (next) form_error(f, "label_id", _("Choisissez l’offre labellisée de votre entreprise qui porte ce projet."));
    d->label_id = 0;
  } else if (aid_parse_count(v, ID_MAX, &lid) != 0 || !aid_label_valid(lid, d->org_id)) {
    form_error(f, "label_id", _("Choisissez une des offres labellisées et validées de votre entreprise."));
  } else {
    d->label_id = lid;
  }
  d->site_address = text_in(f, "site_address", _("l’adresse du site"), APPLY_TEXT_MAX, next, d->site_address, NULL);
  const char *pc = text_in(f, "site_postcode", _("le code postal du site"), 10, next, d->site_postcode, form_postcode);
  char dep[4] = "";
  if (*pc && aid_departement_of(pc, dep, sizeof dep) != 0) {
    form_error(f, "site_postcode", arena_printf(f->r->a, _("Le code postal %s ne correspond à aucun département."), pc));
  } else {
    d->site_postcode = pc;
    d->departement = arena_strdup(f->r->a, dep);
  }
  d->site_city = text_in(f, "site_city", _("la commune du site"), APPLY_TEXT_MAX, next, d->site_city, NULL);
  v = form_get(f, "points");
  int64_t n;
  if (!*v) {
    if (next) form_required(f, "points", _("le nombre de points de recharge"));
    d->points = 0;
  } else if (aid_parse_count(v, AID_POINTS_MAX, &n) != 0) {
    form_error(f, "points", _("Indiquez un nombre entier de points de recharge, au moins 1 (par exemple 4)."));
  } else {
    d->points = n;
  }
  v = form_get(f, "cost");
  if (!*v) {
    if (next) form_required(f, "cost", _("le coût éligible HT"));
    d->cost_cents = 0;
  } else if (aid_parse_hundredths(v, AID_AMOUNT_MAX, &n) != 0 || n == 0) {
    form_error(f, "cost", _("Indiquez le coût éligible HT en euros, supérieur à zéro, avec deux décimales au plus "
                            "(par exemple 12 500 ou 12 500,50)."));
  } else {
    d->cost_cents = n;
  }
  d->with_bonus = pg->ru.bonus_cents > 0 && !strcmp(form_get(f, "with_bonus"), "1");
}

/* A SIRET input: normalised to 14 digits, Luhn-checked. */
static int siret_check(form *f, const char *name) {
  char d[15];
  if (siret_normalize(form_get(f, name), d) != 0) {
    form_error(f, name, _("Le SIRET compte 14 chiffres (9 du SIREN puis 5 de l’établissement)."));
    return 0;
  }
  if (!siret_valid(d)) {
    form_error(f, name, _("Ce numéro SIRET n’est pas valide : vérifiez les chiffres (clé de contrôle incorrecte)."));
    return 0;
  }
  form_set(f, name, d);
  return 1;
}

static int kind_check(form *f, const char *name) { return form_oneof(f, name, ben_kinds); }

static void step2_read(form *f, dossier *d, int next) {
  d->contact_name = text_in(f, "contact_name", _("le nom du contact"), APPLY_TEXT_MAX, next, d->contact_name, NULL);
  d->contact_email = text_in(f, "contact_email", _("l’e-mail du contact"), 254, next, d->contact_email, form_email);
  d->contact_phone = text_in(f, "contact_phone", _("le téléphone du contact"), 30, next, d->contact_phone, form_phone);
  d->beneficiary_kind = text_in(f, "beneficiary_kind", _("le type de bénéficiaire"), 20, next, d->beneficiary_kind,
                                kind_check);
  d->beneficiary_name = text_in(f, "beneficiary_name", _("le nom du bénéficiaire"), APPLY_TEXT_MAX, next,
                                d->beneficiary_name, NULL);
  int company = !strcmp(form_get(f, "beneficiary_kind"), "entreprise");
  d->beneficiary_siret = text_in(f, "beneficiary_siret", _("le SIRET de l’entreprise bénéficiaire"), 64,
                                 next && company, d->beneficiary_siret, siret_check);
  d->beneficiary_email = text_in(f, "beneficiary_email", _("l’e-mail du bénéficiaire"), 254, next,
                                 d->beneficiary_email, form_email);
  d->beneficiary_address = text_in(f, "beneficiary_address", _("l’adresse du bénéficiaire"), APPLY_TEXT_MAX, next,
                                   d->beneficiary_address, NULL);
}

/* Step 3: the documents (input "doc_I" for the programme's I-th document)
** and the extra fields (input "x_NAME"). Files are stored as they come,
** whatever else is wrong. */
static void step3_read(form *f, dossier *d, const apply_prog *pg, int next) {
  req *r = f->r;
  apply_docset ds;
  apply_docs_load(r, d->id, &ds);
  size_t i;
  json_t *v;
  json_array_foreach(pg->docs, i, v) {
    const char *in = arena_printf(r->a, "doc_%zu", i), *err = NULL;
    form_file *file = req_file(r, in);
    if (file) {
      if (apply_store_doc(r, d->id, json_string_value(v), file, 1, &err) < 0) form_error(f, in, err);
    } else if (next && !json_object_get(ds.by_kind, json_string_value(v))) {
      form_error(f, in, arena_printf(r->a, _("Déposez « %s »."), json_string_value(v)));
    }
  }
  json_t *extra = apply_keep(r, extra_of(d));
  json_array_foreach(pg->fields, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *label = json_string_value(json_object_get(v, "label"));
    const char *in = arena_printf(r->a, "x_%s", name);
    if (str_eq(json_string_value(json_object_get(v, "type")), "file")) {
      form_file *file = req_file(r, in);
      const char *err = NULL;
      if (file) {
        int64_t doc = apply_store_doc(r, d->id, label, file, 1, &err);
        if (doc < 0) form_error(f, in, err);
        else json_object_set_new(extra, name, json_integer(doc));
      } else if (next && json_is_true(json_object_get(v, "required")) && !field_doc(r, &ds, extra, name)) {
        form_error(f, in, arena_printf(r->a, _("Déposez « %s »."), label));
      }
      continue;
    }
    char err[AID_FIELD_ERR];
    json_t *out = NULL;
    const char *typed = form_get(f, in);
    if (!*typed && !next) json_object_del(extra, name); /* a draft may leave it empty */
    else if (aid_field_check(v, typed, &out, err, sizeof err) != 0) form_error(f, in, arena_strdup(r->a, err));
    else if (out) json_object_set_new(extra, name, out);
    else json_object_del(extra, name);
  }
  char *z = json_dumps(extra, JSON_COMPACT | JSON_REAL_PRECISION(15));
  d->extra = arena_strdup(r->a, z ? z : "{}");
  free(z);
}

/* Writes the draft's values of step n — only those, so that two members
** working on different steps do not undo each other. 0, or -1 when it is no
** longer a draft. */
static int dossier_save(const dossier *d, int n) {
  int64_t now = now_unix(), step = n;
  int rc;
  if (n == 1)
    rc = db_run("UPDATE aid_dossiers SET label_id=nullif(?,0), site_address=?, site_postcode=?, site_city=?,"
                " departement=?, points=?, cost_cents=?, with_bonus=?, step=max(step, ?), updated_at=?"
                " WHERE id=? AND status='brouillon'",
                "ittttiiiiii", d->label_id, d->site_address, d->site_postcode, d->site_city, d->departement,
                d->points, d->cost_cents, (int64_t)d->with_bonus, step, now, d->id);
  else if (n == 2)
    rc = db_run("UPDATE aid_dossiers SET contact_name=?, contact_email=?, contact_phone=?, beneficiary_kind=?,"
                " beneficiary_name=?, beneficiary_siret=?, beneficiary_email=?, beneficiary_address=?,"
                " step=max(step, ?), updated_at=? WHERE id=? AND status='brouillon'",
                "ttttttttiii", d->contact_name, d->contact_email, d->contact_phone, d->beneficiary_kind,
                d->beneficiary_name, d->beneficiary_siret, d->beneficiary_email, d->beneficiary_address, step, now,
                d->id);
  else
    rc = db_run("UPDATE aid_dossiers SET extra=?, step=max(step, ?), updated_at=? WHERE id=? AND status='brouillon'",
                "tiii", d->extra, step, now, d->id);
  return rc == DB_DONE && db_changes() == 1 ? 0 : -1;
}

/* The values a step's form shows for the saved dossier. */
static json_t *step_values(req *r, const dossier *d, const apply_prog *pg, int n) {
  json_t *f = json_object();
  if (n == 1) {
    json_object_set_new(f, "label_id", json_string(d->label_id ? arena_printf(r->a, "%lld", (long long)d->label_id) : ""));
    json_object_set_new(f, "site_address", json_string(d->site_address));
    json_object_set_new(f, "site_postcode", json_string(d->site_postcode));
    json_object_set_new(f, "site_city", json_string(d->site_city));
    json_object_set_new(f, "points", json_string(d->points ? arena_printf(r->a, "%lld", (long long)d->points) : ""));
    json_object_set_new(f, "cost", json_string(cents_input(r, d->cost_cents)));
    json_object_set_new(f, "with_bonus", json_string(d->with_bonus ? "1" : ""));
  } else if (n == 2) {
    const char *name = d->contact_name, *email = d->contact_email, *phone = d->contact_phone;
    if (!*name && !*email && !*phone) { /* first visit: the contact is who fills in the form */
      db_stmt *s = db_query("SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), email,"
                            " coalesce(phone, '') FROM users WHERE id=?", "i", r->me->id);
      if (db_step(s) == DB_ROW) {
        name = arena_strdup(r->a, db_text(s, 0));
        email = arena_strdup(r->a, db_text(s, 1));
        phone = arena_strdup(r->a, db_text(s, 2));
      }
      db_done(s);
    }
    json_object_set_new(f, "contact_name", json_string(name));
    json_object_set_new(f, "contact_email", json_string(email));
    json_object_set_new(f, "contact_phone", json_string(phone));
    json_object_set_new(f, "beneficiary_kind", json_string(d->beneficiary_kind));
    json_object_set_new(f, "beneficiary_name", json_string(d->beneficiary_name));
    json_object_set_new(f, "beneficiary_siret", json_string(d->beneficiary_siret));
    json_object_set_new(f, "beneficiary_email", json_string(d->beneficiary_email));
    json_object_set_new(f, "beneficiary_address", json_string(d->beneficiary_address));
  } else if (n == 3) {
    json_t *extra = apply_keep(r, extra_of(d));
    size_t i;
    json_t *v;
    json_array_foreach(pg->fields, i, v) {
      const char *name = json_string_value(json_object_get(v, "name"));
      char in[AID_FIELD_TEXT_MAX * 4 + 1];
      aid_field_input(v, json_object_get(extra, name), in, sizeof in);
      json_object_set_new(f, arena_printf(r->a, "x_%s", name), json_string(in));
    }
  }
  return f;
}

/* Step 3's inputs: the documents and the extra fields, with their values
** (from f) and errors (from err). */
static void step3_data(req *r, const dossier *d, const apply_prog *pg, json_t *f, json_t *err, json_t *data) {
  apply_docset ds;
  apply_docs_load(r, d->id, &ds);
  json_object_set_new(data, "documents", doc_rows(r, pg, &ds, err));
  size_t i;
  json_t *v;
  json_t *extra = apply_keep(r, extra_of(d)), *fields = json_array();
  json_array_foreach(pg->fields, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *in = arena_printf(r->a, "x_%s", name);
    const char *val = json_string_value(json_object_get(f, in));
    json_t *o = json_object(), *is = json_object();
    json_object_set_new(is, type ? type : "text", json_true());
    json_object_set_new(o, "is", is);
    json_object_set_new(o, "input", json_string(in));
    json_object_set_new(o, "label", json_string(json_string_value(json_object_get(v, "label"))));
    json_object_set_new(o, "required", json_boolean(json_is_true(json_object_get(v, "required"))));
    json_object_set_new(o, "value", json_string(val ? val : ""));
    json_object_set_new(o, "yes", json_boolean(str_eq(val, "oui")));
    json_object_set_new(o, "no", json_boolean(str_eq(val, "non")));
    json_t *hint = NULL, *jmin = json_object_get(v, "min"), *jmax = json_object_get(v, "max");
    if (str_eq(type, "text") && (jmin || jmax)) {
      if (jmin && jmax)
        hint = json_string(arena_printf(r->a, _("de %lld à %lld caractères"), (long long)json_integer_value(jmin),
                                        (long long)json_integer_value(jmax)));
      else if (jmin) hint = json_string(arena_printf(r->a, _("%lld caractères au moins"), (long long)json_integer_value(jmin)));
      else hint = json_string(arena_printf(r->a, _("%lld caractères au plus"), (long long)json_integer_value(jmax)));
    } else if (str_eq(type, "number") && (jmin || jmax)) {
      char a[48] = "", b[48] = "";
      if (jmin) aid_field_input(v, jmin, a, sizeof a);
      if (jmax) aid_field_input(v, jmax, b, sizeof b);
      hint = json_string(jmin && jmax ? arena_printf(r->a, _("entre %s et %s"), a, b)
                         : jmin       ? arena_printf(r->a, _("au moins %s"), a)
                                      : arena_printf(r->a, _("au plus %s"), b));
    }
    if (hint) json_object_set_new(o, "hint", hint);
    if (str_eq(type, "choice")) {
      json_t *ch = json_array();
      size_t k;
      json_t *c;
      json_array_foreach(json_object_get(v, "choices"), k, c) {
        json_t *co = json_object();
        json_object_set_new(co, "value", json_string(json_string_value(c)));
        if (str_eq(val, json_string_value(c))) json_object_set_new(co, "selected", json_true());
        json_array_append_new(ch, co);
      }
      json_object_set_new(o, "choices", ch);
    }
    if (str_eq(type, "file")) {
      json_t *doc = field_doc(r, &ds, extra, name);
      if (doc) json_object_set(o, "doc", doc);
    }
    json_t *e = json_object_get(err, in);
    if (e) json_object_set(o, "err", e);
    json_array_append_new(fields, o);
  }
  json_object_set_new(data, "fields", fields);
}

/* Renders step n of dossier d: the saved values, or with fm those typed
** and their errors. */
static void step_render(req *r, int status, dossier *d, const apply_prog *pg, int n, form *fm) {
  json_t *data = json_object();
  json_object_set_new(data, "nav_aid", json_true());
  json_object_set_new(data, "id", json_integer(d->id));
  json_object_set_new(data, "number", json_string(d->number));
  json_object_set(data, "p", pg->p);
  json_object_set_new(data, "action", json_string(arena_printf(r->a, "/aides/dossiers/%lld/etape/%d",
                                                               (long long)d->id, n)));
  int counts[NSTEPS + 1];
  json_t *missing = apply_missing(r, d, pg, counts);
  json_t *steps = json_array();
  for (int i = 1; i <= NSTEPS; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer(i));
    json_object_set_new(o, "title", json_string(_(step_titles[i - 1])));
    json_object_set_new(o, "href", json_string(arena_printf(r->a, "/aides/dossiers/%lld/etape/%d", (long long)d->id, i)));
    if (i == n) json_object_set_new(o, "current", json_true());
    if (i < NSTEPS && counts[i]) json_object_set_new(o, "todo", json_integer(counts[i]));
    json_array_append_new(steps, o);
  }
  json_object_set_new(data, "steps", steps);
  json_object_set_new(data, "step", json_integer(n));
  json_object_set_new(data, "step_title", json_string(_(step_titles[n - 1])));
  if (n < NSTEPS)
    json_object_set_new(data, "next_title", json_string(_(step_titles[n])));
  json_t *f;
  if (fm) {
    form_into(fm, data);
    f = json_object_get(data, "f");
  } else {
    f = step_values(r, d, pg, n);
    json_object_set_new(data, "f", f);
  }
  json_t *err = json_object_get(data, "err");
  if (n == 1) {
    json_t *labels = json_array();
    aid_labels_validated(d->org_id, labels);
    size_t i;
    json_t *v;
    const char *cur = json_string_value(json_object_get(f, "label_id"));
    json_array_foreach(labels, i, v) {
      if (str_eq(cur, arena_printf(r->a, "%lld", (long long)json_integer_value(json_object_get(v, "id")))))
        json_object_set_new(v, "selected", json_true());
    }
    json_object_set_new(data, "labels", labels);
    json_object_set_new(data, "with_bonus", json_boolean(str_eq(json_string_value(json_object_get(f, "with_bonus")), "1")));
  } else if (n == 2) {
    json_object_set_new(data, "kinds", cat_options(ben_kinds, ben_labels, json_string_value(json_object_get(f, "beneficiary_kind"))));
  } else if (n == 3) {
    step3_data(r, d, pg, f, err, data);
  } else {
    json_object_set_new(data, "review", apply_review(r, d, pg));
    json_object_set_new(data, "edit", json_true());
    json_object_set(data, "missing", missing);
    char today[11];
    fmt_today(today);
    int64_t amount = d->points && d->cost_cents ? aid_amount(&pg->ru, d->cost_cents, d->points, d->with_bonus) : 0;
    aid_state st = aid_status(&pg->ru, today, amount, d->points);
    if (st != AID_OPEN) {
      char reason[256];
      aid_state_reason(st, &pg->ru, reason, sizeof reason);
      json_object_set_new(data, "closed", json_string(reason));
    }
    json_object_set_new(data, "can_submit", json_boolean(json_array_size(missing) == 0 && st == AID_OPEN));
  }
  json_decref(missing);
  res_page(r, status, arena_printf(r->a, "aid/apply_step%d", n), data);
}

/* The path's step number (1..4); answers 404 otherwise. */
static int step_or_reply(req *r, int *n) {
  const char *z = req_param(r, "step");
  if (!z || strlen(z) != 1 || z[0] < '1' || z[0] > '0' + NSTEPS) {
    res_error(r, 404, _("Cette page n’existe pas."));
    return -1;
  }
  *n = z[0] - '0';
  return 0;
}

/* A dossier no longer a draft is not edited: its page says what it is. */
static int draft_or_redirect(req *r, const dossier *d) {
  if (!strcmp(d->status, "brouillon")) return 0;
  res_flash(r, arena_printf(r->a, _("La demande N° %s est « %s » : elle ne se modifie plus étape par étape."),
                            d->number, aid_dossier_status_label(d->status)));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld", (long long)d->id));
  return -1;
}

/* The dossier, its programme and the step for a step route; 0, or -1 when
** answered. */
static int step_load(req *r, dossier *d, apply_prog *pg, int *n) {
  if (apply_dossier_or_reply(r, d) || step_or_reply(r, n) || draft_or_redirect(r, d)) return -1;
  if (!apply_prog_load(r, d->programme_id, pg)) {
    res_error(r, 500, _("Le programme de cette demande est introuvable."));
    return -1;
  }
  return 0;
}

void apply_step_page(req *r) {
  dossier d;
  apply_prog pg;
  int n;
  if (step_load(r, &d, &pg, &n)) return;
  step_render(r, 200, &d, &pg, n, NULL);
}

void apply_step_post(req *r) {
  static const char *const f1[] = {"label_id", "site_address", "site_postcode", "site_city", "points", "cost",
                                   "with_bonus", NULL};
  static const char *const f2[] = {"contact_name", "contact_email", "contact_phone", "beneficiary_kind",
                                   "beneficiary_name", "beneficiary_siret", "beneficiary_email",
                                   "beneficiary_address", NULL};
  dossier d;
  apply_prog pg;
  int n;
  if (step_load(r, &d, &pg, &n)) return;
  if (n == NSTEPS) {
    res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld/etape/%d", (long long)d.id, NSTEPS));
    return;
  }
  int next = str_eq(req_form(r, "action"), "continuer");
  form f;
  if (n == 3) {
    const char **names = arena_alloc(r->a, sizeof(char *) * (json_array_size(pg.fields) + 1));
    size_t i, k = 0;
    json_t *v;
    json_array_foreach(pg.fields, i, v) {
      names[k++] = arena_printf(r->a, "x_%s", json_string_value(json_object_get(v, "name")));
    }
    form_init(&f, r, names);
  } else {
    form_init(&f, r, n == 1 ? f1 : f2);
  }
  if (n == 1) step1_read(&f, &d, &pg, next);
  else if (n == 2) step2_read(&f, &d, next);
  else step3_read(&f, &d, &pg, next);
  if (dossier_save(&d, n) != 0) {
    res_error(r, 409, _("La demande n’est plus un brouillon : elle n’a pas été modifiée."));
    return;
  }
  if (f.nerr) {
    step_render(r, 422, &d, &pg, n, &f);
    return;
  }
  if (next) {
    res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld/etape/%d", (long long)d.id, n + 1));
    return;
  }
  res_flash(r, _("Brouillon enregistré : vous pouvez le reprendre quand vous voulez depuis « Mes demandes »."));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld/etape/%d", (long long)d.id, n));
}

void apply_submit_post(req *r) {
  static const char *const names[] = {"attest", NULL};
  dossier d;
  apply_prog pg;
  if (apply_dossier_or_reply(r, &d) || draft_or_redirect(r, &d)) return;
  if (!apply_prog_load(r, d.programme_id, &pg)) {
    res_error(r, 500, _("Le programme de cette demande est introuvable."));
    return;
  }
  form f;
  form_init(&f, r, names);
  int counts[NSTEPS + 1];
  json_t *missing = apply_keep(r, apply_missing(r, &d, &pg, counts));
  if (json_array_size(missing))
    form_error(&f, "missing", _("La demande est incomplète : complétez d’abord ce qui est listé ci-dessous."));
  if (strcmp(form_get(&f, "attest"), "1") != 0)
    form_error(&f, "attest", _("Cochez l’attestation pour déposer la demande."));
  char msg[512] = "";
  if (!f.nerr && aid_dossier_move(d.id, "deposee", AID_APPLICANT, r->me->id, "", msg, sizeof msg) != AID_MOVE_OK)
    form_error(&f, "submit", msg);
  if (f.nerr) {
    step_render(r, json_object_get(json_object_get(f.data, "err"), "submit") ? 409 : 422, &d, &pg, NSTEPS, &f);
    return;
  }
  res_flash(r, arena_printf(r->a, _("Votre demande N° %s est déposée : un e-mail de confirmation est envoyé à %s."),
                            d.number, *d.contact_email ? d.contact_email : r->me->email));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld", (long long)d.id));
}
