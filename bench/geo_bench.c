/*
** geo_bench.c — latency of geo_nearest, the heat-network eligibility
** question ("how far is this address from the nearest network?"), against
** the target: p99 < 2 ms per answer with 10,000 network segments.
**
** It builds a fresh database in a temporary directory, generates synthetic
** networks around La Rochelle in Lambert-93 (random walks of 30-120 m steps
** that turn by up to 45 degrees, 100 segments per network), imports them
** through geo_import_geojson, then times geo_nearest at uniformly random
** points of the networks' area plus a 1 km margin. Two layouts:
**   segments  every segment is its own feature (10,000 R*Tree entries);
**   networks  every network is one MultiLineString (100 features of 100
**             segments: the prepared, indexed distance does the work).
** Each layout runs with a 200 m threshold (an eligibility radius) and with
** no threshold (the nearest network wherever it is). Latencies are per call,
** after 1,000 unrecorded warm-up calls, measured with CLOCK_MONOTONIC; on a
** busy machine they include preemption, so the mean CPU time per call
** (CLOCK_THREAD_CPUTIME_ID over the timed calls) is printed beside them.
**
** With --export DIR it then times the whole eligibility answer, as the page
** and the API compute it (heat_answer_in, geocoding excluded: WGS84 point →
** Lambert-93, commune and priority zone containing it, nearest network open
** to connections, its thresholds and figures, the commune of its nearest
** point), on the same networks (layer heat_networks, one feature per
** segment, 10 % of the networks closed, 1 in 7 with Paris-like thresholds)
** with a territory of communes (2 km squares with jittered borders of 200
** vertices, covering the networks' area but not the margin, whose points are
** "hors territoire") and priority zones (jittered discs around network
** vertices). It writes to DIR what bench/postgis.sh loads into PostGIS: the
** geometries as Guichet stores them (geo_buffer_geojson, Lambert-93), the
** network rows, the query points in WGS84 and Guichet's answer and latency
** for each.
**
** Build and run (from the repository root; the libraries are the Makefile's
** PKGS, since libguichet.a holds every core object):
**   make -s build/libguichet.a && cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -Ibuild \
**     $(pkg-config --cflags jansson) -o build/geo_bench bench/geo_bench.c \
**     build/libguichet.a $(pkg-config --libs libmicrohttpd sqlite3 jansson libsodium \
**     liboath libqrencode libcurl libmagic zlib libzip libcmark xlsxwriter proj geos) \
**     -lcsv -lpthread -lm
**   build/geo_bench [--segments N] [--queries N] [--threads N] [--seed N] [--export DIR]
** Threads share the queries; each has its own caches.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/geo.h"
#include "core/log.h"
#include "core/util.h"
#include "features/heat/heat_int.h"

#define X0 372000.0     /* area of the networks, Lambert-93 (La Rochelle) */
#define Y0 6562000.0
#define SIDE 16000.0
#define MARGIN 1000.0   /* queries also fall this far outside the area */
#define PER_NET 100     /* segments per network */
#define WARMUP 1000     /* unrecorded calls per run */

static unsigned long long g_rng = 88172645463325252ull; /* xorshift64 state */
static double rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (double)(g_rng >> 11) / 9007199254740992.0;
}

/* How networks_geojson cuts the lines into features. */
enum {
  LAYOUT_SEGMENTS, /* a feature per segment, id "R<network>-<segment>" */
  LAYOUT_NETWORKS, /* a MultiLineString per network, id "R<network>" */
  LAYOUT_HEAT      /* a feature per segment, id "R<network>" (the SNCU id of heat_networks) */
};

