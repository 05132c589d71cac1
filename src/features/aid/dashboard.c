/*
** dashboard.c — the aid programmes' dashboard (/admin/aides/tableau-de-bord),
** for territory admins and instructors ("aid.stats"): requests by status and
** programme; amounts requested, committed and paid by target and by month;
** points financed; each envelope's use; the instruction delays (median and
** 90th percentile); the charging data of the funded points (sessions,
** energy, occupancy per programme, from charge.h). Filters: programme and
** period (the charging data ignores the period: it covers every day with
** data). Charts are SVG drawn
** here as numbers the template places (no script, nothing raw); each sits
** next to the table of its figures, and every table downloads as CSV or
** XLSX (core/sheet.h) from the same rows.
**
** What the figures count, for a period [from, to):
**   - requests by status: dossiers submitted in the period (drafts: created
**     in it), by their status today;
**   - requested: amount_cents of the dossiers submitted in the period, except
**     those an amendment replaced (their replacement counts instead);
**   - committed and points financed: granted_cents and points of the
**     dossiers still committed on their envelope (committed = 1: validated,
**     not cancelled or expired), by the month of their decision;
**   - paid: paid_cents by the month of the payment;
**   - delays: submission → decision (decided_at − submitted_at, decisions in
**     the period), validation → payment (paid_at − decided_at, payments in
**     the period), first "compléments demandés" → validation (from the
**     history, validations in the period). Quantiles interpolate linearly
**     between the two nearest values (the median of 2, 4 and 10 days is 4,
**     of 2 and 4 days is 3).
**
** Speed. The figures of one choice of filters are computed from the
** dossiers (about 0.1 s at 70,000 dossiers, every query reading a covering
** index of migrations/007_dash.sql) and kept as JSON in aid_dash_cache,
** with the value of a probe of the dossiers' state: the largest id of the
** history and of the dossiers. Every status change writes a history row and
** every new dossier takes a new id, so a different probe means the figures
** may have changed and the visit rebuilds them; otherwise a visit reads one
** row. When a rebuild took longer than DASH_SLOW_MS, the next one waits
** DASH_STALE_FACTOR times as long (the page says when its figures were
** computed), so a busy day of instruction does not make every visit a
** rebuild; a row older than DASH_MAX_AGE is rebuilt whatever the probe says
** (a deleted draft leaves no trace in it). The envelopes are read live
** from aid_programmes, one row per programme: a validation shows at once.
**
** The charging-data synthesis (charge_synthesis_json, about 0.5 s at 5
** million sessions) is the same for every choice of filters and changes
** only with a load, so it has its own cache row (key "charge"), current
** while aid_charge_marker (charge.h) reads the same; the probe reads the
** marker too, so a load also renews the pages. A visit after a status
** change recomputes the dossiers' figures and reuses that row.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/sheet.h"
#include "features/aid/aid.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

#define DASH_SLOW_MS 50        /* a rebuild this slow is not repeated at once */
#define DASH_STALE_FACTOR 10   /* … but only after 10 × its duration */
#define DASH_MAX_AGE_MS (3600 * 1000LL) /* figures are never older than an hour */
#define DASH_KEEP_MS (2 * 86400 * 1000LL) /* cache rows unused this long are dropped */
#define DASH_PROGS_MAX 64      /* programmes shown as columns; more are summed in "Total" only */
#define DASH_COLS_MAX (DASH_PROGS_MAX + 2)
#define DASH_MONTHS_MAX 240    /* twenty years of months in one table */
#define DASH_TIME_MAX 4102444800LL /* 2100-01-01: "until the end of time" for a period */

/* ----------------------------------------------------------- the filters */

typedef struct dfilter {
  int64_t programme;         /* 0: every programme */
  char periode[16];          /* "tout", "12m" or a year "2025" */
  int64_t from, to;          /* the period, [from, to) in unix seconds */
  int first_ym, last_ym;     /* months shown (year × 12 + month − 1); first 0: from the data */
  char key[80];              /* aid_dash_cache.key */
} dfilter;

/* A programme as the dashboard shows it (read live). */
typedef struct dprog {
  int64_t id;
  const char *name, *target; /* arena strings */
  const char *short_name;    /* for narrow headings (short_names) */
  int64_t budget_cents, committed_cents, committed_points, max_points;
} dprog;

/* Unix time of the first day of month ym (year × 12 + month − 1), local time. */
static int64_t month_start(int ym) {
  struct tm tm = {0};
  tm.tm_year = ym / 12 - 1900;
  tm.tm_mon = ym % 12;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm);
}

