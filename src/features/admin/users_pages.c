/*
** users_pages.c — user accounts for administrators: the searchable list,
** one account's details, its roles and whether it may log in.
**
** Rules, enforced here on every POST whatever the form showed:
**   - only a superadmin grants or removes the superadmin role, and only a
**     superadmin disables a superadmin's account (others get 403);
**   - nobody disables their own account, nor changes their own roles so
**     that they would lose "admin.users" (the page they are on): that is
**     how the last administrator locks everyone out;
**   - disabling deletes the account's sessions at once (auth.c would also
**     refuse them at the next request, but a session row is a live
**     credential and should not outlive the decision);
**   - every change is audited, old → new, in the same transaction as the
**     change, and the user is told by e-mail when disabled or re-enabled.
** Roles that the code no longer knows are left in place, untouched.
**
** Costs: the list is two statements (count, page) over users with a LIKE
** scan when searching; users is small next to audit and outbox.
*/
#include <assert.h>
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/mail.h"
#include "features/admin/admin.h"

#define MAX_ROLES 16 /* auth.c has room for 16 roles too (g_role_caps) */

static const char *const statuses[] = {"pending", "active", "disabled", NULL};

static const char *status_label(const char *st) {
  if (!strcmp(st, "active")) return _("Actif");
  if (!strcmp(st, "pending")) return _("En attente de confirmation");
  return _("Désactivé");
}

/* Badge class of a status (guichet.css: ok, todo, off). */
static const char *status_class(const char *st) {
  if (!strcmp(st, "active")) return "ok";
  if (!strcmp(st, "pending")) return "todo";
  return "off";
}

static int role_idx(const char *name) {
  for (int i = 0; i < auth_nroles; i++)
    if (!strcmp(auth_roles[i].name, name)) return i;
  return -1;
}

/* 1 when the comma-separated list csv names role. */
static int csv_has(const char *csv, const char *role) {
  size_t n = strlen(role);
  for (const char *p = csv; p && *p;) {
    const char *e = strchr(p, ',');
    size_t k = e ? (size_t)(e - p) : strlen(p);
    if (k == n && !strncmp(p, role, n)) return 1;
    p = e ? e + 1 : NULL;
  }
  return 0;
}

/* The roles of a set (one flag per auth_roles entry) as "a,b" in display
** order, "" for none; in the arena. */
static const char *roles_csv(arena *a, const int *set) {
  buf b = {0};
  for (int i = 0; i < auth_nroles; i++)
    if (set[i]) {
      if (b.n) buf_putc(&b, ',');
      buf_puts(&b, auth_roles[i].name);
    }
  const char *z = arena_strdup(a, buf_str(&b));
  buf_free(&b);
  return z;
}

/* French labels of the known roles in csv, in display order. */
static json_t *roles_labels(const char *csv) {
  json_t *l = json_array();
  for (int i = 0; i < auth_nroles; i++)
    if (csv_has(csv, auth_roles[i].name)) json_array_append_new(l, json_string(_(auth_roles[i].label)));
  return l;
}

/* The stored roles of a user as one flag per auth_roles entry. */
static void roles_stored(int64_t uid, int *set) {
  for (int i = 0; i < MAX_ROLES; i++) set[i] = 0;
  db_stmt *s = db_query("SELECT role FROM user_roles WHERE user_id=?", "i", uid);
  while (db_step(s) == DB_ROW) {
    int i = role_idx(db_text(s, 0));
    if (i >= 0) set[i] = 1;
  }
  db_done(s);
}

static const char *full_name(arena *a, const char *first, const char *last) {
  first = first ? first : "";
  last = last ? last : "";
  if (!*first && !*last) return "";
  return arena_printf(a, "%s%s%s", first, *first && *last ? " " : "", last);
}

void admin_home_page(req *r) { res_redirect(r, "/admin/utilisateurs"); }

/* ----------------------------------------------------------------- list */

