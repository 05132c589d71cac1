/*
** auth_pages.c — the pages around identity: home, sign-up with email
** confirmation, login (with the TOTP step), logout, forgotten password,
** password change, two-factor enrolment.
**
** Messages never reveal whether an email is registered: sign-up and the
** forgotten-password form answer the same way either way, and the mail
** tells the owner of the address what happened.
*/
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/mail.h"
#include "core/password.h"
#include "core/totp.h"
#include "features/account/account.h"

#define CONFIRM_TTL (48 * 3600) /* confirmation links last two days */
#define RESET_TTL 3600          /* reset links last one hour */

/* A stored hash to verify against when the email is unknown, so a login
** attempt takes as long whether or not the account exists. */
static const char *dummy_hash(void) {
  static char h[PASSWORD_HASH_MAX];
  static int done;
  if (!done) {
    password_hash("guichet-dummy-password", h);
    done = 1;
  }
  return h;
}

/* Where to go after login: a local path only ("/x", not "//host"). */
static const char *safe_next(const char *next) {
  if (next && next[0] == '/' && next[1] != '/' && next[1] != '\\' && strlen(next) < 500) return next;
  return "/compte";
}

void home_page(req *r) {
  json_t *d = json_object();
  if (r->me) json_object_set_new(d, "complete", json_boolean(account_is_complete(r->me->id)));
  res_page(r, 200, "account/home", d);
}

/* -------------------------------------------------------------- tokens */

void account_mail_token(int64_t uid, const char *email, const char *purpose) {
  char tok[44], h[65];
  auth_token_new(tok);
  auth_token_hash(tok, h);
  int reset = !strcmp(purpose, "reset");
  db_run("INSERT INTO user_tokens(token_hash, user_id, purpose, expires_at) VALUES(?,?,?,?)", "titi", h,
         uid, purpose, now_unix() + (reset ? RESET_TTL : CONFIRM_TTL));
  buf b = {0};
  if (reset) {
    buf_printf(&b,
               _("Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure, "
                 "une seule fois) :\n\n%s/mot-de-passe/reinitialiser/%s\n\nSi vous n’avez rien "
                 "demandé, ignorez ce message : votre mot de passe reste inchangé.\n\n— %s\n"),
               http_base_url(), tok, config_str("territory_name"));
    mail_send(email, _("Réinitialisation de votre mot de passe"), buf_str(&b));
  } else {
    buf_printf(&b,
               _("Bonjour,\n\nPour confirmer votre adresse et activer votre compte, ouvrez ce lien "
                 "(valable 48 heures) :\n\n%s/inscription/confirmer/%s\n\nSi vous n’avez pas créé "
                 "de compte, ignorez ce message.\n\n— %s\n"),
               http_base_url(), tok, config_str("territory_name"));
    mail_send(email, _("Confirmez votre adresse e-mail"), buf_str(&b));
  }
  buf_free(&b);
}

/* Consumes a token of that purpose: returns its user id, or 0 if unknown,
** used or expired. */
static int64_t token_take(const char *tok, const char *purpose) {
  if (!tok || strlen(tok) != 43) return 0;
  char h[65];
  auth_token_hash(tok, h);
  int64_t uid = db_get_int(0, "SELECT user_id FROM user_tokens WHERE token_hash=? AND purpose=? AND "
                              "used_at IS NULL AND expires_at>?",
                           "tti", h, purpose, now_unix());
  return uid;
}

static void token_use(const char *tok) {
  char h[65];
  auth_token_hash(tok, h);
  db_run("UPDATE user_tokens SET used_at=? WHERE token_hash=?", "it", now_unix(), h);
}

/* -------------------------------------------------------------- sign-up */

static const char *const signup_fields[] = {"email", "password", "password2", NULL};

void signup_page(req *r) { res_page(r, 200, "account/signup", NULL); }