static int ym_now(void) {
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* "2025-11" → ym, or -1. */
static int ym_parse(const char *z) {
  if (!z || strlen(z) != 7 || z[4] != '-') return -1;
  int y = atoi(z), m = atoi(z + 5);
  return y >= 2000 && y < 2100 && m >= 1 && m <= 12 ? y * 12 + m - 1 : -1;
}

/* The first year anything was submitted (this year when nothing was). */
static int first_year(void) {
  int64_t t = db_get_int(0, "SELECT min(submitted_at) FROM aid_dossiers WHERE submitted_at IS NOT NULL", "");
  if (t <= 0) return ym_now() / 12;
  time_t tt = (time_t)t;
  struct tm tm;
  localtime_r(&tt, &tm);
  return tm.tm_year + 1900;
}

/* Reads the query's filters; unknown values fall back to "everything"
** (they come from two selects: anything else was typed by hand). */
static void filter_read(req *r, dfilter *f, const dprog *progs, int nprog) {
  memset(f, 0, sizeof *f);
  const char *p = req_query(r, "programme");
  if (p && *p && strlen(p) < 19) {
    int64_t id = strtoll(p, NULL, 10);
    for (int i = 0; i < nprog; i++)
      if (progs[i].id == id) f->programme = id;
  }
  const char *per = req_query(r, "periode");
  int now = ym_now();
  int y = per && strlen(per) == 4 ? atoi(per) : 0;
  if (str_eq(per, "12m")) {
    snprintf(f->periode, sizeof f->periode, "12m");
    f->first_ym = now - 11;
    f->last_ym = now;
  } else if (y >= first_year() && y <= now / 12) {
    snprintf(f->periode, sizeof f->periode, "%d", y);
    f->first_ym = y * 12;
    f->last_ym = y * 12 + 11 < now ? y * 12 + 11 : now;
  } else {
    snprintf(f->periode, sizeof f->periode, "tout");
  }
  f->from = f->first_ym ? month_start(f->first_ym) : 0;
  f->to = f->first_ym ? month_start(f->last_ym + 1) : DASH_TIME_MAX;
  /* "12m" moves with the month: the key says which twelve months. */
  snprintf(f->key, sizeof f->key, "p=%lld&periode=%s&mois=%d", (long long)f->programme, f->periode,
           str_eq(f->periode, "12m") ? now : 0);
}

/* The name before " — " when no other programme's starts the same
** ("Voirie publique" for "Voirie publique — bornes sur le domaine public"):
** table headings are narrow. The whole name otherwise. */
static void short_names(arena *a, dprog *p, int n) {
  for (int i = 0; i < n; i++) {
    const char *dash = strstr(p[i].name, " — ");
    p[i].short_name = p[i].name;
    if (!dash) continue;
    size_t len = (size_t)(dash - p[i].name);
    int unique = 1;
    for (int j = 0; j < n; j++)
      if (j != i && !strncmp(p[j].name, p[i].name, len) && (p[j].name[len] == 0 || p[j].name[len] == ' '))
        unique = 0;
    if (unique) p[i].short_name = arena_strndup(a, p[i].name, len);
  }
}

static int progs_load(arena *a, dprog *out, int max) {
  db_stmt *s = db_query("SELECT id, name, target, coalesce(budget_cents, 0), committed_cents, committed_points,"
                        " coalesce(max_points, 0) FROM aid_programmes ORDER BY id", "");
  int n = 0;
  while (n < max && db_step(s) == DB_ROW) {
    out[n].id = db_int(s, 0);
    out[n].name = arena_strdup(a, db_text(s, 1));
    out[n].target = arena_strdup(a, db_text(s, 2));
    out[n].budget_cents = db_int(s, 3);
    out[n].committed_cents = db_int(s, 4);
    out[n].committed_points = db_int(s, 5);
    out[n].max_points = db_int(s, 6);
    n++;
  }
  db_done(s);
  short_names(a, out, n);
  return n;
}

/* ------------------------------------------------------ computing figures */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The p-quantile (0..1) of sorted x[0..n), n > 0, interpolated linearly. */
static double quantile(const int64_t *x, size_t n, double p) {
  double h = p * (double)(n - 1);
  size_t lo = (size_t)h;
  if (lo + 1 >= n) return (double)x[n - 1];
  return (double)x[lo] + (h - (double)lo) * (double)(x[lo + 1] - x[lo]);
}

/* Steps s (one int64 column: a duration in seconds, NULL rows skipped) to
** the end and summarises it as {"n", "median", "p90"} (seconds). */
static json_t *delays_of(db_stmt *s) {
  size_t n = 0, cap = 1024;
  int64_t *x = xmalloc(cap * sizeof *x);
  while (db_step(s) == DB_ROW) {
    if (db_is_null(s, 0)) continue;
    if (n == cap) x = xrealloc(x, (cap *= 2) * sizeof *x);
    x[n++] = db_int(s, 0);
  }
  db_done(s);
  json_t *o = json_object();
  json_object_set_new(o, "n", json_integer((json_int_t)n));
  if (n) {
    qsort(x, n, sizeof *x, cmp_i64);
    json_object_set_new(o, "median", json_real(quantile(x, n, 0.5)));
    json_object_set_new(o, "p90", json_real(quantile(x, n, 0.9)));
  }
  free(x);
  return o;
}

/* Every row of s as an array: [programme id, text, integers…] — the
** shape of the grouped queries below (the text is a status or a month). */
static json_t *rows_of(db_stmt *s) {
  json_t *rows = json_array();
  while (db_step(s) == DB_ROW) {
    json_t *row = json_array();
    for (int c = 0; c < db_cols(s); c++)
      json_array_append_new(row, c == 1 ? jstr(db_text(s, c)) : json_integer(db_int(s, c)));
    json_array_append_new(rows, row);
  }
  db_done(s);
  return rows;
}

/* The grouped sums (rows [programme, status or month, sums…]) and the
** delays (one duration a row) the figures are made of. Every query starts
** its WHERE with the programme (bound twice: 0 for all) and the period
** [from, to); each reads one covering index of migrations/007_dash.sql.
** Months are local ones, in the dialect's words (DB_MONTH_LOCAL, db.h). */
#define BY_PROGRAMME "(? = 0 OR programme_id = ?)"
static const struct {
  const char *key;           /* in the figures: "status", "req", "com", "paid"; "kpi" keys */
  int delays;                /* 1: a column of durations for delays_of() */
  const char *sql;
} figure_queries[] = {
    {"status", 0,
     "SELECT programme_id, status, count(*) FROM aid_dossiers WHERE " BY_PROGRAMME
     " AND coalesce(submitted_at, created_at) >= ? AND coalesce(submitted_at, created_at) < ?"
     " GROUP BY programme_id, status"},
    {"req", 0,
     "SELECT programme_id, " DB_MONTH_LOCAL("submitted_at") " AS m, sum(amount_cents), count(*) FROM aid_dossiers"
     " WHERE " BY_PROGRAMME " AND submitted_at >= ? AND submitted_at < ? AND replaced_by_id IS NULL"
     " GROUP BY programme_id, m"},
    {"com", 0,
     "SELECT programme_id, " DB_MONTH_LOCAL("decided_at") " AS m, sum(granted_cents), sum(points), count(*)"
     " FROM aid_dossiers WHERE " BY_PROGRAMME " AND decided_at >= ? AND decided_at < ? AND committed = 1"
     " GROUP BY programme_id, m"},
    {"paid", 0,
     "SELECT programme_id, " DB_MONTH_LOCAL("paid_at") " AS m, sum(paid_cents), count(*) FROM aid_dossiers"
     " WHERE " BY_PROGRAMME " AND paid_at >= ? AND paid_at < ? GROUP BY programme_id, m"},
    {"decision", 1,
     "SELECT decided_at - submitted_at FROM aid_dossiers WHERE " BY_PROGRAMME
     " AND decided_at >= ? AND decided_at < ? AND submitted_at IS NOT NULL"},
    {"payment", 1,
     "SELECT paid_at - decided_at FROM aid_dossiers WHERE " BY_PROGRAMME
     " AND paid_at >= ? AND paid_at < ? AND decided_at IS NOT NULL"},
    /* The first validation of each dossier, from its first request for
    ** documents before it. */
    {"complements", 1,
     "SELECT v.at - (SELECT min(c.at) FROM aid_dossier_events c WHERE c.dossier_id = v.dossier_id"
     " AND c.to_status = 'complements' AND c.at < v.at) FROM aid_dossier_events v"
     " WHERE (? = 0 OR v.dossier_id IN (SELECT id FROM aid_dossiers WHERE programme_id = ?))"
     " AND v.to_status = 'validee' AND v.at >= ? AND v.at < ?"
     " AND NOT EXISTS (SELECT 1 FROM aid_dossier_events e WHERE e.dossier_id = v.dossier_id"
     " AND e.to_status = 'validee' AND e.at < v.at)"},
};

/* The figures for f, from the dossiers (see the top of the file):
** {"status", "req", "com", "paid": rows, "kpi": {"decision", "payment",
** "complements": {"n", "median", "p90"}}}. */
static json_t *dash_build(const dfilter *f) {
  json_t *d = json_object(), *k = json_object();
  for (size_t i = 0; i < ARRAY_SIZE(figure_queries); i++) {
    db_stmt *s = db_query(figure_queries[i].sql, "iiii", f->programme, f->programme, f->from, f->to);
    if (figure_queries[i].delays) json_object_set_new(k, figure_queries[i].key, delays_of(s));
    else json_object_set_new(d, figure_queries[i].key, rows_of(s));
  }
  json_object_set_new(d, "kpi", k);
  return d;
}

/* The charging data's change marker (charge.h): one row. */
#define CHARGE_MARKER_SQL "(SELECT coalesce(max(n), 0) FROM aid_charge_marker)"

/* What the page depends on, read in a few index lookups: the last
** history row and the last dossier (every status change writes the one,
** every new dossier is the other), the programmes' table (names,
** envelopes, commitments: four rows) and the charging data's marker. */
static char *probe(arena *a) {
  db_stmt *s = db_query("SELECT (SELECT coalesce(max(id), 0) FROM aid_dossier_events),"
                        " (SELECT coalesce(max(id), 0) FROM aid_dossiers),"
                        " (SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' ||"
                        " coalesce(sum(committed_cents), 0) || ':' || coalesce(sum(committed_points), 0)"
                        " FROM aid_programmes), " CHARGE_MARKER_SQL, "");
  char *z = db_step(s) == DB_ROW ? arena_printf(a, "%lld.%lld.%s.%lld", (long long)db_int(s, 0),
                                                (long long)db_int(s, 1), db_text(s, 2), (long long)db_int(s, 3))
                                 : arena_strdup(a, "?");
  db_done(s);
  return z;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a cache row built at `at` (unix ms) in `ms` with probe value
** `gen` may serve now that the probe reads `now_gen` (see the top). */
static int row_current(const char *gen, const char *now_gen, int64_t at, int64_t ms) {
  int64_t age = now_ms() - at;
  return (str_eq(gen, now_gen) || (ms >= DASH_SLOW_MS && age < ms * DASH_STALE_FACTOR)) && age < DASH_MAX_AGE_MS;
}

/* What the cache holds for one choice of filters. */
typedef struct dcache {
  const char *gen;           /* the probe now (arena) */
  json_t *fig;               /* the figures, owned; NULL when not current */
  const char *html;          /* the page's body as rendered with them (arena), or NULL */
  int64_t built_at;          /* unix ms when the figures were computed */
  int64_t build_ms;          /* how long that took */
} dcache;

/* Reads the cache row of f into c when it is current (see the top of the
** file): the rendered body when want_html and there is one (then not the
** figures: parsing them is most of what a visit would cost), else the
** figures. c->fig and c->html stay NULL when the row is not current. */
static void cache_get(req *r, const dfilter *f, dcache *c, int want_html) {
  memset(c, 0, sizeof *c);
  c->gen = probe(r->a);
  db_stmt *s = db_query("SELECT gen, built_at, build_ms, html IS NOT NULL FROM aid_dash_cache WHERE key=?", "t",
                        f->key);
  int current = 0;
  if (db_step(s) == DB_ROW) {
    current = row_current(db_text(s, 0), c->gen, db_int(s, 1), db_int(s, 2));
    c->built_at = db_int(s, 1);
    c->build_ms = db_int(s, 2);
    want_html = want_html && db_int(s, 3);
  }
  db_done(s);
  if (!current) return;
  /* The text goes straight from SQLite's page to the request's arena. */
  s = db_query(want_html ? "SELECT html FROM aid_dash_cache WHERE key=?" : "SELECT data FROM aid_dash_cache WHERE key=?",
               "t", f->key);
  if (db_step(s) == DB_ROW && !db_is_null(s, 0)) {
    if (want_html) c->html = arena_strdup(r->a, db_text(s, 0));
    else c->fig = json_loads(db_text(s, 0), 0, NULL);
  }
  db_done(s);
}

#define CHARGE_KEY "charge" /* aid_dash_cache.key of the charging-data synthesis */

/* The charging-data synthesis of every programme (charge.h), from its
** cache row when current, else computed and stored. Returns a new
** reference; an empty object when the data could not be read (logged). */
static json_t *charge_figures(req *r) {
  char marker[32];
  snprintf(marker, sizeof marker, "%lld", (long long)db_get_int(0, "SELECT " CHARGE_MARKER_SQL, ""));
  json_t *o = NULL;
  db_stmt *s = db_query("SELECT gen, built_at, build_ms, data FROM aid_dash_cache WHERE key=?", "t", CHARGE_KEY);
  if (db_step(s) == DB_ROW && row_current(db_text(s, 0), marker, db_int(s, 1), db_int(s, 2)))
    o = json_loads(db_text(s, 3), 0, NULL);
  db_done(s);
  if (o) return o;
  int64_t t0 = now_ms();
  o = json_object();
  if (charge_synthesis_json(0, o) != 0) {
    log_error("aid", "[%s] dashboard: charging data not read", r->id);
    json_decref(o);
    return json_object();
  }
  char *data = json_dumps(o, JSON_COMPACT);
  if (!data || db_run("INSERT INTO aid_dash_cache(key, gen, built_at, build_ms, data) VALUES(?,?,?,?,?)"
                      " ON CONFLICT(key) DO UPDATE SET gen=excluded.gen, built_at=excluded.built_at,"
                      " build_ms=excluded.build_ms, data=excluded.data",
                      "ttiit", CHARGE_KEY, marker, t0, now_ms() - t0, data) != DB_DONE)
    log_error("aid", "[%s] dashboard: charging-data cache not stored (shown anyway)", r->id);
  free(data);
  return o;
}

/* Fills c->fig from the dossiers (and the charging data's own row) when
** the cache had nothing current. */
static void cache_build(req *r, const dfilter *f, dcache *c) {
  if (c->fig) return;
  int64_t t0 = now_ms();
  c->fig = dash_build(f);
  json_object_set_new(c->fig, "charge", charge_figures(r));
  c->built_at = t0;
  c->build_ms = now_ms() - t0;
  c->html = NULL;
  if (c->build_ms > 500)
    log_info("aid", "[%s] dashboard %s rebuilt in %lld ms", r->id, f->key, (long long)c->build_ms);
}

/* Stores c (figures, and the body when html is not NULL) as f's row. */
static void cache_put(req *r, const dfilter *f, const dcache *c, const char *html) {
  char *data = json_dumps(c->fig, JSON_COMPACT);
  if (!data ||
      db_run("INSERT INTO aid_dash_cache(key, gen, built_at, build_ms, data, html) VALUES(?,?,?,?,?,?)"
             " ON CONFLICT(key) DO UPDATE SET gen=excluded.gen, built_at=excluded.built_at,"
             " build_ms=excluded.build_ms, data=excluded.data, html=excluded.html",
             "ttiitt", f->key, c->gen, c->built_at, c->build_ms, data, html) != DB_DONE ||
      db_run("DELETE FROM aid_dash_cache WHERE built_at < ?", "i", now_ms() - DASH_KEEP_MS) != DB_DONE)
    log_error("aid", "[%s] dashboard cache not stored (the figures are shown anyway)", r->id);
  free(data);
}

/* --------------------------------------------------------------- tables */

/* A table of the dashboard: what the page shows and the export sends. */
typedef struct dtable {
  const char *id;            /* "statuts": anchor and export name */
  const char *title;         /* French caption */
  sheet_col cols[DASH_COLS_MAX];
  int ncol;
  json_t *rows;              /* raw values (core/sheet.h); owned */
} dtable;

static void col(dtable *t, const char *title, sheet_kind kind) {
  if (t->ncol < DASH_COLS_MAX) t->cols[t->ncol++] = (sheet_col){.title = title, .kind = kind};
}

static int prog_index(const dprog *progs, int nprog, int64_t id) {
  for (int i = 0; i < nprog; i++)
    if (progs[i].id == id) return i;
  return -1;
}

/* The programmes the filter keeps (at most DASH_PROGS_MAX), as indexes. */
static int shown_progs(const dfilter *f, const dprog *progs, int nprog, int *out) {
  int n = 0;
  for (int i = 0; i < nprog && n < DASH_PROGS_MAX; i++)
    if (!f->programme || progs[i].id == f->programme) out[n++] = i;
  return n;
}

static void table_status(const dfilter *f, json_t *fig, const dprog *progs, int nprog, dtable *t) {
  int shown[DASH_PROGS_MAX], ns = shown_progs(f, progs, nprog, shown);
  *t = (dtable){.id = "statuts", .title = _("Demandes par statut et par programme"), .rows = json_array()};
  col(t, _("Statut"), SHEET_TEXT);
  for (int j = 0; j < ns; j++) col(t, progs[shown[j]].short_name, SHEET_INT);
  col(t, _("Total"), SHEET_INT);
  int64_t count[16][DASH_PROGS_MAX + 1];
  memset(count, 0, sizeof count);
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(fig, "status"), i, row) {
    const char *st = json_string_value(json_array_get(row, 1));
    int p = prog_index(progs, nprog, json_integer_value(json_array_get(row, 0)));
    for (int k = 0; k < aid_ndossier_statuses && k < 16; k++) {
      if (!str_eq(st, aid_dossier_statuses[k].code)) continue;
      int64_t n = json_integer_value(json_array_get(row, 2));
      for (int j = 0; j < ns; j++)
        if (shown[j] == p) count[k][j] += n;
      count[k][DASH_PROGS_MAX] += n;
    }
  }
  int64_t total[DASH_PROGS_MAX + 1] = {0};
  for (int k = 0; k < aid_ndossier_statuses && k < 16; k++) {
    json_t *r = json_array();
    json_array_append_new(r, json_string(_(aid_dossier_statuses[k].label)));
    for (int j = 0; j < ns; j++) {
      json_array_append_new(r, json_integer(count[k][j]));
      total[j] += count[k][j];
    }
    json_array_append_new(r, json_integer(count[k][DASH_PROGS_MAX]));
    total[DASH_PROGS_MAX] += count[k][DASH_PROGS_MAX];
    json_array_append_new(t->rows, r);
  }
  json_t *r = json_array();
  json_array_append_new(r, json_string(_("Total")));
  for (int j = 0; j < ns; j++) json_array_append_new(r, json_integer(total[j]));
  json_array_append_new(r, json_integer(total[DASH_PROGS_MAX]));
  json_array_append_new(t->rows, r);
}

/* Sums of the "req", "com" and "paid" rows by month, for the months
** [first, last]. */
typedef struct dmonth {
  int64_t req_cents, req_n, com_cents, com_points, paid_cents;
} dmonth;

static void fold_months(json_t *fig, int first, int last, dmonth *m) {
  static const char *const keys[] = {"req", "com", "paid"};
  for (int k = 0; k < 3; k++) {
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(fig, keys[k]), i, row) {
      int ym = ym_parse(json_string_value(json_array_get(row, 1)));
      if (ym < first || ym > last) continue;
      dmonth *x = &m[ym - first];
      int64_t a = json_integer_value(json_array_get(row, 2)), b = json_integer_value(json_array_get(row, 3));
      if (k == 0) x->req_cents += a, x->req_n += b;
      else if (k == 1) x->com_cents += a, x->com_points += b;
      else x->paid_cents += a;
    }
  }
}

