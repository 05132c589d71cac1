/*
** test_geocode.c — the geocoder through geocode.h only, on a fresh database
** per test: normalisation, import of the three file formats (fixtures in
** tests/fixtures/adresses, see SOURCES.md there), search, autocomplete,
** suggestions when nothing matches, and reverse geocoding checked against a
** brute-force nearest address.
**
** Fixture facts the tests rely on (read from the files):
**   bondy-extrait.csv (R variant, text doubly encoded): Rue Jean Jaurés
**     (sic) has 9, 9 bis, 9 ter, 12, 43, 45 but no 44; Av du Mal de Lattre
**     de Tassigny; Avenue de l’Est; Avenue de la République (9 "b"); Cours
**     de la République. Commune Bondy, 93140, INSEE 93010.
**   ban-93-extrait.csv (DERIVED national format, also Bondy): Rue du 4
**     Septembre (18 a, 29 ter), Avenue Galliéni, Rue de la Liberté, Cours de
**     la République.
**   bano-19-extrait.csv: Avenue Jean Jaurès in Brive (12, 67BIS; alone with
**     46), Malemort (no 12) and Ussel (12, 12TER; alone with 22); Rue Jean
**     Jaurès in Tulle; "N Qu de la République" in Tulle; Rue Saint-Jean in
**     Lubersac.
*/
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/db.h"
#include "core/geocode.h"
#include "core/log.h"
#include "core/util.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */

static void setup(void) {
  testdb_open(&T, "geocode");
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(geocode, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

/* tests/fixtures/adresses/NAME, found from this file's path. */
static const char *fixture(const char *name) {
  static char path[512];
  const char *end = strstr(__FILE__, "unit/test_geocode.c");
  cr_assert_not_null(end);
  snprintf(path, sizeof path, "%.*sfixtures/adresses/%s", (int)(end - __FILE__), __FILE__, name);
  return path;
}

static geocode_import_stats import(const char *name, geocode_format fmt) {
  geocode_import_stats st;
  int rc = geocode_import_file(fixture(name), fmt, NULL, NULL, &st);
  cr_assert_eq(rc, 0, "import %s: %s", name, st.error);
  return st;
}

static char g_norm[512];
static const char *norm(const char *z) {
  buf b = {0};
  geocode_normalize(&b, z);
  snprintf(g_norm, sizeof g_norm, "%s", buf_str(&b));
  buf_free(&b);
  return g_norm;
}

static geocode_hit g_hits[20];
static int g_n;

static int search(const char *q) { return geocode_search(q, 10, g_hits, &g_n); }
static int suggest(const char *q) { return geocode_suggest(q, 5, g_hits, &g_n); }

/* Writes text into the test directory and returns the path. */
static const char *write_file(const char *name, const char *text) {
  static char path[160];
  snprintf(path, sizeof path, "%s/%s", T.dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* ---- normalisation ------------------------------------------------------ */

Test(geocode, normalize_folds_case_accents_and_ligatures) {
  cr_assert_str_eq(norm("Rue de la RÉPUBLIQUE"), "rue de la republique");
  cr_assert_str_eq(norm("Œuvre Æsop Straße Ça Côté Noël Ïle Über"), "oeuvre aesop strasse ca cote noel ile uber");
  cr_assert_str_eq(norm("Łódź Ștefan Dvořák"), "lodz stefan dvorak");
  cr_assert_str_eq(norm("Re\xcc\x81publique"), "republique"); /* é as e + combining acute */
  cr_assert_str_eq(norm("R\xe9publique"), "republique");      /* Latin-1 byte, not UTF-8 */
}

Test(geocode, normalize_turns_punctuation_into_single_spaces) {
  cr_assert_str_eq(norm("  Allée de l’Orme,  n° 3 — « Les Pins »  "), "allee de l orme n 3 les pins");
  cr_assert_str_eq(norm("Saint-Jean-d'Angély"), "saint jean d angely");
  cr_assert_str_eq(norm("Rue du 8 Mai 1945"), "rue du 8 mai 1945");
  cr_assert_str_eq(norm("ул. Ленина"), ""); /* other scripts are breaks */
  cr_assert_str_eq(norm(""), "");
  cr_assert_str_eq(norm(NULL), "");
}

Test(geocode, normalize_expands_abbreviations) {
  static const char *const cases[][2] = {
      {"av jean jaures", "avenue jean jaures"}, {"ave foch", "avenue foch"},
      {"bd gambetta", "boulevard gambetta"},    {"bld gambetta", "boulevard gambetta"},
      {"r de la paix", "rue de la paix"},        {"pl verdun", "place verdun"},
      {"ch des vignes", "chemin des vignes"},    {"chem des vignes", "chemin des vignes"},
      {"imp des lilas", "impasse des lilas"},    {"all des pins", "allee des pins"},
      {"rte de paris", "route de paris"},        {"fg st jean", "faubourg saint jean"},
      {"fbg st jean", "faubourg saint jean"},    {"ste anne", "sainte anne"},
      {"sq moulin", "square moulin"},            {"crs national", "cours national"},
      {"qu valin", "quai valin"},                {"qua valin", "quai valin"},
      {"res les oliviers", "residence les oliviers"}, {"lot le clos", "lotissement le clos"},
      {"ham de puyravault", "hameau de puyravault"},  {"Av. du Mal. de Lattre", "avenue du marechal de lattre"},
      {"zi de chef de baie", "zone industrielle de chef de baie"},
      {"avenue", "avenue"}, /* already full: unchanged */
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    cr_expect_str_eq(norm(cases[i][0]), cases[i][1], "« %s »", cases[i][0]);
}

Test(geocode, normalize_splits_house_number_suffixes) {
  cr_assert_str_eq(norm("12bis rue Gargoulleau"), "12 bis rue gargoulleau");
  cr_assert_str_eq(norm("12 bis rue Gargoulleau"), "12 bis rue gargoulleau");
  cr_assert_str_eq(norm("12 b rue Gargoulleau"), "12 bis rue gargoulleau");
  cr_assert_str_eq(norm("12B, rue Gargoulleau"), "12 bis rue gargoulleau");
  cr_assert_str_eq(norm("12ter rue Gargoulleau"), "12 ter rue gargoulleau");
  cr_assert_str_eq(norm("12 t rue Gargoulleau"), "12 ter rue gargoulleau");
  cr_assert_str_eq(norm("12 quater rue Gargoulleau"), "12 quater rue gargoulleau");
  cr_assert_str_eq(norm("18a rue du 4 Septembre"), "18 a rue du 4 septembre");
  cr_assert_str_eq(norm("12 r Gargoulleau"), "12 rue gargoulleau"); /* "r" is rue, not a suffix */
  cr_assert_str_eq(norm("rue du 1er Mai"), "rue du 1er mai");      /* only a leading number */
  cr_assert_str_eq(norm("12"), "12");
}

Test(geocode, normalize_appends_after_a_space) {
  buf b = {0};
  buf_puts(&b, "bondy");
  geocode_normalize(&b, "93140");
  cr_assert_str_eq(buf_str(&b), "bondy 93140");
  buf_free(&b);
}

/* ---- import ------------------------------------------------------------- */

Test(geocode, import_bondy_variant_mends_double_encoding) {
  geocode_import_stats st = import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(st.format, GEOCODE_FMT_BONDY);
  cr_assert_eq(st.lines, 315);
  cr_assert_eq(st.imported, 315);
  cr_assert_eq(st.rejected, 0);
  cr_assert_eq(st.streets, 5);
  cr_assert_eq(st.communes, 1);
  cr_assert_eq(geocode_count(), 315);
  cr_assert_eq(search("avenue de l est bondy"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].voie, "Avenue de l’Est"); /* not "Avenue de lâ€™Est" */
  cr_assert_eq(search("9 rue jean jaures bondy"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "9 Rue Jean Jaurés 93140 Bondy");
  cr_assert_str_eq(g_hits[0].ban_id, "93010_4740_00009");
  cr_assert_float_eq(g_hits[0].x, 661708.63, 0.001); /* the file's Lambert-93 */
  cr_assert_float_eq(g_hits[0].y, 6867110.15, 0.001);
}

Test(geocode, import_ban_national_format) {
  geocode_import_stats st = import("ban-93-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(st.format, GEOCODE_FMT_BAN);
  cr_assert_eq(st.gzip, 0);
  cr_assert_eq(st.imported, 253);
  cr_assert_eq(st.rejected, 0);
  cr_assert_eq(st.streets, 4);
  cr_assert_eq(search("29 ter rue du 4 septembre bondy"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "29 ter Rue du 4 Septembre 93140 Bondy");
  cr_assert_str_eq(g_hits[0].code_insee, "93010");
}

Test(geocode, import_gzip_streams_the_same_rows) {
  char path[160];
  snprintf(path, sizeof path, "%s/x.csv.gz", T.dir);
  FILE *in = fopen(fixture("ban-93-extrait.csv"), "rb");
  gzFile out = gzopen(path, "wb");
  cr_assert(in && out);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) gzwrite(out, chunk, (unsigned)n);
  fclose(in);
  gzclose(out);
  geocode_import_stats st;
  cr_assert_eq(geocode_import_file(path, GEOCODE_FMT_BAN, NULL, NULL, &st), 0, "%s", st.error);
  cr_assert_eq(st.gzip, 1);
  cr_assert_eq(st.format, GEOCODE_FMT_BAN);
  cr_assert_eq(st.imported, 253);
  cr_assert_eq(search("18a rue du 4 septembre"), GEOCODE_FOUND);
  cr_assert_eq(g_hits[0].numero, 18);
  cr_assert_str_eq(g_hits[0].rep, "a");
}

Test(geocode, import_bano_without_header) {
  geocode_import_stats st = import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(st.format, GEOCODE_FMT_BANO);
  cr_assert_eq(st.imported, 323);
  cr_assert_eq(st.rejected, 0);
  cr_assert_eq(st.communes, 6);
  cr_assert_eq(search("67bis av jean jaures brive"), GEOCODE_FOUND);
  cr_assert_eq(g_hits[0].numero, 67);
  cr_assert_str_eq(g_hits[0].rep, "bis"); /* from "67BIS" */
  cr_assert_str_eq(g_hits[0].code_insee, "19031"); /* from the id "190313450D-67B" */
  cr_assert_str_eq(g_hits[0].commune, "Brive-la-Gaillarde");
  cr_assert_float_eq(g_hits[0].lat, 45.152927, 1e-9);
  cr_assert_float_eq(g_hits[0].lon, 1.529094, 1e-9);
}

Test(geocode, import_computes_lambert93_when_the_file_has_none) {
  /* The first Bondy address, as a BANO line: the BAN gives x 662524.1,
  ** y 6866064.08 for it. */
  const char *path = write_file("x.csv", "930100001X-1,1,Allee Marguerite Duras,93140,Bondy,CAD,48.893494,2.488881\n");
  geocode_import_stats st;
  cr_assert_eq(geocode_import_file(path, GEOCODE_FMT_AUTO, NULL, NULL, &st), 0, "%s", st.error);
  cr_assert_eq(search("1 allee marguerite duras"), GEOCODE_FOUND);
  cr_assert_float_eq(g_hits[0].x, 662524.1, 0.01); /* PROJ: 662524.103 */
  cr_assert_float_eq(g_hits[0].y, 6866064.08, 0.01); /* PROJ: 6866064.076 */
}

typedef struct rejects {
  int n;
  int64_t line[16];
  char reason[16][160];
} rejects;

static void on_reject(void *ctx, int64_t line, const char *reason) {
  rejects *r = ctx;
  if (r->n < 16) {
    r->line[r->n] = line;
    snprintf(r->reason[r->n], sizeof r->reason[0], "%s", reason);
  }
  r->n++;
}

Test(geocode, import_refuses_bad_lines_and_says_why) {
  const char *path = write_file("x.csv",
                                "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat\n"
                                "17300_0001_00001;1;;Rue Test;17000;17300;La Rochelle;-1.1517;46.1591\n"
                                "17300_0001_00002;2;;Rue Test;17000;17300;La Rochelle;;\n"
                                "17300_0001_00003;3;;Rue Test;17000;17300;La Rochelle;abc;46.1\n"
                                "17300_0001_00004;4;;Rue Test;17000;17300;La Rochelle;200;46.1\n"
                                "17300_0001_00005;5;;;17000;17300;La Rochelle;-1.15;46.15\n"
                                "17300_0001_00006;x;;Rue Test;17000;17300;La Rochelle;-1.15;46.15\n"
                                "17300_0001_00007;7;;Rue Test\n"
                                "17300_0001_00008;8;;Rue Test;17000;17300;La Rochelle;0;0\n"
                                "\n"
                                "17300_0001_00009;9;bis;Rue Test;17000;17300;La Rochelle;-1.1518;46.1592\n");
  rejects r = {0};
  geocode_import_stats st;
  cr_assert_eq(geocode_import_file(path, GEOCODE_FMT_AUTO, on_reject, &r, &st), 0, "%s", st.error);
  cr_assert_eq(st.imported, 2);
  cr_assert_eq(st.rejected, 7);
  cr_assert_eq(r.n, 7);
  static const struct {
    int64_t line;
    const char *says;
  } want[] = {{3, "coordonnées absentes"}, {4, "coordonnées illisibles"}, {5, "hors limites"},
              {6, "nom de voie absent"},   {7, "numéro illisible"},       {8, "champs au lieu de"},
              {9, "hors limites"}};
  for (int i = 0; i < 7; i++) {
    cr_expect_eq(r.line[i], want[i].line, "refus %d", i);
    cr_expect(strstr(r.reason[i], want[i].says), "ligne %lld : « %s »", (long long)r.line[i], r.reason[i]);
  }
  cr_assert_eq(search("9 bis rue test la rochelle"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "9 bis Rue Test 17000 La Rochelle");
}

Test(geocode, import_replaces_the_communes_it_contains) {
  import("bondy-extrait.csv", GEOCODE_FMT_BONDY);
  import("bano-19-extrait.csv", GEOCODE_FMT_BANO);
  cr_assert_eq(geocode_count(), 315 + 323);
  /* The national file covers Bondy too: its rows replace the R file's. */
  geocode_import_stats st = import("ban-93-extrait.csv", GEOCODE_FMT_BAN);
  cr_assert_eq(st.communes, 1);
  cr_assert_eq(geocode_count(), 253 + 323);
  cr_assert_eq(search("12 rue jean jaures bondy"), GEOCODE_SUGGESTIONS); /* gone from Bondy */
  cr_assert_eq(search("12 avenue jean jaures brive"), GEOCODE_FOUND);    /* Corrèze untouched */
  /* Again: nothing doubles. */
  st = import("ban-93-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(geocode_count(), 253 + 323);
  cr_assert_eq(st.streets, 4 + 10);
}

Test(geocode, import_refuses_unknown_or_mismatched_formats) {
  geocode_import_stats st;
  const char *path = write_file("x.csv", "bonjour,le,monde\n1,2,3\n");
  cr_assert_eq(geocode_import_file(path, GEOCODE_FMT_AUTO, NULL, NULL, &st), -1);
  cr_assert(strstr(st.error, "format non reconnu"), "%s", st.error);
  cr_assert_eq(geocode_import_file(fixture("ban-93-extrait.csv"), GEOCODE_FMT_BANO, NULL, NULL, &st), -1);
  cr_assert(strstr(st.error, "pas BANO"), "%s", st.error);
  cr_assert_eq(geocode_import_file("/nonexistent/adresses-17.csv.gz", GEOCODE_FMT_AUTO, NULL, NULL, &st), -1);
  cr_assert(strstr(st.error, "impossible d'ouvrir"), "%s", st.error);
  path = write_file("x.csv", "id;numero;nom_commune;lon;lat\n1;1;Aytré;-1.1;46.1\n");
  cr_assert_eq(geocode_import_file(path, GEOCODE_FMT_BAN, NULL, NULL, &st), -1);
  cr_assert(strstr(st.error, "« nom_voie » est absente"), "%s", st.error);
  cr_assert_eq(geocode_count(), 0);
}

Test(geocode, cli_import_exit_codes) {
  char *ok[] = {"addresses", (char *)fixture("bano-19-extrait.csv"), "--format", "bano"};
  cr_assert_eq(geocode_cli_import(4, ok), 0);
  cr_assert_eq(geocode_count(), 323);
  char *no_file[] = {"addresses"};
  cr_assert_eq(geocode_cli_import(1, no_file), 2);
  char *bad_format[] = {"addresses", "x.csv", "--format", "osm"};
  cr_assert_eq(geocode_cli_import(4, bad_format), 2);
  char *missing[] = {"addresses", "/nonexistent/adresses-17.csv.gz"};
  cr_assert_eq(geocode_cli_import(2, missing), 1);
}

/* ---- search ------------------------------------------------------------- */

Test(geocode, search_with_abbreviation_and_house_number) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("12 av jean jaures brive"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "12 Avenue Jean Jaurès 19100 Brive-la-Gaillarde");
  cr_assert_eq(g_hits[0].numero, 12);
  cr_assert_str_eq(g_hits[0].rep, "");
  cr_assert_str_eq(g_hits[0].voie, "Avenue Jean Jaurès");
  cr_assert_str_eq(g_hits[0].code_postal, "19100");
  cr_assert_float_eq(g_hits[0].lat, 45.155990, 1e-9);
  cr_assert_float_eq(g_hits[0].lon, 1.531123, 1e-9);
  cr_assert_gt(g_hits[0].id, 0);
  cr_assert_gt(g_hits[0].score, 0.8);

  cr_assert_eq(search("12 av du mal de lattre de tassigny bondy"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "12 Av du Mal de Lattre de Tassigny 93140 Bondy");
  cr_assert_float_eq(g_hits[0].lon, 2.481635, 1e-9);

  cr_assert_eq(search("12 r jean jaures bondy"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "12 Rue Jean Jaurés 93140 Bondy");
  cr_assert_str_eq(g_hits[0].code_insee, "93010");
}

Test(geocode, search_ignores_case_accents_and_punctuation) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("12 rue jean jaures bondy"), GEOCODE_FOUND);
  int64_t id = g_hits[0].id;
  static const char *const variants[] = {"12, RUE JEAN-JAURÈS, 93140 BONDY", "12 Rue Jean Jaurés 93140 Bondy",
                                         "12 r. Jean Jaurès", "  12   rue   jean   jaures  "};
  for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
    cr_assert_eq(search(variants[i]), GEOCODE_FOUND, "« %s »", variants[i]);
    cr_assert_eq(g_hits[0].id, id, "« %s »", variants[i]);
  }
}

Test(geocode, search_prefers_streets_that_have_the_number) {
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  /* Three Avenues Jean Jaurès; only Ussel's has a 22. */
  cr_assert_eq(search("22 avenue jean jaures"), GEOCODE_FOUND);
  cr_assert_eq(g_n, 1);
  cr_assert_str_eq(g_hits[0].commune, "Ussel");
  /* Brive and Ussel have a 12, Malemort does not. */
  cr_assert_eq(search("12 avenue jean jaures"), GEOCODE_FOUND);
  cr_assert_eq(g_n, 2);
  for (int i = 0; i < g_n; i++) {
    cr_assert_eq(g_hits[i].numero, 12);
    cr_assert_str_neq(g_hits[i].commune, "Malemort-sur-Corrèze");
  }
  /* Without a number: the streets; the commune or postcode ranks first. */
  cr_assert_eq(search("avenue jean jaures ussel"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].commune, "Ussel");
  cr_assert_eq(g_hits[0].numero, 0);
  cr_assert_eq(g_hits[0].id, 0);
  cr_assert_str_eq(g_hits[0].label, "Avenue Jean Jaurès 19200 Ussel");
  cr_assert_eq(search("avenue jean jaures 19360"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].commune, "Malemort-sur-Corrèze");
  cr_assert_eq(search("quai de la republique tulle"), GEOCODE_FOUND); /* "N Qu de la République" */
  cr_assert_str_eq(g_hits[0].voie, "N Qu de la République");
}

Test(geocode, search_bis_ter_suffixes) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  int64_t id[3];
  static const char *const q[3] = {"9 rue jean jaures bondy", "9 bis rue jean jaures bondy",
                                   "9 ter rue jean jaures bondy"};
  static const char *const rep[3] = {"", "bis", "ter"};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(search(q[i]), GEOCODE_FOUND, "« %s »", q[i]);
    cr_assert_str_eq(g_hits[0].rep, rep[i]);
    id[i] = g_hits[0].id;
  }
  cr_assert(id[0] != id[1] && id[1] != id[2] && id[0] != id[2]);
  cr_assert_str_eq(g_hits[0].label, "9 ter Rue Jean Jaurés 93140 Bondy");
  static const char *const same_ter[] = {"9ter rue jean jaures", "9 t r jean jaures", "9t rue jean jaures bondy"};
  for (size_t i = 0; i < ARRAY_SIZE(same_ter); i++) {
    cr_assert_eq(search(same_ter[i]), GEOCODE_FOUND, "« %s »", same_ter[i]);
    cr_assert_eq(g_hits[0].id, id[2], "« %s »", same_ter[i]);
  }
  cr_assert_eq(search("9b rue jean jaures"), GEOCODE_FOUND);
  cr_assert_eq(g_hits[0].id, id[1]);
  /* The file writes this one "9 b": asked as "bis", found. */
  cr_assert_eq(search("9 bis avenue de la republique bondy"), GEOCODE_FOUND);
  cr_assert_eq(g_hits[0].numero, 9);
  cr_assert_str_eq(g_hits[0].rep, "b");
}

Test(geocode, search_missing_number_suggests_its_neighbours) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("44 rue jean jaures bondy"), GEOCODE_SUGGESTIONS);
  cr_assert_geq(g_n, 2);
  cr_assert_str_eq(g_hits[0].label, "43 Rue Jean Jaurés 93140 Bondy");
  cr_assert_str_eq(g_hits[1].label, "45 Rue Jean Jaurés 93140 Bondy");
  buf b = {0};
  geocode_explain(&b, GEOCODE_SUGGESTIONS, "44 rue jean jaures bondy", g_hits, 2);
  cr_assert_str_eq(buf_str(&b), "Aucune adresse trouvée pour « 44 rue jean jaures bondy ». Vouliez-vous dire : "
                                "43 Rue Jean Jaurés 93140 Bondy ; 45 Rue Jean Jaurés 93140 Bondy ?");
  buf_free(&b);
  /* A suffix that does not exist: the same number without it first. */
  cr_assert_eq(search("12 ter rue jean jaures bondy"), GEOCODE_SUGGESTIONS);
  cr_assert_str_eq(g_hits[0].label, "12 Rue Jean Jaurés 93140 Bondy");
}

Test(geocode, search_misspelt_or_wrong_street_type_gives_suggestions) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("rue jean jaurez bondy"), GEOCODE_SUGGESTIONS); /* typo */
  cr_assert_str_eq(g_hits[0].label, "Rue Jean Jaurés 93140 Bondy");
  cr_assert_eq(search("12 av jean jaures bondy"), GEOCODE_SUGGESTIONS); /* it is a "rue" */
  cr_assert_str_eq(g_hits[0].label, "12 Rue Jean Jaurés 93140 Bondy");
  cr_assert_eq(search("12 avenue jean jaures tulle"), GEOCODE_SUGGESTIONS); /* Tulle's is a "rue" */
  cr_assert_str_eq(g_hits[0].commune, "Tulle");
  buf b = {0};
  geocode_explain(&b, GEOCODE_SUGGESTIONS, "rue jean jaurez bondy", g_hits, 1);
  cr_assert(str_startswith(buf_str(&b), "Aucune adresse trouvée pour « rue jean jaurez bondy ». Vouliez-vous dire : "));
  buf_free(&b);
}

Test(geocode, search_nothing_and_bad_queries) {
  cr_assert_eq(search("1 rue de la paix"), GEOCODE_NOTHING);
  buf b = {0};
  geocode_explain(&b, GEOCODE_NOTHING, "1 rue de la paix", g_hits, 0);
  cr_assert(strstr(buf_str(&b), "Aucune adresse n'est encore chargée"), "%s", buf_str(&b));
  buf_reset(&b);
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("zzzz qqqq"), GEOCODE_NOTHING);
  cr_assert_eq(g_n, 0);
  geocode_explain(&b, GEOCODE_NOTHING, "zzzz qqqq", g_hits, 0);
  cr_assert(str_startswith(buf_str(&b), "Aucune adresse trouvée pour « zzzz qqqq »."), "%s", buf_str(&b));
  buf_reset(&b);
  cr_assert_eq(search("12"), GEOCODE_NOTHING);
  cr_assert_eq(search(""), GEOCODE_NOTHING);
  cr_assert_eq(search("de la"), GEOCODE_NOTHING);
  char long_query[GEOCODE_QUERY_MAX + 2];
  memset(long_query, 'a', sizeof long_query - 1);
  long_query[sizeof long_query - 1] = 0;
  cr_assert_eq(search(long_query), GEOCODE_BADQUERY);
  geocode_explain(&b, GEOCODE_BADQUERY, long_query, g_hits, 0);
  cr_assert(strstr(buf_str(&b), "trop longue"));
  buf_reset(&b);
  geocode_explain(&b, GEOCODE_FOUND, "x", g_hits, 0);
  cr_assert_eq(b.n, 0);
  buf_free(&b);
}

