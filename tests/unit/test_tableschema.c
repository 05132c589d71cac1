/*
** test_tableschema.c — Table Schema parsing, types, constraints, header
** checks and the report, through tableschema.h only. Rows of real files are
** read with libcsv; one-cell checks use a one-field schema written inline.
** Messages are asserted word for word where a user reads them.
*/
#include <criterion/criterion.h>
#include <csv.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/tableschema.h"
#include "core/util.h"

#define FIX "tests/fixtures/irve/"

static void setup(void) { log_set_quiet(1); }
TestSuite(tableschema, .init = setup);

/* ------------------------------------------------------------- helpers */

static ts_schema *schema_of(const char *json) {
  buf err = {0};
  ts_schema *s = ts_schema_parse(json, strlen(json), &err);
  cr_assert_not_null(s, "schema refused: %s", buf_str(&err));
  buf_free(&err);
  return s;
}

/* The error a schema is refused with ("" if accepted). */
static char *schema_error(const char *json) {
  static char msg[512];
  buf err = {0};
  ts_schema *s = ts_schema_parse(json, strlen(json), &err);
  snprintf(msg, sizeof msg, "%s", s ? "" : buf_str(&err));
  ts_schema_free(s);
  buf_free(&err);
  return msg;
}

/* One cell against one field. */
typedef struct one {
  int bad;        /* ts_validate_row_values' answer */
  ts_value v;     /* the value (when valid) */
  char text[64];  /* ts_text of it, for TS_VTEXT */
  char rule[32];  /* first issue's rule */
  char msg[600];  /* first issue's message */
  int64_t nIssue; /* issues found */
} one;

static one check1(const char *field, const char *cell) {
  char json[2048];
  snprintf(json, sizeof json, "{\"fields\":[%s]}", field);
  ts_schema *s = schema_of(json);
  ts_report rep;
  ts_report_init(&rep, 0);
  one r;
  memset(&r, 0, sizeof r);
  const char *cells[1] = {cell};
  r.bad = ts_validate_row_values(s, cells, 1, 2, &rep, &r.v);
  if (r.v.kind == TS_VTEXT) snprintf(r.text, sizeof r.text, "%s", ts_text(&r.v));
  r.v.z = NULL; /* the cell is the caller's; tests read text */
  r.nIssue = rep.nTotal;
  if (rep.nIssue) {
    snprintf(r.rule, sizeof r.rule, "%s", rep.aIssue[0].rule);
    snprintf(r.msg, sizeof r.msg, "%s", rep.aIssue[0].message);
  }
  ts_report_free(&rep);
  ts_schema_free(s);
  return r;
}

static int ok1(const char *field, const char *cell) { return check1(field, cell).bad == 0; }

/* Reads a CSV file into rows of cells (libcsv), for real fixtures. */
typedef struct table {
  char ***rows;  /* rows[i][j] */
  size_t *ncell; /* cells per row */
  size_t nrow;
  char **cur; /* row being read */
  size_t ncur;
} table;

static void tb_field(void *s, size_t n, void *d) {
  table *t = d;
  t->cur = xrealloc(t->cur, (t->ncur + 1) * sizeof(char *));
  t->cur[t->ncur++] = xstrndup(s ? s : "", n);
}
static void tb_row(int c, void *d) {
  (void)c;
  table *t = d;
  t->rows = xrealloc(t->rows, (t->nrow + 1) * sizeof(char **));
  t->ncell = xrealloc(t->ncell, (t->nrow + 1) * sizeof(size_t));
  t->rows[t->nrow] = t->cur;
  t->ncell[t->nrow++] = t->ncur;
  t->cur = NULL;
  t->ncur = 0;
}

static table read_csv(const char *path) {
  table t;
  memset(&t, 0, sizeof t);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  struct csv_parser p;
  csv_init(&p, 0);
  char b[4096];
  size_t n;
  while ((n = fread(b, 1, sizeof b, f)) > 0) csv_parse(&p, b, n, tb_field, tb_row, &t);
  csv_fini(&p, tb_field, tb_row, &t);
  csv_free(&p);
  fclose(f);
  return t;
}

static void table_free(table *t) {
  for (size_t i = 0; i < t->nrow; i++) {
    for (size_t j = 0; j < t->ncell[i]; j++) free(t->rows[i][j]);
    free(t->rows[i]);
  }
  free(t->rows);
  free(t->ncell);
}

/* Header check then every row; returns the number of invalid rows. */
static int validate_file(ts_schema *s, const char *path, ts_report *rep, size_t *nrow) {
  table t = read_csv(path);
  cr_assert_geq(t.nrow, 1);
  cr_assert_eq(ts_header_check(s, (const char *const *)t.rows[0], t.ncell[0], rep), 0);
  int bad = 0;
  for (size_t i = 1; i < t.nrow; i++)
    bad += ts_validate_row(s, (const char *const *)t.rows[i], t.ncell[i], (int64_t)i + 1, rep);
  if (nrow) *nrow = t.nrow - 1;
  table_free(&t);
  return bad;
}

static const ts_issue *find_issue(const ts_report *r, int64_t line, const char *field) {
  for (size_t i = 0; i < r->nIssue; i++)
    if (r->aIssue[i].line == line && str_eq(r->aIssue[i].field, field)) return &r->aIssue[i];
  return NULL;
}

/* ----------------------------------------------------------- schemas */

