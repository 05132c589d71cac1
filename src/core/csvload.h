/*
** csvload.h — streaming CSV loader: read a CSV (file, descriptor or memory;
** gzip or plain), check every row against a Table Schema (tableschema.h),
** and insert the valid rows into one table in batches, one transaction
** each, with a row-by-row report of what was refused and why.
**
** Guarantees:
**   - the input is read in 64 KiB blocks, never whole; memory is bounded by
**     the longest row (cap 1 MiB, 4,096 cells) plus the schema's unique sets;
**   - each batch is BEGIN IMMEDIATE … COMMIT on this thread's connection: a
**     crash or kill mid-load leaves every batch entirely loaded or absent,
**     and other writers can interleave between batches;
**   - a refused row never stops the load; the load stops on an unreadable
**     input, a missing required column, a database error, or when a
**     callback asks (the open batch is then rolled back, committed batches
**     stay: the result says how many).
**
** Dialect: separator ',' ';' tab or '|' detected on the header line (unless
** given), '"' quoting with "" escapes, LF or CRLF, a UTF-8 BOM skipped,
** spaces around unquoted fields trimmed, blank lines skipped. Lines in the
** report are record numbers, the header being line 1.
**
** Identifiers cannot be bound, so the table name must match
** [a-z_][a-z0-9_]* and column names [A-Za-z_][A-Za-z0-9_]*; both are checked
** against the database (the table and each column must exist) before
** anything is read.
**
** A caller whose rows do not map one to one onto a table's columns (values
** to convert, a key to look up, an upsert) leaves `table` NULL and stores
** each row in its row hook, which returns CSVLOAD_STORED; the hook's
** writes, and those of the before_commit callback (aggregates of the
** batch, a resume mark), join the batch's transaction, so they too are
** committed or lost with it.
**
** Threading: runs on the calling thread with its db connection; must not be
** called inside a transaction. The schema is reset and used by this load.
*/
#ifndef GUICHET_CSVLOAD_H
#define GUICHET_CSVLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/tableschema.h"

#define CSVLOAD_BATCH_ROWS 10000       /* default rows per transaction */
#define CSVLOAD_MAX_BYTES (16LL << 30) /* default cap on input bytes (after gunzip) */

/* A row that passed the schema, as the row hook sees it. */
typedef struct csvload_row {
  int64_t line;             /* record number (header = 1) */
  const char *const *cells; /* the cells, in file order */
  size_t ncell;             /* their number */
  const ts_value *vals;     /* typed values, in schema field order */
  const ts_schema *schema;  /* for ts_field_index() */
} csvload_row;

/* What a row hook returns. */
enum {
  CSVLOAD_KEEP = 0,   /* load the row */
  CSVLOAD_REJECT = 1, /* refuse it (the hook should ts_report_add why) */
  CSVLOAD_STORED = 2, /* the hook wrote the row itself: count it as loaded */
  CSVLOAD_ABORT = -1  /* stop the load; the open batch is rolled back */
};

typedef enum csvload_status {
  CSVLOAD_OK,      /* input read to the end (rows may have been refused) */
  CSVLOAD_EINPUT,  /* unreadable or corrupt input, or a size cap hit */
  CSVLOAD_EHEADER, /* no header, or a required column missing */
  CSVLOAD_ETABLE,  /* bad table or column name, or absent from the db */
  CSVLOAD_EDB,     /* database error */
  CSVLOAD_STOPPED, /* the progress callback asked to stop */
  CSVLOAD_ABORTED  /* the row hook asked to stop */
} csvload_status;

typedef struct csvload_result {
  csvload_status status; /* why the load ended */
  char error[512];       /* French explanation when status != CSVLOAD_OK */
  int64_t rows_read;     /* data records read (= rows_valid + rows_rejected) */
  int64_t rows_valid;    /* passed the schema, the hook and the table */
  int64_t rows_loaded;   /* committed (rows_valid minus a rolled-back batch) */
  int64_t rows_rejected; /* refused by the schema, the hook or the table */
  int64_t batches;       /* transactions committed */
  int64_t bytes_read;    /* input bytes read so far (after gunzip), for progress */
  char sep;              /* separator used */
  double elapsed_ms;     /* wall time of the load */
  double rows_per_s;     /* rows_read per second */
  ts_report report;      /* issues, capped; freed by csvload_result_free */
} csvload_result;

