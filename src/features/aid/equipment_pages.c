/*
** equipment_pages.c — an organisation's declared charging equipment
** ("Matériels"): brand, model, reference, power range, plug type and
** technical documents (PDF), filed for an instructor's review
** (review_pages.c).
**
** Life cycle: a declaration starts as a draft ('brouillon') so that its
** documents can be added one by one; filing it ('deposee') needs at least
** one document. Drafts and refused declarations can be edited and their
** documents changed; a refused one may be filed again. Filed and
** validated ones are read-only.
**
** Who may do what, checked on every route: members of the owning
** organisation see and change it; anyone else gets 404 on every route that
** takes an id, documents included. Instructors ("aid.review") also
** download the documents of a filed declaration, and that read is audited.
**
** Documents are checked by content (libmagic: PDF only), capped at
** max_upload bytes (10 MB), and stored by content hash (core/upload.h).
*/
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/upload.h"
#include "features/account/account.h"
#include "features/aid/aid.h"
#include "features/aid/catalog.h"

#define TEXT_MAX_LEN 100         /* brand, model, reference */
#define POWER_MAX 400000         /* hundredths of kW: 4 000 kW, above the megawatt truck chargers */
#define FILENAME_MAX_LEN 200     /* bytes of a document's displayed name */

static const char *const plugs[] = {"t2", "t3", "ef", "ccs2", "chademo", "autre", NULL};
static const char *const plug_labels[] = {N_("Type 2 (T2)"), N_("Type 3 (T3)"), N_("Domestique E/F"),
                                          N_("CCS Combo 2"), N_("CHAdeMO"), N_("Autre")};

static const char *const fields[] = {"brand", "model", "reference", "power_max", "power_min", "plug", NULL};

const char *equipment_plug_label(const char *code) { return cat_label_of(plugs, plug_labels, code); }

/* Audits action on equipment id by the user, inside the open transaction:
** 1 when written. */
static int audited(req *r, const char *action, int64_t id, const char *detail) {
  return audit_log(r->me->id, action, arena_printf(r->a, "equipment:%lld", (long long)id), r->ip, detail) >= 0;
}

static int editable(const char *status) { return !strcmp(status, "brouillon") || !strcmp(status, "refusee"); }

/* Columns 0..4 of a row, brand, model, reference, power_max_w,
** power_min_w, into o; powers in kW, with their unit when unit. */
static void specs_json(db_stmt *s, json_t *o, int unit) {
  char kw[32];
  json_object_set_new(o, "brand", json_string(db_text(s, 0)));
  json_object_set_new(o, "model", json_string(db_text(s, 1)));
  json_object_set_new(o, "reference", json_string(db_text(s, 2)));
  aid_format_kw(kw, sizeof kw, db_int(s, 3), unit);
  json_object_set_new(o, "power_max", json_string(kw));
  aid_format_kw(kw, sizeof kw, db_int(s, 4), unit);
  json_object_set_new(o, "power_min", json_string(kw));
}

int equipment_json(req *r, int64_t id, json_t *o) {
  db_stmt *s = db_query("SELECT e.brand, e.model, e.reference, e.power_max_w, e.power_min_w, e.plug, "
                        CAT_COMMON_SQL("e") " FROM aid_equipment e JOIN organisations o ON o.id = e.org_id"
                        " WHERE e.id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return 0;
  }
  json_object_set_new(o, "id", json_integer(id));
  specs_json(s, o, 1);
  json_object_set_new(o, "plug", json_string(equipment_plug_label(db_text(s, 5))));
  int can_edit = editable(db_text(s, 6));
  json_object_set_new(o, "editable", json_boolean(can_edit));
  cat_common_json(r, s, 6, o);
  db_done(s);
  json_t *docs = json_array();
  s = db_query("SELECT id, filename, size, created_at FROM aid_equipment_docs WHERE equipment_id = ? ORDER BY id",
               "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *doc = json_object();
    json_object_set_new(doc, "id", json_integer(db_int(s, 0)));
    json_object_set_new(doc, "filename", json_string(db_text(s, 1)));
    json_object_set_new(doc, "size_kb", json_integer((db_int(s, 2) + 1023) / 1024));
    json_object_set_new(doc, "date", json_string(fmt_datetime(r->a, db_int(s, 3), "")));
    json_array_append_new(docs, doc);
  }
  db_done(s);
  json_object_set_new(o, "can_add_doc", json_boolean(can_edit && json_array_size(docs) < CAT_DOCS_MAX));
  json_object_set_new(o, "docs", docs);
  json_object_set_new(o, "history", cat_history(r, &cat_equipment, id));
  return 1;
}