/* GeoJSON of nseg synthetic segments in Lambert-93, cut as layout says.
** Same seed, same lines. When vx is not NULL, the start of each segment is
** written to vx[i], vy[i] and its network to vnet[i]. */
static char *networks_geojson(int nseg, int layout, unsigned long long seed, double *vx, double *vy, int *vnet) {
  int multi = layout == LAYOUT_NETWORKS;
  g_rng = seed;
  buf b = {0};
  buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
  int nfeat = 0;
  for (int s = 0; s < nseg;) {
    double x = X0 + rnd() * SIDE, y = Y0 + rnd() * SIDE, a = rnd() * 2 * M_PI;
    int nnet = nseg - s < PER_NET ? nseg - s : PER_NET;
    int net = s / PER_NET;
    if (multi)
      buf_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"R%d\"},\"geometry\":"
                     "{\"type\":\"MultiLineString\",\"coordinates\":[",
                 nfeat++ ? "," : "", net);
    for (int k = 0; k < nnet; k++, s++) {
      double len = 30 + rnd() * 90;
      a += (rnd() - 0.5) * (M_PI / 2);
      double nx = x + len * cos(a), ny = y + len * sin(a);
      if (nx < X0 || nx > X0 + SIDE || ny < Y0 || ny > Y0 + SIDE) { /* turn back inside */
        a += M_PI;
        nx = x + len * cos(a);
        ny = y + len * sin(a);
      }
      if (vx) {
        vx[s] = x;
        vy[s] = y;
        vnet[s] = net;
      }
      if (multi)
        buf_printf(&b, "%s[[%.2f,%.2f],[%.2f,%.2f]]", k ? "," : "", x, y, nx, ny);
      else if (layout == LAYOUT_HEAT)
        buf_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"R%d\"},\"geometry\":"
                       "{\"type\":\"LineString\",\"coordinates\":[[%.2f,%.2f],[%.2f,%.2f]]}}",
                   nfeat++ ? "," : "", net, x, y, nx, ny);
      else
        buf_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"R%d-%d\"},\"geometry\":"
                       "{\"type\":\"LineString\",\"coordinates\":[[%.2f,%.2f],[%.2f,%.2f]]}}",
                   nfeat++ ? "," : "", net, k, x, y, nx, ny);
      x = nx;
      y = ny;
    }
    if (multi) buf_puts(&b, "]}}");
  }
  buf_puts(&b, "]}");
  return b.z; /* the buffer's text, now the caller's */
}

