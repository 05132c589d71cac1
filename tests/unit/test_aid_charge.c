/*
** test_aid_charge.c — charging data (features/aid/charge.h): the calendar
** in the territory's time zone (Europe/Paris, with its DST days), the
** split of a session between days, the formats, the chart scale and the
** JSON-to-CSV of the API; then, on a fresh database, a points load and a
** sessions load whose day tables add up, a load run twice, and what the
** issue asks of a crash: the process SIGKILLed mid-load leaves whole
** batches (sessions, day sums and the import's counters together), and the
** job run again finishes the load without counting anything twice.
*/
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "core/util.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"
#include "testdb.h"

#define FIX "tests/fixtures/irve/"

static testdb T; /* the test's directory and database */

static void paris(void) {
  setenv("TZ", "Europe/Paris", 1);
  tzset();
}

static int64_t count(const char *sql) { return db_get_int(-1, sql, ""); }

/* ------------------------------------------------------------- calendar */

TestSuite(charge_calendar, .init = paris);

Test(charge_calendar, civil_days_both_ways) {
  cr_assert_eq(charge_days_from_civil(1970, 1, 1), 0);
  cr_assert_eq(charge_days_from_civil(2000, 3, 1), 11017);
  cr_assert_eq(charge_days_from_civil(2024, 2, 29), 19782);
  cr_assert_eq(charge_days_from_civil(1969, 12, 31), -1);
  char t[11];
  for (int64_t d = 10957; d < 47482; d += 37) { /* the years 2000..2099 that dates accept */
    charge_day_text(d, t);
    cr_assert_eq(charge_day_parse(t), d, "%s", t);
  }
  charge_day_text(19782, t);
  cr_assert_str_eq(t, "2024-02-29");
  cr_assert_eq(charge_day_parse("2025-02-30"), -1);
  cr_assert_eq(charge_day_parse("hier"), -1);
}

Test(charge_calendar, days_follow_local_midnight_and_dst) {
  int64_t s, e;
  int64_t d = charge_day_parse("2025-01-15");
  charge_day_bounds(d, &s, &e);
  cr_assert_eq(s, 1736895600); /* 2025-01-14T23:00:00Z */
  cr_assert_eq(e - s, 86400);
  charge_day_bounds(charge_day_parse("2025-03-30"), &s, &e);
  cr_assert_eq(e - s, 23 * 3600); /* clocks go forward */
  charge_day_bounds(charge_day_parse("2025-10-26"), &s, &e);
  cr_assert_eq(e - s, 25 * 3600); /* and back */
  /* 2025-01-14T23:30:00Z is already the 15th in Paris. */
  cr_assert_eq(charge_day_of(1736897400), d);
  cr_assert_eq(charge_day_of(1736895599), d - 1);
  cr_assert_eq(charge_day_of(1736895600), d);
  /* Weeks start on Monday: 2025-01-15 was a Wednesday. */
  cr_assert_eq(charge_week_of(d), charge_day_parse("2025-01-13"));
  cr_assert_eq(charge_week_of(charge_day_parse("2025-01-13")), charge_day_parse("2025-01-13"));
  cr_assert_eq(charge_week_of(charge_day_parse("2025-01-19")), charge_day_parse("2025-01-13"));
  cr_assert_eq(charge_week_of(0), -3); /* 1970-01-01 was a Thursday */
}

Test(charge_calendar, a_session_is_split_at_local_midnights) {
  charge_slice sl[40];
  /* 23:00 to 01:30 Paris time on 2025-01-15/16: 1 h, then 1 h 30. */
  int64_t start = 1736978400; /* 2025-01-15T22:00:00Z */
  int n = charge_split(start, start + 9000, sl, 40);
  cr_assert_eq(n, 2);
  cr_assert_eq(sl[0].day, charge_day_parse("2025-01-15"));
  cr_assert_eq(sl[0].busy_s, 3600);
  cr_assert_eq(sl[1].day, charge_day_parse("2025-01-16"));
  cr_assert_eq(sl[1].busy_s, 5400);
  /* Within a day; zero length; across the 23-hour day, whole. */
  n = charge_split(start - 7200, start - 3600, sl, 40);
  cr_assert(n == 1 && sl[0].busy_s == 3600);
  n = charge_split(start, start, sl, 40);
  cr_assert(n == 1 && sl[0].busy_s == 0 && sl[0].day == charge_day_parse("2025-01-15"));
  int64_t s, e;
  charge_day_bounds(charge_day_parse("2025-03-30"), &s, &e);
  n = charge_split(s - 60, e + 60, sl, 40);
  cr_assert_eq(n, 3);
  cr_assert_eq(sl[0].busy_s, 60);
  cr_assert_eq(sl[1].busy_s, 23 * 3600);
  cr_assert_eq(sl[2].busy_s, 60);
  /* The longest session allowed fits the slices a caller provides. */
  n = charge_split(start, start + CHARGE_SESSION_MAX_S, sl, CHARGE_SESSION_MAX_S / 86400 + 2);
  int64_t sum = 0;
  for (int i = 0; i < n; i++) sum += sl[i].busy_s;
  cr_assert_eq(n, 32);
  cr_assert_eq(sum, CHARGE_SESSION_MAX_S);
}