void users_page(req *r) {
  json_t *d = json_object();
  admin_nav(d, "users");
  form f;
  form_init(&f, r, NULL);
  const char *q = req_query_trim(r, "q"), *role = req_query_trim(r, "role"), *st = req_query_trim(r, "statut");
  form_set(&f, "q", q);
  if (strlen(q) > LISTING_FILTER_MAX) form_error(&f, "q", arena_printf(r->a, _("%d caractères au plus."), LISTING_FILTER_MAX));
  if (*role && !auth_role_known(role)) role = ""; /* only a forged URL gets here: show everyone */
  int st_ok = 0;
  for (int i = 0; statuses[i]; i++) st_ok |= !strcmp(st, statuses[i]);
  if (!st_ok) st = "";

  json_t *ropts = json_array();
  for (int i = 0; i < auth_nroles; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(auth_roles[i].name));
    json_object_set_new(o, "label", json_string(_(auth_roles[i].label)));
    if (!strcmp(role, auth_roles[i].name)) json_object_set_new(o, "selected", json_true());
    json_array_append_new(ropts, o);
  }
  json_object_set_new(d, "role_opts", ropts);
  json_t *sopts = json_array();
  for (int i = 0; statuses[i]; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(statuses[i]));
    json_object_set_new(o, "label", json_string(status_label(statuses[i])));
    if (!strcmp(st, statuses[i])) json_object_set_new(o, "selected", json_true());
    json_array_append_new(sopts, o);
  }
  json_object_set_new(d, "status_opts", sopts);
  if (f.nerr) {
    form_into(&f, d);
    res_page(r, 422, "admin/users", d);
    return;
  }

  listing_query w = {0};
  if (*q) {
    buf b = {0};
    listing_like_contains(&b, q);
    const char *pat = arena_strdup(r->a, buf_str(&b));
    buf_free(&b);
    listing_query_and(&w, "(u.email LIKE ? ESCAPE '\\'"
                        " OR coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') LIKE ? ESCAPE '\\'"
                        " OR coalesce(u.last_name, '') || ' ' || coalesce(u.first_name, '') LIKE ? ESCAPE '\\')");
    for (int i = 0; i < 3; i++) listing_query_text(&w, pat);
  }
  if (*role) {
    listing_query_and(&w, "EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role = ?)");
    listing_query_text(&w, role);
  }
  if (*st) {
    listing_query_and(&w, "u.status = ?");
    listing_query_text(&w, st);
  }
  int64_t total;
  if (listing_count_or_reply(r, &w, "SELECT count(*) FROM users u", d, &total)) return;
  const char *keep[] = {"q", q, "role", role, "statut", st, NULL};
  int64_t page = listing_pager(d, total, listing_page_arg(r), ADMIN_USERS_PER_PAGE, keep);

  db_stmt *s = listing_page_prep(&w,
                                "SELECT u.id, u.email, u.first_name, u.last_name, u.status, u.totp_secret IS NOT NULL,"
                                " u.created_at, coalesce(u.last_login_at, 0),"
                                " (SELECT group_concat(role, ',') FROM user_roles WHERE user_id = u.id) FROM users u",
                                "ORDER BY u.created_at DESC, u.id DESC", page, ADMIN_USERS_PER_PAGE);
  json_t *list = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *u = json_object();
    json_object_set_new(u, "id", json_integer(db_int(s, 0)));
    json_object_set_new(u, "email", json_string(db_text(s, 1)));
    json_object_set_new(u, "name", json_string(full_name(r->a, db_text(s, 2), db_text(s, 3))));
    json_object_set_new(u, "status_label", json_string(status_label(db_text(s, 4))));
    json_object_set_new(u, "status_class", json_string(status_class(db_text(s, 4))));
    json_object_set_new(u, "totp", json_boolean(db_int(s, 5)));
    json_object_set_new(u, "created", json_string(fmt_datetime(r->a, db_int(s, 6), "")));
    json_object_set_new(u, "last_login", json_string(fmt_datetime(r->a, db_int(s, 7), _("jamais"))));
    json_object_set_new(u, "roles", roles_labels(db_text(s, 8)));
    json_array_append_new(list, u);
  }
  db_done(s);
  admin_list_render(r, d, &f, "users", list, rc, "admin/users");
}