void signup_post(req *r) {
  form f;
  form_init(&f, r, signup_fields);
  char *email = auth_email_norm(arena_strdup(r->a, form_get(&f, "email")));
  form_set(&f, "email", email);
  if (form_required(&f, "email", _("votre adresse e-mail"))) form_email(&f, "email");
  const char *pw = req_form(r, "password");
  const char *why = password_policy_check(pw ? pw : "", email);
  if (why) form_error(&f, "password", why);
  else if (!str_eq(pw, req_form(r, "password2")))
    form_error(&f, "password2", _("Les deux mots de passe ne sont pas identiques."));
  if (f.nerr) {
    json_t *d = json_object();
    form_into(&f, d);
    res_page(r, 422, "account/signup", d);
    return;
  }
  int dup = 0;
  int64_t uid = auth_user_create(email, pw, "pending", "applicant", &dup);
  if (uid > 0) {
    account_mail_token(uid, email, "confirm");
    audit_log(uid, "user.signup", audit_user(r->a, uid), r->ip, "");
  } else if (dup) {
    buf b = {0};
    buf_printf(&b,
               _("Bonjour,\n\nQuelqu’un (peut-être vous) a voulu créer un compte avec cette adresse, "
                 "qui en a déjà un. Connectez-vous : %s/connexion\nMot de passe oublié ? "
                 "%s/mot-de-passe-oublie\n\n— %s\n"),
               http_base_url(), http_base_url(), config_str("territory_name"));
    mail_send(email, _("Vous avez déjà un compte"), buf_str(&b));
    buf_free(&b);
  } else {
    res_error(r, 500, _("Le compte n’a pas pu être créé : réessayez dans un instant."));
    return;
  }
  json_t *d = json_object();
  json_object_set_new(d, "email", json_string(email));
  res_page(r, 200, "account/signup_sent", d);
}

void confirm_page(req *r) {
  const char *tok = req_param(r, "token");
  int64_t uid = token_take(tok, "confirm");
  if (!uid) {
    res_error(r, 410, _("Ce lien de confirmation n’est plus valable. Connectez-vous pour en recevoir un nouveau."));
    return;
  }
  token_use(tok);
  db_run("UPDATE users SET status='active', confirmed_at=? WHERE id=? AND status='pending'", "ii",
         now_unix(), uid);
  audit_log(uid, "user.confirm", audit_user(r->a, uid), r->ip, "");
  res_flash(r, _("Votre adresse est confirmée : vous pouvez vous connecter."));
  res_redirect(r, "/connexion");
}

/* ---------------------------------------------------------------- login */

static const char *const login_fields[] = {"email", "password", "suite", NULL};

void login_page(req *r) {
  json_t *d = json_object();
  json_t *f = json_object();
  json_object_set_new(f, "suite", json_string(safe_next(req_query(r, "suite"))));
  json_object_set_new(d, "f", f);
  res_page(r, 200, "account/login", d);
}

static void login_fail(req *r, form *f, int status, const char *msg) {
  form_error(f, "password", msg);
  json_t *d = json_object();
  form_into(f, d);
  json_object_set_new(d, "alert", json_string(msg));
  res_page(r, status, "account/login", d);
}

