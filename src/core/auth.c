/*
** auth.c — sessions, capabilities, throttling and CSRF (see auth.h).
**
** Loading a session costs one indexed SELECT (session, user and roles in one
** statement). seen_at is written at most once a minute per session, so an
** authenticated page view is normally read-only.
**
** CSRF: a logged-in session has its own random token (synchroniser). A
** visitor without a session (login and signup forms) gets a random cookie
** "gcsrf" and forms carry HMAC(secret, cookie): a signed double-submit that
** costs no database write per anonymous visitor. Both also need an Origin
** (or Referer) from this site when the browser sends one.
*/
#include "core/auth.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/db.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/password.h"

struct session {
  int64_t id;                /* sessions.id */
  int64_t seen_at;           /* last request time */
  int mfa_ok;                /* TOTP step done (or not needed) */
};

const role_def auth_roles[] = {
    {"applicant", N_("Demandeur"), 0},
    {"installer", N_("Installateur"), 0},
    {"condo_manager", N_("Syndic de copropriété"), 0},
    {"advisor", N_("Conseiller"), 1},
    {"operator", N_("Exploitant de réseau"), 1},
    {"instructor", N_("Instructeur"), 1},
    {"producer", N_("Producteur de données"), 0},
    {"territory_admin", N_("Administrateur du territoire"), 1},
    {"superadmin", N_("Super-administrateur"), 1},
};
const int auth_nroles = (int)ARRAY_SIZE(auth_roles);

/* Core's own grants; features add theirs. */
static const struct grant core_grants[] = {
    {"territory_admin", "admin.users"},
    {"territory_admin", "admin.audit"},
    {"territory_admin", "admin.outbox"},
    {"territory_admin", "admin.metrics"},
    {"territory_admin", "staff.documents"},
    {"instructor", "staff.documents"},
    {"advisor", "staff.documents"},
    {0, 0},
};

static const char *g_caps[64];       /* capability names by bit */
static int g_ncap;
static uint64_t g_role_caps[16];     /* caps granted, by role index */

int auth_role_known(const char *name) {
  for (int i = 0; i < auth_nroles; i++)
    if (!strcmp(auth_roles[i].name, name)) return 1;
  return 0;
}

static int role_index(const char *name, size_t n) {
  for (int i = 0; i < auth_nroles; i++)
    if (strlen(auth_roles[i].name) == n && !strncmp(auth_roles[i].name, name, n)) return i;
  return -1;
}

static uint64_t cap_intern(const char *cap) {
  for (int i = 0; i < g_ncap; i++)
    if (!strcmp(g_caps[i], cap)) return 1ull << i;
  assert(g_ncap < 64 && "more than 64 capabilities");
  g_caps[g_ncap] = cap;
  return 1ull << g_ncap++;
}

static void add_grants(const struct grant *g) {
  for (; g && g->role; g++) {
    int ri = role_index(g->role, strlen(g->role));
    if (ri < 0) {
      fprintf(stderr, "guichet: grant to unknown role %s\n", g->role);
      abort();
    }
    g_role_caps[ri] |= cap_intern(g->cap);
  }
}

void auth_init(void) {
  add_grants(core_grants);
  for (int i = 0; features[i]; i++) add_grants(features[i]->grants);
  /* Every route capability must be granted to someone, or it is a typo. */
  for (int i = 0; features[i]; i++)
    for (const struct route *rt = features[i]->routes; rt && rt->method; rt++)
      if (rt->cap && strcmp(rt->cap, CAP_LOGIN) != 0) cap_intern(rt->cap);
  int sa = role_index("superadmin", 10);
  g_role_caps[sa] = ~0ull;
}

uint64_t auth_cap_bit(const char *cap) {
  for (int i = 0; i < g_ncap; i++)
    if (!strcmp(g_caps[i], cap)) return 1ull << i;
  fprintf(stderr, "guichet: unknown capability %s\n", cap);
  abort();
}

int auth_ncaps(void) { return g_ncap; }
const char *auth_cap_name(int bit) { return bit >= 0 && bit < g_ncap ? g_caps[bit] : NULL; }

