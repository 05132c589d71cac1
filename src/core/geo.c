/*
** geo.c — the geographic core behind geo.h.
**
** Storage. A feature is one row of geo_features (migration 003_geo.sql):
** its layer, the source's identifier and properties, and its geometry as
** 2D little-endian WKB in Lambert-93, valid by GEOS's rules (invalid input
** never gets in). Each feature has one row with the same id in geo_rtree,
** an SQLite R*Tree over its bounding box, inserted here in the same
** transaction and deleted by a trigger. The R*Tree is SQLite's own: this
** file is the interface behind which a PostGIS backend (geometry column,
** GiST index, ST_DWithin/ST_Covers) would go, and no other file touches
** these two tables.
**
** Invariants.
**   - Features are immutable: an import inserts, a replace or layer delete
**     deletes; nothing updates a geometry.
**   - Committed ids are never reused (AUTOINCREMENT). So a geometry cached
**     under an id can never be the wrong one, only one that no query finds
**     any more. (A rolled-back import does give its ids back: the only
**     thread that could have cached them is the one that imported, inside
**     the caller's transaction, and it empties its cache once that ends.)
**   - R*Tree boxes are float32 rounded outwards by SQLite: they contain the
**     geometry, so "distance to the box" is a lower bound of the true one.
**
** Threads. Each thread has, on first use, a GEOS context (reentrant *_r
** API only: GEOS_USE_ONLY_R_API), a PROJ context with networking off and a
** small cache of transforms per (from, to) EPSG pair, and a cache of parsed
** geometries by feature id (open addressing, flushed whole when it passes
** its coordinate budget or when the global generation, bumped by every
** import or delete in this process, moved: a memory matter, not a
** correctness one, given the invariants above). A pthread key frees all of
** it when the thread ends. A cache entry pointer is valid until the next
** cache_get() of the same thread.
**
** Cost. geo_nearest: one R*Tree query per round (the square starts at
** 100 m and doubles until the best distance found fits in it, so a hit
** within 100 m costs one round), candidates sorted by distance to their box
** and measured exactly (GEOSDistance, or the prepared, indexed distance
** for geometries over 32 coordinates) only while that lower bound can still
** win. With a warm cache no WKB is parsed. Imports: one proj_trans and a
** GEOS validity check per geometry, one INSERT pair per feature.
*/
#define GEOS_USE_ONLY_R_API
#include "core/geo.h"

#include <assert.h>
#include <errno.h>
#include <geos_c.h>
#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <csv.h>

#include "core/db.h"
#include "core/log.h"
#include "core/util.h"

#define PJ_CACHE 16                   /* transforms kept per thread (pairs) */
#define PREPARE_MIN_COORDS 32         /* below this a plain distance is faster */
#define NEAREST_R0 100.0              /* first search square half-side, metres */
#define PROPS_MAX (256 * 1024)        /* properties of one feature, JSON bytes */
#define GEOJSON_FILE_MAX (256u << 20) /* geo_cli_import: GeoJSON file size cap */
#define CSV_BLOCK 65536               /* CSV bytes read at a time */
#define CSV_FIELD_MAX (1u << 20)      /* one CSV field (libcsv's buffer) */
#define CSV_COLS_MAX 1000             /* columns in a CSV row */
#define L93_FAR 1e7                   /* |x|, |y| beyond this (10,000 km) is a CRS mistake */
#define MSG_ID_MAX 60                 /* bytes of an identifier quoted in a message */

enum { GK_POINT = 1, GK_LINE = 2, GK_POLYGON = 3 };
_Static_assert((int)GK_POINT == (int)GEO_POINT && (int)GK_LINE == (int)GEO_LINE && (int)GK_POLYGON == (int)GEO_POLYGON,
               "geo_shape.kind is the stored kind");
static const char *const kind_name[] = {"", "point", "line", "polygon"};

/* ------------------------------------------------------------ per thread */

typedef struct gent {
  int64_t id;                      /* feature id; 0 marks an empty slot */
  GEOSGeometry *g;                 /* the geometry, Lambert-93 */
  const GEOSPreparedGeometry *pg;  /* prepared from g on first need, or NULL */
  char *ext_id;                    /* copy of geo_features.ext_id, or NULL */
  int kind;                        /* GK_* */
  int ncoord;                      /* coordinates in g (the cache's budget unit) */
} gent;

typedef struct gpj {
  int from, to;                    /* EPSG codes; from == 0 marks an empty slot */
  PJ *p;                           /* the transform, or NULL: known not to exist */
} gpj;

typedef struct cand {
  int64_t id;                      /* feature id */
  double lb;                       /* distance from the query to its box */
} cand;

typedef struct gthread {
  GEOSContextHandle_t h;           /* GEOS context */
  GEOSWKBReader *wkbr;             /* WKB reader (cache misses) */
  GEOSWKBWriter *wkbw;             /* WKB writer (imports), 2D little-endian */
  GEOSWKTReader *wktr;             /* WKT reader (CSV), created on first need */
  PJ_CONTEXT *pjc;                 /* PROJ context */
  gpj aPj[PJ_CACHE];               /* transforms by EPSG pair */
  int iPjNext;                     /* next slot to evict when aPj is full */
  gent *aEnt;                      /* geometry cache, nSlot slots */
  size_t nSlot;                    /* power of two, 0 before the first insert */
  size_t nEnt;                     /* slots in use */
  size_t nCoord;                   /* coordinates held by the cache */
  uint64_t gen;                    /* g_gen when the cache was last emptied */
  cand *aCand;                     /* query scratch */
  size_t nCandAlloc;               /* its capacity */
  int busy;                        /* in a query: a filter may not query again */
  int walking;                     /* in geo_layer_each: its callback may not walk again */
  int txDirty;                     /* changed layers in the caller's open transaction */
  char zErr[256];                  /* GEOS's last error message */
} gthread;

static _Thread_local gthread *t_geo;        /* this thread's state */
static pthread_key_t g_key;                 /* same pointer: freed at thread exit */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t g_gen = 1;          /* bumped when any layer changes */
static _Atomic size_t g_cache_limit = 250000; /* coordinates per thread cache */

static void gthread_free(gthread *t);
static void key_destructor(void *p) { gthread_free(p); }
static void key_init(void) { pthread_key_create(&g_key, key_destructor); }

static void geos_error(const char *msg, void *arg) {
  gthread *t = arg;
  snprintf(t->zErr, sizeof t->zErr, "%s", msg);
}
static void geos_notice(const char *msg, void *arg) {
  UNUSED(msg);
  UNUSED(arg);
}

static gthread *gt(void) {
  if (t_geo) return t_geo;
  gthread *t = xcalloc(1, sizeof(*t));
  t->h = GEOS_init_r();
  if (!t->h) abort();
  GEOSContext_setErrorMessageHandler_r(t->h, geos_error, t);
  GEOSContext_setNoticeMessageHandler_r(t->h, geos_notice, t);
  t->wkbr = GEOSWKBReader_create_r(t->h);
  t->wkbw = GEOSWKBWriter_create_r(t->h);
  GEOSWKBWriter_setOutputDimension_r(t->h, t->wkbw, 2);
  GEOSWKBWriter_setByteOrder_r(t->h, t->wkbw, GEOS_WKB_NDR);
  t->pjc = proj_context_create();
  if (!t->pjc) abort();
  proj_context_set_enable_network(t->pjc, 0);
  proj_log_level(t->pjc, PJ_LOG_NONE);
  t_geo = t;
  pthread_once(&g_once, key_init);
  pthread_setspecific(g_key, t);
  return t;
}

static void cache_clear(gthread *t) {
  for (size_t i = 0; i < t->nSlot; i++) {
    gent *e = &t->aEnt[i];
    if (!e->id) continue;
    if (e->pg) GEOSPreparedGeom_destroy_r(t->h, e->pg);
    GEOSGeom_destroy_r(t->h, e->g);
    free(e->ext_id);
    memset(e, 0, sizeof(*e));
  }
  t->nEnt = 0;
  t->nCoord = 0;
}

static void gthread_free(gthread *t) {
  if (!t) return;
  cache_clear(t);
  free(t->aEnt);
  free(t->aCand);
  for (int i = 0; i < PJ_CACHE; i++)
    if (t->aPj[i].p) proj_destroy(t->aPj[i].p);
  proj_context_destroy(t->pjc);
  if (t->wktr) GEOSWKTReader_destroy_r(t->h, t->wktr);
  GEOSWKBReader_destroy_r(t->h, t->wkbr);
  GEOSWKBWriter_destroy_r(t->h, t->wkbw);
  GEOS_finish_r(t->h);
  free(t);
  if (t_geo == t) t_geo = NULL;
}

void geo_thread_close(void) {
  gthread *t = t_geo;
  if (!t) return;
  pthread_setspecific(g_key, NULL);
  gthread_free(t);
}

void geo_set_cache_limit(size_t ncoords) { atomic_store(&g_cache_limit, ncoords); }

static void gen_bump(void) { atomic_fetch_add(&g_gen, 1); }

/* -------------------------------------------------------------- transforms */

/* The transform from -> to for this thread (normalised: x = lon/easting),
** created on first use; NULL if PROJ does not know it. */
static PJ *pj_get(gthread *t, int from, int to) {
  if (from <= 0 || to <= 0) return NULL; /* and from == 0 marks empty slots */
  for (int i = 0; i < PJ_CACHE; i++)
    if (t->aPj[i].from == from && t->aPj[i].to == to) return t->aPj[i].p;
  char zFrom[24], zTo[24];
  snprintf(zFrom, sizeof zFrom, "EPSG:%d", from);
  snprintf(zTo, sizeof zTo, "EPSG:%d", to);
  PJ *p = NULL;
  PJ *raw = proj_create_crs_to_crs(t->pjc, zFrom, zTo, NULL);
  if (raw) {
    p = proj_normalize_for_visualization(t->pjc, raw);
    proj_destroy(raw);
  }
  gpj *slot = NULL;
  for (int i = 0; i < PJ_CACHE && !slot; i++)
    if (!t->aPj[i].from) slot = &t->aPj[i];
  if (!slot) {
    slot = &t->aPj[t->iPjNext];
    t->iPjNext = (t->iPjNext + 1) % PJ_CACHE;
    if (slot->p) proj_destroy(slot->p);
  }
  slot->from = from;
  slot->to = to;
  slot->p = p;
  return p;
}