/* ------------------------------------------------------------- the list */

static void equipment_row(req *r, db_stmt *s, json_t *o) {
  char kw[32];
  UNUSED(r);
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "brand", json_string(db_text(s, 1)));
  json_object_set_new(o, "model", json_string(db_text(s, 2)));
  json_object_set_new(o, "reference", json_string(db_text(s, 3)));
  aid_format_kw(kw, sizeof kw, db_int(s, 4), 1);
  json_object_set_new(o, "power_max", json_string(kw));
  json_object_set_new(o, "plug", json_string(equipment_plug_label(db_text(s, 5))));
  json_object_set_new(o, "status", json_string(cat_status_label(db_text(s, 6))));
  json_object_set_new(o, "status_class", json_string(cat_status_class(db_text(s, 6))));
  json_object_set_new(o, "ndocs", json_integer(db_int(s, 7)));
}

void equipment_list_page(req *r) {
  cat_org_list_page(r, "nav_equipment",
                    "SELECT e.id, e.brand, e.model, e.reference, e.power_max_w, e.plug, e.status,"
                    " (SELECT count(*) FROM aid_equipment_docs WHERE equipment_id = e.id)"
                    " FROM aid_equipment e WHERE e.org_id = ? ORDER BY e.created_at DESC, e.id DESC LIMIT ?",
                    equipment_row, "equipment", "aid/equipment_list");
}

/* ------------------------------------------------------------- the form */

/* Renders the declaration form: new (id 0) or the edit of id; values f
** (stolen) and fm's errors if any. Without an organisation it says so
** instead. */
static void form_page(req *r, int status, int64_t id, json_t *f, form *fm) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_equipment", json_true());
  json_object_set_new(d, "has_org", json_boolean(account_org_of(r->me->id, NULL) != 0));
  json_object_set_new(d, "plugs", cat_options(plugs, plug_labels, json_string_value(json_object_get(f, "plug"))));
  if (fm) form_into(fm, d);
  json_object_set_new(d, "f", f);
  if (id) {
    json_object_set_new(d, "id", json_integer(id));
    json_object_set_new(d, "action", json_string(arena_printf(r->a, "/aides/materiels/%lld/modifier", (long long)id)));
  } else {
    json_object_set_new(d, "action", json_string("/aides/materiels/nouveau"));
  }
  res_page(r, status, "aid/equipment_form", d);
}

/* An equipment's values, checked. Strings live in the form. */
typedef struct equip_in {
  const char *brand, *model, *reference, *plug;
  int64_t max_w, min_w;      /* watts */
} equip_in;

/* A power field in kW into *w (watts): 1, or 0 with the field's error. */
static int power_field(form *f, const char *name, const char *label, int64_t *w) {
  if (!form_required(f, name, label)) return 0;
  int64_t hundredths = 0;
  if (aid_parse_hundredths(form_get(f, name), POWER_MAX, &hundredths) != 0 || hundredths == 0) {
    form_error(f, name, _("Indiquez une puissance en kW supérieure à zéro et de 4 000 kW au plus, avec deux "
                          "décimales au plus (par exemple 22 ou 7,4)."));
    return 0;
  }
  *w = hundredths * 10;
  return 1;
}

