/*
** auth.h — sessions, roles and capabilities, login throttling.
**
** Sessions: the cookie holds a random 256-bit token (base64url); the
** database holds only its SHA-256. A session expires after session_idle
** seconds without a request or session_absolute seconds after login. Login
** rotates the session (a new token), logout deletes it, a password change
** deletes all the user's other sessions.
**
** Capabilities are names ("admin.users") interned into bits at start-up
** (64 at most). Roles grant them: core's own grants and each feature's
** `grants` table. The superadmin role has every capability.
*/
#ifndef GUICHET_AUTH_H
#define GUICHET_AUTH_H

#include <stdint.h>

#include "core/http.h"

#define SESSION_COOKIE "gsid"

/* Role names known to the platform, in display order, with French labels. */
typedef struct role_def {
  const char *name;          /* "instructor" */
  const char *label;         /* "Instructeur·rice" */
  int staff;                 /* 1: staff role (2FA can be required) */
} role_def;
extern const role_def auth_roles[];
extern const int auth_nroles;
int auth_role_known(const char *name);

/* Builds the capability table from core's and the features' grants. */
void auth_init(void);
/* Bit of a capability; aborts on an unknown name (a typo in a route table). */
uint64_t auth_cap_bit(const char *cap);
uint64_t auth_caps_of_roles(const char *roles_csv);
int auth_can(const user *u, const char *cap);        /* NULL-safe: NULL → 0 */
/* Capability names by bit, for building the templates' "can" map. */
int auth_ncaps(void);
const char *auth_cap_name(int bit);
int auth_is_staff(const char *roles_csv);

/* Loads the session named by the request's cookie into r (r->me or
** r->pending_uid, r->sess, r->csrf); expired sessions are deleted. On an
** R_API route, "Authorization: Bearer TOKEN" names an API token instead:
** r->me is its owner (if active) and r->token_id is set; the cookie is then
** ignored, and the dispatcher skips the CSRF check (a bearer token is not
** sent by the browser on its own). */
void auth_load_session(req *r);

/* API tokens (core/migrations/005_api_tokens.sql). Creates a token named
** name for uid; the token (43 characters, shown once) goes to out.
** Returns its id, or -1. */
int64_t auth_api_token_create(int64_t uid, const char *name, char out[44]);
/* Revokes token id of uid. Returns 1, or 0 if uid has no such live token. */
int auth_api_token_revoke(int64_t uid, int64_t id);

/* Starts a new session for uid (deleting the request's old one, if any),
** sets the cookie. mfa_ok: 1 if no TOTP step is owed. Returns 0 or -1. */
int auth_login(req *r, int64_t uid, int mfa_ok);
/* Marks the current session's TOTP step done and rotates its token. */
int auth_mfa_done(req *r);
/* Deletes the current session and its cookie. */
void auth_logout(req *r);
/* Deletes every session of uid except the request's own. */
void auth_end_other_sessions(req *r, int64_t uid);

/* Throttling. auth_login_allowed returns NULL, or a French message saying
** when to try again, if the account or the IP has had too many failures in
** the window. */
const char *auth_login_throttled(req *r, const char *email);
void auth_login_failed(req *r, const char *email);
void auth_login_succeeded(const char *email);

/* Random token (32 bytes, base64url, 43 chars) and its SHA-256 hex. */
void auth_token_new(char out[44]);
void auth_token_hash(const char *token, char out[65]);

/* CSRF: 1 if the request carries the right token and an acceptable Origin. */
int auth_csrf_ok(req *r);

/* Creates a user (email lower-cased, password hashed with argon2id) with
** the given status ("pending" or "active") and comma-separated roles.
** Returns the id, or -1 (*dup set when the email is taken). */
int64_t auth_user_create(const char *email, const char *password, const char *status,
                         const char *roles, int *dup);
/* Lower-cases ASCII letters of an email in place; returns it. */
char *auth_email_norm(char *email);

/* Roles of a user as comma-separated text, allocated in a. */
char *auth_user_roles(arena *a, int64_t uid);

#endif