int geo_transform(int from_epsg, int to_epsg, double *x, double *y, size_t n) {
  if (from_epsg == to_epsg) return 0;
  PJ *p = pj_get(gt(), from_epsg, to_epsg);
  if (!p) return -1;
  proj_trans_generic(p, PJ_FWD, x, sizeof(double), n, y, sizeof(double), n, NULL, 0, 0, NULL,
                     0, 0);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]) || !isfinite(y[i])) {
      x[i] = y[i] = HUGE_VAL;
      rc = -1;
    }
  if (rc) proj_errno_reset(p);
  return rc;
}

int geo_wgs84_to_l93(double *x, double *y, size_t n) {
  return geo_transform(GEO_WGS84, GEO_L93, x, y, n);
}

int geo_l93_to_wgs84(double *x, double *y, size_t n) {
  return geo_transform(GEO_L93, GEO_WGS84, x, y, n);
}

/* GEOSGeom_transformXY callback: one point through a PJ. */
static int xy_cb(double *x, double *y, void *arg) {
  PJ *p = arg;
  PJ_COORD c = proj_trans(p, PJ_FWD, proj_coord(*x, *y, 0, 0));
  if (!isfinite(c.xy.x) || !isfinite(c.xy.y)) {
    proj_errno_reset(p);
    return 0;
  }
  *x = c.xy.x;
  *y = c.xy.y;
  return 1;
}

/* A new geometry: g transformed from -> to (a clone when they are equal);
** NULL if the CRS is unknown or a point is out of the transform's domain. */
static GEOSGeometry *geom_transform(gthread *t, const GEOSGeometry *g, int from, int to) {
  if (from == to) return GEOSGeom_clone_r(t->h, g);
  PJ *p = pj_get(t, from, to);
  if (!p) return NULL;
  return GEOSGeom_transformXY_r(t->h, g, xy_cb, p);
}

static int epsg_is_degrees(int epsg) {
  return epsg == 4326 || epsg == 4258 || epsg == 4171 || epsg == 4269;
}

/* ---------------------------------------------------------- geometry cache */

static int kind_of_type(int type) {
  switch (type) {
    case GEOS_POINT:
    case GEOS_MULTIPOINT: return GK_POINT;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
    case GEOS_MULTILINESTRING: return GK_LINE;
    case GEOS_POLYGON:
    case GEOS_MULTIPOLYGON: return GK_POLYGON;
    default: return 0;
  }
}

static size_t slot_of(int64_t id, size_t mask) {
  uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 32) & mask;
}

static void cache_grow(gthread *t) {
  size_t nold = t->nSlot;
  gent *old = t->aEnt;
  t->nSlot = nold ? nold * 2 : 1024;
  t->aEnt = xcalloc(t->nSlot, sizeof(gent));
  for (size_t i = 0; i < nold; i++) {
    if (!old[i].id) continue;
    size_t j = slot_of(old[i].id, t->nSlot - 1);
    while (t->aEnt[j].id) j = (j + 1) & (t->nSlot - 1);
    t->aEnt[j] = old[i];
  }
  free(old);
}

/* Empties the cache if some layer changed since it was filled, or if this
** thread changed layers in a caller's transaction that has since ended: a
** rollback gives the ids it used back (AUTOINCREMENT is rolled back too), so
** what this thread cached under them during the transaction must go. */
static void cache_check(gthread *t) {
  uint64_t gen = atomic_load(&g_gen);
  if (t->gen != gen || (t->txDirty && !db_in_transaction())) {
    cache_clear(t);
    t->gen = gen;
    t->txDirty = db_in_transaction();
  }
}

/* The cached geometry of feature id, loaded on a miss; NULL if the feature
** does not exist (or its WKB cannot be read: logged). The pointer is valid
** until the next cache_get. */
static gent *cache_get(gthread *t, int64_t id) {
  if (t->nSlot) {
    size_t mask = t->nSlot - 1;
    for (size_t j = slot_of(id, mask); t->aEnt[j].id; j = (j + 1) & mask)
      if (t->aEnt[j].id == id) return &t->aEnt[j];
  }
  db_stmt *s = db_query("SELECT geom, kind, ext_id FROM geo_features WHERE id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return NULL;
  }
  size_t n;
  const unsigned char *wkb = db_blob(s, 0, &n);
  GEOSGeometry *g = wkb ? GEOSWKBReader_read_r(t->h, t->wkbr, wkb, n) : NULL;
  const char *zKind = db_text(s, 1);
  const char *zExt = db_text(s, 2);
  char *ext = zExt ? xstrdup(zExt) : NULL;
  int kind = GK_POINT;
  for (int k = GK_POINT; k <= GK_POLYGON; k++)
    if (str_eq(zKind, kind_name[k])) kind = k;
  db_done(s);
  if (!g) {
    log_error("geo", "feature %lld: unreadable WKB: %s", (long long)id, t->zErr);
    free(ext);
    return NULL;
  }
  int ncoord = GEOSGetNumCoordinates_r(t->h, g);
  if (ncoord < 1) ncoord = 1;
  if (t->nCoord + (size_t)ncoord > atomic_load(&g_cache_limit) && t->nEnt) cache_clear(t);
  if ((t->nEnt + 1) * 2 > t->nSlot) cache_grow(t);
  size_t mask = t->nSlot - 1, j = slot_of(id, mask);
  while (t->aEnt[j].id) j = (j + 1) & mask;
  gent *e = &t->aEnt[j];
  e->id = id;
  e->g = g;
  e->pg = NULL;
  e->ext_id = ext;
  e->kind = kind;
  e->ncoord = ncoord;
  t->nEnt++;
  t->nCoord += (size_t)ncoord;
  return e;
}

static const GEOSPreparedGeometry *ent_prepared(gthread *t, gent *e) {
  if (!e->pg) e->pg = GEOSPrepare_r(t->h, e->g);
  return e->pg;
}

/* Exact distance from e to the point pt; -1 on a GEOS error. */
static double ent_distance(gthread *t, gent *e, const GEOSGeometry *pt) {
  double d;
  int ok;
  if (e->ncoord > PREPARE_MIN_COORDS && ent_prepared(t, e))
    ok = GEOSPreparedDistance_r(t->h, e->pg, pt, &d);
  else
    ok = GEOSDistance_r(t->h, e->g, pt, &d);
  return ok ? d : -1;
}

/* ---------------------------------------------------------------- reports */

void geo_report_free(geo_report *rep) {
  if (!rep) return;
  for (int i = 0; i < rep->nMsg; i++) free(rep->aMsg[i]);
  free(rep->aMsg);
  free(rep->zFatal);
  memset(rep, 0, sizeof(*rep));
}