uint64_t auth_caps_of_roles(const char *roles) {
  uint64_t caps = 0;
  const char *p = roles;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    int ri = role_index(p, n);
    if (ri >= 0) caps |= g_role_caps[ri];
    p = e ? e + 1 : NULL;
  }
  return caps;
}

int auth_can(const user *u, const char *cap) {
  if (!u) return 0;
  for (int i = 0; i < g_ncap; i++)
    if (!strcmp(g_caps[i], cap)) return (u->caps >> i) & 1;
  return 0;
}

int auth_is_staff(const char *roles) {
  const char *p = roles;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    int ri = role_index(p, n);
    if (ri >= 0 && auth_roles[ri].staff) return 1;
    p = e ? e + 1 : NULL;
  }
  return 0;
}

char *auth_user_roles(arena *a, int64_t uid) {
  char *z = db_get_text(a, "SELECT group_concat(role, ',') FROM (SELECT role FROM user_roles "
                           "WHERE user_id=? ORDER BY role)", "i", uid);
  return z ? z : arena_strdup(a, "");
}

/* --------------------------------------------------------------- tokens */

void auth_token_new(char out[44]) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(out, 44, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_token_hash(const char *token, char out[65]) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
  hex_encode(out, h, sizeof h);
}

/* ------------------------------------------------------------- sessions */

static void anon_csrf(req *r) {
  const char *c = req_cookie(r, "gcsrf");
  char tok[44];
  if (!c || strlen(c) != 43) {
    auth_token_new(tok);
    res_cookie(r, "gcsrf", tok, -1);
    c = arena_strdup(r->a, tok);
  }
  char mac[65];
  http_hmac_hex(c, mac);
  r->csrf = arena_strdup(r->a, mac);
}

/* The user of a row whose columns from col on are: email, first_name,
** last_name, totp on (0/1), roles (comma-separated or NULL). */
static user *user_from_row(req *r, db_stmt *s, int col, int64_t uid) {
  user *u = arena_alloc(r->a, sizeof *u);
  u->id = uid;
  u->email = arena_strdup(r->a, db_text(s, col));
  u->first_name = arena_strdup(r->a, db_text(s, col + 1));
  u->last_name = arena_strdup(r->a, db_text(s, col + 2));
  u->totp = (int)db_int(s, col + 3);
  const char *roles = db_text(s, col + 4);
  u->roles = arena_strdup(r->a, roles ? roles : "");
  u->caps = auth_caps_of_roles(u->roles);
  return u;
}

#define USER_COLS "u.email, u.first_name, u.last_name, u.totp_secret IS NOT NULL," \
                  " (SELECT group_concat(role, ',') FROM user_roles WHERE user_id=u.id)"

/* An API request: the token names the user, or nobody. */
static void load_api_token(req *r, const char *tok) {
  if (strlen(tok) != 43) return;
  char h[65];
  auth_token_hash(tok, h);
  db_stmt *s = db_query("SELECT t.id, t.user_id, coalesce(t.last_used_at, 0), " USER_COLS
                        " FROM api_tokens t JOIN users u ON u.id=t.user_id"
                        " WHERE t.token_hash=? AND t.revoked_at IS NULL AND u.status='active'",
                        "t", h);
  if (db_step(s) == DB_ROW) {
    int64_t tid = db_int(s, 0), used = db_int(s, 2), now = now_unix();
    r->token_id = tid;
    r->me = user_from_row(r, s, 3, db_int(s, 1));
    db_done(s);
    if (now - used >= 60) db_run("UPDATE api_tokens SET last_used_at=? WHERE id=?", "ii", now, tid);
    return;
  }
  db_done(s);
}