typedef struct run {
  const char *layer;   /* layer queried */
  double max_dist;     /* threshold, 0 = none */
  const double *qx, *qy; /* all the queries */
  int from, to;        /* this thread's share [from, to) */
  double *lat_us;      /* per-query latency, microseconds, indexed like qx */
  long found;          /* answers within max_dist */
  long errors;         /* geo_nearest returned -1 */
  double cpu_ns;       /* this thread's CPU time over its timed calls */
} run;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *run_thread(void *arg) {
  run *r = arg;
  geo_hit h;
  for (int i = 0; i < WARMUP; i++) {
    int j = r->from + i % (r->to - r->from);
    geo_nearest(r->layer, r->qx[j] + 3.7, r->qy[j] - 5.1, r->max_dist, NULL, NULL, &h);
  }
  double c0 = cpu_ns();
  for (int i = r->from; i < r->to; i++) {
    double t0 = now_ns();
    int rc = geo_nearest(r->layer, r->qx[i], r->qy[i], r->max_dist, NULL, NULL, &h);
    r->lat_us[i] = (now_ns() - t0) / 1e3;
    if (rc == 1) r->found++;
    if (rc < 0) r->errors++;
  }
  r->cpu_ns = cpu_ns() - c0;
  geo_thread_close();
  db_thread_close();
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void measure(const char *label, const char *layer, double max_dist, const double *qx,
                    const double *qy, int nq, int nthread) {
  double *lat = xcalloc((size_t)nq, sizeof(double));
  run *runs = xcalloc((size_t)nthread, sizeof(run));
  pthread_t *th = xcalloc((size_t)nthread, sizeof(pthread_t));
  double t0 = now_ns();
  for (int i = 0; i < nthread; i++) {
    runs[i] = (run){.layer = layer, .max_dist = max_dist, .qx = qx, .qy = qy,
                    .from = (int)((long)nq * i / nthread), .to = (int)((long)nq * (i + 1) / nthread),
                    .lat_us = lat};
    pthread_create(&th[i], NULL, run_thread, &runs[i]);
  }
  long found = 0, errors = 0;
  double cpu = 0;
  for (int i = 0; i < nthread; i++) {
    pthread_join(th[i], NULL);
    found += runs[i].found;
    errors += runs[i].errors;
    cpu += runs[i].cpu_ns;
  }
  double wall_s = (now_ns() - t0) / 1e9;
  double sum = 0;
  for (int i = 0; i < nq; i++) sum += lat[i];
  qsort(lat, (size_t)nq, sizeof(double), cmp_double);
  printf("%-9s %-6s %8d %7.1f %7.1f %7.1f %8.1f %7.1f %7.1f %6.1f%% %8.0f %s\n", label,
         max_dist > 0 ? "200 m" : "aucun", nq, lat[nq / 2], lat[(int)(nq * 0.99)],
         lat[(int)(nq * 0.999)], lat[nq - 1], sum / nq, cpu / 1e3 / nq,
         100.0 * (double)found / nq, (double)nq / wall_s, errors ? "ERREURS" : "");
  free(lat);
  free(runs);
  free(th);
}

/* ------------------------------------------------- the whole eligibility answer */

#define COMMUNE_SIDE 2000.0 /* communes are squares of this side, metres… */
#define COMMUNE_STEPS 50    /* …with this many vertices a side (200 a ring)… */
#define COMMUNE_JITTER 12.0 /* …each moved by up to this many metres (less than half a step: rings stay simple) */
#define ZONE_VERTICES 24    /* vertices of a priority zone */
#define PER_ZONE 200        /* segments per priority zone: 50 zones for 10,000 segments */
#define ARENA_CALLS 256     /* answers per arena (freed between batches, outside the timing) */

/* A deterministic jitter in [-1, 1) for lattice point (i, j): the same for
** the two communes that share the point. */
static double lattice_jitter(unsigned i, unsigned j, unsigned axis) {
  unsigned long long h = i * 73856093ull ^ j * 19349663ull ^ axis * 83492791ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (double)(h >> 11) / 4503599627370496.0 - 1.0;
}

static void lattice_point(buf *b, unsigned gi, unsigned gj, int first) {
  double step = COMMUNE_SIDE / COMMUNE_STEPS;
  buf_printf(b, "%s[%.2f,%.2f]", first ? "" : ",", X0 + gi * step + COMMUNE_JITTER * lattice_jitter(gi, gj, 0),
             Y0 + gj * step + COMMUNE_JITTER * lattice_jitter(gi, gj, 1));
}

/* The communes: a grid over the networks' area (not the margin). */
static char *communes_geojson(void) {
  int n = (int)(SIDE / COMMUNE_SIDE);
  unsigned S = COMMUNE_STEPS;
  buf b = {0};
  buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
  for (int cy = 0; cy < n; cy++)
    for (int cx = 0; cx < n; cx++) {
      unsigned i0 = (unsigned)cx * S, j0 = (unsigned)cy * S;
      buf_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"C%02d%02d\",\"nom\":\"Commune %d\"},"
                     "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[",
                 cx || cy ? "," : "", cx, cy, cy * n + cx + 1);
      for (unsigned k = 0; k < S; k++) lattice_point(&b, i0 + k, j0, k == 0);   /* bottom, west to east */
      for (unsigned k = 0; k < S; k++) lattice_point(&b, i0 + S, j0 + k, 0);    /* east, south to north */
      for (unsigned k = 0; k < S; k++) lattice_point(&b, i0 + S - k, j0 + S, 0); /* top, east to west */
      for (unsigned k = 0; k < S; k++) lattice_point(&b, i0, j0 + S - k, 0);    /* west, north to south */
      lattice_point(&b, i0, j0, 0);
      buf_puts(&b, "]]}}");
    }
  buf_puts(&b, "]}");
  return b.z;
}

/* Priority zones: jittered discs of 150 to 400 m around network vertices,
** each belonging to the network of its vertex. */
static char *zones_geojson(int nseg, const double *vx, const double *vy, const int *vnet, unsigned long long seed) {
  g_rng = seed ^ 0x2545F4914F6CDD1Dull;
  int nz = nseg / PER_ZONE > 0 ? nseg / PER_ZONE : 1;
  buf b = {0};
  buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
  for (int z = 0; z < nz; z++) {
    int at = (int)(rnd() * nseg);
    double r = 150 + rnd() * 250, x0 = 0, y0 = 0;
    buf_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"R%d\"},\"geometry\":{\"type\":\"Polygon\","
                   "\"coordinates\":[[",
               z ? "," : "", vnet[at]);
    for (int k = 0; k < ZONE_VERTICES; k++) {
      double a = 2 * M_PI * k / ZONE_VERTICES, rr = r * (0.85 + 0.3 * rnd());
      double x = vx[at] + rr * cos(a), y = vy[at] + rr * sin(a);
      if (k == 0) x0 = x, y0 = y;
      buf_printf(&b, "%s[%.2f,%.2f]", k ? "," : "", x, y);
    }
    buf_printf(&b, ",[%.2f,%.2f]]]}}", x0, y0);
  }
  buf_puts(&b, "]}");
  return b.z;
}