/* A copy of z where every byte that is not part of well-formed UTF-8 is
** replaced by '?': messages quote GEOS and input text, and must stay
** printable as JSON (jansson refuses invalid UTF-8). */
static char *utf8_clean(const char *z) {
  char *out = xstrdup(z);
  unsigned char *p = (unsigned char *)out;
  while (*p) {
    int n = 0; /* length announced by the lead byte; 0: not a lead byte */
    if (*p < 0x80) n = 1;
    else if (*p >= 0xC2 && *p <= 0xDF) n = 2;
    else if ((*p & 0xF0) == 0xE0) n = 3;
    else if (*p >= 0xF0 && *p <= 0xF4) n = 4;
    int ok = n > 0;
    for (int i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80;
    if (ok && n == 3 && ((*p == 0xE0 && p[1] < 0xA0) || (*p == 0xED && p[1] >= 0xA0))) ok = 0;
    if (ok && n == 4 && ((*p == 0xF0 && p[1] < 0x90) || (*p == 0xF4 && p[1] >= 0x90))) ok = 0;
    if (!ok) {
      *p++ = '?';
      continue;
    }
    p += n;
  }
  return out;
}

static void rep_fatal(geo_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rep_fatal(geo_report *rep, const char *fmt, ...) {
  if (!rep || rep->zFatal) return;
  buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  rep->zFatal = utf8_clean(buf_str(&b));
  buf_free(&b);
}

/* Counts a skipped feature; keeps its message while there is room. The
** message is "<what> : <why>". */
static void rep_skip(geo_report *rep, const char *zWhat, const char *zWhy) {
  if (!rep) return;
  rep->nSkip++;
  if (rep->nMsg >= GEO_REPORT_MAX) return;
  if (!rep->aMsg) rep->aMsg = xcalloc(GEO_REPORT_MAX, sizeof(char *));
  buf b = {0};
  buf_printf(&b, "%s : %s", zWhat, zWhy);
  rep->aMsg[rep->nMsg++] = utf8_clean(buf_str(&b));
  buf_free(&b);
}

/* Counts a feature imported after a correction and describes it. */
static void rep_note(geo_report *rep, const char *zWhat, const char *zWhy) {
  if (!rep) return;
  rep->nFixed++;
  if (rep->nMsg >= GEO_REPORT_MAX) return;
  if (!rep->aMsg) rep->aMsg = xcalloc(GEO_REPORT_MAX, sizeof(char *));
  buf b = {0};
  buf_printf(&b, "%s : importé après correction — %s", zWhat, zWhy);
  rep->aMsg[rep->nMsg++] = utf8_clean(buf_str(&b));
  buf_free(&b);
}

/* Appends z to b, cut to at most max bytes on a UTF-8 character boundary
** (with "…" when cut). */
static void put_cut(buf *b, const char *z, size_t max) {
  size_t n = strlen(z);
  if (n <= max) {
    buf_append(b, z, n);
    return;
  }
  while (max > 0 && ((unsigned char)z[max] & 0xC0) == 0x80) max--;
  buf_append(b, z, max);
  buf_puts(b, "…");
}

/* "objet n°12 (id 1701C)" or "ligne 12 (id 1701C)". */
static void name_feature(buf *b, const char *zUnit, long n, const char *ext_id) {
  buf_reset(b);
  buf_printf(b, "%s%ld", zUnit, n);
  if (ext_id && *ext_id) {
    buf_puts(b, " (id ");
    put_cut(b, ext_id, MSG_ID_MAX);
    buf_puts(b, ")");
  }
}

/* ------------------------------------------------- checks before storing */

/* GEOS validity reasons, in French (the original is kept beside them). */
static const struct {
  const char *geos, *fr;
} reason_fr[] = {
    {"Self-intersection", "auto-intersection"},
    {"Ring Self-intersection", "anneau qui se recoupe"},
    {"Too few points in geometry component", "trop peu de points"},
    {"Hole lies outside shell", "trou hors du contour extérieur"},
    {"Holes are nested", "trous imbriqués"},
    {"Interior is disconnected", "intérieur en plusieurs morceaux"},
    {"Nested shells", "polygones imbriqués"},
    {"Duplicate Rings", "anneaux en double"},
    {"Invalid Coordinate", "coordonnée non valide"},
    {"Ring is not closed", "anneau non fermé"},
};

/* Lines as sources draw them: a part may repeat a position, or be a "segment"
** from a point to itself (the La Rochelle networks have several), which
** GEOS calls invalid ("Too few points"). Rebuilds src (freed) with repeated
** consecutive positions merged and zero-length parts dropped (*nDropped);
** NULL with why set if nothing is left. */
static GEOSGeometry *lines_clean(gthread *t, GEOSGeometry *src, int *nDropped, buf *why) {
  GEOSContextHandle_t h = t->h;
  int multi = GEOSGeomTypeId_r(h, src) == GEOS_MULTILINESTRING;
  int nPart = multi ? GEOSGetNumGeometries_r(h, src) : 1;
  GEOSGeometry **aPart = xcalloc((size_t)nPart, sizeof(*aPart));
  int nKept = 0;
  *nDropped = 0;
  for (int i = 0; i < nPart; i++) {
    const GEOSGeometry *part = multi ? GEOSGetGeometryN_r(h, src, i) : src;
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, part);
    unsigned n = 0, m = 0;
    if (cs) GEOSCoordSeq_getSize_r(h, cs, &n);
    double *xy = xmalloc((size_t)(n ? n : 1) * 2 * sizeof(double));
    for (unsigned k = 0; k < n; k++) {
      double x, y;
      GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
      if (m && xy[2 * m - 2] == x && xy[2 * m - 1] == y) continue;
      xy[2 * m] = x;
      xy[2 * m + 1] = y;
      m++;
    }
    if (m >= 2) {
      GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(h, xy, m, 0, 0);
      aPart[nKept++] = GEOSGeom_createLineString_r(h, seq);
    } else {
      (*nDropped)++;
    }
    free(xy);
  }
  GEOSGeom_destroy_r(h, src);
  GEOSGeometry *g = NULL;
  if (!nKept) buf_puts(why, "ligne de longueur nulle (toutes ses positions sont confondues)");
  else if (!multi) g = aPart[0];
  else g = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, aPart, (unsigned)nKept);
  free(aPart);
  return g;
}

/* Takes src (in epsg, owned) and returns it transformed to Lambert-93,
** checked; *kind is set, and *nFixed to the number of zero-length line
** parts dropped (lines_clean). On a problem returns NULL, src freed, and
** the French reason in why. */
static GEOSGeometry *geom_check(gthread *t, GEOSGeometry *src, int epsg, int *kind, int *nFixed,
                                buf *why) {
  GEOSContextHandle_t h = t->h;
  buf_reset(why);
  *nFixed = 0;
  int type = GEOSGeomTypeId_r(h, src);
  *kind = kind_of_type(type);
  if (!*kind) {
    buf_puts(why, "collection hétérogène (GeometryCollection) non prise en charge : "
                  "séparez ses géométries en objets distincts");
    GEOSGeom_destroy_r(h, src);
    return NULL;
  }
  if (GEOSisEmpty_r(h, src) != 0) {
    buf_puts(why, "géométrie vide");
    GEOSGeom_destroy_r(h, src);
    return NULL;
  }
  double x0, x1, y0, y1;
  GEOSGeom_getXMin_r(h, src, &x0);
  GEOSGeom_getXMax_r(h, src, &x1);
  GEOSGeom_getYMin_r(h, src, &y0);
  GEOSGeom_getYMax_r(h, src, &y1);
  if (!isfinite(x0) || !isfinite(x1) || !isfinite(y0) || !isfinite(y1)) {
    buf_puts(why, "coordonnée non numérique (NaN ou infinie)");
    GEOSGeom_destroy_r(h, src);
    return NULL;
  }
  if (epsg_is_degrees(epsg) && (x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90)) {
    buf_printf(why,
               "coordonnées hors des bornes longitude/latitude (x de %g à %g, y de %g à %g) : "
               "le fichier est-il dans un autre système que EPSG:%d ?",
               x0, x1, y0, y1, epsg);
    GEOSGeom_destroy_r(h, src);
    return NULL;
  }
  if (*kind == GK_LINE && !(src = lines_clean(t, src, nFixed, why))) return NULL;
  GEOSGeometry *g = geom_transform(t, src, epsg, GEO_L93);
  GEOSGeom_destroy_r(h, src);
  if (!g) {
    buf_printf(why, "coordonnées hors du domaine de la projection EPSG:%d vers Lambert-93", epsg);
    return NULL;
  }
  GEOSGeom_getXMin_r(h, g, &x0);
  GEOSGeom_getXMax_r(h, g, &x1);
  GEOSGeom_getYMin_r(h, g, &y0);
  GEOSGeom_getYMax_r(h, g, &y1);
  if (x0 < -L93_FAR || x1 > L93_FAR || y0 < -L93_FAR || y1 > L93_FAR) {
    buf_printf(why, "coordonnées à plus de 10 000 km de la France métropolitaine en Lambert-93 : "
                    "le fichier est-il bien en EPSG:%d ?",
               epsg);
    GEOSGeom_destroy_r(h, g);
    return NULL;
  }
  char *reason = NULL;
  GEOSGeometry *loc = NULL;
  char valid = GEOSisValidDetail_r(h, g, 0, &reason, &loc);
  if (valid == 1) return g;
  if (valid == 2) {
    buf_printf(why, "géométrie invalide — %s", t->zErr);
  } else {
    const char *fr = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(reason_fr); i++)
      if (reason && !strcmp(reason, reason_fr[i].geos)) fr = reason_fr[i].fr;
    if (fr) buf_printf(why, "géométrie invalide — %s (%s)", fr, reason);
    else buf_printf(why, "géométrie invalide — %s", reason ? reason : "?");
    double lx, ly;
    if (loc && GEOSGeomGetX_r(h, loc, &lx) && GEOSGeomGetY_r(h, loc, &ly) &&
        geo_transform(GEO_L93, epsg, &lx, &ly, 1) == 0) {
      int dec = epsg_is_degrees(epsg) ? 6 : 2;
      buf_printf(why, " au point %.*f %.*f", dec, lx, dec, ly);
    }
  }
  if (reason) GEOSFree_r(h, reason);
  if (loc) GEOSGeom_destroy_r(h, loc);
  GEOSGeom_destroy_r(h, g);
  return NULL;
}

/* Inserts a checked Lambert-93 geometry (not taken) with its row in the
** R*Tree. 0 or -1 (database error, logged by db). */
static int feature_store(gthread *t, const char *layer, const char *ext_id, const char *props,
                         const GEOSGeometry *g, int kind, int64_t now) {
  double x0, x1, y0, y1;
  GEOSGeom_getXMin_r(t->h, g, &x0);
  GEOSGeom_getXMax_r(t->h, g, &x1);
  GEOSGeom_getYMin_r(t->h, g, &y0);
  GEOSGeom_getYMax_r(t->h, g, &y1);
  size_t n = 0;
  unsigned char *wkb = GEOSWKBWriter_write_r(t->h, t->wkbw, g, &n);
  if (!wkb) {
    log_error("geo", "WKB writer: %s", t->zErr);
    return -1;
  }
  db_stmt *s = db_prep(
      "INSERT INTO geo_features(layer, ext_id, props, geom, kind, created_at)"
      " VALUES(?, ?, ?, ?, ?, ?) RETURNING id");
  db_bind_text(s, 1, layer);
  db_bind_text(s, 2, ext_id);
  db_bind_text(s, 3, props);
  db_bind_blob(s, 4, wkb, n);
  db_bind_text(s, 5, kind_name[kind]);
  db_bind_int(s, 6, now);
  GEOSFree_r(t->h, wkb);
  int64_t id = db_step(s) == DB_ROW ? db_int(s, 0) : -1;
  db_done(s);
  if (id < 0) return -1;
  int rc = db_run("INSERT INTO geo_rtree(id, minx, maxx, miny, maxy, layer) VALUES(?, ?, ?, ?, ?, ?)",
                  "iddddt", id, x0, x1, y0, y1, layer);
  return rc == DB_DONE ? 0 : -1;
}

static int layer_ok(const char *layer) {
  if (!layer || !*layer || strlen(layer) > GEO_LAYER_MAX) return 0;
  for (const unsigned char *p = (const unsigned char *)layer; *p; p++)
    if (*p < 0x20 || *p == 0x7f) return 0;
  return 1;
}

