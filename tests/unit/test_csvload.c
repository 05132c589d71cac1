/*
** test_csvload.c — the CSV loader through csvload.h, on a fresh database
** per test (db_open + db_migrate, then our own tables). Checks what an
** operator would see: the rows in the table, the counts, the report; and
** what a crash must not break: batches whole or absent, including when the
** loading process is SIGKILLed mid-load.
*/
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "core/csvload.h"
#include "core/db.h"
#include "core/log.h"
#include "core/tableschema.h"
#include "core/util.h"
#include "testdb.h"

#define FIX "tests/fixtures/irve/"

static testdb T; /* the test's directory and database */

static const char *const SESSIONS_SQL =
    "CREATE TABLE irve_sessions(id TEXT, id_pdc_itinerance TEXT NOT NULL, start TEXT NOT NULL,"
    " \"end\" TEXT NOT NULL, energy REAL NOT NULL, operateur TEXT);"
    "CREATE TABLE irve_pdc(id_pdc_itinerance TEXT PRIMARY KEY, nom_station TEXT,"
    " puissance_nominale REAL, coordonneesXY TEXT, gratuit INTEGER, date_maj TEXT);";

static void setup(void) {
  testdb_open(&T, "csvload");
  char *err = NULL;
  cr_assert_eq(db_exec_script(SESSIONS_SQL, &err), 0, "%s", err ? err : "");
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(csvload, .init = setup, .fini = teardown);

/* ------------------------------------------------------------- helpers */

static ts_schema *load_schema(const char *path) {
  buf err = {0};
  ts_schema *s = ts_schema_load(path, &err);
  cr_assert_not_null(s, "%s", buf_str(&err));
  buf_free(&err);
  return s;
}

static int64_t count(const char *sql) { return db_get_int(-1, sql, NULL); }

/* Writes text to T.dir/in.csv and returns the path. */
static const char *write_file(const char *text, size_t n) {
  static char path[160];
  snprintf(path, sizeof path, "%s/in.csv", T.dir);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(text, 1, n, f), n);
  fclose(f);
  return path;
}

/* n valid session rows "s<i>,FRA68E<i%7>,…,<i>.5". */
static char *sessions_csv(int n) {
  buf b = {0};
  buf_puts(&b, "id,id_pdc_itinerance,start,end,energy\n");
  for (int i = 0; i < n; i++)
    buf_printf(&b,
               "%08x-0000-4000-8000-000000000000,FRA68E%d,2024-12-10T%02d:%02d:00+01:00,"
               "2024-12-10T%02d:%02d:30+01:00,%d.5\n",
               i, i % 7, i / 60 % 24, i % 60, i / 60 % 24, i % 60, i % 100);
  return b.z;
}

static const char *issue_rule(const csvload_result *r, int64_t line) {
  for (size_t i = 0; i < r->report.nIssue; i++)
    if (r->report.aIssue[i].line == line) return r->report.aIssue[i].rule;
  return NULL;
}

/* -------------------------------------------------------- happy paths */

Test(csvload, loads_the_qualicharge_sessions) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  csvload_opts o = {.path = FIX "sessions-dep17.csv", .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.status, CSVLOAD_OK);
  cr_assert_eq(r.rows_read, 200);
  cr_assert_eq(r.rows_valid, 200);
  cr_assert_eq(r.rows_loaded, 200);
  cr_assert_eq(r.rows_rejected, 0);
  cr_assert_eq(r.batches, 1);
  cr_assert_eq(r.sep, ',');
  cr_assert_eq(r.report.nTotal, 0);
  cr_assert_gt(r.rows_per_s, 0);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 200);
  /* First row, typed: text ids, UTC text datetimes, a REAL energy. */
  db_stmt *q = db_query(
      "SELECT id, id_pdc_itinerance, start, \"end\", energy, typeof(energy),"
      " operateur FROM irve_sessions ORDER BY rowid LIMIT 1",
      NULL);
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 0), "c098d5df-5564-5609-ba96-1abefb47f934");
  cr_assert_str_eq(db_text(q, 1), "FRIOYE462801");
  cr_assert_str_eq(db_text(q, 2), "2025-01-03T14:30:58Z");
  cr_assert_str_eq(db_text(q, 3), "2025-01-03T14:39:51Z");
  cr_assert_float_eq(db_double(q, 4), 17.746, 1e-12);
  cr_assert_str_eq(db_text(q, 5), "real");
  cr_assert(db_is_null(q, 6));
  db_done(q);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions WHERE start LIKE '%.___Z'"), 11);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* The static file, storing 6 of its 40 fields: booleans as 0/1, geopoints
