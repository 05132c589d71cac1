/*
** jobs.c — the jobs table, its worker thread and the periodic scheduler of
** jobs.h.
**
** Life of a job row: 'queued' (run_at in the future or due) → 'running'
** (claimed: attempts incremented) → 'done', or back to 'queued' with
** run_at = now + back-off and last_error set, or 'failed' once attempts
** reaches max_attempts. The back-off after a failed run is 30 s × 2^k, k
** being the number of runs made before that one (30 s, 60 s, 2 min, …),
** capped at 6 h.
**
** A claim is atomic twice over: it runs in a write transaction, and the
** UPDATE only moves a row still 'queued' (db_changes() tells whether this
** thread won), so workers in several threads or processes never run the
** same job twice. Handlers run outside any transaction, so they can open
** their own.
**
** At jobs_start, rows left 'running' (the process died during a run) go back
** to 'queued', or to 'failed' when that run was their last allowed one (a
** job that crashes the process must not crash it forever). This assumes one
** worker process per database: a second process starting would requeue the
** first one's running jobs, which then run twice (handlers are idempotent,
** so that costs time, not correctness).
**
** The worker thread loops: scheduler pass, then due jobs, then sleeps on a
** condition variable for at most 1 s; job_enqueue wakes it. An enqueue in a
** transaction that is not yet committed wakes it too early: the job then
** waits for the next pass, 1 s at most.
**
** Registries (handlers, periodic kinds) are fixed arrays of JOBS_MAX_KINDS,
** filled before jobs_start and read-only after (pthread_create orders the
** writes before the worker's reads), so they need no lock. Kind names are
** copied and live as long as the process.
*/
#include "core/jobs.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/log.h"
#include "core/util.h"

#define JOBS_MAX_KINDS 64        /* handlers and periodic kinds, each */
#define BACKOFF_FIRST 30         /* seconds before the first retry */
#define BACKOFF_MAX (6 * 3600)   /* retries are never further apart than this */
#define JOBS_ERROR_MAX 1000      /* bytes of a handler's message kept in last_error */
#define WORKER_WAIT_MS 1000      /* worker sleep when idle; also the scheduler's period */

typedef struct job_handler {
  char *kind;  /* job kind, e.g. "mail.send" (owned, never freed) */
  job_fn fn;   /* its handler */
} job_handler;

typedef struct job_period {
  char *kind;  /* job kind enqueued periodically (owned, never freed) */
  int seconds; /* period */
} job_period;

/* A claimed job, copied out of the statement; freed by job_free. */
typedef struct job_row {
  int64_t id;           /* jobs.id */
  char *kind;           /* malloc'ed */
  char *payload;        /* JSON text, malloc'ed */
  int64_t attempts;     /* runs including this one */
  int64_t max_attempts; /* give up after this many */
} job_row;

static job_handler g_handlers[JOBS_MAX_KINDS];
static int g_nhandler;
static job_period g_periods[JOBS_MAX_KINDS];
static int g_nperiod;

static _Atomic int64_t g_ndone;   /* jobs that succeeded since start */
static _Atomic int64_t g_nfailed; /* failed runs since start */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* guards g_kick */
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER; /* signalled on enqueue/stop */
static int g_kick;              /* work may be waiting: skip the next sleep */
static atomic_int g_stop;       /* jobs_stop asked the worker to end */
static int g_started;           /* the worker thread exists (jobs_start/stop only) */
static pthread_t g_thread;      /* the worker */

void job_register(const char *kind, job_fn fn) {
  assert(kind && *kind && fn);
  assert(!g_started && "register job kinds before jobs_start");
  for (int i = 0; i < g_nhandler; i++) {
    if (strcmp(g_handlers[i].kind, kind) == 0) {
      g_handlers[i].fn = fn;
      return;
    }
  }
  assert(g_nhandler < JOBS_MAX_KINDS && "too many job kinds: raise JOBS_MAX_KINDS");
  g_handlers[g_nhandler].kind = xstrdup(kind);
  g_handlers[g_nhandler].fn = fn;
  g_nhandler++;
}

void job_every(const char *kind, int seconds) {
  assert(kind && *kind && seconds > 0);
  assert(!g_started && "register periodic jobs before jobs_start");
  for (int i = 0; i < g_nperiod; i++) {
    if (strcmp(g_periods[i].kind, kind) == 0) {
      g_periods[i].seconds = seconds;
      return;
    }
  }
  assert(g_nperiod < JOBS_MAX_KINDS && "too many periodic jobs: raise JOBS_MAX_KINDS");
  g_periods[g_nperiod].kind = xstrdup(kind);
  g_periods[g_nperiod].seconds = seconds;
  g_nperiod++;
}