/* The five columns of amounts the month and target tables share, after
** their first one; amount_row() appends a row of them. */
static void amount_cols(dtable *t) {
  col(t, _("Demandes déposées"), SHEET_INT);
  col(t, _("Montant demandé"), SHEET_CENTS);
  col(t, _("Montant engagé"), SHEET_CENTS);
  col(t, _("Points financés"), SHEET_INT);
  col(t, _("Montant versé"), SHEET_CENTS);
}

static void amount_row(dtable *t, const char *head, int64_t req_n, int64_t req_cents, int64_t com_cents,
                       int64_t com_points, int64_t paid_cents) {
  json_t *r = json_array();
  json_array_append_new(r, json_string(head));
  json_array_append_new(r, json_integer(req_n));
  json_array_append_new(r, json_integer(req_cents));
  json_array_append_new(r, json_integer(com_cents));
  json_array_append_new(r, json_integer(com_points));
  json_array_append_new(r, json_integer(paid_cents));
  json_array_append_new(t->rows, r);
}

static void table_months(const dfilter *f, json_t *fig, dtable *t, dmonth *m, int *first, int *nmonth) {
  *t = (dtable){.id = "mois", .title = _("Montants par mois"), .rows = json_array()};
  col(t, _("Mois"), SHEET_TEXT);
  amount_cols(t);
  /* The filter's months; "since the start": from the first month with figures. */
  int last = f->first_ym ? f->last_ym : ym_now();
  int lo = f->first_ym && last - f->first_ym < DASH_MONTHS_MAX ? f->first_ym : last - DASH_MONTHS_MAX + 1;
  int n = last - lo + 1, skip = 0;
  memset(m, 0, sizeof *m * (size_t)n);
  fold_months(fig, lo, last, m);
  static const dmonth none;
  while (!f->first_ym && skip < n - 1 && !memcmp(&m[skip], &none, sizeof none)) skip++;
  memmove(m, m + skip, sizeof *m * (size_t)(n - skip));
  *first = lo + skip;
  *nmonth = n - skip;
  for (int k = 0; k < *nmonth; k++) {
    int ym = *first + k;
    char label[32];
    snprintf(label, sizeof label, "%04d-%02d", ym / 12, ym % 12 + 1);
    amount_row(t, label, m[k].req_n, m[k].req_cents, m[k].com_cents, m[k].com_points, m[k].paid_cents);
  }
}