typedef struct csvload_opts {
  const char *path;              /* file to read (gzip detected), or NULL */
  const char *data;              /* else bytes in memory (gzip detected) */
  size_t ndata;                  /* their length */
  int fd;                        /* else, if use_fd, read to EOF; not closed */
  int use_fd;                    /* read fd */
  ts_schema *schema;             /* required */
  const char *table;             /* target table; NULL: the row hook stores
                                 ** every row it keeps (CSVLOAD_STORED) */
  const char *const *columns;    /* column for each schema field (NULL entry:
                                 ** not stored); NULL: the field names */
  const char *const *extra_cols; /* columns set to the same text on every row, */
  const char *const *extra_vals; /* e.g. the uploading operator; values may be NULL */
  size_t nextra;                 /* number of extra columns */
  /* Called for each row that passed the schema, inside the batch's
  ** transaction (so db reads see the batch so far, and writes join it). */
  int (*row_hook)(void *ctx, const csvload_row *row, ts_report *rep);
  /* Called inside each batch's transaction just before its COMMIT (not
  ** for a batch that is rolled back, nor one without a stored row); its
  ** writes join the batch. res counts the batch's rows in rows_valid, not
  ** yet in rows_loaded. Non-zero: the batch is rolled back and the load
  ** stops (CSVLOAD_EDB). */
  int (*before_commit)(void *ctx, const csvload_result *res);
  /* Called after each committed batch; non-zero stops the load there. */
  int (*progress)(void *ctx, const csvload_result *res);
  void *ctx;         /* passed to the three callbacks */
  size_t batch_rows; /* rows per transaction; 0: CSVLOAD_BATCH_ROWS */
  /* When larger than batch_rows, each committed batch doubles the next
  ** one's size up to this: the first rows are saved soon, and a load into
  ** a big B-tree rewrites each page it touches once per batch, not once
  ** per few rows (see BENCHMARKS.md, charging sessions). 0: constant. */
  size_t batch_rows_max;
  char sep;          /* 0: detect */
  size_t max_issues; /* issues kept; 0: TS_REPORT_MAX */
  int64_t max_bytes; /* input cap; 0: CSVLOAD_MAX_BYTES */
} csvload_opts;

/* Runs the load. Returns 0 when the input was read to the end, -1 otherwise
** (res->status and res->error say why). res is always filled in; release
** it with csvload_result_free. */
int csvload_run(const csvload_opts *o, csvload_result *res);
void csvload_result_free(csvload_result *res);

/* Every record of the input as it came, for callers that give rows back
** with their own columns (bulk services answer one row per input row, bad
** ones included): no schema, no table, no transaction. line is the record
** number (1 = the first line, header or not); a record past the row cap
** (1 MiB or 4,096 cells) comes with cells NULL and ncell 0, and an issue in
** the report. The callback returns 0 to go on, non-zero to stop. */
typedef int (*csvload_record_fn)(void *ctx, int64_t line, const char *const *cells, size_t ncell);

/* Streams the input of o (path, data or fd; sep, max_bytes; the other
** options are ignored) to fn with o->ctx, with the dialect and caps above.
** Returns 0 when the input was read to the end, -1 otherwise: res->status
** is CSVLOAD_STOPPED when fn stopped it, CSVLOAD_EINPUT for an unreadable
** input or the size cap. res->rows_read counts the records delivered. May
** run inside a transaction (it touches no database). */
int csvload_each(const csvload_opts *o, csvload_record_fn fn, csvload_result *res);

/* Appends z as one field of a CSV line separated by sep: as it is, or
** between double quotes (inner quotes doubled) when it holds sep, a quote,
** CR or LF, or starts or ends with a space or tab (which readers trim). */
void csvload_field(buf *out, const char *z, char sep);

/* 1 if z is an acceptable table name ([a-z_][a-z0-9_]*, ≤ 63 bytes, not
** sqlite_*), else 0. */
int csvload_table_name_ok(const char *z);

#endif
