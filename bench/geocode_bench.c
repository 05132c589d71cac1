/*
** geocode_bench.c — imports a BAN file into a fresh database and times the
** geocoder (core/geocode.h): import rows/s, then autocomplete on 10,000
** prefixes of real labels (3 to 20 characters, drawn at random from the
** imported addresses), full-label search and reverse geocoding, each with
** p50/p90/p99/max in milliseconds. The target: autocomplete p99
** < 5 ms over 2 million addresses.
**
** Build (from the repository root, after `make all`):
**   cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o build/geocode_bench bench/geocode_bench.c \
**      build/libguichet.a $(pkg-config --libs sqlite3 zlib) -lcsv -lpthread -lm
** Run:
**   python3 bench/gen_addresses.py /tmp/adresses-2m.csv.gz
**   ./build/geocode_bench /tmp/adresses-2m.csv.gz [--queries N] [--seed S] [--keep] [--export DIR]
** The database goes to a temporary directory, removed at the end unless
** --keep. One thread, as one server worker answers one request.
**
** With --export DIR it also writes what bench/postgis.sh loads into
** PostgreSQL to answer the same autocomplete queries: the streets and
** numbers as the import left them (streets.tsv, numbers.tsv) and, per
** query, its prefix, the address it was cut from, the house number and the
** tsquery that ask what geocode_suggest asks (words normalised by
** geocode_normalize, stopwords dropped except the word being typed, which
** is a prefix), Guichet's latency (second pass) and whether the address was
** among its 5 answers (suggest.tsv).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/geocode.h"
#include "core/log.h"
#include "core/util.h"

/* CPU time of this thread in ms: what a query costs, whatever else runs on
** the machine (wall time also counts the waits for a busy core). */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Sorts t[0..n) and prints its percentiles. */
static void report(const char *what, double *t, int n) {
  if (n == 0) return;
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += t[i];
  printf("  %-34s n=%-6d p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  moyenne %.3f ms\n", what, n,
         t[n / 2], t[n * 9 / 10], t[n * 99 / 100], t[n - 1], sum / n);
}

/* The first `chars` UTF-8 characters of z, into out[cap]. */
static void utf8_prefix(char *out, size_t cap, const char *z, int chars) {
  size_t i = 0;
  while (z[i] && chars > 0 && i + 4 < cap) {
    i++;
    while (((unsigned char)z[i] & 0xC0) == 0x80) i++;
    chars--;
  }
  memcpy(out, z, i);
  out[i] = 0;
}

/* ------------------------------------------------------------- --export */

static int is_stop(const char *w) {
  static const char *const stop[] = {"a", "au", "aux", "d", "de", "des", "du", "en", "et",
                                     "l", "la", "le", "les", "sous", "sur"};
  for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
    if (!strcmp(stop[i], w)) return 1;
  return 0;
}

static int is_rep(const char *w) {
  static const char *const reps[] = {"bis", "ter", "quater", "quinquies", "b", "t", "q", "qua"};
  for (size_t i = 0; i < ARRAY_SIZE(reps); i++)
    if (!strcmp(reps[i], w)) return 1;
  return w[0] >= 'a' && w[0] <= 'z' && !w[1] && w[0] != 'r';
}

/* What geocode_suggest asks for prefix, as PostgreSQL would be asked: the
** house number (0 if none) and a tsquery ("rue & republique:*"; "" when
** no word is left). A simplified query_parse of geocode.c. */
static void pg_query(const char *prefix, char *tsq, size_t cap, int *numero) {
  size_t n = strlen(prefix);
  unsigned char last = n ? (unsigned char)prefix[n - 1] : 0;
  int typing = last >= 0x80 || (last >= '0' && last <= '9') || ((last | 0x20) >= 'a' && (last | 0x20) <= 'z');
  buf b = {0}, q = {0};
  geocode_normalize(&b, prefix);
  char *words[24];
  int nw = 0;
  for (char *w = strtok(b.z ? b.z : (char *)"", " "); w && nw < 24; w = strtok(NULL, " ")) words[nw++] = w;
  *numero = 0;
  int after_number = 0;
  for (int i = 0; i < nw; i++) {
    int final = i == nw - 1 && typing;
    size_t len = strlen(words[i]);
    if (len <= 4 && strspn(words[i], "0123456789") == len) {
      *numero = atoi(words[i]);
      after_number = 1;
      continue;
    }
    if (after_number && is_rep(words[i]) && !(final && len < 3)) continue;
    after_number = 0;
    if (!final && is_stop(words[i])) continue;
    buf_printf(&q, "%s%s%s", q.n ? " & " : "", words[i], final ? ":*" : "");
  }
  snprintf(tsq, cap, "%s", buf_str(&q));
  buf_free(&b);
  buf_free(&q);
}

