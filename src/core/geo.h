/*
** geo.h — the geographic core: coordinate transforms (PROJ), layers of
** features stored in the database with a spatial index, and the questions
** the services ask of them (GEOS): nearest feature and its distance,
** polygons containing a point, buffers.
**
** Coordinates: everything stored and every query is in Lambert-93
** (EPSG:2154), metres, x = easting, y = northing. Imports and the transform
** functions take any CRS by EPSG code; geographic CRSs always take
** x = longitude, y = latitude (GeoJSON order), whatever the EPSG axis order.
**
** Threads: every function may be called from any thread. Each thread gets
** its own GEOS and PROJ contexts and its own geometry cache on first use;
** they are freed when the thread ends (or by geo_thread_close()). The
** database must be open (db_open + db_migrate) before any layer function.
**
** Errors: functions that return int return -1 on error; an import that
** fails as a whole says why, in French, in rep->zFatal and keeps nothing.
*/
#ifndef GUICHET_GEO_H
#define GUICHET_GEO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum {
  GEO_WGS84 = 4326,  /* longitude/latitude, GPS, GeoJSON's default */
  GEO_L93 = 2154,    /* RGF93 / Lambert-93: the storage and query CRS */
};

#define GEO_REPORT_MAX 1000   /* problems kept in a report; the rest are counted */
#define GEO_EXT_ID_MAX 127    /* longest source identifier kept, in bytes */
#define GEO_LAYER_MAX 64      /* longest layer name, in bytes */
#define GEO_DIST_UNLIMITED 1e6 /* max_dist <= 0 means this (1,000 km): all of France */

/* ---- Transforms ---------------------------------------------------------- */

/* Transforms n points in place from one CRS to another (EPSG codes).
** 0 on success; -1 when a code is unknown (points untouched) or when some
** point is outside the transform's domain (that point becomes HUGE_VAL). */
int geo_transform(int from_epsg, int to_epsg, double *x, double *y, size_t n);
int geo_wgs84_to_l93(double *x, double *y, size_t n); /* x = lon, y = lat in */
int geo_l93_to_wgs84(double *x, double *y, size_t n); /* x = lon, y = lat out */

/* ---- Imports ------------------------------------------------------------- */

/* What an import did. Zero-initialise; free with geo_report_free. */
typedef struct geo_report {
  long nSeen;    /* features (GeoJSON) or data rows (CSV) read */
  long nOk;      /* imported */
  long nSkip;    /* skipped for a problem */
  long nFixed;   /* imported after a harmless correction (zero-length line parts) */
  int nMsg;      /* skips and corrections described in aMsg (at most GEO_REPORT_MAX) */
  char **aMsg;   /* "objet n°12 (id 1701C) : géométrie invalide — …", malloc'ed */
  char *zFatal;  /* set when the import failed as a whole (nothing kept), malloc'ed */
} geo_report;
void geo_report_free(geo_report *rep);

#define GEO_REPLACE 1 /* flag: delete the layer's features first (same transaction) */

/* Imports a GeoJSON FeatureCollection (or one Feature) into `layer`, in one
** transaction (or in the caller's, if one is open). epsg_in 0: the "crs"
** member, else WGS84. id_prop: the property holding the source identifier
** (NULL: the Feature's "id" member). Each geometry is transformed to
** Lambert-93 and checked (GEOS validity); a feature that cannot be read or is
** invalid is skipped and described in rep; the rest is imported. Lines lose
** repeated consecutive positions and zero-length parts (noted in rep).
** Returns the number imported, or -1 (rep->zFatal says why, nothing kept;
** in the caller's transaction, the caller must roll back). rep may be NULL. */
long geo_import_geojson(const char *layer, const char *text, size_t n, int epsg_in,
                        const char *id_prop, int flags, geo_report *rep);

/* Which CSV columns hold what. Either x_col and y_col, or wkt_col. */
typedef struct geo_csv_cols {
  const char *x_col;    /* longitude (or easting in a projected CRS) */
  const char *y_col;    /* latitude (or northing) */
  const char *wkt_col;  /* a WKT geometry instead of x/y */
  const char *id_col;   /* the source identifier, or NULL */
  char delim;           /* ',', ';' or '\t'; 0: guessed from the header line */
} geo_csv_cols;

/* Imports a CSV file (header line first) into `layer`, streaming: the file is
** read in 64 KB blocks, never whole. epsg 0 means WGS84. The other columns
** become the feature's properties (strings). Decimal commas are accepted.
** Returns the number imported, or -1 (rep->zFatal). */
long geo_import_csv(const char *layer, const char *path, const geo_csv_cols *cols, int epsg,
                    int flags, geo_report *rep);

/* `guichet import geojson|csv …` (database already open and migrated):
**   import geojson LAYER FILE [--epsg N] [--id PROP] [--replace]
**   import csv LAYER FILE (--lon COL --lat COL | --x COL --y COL | --wkt COL)
**              [--epsg N] [--id COL] [--delim C] [--replace]
** argv[0] is "geojson" or "csv". Prints the report in French on stdout.
** Returns the exit status: 0 imported (possibly with skipped features),
** 1 failed, 2 bad usage. */
int geo_cli_import(int argc, char **argv);

