/*
** test_jobs.c — the jobs queue, its retries and the periodic scheduler,
** through jobs.h, on a fresh database per test. Retries are made due again
** by moving run_at back in SQL, as the brief allows, instead of waiting.
*/
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/db.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/util.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */
static atomic_int g_calls;     /* handler runs */
static char g_seen[256];       /* payload "msg" of the last echo run */

static void setup(void) {
  testdb_open(&T, "jobs");
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(jobs, .init = setup, .fini = teardown);

static int echo_job(json_t *payload, char **err) {
  UNUSED(err);
  const char *z = json_string_value(json_object_get(payload, "msg"));
  snprintf(g_seen, sizeof g_seen, "%s", z ? z : "");
  atomic_fetch_add(&g_calls, 1);
  return 0;
}

static int fail_job(json_t *payload, char **err) {
  UNUSED(payload);
  atomic_fetch_add(&g_calls, 1);
  *err = xstrdup("serveur distant indisponible");
  return -1;
}

static char *job_text(int64_t id, const char *col_sql) {
  db_stmt *s = db_query(col_sql, "i", id);
  char *z = NULL;
  if (db_step(s) == DB_ROW && db_text(s, 0)) z = xstrdup(db_text(s, 0));
  db_done(s);
  return z;
}

static void expect_status(int64_t id, const char *want) {
  char *z = job_text(id, "SELECT status FROM jobs WHERE id = ?");
  cr_assert_not_null(z, "job %lld missing", (long long)id);
  cr_assert_str_eq(z, want, "job %lld", (long long)id);
  free(z);
}

static int64_t job_int(int64_t id, const char *sql) { return db_get_int(-1, sql, "i", id); }

Test(jobs, enqueue_then_run_with_payload) {
  job_register("test.echo", echo_job);
  json_t *p = json_pack("{ss}", "msg", "bonjour, ça va ?");
  int64_t id = job_enqueue("test.echo", p, 0);
  json_decref(p);
  cr_assert_gt(id, 0);
  expect_status(id, "queued");
  jobs_stats st;
  jobs_get_stats(&st);
  cr_assert_eq(st.queued, 1);

  cr_assert_eq(jobs_run_due(), 1);
  cr_assert_eq(atomic_load(&g_calls), 1);
  cr_assert_str_eq(g_seen, "bonjour, ça va ?");
  expect_status(id, "done");
  cr_assert_eq(job_int(id, "SELECT attempts FROM jobs WHERE id = ?"), 1);
  cr_assert_eq(jobs_run_due(), 0); /* done jobs do not run again */
  cr_assert_eq(atomic_load(&g_calls), 1);

  jobs_get_stats(&st);
  cr_assert_eq(st.done, 1);
  cr_assert_eq(st.failed, 0);
  cr_assert_eq(st.queued, 0);
}

Test(jobs, null_payload_is_empty_object) {
  job_register("test.echo", echo_job);
  int64_t id = job_enqueue("test.echo", NULL, 0);
  char *z = job_text(id, "SELECT payload FROM jobs WHERE id = ?");
  cr_assert_str_eq(z, "{}");
  free(z);
  cr_assert_eq(jobs_run_due(), 1);
  cr_assert_str_eq(g_seen, "");
}

Test(jobs, future_job_waits) {
  job_register("test.echo", echo_job);
  int64_t id = job_enqueue("test.echo", NULL, now_unix() + 3600);
  cr_assert_eq(jobs_run_due(), 0);
  expect_status(id, "queued");
  db_run("UPDATE jobs SET run_at = ? WHERE id = ?", "ii", now_unix(), id);
  cr_assert_eq(jobs_run_due(), 1);
  expect_status(id, "done");
}

Test(jobs, failing_job_backs_off_then_fails) {
  job_register("test.fail", fail_job);
  int64_t id = job_enqueue("test.fail", NULL, 0);
  cr_assert_eq(job_int(id, "SELECT max_attempts FROM jobs WHERE id = ?"), 5);
  for (int k = 1; k <= 5; k++) {
    int64_t before = now_unix();
    cr_assert_eq(jobs_run_due(), 1, "attempt %d", k);
    int64_t after = now_unix();
    cr_assert_eq(job_int(id, "SELECT attempts FROM jobs WHERE id = ?"), k);
    char *err = job_text(id, "SELECT last_error FROM jobs WHERE id = ?");
    cr_assert_str_eq(err, "serveur distant indisponible", "attempt %d", k);
    free(err);
    if (k < 5) {
      expect_status(id, "queued");
      int64_t delay = 30LL << (k - 1); /* 30 s, 60 s, 2 min, 4 min */
      int64_t run_at = job_int(id, "SELECT run_at FROM jobs WHERE id = ?");
      cr_assert(run_at >= before + delay && run_at <= after + delay,
                "attempt %d: run_at %lld, expected now + %lld", k, (long long)run_at,
                (long long)delay);
      cr_assert_eq(jobs_run_due(), 0, "retry %d ran before its time", k);
      db_run("UPDATE jobs SET run_at = 0 WHERE id = ?", "i", id);
    }
  }
  expect_status(id, "failed");
  db_run("UPDATE jobs SET run_at = 0 WHERE id = ?", "i", id);
  cr_assert_eq(jobs_run_due(), 0); /* given up */
  cr_assert_eq(atomic_load(&g_calls), 5);
  jobs_stats st;
  jobs_get_stats(&st);
  cr_assert_eq(st.failed, 5);
  cr_assert_eq(st.done, 0);
  cr_assert_eq(st.queued, 0);
}

Test(jobs, unknown_kind_is_a_failure) {
  int64_t id = job_enqueue("test.nobody", NULL, 0);
  cr_assert_eq(jobs_run_due(), 1);
  expect_status(id, "queued");
  char *err = job_text(id, "SELECT last_error FROM jobs WHERE id = ?");
  cr_assert_not_null(strstr(err, "aucun gestionnaire"), "%s", err);
  free(err);
}

Test(jobs, enqueue_joins_rolled_back_transaction) {
  job_register("test.echo", echo_job);
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_gt(job_enqueue("test.echo", NULL, 0), 0);
  db_rollback();
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM jobs", NULL), 0);
  cr_assert_eq(jobs_run_due(), 0);
}

Test(jobs, scheduler_enqueues_once_per_period) {
  job_register("test.tick", echo_job);
  job_every("test.tick", 60);
  cr_assert_eq(jobs_schedule_tick(1000), 1); /* new kind: due at once */
  cr_assert_eq(jobs_schedule_tick(1000), 0);
  cr_assert_eq(jobs_schedule_tick(1059), 0);
  cr_assert_eq(db_get_int(-1, "SELECT next_run FROM job_schedule WHERE kind = 'test.tick'", NULL),
               1060);
  cr_assert_eq(jobs_schedule_tick(1060), 1);
  cr_assert_eq(jobs_schedule_tick(1119), 0);
  /* Down for a long time: one catch-up run, not one per missed period. */
  cr_assert_eq(jobs_schedule_tick(5000), 1);
  cr_assert_eq(db_get_int(-1, "SELECT next_run FROM job_schedule WHERE kind = 'test.tick'", NULL),
               5060);
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM jobs WHERE kind = 'test.tick'", NULL), 3);
  cr_assert_eq(jobs_run_due(), 3);
  cr_assert_eq(atomic_load(&g_calls), 3);
}

/* Several threads (each its own connection, as separate processes would
** have) tick at the same instant: the period is enqueued once. */
static atomic_int g_ticked; /* jobs enqueued by tick_thread */

static void *tick_thread(void *arg) {
  UNUSED(arg);
  int n = jobs_schedule_tick(7000);
  if (n > 0) atomic_fetch_add(&g_ticked, n);
  db_thread_close();
  return NULL;
}

Test(jobs, concurrent_ticks_enqueue_once) {
  job_every("test.tick", 60);
  pthread_t th[6];
  for (size_t i = 0; i < ARRAY_SIZE(th); i++)
    cr_assert_eq(pthread_create(&th[i], NULL, tick_thread, NULL), 0);
  for (size_t i = 0; i < ARRAY_SIZE(th); i++) pthread_join(th[i], NULL);
  cr_assert_eq(atomic_load(&g_ticked), 1);
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM jobs WHERE kind = 'test.tick'", NULL), 1);
}

static int wait_calls(int want, int ms) {
  for (int t = 0; t < ms && atomic_load(&g_calls) < want; t += 10) usleep(10 * 1000);
  return atomic_load(&g_calls);
}

Test(jobs, worker_thread_runs_jobs_and_schedule) {
  job_register("test.echo", echo_job);
  job_every("test.echo", 3600);
  /* Left 'running' by a crash: requeued at start. */
  int64_t stale = db_insert("INSERT INTO jobs(kind, payload, status, attempts, run_at,"
                            " created_at, updated_at) VALUES('test.echo', '{}', 'running', 1,"
                            " 0, 0, 0)",
                            NULL, NULL);
  cr_assert_gt(stale, 0);
  cr_assert_eq(jobs_start(), 0);
  /* The stale job and the periodic one, without any enqueue to wake it. */
  cr_assert_eq(wait_calls(2, 5000), 2);
  json_t *p = json_pack("{ss}", "msg", "réveil");
  cr_assert_gt(job_enqueue("test.echo", p, 0), 0);
  json_decref(p);
  cr_assert_eq(wait_calls(3, 5000), 3);
  usleep(1200 * 1000); /* more than one scheduler pass: the period is an hour */
  jobs_stop();
  cr_assert_eq(atomic_load(&g_calls), 3);
  cr_assert_str_eq(g_seen, "réveil");
  expect_status(stale, "done");
  cr_assert_eq(job_int(stale, "SELECT attempts FROM jobs WHERE id = ?"), 2);
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM jobs WHERE status <> 'done'", NULL), 0);
}

Test(jobs, crashed_last_attempt_is_failed_at_start) {
  job_register("test.echo", echo_job);
  int64_t id = db_insert("INSERT INTO jobs(kind, payload, status, attempts, max_attempts,"
                         " run_at, created_at, updated_at)"
                         " VALUES('test.echo', '{}', 'running', 5, 5, 0, 0, 0)",
                         NULL, NULL);
  cr_assert_eq(jobs_start(), 0);
  jobs_stop();
  expect_status(id, "failed");
  cr_assert_eq(atomic_load(&g_calls), 0);
}
