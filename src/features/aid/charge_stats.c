/*
** charge_stats.c — what the charging data says (charge.h): figures and
** occupancy charts per point, dossier, programme or for all programmes,
** the tables of a dossier's points and of a programme's dossiers, and the
** synthesis for the dashboard.
**
** Everything here reads the day tables (aid_charge_point_days,
** aid_charge_dossier_days), never the sessions: a programme's page costs
** one row per dossier and day, whatever the number of sessions.
**
** Occupancy is the share of time the points were in use: occupied seconds
** over (points × seconds of the period), the period running from local
** midnight to local midnight (a DST day has 23 or 25 hours). The period of
** a summary is the days from its first to its last day with data.
**
** Charts are SVG drawn by the template from integer coordinates computed
** here (no JavaScript): each bar has a <title> with its figures, and the
** same figures follow as a table for screen readers and copying.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/listing.h"
#include "core/i18n.h"
#include "features/aid/aid.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

/* The chart's viewBox and plot area (SVG user units). */
#define CHART_W 720
#define CHART_H 240
#define PLOT_L 52 /* room for the scale's labels */
#define PLOT_R 8
#define PLOT_T 12
#define PLOT_B 28 /* room for the dates */
#define CHART_WEEKS 53
#define CHART_DAYS 62
#define CHART_LABELS 8 /* dates written under the bars, at most */
#define POINTS_SHOWN 500

int64_t charge_week_of(int64_t day) {
  /* Day 0, 1970-01-01, was a Thursday: (day + 3) mod 7 counts from Monday. */
  int64_t k = (day + 3) % 7;
  if (k < 0) k += 7;
  return day - k;
}

int64_t charge_occupancy_bp(int64_t busy_s, int64_t points, int64_t span_s) {
  if (points <= 0 || span_s <= 0) return -1;
  return busy_s * 10000 / (points * span_s);
}

int64_t charge_scale_top(int64_t max_bp) {
  static const int64_t tops[] = {10, 20, 50, 100, 200, 500, 1000, 2000, 2500, 5000, 7500, 10000};
  for (size_t i = 0; i < ARRAY_SIZE(tops); i++)
    if (max_bp <= tops[i]) return tops[i];
  return 10000;
}

static const char *status_label(const char *code) {
  const char *l = aid_dossier_status_label(code);
  return l ? l : code;
}

/* --------------------------------------------------------------- series */

/* One day of a scope. */
typedef struct dayrow {
  int64_t day;      /* day number (charge.h) */
  int64_t sessions; /* sessions started that day */
  int64_t wh;       /* their energy */
  int64_t busy_s;   /* seconds the scope's points were occupied that day */
} dayrow;

typedef struct series {
  dayrow *a;     /* days with data, ascending */
  size_t n;      /* their number */
  int64_t points; /* points in the scope */
} series;

static int dayrow_cmp(const void *x, const void *y) {
  const dayrow *a = x, *b = y;
  return (a->day > b->day) - (a->day < b->day);
}

/* Days summed in memory, a hash on the day (open addressing, a power of two
** slots, day INT64_MIN when empty). A programme's dossier days come in
** dossier order; grouping them in SQL sorts every row in a temporary
** B-tree (1 s for 2 million rows at 5 million sessions) for a thousand
** distinct days, where this costs the scan (0.15 s). */
typedef struct dayfold {
  dayrow *a;  /* slots */
  size_t cap; /* slots, a power of two */
  size_t n;   /* used */
} dayfold;

static dayrow *fold_slot(dayfold *f, int64_t day) {
  size_t i = (size_t)((uint64_t)day * 0x9E3779B97F4A7C15ull >> 32) & (f->cap - 1);
  while (f->a[i].day != INT64_MIN && f->a[i].day != day) i = (i + 1) & (f->cap - 1);
  return &f->a[i];
}

