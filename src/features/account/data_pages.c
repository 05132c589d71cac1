/*
** data_pages.c — personal data (GDPR articles 15, 17 and 20): download
** everything held about me as a zip (a JSON file and my company's
** documents), and delete my account after a page that says what goes and
** what is kept.
**
** The zip is built in a temporary file (libzip), sent, and removed with the
** request; documents are added from the store by reference, not read into
** memory.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/password.h"
#include "core/upload.h"
#include "features/account/account.h"

/* Rows of a query as an array of objects keyed by column name. */
static json_t *rows_json(db_stmt *s) {
  json_t *arr = json_array();
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    for (int i = 0; i < db_cols(s); i++) {
      if (db_is_null(s, i)) json_object_set_new(o, db_colname(s, i), json_null());
      else json_object_set_new(o, db_colname(s, i), json_string(db_text(s, i)));
    }
    json_array_append_new(arr, o);
  }
  db_done(s);
  return arr;
}

void export_get(req *r) {
  int64_t uid = r->me->id;
  json_t *all = json_object();
  json_object_set_new(all, "format", json_string("guichet-export-1"));
  json_object_set_new(all, "generated_at", json_integer(now_unix()));
  json_object_set_new(all, "user", rows_json(db_query(
      "SELECT id, email, status, civility, last_name, first_name, phone, qualification, created_at, confirmed_at,"
      " last_login_at, totp_secret IS NOT NULL AS two_factor FROM users WHERE id=?", "i", uid)));
  json_object_set_new(all, "roles", rows_json(db_query("SELECT role FROM user_roles WHERE user_id=?", "i", uid)));
  int64_t org = account_org_of(uid, NULL);
  json_object_set_new(all, "organisation", rows_json(db_query(
      "SELECT o.*, m.role AS my_role FROM organisations o JOIN org_members m ON m.org_id=o.id WHERE m.user_id=?", "i", uid)));
  json_object_set_new(all, "documents", rows_json(db_query(
      "SELECT id, kind, filename, mime, size, hash, created_at, user_id=? AS uploaded_by_me FROM documents WHERE org_id=?",
      "ii", uid, org)));
  json_object_set_new(all, "sessions", rows_json(db_query(
      "SELECT created_at, seen_at, ip, user_agent FROM sessions WHERE user_id=?", "i", uid)));
  json_object_set_new(all, "audit", rows_json(db_query(
      "SELECT id, at, action, object, ip, detail FROM audit WHERE user_id=? ORDER BY id", "i", uid)));

  const char *path;
  int fd = req_tmpfile(r, "export", &path);
  if (fd < 0) {
    json_decref(all);
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  close(fd);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_TRUNCATE, &zerr);
  char *json = json_dumps(all, JSON_INDENT(2) | JSON_ENSURE_ASCII);
  json_decref(all);
  int ok = z && json;
  if (ok) {
    zip_source_t *src = zip_source_buffer(z, json, strlen(json), 0);
    ok = src && zip_file_add(z, "donnees.json", src, ZIP_FL_ENC_UTF_8) >= 0;
  }
  db_stmt *s = db_query("SELECT id, kind, filename, hash FROM documents WHERE org_id=?", "i", org);
  while (ok && db_step(s) == DB_ROW) {
    char *fp = upload_path(r->a, db_text(s, 3));
    char *name = arena_printf(r->a, "documents/%lld-%s-%s", (long long)db_int(s, 0), db_text(s, 1), db_text(s, 2));
    for (char *p = name + 10; *p; p++)
      if (*p == '/' || *p == '\\') *p = '_';
    zip_source_t *src = fp ? zip_source_file(z, fp, 0, -1) : NULL;
    if (src && zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) < 0) zip_source_free(src);
  }
  db_done(s);
  if (z) {
    if (!ok) zip_discard(z);
    else if (zip_close(z) != 0) ok = 0;
  }
  free(json);
  if (!ok) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  audit_log(uid, "user.export", audit_user(r->a, uid), r->ip, "");
  res_file(r, path, "application/zip", "mes-donnees-guichet.zip");
}

/* The consequences of deleting, for the confirmation page. */
static void delete_data(req *r, json_t *d) {
  int owner = 0;
  int64_t org = account_org_of(r->me->id, &owner);
  int64_t others = org ? db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id=? AND user_id<>?", "ii", org,
                                    r->me->id) : 0;
  json_object_set_new(d, "nav_account", json_true());
  json_object_set_new(d, "has_org", json_boolean(org != 0));
  json_object_set_new(d, "org_goes", json_boolean(org && others == 0));
  json_object_set_new(d, "org_stays", json_boolean(org && others > 0));
  json_object_set_new(d, "ndocs", json_integer(org ? db_get_int(0, "SELECT count(*) FROM documents WHERE org_id=?", "i", org) : 0));
  json_object_set_new(d, "last_owner", json_boolean(owner && others > 0 &&
      db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id=? AND role='owner' AND user_id<>?", "ii", org, r->me->id) == 0));
}

void delete_page(req *r) {
  json_t *d = json_object();
  delete_data(r, d);
  res_page(r, 200, "account/delete", d);
}

void delete_post(req *r) {
  static const char *const fields[] = {"password", NULL};
  form f;
  form_init(&f, r, fields);
  char *hash = db_get_text(r->a, "SELECT password_hash FROM users WHERE id=?", "i", r->me->id);
  const char *pw = req_form(r, "password");
  json_t *d = json_object();
  delete_data(r, d);
  if (!hash || !password_verify(hash, pw ? pw : "")) form_error(&f, "password", _("Le mot de passe est incorrect."));
  else if (json_is_true(json_object_get(d, "last_owner")))
    form_error(&f, "password", _("Vous êtes le seul responsable de l’entreprise : désignez un autre responsable "
                                 "avant de supprimer votre compte."));
  if (f.nerr) {
    form_into(&f, d);
    res_page(r, 422, "account/delete", d);
    return;
  }
  json_decref(d);
  int64_t uid = r->me->id;
  int64_t org = account_org_of(uid, NULL);
  int64_t others = org ? db_get_int(0, "SELECT count(*) FROM org_members WHERE org_id=? AND user_id<>?", "ii", org, uid) : 0;
  json_t *hashes = json_array();
  db_begin_write();
  if (org && others == 0) {
    db_stmt *s = db_query("SELECT hash FROM documents WHERE org_id=?", "i", org);
    while (db_step(s) == DB_ROW) json_array_append_new(hashes, json_string(db_text(s, 0)));
    db_done(s);
    db_run("DELETE FROM organisations WHERE id=?", "i", org); /* members and documents cascade */
  }
  db_run("DELETE FROM users WHERE id=?", "i", uid); /* sessions, roles, tokens, codes cascade */
  audit_log(uid, "user.delete", audit_user(r->a, uid), r->ip,
            org && others == 0 ? "avec l’entreprise" : "");
  if (db_commit() != 0) {
    json_decref(hashes);
    res_error(r, 500, _("La suppression a échoué : réessayez."));
    return;
  }
  size_t i;
  json_t *h;
  json_array_foreach(hashes, i, h) upload_remove(json_string_value(h));
  json_decref(hashes);
  r->sess = NULL; /* the session row went with the user */
  r->me = NULL;
  res_cookie(r, "gsid", "", 0);
  res_flash(r, _("Votre compte et vos données personnelles sont supprimés."));
  res_redirect(r, "/");
}
