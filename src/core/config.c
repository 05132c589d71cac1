/*
** config.c — the configuration table. Every key has a default, here for
** core's keys and in its feature's `config` table (feature.h) for the
** others, so a typo in the file is an error, not a silently ignored line.
**
** The features' keys are copied into g_fkeys once, on first use (config_load
** at start-up, or a test's config_set), under pthread_once; after loading,
** every table is read-only and may be read from any thread.
*/
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/feature.h"
#include "core/util.h"

typedef struct ckey {
  const char *key;   /* name in the file; GUICHET_<KEY> in the environment */
  const char *dflt;  /* built-in default */
  char *val;         /* current value (malloc'ed) or NULL for the default */
} ckey;

static ckey g_keys[] = {
    {"listen", "127.0.0.1", 0},        /* address to bind */
    {"port", "8080", 0},               /* TCP port; 0 = any free port */
    {"data_dir", "var", 0},            /* database, documents, backups */
    {"db", "", 0},                     /* database file; "" = data_dir/guichet.db */
    {"base_url", "", 0},               /* public URL for emails; "" = http://listen:port */
    {"threads", "0", 0},               /* HTTP threads; 0 = one per core */
    {"secret_key", "", 0},             /* 64 hex chars; "" = generated into data_dir */
    {"territory_name", "Agglomération de La Rochelle", 0},
    {"territory_short", "Guichet", 0}, /* short name in the header */
    {"logo_url", "", 0},               /* "" = text logo */
    {"color_primary", "#0b5d4b", 0},   /* theme: main colour (contrast ≥ 4.5 on white) */
    {"color_accent", "#f2b705", 0},    /* theme: accent */
    {"smtp_url", "", 0},               /* "" = keep mail in the outbox */
    {"smtp_from", "guichet@localhost", 0},
    {"session_idle", "7200", 0},       /* seconds without a request before logout */
    {"session_absolute", "43200", 0},  /* seconds after login, whatever happens */
    {"require_2fa_staff", "0", 0},     /* 1: instructors and admins must use TOTP */
    {"max_body", "65536", 0},          /* default request body cap (bytes) */
    {"max_upload", "10485760", 0},     /* document upload cap (10 MB) */
    {"max_conn_per_ip", "64", 0},      /* concurrent connections per IP (429 past it) */
    {"conn_timeout", "15", 0},         /* idle connection timeout, seconds */
    {"login_max_per_account", "5", 0}, /* failed logins per account per window */
    {"login_max_per_ip", "20", 0},     /* failed logins per IP per window */
    {"login_window", "900", 0},        /* throttling window, seconds */
    {"backup_keep", "7", 0},           /* daily backups kept */
    {"access_log", "1", 0},            /* 1: JSON-lines access log on stderr */
    {"passwords_file", "build/common-passwords.txt", 0},
    {"seed", "1", 0},                  /* 1: seed demo accounts into an empty db */
    {"secure_cookies", "auto", 0},     /* auto: Secure when base_url is https */
};

/* A feature's key: its value slot and its declaration. */
typedef struct fkey {
  ckey k;                       /* key, default (borrowed from the feature), value */
  const struct config_key *def; /* the feature's entry (range) */
} fkey;

static fkey *g_fkeys;           /* every feature's keys, malloc'ed once, never freed */
static size_t g_nfkey;
static pthread_once_t g_fonce = PTHREAD_ONCE_INIT;

static ckey *find_in(const char *key) {
  for (size_t i = 0; i < ARRAY_SIZE(g_keys); i++)
    if (strcmp(g_keys[i].key, key) == 0) return &g_keys[i];
  for (size_t i = 0; i < g_nfkey; i++)
    if (strcmp(g_fkeys[i].k.key, key) == 0) return &g_fkeys[i].k;
  return NULL;
}