/* Opens the import's transaction unless the caller has one, and empties the
** layer for GEO_REPLACE. *own says whether we opened it. 0 or -1. */
static int import_begin(const char *layer, int flags, int *own, geo_report *rep) {
  *own = !db_in_transaction();
  if (*own && db_begin_write() != 0) {
    rep_fatal(rep, "base de données occupée ou inaccessible : rien n'a été importé");
    return -1;
  }
  if ((flags & GEO_REPLACE) &&
      db_run("DELETE FROM geo_features WHERE layer = ?", "t", layer) != DB_DONE) {
    rep_fatal(rep, "erreur de base de données en vidant la couche : rien n'a été importé");
    if (*own) db_rollback();
    return -1;
  }
  return 0;
}

/* Commits (or rolls back when failed); returns the count or -1. */
static long import_end(const char *layer, int own, int failed, geo_report *rep, const char *zWhat) {
  if (failed) {
    if (own) db_rollback();
    if (rep && !rep->zFatal) rep_fatal(rep, "erreur de base de données : rien n'a été importé");
    gen_bump();
    return -1;
  }
  if (own && db_commit() != 0) {
    rep_fatal(rep, "erreur de base de données à l'enregistrement : rien n'a été importé");
    gen_bump();
    return -1;
  }
  if (!own) gt()->txDirty = 1;
  gen_bump();
  log_info("geo", "%s: layer %s: %ld imported, %ld skipped", zWhat, layer, rep ? rep->nOk : -1L,
           rep ? rep->nSkip : -1L);
  return rep ? rep->nOk : 0;
}

/* ------------------------------------------------------------ GeoJSON */

/* One position [x, y, ...] into seq at i. 0 or -1 with why set. */
static int gj_pos(gthread *t, json_t *p, GEOSCoordSequence *seq, unsigned i, buf *why) {
  if (!json_is_array(p) || json_array_size(p) < 2 || !json_is_number(json_array_get(p, 0)) ||
      !json_is_number(json_array_get(p, 1))) {
    buf_printf(why, "position n°%u illisible : [x, y] attendu (deux nombres)", i + 1);
    return -1;
  }
  GEOSCoordSeq_setXY_r(t->h, seq, i, json_number_value(json_array_get(p, 0)),
                       json_number_value(json_array_get(p, 1)));
  return 0;
}

/* An array of positions, at least min of them, closed if ring. */
static GEOSCoordSequence *gj_seq(gthread *t, json_t *a, unsigned min, int ring, buf *why) {
  if (!json_is_array(a)) {
    buf_puts(why, "coordonnées illisibles : un tableau de positions est attendu");
    return NULL;
  }
  size_t n = json_array_size(a);
  if (n < min) {
    if (ring)
      buf_printf(why, "anneau de %zu position(s) : il en faut au moins 4, la dernière égale à la première", n);
    else
      buf_printf(why, "ligne de %zu position(s) : il en faut au moins 2", n);
    return NULL;
  }
  if (n > 50000000) {
    buf_puts(why, "trop de positions dans une géométrie");
    return NULL;
  }
  GEOSCoordSequence *seq = GEOSCoordSeq_create_r(t->h, (unsigned)n, 2);
  for (size_t i = 0; i < n; i++)
    if (gj_pos(t, json_array_get(a, i), seq, (unsigned)i, why) != 0) {
      GEOSCoordSeq_destroy_r(t->h, seq);
      return NULL;
    }
  if (ring) {
    double ax, ay, bx, by;
    GEOSCoordSeq_getXY_r(t->h, seq, 0, &ax, &ay);
    GEOSCoordSeq_getXY_r(t->h, seq, (unsigned)n - 1, &bx, &by);
    if (ax != bx || ay != by) {
      buf_puts(why, "anneau non fermé : la dernière position doit égaler la première");
      GEOSCoordSeq_destroy_r(t->h, seq);
      return NULL;
    }
  }
  return seq;
}

static GEOSGeometry *gj_point(gthread *t, json_t *c, buf *why) {
  GEOSCoordSequence *seq = GEOSCoordSeq_create_r(t->h, 1, 2);
  if (gj_pos(t, c, seq, 0, why) != 0) {
    GEOSCoordSeq_destroy_r(t->h, seq);
    return NULL;
  }
  return GEOSGeom_createPoint_r(t->h, seq);
}

static GEOSGeometry *gj_line(gthread *t, json_t *c, buf *why) {
  GEOSCoordSequence *seq = gj_seq(t, c, 2, 0, why);
  return seq ? GEOSGeom_createLineString_r(t->h, seq) : NULL;
}

static GEOSGeometry *gj_polygon(gthread *t, json_t *c, buf *why) {
  if (!json_is_array(c) || json_array_size(c) == 0) {
    buf_puts(why, json_is_array(c) ? "polygone sans anneau"
                                   : "coordonnées illisibles : un tableau d'anneaux est attendu");
    return NULL;
  }
  size_t n = json_array_size(c);
  GEOSGeometry **rings = xcalloc(n, sizeof(*rings));
  GEOSGeometry *poly = NULL;
  size_t i;
  for (i = 0; i < n; i++) {
    GEOSCoordSequence *seq = gj_seq(t, json_array_get(c, i), 4, 1, why);
    if (!seq || !(rings[i] = GEOSGeom_createLinearRing_r(t->h, seq))) {
      if (seq && !why->n) buf_printf(why, "anneau illisible : %s", t->zErr);
      break;
    }
  }
  if (i == n) {
    poly = GEOSGeom_createPolygon_r(t->h, rings[0], rings + 1, (unsigned)(n - 1));
  } else {
    for (size_t k = 0; k < i; k++) GEOSGeom_destroy_r(t->h, rings[k]);
  }
  free(rings);
  return poly;
}

/* A multi-geometry: each element of c through one(). */
static GEOSGeometry *gj_multi(gthread *t, json_t *c, int type,
                              GEOSGeometry *(*one)(gthread *, json_t *, buf *), buf *why) {
  if (!json_is_array(c)) {
    buf_puts(why, "coordonnées illisibles : un tableau est attendu");
    return NULL;
  }
  size_t n = json_array_size(c);
  GEOSGeometry **parts = xcalloc(n ? n : 1, sizeof(*parts));
  size_t i;
  for (i = 0; i < n; i++) {
    if (!(parts[i] = one(t, json_array_get(c, i), why))) {
      buf b = {0};
      buf_printf(&b, "partie n°%zu : %s", i + 1, buf_str(why));
      buf_reset(why);
      buf_puts(why, buf_str(&b));
      buf_free(&b);
      break;
    }
  }
  GEOSGeometry *g = NULL;
  if (i == n) g = GEOSGeom_createCollection_r(t->h, type, parts, (unsigned)n);
  else
    for (size_t k = 0; k < i; k++) GEOSGeom_destroy_r(t->h, parts[k]);
  free(parts);
  return g;
}

/* A GeoJSON geometry object, in its own CRS. NULL with why set. */
static GEOSGeometry *gj_geom(gthread *t, json_t *g, buf *why) {
  buf_reset(why);
  if (!json_is_object(g)) {
    buf_puts(why, json_is_null(g) || !g ? "géométrie absente" : "géométrie illisible : un objet est attendu");
    return NULL;
  }
  const char *type = json_string_value(json_object_get(g, "type"));
  json_t *c = json_object_get(g, "coordinates");
  static const char *const types[] = {"Point", "LineString", "Polygon", "MultiPoint",
                                      "MultiLineString", "MultiPolygon"};
  int it = -1;
  for (int i = 0; i < (int)ARRAY_SIZE(types); i++)
    if (str_eq(type, types[i])) it = i;
  if (it < 0) {
    if (str_eq(type, "GeometryCollection"))
      buf_puts(why, "GeometryCollection non prise en charge : séparez ses géométries en objets distincts");
    else if (!type)
      buf_puts(why, "géométrie sans type");
    else {
      buf_puts(why, "type de géométrie inconnu : « ");
      put_cut(why, type, 40);
      buf_puts(why, " »");
    }
    return NULL;
  }
  if (!c || json_is_null(c)) {
    buf_puts(why, "coordonnées manquantes");
    return NULL;
  }
  if (json_is_array(c) && json_array_size(c) == 0) {
    buf_puts(why, "géométrie vide");
    return NULL;
  }
  switch (it) {
    case 0: return gj_point(t, c, why);
    case 1: return gj_line(t, c, why);
    case 2: return gj_polygon(t, c, why);
    case 3: return gj_multi(t, c, GEOS_MULTIPOINT, gj_point, why);
    case 4: return gj_multi(t, c, GEOS_MULTILINESTRING, gj_line, why);
    default: return gj_multi(t, c, GEOS_MULTIPOLYGON, gj_polygon, why);
  }
}

/* The EPSG code named by a GeoJSON "crs" member; 0 if absent, -1 if not
** understood. Knows "EPSG:2154", "urn:ogc:def:crs:EPSG::2154" and CRS84. */
static int gj_crs(json_t *root, const char **zName) {
  json_t *crs = json_object_get(root, "crs");
  *zName = NULL;
  if (!crs || json_is_null(crs)) return 0;
  const char *z = json_string_value(json_object_get(json_object_get(crs, "properties"), "name"));
  *zName = z;
  if (!z) return -1;
  if (strstr(z, "CRS84")) return GEO_WGS84;
  if (!strstr(z, "EPSG:")) return -1;
  /* The code follows the last colon: "EPSG:2154", "urn:ogc:def:crs:EPSG::2154",
  ** "urn:ogc:def:crs:EPSG:9.8.1:2154" (a version between the colons). */
  const char *p = strrchr(z, ':') + 1;
  char *end;
  long v = strtol(p, &end, 10);
  if (end == p || *end || v <= 0 || v > 999999) return -1;
  return (int)v;
}

