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
** Build and run (from the repository root; the libraries are the Makefile's
** PKGS, since libguichet.a holds every core object):
**   make -s build/libguichet.a && cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -Ibuild \
**     $(pkg-config --cflags jansson) -o build/geo_bench bench/geo_bench.c \
**     build/libguichet.a $(pkg-config --libs libmicrohttpd sqlite3 jansson libsodium \
**     liboath libqrencode libcurl libmagic zlib libzip libcmark xlsxwriter proj geos) \
**     -lcsv -lpthread -lm
**   build/geo_bench [--segments N] [--queries N] [--threads N] [--seed N]
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

/* GeoJSON of nseg synthetic segments in Lambert-93, one feature per
** segment (multi = 0) or per network (multi = 1). Same seed, same lines. */
static char *networks_geojson(int nseg, int multi, unsigned long long seed) {
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
      if (multi)
        buf_printf(&b, "%s[[%.2f,%.2f],[%.2f,%.2f]]", k ? "," : "", x, y, nx, ny);
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

int main(int argc, char **argv) {
  int nseg = 10000, nq = 100000, nthread = 1;
  unsigned long long seed = 20240917;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--segments")) nseg = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--queries")) nq = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads")) nthread = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "usage: geo_bench [--segments N] [--queries N] [--threads N] [--seed N]\n");
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
    char *z = networks_geojson(nseg, m, seed);
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
  return 0;
}