/* Checks every field, each error next to its field; the error count. */
static int equip_validate(form *f, equip_in *in) {
  memset(in, 0, sizeof *in);
  if (form_required(f, "brand", _("la marque"))) form_maxlen(f, "brand", TEXT_MAX_LEN);
  if (form_required(f, "model", _("le modèle"))) form_maxlen(f, "model", TEXT_MAX_LEN);
  if (form_required(f, "reference", _("la référence du matériel"))) form_maxlen(f, "reference", TEXT_MAX_LEN);
  int max_ok = power_field(f, "power_max", _("la puissance maximale"), &in->max_w);
  int min_ok = power_field(f, "power_min", _("la puissance minimale"), &in->min_w);
  if (max_ok && min_ok && in->min_w > in->max_w)
    form_error(f, "power_min", _("La puissance minimale doit être inférieure ou égale à la puissance maximale."));
  if (!*form_get(f, "plug")) form_error(f, "plug", _("Choisissez le type de prise."));
  else form_oneof(f, "plug", plugs);
  if (f->nerr) return f->nerr;
  in->brand = form_get(f, "brand");
  in->model = form_get(f, "model");
  in->reference = form_get(f, "reference");
  in->plug = form_get(f, "plug");
  return 0;
}

static json_t *blank_form(void) {
  json_t *f = json_object();
  for (int i = 0; fields[i]; i++) json_object_set_new(f, fields[i], json_string(""));
  return f;
}

void equipment_new_page(req *r) { form_page(r, 200, 0, blank_form(), NULL); }

void equipment_new_post(req *r) {
  form f;
  form_init(&f, r, fields);
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) {
    form_page(r, 403, 0, json_deep_copy(json_object_get(f.data, "f")), NULL);
    return;
  }
  equip_in in;
  if (equip_validate(&f, &in)) {
    form_page(r, 422, 0, json_deep_copy(json_object_get(f.data, "f")), &f);
    return;
  }
  int64_t now = now_unix();
  if (cat_begin_or_reply(r)) return;
  int64_t id = db_insert("INSERT INTO aid_equipment(org_id, user_id, status, brand, model, reference, power_max_w,"
                         " power_min_w, plug, created_at, updated_at) VALUES(?,?,'brouillon',?,?,?,?,?,?,?,?)",
                         NULL, "iitttiitii", org, r->me->id, in.brand, in.model, in.reference, in.max_w, in.min_w,
                         in.plug, now, now);
  if (cat_commit_or_reply(r, id > 0 && cat_event(&cat_equipment, id, r->me->id, "brouillon", "") == 0 &&
                                audited(r, "aid.equipment.create", id, in.reference)))
    return;
  res_flash(r, _("Le matériel est enregistré en brouillon : ajoutez ses documents techniques, puis déposez-le."));
  res_redirect(r, arena_printf(r->a, "/aides/materiels/%lld", (long long)id));
}

/* ------------------------------------------------------------ one item */

/* Renders the page of equipment id, with fm's errors (upload, filing) if
** any. */
static void equipment_render(req *r, int status, int64_t id, form *fm) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_equipment", json_true());
  json_t *e = json_object();
  if (!equipment_json(r, id, e)) {
    json_decref(e);
    json_decref(d);
    res_error(r, 404, _("Cette page n’existe pas."));
    return;
  }
  json_object_set_new(d, "e", e);
  if (fm) form_into(fm, d);
  res_page(r, status, "aid/equipment", d);
}

void equipment_page(req *r) {
  int64_t id;
  if (cat_mine_or_reply(r, &cat_equipment, &id, NULL, NULL)) return;
  equipment_render(r, 200, id, NULL);
}

/* The path's equipment when it is the user's and may still change; else
** answers (404 not theirs, 409 filed or validated) and returns -1. */
static int editable_or_reply(req *r, int64_t *id) {
  const char *st;
  if (cat_mine_or_reply(r, &cat_equipment, id, &st, NULL)) return -1;
  if (!editable(st)) {
    res_error(r, 409, _("Ce matériel est déposé ou validé : il ne peut plus être modifié."));
    return -1;
  }
  return 0;
}