** as "lon,lat", dates as ISO text. */
Test(csvload, loads_irve_static_points_with_a_column_mapping) {
  ts_schema *s = load_schema(FIX "schema-statique.json");
  const char *cols[40] = {0};
  const char *keep[] = {"id_pdc_itinerance", "nom_station", "puissance_nominale",
                        "coordonneesXY",     "gratuit",     "date_maj"};
  for (size_t k = 0; k < ARRAY_SIZE(keep); k++) cols[ts_field_index(s, keep[k])] = keep[k];
  csvload_opts o = {.path = FIX "pdc-dep17.csv", .schema = s, .table = "irve_pdc", .columns = cols};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 270);
  cr_assert_eq(count("SELECT count(*) FROM irve_pdc"), 270);
  db_stmt *q = db_query(
      "SELECT nom_station, puissance_nominale, coordonneesXY, gratuit, date_maj"
      " FROM irve_pdc WHERE id_pdc_itinerance = ?",
      "t", "FRPD1ESPOSSDTTN120021");
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 0), "Sport 2000 - Saint-Sauveur-d'Aunis");
  cr_assert_eq(db_double(q, 1), 120.0);
  cr_assert_str_eq(db_text(q, 2), "-0.872116,46.226836");
  cr_assert_eq(db_int(q, 3), 0);
  cr_assert_str_eq(db_text(q, 4), "2025-03-28");
  db_done(q);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* ------------------------------------------------------------ bad input */

/* "Unknown charging point": the hook looks the point up in pdc. */
static int known_point(void *ctx, const csvload_row *row, ts_report *rep) {
  int *calls = ctx;
  (*calls)++;
  int i = ts_field_index(row->schema, "id_pdc_itinerance");
  const char *id = ts_text(&row->vals[i]);
  if (db_get_int(0, "SELECT 1 FROM irve_pdc WHERE id_pdc_itinerance = ?", "t", id))
    return CSVLOAD_KEEP;
  ts_report_add(rep, row->line, "id_pdc_itinerance", id, "foreign-key",
                "point de recharge « %s » inconnu", id);
  return CSVLOAD_REJECT;
}