Test(tableschema, parses_the_irve_schemas) {
  buf err = {0};
  ts_schema *s = ts_schema_load(FIX "schema-statique.json", &err);
  cr_assert_not_null(s, "%s", buf_str(&err));
  cr_assert_eq(ts_schema_nfield(s), 40);
  cr_assert_str_eq(ts_field_name(s, 0), "nom_amenageur");
  int i = ts_field_index(s, "coordonneesXY");
  cr_assert_eq(i, 13);
  cr_assert_eq(ts_field_type(s, (size_t)i), TS_GEOPOINT);
  cr_assert_eq(ts_field_type(s, (size_t)ts_field_index(s, "nbre_pdc")), TS_INTEGER);
  cr_assert_eq(ts_field_type(s, (size_t)ts_field_index(s, "puissance_nominale")), TS_NUMBER);
  cr_assert_eq(ts_field_type(s, (size_t)ts_field_index(s, "date_maj")), TS_DATE);
  cr_assert(ts_field_required(s, (size_t)ts_field_index(s, "id_pdc_itinerance")));
  cr_assert_not(ts_field_required(s, (size_t)ts_field_index(s, "nom_amenageur")));
  cr_assert_eq(ts_field_index(s, "absent"), -1);
  cr_assert_str_eq(ts_type_name(TS_YEARMONTH), "yearmonth");
  ts_schema_free(s);
  s = ts_schema_load(FIX "schema-dynamique.json", &err);
  cr_assert_not_null(s, "%s", buf_str(&err));
  cr_assert_eq(ts_schema_nfield(s), 8);
  cr_assert_eq(ts_field_type(s, 3), TS_DATETIME);
  ts_schema_free(s);
  s = ts_schema_load(FIX "schema-sessions.json", &err);
  cr_assert_not_null(s, "%s", buf_str(&err));
  cr_assert_eq(ts_schema_nfield(s), 5);
  ts_schema_free(s);
  buf_free(&err);
}

Test(tableschema, refuses_bad_schemas_with_the_reason) {
  cr_assert(strstr(schema_error("{\"fields\": ["), "JSON invalide"));
  cr_assert(strstr(schema_error("[]"), "objet JSON"));
  cr_assert(strstr(schema_error("{\"fields\": []}"), "fields"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"type\": \"string\"}]}"), "pas de nom"));
  cr_assert_str_eq(schema_error("{\"fields\": [{\"name\": \"a\", \"type\": \"money\"}]}"),
                   "champ « a » : type inconnu");
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"format\": \"phone\"}]}"),
                   "format « phone » non pris en charge"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}"),
                   "défini deux fois"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"constraints\": "
                                "{\"pattern\": \"(a)\\\\1\"}}]}"),
                   "motif"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"constraints\": "
                                "{\"pattern\": \"(?=a)a\"}}]}"),
                   "non pris"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"constraints\": "
                                "{\"minimum\": 3}}]}"),
                   "non applicable au type string"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", "
                                "\"constraints\": {\"minimum\": \"x\"}}]}"),
                   "minimum"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"type\": \"integer\", "
                                "\"constraints\": {\"enum\": [1, \"deux\"]}}]}"),
                   "enum"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\"}], \"primaryKey\": \"b\"}"),
                   "primaryKey nomme un champ inconnu « b »"));
  cr_assert(strstr(schema_error("{\"fields\": [{\"name\": \"a\", \"constraints\": "
                                "{\"unknownRule\": 1}}]}"),
                   "non prise en charge"));
  buf err = {0};
  cr_assert_null(ts_schema_load("/nonexistent/schema.json", &err));
  cr_assert(strstr(buf_str(&err), "illisible"));
  buf_free(&err);
}

/* ------------------------------------------------------------- types */

Test(tableschema, string_formats) {
  const char *email = "{\"name\":\"f\",\"format\":\"email\"}";
  cr_assert(ok1(email, "contact@societe-operateur.com"));
  cr_assert(ok1(email, "prénom.nom@exemple.fr"));
  cr_assert_not(ok1(email, "contact.societe.com"));
  cr_assert_not(ok1(email, "contact@societe"));
  cr_assert_not(ok1(email, "a b@c.fr"));
  one r = check1(email, "pas-une-adresse");
  cr_assert_str_eq(r.rule, "format");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « f » : « pas-une-adresse » n'est pas une adresse "
                   "électronique valide");
  const char *uri = "{\"name\":\"f\",\"format\":\"uri\"}";
  cr_assert(ok1(uri, "https://www.data.gouv.fr/fr/datasets/"));
  cr_assert(ok1(uri, "mailto:contact@exemple.fr"));
  cr_assert_not(ok1(uri, "www.data.gouv.fr"));
  cr_assert_not(ok1(uri, "https://a b"));
  const char *uuid = "{\"name\":\"f\",\"format\":\"uuid\"}";
  cr_assert(ok1(uuid, "c098d5df-5564-5609-ba96-1abefb47f934"));
  cr_assert(ok1(uuid, "C098D5DF-5564-5609-BA96-1ABEFB47F934"));
  cr_assert_not(ok1(uuid, "c098d5df55645609ba961abefb47f934"));
  cr_assert_not(ok1(uuid, "g098d5df-5564-5609-ba96-1abefb47f934"));
  const char *b64 = "{\"name\":\"f\",\"format\":\"binary\"}";
  cr_assert(ok1(b64, "R3VpY2hldA=="));
  cr_assert_not(ok1(b64, "R3VpY2hldA="));
  r = check1("{\"name\":\"f\"}", "n'importe quoi, même « ceci »");
  cr_assert_eq(r.bad, 0);
  cr_assert_eq(r.v.kind, TS_VTEXT);
  cr_assert_str_eq(r.text, "n'importe quoi, même « ceci »");
}

Test(tableschema, integers) {
  const char *f = "{\"name\":\"nbre_pdc\",\"type\":\"integer\"}";
  one r = check1(f, "42");
  cr_assert_eq(r.bad, 0);
  cr_assert_eq(r.v.kind, TS_VINT);
  cr_assert_eq(r.v.i, 42);
  cr_assert_eq(check1(f, "-7").v.i, -7);
  cr_assert_eq(check1(f, "+3").v.i, 3);
  cr_assert_eq(check1(f, "9223372036854775807").v.i, INT64_MAX);
  cr_assert_eq(check1(f, "-9223372036854775808").v.i, INT64_MIN);
  cr_assert_not(ok1(f, "9223372036854775808"));
  cr_assert_not(ok1(f, "4.2"));
  cr_assert_not(ok1(f, "12a"));
  cr_assert_not(ok1(f, "-"));
  r = check1(f, "dix");
  cr_assert_str_eq(r.rule, "type");
  cr_assert_str_eq(r.msg, "ligne 2, champ « nbre_pdc » : « dix » n'est pas un nombre entier");
  /* groupChar and bareNumber. */
  r = check1("{\"name\":\"f\",\"type\":\"integer\",\"groupChar\":\" \",\"bareNumber\":false}",
             "1 234 €");
  cr_assert_eq(r.bad, 0, "%s", r.msg);
  cr_assert_eq(r.v.i, 1234);
}

