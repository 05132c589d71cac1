/*
** instruction_export.c — a work list as a file: /instruction/export.csv
** and /instruction/export.xlsx take the list's query string and export
** exactly the rows the list shows across all its pages (same tab, filters
** and order), at most INSTR_EXPORT_MAX of them: past that the instructor
** is asked to narrow the filters, before anything is written.
**
** Both files are written to a temporary file under data_dir/tmp as the
** rows are read (libxlsxwriter in constant-memory mode), sent from disk
** and removed with the request: memory stays flat whatever the size.
**
** CSV is what French spreadsheets open by default: UTF-8 with a BOM, ';'
** between fields, decimal comma, CRLF. A text cell that starts like a
** formula (= + - @) gets a leading apostrophe, so that a beneficiary's
** name cannot run in the instructor's spreadsheet. XLSX cells are typed:
** amounts are numbers in euros, dates are dates.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "features/aid/aid.h"
#include "features/aid/dossier.h"
#include "features/aid/instruction.h"

enum ctype { C_TEXT, C_STATUS, C_COUNT, C_MONEY, C_TIME };

/* The exported columns: header, column of instr_list_select, type. */
static const struct col {
  const char *header;
  int col;
  enum ctype type;
  double width;            /* XLSX column width, in characters */
} cols[] = {
    {N_("N° de dossier"), 1, C_TEXT, 16},          {N_("Programme"), 2, C_TEXT, 30},
    {N_("Statut"), 12, C_STATUS, 20},              {N_("Déposée le"), 15, C_TIME, 17},
    {N_("Organisation"), 3, C_TEXT, 28},           {N_("SIRET de l’organisation"), 4, C_TEXT, 16},
    {N_("Bénéficiaire"), 5, C_TEXT, 28},           {N_("SIRET du bénéficiaire"), 6, C_TEXT, 16},
    {N_("Département"), 7, C_TEXT, 8},             {N_("Commune"), 8, C_TEXT, 20},
    {N_("Points de recharge"), 9, C_COUNT, 10},    {N_("Montant demandé (€)"), 10, C_MONEY, 14},
    {N_("Montant accordé (€)"), 11, C_MONEY, 14},  {N_("Instructeur"), 14, C_TEXT, 20},
    {N_("Mis à jour le"), 16, C_TIME, 17},
};

/* The export's rows, ready to step, or NULL after answering (bad filters,
** too many rows, database). *name gets the download's base name. */
static db_stmt *export_rows(req *r, const char **name) {
  form f;
  form_init(&f, r, NULL);
  instr_list l;
  if (instr_list_parse(r, &f, &l)) {
    res_error(r, 422, _("Les filtres de la liste contiennent une erreur : corrigez-les sur la liste, puis exportez."));
    return NULL;
  }
  int64_t n = instr_list_count(r, &l, r->me->id, INSTR_EXPORT_MAX);
  if (n < 0) {
    res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
    return NULL;
  }
  if (n > INSTR_EXPORT_MAX) {
    res_error(r, 422, arena_printf(r->a, _("La liste compte plus de %d dossiers : filtrez-la (programme, dates, "
                                           "département…) pour l’exporter en plusieurs fois."),
                                   INSTR_EXPORT_MAX));
    return NULL;
  }
  char today[11];
  aid_today(today);
  *name = arena_printf(r->a, "dossiers-%s-%s", l.tab_code, today);
  audit_log(r->me->id, "aid.export", "aid_dossiers", r->ip, arena_printf(r->a, "%lld dossier(s)", (long long)n));
  listing_query wl = {0};
  instr_list_where(r, &l, r->me->id, 0, &wl);
  db_stmt *s = listing_query_prep(&wl, instr_list_select, instr_list_order(&l, 0));
  db_bind_int(s, wl.nbind + 1, INSTR_EXPORT_MAX);
  return s;
}

/* ----------------------------------------------------------------- CSV */

static void csv_text(FILE *fp, const char *z) {
  if (!z) z = "";
  int quote = z[strcspn(z, ";\"\r\n")] != 0;
  if (quote) fputc('"', fp);
  if (strchr("=+-@\t\r", z[0]) && z[0]) fputc('\'', fp);
  for (const char *p = z; *p; p++) {
    if (*p == '"') fputc('"', fp);
    fputc(*p, fp);
  }
  if (quote) fputc('"', fp);
}