/* streets.tsv and numbers.tsv: the import's tables, for COPY. */
static int export_tables(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/streets.tsv", dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  db_stmt *s = db_query("SELECT id, rank, norm, lieu, voie, code_postal, commune, n FROM address_streets"
                        " WHERE rank IS NOT NULL", "");
  while (db_step(s) == DB_ROW)
    fprintf(f, "%lld\t%lld\t%s\t%s\t%s\t%s\t%s\t%lld\n", (long long)db_int(s, 0), (long long)db_int(s, 1),
            db_text(s, 2), db_text(s, 3), db_text(s, 4), db_text(s, 5), db_text(s, 6), (long long)db_int(s, 7));
  db_done(s);
  if (fclose(f) != 0) return -1;
  snprintf(path, sizeof path, "%s/numbers.tsv", dir);
  if (!(f = fopen(path, "w"))) return -1;
  s = db_query("SELECT id, street_id, numero, rep, lon, lat FROM address_numbers", "");
  while (db_step(s) == DB_ROW)
    fprintf(f, "%lld\t%lld\t%lld\t%s\t%.7f\t%.7f\n", (long long)db_int(s, 0), (long long)db_int(s, 1),
            (long long)db_int(s, 2), db_text(s, 3), db_double(s, 4), db_double(s, 5));
  db_done(s);
  return fclose(f);
}

static uint64_t g_rng = 88172645463325252u; /* xorshift64, seeded by --seed */
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

