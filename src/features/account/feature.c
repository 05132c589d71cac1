/*
** feature.c — the account feature: sign-up, login with two-factor, password
** reset, "Mon compte" (personal and company information, documents,
** members), personal-data export and account deletion.
*/
#include "core/db.h"
#include "core/feature.h"
#include "core/upload.h"

#include "features/account/account.h"

#define DOC_BODY (10 * 1024 * 1024 + 64 * 1024) /* a 10 MB file plus the form around it */

static const struct route routes[] = {
    {"GET", "/", CAP_PUBLIC, 0, 0, home_page},
    {"GET", "/inscription", CAP_PUBLIC, R_ANON, 0, signup_page},
    {"POST", "/inscription", CAP_PUBLIC, R_ANON, 0, signup_post},
    {"GET", "/inscription/confirmer/:token", CAP_PUBLIC, 0, 0, confirm_page},
    {"GET", "/connexion", CAP_PUBLIC, R_ANON, 0, login_page},
    {"POST", "/connexion", CAP_PUBLIC, R_ANON, 0, login_post},
    {"GET", "/connexion/2fa", CAP_LOGIN, R_PRE2FA, 0, login2fa_page},
    {"POST", "/connexion/2fa", CAP_LOGIN, R_PRE2FA, 0, login2fa_post},
    {"POST", "/deconnexion", CAP_LOGIN, R_PRE2FA | R_ENROL, 0, logout_post},
    {"GET", "/mot-de-passe-oublie", CAP_PUBLIC, 0, 0, forgot_page},
    {"POST", "/mot-de-passe-oublie", CAP_PUBLIC, 0, 0, forgot_post},
    {"GET", "/mot-de-passe/reinitialiser/:token", CAP_PUBLIC, 0, 0, reset_page},
    {"POST", "/mot-de-passe/reinitialiser/:token", CAP_PUBLIC, 0, 0, reset_post},
    {"GET", "/compte", CAP_LOGIN, 0, 0, account_page},
    {"POST", "/compte/personnel", CAP_LOGIN, 0, 0, personal_post},
    {"POST", "/compte/entreprise", CAP_LOGIN, 0, 0, company_post},
    {"POST", "/compte/documents", CAP_LOGIN, R_UPLOAD, DOC_BODY, document_post},
    {"GET", "/compte/documents/:id", CAP_LOGIN, 0, 0, document_get},
    {"POST", "/compte/documents/:id/supprimer", CAP_LOGIN, 0, 0, document_delete_post},
    {"GET", "/compte/organisation", CAP_LOGIN, 0, 0, org_page},
    {"POST", "/compte/organisation/membres", CAP_LOGIN, 0, 0, org_member_post},
    {"POST", "/compte/organisation/membres/:id/retirer", CAP_LOGIN, 0, 0, org_member_delete_post},
    {"GET", "/compte/mot-de-passe", CAP_LOGIN, R_ENROL, 0, password_page},
    {"POST", "/compte/mot-de-passe", CAP_LOGIN, R_ENROL, 0, password_post},
    {"GET", "/compte/2fa", CAP_LOGIN, R_ENROL, 0, totp_page},
    {"POST", "/compte/2fa", CAP_LOGIN, R_ENROL, 0, totp_post},
    {"POST", "/compte/2fa/desactiver", CAP_LOGIN, 0, 0, totp_disable_post},
    {"GET", "/compte/jetons", CAP_LOGIN, 0, 0, tokens_page},
    {"POST", "/compte/jetons", CAP_LOGIN, 0, 0, token_post},
    {"POST", "/compte/jetons/:id/revoquer", CAP_LOGIN, 0, 0, token_revoke_post},
    {"GET", "/api/v1/moi", CAP_LOGIN, R_API, 0, me_api},
    {"GET", "/compte/export", CAP_LOGIN, 0, 0, export_get},
    {"GET", "/compte/supprimer", CAP_LOGIN, 0, 0, delete_page},
    {"POST", "/compte/supprimer", CAP_LOGIN, 0, 0, delete_post},
    {0, 0, 0, 0, 0, 0},
};

/* Demo: the demo company account gets its organisation (the documents are
** left to upload, so the page shows what is missing). */
static void seed(void) {
  int64_t uid = db_get_int(0, "SELECT id FROM users WHERE email='entreprise@guichet.localhost'", "");
  if (!uid) return;
  int64_t now = now_unix();
  db_run("UPDATE users SET civility='Mme', last_name='Durand', first_name='Camille', phone='05 46 00 00 00',"
         " qualification='Gérante' WHERE id=?", "i", uid);
  int64_t org = db_insert("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email,"
                          " contact_phone, created_at, updated_at) VALUES('73282932000074', 'Entreprise',"
                          " 'Bornes Atlantique (démo)', '2 quai Valin', '17000', 'La Rochelle',"
                          " 'contact@bornes-atlantique.example', '05 46 00 00 01', ?, ?)", NULL, "ii", now, now);
  if (org > 0)
    db_run("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,'owner',?)", "iii", org, uid, now);
}

static void init(void) { upload_track("documents"); }

const struct feature feature_account = {
    .name = "account",
    .routes = routes,
    .grants = NULL,
    .init = init,
    .seed = seed,
    .export_user = account_export_user,
    .erase_plan = account_erase_plan,
    .erase_user = account_erase_user,
};