Test(tableschema, numbers) {
  const char *f = "{\"name\":\"energy\",\"type\":\"number\"}";
  one r = check1(f, "46.572");
  cr_assert_eq(r.bad, 0);
  cr_assert_eq(r.v.kind, TS_VREAL);
  cr_assert_float_eq(r.v.r, 46.572, 1e-12);
  cr_assert_eq(check1(f, "0.1").v.r, 0.1); /* correctly rounded */
  cr_assert_eq(check1(f, "-0.5").v.r, -0.5);
  cr_assert_eq(check1(f, "1e3").v.r, 1000.0);
  cr_assert_eq(check1(f, ".5").v.r, 0.5);
  cr_assert_eq(check1(f, "22").v.r, 22.0);
  cr_assert_eq(check1(f, "3.141592653589793238462643").v.r, 3.141592653589793);
  cr_assert_eq(check1(f, "1.7976931348623157e308").v.r, 1.7976931348623157e308);
  cr_assert(ok1(f, "NaN"));
  cr_assert_eq(check1(f, "INF").v.r, INFINITY);
  cr_assert_eq(check1(f, "-INF").v.r, -INFINITY);
  cr_assert_not(ok1(f, "1,5"));
  cr_assert_not(ok1(f, "1.2.3"));
  cr_assert_not(ok1(f, "e5"));
  cr_assert_not(ok1(f, "0x10"));
  cr_assert_not(ok1(f, " 12"));
  r = check1(f, "beaucoup");
  cr_assert_str_eq(r.msg, "ligne 2, champ « energy » : « beaucoup » n'est pas un nombre");
  /* French notation. */
  const char *fr = "{\"name\":\"f\",\"type\":\"number\",\"decimalChar\":\",\",\"groupChar\":\" \"}";
  cr_assert_eq(check1(fr, "1 234,5").v.r, 1234.5);
  cr_assert_not(ok1(fr, "1234.5"));
  r = check1("{\"name\":\"f\",\"type\":\"number\",\"bareNumber\":false}", "95.5 %");
  cr_assert_eq(r.v.r, 95.5);
}

Test(tableschema, booleans) {
  const char *f = "{\"name\":\"gratuit\",\"type\":\"boolean\"}";
  const char *yes[] = {"true", "True", "TRUE", "1"}, *no[] = {"false", "False", "FALSE", "0"};
  for (int i = 0; i < 4; i++) {
    one r = check1(f, yes[i]);
    cr_assert_eq(r.bad, 0);
    cr_assert_eq(r.v.kind, TS_VINT);
    cr_assert_eq(r.v.i, 1);
    cr_assert_eq(check1(f, no[i]).v.i, 0);
  }
  one r = check1(f, "oui");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « gratuit » : « oui » n'est pas une valeur booléenne "
                   "admise (true, True, TRUE, 1, false, False, FALSE, 0)");
  const char *fr =
      "{\"name\":\"f\",\"type\":\"boolean\",\"trueValues\":[\"oui\"],"
      "\"falseValues\":[\"non\"]}";
  cr_assert_eq(check1(fr, "oui").v.i, 1);
  cr_assert_eq(check1(fr, "non").v.i, 0);
  cr_assert_not(ok1(fr, "true"));
}

Test(tableschema, dates_times_and_years) {
  const char *d = "{\"name\":\"date_maj\",\"type\":\"date\"}";
  one r = check1(d, "2021-04-05");
  cr_assert_eq(r.bad, 0);
  cr_assert_str_eq(r.text, "2021-04-05");
  cr_assert_eq(r.v.key, 18722); /* days since 1970-01-01 */
  cr_assert(ok1(d, "2024-02-29"));
  cr_assert_not(ok1(d, "2023-02-29"));
  cr_assert_not(ok1(d, "2021-13-01"));
  cr_assert_not(ok1(d, "05/04/2021"));
  r = check1(d, "2021-4-5");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « date_maj » : « 2021-4-5 » n'est pas une date valide "
                   "(format attendu AAAA-MM-JJ)");
  /* The IRVE schema writes its format as a strptime pattern. */
  cr_assert(ok1("{\"name\":\"f\",\"type\":\"date\",\"format\":\"%Y-%m-%d\"}", "2020-01-14"));
  const char *fr = "{\"name\":\"f\",\"type\":\"date\",\"format\":\"%d/%m/%Y\"}";
  r = check1(fr, "14/01/2020");
  cr_assert_eq(r.bad, 0);
  cr_assert_str_eq(r.text, "2020-01-14"); /* stored as ISO */
  cr_assert_not(ok1(fr, "31/02/2020"));
  r = check1(fr, "2020-01-14");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « f » : « 2020-01-14 » n'est pas une date valide "
                   "(format attendu %d/%m/%Y)");
  const char *any = "{\"name\":\"f\",\"type\":\"date\",\"format\":\"any\"}";
  cr_assert_str_eq(check1(any, "14/01/2020").text, "2020-01-14");
  cr_assert_str_eq(check1(any, "2020/01/14").text, "2020-01-14");
  cr_assert_str_eq(check1(any, "2020-01-14").text, "2020-01-14");

  const char *t = "{\"name\":\"f\",\"type\":\"time\"}";
  r = check1(t, "08:05:09");
  cr_assert_str_eq(r.text, "08:05:09");
  cr_assert_eq(r.v.key, (8 * 3600 + 5 * 60 + 9) * 1000000LL);
  cr_assert_str_eq(check1(t, "23:59:59.5").text, "23:59:59.500");
  cr_assert_not(ok1(t, "24:00:00"));
  cr_assert_not(ok1(t, "08:05"));
  cr_assert_str_eq(check1("{\"name\":\"f\",\"type\":\"time\",\"format\":\"any\"}", "08:05").text,
                   "08:05:00");
  cr_assert_str_eq(check1("{\"name\":\"f\",\"type\":\"time\",\"format\":\"%Hh%M\"}", "08h05").text,
                   "08:05:00");

  const char *y = "{\"name\":\"f\",\"type\":\"year\"}";
  r = check1(y, "2024");
  cr_assert_eq(r.v.kind, TS_VINT);
  cr_assert_eq(r.v.i, 2024);
  cr_assert_not(ok1(y, "24"));
  const char *ym = "{\"name\":\"f\",\"type\":\"yearmonth\"}";
  r = check1(ym, "2024-12");
  cr_assert_str_eq(r.text, "2024-12");
  cr_assert_not(ok1(ym, "2024-13"));
  cr_assert_not(ok1(ym, "2024-1"));
  const char *du = "{\"name\":\"f\",\"type\":\"duration\"}";
  cr_assert(ok1(du, "P1Y2M10DT2H30M"));
  cr_assert(ok1(du, "PT36H"));
  cr_assert(ok1(du, "PT0.5S"));
  cr_assert(ok1(du, "P3W"));
  cr_assert_not(ok1(du, "P"));
  cr_assert_not(ok1(du, "PT"));
  cr_assert_not(ok1(du, "P1H"));
  cr_assert_not(ok1(du, "1Y"));
  cr_assert_not(ok1(du, "P1M1Y"));
}

