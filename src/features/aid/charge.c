/*
** charge.c — loading charging data (charge.h): the calendar helpers, the
** two loads (IRVE statique points of a dossier, sessions of an
** organisation) on top of core/csvload.h, the import rows that record
** them, and the job that runs big uploads.
**
** A sessions load, per batch (CHARGE_BATCH_ROWS rows first, each next
** batch twice the last up to CHARGE_BATCH_MAX: the file's sessions land
** all over the table's B-tree, so a batch rewrites nearly every page it
** touches, and a few big batches write far less than many small ones:
** at 5.2 M rows, 179k → 444k rows/s, see BENCHMARKS.md):
**   row hook      the point is looked up in a hash of the organisation's
**                 points (loaded once), the row checked (end after start,
**                 length, not in the future) and appended to the batch in
**                 memory; nothing is written yet;
**   before_commit the batch is sorted by (point, start) and inserted in that
**                 order (neighbouring rows land in the same B-tree pages),
**                 each new session added to per-(point, day) and
**                 per-(dossier, day) sums kept in memory, then those sums
**                 are added to the day tables, sorted too, and the import's
**                 counters updated — all inside the batch's transaction.
** So a batch's sessions, its aggregates and the counters that say how far
** the load got are committed together, or not at all.
**
** A session already in the table (same point, same start) is skipped and
** counted as known: that is what makes a job run again after a crash, or a
** file uploaded twice, add nothing twice. A resumed job reads the number of
** rows its first run committed (rows_loaded) and keeps counting from it.
**
** Memory: one loader per run, freed before return: the points hash (about
** 100 bytes a point), the batch (40 bytes a row: 12.8 MB at
** CHARGE_BATCH_MAX) and the sums (48 bytes an entry, at most two per row of
** a batch, in practice one per point or dossier and day met).
*/
#include "features/aid/charge.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/csvload.h"
#include "core/db.h"
#include "core/embed.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/tableschema.h"
#include "features/aid/aid.h"
#include "features/aid/dossier.h"

#define NBSP "\xc2\xa0"
#define SCHEMA_POINTS "features/aid/schemas/irve-statique.json"
#define SCHEMA_SESSIONS "features/aid/schemas/sessions.json"
#define MEMO_SLOTS 512 /* days whose bounds a thread remembers (direct-mapped) */

/* -------------------------------------------------------------- calendar */

int charge_dossier_open(const char *status) {
  static const char *const open[] = {"validee", "justificatifs", "versement", "versee"};
  for (size_t i = 0; status && i < ARRAY_SIZE(open); i++)
    if (!strcmp(status, open[i])) return 1;
  return 0;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* Days from 1970-01-01 to y-m-d: count whole 400-year eras from year 0
** (146,097 days each), then the day of the era with March as the first
** month, so that the leap day is the era-year's last day. */
int64_t charge_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;                                       /* 0..399 */
  int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* 0..146096 */
  return era * 146097 + doe - 719468;
}

/* The inverse of charge_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void charge_day_text(int64_t day, char out[11]) {
  int64_t y;
  unsigned m, d;
  civil_from_days(day, &y, &m, &d);
  snprintf(out, 11, "%04lld-%02u-%02u", (long long)(y < 0 ? 0 : y > 9999 ? 9999 : y), m, d);
}

int64_t charge_day_parse(const char *z) {
  if (!aid_date_valid(z)) return -1;
  return charge_days_from_civil((z[0] - '0') * 1000 + (z[1] - '0') * 100 + (z[2] - '0') * 10 + (z[3] - '0'),
                                (unsigned)((z[5] - '0') * 10 + (z[6] - '0')),
                                (unsigned)((z[8] - '0') * 10 + (z[9] - '0')));
}

/* Local midnight starting day: mktime resolves the zone's offset (and a
** midnight that DST skips). */
static int64_t day_start(int64_t day) {
  int64_t y;
  unsigned m, d;
  civil_from_days(day, &y, &m, &d);
  struct tm tm = {0};
  tm.tm_year = (int)(y - 1900);
  tm.tm_mon = (int)m - 1;
  tm.tm_mday = (int)d;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm);
}

/* Each thread remembers the bounds of the days it met: a load meets the
** same few hundred days millions of times, and mktime costs a microsecond. */
typedef struct memo_slot {
  int64_t day;   /* the day, or INT64_MIN when empty */
  int64_t start; /* its local midnight */
  int64_t end;   /* the next one */
} memo_slot;
static _Thread_local memo_slot t_memo[MEMO_SLOTS];
static _Thread_local int t_memoReady;

void charge_day_bounds(int64_t day, int64_t *start, int64_t *end) {
  if (!t_memoReady) {
    for (int i = 0; i < MEMO_SLOTS; i++) t_memo[i].day = INT64_MIN;
    t_memoReady = 1;
  }
  memo_slot *s = &t_memo[(uint64_t)day % MEMO_SLOTS];
  if (s->day != day) {
    s->start = day_start(day);
    s->end = day_start(day + 1);
    s->day = day;
  }
  *start = s->start;
  *end = s->end;
}