static void table_targets(const dfilter *f, json_t *fig, const dprog *progs, int nprog, dtable *t) {
  *t = (dtable){.id = "cibles", .title = _("Montants par cible"), .rows = json_array()};
  col(t, _("Cible"), SHEET_TEXT);
  amount_cols(t);
  int shown[DASH_PROGS_MAX], ns = shown_progs(f, progs, nprog, shown);
  const char *targets[DASH_PROGS_MAX];
  int64_t sum[DASH_PROGS_MAX + 1][5];
  memset(sum, 0, sizeof sum);
  int nt = 0;
  int of[DASH_PROGS_MAX]; /* target index of each shown programme */
  for (int j = 0; j < ns; j++) {
    int k = 0;
    while (k < nt && strcmp(targets[k], progs[shown[j]].target)) k++;
    if (k == nt) targets[nt++] = progs[shown[j]].target;
    of[j] = k;
  }
  static const char *const keys[] = {"req", "com", "paid"};
  for (int q = 0; q < 3; q++) {
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(fig, keys[q]), i, row) {
      int p = prog_index(progs, nprog, json_integer_value(json_array_get(row, 0)));
      int64_t a = json_integer_value(json_array_get(row, 2)), b = json_integer_value(json_array_get(row, 3));
      for (int j = 0; j < ns; j++) {
        if (shown[j] != p) continue;
        int64_t *into[2] = {sum[of[j]], sum[DASH_PROGS_MAX]}; /* its target's row and the total */
        for (int n = 0; n < 2; n++) {
          int64_t *x = into[n];
          if (q == 0) x[0] += b, x[1] += a;
          else if (q == 1) x[2] += a, x[3] += b;
          else x[4] += a;
        }
      }
    }
  }
  for (int k = 0; k <= nt; k++) {
    const int64_t *x = sum[k < nt ? k : DASH_PROGS_MAX];
    amount_row(t, k < nt ? aid_target_label(targets[k]) : _("Total"), x[0], x[1], x[2], x[3], x[4]);
  }
}

/* Share of an envelope used, in percent; -1 when there is no envelope. */
static double used_pct(int64_t used, int64_t budget) {
  return budget > 0 ? 100.0 * (double)used / (double)budget : -1;
}

static void table_envelopes(const dfilter *f, const dprog *progs, int nprog, dtable *t) {
  *t = (dtable){.id = "enveloppes", .title = _("Consommation des enveloppes"), .rows = json_array()};
  col(t, _("Programme"), SHEET_TEXT);
  col(t, _("Enveloppe"), SHEET_CENTS);
  col(t, _("Montant engagé"), SHEET_CENTS);
  col(t, _("Part engagée (%)"), SHEET_REAL);
  col(t, _("Points engagés"), SHEET_INT);
  col(t, _("Points au plus"), SHEET_INT);
  int shown[DASH_PROGS_MAX], ns = shown_progs(f, progs, nprog, shown);
  for (int j = 0; j < ns; j++) {
    const dprog *p = &progs[shown[j]];
    json_t *r = json_array();
    json_array_append_new(r, json_string(p->name));
    json_array_append_new(r, p->budget_cents ? json_integer(p->budget_cents) : json_null());
    json_array_append_new(r, json_integer(p->committed_cents));
    json_array_append_new(r, p->budget_cents ? json_real(used_pct(p->committed_cents, p->budget_cents)) : json_null());
    json_array_append_new(r, json_integer(p->committed_points));
    json_array_append_new(r, p->max_points ? json_integer(p->max_points) : json_null());
    json_array_append_new(t->rows, r);
  }
}

static const struct {
  const char *key, *label;
} kpis[] = {
    {"decision", N_("Du dépôt à la décision")},
    {"payment", N_("De la validation au versement")},
    {"complements", N_("Des compléments demandés à la validation")},
};

static void table_delays(json_t *fig, dtable *t) {
  *t = (dtable){.id = "delais", .title = _("Délais d’instruction, en jours"), .rows = json_array()};
  col(t, _("Délai"), SHEET_TEXT);
  col(t, _("Médiane (jours)"), SHEET_REAL);
  col(t, _("90e centile (jours)"), SHEET_REAL);
  col(t, _("Dossiers"), SHEET_INT);
  json_t *k = json_object_get(fig, "kpi");
  for (size_t i = 0; i < ARRAY_SIZE(kpis); i++) {
    json_t *o = json_object_get(k, kpis[i].key), *med = json_object_get(o, "median"), *p90 = json_object_get(o, "p90");
    json_t *r = json_array();
    json_array_append_new(r, json_string(_(kpis[i].label)));
    json_array_append_new(r, med ? json_real(json_number_value(med) / 86400.0) : json_null());
    json_array_append_new(r, p90 ? json_real(json_number_value(p90) / 86400.0) : json_null());
    json_array_append_new(r, json_integer(json_integer_value(json_object_get(o, "n"))));
    json_array_append_new(t->rows, r);
  }
}

