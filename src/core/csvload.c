/*
** csvload.c — the streaming CSV loader of csvload.h.
**
** Pipeline, one thread: source (read(2)/gzread/inflate, 64 KiB blocks) →
** libcsv (a byte-at-a-time state machine calling back per field and per
** record) → row assembly (fields appended to one reused buffer, cells are
** pointers into it) → ts_validate_row_values (typed values, no allocation)
** → optional row hook → bind and step one cached INSERT (or the hook
** stores the row itself) → optional before_commit → COMMIT every
** batch_rows inserted rows.
**
** csvload_each runs the same pipeline up to row assembly and hands every
** record to its callback instead: no schema, no table, no checkpointer.
**
** Memory: one loader per call, freed before return: the block, the row
** buffer (≤ ROW_MAX), cell arrays (≤ CELL_MAX), the typed values and the
** INSERT text. libcsv's field buffer is capped through its realloc hook.
**
** WAL checkpoints (copying committed pages into the database file, then
** fsync) would otherwise run on the loading thread every ~1,000 pages and
** wait for the disk. During a load the loader's connection stops
** checkpointing by itself and a second thread, with its own connection,
** runs a PASSIVE checkpoint after each commit, so the copy and the fsyncs
** overlap the parsing on the second core (on the reference box this takes
** ~10 % of a load's CPU off the loading thread; with a slow disk, every
** fsync wait). Every CKPT_SYNC_ROWS committed rows (16 default batches;
** every batch once batches are that big) the loader waits for the
** checkpointer to catch up, so that its next transaction restarts the WAL
** from the beginning and the file stays bounded; at the end it waits for
** the last checkpoint, so the reported time includes writing the data
** where it belongs. Durability is unchanged: each commit is in the WAL
** (synchronous=NORMAL) before COMMIT returns.
**
** The INSERT is prepared once through db_prep: a cached statement stays
** where it is while others are prepared (core/db.c).
*/
#include "core/csvload.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "core/db.h"
#include "core/log.h"

#define BLOCK_SIZE (64u << 10) /* read size, as the issue asks */
#define ROW_MAX (1u << 20)     /* bytes in one record, all fields together */
#define CELL_MAX 4096          /* cells in one record */
#define NAME_MAX_LEN 63        /* identifiers, as PostgreSQL's NAMEDATALEN-1 */
#define CKPT_SYNC_ROWS 160000  /* rows committed between waits for the checkpointer */

/* ----------------------------------------------------------- checkpointer */

typedef struct ckpt {
  pthread_t th;       /* the checkpointing thread */
  pthread_mutex_t mu; /* guards the three counters below */
  pthread_cond_t cv;  /* broadcast on every change */
  unsigned requested; /* checkpoints asked for */
  unsigned done;      /* checkpoints finished (the last one asked for when
                      ** it started) */
  int quit;           /* the load is over: finish and leave */
  int running;        /* the thread exists */
  int64_t oldAuto;    /* the loader connection's wal_autocheckpoint */
} ckpt;

static void *ckpt_main(void *arg) {
  ckpt *c = arg;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    while (c->done == c->requested && !c->quit) pthread_cond_wait(&c->cv, &c->mu);
    if (c->done == c->requested) break; /* quit, nothing pending */
    unsigned target = c->requested;
    pthread_mutex_unlock(&c->mu);
    db_stmt *s = db_prep("PRAGMA wal_checkpoint(PASSIVE)");
    while (db_step(s) == DB_ROW) {
    }
    db_done(s);
    pthread_mutex_lock(&c->mu);
    c->done = target;
    pthread_cond_broadcast(&c->cv);
  }
  pthread_mutex_unlock(&c->mu);
  db_thread_close();
  return NULL;
}

/* Starts the thread and turns this connection's own checkpoints off. */
static void ckpt_start(ckpt *c) {
  memset(c, 0, sizeof(*c));
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  db_stmt *q = db_query("PRAGMA journal_mode", NULL);
  int wal = db_step(q) == DB_ROW && str_eq(db_text(q, 0), "wal");
  db_done(q);
  if (!wal) return;
  if (pthread_create(&c->th, NULL, ckpt_main, c) != 0) return;
  c->running = 1;
  c->oldAuto = db_get_int(1000, "PRAGMA wal_autocheckpoint", NULL);
  db_run("PRAGMA wal_autocheckpoint=0", NULL);
}

