/*
** data_pages.c — personal data (GDPR articles 15, 17 and 20): the pages
** "download everything held about me" (a zip) and "delete my account"
** (after a page that says, feature by feature, what goes and what is
** kept), and the account feature's own part of both (core/privacy.h):
** the account, its roles, sessions, API tokens, the e-mails sent to it,
** its audit entries, and its company with the company's documents.
**
** The company: a member leaves it; its last member takes it along, with
** its documents, unless another feature keeps records pointing at it
** (privacy_keep "organisations": submitted aid requests). Then the company
** stays as a name, a SIRET and an address, without members, documents or
** contact details. The last owner of a company that has other members must
** hand over first.
*/
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/password.h"
#include "core/privacy.h"
#include "features/account/account.h"

int64_t account_org_size(int64_t org) {
  return org ? db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id = ?", "i", org) : 0;
}

/* ------------------------------------------------------------- export */

int account_export_user(int64_t uid, json_t *out, privacy_zip *zip) {
  db_stmt *s = db_query("SELECT id, email, status, civility, last_name, first_name, phone, qualification, created_at,"
                        " confirmed_at, last_login_at, totp_secret IS NOT NULL AS two_factor FROM users WHERE id = ?",
                        "i", uid);
  json_object_set_new(out, "user", db_step(s) == DB_ROW ? privacy_row(s) : json_null());
  db_done(s);
  json_t *roles = json_array();
  s = db_query("SELECT role FROM user_roles WHERE user_id = ? ORDER BY role", "i", uid);
  while (db_step(s) == DB_ROW) json_array_append_new(roles, json_string(db_text(s, 0)));
  db_done(s);
  json_object_set_new(out, "roles", roles);

  int64_t org = account_org_of(uid, NULL);
  s = db_query("SELECT o.id, o.siret, o.kind, o.name, o.address, o.postcode, o.city, o.contact_email, o.contact_phone,"
               " o.created_at, o.updated_at, m.role AS my_role, m.added_at AS joined_at FROM organisations o"
               " JOIN org_members m ON m.org_id = o.id WHERE m.user_id = ?", "i", uid);
  json_object_set_new(out, "organisation", db_step(s) == DB_ROW ? privacy_row(s) : json_null());
  db_done(s);
  json_t *docs = json_array();
  s = db_query("SELECT id, kind, filename, mime, size, created_at, user_id = ? AS uploaded_by_me, hash FROM documents"
               " WHERE org_id = ? ORDER BY id", "ii", uid, org);
  while (db_step(s) == DB_ROW) {
    json_t *o = privacy_row(s);
    const char *name = privacy_zip_add(zip, db_text(s, 7), "documents", db_int(s, 0), db_text(s, 2));
    json_object_del(o, "hash");
    json_object_set_new(o, "file", name ? json_string(name) : json_null());
    json_array_append_new(docs, o);
  }
  db_done(s);
  json_object_set_new(out, "documents", docs);

  json_object_set_new(out, "sessions", privacy_rows(db_query(
      "SELECT created_at, seen_at, ip, user_agent FROM sessions WHERE user_id = ? ORDER BY id", "i", uid)));
  json_object_set_new(out, "api_tokens", privacy_rows(db_query(
      "SELECT name, hint, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id", "i",
      uid)));
  json_object_set_new(out, "emails", privacy_rows(db_query(
      "SELECT o.created_at, o.subject, o.body, o.status, o.sent_at FROM outbox o JOIN users u ON lower(o.to_addr) ="
      " u.email WHERE u.id = ? ORDER BY o.id", "i", uid)));
  json_object_set_new(out, "audit", privacy_rows(db_query(
      "SELECT id, at, action, object, ip, detail FROM audit WHERE user_id = ? ORDER BY id", "i", uid)));
  return 0;
}

/* ------------------------------------------------------------- erasure */

