/*
** test_audit.c — the hash-chained audit log, through audit.h, on a fresh
** database per test. Tampering is done as an attacker would: through a
** separate raw SQLite connection, after dropping the triggers. The hash is
** recomputed here from the format written in audit.c's design comment, so
** the test also pins that format.
*/
#include <criterion/criterion.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/log.h"
#include "core/util.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */

static void setup(void) {
  cr_assert_geq(sodium_init(), 0);
  testdb_open(&T, "audit");
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(audit, .init = setup, .fini = teardown);

/* Five entries, with NULLs, an empty detail and UTF-8. */
static void append_five(void) {
  cr_assert_eq(audit_log(0, "user.login", "user:12", NULL, ""), 1);
  cr_assert_eq(audit_log(12, "account.update", "user:12", "192.0.2.7", "téléphone modifié"), 2);
  cr_assert_eq(audit_log(12, "account.document.upload", "document:3", "192.0.2.7", NULL), 3);
  cr_assert_eq(audit_log(1, "admin.role.grant", NULL, "2001:db8::1", "rôle instructeur"), 4);
  cr_assert_eq(audit_log(0, "system.backup", NULL, NULL, NULL), 5);
}

static int verify(buf *out) {
  buf_reset(out);
  return audit_verify(out);
}

/* Runs sql on a separate connection, triggers dropped first. */
static void tamper(const char *sql) {
  sqlite3 *db;
  cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
  char *err = NULL;
  int rc = sqlite3_exec(db,
                        "DROP TRIGGER IF EXISTS audit_no_update;"
                        "DROP TRIGGER IF EXISTS audit_no_delete;",
                        NULL, NULL, &err);
  cr_assert_eq(rc, SQLITE_OK, "%s", err);
  rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err);
  sqlite3_close(db);
}

/* The documented serialisation: netstrings, NULL as "-,". */
static void field(buf *b, const char *z) {
  if (!z) {
    buf_puts(b, "-,");
    return;
  }
  buf_printf(b, "%zu:%s,", strlen(z), z);
}

static void test_hash(char out[65], const char *prev, long long id, long long at,
                      long long user, const char *action, const char *object, const char *ip,
                      const char *detail) {
  buf b = {0};
  char t[3][24];
  snprintf(t[0], sizeof t[0], "%lld", id);
  snprintf(t[1], sizeof t[1], "%lld", at);
  snprintf(t[2], sizeof t[2], "%lld", user);
  field(&b, prev);
  field(&b, t[0]);
  field(&b, t[1]);
  field(&b, t[2]);
  field(&b, action);
  field(&b, object);
  field(&b, ip);
  field(&b, detail);
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)buf_str(&b), b.n);
  hex_encode(out, h, sizeof h);
  buf_free(&b);
}