static void fold_add(dayfold *f, const dayrow *r) {
  if ((f->n + 1) * 2 > f->cap) {
    dayfold old = *f;
    f->cap = old.cap ? old.cap * 2 : 1024;
    f->a = xmalloc(f->cap * sizeof(dayrow));
    for (size_t i = 0; i < f->cap; i++) f->a[i].day = INT64_MIN;
    for (size_t i = 0; i < old.cap; i++)
      if (old.a[i].day != INT64_MIN) *fold_slot(f, old.a[i].day) = old.a[i];
    free(old.a);
  }
  dayrow *e = fold_slot(f, r->day);
  if (e->day == INT64_MIN) {
    *e = *r;
    f->n++;
    return;
  }
  e->sessions += r->sessions;
  e->wh += r->wh;
  e->busy_s += r->busy_s;
}

/* The folded days, ascending, into sr (the slots become its array). */
static void fold_into(dayfold *f, series *sr) {
  size_t k = 0;
  for (size_t i = 0; i < f->cap; i++)
    if (f->a[i].day != INT64_MIN) f->a[k++] = f->a[i];
  qsort(f->a, k, sizeof(dayrow), dayrow_cmp);
  sr->a = f->a;
  sr->n = k;
}

/* Reads the days of a scope. 0 or -1. */
static int series_load(charge_scope scope, int64_t id, series *sr) {
  memset(sr, 0, sizeof *sr);
  db_stmt *s;
  int fold = 0; /* rows are dossier days, summed here (dayfold) */
  switch (scope) {
    case CHARGE_POINT:
      sr->points = 1;
      s = db_query("SELECT day, sessions, energy_wh, busy_s FROM aid_charge_point_days WHERE point_id=? ORDER BY day",
                   "i", id);
      break;
    case CHARGE_DOSSIER:
      sr->points = db_get_int(0, "SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", "i", id);
      s = db_query("SELECT day, sessions, energy_wh, busy_s FROM aid_charge_dossier_days WHERE dossier_id=?"
                   " ORDER BY day", "i", id);
      break;
    case CHARGE_PROGRAMME:
      sr->points = db_get_int(0, "SELECT count(*) FROM aid_charge_points p JOIN aid_dossiers d ON d.id=p.dossier_id"
                                 " WHERE d.programme_id=?", "i", id);
      s = db_query("SELECT dd.day, dd.sessions, dd.energy_wh, dd.busy_s FROM aid_dossiers d"
                   " JOIN aid_charge_dossier_days dd ON dd.dossier_id = d.id WHERE d.programme_id=?", "i", id);
      fold = 1;
      break;
    default:
      sr->points = db_get_int(0, "SELECT count(*) FROM aid_charge_points", "");
      s = db_query("SELECT day, sessions, energy_wh, busy_s FROM aid_charge_dossier_days", "");
      fold = 1;
  }
  size_t cap = 0;
  int rc;
  dayfold f = {NULL, 0, 0};
  while ((rc = db_step(s)) == DB_ROW) {
    if (fold) {
      dayrow d = {db_int(s, 0), db_int(s, 1), db_int(s, 2), db_int(s, 3)};
      fold_add(&f, &d);
      continue;
    }
    if (sr->n == cap) {
      cap = cap ? cap * 2 : 256;
      sr->a = xrealloc(sr->a, cap * sizeof(dayrow));
    }
    sr->a[sr->n++] = (dayrow){db_int(s, 0), db_int(s, 1), db_int(s, 2), db_int(s, 3)};
  }
  db_done(s);
  if (fold) fold_into(&f, sr);
  if (rc != DB_DONE) {
    free(sr->a);
    sr->a = NULL;
    sr->n = 0;
    return -1;
  }
  return 0;
}

/* Seconds from local midnight of day `from` to local midnight after `to`. */
static int64_t span_seconds(int64_t from, int64_t to) {
  int64_t s0, e0, s1, e1;
  charge_day_bounds(from, &s0, &e0);
  charge_day_bounds(to, &s1, &e1);
  return e1 - s0;
}