static void load_points(void) {
  ts_schema *s = load_schema(FIX "schema-statique.json");
  const char *cols[40] = {0};
  cols[ts_field_index(s, "id_pdc_itinerance")] = "id_pdc_itinerance";
  csvload_opts o = {.path = FIX "pdc-dep17.csv", .schema = s, .table = "irve_pdc", .columns = cols};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, bad_rows_are_reported_and_valid_rows_kept) {
  load_points();
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  int calls = 0;
  csvload_opts o = {.path = FIX "sessions-erreurs.csv",
                    .schema = s,
                    .table = "irve_sessions",
                    .row_hook = known_point,
                    .ctx = &calls};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_read, 12);
  cr_assert_eq(r.rows_loaded, 3);
  cr_assert_eq(r.rows_rejected, 9);
  cr_assert_eq(calls, 4); /* the hook only sees rows that passed the schema */
  cr_assert_eq(r.report.nTotal, 10);
  cr_assert_str_eq(issue_rule(&r, 1), "missing-label"); /* no id column */
  cr_assert_str_eq(issue_rule(&r, 4), "type");          /* 30 February */
  cr_assert_str_eq(issue_rule(&r, 5), "minimum");       /* negative energy */
  cr_assert_str_eq(issue_rule(&r, 6), "foreign-key");   /* unknown point */
  cr_assert_str_eq(issue_rule(&r, 7), "type");          /* dd/mm/yyyy */
  cr_assert_str_eq(issue_rule(&r, 8), "required");      /* no end */
  cr_assert_str_eq(issue_rule(&r, 9), "pattern");
  cr_assert_str_eq(issue_rule(&r, 10), "type");
  cr_assert_str_eq(issue_rule(&r, 11), "row-length");
  cr_assert_str_eq(issue_rule(&r, 12), "maximum");
  cr_assert_null(issue_rule(&r, 2));
  cr_assert_null(issue_rule(&r, 13));
  const char *expect[] = {
      "en-tête : colonne absente : « id » ; ce champ facultatif restera vide",
      "ligne 4, champ « start » : « 2025-02-30T13:39:57Z » n'est pas une date et heure ISO 8601 "
      "valide (ex. 2024-12-10T17:28:16+01:00)",
      "ligne 5, champ « energy » : « -3.5 » est inférieur au minimum 0",
      "ligne 6, champ « id_pdc_itinerance » : point de recharge « FRZZZE0000000 » inconnu",
  };
  for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
    cr_assert_str_eq(r.report.aIssue[i].message, expect[i]);
  /* The three valid rows, in order, normalised. */
  db_stmt *q = db_query(
      "SELECT id, id_pdc_itinerance, start, energy FROM irve_sessions ORDER BY rowid", NULL);
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert(db_is_null(q, 0));
  cr_assert_str_eq(db_text(q, 1), "FRIOYE462801");
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 2), "2024-12-30T11:20:57Z");
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 2), "2025-01-05T10:00:00.250Z");
  cr_assert_eq(db_double(q, 3), 0.0);
  cr_assert_eq(db_step(q), DB_DONE);
  db_done(q);
  /* The report as the API would send it. */
  buf j = {0};
  ts_report_json(&r.report, &j);
  json_t *root = json_loads(buf_str(&j), 0, NULL);
  cr_assert_not_null(root);
  cr_assert_eq(json_integer_value(json_object_get(root, "total")), 10);
  json_decref(root);
  buf_free(&j);
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, without_the_hook_unknown_points_load) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  csvload_opts o = {.path = FIX "sessions-erreurs.csv", .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0);
  cr_assert_eq(r.rows_loaded, 4);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions WHERE id_pdc_itinerance='FRZZZE0000000'"),
               1);
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, missing_required_column_loads_nothing) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  const char *csv = "id,id_pdc_itinerance,start,energy\ns1,FRA68E1,2024-12-10T10:00:00Z,3\n";
  csvload_opts o = {.data = csv, .ndata = strlen(csv), .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EHEADER);
  cr_assert_str_eq(r.error,
                   "en-tête : colonne absente : « end » ; « end » obligatoire, aucune "
                   "ligne ne peut être chargée");
  cr_assert_eq(r.rows_read, 0);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 0);
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, empty_input_and_header_only) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  csvload_opts o = {.data = "", .ndata = 0, .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EHEADER);
  cr_assert_str_eq(r.error, "fichier vide : la ligne d'en-tête manque");
  csvload_result_free(&r);
  const char *h = "id,id_pdc_itinerance,start,end,energy";
  o.data = h;
  o.ndata = strlen(h);
  cr_assert_eq(csvload_run(&o, &r), 0);
  cr_assert_eq(r.rows_read, 0);
  cr_assert_eq(r.batches, 0);
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, table_constraints_reject_rows_not_the_load) {
  char *err = NULL;
  cr_assert_eq(db_exec_script("CREATE UNIQUE INDEX sessions_id ON irve_sessions(id)", &err), 0);
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  const char *csv =
      "id,id_pdc_itinerance,start,end,energy\n"
      "c098d5df-5564-5609-ba96-1abefb47f934,FRA68E1,2024-12-10T10:00:00Z,2024-12-10T11:00:00Z,3\n"
      "c098d5df-5564-5609-ba96-1abefb47f934,FRA68E2,2024-12-10T10:00:00Z,2024-12-10T11:00:00Z,4\n"
      "c098d5df-5564-5609-ba96-1abefb47f935,FRA68E3,2024-12-10T10:00:00Z,2024-12-10T11:00:00Z,5\n";
  csvload_opts o = {.data = csv, .ndata = strlen(csv), .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 2);
  cr_assert_eq(r.rows_rejected, 1);
  cr_assert_str_eq(issue_rule(&r, 3), "table-constraint");
  cr_assert_str_eq(r.report.aIssue[0].message,
                   "ligne 3 : ligne refusée par la table (contrainte non respectée : doublon, "
                   "valeur obligatoire ou référence inconnue)");
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 2);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* ------------------------------------------------------------- dialects */

