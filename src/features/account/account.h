/*
** account.h — the account feature's internal interface (handlers are
** declared here for the route table in feature.c). Other features use
** account_org_of() to know a user's company, never the tables.
*/
#ifndef GUICHET_ACCOUNT_H
#define GUICHET_ACCOUNT_H

#include <stdint.h>

#include "core/feature.h"
#include "core/http.h"

/* The organisation a user belongs to (0 if none); *owner set if owner. */
int64_t account_org_of(int64_t uid, int *owner);
/* 1 when the user's personal and company information and documents are
** complete (what aid and label requests need). */
int account_is_complete(int64_t uid);
/* What the user must still fill in for the account to be complete, as a
** new JSON array of {"text": French sentence, "href": where on Mon compte
** to fill it in}; empty when complete. */
json_t *account_missing(int64_t uid);
/* How many members organisation org has (0 for org 0). */
int64_t account_org_size(int64_t org);

/* Mail helpers (auth_pages.c). */
void account_mail_token(int64_t uid, const char *email, const char *purpose);

/* auth_pages.c */
void home_page(req *r);
void signup_page(req *r);
void signup_post(req *r);
void confirm_page(req *r);
void login_page(req *r);
void login_post(req *r);
void login2fa_page(req *r);
void login2fa_post(req *r);
void logout_post(req *r);
void forgot_page(req *r);
void forgot_post(req *r);
void reset_page(req *r);
void reset_post(req *r);
void password_page(req *r);
void password_post(req *r);
void totp_page(req *r);
void totp_post(req *r);
void totp_disable_post(req *r);

/* account_pages.c */
void account_page(req *r);
void personal_post(req *r);
void company_post(req *r);
void document_post(req *r);
void document_get(req *r);
void document_delete_post(req *r);
void org_page(req *r);
void org_member_post(req *r);
void org_member_delete_post(req *r);

/* data_pages.c: the pages, and the account's part of the export and of
** the erasure (core/privacy.h). */
void export_get(req *r);
void delete_page(req *r);
void delete_post(req *r);
int account_export_user(int64_t uid, json_t *out, privacy_zip *zip);
void account_erase_plan(int64_t uid, privacy_erasure *e);
int account_erase_user(int64_t uid, privacy_erasure *e);

/* token_pages.c */
void tokens_page(req *r);
void token_post(req *r);
void token_revoke_post(req *r);
void me_api(req *r);

#endif