/* The sums of a series, and the seconds from its first to its last day. */
typedef struct totals {
  int64_t sessions, wh, busy_s; /* sums of the series */
  int64_t span_s;               /* seconds from its first to its last day, 0 if empty */
} totals;

static totals series_totals(const series *sr) {
  totals t = {0, 0, 0, 0};
  for (size_t k = 0; k < sr->n; k++) {
    t.sessions += sr->a[k].sessions;
    t.wh += sr->a[k].wh;
    t.busy_s += sr->a[k].busy_s;
  }
  if (sr->n) t.span_s = span_seconds(sr->a[0].day, sr->a[sr->n - 1].day);
  return t;
}

static const char *dmy(arena *a, int64_t day) {
  char iso[11], out[16];
  charge_day_text(day, iso);
  aid_format_date(out, sizeof out, iso);
  return arena_strdup(a, out);
}

static const char *count_text(arena *a, int64_t n) {
  char t[48];
  charge_format_count(t, sizeof t, n);
  return arena_strdup(a, t);
}

static const char *kwh_text(arena *a, int64_t wh) {
  char t[64];
  charge_format_kwh(t, sizeof t, wh);
  return arena_strdup(a, t);
}

static const char *share_text(arena *a, int64_t bp) {
  char t[32];
  charge_format_share(t, sizeof t, bp);
  return arena_strdup(a, t);
}

/* Hours with one decimal, "1 234,5 h". */
static const char *hours_text(arena *a, int64_t secs) {
  int64_t tenths = (secs + 180) / 360;
  return arena_printf(a, "%s,%lld\xc2\xa0h", count_text(a, tenths / 10), (long long)(tenths % 10));
}

/* The figures of a period as display values. */
static json_t *figures(arena *a, int64_t points, int64_t sessions, int64_t wh, int64_t busy_s, int64_t span_s) {
  json_t *o = json_object();
  json_object_set_new(o, "points", json_string(count_text(a, points)));
  json_object_set_new(o, "sessions", json_string(count_text(a, sessions)));
  json_object_set_new(o, "energy", json_string(kwh_text(a, wh)));
  json_object_set_new(o, "busy", json_string(hours_text(a, busy_s)));
  json_object_set_new(o, "occupancy", json_string(share_text(a, charge_occupancy_bp(busy_s, points, span_s))));
  return o;
}

/* --------------------------------------------------------------- charts */

typedef struct bucket {
  int64_t first, last;           /* days */
  int64_t sessions, wh, busy_s;  /* sums */
  int64_t bp;              /* occupancy */
} bucket;