Test(csvload, semicolons_bom_crlf_and_quotes) {
  ts_schema *s = load_schema(FIX "schema-statique.json");
  const char *cols[40] = {0};
  cols[ts_field_index(s, "id_pdc_itinerance")] = "id_pdc_itinerance";
  cols[ts_field_index(s, "nom_station")] = "nom_station";
  cols[ts_field_index(s, "coordonneesXY")] = "coordonneesXY";
  /* The example, re-written as a French spreadsheet exports it. */
  FILE *in = fopen(FIX "exemple-valide-statique.csv", "rb");
  cr_assert_not_null(in);
  buf b = {0};
  buf_puts(&b, "\xEF\xBB\xBF");
  int c, quoted = 0;
  while ((c = fgetc(in)) != EOF) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) c = ';';
    if (c == '\n')
      buf_puts(&b, "\r\n");
    else
      buf_putc(&b, (char)c);
  }
  fclose(in);
  /* A third row whose station name holds ';', a line break and quotes. */
  char *third = xstrdup(strstr(strstr(b.z, "\r\n") + 2, "\r\n") + 2);
  char *p = strstr(third, "Picpus");
  cr_assert_not_null(p);
  buf row = {0};
  buf_append(&row, third, (size_t)(p - third));
  buf_puts(&row, "\"Picpus; \"\"Nord\"\"\r\nbis\"");
  buf_puts(&row, p + 6);
  buf_puts(&b, buf_str(&row));
  csvload_opts o = {.data = b.z, .ndata = b.n, .schema = s, .table = "irve_pdc", .columns = cols};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.sep, ';');
  cr_assert_eq(r.rows_read, 3);
  cr_assert_eq(r.rows_loaded, 2, "%s", r.report.nIssue ? r.report.aIssue[0].message : "");
  cr_assert_eq(r.rows_rejected, 1); /* the copy of row 2 repeats its id: PRIMARY KEY */
  cr_assert_eq(count("SELECT count(*) FROM irve_pdc WHERE coordonneesXY = '7.487105,48.345345'"),
               2);
  csvload_result_free(&r);
  cr_assert_eq(db_run("DELETE FROM irve_pdc", NULL), DB_DONE);
  /* Load only row 3 to see the quoted name survive. */
  char *last = strstr(b.z, "Picpus; ");
  cr_assert_not_null(last);
  buf one = {0};
  buf_append(&one, b.z, (size_t)(strstr(b.z, "\r\n") + 2 - b.z));
  buf_puts(&one, buf_str(&row));
  o.data = one.z;
  o.ndata = one.n;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 1);
  db_stmt *q = db_query("SELECT nom_station FROM irve_pdc", NULL);
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 0), "Picpus; \"Nord\"\r\nbis");
  db_done(q);
  csvload_result_free(&r);
  buf_free(&one);
  buf_free(&row);
  free(third);
  buf_free(&b);
  ts_schema_free(s);
}

Test(csvload, tabs_and_explicit_separator) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  const char *tsv =
      "id_pdc_itinerance\tstart\tend\tenergy\n"
      "FRA68E1\t2024-12-10T10:00:00Z\t2024-12-10T11:00:00Z\t3,5\n";
  csvload_opts o = {.data = tsv, .ndata = strlen(tsv), .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0);
  cr_assert_eq(r.sep, '\t');
  cr_assert_eq(r.rows_rejected, 1); /* "3,5" is not a number for this schema */
  csvload_result_free(&r);
  /* A separator given by the caller wins over detection. */
  const char *piped =
      "id_pdc_itinerance|start|end|energy\n"
      "FRA68E1|2024-12-10T10:00:00Z|2024-12-10T11:00:00Z|3.5\n";
  o.data = piped;
  o.ndata = strlen(piped);
  o.sep = '|';
  cr_assert_eq(csvload_run(&o, &r), 0);
  cr_assert_eq(r.rows_loaded, 1);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* ------------------------------------------------------------- sources */

Test(csvload, gzip_file_memory_and_descriptor) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(500);
  char gzpath[160];
  snprintf(gzpath, sizeof gzpath, "%s/in.csv.gz", T.dir);
  gzFile gz = gzopen(gzpath, "wb");
  cr_assert_not_null(gz);
  cr_assert_eq(gzwrite(gz, csv, (unsigned)strlen(csv)), (int)strlen(csv));
  gzclose(gz);
  csvload_opts o = {.path = gzpath, .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 500);
  csvload_result_free(&r);
  /* The same bytes, gzipped, in memory. */
  FILE *f = fopen(gzpath, "rb");
  buf z = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&z, chunk, n);
  fclose(f);
  o.path = NULL;
  o.data = z.z;
  o.ndata = z.n;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 500);
  csvload_result_free(&r);
  /* A plain descriptor (an upload's temp file); it stays open. */
  int fd = open(write_file(csv, strlen(csv)), O_RDONLY);
  o.data = NULL;
  o.ndata = 0;
  o.fd = fd;
  o.use_fd = 1;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.rows_loaded, 500);
  cr_assert_eq(lseek(fd, 0, SEEK_SET), 0); /* still open */
  close(fd);
  csvload_result_free(&r);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 1500);
  /* Corrupt gzip. */
  z.z[z.n / 2] ^= 0x55;
  z.z[z.n / 2 + 1] ^= 0x55;
  o.use_fd = 0;
  o.data = z.z;
  o.ndata = z.n;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EINPUT);
  csvload_result_free(&r);
  buf_free(&z);
  free(csv);
  ts_schema_free(s);
}