/* The rows of heat_networks behind the layer: every 10th network closed to
** connections, every 7th with Paris's thresholds (60 and 100 m). */
static int heat_rows(int nnet) {
  if (db_begin_write() != 0) return -1;
  int64_t now = now_unix();
  for (int i = 0; i < nnet; i++) {
    char sncu[16], name[48], op[48];
    snprintf(sncu, sizeof sncu, "R%d", i);
    snprintf(name, sizeof name, "Réseau synthétique %d", i);
    snprintf(op, sizeof op, "Exploitant %d", i % 12);
    if (db_run("INSERT INTO heat_networks(sncu_id, name, operator_name, co2_g_kwh, co2_acv_g_kwh, renewable_pct,"
               " figures_year, open_to_connections, threshold_very_close_m, threshold_close_m, created_at,"
               " updated_at) VALUES(?,?,?,?,?,?,'2024',?,nullif(?, 0),nullif(?, 0),?,?)",
               "tttdddiiiii", sncu, name, op, 20.0 + i % 180, 40.0 + i % 200, (double)(i * 37 % 100),
               (int64_t)(i % 10 != 9), (int64_t)(i % 7 == 0 ? 60 : 0), (int64_t)(i % 7 == 0 ? 100 : 0), now,
               now) != DB_DONE) {
      db_rollback();
      return -1;
    }
  }
  return db_commit();
}

static long import_layer(const char *layer, char *geojson, const char *id_prop) {
  geo_report rep = {0};
  double t0 = now_ns();
  long n = geo_import_geojson(layer, geojson, strlen(geojson), GEO_L93, id_prop, 0, &rep);
  printf("import %-13s %ld objet(s), %.0f ms\n", layer, n, (now_ns() - t0) / 1e6);
  if (n < 0) fprintf(stderr, "%s\n", rep.zFatal);
  geo_report_free(&rep);
  free(geojson);
  return n;
}

/* DIR/FILE for writing, or NULL (said on stderr). */
static FILE *out_file(const char *dir, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "geo_bench: %s: cannot write\n", path);
  return f;
}

/* Writes layer's features as Guichet stores them, one a line:
** id TAB ext_id TAB property "nom" (\N if none) TAB GeoJSON in Lambert-93. */
static int export_layer(const char *dir, const char *file, const char *layer) {
  FILE *f = out_file(dir, file);
  if (!f) return -1;
  long n = geo_layer_count(layer);
  int64_t *ids = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
  long k = 0;
  /* Ids first: geo_buffer_geojson may prepare statements, which would move
  ** an open statement of the thread's cache. */
  db_stmt *s = db_query("SELECT id FROM geo_features WHERE layer=? ORDER BY id", "t", layer);
  while (k < n && db_step(s) == DB_ROW) ids[k++] = db_int(s, 0);
  db_done(s);
  for (long i = 0; i < k; i++) {
    char *gj = geo_buffer_geojson(ids[i], 0, GEO_L93);
    json_t *p = geo_feature_props(ids[i]);
    const char *ext = json_string_value(json_object_get(p, "id"));
    if (!ext) ext = json_string_value(json_object_get(p, "code"));
    const char *nom = json_string_value(json_object_get(p, "nom"));
    fprintf(f, "%lld\t%s\t%s\t%s\n", (long long)ids[i], ext ? ext : "\\N", nom ? nom : "\\N", gj ? gj : "\\N");
    json_decref(p);
    free(gj);
  }
  free(ids);
  return fclose(f) == 0 ? 0 : -1;
}