/* Rewrites entry id's detail and its hash consistently (keeping prev_hash),
** as an attacker who knows the format would. */
static void tamper_rehash(long long id, const char *detail) {
  sqlite3 *db;
  cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, "DROP TRIGGER IF EXISTS audit_no_update;", NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_stmt *st;
  cr_assert_eq(sqlite3_prepare_v2(db,
                                  "SELECT prev_hash, at, user_id, action, object, ip FROM audit"
                                  " WHERE id = ?",
                                  -1, &st, NULL),
               SQLITE_OK);
  sqlite3_bind_int64(st, 1, id);
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
  char h[65];
  test_hash(h, (const char *)sqlite3_column_text(st, 0), id, sqlite3_column_int64(st, 1),
            sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
            (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
            detail);
  sqlite3_finalize(st);
  cr_assert_eq(sqlite3_prepare_v2(db, "UPDATE audit SET detail = ?, hash = ? WHERE id = ?", -1,
                                  &st, NULL),
               SQLITE_OK);
  sqlite3_bind_text(st, 1, detail, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, h, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, id);
  cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static int64_t count_entries(void) { return db_get_int(-1, "SELECT count(*) FROM audit", NULL); }

Test(audit, intact_chain_verifies) {
  buf out = {0};
  cr_assert_eq(verify(&out), 0, "%s", buf_str(&out)); /* empty log */
  append_five();
  cr_assert_eq(verify(&out), 0, "%s", buf_str(&out));
  cr_assert_str_eq(buf_str(&out), "");
  cr_assert_eq(count_entries(), 5);
  buf_free(&out);
}

Test(audit, hash_follows_documented_format) {
  append_five();
  char prev[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  db_stmt *s = db_query("SELECT id, at, user_id, action, object, ip, detail, prev_hash, hash"
                        " FROM audit ORDER BY id",
                        NULL);
  int n = 0;
  while (db_step(s) == DB_ROW) {
    n++;
    cr_assert_eq(db_int(s, 0), n);
    cr_assert_str_eq(db_text(s, 7), prev, "entry %d prev_hash", n);
    char h[65];
    test_hash(h, prev, db_int(s, 0), db_int(s, 1), db_int(s, 2), db_text(s, 3), db_text(s, 4),
              db_text(s, 5), db_text(s, 6));
    cr_assert_str_eq(db_text(s, 8), h, "entry %d hash", n);
    memcpy(prev, h, sizeof prev);
  }
  db_done(s);
  cr_assert_eq(n, 5);
  /* NULL and "" are different fields: entry 1 has detail "", entry 3 NULL. */
  cr_assert(db_get_int(0, "SELECT detail IS NULL FROM audit WHERE id = 3", NULL));
  cr_assert(db_get_int(0, "SELECT detail = '' FROM audit WHERE id = 1", NULL));
}

Test(audit, modified_field_is_reported) {
  append_five();
  tamper("UPDATE audit SET detail = 'rôle administrateur' WHERE id = 4");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 4 modifiée"), "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, modified_user_is_reported) {
  append_five();
  tamper("UPDATE audit SET user_id = 99 WHERE id = 2");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 2 modifiée"), "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, deleted_middle_entry_is_reported) {
  append_five();
  tamper("DELETE FROM audit WHERE id = 3");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_str_eq(buf_str(&out),
                   "entrée 3 supprimée (les entrées 2 et 4 ne se suivent pas)\n");
  buf_free(&out);
}

Test(audit, deleted_range_and_first_are_reported) {
  append_five();
  tamper("DELETE FROM audit WHERE id IN (1, 3, 4)");
  buf out = {0};
  cr_assert_eq(verify(&out), 2, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 1 supprimée (le journal commence"),
                     "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrées 3 à 4 supprimées"), "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, deleted_last_entry_is_reported) {
  append_five();
  tamper("DELETE FROM audit WHERE id = 5");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 5 supprimée"), "%s", buf_str(&out));
  /* The next append continues after the head, so the hole stays visible. */
  cr_assert_eq(audit_log(0, "system.backup", NULL, NULL, NULL), 6);
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_str_eq(buf_str(&out), "entrée 5 supprimée (les entrées 4 et 6 ne se suivent pas)\n");
  buf_free(&out);
}

Test(audit, consistent_rewrite_breaks_the_chain) {
  append_five();
  tamper_rehash(3, "rien à signaler");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 4 : chaînage rompu"), "%s", buf_str(&out));
  cr_assert_null(strstr(buf_str(&out), "entrée 3"), "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, consistent_rewrite_of_last_entry_is_caught_by_head) {
  append_five();
  tamper_rehash(5, "sauvegarde annulée");
  buf out = {0};
  cr_assert_eq(verify(&out), 1, "%s", buf_str(&out));
  cr_assert_not_null(strstr(buf_str(&out), "entrée 5 modifiée (la tête du journal"), "%s",
                     buf_str(&out));
  buf_free(&out);
}

Test(audit, triggers_refuse_update_and_delete) {
  append_five();
  cr_assert_eq(db_run("UPDATE audit SET detail = 'x' WHERE id = 2", NULL), DB_CONSTRAINT);
  cr_assert_eq(db_run("DELETE FROM audit WHERE id = 5", NULL), DB_CONSTRAINT);
  cr_assert_eq(db_run("DELETE FROM audit_head", NULL), DB_CONSTRAINT);
  cr_assert_eq(count_entries(), 5);
  cr_assert(db_get_int(0, "SELECT detail = 'téléphone modifié' FROM audit WHERE id = 2", NULL));
  buf out = {0};
  cr_assert_eq(verify(&out), 0, "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, rolled_back_transaction_leaves_no_entry) {
  append_five();
  cr_assert_eq(db_begin_write(), 0);
  cr_assert(db_in_transaction());
  cr_assert_eq(audit_log(3, "account.delete", "user:3", NULL, NULL), 6);
  cr_assert_eq(count_entries(), 6); /* visible inside the transaction */
  db_rollback();
  cr_assert_not(db_in_transaction());
  cr_assert_eq(count_entries(), 5);
  /* The head rolled back too: the next entry takes id 6 and the chain holds. */
  cr_assert_eq(audit_log(3, "account.delete", "user:3", NULL, NULL), 6);
  buf out = {0};
  cr_assert_eq(verify(&out), 0, "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, committed_transaction_keeps_entry) {
  cr_assert_not(db_in_transaction());
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_eq(audit_log(3, "account.update", "user:3", NULL, "nom"), 1);
  cr_assert_eq(db_commit(), 0);
  cr_assert_eq(count_entries(), 1);
  cr_assert_not(db_in_transaction());
  buf out = {0};
  cr_assert_eq(verify(&out), 0, "%s", buf_str(&out));
  buf_free(&out);
}

Test(audit, entry_added_behind_the_head_is_reported) {
  append_five();
  tamper("INSERT INTO audit(id, at, user_id, action, prev_hash, hash)"
         " SELECT 6, at, 0, 'user.login', hash, hash FROM audit WHERE id = 5");
  buf out = {0};
  cr_assert_eq(verify(&out), 2, "%s", buf_str(&out)); /* its hash is wrong too */
  cr_assert_not_null(strstr(buf_str(&out), "entrée 6 ajoutée hors du journal"), "%s",
                     buf_str(&out));
  buf_free(&out);
}