int64_t charge_day_of(int64_t t) {
  /* The local day is the UTC day or one of its neighbours (offsets are
  ** within ±14 h). */
  int64_t d0 = floor_div(t, 86400), s, e;
  for (int k = 0; k < 3; k++) {
    int64_t d = d0 + (k == 0 ? 0 : k == 1 ? -1 : 1);
    charge_day_bounds(d, &s, &e);
    if (t >= s && t < e) return d;
  }
  return d0; /* a zone more than a day off UTC: none exists */
}

int charge_split(int64_t start, int64_t end, charge_slice *out, int max) {
  int n = 0;
  int64_t day = charge_day_of(start), s, e;
  charge_day_bounds(day, &s, &e);
  if (end <= start) {
    if (max > 0) out[n++] = (charge_slice){day, 0};
    return n;
  }
  for (int64_t t = start; t < end && n < max;) {
    int64_t stop = end < e ? end : e;
    out[n++] = (charge_slice){day, stop - t};
    t = stop;
    day++;
    charge_day_bounds(day, &s, &e);
  }
  return n;
}

int64_t charge_wh(double kwh) { return (int64_t)floor(kwh * 1000.0 + 0.5); }

void charge_format_count(char *out, size_t n, int64_t v) {
  char digits[24], g[48];
  snprintf(digits, sizeof digits, "%lld", (long long)v);
  size_t k = 0, len = strlen(digits);
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0) {
      memcpy(g + k, NBSP, 2);
      k += 2;
    }
    g[k++] = digits[i];
  }
  g[k] = 0;
  snprintf(out, n, "%s", g);
}

void charge_format_kwh(char *out, size_t n, int64_t wh) {
  int64_t tenths = (wh + 50) / 100; /* wh >= 0 */
  char g[48];
  charge_format_count(g, sizeof g, tenths / 10);
  snprintf(out, n, "%s,%lld" NBSP "kWh", g, (long long)(tenths % 10));
}

void charge_format_share(char *out, size_t n, int64_t bp) {
  if (bp < 0) snprintf(out, n, "–");
  else aid_format_rate(out, n, bp);
}

/* --------------------------------------------------------------- schemas */

/* A fresh schema for one load (a ts_schema is a validation session). */
static ts_schema *schema_for(charge_kind kind, buf *err) {
  const struct embedded_file *f = embed_find(kind == CHARGE_POINTS ? SCHEMA_POINTS : SCHEMA_SESSIONS);
  if (!f) {
    buf_puts(err, "schéma absent du programme");
    return NULL;
  }
  return ts_schema_parse(f->data, f->size, err);
}

/* ------------------------------------------------------------ hash maps */

static uint64_t hash_str(const char *z) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  while (*z) h = (h ^ (unsigned char)*z++) * 1099511628211ull;
  return h;
}

static uint64_t hash_pair(int64_t a, int64_t b) {
  uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 29);
}

/* A point of the organisation, by id_pdc_itinerance. */
typedef struct pentry {
  const char *pdc;      /* id_pdc_itinerance (in the loader's arena), NULL: empty slot */
  int64_t id;           /* aid_charge_points.id */
  int64_t dossier_id;   /* its dossier */
  int open;             /* the dossier takes data */
  const char *number;   /* the dossier's number, for messages */
  const char *status;   /* its status code */
} pentry;

typedef struct pmap {
  pentry *a;  /* slots, a power of two */
  size_t cap; /* slots */
  size_t n;   /* used */
} pmap;

static pentry *pmap_slot(pmap *m, const char *pdc) {
  size_t i = hash_str(pdc) & (m->cap - 1);
  while (m->a[i].pdc && strcmp(m->a[i].pdc, pdc)) i = (i + 1) & (m->cap - 1);
  return &m->a[i];
}

static void pmap_grow(pmap *m) {
  pmap old = *m;
  m->cap = old.cap ? old.cap * 2 : 1024;
  m->a = xcalloc(m->cap, sizeof(pentry));
  for (size_t i = 0; i < old.cap; i++)
    if (old.a[i].pdc) *pmap_slot(m, old.a[i].pdc) = old.a[i];
  free(old.a);
}

static pentry *pmap_get(pmap *m, const char *pdc) {
  if (!m->cap) return NULL;
  pentry *e = pmap_slot(m, pdc);
  return e->pdc ? e : NULL;
}

/* Inserts (or finds) pdc; the caller fills the entry. pdc must outlive m. */
static pentry *pmap_put(pmap *m, const char *pdc) {
  if ((m->n + 1) * 2 > m->cap) pmap_grow(m);
  pentry *e = pmap_slot(m, pdc);
  if (!e->pdc) {
    e->pdc = pdc;
    m->n++;
  }
  return e;
}

