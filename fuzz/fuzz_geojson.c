/*
** fuzz_geojson.c — libFuzzer harness for geo_import_geojson (and, with the
** same bytes written to a file, geo_import_csv): any input must end in a
** count or a French fatal message, without a crash, leak or sanitizer
** report. Each input is imported in a transaction of ours that is rolled
** back, so the database stays empty and the run stays fast.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/db.h"
#include "core/geo.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_csv[64]; /* the input, as a CSV file */

/* Every message must be valid UTF-8 (it may go out as JSON). */
static void check_report(const geo_report *rep) {
  for (int i = 0; i < rep->nMsg; i++) {
    json_t *j = json_string(rep->aMsg[i]);
    if (!j) abort();
    json_decref(j);
  }
  if (rep->zFatal) {
    json_t *j = json_string(rep->zFatal);
    if (!j) abort();
    json_decref(j);
  }
}

static void init(void) {
  static int done;
  if (done) return;
  done = 1;
  log_set_quiet(1);
  char dir[] = "/tmp/fuzz-geo-XXXXXX";
  if (!mkdtemp(dir)) abort();
  char path[64];
  snprintf(path, sizeof path, "%s/f.db", dir);
  snprintf(g_csv, sizeof g_csv, "%s/in.csv", dir);
  if (db_open(path) != 0 || db_migrate() < 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  geo_report rep = {0};
  if (db_begin_write() != 0) abort();
  long n = geo_import_geojson("f", (const char *)data, size, 0, "id", GEO_REPLACE, &rep);
  if (n < 0 && !rep.zFatal) abort();
  if (n >= 0) {
    geo_hit h;
    geo_nearest("f", 380000, 6570000, 0, NULL, NULL, &h);
    int64_t ids[4];
    geo_contains("f", 380000, 6570000, ids, 4);
  }
  db_rollback();
  check_report(&rep);
  geo_report_free(&rep);

  FILE *f = fopen(g_csv, "wb");
  if (!f) abort();
  fwrite(data, 1, size, f);
  fclose(f);
  geo_csv_cols cols = {.x_col = "lon", .y_col = "lat", .id_col = "id"};
  geo_csv_cols wkt = {.wkt_col = "wkt"};
  if (db_begin_write() != 0) abort();
  n = geo_import_csv("c", g_csv, size % 2 ? &cols : &wkt, size % 3 ? 0 : 2154, 0, &rep);
  if (n < 0 && !rep.zFatal) abort();
  db_rollback();
  check_report(&rep);
  geo_report_free(&rep);
  return 0;
}