void login_post(req *r) {
  form f;
  form_init(&f, r, login_fields);
  char *email = auth_email_norm(arena_strdup(r->a, form_get(&f, "email")));
  const char *pw = req_form(r, "password");
  const char *throttled = auth_login_throttled(r, email);
  if (throttled) {
    login_fail(r, &f, 429, throttled);
    return;
  }
  db_stmt *s = db_query("SELECT id, password_hash, status, totp_secret IS NOT NULL FROM users WHERE email=?",
                        "t", email);
  int64_t uid = 0, totp = 0;
  char hash[PASSWORD_HASH_MAX] = "", status[16] = "";
  if (db_step(s) == DB_ROW) {
    uid = db_int(s, 0);
    snprintf(hash, sizeof hash, "%s", db_text(s, 1));
    snprintf(status, sizeof status, "%s", db_text(s, 2));
    totp = db_int(s, 3);
  }
  db_done(s);
  int ok = password_verify(uid ? hash : dummy_hash(), pw ? pw : "") && uid;
  if (!ok) {
    auth_login_failed(r, email);
    audit_log(uid, "user.login_failed", uid ? audit_user(r->a, uid) : "", r->ip, email);
    login_fail(r, &f, 401, _("Adresse e-mail ou mot de passe incorrect."));
    return;
  }
  if (!strcmp(status, "pending")) {
    account_mail_token(uid, email, "confirm");
    login_fail(r, &f, 403, _("Confirmez d’abord votre adresse e-mail : nous venons de vous renvoyer le lien."));
    return;
  }
  if (!strcmp(status, "disabled")) {
    login_fail(r, &f, 403, _("Ce compte est désactivé. Contactez l’administrateur du service."));
    return;
  }
  auth_login_succeeded(email);
  if (auth_login(r, uid, totp ? 0 : 1) != 0) {
    res_error(r, 500, _("La connexion a échoué : réessayez."));
    return;
  }
  const char *next = safe_next(form_get(&f, "suite"));
  if (totp) {
    res_redirect(r, arena_printf(r->a, "/connexion/2fa?suite=%s", next));
    return;
  }
  audit_log(uid, "user.login", audit_user(r->a, uid), r->ip, "");
  res_redirect(r, next);
}

void login2fa_page(req *r) {
  if (r->me) {
    res_redirect(r, "/compte");
    return;
  }
  json_t *d = json_object();
  json_t *f = json_object();
  json_object_set_new(f, "suite", json_string(safe_next(req_query(r, "suite"))));
  json_object_set_new(d, "f", f);
  res_page(r, 200, "account/login2fa", d);
}

/* Checks a TOTP code or a recovery code for uid; 1 if accepted (and, for a
** recovery code, consumed). */
static int second_factor_ok(req *r, int64_t uid, const char *code, const char *recovery) {
  if (recovery && *recovery) {
    char h[65];
    recovery_code_hash(recovery, h);
    db_run("UPDATE recovery_codes SET used_at=? WHERE user_id=? AND code_hash=? AND used_at IS NULL",
           "iit", now_unix(), uid, h);
    if (db_changes() == 1) {
      audit_log(uid, "user.recovery_code_used", audit_user(r->a, uid), r->ip, "");
      return 1;
    }
    return 0;
  }
  char *secret = db_get_text(r->a, "SELECT totp_secret FROM users WHERE id=?", "i", uid);
  if (!secret || !code) return 0;
  int64_t step = totp_verify(secret, code, now_unix(), 1);
  if (step < 0) return 0;
  /* A code is good once: refuse a step at or before the last one used. */
  db_run("UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step<?", "iii", step, uid, step);
  return db_changes() == 1;
}

void login2fa_post(req *r) {
  static const char *const fields[] = {"code", "recovery", "suite", NULL};
  if (r->me) {
    res_redirect(r, "/compte");
    return;
  }
  form f;
  form_init(&f, r, fields);
  int64_t uid = r->pending_uid;
  char *email = db_get_text(r->a, "SELECT email FROM users WHERE id=?", "i", uid);
  const char *throttled = auth_login_throttled(r, email ? email : "");
  const char *msg = NULL;
  if (throttled) msg = throttled;
  else if (!second_factor_ok(r, uid, form_get(&f, "code"), form_get(&f, "recovery"))) {
    auth_login_failed(r, email ? email : "");
    audit_log(uid, "user.2fa_failed", audit_user(r->a, uid), r->ip, "");
    msg = _("Code incorrect ou expiré : saisissez le code à 6 chiffres affiché maintenant par votre application.");
  }
  if (msg) {
    form_error(&f, "code", msg);
    form_set(&f, "code", "");
    json_t *d = json_object();
    form_into(&f, d);
    res_page(r, throttled ? 429 : 401, "account/login2fa", d);
    return;
  }
  auth_login_succeeded(email ? email : "");
  auth_mfa_done(r);
  audit_log(uid, "user.login", audit_user(r->a, uid), r->ip, "2fa");
  res_redirect(r, safe_next(form_get(&f, "suite")));
}