/* Sums of new sessions per (id, day): id is a point or a dossier. */
typedef struct agg {
  int64_t id, day;                /* the key; id 0: empty slot */
  int64_t sessions, wh, busy_s;   /* the sums */
} agg;

typedef struct aggmap {
  agg *a;     /* slots, a power of two */
  size_t cap; /* slots */
  size_t n;   /* used */
} aggmap;

static agg *agg_slot(aggmap *m, int64_t id, int64_t day) {
  size_t i = hash_pair(id, day) & (m->cap - 1);
  while (m->a[i].id && (m->a[i].id != id || m->a[i].day != day)) i = (i + 1) & (m->cap - 1);
  return &m->a[i];
}

static agg *agg_at(aggmap *m, int64_t id, int64_t day) {
  if ((m->n + 1) * 2 > m->cap) {
    aggmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 4096;
    m->a = xcalloc(m->cap, sizeof(agg));
    for (size_t i = 0; i < old.cap; i++)
      if (old.a[i].id) *agg_slot(m, old.a[i].id, old.a[i].day) = old.a[i];
    free(old.a);
  }
  agg *e = agg_slot(m, id, day);
  if (!e->id) {
    e->id = id;
    e->day = day;
    m->n++;
  }
  return e;
}

static int agg_cmp(const void *x, const void *y) {
  const agg *a = x, *b = y;
  if (a->id != b->id) return a->id < b->id ? -1 : 1;
  return a->day < b->day ? -1 : a->day > b->day;
}

/* Adds the sums to a day table (sorted, so that neighbours share pages)
** and empties the map. sql: the table's upsert. 0 or -1. */
static int agg_flush(aggmap *m, const char *sql) {
  if (!m->n) return 0;
  size_t k = 0;
  for (size_t i = 0; i < m->cap; i++)
    if (m->a[i].id) m->a[k++] = m->a[i];
  qsort(m->a, k, sizeof(agg), agg_cmp);
  int rc = 0;
  db_stmt *s = db_prep(sql); /* reset by db_done, reused for every row */
  for (size_t i = 0; i < k && !rc; i++) {
    db_bind_int(s, 1, m->a[i].id);
    db_bind_int(s, 2, m->a[i].day);
    db_bind_int(s, 3, m->a[i].sessions);
    db_bind_int(s, 4, m->a[i].wh);
    db_bind_int(s, 5, m->a[i].busy_s);
    if (db_step(s) != DB_DONE) rc = -1;
    db_done(s);
  }
  memset(m->a, 0, m->cap * sizeof(agg));
  m->n = 0;
  return rc;
}

/* ---------------------------------------------------------------- loader */

/* A session of the open batch. */
typedef struct srow {
  int64_t point_id;   /* aid_charge_points.id */
  int64_t dossier_id; /* the point's dossier, for the dossier's day sums */
  int64_t start, end; /* unix seconds */
  int64_t wh;         /* energy */
} srow;

typedef struct loader {
  int64_t import_id;     /* aid_charge_imports.id */
  charge_kind kind;      /* what is loaded */
  int64_t org_id;        /* the organisation loading */
  int64_t dossier_id;    /* points: their dossier */
  const char *number;    /* points: its number */
  int64_t prior;         /* rows a previous run of this import committed */
  int64_t known;         /* rows of this run already in the database */
  int64_t now;           /* unix time at the start */
  arena *a;              /* strings of the points hash */
  pmap points;           /* sessions: the organisation's points; points: ids seen in the file */
  srow *aRow;            /* sessions: the open batch */
  size_t nRow, nAlloc;   /* its length, allocated */
  aggmap pointDays;      /* sessions: sums per point and day */
  aggmap dossierDays;    /* sessions: sums per dossier and day */
  int iField[40];        /* schema index of each field the loader reads (F_*) */
  char stop[256];        /* why the load could not start, or "" */
} loader;

/* Indexes into iField. */
enum {
  S_PDC, S_START, S_END, S_ENERGY, S_NFIELD
};

/* The IRVE statique fields stored, in the order of the points upsert. */
static const char *const point_fields[] = {
    "id_pdc_itinerance", "id_station_itinerance", "nom_station", "nom_amenageur", "siren_amenageur",
    "nom_operateur", "contact_operateur", "nom_enseigne", "implantation_station", "adresse_station",
    "code_insee_commune", "coordonneesXY", "nbre_pdc", "puissance_nominale", "prise_type_ef",
    "prise_type_2", "prise_type_combo_ccs", "prise_type_chademo", "prise_type_autre", "gratuit",
    "paiement_acte", "paiement_cb", "condition_acces", "reservation", "horaires", "accessibilite_pmr",
    "raccordement", "date_mise_en_service", "date_maj", NULL};
#define P_NFIELD 29
#define P_XY 11 /* coordonneesXY: two columns, lon and lat */

