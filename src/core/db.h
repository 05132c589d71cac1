/*
** db.h — the one storage interface. SQLite backend now; the calls are shaped
** so that a PostgreSQL backend can sit behind them later:
**   - SQL uses `?` placeholders and portable syntax (ON CONFLICT, RETURNING,
**     CTEs); dialect differences live behind core interfaces, never in
**     feature code;
**   - every value is bound, never formatted into SQL text;
**   - one connection per thread, opened lazily, statements prepared once per
**     thread and cached by their SQL text.
**
** Errors: a failing step logs the SQL and the engine's message and returns
** DB_ERROR; callers turn that into a 500 (or roll back). DB_BUSY is absorbed
** by the busy timeout (5 s) before it surfaces as DB_ERROR.
**
** Memory: text returned by db_text() belongs to the statement and is valid
** until the next db_step/db_done on it; copy it (arena_strdup) to keep it.
*/
#ifndef GUICHET_DB_H
#define GUICHET_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

enum { DB_OK = 0, DB_ROW = 1, DB_DONE = 2, DB_ERROR = -1, DB_CONSTRAINT = -2 };

typedef struct db_stmt db_stmt;

/* Process-wide: the database file to open in each thread. Creates the file
** and sets WAL mode. Returns 0 or -1 (message on stderr). */
int db_open(const char *path);
const char *db_path(void);
/* Close this thread's connection (worker threads call it when they end). */
void db_thread_close(void);

/* A prepared statement from this thread's cache, reset and unbound. Aborts on
** SQL that does not compile: SQL text is fixed in code, so that is a bug. */
db_stmt *db_prep(const char *sql);
void db_bind_int(db_stmt *s, int i, int64_t v);      /* i counts from 1 */
void db_bind_double(db_stmt *s, int i, double v);
void db_bind_text(db_stmt *s, int i, const char *z); /* NULL binds NULL */
void db_bind_textn(db_stmt *s, int i, const char *z, size_t n);
void db_bind_blob(db_stmt *s, int i, const void *p, size_t n);
void db_bind_null(db_stmt *s, int i);
int db_step(db_stmt *s);  /* DB_ROW, DB_DONE, DB_CONSTRAINT or DB_ERROR */
void db_done(db_stmt *s); /* reset and clear bindings; the cache keeps it */

int db_cols(db_stmt *s);
int64_t db_int(db_stmt *s, int col); /* col counts from 0 */
double db_double(db_stmt *s, int col);
const char *db_text(db_stmt *s, int col); /* NULL for SQL NULL */
const void *db_blob(db_stmt *s, int col, size_t *n);
int db_is_null(db_stmt *s, int col);
/* The value's type in the current row, as in the type strings below: 'i'
** integer, 'd' real, 't' text, 'b' blob, 'n' NULL. */
int db_type(db_stmt *s, int col);
const char *db_colname(db_stmt *s, int col);

/* One-shot helpers. fmt gives the type of each bound value in order:
**   'i' int64_t, 'd' double, 't' const char * (NULL → NULL), 'n' NULL (no arg)
** db_run: execute, return DB_DONE, DB_CONSTRAINT or DB_ERROR.
** db_insert: execute an INSERT, return the new row id or -1 (constraint or
**   error; *rc, if given, tells which).
** db_get_int: first column of the first row, or dflt if no row.
** db_get_text: same, copied into the arena (NULL if no row or NULL).
** db_query: prepared, bound statement ready for db_step; db_done it after. */
int db_run(const char *sql, const char *fmt, ...);
int64_t db_insert(const char *sql, int *rc, const char *fmt, ...);
int64_t db_get_int(int64_t dflt, const char *sql, const char *fmt, ...);
char *db_get_text(arena *a, const char *sql, const char *fmt, ...);
db_stmt *db_query(const char *sql, const char *fmt, ...);
/* Number of rows the last statement of this thread changed. */
int db_changes(void);

/* SQL text for the local calendar month ("2026-11") of a column of unix
** seconds, to GROUP BY in feature SQL: the dialect's date functions stay
** behind this header. col is a string literal: DB_MONTH_LOCAL("paid_at"). */
#define DB_MONTH_LOCAL(col) "strftime('%Y-%m', " col ", 'unixepoch', 'localtime')"

/* Transactions. db_begin_write takes the write lock at once (SQLite's
** BEGIN IMMEDIATE) so that read-then-write sequences cannot interleave.
** Nesting is not supported: assert. */
int db_begin(void);
int db_begin_write(void);
int db_commit(void);
void db_rollback(void);
/* 1 when this thread's connection has a transaction open (whoever opened
** it), else 0. Does not open a connection. */
int db_in_transaction(void);

/* Runs a script of several statements (migrations only). 0 or -1 with
** *err malloc'ed. */
int db_exec_script(const char *sql, char **err);

/* Migrations: each feature (and "core") has numbered scripts
** "<dir>/migrations/NNN_name.sql" among the embedded files. Applies, in
** feature order then number order, those not yet recorded in
** schema_migrations, each in its own transaction. Returns the number applied
** or -1 (message on stderr, nothing of the failing script kept). */
int db_migrate(void);

/* Online consistent copy of the database to path (SQLite backup API).
** 0 or -1. */
int db_backup_to(const char *path);

/* Statistics for /metrics. */
int64_t db_file_size(void);

#endif
