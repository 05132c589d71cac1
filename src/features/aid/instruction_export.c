/*
** instruction_export.c — a work list as a file: /instruction/export.csv
** and /instruction/export.xlsx take the list's query string and export
** exactly the rows the list shows across all its pages (same tab, filters
** and order), at most INSTR_EXPORT_MAX of them: past that the instructor
** is asked to narrow the filters, before anything is written.
**
** Both go through core/sheet.h, streamed from the statement: CSV for
** French spreadsheets (BOM, ';', decimal comma, dd/mm/yyyy), XLSX with
** typed cells (amounts in euros, dates as dates); a text cell that starts
** like a formula gets a leading apostrophe in both, so that a
** beneficiary's name cannot run in the instructor's spreadsheet.
*/
#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/sheet.h"
#include "features/aid/aid.h"
#include "features/aid/dossier.h"
#include "features/aid/instruction.h"

/* The exported columns: header, type, XLSX width, column of instr_list_select. */
static const sheet_col cols[] = {
    {N_("N° de dossier"), SHEET_TEXT, 16, 1, NULL},
    {N_("Programme"), SHEET_TEXT, 30, 2, NULL},
    {N_("Statut"), SHEET_TEXT, 20, 12, aid_dossier_status_label},
    {N_("Déposée le"), SHEET_TIME, 17, 15, NULL},
    {N_("Organisation"), SHEET_TEXT, 28, 3, NULL},
    {N_("SIRET de l’organisation"), SHEET_TEXT, 16, 4, NULL},
    {N_("Bénéficiaire"), SHEET_TEXT, 28, 5, NULL},
    {N_("SIRET du bénéficiaire"), SHEET_TEXT, 16, 6, NULL},
    {N_("Département"), SHEET_TEXT, 8, 7, NULL},
    {N_("Commune"), SHEET_TEXT, 20, 8, NULL},
    {N_("Points de recharge"), SHEET_INT, 10, 9, NULL},
    {N_("Montant demandé (€)"), SHEET_CENTS, 14, 10, NULL},
    {N_("Montant accordé (€)"), SHEET_CENTS, 14, 11, NULL},
    {N_("Instructeur"), SHEET_TEXT, 20, 14, NULL},
    {N_("Mis à jour le"), SHEET_TIME, 17, 16, NULL},
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
  *name = sheet_name_today(r, arena_printf(r->a, "dossiers-%s", l.tab_code));
  audit_log(r->me->id, "aid.export", "aid_dossiers", r->ip, arena_printf(r->a, "%lld dossier(s)", (long long)n));
  listing_query wl = {0};
  instr_list_where(r, &l, r->me->id, 0, &wl);
  db_stmt *s = listing_query_prep(&wl, instr_list_select, instr_list_order(&l, 0));
  db_bind_int(s, wl.nbind + 1, INSTR_EXPORT_MAX);
  return s;
}

/* Both exports; format SHEET_CSV_FR or SHEET_XLSX. */
static void export(req *r, sheet_format format) {
  const char *name;
  db_stmt *s = export_rows(r, &name);
  if (!s) return;
  sheet_writer *w = sheet_open(r, format, name, 0);
  sheet_tab(w, _("Dossiers"), sheet_cols_tr(r, cols, (int)ARRAY_SIZE(cols)), (int)ARRAY_SIZE(cols));
  int rc;
  while ((rc = db_step(s)) == DB_ROW) sheet_db_row(w, s);
  db_done(s);
  if (rc != DB_DONE) sheet_fail(w);
  sheet_send(w);
}

void instr_export_csv(req *r) { export(r, SHEET_CSV_FR); }
void instr_export_xlsx(req *r) { export(r, SHEET_XLSX); }