void logout_post(req *r) {
  int64_t uid = r->me ? r->me->id : r->pending_uid;
  auth_logout(r);
  audit_log(uid, "user.logout", audit_user(r->a, uid), r->ip, "");
  res_flash(r, _("Vous êtes déconnecté."));
  res_redirect(r, "/");
}

/* ----------------------------------------------------- forgotten password */

void forgot_page(req *r) { res_page(r, 200, "account/forgot", NULL); }

void forgot_post(req *r) {
  static const char *const fields[] = {"email", NULL};
  form f;
  form_init(&f, r, fields);
  char *email = auth_email_norm(arena_strdup(r->a, form_get(&f, "email")));
  if (!form_email(&f, "email")) {
    json_t *d = json_object();
    form_into(&f, d);
    res_page(r, 422, "account/forgot", d);
    return;
  }
  int64_t uid = db_get_int(0, "SELECT id FROM users WHERE email=? AND status<>'disabled'", "t", email);
  /* One link per quarter-hour at most, so the form cannot flood a mailbox. */
  int64_t recent = db_get_int(0, "SELECT count(*) FROM user_tokens WHERE user_id=? AND purpose='reset' "
                                 "AND expires_at>?", "ii", uid, now_unix() + RESET_TTL - 900);
  if (uid && recent < 3) {
    account_mail_token(uid, email, "reset");
    audit_log(uid, "user.reset_requested", audit_user(r->a, uid), r->ip, "");
  }
  json_t *d = json_object();
  json_object_set_new(d, "email", json_string(email));
  res_page(r, 200, "account/forgot_sent", d);
}

void reset_page(req *r) {
  if (!token_take(req_param(r, "token"), "reset")) {
    res_error(r, 410, _("Ce lien n’est plus valable : il a déjà servi ou a expiré. Demandez-en un nouveau."));
    return;
  }
  json_t *d = json_object();
  json_object_set_new(d, "token", json_string(req_param(r, "token")));
  res_page(r, 200, "account/reset", d);
}

void reset_post(req *r) {
  static const char *const fields[] = {"password", "password2", NULL};
  const char *tok = req_param(r, "token");
  int64_t uid = token_take(tok, "reset");
  if (!uid) {
    res_error(r, 410, _("Ce lien n’est plus valable : il a déjà servi ou a expiré. Demandez-en un nouveau."));
    return;
  }
  form f;
  form_init(&f, r, fields);
  char *email = db_get_text(r->a, "SELECT email FROM users WHERE id=?", "i", uid);
  const char *pw = req_form(r, "password");
  const char *why = password_policy_check(pw ? pw : "", email);
  if (why) form_error(&f, "password", why);
  else if (!str_eq(pw, req_form(r, "password2")))
    form_error(&f, "password2", _("Les deux mots de passe ne sont pas identiques."));
  if (f.nerr) {
    json_t *d = json_object();
    form_into(&f, d);
    json_object_set_new(d, "token", json_string(tok));
    res_page(r, 422, "account/reset", d);
    return;
  }
  char hash[PASSWORD_HASH_MAX];
  if (password_hash(pw, hash) != 0) {
    res_error(r, 500, _("Erreur interne."));
    return;
  }
  token_use(tok);
  /* The link proves the address: a pending account becomes active. */
  db_run("UPDATE users SET password_hash=?, status=CASE WHEN status='pending' THEN 'active' ELSE status END,"
         " confirmed_at=coalesce(confirmed_at, ?) WHERE id=?", "tii", hash, now_unix(), uid);
  db_run("DELETE FROM sessions WHERE user_id=?", "i", uid);
  auth_login_succeeded(email);
  audit_log(uid, "user.password_reset", audit_user(r->a, uid), r->ip, "");
  res_flash(r, _("Votre mot de passe est changé : connectez-vous avec le nouveau."));
  res_redirect(r, "/connexion");
}