/* The synthesis of one programme, or of all, as a row of the charge table. */
static void charge_row(dtable *t, const char *head, json_t *x) {
  json_t *r = json_array(), *occ = json_object_get(x, "occupancy_pct");
  json_array_append_new(r, json_string(head));
  json_array_append_new(r, json_integer(json_integer_value(json_object_get(x, "points"))));
  json_array_append_new(r, json_integer(json_integer_value(json_object_get(x, "dossiers"))));
  json_array_append_new(r, json_integer(json_integer_value(json_object_get(x, "sessions"))));
  json_array_append_new(r, json_integer((json_int_t)llround(json_number_value(json_object_get(x, "energy_kwh")))));
  json_array_append_new(r, json_integer((json_int_t)llround(json_number_value(json_object_get(x, "busy_hours")))));
  json_array_append_new(r, json_is_number(occ) ? json_real(json_number_value(occ)) : json_null());
  for (int k = 0; k < 2; k++) {
    json_t *day = json_object_get(x, k ? "last_day" : "first_day");
    json_array_append_new(r, json_is_string(day) ? json_copy(day) : json_null());
  }
  json_array_append_new(t->rows, r);
}

/* Charging data per programme shown, and their total when every programme
** is: since the first day with data, whatever the period. */
static void table_charge(const dfilter *f, json_t *fig, const dprog *progs, int nprog, dtable *t) {
  *t = (dtable){.id = "charge", .title = _("Données de charge par programme"), .rows = json_array()};
  col(t, _("Programme"), SHEET_TEXT);
  col(t, _("Points déclarés"), SHEET_INT);
  col(t, _("Demandes avec points"), SHEET_INT);
  col(t, _("Sessions"), SHEET_INT);
  col(t, _("Énergie (kWh)"), SHEET_INT);
  col(t, _("Heures d’occupation"), SHEET_INT);
  col(t, _("Occupation (%)"), SHEET_REAL);
  col(t, _("Premier jour"), SHEET_TEXT);
  col(t, _("Dernier jour"), SHEET_TEXT);
  json_t *ch = json_object_get(fig, "charge"), *list = json_object_get(ch, "programmes");
  int shown[DASH_PROGS_MAX], ns = shown_progs(f, progs, nprog, shown);
  for (int j = 0; j < ns; j++) {
    json_t *x = NULL, *e;
    size_t i;
    json_array_foreach(list, i, e) if (json_integer_value(json_object_get(e, "id")) == progs[shown[j]].id) x = e;
    charge_row(t, progs[shown[j]].name, x); /* NULL (a programme made since): zeros */
  }
  if (!f->programme) charge_row(t, _("Total"), ch);
}

/* ------------------------------------------------------------ display */

/* Cents as whole euros, French: "12 345 €". */
static const char *euros(arena *a, int64_t cents) {
  char b[64];
  aid_format_euros(b, sizeof b, (cents >= 0 ? cents + 50 : cents - 50) / 100 * 100);
  char *comma = strstr(b, ",00");
  if (comma) memmove(comma, comma + 3, strlen(comma + 3) + 1);
  return arena_strdup(a, b);
}

/* A number with one decimal, French: "12,5". */
static const char *one_decimal(arena *a, double v) {
  char *z = arena_printf(a, "%.1f", v);
  char *dot = strchr(z, '.');
  if (dot) *dot = ',';
  return z;
}

/* Short amounts for a chart's axis and labels: "1,2 M€", "350 k€", "900 €". */
static const char *euros_short(arena *a, double cents) {
  double e = cents / 100.0;
  if (e >= 1e6) return arena_printf(a, "%s\u00a0M€", one_decimal(a, e / 1e6));
  if (e >= 1e4) return arena_printf(a, "%.0f\u00a0k€", e / 1e3);
  return arena_printf(a, "%.0f\u00a0€", e);
}

/* A count, French: "66 152" (no-break space between thousands). */
static const char *count_text(arena *a, int64_t n) {
  char digits[24], out[48];
  snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
  size_t k = 0, len = strlen(digits);
  if (n < 0) out[k++] = '-';
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0) {
      memcpy(out + k, "\u00a0", 2);
      k += 2;
    }
    out[k++] = digits[i];
  }
  out[k] = 0;
  return arena_strdup(a, out);
}

static const char *cell_text(arena *a, sheet_kind kind, json_t *v) {
  if (!v || json_is_null(v)) return "—";
  switch (kind) {
  case SHEET_INT: return count_text(a, json_integer_value(v));
  case SHEET_CENTS: return euros(a, json_integer_value(v));
  case SHEET_REAL: return one_decimal(a, json_number_value(v));
  default: break; /* text */
  }
  return json_string_value(v);
}

static const char *const month_names[] = {N_("janv."), N_("févr."), N_("mars"), N_("avr."), N_("mai"), N_("juin"),
                                          N_("juil."), N_("août"), N_("sept."), N_("oct."), N_("nov."), N_("déc.")};

/* "2025-11" → "nov. 2025". */
static const char *month_label(arena *a, const char *z) {
  int ym = ym_parse(z);
  return ym < 0 ? z : arena_printf(a, "%s %d", _(month_names[ym % 12]), ym / 12);
}

/* "2025-11-03" → "03/11/2025"; anything else as it is. */
static const char *day_label(arena *a, const char *z) {
  if (!aid_date_valid(z)) return z;
  char out[16];
  aid_format_date(out, sizeof out, z);
  return arena_strdup(a, out);
}

/* A percentage as the charging pages write shares: "37,5 %", "0,05 %"
** (small occupancies are common: one decimal would say 0,0). */
static const char *share_label(arena *a, double pct) {
  char z[32];
  charge_format_share(z, sizeof z, (int64_t)llround(pct * 100));
  return arena_strdup(a, z);
}

/* The export link of table id (format csv or xlsx) with the filters. */
static const char *export_url(arena *a, const dfilter *f, const char *id, const char *format) {
  buf b = {0};
  buf_printf(&b, "/admin/aides/tableau-de-bord/export?tableau=%s&format=%s&periode=%s", id, format, f->periode);
  if (f->programme) buf_printf(&b, "&programme=%lld", (long long)f->programme);
  char *z = arena_strdup(a, buf_str(&b));
  buf_free(&b);
  return z;
}

/* The table as the template wants it: headings, rows of display cells
** (the first one a row heading), export links. */
static json_t *table_json(arena *a, const dfilter *f, const dtable *t) {
  json_t *o = json_object(), *cols = json_array(), *rows = json_array();
  json_object_set_new(o, "id", json_string(t->id));
  json_object_set_new(o, "title", json_string(t->title));
  for (int c = 0; c < t->ncol; c++) {
    json_t *h = json_object();
    json_object_set_new(h, "title", json_string(t->cols[c].title));
    json_object_set_new(h, "num", json_boolean(t->cols[c].kind != SHEET_TEXT));
    json_array_append_new(cols, h);
  }
  size_t i;
  json_t *row;
  json_array_foreach(t->rows, i, row) {
    json_t *cells = json_array();
    for (int c = 0; c < t->ncol; c++) {
      json_t *cell = json_object(), *v = json_array_get(row, (size_t)c);
      const char *z = cell_text(a, t->cols[c].kind, v);
      if (c == 0 && !strcmp(t->id, "mois")) z = month_label(a, z);
      if (c >= 7 && !strcmp(t->id, "charge")) z = day_label(a, z);
      if (c == 6 && !strcmp(t->id, "charge") && json_is_number(v)) z = share_label(a, json_number_value(v));
      json_object_set_new(cell, "v", json_string(z));
      json_object_set_new(cell, c == 0 ? "head" : "num", json_true());
      json_array_append_new(cells, cell);
    }
    json_t *r = json_object();
    json_object_set_new(r, "cells", cells);
    json_array_append_new(rows, r);
  }
  json_object_set_new(o, "cols", cols);
  json_object_set_new(o, "rows", rows);
  json_object_set_new(o, "csv", json_string(export_url(a, f, t->id, "csv")));
  json_object_set_new(o, "xlsx", json_string(export_url(a, f, t->id, "xlsx")));
  return o;
}

/* ----------------------------------------------------------------- charts
** A chart is {id, title, desc, w, h, bars: [{x, y, w, h, cls, label}],
** texts: [{x, y, anchor, cls, text}], lines: [{x1, y1, x2, y2}]} in
** viewBox units; templates/dash_chart.html draws it. Series take the CSS
** classes s0, s1, s2 (assets/guichet.css). */