static json_t *chart_json(arena *a, const series *sr, int by_day) {
  int64_t lastDay = sr->a[sr->n - 1].day, firstDay = sr->a[0].day;
  int64_t unit = by_day ? 1 : 7, n, start;
  if (by_day) {
    n = lastDay - firstDay + 1 < CHART_DAYS ? lastDay - firstDay + 1 : CHART_DAYS;
    start = lastDay - n + 1;
  } else {
    int64_t lw = charge_week_of(lastDay), fw = charge_week_of(firstDay);
    n = (lw - fw) / 7 + 1 < CHART_WEEKS ? (lw - fw) / 7 + 1 : CHART_WEEKS;
    start = lw - (n - 1) * 7;
  }
  bucket *b = xcalloc((size_t)n, sizeof(bucket));
  for (int64_t i = 0; i < n; i++) {
    b[i].first = start + i * unit;
    b[i].last = b[i].first + unit - 1;
  }
  for (size_t k = 0; k < sr->n; k++) {
    int64_t i = (sr->a[k].day - start) / unit;
    if (sr->a[k].day < start || i >= n) continue;
    b[i].sessions += sr->a[k].sessions;
    b[i].wh += sr->a[k].wh;
    b[i].busy_s += sr->a[k].busy_s;
  }
  int64_t maxp = 0;
  for (int64_t i = 0; i < n; i++) {
    b[i].bp = charge_occupancy_bp(b[i].busy_s, sr->points, span_seconds(b[i].first, b[i].last));
    if (b[i].bp > maxp) maxp = b[i].bp;
  }
  int64_t top = charge_scale_top(maxp);
  const int64_t plotW = CHART_W - PLOT_L - PLOT_R, plotH = CHART_H - PLOT_T - PLOT_B;
  json_t *bars = json_array(), *labels = json_array(), *rows = json_array(), *ticks = json_array();
  int64_t every = (n + CHART_LABELS - 1) / CHART_LABELS;
  for (int64_t i = 0; i < n; i++) {
    int64_t x0 = PLOT_L + i * plotW / n, x1 = PLOT_L + (i + 1) * plotW / n;
    int64_t gap = (x1 - x0) >= 6 ? 2 : (x1 - x0) >= 3 ? 1 : 0;
    int64_t span = span_seconds(b[i].first, b[i].last);
    /* From the exact share, not its rounded basis points: small shares
    ** would otherwise come in steps. */
    double share = sr->points > 0 ? (double)b[i].busy_s / ((double)sr->points * (double)span) : 0;
    int64_t h = (int64_t)(share * 10000.0 * (double)plotH / (double)top + 0.5);
    if (h > plotH) h = plotH;
    if (h == 0 && b[i].busy_s > 0) h = 1; /* used, however little: visible */
    const char *when = by_day ? dmy(a, b[i].first) : arena_printf(a, _("semaine du %s"), dmy(a, b[i].first));
    const char *label =
        arena_printf(a, _("%s : %s d’occupation (%s sur %s), %s sessions, %s"), when, share_text(a, b[i].bp),
                     hours_text(a, b[i].busy_s), hours_text(a, span * sr->points), count_text(a, b[i].sessions),
                     kwh_text(a, b[i].wh));
    json_t *bar = json_object();
    json_object_set_new(bar, "x", json_integer(x0 + gap / 2));
    json_object_set_new(bar, "w", json_integer(x1 - x0 - gap > 1 ? x1 - x0 - gap : 1));
    json_object_set_new(bar, "y", json_integer(PLOT_T + plotH - h));
    json_object_set_new(bar, "h", json_integer(h));
    json_object_set_new(bar, "label", json_string(label));
    json_array_append_new(bars, bar);
    if (i % every == 0) {
      json_t *l = json_object();
      json_object_set_new(l, "x", json_integer(x0 + (x1 - x0) / 2));
      char iso[11];
      charge_day_text(b[i].first, iso);
      json_object_set_new(l, "text", json_string(arena_printf(a, "%.2s/%.2s", iso + 8, iso + 5)));
      json_array_append_new(labels, l);
    }
    json_t *row = json_object();
    json_object_set_new(row, "period", json_string(by_day ? dmy(a, b[i].first)
                                                          : arena_printf(a, _("du %s au %s"), dmy(a, b[i].first),
                                                                         dmy(a, b[i].last))));
    json_object_set_new(row, "occupancy", json_string(share_text(a, b[i].bp)));
    json_object_set_new(row, "busy", json_string(hours_text(a, b[i].busy_s)));
    json_object_set_new(row, "sessions", json_string(count_text(a, b[i].sessions)));
    json_object_set_new(row, "energy", json_string(kwh_text(a, b[i].wh)));
    json_array_append_new(rows, row);
  }
  for (int k = 0; k <= 2; k++) {
    json_t *t = json_object();
    int64_t v = top * k / 2;
    json_object_set_new(t, "y", json_integer(PLOT_T + plotH - v * plotH / top));
    json_object_set_new(t, "text", json_string(share_text(a, v)));
    json_array_append_new(ticks, t);
  }
  free(b);
  json_t *c = json_object();
  json_object_set_new(c, "by_day", json_boolean(by_day));
  json_object_set_new(c, "bars", bars);
  json_object_set_new(c, "labels", labels);
  json_object_set_new(c, "ticks", ticks);
  json_object_set_new(c, "rows", rows);
  json_object_set_new(c, "x0", json_integer(PLOT_L));
  json_object_set_new(c, "x1", json_integer(CHART_W - PLOT_R));
  json_object_set_new(c, "base_y", json_integer(CHART_H - PLOT_B));
  json_object_set_new(c, "label_y", json_integer(CHART_H - PLOT_B + 18));
  json_object_set_new(c, "tick_x", json_integer(PLOT_L - 6));
  json_object_set_new(c, "title", json_string(by_day ? arena_printf(a, _("Occupation par jour, du %s au %s"),
                                                                   dmy(a, start), dmy(a, start + n - 1))
                                                     : arena_printf(a, _("Occupation par semaine, du %s au %s"),
                                                                   dmy(a, start), dmy(a, start + n * 7 - 1))));
  return c;
}