/* Loads the organisation's points into the hash. 0 or -1. */
static int load_points(loader *L) {
  db_stmt *s = db_query("SELECT p.id_pdc_itinerance, p.id, p.dossier_id, coalesce(d.number, ''), d.status"
                        " FROM aid_charge_points p JOIN aid_dossiers d ON d.id = p.dossier_id WHERE p.org_id = ?",
                        "i", L->org_id);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    pentry *e = pmap_put(&L->points, arena_strdup(L->a, db_text(s, 0)));
    e->id = db_int(s, 1);
    e->dossier_id = db_int(s, 2);
    e->number = arena_strdup(L->a, db_text(s, 3));
    e->status = arena_strdup(L->a, db_text(s, 4));
    e->open = charge_dossier_open(e->status);
  }
  db_done(s);
  return rc == DB_DONE ? 0 : -1;
}

/* Unix seconds of a datetime value (µs since the epoch), rounded down. */
static int64_t secs(const ts_value *v) { return floor_div(v->key, 1000000); }

static int session_hook(void *ctx, const csvload_row *row, ts_report *rep) {
  loader *L = ctx;
  const ts_value *v = row->vals;
  const char *pdc = ts_text(&v[L->iField[S_PDC]]);
  pentry *p = pmap_get(&L->points, pdc);
  if (!p) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "point-inconnu",
                  _("le point de recharge « %s » n’est déclaré dans aucune demande de votre organisation : "
                    "déposez d’abord son fichier IRVE statique sur la page des données de la demande"),
                  pdc);
    return CSVLOAD_REJECT;
  }
  if (!p->open) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "demande-close",
                  _("le point de recharge « %s » relève de la demande N° %s, « %s » : elle ne reçoit plus de "
                    "données"),
                  pdc, p->number, aid_dossier_status_label(p->status));
    return CSVLOAD_REJECT;
  }
  const ts_value *vs = &v[L->iField[S_START]], *ve = &v[L->iField[S_END]];
  int64_t start = secs(vs), end = secs(ve);
  if (ve->key < vs->key) {
    ts_report_add(rep, row->line, "end", ts_text(ve), "fin-avant-debut",
                  _("la fin (%s) est antérieure au début (%s)"), ts_text(ve), ts_text(vs));
    return CSVLOAD_REJECT;
  }
  if (end - start > CHARGE_SESSION_MAX_S) {
    ts_report_add(rep, row->line, "end", ts_text(ve), "duree",
                  _("la session dure plus de %d jours (du %s au %s) : vérifiez les dates"),
                  CHARGE_SESSION_MAX_S / 86400, ts_text(vs), ts_text(ve));
    return CSVLOAD_REJECT;
  }
  if (start > L->now + CHARGE_FUTURE_S) {
    ts_report_add(rep, row->line, "start", ts_text(vs), "futur",
                  _("la session commence dans le futur (%s)"), ts_text(vs));
    return CSVLOAD_REJECT;
  }
  if (L->nRow == L->nAlloc) {
    L->nAlloc = L->nAlloc ? L->nAlloc * 2 : 1024;
    L->aRow = xrealloc(L->aRow, L->nAlloc * sizeof(srow));
  }
  L->aRow[L->nRow++] = (srow){p->id, p->dossier_id, start, end, charge_wh(v[L->iField[S_ENERGY]].r)};
  return CSVLOAD_STORED;
}

static int srow_cmp(const void *x, const void *y) {
  const srow *a = x, *b = y;
  if (a->point_id != b->point_id) return a->point_id < b->point_id ? -1 : 1;
  return a->start < b->start ? -1 : a->start > b->start;
}

/* Records how far the load got: stored rows (those of the batch about to
** commit included), of which `known` were already in the database. A
** resumed run meets the rows its first run committed again, as known:
** they count as loaded by this import, not as already there. Also moves
** the change marker (charge.h), in the batch's transaction. */
static int save_progress(loader *L, int64_t stored, const csvload_result *res) {
  int64_t fresh = L->prior + stored - L->known;
  if (fresh > stored) fresh = stored; /* rows of the first run deleted since: cannot tell */
  int64_t known = L->known > L->prior ? L->known - L->prior : 0;
  return db_run("UPDATE aid_charge_imports SET rows_read=?, rows_loaded=?, rows_known=?, rows_rejected=?,"
                " bytes_read=? WHERE id=?",
                "iiiiii", res->rows_read, fresh, known, res->rows_rejected, res->bytes_read,
                L->import_id) == DB_DONE &&
                 db_run("UPDATE aid_charge_marker SET n = n + 1", "") == DB_DONE /* charge.h */
             ? 0
             : -1;
}

#define POINT_DAYS_UPSERT                                                                        \
  "INSERT INTO aid_charge_point_days(point_id, day, sessions, energy_wh, busy_s) VALUES(?,?,?,?,?)" \
  " ON CONFLICT(point_id, day) DO UPDATE SET"                                                     \
  " sessions = aid_charge_point_days.sessions + excluded.sessions,"                               \
  " energy_wh = aid_charge_point_days.energy_wh + excluded.energy_wh,"                            \
  " busy_s = aid_charge_point_days.busy_s + excluded.busy_s"