Test(csvload, size_caps) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(3000);
  csvload_opts o = {.data = csv,
                    .ndata = strlen(csv),
                    .schema = s,
                    .table = "irve_sessions",
                    .max_bytes = 100000};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EINPUT);
  cr_assert_str_eq(r.error, "fichier trop grand (plus de 100000 octets)");
  csvload_result_free(&r);
  free(csv);
  /* An unbalanced quote cannot swallow more than the row cap. */
  buf b = {0};
  buf_puts(&b, "id_pdc_itinerance,start,end,energy\nFRA68E1,\"");
  for (int i = 0; i < (3 << 20) / 64; i++)
    buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890123");
  o.data = b.z;
  o.ndata = b.n;
  o.max_bytes = 0;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EINPUT);
  cr_assert(strstr(r.error, "ligne 2 : champ de plus de"), "%s", r.error);
  csvload_result_free(&r);
  buf_free(&b);
  ts_schema_free(s);
}

/* ---------------------------------------------------------- identifiers */

Test(csvload, identifiers_are_checked_before_reading) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  const char *csv = "id_pdc_itinerance,start,end,energy\n";
  const char *bad[] = {"Irve_sessions",
                       "irve_sessions; DROP TABLE irve_pdc",
                       "sqlite_master",
                       "",
                       "9s",
                       "irve_sessions\"",
                       "absente"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    csvload_opts o = {.data = csv, .ndata = strlen(csv), .schema = s, .table = bad[i]};
    csvload_result r;
    cr_assert_eq(csvload_run(&o, &r), -1, "%s", bad[i]);
    cr_assert_eq(r.status, CSVLOAD_ETABLE);
    csvload_result_free(&r);
  }
  cr_assert_not(csvload_table_name_ok(NULL));
  cr_assert(csvload_table_name_ok("sessions_2024"));
  const char *cols[] = {"id", "id_pdc_itinerance", "start", "\"end\"", "energy"};
  csvload_opts o = {
      .data = csv, .ndata = strlen(csv), .schema = s, .table = "irve_sessions", .columns = cols};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_str_eq(r.error, "nom de colonne refusé : « \"end\" »");
  csvload_result_free(&r);
  const char *cols2[] = {"id", "id_pdc_itinerance", "debut", "end", "energy"};
  o.columns = cols2;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_str_eq(r.error, "la table « irve_sessions » n'a pas de colonne « debut »");
  csvload_result_free(&r);
  o.columns = NULL;
  o.table = "absente";
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_str_eq(r.error, "la table « absente » n'existe pas");
  csvload_result_free(&r);
  ts_schema_free(s);
}

Test(csvload, extra_columns_get_a_constant) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  const char *ec[] = {"operateur"}, *ev[] = {"Opérateur 17"};
  csvload_opts o = {.path = FIX "sessions-dep17.csv",
                    .schema = s,
                    .table = "irve_sessions",
                    .extra_cols = ec,
                    .extra_vals = ev,
                    .nextra = 1};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions WHERE operateur = 'Opérateur 17'"), 200);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* -------------------------------------------------------------- batches */

typedef struct progress_log {
  int calls;           /* progress calls */
  int64_t loaded[16];  /* rows_loaded at each call */
  int64_t inTable[16]; /* rows visible in the table at each call */
  int stopAfter;       /* return 1 at this call (0: never) */
  int abortAtRow;      /* row hook: abort on this data row (0: never) */
  int rows;            /* rows the hook saw */
} progress_log;

static int on_progress(void *ctx, const csvload_result *res) {
  progress_log *p = ctx;
  p->loaded[p->calls] = res->rows_loaded;
  p->inTable[p->calls] = db_get_int(-1, "SELECT count(*) FROM irve_sessions", NULL);
  p->calls++;
  return p->stopAfter && p->calls == p->stopAfter;
}

Test(csvload, one_transaction_per_batch) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(25);
  progress_log pl = {0};
  csvload_opts o = {.data = csv,
                    .ndata = strlen(csv),
                    .schema = s,
                    .table = "irve_sessions",
                    .batch_rows = 10,
                    .progress = on_progress,
                    .ctx = &pl};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(r.batches, 3);
  cr_assert_eq(pl.calls, 3);
  cr_assert_eq(pl.loaded[0], 10);
  cr_assert_eq(pl.inTable[0], 10); /* committed when reported */
  cr_assert_eq(pl.loaded[1], 20);
  cr_assert_eq(pl.loaded[2], 25);
  cr_assert_eq(r.bytes_read, (int64_t)strlen(csv));
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