/* The source identifier of a feature as text in out (""), or -1 if too long. */
static int gj_ext_id(json_t *feat, const char *id_prop, char *out, size_t nout) {
  json_t *v = id_prop ? json_object_get(json_object_get(feat, "properties"), id_prop)
                      : json_object_get(feat, "id");
  out[0] = 0;
  int n = 0;
  if (json_is_string(v)) {
    if (json_string_length(v) >= nout) return -1;
    n = snprintf(out, nout, "%s", json_string_value(v));
  } else if (json_is_integer(v)) {
    n = snprintf(out, nout, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  } else if (json_is_real(v)) {
    n = snprintf(out, nout, "%.15g", json_real_value(v));
  }
  return n < 0 || (size_t)n >= nout ? -1 : 0;
}

long geo_import_geojson(const char *layer, const char *text, size_t n, int epsg_in,
                        const char *id_prop, int flags, geo_report *rep) {
  if (!layer_ok(layer)) {
    rep_fatal(rep, "nom de couche invalide (1 à %d caractères imprimables)", GEO_LAYER_MAX);
    return -1;
  }
  json_error_t jerr;
  json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    rep_fatal(rep, "GeoJSON illisible, ligne %d colonne %d : %s", jerr.line, jerr.column, jerr.text);
    return -1;
  }
  json_t *feats = NULL;
  const char *type = json_string_value(json_object_get(root, "type"));
  int single = 0;
  if (str_eq(type, "FeatureCollection")) {
    feats = json_object_get(root, "features");
  } else if (str_eq(type, "Feature")) {
    single = 1;
  }
  if (!single && !json_is_array(feats)) {
    rep_fatal(rep, "ce n'est pas une FeatureCollection GeoJSON (membre \"features\" absent)");
    json_decref(root);
    return -1;
  }
  int epsg = epsg_in;
  if (!epsg) {
    const char *zCrs;
    epsg = gj_crs(root, &zCrs);
    if (epsg < 0) {
      rep_fatal(rep, "système de coordonnées « %s » non reconnu : précisez le code EPSG",
                zCrs ? zCrs : "?");
      json_decref(root);
      return -1;
    }
    if (!epsg) epsg = GEO_WGS84;
  }
  gthread *t = gt();
  if (epsg != GEO_L93 && !pj_get(t, epsg, GEO_L93)) {
    rep_fatal(rep, "code EPSG:%d inconnu ou sans transformation vers Lambert-93", epsg);
    json_decref(root);
    return -1;
  }
  int own;
  if (import_begin(layer, flags, &own, rep) != 0) {
    json_decref(root);
    return -1;
  }
  geo_report scratch = {0};
  if (!rep) rep = &scratch;
  size_t nfeat = single ? 1 : json_array_size(feats);
  int64_t now = now_unix();
  buf why = {0}, what = {0};
  char ext[GEO_EXT_ID_MAX + 1];
  int failed = 0;
  for (size_t i = 0; i < nfeat && !failed; i++) {
    json_t *f = single ? root : json_array_get(feats, i);
    long no = (long)i + 1;
    rep->nSeen++;
    if (!json_is_object(f)) {
      name_feature(&what, "objet n°", no, NULL);
      rep_skip(rep, buf_str(&what), "ce n'est pas un objet GeoJSON (Feature)");
      continue;
    }
    int bad_id = gj_ext_id(f, id_prop, ext, sizeof ext) != 0;
    name_feature(&what, "objet n°", no, bad_id ? NULL : ext);
    if (bad_id) {
      buf_reset(&why);
      buf_printf(&why, "identifiant trop long (plus de %d octets)", GEO_EXT_ID_MAX);
      rep_skip(rep, buf_str(&what), buf_str(&why));
      continue;
    }
    json_t *props = json_object_get(f, "properties");
    if (props && !json_is_null(props) && !json_is_object(props)) {
      rep_skip(rep, buf_str(&what), "propriétés illisibles : un objet est attendu");
      continue;
    }
    GEOSGeometry *src = gj_geom(t, json_object_get(f, "geometry"), &why);
    int kind, nFixed;
    GEOSGeometry *g = src ? geom_check(t, src, epsg, &kind, &nFixed, &why) : NULL;
    if (!g) {
      rep_skip(rep, buf_str(&what), buf_str(&why));
      continue;
    }
    if (nFixed) {
      buf_reset(&why);
      buf_printf(&why, "%d tronçon(s) de longueur nulle retiré(s)", nFixed);
      rep_note(rep, buf_str(&what), buf_str(&why));
    }
    char *zProps = json_is_object(props) ? json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER)
                                         : NULL;
    if (zProps && strlen(zProps) > PROPS_MAX) {
      rep_skip(rep, buf_str(&what), "propriétés trop volumineuses (plus de 256 Ko)");
    } else if (feature_store(t, layer, ext[0] ? ext : NULL, zProps ? zProps : "{}", g, kind, now) != 0) {
      failed = 1;
    } else {
      rep->nOk++;
    }
    free(zProps);
    GEOSGeom_destroy_r(t->h, g);
  }
  buf_free(&why);
  buf_free(&what);
  json_decref(root);
  long r = import_end(layer, own, failed, rep, "geojson");
  if (rep == &scratch) geo_report_free(&scratch);
  return r;
}

/* ------------------------------------------------------------ CSV */

typedef struct csvst {
  gthread *t;                /* this thread's state */
  const char *layer;         /* target layer */
  const geo_csv_cols *cols;  /* the caller's column names */
  int epsg;                  /* the file's CRS */
  geo_report *rep;           /* where problems go (never NULL here) */
  int64_t now;               /* created_at for every row */
  char **aHdr;               /* header names, nHdr of them */
  int nHdr;
  int ix, iy, iwkt, iid;     /* column indexes, -1 when not used */
  char **aFld;               /* fields of the row being read */
  int nFld, nFldAlloc;
  int tooMany;               /* the row has more than CSV_COLS_MAX fields */
  long nRec;                 /* records read, header included */
  int stop;                  /* fatal problem or database error: ignore the rest */
  int dbFailed;              /* the stop was a database error */
  buf what, why;             /* message scratch */
} csvst;

static void *csv_capped_realloc(void *p, size_t n) {
  /* libcsv grows one buffer for the field being read; refusing past the cap
  ** makes csv_parse fail with CSV_ENOMEM, which we report (an unclosed
  ** quote would otherwise buffer the rest of the file). */
  return n > CSV_FIELD_MAX ? NULL : realloc(p, n);
}

static int csv_is_space(unsigned char c) { return c == ' '; }

static void csv_field(void *s, size_t len, void *data) {
  csvst *st = data;
  if (st->stop) return;
  if (st->nFld >= CSV_COLS_MAX) {
    st->tooMany = 1;
    return;
  }
  if (st->nFld == st->nFldAlloc) {
    st->nFldAlloc = st->nFldAlloc ? st->nFldAlloc * 2 : 16;
    st->aFld = xrealloc(st->aFld, (size_t)st->nFldAlloc * sizeof(char *));
  }
  st->aFld[st->nFld++] = s ? xstrndup(s, len) : xstrdup("");
}

static int csv_col(csvst *st, const char *name) {
  if (!name) return -1;
  for (int i = 0; i < st->nHdr; i++)
    if (!strcmp(st->aHdr[i], name)) return i;
  for (int i = 0; i < st->nHdr; i++)
    if (!strcasecmp(st->aHdr[i], name)) return i;
  return -2;
}

static void csv_header(csvst *st) {
  st->aHdr = st->aFld;
  st->nHdr = st->nFld;
  st->aFld = NULL;
  st->nFld = st->nFldAlloc = 0;
  if (st->nHdr && !strncmp(st->aHdr[0], "\xEF\xBB\xBF", 3))
    memmove(st->aHdr[0], st->aHdr[0] + 3, strlen(st->aHdr[0] + 3) + 1);
  const geo_csv_cols *c = st->cols;
  const char *names[] = {c->x_col, c->y_col, c->wkt_col, c->id_col};
  int *idx[] = {&st->ix, &st->iy, &st->iwkt, &st->iid};
  for (int k = 0; k < 4; k++) {
    *idx[k] = csv_col(st, names[k]);
    if (*idx[k] == -2) {
      buf b = {0};
      for (int i = 0; i < st->nHdr && i < 30; i++) {
        if (i) buf_puts(&b, ", ");
        put_cut(&b, st->aHdr[i], 40);
      }
      rep_fatal(st->rep, "colonne « %s » absente de l'en-tête (colonnes : %s)", names[k], buf_str(&b));
      buf_free(&b);
      st->stop = 1;
      return;
    }
  }
  if (st->tooMany) {
    rep_fatal(st->rep, "plus de %d colonnes dans l'en-tête", CSV_COLS_MAX);
    st->stop = 1;
  }
}

/* A number, with a decimal point or comma; 0 or -1. */
static int parse_num(const char *z, double *v) {
  char tmp[64];
  size_t n = 0;
  while (*z == ' ') z++;
  for (; *z && n < sizeof tmp - 1; z++) tmp[n++] = *z == ',' ? '.' : *z;
  if (*z || !n) return -1;
  while (n && tmp[n - 1] == ' ') n--;
  tmp[n] = 0;
  char *end;
  errno = 0;
  *v = strtod(tmp, &end);
  return end == tmp || *end || errno || !isfinite(*v) ? -1 : 0;
}

static const char *fld(csvst *st, int i) { return i >= 0 && i < st->nFld ? st->aFld[i] : ""; }

