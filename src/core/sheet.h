/*
** sheet.h — every spreadsheet download (CSV or XLSX) goes through here, so
** that quoting, formula neutralising, number formats and the answer's
** headers are written once.
**
** A sheet_writer streams: open it, start a tab (its columns give the header
** row and each cell's type), give cells left to right, end each row, send.
** The rows may come from SQL (sheet_db_row) or from memory; nothing is kept
** per row, so an export of 100,000 rows costs the same memory as one of 10.
**
**   sheet_writer *w = sheet_open(r, SHEET_CSV_FR, sheet_name_today(r, "dossiers"), 0);
**   sheet_tab(w, _("Dossiers"), cols, ncol);
**   while ((rc = db_step(s)) == DB_ROW) sheet_db_row(w, s);
**   if (rc != DB_DONE) sheet_fail(w);
**   sheet_send(w);
**
** Formats. SHEET_CSV is for data tools: RFC 4180, comma, UTF-8 without BOM,
** CRLF, decimal point, ISO dates. SHEET_CSV_FR is what French spreadsheets
** open by double-click: a UTF-8 BOM, ';', decimal comma, dd/mm/yyyy dates.
** SHEET_XLSX (libxlsxwriter): typed cells, bold wrapped headings, column
** widths, header row and first column frozen, an autofilter; euros are
** numbers with a euro format, dates are dates.
**
** Formulas never run. A text cell that starts with = + - @, a tab or a CR
** gets a leading apostrophe, in CSV and in XLSX alike, unless it is a plain
** number ("-3.5", "+12"): the two downloads then show the same text, and
** neither turns into a formula when opened, when a cell is edited, or when
** the XLSX is saved again as CSV.
**
** Where it is written. CSV builds in memory and moves to a temporary file
** (req_tmpfile) once past SHEET_MEMORY_MAX, so a small table is answered
** from memory and a long one from disk. XLSX always goes through a file
** (libxlsxwriter 1.1.4 writes only files), with its rows streamed to disk
** (constant-memory mode) unless SHEET_SMALL is given. The temporary file is
** removed with the request.
**
** Memory: the writer, its buffers and its workbook belong to r's arena and
** are released with it, whether or not the handler sent the file.
** Errors (disk full, libxlsxwriter) are sticky: every later call does
** nothing, and sheet_send() answers a French 500 page instead of the file.
*/
#ifndef GUICHET_SHEET_H
#define GUICHET_SHEET_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/http.h"

#define SHEET_MEMORY_MAX 65536 /* CSV bytes kept in memory before moving to a temporary file */

typedef enum sheet_format {
  SHEET_CSV = 0,             /* data tools: ',' '.' ISO dates, no BOM */
  SHEET_CSV_FR,              /* French spreadsheets: BOM, ';' ',' dd/mm/yyyy */
  SHEET_XLSX,                /* Office Open XML workbook */
} sheet_format;

typedef enum sheet_kind {
  SHEET_TEXT = 0,            /* a string */
  SHEET_INT,                 /* a whole number: a count, a reference */
  SHEET_CENTS,               /* an integer of cents, written as euros with two decimals */
  SHEET_REAL,                /* a number written with one decimal (days, percentages) */
  SHEET_DATE,                /* a day, given as text 'YYYY-MM-DD' */
  SHEET_TIME,                /* unix seconds, written as a local date and time to the minute; <= 0: empty */
} sheet_kind;

typedef struct sheet_col {
  const char *title;         /* heading, as shown (see sheet_cols_tr for N_() tables) */
  sheet_kind kind;           /* how the column's values are written */
  double width;              /* XLSX width in characters; 0: 36 for the first column, 18 after */
  int src;                   /* sheet_db_row: the statement's column (from 0) */
  const char *(*label)(const char *code); /* sheet_db_row, TEXT: the text shown for a code (NULL back: the code) */
} sheet_col;

#define SHEET_SMALL 1u /* XLSX: the table is small (already in memory): strings shared, a smaller file */

typedef struct sheet_writer sheet_writer; /* opaque; lives in the request's arena */

/* A writer answering r with a download named name + ".csv" or ".xlsx"
** (name in ASCII letters, digits and dashes reads best). Never NULL: a
** failure here (no temporary file) is sticky, see above. */
sheet_writer *sheet_open(req *r, sheet_format format, const char *name, unsigned flags);

/* Starts a tab: writes the header row of the cols (borrowed until the next
** sheet_tab or the send). CSV has exactly one tab; XLSX one worksheet per
** call, named by title (cut to Excel's 31 characters, []:*?/\ dropped). */
void sheet_tab(sheet_writer *w, const char *title, const sheet_col *cols, int ncol);

/* A copy of cols in r's arena with each title through gettext: for static
** tables whose titles are marked N_(). */
const sheet_col *sheet_cols_tr(req *r, const sheet_col *cols, int ncol);

/* The next cell of the row, left to right; the column's kind says what
** fits: text for TEXT and DATE, an integer for INT, CENTS and TIME, a
** double for REAL (or INT: rounded). NULL text is an empty cell. */
void sheet_text(sheet_writer *w, const char *z);
void sheet_int(sheet_writer *w, int64_t v);
void sheet_real(sheet_writer *w, double v);
void sheet_empty(sheet_writer *w);
/* A cell from a jansson value (null: empty), read by the column's kind. */
void sheet_json(sheet_writer *w, json_t *v);
/* Ends the row; every column must have had its cell. */
void sheet_row_end(sheet_writer *w);

/* A whole row from the statement's current row: each column reads its
** src column by its kind (an SQL real in an INT column is rounded, a TEXT
** column with a label shows label(code), SQL NULL is an empty cell), then
** ends the row. */
void sheet_db_row(sheet_writer *w, db_stmt *s);

/* Marks the file as failed (the caller's rows could not all be read): the
** send then answers the error page. */
void sheet_fail(sheet_writer *w);

/* Finishes the file without answering: 0, or -1 when anything failed
** (logged with the request id). A second call returns the same. */
int sheet_close(sheet_writer *w);

/* Finishes and answers r: the file as an attachment with its Content-Type
** and Content-Disposition, or a 500 page in French. 0 when the file was
** sent, -1 when the error page was. */
int sheet_send(sheet_writer *w);

/* stem + "-YYYY-MM-DD" (today, local time), in r's arena: a download name
** that says when it was taken. */
const char *sheet_name_today(req *r, const char *stem);

/* A table already in memory, for the dashboards. */
typedef struct sheet {
  const char *title;         /* XLSX tab */
  const sheet_col *cols;     /* the columns, in order */
  int ncol;                  /* how many */
  json_t *rows;              /* array of arrays of ncol values (sheet_json); borrowed */
} sheet;

/* Answers r with the sheets in format "csv" (exactly one sheet, SHEET_CSV)
** or "xlsx" (one worksheet each), named name + ".csv" / ".xlsx". Returns 0
** once answered (the file, or a 500 page), or -1 when format is neither or
** CSV was asked for several sheets: nothing is sent then. */
int sheet_reply(req *r, const char *format, const char *name, const sheet *sheets, int nsheet);

/* 1 when a text cell must get an apostrophe; and one CSV field appended to
** b, apostrophe included, quoted as csvload_field() quotes (sep, a quote, a
** line end, a space or tab at either end): for CSV written outside a
** writer, such as a job's result file. */
int sheet_formula_like(const char *z);
void sheet_csv_field(buf *b, const char *z, char sep);

#endif