Test(tableschema, datetimes_are_normalised_to_utc) {
  const char *f = "{\"name\":\"horodatage\",\"type\":\"datetime\"}";
  one r = check1(f, "2024-12-10T17:28:16+01:00");
  cr_assert_eq(r.bad, 0);
  cr_assert_eq(r.v.kind, TS_VTEXT);
  cr_assert_str_eq(r.text, "2024-12-10T16:28:16Z");
  cr_assert_eq(r.v.key, 1733848096LL * 1000000);
  /* The IRVE dynamique example writes the offset without a colon. */
  cr_assert_str_eq(check1(f, "2022-10-18T12:35:49+0000").text, "2022-10-18T12:35:49Z");
  cr_assert_str_eq(check1(f, "2022-10-18T12:35:49+02").text, "2022-10-18T10:35:49Z");
  cr_assert_str_eq(check1(f, "2024-01-01T00:30:00+01:00").text, "2023-12-31T23:30:00Z");
  cr_assert_str_eq(check1(f, "2024-02-28T23:30:00-01:00").text, "2024-02-29T00:30:00Z");
  cr_assert_str_eq(check1(f, "2025-01-12T18:20:34.083Z").text, "2025-01-12T18:20:34.083Z");
  cr_assert_str_eq(check1(f, "2025-01-12T18:20:34.000083Z").text, "2025-01-12T18:20:34.000083Z");
  cr_assert_str_eq(check1(f, "2025-01-12 18:20:34").text, "2025-01-12T18:20:34Z"); /* naive: UTC */
  cr_assert_not(ok1(f, "2025-01-12"));
  cr_assert_not(ok1(f, "2025-01-12T18:20"));
  cr_assert_not(ok1(f, "2025-01-12T25:20:34Z"));
  cr_assert_not(ok1(f, "2025-02-30T10:00:00Z"));
  cr_assert_not(ok1(f, "2025-01-12T18:20:34+25:00"));
  cr_assert_not(ok1(f, "2025-01-12T18:20:34 CET"));
  r = check1(f, "10/12/2024 17:28");
  cr_assert_str_eq(r.rule, "type");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « horodatage » : « 10/12/2024 17:28 » n'est pas une "
                   "date et heure ISO 8601 valide (ex. 2024-12-10T17:28:16+01:00)");
  cr_assert_str_eq(
      check1("{\"name\":\"f\",\"type\":\"datetime\",\"format\":\"any\"}", "2025-01-12T18:20").text,
      "2025-01-12T18:20:00Z");
  const char *p = "{\"name\":\"f\",\"type\":\"datetime\",\"format\":\"%d/%m/%Y %H:%M %z\"}";
  cr_assert_str_eq(check1(p, "10/12/2024 17:28 +0100").text, "2024-12-10T16:28:00Z");
}

Test(tableschema, geopoints) {
  const char *arr = "{\"name\":\"coordonneesXY\",\"type\":\"geopoint\",\"format\":\"array\"}";
  one r = check1(arr, "[7.48710500,48.345345]");
  cr_assert_eq(r.bad, 0);
  cr_assert_float_eq(r.v.lon, 7.487105, 1e-9);
  cr_assert_float_eq(r.v.lat, 48.345345, 1e-9);
  cr_assert_str_eq(r.text, "7.487105,48.345345");
  cr_assert(ok1(arr, "[-0.872116, 46.226836]"));
  cr_assert_not(ok1(arr, "-0.872116, 46.226836"));
  cr_assert_not(ok1(arr, "[1, 95]")); /* latitude beyond 90 */
  r = check1(arr, "[1,2,3]");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « coordonneesXY » : « [1,2,3] » n'est pas un point "
                   "valide (format attendu [lon, lat])");
  const char *dflt = "{\"name\":\"f\",\"type\":\"geopoint\"}";
  cr_assert_str_eq(check1(dflt, "-1.151, 46.159").text, "-1.151,46.159");
  cr_assert(ok1(dflt, "-1.151,46.159"));
  cr_assert_not(ok1(dflt, "-1.151"));
  cr_assert_not(ok1(dflt, "200, 46"));
  const char *obj = "{\"name\":\"f\",\"type\":\"geopoint\",\"format\":\"object\"}";
  cr_assert_str_eq(check1(obj, "{\"lon\": -1.151, \"lat\": 46.159}").text, "-1.151,46.159");
  cr_assert_not(ok1(obj, "{\"lon\": -1.151}"));
}

Test(tableschema, object_array_and_any) {
  cr_assert(ok1("{\"name\":\"f\",\"type\":\"object\"}", "{\"a\": [1, 2]}"));
  cr_assert_not(ok1("{\"name\":\"f\",\"type\":\"object\"}", "[1, 2]"));
  cr_assert(ok1("{\"name\":\"f\",\"type\":\"array\"}", "[1, 2]"));
  cr_assert_not(ok1("{\"name\":\"f\",\"type\":\"array\"}", "[1, 2"));
  cr_assert_eq(
      check1("{\"name\":\"f\",\"type\":\"array\",\"constraints\":{\"maxLength\":1}}", "[1, 2]").bad,
      1);
  one r = check1("{\"name\":\"f\",\"type\":\"any\"}", "[n'importe quoi");
  cr_assert_eq(r.bad, 0);
  cr_assert_str_eq(r.text, "[n'importe quoi");
}