/* The geometry of the current row in the file's CRS; NULL with why set. */
static GEOSGeometry *csv_geom(csvst *st) {
  gthread *t = st->t;
  buf *why = &st->why;
  buf_reset(why);
  if (st->iwkt >= 0) {
    const char *z = fld(st, st->iwkt);
    if (!*z) {
      buf_puts(why, "géométrie absente (colonne WKT vide)");
      return NULL;
    }
    if (!t->wktr) t->wktr = GEOSWKTReader_create_r(t->h);
    t->zErr[0] = 0;
    GEOSGeometry *g = GEOSWKTReader_read_r(t->h, t->wktr, z);
    if (!g) buf_printf(why, "WKT illisible — %s", t->zErr);
    return g;
  }
  const char *zx = fld(st, st->ix), *zy = fld(st, st->iy);
  if (!*zx || !*zy || !strcmp(zx, "NA") || !strcmp(zy, "NA")) {
    buf_puts(why, "coordonnées manquantes");
    return NULL;
  }
  double x, y;
  const char *bad = parse_num(zx, &x) ? zx : parse_num(zy, &y) ? zy : NULL;
  if (bad) {
    buf_puts(why, "coordonnée « ");
    put_cut(why, bad, 40);
    buf_puts(why, " » illisible : un nombre est attendu");
    return NULL;
  }
  return GEOSGeom_createPointFromXY_r(t->h, x, y);
}

static void csv_row(csvst *st) {
  gthread *t = st->t;
  geo_report *rep = st->rep;
  rep->nSeen++;
  const char *ext = st->iid >= 0 ? fld(st, st->iid) : "";
  int longId = strlen(ext) > GEO_EXT_ID_MAX;
  name_feature(&st->what, "ligne ", st->nRec, longId ? NULL : ext);
  if (st->tooMany) {
    buf_reset(&st->why);
    buf_printf(&st->why, "plus de %d colonnes", CSV_COLS_MAX);
    rep_skip(rep, buf_str(&st->what), buf_str(&st->why));
    return;
  }
  if (longId) {
    buf_reset(&st->why);
    buf_printf(&st->why, "identifiant trop long (plus de %d octets)", GEO_EXT_ID_MAX);
    rep_skip(rep, buf_str(&st->what), buf_str(&st->why));
    return;
  }
  GEOSGeometry *src = csv_geom(st);
  int kind, nFixed;
  GEOSGeometry *g = src ? geom_check(t, src, st->epsg, &kind, &nFixed, &st->why) : NULL;
  if (!g) {
    rep_skip(rep, buf_str(&st->what), buf_str(&st->why));
    return;
  }
  if (nFixed) {
    buf_reset(&st->why);
    buf_printf(&st->why, "%d tronçon(s) de longueur nulle retiré(s)", nFixed);
    rep_note(rep, buf_str(&st->what), buf_str(&st->why));
  }
  json_t *props = json_object();
  for (int i = 0; i < st->nHdr; i++) {
    if (i == st->ix || i == st->iy || i == st->iwkt) continue;
    json_t *v = json_string(fld(st, i));
    if (!v) {
      rep_fatal(rep, "ligne %ld, colonne « %s » : le fichier n'est pas en UTF-8 "
                     "(convertissez-le, par exemple iconv -f latin1 -t utf-8)",
                st->nRec, st->aHdr[i]);
      st->stop = 1;
      break;
    }
    json_object_set_new(props, st->aHdr[i], v);
  }
  if (!st->stop) {
    char *z = json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (strlen(z) > PROPS_MAX) {
      rep_skip(rep, buf_str(&st->what), "propriétés trop volumineuses (plus de 256 Ko)");
    } else if (feature_store(t, st->layer, *ext ? ext : NULL, z, g, kind, st->now) != 0) {
      st->stop = st->dbFailed = 1;
    } else {
      rep->nOk++;
    }
    free(z);
  }
  json_decref(props);
  GEOSGeom_destroy_r(t->h, g);
}

static void csv_record(int c, void *data) {
  UNUSED(c);
  csvst *st = data;
  st->nRec++;
  if (!st->stop) {
    if (!st->aHdr) csv_header(st);
    else csv_row(st);
  }
  for (int i = 0; i < st->nFld; i++) free(st->aFld[i]);
  st->nFld = 0;
  st->tooMany = 0;
}

/* ',', ';' or '\t': the most frequent outside quotes on the first line. */
static char csv_guess_delim(const char *z, size_t n) {
  size_t cnt[3] = {0, 0, 0};
  int q = 0;
  for (size_t i = 0; i < n && (q || (z[i] != '\n' && z[i] != '\r')); i++) {
    if (z[i] == '"') q = !q;
    else if (!q && z[i] == ',') cnt[0]++;
    else if (!q && z[i] == ';') cnt[1]++;
    else if (!q && z[i] == '\t') cnt[2]++;
  }
  if (cnt[1] > cnt[0] && cnt[1] >= cnt[2]) return ';';
  if (cnt[2] > cnt[0] && cnt[2] > cnt[1]) return '\t';
  return ',';
}

long geo_import_csv(const char *layer, const char *path, const geo_csv_cols *cols, int epsg,
                    int flags, geo_report *rep) {
  geo_report scratch = {0};
  if (!rep) rep = &scratch;
  long r = -1;
  if (!layer_ok(layer)) {
    rep_fatal(rep, "nom de couche invalide (1 à %d caractères imprimables)", GEO_LAYER_MAX);
    goto out;
  }
  if (!cols || (!cols->wkt_col && (!cols->x_col || !cols->y_col))) {
    rep_fatal(rep, "précisez les colonnes de coordonnées (longitude et latitude) ou la colonne WKT");
    goto out;
  }
  if (!epsg) epsg = GEO_WGS84;
  gthread *t = gt();
  if (epsg != GEO_L93 && !pj_get(t, epsg, GEO_L93)) {
    rep_fatal(rep, "code EPSG:%d inconnu ou sans transformation vers Lambert-93", epsg);
    goto out;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    rep_fatal(rep, "impossible d'ouvrir %s : %s", path, strerror(errno));
    goto out;
  }
  int own;
  if (import_begin(layer, flags, &own, rep) != 0) {
    fclose(f);
    goto out;
  }
  csvst st = {.t = t, .layer = layer, .cols = cols, .epsg = epsg, .rep = rep, .now = now_unix()};
  struct csv_parser p;
  csv_init(&p, CSV_APPEND_NULL);
  csv_set_realloc_func(&p, csv_capped_realloc);
  csv_set_space_func(&p, csv_is_space);
  char *blk = xmalloc(CSV_BLOCK);
  size_t n;
  int first = 1, parseErr = 0;
  while (!st.stop && (n = fread(blk, 1, CSV_BLOCK, f)) > 0) {
    if (first) {
      csv_set_delim(&p, (unsigned char)(cols->delim ? cols->delim : csv_guess_delim(blk, n)));
      first = 0;
    }
    if (csv_parse(&p, blk, n, csv_field, csv_record, &st) != n) {
      parseErr = csv_error(&p);
      break;
    }
  }
  int readErr = ferror(f);
  if (!st.stop && !parseErr && !readErr) csv_fini(&p, csv_field, csv_record, &st);
  free(blk);
  csv_free(&p);
  fclose(f);
  if (parseErr)
    rep_fatal(rep, "CSV illisible vers la ligne %ld : %s", st.nRec + 1,
              parseErr == CSV_ENOMEM ? "champ de plus de 1 Mo (guillemet non refermé ?)"
                                     : csv_strerror(parseErr));
  else if (readErr)
    rep_fatal(rep, "erreur de lecture de %s", path);
  else if (!st.aHdr && !st.stop)
    rep_fatal(rep, "fichier vide : une ligne d'en-tête est attendue");
  int fatal = rep->zFatal != NULL || st.dbFailed;
  for (int i = 0; i < st.nFld; i++) free(st.aFld[i]);
  free(st.aFld);
  for (int i = 0; st.aHdr && i < st.nHdr; i++) free(st.aHdr[i]);
  free(st.aHdr);
  buf_free(&st.what);
  buf_free(&st.why);
  r = import_end(layer, own, fatal, rep, "csv");
out:
  if (rep == &scratch) geo_report_free(&scratch);
  return r;
}

/* ------------------------------------------------------------ layers */

long geo_layer_delete(const char *layer) {
  if (db_run("DELETE FROM geo_features WHERE layer = ?", "t", layer) != DB_DONE) return -1;
  long n = db_changes();
  if (db_in_transaction()) gt()->txDirty = 1;
  gen_bump();
  return n;
}

long geo_layer_count(const char *layer) {
  return (long)db_get_int(-1, "SELECT count(*) FROM geo_features WHERE layer = ?", "t", layer);
}

/* ------------------------------------------------------------ queries */

static int cand_cmp(const void *a, const void *b) {
  double x = ((const cand *)a)->lb, y = ((const cand *)b)->lb;
  return x < y ? -1 : x > y;
}

/* Features of layer whose box meets [x0,x1]×[y0,y1], into t->aCand with
** their box's distance to (px, py). Returns the count or -1. */
static long rtree_cands(gthread *t, const char *layer, double x0, double x1, double y0, double y1,
                        double px, double py) {
  db_stmt *s = db_query(
      "SELECT id, minx, maxx, miny, maxy FROM geo_rtree"
      " WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? AND layer = ?",
      "ddddt", x1, x0, y1, y0, layer);
  long n = 0;
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    if ((size_t)n == t->nCandAlloc) {
      t->nCandAlloc = t->nCandAlloc ? t->nCandAlloc * 2 : 256;
      t->aCand = xrealloc(t->aCand, t->nCandAlloc * sizeof(cand));
    }
    double bx0 = db_double(s, 1), bx1 = db_double(s, 2);
    double by0 = db_double(s, 3), by1 = db_double(s, 4);
    double dx = px < bx0 ? bx0 - px : px > bx1 ? px - bx1 : 0;
    double dy = py < by0 ? by0 - py : py > by1 ? py - by1 : 0;
    t->aCand[n].id = db_int(s, 0);
    t->aCand[n].lb = sqrt(dx * dx + dy * dy);
    n++;
  }
  db_done(s);
  return rc == DB_DONE ? n : -1;
}

