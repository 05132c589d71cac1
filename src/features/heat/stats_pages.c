/*
** stats_pages.c — the public statistics of the heat service (/stats, the
** beta.gouv rule: impact indicators anyone can read, computed live from the
** data) and their CSV downloads (/stats.csv?table=…), with the counter of
** eligibility tests they need.
**
** The counter. Every test answered by the page or the API is counted per
** day, source and answer (heat_test_counts), with no address and no point.
** Counting must not put a write on the path the eligibility benchmark
** measures, nor make a test wait behind a long import holding the write
** lock: the counts are kept in memory (a mutex and a small array) and
** written at most once a minute, by the test that finds the last write a
** minute old, at once when the day changes, and when the process exits
** (heat_test_flush, registered with atexit by the feature's init). A failed
** write keeps its counts for the next one; a process that is killed loses
** at most a minute of counts. /stats adds the counts not yet written, so it
** is exact at any moment for this process.
**
** The tables. Each is built once per request as data shared by the page
** (French labels, French number formats, a bar chart) and the CSV (stable
** column keys, plain numbers). "Eligible" means the cascade's eligible
** levels (priority zone, very close, close); the share of eligible
** addresses is taken among tests inside the territory. Conversion is the
** share of requests whose status is now "réalisé".
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/sheet.h"
#include "core/svgchart.h"
#include "features/heat/heat_int.h"

#define NLEVELS (HEAT_NONE + 1)  /* heat_level values */
#define FLUSH_EVERY 60           /* seconds between writes of the counts */
#define MAX_MONTHS 600           /* months shown: 50 years */

/* ------------------------------------------------------------- counter */

static const char *const sources[] = {"page", "api", "bulk"}; /* heat_test_counts.source */
#define NSOURCES 3

typedef struct counts {
  char day[11];                     /* 'YYYY-MM-DD' the counts belong to, "" if none */
  int64_t n[NSOURCES][NLEVELS];     /* tests by source and answer */
} counts;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static counts g_pending;            /* not written yet (under g_mu) */
static int64_t g_last_write;        /* when they were last taken for writing (under g_mu) */

static int counts_any(const counts *c) {
  for (int s = 0; s < NSOURCES; s++)
    for (int l = 0; l < NLEVELS; l++)
      if (c->n[s][l]) return 1;
  return 0;
}

/* Adds the counts to the table in one transaction: 0, or -1. */
static int counts_write(const counts *c) {
  if (db_begin_write() != 0) return -1;
  for (int s = 0; s < NSOURCES; s++)
    for (int l = 0; l < NLEVELS; l++) {
      if (!c->n[s][l]) continue;
      if (db_run("INSERT INTO heat_test_counts(day, source, level, n) VALUES(?,?,?,?)"
                 " ON CONFLICT(day, source, level) DO UPDATE SET n = n + excluded.n",
                 "ttti", c->day, sources[s], heat_level_code((heat_level)l), c->n[s][l]) != DB_DONE) {
        db_rollback();
        return -1;
      }
    }
  return db_commit();
}

void heat_test_count(heat_level level, const char *source) {
  int src = -1;
  for (int i = 0; i < NSOURCES; i++)
    if (str_eq(source, sources[i])) src = i;
  if (src < 0 || (unsigned)level >= NLEVELS) return;
  char day[11];
  fmt_today(day);
  int64_t now = now_unix();
  counts out;
  int write = 0;
  pthread_mutex_lock(&g_mu);
  if (strcmp(g_pending.day, day) != 0) { /* a new day: yesterday's counts go now */
    if (counts_any(&g_pending)) {
      out = g_pending;
      write = 1;
    }
    memset(&g_pending, 0, sizeof g_pending);
    memcpy(g_pending.day, day, sizeof day);
  }
  g_pending.n[src][level]++;
  if (!write && now - g_last_write >= FLUSH_EVERY && !db_in_transaction()) {
    out = g_pending;
    memset(g_pending.n, 0, sizeof g_pending.n);
    write = 1;
  }
  if (write) g_last_write = now;
  pthread_mutex_unlock(&g_mu);
  if (!write) return;
  /* Inside a caller's transaction (a bulk job) no nested write: keep them. */
  if (!db_in_transaction() && counts_write(&out) == 0) return;
  pthread_mutex_lock(&g_mu);
  int same = !strcmp(g_pending.day, out.day);
  if (same)
    for (int s = 0; s < NSOURCES; s++)
      for (int l = 0; l < NLEVELS; l++) g_pending.n[s][l] += out.n[s][l];
  pthread_mutex_unlock(&g_mu);
  if (!same) log_error("heat", "eligibility test counts of %s lost: the database did not take them", out.day);
}