/* --------------------------------------------------------------- detail */

/* Renders the page of account uid with the given status. checked: the role
** boxes shown ticked (NULL: the stored roles); f: the form whose errors
** to show (NULL: none). Answers 404 when there is no such account. */
static void user_render(req *r, int64_t uid, int status, const int *checked, form *f) {
  db_stmt *s = db_query("SELECT email, civility, first_name, last_name, phone, qualification, status,"
                        " totp_secret IS NOT NULL, created_at, coalesce(confirmed_at, 0),"
                        " coalesce(last_login_at, 0) FROM users WHERE id=?",
                        "i", uid);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 404, _("Ce compte n’existe pas."));
    return;
  }
  json_t *d = json_object();
  admin_nav(d, "users");
  json_t *u = json_object();
  const char *st = db_text(s, 6);
  json_object_set_new(u, "id", json_integer(uid));
  json_object_set_new(u, "email", json_string(db_text(s, 0)));
  json_object_set_new(u, "civility", json_string(db_text(s, 1) ? db_text(s, 1) : ""));
  json_object_set_new(u, "name", json_string(full_name(r->a, db_text(s, 2), db_text(s, 3))));
  json_object_set_new(u, "phone", json_string(db_text(s, 4) ? db_text(s, 4) : ""));
  json_object_set_new(u, "qualification", json_string(db_text(s, 5) ? db_text(s, 5) : ""));
  json_object_set_new(u, "status_label", json_string(status_label(st)));
  json_object_set_new(u, "status_class", json_string(status_class(st)));
  json_object_set_new(u, "disabled", json_boolean(!strcmp(st, "disabled")));
  json_object_set_new(u, "totp", json_boolean(db_int(s, 7)));
  json_object_set_new(u, "created", json_string(fmt_datetime(r->a, db_int(s, 8), "")));
  json_object_set_new(u, "confirmed", json_string(fmt_datetime(r->a, db_int(s, 9), _("pas encore"))));
  json_object_set_new(u, "last_login", json_string(fmt_datetime(r->a, db_int(s, 10), _("jamais"))));
  json_object_set_new(u, "self", json_boolean(uid == r->me->id));
  db_done(s);
  json_object_set_new(u, "sessions", json_integer(db_get_int(0, "SELECT count(*) FROM sessions WHERE user_id=?",
                                                             "i", uid)));
  json_object_set_new(d, "u", u);

  int stored[MAX_ROLES];
  roles_stored(uid, stored);
  if (!checked) checked = stored;
  int me_super = csv_has(r->me->roles, "superadmin");
  json_t *roles = json_array();
  for (int i = 0; i < auth_nroles; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(auth_roles[i].name));
    json_object_set_new(o, "label", json_string(_(auth_roles[i].label)));
    if (checked[i]) json_object_set_new(o, "checked", json_true());
    if (!me_super && !strcmp(auth_roles[i].name, "superadmin")) json_object_set_new(o, "locked", json_true());
    json_array_append_new(roles, o);
  }
  json_object_set_new(d, "roles", roles);
  if (f) form_into(f, d);
  res_page(r, status, "admin/user", d);
}

void user_page(req *r) {
  int64_t uid;
  if (req_id_or_reply(r, "id", &uid)) return;
  user_render(r, uid, 200, NULL, NULL);
}

/* 1 if account uid exists; otherwise answers 404 and returns 0. */
static int user_exists_or_reply(req *r, int64_t uid) {
  if (db_get_int(0, "SELECT count(*) FROM users WHERE id=?", "i", uid)) return 1;
  res_error(r, 404, _("Ce compte n’existe pas."));
  return 0;
}

