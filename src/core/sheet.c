/*
** sheet.c — the spreadsheet writer (see sheet.h).
**
** One writer is one download. Its cells go straight to their format: CSV
** text into a buffer that moves to a temporary file past SHEET_MEMORY_MAX
** bytes, or XLSX cells into a libxlsxwriter workbook whose file is a
** temporary file from the start. Nothing is kept per row: the cost is one
** pass over the rows, and memory stays flat (but in XLSX with SHEET_SMALL,
** where libxlsxwriter keeps the worksheets until the end: that is for
** tables already in memory).
**
** Invariants: cells come left to right, exactly ncol per row, rows after
** their tab's header; once `failed` is set, every call returns at once.
** The arena cleanup (writer_free) releases what is still held, so a
** handler may return at any point after sheet_open.
*/
#include "core/sheet.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/csvload.h"
#include "core/i18n.h"
#include "core/log.h"

#define SHEET_TAB_MAX 31 /* Excel's limit on a worksheet name, in characters */

struct sheet_writer {
  req *r;                    /* the request answered; its arena holds the writer */
  sheet_format format;       /* SHEET_CSV, SHEET_CSV_FR or SHEET_XLSX */
  unsigned flags;            /* SHEET_SMALL */
  const char *name;          /* download name, without its extension */
  char sep;                  /* CSV field separator: ',' or ';' */
  char point;                /* CSV decimal separator: '.' or ',' */
  int failed;                /* sticky: something could not be written (logged) */
  int closed;                /* sheet_close ran; its answer is `failed` */
  int ntab;                  /* tabs started */
  const sheet_col *cols;     /* the current tab's columns (borrowed) */
  int ncol;                  /* how many */
  int c;                     /* the next cell's column in the current row */
  uint32_t nrow;             /* rows written in the current tab, header excluded */
  buf b;                     /* CSV text not yet on disk (the whole file when never spilled) */
  int fd;                    /* CSV temporary file once spilled, else -1 */
  const char *path;          /* the temporary file: XLSX always, CSV once spilled */
  lxw_workbook *wb;          /* XLSX, until closed */
  lxw_worksheet *ws;         /* XLSX: the current tab */
  lxw_format *head;          /* XLSX: bold wrapped heading */
  lxw_format *kfmt[SHEET_TIME + 1]; /* XLSX: number format of each kind, NULL for none */
};

static const char *const g_ctype[] = { /* Content-Type, by sheet_format */
    "text/csv; charset=utf-8",
    "text/csv; charset=utf-8",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/* Marks w failed, with a log line saying why. */
static void fail(sheet_writer *w, const char *why) {
  if (!w->failed) log_error("sheet", "[%s] %s: %s", w->r->id ? w->r->id : "-", w->name, why);
  w->failed = 1;
}

void sheet_fail(sheet_writer *w) { fail(w, "the rows could not all be read"); }

/* ---------------------------------------------------------- text rules */

/* A plain decimal number, signed: "-3.5", "+12", "-0,25". */
static int plain_number(const char *z) {
  const char *p = z + (*z == '-' || *z == '+');
  int digits = 0, points = 0;
  for (; *p; p++) {
    if (*p >= '0' && *p <= '9') digits++;
    else if ((*p == '.' || *p == ',') && !points) points++;
    else return 0;
  }
  return digits > 0;
}

int sheet_formula_like(const char *z) {
  return z && z[0] && strchr("=+-@\t\r", z[0]) && !plain_number(z);
}

void sheet_csv_field(buf *b, const char *z, char sep) {
  if (!sheet_formula_like(z)) {
    csvload_field(b, z, sep);
    return;
  }
  buf t = {0}; /* rare: a cell that starts like a formula */
  buf_putc(&t, '\'');
  buf_puts(&t, z);
  csvload_field(b, buf_str(&t), sep);
  buf_free(&t);
}

/* 'YYYY-MM-DD' into its parts; 0, or -1 when z is not such a day. */
static int day_parse(const char *z, int *y, int *m, int *d) {
  if (!z || strlen(z) != 10 || z[4] != '-' || z[7] != '-') return -1;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (z[i] < '0' || z[i] > '9')) return -1;
  *y = atoi(z);
  *m = atoi(z + 5);
  *d = atoi(z + 8);
  return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31 ? 0 : -1;
}