/* Deletes a layer; returns the number of features deleted or -1. */
long geo_layer_delete(const char *layer);
long geo_layer_count(const char *layer);

/* ---- Queries (Lambert-93) ------------------------------------------------ */

/* A feature found by a query. */
typedef struct geo_hit {
  int64_t id;                        /* geo_features.id */
  double dist;                       /* exact distance, metres (0 inside a polygon) */
  double px, py;                     /* the feature's point nearest to the query */
  char ext_id[GEO_EXT_ID_MAX + 1];   /* source identifier, "" if none */
} geo_hit;

/* Optional filter for geo_nearest: nonzero keeps the feature. Called with
** the cache's copy of ext_id (NULL if none), valid during the call only.
** It may read the database (geo_feature_props) but not query the geo core
** (geo_nearest, geo_contains, geo_buffer_geojson: asserted). */
typedef int (*geo_filter_fn)(void *arg, int64_t id, const char *ext_id);

/* The feature of `layer` nearest to (x, y), if within max_dist metres
** (<= 0: GEO_DIST_UNLIMITED). Searches the R*Tree in a square that starts at
** 100 m and doubles until it holds the answer. 1 found (*out filled), 0 none
** within max_dist, -1 error. */
int geo_nearest(const char *layer, double x, double y, double max_dist, geo_filter_fn keep,
                void *arg, geo_hit *out);

/* Polygons of `layer` covering (x, y) (a point on the boundary counts).
** Writes up to max ids, smallest first; returns how many cover the point
** (may exceed max), or -1. */
int geo_contains(const char *layer, double x, double y, int64_t *ids, int max);

/* GeoJSON text of feature `id` (dist 0) or of its buffer of dist metres
** (dist > 0), in epsg_out (6 decimals for degrees, 2 for metres).
** malloc'ed; NULL if no such feature or on error. */
char *geo_buffer_geojson(int64_t id, double dist, int epsg_out);

/* The feature's properties (a new reference: json_decref it), NULL if none. */
json_t *geo_feature_props(int64_t id);
/* The id of the feature of `layer` with this source identifier, 0 if none
** (the smallest, if the source repeats an identifier). */
int64_t geo_feature_find(const char *layer, const char *ext_id);

/* ---- Reading whole features (maps, exports) ------------------------------ */

enum { GEO_POINT = 1, GEO_LINE = 2, GEO_POLYGON = 3 }; /* geo_shape.kind */

/* A feature's geometry as plain Lambert-93 coordinates, for drawing and
** exporting. A geometry is a list of parts: a point (one coordinate), a
** line, or a polygon ring (closed: first == last). For polygons, aOuter[i]
** is 1 on an exterior ring, which starts a new polygon; the holes of that
** polygon follow it with aOuter 0. Multi-geometries are their parts in
** order. Everything is owned by geo_layer_each and valid during the call. */
typedef struct geo_shape {
  int64_t id;                  /* geo_features.id */
  const char *ext_id;          /* the source's identifier, NULL if none */
  int kind;                    /* GEO_POINT, GEO_LINE or GEO_POLYGON */
  int nPart;                   /* parts below (≥ 1) */
  const int *aPartLen;         /* coordinates of each part */
  const unsigned char *aOuter; /* per part: 1 for a polygon's exterior ring, else 0 */
  const double *aXY;           /* x, y of every coordinate, part after part */
  double box[4];               /* its bounding box: minx, miny, maxx, maxy */
} geo_shape;

/* Called once per feature; nonzero stops the walk. */
typedef int (*geo_shape_fn)(void *arg, const geo_shape *s);

/* Calls fn for each feature of `layer` whose bounding box meets box
** (minx, miny, maxx, maxy; NULL: every feature), in id order. fn may call
** any geo function except geo_layer_each (asserted). Returns the number of
** features passed to fn, or -1 on a database or GEOS error (logged). Costs
** one WKB parse per feature; the geometry cache is left alone. */
long geo_layer_each(const char *layer, const double *box, geo_shape_fn fn, void *arg);

/* The bounding box of the features of `layer` (minx, miny, maxx, maxy):
** 1 and box filled, 0 when the layer is empty, -1 on error. */
int geo_layer_extent(const char *layer, double box[4]);

/* The feature's bounding box (minx, miny, maxx, maxy): 0, or -1 if there is
** no such feature. */
int geo_feature_box(int64_t id, double box[4]);

/* A point guaranteed to lie on the feature (GEOS's point on surface: inside
** a polygon, on a line), where a label or a symbol can go. 0, or -1 if there
** is no such feature. */
int geo_feature_point(int64_t id, double *x, double *y);

/* ---- Threads and cache --------------------------------------------------- */

/* Frees this thread's GEOS/PROJ contexts and geometry cache now (they are
** also freed when the thread ends). */
void geo_thread_close(void);
/* Per-thread cache bound, in coordinates (default 250,000: 6 MB of GEOS
** coordinates, up to about twice that with prepared-geometry indexes): past
** it the cache is emptied and refilled. */
void geo_set_cache_limit(size_t ncoords);

#endif
