/*
** charge_bench.c — sessions loaded through the aid feature's path
** (charge_import_run: Table Schema validation, the point looked up for each
** row, batches sorted and inserted into the WITHOUT ROWID sessions table,
** per-day sums of points and dossiers in the same transactions), against
** `sqlite3 DB ".import --csv"` of the same file into a plain text table;
** then the size on disk per session, and the time of the summary queries
** the pages run (dossier, programme, table of points, dashboard synthesis).
**
** Run it through bench/charge_bench.sh, which builds it and generates the
** file:  sh bench/charge_bench.sh ROWS [--points dep17|all]
** Directly: build/charge_bench FILE.csv [--dir D] [--keep] [--no-import] [--again]
**   --again  loads the same file a second time (every session already
**            known: what a repeated upload, or a job resumed after a crash,
**            costs).
**
** Before the timed load, every point the file names is declared in one
** validated dossier of one organisation (untimed), as the IRVE statique
** upload would.
*/
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "core/util.h"
#include "sqlite_import.h"
#include "features/aid/charge.h"

#define IMPORT_TABLE                                                                     \
  "CREATE TABLE t(id TEXT, id_pdc_itinerance TEXT NOT NULL, start TEXT NOT NULL, \"end\" TEXT NOT NULL," \
  " energy REAL NOT NULL)"
#define QUERY_RUNS 5

/* Bytes of a table and its indexes (dbstat), of a database file. */
static long long table_bytes(const char *db, const char *table) {
  sqlite3 *h;
  long long n = -1;
  if (sqlite3_open(db, &h) == SQLITE_OK) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h,
                           "SELECT sum(pgsize) FROM dbstat WHERE name = ?1 OR name IN"
                           " (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1)",
                           -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
  }
  return n;
}

/* Declares every point the file names (second column), untimed. */
static long long declare_points(const char *csv) {
  FILE *f = fopen(csv, "r");
  if (!f) return -1;
  char line[4096];
  long long n = 0;
  int64_t now = now_unix();
  db_begin_write();
  if (!fgets(line, sizeof line, f)) line[0] = 0; /* header */
  while (fgets(line, sizeof line, f)) {
    char *a = strchr(line, ','), *b = a ? strchr(a + 1, ',') : NULL;
    if (!b) continue;
    *b = 0;
    if (db_run("INSERT INTO aid_charge_points(id_pdc_itinerance, dossier_id, org_id, id_station_itinerance,"
               " nom_station, contact_operateur, nom_enseigne, implantation_station, adresse_station, lon, lat,"
               " nbre_pdc, puissance_nominale, prise_type_ef, prise_type_2, prise_type_combo_ccs,"
               " prise_type_chademo, prise_type_autre, paiement_acte, condition_acces, reservation, horaires,"
               " accessibilite_pmr, date_maj, created_at, updated_at) VALUES(?, 1, 1, 'FRBENCH', 'banc',"
               " 'banc@exemple.fr', 'banc', 'Voirie', 'banc', -1.15, 46.16, 1, 22, 0, 1, 0, 0, 0, 1,"
               " 'Accès libre', 0, '24/7', 'Accessibilité inconnue', '2025-01-01', ?, ?)"
               " ON CONFLICT(id_pdc_itinerance) DO NOTHING",
               "tii", a + 1, now, now) == DB_DONE)
      n += db_changes();
  }
  db_commit();
  fclose(f);
  return n;
}

static int dcmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* The median of QUERY_RUNS runs of what a page does, in ms. */
static double time_query(int which) {
  double t[QUERY_RUNS];
  for (int k = 0; k < QUERY_RUNS; k++) {
    arena *a = arena_new();
    json_t *d = json_object();
    double t0 = now_mono_ms();
    switch (which) {
      case 0: charge_summary_into(a, CHARGE_DOSSIER, 1, 0, d); break;
      case 1: charge_summary_into(a, CHARGE_PROGRAMME, 1, 1, d); break;
      case 2: charge_points_into(a, 1, "/x", d); break;
      case 3: charge_synthesis_json(0, d); break;
      default: charge_summary_into(a, CHARGE_POINT, 1, 0, d);
    }
    t[k] = now_mono_ms() - t0;
    json_decref(d);
    arena_free(a);
  }
  qsort(t, QUERY_RUNS, sizeof t[0], dcmp);
  return t[QUERY_RUNS / 2];
}