/* batch_rows_max: each committed batch doubles the next one, up to the cap. */
Test(csvload, batches_grow_up_to_the_cap) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(100);
  progress_log pl = {0};
  csvload_opts o = {.data = csv,
                    .ndata = strlen(csv),
                    .schema = s,
                    .table = "irve_sessions",
                    .batch_rows = 10,
                    .batch_rows_max = 30,
                    .progress = on_progress,
                    .ctx = &pl};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  /* 10, 20, 30, 30, then the last 10. */
  static const int64_t want[] = {10, 30, 60, 90, 100};
  cr_assert_eq(r.batches, 5);
  cr_assert_eq(pl.calls, 5);
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(pl.loaded[i], want[i], "batch %d: %lld", i, (long long)pl.loaded[i]);
    cr_assert_eq(pl.inTable[i], want[i]);
  }
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

Test(csvload, stopping_after_n_batches_leaves_n_full_batches) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(95);
  progress_log pl = {.stopAfter = 2};
  csvload_opts o = {.data = csv,
                    .ndata = strlen(csv),
                    .schema = s,
                    .table = "irve_sessions",
                    .batch_rows = 20,
                    .progress = on_progress,
                    .ctx = &pl};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_STOPPED);
  cr_assert_str_eq(r.error, "chargement interrompu à la demande après 2 lots");
  cr_assert_eq(r.batches, 2);
  cr_assert_eq(r.rows_loaded, 40);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 40);
  cr_assert_eq(db_in_transaction(), 0);
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

static int abort_hook(void *ctx, const csvload_row *row, ts_report *rep) {
  (void)rep;
  progress_log *p = ctx;
  p->rows++;
  /* The hook runs inside the batch: it sees the batch's rows so far. */
  if (p->rows == 45) cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM irve_sessions", NULL), 44);
  cr_assert_eq(row->line, p->rows + 1);
  return p->rows == p->abortAtRow ? CSVLOAD_ABORT : CSVLOAD_KEEP;
}

Test(csvload, aborting_mid_batch_rolls_the_batch_back) {
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(95);
  progress_log pl = {.abortAtRow = 55};
  csvload_opts o = {.data = csv,
                    .ndata = strlen(csv),
                    .schema = s,
                    .table = "irve_sessions",
                    .batch_rows = 20,
                    .row_hook = abort_hook,
                    .ctx = &pl};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_ABORTED);
  cr_assert_eq(r.batches, 2);
  cr_assert_eq(r.rows_loaded, 40);
  cr_assert_eq(r.rows_valid, 54); /* 14 of them were in the rolled-back batch */
  cr_assert_eq(r.rows_read, 55);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), 40);
  cr_assert_eq(db_in_transaction(), 0);
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

/* ------------------------------------------- rows stored by the hook */

/* A hook that converts: the start as unix seconds, energy in Wh; every
** seventh row refused. before_commit writes one mark per batch. */
typedef struct store_ctx {
  int failAtBatch; /* before_commit fails on this batch (0: never) */
  int batches;     /* before_commit calls */
} store_ctx;

static int store_hook(void *ctx, const csvload_row *row, ts_report *rep) {
  (void)ctx;
  const ts_schema *s = row->schema;
  const ts_value *start = &row->vals[ts_field_index(s, "start")];
  const ts_value *energy = &row->vals[ts_field_index(s, "energy")];
  if (row->line % 7 == 0) {
    ts_report_add(rep, row->line, NULL, NULL, "test", "refusée par le test");
    return CSVLOAD_REJECT;
  }
  int rc = db_run("INSERT INTO conv(start_s, wh) VALUES(?, ?)", "ii", start->key / 1000000,
                  (int64_t)(energy->r * 1000 + 0.5));
  return rc == DB_DONE ? CSVLOAD_STORED : CSVLOAD_ABORT;
}

static int store_mark(void *ctx, const csvload_result *res) {
  store_ctx *c = ctx;
  c->batches++;
  if (c->batches == c->failAtBatch) return -1;
  /* Inside the batch: its rows are in the table, not yet in rows_loaded. */
  int64_t inTable = db_get_int(-1, "SELECT count(*) FROM conv", NULL);
  cr_assert_eq(inTable, res->rows_valid);
  return db_run("INSERT INTO marks(loaded) VALUES(?)", "i", inTable) == DB_DONE ? 0 : -1;
}

static void conv_tables(void) {
  char *err = NULL;
  cr_assert_eq(db_exec_script("CREATE TABLE conv(start_s INTEGER NOT NULL, wh INTEGER NOT NULL);"
                              "CREATE TABLE marks(loaded INTEGER NOT NULL);",
                              &err),
               0, "%s", err ? err : "");
}