#define CH_W 720      /* viewBox width of horizontal charts */
#define CH_LABEL 230  /* room for the category labels on the left */
#define CH_VALUE 90   /* room for the value after the longest bar */
#define CH_BAR 14     /* thickness of one bar */
#define CH_MONTHS_W 900 /* viewBox width of the monthly chart, at most */

static void ch_bar(json_t *c, int x, int y, int w, int h, int ser, const char *label) {
  json_t *b = json_object();
  json_object_set_new(b, "x", json_integer(x));
  json_object_set_new(b, "y", json_integer(y));
  json_object_set_new(b, "w", json_integer(w));
  json_object_set_new(b, "h", json_integer(h));
  json_object_set_new(b, "cls", json_sprintf("s%d", ser));
  json_object_set_new(b, "label", json_string(label));
  json_array_append_new(json_object_get(c, "bars"), b);
}

static void ch_text(json_t *c, int x, int y, const char *anchor, const char *cls, const char *text) {
  json_t *t = json_object();
  json_object_set_new(t, "x", json_integer(x));
  json_object_set_new(t, "y", json_integer(y));
  json_object_set_new(t, "anchor", json_string(anchor));
  json_object_set_new(t, "cls", json_string(cls));
  json_object_set_new(t, "text", json_string(text));
  json_array_append_new(json_object_get(c, "texts"), t);
}

static void ch_line(json_t *c, int x1, int y1, int x2, int y2) {
  json_t *l = json_object();
  json_object_set_new(l, "x1", json_integer(x1));
  json_object_set_new(l, "y1", json_integer(y1));
  json_object_set_new(l, "x2", json_integer(x2));
  json_object_set_new(l, "y2", json_integer(y2));
  json_array_append_new(json_object_get(c, "lines"), l);
}

/* z cut to at most max characters (UTF-8), with "…" when cut: chart
** labels have a fixed room; the full text is in the bar's title. */
static const char *shorten(arena *a, const char *z, int max) {
  int chars = 0;
  const char *p = z;
  for (; *p; p++)
    if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > max - 1) break;
  if (!*p) return z;
  const char *q = p;
  int rest = 0;
  for (; *q; q++)
    if (((unsigned char)*q & 0xC0) != 0x80) rest++;
  if (rest <= 1) return z;
  return arena_printf(a, "%.*s…", (int)(p - z), z);
}

static json_t *ch_new(const char *id, const char *title, const char *desc) {
  json_t *c = json_object();
  json_object_set_new(c, "id", json_string(id));
  json_object_set_new(c, "title", json_string(title));
  json_object_set_new(c, "desc", json_string(desc));
  json_object_set_new(c, "bars", json_array());
  json_object_set_new(c, "texts", json_array());
  json_object_set_new(c, "lines", json_array());
  return c;
}

static void ch_size(json_t *c, int w, int h) {
  json_object_set_new(c, "w", json_integer(w));
  json_object_set_new(c, "h", json_integer(h));
}

/* A legend line at y for nser series. */
static void ch_legend(json_t *c, int x, int y, int nser, const char *const *names) {
  for (int s = 0; s < nser; s++) {
    ch_bar(c, x, y - 10, 12, 12, s, names[s]);
    ch_text(c, x + 16, y, "start", "legend", names[s]);
    x += 18 + 8 * (int)strlen(names[s]);
  }
}

/* Horizontal bars: ncat categories, nser bars each, values v[cat * nser +
** ser] (labels lab[] the same way), scaled to vmax (> 0). */
static json_t *chart_hbars(arena *a, const char *id, const char *title, const char *desc, int ncat,
                           const char *const *cat, int nser, const char *const *ser, const double *v,
                           const char *const *lab, double vmax) {
  json_t *c = ch_new(id, title, desc);
  int y = nser > 1 ? 28 : 6, span = CH_W - CH_LABEL - CH_VALUE;
  if (nser > 1) ch_legend(c, CH_LABEL, 16, nser, ser);
  for (int k = 0; k < ncat; k++) {
    int group = nser * CH_BAR;
    ch_text(c, CH_LABEL - 8, y + group / 2 + 4, "end", "cat", shorten(a, cat[k], 34));
    for (int s = 0; s < nser; s++) {
      double x = v[k * nser + s];
      int w = vmax > 0 && x > 0 ? (int)lround(x / vmax * span) : 0;
      if (x > 0 && w < 1) w = 1;
      const char *l = arena_printf(a, "%s%s%s : %s", cat[k], nser > 1 ? " — " : "", nser > 1 ? ser[s] : "",
                                   lab[k * nser + s]);
      ch_bar(c, CH_LABEL, y + s * CH_BAR, w, CH_BAR - 2, s, l);
      ch_text(c, CH_LABEL + w + 4, y + s * CH_BAR + CH_BAR - 4, "start", "val", lab[k * nser + s]);
    }
    y += group + 10;
  }
  ch_line(c, CH_LABEL, nser > 1 ? 24 : 2, CH_LABEL, y - 6);
  ch_size(c, CH_W, y);
  return c;
}

/* A "nice" axis maximum at or above v: 1, 2 or 5 × 10^k. */
static double nice_max(double v) {
  if (v <= 0) return 1;
  double p = pow(10, floor(log10(v)));
  for (int i = 0; i < 3; i++) {
    double m = (i == 0 ? 1 : i == 1 ? 2 : 5) * p;
    if (m >= v) return m;
  }
  return 10 * p;
}

/* Vertical grouped bars by month, for amounts in cents. */
static json_t *chart_months(arena *a, int first, int nmonth, const dmonth *m) {
  static const char *const ser[] = {N_("Demandé"), N_("Engagé"), N_("Versé")};
  const char *names[3] = {_(ser[0]), _(ser[1]), _(ser[2])};
  json_t *c = ch_new("graphe-mois", _("Montants demandés, engagés et versés par mois"),
                     _("Diagramme en barres groupées : pour chaque mois, le montant demandé, le montant engagé et "
                       "le montant versé. Les chiffres sont dans le tableau qui suit."));
  double vmax = 0;
  for (int k = 0; k < nmonth; k++) {
    double x[3] = {(double)m[k].req_cents, (double)m[k].com_cents, (double)m[k].paid_cents};
    for (int s = 0; s < 3; s++)
      if (x[s] > vmax) vmax = x[s];
  }
  vmax = nice_max(vmax);
  /* Groups share CH_MONTHS_W, each between 10 and 60 units wide. */
  int left = 70, top = 30, plot = 200, group = (CH_MONTHS_W - left - 10) / (nmonth > 0 ? nmonth : 1);
  if (group > 60) group = 60;
  if (group < 10) group = 10;
  int gap = group / 4, bw = (group - gap) / 3, w = left + nmonth * group + 10;
  ch_legend(c, left, 16, 3, names);
  for (int g = 0; g <= 4; g++) {
    int y = top + plot - plot * g / 4;
    ch_line(c, left, y, w - 10, y);
    ch_text(c, left - 6, y + 4, "end", "axis", euros_short(a, vmax * g / 4));
  }
  int every = (40 + group - 1) / group; /* a label "11/25" takes about 40 units */
  for (int k = 0; k < nmonth; k++) {
    int ym = first + k, x0 = left + k * group + gap / 2;
    const char *month = arena_printf(a, "%s %d", _(month_names[ym % 12]), ym / 12);
    double x[3] = {(double)m[k].req_cents, (double)m[k].com_cents, (double)m[k].paid_cents};
    for (int s = 0; s < 3; s++) {
      int h = (int)lround(x[s] / vmax * plot);
      if (x[s] > 0 && h < 1) h = 1;
      ch_bar(c, x0 + s * bw, top + plot - h, bw, h, s,
             arena_printf(a, "%s — %s : %s", month, names[s], euros(a, (int64_t)x[s])));
    }
    if (k % every == 0)
      ch_text(c, x0 + 3 * bw / 2, top + plot + 16, "middle", "axis",
              arena_printf(a, "%02d/%02d", ym % 12 + 1, ym / 12 % 100));
  }
  ch_size(c, w, top + plot + 24);
  return c;
}