int main(int argc, char **argv) {
  const char *csv = NULL, *dir = NULL;
  int keep = 0, import = 1, again = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--keep")) keep = 1;
    else if (!strcmp(argv[i], "--no-import")) import = 0;
    else if (!strcmp(argv[i], "--again")) again = 1;
    else if (argv[i][0] != '-' && !csv) csv = argv[i];
    else {
      fprintf(stderr, "usage: %s FILE.csv [--dir D] [--keep] [--no-import] [--again]\n", argv[0]);
      return 2;
    }
  }
  if (!csv) {
    fprintf(stderr, "usage: %s FILE.csv [options] (see the comment at the top)\n", argv[0]);
    return 2;
  }
  log_set_quiet(1);
  char tmp[] = "/tmp/guichet-chargebench-XXXXXX";
  if (!(dir = bench_workdir(dir, tmp))) return 1;
  char dbLoad[4096], dbImport[4096];
  snprintf(dbLoad, sizeof dbLoad, "%s/charge.db", dir);
  snprintf(dbImport, sizeof dbImport, "%s/import.db", dir);
  config_set("data_dir", dir);
  if (db_open(dbLoad) != 0 || db_migrate() < 0) return 1;
  int64_t now = now_unix();
  db_run("INSERT INTO users(id, email, password_hash, status, created_at) VALUES(1, 'banc@exemple.fr', 'x',"
         " 'active', ?)", "i", now);
  db_run("INSERT INTO organisations(id, siret, kind, name, address, postcode, city, contact_email, contact_phone,"
         " created_at, updated_at) VALUES(1, '73282932000074', 'Entreprise', 'Banc', '1 rue', '17000',"
         " 'La Rochelle', 'banc@exemple.fr', '0546000000', ?, ?)", "ii", now, now);
  db_run("INSERT INTO aid_programmes(id, name, target, rate_bp, cap_cents, eligible_costs, opens_on, closes_on,"
         " created_at, updated_at) VALUES(1, 'Banc', 'voirie_publique', 5000, 60000, 'tout', '2020-01-01',"
         " '2099-12-31', ?, ?)", "ii", now, now);
  db_run("INSERT INTO aid_dossiers(id, number, programme_id, org_id, status, created_at, updated_at)"
         " VALUES(1, 'AV-2026-000001', 1, 1, 'validee', ?, ?)", "ii", now, now);
  double t0 = now_mono_ms();
  long long points = declare_points(csv);
  printf("fichier            %s ; %lld points déclarés (%.0f ms, non compté)\n", csv, points, now_mono_ms() - t0);

  /* 1. The feature's path. */
  int64_t id = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "bench.csv", 0);
  double c0 = cpu_ms();
  t0 = now_mono_ms();
  int rc = charge_import_run(id, csv, NULL, 0);
  double ms = now_mono_ms() - t0, cpu = cpu_ms() - c0;
  int64_t read = db_get_int(0, "SELECT rows_read FROM aid_charge_imports WHERE id=?", "i", id);
  int64_t loaded = db_get_int(0, "SELECT rows_loaded FROM aid_charge_imports WHERE id=?", "i", id);
  int64_t rejected = db_get_int(0, "SELECT rows_rejected FROM aid_charge_imports WHERE id=?", "i", id);
  double rate = ms > 0 ? (double)read * 1000.0 / ms : 0;
  printf("aid (charge.c)     %lld lignes lues, %lld chargées, %lld refusées, %.0f ms (CPU %.0f ms) : %.0f lignes/s%s\n",
         (long long)read, (long long)loaded, (long long)rejected, ms, cpu, rate, rc ? " — ÉCHEC" : "");
  double msAgain = 0;
  if (again) {
    int64_t id2 = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "bench.csv", 0);
    t0 = now_mono_ms();
    charge_import_run(id2, csv, NULL, 0);
    msAgain = now_mono_ms() - t0;
    printf("même fichier       %lld déjà connues, %.0f ms : %.0f lignes/s\n",
           (long long)db_get_int(0, "SELECT rows_known FROM aid_charge_imports WHERE id=?", "i", id2), msAgain,
           (double)read * 1000.0 / msAgain);
  }
  double q[5];
  for (int k = 0; k < 5; k++) q[k] = time_query(k);
  int64_t days = db_get_int(0, "SELECT count(*) FROM aid_charge_point_days", "");
  int64_t ddays = db_get_int(0, "SELECT count(*) FROM aid_charge_dossier_days", "");
  db_run("PRAGMA wal_checkpoint(TRUNCATE)", "");
  db_thread_close();
  long long bSess = table_bytes(dbLoad, "aid_charge_sessions");
  long long bDays = table_bytes(dbLoad, "aid_charge_point_days");
  long long bDd = table_bytes(dbLoad, "aid_charge_dossier_days");

  /* 2. sqlite3 .import of the same file. */
  double msImport = -1, rateImport = 0;
  long long bImport = -1;
  if (import) {
    msImport = sqlite_import(dbImport, csv, IMPORT_TABLE);
    if (msImport > 0) {
      rateImport = (double)read * 1000.0 / msImport;
      bImport = table_bytes(dbImport, "t");
      printf("sqlite3 .import    %.0f ms : %.0f lignes/s\n", msImport, rateImport);
    } else {
      printf("sqlite3 .import : échec (sqlite3 est-il installé ?)\n");
    }
  }

  double perRow = loaded ? (double)bSess / (double)loaded : 0;
  printf("\n| mesure | valeur |\n|---|---|\n");
  printf("| sessions | %lld lignes, %lld points |\n", (long long)read, points);
  printf("| chargement par le parcours de l'aide | %.0f lignes/s (%.1f s, CPU %.1f s) |\n", rate, ms / 1e3, cpu / 1e3);
  if (rateImport > 0)
    printf("| sqlite3 .import (texte, sans contrôle) | %.0f lignes/s (%.1f s) ; rapport : %.2f |\n", rateImport,
           msImport / 1e3, rate / rateImport);
  if (again) printf("| même fichier une 2e fois (tout déjà connu) | %.0f lignes/s |\n", (double)read * 1000.0 / msAgain);
  printf("| table des sessions | %.1f Mo, %.1f octets par session |\n", (double)bSess / 1e6, perRow);
  printf("| sommes par point et par jour | %lld lignes, %.1f Mo |\n", (long long)days, (double)bDays / 1e6);
  printf("| sommes par demande et par jour | %lld lignes, %.2f Mo |\n", (long long)ddays, (double)bDd / 1e6);
  if (bImport > 0 && read)
    printf("| table de .import (texte) | %.1f Mo, %.1f octets par ligne |\n", (double)bImport / 1e6,
           (double)bImport / (double)read);
  printf("| synthèse d'une demande (par semaine) | %.2f ms |\n", q[0]);
  printf("| synthèse du programme (par jour) | %.2f ms |\n", q[1]);
  printf("| tableau des points de la demande (500 au plus) | %.2f ms |\n", q[2]);
  printf("| synthèse tous programmes (tableau de bord) | %.2f ms |\n", q[3]);
  printf("| synthèse d'un point | %.2f ms |\n", q[4]);
  if (!keep && dir == tmp) {
    const char *names[] = {"charge.db", "charge.db-wal", "charge.db-shm", "import.db", "import.db-wal",
                           "import.db-shm"};
    for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", dir, names[k]);
      unlink(p);
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/charge", dir);
    rmdir(p);
    rmdir(tmp);
  } else if (keep) {
    printf("bases gardées dans %s\n", dir);
  }
  return rc < 0 ? 1 : 0;
}