Test(charge_calendar, formats_and_shares) {
  cr_assert_eq(charge_wh(17.746), 17746);
  cr_assert_eq(charge_wh(0.0005), 1);
  cr_assert_eq(charge_wh(0), 0);
  cr_assert_eq(charge_wh(1000), 1000000);
  char t[64];
  charge_format_count(t, sizeof t, 1234567);
  cr_assert_str_eq(t, "1\xc2\xa0" "234\xc2\xa0" "567");
  charge_format_count(t, sizeof t, -1234);
  cr_assert_str_eq(t, "-1\xc2\xa0" "234");
  charge_format_count(t, sizeof t, 999);
  cr_assert_str_eq(t, "999");
  charge_format_kwh(t, sizeof t, 1234567);
  cr_assert_str_eq(t, "1\xc2\xa0" "234,6\xc2\xa0kWh");
  charge_format_kwh(t, sizeof t, 49);
  cr_assert_str_eq(t, "0,0\xc2\xa0kWh");
  charge_format_share(t, sizeof t, 3750);
  cr_assert_str_eq(t, "37,5\xc2\xa0%");
  charge_format_share(t, sizeof t, 5);
  cr_assert_str_eq(t, "0,05\xc2\xa0%");
  charge_format_share(t, sizeof t, -1);
  cr_assert_str_eq(t, "–");
  cr_assert_eq(charge_occupancy_bp(3600, 1, 86400), 416);
  cr_assert_eq(charge_occupancy_bp(86400 * 2, 2, 86400), 10000);
  cr_assert_eq(charge_occupancy_bp(10, 0, 86400), -1);
  cr_assert_eq(charge_occupancy_bp(10, 3, 0), -1);
  cr_assert_eq(charge_scale_top(0), 10);
  cr_assert_eq(charge_scale_top(11), 20);
  cr_assert_eq(charge_scale_top(416), 500);
  cr_assert_eq(charge_scale_top(2100), 2500);
  cr_assert_eq(charge_scale_top(10000), 10000);
  cr_assert_eq(charge_scale_top(14000), 10000);
  cr_assert(charge_dossier_open("validee") && charge_dossier_open("versee"));
  cr_assert(!charge_dossier_open("deposee") && !charge_dossier_open("annulee") && !charge_dossier_open(NULL));
  for (int i = 0; i < aid_ndossier_statuses; i++) { /* CHARGE_OPEN_SQL says the same */
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", aid_dossier_statuses[i].code);
    cr_assert_eq(charge_dossier_open(aid_dossier_statuses[i].code), strstr(CHARGE_OPEN_SQL, quoted) != NULL, "%s",
                 quoted);
  }
}

Test(charge_calendar, api_arrays_become_csv) {
  json_error_t e;
  json_t *rows = json_loads("[{\"id_pdc_itinerance\": \"FRA\", \"start\": \"2025-01-01T00:00:00Z\","
                            " \"energy\": 17.746, \"x\": [1, 2]}, 3, {\"end\": \"a\\\"b\", \"energy\": 12,"
                            " \"y\": true, \"start\": null}]",
                            0, &e);
  cr_assert_not_null(rows, "%s", e.text);
  buf b = {0};
  cr_assert_eq(charge_json_csv(CHARGE_SESSIONS, rows, &b), 0);
  cr_assert_str_eq(buf_str(&b), "\"id\",\"id_pdc_itinerance\",\"start\",\"end\",\"energy\",\"x\",\"y\"\n"
                                ",\"FRA\",\"2025-01-01T00:00:00Z\",,17.746,\"[1,2]\",\n"
                                ",,,,,,\n"
                                ",,,\"a\"\"b\",12,,true\n");
  buf_free(&b);
  json_decref(rows);
}

