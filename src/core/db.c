/*
** db.c — SQLite backend of db.h.
**
** Each thread lazily opens its own connection to the one file (WAL mode lets
** readers run while one writer writes) and keeps a small cache of prepared
** statements keyed by SQL text: an open-addressing table of 128 slots that
** only grows (statements are fixed strings in code, so the set is bounded).
** The thread-local connection is closed by db_thread_close() or leaks with a
** thread that never calls it (MHD pool threads live as long as the process).
*/
#include "core/db.h"

#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/embed.h"
#include "core/log.h"

struct db_stmt {
  sqlite3_stmt *st;   /* the engine's statement */
};

/* A slot points to its statement, allocated once: growing the table moves
** the slots, never the statements, so a db_stmt held open by a caller stays
** valid while other statements are prepared. */
typedef struct cslot {
  const char *sql;    /* key: the caller's SQL text (a string in code) */
  db_stmt *s;         /* its statement */
} cslot;

typedef struct conn {
  sqlite3 *db;        /* this thread's connection */
  cslot *slots;       /* statement cache */
  int nslot;          /* slots allocated (power of two) */
  int nused;          /* slots filled */
  int in_tx;          /* a transaction is open */
} conn;

static char *g_path;                 /* database file, set once by db_open */
static _Thread_local conn *t_conn;   /* this thread's connection */
static pthread_key_t g_key;          /* same pointer, so thread exit closes it */
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void conn_close(conn *c);
static void conn_destructor(void *p) { conn_close(p); }
static void key_init(void) { pthread_key_create(&g_key, conn_destructor); }

static conn *db_conn(void) {
  if (t_conn) return t_conn;
  assert(g_path && "db_open must be called first");
  conn *c = xcalloc(1, sizeof(*c));
  int rc = sqlite3_open_v2(g_path, &c->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "guichet: cannot open %s: %s\n", g_path, sqlite3_errmsg(c->db));
    abort();
  }
  sqlite3_busy_timeout(c->db, 5000);
  sqlite3_exec(c->db,
               "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
               "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-4000;",
               NULL, NULL, NULL);
  c->nslot = 128;
  c->slots = xcalloc((size_t)c->nslot, sizeof(cslot));
  t_conn = c;
  pthread_once(&g_key_once, key_init);
  pthread_setspecific(g_key, c);
  return c;
}

int db_open(const char *path) {
  /* SQLite's memory statistics take a process-wide lock on every
  ** allocation (160 times per authenticated page); we do not read them.
  ** Must precede the library's initialisation; ignored if too late. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  free(g_path);
  g_path = xstrdup(path);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "guichet: cannot open %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return -1;
  }
  char *err = NULL;
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "guichet: %s: %s\n", path, err);
    sqlite3_free(err);
    sqlite3_close(db);
    return -1;
  }
  sqlite3_close(db);
  return 0;
}

const char *db_path(void) { return g_path; }

void db_thread_close(void) {
  conn *c = t_conn;
  if (!c) return;
  pthread_setspecific(g_key, NULL);
  conn_close(c);
}

static void conn_close(conn *c) {
  for (int i = 0; i < c->nslot; i++)
    if (c->slots[i].sql) {
      sqlite3_finalize(c->slots[i].s->st);
      free(c->slots[i].s);
      free((char *)c->slots[i].sql);
    }
  free(c->slots);
  sqlite3_close(c->db);
  free(c);
  t_conn = NULL;
}

static uint32_t sql_hash(const char *z) {
  uint32_t h = 2166136261u;
  while (*z) h = (h ^ (unsigned char)*z++) * 16777619u;
  return h;
}

static void cache_grow(conn *c) {
  cslot *old = c->slots;
  int nold = c->nslot;
  c->nslot *= 2;
  c->slots = xcalloc((size_t)c->nslot, sizeof(cslot));
  for (int i = 0; i < nold; i++) {
    if (!old[i].sql) continue;
    uint32_t j = sql_hash(old[i].sql) & (uint32_t)(c->nslot - 1);
    while (c->slots[j].sql) j = (j + 1) & (uint32_t)(c->nslot - 1);
    c->slots[j] = old[i];
  }
  free(old);
}

db_stmt *db_prep(const char *sql) {
  conn *c = db_conn();
  uint32_t mask = (uint32_t)(c->nslot - 1);
  uint32_t j = sql_hash(sql) & mask;
  while (c->slots[j].sql) {
    if (c->slots[j].sql == sql || strcmp(c->slots[j].sql, sql) == 0) {
      db_stmt *s = c->slots[j].s;
      sqlite3_reset(s->st);
      sqlite3_clear_bindings(s->st);
      return s;
    }
    j = (j + 1) & mask;
  }
  if ((c->nused + 1) * 2 > c->nslot) {
    cache_grow(c);
    return db_prep(sql);
  }
  sqlite3_stmt *st;
  if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "guichet: SQL does not compile: %s\n  %s\n", sqlite3_errmsg(c->db), sql);
    abort();
  }
  /* The key must outlive the cache: SQL is a literal in code, but copy it
  ** in case a caller built it (e.g. from a fixed table of identifiers). */
  c->slots[j].sql = xstrdup(sql);
  c->slots[j].s = xmalloc(sizeof(db_stmt));
  c->slots[j].s->st = st;
  c->nused++;
  return c->slots[j].s;
}