int main(int argc, char **argv) {
  const char *file = NULL, *export_dir = NULL;
  int nq = 10000, keep = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--queries") && i + 1 < argc) nq = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) g_rng ^= strtoull(argv[++i], NULL, 10) * 2654435761u;
    else if (!strcmp(argv[i], "--keep")) keep = 1;
    else if (!strcmp(argv[i], "--export") && i + 1 < argc) export_dir = argv[++i];
    else file = argv[i];
  }
  if (!file || nq < 1) {
    fprintf(stderr, "usage : geocode_bench FICHIER[.csv|.csv.gz] [--queries N] [--seed S] [--keep] [--export DIR]\n");
    return 2;
  }
  log_set_quiet(1);
  char dir[] = "/tmp/geocode-bench-XXXXXX", path[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/guichet.db", dir);
  if (db_open(path) != 0 || db_migrate() < 0) return 1;

  geocode_import_stats st;
  if (geocode_import_file(file, GEOCODE_FMT_AUTO, NULL, NULL, &st) != 0) {
    fprintf(stderr, "import : %s\n", st.error);
    return 1;
  }
  struct stat sb;
  stat(path, &sb);
  printf("Import de %s\n  %lld lignes, %lld adresses, %lld refusées, %lld voies, %lld communes\n"
         "  %.1f s, %.0f lignes/s ; base %.0f Mo\n",
         file, (long long)st.lines, (long long)st.imported, (long long)st.rejected, (long long)st.streets,
         (long long)st.communes, st.seconds, (double)st.lines / st.seconds, (double)sb.st_size / 1e6);

  /* Queries: prefixes of the labels of random addresses. */
  int64_t max_id = db_get_int(0, "SELECT max(id) FROM address_numbers", "");
  int64_t *ids = xmalloc((size_t)nq * sizeof *ids);
  char (*prefix)[64] = xmalloc((size_t)nq * sizeof *prefix);
  char (*label)[256] = xmalloc((size_t)nq * sizeof *label);
  for (int i = 0; i < nq; i++) {
    geocode_hit h;
    do ids[i] = 1 + (int64_t)(rnd() % (uint64_t)max_id);
    while (geocode_get(ids[i], &h) != GEOCODE_FOUND);
    memcpy(label[i], h.label, sizeof h.label);
    utf8_prefix(prefix[i], sizeof prefix[i], h.label, 3 + (int)(rnd() % 18));
  }
  double *t = xmalloc((size_t)nq * sizeof *t), *cpu = xmalloc((size_t)nq * sizeof *cpu);
  geocode_hit hits[20];
  int n;

  if (export_dir && export_tables(export_dir) != 0) {
    fprintf(stderr, "geocode_bench : écriture impossible dans %s\n", export_dir);
    return 1;
  }
  FILE *fq = NULL;
  if (export_dir) {
    char qpath[1024];
    snprintf(qpath, sizeof qpath, "%s/suggest.tsv", export_dir);
    if (!(fq = fopen(qpath, "w"))) return 1;
  }
  printf("Autocomplétion (geocode_suggest, 5 résultats, préfixes de 3 à 20 caractères)\n");
  for (int pass = 0; pass < 2; pass++) {
    int answered = 0, target = 0;
    for (int i = 0; i < nq; i++) {
      double t0 = now_mono_ms(), c0 = cpu_ms();
      int rc = geocode_suggest(prefix[i], 5, hits, &n);
      cpu[i] = cpu_ms() - c0;
      t[i] = now_mono_ms() - t0;
      if (rc < 0) {
        fprintf(stderr, "erreur sur « %s »\n", prefix[i]);
        return 1;
      }
      answered += n > 0;
      int hit = 0;
      for (int k = 0; k < n; k++) hit |= hits[k].id == ids[i];
      target += hit;
      if (fq && pass == 1) {
        char tsq[512];
        int numero;
        pg_query(prefix[i], tsq, sizeof tsq, &numero);
        fprintf(fq, "%d\t%lld\t%d\t%s\t%s\t%.4f\t%d\n", i + 1, (long long)ids[i], numero, tsq, prefix[i], t[i], hit);
      }
    }
    if (pass == 1) { /* the slowest, before report() sorts the times */
      printf("  les plus lentes (second passage) :");
      for (int k = 0; k < 5; k++) {
        int worst = 0;
        for (int i = 1; i < nq; i++)
          if (t[i] > t[worst]) worst = i;
        printf("%s « %s » %.2f ms", k ? "," : "", prefix[worst], t[worst]);
        t[worst] = -t[worst];
      }
      printf("\n");
      for (int i = 0; i < nq; i++)
        if (t[i] < 0) t[i] = -t[i];
    }
    report(pass ? "second passage (cache chaud)" : "premier passage", t, nq);
    report("  temps CPU du fil", cpu, nq);
    if (pass == 0)
      printf("  %.1f %% des préfixes ont au moins une suggestion ; l'adresse visée est parmi les 5 "
             "pour %.1f %%\n", answered * 100.0 / nq, target * 100.0 / nq);
  }

  int ns = nq < 2000 ? nq : 2000, top1 = 0, missed = 0;
  for (int i = 0; i < ns; i++) {
    double t0 = now_mono_ms();
    geocode_search(label[i], 5, hits, &n);
    t[i] = now_mono_ms() - t0;
    if (n > 0 && hits[0].id == ids[i]) top1++;
    else if (missed++ < 5) /* the first misses, to see why */
      printf("  manqué : « %s » → « %s »\n", label[i], n > 0 ? hits[0].label : "(rien)");
  }
  printf("Recherche du libellé complet (geocode_search)\n");
  report("libellés exacts", t, ns);
  printf("  premier résultat = l'adresse visée : %.2f %%\n", top1 * 100.0 / ns);

  for (int i = 0; i < ns; i++) {
    geocode_hit h;
    geocode_get(ids[i], &h);
    double dlon = ((double)(rnd() % 1000) / 1000.0 - 0.5) * 0.0005;
    double dlat = ((double)(rnd() % 1000) / 1000.0 - 0.5) * 0.0003;
    double t0 = now_mono_ms();
    geocode_reverse(h.lon + dlon, h.lat + dlat, &h);
    t[i] = now_mono_ms() - t0;
  }
  printf("Géocodage inverse (geocode_reverse, point à ~20 m d'une adresse)\n");
  report("points", t, ns);

  if (fq && fclose(fq) != 0) return 1;
  db_thread_close();
  if (!keep) {
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
      char p[80];
      snprintf(p, sizeof p, "%s%s", path, suffix[i]);
      unlink(p);
    }
    rmdir(dir);
  } else {
    printf("Base gardée : %s\n", path);
  }
  free(ids);
  free(prefix);
  free(label);
  free(t);
  free(cpu);
  return 0;
}