/* ------------------------------------------------------- password change */

void password_page(req *r) { res_page(r, 200, "account/password", NULL); }

void password_post(req *r) {
  static const char *const fields[] = {"password_current", "password", "password2", NULL};
  form f;
  form_init(&f, r, fields);
  char *hash = db_get_text(r->a, "SELECT password_hash FROM users WHERE id=?", "i", r->me->id);
  const char *cur = req_form(r, "password_current");
  const char *pw = req_form(r, "password");
  if (!hash || !password_verify(hash, cur ? cur : "")) {
    form_error(&f, "password_current", _("Le mot de passe actuel est incorrect."));
  } else {
    const char *why = password_policy_check(pw ? pw : "", r->me->email);
    if (why) form_error(&f, "password", why);
    else if (!str_eq(pw, req_form(r, "password2")))
      form_error(&f, "password2", _("Les deux mots de passe ne sont pas identiques."));
    else if (str_eq(pw, cur))
      form_error(&f, "password", _("Choisissez un mot de passe différent de l’actuel."));
  }
  if (f.nerr) {
    json_t *d = json_object();
    form_into(&f, d);
    res_page(r, 422, "account/password", d);
    return;
  }
  char nh[PASSWORD_HASH_MAX];
  if (password_hash(pw, nh) != 0) {
    res_error(r, 500, _("Erreur interne."));
    return;
  }
  db_run("UPDATE users SET password_hash=? WHERE id=?", "ti", nh, r->me->id);
  auth_end_other_sessions(r, r->me->id);
  audit_log(r->me->id, "user.password_change", audit_user(r->a, r->me->id), r->ip, "");
  mail_send(r->me->email, _("Votre mot de passe a été changé"),
            _("Bonjour,\n\nLe mot de passe de votre compte vient d’être changé et vos autres sessions "
              "ont été fermées. Si ce n’est pas vous, réinitialisez-le tout de suite avec « Mot de passe "
              "oublié ».\n"));
  res_flash(r, _("Votre mot de passe est changé. Vos autres sessions ont été fermées."));
  res_redirect(r, "/compte");
}

/* --------------------------------------------------- two-factor enrolment */

static void totp_enrol_data(req *r, json_t *d) {
  char *secret = db_get_text(r->a, "SELECT totp_pending FROM users WHERE id=?", "i", r->me->id);
  if (!secret) {
    char s[TOTP_SECRET_B32];
    totp_secret_new(s);
    db_run("UPDATE users SET totp_pending=? WHERE id=?", "ti", s, r->me->id);
    secret = arena_strdup(r->a, s);
  }
  buf uri = {0}, svg = {0};
  totp_uri(&uri, config_str("territory_short"), r->me->email, secret);
  qr_svg(&svg, buf_str(&uri), _("QR code à scanner avec votre application d’authentification"));
  json_object_set_new(d, "secret", json_string(secret));
  json_object_set_new(d, "qr", json_string(buf_str(&svg)));
  json_object_set_new(d, "uri", json_string(buf_str(&uri)));
  buf_free(&uri);
  buf_free(&svg);
}

void totp_page(req *r) {
  json_t *d = json_object();
  json_object_set_new(d, "nav_account", json_true());
  if (r->me->totp) {
    json_object_set_new(d, "enabled", json_true());
    json_object_set_new(d, "codes_left", json_integer(db_get_int(
        0, "SELECT count(*) FROM recovery_codes WHERE user_id=? AND used_at IS NULL", "i", r->me->id)));
    json_object_set_new(d, "required", json_boolean(config_int("require_2fa_staff") && auth_is_staff(r->me->roles)));
  } else {
    totp_enrol_data(r, d);
  }
  res_page(r, 200, "account/totp", d);
}