void heat_test_flush(void) {
  counts out;
  pthread_mutex_lock(&g_mu);
  out = g_pending;
  memset(g_pending.n, 0, sizeof g_pending.n);
  pthread_mutex_unlock(&g_mu);
  if (counts_any(&out) && (db_in_transaction() || counts_write(&out) != 0))
    log_error("heat", "eligibility test counts of %s lost at exit: the database did not take them", out.day);
}

/* ------------------------------------------------------------- figures */

/* One month's figures. */
typedef struct month {
  char ym[8];                 /* 'YYYY-MM' */
  int64_t tests[NLEVELS];     /* tests by answer */
  int64_t requests;           /* requests created that month */
  int64_t done;               /* of which now "réalisé" */
} month;

typedef struct figures {
  month *aMonth;              /* sorted by ym (arena) */
  int nMonth;
  int64_t tests[NLEVELS];     /* every test by answer */
  int64_t status[16];         /* requests by heat_statuses index */
  int64_t requests;           /* every request */
} figures;

/* The month of a 'YYYY-MM…' date, added in order on first sight; NULL past
** MAX_MONTHS. */
static month *month_of(req *r, figures *f, const char *date) {
  char ym[8];
  snprintf(ym, sizeof ym, "%.7s", date);
  int lo = 0, hi = f->nMonth;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp(f->aMonth[mid].ym, ym);
    if (c == 0) return &f->aMonth[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  if (f->nMonth >= MAX_MONTHS) return NULL;
  if (!f->aMonth) f->aMonth = arena_alloc(r->a, MAX_MONTHS * sizeof(month));
  memmove(&f->aMonth[lo + 1], &f->aMonth[lo], (size_t)(f->nMonth - lo) * sizeof(month));
  memset(&f->aMonth[lo], 0, sizeof(month));
  memcpy(f->aMonth[lo].ym, ym, sizeof ym);
  f->nMonth++;
  return &f->aMonth[lo];
}

static int level_of(const char *code) {
  for (int l = 0; l < NLEVELS; l++)
    if (str_eq(code, heat_level_code((heat_level)l))) return l;
  return -1;
}

static void add_tests(req *r, figures *f, const char *day, int level, int64_t n) {
  if (level < 0 || n <= 0) return;
  f->tests[level] += n;
  month *m = month_of(r, f, day);
  if (m) m->tests[level] += n;
}

/* Reads every figure: 0, or -1 on a database error. */
static int figures_load(req *r, figures *f) {
  memset(f, 0, sizeof *f);
  db_stmt *s = db_query("SELECT substr(day, 1, 7), level, sum(n) FROM heat_test_counts GROUP BY 1, 2", "");
  int rc;
  while ((rc = db_step(s)) == DB_ROW) add_tests(r, f, db_text(s, 0), level_of(db_text(s, 1)), db_int(s, 2));
  db_done(s);
  if (rc != DB_DONE) return -1;
  counts p;
  pthread_mutex_lock(&g_mu);
  p = g_pending;
  pthread_mutex_unlock(&g_mu);
  for (int src = 0; src < NSOURCES && *p.day; src++)
    for (int l = 0; l < NLEVELS; l++) add_tests(r, f, p.day, l, p.n[src][l]);

  /* Requests by local day of creation (the offset of now: a month's edge may
  ** be an hour off across a change of summer time). */
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  int64_t off = tm.tm_gmtoff;
  s = db_query("SELECT (created_at + ?) / 86400, status, count(*) FROM heat_requests GROUP BY 1, 2", "i", off);
  while ((rc = db_step(s)) == DB_ROW) {
    time_t day = (time_t)(db_int(s, 0) * 86400);
    struct tm d;
    char ym[8];
    gmtime_r(&day, &d);
    strftime(ym, sizeof ym, "%Y-%m", &d);
    int64_t n = db_int(s, 2);
    const char *status = db_text(s, 1);
    int done = str_eq(status, "realise");
    for (int i = 0; i < heat_nstatuses && i < 16; i++)
      if (str_eq(status, heat_statuses[i].code)) f->status[i] += n;
    f->requests += n;
    month *m = month_of(r, f, ym);
    if (m) {
      m->requests += n;
      if (done) m->done += n;
    }
  }
  db_done(s);
  return rc == DB_DONE ? 0 : -1;
}

static int64_t sum_levels(const int64_t *t, int eligible_only, int in_territory) {
  int64_t n = 0;
  for (int l = 0; l < NLEVELS; l++) {
    if (eligible_only && !heat_level_eligible((heat_level)l)) continue;
    if (in_territory && l == HEAT_OUTSIDE) continue;
    n += t[l];
  }
  return n;
}

/* ------------------------------------------------------------- tables */

/* A table being built: column keys (CSV) and labels (page), rows of cells
** in both forms. */
typedef struct table {
  const char *id;      /* ?table= value */
  json_t *o;           /* {id, title, cols:[label], keys:[key], rows:[{cells:[…], csv:[…]}]} */
  json_t *row;         /* the row being filled */
} table;

static void table_begin(table *t, const char *id, const char *title, const char *const *keys,
                        const char *const *labels) {
  t->id = id;
  t->o = json_pack("{s:s, s:s, s:[], s:[], s:[]}", "id", id, "title", title, "cols", "keys", "rows");
  for (int i = 0; keys[i]; i++) {
    json_array_append_new(json_object_get(t->o, "keys"), json_string(keys[i]));
    json_array_append_new(json_object_get(t->o, "cols"), json_string(_(labels[i])));
  }
}

static void row_begin(table *t) {
  t->row = json_pack("{s:[], s:[]}", "cells", "csv");
  json_array_append_new(json_object_get(t->o, "rows"), t->row);
}

static void cell(table *t, const char *page, const char *csv) {
  json_array_append_new(json_object_get(t->row, "cells"), json_string(page));
  json_array_append_new(json_object_get(t->row, "csv"), json_string(csv));
}

static void cell_int(req *r, table *t, int64_t n) {
  cell(t, heat_fmt_int(r->a, n), arena_printf(r->a, "%lld", (long long)n));
}

/* A share in percent, one decimal ("42,9 %" on the page, "42.9" in CSV);
** empty when the whole is zero. */
static void cell_pct(req *r, table *t, int64_t part, int64_t whole) {
  if (whole <= 0) {
    cell(t, "—", "");
    return;
  }
  const char *z = arena_printf(r->a, "%.1f", 100.0 * (double)part / (double)whole);
  char *page = arena_printf(r->a, "%s %%", z);
  char *dot = strchr(page, '.');
  if (dot) *dot = ',';
  cell(t, page, z);
}

static void chart_of(table *t, const char *title, int label_col, int value_col) {
  json_t *rows = json_object_get(t->o, "rows");
  size_t n = json_array_size(rows);
  svgchart_bar *a = xcalloc(n ? n : 1, sizeof *a);
  for (size_t i = 0; i < n; i++) {
    json_t *row = json_array_get(rows, i);
    a[i].label = json_string_value(json_array_get(json_object_get(row, "cells"), (size_t)label_col));
    a[i].text = json_string_value(json_array_get(json_object_get(row, "cells"), (size_t)value_col));
    a[i].value = atof(json_string_value(json_array_get(json_object_get(row, "csv"), (size_t)value_col)));
  }
  char *svg = svgchart_bars(title, a, (int)n);
  json_object_set_new(t->o, "chart", json_string(svg));
  free(svg);
  free(a);
}

static json_t *t_figures(req *r, const figures *f) {
  static const char *const keys[] = {"indicateur", "valeur", NULL};
  static const char *const labels[] = {N_("Indicateur"), N_("Valeur"), NULL};
  table t;
  table_begin(&t, "indicateurs", _("Indicateurs clés"), keys, labels);
  int64_t tests = sum_levels(f->tests, 0, 0), inside = sum_levels(f->tests, 0, 1);
  int64_t eligible = sum_levels(f->tests, 1, 1), done = 0;
  for (int i = 0; i < heat_nstatuses && i < 16; i++)
    if (!strcmp(heat_statuses[i].code, "realise")) done = f->status[i];
  struct {
    const char *key, *label;
    int64_t part, whole; /* whole < 0: a count, part */
  } rows[] = {
      {"tests_eligibilite", N_("Tests d’éligibilité"), tests, -1},
      {"part_adresses_eligibles_pct", N_("Part des adresses éligibles (tests dans le territoire)"), eligible, inside},
      {"demandes_raccordement", N_("Demandes de raccordement"), f->requests, -1},
      {"demandes_realisees", N_("Raccordements réalisés"), done, -1},
      {"conversion_realise_pct", N_("Taux de conversion des demandes en « Réalisé »"), done, f->requests},
  };
  json_t *big = json_array();
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    row_begin(&t);
    cell(&t, _(rows[i].label), rows[i].key);
    if (rows[i].whole < 0) cell_int(r, &t, rows[i].part);
    else cell_pct(r, &t, rows[i].part, rows[i].whole);
    json_t *cells = json_object_get(t.row, "cells");
    json_array_append_new(big, json_pack("{s:O, s:O}", "label", json_array_get(cells, 0), "value",
                                         json_array_get(cells, 1)));
  }
  json_object_set_new(t.o, "big", big);
  return t.o;
}