int charge_summary_into(arena *a, charge_scope scope, int64_t id, int by_day, json_t *d) {
  series sr;
  if (series_load(scope, id, &sr) != 0) return -1;
  totals t = series_totals(&sr);
  json_t *sum = figures(a, sr.points, t.sessions, t.wh, t.busy_s, t.span_s);
  json_object_set_new(sum, "has_data", json_boolean(sr.n > 0));
  json_object_set_new(sum, "has_points", json_boolean(sr.points > 0));
  if (sr.n) {
    json_object_set_new(sum, "first_day", json_string(dmy(a, sr.a[0].day)));
    json_object_set_new(sum, "last_day", json_string(dmy(a, sr.a[sr.n - 1].day)));
    json_object_set_new(d, "chart", chart_json(a, &sr, by_day));
  }
  json_object_set_new(d, "summary", sum);
  free(sr.a);
  return 0;
}

/* ----------------------------------------------------------------- tables */

int charge_points_into(arena *a, int64_t dossier_id, const char *base, json_t *d) {
  /* The dossier's period, for every point: points compare on the same days. */
  db_stmt *s = db_query("SELECT min(day), max(day) FROM aid_charge_dossier_days WHERE dossier_id=?", "i", dossier_id);
  int64_t first = 0, last = -1;
  if (db_step(s) == DB_ROW && !db_is_null(s, 0)) {
    first = db_int(s, 0);
    last = db_int(s, 1);
  }
  db_done(s);
  int64_t span = last >= first ? span_seconds(first, last) : 0;
  s = db_query("SELECT p.id, p.id_pdc_itinerance, p.nom_station, p.adresse_station, p.puissance_nominale,"
               " coalesce(sum(pd.sessions), 0), coalesce(sum(pd.energy_wh), 0), coalesce(sum(pd.busy_s), 0)"
               " FROM (SELECT * FROM aid_charge_points WHERE dossier_id = ? ORDER BY id_pdc_itinerance LIMIT ?) p"
               " LEFT JOIN aid_charge_point_days pd ON pd.point_id = p.id"
               " GROUP BY p.id ORDER BY p.id_pdc_itinerance",
               "ii", dossier_id, (int64_t)POINTS_SHOWN + 1);
  json_t *list = json_array();
  int rc, n = 0;
  while ((rc = db_step(s)) == DB_ROW) {
    if (++n > POINTS_SHOWN) {
      json_object_set_new(d, "points_more", json_true());
      break;
    }
    json_t *o = figures(a, 1, db_int(s, 5), db_int(s, 6), db_int(s, 7), span);
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "pdc", json_string(db_text(s, 1)));
    json_object_set_new(o, "station", json_string(db_text(s, 2)));
    json_object_set_new(o, "address", json_string(db_text(s, 3)));
    char kw[32];
    snprintf(kw, sizeof kw, "%g", db_double(s, 4));
    for (char *c = kw; *c; c++)
      if (*c == '.') *c = ',';
    json_object_set_new(o, "power", json_string(arena_printf(a, "%s\xc2\xa0kW", kw)));
    json_object_set_new(o, "href", json_string(arena_printf(a, "%s/%lld", base, (long long)db_int(s, 0))));
    json_array_append_new(list, o);
  }
  db_done(s);
  json_object_set_new(d, "pdcs", list);
  return rc == DB_ERROR ? -1 : 0;
}