void totp_post(req *r) {
  static const char *const fields[] = {"code", NULL};
  form f;
  form_init(&f, r, fields);
  if (r->me->totp) {
    res_redirect(r, "/compte/2fa");
    return;
  }
  char *secret = db_get_text(r->a, "SELECT totp_pending FROM users WHERE id=?", "i", r->me->id);
  int64_t step = secret ? totp_verify(secret, form_get(&f, "code"), now_unix(), 1) : -1;
  if (step < 0) {
    form_error(&f, "code", _("Code incorrect : saisissez le code à 6 chiffres affiché par votre application "
                             "(vérifiez que l’heure de votre téléphone est à jour)."));
    form_set(&f, "code", "");
    json_t *d = json_object();
    form_into(&f, d);
    totp_enrol_data(r, d);
    res_page(r, 422, "account/totp", d);
    return;
  }
  char codes[RECOVERY_CODES][RECOVERY_CODE_LEN];
  recovery_codes_new(codes);
  db_begin_write();
  db_run("UPDATE users SET totp_secret=totp_pending, totp_pending=NULL, totp_last_step=? WHERE id=?", "ii",
         step, r->me->id);
  db_run("DELETE FROM recovery_codes WHERE user_id=?", "i", r->me->id);
  json_t *list = json_array();
  for (int i = 0; i < RECOVERY_CODES; i++) {
    char h[65];
    recovery_code_hash(codes[i], h);
    db_run("INSERT INTO recovery_codes(user_id, code_hash) VALUES(?,?)", "it", r->me->id, h);
    json_array_append_new(list, json_string(codes[i]));
  }
  audit_log(r->me->id, "user.2fa_enabled", audit_user(r->a, r->me->id), r->ip, "");
  db_commit();
  mail_send(r->me->email, _("Connexion en deux étapes activée"),
            _("Bonjour,\n\nLa connexion en deux étapes est maintenant active sur votre compte. Si ce "
              "n’est pas vous, contactez l’administrateur du service.\n"));
  json_t *d = json_object();
  json_object_set_new(d, "codes", list);
  res_page(r, 200, "account/totp_codes", d);
}

void totp_disable_post(req *r) {
  static const char *const fields[] = {"password", NULL};
  form f;
  form_init(&f, r, fields);
  if (config_int("require_2fa_staff") && auth_is_staff(r->me->roles)) {
    res_error(r, 403, _("Votre rôle exige la connexion en deux étapes : elle ne peut pas être désactivée."));
    return;
  }
  char *hash = db_get_text(r->a, "SELECT password_hash FROM users WHERE id=?", "i", r->me->id);
  const char *pw = req_form(r, "password");
  if (!hash || !password_verify(hash, pw ? pw : "")) {
    form_error(&f, "password", _("Le mot de passe est incorrect."));
    json_t *d = json_object();
    form_into(&f, d);
    json_object_set_new(d, "enabled", json_true());
    json_object_set_new(d, "codes_left", json_integer(db_get_int(
        0, "SELECT count(*) FROM recovery_codes WHERE user_id=? AND used_at IS NULL", "i", r->me->id)));
    res_page(r, 422, "account/totp", d);
    return;
  }
  db_run("UPDATE users SET totp_secret=NULL, totp_pending=NULL WHERE id=?", "i", r->me->id);
  db_run("DELETE FROM recovery_codes WHERE user_id=?", "i", r->me->id);
  audit_log(r->me->id, "user.2fa_disabled", audit_user(r->a, r->me->id), r->ip, "");
  res_flash(r, _("La connexion en deux étapes est désactivée."));
  res_redirect(r, "/compte");
}