static json_t *t_tests_month(req *r, const figures *f) {
  static const char *const keys[] = {"mois", "tests", "tests_dans_territoire", "eligibles", "part_eligibles_pct", NULL};
  static const char *const labels[] = {N_("Mois"), N_("Tests"), N_("Dans le territoire"), N_("Éligibles"),
                                       N_("Part éligible"), NULL};
  table t;
  table_begin(&t, "tests_par_mois", _("Tests d’éligibilité par mois"), keys, labels);
  for (int i = 0; i < f->nMonth; i++) {
    const month *m = &f->aMonth[i];
    int64_t all = sum_levels(m->tests, 0, 0);
    if (!all) continue;
    int64_t inside = sum_levels(m->tests, 0, 1), ok = sum_levels(m->tests, 1, 1);
    row_begin(&t);
    cell(&t, m->ym, m->ym);
    cell_int(r, &t, all);
    cell_int(r, &t, inside);
    cell_int(r, &t, ok);
    cell_pct(r, &t, ok, inside);
  }
  chart_of(&t, _("Tests d’éligibilité par mois"), 0, 1);
  return t.o;
}

static json_t *t_tests_level(req *r, const figures *f) {
  static const char *const keys[] = {"resultat", "libelle", "tests", "part_pct", NULL};
  static const char *const labels[] = {N_("Code"), N_("Résultat"), N_("Tests"), N_("Part"), NULL};
  static const char *const shorts[NLEVELS] = {
      [HEAT_OUTSIDE] = N_("Hors du territoire"), [HEAT_IN_ZONE] = N_("Zone prioritaire"),
      [HEAT_VERY_CLOSE] = N_("Très proche"),     [HEAT_CLOSE] = N_("Proche"),
      [HEAT_FAR] = N_("Loin"),                   [HEAT_IN_COMMUNE] = N_("Dans la commune"),
      [HEAT_NONE] = N_("Aucun réseau"),
  };
  table t;
  table_begin(&t, "tests_par_resultat", _("Tests d’éligibilité par résultat"), keys, labels);
  int64_t all = sum_levels(f->tests, 0, 0);
  for (int l = 0; l < NLEVELS; l++) {
    row_begin(&t);
    cell(&t, heat_level_code((heat_level)l), heat_level_code((heat_level)l));
    cell(&t, _(shorts[l]), _(shorts[l]));
    cell_int(r, &t, f->tests[l]);
    cell_pct(r, &t, f->tests[l], all);
  }
  chart_of(&t, _("Tests d’éligibilité par résultat"), 1, 2);
  return t.o;
}