/* ------------------------------------------------------------- database */

static void setup(void) {
  paris();
  testdb_open(&T, "charge");
  int64_t now = now_unix();
  cr_assert_eq(db_run("INSERT INTO users(id, email, password_hash, status, created_at) VALUES"
                      " (1, 'pose@exemple.fr', 'x', 'active', ?)", "i", now), DB_DONE);
  cr_assert_eq(db_run("INSERT INTO organisations(id, siret, kind, name, address, postcode, city, contact_email,"
                      " contact_phone, created_at, updated_at) VALUES(1, '73282932000074', 'Entreprise', 'Pose',"
                      " '1 rue', '17000', 'La Rochelle', 'c@exemple.fr', '0546000000', ?, ?)", "ii", now, now),
               DB_DONE);
  cr_assert_eq(db_run("INSERT INTO aid_programmes(id, name, target, rate_bp, cap_cents, eligible_costs,"
                      " opens_on, closes_on, created_at, updated_at) VALUES(1, 'Test', 'voirie_publique', 5000,"
                      " 60000, 'tout', '2020-01-01', '2099-12-31', ?, ?)", "ii", now, now), DB_DONE);
  cr_assert_eq(db_run("INSERT INTO aid_dossiers(id, number, programme_id, org_id, status, created_at, updated_at)"
                      " VALUES(1, 'AV-2026-000001', 1, 1, 'validee', ?, ?)", "ii", now, now), DB_DONE);
  /* The 270 points of Charente-Maritime. */
  int64_t id = charge_import_new(CHARGE_POINTS, 1, 1, 1, "csv", "pdc.csv", 0);
  cr_assert_eq(charge_import_run(id, FIX "pdc-dep17.csv", NULL, 0), 0);
  cr_assert_eq(count("SELECT count(*) FROM aid_charge_points"), 270);
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(charge_load, .init = setup, .fini = teardown);

/* The day tables add up to the sessions: counts, energy, occupied seconds. */
static void assert_consistent(void) {
  int64_t n = count("SELECT count(*) FROM aid_charge_sessions");
  int64_t wh = count("SELECT coalesce(sum(energy_wh), 0) FROM aid_charge_sessions");
  int64_t busy = count("SELECT coalesce(sum(end_at - start_at), 0) FROM aid_charge_sessions");
  cr_assert_eq(count("SELECT coalesce(sum(sessions), 0) FROM aid_charge_point_days"), n);
  cr_assert_eq(count("SELECT coalesce(sum(sessions), 0) FROM aid_charge_dossier_days"), n);
  cr_assert_eq(count("SELECT coalesce(sum(energy_wh), 0) FROM aid_charge_point_days"), wh);
  cr_assert_eq(count("SELECT coalesce(sum(energy_wh), 0) FROM aid_charge_dossier_days"), wh);
  cr_assert_eq(count("SELECT coalesce(sum(busy_s), 0) FROM aid_charge_point_days"), busy);
  cr_assert_eq(count("SELECT coalesce(sum(busy_s), 0) FROM aid_charge_dossier_days"), busy);
}

/* An import's counters and status. */
typedef struct irow {
  int64_t read, loaded, known, rejected;
  char status[16];
} irow;

static irow import_row(int64_t id) {
  irow r = {-1, -1, -1, -1, ""};
  db_stmt *s = db_query("SELECT rows_read, rows_loaded, rows_known, rows_rejected, status FROM aid_charge_imports"
                        " WHERE id=?", "i", id);
  if (db_step(s) == DB_ROW) {
    r.read = db_int(s, 0);
    r.loaded = db_int(s, 1);
    r.known = db_int(s, 2);
    r.rejected = db_int(s, 3);
    snprintf(r.status, sizeof r.status, "%s", db_text(s, 4));
  }
  db_done(s);
  return r;
}

Test(charge_load, sessions_and_their_days_add_up) {
  int64_t marker = count("SELECT n FROM aid_charge_marker");
  int64_t id = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "s.csv", 0);
  cr_assert_eq(charge_import_run(id, FIX "sessions-dep17.csv", NULL, 0), 0);
  /* The batch moved the marker the dashboard's cache reads (charge.h). */
  cr_assert_gt(count("SELECT n FROM aid_charge_marker"), marker);
  irow ir = import_row(id);
  cr_assert(ir.loaded == 200 && ir.known == 0 && ir.rejected == 0 && !strcmp(ir.status, "done"));
  cr_assert_eq(count("SELECT count(*) FROM aid_charge_sessions"), 200);
  assert_consistent();
  /* The first session: 2025-01-03 14:30:58 → 14:39:51 UTC, 17.746 kWh. */
  cr_assert_eq(db_get_int(-1, "SELECT energy_wh FROM aid_charge_sessions s JOIN aid_charge_points p"
                              " ON p.id = s.point_id WHERE p.id_pdc_itinerance = 'FRIOYE462801' AND start_at = ?",
                          "i", (int64_t)1735914658), 17746);
  /* Again: nothing new, everything known; a finished import is not run twice. */
  int64_t again = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "s.csv", 0);
  cr_assert_eq(charge_import_run(again, FIX "sessions-dep17.csv", NULL, 0), 0);
  ir = import_row(again);
  cr_assert(ir.loaded == 0 && ir.known == 200);
  cr_assert_eq(charge_import_run(again, FIX "sessions-dep17.csv", NULL, 0), 0);
  cr_assert_eq(import_row(again).known, 200);
  cr_assert_eq(count("SELECT count(*) FROM aid_charge_sessions"), 200);
  assert_consistent();
  /* The synthesis the dashboard reads. */
  json_t *o = json_object();
  cr_assert_eq(charge_synthesis_json(0, o), 0);
  cr_assert_eq(json_integer_value(json_object_get(o, "sessions")), 200);
  cr_assert_eq(json_integer_value(json_object_get(o, "points")), 270);
  cr_assert_eq(json_integer_value(json_object_get(o, "dossiers")), 1);
  cr_assert_str_eq(json_string_value(json_object_get(o, "first_day")), "2024-12-01");
  json_t *p = json_array_get(json_object_get(o, "programmes"), 0);
  cr_assert_eq(json_integer_value(json_object_get(p, "sessions")), 200);
  cr_assert_str_eq(json_string_value(json_object_get(p, "name")), "Test");
  cr_assert(json_real_value(json_object_get(p, "occupancy_pct")) > 0);
  json_decref(o);
}

