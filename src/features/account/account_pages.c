/*
** account_pages.c — "Mon compte", as Advenir's: personal information,
** company information (SIRET), the company's documents (Kbis extract,
** identity card of the director) and its members.
**
** Who may do what:
**   - everyone edits their own personal information;
**   - the first person to fill in the company creates the organisation and
**     becomes its owner; owners edit it, add and remove members;
**   - members and owners upload documents and download their company's;
**   - staff with "staff.documents" download anyone's; nobody else sees that
**     a document exists (404, not 403).
*/
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/upload.h"
#include "features/account/account.h"
#include "features/account/siret.h"

static const char *const civilities[] = {"M.", "Mme", NULL};
static const char *const org_kinds[] = {"Entreprise", "Association", "Collectivité", "Bailleur social",
                                        "Syndic de copropriété", "Établissement public", "Autre", NULL};
static const char *const doc_kinds[] = {"kbis", "identity", NULL};

static const char *doc_label(const char *kind) {
  return !strcmp(kind, "kbis") ? _("Extrait Kbis") : _("Pièce d’identité du dirigeant");
}

int64_t account_org_of(int64_t uid, int *owner) {
  db_stmt *s = db_query("SELECT org_id, role FROM org_members WHERE user_id=?", "i", uid);
  int64_t org = 0;
  if (db_step(s) == DB_ROW) {
    org = db_int(s, 0);
    if (owner) *owner = !strcmp(db_text(s, 1), "owner");
  } else if (owner) {
    *owner = 0;
  }
  db_done(s);
  return org;
}

/* What a page needs to know of an account, read in three statements. */
typedef struct acct {
  int personal_ok;           /* civility, names and phone filled in */
  int64_t org;               /* organisation id, 0 if none */
  int owner;                 /* owner of that organisation */
  int has_doc[2];            /* a document of each kind in doc_kinds */
} acct;

/* Reads the account; fills the personal ("p") and company ("c") objects and
** the document list when they are given. */
static void acct_load(int64_t uid, acct *a, json_t *p, json_t *c, json_t *docs) {
  memset(a, 0, sizeof *a);
  db_stmt *s = db_query("SELECT u.civility, u.last_name, u.first_name, u.phone, u.qualification, u.email,"
                        " m.org_id, m.role, o.siret, o.kind, o.name, o.address, o.postcode, o.city,"
                        " o.contact_email, o.contact_phone"
                        " FROM users u LEFT JOIN org_members m ON m.user_id=u.id"
                        " LEFT JOIN organisations o ON o.id=m.org_id WHERE u.id=?", "i", uid);
  if (db_step(s) == DB_ROW) {
    static const char *const pk[] = {"civility", "last_name", "first_name", "phone", "qualification", "email"};
    static const char *const ck[] = {"siret", "kind", "name", "address", "postcode", "city", "contact_email",
                                     "contact_phone"};
    a->personal_ok = 1;
    for (int i = 0; i < 4; i++)
      if (db_is_null(s, i) || !*db_text(s, i)) a->personal_ok = 0;
    if (p)
      for (int i = 0; i < 6; i++) json_object_set_new(p, pk[i], json_string(db_is_null(s, i) ? "" : db_text(s, i)));
    if (!db_is_null(s, 6)) {
      a->org = db_int(s, 6);
      a->owner = !strcmp(db_text(s, 7), "owner");
      if (c)
        for (int i = 0; i < 8; i++) json_object_set_new(c, ck[i], json_string(db_is_null(s, 8 + i) ? "" : db_text(s, 8 + i)));
    }
  }
  db_done(s);
  if (!a->org) return;
  s = db_query("SELECT d.id, d.kind, d.filename, d.size, coalesce(u.email, '') FROM documents d"
               " LEFT JOIN users u ON u.id=d.user_id WHERE d.org_id=? ORDER BY d.kind, d.created_at DESC", "i", a->org);
  while (db_step(s) == DB_ROW) {
    const char *kind = db_text(s, 1);
    for (int i = 0; doc_kinds[i]; i++)
      if (!strcmp(kind, doc_kinds[i])) a->has_doc[i] = 1;
    if (!docs) continue;
    json_t *doc = json_object();
    json_object_set_new(doc, "id", json_integer(db_int(s, 0)));
    json_object_set_new(doc, "label", json_string(doc_label(kind)));
    json_object_set_new(doc, "filename", json_string(db_text(s, 2)));
    json_object_set_new(doc, "size_kb", json_integer((db_int(s, 3) + 1023) / 1024));
    json_object_set_new(doc, "by", json_string(db_text(s, 4)));
    json_array_append_new(docs, doc);
  }
  db_done(s);
}

