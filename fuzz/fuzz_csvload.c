/*
** fuzz_csvload.c — libFuzzer harness for the Table Schema parser, the row
** validator and the streaming CSV loader, and for the address importer.
**
** Input layout: the first byte chooses the path:
**   even  the bytes up to the first NUL are a Table Schema (JSON), the rest
**         a CSV loaded into a scratch table against it (or, if the schema
**         does not parse, against a fixed IRVE-sessions-like schema);
**   1 mod 4  the rest is an address file (BAN, BANO or the R variant) given
**         to the geocoder's importer;
**   3 mod 4  the rest is read by csvload_each (separator from bits 2-3 of
**         the first byte), every record written back with csvload_field
**         and read again: the same cells must come back (bulk services
**         rely on it to give a file back as it came).
** Any input must end in a result or a French error, without a crash, leak
** or sanitizer report; every message must be valid UTF-8 (it may go out
** as JSON).
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csvload.h"
#include "core/db.h"
#include "core/geocode.h"
#include "core/log.h"
#include "core/tableschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char k_schema[] =
    "{\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\",\"format\":\"uuid\"},"
    "{\"name\":\"id_pdc_itinerance\",\"type\":\"string\",\"constraints\":{\"required\":true,"
    "\"pattern\":\"(?:(?:^|,)(^[A-Z]{2}[A-Z0-9]{4,33}$|Non concern\\u00e9))+$\"}},"
    "{\"name\":\"start\",\"type\":\"datetime\",\"constraints\":{\"required\":true}},"
    "{\"name\":\"end\",\"type\":\"datetime\"},"
    "{\"name\":\"energy\",\"type\":\"number\",\"constraints\":{\"minimum\":0,\"maximum\":1000}}]}";

static char g_addr[64]; /* scratch file for the address importer */

static void init(void) {
  static int done;
  if (done) return;
  done = 1;
  log_set_quiet(1);
  char dir[] = "/tmp/fuzz-csv-XXXXXX";
  if (!mkdtemp(dir)) abort();
  char path[128];
  snprintf(path, sizeof path, "%s/f.db", dir);
  if (db_open(path) != 0 || db_migrate() < 0) abort();
  char *err = NULL;
  if (db_exec_script("CREATE TABLE fz(id TEXT, id_pdc_itinerance TEXT, start TEXT, \"end\" TEXT, energy REAL,"
                     " a TEXT, b TEXT, c TEXT, d TEXT)", &err) != 0)
    abort();
  snprintf(g_addr, sizeof g_addr, "%s/adresses.csv", dir);
}

static void check_utf8(const char *z) {
  if (!z) return;
  json_t *j = json_string(z);
  if (!j) abort();
  json_decref(j);
}

static void fuzz_csv(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  buf err = {0};
  ts_schema *s = nul ? ts_schema_parse((const char *)data, (size_t)(nul - data), &err) : NULL;
  check_utf8(buf_str(&err));
  buf_free(&err);
  const uint8_t *csv = nul ? nul + 1 : data;
  size_t ncsv = size - (size_t)(csv - data);
  if (!s) s = ts_schema_parse(k_schema, sizeof k_schema - 1, NULL);
  if (!s) abort();
  csvload_opts o = {0};
  o.data = (const char *)csv;
  o.ndata = ncsv;
  o.schema = s;
  o.table = "fz";
  o.columns = NULL;
  o.batch_rows = 7;
  o.max_bytes = 1 << 20;
  csvload_result res;
  csvload_run(&o, &res); /* a fuzzed schema's columns rarely exist: ETABLE is an answer too */
  check_utf8(res.error);
  for (size_t i = 0; i < res.report.nIssue; i++) check_utf8(res.report.aIssue[i].message);
  csvload_result_free(&res);
  db_run("DELETE FROM fz", "");
  ts_schema_free(s);
}

static void fuzz_addresses(const uint8_t *data, size_t size) {
  FILE *f = fopen(g_addr, "wb");
  if (!f) abort();
  fwrite(data, 1, size, f);
  fclose(f);
  geocode_import_stats st;
  memset(&st, 0, sizeof st);
  geocode_import_file(g_addr, GEOCODE_FMT_AUTO, NULL, NULL, &st);
  geocode_hit hits[5];
  int n = 0;
  geocode_suggest("12 rue", 5, hits, &n);
}

/* csvload_each's records, kept and written back. */
typedef struct records {
  buf cells;  /* every cell followed by a NUL; each record ends with "\x01" */
  buf text;   /* the records written back with csvload_field */
  char sep;   /* the separator, for reading and writing */
} records;

static int keep_record(void *ctx, int64_t line, const char *const *cells, size_t ncell) {
  records *r = ctx;
  (void)line;
  if (!cells) return 0; /* past the row caps: nothing to give back */
  for (size_t i = 0; i < ncell; i++) {
    buf_append(&r->cells, cells[i], strlen(cells[i]) + 1);
    if (i) buf_putc(&r->text, r->sep);
    csvload_field(&r->text, cells[i], r->sep);
  }
  if (ncell == 1 && !cells[0][0]) buf_puts(&r->text, "\"\""); /* not a blank line, which readers skip */
  buf_putc(&r->cells, 1);
  buf_puts(&r->text, "\r\n");
  return 0;
}

static void fuzz_round_trip(const uint8_t *data, size_t size, char sep) {
  records a = {.sep = sep}, b = {.sep = sep};
  csvload_opts o = {.data = (const char *)data, .ndata = size, .ctx = &a, .sep = sep, .max_bytes = 1 << 20};
  csvload_result res;
  int rc = csvload_each(&o, keep_record, &res);
  check_utf8(res.error);
  csvload_result_free(&res);
  if (rc == 0) {
    csvload_opts o2 = {.data = buf_str(&a.text), .ndata = a.text.n, .ctx = &b, .sep = sep, .max_bytes = 1 << 22};
    if (csvload_each(&o2, keep_record, &res) != 0) abort();
    csvload_result_free(&res);
    if (a.cells.n != b.cells.n || (a.cells.n && memcmp(a.cells.z, b.cells.z, a.cells.n) != 0)) abort();
  }
  buf_free(&a.cells);
  buf_free(&a.text);
  buf_free(&b.cells);
  buf_free(&b.text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  if (size < 1 || size > (1 << 18)) return 0;
  if (data[0] % 2 == 0) fuzz_csv(data + 1, size - 1);
  else if (data[0] % 4 == 1) fuzz_addresses(data + 1, size - 1);
  else fuzz_round_trip(data + 1, size - 1, ",;\t|"[(data[0] >> 2) & 3]);
  return 0;
}