/* n sessions on the 270 points, each (point, start) once. */
static const char *big_file(int n) {
  static char path[160];
  snprintf(path, sizeof path, "%s/big.csv", T.dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  db_stmt *s = db_query("SELECT id_pdc_itinerance FROM aid_charge_points ORDER BY id", "");
  char ids[270][40];
  int k = 0;
  while (k < 270 && db_step(s) == DB_ROW) snprintf(ids[k++], sizeof ids[0], "%s", db_text(s, 0));
  db_done(s);
  cr_assert_eq(k, 270);
  fputs("id_pdc_itinerance,start,end,energy\n", f);
  for (int i = 0; i < n; i++) {
    time_t t = (time_t)(1704067200 + (int64_t)(i / 270) * 5400 + i % 270 * 7);
    time_t u = t + 1200 + i % 9 * 900;
    struct tm a, b;
    gmtime_r(&t, &a);
    gmtime_r(&u, &b);
    char sa[32], sb[32];
    strftime(sa, sizeof sa, "%Y-%m-%dT%H:%M:%SZ", &a);
    strftime(sb, sizeof sb, "%Y-%m-%dT%H:%M:%SZ", &b);
    fprintf(f, "%s,%s,%s,%d.%03d\n", ids[i % 270], sa, sb, i % 80, i % 1000);
  }
  fclose(f);
  return path;
}

/* The server killed during a load: a child runs the load and is SIGKILLed
** once `after` rows are committed, plus a random delay; then whole batches
** only, and the day sums and the import's counter agree with them. */
static int64_t kill_mid_load(int64_t id, const char *path, int nrows, int64_t after) {
  db_thread_close(); /* no connection may cross fork() */
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    charge_import_run(id, path, NULL, 0);
    _exit(3); /* finishing means the parent was too slow to kill us */
  }
  int64_t seen = 0;
  double t0 = now_mono_ms();
  while (seen < after && now_mono_ms() - t0 < 60000) {
    usleep(1000);
    seen = db_get_int(0, "SELECT rows_loaded FROM aid_charge_imports WHERE id=?", "i", id);
  }
  db_thread_close();
  srand((unsigned)getpid());
  usleep((useconds_t)(rand() % 20000));
  kill(pid, SIGKILL);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child finished before the kill");
  int64_t n = count("SELECT count(*) FROM aid_charge_sessions");
  cr_assert_geq(n, after);
  cr_assert_lt(n, nrows);
  /* Batches double from CHARGE_BATCH_ROWS up to CHARGE_BATCH_MAX: n is
  ** where one of them ends. */
  int64_t end = 0, size = CHARGE_BATCH_ROWS;
  while (end < n) {
    end += size;
    size = size * 2 < CHARGE_BATCH_MAX ? size * 2 : CHARGE_BATCH_MAX;
  }
  cr_assert_eq(n, end, "%lld sessions: a batch was cut", (long long)n);
  irow ir = import_row(id);
  cr_assert_eq(ir.loaded, n); /* committed with the sessions */
  cr_assert_str_eq(ir.status, "running");
  assert_consistent();
  db_stmt *q = db_query("PRAGMA integrity_check", "");
  cr_assert_eq(db_step(q), DB_ROW);
  cr_assert_str_eq(db_text(q, 0), "ok");
  db_done(q);
  return n;
}