/* ----------------------------------------------------------------- CSV */

/* Moves the buffered text to the temporary file, creating it the first
** time. */
static void csv_spill(sheet_writer *w) {
  if (w->fd < 0) {
    w->fd = req_tmpfile(w->r, "sheet", &w->path);
    if (w->fd < 0) {
      fail(w, "no temporary file");
      return;
    }
  }
  for (size_t off = 0; off < w->b.n;) {
    ssize_t k = write(w->fd, w->b.z + off, w->b.n - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      fail(w, strerror(errno));
      return;
    }
    off += (size_t)k;
  }
  buf_reset(&w->b);
}

/* n units of 1/scale (scale 10 or 100) with the writer's decimal point. */
static void csv_decimal(sheet_writer *w, int64_t n, int scale) {
  uint64_t a = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
  buf_printf(&w->b, "%s%llu%c%0*llu", n < 0 ? "-" : "", (unsigned long long)(a / (uint64_t)scale), w->point,
             scale == 100 ? 2 : 1, (unsigned long long)(a % (uint64_t)scale));
}

static void csv_real(sheet_writer *w, double v) {
  char t[64];
  snprintf(t, sizeof t, "%.1f", v); /* LC_NUMERIC stays "C": a dot */
  char *dot = strchr(t, '.');
  if (dot) *dot = w->point;
  buf_puts(&w->b, t);
}