void db_bind_int(db_stmt *s, int i, int64_t v) { sqlite3_bind_int64(s->st, i, v); }
void db_bind_double(db_stmt *s, int i, double v) { sqlite3_bind_double(s->st, i, v); }
void db_bind_text(db_stmt *s, int i, const char *z) {
  if (z) sqlite3_bind_text(s->st, i, z, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(s->st, i);
}
void db_bind_textn(db_stmt *s, int i, const char *z, size_t n) {
  sqlite3_bind_text(s->st, i, z, (int)n, SQLITE_TRANSIENT);
}
void db_bind_blob(db_stmt *s, int i, const void *p, size_t n) {
  sqlite3_bind_blob(s->st, i, p, (int)n, SQLITE_TRANSIENT);
}
void db_bind_null(db_stmt *s, int i) { sqlite3_bind_null(s->st, i); }

int db_step(db_stmt *s) {
  int rc = sqlite3_step(s->st);
  if (rc == SQLITE_ROW) return DB_ROW;
  if (rc == SQLITE_DONE) return DB_DONE;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return DB_CONSTRAINT;
  log_error("db", "%s: %s", sqlite3_errmsg(db_conn()->db), sqlite3_sql(s->st));
  return DB_ERROR;
}

void db_done(db_stmt *s) {
  sqlite3_reset(s->st);
  sqlite3_clear_bindings(s->st);
}

int db_cols(db_stmt *s) { return sqlite3_column_count(s->st); }
int64_t db_int(db_stmt *s, int col) { return sqlite3_column_int64(s->st, col); }
double db_double(db_stmt *s, int col) { return sqlite3_column_double(s->st, col); }
const char *db_text(db_stmt *s, int col) { return (const char *)sqlite3_column_text(s->st, col); }
const void *db_blob(db_stmt *s, int col, size_t *n) {
  const void *p = sqlite3_column_blob(s->st, col);
  *n = (size_t)sqlite3_column_bytes(s->st, col);
  return p;
}
int db_is_null(db_stmt *s, int col) { return sqlite3_column_type(s->st, col) == SQLITE_NULL; }
int db_type(db_stmt *s, int col) {
  switch (sqlite3_column_type(s->st, col)) {
    case SQLITE_INTEGER: return 'i';
    case SQLITE_FLOAT: return 'd';
    case SQLITE_TEXT: return 't';
    case SQLITE_BLOB: return 'b';
    default: return 'n';
  }
}
const char *db_colname(db_stmt *s, int col) { return sqlite3_column_name(s->st, col); }

static void bind_va(db_stmt *s, const char *fmt, va_list ap) {
  for (int i = 0; fmt && fmt[i]; i++) {
    switch (fmt[i]) {
      case 'i': db_bind_int(s, i + 1, va_arg(ap, int64_t)); break;
      case 'd': db_bind_double(s, i + 1, va_arg(ap, double)); break;
      case 't': db_bind_text(s, i + 1, va_arg(ap, const char *)); break;
      case 'n': db_bind_null(s, i + 1); break;
      default: assert(!"bad db format character");
    }
  }
}

db_stmt *db_query(const char *sql, const char *fmt, ...) {
  db_stmt *s = db_prep(sql);
  va_list ap;
  va_start(ap, fmt);
  bind_va(s, fmt, ap);
  va_end(ap);
  return s;
}

int db_run(const char *sql, const char *fmt, ...) {
  db_stmt *s = db_prep(sql);
  va_list ap;
  va_start(ap, fmt);
  bind_va(s, fmt, ap);
  va_end(ap);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
  }
  db_done(s);
  return rc;
}

int64_t db_insert(const char *sql, int *prc, const char *fmt, ...) {
  db_stmt *s = db_prep(sql);
  va_list ap;
  va_start(ap, fmt);
  bind_va(s, fmt, ap);
  va_end(ap);
  int rc = db_step(s);
  int64_t id = -1;
  if (rc == DB_ROW) { /* INSERT … RETURNING id */
    id = db_int(s, 0);
    rc = DB_DONE;
  } else if (rc == DB_DONE) {
    id = sqlite3_last_insert_rowid(db_conn()->db);
  }
  db_done(s);
  if (prc) *prc = rc;
  return id;
}