int geo_nearest(const char *layer, double x, double y, double max_dist, geo_filter_fn keep,
                void *arg, geo_hit *out) {
  if (!layer || !out || !isfinite(x) || !isfinite(y)) return -1;
  gthread *t = gt();
  assert(!t->busy && "a geo_nearest filter must not query the geo core");
  t->busy = 1;
  cache_check(t);
  if (!(max_dist > 0) || max_dist > GEO_DIST_UNLIMITED) max_dist = GEO_DIST_UNLIMITED;
  GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(t->h, x, y);
  double r = max_dist < NEAREST_R0 ? max_dist : NEAREST_R0, rprev = -1;
  double best = INFINITY;
  int64_t bestId = 0;
  int err = 0;
  for (;;) {
    long n = rtree_cands(t, layer, x - r, x + r, y - r, y + r, x, y);
    if (n < 0) {
      err = 1;
      break;
    }
    if (n > 1) qsort(t->aCand, (size_t)n, sizeof(cand), cand_cmp);
    for (long i = 0; i < n; i++) {
      cand c = t->aCand[i];
      if (c.lb > best || c.lb > max_dist) break;
      /* A box within rprev met the previous square: it was measured then,
      ** or could not win, or was filtered out. */
      if (c.lb <= rprev) continue;
      gent *e = cache_get(t, c.id);
      if (!e) continue;
      if (keep && !keep(arg, e->id, e->ext_id)) continue;
      double d = ent_distance(t, e, pt);
      if (d < 0) {
        err = 1;
        break;
      }
      if (d < best || (d == best && c.id < bestId)) {
        best = d;
        bestId = c.id;
      }
    }
    /* Anything nearer than best has its box within best of the point, so in
    ** this square when best <= r. */
    if (err || best <= r || r >= max_dist) break;
    rprev = r;
    r = r * 2 < max_dist ? r * 2 : max_dist;
  }
  int found = 0;
  if (!err && bestId && best <= max_dist) {
    gent *e = cache_get(t, bestId);
    GEOSCoordSequence *cs = e ? GEOSNearestPoints_r(t->h, e->g, pt) : NULL;
    if (cs) {
      memset(out, 0, sizeof(*out));
      out->id = bestId;
      out->dist = best;
      GEOSCoordSeq_getXY_r(t->h, cs, 0, &out->px, &out->py);
      if (e->ext_id) snprintf(out->ext_id, sizeof out->ext_id, "%s", e->ext_id);
      GEOSCoordSeq_destroy_r(t->h, cs);
      found = 1;
    } else {
      err = 1;
    }
  }
  GEOSGeom_destroy_r(t->h, pt);
  t->busy = 0;
  return err ? -1 : found;
}

static int id_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int geo_contains(const char *layer, double x, double y, int64_t *ids, int max) {
  if (!layer || !isfinite(x) || !isfinite(y)) return -1;
  gthread *t = gt();
  assert(!t->busy && "a geo_nearest filter must not query the geo core");
  cache_check(t);
  long n = rtree_cands(t, layer, x, x, y, y, x, y);
  if (n < 0) return -1;
  int64_t *aId = xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
  for (long i = 0; i < n; i++) aId[i] = t->aCand[i].id;
  if (n > 1) qsort(aId, (size_t)n, sizeof(int64_t), id_cmp);
  GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(t->h, x, y);
  int found = 0, err = 0;
  for (long i = 0; i < n; i++) {
    gent *e = cache_get(t, aId[i]);
    if (!e || e->kind != GK_POLYGON) continue;
    const GEOSPreparedGeometry *pg = ent_prepared(t, e);
    char in = pg ? GEOSPreparedCovers_r(t->h, pg, pt) : 2;
    if (in == 2) {
      err = 1;
      break;
    }
    if (in) {
      if (found < max && ids) ids[found] = aId[i];
      found++;
    }
  }
  GEOSGeom_destroy_r(t->h, pt);
  free(aId);
  return err ? -1 : found;
}

/* ------------------------------------------------------------ GeoJSON out */

static void put_coords(gthread *t, buf *b, const GEOSCoordSequence *cs, int dec) {
  unsigned n = 0;
  GEOSCoordSeq_getSize_r(t->h, cs, &n);
  buf_putc(b, '[');
  for (unsigned i = 0; i < n; i++) {
    double x, y;
    GEOSCoordSeq_getXY_r(t->h, cs, i, &x, &y);
    buf_printf(b, "%s[%.*f,%.*f]", i ? "," : "", dec, x, dec, y);
  }
  buf_putc(b, ']');
}

static void put_polygon(gthread *t, buf *b, const GEOSGeometry *g, int dec) {
  buf_putc(b, '[');
  put_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, GEOSGetExteriorRing_r(t->h, g)), dec);
  int nh = GEOSGetNumInteriorRings_r(t->h, g);
  for (int i = 0; i < nh; i++) {
    buf_putc(b, ',');
    put_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, GEOSGetInteriorRingN_r(t->h, g, i)), dec);
  }
  buf_putc(b, ']');
}

/* The "coordinates" value of g (a Point, LineString or Polygon, or a multi
** of them). */
static void put_geom_coords(gthread *t, buf *b, const GEOSGeometry *g, int dec) {
  switch (GEOSGeomTypeId_r(t->h, g)) {
    case GEOS_POINT: {
      double x = 0, y = 0;
      GEOSGeomGetX_r(t->h, g, &x);
      GEOSGeomGetY_r(t->h, g, &y);
      buf_printf(b, "[%.*f,%.*f]", dec, x, dec, y);
      break;
    }
    case GEOS_LINESTRING:
    case GEOS_LINEARRING: put_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, g), dec); break;
    case GEOS_POLYGON: put_polygon(t, b, g, dec); break;
    default: {
      int n = GEOSGetNumGeometries_r(t->h, g);
      buf_putc(b, '[');
      for (int i = 0; i < n; i++) {
        if (i) buf_putc(b, ',');
        put_geom_coords(t, b, GEOSGetGeometryN_r(t->h, g, i), dec);
      }
      buf_putc(b, ']');
    }
  }
}

char *geo_buffer_geojson(int64_t id, double dist, int epsg_out) {
  gthread *t = gt();
  assert(!t->busy && "a geo_nearest filter must not query the geo core");
  cache_check(t);
  gent *e = cache_get(t, id);
  if (!e || !(dist >= 0) || dist > GEO_DIST_UNLIMITED) return NULL;
  GEOSGeometry *g = dist > 0 ? GEOSBuffer_r(t->h, e->g, dist, 8) : GEOSGeom_clone_r(t->h, e->g);
  if (!g) return NULL;
  GEOSGeometry *o = geom_transform(t, g, GEO_L93, epsg_out);
  GEOSGeom_destroy_r(t->h, g);
  if (!o) return NULL;
  int type = GEOSGeomTypeId_r(t->h, o);
  static const char *const names[] = {
      [GEOS_POINT] = "Point",           [GEOS_LINESTRING] = "LineString",
      [GEOS_LINEARRING] = "LineString", [GEOS_POLYGON] = "Polygon",
      [GEOS_MULTIPOINT] = "MultiPoint", [GEOS_MULTILINESTRING] = "MultiLineString",
      [GEOS_MULTIPOLYGON] = "MultiPolygon"};
  char *z = NULL;
  if (type >= 0 && type < (int)ARRAY_SIZE(names) && names[type] && !GEOSisEmpty_r(t->h, o)) {
    buf b = {0};
    buf_printf(&b, "{\"type\":\"%s\",\"coordinates\":", names[type]);
    put_geom_coords(t, &b, o, epsg_is_degrees(epsg_out) ? 6 : 2);
    buf_putc(&b, '}');
    z = xstrdup(buf_str(&b));
    buf_free(&b);
  }
  GEOSGeom_destroy_r(t->h, o);
  return z;
}

json_t *geo_feature_props(int64_t id) {
  db_stmt *s = db_query("SELECT props FROM geo_features WHERE id = ?", "i", id);
  json_t *j = NULL;
  if (db_step(s) == DB_ROW) {
    const char *z = db_text(s, 0);
    j = json_loads(z ? z : "{}", 0, NULL);
  }
  db_done(s);
  return j;
}

int64_t geo_feature_find(const char *layer, const char *ext_id) {
  return db_get_int(0, "SELECT min(id) FROM geo_features WHERE layer = ? AND ext_id = ?", "tt",
                    layer, ext_id);
}

/* ------------------------------------------------------------ whole features */

/* The coordinates of one shape being read, grown as needed and reused from
** one feature to the next of a walk. */
typedef struct shapebuf {
  double *aXY;             /* x, y pairs */
  size_t nXY, nXYAlloc;    /* coordinates used / allocated */
  int *aLen;               /* per part: coordinates */
  unsigned char *aOuter;   /* per part: exterior ring */
  int nPart, nPartAlloc;   /* parts used / allocated */
} shapebuf;

static void sb_part(shapebuf *b, int outer) {
  if (b->nPart == b->nPartAlloc) {
    b->nPartAlloc = b->nPartAlloc ? b->nPartAlloc * 2 : 16;
    b->aLen = xrealloc(b->aLen, (size_t)b->nPartAlloc * sizeof(int));
    b->aOuter = xrealloc(b->aOuter, (size_t)b->nPartAlloc);
  }
  b->aLen[b->nPart] = 0;
  b->aOuter[b->nPart] = (unsigned char)outer;
  b->nPart++;
}

