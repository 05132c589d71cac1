/*
** test_sheet.c — core/sheet.c, the one writer of every CSV and XLSX
** download: quoting and formula neutralising, the two CSV dialects, typed
** XLSX cells, rows from SQL, the move from memory to a temporary file, and
** the file's removal with the request.
**
** Each test answers a hand-built request (its arena, its id) and reads
** what the writer left in it: the body for a CSV answered from memory, the
** file at send_path otherwise. The HTTP server runs only so that
** req_tmpfile has its directory (data_dir/tmp).
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/log.h"
#include "core/sheet.h"
#include "core/util.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */
static req R;    /* the request each test answers */

static void setup(void) {
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  cr_assert_geq(sodium_init(), 0);
  testdb_open(&T, "sheet");
  config_set("access_log", "0");
  int port;
  http_opts o = {"127.0.0.1", 0, 1};
  cr_assert_eq(http_start(&o, &port), 0);
  memset(&R, 0, sizeof R);
  R.a = arena_new();
  R.id = "test-sheet";
}

static void teardown(void) {
  arena_free(R.a);
  http_stop();
  testdb_close(&T);
}

TestSuite(sheet, .init = setup, .fini = teardown);

/* Files in data_dir/tmp, where the writer's temporary files go. */
static int tmp_files(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/tmp", T.dir);
  DIR *d = opendir(path);
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The request's end: its arena and what it holds go; a new one starts. */
static void end_request(void) {
  arena_free(R.a);
  R.a = arena_new();
}

/* -------------------------------------------------------------- fields */

/* A CSV field: what is given, with which separator, what must come out. */
static const struct {
  const char *z;             /* the cell's text */
  char sep;                  /* ',' or ';' */
  const char *want;          /* the field as written */
} fields[] = {
    /* Plain text as is. */
    {"Résidentiel collectif", ',', "Résidentiel collectif"},
    {"", ',', ""},
    {NULL, ',', ""},
    /* The separator in use, quotes and line ends are quoted. */
    {"a,b", ',', "\"a,b\""},
    {"a,b", ';', "a,b"},
    {"a;b", ';', "\"a;b\""},
    {"a;b", ',', "a;b"},
    {"dit \"oui\"", ',', "\"dit \"\"oui\"\"\""},
    {"deux\nlignes", ';', "\"deux\nlignes\""},
    {"fin\r", ',', "\"fin\r\""},
    {" marge ", ',', "\" marge \""}, /* readers trim unquoted spaces */
    /* Formulas never run: a leading = + - @ tab or CR gets an apostrophe. */
    {"=1+1", ',', "'=1+1"},
    {"=SOMME(A1;A2)", ';', "\"'=SOMME(A1;A2)\""},
    {"@SUM(A1)", ',', "'@SUM(A1)"},
    {"+33 6 12 34 56 78", ',', "'+33 6 12 34 56 78"},
    {"-2+3+cmd|' /C calc'!A0", ',', "'-2+3+cmd|' /C calc'!A0"},
    {"\tx", ',', "'\tx"},
    {"\rdébut", ',', "\"'\rdébut\""},
    {"a=b", ',', "a=b"}, /* only a leading sign is a formula */
    /* A plain number is data, not a formula: a report of bad values keeps it. */
    {"-3.5", ',', "-3.5"},
    {"-3,5", ';', "-3,5"},
    {"+12", ',', "+12"},
};

Test(sheet_field, quoting_and_formulas) {
  for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
    buf b = {0};
    sheet_csv_field(&b, fields[i].z, fields[i].sep);
    cr_expect_str_eq(buf_str(&b), fields[i].want, "field %zu (%s)", i, fields[i].z ? fields[i].z : "NULL");
    buf_free(&b);
  }
}

Test(sheet_field, what_counts_as_a_formula) {
  const char *yes[] = {"-", "-1.2.3", "-1e5", "=A1", "@x", "+", "\t1"};
  const char *no[] = {"1e5", "", "-0", "+0,5", "12", "x=1"};
  for (size_t i = 0; i < ARRAY_SIZE(yes); i++) cr_expect(sheet_formula_like(yes[i]), "%s", yes[i]);
  for (size_t i = 0; i < ARRAY_SIZE(no); i++) cr_expect_not(sheet_formula_like(no[i]), "%s", no[i]);
  cr_expect_not(sheet_formula_like(NULL));
}