void equipment_edit_page(req *r) {
  int64_t id;
  if (editable_or_reply(r, &id)) return;
  db_stmt *s = db_query("SELECT brand, model, reference, power_max_w, power_min_w, plug FROM aid_equipment WHERE id = ?",
                        "i", id);
  json_t *f = json_object();
  if (db_step(s) == DB_ROW) {
    specs_json(s, f, 0);
    json_object_set_new(f, "plug", json_string(db_text(s, 5)));
  }
  db_done(s);
  form_page(r, 200, id, f, NULL);
}

void equipment_edit_post(req *r) {
  int64_t id;
  if (editable_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, fields);
  equip_in in;
  if (equip_validate(&f, &in)) {
    form_page(r, 422, id, json_deep_copy(json_object_get(f.data, "f")), &f);
    return;
  }
  if (cat_begin_or_reply(r)) return;
  /* Still editable inside the transaction: an instructor cannot have
  ** decided meanwhile, since only filed ones are decided. */
  int rc = db_run("UPDATE aid_equipment SET brand = ?, model = ?, reference = ?, power_max_w = ?, power_min_w = ?,"
                  " plug = ?, updated_at = ? WHERE id = ? AND status IN ('brouillon', 'refusee')",
                  "tttiitii", in.brand, in.model, in.reference, in.max_w, in.min_w, in.plug, now_unix(), id);
  if (cat_commit_or_reply(r, rc == DB_DONE && db_changes() == 1 && audited(r, "aid.equipment.update", id, in.reference)))
    return;
  res_flash(r, _("Les caractéristiques du matériel sont enregistrées."));
  res_redirect(r, arena_printf(r->a, "/aides/materiels/%lld", (long long)id));
}

/* ------------------------------------------------------------ documents */

/* The client's file name, cut to FILENAME_MAX_LEN bytes on a character
** boundary; "document.pdf" when absent or not UTF-8. In r's arena. */
static const char *doc_name(req *r, const char *filename) {
  size_t n = filename ? strlen(filename) : 0;
  if (n > FILENAME_MAX_LEN) {
    n = FILENAME_MAX_LEN;
    while (n > 0 && ((unsigned char)filename[n] & 0xC0) == 0x80) n--;
  }
  if (!n) return "document.pdf";
  char *z = arena_strndup(r->a, filename, n);
  json_t *probe = json_string(z); /* NULL when z is not valid UTF-8 */
  if (!probe) return "document.pdf";
  json_decref(probe);
  return z;
}

void equipment_doc_post(req *r) {
  int64_t id;
  if (editable_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, NULL);
  form_file *file = req_file(r, "file");
  if (!file) form_error(&f, "file", _("Choisissez un fichier PDF à déposer."));
  else if (db_get_int(0, "SELECT count(*) FROM aid_equipment_docs WHERE equipment_id = ?", "i", id) >= CAT_DOCS_MAX)
    form_error(&f, "file",
               arena_printf(r->a, _("%d documents au plus par matériel : retirez-en un avant d’en ajouter."),
                            CAT_DOCS_MAX));
  upload_info info;
  const char *err = NULL;
  if (!f.nerr && upload_store(r, file, upload_pdf_types, (size_t)config_int("max_upload"), &info, &err) != 0)
    form_error(&f, "file", err);
  if (f.nerr) {
    equipment_render(r, 422, id, &f);
    return;
  }
  const char *name = doc_name(r, file->filename);
  if (cat_begin_or_reply(r)) return;
  int64_t doc = db_insert("INSERT INTO aid_equipment_docs(equipment_id, user_id, filename, mime, size, hash, created_at)"
                          " VALUES(?,?,?,?,?,?,?)", NULL, "iittiti", id, r->me->id, name, info.mime,
                          (int64_t)info.size, info.hash, now_unix());
  if (cat_commit_or_reply(r, doc > 0 &&
                                db_run("UPDATE aid_equipment SET updated_at = ? WHERE id = ?", "ii", now_unix(), id) ==
                                    DB_DONE &&
                                audited(r, "aid.equipment.document_upload", id, name)))
    return;
  res_flash(r, arena_printf(r->a, _("Document « %s » ajouté."), name));
  res_redirect(r, arena_printf(r->a, "/aides/materiels/%lld#documents", (long long)id));
}

