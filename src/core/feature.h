/*
** feature.h — how a service plugs into core.
**
** A feature is a folder src/features/NAME/ with a feature.c that defines
** `const struct feature feature_NAME`. The Makefile lists the folders into
** a generated table (build/gen_features.c), so adding a feature touches no
** core file. Its migrations (migrations/NNN_name.sql) and templates
** (templates/NAME.html, registered as "NAME/FILE" without .html) are embedded
** and found by path.
**
** Every route declares, in its table entry, what the dispatcher enforces
** before the handler runs: the capability needed, whether the CSRF check
** applies, and the body cap.
**
** A feature's settings are configuration keys it declares in its `config`
** table: core config (config.c) reads them at start-up from the same file
** and GUICHET_<KEY> variables as its own keys, checks the whole numbers
** against their range, and the feature reads them with config_str /
** config_int. Each key starts with the feature's name and '_'
** ("heat_reminder_days"), so features never collide.
**
** A feature that holds data about people says what, for the personal-data
** export and the deletion of an account, with the callbacks export_user,
** erase_plan and erase_user (their contract and order: core/privacy.h).
*/
#ifndef GUICHET_FEATURE_H
#define GUICHET_FEATURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct req req;
typedef struct privacy_zip privacy_zip;         /* core/privacy.h */
typedef struct privacy_erasure privacy_erasure; /* core/privacy.h */

/* Route flags. */
#define R_NOCSRF   0x01 /* state-changing route without CSRF check (token-authenticated API only) */
#define R_API      0x02 /* JSON errors; accepts "Authorization: Bearer" tokens */
#define R_UPLOAD   0x04 /* multipart body with files streamed to disk */
#define R_PRE2FA   0x08 /* reachable while the session still owes its TOTP code */
#define R_ANON     0x10 /* only for visitors not logged in (login, signup): others are redirected */
#define R_ENROL    0x20 /* reachable by staff who must still turn on two-factor login */

/* Capabilities a route can require. CAP_PUBLIC: anyone; CAP_LOGIN: any
** logged-in user; any other value is the name of a capability that roles
** grant (see auth.h and the grants of each feature). */
#define CAP_PUBLIC NULL
#define CAP_LOGIN "login"

struct route {
  const char *method;     /* "GET" (also answers HEAD), "POST" */
  const char *path;       /* "/compte/documents/:id" — ':name' matches one segment */
  const char *cap;        /* capability needed (above) */
  int flags;              /* R_* */
  size_t body_max;        /* request body cap in bytes; 0 = config max_body */
  void (*handler)(req *r);
};

/* A role grants a capability. */
struct grant {
  const char *role;       /* "instructor" */
  const char *cap;        /* "aid.review" */
};

/* A configuration key of a feature. */
struct config_key {
  const char *key;        /* "heat_reminder_days": NAME_…, lower case; GUICHET_HEAT_REMINDER_DAYS */
  const char *dflt;       /* default, written as in the file */
  long long min, max;     /* a whole number in [min, max]; both 0: any text */
};

struct feature {
  const char *name;                /* folder name */
  const struct route *routes;      /* table, ends with a zero entry */
  const struct grant *grants;      /* table, ends with a zero entry; may be NULL */
  void (*init)(void);              /* registers jobs etc.; may be NULL */
  void (*seed)(void);              /* demo data for an empty database; may be NULL */
  const struct config_key *config; /* table, ends with a zero entry; may be NULL */
  /* Personal data (core/privacy.h); each may be NULL. */
  int (*export_user)(int64_t uid, json_t *out, privacy_zip *zip); /* what it holds about uid, into out */
  void (*erase_plan)(int64_t uid, privacy_erasure *e); /* what deleting uid removes, what it keeps and why */
  int (*erase_user)(int64_t uid, privacy_erasure *e);  /* removes or pseudonymises, in core's transaction */
};

/* Generated: every feature, ends with NULL. */
extern const struct feature *const features[];

#endif