#define DOSSIER_DAYS_UPSERT                                                                          \
  "INSERT INTO aid_charge_dossier_days(dossier_id, day, sessions, energy_wh, busy_s) VALUES(?,?,?,?,?)" \
  " ON CONFLICT(dossier_id, day) DO UPDATE SET"                                                       \
  " sessions = aid_charge_dossier_days.sessions + excluded.sessions,"                                 \
  " energy_wh = aid_charge_dossier_days.energy_wh + excluded.energy_wh,"                              \
  " busy_s = aid_charge_dossier_days.busy_s + excluded.busy_s"

/* Writes the batch's sessions and their day sums (see the top). */
static int session_commit(void *ctx, const csvload_result *res) {
  loader *L = ctx;
  if (L->nRow > 1) qsort(L->aRow, L->nRow, sizeof(srow), srow_cmp);
  int rc = 0;
  charge_slice sl[CHARGE_SESSION_MAX_S / 86400 + 2];
  /* Prepared once for the batch (db_done resets it): looking a statement
  ** up in the cache hashes its whole text. */
  db_stmt *s = db_prep("INSERT INTO aid_charge_sessions(point_id, start_at, end_at, energy_wh) VALUES(?,?,?,?)"
                       " ON CONFLICT(point_id, start_at) DO NOTHING");
  for (size_t i = 0; i < L->nRow && !rc; i++) {
    const srow *w = &L->aRow[i];
    db_bind_int(s, 1, w->point_id);
    db_bind_int(s, 2, w->start);
    db_bind_int(s, 3, w->end);
    db_bind_int(s, 4, w->wh);
    int st = db_step(s);
    db_done(s);
    if (st != DB_DONE) {
      rc = -1;
      break;
    }
    if (db_changes() == 0) {
      L->known++;
      continue;
    }
    int n = charge_split(w->start, w->end, sl, (int)ARRAY_SIZE(sl));
    for (int k = 0; k < n; k++) {
      agg *pa = agg_at(&L->pointDays, w->point_id, sl[k].day);
      agg *da = agg_at(&L->dossierDays, w->dossier_id, sl[k].day);
      pa->busy_s += sl[k].busy_s;
      da->busy_s += sl[k].busy_s;
      if (k == 0) { /* counted on the day it starts */
        pa->sessions++;
        pa->wh += w->wh;
        da->sessions++;
        da->wh += w->wh;
      }
    }
  }
  L->nRow = 0;
  if (!rc) rc = agg_flush(&L->pointDays, POINT_DAYS_UPSERT);
  if (!rc) rc = agg_flush(&L->dossierDays, DOSSIER_DAYS_UPSERT);
  if (!rc) rc = save_progress(L, res->rows_valid, res);
  return rc;
}

static int point_commit(void *ctx, const csvload_result *res) {
  loader *L = ctx;
  return save_progress(L, res->rows_valid, res);
}

/* Binds the typed value of an IRVE field (NULL when missing). */
static void bind_value(db_stmt *s, int k, const ts_value *v) {
  switch (v->kind) {
    case TS_VNULL: db_bind_null(s, k); break;
    case TS_VINT: db_bind_int(s, k, v->i); break;
    case TS_VREAL: db_bind_double(s, k, v->r); break;
    case TS_VTEXT: db_bind_textn(s, k, ts_text(v), v->n); break;
  }
}

#define POINT_COLS                                                                                     \
  "id_pdc_itinerance, id_station_itinerance, nom_station, nom_amenageur, siren_amenageur, nom_operateur," \
  " contact_operateur, nom_enseigne, implantation_station, adresse_station, code_insee_commune, lon, lat," \
  " nbre_pdc, puissance_nominale, prise_type_ef, prise_type_2, prise_type_combo_ccs, prise_type_chademo,"   \
  " prise_type_autre, gratuit, paiement_acte, paiement_cb, condition_acces, reservation, horaires,"         \
  " accessibilite_pmr, raccordement, date_mise_en_service, date_maj"