Test(csvload, the_hook_stores_rows_and_before_commit_joins_the_batch) {
  conv_tables();
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(95);
  store_ctx c = {0};
  csvload_opts o = {.data = csv, .ndata = strlen(csv), .schema = s, .batch_rows = 20,
                    .row_hook = store_hook, .before_commit = store_mark, .ctx = &c};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  /* Lines 7, 14, … 91 refused: 13 of lines 2..96. */
  cr_assert_eq(r.rows_read, 95);
  cr_assert_eq(r.rows_rejected, 13);
  cr_assert_eq(r.rows_loaded, 82);
  cr_assert_eq(r.batches, 5);
  cr_assert_eq(c.batches, 5);
  cr_assert_eq(count("SELECT count(*) FROM conv"), 82);
  cr_assert_eq(count("SELECT count(*) FROM marks"), 5);
  cr_assert_eq(count("SELECT max(loaded) FROM marks"), 82);
  /* First row: 2024-12-10T00:00:00+01:00, 0.5 kWh. */
  cr_assert_eq(count("SELECT start_s FROM conv ORDER BY rowid LIMIT 1"), 1733785200);
  cr_assert_eq(count("SELECT wh FROM conv ORDER BY rowid LIMIT 1"), 500);
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

Test(csvload, a_failing_before_commit_rolls_its_batch_back) {
  conv_tables();
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  char *csv = sessions_csv(95);
  store_ctx c = {.failAtBatch = 3};
  csvload_opts o = {.data = csv, .ndata = strlen(csv), .schema = s, .batch_rows = 20,
                    .row_hook = store_hook, .before_commit = store_mark, .ctx = &c};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EDB);
  cr_assert_eq(r.batches, 2);
  cr_assert_eq(r.rows_loaded, 40);
  cr_assert_eq(count("SELECT count(*) FROM conv"), 40);
  cr_assert_eq(count("SELECT count(*) FROM marks"), 2);
  cr_assert_eq(db_in_transaction(), 0);
  csvload_result_free(&r);
  /* Without a table, a hook is needed. */
  csvload_opts none = {.data = csv, .ndata = strlen(csv), .schema = s};
  cr_assert_eq(csvload_run(&none, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_ETABLE);
  csvload_result_free(&r);
  free(csv);
  ts_schema_free(s);
}

/* The server killed mid-load: a child loads a big file in batches and is
** SIGKILLed once `after` rows are committed, plus a random delay of
** [wait, wait + 3 ms); the table must then hold whole batches only, and the
** database must be sound. Returns the rows left. */
static int64_t kill_mid_load(int nrows, size_t batch, int64_t after, int wait_us) {
  char *csv = sessions_csv(nrows);
  const char *path = write_file(csv, strlen(csv));
  free(csv);
  db_thread_close(); /* no connection may cross fork() */
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ts_schema *s = ts_schema_load(FIX "schema-sessions.json", NULL);
    csvload_opts o = {.path = path, .schema = s, .table = "irve_sessions", .batch_rows = batch};
    csvload_result r;
    csvload_run(&o, &r);
    _exit(3); /* finishing means the parent was too slow to kill us */
  }
  int64_t seen = 0;
  double t0 = now_mono_ms();
  while (seen < after && now_mono_ms() - t0 < 45000) {
    usleep(500);
    seen = db_get_int(0, "SELECT count(*) FROM irve_sessions", NULL);
  }
  db_thread_close();
  srand((unsigned)getpid());
  usleep((useconds_t)(wait_us + rand() % 3000));
  kill(pid, SIGKILL);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child finished before the kill");
  int64_t n = count("SELECT count(*) FROM irve_sessions");
  cr_assert_geq(n, after);
  cr_assert_lt(n, nrows);
  cr_assert_eq(n % (int64_t)batch, 0, "%lld rows: a batch was cut", (long long)n);
  /* The rows are the first n of the file, none twice. */
  cr_assert_eq(count("SELECT count(DISTINCT id) FROM irve_sessions"), n);
  db_stmt *q = db_query("PRAGMA integrity_check", NULL);
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 0), "ok");
  db_done(q);
  return n;
}

Test(csvload, sigkill_mid_load_leaves_whole_batches, .timeout = 90) {
  int64_t n = kill_mid_load(300000, 1000, 5000, 0);
  /* And the database takes the next load. */
  ts_schema *s = load_schema(FIX "schema-sessions.json");
  csvload_opts o = {.path = FIX "sessions-dep17.csv", .schema = s, .table = "irve_sessions"};
  csvload_result r;
  cr_assert_eq(csvload_run(&o, &r), 0, "%s", r.error);
  cr_assert_eq(count("SELECT count(*) FROM irve_sessions"), n + 200);
  csvload_result_free(&r);
  ts_schema_free(s);
}