/* ------------------------------------------------------- constraints */

Test(tableschema, required_and_missing_values) {
  const char *req = "{\"name\":\"nom_station\",\"constraints\":{\"required\":true}}";
  one r = check1(req, "");
  cr_assert_eq(r.bad, 1);
  cr_assert_str_eq(r.rule, "required");
  cr_assert_str_eq(r.msg, "ligne 2, champ « nom_station » : valeur obligatoire manquante");
  r = check1("{\"name\":\"f\",\"type\":\"integer\"}", "");
  cr_assert_eq(r.bad, 0);
  cr_assert_eq(r.v.kind, TS_VNULL);
  /* Schema-wide missingValues. */
  ts_schema *s = schema_of(
      "{\"missingValues\":[\"\",\"NA\",\"-\"],\"fields\":["
      "{\"name\":\"a\",\"type\":\"integer\"},"
      "{\"name\":\"b\",\"type\":\"integer\",\"constraints\":{\"required\":true}},"
      "{\"name\":\"c\",\"type\":\"integer\",\"missingValues\":[\"?\"]}]}");
  ts_report rep;
  ts_report_init(&rep, 0);
  ts_value v[3];
  const char *row1[] = {"NA", "4", "?"};
  cr_assert_eq(ts_validate_row_values(s, row1, 3, 2, &rep, v), 0);
  cr_assert_eq(v[0].kind, TS_VNULL);
  cr_assert_eq(v[1].i, 4);
  cr_assert_eq(v[2].kind, TS_VNULL);
  const char *row2[] = {"-", "NA", "NA"};
  cr_assert_eq(ts_validate_row_values(s, row2, 3, 3, &rep, v), 1);
  cr_assert_eq(rep.nTotal, 2); /* b is required; for c, "NA" is not missing */
  cr_assert_str_eq(rep.aIssue[0].rule, "required");
  cr_assert_str_eq(rep.aIssue[0].field, "b");
  cr_assert_str_eq(rep.aIssue[1].rule, "type");
  cr_assert_str_eq(rep.aIssue[1].field, "c");
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, minimum_and_maximum) {
  const char *p =
      "{\"name\":\"puissance_nominale\",\"type\":\"number\","
      "\"constraints\":{\"minimum\":0,\"maximum\":400}}";
  cr_assert(ok1(p, "0"));
  cr_assert(ok1(p, "400"));
  one r = check1(p, "-3");
  cr_assert_eq(r.bad, 1);
  cr_assert_str_eq(r.rule, "minimum");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « puissance_nominale » : « -3 » est inférieur au "
                   "minimum 0");
  r = check1(p, "400.5");
  cr_assert_str_eq(r.rule, "maximum");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « puissance_nominale » : « 400.5 » est supérieur au "
                   "maximum 400");
  const char *i =
      "{\"name\":\"f\",\"type\":\"integer\",\"constraints\":{\"minimum\":1,"
      "\"exclusiveMaximum\":10}}";
  cr_assert(ok1(i, "9"));
  cr_assert_not(ok1(i, "10"));
  cr_assert_not(ok1(i, "0"));
  const char *d =
      "{\"name\":\"f\",\"type\":\"date\",\"constraints\":{\"minimum\":\"2020-01-01\","
      "\"maximum\":\"2030-12-31\"}}";
  cr_assert(ok1(d, "2020-01-01"));
  r = check1(d, "2019-12-31");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « f » : « 2019-12-31 » est inférieur au minimum "
                   "2020-01-01");
  cr_assert_not(ok1(d, "2031-01-01"));
  /* Datetimes compare as instants, whatever the offset. */
  const char *dt =
      "{\"name\":\"f\",\"type\":\"datetime\",\"constraints\":"
      "{\"minimum\":\"2024-12-01T00:00:00Z\"}}";
  cr_assert(ok1(dt, "2024-12-01T00:30:00+00:30"));
  cr_assert_not(ok1(dt, "2024-12-01T00:30:00+01:00"));
  const char *t = "{\"name\":\"f\",\"type\":\"time\",\"constraints\":{\"maximum\":\"18:00:00\"}}";
  cr_assert(ok1(t, "17:59:59"));
  cr_assert_not(ok1(t, "18:00:01"));
  const char *y = "{\"name\":\"f\",\"type\":\"year\",\"constraints\":{\"minimum\":2000}}";
  cr_assert_not(ok1(y, "1999"));
}

Test(tableschema, lengths_count_characters) {
  const char *f = "{\"name\":\"f\",\"constraints\":{\"minLength\":2,\"maxLength\":4}}";
  cr_assert(ok1(f, "éé"));   /* 2 characters, 4 bytes */
  cr_assert(ok1(f, "ÉÉÉÉ")); /* 4 characters, 8 bytes */
  one r = check1(f, "é");
  cr_assert_str_eq(r.rule, "minLength");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « f » : « é » compte 1 caractères, moins que le "
                   "minimum 2");
  r = check1(f, "abcde");
  cr_assert_str_eq(r.rule, "maxLength");
}