/* A document of the path's equipment: the equipment's org and status and
** the document's hash, type and name (in r's arena). 1, or 0 when the
** document is not one of that equipment's. */
static int doc_load(req *r, int64_t id, int64_t doc, int64_t *org, const char **status, const char **hash,
                    const char **mime, const char **name) {
  db_stmt *s = db_query("SELECT e.org_id, e.status, d.hash, d.mime, d.filename FROM aid_equipment_docs d"
                        " JOIN aid_equipment e ON e.id = d.equipment_id WHERE d.id = ? AND e.id = ?", "ii", doc, id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    *org = db_int(s, 0);
    *status = arena_strdup(r->a, db_text(s, 1));
    *hash = arena_strdup(r->a, db_text(s, 2));
    *mime = arena_strdup(r->a, db_text(s, 3));
    *name = arena_strdup(r->a, db_text(s, 4));
  }
  db_done(s);
  return found;
}

void equipment_doc_get(req *r) {
  int64_t id, doc, org;
  const char *st, *hash, *mime, *name;
  if (req_id_or_reply(r, "id", &id) || req_id_or_reply(r, "doc", &doc)) return;
  int found = doc_load(r, id, doc, &org, &st, &hash, &mime, &name);
  int mine = found && org == account_org_of(r->me->id, NULL);
  int staff = found && !mine && auth_can(r->me, CAT_REVIEW_CAP) && strcmp(st, "brouillon") != 0;
  if (!mine && !staff) {
    res_error(r, 404, _("Ce document est introuvable."));
    return;
  }
  if (staff) audited(r, "aid.equipment.document_staff_read", id, arena_printf(r->a, "document %lld", (long long)doc));
  res_file(r, upload_path(r->a, hash), mime, name);
}

void equipment_doc_delete_post(req *r) {
  int64_t id, doc, org;
  const char *st, *hash, *mime, *name;
  if (editable_or_reply(r, &id)) return;
  if (req_id_or_reply(r, "doc", &doc)) return;
  if (!doc_load(r, id, doc, &org, &st, &hash, &mime, &name)) {
    res_error(r, 404, _("Ce document est introuvable."));
    return;
  }
  if (cat_begin_or_reply(r)) return;
  if (cat_commit_or_reply(r, db_run("DELETE FROM aid_equipment_docs WHERE id = ?", "i", doc) == DB_DONE &&
                                audited(r, "aid.equipment.document_delete", id, name)))
    return;
  upload_remove(hash); /* kept while another tracked table names it (core/upload.h) */
  res_flash(r, _("Le document est retiré."));
  res_redirect(r, arena_printf(r->a, "/aides/materiels/%lld#documents", (long long)id));
}

/* ---------------------------------------------------------------- filing */

void equipment_submit_post(req *r) {
  int64_t id;
  if (editable_or_reply(r, &id)) return;
  form f;
  form_init(&f, r, NULL);
  if (cat_begin_or_reply(r)) return;
  if (!db_get_int(0, "SELECT count(*) FROM aid_equipment_docs WHERE equipment_id = ?", "i", id)) {
    db_rollback();
    form_error(&f, "file", _("Ajoutez au moins un document technique (fiche technique, certificat…) avant de "
                             "déposer le matériel."));
    equipment_render(r, 422, id, &f);
    return;
  }
  int rc = db_run("UPDATE aid_equipment SET status = 'deposee', updated_at = ? WHERE id = ?"
                  " AND status IN ('brouillon', 'refusee')", "ii", now_unix(), id);
  if (cat_commit_or_reply(r, rc == DB_DONE && db_changes() == 1 &&
                                cat_event(&cat_equipment, id, r->me->id, "deposee", "") == 0 &&
                                audited(r, "aid.equipment.file", id, "")))
    return;
  res_flash(r, _("Le matériel est déposé : un instructeur va l’examiner. Vous serez prévenu par e-mail."));
  res_redirect(r, arena_printf(r->a, "/aides/materiels/%lld", (long long)id));
}