static void csv_time(sheet_writer *w, int64_t v) {
  time_t tt = (time_t)v;
  struct tm tm;
  if (v <= 0 || !localtime_r(&tt, &tm)) return;
  int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
  if (w->format == SHEET_CSV_FR)
    buf_printf(&w->b, "%02d/%02d/%04d %02d:%02d", tm.tm_mday, m, y, tm.tm_hour, tm.tm_min);
  else
    buf_printf(&w->b, "%04d-%02d-%02d %02d:%02d", y, m, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

static void csv_day(sheet_writer *w, const char *z) {
  int y, m, d;
  if (w->format == SHEET_CSV_FR && day_parse(z, &y, &m, &d) == 0) buf_printf(&w->b, "%02d/%02d/%04d", d, m, y);
  else sheet_csv_field(&w->b, z, w->sep);
}

/* ---------------------------------------------------------------- XLSX */

static void xlsx_check(sheet_writer *w, lxw_error e) {
  if (e != LXW_NO_ERROR) fail(w, lxw_strerror(e));
}

static void xlsx_open(sheet_writer *w) {
  int fd = req_tmpfile(w->r, "sheet", &w->path);
  if (fd < 0) {
    fail(w, "no temporary file");
    return;
  }
  close(fd); /* libxlsxwriter writes the file by its name */
  char *dir = arena_strdup(w->r->a, w->path); /* its own temporary files go beside it */
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  lxw_workbook_options opt = {
      .constant_memory = (w->flags & SHEET_SMALL) ? LXW_FALSE : LXW_TRUE, .tmpdir = dir, .use_zip64 = LXW_FALSE};
  w->wb = workbook_new_opt(w->path, &opt);
  if (!w->wb) {
    fail(w, "workbook_new_opt");
    return;
  }
  w->head = workbook_add_format(w->wb);
  format_set_bold(w->head);
  format_set_text_wrap(w->head);
  static const struct {
    sheet_kind kind;
    const char *num;         /* Excel number format */
  } nums[] = {{SHEET_CENTS, "#,##0.00 \"€\""}, {SHEET_REAL, "0.0"}, {SHEET_DATE, "dd/mm/yyyy"},
              {SHEET_TIME, "dd/mm/yyyy hh:mm"}};
  for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
    w->kfmt[nums[i].kind] = workbook_add_format(w->wb);
    format_set_num_format(w->kfmt[nums[i].kind], nums[i].num);
  }
}

/* A worksheet name Excel accepts: no []:*?/\, 31 characters at most (cut
** between two UTF-8 characters), "Feuille N" when nothing is left. out
** has room for 31 characters of 4 bytes. */
static void tab_name(char out[4 * SHEET_TAB_MAX + 1], const char *title, int i) {
  size_t k = 0, chars = 0;
  for (const char *p = title ? title : ""; *p && k < 4 * SHEET_TAB_MAX; p++) {
    if (strchr("[]:*?/\\", *p)) continue;
    if (((unsigned char)*p & 0xC0) != 0x80 && chars++ == SHEET_TAB_MAX) break; /* a 32nd character starts */
    out[k++] = *p;
  }
  out[k] = 0;
  if (!k) snprintf(out, 4 * SHEET_TAB_MAX + 1, "Feuille %d", i + 1);
}

/* Text into an XLSX cell, with the apostrophe CSV would give it. */
static void xlsx_text(sheet_writer *w, lxw_row_t y, lxw_col_t x, const char *z, lxw_format *f) {
  if (!z || !*z) return;
  if (sheet_formula_like(z)) z = arena_printf(w->r->a, "'%s", z);
  xlsx_check(w, worksheet_write_string(w->ws, y, x, z, f));
}

static void xlsx_datetime(sheet_writer *w, lxw_row_t y, lxw_col_t x, int yy, int mm, int dd, int h, int mi,
                          lxw_format *f) {
  lxw_datetime dt = {yy, mm, dd, h, mi, 0};
  xlsx_check(w, worksheet_write_datetime(w->ws, y, x, &dt, f));
}

/* Closes the current tab: the autofilter over its rows. */
static void xlsx_tab_end(sheet_writer *w) {
  if (w->ws && w->nrow && !w->failed)
    xlsx_check(w, worksheet_autofilter(w->ws, 0, 0, w->nrow, (lxw_col_t)(w->ncol - 1)));
}

/* --------------------------------------------------------------- cells */

/* One cell's value: which member counts depends on the column's kind. */
typedef struct cellv {
  int empty;                 /* an empty cell */
  const char *z;             /* TEXT, DATE */
  int64_t i;                 /* INT, CENTS, TIME */
  double d;                  /* REAL */
} cellv;

static void put(sheet_writer *w, const cellv *v) {
  if (w->failed) return;
  assert(w->cols && w->c < w->ncol); /* a cell past the row's columns, or before any tab */
  const sheet_col *col = &w->cols[w->c];
  int x = w->c++;
  if (w->format != SHEET_XLSX) {
    if (x) buf_putc(&w->b, w->sep);
    if (v->empty) return;
    switch (col->kind) {
    case SHEET_TEXT: sheet_csv_field(&w->b, v->z, w->sep); break;
    case SHEET_INT: buf_printf(&w->b, "%lld", (long long)v->i); break;
    case SHEET_CENTS: csv_decimal(w, v->i, 100); break;
    case SHEET_REAL: csv_real(w, v->d); break;
    case SHEET_DATE: csv_day(w, v->z); break;
    case SHEET_TIME: csv_time(w, v->i); break;
    }
    return;
  }
  if (v->empty) return;
  lxw_row_t y = w->nrow + 1;
  lxw_format *f = w->kfmt[col->kind];
  switch (col->kind) {
  case SHEET_TEXT: xlsx_text(w, y, (lxw_col_t)x, v->z, NULL); break;
  case SHEET_INT: xlsx_check(w, worksheet_write_number(w->ws, y, (lxw_col_t)x, (double)v->i, NULL)); break;
  case SHEET_CENTS: xlsx_check(w, worksheet_write_number(w->ws, y, (lxw_col_t)x, (double)v->i / 100.0, f)); break;
  case SHEET_REAL: xlsx_check(w, worksheet_write_number(w->ws, y, (lxw_col_t)x, v->d, f)); break;
  case SHEET_DATE: {
    int yy, mm, dd;
    if (day_parse(v->z, &yy, &mm, &dd) == 0) xlsx_datetime(w, y, (lxw_col_t)x, yy, mm, dd, 0, 0, f);
    else xlsx_text(w, y, (lxw_col_t)x, v->z, NULL);
    break;
  }
  case SHEET_TIME: {
    time_t tt = (time_t)v->i;
    struct tm tm;
    if (v->i > 0 && localtime_r(&tt, &tm))
      xlsx_datetime(w, y, (lxw_col_t)x, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, f);
    break;
  }
  }
}

static sheet_kind kind_now(const sheet_writer *w) {
  assert(w->cols && w->c < w->ncol);
  return w->cols[w->c].kind;
}

void sheet_text(sheet_writer *w, const char *z) {
  if (w->failed) return;
  assert(kind_now(w) == SHEET_TEXT || kind_now(w) == SHEET_DATE);
  put(w, &(cellv){.empty = !z, .z = z});
}

void sheet_int(sheet_writer *w, int64_t v) {
  if (w->failed) return;
  assert(kind_now(w) != SHEET_TEXT && kind_now(w) != SHEET_DATE);
  put(w, &(cellv){.i = v, .d = (double)v});
}

void sheet_real(sheet_writer *w, double v) {
  if (w->failed) return;
  assert(kind_now(w) == SHEET_REAL || kind_now(w) == SHEET_INT);
  put(w, &(cellv){.empty = !isfinite(v), .i = isfinite(v) ? llround(v) : 0, .d = v});
}

void sheet_empty(sheet_writer *w) { put(w, &(cellv){.empty = 1}); }

void sheet_json(sheet_writer *w, json_t *v) {
  if (w->failed) return;
  if (!v || json_is_null(v)) {
    sheet_empty(w);
    return;
  }
  switch (kind_now(w)) {
  case SHEET_TEXT:
  case SHEET_DATE: sheet_text(w, json_string_value(v)); break;
  case SHEET_REAL: sheet_real(w, json_number_value(v)); break;
  case SHEET_INT:
  case SHEET_CENTS:
  case SHEET_TIME:
    if (json_is_integer(v)) sheet_int(w, json_integer_value(v));
    else sheet_int(w, llround(json_number_value(v)));
    break;
  }
}

void sheet_row_end(sheet_writer *w) {
  if (w->failed) return;
  assert(w->c == w->ncol); /* every column had its cell */
  w->c = 0;
  w->nrow++;
  if (w->format == SHEET_XLSX) return;
  buf_puts(&w->b, "\r\n");
  if (w->b.n > SHEET_MEMORY_MAX) csv_spill(w);
}

void sheet_db_row(sheet_writer *w, db_stmt *s) {
  for (int i = 0; i < w->ncol && !w->failed; i++) {
    const sheet_col *col = &w->cols[i];
    if (db_is_null(s, col->src)) {
      sheet_empty(w);
      continue;
    }
    switch (col->kind) {
    case SHEET_TEXT: {
      const char *z = db_text(s, col->src), *shown = col->label ? col->label(z) : NULL;
      sheet_text(w, shown ? shown : z);
      break;
    }
    case SHEET_DATE: sheet_text(w, db_text(s, col->src)); break;
    case SHEET_INT: {
      int64_t v = db_int(s, col->src);
      double d = db_double(s, col->src);
      sheet_int(w, (double)v == d ? v : llround(d)); /* an SQL real: rounded, not truncated */
      break;
    }
    case SHEET_CENTS:
    case SHEET_TIME: sheet_int(w, db_int(s, col->src)); break;
    case SHEET_REAL: sheet_real(w, db_double(s, col->src)); break;
    }
  }
  sheet_row_end(w);
}

/* ---------------------------------------------------------------- tabs */

void sheet_tab(sheet_writer *w, const char *title, const sheet_col *cols, int ncol) {
  if (w->failed) return;
  assert(ncol > 0 && w->c == 0);
  assert(w->format == SHEET_XLSX || w->ntab == 0); /* a CSV file holds one table */
  if (w->format == SHEET_XLSX) xlsx_tab_end(w);
  w->cols = cols;
  w->ncol = ncol;
  w->nrow = 0;
  int k = w->ntab++;
  if (w->format != SHEET_XLSX) {
    for (int i = 0; i < ncol; i++) {
      if (i) buf_putc(&w->b, w->sep);
      sheet_csv_field(&w->b, cols[i].title, w->sep);
    }
    buf_puts(&w->b, "\r\n");
    return;
  }
  char name[4 * SHEET_TAB_MAX + 1];
  tab_name(name, title, k);
  /* A name already taken: Excel's default ("Sheet3") rather than a failure. */
  w->ws = workbook_add_worksheet(w->wb, workbook_validate_sheet_name(w->wb, name) == LXW_NO_ERROR ? name : NULL);
  if (!w->ws) {
    fail(w, "workbook_add_worksheet");
    return;
  }
  for (int i = 0; i < ncol; i++) {
    double width = cols[i].width > 0 ? cols[i].width : i == 0 ? 36 : 18;
    xlsx_check(w, worksheet_set_column(w->ws, (lxw_col_t)i, (lxw_col_t)i, width, NULL));
    xlsx_text(w, 0, (lxw_col_t)i, cols[i].title, w->head);
  }
  worksheet_freeze_panes(w->ws, 1, 1);
}

const sheet_col *sheet_cols_tr(req *r, const sheet_col *cols, int ncol) {
  sheet_col *out = arena_alloc(r->a, sizeof *out * (size_t)ncol);
  for (int i = 0; i < ncol; i++) {
    out[i] = cols[i];
    out[i].title = _(cols[i].title);
  }
  return out;
}

/* ------------------------------------------------------ open and close */

/* The arena's cleanup: what the writer still holds, never written out. */
static void writer_free(void *p) {
  sheet_writer *w = p;
  buf_free(&w->b);
  if (w->fd >= 0) close(w->fd);
  if (w->wb) lxw_workbook_free(w->wb);
  w->fd = -1;
  w->wb = NULL;
}

sheet_writer *sheet_open(req *r, sheet_format format, const char *name, unsigned flags) {
  sheet_writer *w = arena_alloc(r->a, sizeof *w);
  w->r = r;
  w->format = format;
  w->flags = flags;
  w->name = arena_strdup(r->a, name);
  w->sep = format == SHEET_CSV_FR ? ';' : ',';
  w->point = format == SHEET_CSV_FR ? ',' : '.';
  w->fd = -1;
  if (format == SHEET_XLSX) xlsx_open(w);
  /* After the temporary file: the arena runs cleanups last first, so the
  ** workbook is let go before its file is removed. */
  arena_defer(r->a, writer_free, w);
  if (format == SHEET_CSV_FR) buf_puts(&w->b, "\xEF\xBB\xBF"); /* BOM: spreadsheets then read UTF-8 */
  return w;
}

int sheet_close(sheet_writer *w) {
  if (w->closed) return w->failed ? -1 : 0;
  w->closed = 1;
  if (!w->failed) assert(w->ntab > 0 && w->c == 0); /* a header, and no row left half-written */
  if (w->format == SHEET_XLSX) {
    xlsx_tab_end(w);
    if (w->wb && !w->failed) {
      lxw_error e = workbook_close(w->wb); /* frees it, whatever happened */
      w->wb = NULL;
      xlsx_check(w, e);
    }
  } else if (w->fd >= 0 && !w->failed) {
    csv_spill(w);
    if (close(w->fd) != 0) fail(w, strerror(errno));
    w->fd = -1;
  }
  if (w->failed) writer_free(w);
  return w->failed ? -1 : 0;
}

int sheet_send(sheet_writer *w) {
  req *r = w->r;
  if (sheet_close(w) != 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return -1;
  }
  const char *file = arena_printf(r->a, "%s.%s", w->name, w->format == SHEET_XLSX ? "xlsx" : "csv");
  if (w->path) {
    res_file(r, w->path, g_ctype[w->format], file);
    return 0;
  }
  res_text(r, 200, g_ctype[w->format], buf_str(&w->b), w->b.n);
  res_attachment(r, file);
  return 0;
}

const char *sheet_name_today(req *r, const char *stem) {
  char day[11];
  fmt_today(day);
  return *day ? arena_printf(r->a, "%s-%s", stem, day) : stem;
}

/* ------------------------------------------------------ tables in memory */

int sheet_reply(req *r, const char *format, const char *name, const sheet *sheets, int nsheet) {
  int csv = str_eq(format, "csv"), xlsx = str_eq(format, "xlsx");
  if ((!csv && !xlsx) || nsheet < 1 || (csv && nsheet != 1)) return -1;
  sheet_writer *w = sheet_open(r, csv ? SHEET_CSV : SHEET_XLSX, name, SHEET_SMALL);
  for (int k = 0; k < nsheet; k++) {
    const sheet *s = &sheets[k];
    sheet_tab(w, s->title, s->cols, s->ncol);
    size_t i;
    json_t *row;
    json_array_foreach(s->rows, i, row) {
      for (int c = 0; c < s->ncol; c++) sheet_json(w, json_array_get(row, (size_t)c));
      sheet_row_end(w);
    }
  }
  sheet_send(w);
  return 0;
}
