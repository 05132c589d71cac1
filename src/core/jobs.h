/*
** jobs.h — background work: a jobs table drained by a worker thread, and a
** scheduler for periodic jobs.
**
** A job is (kind, JSON payload, run_at). job_enqueue inserts a row and wakes
** the worker. The worker claims one due job at a time (status 'queued' →
** 'running', in a write transaction), calls the handler registered for its
** kind, and marks it 'done', or on failure schedules a retry after a
** back-off of 30 s × 2^attempts (capped at 6 h) until max_attempts, then
** 'failed' with the last error. Handlers must be idempotent: a crash while
** running leaves the job 'running'; at start-up such jobs go back to
** 'queued'.
**
** Periodic jobs: job_every(kind, seconds) registers a kind to enqueue every N
** seconds; the next due time is kept in the database (job_schedule table) so
** restarts neither skip nor repeat a period.
*/
#ifndef GUICHET_JOBS_H
#define GUICHET_JOBS_H

#include <jansson.h>
#include <stdint.h>

/* A handler returns 0 when done, or -1 with *err set to a malloc'ed message
** (the job is then retried). payload is borrowed. */
typedef int (*job_fn)(json_t *payload, char **err);

/* Register before jobs_start (features do it in their init). */
void job_register(const char *kind, job_fn fn);
void job_every(const char *kind, int seconds);

/* Inserts a job due at run_at (0 = now). Joins the caller's transaction if
** one is open. Returns the job id or -1. payload is borrowed (serialised). */
int64_t job_enqueue(const char *kind, json_t *payload, int64_t run_at);

/* Starts / stops the worker thread (which also runs the scheduler). */
int jobs_start(void);
void jobs_stop(void);

/* Runs due jobs in the calling thread until none is due; returns how many
** ran (tests and `guichet worker --once`). Does not run the scheduler. */
int jobs_run_due(void);

/* One scheduler pass, as the worker makes each second: enqueues every
** periodic kind whose next run is due at `now` and moves its next run to
** now + period, all in one write transaction (so two processes never
** enqueue the same period twice). A kind seen for the first time is due at
** once. Returns how many jobs were enqueued, or -1 on a database error
** (nothing enqueued). Must be called outside a transaction. */
int jobs_schedule_tick(int64_t now);

/* Counters for /metrics (since start). */
typedef struct jobs_stats {
  int64_t done;    /* jobs that succeeded */
  int64_t failed;  /* attempts that failed (retried or not) */
  int64_t queued;  /* jobs waiting now (read from the table) */
} jobs_stats;
void jobs_get_stats(jobs_stats *st);

#endif