static void ckpt_request(ckpt *c) {
  if (!c->running) return;
  pthread_mutex_lock(&c->mu);
  c->requested++;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Waits until a checkpoint asked for after the last commit has finished. */
static void ckpt_wait(ckpt *c) {
  if (!c->running) return;
  pthread_mutex_lock(&c->mu);
  unsigned target = c->requested;
  while ((int)(c->done - target) < 0) pthread_cond_wait(&c->cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
}

/* Lets the last checkpoint finish, joins, restores the connection. */
static void ckpt_stop(ckpt *c) {
  if (c->running) {
    pthread_mutex_lock(&c->mu);
    c->quit = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%lld", (long long)c->oldAuto);
    db_run(sql, NULL);
  }
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
}

/* ------------------------------------------------------------------ input */

typedef struct source {
  int fd;                   /* plain file or descriptor, -1 if none */
  int ownFd;                /* we opened fd */
  gzFile gz;                /* gzip file or descriptor, or NULL */
  const unsigned char *mem; /* memory input */
  size_t nmem;              /* its length */
  size_t pos;               /* bytes of mem consumed */
  z_stream zs;              /* inflating mem */
  int inflating;            /* zs in use */
  int64_t total;            /* bytes produced so far */
} source;

static int has_gz_suffix(const char *p) {
  size_t n = strlen(p);
  return n > 3 && strcmp(p + n - 3, ".gz") == 0;
}

/* Opens the input. 0, or -1 with err set. */
static int src_open(source *s, const csvload_opts *o, char *err, size_t nerr) {
  memset(s, 0, sizeof(*s));
  s->fd = -1;
  if (o->path) {
    int fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      snprintf(err, nerr, "fichier illisible : %s", strerror(errno));
      return -1;
    }
    unsigned char magic[2] = {0, 0};
    ssize_t k = pread(fd, magic, 2, 0);
    if (has_gz_suffix(o->path) || (k == 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
      s->gz = gzdopen(fd, "rb");
      if (!s->gz) {
        close(fd);
        snprintf(err, nerr, "fichier gzip illisible");
        return -1;
      }
      gzbuffer(s->gz, 128u << 10);
    } else {
      s->fd = fd;
      s->ownFd = 1;
    }
  } else if (o->data) {
    s->mem = (const unsigned char *)o->data;
    s->nmem = o->ndata;
    if (s->nmem >= 2 && s->mem[0] == 0x1f && s->mem[1] == 0x8b) {
      if (inflateInit2(&s->zs, 15 + 32) != Z_OK) {
        snprintf(err, nerr, "décompression impossible");
        return -1;
      }
      s->zs.next_in = (unsigned char *)s->mem;
      s->zs.avail_in = (unsigned)(s->nmem > UINT32_MAX ? UINT32_MAX : s->nmem);
      s->inflating = 1;
    }
  } else if (o->use_fd) {
    /* gzdopen reads plain data transparently; dup so gzclose leaves the
    ** caller's descriptor open. */
    int fd = dup(o->fd);
    if (fd < 0 || !(s->gz = gzdopen(fd, "rb"))) {
      if (fd >= 0) close(fd);
      snprintf(err, nerr, "descripteur illisible");
      return -1;
    }
    gzbuffer(s->gz, 128u << 10);
  } else {
    snprintf(err, nerr, "aucune source : path, data ou fd");
    return -1;
  }
  return 0;
}

/* Up to n bytes into b: count, 0 at the end, -1 on error (err set). */
static long src_read(source *s, char *b, size_t n, char *err, size_t nerr) {
  long k;
  if (s->gz) {
    int r = gzread(s->gz, b, (unsigned)n);
    if (r < 0) {
      int zerr;
      const char *m = gzerror(s->gz, &zerr);
      snprintf(err, nerr, "lecture impossible : %s", zerr == Z_ERRNO ? strerror(errno) : m);
      return -1;
    }
    k = r;
  } else if (s->fd >= 0) {
    ssize_t r;
    do r = read(s->fd, b, n);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      snprintf(err, nerr, "lecture impossible : %s", strerror(errno));
      return -1;
    }
    k = (long)r;
  } else if (s->inflating) {
    s->zs.next_out = (unsigned char *)b;
    s->zs.avail_out = (unsigned)n;
    while (s->zs.avail_out == n) {
      if (!s->zs.avail_in) {
        size_t used = (size_t)(s->zs.next_in - s->mem);
        if (used >= s->nmem) break;
        size_t left = s->nmem - used;
        s->zs.avail_in = (unsigned)(left > UINT32_MAX ? UINT32_MAX : left);
      }
      int r = inflate(&s->zs, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        if (!s->zs.avail_in && (size_t)(s->zs.next_in - s->mem) >= s->nmem) break;
        inflateReset(&s->zs); /* another gzip member follows */
      } else if (r != Z_OK) {
        snprintf(err, nerr, "données gzip corrompues");
        return -1;
      }
    }
    k = (long)(n - s->zs.avail_out);
  } else {
    size_t left = s->nmem - s->pos;
    k = (long)(left < n ? left : n);
    memcpy(b, s->mem + s->pos, (size_t)k);
    s->pos += (size_t)k;
  }
  s->total += k;
  return k;
}

static void src_close(source *s) {
  if (s->gz) gzclose(s->gz);
  if (s->ownFd) close(s->fd);
  if (s->inflating) inflateEnd(&s->zs);
}

/* ----------------------------------------------------------------- loader */

typedef struct loader {
  const csvload_opts *o; /* the caller's options */
  csvload_result *res;   /* the caller's result */
  ts_schema *schema;     /* o->schema */
  size_t nfield;         /* fields in the schema */
  char *row;             /* the record's bytes, each field NUL-terminated */
  size_t nrow;           /* bytes used */
  size_t *aOff;          /* offset in row of each cell */
  const char **aCell;    /* cells, built at the end of a record */
  size_t ncell;          /* cells in the record so far */
  int rowTooBig;         /* the record passed ROW_MAX or CELL_MAX */
  int64_t line;          /* record number (header = 1) */
  int haveHeader;        /* the header has been read */
  int stop;              /* ignore further records */
  ts_value *aVal;        /* typed values of the row */
  int *aStore;           /* per field: 1 if bound to a column */
  char *sql;             /* the INSERT */
  db_stmt *st;           /* the INSERT, prepared at the first row */
  int inTx;              /* a batch transaction is open */
  size_t inBatch;        /* rows inserted in it */
  size_t batchRows;      /* rows in this batch (doubles up to o->batch_rows_max) */
  ckpt ck;               /* the checkpointer */
  size_t sinceSync;      /* rows committed since the loader last waited for it */
  csvload_record_fn each; /* csvload_each: every record goes here, nothing is loaded */
} loader;

static void fail(loader *L, csvload_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(loader *L, csvload_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  L->stop = 1;
  if (L->res->status == CSVLOAD_OK) { /* keep the first reason */
    L->res->status = st;
    vsnprintf(L->res->error, sizeof L->res->error, fmt, ap);
  }
  va_end(ap);
}

static void rollback_batch(loader *L) {
  if (!L->inTx) return;
  db_rollback(); /* its rows stay counted as valid, not as loaded */
  L->inTx = 0;
  L->inBatch = 0;
}

/* Commits the open batch; last: the end of the input, where the progress
** callback can no longer stop anything. */
static void commit_batch(loader *L, int last) {
  if (!L->inTx) return;
  L->inTx = 0;
  if (!L->inBatch) { /* opened for a row hook that refused every row */
    db_rollback();
    return;
  }
  if (L->o->before_commit && L->o->before_commit(L->o->ctx, L->res) != 0) {
    db_rollback();
    L->inBatch = 0;
    fail(L, CSVLOAD_EDB,
         "erreur à la clôture du lot %lld, annulé ; les %lld lots précédents sont chargés",
         (long long)L->res->batches + 1, (long long)L->res->batches);
    return;
  }
  if (db_commit() != 0) {
    L->inBatch = 0;
    fail(L, CSVLOAD_EDB,
         "erreur de la base de données à la validation du lot %lld ; "
         "les %lld lots précédents sont chargés",
         (long long)L->res->batches + 1, (long long)L->res->batches);
    return;
  }
  L->res->batches++;
  L->res->rows_loaded += (int64_t)L->inBatch;
  ckpt_request(&L->ck);
  L->sinceSync += L->inBatch;
  if (L->sinceSync >= CKPT_SYNC_ROWS) {
    ckpt_wait(&L->ck);
    L->sinceSync = 0;
  }
  L->inBatch = 0;
  if (L->batchRows < L->o->batch_rows_max)
    L->batchRows = L->batchRows * 2 < L->o->batch_rows_max ? L->batchRows * 2 : L->o->batch_rows_max;
  if (L->o->progress && L->o->progress(L->o->ctx, L->res) && !last)
    fail(L, CSVLOAD_STOPPED, "chargement interrompu à la demande après %lld lot%s",
         (long long)L->res->batches, L->res->batches > 1 ? "s" : "");
}

static void bind_row(loader *L) {
  db_stmt *st = L->st;
  int k = 1;
  for (size_t i = 0; i < L->nfield; i++) {
    if (!L->aStore[i]) continue;
    const ts_value *v = &L->aVal[i];
    switch (v->kind) {
      case TS_VNULL:
        db_bind_null(st, k);
        break;
      case TS_VINT:
        db_bind_int(st, k, v->i);
        break;
      case TS_VREAL:
        db_bind_double(st, k, v->r);
        break;
      case TS_VTEXT:
        db_bind_textn(st, k, ts_text(v), v->n);
        break;
    }
    k++;
  }
  for (size_t e = 0; e < L->o->nextra; e++) db_bind_text(st, k++, L->o->extra_vals[e]);
}

static void on_data_row(loader *L) {
  csvload_result *res = L->res;
  ts_report *rep = &res->report;
  res->rows_read++;
  int bad = ts_validate_row_values(L->schema, L->aCell, L->ncell, L->line, rep, L->aVal);
  if (!bad && L->o->row_hook) {
    int64_t before = rep->nTotal;
    csvload_row r = {L->line, L->aCell, L->ncell, L->aVal, L->schema};
    if (!L->inTx) {
      if (db_begin_write() != 0) {
        res->rows_rejected++;
        fail(L, CSVLOAD_EDB, "base de données indisponible (verrou d'écriture)");
        return;
      }
      L->inTx = 1;
    }
    int rc = L->o->row_hook(L->o->ctx, &r, rep);
    if (rc < 0) {
      res->rows_rejected++;
      rollback_batch(L);
      fail(L, CSVLOAD_ABORTED,
           "chargement interrompu par la vérification de la ligne %lld ; "
           "%lld lot%s chargé%s",
           (long long)L->line, (long long)res->batches, res->batches > 1 ? "s" : "",
           res->batches > 1 ? "s" : "");
      return;
    }
    if (rc == CSVLOAD_STORED) {
      res->rows_valid++;
      if (++L->inBatch >= L->batchRows) commit_batch(L, 0);
      return;
    }
    assert((rc == CSVLOAD_KEEP && L->sql) || rc == CSVLOAD_REJECT);
    if (rc > 0) {
      if (rep->nTotal == before)
        ts_report_add(rep, L->line, NULL, NULL, "hook",
                      "ligne refusée par la vérification complémentaire");
      bad = 1;
    }
  }
  if (bad) {
    res->rows_rejected++;
    return;
  }
  if (!L->inTx) {
    if (db_begin_write() != 0) {
      res->rows_rejected++;
      fail(L, CSVLOAD_EDB, "base de données indisponible (verrou d'écriture)");
      return;
    }
    L->inTx = 1;
  }
  if (!L->st) L->st = db_prep(L->sql);
  bind_row(L);
  int rc = db_step(L->st);
  db_done(L->st);
  if (rc == DB_CONSTRAINT) {
    ts_report_add(rep, L->line, NULL, NULL, "table-constraint",
                  "ligne refusée par la table (contrainte non respectée : doublon, valeur "
                  "obligatoire ou référence inconnue)");
    res->rows_rejected++;
    return;
  }
  if (rc != DB_DONE) {
    res->rows_rejected++;
    rollback_batch(L);
    fail(L, CSVLOAD_EDB, "erreur de la base de données à la ligne %lld ; %lld lot%s chargé%s",
         (long long)L->line, (long long)res->batches, res->batches > 1 ? "s" : "",
         res->batches > 1 ? "s" : "");
    return;
  }
  res->rows_valid++;
  if (++L->inBatch >= L->batchRows) commit_batch(L, 0);
}

static void on_header(loader *L) {
  L->haveHeader = 1;
  if (ts_header_check(L->schema, L->aCell, L->ncell, &L->res->report) != 0) {
    const ts_report *r = &L->res->report;
    const char *why = r->nIssue ? r->aIssue[r->nIssue - 1].message : "en-tête invalide";
    for (size_t i = 0; i < r->nIssue; i++)
      if (strcmp(r->aIssue[i].rule, "missing-label") == 0) why = r->aIssue[i].message;
    fail(L, CSVLOAD_EHEADER, "%s", why);
  }
}

/* libcsv: end of a field. */
static void on_field(void *s, size_t n, void *data) {
  loader *L = data;
  if (L->stop || L->rowTooBig) return;
  if (L->ncell >= CELL_MAX || L->nrow + n + 1 > ROW_MAX) {
    L->rowTooBig = 1;
    return;
  }
  L->aOff[L->ncell++] = L->nrow;
  if (n) memcpy(L->row + L->nrow, s, n);
  L->row[L->nrow + n] = 0;
  L->nrow += n + 1;
}

/* csvload_each: hands the record over as it is. */
static void deliver(loader *L) {
  L->res->rows_read++;
  int rc;
  if (L->rowTooBig) {
    ts_report_add(&L->res->report, L->line, NULL, NULL, "row-length",
                  "ligne trop longue (plus de %u octets ou %d cellules)", ROW_MAX, CELL_MAX);
    rc = L->each(L->o->ctx, L->line, NULL, 0);
  } else {
    for (size_t i = 0; i < L->ncell; i++) L->aCell[i] = L->row + L->aOff[i];
    rc = L->each(L->o->ctx, L->line, L->aCell, L->ncell);
  }
  if (rc) fail(L, CSVLOAD_STOPPED, "lecture interrompue à la demande à la ligne %lld", (long long)L->line);
}

/* libcsv: end of a record. */
static void on_record(int c, void *data) {
  UNUSED(c);
  loader *L = data;
  if (L->stop) return;
  L->line++;
  if (L->each) {
    deliver(L);
  } else if (L->rowTooBig) {
    if (!L->haveHeader) {
      fail(L, CSVLOAD_EHEADER, "en-tête trop long (plus de %u octets ou %d colonnes)", ROW_MAX,
           CELL_MAX);
    } else {
      L->res->rows_read++;
      L->res->rows_rejected++;
      ts_report_add(&L->res->report, L->line, NULL, NULL, "row-length",
                    "ligne trop longue (plus de %u octets ou %d cellules), ignorée", ROW_MAX,
                    CELL_MAX);
    }
  } else {
    for (size_t i = 0; i < L->ncell; i++) L->aCell[i] = L->row + L->aOff[i];
    if (!L->haveHeader)
      on_header(L);
    else
      on_data_row(L);
  }
  L->ncell = 0;
  L->nrow = 0;
  L->rowTooBig = 0;
}

/* libcsv grows its field buffer through this: refuse beyond the row cap so
** that an unbalanced quote cannot swallow the whole input into memory. */
static void *field_realloc(void *p, size_t n) {
  if (n > ROW_MAX + 4096) return NULL;
  return realloc(p, n);
}

/* The separator of the header line: the most frequent of , ; tab | outside
** quotes (',' when none). */
static char detect_sep(const char *b, size_t n) {
  static const char cand[] = {',', ';', '\t', '|'};
  size_t count[4] = {0, 0, 0, 0};
  int quoted = 0;
  for (size_t i = 0; i < n; i++) {
    char c = b[i];
    if (c == '"')
      quoted = !quoted;
    else if (!quoted && (c == '\n' || c == '\r'))
      break;
    else if (!quoted)
      for (int k = 0; k < 4; k++)
        if (c == cand[k]) count[k]++;
  }
  int best = 0;
  for (int k = 1; k < 4; k++)
    if (count[k] > count[best]) best = k;
  return cand[best];
}

static int ident_ok(const char *z, int upper) {
  size_t n = strlen(z);
  if (!n || n > NAME_MAX_LEN) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    int ok = (c >= 'a' && c <= 'z') || c == '_' || (i && c >= '0' && c <= '9') ||
             (upper && c >= 'A' && c <= 'Z');
    if (!ok) return 0;
  }
  return 1;
}

int csvload_table_name_ok(const char *z) {
  return z && ident_ok(z, 0) && strncmp(z, "sqlite_", 7) != 0;
}

/* Checks the names and that they exist, then builds the INSERT. */
static int prepare_insert(loader *L) {
  const csvload_opts *o = L->o;
  if (!csvload_table_name_ok(o->table)) {
    fail(L, CSVLOAD_ETABLE, "nom de table refusé (lettres minuscules, chiffres et _ seulement)");
    return -1;
  }
  /* The table's columns. SQLite's catalogue: the one dialect-specific query
  ** here; a db_table_columns() in db.h would take it. */
  buf have = {0};
  int ntab = 0;
  db_stmt *q = db_query("SELECT type FROM sqlite_master WHERE name = ?", "t", o->table);
  if (db_step(q) == DB_ROW && str_eq(db_text(q, 0), "table")) ntab = 1;
  db_done(q);
  if (!ntab) {
    fail(L, CSVLOAD_ETABLE, "la table « %s » n'existe pas", o->table);
    return -1;
  }
  q = db_query("SELECT name FROM pragma_table_info(?)", "t", o->table);
  while (db_step(q) == DB_ROW) {
    buf_puts(&have, db_text(q, 0));
    buf_putc(&have, 0);
  }
  db_done(q);

  buf sql = {0};
  buf_puts(&sql, "INSERT INTO ");
  buf_puts(&sql, o->table);
  buf_putc(&sql, '(');
  int ncol = 0, rc = 0;
  size_t total = L->nfield + o->nextra;
  for (size_t i = 0; i < total && !rc; i++) {
    const char *col;
    if (i < L->nfield) {
      col = o->columns ? o->columns[i] : ts_field_name(L->schema, i);
      if (!col) continue;
      L->aStore[i] = 1;
    } else {
      col = o->extra_cols[i - L->nfield];
    }
    int found = 0;
    for (size_t off = 0; off < have.n; off += strlen(have.z + off) + 1)
      if (strcasecmp(have.z + off, col) == 0) found = 1;
    if (!ident_ok(col, 1)) {
      fail(L, CSVLOAD_ETABLE, "nom de colonne refusé : « %s »", col);
      rc = -1;
    } else if (!found) {
      fail(L, CSVLOAD_ETABLE, "la table « %s » n'a pas de colonne « %s »", o->table, col);
      rc = -1;
    } else {
      buf_puts(&sql, ncol++ ? ",\"" : "\"");
      buf_puts(&sql, col);
      buf_putc(&sql, '"');
    }
  }
  if (!rc && !ncol) {
    fail(L, CSVLOAD_ETABLE, "aucune colonne à remplir");
    rc = -1;
  }
  buf_puts(&sql, ") VALUES(");
  for (int i = 0; i < ncol; i++) buf_puts(&sql, i ? ",?" : "?");
  buf_putc(&sql, ')');
  buf_free(&have);
  if (rc) {
    buf_free(&sql);
    return -1;
  }
  L->sql = sql.z; /* ownership moves to the loader */
  return 0;
}

void csvload_result_free(csvload_result *res) { ts_report_free(&res->report); }

/* Opens the input of L->o and feeds it through libcsv to on_record until
** its end, a failure or L->stop; res->status says which. Everything it
** opens or allocates is released before it returns. */
static void parse_input(loader *L) {
  const csvload_opts *o = L->o;
  csvload_result *res = L->res;
  source src;
  if (src_open(&src, o, res->error, sizeof res->error) != 0) {
    res->status = CSVLOAD_EINPUT;
    L->stop = 1;
    return;
  }
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) {
    fail(L, CSVLOAD_EINPUT, "analyseur CSV indisponible");
    src_close(&src);
    return;
  }
  csv_set_realloc_func(&p, field_realloc);
  csv_set_blk_size(&p, 4096);
  L->row = xmalloc(ROW_MAX + 1);
  L->aOff = xmalloc(CELL_MAX * sizeof(size_t));
  L->aCell = xmalloc(CELL_MAX * sizeof(char *));
  char *block = xmalloc(BLOCK_SIZE);

  int64_t cap = o->max_bytes > 0 ? o->max_bytes : CSVLOAD_MAX_BYTES;
  int first = 1;
  while (!L->stop) {
    long n = src_read(&src, block, BLOCK_SIZE, res->error, sizeof res->error);
    if (n < 0) {
      res->status = CSVLOAD_EINPUT;
      L->stop = 1;
      break;
    }
    if (n == 0) break;
    res->bytes_read = src.total;
    if (src.total > cap) {
      fail(L, CSVLOAD_EINPUT, "fichier trop grand (plus de %lld octets)", (long long)cap);
      break;
    }
    const char *b = block;
    if (first) {
      first = 0;
      if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3, n -= 3;
      res->sep = o->sep ? o->sep : detect_sep(b, (size_t)n);
      csv_set_delim(&p, (unsigned char)res->sep);
    }
    if (csv_parse(&p, b, (size_t)n, on_field, on_record, L) != (size_t)n && !L->stop)
      fail(L, CSVLOAD_EINPUT, "ligne %lld : champ de plus de %u octets (guillemet non fermé ?)",
           (long long)L->line + 1, ROW_MAX);
  }
  if (!L->stop) csv_fini(&p, on_field, on_record, L);
  csv_free(&p);
  src_close(&src);
  free(block);
  free(L->row);
  free(L->aOff);
  free(L->aCell);
  L->row = NULL;
  L->aOff = NULL;
  L->aCell = NULL;
}

