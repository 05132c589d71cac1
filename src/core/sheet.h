/*
** sheet.h — tables of figures sent as downloads, in CSV or XLSX, from the
** same columns and rows, so that a page's table and its exports cannot
** drift apart.
**
** A sheet is a title, typed columns and rows (a jansson array of arrays,
** one value per column, null for an empty cell). The caller keeps the rows;
** nothing here keeps a reference after sheet_reply() returns.
**
** CSV: RFC 4180, comma-separated, UTF-8, CRLF line ends, a header row;
** euros with two decimals and a dot ("1234.50"), for data tools. A text cell
** that a spreadsheet would run as a formula (starting with = + - @, tab or
** CR) gets a leading apostrophe. XLSX (libxlsxwriter): one worksheet per
** sheet, bold headings, euros as numbers with a euro format, for people.
** Both are written to a temporary file under data_dir/tmp, sent, then
** removed with the request.
*/
#ifndef GUICHET_SHEET_H
#define GUICHET_SHEET_H

#include <jansson.h>

#include "core/http.h"

typedef enum sheet_kind {
  SHEET_TEXT = 0,            /* a string */
  SHEET_INT,                 /* an integer: a count */
  SHEET_CENTS,               /* an integer of cents, written as euros */
  SHEET_REAL,                /* a number written with one decimal (days, percentages) */
} sheet_kind;

typedef struct sheet_col {
  const char *title;         /* heading, in French */
  sheet_kind kind;           /* how the column's values are written */
} sheet_col;

typedef struct sheet {
  const char *title;         /* XLSX tab (31 characters at most, cut if longer) */
  const sheet_col *cols;     /* the columns, in order */
  int ncol;                  /* how many */
  json_t *rows;              /* array of arrays of ncol values; borrowed */
} sheet;

/* Answers r with the sheets in format "csv" (exactly one sheet) or "xlsx"
** (one worksheet each), as an attachment named name + ".csv" / ".xlsx"
** (name: ASCII letters, digits and dashes). Returns 0 once answered (a 500
** page when the file could not be written), or -1 when format is neither
** or CSV was asked for several sheets: nothing is sent then. */
int sheet_reply(req *r, const char *format, const char *name, const sheet *sheets, int nsheet);

/* Appends one CSV field to b, quoted when it holds a comma, a quote or a
** line end (exposed for the unit tests). */
void sheet_csv_field(buf *b, const char *z);

#endif