/* What is still missing before the account is complete, as a JSON array of
** {"text": French sentence, "href": the section of Mon compte that fills it
** in} (empty when complete). */
static json_t *missing_of(const acct *a) {
  json_t *m = json_array();
  if (!a->personal_ok)
    json_array_append_new(m, json_pack("{s:s, s:s}", "text",
                                       _("Vos informations personnelles (civilité, nom, prénom, téléphone)"),
                                       "href", "/compte#personnel"));
  if (!a->org)
    json_array_append_new(m, json_pack("{s:s, s:s}", "text",
                                       _("Les informations de votre entreprise (SIRET, raison sociale, adresse)"),
                                       "href", "/compte#entreprise"));
  for (int i = 0; doc_kinds[i]; i++)
    if (!a->has_doc[i])
      json_array_append_new(m, json_pack("{s:s, s:s}", "text", doc_label(doc_kinds[i]), "href", "/compte#documents"));
  return m;
}

json_t *account_missing(int64_t uid) {
  acct a;
  acct_load(uid, &a, NULL, NULL, NULL);
  return missing_of(&a);
}

int account_is_complete(int64_t uid) {
  acct a;
  acct_load(uid, &a, NULL, NULL, NULL);
  return a.personal_ok && a.org && a.has_doc[0] && a.has_doc[1];
}

/* The organisation kinds for the select, with the current one selected. */
static json_t *kinds_json(const char *cur_kind) {
  json_t *kinds = json_array();
  for (int i = 0; org_kinds[i]; i++) {
    json_t *k = json_object();
    json_object_set_new(k, "value", json_string(org_kinds[i]));
    if (cur_kind && !strcmp(cur_kind, org_kinds[i])) json_object_set_new(k, "selected", json_true());
    json_array_append_new(kinds, k);
  }
  return kinds;
}

/* Fills d with everything the Mon compte page shows. */
static void account_data(req *r, json_t *d) {
  json_t *p = json_object(), *c = json_object(), *docs = json_array();
  acct a;
  acct_load(r->me->id, &a, p, c, docs);
  json_t *missing = missing_of(&a);
  json_object_set_new(d, "nav_account", json_true());
  json_object_set_new(d, "totp", json_boolean(r->me->totp));
  json_object_set_new(d, "complete", json_boolean(json_array_size(missing) == 0));
  json_object_set_new(d, "missing", missing);
  json_object_set_new(d, "has_org", json_boolean(a.org != 0));
  json_object_set_new(d, "org_owner", json_boolean(a.owner || !a.org));
  json_object_set_new(d, "documents", docs);
  json_object_set_new(d, "org_kinds", kinds_json(json_string_value(json_object_get(c, "kind"))));
  json_object_set_new(d, "p", p);
  json_object_set_new(d, "c", c);
}

/* The civility radio buttons checked from d.p.civility. */
static void civility_flags(json_t *d) {
  const char *civ = json_string_value(json_object_get(json_object_get(d, "p"), "civility"));
  json_object_set_new(d, "civ_m", json_boolean(civ && !strcmp(civ, "M.")));
  json_object_set_new(d, "civ_mme", json_boolean(civ && !strcmp(civ, "Mme")));
}

void account_page(req *r) {
  json_t *d = json_object();
  account_data(r, d);
  civility_flags(d);
  res_page(r, 200, "account/account", d);
}

/* Re-shows the page with one form's typed values and errors. */
static void account_redisplay(req *r, form *f, const char *which) {
  json_t *d = json_object();
  account_data(r, d);
  json_t *vals = json_deep_copy(json_object_get(f->data, "f"));
  json_object_set_new(d, which, vals); /* the typed values replace the stored ones */
  json_object_set(d, "err", json_object_get(f->data, "err"));
  json_object_set(d, "errors", json_object_get(f->data, "errors"));
  if (f->nerr) json_object_set_new(d, "has_errors", json_true());
  if (!strcmp(which, "c")) {
    const char *kind = json_string_value(json_object_get(vals, "kind"));
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(d, "org_kinds"), i, k) {
      json_object_del(k, "selected");
      if (kind && !strcmp(kind, json_string_value(json_object_get(k, "value"))))
        json_object_set_new(k, "selected", json_true());
    }
  }
  civility_flags(d);
  res_page(r, 422, "account/account", d);
}

