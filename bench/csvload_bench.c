/*
** csvload_bench.c — the issue's loading benchmark: a sessions CSV loaded
** with Table Schema validation by csvload_run() into an empty table, then
** the same file through `sqlite3 DB ".import --csv"` into an empty table of
** the same shape, in the same run, on the same disk; prints both rates and
** their ratio against the targets (≥ 300,000 rows/s, ≥ 0.5 × .import).
**
** Build (from the repository root, after `make all`):
**   cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o build/csvload_bench \
**     bench/csvload_bench.c build/libguichet.a \
**     $(pkg-config --libs libmicrohttpd sqlite3 jansson libsodium liboath \
**       libqrencode libcurl libmagic zlib libzip libcmark xlsxwriter proj geos) \
**     -lcsv -lpthread -lm
** Run:
**   python3 bench/gen_sessions.py -o /tmp/sessions.csv     # 5.2 M rows
**   build/csvload_bench /tmp/sessions.csv
** Options: --schema FILE (default tests/fixtures/irve/schema-sessions.json),
**   --batch N (rows per transaction, default 10,000), --dir DIR (where the
**   two databases go; default a new directory under /tmp, removed after),
**   --keep (keep it), --no-import (skip sqlite3).
**
** Both sides start from a warm page cache (the file is read once first) and
** an empty database in WAL mode with synchronous=NORMAL, the settings
** guichet runs with. .import does one transaction and binds text (the
** column affinity converts energy); csvload validates every cell, converts
** datetimes to UTC and commits every batch.
*/
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/csvload.h"
#include "core/db.h"
#include "core/log.h"
#include "core/tableschema.h"
#include "core/util.h"
#include "sqlite_import.h"

/* The same table twice: "sessions" for csvload, "t" for .import. */
#define COLUMNS_SQL                                                                      \
  "(id TEXT, id_pdc_itinerance TEXT NOT NULL, start TEXT NOT NULL, \"end\" TEXT NOT NULL," \
  " energy REAL NOT NULL)"

/* Reads the whole file once so both loads start from the page cache. */
static long long warm(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  static char b[1 << 20];
  long long n = 0;
  ssize_t k;
  while ((k = read(fd, b, sizeof b)) > 0) n += k;
  close(fd);
  return n;
}