static int point_hook(void *ctx, const csvload_row *row, ts_report *rep) {
  loader *L = ctx;
  const ts_value *v = row->vals;
  const char *pdc = ts_text(&v[L->iField[0]]);
  /* The schema lets a row name several points, or none ("Non concerné"):
  ** a funded point needs its own identifier. */
  if (strchr(pdc, ',') || !strcmp(pdc, "Non concerné")) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "identifiant",
                  _("chaque point de recharge financé a son propre identifiant (ni liste, ni « Non concerné »)"));
    return CSVLOAD_REJECT;
  }
  pentry *seen = pmap_get(&L->points, pdc);
  if (seen) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "doublon",
                  _("le point de recharge « %s » figure déjà à la ligne %lld du fichier"), pdc, (long long)seen->id);
    return CSVLOAD_REJECT;
  }
  db_stmt *q = db_query("SELECT p.dossier_id, p.org_id, coalesce(d.number, '') FROM aid_charge_points p"
                        " JOIN aid_dossiers d ON d.id = p.dossier_id WHERE p.id_pdc_itinerance = ?", "t", pdc);
  int exists = 0, other = 0;
  char number[32] = "";
  if (db_step(q) == DB_ROW) {
    exists = 1;
    if (db_int(q, 0) != L->dossier_id) {
      other = db_int(q, 1) == L->org_id ? 1 : 2;
      snprintf(number, sizeof number, "%s", db_text(q, 2));
    }
  }
  db_done(q);
  if (other == 1) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "autre-demande",
                  _("le point de recharge « %s » est déjà déclaré dans votre demande N° %s : un point n’est "
                    "financé que par une demande"), pdc, number);
    return CSVLOAD_REJECT;
  }
  if (other == 2) {
    ts_report_add(rep, row->line, "id_pdc_itinerance", pdc, "autre-demande",
                  _("le point de recharge « %s » est déjà déclaré par un autre bénéficiaire : vérifiez son "
                    "identifiant, ou écrivez à l’instructeur"), pdc);
    return CSVLOAD_REJECT;
  }
  db_stmt *s = db_prep("INSERT INTO aid_charge_points(" POINT_COLS ", dossier_id, org_id, created_at, updated_at)"
                       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                       " ON CONFLICT(id_pdc_itinerance) DO UPDATE SET"
                       " id_station_itinerance=excluded.id_station_itinerance, nom_station=excluded.nom_station,"
                       " nom_amenageur=excluded.nom_amenageur, siren_amenageur=excluded.siren_amenageur,"
                       " nom_operateur=excluded.nom_operateur, contact_operateur=excluded.contact_operateur,"
                       " nom_enseigne=excluded.nom_enseigne, implantation_station=excluded.implantation_station,"
                       " adresse_station=excluded.adresse_station, code_insee_commune=excluded.code_insee_commune,"
                       " lon=excluded.lon, lat=excluded.lat, nbre_pdc=excluded.nbre_pdc,"
                       " puissance_nominale=excluded.puissance_nominale, prise_type_ef=excluded.prise_type_ef,"
                       " prise_type_2=excluded.prise_type_2, prise_type_combo_ccs=excluded.prise_type_combo_ccs,"
                       " prise_type_chademo=excluded.prise_type_chademo, prise_type_autre=excluded.prise_type_autre,"
                       " gratuit=excluded.gratuit, paiement_acte=excluded.paiement_acte,"
                       " paiement_cb=excluded.paiement_cb, condition_acces=excluded.condition_acces,"
                       " reservation=excluded.reservation, horaires=excluded.horaires,"
                       " accessibilite_pmr=excluded.accessibilite_pmr, raccordement=excluded.raccordement,"
                       " date_mise_en_service=excluded.date_mise_en_service, date_maj=excluded.date_maj,"
                       " updated_at=excluded.updated_at"
                       " WHERE aid_charge_points.dossier_id = excluded.dossier_id");
  int k = 1;
  for (int i = 0; i < P_NFIELD; i++) {
    const ts_value *fv = &v[L->iField[i]];
    if (i == P_XY) {
      db_bind_double(s, k++, fv->lon);
      db_bind_double(s, k++, fv->lat);
    } else {
      bind_value(s, k++, fv);
    }
  }
  db_bind_int(s, k++, L->dossier_id);
  db_bind_int(s, k++, L->org_id);
  db_bind_int(s, k++, L->now);
  db_bind_int(s, k++, L->now);
  int rc = db_step(s);
  db_done(s);
  if (rc != DB_DONE) return CSVLOAD_ABORT;
  if (exists) L->known++;
  pentry *e = pmap_put(&L->points, arena_strdup(L->a, pdc));
  e->id = row->line; /* for the duplicate's message */
  return CSVLOAD_STORED;
}

/* ---------------------------------------------------------------- imports */

int64_t charge_import_new(charge_kind kind, int64_t org_id, int64_t dossier_id, int64_t uid, const char *source,
                          const char *filename, int64_t size) {
  int64_t now = now_unix();
  int64_t id = db_insert("INSERT INTO aid_charge_imports(org_id, dossier_id, user_id, kind, source, filename, size,"
                         " status, created_at) VALUES(?, nullif(?, 0), nullif(?, 0), ?, ?, ?, ?, 'queued', ?)",
                         NULL, "iiitttii", org_id, dossier_id, uid, kind == CHARGE_POINTS ? "points" : "sessions",
                         source, filename ? filename : "", size, now);
  if (id <= 0) return -1;
  /* The watch: a load run in a request that a crash interrupts would
  ** otherwise stay "en cours" for ever (see charge_load_job). */
  json_t *payload = json_pack("{sI}", "import", (json_int_t)id);
  int64_t job = job_enqueue("aid.charge.load", payload, now + CHARGE_WATCH_S);
  json_decref(payload);
  return job > 0 ? id : -1;
}