void personal_post(req *r) {
  static const char *const fields[] = {"civility", "last_name", "first_name", "phone", "qualification", NULL};
  form f;
  form_init(&f, r, fields);
  if (form_required(&f, "civility", _("votre civilité"))) form_oneof(&f, "civility", civilities);
  if (form_required(&f, "last_name", _("votre nom"))) form_maxlen(&f, "last_name", 100);
  if (form_required(&f, "first_name", _("votre prénom"))) form_maxlen(&f, "first_name", 100);
  if (form_required(&f, "phone", _("votre numéro de téléphone"))) form_phone(&f, "phone");
  form_maxlen(&f, "qualification", 100);
  if (f.nerr) {
    account_redisplay(r, &f, "p");
    return;
  }
  db_run("UPDATE users SET civility=?, last_name=?, first_name=?, phone=?, qualification=? WHERE id=?", "ttttti",
         form_get(&f, "civility"), form_get(&f, "last_name"), form_get(&f, "first_name"), form_get(&f, "phone"),
         form_get(&f, "qualification"), r->me->id);
  audit_log(r->me->id, "account.personal_update", audit_user(r->a, r->me->id), r->ip, "");
  res_flash(r, _("Vos informations personnelles sont enregistrées."));
  res_redirect(r, "/compte");
}

void company_post(req *r) {
  static const char *const fields[] = {"siret", "kind", "name", "address", "postcode", "city",
                                       "contact_email", "contact_phone", NULL};
  form f;
  form_init(&f, r, fields);
  int owner = 0;
  int64_t org = account_org_of(r->me->id, &owner);
  if (org && !owner) {
    res_error(r, 403, _("Seul le responsable du compte de l’entreprise peut modifier ses informations."));
    return;
  }
  char siret[15] = "";
  if (form_required(&f, "siret", _("le numéro SIRET"))) {
    if (siret_normalize(form_get(&f, "siret"), siret) != 0)
      form_error(&f, "siret", _("Le SIRET compte 14 chiffres (9 du SIREN puis 5 de l’établissement)."));
    else if (!siret_valid(siret))
      form_error(&f, "siret", _("Ce numéro SIRET n’est pas valide : vérifiez les chiffres (clé de contrôle incorrecte)."));
  }
  if (form_required(&f, "kind", _("le type de structure"))) form_oneof(&f, "kind", org_kinds);
  if (form_required(&f, "name", _("la raison sociale"))) form_maxlen(&f, "name", 200);
  if (form_required(&f, "address", _("l’adresse"))) form_maxlen(&f, "address", 300);
  if (form_required(&f, "postcode", _("le code postal"))) form_postcode(&f, "postcode");
  if (form_required(&f, "city", _("la ville"))) form_maxlen(&f, "city", 100);
  if (form_required(&f, "contact_email", _("l’adresse e-mail de contact"))) form_email(&f, "contact_email");
  if (form_required(&f, "contact_phone", _("le téléphone de contact"))) form_phone(&f, "contact_phone");
  if (!f.nerr) {
    int64_t other = db_get_int(0, "SELECT id FROM organisations WHERE siret=?", "t", siret);
    if (other && other != org)
      form_error(&f, "siret", _("Cette entreprise est déjà inscrite : demandez à son responsable de vous "
                                "ajouter comme membre."));
  }
  if (f.nerr) {
    account_redisplay(r, &f, "c");
    return;
  }
  int64_t now = now_unix();
  db_begin_write();
  int rc;
  if (!org) {
    org = db_insert("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email,"
                    " contact_phone, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
                    &rc, "ttttttttii", siret, form_get(&f, "kind"), form_get(&f, "name"),
                    form_get(&f, "address"), form_get(&f, "postcode"), form_get(&f, "city"),
                    form_get(&f, "contact_email"), form_get(&f, "contact_phone"), now, now);
    if (org > 0)
      db_run("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,'owner',?)", "iii", org,
             r->me->id, now);
  } else {
    rc = db_run("UPDATE organisations SET siret=?, kind=?, name=?, address=?, postcode=?, city=?,"
                " contact_email=?, contact_phone=?, updated_at=? WHERE id=?",
                "ttttttttii", siret, form_get(&f, "kind"), form_get(&f, "name"), form_get(&f, "address"),
                form_get(&f, "postcode"), form_get(&f, "city"), form_get(&f, "contact_email"),
                form_get(&f, "contact_phone"), now, org);
  }
  if (org <= 0 || rc != DB_DONE) {
    db_rollback();
    form_error(&f, "siret", _("Cette entreprise est déjà inscrite : demandez à son responsable de vous "
                              "ajouter comme membre."));
    account_redisplay(r, &f, "c");
    return;
  }
  audit_log(r->me->id, "account.company_update", arena_printf(r->a, "org:%lld", (long long)org), r->ip, siret);
  db_commit();
  res_flash(r, _("Les informations de l’entreprise sont enregistrées."));
  res_redirect(r, "/compte");
}