static void sb_coords(gthread *t, shapebuf *b, const GEOSCoordSequence *cs) {
  unsigned n = 0;
  if (!cs || !GEOSCoordSeq_getSize_r(t->h, cs, &n)) return;
  if (b->nXY + n > b->nXYAlloc) {
    while (b->nXY + n > b->nXYAlloc) b->nXYAlloc = b->nXYAlloc ? b->nXYAlloc * 2 : 1024;
    b->aXY = xrealloc(b->aXY, b->nXYAlloc * 2 * sizeof(double));
  }
  for (unsigned i = 0; i < n; i++) {
    GEOSCoordSeq_getXY_r(t->h, cs, i, &b->aXY[2 * b->nXY], &b->aXY[2 * b->nXY + 1]);
    b->nXY++;
  }
  b->aLen[b->nPart - 1] += (int)n;
}

/* Appends the parts of g (any of the six simple and multi types). */
static void sb_geom(gthread *t, shapebuf *b, const GEOSGeometry *g) {
  switch (GEOSGeomTypeId_r(t->h, g)) {
    case GEOS_POINT:
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
      if (GEOSisEmpty_r(t->h, g) == 1) return;
      sb_part(b, 0);
      sb_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, g));
      break;
    case GEOS_POLYGON: {
      if (GEOSisEmpty_r(t->h, g) == 1) return;
      sb_part(b, 1);
      sb_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, GEOSGetExteriorRing_r(t->h, g)));
      int nh = GEOSGetNumInteriorRings_r(t->h, g);
      for (int i = 0; i < nh; i++) {
        sb_part(b, 0);
        sb_coords(t, b, GEOSGeom_getCoordSeq_r(t->h, GEOSGetInteriorRingN_r(t->h, g, i)));
      }
      break;
    }
    default: {
      int n = GEOSGetNumGeometries_r(t->h, g);
      for (int i = 0; i < n; i++) sb_geom(t, b, GEOSGetGeometryN_r(t->h, g, i));
    }
  }
}

long geo_layer_each(const char *layer, const double *box, geo_shape_fn fn, void *arg) {
  if (!layer || !fn) return -1;
  gthread *t = gt();
  assert(!t->walking && "a geo_layer_each callback must not walk a layer again");
  db_stmt *s = box ? db_query("SELECT f.id, f.ext_id, f.geom, f.kind FROM geo_rtree r JOIN geo_features f"
                              " ON f.id = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ?"
                              " AND r.maxy >= ? AND f.layer = ? ORDER BY f.id",
                              "ddddt", box[2], box[0], box[3], box[1], layer)
                   : db_query("SELECT id, ext_id, geom, kind FROM geo_features WHERE layer = ? ORDER BY id",
                              "t", layer);
  t->walking = 1;
  shapebuf b = {0};
  long n = 0;
  int rc, err = 0;
  while ((rc = db_step(s)) == DB_ROW) {
    size_t nwkb;
    const unsigned char *wkb = db_blob(s, 2, &nwkb);
    GEOSGeometry *g = wkb ? GEOSWKBReader_read_r(t->h, t->wkbr, wkb, nwkb) : NULL;
    if (!g) {
      log_error("geo", "feature %lld: unreadable WKB: %s", (long long)db_int(s, 0), t->zErr);
      err = 1;
      break;
    }
    b.nXY = 0;
    b.nPart = 0;
    sb_geom(t, &b, g);
    geo_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.id = db_int(s, 0);
    sh.ext_id = db_text(s, 1);
    sh.kind = GEO_POINT;
    for (int k = GK_POINT; k <= GK_POLYGON; k++)
      if (str_eq(db_text(s, 3), kind_name[k])) sh.kind = k;
    GEOSGeom_getXMin_r(t->h, g, &sh.box[0]);
    GEOSGeom_getYMin_r(t->h, g, &sh.box[1]);
    GEOSGeom_getXMax_r(t->h, g, &sh.box[2]);
    GEOSGeom_getYMax_r(t->h, g, &sh.box[3]);
    GEOSGeom_destroy_r(t->h, g);
    if (!b.nPart) continue; /* empty geometries never get in; be safe */
    sh.nPart = b.nPart;
    sh.aPartLen = b.aLen;
    sh.aOuter = b.aOuter;
    sh.aXY = b.aXY;
    n++;
    if (fn(arg, &sh)) break;
  }
  db_done(s);
  t->walking = 0;
  free(b.aXY);
  free(b.aLen);
  free(b.aOuter);
  return err || rc == DB_ERROR ? -1 : n;
}

int geo_layer_extent(const char *layer, double box[4]) {
  db_stmt *s = db_query("SELECT count(*), min(r.minx), min(r.miny), max(r.maxx), max(r.maxy)"
                        " FROM geo_features f JOIN geo_rtree r ON r.id = f.id WHERE f.layer = ?",
                        "t", layer);
  int rc = db_step(s), found = -1;
  if (rc == DB_ROW) {
    found = db_int(s, 0) > 0;
    for (int i = 0; found && i < 4; i++) box[i] = db_double(s, i + 1);
  }
  db_done(s);
  return found;
}

int geo_feature_box(int64_t id, double box[4]) {
  db_stmt *s = db_query("SELECT minx, miny, maxx, maxy FROM geo_rtree WHERE id = ?", "i", id);
  int rc = db_step(s) == DB_ROW ? 0 : -1;
  for (int i = 0; rc == 0 && i < 4; i++) box[i] = db_double(s, i);
  db_done(s);
  return rc;
}

int geo_feature_point(int64_t id, double *x, double *y) {
  gthread *t = gt();
  assert(!t->busy && "a geo_nearest filter must not query the geo core");
  cache_check(t);
  gent *e = cache_get(t, id);
  GEOSGeometry *p = e ? GEOSPointOnSurface_r(t->h, e->g) : NULL;
  int rc = p && GEOSGeomGetX_r(t->h, p, x) && GEOSGeomGetY_r(t->h, p, y) ? 0 : -1;
  if (p) GEOSGeom_destroy_r(t->h, p);
  return rc;
}

/* ------------------------------------------------------------ CLI */

static void print_report(const char *layer, long n, const geo_report *rep) {
  if (n < 0) {
    printf("Import de la couche « %s » impossible : %s\n", layer,
           rep->zFatal ? rep->zFatal : "erreur inconnue");
    return;
  }
  printf("Couche « %s » : %ld objet(s) importé(s) (dont %ld corrigé(s)), %ld ignoré(s) sur %ld "
         "lu(s).\n",
         layer, n, rep->nFixed, rep->nSkip, rep->nSeen);
  for (int i = 0; i < rep->nMsg; i++) printf("  - %s\n", rep->aMsg[i]);
  if (rep->nSkip + rep->nFixed > rep->nMsg)
    printf("  … et %ld autre(s) remarque(s), non détaillée(s).\n",
           rep->nSkip + rep->nFixed - rep->nMsg);
}

static int cli_usage(void) {
  fprintf(stderr,
          "usage: guichet import geojson COUCHE FICHIER [--epsg N] [--id PROPRIETE] [--replace]\n"
          "       guichet import csv COUCHE FICHIER (--lon COL --lat COL | --wkt COL)\n"
          "                          [--epsg N] [--id COL] [--delim C] [--replace]\n");
  return 2;
}

/* The whole file, at most GEOJSON_FILE_MAX bytes; NULL with a message. */
static char *read_file(const char *path, size_t *pn) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "guichet: impossible d'ouvrir %s : %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || (uint64_t)sb.st_size > GEOJSON_FILE_MAX) {
    fprintf(stderr, "guichet: %s : fichier illisible ou trop volumineux (plus de %u Mo)\n", path,
            GEOJSON_FILE_MAX >> 20);
    fclose(f);
    return NULL;
  }
  size_t n = (size_t)sb.st_size;
  char *z = xmalloc(n + 1);
  size_t got = fread(z, 1, n, f);
  fclose(f);
  if (got != n) {
    fprintf(stderr, "guichet: erreur de lecture de %s\n", path);
    free(z);
    return NULL;
  }
  z[n] = 0;
  *pn = n;
  return z;
}

int geo_cli_import(int argc, char **argv) {
  if (argc < 3) return cli_usage();
  const char *fmt = argv[0], *layer = argv[1], *path = argv[2];
  int csv = !strcmp(fmt, "csv");
  if (!csv && strcmp(fmt, "geojson")) return cli_usage();
  int epsg = 0, flags = 0;
  geo_csv_cols cols = {0};
  const char *id = NULL;
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--replace")) {
      flags |= GEO_REPLACE;
      continue;
    }
    if (!v) return cli_usage();
    i++;
    if (!strcmp(a, "--epsg")) {
      char *end;
      long e = strtol(v, &end, 10);
      if (*end || e <= 0 || e > 999999) return cli_usage();
      epsg = (int)e;
    } else if (!strcmp(a, "--id")) {
      id = v;
    } else if (csv && (!strcmp(a, "--lon") || !strcmp(a, "--x"))) {
      cols.x_col = v;
    } else if (csv && (!strcmp(a, "--lat") || !strcmp(a, "--y"))) {
      cols.y_col = v;
    } else if (csv && !strcmp(a, "--wkt")) {
      cols.wkt_col = v;
    } else if (csv && !strcmp(a, "--delim")) {
      cols.delim = !strcmp(v, "tab") || !strcmp(v, "\\t") ? '\t' : v[0];
    } else {
      return cli_usage();
    }
  }
  geo_report rep = {0};
  long n;
  if (csv) {
    if (!cols.wkt_col && (!cols.x_col || !cols.y_col)) return cli_usage();
    cols.id_col = id;
    n = geo_import_csv(layer, path, &cols, epsg, flags, &rep);
  } else {
    size_t len;
    char *z = read_file(path, &len);
    if (!z) return 1;
    n = geo_import_geojson(layer, z, len, epsg, id, flags, &rep);
    free(z);
  }
  print_report(layer, n, &rep);
  geo_report_free(&rep);
  return n < 0 ? 1 : 0;
}