/* sql: a fixed "SELECT count(*) FROM …". */
static long long count_rows(const char *db, const char *sql) {
  sqlite3 *h;
  long long n = -1;
  if (sqlite3_open(db, &h) == SQLITE_OK) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

static int progress(void *ctx, const csvload_result *res) {
  int64_t *next = ctx;
  if (res->rows_loaded >= *next) {
    fprintf(stderr, "\r  %lld lignes chargées…", (long long)res->rows_loaded);
    *next += 1000000;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *csv = NULL, *schema_path = "tests/fixtures/irve/schema-sessions.json";
  const char *dir = NULL;
  size_t batch = 0;
  int keep = 0, import = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
      schema_path = argv[++i];
    else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
      batch = (size_t)atol(argv[++i]);
    else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--keep") == 0)
      keep = 1;
    else if (strcmp(argv[i], "--no-import") == 0)
      import = 0;
    else if (argv[i][0] != '-' && !csv)
      csv = argv[i];
    else {
      fprintf(stderr,
              "usage: %s FILE.csv [--schema F] [--batch N] [--dir D] [--keep] [--no-import]\n",
              argv[0]);
      return 2;
    }
  }
  if (!csv) {
    fprintf(stderr, "usage: %s FILE.csv [options] (see the comment at the top)\n", argv[0]);
    return 2;
  }
  log_set_quiet(1);
  char tmp[] = "/tmp/guichet-csvbench-XXXXXX";
  if (!(dir = bench_workdir(dir, tmp))) return 1;
  char dbLoad[4096], dbImport[4096];
  snprintf(dbLoad, sizeof dbLoad, "%s/csvload.db", dir);
  snprintf(dbImport, sizeof dbImport, "%s/import.db", dir);

  buf err = {0};
  ts_schema *schema = ts_schema_load(schema_path, &err);
  if (!schema) {
    fprintf(stderr, "%s\n", buf_str(&err));
    return 1;
  }
  double tw = now_mono_ms();
  long long bytes = warm(csv);
  if (bytes < 0) {
    perror(csv);
    return 1;
  }
  printf("fichier        %s, %.1f Mo (lecture à chaud : %.0f ms)\n", csv, (double)bytes / 1e6,
         now_mono_ms() - tw);

  /* 1. csvload with validation. */
  if (db_open(dbLoad) != 0) return 1;
  char *e = NULL;
  if (db_exec_script("CREATE TABLE sessions" COLUMNS_SQL, &e) != 0) {
    fprintf(stderr, "%s\n", e);
    return 1;
  }
  int64_t next = 1000000;
  csvload_opts o = {.path = csv,
                    .schema = schema,
                    .table = "sessions",
                    .batch_rows = batch,
                    .progress = progress,
                    .ctx = &next};
  csvload_result res;
  double c0 = cpu_ms();
  int rc = csvload_run(&o, &res);
  double cpu = cpu_ms() - c0;
  fprintf(stderr, "\r%60s\r", "");
  db_thread_close();
  long long nLoad = count_rows(dbLoad, "SELECT count(*) FROM sessions");
  printf(
      "csvload        %lld lignes lues, %lld chargées, %lld refusées, %lld lots, %.0f ms "
      "(CPU %.0f ms) : %.0f lignes/s%s%s\n",
      (long long)res.rows_read, (long long)res.rows_loaded, (long long)res.rows_rejected,
      (long long)res.batches, res.elapsed_ms, cpu, res.rows_per_s, rc ? " — ÉCHEC : " : "",
      rc ? res.error : "");
  for (size_t i = 0; i < res.report.nIssue && i < 5; i++)
    printf("  %s\n", res.report.aIssue[i].message);
  if (nLoad != res.rows_loaded) printf("  ATTENTION : la table compte %lld lignes\n", nLoad);

  /* 2. sqlite3 .import of the same file. */
  double rateImport = 0;
  if (import) {
    double ms = sqlite_import(dbImport, csv, "CREATE TABLE t" COLUMNS_SQL);
    long long nImport = count_rows(dbImport, "SELECT count(*) FROM t");
    if (ms < 0) {
      printf("sqlite3 .import: échec (sqlite3 est-il installé ?)\n");
    } else {
      rateImport = (double)nImport * 1000.0 / ms;
      printf("sqlite3 .import %lld lignes, %.0f ms : %.0f lignes/s\n", nImport, ms, rateImport);
    }
  }
  printf("\n| mesure | valeur | cible |\n|---|---|---|\n");
  printf("| csvload avec validation | %.0f lignes/s | ≥ 300 000 : %s |\n", res.rows_per_s,
         res.rows_per_s >= 300000 ? "atteinte" : "manquée");
  if (rateImport > 0)
    printf("| rapport csvload / .import | %.2f (.import : %.0f lignes/s) | ≥ 0,50 : %s |\n",
           res.rows_per_s / rateImport, rateImport,
           res.rows_per_s / rateImport >= 0.5 ? "atteinte" : "manquée");
  csvload_result_free(&res);
  ts_schema_free(schema);
  buf_free(&err);
  if (!keep && dir == tmp) {
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int k = 0; k < 3; k++) {
      char p[4200];
      snprintf(p, sizeof p, "%s%s", dbLoad, suffix[k]);
      unlink(p);
      snprintf(p, sizeof p, "%s%s", dbImport, suffix[k]);
      unlink(p);
    }
    rmdir(tmp);
  } else {
    printf("bases gardées dans %s\n", dir);
  }
  return rc ? 1 : 0;
}