/* Copies the features' tables. A key outside its feature's prefix, or
** declared twice, is a programming error: abort at start-up. */
static void features_register(void) {
  size_t n = 0;
  for (int i = 0; features[i]; i++)
    for (const struct config_key *c = features[i]->config; c && c->key; c++) n++;
  g_fkeys = xcalloc(n ? n : 1, sizeof *g_fkeys);
  for (int i = 0; features[i]; i++) {
    size_t np = strlen(features[i]->name);
    for (const struct config_key *c = features[i]->config; c && c->key; c++) {
      if (strncmp(c->key, features[i]->name, np) != 0 || c->key[np] != '_' || find_in(c->key)) {
        fprintf(stderr, "guichet: feature %s: configuration key '%s' must start with '%s_' and be unique\n",
                features[i]->name, c->key, features[i]->name);
        abort();
      }
      g_fkeys[g_nfkey].k.key = c->key;
      g_fkeys[g_nfkey].k.dflt = c->dflt;
      g_fkeys[g_nfkey++].def = c;
    }
  }
}

static ckey *find(const char *key) {
  pthread_once(&g_fonce, features_register);
  return find_in(key);
}

void config_set(const char *key, const char *value) {
  ckey *k = find(key);
  if (!k) {
    fprintf(stderr, "guichet: unknown configuration key '%s'\n", key);
    abort();
  }
  free(k->val);
  k->val = xstrdup(value);
}

const char *config_str(const char *key) {
  ckey *k = find(key);
  if (!k) {
    fprintf(stderr, "guichet: unknown configuration key '%s'\n", key);
    abort();
  }
  return k->val ? k->val : k->dflt;
}

int64_t config_int(const char *key) { return strtoll(config_str(key), NULL, 10); }

static char *trim(char *z) {
  while (isspace((unsigned char)*z)) z++;
  char *e = z + strlen(z);
  while (e > z && isspace((unsigned char)e[-1])) *--e = 0;
  return z;
}

/* GUICHET_<KEY> overrides k when set. */
static void env_override(ckey *k) {
  char env[80] = "GUICHET_";
  size_t n = strlen(env);
  for (const char *z = k->key; *z && n < sizeof env - 1; z++) env[n++] = (char)toupper((unsigned char)*z);
  env[n] = 0;
  const char *v = getenv(env);
  if (v) config_set(k->key, v);
}

/* 0 when every feature key with a range holds a whole number within it;
** else -1 with a message naming the key. */
static int check_ranges(void) {
  for (size_t i = 0; i < g_nfkey; i++) {
    const struct config_key *d = g_fkeys[i].def;
    if (d->min == 0 && d->max == 0) continue;
    const char *v = config_str(d->key);
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < d->min || x > d->max) {
      fprintf(stderr, "guichet: %s = '%s': expected a whole number from %lld to %lld\n", d->key, v, d->min,
              d->max);
      return -1;
    }
  }
  return 0;
}

int config_load(void) {
  pthread_once(&g_fonce, features_register);
  const char *path = getenv("GUICHET_CONFIG");
  int explicit = path != NULL;
  if (!path) path = "guichet.conf";
  FILE *f = fopen(path, "r");
  if (!f && (explicit || errno != ENOENT)) {
    fprintf(stderr, "guichet: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (f) {
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
      lineno++;
      char *z = trim(line);
      if (!*z || *z == '#') continue;
      char *eq = strchr(z, '=');
      if (!eq) {
        fprintf(stderr, "guichet: %s:%d: expected key = value\n", path, lineno);
        fclose(f);
        return -1;
      }
      *eq = 0;
      char *key = trim(z), *val = trim(eq + 1);
      if (!find(key)) {
        fprintf(stderr, "guichet: %s:%d: unknown key '%s'\n", path, lineno, key);
        fclose(f);
        return -1;
      }
      config_set(key, val);
    }
    fclose(f);
  }
  for (size_t i = 0; i < ARRAY_SIZE(g_keys); i++) env_override(&g_keys[i]);
  for (size_t i = 0; i < g_nfkey; i++) env_override(&g_fkeys[i].k);
  return check_ranges();
}