void auth_load_session(req *r) {
  if (r->sess || r->me) return;
  const char *authz = r->api ? req_header(r, "Authorization") : NULL;
  if (authz && !strncasecmp(authz, "Bearer ", 7)) {
    load_api_token(r, authz + 7);
    return;
  }
  const char *tok = req_cookie(r, SESSION_COOKIE);
  if (!tok || strlen(tok) != 43) {
    anon_csrf(r);
    return;
  }
  char h[65];
  auth_token_hash(tok, h);
  int64_t now = now_unix();
  db_stmt *s = db_query("SELECT s.id, s.user_id, s.csrf, s.mfa_ok, s.created_at, s.seen_at, u.status, " USER_COLS
                        " FROM sessions s JOIN users u ON u.id=s.user_id WHERE s.token_hash=?",
                        "t", h);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_cookie(r, SESSION_COOKIE, "", 0);
    anon_csrf(r);
    return;
  }
  int64_t sid = db_int(s, 0), uid = db_int(s, 1);
  int64_t created = db_int(s, 4), seen = db_int(s, 5);
  int expired = now - seen > config_int("session_idle") ||
                now - created > config_int("session_absolute") ||
                strcmp(db_text(s, 6), "active") != 0;
  if (expired) {
    db_done(s);
    db_run("DELETE FROM sessions WHERE id=?", "i", sid);
    res_cookie(r, SESSION_COOKIE, "", 0);
    anon_csrf(r);
    return;
  }
  session *se = arena_alloc(r->a, sizeof *se);
  se->id = sid;
  se->seen_at = seen;
  se->mfa_ok = (int)db_int(s, 3);
  r->sess = se;
  r->csrf = arena_strdup(r->a, db_text(s, 2));
  if (se->mfa_ok)
    r->me = user_from_row(r, s, 7, uid);
  else
    r->pending_uid = uid;
  db_done(s);
  if (now - seen >= 60) db_run("UPDATE sessions SET seen_at=? WHERE id=?", "ii", now, sid);
}

int64_t auth_api_token_create(int64_t uid, const char *name, char out[44]) {
  char h[65], hint[7];
  auth_token_new(out);
  auth_token_hash(out, h);
  memcpy(hint, out, 6);
  hint[6] = 0;
  return db_insert("INSERT INTO api_tokens(user_id, name, token_hash, hint, created_at) VALUES(?,?,?,?,?)", NULL,
                   "ittti", uid, name, h, hint, now_unix());
}

int auth_api_token_revoke(int64_t uid, int64_t id) {
  return db_run("UPDATE api_tokens SET revoked_at=? WHERE id=? AND user_id=? AND revoked_at IS NULL", "iii",
                now_unix(), id, uid) == DB_DONE &&
         db_changes() > 0;
}

int auth_login(req *r, int64_t uid, int mfa_ok) {
  if (r->sess) db_run("DELETE FROM sessions WHERE id=?", "i", r->sess->id);
  r->sess = NULL;
  r->me = NULL;
  r->pending_uid = 0;
  char tok[44], h[65], csrf[44];
  auth_token_new(tok);
  auth_token_hash(tok, h);
  auth_token_new(csrf);
  int64_t now = now_unix();
  const char *ua = req_header(r, "User-Agent");
  char uas[200] = "";
  if (ua) snprintf(uas, sizeof uas, "%s", ua);
  int64_t sid = db_insert("INSERT INTO sessions(token_hash, user_id, csrf, mfa_ok, created_at, seen_at,"
                          " ip, user_agent) VALUES(?,?,?,?,?,?,?,?)",
                          NULL, "titiiitt", h, uid, csrf, (int64_t)mfa_ok, now, now, r->ip, uas);
  if (sid < 0) return -1;
  res_cookie(r, SESSION_COOKIE, tok, -1);
  session *se = arena_alloc(r->a, sizeof *se);
  se->id = sid;
  se->seen_at = now;
  se->mfa_ok = mfa_ok;
  r->sess = se;
  r->csrf = arena_strdup(r->a, csrf);
  if (mfa_ok) db_run("UPDATE users SET last_login_at=? WHERE id=?", "ii", now, uid);
  else r->pending_uid = uid;
  return 0;
}

int auth_mfa_done(req *r) {
  assert(r->pending_uid);
  return auth_login(r, r->pending_uid, 1);
}

void auth_logout(req *r) {
  if (r->sess) db_run("DELETE FROM sessions WHERE id=?", "i", r->sess->id);
  r->sess = NULL;
  r->me = NULL;
  r->pending_uid = 0;
  res_cookie(r, SESSION_COOKIE, "", 0);
}