/* A batch of 60,000 rows (~7 MB) outgrows the 4 MB page cache, so SQLite
** spills its pages into the WAL before COMMIT; killed well into the second
** batch, recovery must ignore those frames. */
Test(csvload, sigkill_with_a_spilled_batch, .timeout = 90) {
  kill_mid_load(300000, 60000, 60000, 150000);
}

/* ------------------------------------------------------- csvload_each */

typedef struct seen {
  int n;           /* records delivered */
  int stop_at;     /* stop when this record arrives (0: never) */
  buf cells;       /* "line:ncell:c1|c2|…\n" for each record */
} seen;

static int collect(void *ctx, int64_t line, const char *const *cells, size_t ncell) {
  seen *s = ctx;
  s->n++;
  buf_printf(&s->cells, "%lld:%zu:", (long long)line, ncell);
  for (size_t i = 0; i < ncell; i++) buf_printf(&s->cells, "%s%s", i ? "|" : "", cells[i]);
  buf_putc(&s->cells, '\n');
  return s->stop_at && s->n == s->stop_at;
}

Test(csvload, each_gives_every_record_back_as_it_came) {
  /* A French spreadsheet's export: BOM, ';', CRLF, a quoted field with the
  ** separator, quotes and a line break, a short row, an empty row. */
  const char *csv = "\xEF\xBB\xBF" "adresse;ref\r\n"
                    "1 rue des Essais La Rochelle;A1\r\n"
                    "\"2 rue \"\"X\"\"; bis\r\nLa Rochelle\";A2\r\n"
                    "seule\r\n"
                    ";\r\n";
  seen s = {0};
  csvload_opts o = {.data = csv, .ndata = strlen(csv), .ctx = &s};
  csvload_result r;
  cr_assert_eq(csvload_each(&o, collect, &r), 0, "%s", r.error);
  cr_assert_eq(r.sep, ';');
  cr_assert_eq(r.rows_read, 5);
  cr_assert_str_eq(buf_str(&s.cells), "1:2:adresse|ref\n"
                                      "2:2:1 rue des Essais La Rochelle|A1\n"
                                      "3:2:2 rue \"X\"; bis\r\nLa Rochelle|A2\n"
                                      "4:1:seule\n"
                                      "5:2:|\n");
  csvload_result_free(&r);
  /* The callback stops the read. */
  buf_reset(&s.cells);
  s.n = 0;
  s.stop_at = 2;
  cr_assert_eq(csvload_each(&o, collect, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_STOPPED);
  cr_assert_eq(s.n, 2);
  csvload_result_free(&r);
  /* The size cap holds. */
  s.stop_at = 0;
  o.max_bytes = 10;
  cr_assert_eq(csvload_each(&o, collect, &r), -1);
  cr_assert_eq(r.status, CSVLOAD_EINPUT);
  csvload_result_free(&r);
  buf_free(&s.cells);
}

Test(csvload, each_reports_an_oversized_row_and_goes_on) {
  buf b = {0};
  buf_puts(&b, "a,b\nx");
  for (int i = 0; i < 5000; i++) buf_puts(&b, ",c"); /* past the 4,096 cells of a row */
  buf_puts(&b, "\ny,z\n");
  seen s = {0};
  csvload_opts o = {.data = b.z, .ndata = b.n, .ctx = &s};
  csvload_result r;
  cr_assert_eq(csvload_each(&o, collect, &r), 0, "%s", r.error);
  cr_assert_str_eq(buf_str(&s.cells), "1:2:a|b\n2:0:\n3:2:y|z\n");
  cr_assert_eq(r.report.nTotal, 1);
  cr_assert_str_eq(issue_rule(&r, 2), "row-length");
  csvload_result_free(&r);
  buf_free(&s.cells);
  buf_free(&b);
}

Test(csvload, field_quotes_only_when_needed_and_reads_back) {
  buf b = {0};
  const char *vals[] = {"plain", "a;b", "say \"hi\"", "two\nlines", " padded", "", "a,b"};
  for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
    if (i) buf_putc(&b, ';');
    csvload_field(&b, vals[i], ';');
  }
  cr_assert_str_eq(buf_str(&b), "plain;\"a;b\";\"say \"\"hi\"\"\";\"two\nlines\";\" padded\";;a,b");
  buf_puts(&b, "\n");
  seen s = {0};
  csvload_opts o = {.data = b.z, .ndata = b.n, .ctx = &s, .sep = ';'};
  csvload_result r;
  cr_assert_eq(csvload_each(&o, collect, &r), 0, "%s", r.error);
  cr_assert_str_eq(buf_str(&s.cells), "1:7:plain|a;b|say \"hi\"|two\nlines| padded||a,b\n");
  csvload_result_free(&r);
  buf_free(&s.cells);
  buf_free(&b);
}