/* The charts beside the status, target and envelope tables, from their
** rows; names: the programmes' short names, in the envelope rows' order. */
static json_t *chart_of_table(arena *a, const dtable *t, const char *const *names) {
  size_t n = json_array_size(t->rows);
  const char **cat = arena_alloc(a, (n + 1) * sizeof *cat);
  double *v = arena_alloc(a, (n * 3 + 1) * sizeof *v);
  const char **lab = arena_alloc(a, (n * 3 + 1) * sizeof *lab);
  int ncat = 0;
  double vmax = 0;
  size_t i;
  json_t *row;
  if (!strcmp(t->id, "statuts")) {
    json_array_foreach(t->rows, i, row) {
      if (i + 1 == n) break; /* the total row */
      json_int_t x = json_integer_value(json_array_get(row, (size_t)t->ncol - 1));
      cat[ncat] = json_string_value(json_array_get(row, 0));
      v[ncat] = (double)x;
      lab[ncat] = count_text(a, x);
      if (v[ncat] > vmax) vmax = v[ncat];
      ncat++;
    }
    const char *ser[] = {_("Demandes")};
    return chart_hbars(a, "graphe-statuts", _("Demandes par statut"),
                       _("Diagramme en barres horizontales : le nombre de demandes de chaque statut, tous "
                         "programmes retenus confondus. Les chiffres sont dans le tableau qui suit."),
                       ncat, cat, 1, ser, v, lab, vmax);
  }
  if (!strcmp(t->id, "cibles")) {
    static const int cols[] = {2, 3, 5};
    json_array_foreach(t->rows, i, row) {
      if (i + 1 == n) break;
      cat[ncat] = json_string_value(json_array_get(row, 0));
      for (int s = 0; s < 3; s++) {
        int64_t x = json_integer_value(json_array_get(row, (size_t)cols[s]));
        v[ncat * 3 + s] = (double)x;
        lab[ncat * 3 + s] = euros(a, x);
        if (v[ncat * 3 + s] > vmax) vmax = v[ncat * 3 + s];
      }
      ncat++;
    }
    const char *ser[] = {_("Demandé"), _("Engagé"), _("Versé")};
    return chart_hbars(a, "graphe-cibles", _("Montants par cible"),
                       _("Diagramme en barres groupées : pour chaque cible, le montant demandé, le montant engagé "
                         "et le montant versé. Les chiffres sont dans le tableau qui suit."),
                       ncat, cat, 3, ser, v, lab, vmax);
  }
  /* enveloppes: the share used, on a 0–100 % scale (more when exceeded). */
  json_array_foreach(t->rows, i, row) {
    json_t *pct = json_array_get(row, 3);
    cat[ncat] = names[i];
    v[ncat] = json_is_null(pct) ? 0 : json_number_value(pct);
    lab[ncat] = json_is_null(pct) ? _("pas d’enveloppe") : arena_printf(a, "%s\u00a0%%", one_decimal(a, v[ncat]));
    if (v[ncat] > vmax) vmax = v[ncat];
    ncat++;
  }
  const char *ser[] = {_("Part engagée")};
  double scale = vmax > 100 ? vmax : 100;
  json_t *c = chart_hbars(a, "graphe-enveloppes", _("Part engagée de chaque enveloppe"),
                          _("Diagramme en barres horizontales : la part de l’enveloppe de chaque programme déjà "
                            "engagée, en pourcentage ; un trait marque 100 %. Les montants sont dans le tableau qui "
                            "suit."),
                          ncat, cat, 1, ser, v, lab, scale);
  /* The envelope's end: a mark at 100 %, and room above it for its label. */
  int x = CH_LABEL + (int)lround(100 / scale * (CH_W - CH_LABEL - CH_VALUE));
  int h = (int)json_integer_value(json_object_get(c, "h"));
  ch_line(c, x, 0, x, h);
  ch_text(c, x, h + 12, "middle", "axis", "100\u00a0%");
  ch_size(c, CH_W, h + 16);
  return c;
}

/* Energy delivered per programme (the charge table's rows but the total). */
static json_t *chart_charge(arena *a, const dtable *t, const char *const *names, int nnames) {
  size_t n = json_array_size(t->rows);
  const char **cat = arena_alloc(a, (n + 1) * sizeof *cat), **lab = arena_alloc(a, (n + 1) * sizeof *lab);
  double *v = arena_alloc(a, (n + 1) * sizeof *v), vmax = 0;
  int ncat = 0;
  for (size_t i = 0; i < n && (int)i < nnames; i++) {
    json_t *row = json_array_get(t->rows, i);
    int64_t kwh = json_integer_value(json_array_get(row, 4));
    cat[ncat] = names[i];
    v[ncat] = (double)kwh;
    lab[ncat] = arena_printf(a, "%s\u00a0kWh, %s %s", count_text(a, kwh),
                             count_text(a, json_integer_value(json_array_get(row, 3))), _("sessions"));
    if (v[ncat] > vmax) vmax = v[ncat];
    ncat++;
  }
  const char *ser[] = {_("Énergie délivrée")};
  return chart_hbars(a, "graphe-charge", _("Énergie délivrée par programme"),
                     _("Diagramme en barres horizontales : l’énergie délivrée par les points de recharge financés de "
                       "chaque programme, en kWh, avec le nombre de sessions. Les chiffres sont dans le tableau qui "
                       "suit."),
                     ncat, cat, 1, ser, v, lab, vmax);
}

/* ----------------------------------------------------------------- pages */

typedef struct dash {
  dfilter f;
  dprog progs[DASH_PROGS_MAX * 4];
  int nprog;
  dcache c;                  /* the figures and, maybe, the rendered body */
  dtable t[6];               /* statuts, mois, cibles, enveloppes, delais, charge */
  dmonth months[DASH_MONTHS_MAX];
  int first_month, nmonth;
} dash;

static void dash_free(void *p) {
  dash *d = p;
  json_decref(d->c.fig);
  for (size_t i = 0; i < ARRAY_SIZE(d->t); i++) json_decref(d->t[i].rows);
}

/* The filters and what the cache holds for them (the rendered body when
** want_html, else the figures), in r's arena. */
static dash *dash_open(req *r, int want_html) {
  dash *d = arena_alloc(r->a, sizeof *d);
  arena_defer(r->a, dash_free, d);
  d->nprog = progs_load(r->a, d->progs, (int)ARRAY_SIZE(d->progs));
  filter_read(r, &d->f, d->progs, d->nprog);
  cache_get(r, &d->f, &d->c, want_html);
  return d;
}

/* The tables, from the figures (computed now when the cache had none). */
static void dash_tables(req *r, dash *d) {
  if (!d->c.fig && d->c.html) cache_get(r, &d->f, &d->c, 0); /* the figures behind a cached body */
  cache_build(r, &d->f, &d->c);
  table_status(&d->f, d->c.fig, d->progs, d->nprog, &d->t[0]);
  table_months(&d->f, d->c.fig, &d->t[1], d->months, &d->first_month, &d->nmonth);
  table_targets(&d->f, d->c.fig, d->progs, d->nprog, &d->t[2]);
  table_envelopes(&d->f, d->progs, d->nprog, &d->t[3]);
  table_delays(d->c.fig, &d->t[4]);
  table_charge(&d->f, d->c.fig, d->progs, d->nprog, &d->t[5]);
}

/* The filter selects, with the current choice selected. */
static void filter_json(const dash *d, json_t *o) {
  json_t *progs = json_array();
  for (int i = 0; i < d->nprog; i++) {
    json_t *p = json_object();
    json_object_set_new(p, "id", json_integer(d->progs[i].id));
    json_object_set_new(p, "name", json_string(d->progs[i].name));
    json_object_set_new(p, "selected", json_boolean(d->progs[i].id == d->f.programme));
    json_array_append_new(progs, p);
  }
  json_t *per = json_array();
  char years[64][16];
  int ny = 0;
  for (int y = ym_now() / 12; y >= first_year() && ny < 64; y--) snprintf(years[ny++], sizeof years[0], "%d", y);
  for (int k = -2; k < ny; k++) {
    const char *v = k == -2 ? "tout" : k == -1 ? "12m" : years[k];
    json_t *p = json_object();
    json_object_set_new(p, "value", json_string(v));
    json_object_set_new(p, "label", json_string(k == -2 ? _("Depuis l’ouverture") : k == -1 ? _("12 derniers mois")
                                                                                       : years[k]));
    json_object_set_new(p, "selected", json_boolean(!strcmp(v, d->f.periode)));
    json_array_append_new(per, p);
  }
  json_object_set_new(o, "programmes", progs);
  json_object_set_new(o, "periodes", per);
}