void user_roles_post(req *r) {
  assert(auth_nroles <= MAX_ROLES);
  int64_t uid;
  if (req_id_or_reply(r, "id", &uid) || !user_exists_or_reply(r, uid)) return;
  int want[MAX_ROLES] = {0};
  for (form_field *fl = r->fields; fl; fl = fl->next) {
    if (strcmp(fl->name, "roles") != 0) continue;
    int i = role_idx(fl->value);
    if (i < 0) {
      res_error(r, 400, _("Ce rôle n’existe pas : rechargez la page et réessayez."));
      return;
    }
    want[i] = 1;
  }
  const char *want_csv = roles_csv(r->a, want);
  form f;
  form_init(&f, r, NULL);
  if (uid == r->me->id && !(auth_caps_of_roles(want_csv) & auth_cap_bit("admin.users"))) {
    form_error(&f, "roles", _("Vous ne pouvez pas retirer vos propres droits d’administration : demandez-le à "
                              "un autre administrateur."));
    user_render(r, uid, 422, want, &f);
    return;
  }
  if (db_begin_write() != 0) {
    admin_db_failed(r);
    return;
  }
  int have[MAX_ROLES];
  roles_stored(uid, have);
  int sa = role_idx("superadmin");
  if (have[sa] != want[sa] && !csv_has(r->me->roles, "superadmin")) {
    db_rollback();
    res_error(r, 403, _("Seul un super-administrateur peut attribuer ou retirer le rôle de super-administrateur."));
    return;
  }
  int changed = 0, rc = DB_DONE;
  for (int i = 0; i < auth_nroles && rc == DB_DONE; i++) {
    if (have[i] && !want[i]) {
      rc = db_run("DELETE FROM user_roles WHERE user_id=? AND role=?", "it", uid, auth_roles[i].name);
      changed = 1;
    } else if (!have[i] && want[i]) {
      rc = db_run("INSERT INTO user_roles(user_id, role) VALUES(?, ?)", "it", uid, auth_roles[i].name);
      changed = 1;
    }
  }
  if (!changed) {
    db_rollback();
    res_flash(r, _("Aucun changement : ce compte avait déjà ces rôles."));
    res_redirect(r, arena_printf(r->a, "/admin/utilisateurs/%lld", (long long)uid));
    return;
  }
  const char *have_csv = roles_csv(r->a, have);
  const char *detail = arena_printf(r->a, "%s → %s", *have_csv ? have_csv : "(aucun)", *want_csv ? want_csv : "(aucun)");
  if (rc != DB_DONE ||
      audit_log(r->me->id, "admin.user_roles", arena_printf(r->a, "user:%lld", (long long)uid), r->ip, detail) < 0 ||
      db_commit() != 0) {
    db_rollback();
    admin_db_failed(r);
    return;
  }
  res_flash(r, _("Les rôles sont enregistrés."));
  res_redirect(r, arena_printf(r->a, "/admin/utilisateurs/%lld", (long long)uid));
}

/* The e-mail telling a user their account was disabled or re-enabled. */
static int64_t status_mail(const char *email, int disabled) {
  buf b = {0};
  const char *subject;
  if (disabled) {
    subject = _("Votre compte a été désactivé");
    buf_printf(&b,
               _("Bonjour,\n\nVotre compte %s sur le guichet %s a été désactivé par un administrateur : "
                 "vous ne pouvez plus vous y connecter.\n\nSi vous pensez qu’il s’agit d’une erreur, "
                 "contactez le service.\n\n— %s\n"),
               email, config_str("territory_name"), config_str("territory_name"));
  } else {
    subject = _("Votre compte a été réactivé");
    buf_printf(&b,
               _("Bonjour,\n\nVotre compte %s sur le guichet %s a été réactivé par un administrateur. "
                 "Vous pouvez de nouveau vous connecter :\n\n%s/connexion\n\n— %s\n"),
               email, config_str("territory_name"), http_base_url(), config_str("territory_name"));
  }
  int64_t id = mail_send(email, subject, buf_str(&b));
  buf_free(&b);
  return id;
}