static int export_networks(const char *dir) {
  FILE *f = out_file(dir, "heat_networks.tsv");
  if (!f) return -1;
  db_stmt *s = db_query("SELECT id, sncu_id, name, operator_name, co2_g_kwh, co2_acv_g_kwh, renewable_pct,"
                        " figures_year, open_to_connections, kind, threshold_very_close_m, threshold_close_m"
                        " FROM heat_networks ORDER BY id", "");
  while (db_step(s) == DB_ROW) {
    fprintf(f, "%lld\t%s\t%s\t%s\t%g\t%g\t%g\t%s\t%s\t%s\t", (long long)db_int(s, 0), db_text(s, 1),
            db_text(s, 2), db_text(s, 3), db_double(s, 4), db_double(s, 5), db_double(s, 6), db_text(s, 7),
            db_int(s, 8) ? "t" : "f", db_text(s, 9));
    for (int c = 10; c < 12; c++)
      if (db_is_null(s, c)) fprintf(f, "\\N%s", c == 10 ? "\t" : "\n");
      else fprintf(f, "%lld%s", (long long)db_int(s, c), c == 10 ? "\t" : "\n");
  }
  db_done(s);
  return fclose(f) == 0 ? 0 : -1;
}

/* Times heat_answer_in on every query point (WGS84) and writes, in query
** order, id TAB lon TAB lat to points.tsv and id TAB µs TAB level TAB
** network shown TAB distance (cm) to guichet_eligibility.tsv. */
static int measure_answers(const char *dir, const double *lon, const double *lat, int nq) {
  FILE *fp = out_file(dir, "points.tsv"), *fa = out_file(dir, "guichet_eligibility.tsv");
  if (!fp || !fa) return -1;
  double *us = xmalloc((size_t)nq * sizeof *us);
  arena *a = arena_new();
  heat_answer ans;
  for (int i = 0; i < WARMUP; i++) heat_answer_in(a, lon[i % nq] + 1e-5, lat[i % nq] - 1e-5, &ans);
  arena_free(a);
  a = arena_new();
  long errors = 0;
  double c0 = cpu_ns(), t0 = now_ns();
  for (int i = 0; i < nq; i++) {
    if (i % ARENA_CALLS == 0) {
      arena_free(a);
      a = arena_new();
    }
    double t = now_ns();
    int rc = heat_answer_in(a, lon[i], lat[i], &ans);
    us[i] = (now_ns() - t) / 1e3;
    errors += rc != 0;
    const char *net = ans.network ? json_string_value(json_object_get(ans.network, "id")) : NULL;
    fprintf(fp, "%d\t%.9f\t%.9f\n", i + 1, lon[i], lat[i]);
    fprintf(fa, "%d\t%.2f\t%s\t%s\t", i + 1, us[i], heat_level_code(ans.level), net ? net : "\\N");
    if (ans.has_network && ans.level != HEAT_OUTSIDE) fprintf(fa, "%.0f\n", ans.dist_m * 100);
    else fputs("\\N\n", fa);
  }
  double wall = (now_ns() - t0) / 1e9, cpu = cpu_ns() - c0;
  arena_free(a);
  qsort(us, (size_t)nq, sizeof *us, cmp_double);
  printf("\nréponse d'éligibilité complète (heat_answer_in), %d requêtes, latences en µs\n"
         "  p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  ; %.0f réponses/s (avec l'écriture des fichiers), CPU %.1f "
         "µs/réponse%s\n",
         nq, us[nq / 2], us[(int)(nq * 0.99)], us[(int)(nq * 0.999)], us[nq - 1], nq / wall, cpu / 1e3 / nq,
         errors ? " ERREURS" : "");
  free(us);
  int rc = (fclose(fp) == 0) & (fclose(fa) == 0);
  return rc && !errors ? 0 : -1;
}