int csvload_run(const csvload_opts *o, csvload_result *res) {
  double t0 = now_mono_ms();
  memset(res, 0, sizeof(*res));
  ts_report_init(&res->report, o->max_issues);
  assert(o->schema && "csvload needs a schema");
  assert(!db_in_transaction() && "csvload commits its own batches");

  loader L;
  memset(&L, 0, sizeof L);
  L.o = o;
  L.res = res;
  L.schema = o->schema;
  L.nfield = ts_schema_nfield(o->schema);
  L.batchRows = o->batch_rows ? o->batch_rows : CSVLOAD_BATCH_ROWS;
  ts_schema_reset(L.schema);
  L.aStore = xcalloc(L.nfield, sizeof(int));
  L.aVal = xcalloc(L.nfield, sizeof(ts_value));

  int ckOn = 0;
  if (o->table ? prepare_insert(&L) != 0 : !o->row_hook) {
    if (!o->table) fail(&L, CSVLOAD_ETABLE, "ni table ni fonction qui range les lignes");
    goto done;
  }
  ckpt_start(&L.ck);
  ckOn = 1;
  parse_input(&L);
  if (res->status == CSVLOAD_OK && !L.haveHeader)
    fail(&L, CSVLOAD_EHEADER, "fichier vide : la ligne d'en-tête manque");
  if (res->status == CSVLOAD_OK)
    commit_batch(&L, 1);
  else
    rollback_batch(&L);

done:
  rollback_batch(&L);
  if (ckOn) ckpt_stop(&L.ck);
  free(L.aVal);
  free(L.aStore);
  free(L.sql);
  res->elapsed_ms = now_mono_ms() - t0;
  res->rows_per_s = res->elapsed_ms > 0 ? (double)res->rows_read * 1000.0 / res->elapsed_ms : 0;
  if (res->status != CSVLOAD_OK && res->status != CSVLOAD_STOPPED)
    log_info("csvload", "%s: %s", o->table ? o->table : "?", res->error);
  return res->status == CSVLOAD_OK ? 0 : -1;
}