/* A CSV cell: always quoted, quotes doubled. */
static void csv_cell(buf *b, const char *z, size_t n) {
  buf_putc(b, '"');
  for (size_t i = 0; i < n; i++) {
    if (z[i] == '"') buf_putc(b, '"');
    buf_putc(b, z[i]);
  }
  buf_putc(b, '"');
}

static void csv_json_value(buf *b, json_t *v) {
  char num[40];
  switch (json_typeof(v)) {
    case JSON_STRING: csv_cell(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
      snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
      buf_puts(b, num);
      break;
    case JSON_REAL:
      snprintf(num, sizeof num, "%.15g", json_real_value(v));
      buf_puts(b, num);
      break;
    case JSON_TRUE: buf_puts(b, "true"); break;
    case JSON_FALSE: buf_puts(b, "false"); break;
    case JSON_NULL: break;
    default: {
      char *z = json_dumps(v, JSON_COMPACT);
      if (z) csv_cell(b, z, strlen(z));
      free(z);
    }
  }
}

int charge_json_csv(charge_kind kind, json_t *rows, buf *out) {
  buf err = {0};
  ts_schema *s = schema_for(kind, &err);
  buf_free(&err);
  if (!s) return -1;
  /* Columns: the schema's fields, then unknown keys in order of appearance. */
  json_t *cols = json_array(), *seen = json_object();
  for (size_t i = 0; i < ts_schema_nfield(s); i++) {
    json_array_append_new(cols, json_string(ts_field_name(s, i)));
    json_object_set_new(seen, ts_field_name(s, i), json_true());
  }
  ts_schema_free(s);
  size_t i, k;
  json_t *row, *col;
  json_array_foreach(rows, i, row) {
    const char *key;
    json_t *val;
    if (!json_is_object(row)) continue;
    json_object_foreach(row, key, val) {
      if (json_object_get(seen, key)) continue;
      json_object_set_new(seen, key, json_true());
      json_array_append_new(cols, json_string(key));
    }
  }
  json_array_foreach(cols, k, col) {
    if (k) buf_putc(out, ',');
    csv_cell(out, json_string_value(col), json_string_length(col));
  }
  buf_puts(out, "\n");
  json_array_foreach(rows, i, row) {
    json_array_foreach(cols, k, col) {
      if (k) buf_putc(out, ',');
      json_t *v = json_is_object(row) ? json_object_get(row, json_string_value(col)) : NULL;
      if (v) csv_json_value(out, v);
    }
    buf_puts(out, "\n");
  }
  json_decref(cols);
  json_decref(seen);
  return 0;
}

const char *charge_spool_dir(arena *a) { return arena_printf(a, "%s/charge", config_str("data_dir")); }

/* Marks the import finished. After a complete read every counter is
** exact; after a stop, those the last committed batch saved stay, and only
** the rows read and refused are brought up to date. res may be NULL (the
** load could not start). */
static int finish(loader *L, const csvload_result *res, const char *error) {
  buf rep = {0};
  int failed = error && *error, rc = 0;
  if (res) {
    ts_report_json(&res->report, &rep);
    if (!failed)
      rc = save_progress(L, res->rows_loaded, res);
    else if (db_run("UPDATE aid_charge_imports SET rows_read=?, rows_rejected=? WHERE id=?", "iii", res->rows_read,
                    res->rows_rejected, L->import_id) != DB_DONE)
      rc = -1;
  }
  if (!rc && db_run("UPDATE aid_charge_imports SET status=?, error=?, report=?, finished_at=? WHERE id=?", "tttii",
                    failed ? "failed" : "done", error ? error : "", buf_str(&rep), now_unix(),
                    L->import_id) != DB_DONE)
    rc = -1;
  buf_free(&rep);
  return rc;
}

static void loader_free(loader *L) {
  free(L->points.a);
  free(L->aRow);
  free(L->pointDays.a);
  free(L->dossierDays.a);
  if (L->a) arena_free(L->a);
}

/* Reads the import row and prepares the loader. 1 ready, 0 nothing to do
** (already finished), -1 database error. L->stop says why a load cannot
** start (then finish() records it). */
static int loader_init(loader *L, int64_t id) {
  memset(L, 0, sizeof *L);
  L->import_id = id;
  L->now = now_unix();
  L->a = arena_new();
  db_stmt *s = db_query("SELECT i.kind, i.org_id, coalesce(i.dossier_id, 0), i.status, i.rows_loaded,"
                        " coalesce(d.status, ''), coalesce(d.number, ''), coalesce(d.org_id, 0)"
                        " FROM aid_charge_imports i LEFT JOIN aid_dossiers d ON d.id = i.dossier_id WHERE i.id = ?",
                        "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return 0;
  }
  L->kind = !strcmp(db_text(s, 0), "points") ? CHARGE_POINTS : CHARGE_SESSIONS;
  L->org_id = db_int(s, 1);
  L->dossier_id = db_int(s, 2);
  const char *status = db_text(s, 3);
  int finished = !strcmp(status, "done") || !strcmp(status, "failed");
  L->prior = !strcmp(status, "running") ? db_int(s, 4) : 0;
  char dstatus[24];
  snprintf(dstatus, sizeof dstatus, "%s", db_text(s, 5));
  L->number = arena_strdup(L->a, db_text(s, 6));
  int64_t dorg = db_int(s, 7);
  db_done(s);
  if (finished) return 0;
  if (L->kind == CHARGE_POINTS && (dorg != L->org_id || !charge_dossier_open(dstatus)))
    snprintf(L->stop, sizeof L->stop, _("La demande N° %s est « %s » : elle ne reçoit pas de données de charge."),
             L->number, dstatus[0] ? aid_dossier_status_label(dstatus) : "?");
  if (db_run("UPDATE aid_charge_imports SET status='running', started_at=coalesce(started_at, ?) WHERE id=?", "ii",
             L->now, id) != DB_DONE)
    return -1;
  if (L->kind == CHARGE_SESSIONS && load_points(L) != 0) return -1;
  return 1;
}

int charge_import_run(int64_t import_id, const char *path, const char *data, size_t n) {
  loader L;
  int rc = loader_init(&L, import_id);
  if (rc <= 0) {
    loader_free(&L);
    return rc;
  }
  if (L.stop[0]) {
    rc = finish(&L, NULL, L.stop) == 0 ? 1 : -1;
    loader_free(&L);
    return rc;
  }
  buf err = {0};
  ts_schema *schema = schema_for(L.kind, &err);
  if (!schema) { /* the embedded schema is part of the build: a bug */
    log_error("charge", "schéma : %s", buf_str(&err));
    finish(&L, NULL, _("Le schéma de validation est indisponible : signalez-le à l’administrateur."));
    buf_free(&err);
    loader_free(&L);
    return -1;
  }
  buf_free(&err);
  if (L.kind == CHARGE_POINTS) {
    for (int i = 0; i < P_NFIELD; i++) L.iField[i] = ts_field_index(schema, point_fields[i]);
  } else {
    static const char *const names[S_NFIELD] = {"id_pdc_itinerance", "start", "end", "energy"};
    for (int i = 0; i < S_NFIELD; i++) L.iField[i] = ts_field_index(schema, names[i]);
  }
  csvload_opts o = {.path = path,
                    .data = data,
                    .ndata = n,
                    .schema = schema,
                    .row_hook = L.kind == CHARGE_POINTS ? point_hook : session_hook,
                    .before_commit = L.kind == CHARGE_POINTS ? point_commit : session_commit,
                    .ctx = &L,
                    .batch_rows = CHARGE_BATCH_ROWS,
                    .batch_rows_max = CHARGE_BATCH_MAX,
                    .max_issues = TS_REPORT_MAX,
                    .max_bytes = CHARGE_INFLATE_MAX};
  csvload_result res;
  csvload_run(&o, &res);
  const char *why = NULL;
  rc = 0;
  switch (res.status) {
    case CSVLOAD_OK: break;
    case CSVLOAD_EINPUT:
    case CSVLOAD_EHEADER:
      why = arena_printf(L.a, _("Le fichier n’a pas pu être lu jusqu’au bout : %s."), res.error);
      rc = 1;
      break;
    default:
      why = arena_printf(L.a, _("Le chargement s’est arrêté sur une erreur du serveur (%s). Les lots déjà "
                                "chargés sont conservés : déposez à nouveau le fichier, rien ne sera compté "
                                "deux fois."),
                         res.error);
      rc = -1;
  }
  if (finish(&L, &res, why) != 0) rc = -1;
  csvload_result_free(&res);
  ts_schema_free(schema);
  loader_free(&L);
  return rc;
}

int charge_load_job(json_t *payload, char **err) {
  int64_t id = json_integer_value(json_object_get(payload, "import"));
  if (id <= 0) return 0; /* nothing to do with a malformed payload */
  arena *a = arena_new();
  const char *path = arena_printf(a, "%s/import-%lld.csv", charge_spool_dir(a), (long long)id);
  int rc;
  if (access(path, R_OK) != 0) {
    /* Already finished and removed, or lost: record it unless finished. */
    rc = db_run("UPDATE aid_charge_imports SET status='failed', finished_at=?, error=? WHERE id=?"
                " AND status IN ('queued', 'running')",
                "iti", now_unix(), _("Le fichier déposé est introuvable : déposez-le à nouveau."), id) == DB_DONE
             ? 0
             : -1;
  } else {
    rc = charge_import_run(id, path, NULL, 0);
    if (rc >= 0) unlink(path);
  }
  if (rc < 0) *err = xstrdup("database error while loading charging data");
  arena_free(a);
  return rc < 0 ? -1 : 0;
}