/* ----------------------------------------------------------------- CSV */

/* Every kind once, then empties; 2026-03-12 14:05:30 Paris is 1773320730. */
static const sheet_col kinds[] = {
    {"Nom", SHEET_TEXT, 0, 0, NULL},  {"Nombre", SHEET_INT, 0, 0, NULL},      {"Montant", SHEET_CENTS, 0, 0, NULL},
    {"Taux", SHEET_REAL, 0, 0, NULL}, {"Jour", SHEET_DATE, 0, 0, NULL},       {"Reçue le", SHEET_TIME, 0, 0, NULL},
};
#define AT_1405 1773320730

static void kinds_rows(sheet_writer *w) {
  sheet_tab(w, "Essai", kinds, (int)ARRAY_SIZE(kinds));
  sheet_text(w, "=HYPERLINK(\"x\"), vraiment");
  sheet_int(w, -42);
  sheet_int(w, 123405);
  sheet_real(w, 12.25);
  sheet_text(w, "2026-03-12");
  sheet_int(w, AT_1405);
  sheet_row_end(w);
  sheet_text(w, NULL);
  sheet_empty(w);
  sheet_int(w, -5);
  sheet_empty(w);
  sheet_text(w, "bientôt");
  sheet_int(w, 0); /* unset */
  sheet_row_end(w);
}

Test(sheet, csv_in_both_dialects) {
  static const struct {
    sheet_format format;
    const char *want;
  } cases[] = {
      {SHEET_CSV, "Nom,Nombre,Montant,Taux,Jour,Reçue le\r\n"
                  "\"'=HYPERLINK(\"\"x\"\"), vraiment\",-42,1234.05,12.2,2026-03-12,2026-03-12 14:05\r\n"
                  ",,-0.05,,bientôt,\r\n"},
      {SHEET_CSV_FR, "\xEF\xBB\xBF"
                     "Nom;Nombre;Montant;Taux;Jour;Reçue le\r\n"
                     "\"'=HYPERLINK(\"\"x\"\"), vraiment\";-42;1234,05;12,2;12/03/2026;12/03/2026 14:05\r\n"
                     ";;-0,05;;bientôt;\r\n"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    sheet_writer *w = sheet_open(&R, cases[i].format, "essai", 0);
    kinds_rows(w);
    cr_assert_eq(sheet_send(w), 0);
    cr_assert_eq(R.status, 200);
    cr_assert_str_eq(R.ctype, "text/csv; charset=utf-8");
    cr_assert_null(R.send_path, "a small table is answered from memory");
    cr_assert_str_eq(buf_str(&R.body), cases[i].want);
  }
}

Test(sheet, a_long_csv_moves_to_a_file_removed_with_the_request) {
  static const sheet_col cols[] = {{"n", SHEET_INT, 0, 0, NULL}, {"texte", SHEET_TEXT, 0, 0, NULL}};
  sheet_writer *w = sheet_open(&R, SHEET_CSV, "long", 0);
  sheet_tab(w, NULL, cols, 2);
  int n = 5000; /* about 150 kB: past SHEET_MEMORY_MAX twice */
  for (int i = 0; i < n; i++) {
    sheet_int(w, i);
    sheet_text(w, "une ligne, assez longue pour compter");
    sheet_row_end(w);
  }
  cr_assert_eq(sheet_send(w), 0);
  cr_assert_not_null(R.send_path);
  cr_assert(str_startswith(R.send_path, T.dir), "%s under data_dir", R.send_path);
  FILE *f = fopen(R.send_path, "rb");
  cr_assert_not_null(f);
  char line[128];
  int rows = 0, last = -1;
  cr_assert_str_eq(fgets(line, sizeof line, f), "n,texte\r\n");
  while (fgets(line, sizeof line, f)) {
    cr_assert_eq(atoi(line), rows, "rows in order, none lost at the moves: %s", line);
    last = atoi(line);
    rows++;
  }
  fclose(f);
  cr_assert_eq(rows, n);
  cr_assert_eq(last, n - 1);
  end_request();
  cr_assert_eq(tmp_files(), 0, "the file goes with the request");
}

Test(sheet, a_workbook_left_unsent_is_let_go) {
  sheet_writer *w = sheet_open(&R, SHEET_XLSX, "abandon", 0);
  kinds_rows(w);
  cr_assert_eq(tmp_files(), 1);
  end_request(); /* the handler answered something else and returned */
  cr_assert_eq(tmp_files(), 0);
}

Test(sheet, a_failure_sends_nothing) {
  sheet_writer *w = sheet_open(&R, SHEET_CSV, "rate", 0);
  sheet_tab(w, NULL, kinds, (int)ARRAY_SIZE(kinds));
  sheet_fail(w);
  sheet_text(w, "ignoré"); /* calls after a failure do nothing */
  sheet_row_end(w);
  cr_assert_eq(sheet_close(w), -1);
  cr_assert_eq(sheet_close(w), -1);
  cr_assert_eq(R.status, 0);
  cr_assert_null(R.send_path);
}

/* ---------------------------------------------------------------- XLSX */

/* The text of member name of the workbook at path ("" when absent). */
static char *zip_member(const char *path, const char *name) {
  int err = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY, &err);
  cr_assert_not_null(z, "not a zip: %s", path);
  buf b = {0};
  zip_file_t *f = zip_fopen(z, name, 0);
  if (f) {
    char blk[8192];
    zip_int64_t k;
    while ((k = zip_fread(f, blk, sizeof blk)) > 0) buf_append(&b, blk, (size_t)k);
    zip_fclose(f);
  }
  zip_close(z);
  char *out = arena_strdup(R.a, buf_str(&b));
  buf_free(&b);
  return out;
}

