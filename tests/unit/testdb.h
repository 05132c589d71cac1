/*
** testdb.h — a fresh, migrated database in a fresh directory, for the unit
** tests that need one: testdb_open() in a suite's init, testdb_close() in
** its fini (Criterion runs each test in its own process, so each test gets
** its own). The directory is also data_dir, so whatever the code under test
** writes there (temporary files, spooled uploads) goes with it.
**
** Header-only, static inline: the Makefile builds each test binary from its
** one .c file and libguichet.a.
*/
#ifndef GUICHET_TESTDB_H
#define GUICHET_TESTDB_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/db.h"
#include "core/log.h"

#define TESTDB_PREFIX "/tmp/guichet-" /* every test directory starts so; nothing else is ever removed */

typedef struct testdb {
  char dir[64];              /* the test's directory, TESTDB_PREFIX NAME-XXXXXX */
  char db[128];              /* its database file, dir/guichet.db */
} testdb;

/* Makes the directory (name: a few letters saying which test), sets
** data_dir to it, opens the database there and applies every migration.
** Info log lines are dropped (errors still show). */
static inline void testdb_open(testdb *t, const char *name) {
  log_set_quiet(1);
  snprintf(t->dir, sizeof t->dir, TESTDB_PREFIX "%s-XXXXXX", name);
  cr_assert_not_null(mkdtemp(t->dir), "cannot make %s", t->dir);
  snprintf(t->db, sizeof t->db, "%s/guichet.db", t->dir);
  config_set("data_dir", t->dir);
  cr_assert_eq(db_open(t->db), 0);
  cr_assert_gt(db_migrate(), 0, "a fresh database gets every migration");
}

static inline int testdb_remove(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  remove(path);
  return 0;
}

/* Closes this thread's connection, then removes the directory and all it
** holds (the database with its -wal and -shm, and any file a test made). */
static inline void testdb_close(testdb *t) {
  db_thread_close();
  if (strncmp(t->dir, TESTDB_PREFIX, strlen(TESTDB_PREFIX)) != 0) return; /* never opened */
  nftw(t->dir, testdb_remove, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