int charge_dossiers_into(arena *a, int64_t programme_id, int64_t org_id, const char *base, int64_t page, json_t *d) {
  /* The dossiers of the programme or the organisation that declared points. */
#define WITH_POINTS                                                                                   \
  "SELECT DISTINCT dossier_id FROM aid_charge_points WHERE dossier_id IN (SELECT id FROM aid_dossiers" \
  " WHERE (?1 > 0 AND programme_id = ?1) OR (?1 = 0 AND org_id = ?2))"
  int64_t total = db_get_int(-1, "SELECT count(*) FROM (" WITH_POINTS ")", "ii", programme_id, org_id);
  if (total < 0) return -1;
  page = listing_pager(d, total, page, CHARGE_DOSSIERS_PER_PAGE, NULL);
  /* One page of them, then their figures: the sums read only that page's days. */
  const char *sql =
      "WITH pg AS (" WITH_POINTS " ORDER BY dossier_id LIMIT ?3 OFFSET ?4)"
      " SELECT d.id, coalesce(d.number, ''), o.name, d.status, pr.name,"
      " (SELECT count(*) FROM aid_charge_points p WHERE p.dossier_id = d.id), coalesce(s.sessions, 0),"
      " coalesce(s.wh, 0), coalesce(s.busy, 0), s.first, s.last"
      " FROM pg JOIN aid_dossiers d ON d.id = pg.dossier_id JOIN organisations o ON o.id = d.org_id"
      " JOIN aid_programmes pr ON pr.id = d.programme_id"
      " LEFT JOIN (SELECT dossier_id, sum(sessions) AS sessions, sum(energy_wh) AS wh, sum(busy_s) AS busy,"
      "   min(day) AS first, max(day) AS last FROM aid_charge_dossier_days WHERE dossier_id IN"
      "   (SELECT dossier_id FROM pg) GROUP BY dossier_id) s ON s.dossier_id = d.id"
      " ORDER BY d.id";
#undef WITH_POINTS
  db_stmt *s = db_query(sql, "iiii", programme_id, org_id, (int64_t)CHARGE_DOSSIERS_PER_PAGE,
                        (page - 1) * CHARGE_DOSSIERS_PER_PAGE);
  json_t *list = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    int64_t span = db_is_null(s, 9) ? 0 : span_seconds(db_int(s, 9), db_int(s, 10));
    json_t *o = figures(a, db_int(s, 5), db_int(s, 6), db_int(s, 7), db_int(s, 8), span);
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "number", json_string(db_text(s, 1)));
    json_object_set_new(o, "org", json_string(db_text(s, 2)));
    json_object_set_new(o, "status", json_string(status_label(db_text(s, 3))));
    json_object_set_new(o, "programme", json_string(db_text(s, 4)));
    if (!db_is_null(s, 9)) {
      json_object_set_new(o, "first_day", json_string(dmy(a, db_int(s, 9))));
      json_object_set_new(o, "last_day", json_string(dmy(a, db_int(s, 10))));
    }
    json_object_set_new(o, "href", json_string(arena_printf(a, "%s/%lld/donnees", base, (long long)db_int(s, 0))));
    json_array_append_new(list, o);
  }
  db_done(s);
  json_object_set_new(d, "dossiers", list);
  return rc == DB_ERROR ? -1 : 0;
}

/* --------------------------------------------------------------- synthesis */