/* --export: the territory, the answers, the files for PostGIS. */
static int heat_export(const char *dir, int nseg, int nq, unsigned long long seed, const double *qx,
                       const double *qy) {
  double *vx = xmalloc((size_t)nseg * sizeof *vx), *vy = xmalloc((size_t)nseg * sizeof *vy);
  int *vnet = xmalloc((size_t)nseg * sizeof *vnet);
  printf("\n");
  int rc = -1;
  if (import_layer(HEAT_LAYER_LINES, networks_geojson(nseg, LAYOUT_HEAT, seed, vx, vy, vnet), "id") < 0 ||
      import_layer(HEAT_LAYER_COMMUNES, communes_geojson(), "code") < 0 ||
      import_layer(HEAT_LAYER_ZONES, zones_geojson(nseg, vx, vy, vnet, seed), "id") < 0 ||
      heat_rows((nseg + PER_NET - 1) / PER_NET) != 0)
    goto out;
  double *lon = xmalloc((size_t)nq * sizeof *lon), *lat = xmalloc((size_t)nq * sizeof *lat);
  memcpy(lon, qx, (size_t)nq * sizeof *lon);
  memcpy(lat, qy, (size_t)nq * sizeof *lat);
  int ok = geo_l93_to_wgs84(lon, lat, (size_t)nq) == 0 && measure_answers(dir, lon, lat, nq) == 0 &&
           export_layer(dir, "heat_segments.tsv", HEAT_LAYER_LINES) == 0 &&
           export_layer(dir, "communes.tsv", HEAT_LAYER_COMMUNES) == 0 &&
           export_layer(dir, "heat_zones.tsv", HEAT_LAYER_ZONES) == 0 && export_networks(dir) == 0;
  free(lon);
  free(lat);
  rc = ok ? 0 : -1;
out:
  free(vx);
  free(vy);
  free(vnet);
  return rc;
}

int main(int argc, char **argv) {
  int nseg = 10000, nq = 100000, nthread = 1;
  unsigned long long seed = 20240917;
  const char *export_dir = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--segments")) nseg = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--queries")) nq = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads")) nthread = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--export")) export_dir = argv[i + 1];
    else {
      fprintf(stderr, "usage: geo_bench [--segments N] [--queries N] [--threads N] [--seed N] [--export DIR]\n");
      return 2;
    }
  }
  if (nseg < 1 || nq < 100 || nthread < 1 || nthread > 64) return 2;
  log_set_quiet(1);
  char dir[] = "/tmp/geo-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char path[64];
  snprintf(path, sizeof path, "%s/bench.db", dir);
  if (db_open(path) != 0 || db_migrate() < 0) return 1;

  const char *layers[] = {"segments", "networks"};
  for (int m = 0; m < 2; m++) {
    char *z = networks_geojson(nseg, m, seed, NULL, NULL, NULL);
    geo_report rep = {0};
    double t0 = now_ns();
    long n = geo_import_geojson(layers[m], z, strlen(z), GEO_L93, "id", 0, &rep);
    printf("import %-9s %ld objet(s), %d segments, %.0f ms (%.1f Mo de GeoJSON)\n", layers[m], n,
           nseg, (now_ns() - t0) / 1e6, (double)strlen(z) / 1e6);
    if (n < 0) {
      fprintf(stderr, "%s\n", rep.zFatal);
      return 1;
    }
    geo_report_free(&rep);
    free(z);
  }

  double *qx = xmalloc((size_t)nq * sizeof(double)), *qy = xmalloc((size_t)nq * sizeof(double));
  g_rng = seed ^ 0x5DEECE66Dull;
  for (int i = 0; i < nq; i++) {
    qx[i] = X0 - MARGIN + rnd() * (SIDE + 2 * MARGIN);
    qy[i] = Y0 - MARGIN + rnd() * (SIDE + 2 * MARGIN);
  }
  printf("\ngeo_nearest, %d requêtes, %d thread(s), latences en µs\n", nq, nthread);
  printf("%-9s %-6s %8s %7s %7s %7s %8s %7s %7s %7s %8s\n", "couche", "seuil", "requêtes",
         "p50", "p99", "p99.9", "max", "moyenne", "CPU/req", "trouvé", "req/s");
  for (int m = 0; m < 2; m++) {
    measure(layers[m], layers[m], 200, qx, qy, nq, nthread);
    measure(layers[m], layers[m], 0, qx, qy, nq, nthread);
  }
  int rc = export_dir ? heat_export(export_dir, nseg, nq, seed, qx, qy) : 0;
  free(qx);
  free(qy);
  geo_thread_close();
  db_thread_close();
  const char *suffix[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
    char p[96];
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
  rmdir(dir);
  return rc ? 1 : 0;
}