void document_post(req *r) {
  static const char *const fields[] = {"doc_kind", NULL};
  form f;
  form_init(&f, r, fields);
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) form_error(&f, "file", _("Renseignez d’abord les informations de votre entreprise."));
  form_oneof(&f, "doc_kind", doc_kinds);
  form_file *file = req_file(r, "file");
  if (!file && !f.nerr) form_error(&f, "file", _("Choisissez un fichier à déposer."));
  upload_info info;
  const char *err = NULL;
  if (!f.nerr && upload_store(r, file, upload_doc_types, (size_t)config_int("max_upload"), &info, &err) != 0)
    form_error(&f, "file", err);
  if (f.nerr) {
    account_redisplay(r, &f, "d");
    return;
  }
  char name[200];
  snprintf(name, sizeof name, "%s", file->filename[0] ? file->filename : "document");
  const char *kind = form_get(&f, "doc_kind");
  db_begin_write();
  /* A new document of a kind replaces the previous one. */
  db_stmt *s = db_query("SELECT hash FROM documents WHERE org_id=? AND kind=?", "it", org, kind);
  json_t *old = json_array();
  while (db_step(s) == DB_ROW) json_array_append_new(old, json_string(db_text(s, 0)));
  db_done(s);
  db_run("DELETE FROM documents WHERE org_id=? AND kind=?", "it", org, kind);
  int64_t id = db_insert("INSERT INTO documents(org_id, user_id, kind, filename, mime, size, hash, created_at)"
                         " VALUES(?,?,?,?,?,?,?,?)", NULL, "iitttiti", org, r->me->id, kind, name, info.mime,
                         (int64_t)info.size, info.hash, now_unix());
  audit_log(r->me->id, "account.document_upload", arena_printf(r->a, "document:%lld", (long long)id), r->ip, kind);
  db_commit();
  size_t i;
  json_t *h;
  json_array_foreach(old, i, h) {
    const char *hs = json_string_value(h);
    if (strcmp(hs, info.hash) != 0) upload_remove(hs);
  }
  json_decref(old);
  res_flash(r, arena_printf(r->a, _("Document « %s » enregistré."), doc_label(kind)));
  res_redirect(r, "/compte");
}

/* Loads a document the user may read: their company's, or anyone's for
** staff. Answers 404 otherwise and returns 0. */
static int document_load(req *r, int64_t id, int64_t *org, char **hash, char **mime, char **name) {
  db_stmt *s = db_query("SELECT org_id, hash, mime, filename FROM documents WHERE id=?", "i", id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    *org = db_int(s, 0);
    *hash = arena_strdup(r->a, db_text(s, 1));
    *mime = arena_strdup(r->a, db_text(s, 2));
    *name = arena_strdup(r->a, db_text(s, 3));
  }
  db_done(s);
  if (!found || (account_org_of(r->me->id, NULL) != *org && !auth_can(r->me, "staff.documents"))) {
    res_error(r, 404, _("Ce document est introuvable."));
    return 0;
  }
  return 1;
}

void document_get(req *r) {
  int64_t id, org;
  char *hash, *mime, *name;
  if (req_id_or_reply(r, "id", &id) || !document_load(r, id, &org, &hash, &mime, &name)) return;
  if (account_org_of(r->me->id, NULL) != org)
    audit_log(r->me->id, "account.document_staff_read", arena_printf(r->a, "document:%lld", (long long)id), r->ip, "");
  res_file(r, upload_path(r->a, hash), mime, name);
}

void document_delete_post(req *r) {
  int64_t id, org;
  char *hash, *mime, *name;
  if (req_id_or_reply(r, "id", &id) || !document_load(r, id, &org, &hash, &mime, &name)) return;
  if (account_org_of(r->me->id, NULL) != org) {
    res_error(r, 403, _("Seuls les membres de l’entreprise peuvent retirer ses documents."));
    return;
  }
  db_run("DELETE FROM documents WHERE id=?", "i", id);
  upload_remove(hash);
  audit_log(r->me->id, "account.document_delete", arena_printf(r->a, "document:%lld", (long long)id), r->ip, "");
  res_flash(r, _("Le document est retiré."));
  res_redirect(r, "/compte");
}

/* ------------------------------------------------------------- members */

