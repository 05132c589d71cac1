/*
** test_db.c — the per-thread statement cache of core/db.c: a statement a
** caller holds open stays valid while many new statements are prepared
** (the cache grows under it).
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "core/db.h"
#include "core/log.h"
#include "core/util.h"

static char g_dir[64];
static char g_db[128];

static void setup(void) {
  log_set_quiet(1);
  snprintf(g_dir, sizeof g_dir, "/tmp/guichet-db-XXXXXX");
  cr_assert_not_null(mkdtemp(g_dir));
  snprintf(g_db, sizeof g_db, "%s/guichet.db", g_dir);
  cr_assert_eq(db_open(g_db), 0);
}

static void teardown(void) {
  db_thread_close();
  const char *suffix[] = {"", "-wal", "-shm"};
  for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
    char p[160];
    snprintf(p, sizeof p, "%s%s", g_db, suffix[i]);
    unlink(p);
  }
  rmdir(g_dir);
}

TestSuite(db, .init = setup, .fini = teardown);

Test(db, held_statement_survives_cache_growth) {
  cr_assert_eq(db_run("CREATE TABLE t(x INTEGER)", ""), DB_DONE);
  for (int64_t i = 1; i <= 3; i++) cr_assert_eq(db_run("INSERT INTO t VALUES(?)", "i", i), DB_DONE);
  db_stmt *held = db_query("SELECT x FROM t ORDER BY x", "");
  cr_assert_eq(db_step(held), DB_ROW);
  cr_assert_eq(db_int(held, 0), 1);
  /* Enough new statements to grow the cache several times. */
  for (int i = 0; i < 500; i++) {
    char num[16];
    snprintf(num, sizeof num, "%d", i);
    buf q = {0};
    buf_puts(&q, "SELECT ");
    buf_puts(&q, num);
    cr_assert_eq(db_get_int(-1, buf_str(&q), ""), i);
    buf_free(&q);
  }
  cr_assert_eq(db_step(held), DB_ROW);
  cr_assert_eq(db_int(held, 0), 2);
  cr_assert_eq(db_step(held), DB_ROW);
  cr_assert_eq(db_int(held, 0), 3);
  cr_assert_eq(db_step(held), DB_DONE);
  db_done(held);
}