static json_t *t_requests_month(req *r, const figures *f) {
  static const char *const keys[] = {"mois", "demandes", "realisees", "conversion_pct", NULL};
  static const char *const labels[] = {N_("Mois de la demande"), N_("Demandes"), N_("Aujourd’hui réalisées"),
                                       N_("Conversion"), NULL};
  table t;
  table_begin(&t, "demandes_par_mois", _("Demandes de raccordement par mois"), keys, labels);
  for (int i = 0; i < f->nMonth; i++) {
    const month *m = &f->aMonth[i];
    if (!m->requests) continue;
    row_begin(&t);
    cell(&t, m->ym, m->ym);
    cell_int(r, &t, m->requests);
    cell_int(r, &t, m->done);
    cell_pct(r, &t, m->done, m->requests);
  }
  chart_of(&t, _("Demandes de raccordement par mois"), 0, 1);
  return t.o;
}

static json_t *t_requests_status(req *r, const figures *f) {
  static const char *const keys[] = {"statut", "libelle", "demandes", "part_pct", NULL};
  static const char *const labels[] = {N_("Code"), N_("Statut"), N_("Demandes"), N_("Part"), NULL};
  table t;
  table_begin(&t, "demandes_par_statut", _("Demandes de raccordement par statut"), keys, labels);
  for (int i = 0; i < heat_nstatuses && i < 16; i++) {
    row_begin(&t);
    cell(&t, heat_statuses[i].code, heat_statuses[i].code);
    cell(&t, _(heat_statuses[i].label), _(heat_statuses[i].label));
    cell_int(r, &t, f->status[i]);
    cell_pct(r, &t, f->status[i], f->requests);
  }
  chart_of(&t, _("Demandes de raccordement par statut"), 1, 2);
  return t.o;
}