Test(tableschema, patterns_match_the_whole_value) {
  const char *id =
      "{\"name\":\"id_pdc_itinerance\",\"constraints\":"
      "{\"pattern\":\"(?:(?:^|,)(^[A-Z]{2}[A-Z0-9]{4,33}$|Non concerné))+$\"}}";
  cr_assert(ok1(id, "FRA68E680210015"));
  cr_assert(ok1(id, "ESZUNE1111ER7"));
  cr_assert(ok1(id, "Non concerné"));
  cr_assert_not(ok1(id, "FR*A68*E680210015"));
  cr_assert_not(ok1(id, "fra68e680210015"));
  cr_assert_not(ok1(id, "FRA6"));
  one r = check1(id, "FR-A68");
  cr_assert_str_eq(r.rule, "pattern");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « id_pdc_itinerance » : « FR-A68 » ne respecte pas le "
                   "motif (?:(?:^|,)(^[A-Z]{2}[A-Z0-9]{4,33}$|Non concerné))+$");
  const char *dyn = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"^[A-Z]{2}[A-Z0-9]{4,33}$\"}}";
  cr_assert(ok1(dyn, "FRV75EPX19053"));
  cr_assert(ok1(dyn, "FR1234"));
  cr_assert_not(ok1(dyn, "FR123"));
  cr_assert(ok1(dyn, "FRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 2 + 33 */
  cr_assert_not(ok1(dyn, "FRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  cr_assert_not(ok1(dyn, "FRV75EPX19053é"));
  const char *siren = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"^\\\\d{9}$\"}}";
  cr_assert(ok1(siren, "130025265"));
  cr_assert_not(ok1(siren, "13002526"));
  cr_assert_not(ok1(siren, "1300252651"));
  const char *insee =
      "{\"name\":\"f\",\"constraints\":"
      "{\"pattern\":\"^([013-9]\\\\d|2[AB1-9])\\\\d{3}$\"}}";
  cr_assert(ok1(insee, "17300"));
  cr_assert(ok1(insee, "2A004"));
  cr_assert_not(ok1(insee, "20004"));
  cr_assert_not(ok1(insee, "1730"));
  const char *hours =
      "{\"name\":\"f\",\"constraints\":{\"pattern\":"
      "\"(.*?)((\\\\d{1,2}:\\\\d{2})-(\\\\d{1,2}:\\\\d{2})|24/7)\"}}";
  cr_assert(ok1(hours, "24/7"));
  cr_assert(ok1(hours, "Mo-Fr 08:00-12:00,Mo-Fr 14:00-18:00,Th 08:00-18:00"));
  cr_assert_not(ok1(hours, "du lundi au vendredi"));
  /* No anchors in the pattern: it still has to match everything. */
  const char *part = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"b\"}}";
  cr_assert(ok1(part, "b"));
  cr_assert_not(ok1(part, "abc"));
  /* Escapes: \w, \s, \., classes with escapes, \u, lazy quantifiers. */
  const char *w = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"\\\\w+\\\\s\\\\w+\\\\.\"}}";
  cr_assert(ok1(w, "Rue_1 Paix."));
  cr_assert_not(ok1(w, "Rue 1 Paix"));
  const char *cls = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"[\\\\d\\\\-\\\\]]+x??\"}}";
  cr_assert(ok1(cls, "12-]3"));
  cr_assert(ok1(cls, "1x"));
  cr_assert_not(ok1(cls, "a"));
  const char *u = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"caf\\\\u00e9|th\\\\x65\"}}";
  cr_assert(ok1(u, "café"));
  cr_assert(ok1(u, "the"));
  cr_assert_not(ok1(u, "cafe"));
  const char *neg = "{\"name\":\"f\",\"constraints\":{\"pattern\":\"[^0-9]{2,}\"}}";
  cr_assert(ok1(neg, "ab"));
  cr_assert_not(ok1(neg, "a1"));
}

Test(tableschema, enums) {
  const char *f =
      "{\"name\":\"condition_acces\",\"constraints\":"
      "{\"enum\":[\"Accès libre\",\"Accès réservé\"]}}";
  cr_assert(ok1(f, "Accès libre"));
  one r = check1(f, "accès libre");
  cr_assert_str_eq(r.rule, "enum");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « condition_acces » : « accès libre » n'est pas une "
                   "valeur admise (valeurs admises : Accès libre, Accès réservé)");
  const char *n = "{\"name\":\"f\",\"type\":\"integer\",\"constraints\":{\"enum\":[1,2,3]}}";
  cr_assert(ok1(n, "02")); /* compared as numbers */
  cr_assert_not(ok1(n, "4"));
  const char *d =
      "{\"name\":\"f\",\"type\":\"datetime\",\"constraints\":"
      "{\"enum\":[\"2024-12-10T16:28:16Z\"]}}";
  cr_assert(ok1(d, "2024-12-10T17:28:16+01:00")); /* the same instant */
}

Test(tableschema, unique_and_primary_key) {
  ts_schema *s = schema_of(
      "{\"fields\":["
      "{\"name\":\"id\",\"constraints\":{\"unique\":true}},"
      "{\"name\":\"pdc\"},{\"name\":\"start\",\"type\":\"datetime\"}],"
      "\"primaryKey\":[\"pdc\",\"start\"]}");
  ts_report rep;
  ts_report_init(&rep, 0);
  const char *r2[] = {"a", "FRA68E1", "2024-12-10T16:28:16Z"};
  const char *r3[] = {"b", "FRA68E1", "2024-12-10T17:28:16Z"};
  const char *r4[] = {"a", "FRA68E2", "2024-12-10T16:28:16Z"};
  const char *r5[] = {"c", "FRA68E1", "2024-12-10T18:28:16+01:00"}; /* = r3's instant */
  const char *r6[] = {"d", "", "2024-12-10T16:28:16Z"};
  cr_assert_eq(ts_validate_row(s, r2, 3, 2, &rep), 0);
  cr_assert_eq(ts_validate_row(s, r3, 3, 3, &rep), 0);
  cr_assert_eq(ts_validate_row(s, r4, 3, 4, &rep), 1);
  cr_assert_str_eq(rep.aIssue[0].rule, "unique");
  cr_assert_str_eq(rep.aIssue[0].message,
                   "ligne 4, champ « id » : « a » est en double (déjà vu ligne 2)");
  cr_assert_eq(ts_validate_row(s, r5, 3, 5, &rep), 1);
  cr_assert_str_eq(rep.aIssue[1].rule, "primaryKey");
  cr_assert_str_eq(rep.aIssue[1].message,
                   "ligne 5 : clé primaire (pdc, start) en double (déjà vue ligne 3)");
  cr_assert_eq(ts_validate_row(s, r6, 3, 6, &rep), 1); /* key fields are required */
  cr_assert_str_eq(rep.aIssue[2].rule, "required");
  /* A new file starts afresh. */
  ts_schema_reset(s);
  cr_assert_eq(ts_validate_row(s, r4, 3, 2, &rep), 0);
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, invalid_utf8_is_reported) {
  one r = check1("{\"name\":\"adresse_station\"}",
                 "all\xe9"
                 "e des Tilleuls");
  cr_assert_eq(r.bad, 1);
  cr_assert_str_eq(r.rule, "encoding");
  cr_assert_str_eq(r.msg,
                   "ligne 2, champ « adresse_station » : la valeur n'est pas du texte "
                   "UTF-8 valide (enregistrez le fichier en UTF-8)");
  cr_assert_not(ok1("{\"name\":\"f\"}", "\xed\xa0\x80")); /* a surrogate */
  cr_assert_not(ok1("{\"name\":\"f\"}", "\xc0\xaf"));     /* overlong */
}

/* ------------------------------------------------------------- header */

static const char *sessions =
    "{\"fields\":[{\"name\":\"id\"},"
    "{\"name\":\"pdc\",\"constraints\":{\"required\":true}},"
    "{\"name\":\"energy\",\"type\":\"number\"}]}";

Test(tableschema, header_missing_extra_and_duplicate_columns) {
  ts_schema *s = schema_of(sessions);
  ts_report rep;
  ts_report_init(&rep, 0);
  const char *h[] = {"pdc", "energy", "operateur", "energy", ""};
  cr_assert_eq(ts_header_check(s, h, 5, &rep), 0);
  cr_assert_eq(rep.nIssue, 3);
  cr_assert_str_eq(rep.aIssue[0].rule, "missing-label");
  cr_assert_eq(rep.aIssue[0].line, 1);
  cr_assert_null(rep.aIssue[0].field);
  cr_assert_str_eq(rep.aIssue[0].message,
                   "en-tête : colonne absente : « id » ; ce champ facultatif restera vide");
  cr_assert_str_eq(rep.aIssue[1].rule, "extra-label");
  cr_assert_str_eq(rep.aIssue[1].message,
                   "en-tête : colonnes inconnues du schéma, ignorées : "
                   "« operateur », colonne 5 sans nom");
  cr_assert_str_eq(rep.aIssue[2].rule, "duplicate-label");
  cr_assert_str_eq(rep.aIssue[2].message,
                   "en-tête : colonne en double, seule la première est lue : « energy »");
  /* Rows are read by name, extra cells ignored, the absent id is NULL. */
  const char *row[] = {"FRA68E1", "12.5", "x", "bad", ""};
  ts_value v[3];
  cr_assert_eq(ts_validate_row_values(s, row, 5, 2, &rep, v), 0);
  cr_assert_eq(v[0].kind, TS_VNULL);
  cr_assert_str_eq(ts_text(&v[1]), "FRA68E1");
  cr_assert_eq(v[2].r, 12.5);
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, header_missing_required_column_is_fatal) {
  ts_schema *s = schema_of(sessions);
  ts_report rep;
  ts_report_init(&rep, 0);
  const char *h[] = {"id", "energy"};
  cr_assert_eq(ts_header_check(s, h, 2, &rep), -1);
  cr_assert_str_eq(rep.aIssue[0].message,
                   "en-tête : colonne absente : « pdc » ; « pdc » "
                   "obligatoire, aucune ligne ne peut être chargée");
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, header_reordered_columns_are_mapped_by_name) {
  ts_schema *s = schema_of(sessions);
  ts_report rep;
  ts_report_init(&rep, 0);
  const char *h[] = {
      "\xEF\xBB\xBF"
      "energy",
      "pdc", "id"}; /* with a BOM */
  cr_assert_eq(ts_header_check(s, h, 3, &rep), 0);
  cr_assert_eq(rep.nIssue, 1);
  cr_assert_str_eq(rep.aIssue[0].rule, "label-order");
  cr_assert_str_eq(rep.aIssue[0].message,
                   "en-tête : colonnes dans un autre ordre que le schéma (attendu : id, pdc, "
                   "energy ; reçu : energy, pdc, id), reconnues par leur nom");
  const char *row[] = {"7", "FRA68E1", "s1"};
  ts_value v[3];
  cr_assert_eq(ts_validate_row_values(s, row, 3, 2, &rep, v), 0);
  cr_assert_str_eq(ts_text(&v[0]), "s1");
  cr_assert_str_eq(ts_text(&v[1]), "FRA68E1");
  cr_assert_eq(v[2].r, 7.0);
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, rows_with_the_wrong_number_of_cells) {
  ts_schema *s = schema_of(sessions);
  ts_report rep;
  ts_report_init(&rep, 0);
  const char *h[] = {"id", "pdc", "energy"};
  cr_assert_eq(ts_header_check(s, h, 3, &rep), 0);
  const char *shortRow[] = {"s1", "FRA68E1"};
  cr_assert_eq(ts_validate_row(s, shortRow, 2, 7, &rep), 1);
  cr_assert_str_eq(rep.aIssue[0].rule, "row-length");
  cr_assert_str_eq(rep.aIssue[0].message, "ligne 7 : 2 cellules au lieu de 3");
  const char *longRow[] = {"s1", "FRA68E1", "1", "2"};
  cr_assert_eq(ts_validate_row(s, longRow, 4, 8, &rep), 1);
  cr_assert_str_eq(rep.aIssue[1].message, "ligne 8 : 4 cellules au lieu de 3");
  ts_report_free(&rep);
  ts_schema_free(s);
}

/* -------------------------------------------------------------- report */

Test(tableschema, report_is_capped_and_values_truncated) {
  ts_schema *s = schema_of("{\"fields\":[{\"name\":\"n\",\"type\":\"integer\"}]}");
  ts_report rep;
  ts_report_init(&rep, 10);
  char big[600];
  memset(big, 'x', sizeof big);
  memcpy(big + 199, "é", 2); /* a character across the 200-byte limit */
  big[sizeof big - 1] = 0;
  for (int i = 0; i < 25; i++) {
    const char *row[] = {i ? "abc" : big};
    ts_validate_row(s, row, 1, i + 2, &rep);
  }
  cr_assert_eq(rep.nIssue, 10);
  cr_assert_eq(rep.nTotal, 25);
  cr_assert_eq(strlen(rep.aIssue[0].value), 199); /* cut before the é */
  cr_assert(strstr(rep.aIssue[0].message, "x… » n'est pas un nombre entier"));
  buf j = {0};
  ts_report_json(&rep, &j);
  json_error_t je;
  json_t *root = json_loads(buf_str(&j), 0, &je);
  cr_assert_not_null(root, "%s", je.text);
  cr_assert_eq(json_integer_value(json_object_get(root, "total")), 25);
  cr_assert_eq(json_array_size(json_object_get(root, "issues")), 10);
  json_t *second = json_array_get(json_object_get(root, "issues"), 1);
  cr_assert_eq(json_integer_value(json_object_get(second, "line")), 3);
  cr_assert_str_eq(json_string_value(json_object_get(second, "field")), "n");
  cr_assert_str_eq(json_string_value(json_object_get(second, "value")), "abc");
  cr_assert_str_eq(json_string_value(json_object_get(second, "rule")), "type");
  json_decref(root);
  buf_free(&j);
  /* Hooks add their own issues the same way. */
  ts_report_add(&rep, 0, NULL, NULL, "hook", "fichier refusé");
  cr_assert_eq(rep.nTotal, 26);
  ts_report_free(&rep);
  ts_report_init(&rep, 0);
  ts_report_add(&rep, 12, "id_pdc_itinerance", "FRX", "foreign-key",
                "point de recharge « %s » inconnu", "FRX");
  cr_assert_str_eq(rep.aIssue[0].message,
                   "ligne 12, champ « id_pdc_itinerance » : point de recharge « FRX » inconnu");
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, cell_value_helper) {
  ts_schema *s = schema_of(
      "{\"fields\":[{\"name\":\"a\",\"type\":\"datetime\"},"
      "{\"name\":\"b\",\"type\":\"boolean\"}]}");
  ts_value v;
  cr_assert_eq(ts_cell_value(s, 0, "2024-12-10T17:28:16+01:00", &v), 0);
  cr_assert_str_eq(ts_text(&v), "2024-12-10T16:28:16Z");
  cr_assert_eq(ts_cell_value(s, 0, "", &v), 0);
  cr_assert_eq(v.kind, TS_VNULL);
  cr_assert_eq(ts_cell_value(s, 0, "hier", &v), -1);
  cr_assert_eq(ts_cell_value(s, 1, "False", &v), 0);
  cr_assert_eq(v.kind, TS_VINT);
  cr_assert_eq(v.i, 0);
  ts_schema_free(s);
}

/* ---------------------------------------------------------- IRVE files */

/* The upstream example's second row says "Exemple invalide", but schema
** v2.3.0 accepts any two-letter prefix, so "ES…" identifiers pass: both rows
** are valid against the schema they ship with. */
Test(tableschema, irve_static_example_is_valid_against_2_3_0) {
  ts_schema *s = ts_schema_load(FIX "schema-statique.json", NULL);
  cr_assert_not_null(s);
  ts_report rep;
  ts_report_init(&rep, 0);
  size_t n;
  cr_assert_eq(validate_file(s, FIX "exemple-valide-statique.csv", &rep, &n), 0);
  cr_assert_eq(n, 2);
  cr_assert_eq(rep.nTotal, 0, "%s", rep.nIssue ? rep.aIssue[0].message : "");
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, irve_static_invalid_row_is_reported_with_line_and_field) {
  ts_schema *s = ts_schema_load(FIX "schema-statique.json", NULL);
  ts_report rep;
  ts_report_init(&rep, 0);
  cr_assert_eq(validate_file(s, FIX "exemple-invalide-statique.csv", &rep, NULL), 1);
  cr_assert_eq(rep.nTotal, 3);
  cr_assert_null(find_issue(&rep, 2, "id_station_itinerance")); /* row 1 is fine */
  const ts_issue *e = find_issue(&rep, 3, "id_station_itinerance");
  cr_assert_not_null(e);
  cr_assert_str_eq(e->rule, "pattern");
  cr_assert_str_eq(e->value, "ES*ZUN*P395912133460086982");
  e = find_issue(&rep, 3, "id_pdc_itinerance");
  cr_assert_not_null(e);
  cr_assert_str_eq(e->rule, "pattern");
  e = find_issue(&rep, 3, "puissance_nominale");
  cr_assert_not_null(e);
  cr_assert_str_eq(e->message,
                   "ligne 3, champ « puissance_nominale » : « -3 » est inférieur au minimum 0");
  ts_report_free(&rep);
  ts_schema_free(s);
}

Test(tableschema, irve_dynamic_example_and_dep17_points_are_valid) {
  ts_schema *s = ts_schema_load(FIX "schema-dynamique.json", NULL);
  ts_report rep;
  ts_report_init(&rep, 0);
  size_t n;
  cr_assert_eq(validate_file(s, FIX "exemple-valide-dynamique.csv", &rep, &n), 0);
  cr_assert_eq(n, 2);
  ts_schema_free(s);
  s = ts_schema_load(FIX "schema-statique.json", NULL);
  cr_assert_eq(validate_file(s, FIX "pdc-dep17.csv", &rep, &n), 0);
  cr_assert_eq(n, 270);
  cr_assert_eq(rep.nTotal, 0, "%s", rep.nIssue ? rep.aIssue[0].message : "");
  ts_report_free(&rep);
  ts_schema_free(s);
}

/* Found by fuzz/fuzz_csvload.c: a header label that is not UTF-8 was
** quoted as is in the report, which then could not go out as JSON. */
Test(tableschema, report_strings_are_always_utf8) {
  ts_schema *s = schema_of("{\"fields\":[{\"name\":\"n\",\"type\":\"integer\"}]}");
  const char *h[] = {"n", "\xff\xfe extra\xc3"};
  ts_report rep;
  ts_report_init(&rep, 0);
  ts_header_check(s, h, 2, &rep);
  cr_assert_geq(rep.nIssue, 1);
  for (size_t i = 0; i < rep.nIssue; i++) {
    json_t *j = json_string(rep.aIssue[i].message);
    cr_assert_not_null(j, "message is not UTF-8: %s", rep.aIssue[i].message);
    json_decref(j);
    if (rep.aIssue[i].value) {
      j = json_string(rep.aIssue[i].value);
      cr_assert_not_null(j, "value is not UTF-8");
      json_decref(j);
    }
  }
  ts_report_free(&rep);
  ts_schema_free(s);
}