Test(charge_load, sigkill_mid_load_then_the_job_finishes_it, .timeout = 120) {
  const int nrows = 200000;
  const char *src = big_file(nrows);
  int64_t id = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "big.csv", 0);
  cr_assert_eq(id, 2);
  /* Where the upload page puts a big file for the job. */
  char dir[160], spool[200];
  snprintf(dir, sizeof dir, "%s/charge", T.dir);
  mkdir(dir, 0700);
  snprintf(spool, sizeof spool, "%s/import-2.csv", dir);
  cr_assert_eq(rename(src, spool), 0);
  int64_t n = kill_mid_load(id, spool, nrows, 2 * CHARGE_BATCH_ROWS);
  /* At restart the job runs again: it finishes, counts nothing twice, and
  ** removes the file. */
  json_t *payload = json_pack("{sI}", "import", (json_int_t)id);
  char *err = NULL;
  cr_assert_eq(charge_load_job(payload, &err), 0, "%s", err ? err : "");
  json_decref(payload);
  cr_assert_eq(count("SELECT count(*) FROM aid_charge_sessions"), nrows);
  irow ir = import_row(id);
  cr_assert_eq(ir.loaded, nrows);
  cr_assert_eq(ir.known, 0, "the first run's %lld rows are this import's", (long long)n);
  cr_assert_eq(ir.read, nrows);
  cr_assert_str_eq(ir.status, "done");
  cr_assert_neq(access(spool, F_OK), 0);
  assert_consistent();
}

/* A load that ran in a request (no spooled file) and that a crash cut
** short: its watch marks it interrupted; a finished one stays as it is. */
Test(charge_load, the_watch_closes_a_load_cut_short) {
  int64_t cut = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "api", "", 10);
  int64_t fine = charge_import_new(CHARGE_SESSIONS, 1, 0, 1, "csv", "s.csv", 10);
  /* Three watches: these two and the points load of the set-up. */
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM jobs WHERE kind='aid.charge.load' AND run_at >= ?", "i",
                          now_unix() + CHARGE_WATCH_S - 60),
               3);
  cr_assert_eq(charge_import_run(fine, FIX "sessions-dep17.csv", NULL, 0), 0);
  cr_assert_eq(db_run("UPDATE aid_charge_imports SET status='running', rows_loaded=20000 WHERE id=?", "i", cut),
               DB_DONE);
  char *err = NULL;
  json_t *p = json_pack("{sI}", "import", (json_int_t)cut);
  cr_assert_eq(charge_load_job(p, &err), 0);
  json_decref(p);
  p = json_pack("{sI}", "import", (json_int_t)fine);
  cr_assert_eq(charge_load_job(p, &err), 0);
  json_decref(p);
  irow a = import_row(cut), b = import_row(fine);
  cr_assert_str_eq(a.status, "failed");
  cr_assert_eq(a.loaded, 20000); /* what the committed batches said */
  cr_assert_str_eq(b.status, "done");
  cr_assert_eq(b.loaded, 200);
  arena *ar = arena_new();
  const char *msg = db_get_text(ar, "SELECT error FROM aid_charge_imports WHERE id=?", "i", cut);
  cr_assert(msg && strstr(msg, "déposez-le à nouveau"), "%s", msg ? msg : "");
  arena_free(ar);
}