void auth_end_other_sessions(req *r, int64_t uid) {
  db_run("DELETE FROM sessions WHERE user_id=? AND id<>?", "ii", uid, r->sess ? r->sess->id : 0);
}

/* ----------------------------------------------------------- throttling */

const char *auth_login_throttled(req *r, const char *email) {
  int64_t since = now_unix() - config_int("login_window");
  int64_t by_account = db_get_int(0, "SELECT count(*) FROM login_failures WHERE email=? AND at>?",
                                  "ti", email, since);
  int64_t by_ip = db_get_int(0, "SELECT count(*) FROM login_failures WHERE ip=? AND at>?", "ti",
                             r->ip, since);
  if (by_account >= config_int("login_max_per_account") || by_ip >= config_int("login_max_per_ip")) {
    int64_t minutes = (config_int("login_window") + 59) / 60;
    return arena_printf(r->a,
                        _("Trop de tentatives de connexion échouées. Par sécurité, réessayez dans "
                          "%lld minutes, ou réinitialisez votre mot de passe."),
                        (long long)minutes);
  }
  return NULL;
}

void auth_login_failed(req *r, const char *email) {
  db_run("INSERT INTO login_failures(email, ip, at) VALUES(?,?,?)", "tti", email, r->ip, now_unix());
}

void auth_login_succeeded(const char *email) {
  db_run("DELETE FROM login_failures WHERE email=?", "t", email);
}

/* ----------------------------------------------------------------- CSRF */

/* The scheme://host[:port] this request was addressed to. */
static int origin_ok(req *r) {
  const char *origin = req_header(r, "Origin");
  const char *src = origin ? origin : req_header(r, "Referer");
  if (!src || !strcmp(src, "null")) return origin == NULL; /* no header: token alone decides */
  const char *base = config_str("base_url");
  if (*base) {
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    if (!strncmp(src, base, n) && (src[n] == 0 || src[n] == '/')) return 1;
  }
  const char *host = req_header(r, "Host");
  if (!host) return 0;
  const char *p = strstr(src, "://");
  if (!p) return 0;
  p += 3;
  size_t nh = strlen(host);
  return !strncmp(p, host, nh) && (p[nh] == 0 || p[nh] == '/');
}

int auth_csrf_ok(req *r) {
  if (!origin_ok(r)) return 0;
  const char *t = req_form(r, "_csrf");
  if (!t) t = req_header(r, "X-CSRF-Token");
  return t && r->csrf && ct_streq(t, r->csrf);
}

/* ---------------------------------------------------------------- users */

char *auth_email_norm(char *email) {
  for (char *p = email; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  return email;
}

int64_t auth_user_create(const char *email, const char *password, const char *status,
                         const char *roles, int *dup) {
  char hash[PASSWORD_HASH_MAX];
  if (dup) *dup = 0;
  if (password_hash(password, hash) != 0) return -1;
  char *em = auth_email_norm(xstrdup(email));
  int rc;
  int64_t now = now_unix();
  int own_tx = !db_in_transaction();
  if (own_tx && db_begin_write() != 0) {
    free(em);
    return -1;
  }
  int64_t id = db_insert("INSERT INTO users(email, password_hash, status, created_at, confirmed_at)"
                         " VALUES(?1, ?2, ?3, ?4, CASE WHEN ?3='active' THEN ?4 END)",
                         &rc, "ttti", em, hash, status, now);
  free(em);
  if (id < 0) {
    if (own_tx) db_rollback();
    if (dup) *dup = rc == DB_CONSTRAINT;
    return -1;
  }
  const char *p = roles;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char role[40];
    snprintf(role, sizeof role, "%.*s", (int)n, p);
    if (role_index(role, strlen(role)) >= 0)
      db_run("INSERT INTO user_roles(user_id, role) VALUES(?,?)", "it", id, role);
    p = e ? e + 1 : NULL;
  }
  if (own_tx && db_commit() != 0) return -1;
  return id;
}