Test(geocode, search_accepts_a_point) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(search("48.902728, 2.477070"), GEOCODE_FOUND); /* lat, lon of 12 Rue Jean Jaurés */
  cr_assert_eq(g_n, 1);
  cr_assert_str_eq(g_hits[0].label, "12 Rue Jean Jaurés 93140 Bondy");
  cr_assert_float_eq(g_hits[0].distance_m, 0, 0.05);
}

Test(geocode, parse_point_orders) {
  double lon, lat;
  cr_assert(geocode_parse_point("46.1591, -1.1517", &lon, &lat));
  cr_assert_float_eq(lat, 46.1591, 1e-9);
  cr_assert_float_eq(lon, -1.1517, 1e-9);
  cr_assert(geocode_parse_point("-1.1517 46.1591", &lon, &lat)); /* lon lat: only that fits France */
  cr_assert_float_eq(lat, 46.1591, 1e-9);
  cr_assert(geocode_parse_point("2.4889;48.8935", &lon, &lat));
  cr_assert_float_eq(lat, 48.8935, 1e-9);
  cr_assert(geocode_parse_point("-21.1151, 55.5364", &lon, &lat)); /* La Réunion: lat, lon */
  cr_assert_float_eq(lon, 55.5364, 1e-9);
  cr_assert_not(geocode_parse_point("12 13", &lon, &lat)); /* a house number and… */
  cr_assert_not(geocode_parse_point("12 rue x", &lon, &lat));
  cr_assert_not(geocode_parse_point("46.1, 300.5", &lon, &lat));
}