static job_fn handler_find(const char *kind) {
  for (int i = 0; i < g_nhandler; i++)
    if (strcmp(g_handlers[i].kind, kind) == 0) return g_handlers[i].fn;
  return NULL;
}

static void worker_wake(void) {
  pthread_mutex_lock(&g_mu);
  g_kick = 1;
  pthread_cond_signal(&g_cond);
  pthread_mutex_unlock(&g_mu);
}

int64_t job_enqueue(const char *kind, json_t *payload, int64_t run_at) {
  assert(kind && *kind);
  char *zPayload = NULL;
  if (payload) {
    zPayload = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!zPayload) {
      log_error("jobs", "tâche %s : contenu impossible à sérialiser", kind);
      return -1;
    }
  }
  int64_t now = now_unix();
  int64_t id = db_insert("INSERT INTO jobs(kind, payload, run_at, created_at, updated_at)"
                         " VALUES(?, ?, ?, ?, ?)",
                         NULL, "ttiii", kind, zPayload ? zPayload : "{}",
                         run_at > 0 ? run_at : now, now, now);
  free(zPayload);
  if (id < 0) return -1;
  worker_wake();
  return id;
}

static void job_free(job_row *j) {
  free(j->kind);
  free(j->payload);
  memset(j, 0, sizeof(*j));
}

/* Claims the next due job into *j. 1: claimed (the caller job_frees it),
** 0: nothing due, -1: database error. Must run outside a transaction. */
static int job_claim(int64_t now, job_row *j) {
  for (;;) {
    if (db_begin_write() != 0) return -1;
    int rc = 0;
    db_stmt *s = db_query("SELECT id, kind, payload, attempts, max_attempts FROM jobs"
                          " WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT 1",
                          "i", now);
    int step = db_step(s);
    if (step == DB_ROW) {
      const char *zKind = db_text(s, 1), *zPayload = db_text(s, 2);
      j->id = db_int(s, 0);
      j->kind = xstrdup(zKind ? zKind : "");
      j->payload = xstrdup(zPayload ? zPayload : "{}");
      j->attempts = db_int(s, 3) + 1;
      j->max_attempts = db_int(s, 4);
      rc = 1;
    } else if (step != DB_DONE) {
      rc = -1;
    }
    db_done(s);
    if (rc == 1) {
      if (db_run("UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?"
                 " WHERE id = ? AND status = 'queued'",
                 "ii", now, j->id) != DB_DONE)
        rc = -1;
      else if (db_changes() != 1)
        rc = 2; /* another worker took it first: look again */
    }
    if (rc < 0) {
      db_rollback();
    } else if (db_commit() != 0) {
      rc = -1;
    }
    if (rc == 1) return 1;
    job_free(j);
    if (rc != 2) return rc;
  }
}

static int64_t backoff(int64_t attempts) {
  int64_t d = BACKOFF_FIRST;
  for (int64_t i = 1; i < attempts && d < BACKOFF_MAX; i++) d *= 2;
  return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* Cuts z to at most max bytes without splitting a UTF-8 sequence. */
static void utf8_truncate(char *z, size_t max) {
  size_t n = strlen(z);
  if (n <= max) return;
  n = max;
  while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) n--;
  z[n] = 0;
}