int64_t db_get_int(int64_t dflt, const char *sql, const char *fmt, ...) {
  db_stmt *s = db_prep(sql);
  va_list ap;
  va_start(ap, fmt);
  bind_va(s, fmt, ap);
  va_end(ap);
  int64_t v = dflt;
  if (db_step(s) == DB_ROW && !db_is_null(s, 0)) v = db_int(s, 0);
  db_done(s);
  return v;
}

char *db_get_text(arena *a, const char *sql, const char *fmt, ...) {
  db_stmt *s = db_prep(sql);
  va_list ap;
  va_start(ap, fmt);
  bind_va(s, fmt, ap);
  va_end(ap);
  char *v = NULL;
  if (db_step(s) == DB_ROW && !db_is_null(s, 0)) v = arena_strdup(a, db_text(s, 0));
  db_done(s);
  return v;
}

int db_changes(void) { return sqlite3_changes(db_conn()->db); }

static int tx_exec(const char *sql) {
  db_stmt *s = db_prep(sql);
  int rc = db_step(s);
  db_done(s);
  return rc == DB_DONE ? 0 : -1;
}

int db_begin(void) {
  conn *c = db_conn();
  assert(!c->in_tx && "nested transaction");
  if (tx_exec("BEGIN") != 0) return -1;
  c->in_tx = 1;
  return 0;
}

int db_begin_write(void) {
  conn *c = db_conn();
  assert(!c->in_tx && "nested transaction");
  if (tx_exec("BEGIN IMMEDIATE") != 0) return -1;
  c->in_tx = 1;
  return 0;
}

int db_commit(void) {
  conn *c = db_conn();
  assert(c->in_tx);
  if (tx_exec("COMMIT") != 0) {
    db_rollback();
    return -1;
  }
  c->in_tx = 0;
  return 0;
}

void db_rollback(void) {
  conn *c = db_conn();
  if (!c->in_tx) return;
  if (sqlite3_get_autocommit(c->db) == 0) tx_exec("ROLLBACK");
  c->in_tx = 0;
}

int db_in_transaction(void) {
  /* The engine's own flag, not in_tx: it also sees a transaction opened by
  ** a script, and a rollback the engine did by itself. */
  return t_conn && sqlite3_get_autocommit(t_conn->db) == 0;
}

int db_exec_script(const char *sql, char **err) {
  char *msg = NULL;
  if (sqlite3_exec(db_conn()->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    if (err) *err = xstrdup(msg ? msg : "erreur inconnue");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* Migrations are the embedded files "<owner>/migrations/NNN_*.sql"; the
** embedded table is sorted by name, so "core/" comes before "features/" and
** each owner's scripts come in number order. */
int db_migrate(void) {
  char *err = NULL;
  if (db_exec_script("CREATE TABLE IF NOT EXISTS schema_migrations("
                     " name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
                     &err) != 0) {
    fprintf(stderr, "guichet: migrate: %s\n", err);
    free(err);
    return -1;
  }
  int applied = 0;
  for (int i = 0; i < embedded_count; i++) {
    const struct embedded_file *f = &embedded_files[i];
    if (!strstr(f->name, "/migrations/")) continue;
    size_t n = strlen(f->name);
    if (n < 4 || strcmp(f->name + n - 4, ".sql") != 0) continue;
    if (db_get_int(0, "SELECT 1 FROM schema_migrations WHERE name=?", "t", f->name)) continue;
    if (db_begin_write() != 0) return -1;
    if (db_exec_script(f->data, &err) != 0 ||
        db_run("INSERT INTO schema_migrations(name, applied_at) VALUES(?, ?)", "ti", f->name,
               now_unix()) != DB_DONE) {
      fprintf(stderr, "guichet: migration %s failed: %s\n", f->name, err ? err : "?");
      free(err);
      db_rollback();
      return -1;
    }
    if (db_commit() != 0) return -1;
    applied++;
  }
  return applied;
}

int db_backup_to(const char *path) {
  sqlite3 *dst;
  if (sqlite3_open(path, &dst) != SQLITE_OK) {
    sqlite3_close(dst);
    return -1;
  }
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", db_conn()->db, "main");
  int rc = -1;
  if (b) {
    /* Copy in steps so writers are not held off for the whole copy. */
    int r;
    do {
      r = sqlite3_backup_step(b, 256);
      if (r == SQLITE_BUSY || r == SQLITE_LOCKED) sqlite3_sleep(50);
    } while (r == SQLITE_OK || r == SQLITE_BUSY || r == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    rc = r == SQLITE_DONE ? 0 : -1;
  }
  if (rc == 0 && sqlite3_errcode(dst) != SQLITE_OK) rc = -1;
  sqlite3_close(dst);
  return rc;
}

int64_t db_file_size(void) {
  struct stat st;
  if (!g_path || stat(g_path, &st) != 0) return 0;
  return (int64_t)st.st_size;
}