/* Every table, in page order. */
static json_t *tables_all(req *r, const figures *f) {
  json_t *l = json_array();
  json_array_append_new(l, t_figures(r, f));
  json_array_append_new(l, t_tests_month(r, f));
  json_array_append_new(l, t_tests_level(r, f));
  json_array_append_new(l, t_requests_month(r, f));
  json_array_append_new(l, t_requests_status(r, f));
  return l;
}

/* ------------------------------------------------------------- pages */

void stats_page(req *r) {
  figures f;
  if (figures_load(r, &f) != 0) {
    res_error(r, 500, _("Les statistiques n’ont pas pu être calculées : réessayez dans un instant."));
    return;
  }
  json_t *d = json_object();
  json_t *tables = tables_all(r, &f);
  json_object_set_new(d, "figures", json_incref(json_array_get(tables, 0)));
  json_array_remove(tables, 0);
  json_object_set_new(d, "tables", tables);
  json_object_set_new(d, "eligible_levels", json_string(_("zone prioritaire, très proche, proche")));
  res_page(r, 200, "heat/stats", d);
}

void stats_csv(req *r) {
  const char *want = req_query(r, "table");
  figures f;
  if (figures_load(r, &f) != 0) {
    res_error(r, 500, _("Les statistiques n’ont pas pu être calculées : réessayez dans un instant."));
    return;
  }
  json_t *tables = tables_all(r, &f);
  json_t *found = NULL;
  buf names = {0};
  size_t i;
  json_t *t;
  json_array_foreach(tables, i, t) {
    const char *id = json_string_value(json_object_get(t, "id"));
    buf_printf(&names, "%s%s", i ? ", " : "", id);
    if (str_eq(want, id)) found = t;
  }
  if (!found) {
    const char *msg = arena_printf(r->a,
                                   want && *want ? _("Cette table n’existe pas. Tables disponibles : %s.")
                                                 : _("Précisez la table voulue (?table=…) parmi : %s."),
                                   buf_str(&names));
    buf_free(&names);
    json_decref(tables);
    res_error(r, want && *want ? 404 : 400, msg);
    return;
  }
  buf_free(&names);
  json_t *keys = json_object_get(found, "keys");
  int ncol = (int)json_array_size(keys);
  sheet_col *cols = arena_alloc(r->a, sizeof *cols * (size_t)ncol);
  for (int c = 0; c < ncol; c++) cols[c] = (sheet_col){.title = json_string_value(json_array_get(keys, (size_t)c))};
  sheet_writer *w =
      sheet_open(r, SHEET_CSV, arena_printf(r->a, "stats-%s", json_string_value(json_object_get(found, "id"))), 0);
  sheet_tab(w, NULL, cols, ncol);
  json_t *row;
  json_array_foreach(json_object_get(found, "rows"), i, row) {
    json_t *cells = json_object_get(row, "csv");
    for (int c = 0; c < ncol; c++) sheet_text(w, json_string_value(json_array_get(cells, (size_t)c)));
    sheet_row_end(w);
  }
  sheet_send(w);
  json_decref(tables);
}