/* The headline figures: totals of the period. */
static json_t *cards_json(arena *a, const dash *d) {
  json_t *total = json_array_get(d->t[2].rows, json_array_size(d->t[2].rows) - 1);
  int64_t req_n = json_integer_value(json_array_get(total, 1)), asked = json_integer_value(json_array_get(total, 2));
  int64_t com = json_integer_value(json_array_get(total, 3)), pts = json_integer_value(json_array_get(total, 4));
  int64_t paid = json_integer_value(json_array_get(total, 5));
  json_t *c = json_object();
  json_object_set_new(c, "req_n", json_string(count_text(a, req_n)));
  json_object_set_new(c, "req", json_string(euros(a, asked)));
  json_object_set_new(c, "com", json_string(euros(a, com)));
  json_object_set_new(c, "points", json_string(count_text(a, pts)));
  json_object_set_new(c, "paid", json_string(euros(a, paid)));
  json_t *k = json_array();
  json_t *kf = json_object_get(d->c.fig, "kpi");
  for (size_t i = 0; i < ARRAY_SIZE(kpis); i++) {
    json_t *o = json_object_get(kf, kpis[i].key), *x = json_object();
    json_object_set_new(x, "label", json_string(_(kpis[i].label)));
    json_object_set_new(x, "n", json_string(count_text(a, json_integer_value(json_object_get(o, "n")))));
    if (json_object_get(o, "median")) {
      json_object_set_new(x, "median", json_string(one_decimal(a, json_number_value(json_object_get(o, "median")) / 86400)));
      json_object_set_new(x, "p90", json_string(one_decimal(a, json_number_value(json_object_get(o, "p90")) / 86400)));
    }
    json_array_append_new(k, x);
  }
  json_object_set_new(c, "kpis", k);
  return c;
}

/* The charging data's headline figures (the charge table's last row: the
** total, or the one programme chosen), its period, and a link to each
** shown programme's charging-data page. */
static json_t *charge_json(arena *a, const dash *d, const int *shown, int ns) {
  const dtable *t = &d->t[5];
  json_t *last = json_array_get(t->rows, json_array_size(t->rows) - 1), *c = json_object();
  int64_t points = json_integer_value(json_array_get(last, 1));
  json_object_set_new(c, "points", json_string(count_text(a, points)));
  json_object_set_new(c, "dossiers", json_string(count_text(a, json_integer_value(json_array_get(last, 2)))));
  json_object_set_new(c, "sessions", json_string(count_text(a, json_integer_value(json_array_get(last, 3)))));
  json_object_set_new(c, "energy", json_string(count_text(a, json_integer_value(json_array_get(last, 4)))));
  json_t *occ = json_array_get(last, 6), *first = json_array_get(last, 7), *lastday = json_array_get(last, 8);
  if (json_is_number(occ)) json_object_set_new(c, "occupancy", json_string(share_label(a, json_number_value(occ))));
  if (json_is_string(first) && json_is_string(lastday)) {
    json_object_set_new(c, "first_day", json_string(day_label(a, json_string_value(first))));
    json_object_set_new(c, "last_day", json_string(day_label(a, json_string_value(lastday))));
  }
  if (!points) json_object_set_new(c, "no_points", json_true());
  json_t *links = json_array();
  for (int j = 0; j < ns; j++) {
    json_t *l = json_object();
    json_object_set_new(l, "name", json_string(d->progs[shown[j]].name));
    if (j) json_object_set_new(l, "sep", json_true());
    json_object_set_new(l, "href", json_string(arena_printf(a, "/instruction/programmes/%lld/donnees",
                                                            (long long)d->progs[shown[j]].id)));
    json_array_append_new(links, l);
  }
  json_object_set_new(c, "programmes", links);
  return c;
}

/* The page's body (everything but the layout and the admin menu), as
** templates/dashboard_body.html renders it. Returns an arena string. */
static const char *body_html(req *r, dash *d) {
  json_t *o = json_object();
  filter_json(d, o);
  json_object_set_new(o, "cards", cards_json(r->a, d));
  int shown[DASH_PROGS_MAX], ns = shown_progs(&d->f, d->progs, d->nprog, shown);
  const char *names[DASH_PROGS_MAX];
  for (int j = 0; j < ns; j++) names[j] = d->progs[shown[j]].short_name;
  json_t *sections = json_object();
  for (size_t i = 0; i < ARRAY_SIZE(d->t); i++) {
    json_t *t = table_json(r->a, &d->f, &d->t[i]);
    if (i == 1) json_object_set_new(t, "chart", chart_months(r->a, d->first_month, d->nmonth, d->months));
    else if (i == 5) json_object_set_new(t, "chart", chart_charge(r->a, &d->t[i], names, ns));
    else if (i != 4) json_object_set_new(t, "chart", chart_of_table(r->a, &d->t[i], names));
    json_object_set_new(sections, d->t[i].id, t);
  }
  json_object_set_new(o, "tables", sections);
  json_object_set_new(o, "xlsx_all", json_string(export_url(r->a, &d->f, "tout", "xlsx")));
  json_object_set_new(o, "built", json_string(fmt_datetime(r->a, d->c.built_at / 1000, "")));
  json_object_set_new(o, "charge", charge_json(r->a, d, shown, ns));
  buf b = {0};
  http_render_fragment("aid/dashboard_body", o, &b);
  json_decref(o);
  const char *z = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return z;
}

/* A visit reads the body from the cache when it is current: one row, no
** figure to compute, nothing to render but the layout. */
void dashboard_page(req *r) {
  dash *d = dash_open(r, 1);
  const char *html = d->c.html;
  if (!html) {
    dash_tables(r, d);
    html = body_html(r, d);
    cache_put(r, &d->f, &d->c, html);
  }
  json_t *o = json_object();
  json_object_set_new(o, "body", json_string_nocheck(html)); /* our own rendering: valid UTF-8 */
  json_t *nav = json_object();
  json_object_set_new(nav, "dashboard", json_true());
  json_object_set_new(o, "nav", nav);
  res_page(r, 200, "aid/dashboard", o);
}

void dashboard_export(req *r) {
  const char *id = req_query(r, "tableau"), *format = req_query(r, "format");
  dash *d = dash_open(r, 0);
  int fresh = d->c.fig == NULL;
  dash_tables(r, d);
  if (fresh) cache_put(r, &d->f, &d->c, NULL); /* the figures; the next visit renders the body */
  char *name = str_eq(id, "tout") ? arena_printf(r->a, "tableau-de-bord-%s", d->f.periode)
                                  : arena_printf(r->a, "tableau-de-bord-%s-%s", id && strlen(id) < 16 ? id : "", d->f.periode);
  for (char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) *p = '-';
  if (str_eq(id, "tout")) {
    sheet all[ARRAY_SIZE(d->t)];
    for (size_t i = 0; i < ARRAY_SIZE(d->t); i++)
      all[i] = (sheet){d->t[i].title, d->t[i].cols, d->t[i].ncol, d->t[i].rows};
    if (str_eq(format, "xlsx") && sheet_reply(r, format, name, all, (int)ARRAY_SIZE(all)) == 0) return;
  } else {
    for (size_t i = 0; id && i < ARRAY_SIZE(d->t); i++) {
      if (strcmp(id, d->t[i].id)) continue;
      sheet s = {d->t[i].title, d->t[i].cols, d->t[i].ncol, d->t[i].rows};
      if (sheet_reply(r, format, name, &s, 1) == 0) return;
    }
  }
  res_error(r, 404, _("Ce tableau n’existe pas dans ce format : choisissez un lien d’export du tableau de bord."));
}