/* The machine figures of a series into o; dossiers: those with points. */
static void synthesis_put(const series *sr, int64_t dossiers, json_t *o) {
  totals t = series_totals(sr);
  json_object_set_new(o, "points", json_integer(sr->points));
  json_object_set_new(o, "dossiers", json_integer(dossiers));
  json_object_set_new(o, "sessions", json_integer(t.sessions));
  json_object_set_new(o, "energy_kwh", json_real((double)t.wh / 1000.0));
  json_object_set_new(o, "busy_hours", json_real((double)t.busy_s / 3600.0));
  json_object_set_new(o, "occupancy_pct", sr->points && t.span_s ? json_real(100.0 * (double)t.busy_s /
                                                                             ((double)sr->points * (double)t.span_s))
                                                                 : json_null());
  char iso[11];
  if (sr->n) {
    charge_day_text(sr->a[0].day, iso);
    json_object_set_new(o, "first_day", json_string(iso));
    charge_day_text(sr->a[sr->n - 1].day, iso);
    json_object_set_new(o, "last_day", json_string(iso));
  } else {
    json_object_set_new(o, "first_day", json_null());
    json_object_set_new(o, "last_day", json_null());
  }
}

/* Dossiers of a programme that declared points. */
static int64_t programme_dossiers(int64_t id) {
  return db_get_int(0, "SELECT count(DISTINCT p.dossier_id) FROM aid_charge_points p"
                       " JOIN aid_dossiers d ON d.id = p.dossier_id WHERE d.programme_id = ?", "i", id);
}

int charge_synthesis_json(int64_t programme_id, json_t *out) {
  series sr;
  if (programme_id > 0) {
    if (series_load(CHARGE_PROGRAMME, programme_id, &sr) != 0) return -1;
    synthesis_put(&sr, programme_dossiers(programme_id), out);
    free(sr.a);
    return 0;
  }
  /* Every programme, then their sum: every point belongs to a dossier of
  ** one programme, so the whole is the programmes' series added day by
  ** day (cheaper than grouping all the dossier days again: at 5 million
  ** sessions, 0.5 s instead of 1.5 s). */
  json_t *list = json_array();
  series all = {NULL, 0, 0};
  size_t cap = 0;
  int64_t dossiers = 0;
  int rc = 0;
  db_stmt *s = db_query("SELECT id, name FROM aid_programmes ORDER BY id", "");
  json_t *progs = json_array();
  int st;
  while ((st = db_step(s)) == DB_ROW) json_array_append_new(progs, json_pack("{sIss}", "id", (json_int_t)db_int(s, 0),
                                                                             "name", db_text(s, 1)));
  db_done(s);
  if (st != DB_DONE) rc = -1;
  size_t i;
  json_t *o;
  json_array_foreach(progs, i, o) {
    int64_t id = json_integer_value(json_object_get(o, "id"));
    if (rc || series_load(CHARGE_PROGRAMME, id, &sr) != 0) {
      rc = -1;
      break;
    }
    int64_t n = programme_dossiers(id);
    synthesis_put(&sr, n, o);
    json_array_append(list, o);
    dossiers += n;
    all.points += sr.points;
    if (all.n + sr.n > cap) {
      cap = (all.n + sr.n) * 2;
      all.a = xrealloc(all.a, cap * sizeof(dayrow));
    }
    if (sr.n) memcpy(all.a + all.n, sr.a, sr.n * sizeof(dayrow));
    all.n += sr.n;
    free(sr.a);
  }
  json_decref(progs);
  if (!rc) {
    qsort(all.a, all.n, sizeof(dayrow), dayrow_cmp);
    size_t k = 0; /* fold the days the programmes share */
    for (size_t j = 0; j < all.n; j++) {
      if (k && all.a[k - 1].day == all.a[j].day) {
        all.a[k - 1].sessions += all.a[j].sessions;
        all.a[k - 1].wh += all.a[j].wh;
        all.a[k - 1].busy_s += all.a[j].busy_s;
      } else {
        all.a[k++] = all.a[j];
      }
    }
    all.n = k;
    synthesis_put(&all, dossiers, out);
  }
  free(all.a);
  json_object_set_new(out, "programmes", list);
  return rc;
}