void account_erase_plan(int64_t uid, privacy_erasure *e) {
  privacy_section(e, _("Votre compte"));
  privacy_goes(e, _("Votre compte, votre adresse e-mail et votre mot de passe"));
  privacy_goes(e, _("Vos informations personnelles (civilité, nom, prénom, téléphone, qualification)"));
  privacy_goes(e, _("Vos sessions ouvertes, la connexion en deux étapes et ses codes de secours"));
  int64_t n = db_get_int(0, "SELECT count(*) FROM api_tokens WHERE user_id = ?", "i", uid);
  if (n) privacy_goes(e, _("Vos jetons d’API (%lld)"), (long long)n);
  n = db_get_int(0, "SELECT count(*) FROM outbox WHERE lower(to_addr) = ?", "t", privacy_email(e));
  if (n) privacy_goes(e, _("Les copies des e-mails que la plateforme vous a envoyés (%lld)"), (long long)n);

  int owner = 0;
  int64_t org = account_org_of(uid, &owner);
  int64_t others = account_org_size(org) - (org != 0);
  int64_t ndocs = db_get_int(0, "SELECT count(*) FROM documents WHERE org_id = ?", "i", org);
  if (org && others == 0 && privacy_kept(e, "organisations", org)) {
    privacy_goes(e, _("Les documents de l’entreprise (%lld) et ses coordonnées de contact (e-mail, téléphone)"),
                 (long long)ndocs);
    privacy_stays(e, _("L’entreprise elle-même (raison sociale, SIRET, adresse), sans membre : des demandes "
                       "conservées s’y rattachent (voir plus bas)"));
  } else if (org && others == 0) {
    privacy_goes(e, _("L’entreprise, dont vous êtes le seul membre, et ses documents (%lld)"), (long long)ndocs);
  } else if (org) {
    privacy_goes(e, _("Votre appartenance à l’entreprise"));
    privacy_stays(e, _("L’entreprise et ses documents, qui restent à ses autres membres"));
    if (owner && db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id = ? AND role = 'owner' AND user_id <> ?",
                            "ii", org, uid) == 0)
      privacy_refuse(e, _("Vous êtes le seul responsable de l’entreprise : désignez un autre responsable avant de "
                          "supprimer votre compte."));
  }
  privacy_stays(e, _("Le journal d’audit des actions faites sur la plateforme (identifiant numérique, dates, adresses "
                     "IP), conservé pour la sécurité et la traçabilité exigées d’un service public"));
}

int account_erase_user(int64_t uid, privacy_erasure *e) {
  int64_t org = account_org_of(uid, NULL);
  int ok = 1;
  if (org && account_org_size(org) == 1) {
    db_stmt *s = db_query("SELECT hash FROM documents WHERE org_id = ?", "i", org);
    while (db_step(s) == DB_ROW) privacy_remove_file(e, db_text(s, 0));
    db_done(s);
    if (privacy_kept(e, "organisations", org))
      ok = db_run("DELETE FROM documents WHERE org_id = ?", "i", org) == DB_DONE &&
           db_run("UPDATE organisations SET contact_email = '', contact_phone = '', updated_at = ? WHERE id = ?", "ii",
                  now_unix(), org) == DB_DONE;
    else
      ok = db_run("DELETE FROM organisations WHERE id = ?", "i", org) == DB_DONE; /* members and documents cascade */
  }
  /* The membership, sessions, roles, tokens and codes go with the users row (core). */
  return ok && db_run("DELETE FROM outbox WHERE lower(to_addr) = ?", "t", privacy_email(e)) == DB_DONE &&
                 db_run("DELETE FROM login_failures WHERE email = ?", "t", privacy_email(e)) == DB_DONE
             ? 0
             : -1;
}

/* ------------------------------------------------------------- pages */

void export_get(req *r) {
  const char *path;
  if (privacy_export(r, r->me->id, &path) != 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  audit_log(r->me->id, "user.export", audit_user(r->a, r->me->id), r->ip, "");
  res_file(r, path, "application/zip", "mes-donnees-guichet.zip");
}

/* The page: what goes and what stays, feature by feature. */
static json_t *delete_data(req *r) {
  privacy_erasure *e = privacy_plan(r->a, r->me->id);
  json_t *d = privacy_plan_json(e);
  json_object_set_new(d, "nav_account", json_true());
  if (privacy_refusal(e)) json_object_set_new(d, "refusal", json_string(privacy_refusal(e)));
  return d;
}

void delete_page(req *r) { res_page(r, 200, "account/delete", delete_data(r)); }

void delete_post(req *r) {
  static const char *const fields[] = {"password", NULL};
  form f;
  form_init(&f, r, fields);
  char *hash = db_get_text(r->a, "SELECT password_hash FROM users WHERE id = ?", "i", r->me->id);
  const char *pw = req_form(r, "password");
  const char *refusal = NULL;
  int rc = 1;
  if (!hash || !password_verify(hash, pw ? pw : ""))
    form_error(&f, "password", _("Le mot de passe est incorrect."));
  else if ((rc = privacy_erase(r->a, r->me->id, r->ip, &refusal)) == 1)
    form_error(&f, "password", refusal);
  if (f.nerr) {
    json_t *d = delete_data(r);
    form_into(&f, d);
    res_page(r, 422, "account/delete", d);
    return;
  }
  if (rc != 0) {
    res_error(r, 500, _("La suppression a échoué : réessayez."));
    return;
  }
  r->sess = NULL; /* the session row went with the user */
  r->me = NULL;
  res_cookie(r, "gsid", "", 0);
  res_flash(r, _("Votre compte et vos données personnelles sont supprimés."));
  res_redirect(r, "/");
}