Test(sheet, xlsx_typed_cells) {
  static const sheet_col wide[] = {{"Nom", SHEET_TEXT, 40, 0, NULL}, {"Nombre", SHEET_INT, 0, 0, NULL}};
  sheet_writer *w = sheet_open(&R, SHEET_XLSX, "essai", 0);
  kinds_rows(w);
  sheet_tab(w, "Un titre bien trop long pour un onglet d’Excel", wide, 2);
  sheet_text(w, "@SUM(A1)");
  sheet_real(w, 2.6); /* rounded in an INT column */
  sheet_row_end(w);
  cr_assert_eq(sheet_send(w), 0);
  cr_assert_str_eq(R.ctype, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  cr_assert_not_null(R.send_path);
  const char *s1 = zip_member(R.send_path, "xl/worksheets/sheet1.xml");
  /* Streamed: strings inline, in the sheet. A formula-like text gets the
  ** same apostrophe as in CSV; never a formula element. */
  cr_assert(strstr(s1, "<t>'=HYPERLINK(\"x\"), vraiment</t>"), "%s", s1);
  cr_assert_null(strstr(s1, "<f>"));
  cr_assert(strstr(s1, "<c r=\"B2\"><v>-42</v></c>"), "%s", s1);
  cr_assert(strstr(s1, "<v>1234.05</v>"), "euros as a number: %s", s1);
  cr_assert(strstr(s1, "<v>12.25</v>"), "%s", s1);
  cr_assert(strstr(s1, "<c r=\"E2\" s=\"4\"><v>46093</v></c>"), "a day as a date: %s", s1);
  cr_assert(strstr(s1, "<c r=\"F2\" s=\"5\"><v>46093.58680555555"), "a local time to the minute: %s", s1);
  cr_assert_null(strstr(s1, "r=\"F3\""), "an unset time is an empty cell");
  cr_assert(strstr(s1, "<c r=\"A1\" s=\"1\""), "bold heading: %s", s1);
  cr_assert(strstr(s1, "state=\"frozen\""), "%s", s1);
  cr_assert(strstr(s1, "<autoFilter ref=\"A1:F3\"/>"), "%s", s1);
  cr_assert(strstr(s1, "<col min=\"1\" max=\"1\" width=\"36.7109375\""), "default widths: %s", s1);
  const char *s2 = zip_member(R.send_path, "xl/worksheets/sheet2.xml");
  cr_assert(strstr(s2, "<t>'@SUM(A1)</t>"), "%s", s2);
  cr_assert(strstr(s2, "<c r=\"B2\"><v>3</v></c>"), "%s", s2);
  cr_assert(strstr(s2, "<col min=\"1\" max=\"1\" width=\"40.7109375\""), "%s", s2);
  const char *book = zip_member(R.send_path, "xl/workbook.xml");
  cr_assert(strstr(book, "name=\"Essai\""), "%s", book);
  cr_assert(strstr(book, "name=\"Un titre bien trop long pour un\""), "cut at 31 characters: %s", book);
  const char *styles = zip_member(R.send_path, "xl/styles.xml");
  cr_assert(strstr(styles, "formatCode=\"dd/mm/yyyy\""), "%s", styles);
  cr_assert(strstr(styles, "formatCode=\"#,##0.00 &quot;€&quot;\""), "%s", styles);
}

/* --------------------------------------------------------- rows from SQL */

static const char *code_label(const char *code) { return strcmp(code, "ok") ? NULL : "Validé"; }

Test(sheet, rows_from_sql_by_kind) {
  static const sheet_col cols[] = {
      {"Statut", SHEET_TEXT, 0, 2, code_label},
      {"Distance (m)", SHEET_INT, 0, 0, NULL},
      {"Montant", SHEET_CENTS, 0, 1, NULL},
  };
  db_stmt *s = db_query("SELECT 12.5, 250, 'ok' UNION ALL SELECT 7, NULL, 'autre' UNION ALL SELECT -2.5, -1, NULL", "");
  sheet_writer *w = sheet_open(&R, SHEET_CSV, "sql", 0);
  sheet_tab(w, NULL, cols, 3);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) sheet_db_row(w, s);
  db_done(s);
  cr_assert_eq(rc, DB_DONE);
  cr_assert_eq(sheet_send(w), 0);
  cr_assert_str_eq(buf_str(&R.body), "Statut,Distance (m),Montant\r\n"
                                     "Validé,13,2.50\r\n"
                                     "autre,7,\r\n"
                                     ",-3,-0.01\r\n");
}

