/*
** sqlite_import.h — what the loading benchmarks (csvload_bench.c,
** charge_bench.c) compare against: `sqlite3 DB ".import --csv"` of the same
** file, and the process's CPU time. Header-only: each benchmark is one
** program built on its own.
*/
#ifndef GUICHET_BENCH_SQLITE_IMPORT_H
#define GUICHET_BENCH_SQLITE_IMPORT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

/* User + system CPU of this process, ms. */
static inline double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* sqlite3 DB "PRAGMA…" create, then ".import --csv --skip 1 'FILE' t" alone,
** timed, in WAL mode with synchronous=NORMAL (guichet's settings). create
** makes the table t. Wall milliseconds of the import, or -1. */
static inline double sqlite_import(const char *db, const char *csv, const char *create) {
  char import[4200];
  snprintf(import, sizeof import, ".import --csv --skip 1 '%s' t", csv);
  char *argv[] = {"sqlite3", (char *)db, "PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;", (char *)create,
                  NULL};
  /* The table first (untimed), then the import alone (timed). */
  for (int step = 0; step < 2; step++) {
    if (step == 1) {
      argv[2] = "PRAGMA synchronous=NORMAL;";
      argv[3] = import;
      argv[4] = NULL;
    }
    double t0 = now_mono_ms();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 1);
      execvp("sqlite3", argv);
      _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    if (step == 1) return now_mono_ms() - t0;
  }
  return -1;
}

/* The directory a benchmark works in: dir when given, else a new one made
** from the template tmp ("/tmp/name-XXXXXX", modified). NULL on error. */
static inline const char *bench_workdir(const char *dir, char *tmp) {
  if (dir) return dir;
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return NULL;
  }
  return tmp;
}

#endif