static void csv_cell(req *r, FILE *fp, db_stmt *s, const struct col *c) {
  int64_t v = db_int(s, c->col);
  switch (c->type) {
  case C_TEXT: csv_text(fp, db_text(s, c->col)); break;
  case C_STATUS: csv_text(fp, aid_dossier_status_label(db_text(s, c->col))); break;
  case C_COUNT: fprintf(fp, "%lld", (long long)v); break;
  case C_MONEY: fprintf(fp, "%lld,%02lld", (long long)(v / 100), (long long)(v % 100)); break;
  case C_TIME: csv_text(fp, fmt_datetime(r->a, v, "")); break;
  }
}

void instr_export_csv(req *r) {
  const char *name, *path;
  int fd = req_tmpfile(r, "instruction", &path);
  FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!fp) {
    if (fd >= 0) close(fd);
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  db_stmt *s = export_rows(r, &name);
  if (!s) {
    fclose(fp);
    return;
  }
  fputs("\xEF\xBB\xBF", fp); /* BOM: spreadsheets then read UTF-8 */
  for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
    if (i) fputc(';', fp);
    csv_text(fp, _(cols[i].header));
  }
  fputs("\r\n", fp);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
      if (i) fputc(';', fp);
      csv_cell(r, fp, s, &cols[i]);
    }
    fputs("\r\n", fp);
  }
  db_done(s);
  int bad = ferror(fp);
  if (fclose(fp) != 0 || bad || rc != DB_DONE) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  res_file(r, path, "text/csv; charset=utf-8", arena_printf(r->a, "%s.csv", name));
}

/* ---------------------------------------------------------------- XLSX */

/* Seconds east of UTC at time t here: XLSX dates are local, without zone. */
static int64_t utc_offset(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  localtime_r(&tt, &tm);
  return (int64_t)tm.tm_gmtoff;
}

void instr_export_xlsx(req *r) {
  const char *name, *path;
  int fd = req_tmpfile(r, "instruction", &path);
  if (fd >= 0) close(fd); /* libxlsxwriter writes the file by its name */
  if (fd < 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  db_stmt *s = export_rows(r, &name);
  if (!s) return;
  char *tmpdir = arena_strdup(r->a, path); /* its own temporary files go beside it */
  char *slash = strrchr(tmpdir, '/');
  if (slash) *slash = 0;
  lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = tmpdir, .use_zip64 = LXW_FALSE};
  lxw_workbook *wb = workbook_new_opt(path, &opt);
  lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, _("Dossiers")) : NULL;
  if (!ws) {
    db_done(s);
    if (wb) workbook_close(wb);
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  lxw_format *bold = workbook_add_format(wb), *money = workbook_add_format(wb), *date = workbook_add_format(wb);
  format_set_bold(bold);
  format_set_num_format(money, "#,##0.00");
  format_set_num_format(date, "dd/mm/yyyy hh:mm");
  for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
    worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, cols[i].width, NULL);
    worksheet_write_string(ws, 0, (lxw_col_t)i, _(cols[i].header), bold);
  }
  worksheet_freeze_panes(ws, 1, 0);
  lxw_row_t row = 0;
  int rc;
  lxw_error err = LXW_NO_ERROR;
  while ((rc = db_step(s)) == DB_ROW && err == LXW_NO_ERROR) {
    row++;
    for (size_t i = 0; i < ARRAY_SIZE(cols) && err == LXW_NO_ERROR; i++) {
      const struct col *c = &cols[i];
      lxw_col_t ci = (lxw_col_t)i;
      int64_t v = db_int(s, c->col);
      switch (c->type) {
      case C_TEXT: err = worksheet_write_string(ws, row, ci, db_text(s, c->col) ? db_text(s, c->col) : "", NULL); break;
      case C_STATUS: err = worksheet_write_string(ws, row, ci, aid_dossier_status_label(db_text(s, c->col)), NULL); break;
      case C_COUNT: err = worksheet_write_number(ws, row, ci, (double)v, NULL); break;
      case C_MONEY: err = worksheet_write_number(ws, row, ci, (double)v / 100.0, money); break;
      case C_TIME:
        if (v > 0) err = worksheet_write_unixtime(ws, row, ci, v + utc_offset(v), date);
        break;
      }
    }
  }
  db_done(s);
  if (row) worksheet_autofilter(ws, 0, 0, row, (lxw_col_t)(ARRAY_SIZE(cols) - 1));
  lxw_error cerr = workbook_close(wb);
  if (err != LXW_NO_ERROR || cerr != LXW_NO_ERROR || (rc != DB_DONE && rc != DB_ROW)) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  res_file(r, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           arena_printf(r->a, "%s.xlsx", name));
}