/* ------------------------------------------------------ tables in memory */

Test(sheet, reply_with_tables_in_memory) {
  static const sheet_col cols[] = {{"Programme", SHEET_TEXT, 0, 0, NULL}, {"Engagé", SHEET_CENTS, 0, 0, NULL},
                                   {"Délai (jours)", SHEET_REAL, 0, 0, NULL}};
  json_t *rows = json_pack("[[s, i, f], [s, n, i]]", "Flottes", 1280000, 3.45, "Total", 4);
  sheet one = {"Montants", cols, 3, rows};
  sheet two[2] = {one, one};
  cr_assert_eq(sheet_reply(&R, "pdf", "t", &one, 1), -1);
  cr_assert_eq(sheet_reply(&R, "csv", "t", two, 2), -1, "CSV holds one table");
  cr_assert_eq(R.status, 0, "nothing sent");
  cr_assert_eq(sheet_reply(&R, "csv", "t", &one, 1), 0);
  cr_assert_str_eq(buf_str(&R.body), "Programme,Engagé,Délai (jours)\r\nFlottes,12800.00,3.5\r\nTotal,,4.0\r\n");
  cr_assert_eq(sheet_reply(&R, "xlsx", "t", two, 2), 0);
  cr_assert(strstr(zip_member(R.send_path, "xl/sharedStrings.xml"), "Flottes"), "small tables share their strings");
  cr_assert(strstr(zip_member(R.send_path, "xl/worksheets/sheet2.xml"), "<v>12800</v>"));
  json_decref(rows);
}

Test(sheet, download_names_carry_the_day) {
  time_t now = time(NULL);
  struct tm tm;
  char want[32];
  localtime_r(&now, &tm);
  strftime(want, sizeof want, "demandes-%Y-%m-%d", &tm);
  cr_assert_str_eq(sheet_name_today(&R, "demandes"), want);
}