static void org_data(req *r, json_t *d, int64_t org, int owner) {
  json_object_set_new(d, "nav_account", json_true());
  json_object_set_new(d, "owner", json_boolean(owner));
  json_object_set_new(d, "org_name", json_string(db_get_text(r->a, "SELECT name FROM organisations WHERE id=?", "i", org)));
  json_t *list = json_array();
  db_stmt *s = db_query("SELECT u.id, u.email, coalesce(u.first_name,''), coalesce(u.last_name,''), m.role "
                        "FROM org_members m JOIN users u ON u.id=m.user_id WHERE m.org_id=? ORDER BY m.added_at", "i", org);
  while (db_step(s) == DB_ROW) {
    json_t *m = json_object();
    json_object_set_new(m, "id", json_integer(db_int(s, 0)));
    json_object_set_new(m, "email", json_string(db_text(s, 1)));
    json_object_set_new(m, "name", json_string(arena_printf(r->a, "%s %s", db_text(s, 2), db_text(s, 3))));
    json_object_set_new(m, "owner", json_boolean(!strcmp(db_text(s, 4), "owner")));
    json_object_set_new(m, "me", json_boolean(db_int(s, 0) == r->me->id));
    json_array_append_new(list, m);
  }
  db_done(s);
  json_object_set_new(d, "members", list);
}

void org_page(req *r) {
  int owner = 0;
  int64_t org = account_org_of(r->me->id, &owner);
  if (!org) {
    res_flash(r, _("Renseignez d’abord les informations de votre entreprise."));
    res_redirect(r, "/compte");
    return;
  }
  json_t *d = json_object();
  org_data(r, d, org, owner);
  res_page(r, 200, "account/org", d);
}

void org_member_post(req *r) {
  static const char *const fields[] = {"email", "role", NULL};
  static const char *const roles[] = {"member", "owner", NULL};
  int owner = 0;
  int64_t org = account_org_of(r->me->id, &owner);
  if (!org || !owner) {
    res_error(r, 403, _("Seul le responsable du compte de l’entreprise peut gérer ses membres."));
    return;
  }
  form f;
  form_init(&f, r, fields);
  char *email = auth_email_norm(arena_strdup(r->a, form_get(&f, "email")));
  form_set(&f, "email", email);
  if (form_required(&f, "email", _("l’adresse e-mail du membre"))) form_email(&f, "email");
  form_oneof(&f, "role", roles);
  int64_t uid = 0;
  if (!f.nerr) {
    uid = db_get_int(0, "SELECT id FROM users WHERE email=? AND status='active'", "t", email);
    if (!uid)
      form_error(&f, "email", _("Aucun compte actif n’utilise cette adresse : la personne doit d’abord créer "
                                "son compte et confirmer son adresse."));
    else if (account_org_of(uid, NULL))
      form_error(&f, "email", _("Cette personne est déjà membre d’une entreprise."));
  }
  if (f.nerr) {
    json_t *d = json_object();
    org_data(r, d, org, owner);
    form_into(&f, d);
    res_page(r, 422, "account/org", d);
    return;
  }
  db_run("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,?,?)", "iiti", org, uid,
         form_get(&f, "role"), now_unix());
  audit_log(r->me->id, "account.member_add", arena_printf(r->a, "org:%lld", (long long)org), r->ip,
            audit_user(r->a, uid));
  res_flash(r, _("Le membre est ajouté."));
  res_redirect(r, "/compte/organisation");
}

void org_member_delete_post(req *r) {
  int64_t uid;
  if (req_id_or_reply(r, "id", &uid)) return;
  int owner = 0;
  int64_t org = account_org_of(r->me->id, &owner);
  if (!org || (!owner && uid != r->me->id)) {
    res_error(r, 403, _("Seul le responsable du compte de l’entreprise peut gérer ses membres."));
    return;
  }
  if (account_org_of(uid, NULL) != org) {
    res_error(r, 404, _("Cette personne n’est pas membre de votre entreprise."));
    return;
  }
  int64_t owners = db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id=? AND role='owner' AND user_id<>?",
                              "ii", org, uid);
  if (owners == 0) {
    res_error(r, 409, _("L’entreprise doit garder au moins un responsable : désignez-en un autre d’abord."));
    return;
  }
  db_run("DELETE FROM org_members WHERE org_id=? AND user_id=?", "ii", org, uid);
  audit_log(r->me->id, "account.member_remove", arena_printf(r->a, "org:%lld", (long long)org), r->ip,
            audit_user(r->a, uid));
  res_flash(r, _("Le membre est retiré."));
  res_redirect(r, uid == r->me->id ? "/compte" : "/compte/organisation");
}