int csvload_each(const csvload_opts *o, csvload_record_fn fn, csvload_result *res) {
  double t0 = now_mono_ms();
  memset(res, 0, sizeof(*res));
  ts_report_init(&res->report, o->max_issues);
  assert(fn);
  loader L;
  memset(&L, 0, sizeof L);
  L.o = o;
  L.res = res;
  L.each = fn;
  parse_input(&L);
  res->elapsed_ms = now_mono_ms() - t0;
  res->rows_per_s = res->elapsed_ms > 0 ? (double)res->rows_read * 1000.0 / res->elapsed_ms : 0;
  return res->status == CSVLOAD_OK ? 0 : -1;
}

void csvload_field(buf *out, const char *z, char sep) {
  if (!z) z = "";
  size_t n = strlen(z);
  int quote = n && (z[0] == ' ' || z[0] == '\t' || z[n - 1] == ' ' || z[n - 1] == '\t');
  for (size_t i = 0; i < n && !quote; i++)
    quote = z[i] == sep || z[i] == '"' || z[i] == '\r' || z[i] == '\n';
  if (!quote) {
    buf_append(out, z, n);
    return;
  }
  buf_putc(out, '"');
  for (size_t i = 0; i < n; i++) {
    if (z[i] == '"') buf_putc(out, '"');
    buf_putc(out, z[i]);
  }
  buf_putc(out, '"');
}