void user_status_post(req *r) {
  static const char *const choices[] = {"active", "disabled", NULL};
  static const char *const fields[] = {"statut", NULL};
  int64_t uid;
  if (req_id_or_reply(r, "id", &uid) || !user_exists_or_reply(r, uid)) return;
  form f;
  form_init(&f, r, fields);
  if (form_oneof(&f, "statut", choices) && uid == r->me->id && !strcmp(form_get(&f, "statut"), "disabled"))
    form_error(&f, "statut", _("Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre "
                               "administrateur."));
  if (f.nerr) {
    user_render(r, uid, 422, NULL, &f);
    return;
  }
  int disable = !strcmp(form_get(&f, "statut"), "disabled");
  if (disable && csv_has(auth_user_roles(r->a, uid), "superadmin") && !csv_has(r->me->roles, "superadmin")) {
    res_error(r, 403, _("Seul un super-administrateur peut désactiver le compte d’un super-administrateur."));
    return;
  }
  if (db_begin_write() != 0) {
    admin_db_failed(r);
    return;
  }
  db_stmt *s = db_query("SELECT email, status, confirmed_at IS NOT NULL FROM users WHERE id=?", "i", uid);
  if (db_step(s) != DB_ROW) { /* deleted since the check above */
    db_done(s);
    db_rollback();
    res_error(r, 404, _("Ce compte n’existe pas."));
    return;
  }
  const char *email = arena_strdup(r->a, db_text(s, 0));
  const char *old = arena_strdup(r->a, db_text(s, 1));
  /* Re-enabling gives back what the account had before: active once its
  ** address is confirmed, pending until then. */
  const char *st = disable ? "disabled" : db_int(s, 2) ? "active" : "pending";
  db_done(s);
  if (!strcmp(old, st) || (!disable && strcmp(old, "disabled") != 0)) {
    db_rollback();
    res_flash(r, _("Aucun changement : le compte était déjà dans cet état."));
    res_redirect(r, arena_printf(r->a, "/admin/utilisateurs/%lld", (long long)uid));
    return;
  }
  int rc = db_run("UPDATE users SET status=? WHERE id=?", "ti", st, uid);
  int nsess = 0;
  if (rc == DB_DONE && disable) {
    rc = db_run("DELETE FROM sessions WHERE user_id=?", "i", uid);
    nsess = db_changes();
  }
  const char *detail = disable ? arena_printf(r->a, "%s → %s (sessions fermées : %d)", old, st, nsess)
                               : arena_printf(r->a, "%s → %s", old, st);
  if (rc != DB_DONE ||
      audit_log(r->me->id, "admin.user_status", arena_printf(r->a, "user:%lld", (long long)uid), r->ip, detail) < 0) {
    db_rollback();
    admin_db_failed(r);
    return;
  }
  /* The notice joins the transaction. mail_send refuses an address it
  ** cannot send to before writing anything: the decision stands, and the
  ** administrator is told that the person was not warned. */
  int64_t mail = status_mail(email, disable);
  if (db_commit() != 0) {
    admin_db_failed(r);
    return;
  }
  if (mail < 0)
    res_flash(r, disable ? _("Le compte est désactivé et ses sessions sont fermées, mais le message pour prévenir "
                             "la personne n’a pas pu partir : son adresse est refusée.")
                         : _("Le compte est réactivé, mais le message pour prévenir la personne n’a pas pu partir : "
                             "son adresse est refusée."));
  else
    res_flash(r, disable ? _("Le compte est désactivé, ses sessions sont fermées et la personne est prévenue par "
                             "e-mail.")
                         : _("Le compte est réactivé et la personne est prévenue par e-mail."));
  res_redirect(r, arena_printf(r->a, "/admin/utilisateurs/%lld", (long long)uid));
}