/* Runs a claimed job and records the outcome. */
static void job_run(job_row *j) {
  char *err = NULL;
  int rc = -1;
  job_fn fn = handler_find(j->kind);
  if (!fn) {
    buf b = {0};
    buf_printf(&b, "aucun gestionnaire pour les tâches « %s »", j->kind);
    err = b.z;
  } else {
    json_error_t jerr;
    json_t *payload = json_loads(j->payload, JSON_DECODE_ANY, &jerr);
    if (!payload) {
      buf b = {0};
      buf_printf(&b, "contenu JSON illisible : %s", jerr.text);
      err = b.z;
    } else {
      rc = fn(payload, &err);
      json_decref(payload);
    }
  }

  int64_t now = now_unix();
  if (rc == 0) {
    free(err);
    atomic_fetch_add(&g_ndone, 1);
    if (db_run("UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ? WHERE id = ?",
               "ii", now, j->id) != DB_DONE)
      log_error("jobs", "tâche %lld (%s) faite mais non marquée : elle sera rejouée",
                (long long)j->id, j->kind);
    return;
  }

  if (!err) err = xstrdup("erreur inconnue");
  utf8_truncate(err, JOBS_ERROR_MAX);
  atomic_fetch_add(&g_nfailed, 1);
  int give_up = j->attempts >= j->max_attempts;
  log_error("jobs", "tâche %lld (%s), essai %lld/%lld%s : %s", (long long)j->id, j->kind,
            (long long)j->attempts, (long long)j->max_attempts, give_up ? ", abandonnée" : "",
            err);
  int dbrc;
  if (give_up)
    dbrc = db_run("UPDATE jobs SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                  "tii", err, now, j->id);
  else
    dbrc = db_run("UPDATE jobs SET status = 'queued', run_at = ?, last_error = ?, updated_at = ?"
                  " WHERE id = ?",
                  "itii", now + backoff(j->attempts), err, now, j->id);
  if (dbrc != DB_DONE)
    log_error("jobs", "tâche %lld (%s) : échec non enregistré", (long long)j->id, j->kind);
  free(err);
}

/* Runs due jobs until none is left (or, when stoppable, jobs_stop asks). */
static int run_due(int stoppable) {
  int n = 0;
  job_row j = {0};
  while (!(stoppable && atomic_load(&g_stop)) && job_claim(now_unix(), &j) == 1) {
    job_run(&j);
    job_free(&j);
    n++;
  }
  return n;
}

int jobs_run_due(void) { return run_due(0); }

int jobs_schedule_tick(int64_t now) {
  if (g_nperiod == 0) return 0;
  if (db_begin_write() != 0) return -1;
  int n = 0;
  for (int i = 0; i < g_nperiod; i++) {
    const job_period *p = &g_periods[i];
    /* -1: no row yet, the kind is new and due at once (times are > 0). */
    int64_t next = db_get_int(-1, "SELECT next_run FROM job_schedule WHERE kind = ?", "t", p->kind);
    if (next > now) continue;
    if (job_enqueue(p->kind, NULL, now) < 0 ||
        db_run("INSERT INTO job_schedule(kind, next_run) VALUES(?, ?)"
               " ON CONFLICT(kind) DO UPDATE SET next_run = excluded.next_run",
               "ti", p->kind, now + p->seconds) != DB_DONE) {
      db_rollback();
      return -1;
    }
    n++;
  }
  if (db_commit() != 0) return -1;
  return n;
}

static void *worker_main(void *arg) {
  UNUSED(arg);
  while (!atomic_load(&g_stop)) {
    jobs_schedule_tick(now_unix());
    run_due(1);
    pthread_mutex_lock(&g_mu);
    if (!g_kick && !atomic_load(&g_stop)) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      ts.tv_sec += WORKER_WAIT_MS / 1000;
      pthread_cond_clockwait(&g_cond, &g_mu, CLOCK_MONOTONIC, &ts);
    }
    g_kick = 0;
    pthread_mutex_unlock(&g_mu);
  }
  db_thread_close();
  return NULL;
}

int jobs_start(void) {
  assert(!g_started && "jobs_start called twice");
  if (db_run("UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed'"
             " ELSE 'queued' END,"
             " last_error = 'interrompue par l''arrêt du processus', updated_at = ?"
             " WHERE status = 'running'",
             "i", now_unix()) != DB_DONE)
    return -1;
  int n = db_changes();
  if (n > 0) log_info("jobs", "%d tâche(s) interrompue(s) remise(s) en file", n);
  atomic_store(&g_stop, 0);
  if (pthread_create(&g_thread, NULL, worker_main, NULL) != 0) {
    log_error("jobs", "impossible de démarrer le fil des tâches");
    return -1;
  }
  g_started = 1;
  return 0;
}

/* Waits for the job being run, if any, to finish (a mail can take the
** 30 s SMTP timeout). */
void jobs_stop(void) {
  if (!g_started) return;
  atomic_store(&g_stop, 1);
  worker_wake();
  pthread_join(g_thread, NULL);
  g_started = 0;
}

void jobs_get_stats(jobs_stats *st) {
  st->done = atomic_load(&g_ndone);
  st->failed = atomic_load(&g_nfailed);
  st->queued = db_get_int(0, "SELECT count(*) FROM jobs WHERE status = 'queued'", NULL);
}