/* ---- autocomplete ------------------------------------------------------- */

static int has_label(const char *label) {
  for (int i = 0; i < g_n; i++)
    if (strcmp(g_hits[i].label, label) == 0) return 1;
  return 0;
}

Test(geocode, suggest_completes_the_last_word) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(suggest("rue jean jau"), GEOCODE_FOUND);
  cr_assert(has_label("Rue Jean Jaurés 93140 Bondy"));
  cr_assert(has_label("Rue Jean Jaurès 19000 Tulle"));
  cr_assert_eq(suggest("av du mal de lat"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].voie, "Av du Mal de Lattre de Tassigny");
  cr_assert_eq(suggest("cours de la rép"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "Cours de la République 93140 Bondy");
  cr_assert_eq(suggest("12 rue jean jaurès bon"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "12 Rue Jean Jaurés 93140 Bondy");
  cr_assert_eq(g_hits[0].numero, 12);
  /* An abbreviation being typed: "st" may be "saint" or a word in "st…". */
  cr_assert_eq(suggest("rue st"), GEOCODE_FOUND);
  cr_assert(has_label("Rue Saint-Jean 19210 Lubersac"));
  cr_assert_eq(suggest("r saint j"), GEOCODE_FOUND);
  cr_assert_str_eq(g_hits[0].label, "Rue Saint-Jean 19210 Lubersac");
}

Test(geocode, suggest_number_and_limits) {
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  cr_assert_eq(suggest("12 avenue jean"), GEOCODE_FOUND);
  cr_assert_eq(g_n, 3);
  cr_assert_eq(g_hits[0].numero, 12); /* Brive and Ussel have a 12… */
  cr_assert_eq(g_hits[1].numero, 12);
  cr_assert_eq(g_hits[2].numero, 0); /* …Malemort only the street */
  cr_assert_str_eq(g_hits[2].commune, "Malemort-sur-Corrèze");
  cr_assert_eq(geocode_suggest("avenue jean", 2, g_hits, &g_n), GEOCODE_FOUND);
  cr_assert_eq(g_n, 2);
  /* A trailing space ends the word: "jean " is not "jean…". */
  cr_assert_eq(suggest("rue saint jea"), GEOCODE_FOUND);
  cr_assert_eq(suggest("rue saint jea "), GEOCODE_SUGGESTIONS);
  cr_assert_eq(suggest("12 "), GEOCODE_NOTHING); /* a number alone is not enough */
}

/* ---- reverse ------------------------------------------------------------ */

static double metres(double lon1, double lat1, double lon2, double lat2) {
  double k = M_PI / 180.0 * 6371008.8;
  double dx = (lon2 - lon1) * k * cos((lat1 + lat2) / 2 * M_PI / 180.0), dy = (lat2 - lat1) * k;
  return sqrt(dx * dx + dy * dy);
}

Test(geocode, reverse_finds_the_nearest_address) {
  import("bondy-extrait.csv", GEOCODE_FMT_AUTO);
  geocode_hit h;
  cr_assert_eq(geocode_reverse(2.477070, 48.902728, &h), GEOCODE_FOUND);
  cr_assert_str_eq(h.label, "12 Rue Jean Jaurés 93140 Bondy");
  cr_assert_float_eq(h.distance_m, 0, 0.05);
  /* Against brute force over every address, at points around the fixture
  ** (bounding box 2.470..2.495 E, 48.888..48.910 N, and beyond it). */
  int64_t count = geocode_count();
  geocode_hit *all = xcalloc((size_t)count, sizeof *all);
  for (int64_t id = 1; id <= count; id++) cr_assert_eq(geocode_get(id, &all[id - 1]), GEOCODE_FOUND);
  unsigned seed = 42;
  for (int k = 0; k < 60; k++) {
    double lon = 2.465 + 0.035 * rand_r(&seed) / RAND_MAX, lat = 48.884 + 0.030 * rand_r(&seed) / RAND_MAX;
    double best = 1e18;
    for (int64_t i = 0; i < count; i++) best = fmin(best, metres(lon, lat, all[i].lon, all[i].lat));
    cr_assert_eq(geocode_reverse(lon, lat, &h), GEOCODE_FOUND, "(%f, %f)", lon, lat);
    cr_assert_float_eq(h.distance_m, best, 0.01, "(%f, %f): %f m, brute force %f m", lon, lat, h.distance_m, best);
    cr_assert_float_eq(metres(lon, lat, h.lon, h.lat), best, 0.01);
  }
  free(all);
  /* The Atlantic, 300 km out: nothing within GEOCODE_REVERSE_MAX_M. */
  cr_assert_eq(geocode_reverse(-5.5, 46.0, &h), GEOCODE_NOTHING);
  cr_assert_eq(geocode_reverse(2.4, 91.0, &h), GEOCODE_NOTHING);
}

Test(geocode, get_returns_an_address_by_id) {
  import("bano-19-extrait.csv", GEOCODE_FMT_AUTO);
  geocode_hit h;
  cr_assert_eq(geocode_get(1, &h), GEOCODE_FOUND);
  cr_assert_eq(h.id, 1);
  cr_assert_gt(h.numero, 0);
  cr_assert_eq(geocode_get(999999, &h), GEOCODE_NOTHING);
}
