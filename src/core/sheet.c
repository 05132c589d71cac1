/*
** sheet.c — CSV and XLSX downloads of tables of figures (see sheet.h).
**
** Both formats go through a temporary file under data_dir/tmp, which
** res_file() sends and the request's arena removes: libxlsxwriter 1.1.4 can
** only write to a file, and one path for both keeps the answer the same.
** Cost: one pass over the rows; a table of a few thousand rows is a few
** milliseconds.
*/
#include "core/sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/config.h"
#include "core/i18n.h"
#include "core/log.h"

#define SHEET_TAB_MAX 31 /* Excel's limit on a worksheet name */

static void unlink_cb(void *p) { unlink((const char *)p); }

void sheet_csv_field(buf *b, const char *z) {
  if (!z) return;
  int formula = z[0] && strchr("=+-@\t\r", z[0]) != NULL;
  if (!formula && !strpbrk(z, ",\"\r\n")) {
    buf_puts(b, z);
    return;
  }
  buf_putc(b, '"');
  if (formula) buf_putc(b, '\'');
  for (const char *p = z; *p; p++) {
    if (*p == '"') buf_putc(b, '"');
    buf_putc(b, *p);
  }
  buf_putc(b, '"');
}

/* Cents as euros with two decimals, "-12.05" for -1205. */
static void euros_text(buf *b, int64_t cents) {
  uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
  buf_printf(b, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(a / 100), (unsigned long long)(a % 100));
}

static double number_of(json_t *v) {
  return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

static void csv_cell(buf *b, sheet_kind kind, json_t *v) {
  if (!v || json_is_null(v)) return;
  switch (kind) {
  case SHEET_INT: buf_printf(b, "%lld", (long long)json_integer_value(v)); break;
  case SHEET_CENTS: euros_text(b, json_integer_value(v)); break;
  case SHEET_REAL: buf_printf(b, "%.1f", number_of(v)); break;
  case SHEET_TEXT: sheet_csv_field(b, json_string_value(v)); break;
  }
}

static int write_csv(const char *path, const sheet *s) {
  buf b = {0};
  for (int c = 0; c < s->ncol; c++) {
    if (c) buf_putc(&b, ',');
    sheet_csv_field(&b, s->cols[c].title);
  }
  buf_puts(&b, "\r\n");
  size_t i;
  json_t *row;
  json_array_foreach(s->rows, i, row) {
    for (int c = 0; c < s->ncol; c++) {
      if (c) buf_putc(&b, ',');
      csv_cell(&b, s->cols[c].kind, json_array_get(row, (size_t)c));
    }
    buf_puts(&b, "\r\n");
  }
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(buf_str(&b), 1, b.n, f) == b.n;
  if (f && fclose(f) != 0) ok = 0;
  buf_free(&b);
  return ok ? 0 : -1;
}

/* A worksheet name Excel accepts: no []:*?/\, 31 characters at most (cut
** on a UTF-8 character boundary). */
static void tab_name(char *out, size_t n, const char *title, int i) {
  size_t k = 0;
  for (const char *p = title; *p && k + 1 < n && k < SHEET_TAB_MAX; p++) {
    if (strchr("[]:*?/\\", *p)) continue;
    out[k++] = *p;
  }
  while (k && ((unsigned char)out[k - 1] & 0xC0) == 0x80) k--; /* a cut continuation byte */
  if (k && ((unsigned char)out[k - 1] & 0xC0) == 0xC0) k--;    /* a lead byte without its tail */
  out[k] = 0;
  if (!k) snprintf(out, n, "Feuille %d", i + 1);
}

static int write_xlsx(const char *path, const sheet *sheets, int nsheet) {
  char tmpdir[600];
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", config_str("data_dir"));
  lxw_workbook_options opt = {.constant_memory = 0, .tmpdir = tmpdir, .use_zip64 = 0};
  lxw_workbook *wb = workbook_new_opt(path, &opt);
  if (!wb) return -1;
  lxw_format *head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_text_wrap(head);
  lxw_format *euros = workbook_add_format(wb);
  format_set_num_format(euros, "#,##0.00 \"€\"");
  lxw_format *one = workbook_add_format(wb);
  format_set_num_format(one, "0.0");
  for (int k = 0; k < nsheet; k++) {
    const sheet *s = &sheets[k];
    char name[4 * SHEET_TAB_MAX + 1];
    tab_name(name, sizeof name, s->title, k);
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    if (!ws) ws = workbook_add_worksheet(wb, NULL); /* a duplicate name: Excel's default */
    for (int c = 0; c < s->ncol; c++) {
      worksheet_write_string(ws, 0, (lxw_col_t)c, s->cols[c].title, head);
      worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, c == 0 ? 36 : 18, NULL);
    }
    size_t i;
    json_t *row;
    json_array_foreach(s->rows, i, row) {
      lxw_row_t y = (lxw_row_t)(i + 1);
      for (int c = 0; c < s->ncol; c++) {
        json_t *v = json_array_get(row, (size_t)c);
        if (!v || json_is_null(v)) continue;
        switch (s->cols[c].kind) {
        case SHEET_INT: worksheet_write_number(ws, y, (lxw_col_t)c, number_of(v), NULL); break;
        case SHEET_CENTS: worksheet_write_number(ws, y, (lxw_col_t)c, number_of(v) / 100.0, euros); break;
        case SHEET_REAL: worksheet_write_number(ws, y, (lxw_col_t)c, number_of(v), one); break;
        case SHEET_TEXT: worksheet_write_string(ws, y, (lxw_col_t)c, json_string_value(v), NULL); break;
        }
      }
    }
    worksheet_freeze_panes(ws, 1, 1);
  }
  lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) {
    log_error("sheet", "xlsx: %s", lxw_strerror(err));
    return -1;
  }
  return 0;
}

int sheet_reply(req *r, const char *format, const char *name, const sheet *sheets, int nsheet) {
  int csv = str_eq(format, "csv"), xlsx = str_eq(format, "xlsx");
  if ((!csv && !xlsx) || nsheet < 1 || (csv && nsheet != 1)) return -1;
  char *path = arena_printf(r->a, "%s/tmp/sheet-XXXXXX", config_str("data_dir"));
  int fd = mkstemp(path);
  if (fd < 0) {
    log_error("sheet", "[%s] cannot create a temporary file under %s/tmp", r->id, config_str("data_dir"));
    res_error(r, 500, _("Le fichier n’a pas pu être préparé : réessayez dans un instant."));
    return 0;
  }
  close(fd);
  arena_defer(r->a, unlink_cb, path);
  if ((csv ? write_csv(path, &sheets[0]) : write_xlsx(path, sheets, nsheet)) != 0) {
    log_error("sheet", "[%s] cannot write %s", r->id, path);
    res_error(r, 500, _("Le fichier n’a pas pu être préparé : réessayez dans un instant."));
    return 0;
  }
  res_file(r, path,
           csv ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           arena_printf(r->a, "%s.%s", name, csv ? "csv" : "xlsx"));
  return 0;
}
