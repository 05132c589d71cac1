/*
** requests_list.c — the operators' table of contact requests
** (/operateur/demandes) and its exports (/operateur/demandes.csv and .xlsx).
**
** Filters, all optional and combined with AND, in the query string:
**   statut    a pipeline code (heat.c);
**   reseau    a network id among those the user sees;
**   commune   exact commune name, among those of the user's requests;
**   du, au    days of receipt, both inclusive (2026-03-31 or 31/03/2026);
**   q         text in the address, the applicant's names, e-mail, phone or
**             structure, or the reference ("12" or "#12");
**   tri       date, adresse, commune, logements, reseau, statut, action
**             (from a fixed table), ordre asc or desc; 50 rows a page.
** A filter that cannot be understood comes back with its French error and
** no rows, rather than rows that look filtered but are not.
**
** The exports take the same arguments and hold exactly the rows the table
** lists over all its pages, in the same order, within the same scope
** (heat_scope). They carry personal data, so each one is audited
** ("heat.requests.export"). The CSV is RFC 4180 (comma, CRLF, UTF-8); a
** text cell that a spreadsheet would read as a formula (= + - @) is
** prefixed with an apostrophe. The XLSX writes text cells as text, never
** formulas. Both are built in a temporary file removed with the request.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/log.h"
#include "features/heat/heat_int.h"

#define PER_PAGE 50      /* rows of the table */
#define MAX_CHOICES 500  /* networks and communes offered in the filters */

void heat_scope(listing_query *w, req *r) {
  listing_query_and(w, HEAT_SCOPE_SQL);
  listing_query_int(w, heat_sees_all(r));
  listing_query_int(w, r->me->id);
  listing_query_int(w, r->me->id);
}

/* ------------------------------------------------------------- filters */

/* Sort orders: query value, column title, SQL (fixed text). The status
** sorts in the pipeline's order (heat_statuses). */
static const struct {
  const char *key;    /* "tri" value */
  const char *sql;    /* ORDER BY expression */
} sorts[] = {
    {"date", "r.created_at"},
    {"adresse", "r.address"},
    {"commune", "r.commune"},
    {"logements", "coalesce(r.dwellings, 0)"},
    {"reseau", "coalesce(n.sncu_id, '')"},
    {"statut", "CASE r.status WHEN 'a_traiter' THEN 0 WHEN 'attente' THEN 1 WHEN 'non_realisable' THEN 2"
               " WHEN 'prise_en_charge' THEN 3 WHEN 'etude' THEN 4 WHEN 'vote_ag' THEN 5 WHEN 'travaux' THEN 6"
               " WHEN 'realise' THEN 7 ELSE 8 END"},
    {"action", "r.updated_at"},
};

/* The columns of the table, with their sort key (NULL: not sortable). */
static const struct {
  const char *label;
  const char *sort;
} columns[] = {
    {N_("Réf."), NULL},          {N_("Reçue le"), "date"},   {N_("Adresse"), "adresse"},
    {N_("Commune"), "commune"},  {N_("Chauffage"), NULL},    {N_("Logements"), "logements"},
    {N_("Éligibilité"), NULL},   {N_("Réseau"), "reseau"},   {N_("Statut"), "statut"},
    {N_("Dernière action"), "action"},
};

static const char *const filter_names[] = {"statut", "reseau", "commune", "du", "au", "q", "tri", "ordre", NULL};
enum { F_STATUT, F_RESEAU, F_COMMUNE, F_DU, F_AU, F_Q, F_TRI, F_ORDRE, F_COUNT };

/* A parsed filter set: the values as typed, the WHERE clause, the order. */
typedef struct filters {
  const char *v[F_COUNT];  /* trimmed query values, "" when absent (arena) */
  listing_query w;         /* scope and filters */
  int sort;                /* index in sorts[] */
  int desc;                /* 1: descending */
} filters;

/* Reads and checks the filters into hf; errors go into f (French, per
** field). Returns the number of errors. */
static int filters_parse(req *r, form *f, filters *hf) {
  memset(hf, 0, sizeof *hf);
  for (int i = 0; i < F_COUNT; i++) {
    hf->v[i] = req_query_trim(r, filter_names[i]);
    form_set(f, filter_names[i], hf->v[i]);
    if (strlen(hf->v[i]) > LISTING_FILTER_MAX)
      form_error(f, filter_names[i], arena_printf(r->a, _("%d caractères au plus."), LISTING_FILTER_MAX));
  }
  if (f->nerr) return f->nerr;
  heat_scope(&hf->w, r);
  const char *const *v = hf->v;
  if (*v[F_STATUT]) {
    if (!heat_status_label(v[F_STATUT])) form_error(f, "statut", _("Choisissez un des statuts proposés."));
    listing_query_and(&hf->w, "r.status = ?");
    listing_query_text(&hf->w, v[F_STATUT]);
  }
  if (*v[F_RESEAU]) {
    char *end = NULL;
    long long id = strtoll(v[F_RESEAU], &end, 10);
    if (*end || id <= 0) form_error(f, "reseau", _("Choisissez un des réseaux proposés."));
    listing_query_and(&hf->w, "r.network_id = ?");
    listing_query_int(&hf->w, id);
  }
  if (*v[F_COMMUNE]) {
    listing_query_and(&hf->w, "r.commune = ?");
    listing_query_text(&hf->w, v[F_COMMUNE]);
  }
  listing_days(f, &hf->w, v[F_DU], v[F_AU], "r.created_at >= ?", "r.created_at < ?");
  if (*v[F_Q]) {
    const char *p = v[F_Q][0] == '#' ? v[F_Q] + 1 : v[F_Q];
    int64_t ref = *p && strlen(p) <= 18 && strspn(p, "0123456789") == strlen(p) ? strtoll(p, NULL, 10) : 0;
    buf b = {0};
    listing_like_contains(&b, v[F_Q]);
    const char *like = arena_strdup(r->a, buf_str(&b));
    buf_free(&b);
    listing_query_and(&hf->w, "(r.id = ? OR r.address LIKE ? ESCAPE '\\' OR r.last_name LIKE ? ESCAPE '\\'"
                              " OR r.first_name LIKE ? ESCAPE '\\' OR r.email LIKE ? ESCAPE '\\'"
                              " OR r.phone LIKE ? ESCAPE '\\' OR r.structure_name LIKE ? ESCAPE '\\')");
    listing_query_int(&hf->w, ref);
    for (int i = 0; i < 6; i++) listing_query_text(&hf->w, like);
  }
  hf->sort = 0;
  hf->desc = 1; /* newest first */
  if (*v[F_TRI]) {
    int found = -1;
    for (size_t i = 0; i < ARRAY_SIZE(sorts); i++)
      if (!strcmp(sorts[i].key, v[F_TRI])) found = (int)i;
    if (found < 0) form_error(f, "tri", _("Choisissez un des ordres proposés."));
    else hf->sort = found;
    hf->desc = 0;
  }
  if (*v[F_ORDRE]) {
    if (strcmp(v[F_ORDRE], "asc") != 0 && strcmp(v[F_ORDRE], "desc") != 0)
      form_error(f, "ordre", _("Choisissez l’ordre croissant ou décroissant."));
    hf->desc = !strcmp(v[F_ORDRE], "desc");
  }
  return f->nerr;
}

/* "ORDER BY …" of hf, from the fixed table, allocated in a. */
static const char *order_by(arena *a, const filters *hf) {
  const char *dir = hf->desc ? " DESC" : " ASC";
  return arena_printf(a, "ORDER BY %s%s, r.id%s", sorts[hf->sort].sql, dir, dir);
}

/* The filters a link keeps, as name/value pairs ending with NULL: every
** filter, and the order unless without_order. */
static const char **keep_list(arena *a, const filters *hf, int without_order) {
  const char **k = arena_alloc(a, (2 * F_COUNT + 1) * sizeof *k);
  int n = 0;
  for (int i = 0; i < F_COUNT; i++) {
    if (without_order && (i == F_TRI || i == F_ORDRE)) continue;
    k[n++] = filter_names[i];
    k[n++] = hf->v[i];
  }
  k[n] = NULL;
  return k;
}

static json_t *keep_json(const char *const *keep) {
  json_t *l = json_array();
  for (int i = 0; keep[i]; i += 2)
    if (*keep[i + 1]) json_array_append_new(l, json_pack("{s:s, s:s}", "name", keep[i], "value", keep[i + 1]));
  return l;
}

/* ------------------------------------------------------------------ page */

/* The filter choices: statuses, the networks and communes in the scope. */
static void choices(req *r, json_t *d, const filters *hf) {
  json_t *st = json_array();
  for (int i = 0; i < heat_nstatuses; i++)
    json_array_append_new(st, json_pack("{s:s, s:s, s:b}", "value", heat_statuses[i].code, "label",
                                        _(heat_statuses[i].label), "selected",
                                        !strcmp(hf->v[F_STATUT], heat_statuses[i].code)));
  json_object_set_new(d, "status_opts", st);
  json_t *nets = json_array();
  db_stmt *s = db_query("SELECT n.id, n.sncu_id || ' ' || n.name FROM heat_networks n WHERE ? = 1 OR"
                        " n.operator_user_id = ? OR n.operator_org_id IN (SELECT m.org_id FROM org_members m"
                        " WHERE m.user_id = ?) ORDER BY n.sncu_id LIMIT ?",
                        "iiii", (int64_t)heat_sees_all(r), r->me->id, r->me->id, (int64_t)MAX_CHOICES);
  while (db_step(s) == DB_ROW) {
    const char *id = arena_printf(r->a, "%lld", (long long)db_int(s, 0));
    json_array_append_new(nets, json_pack("{s:s, s:s, s:b}", "value", id, "label", db_text(s, 1), "selected",
                                          !strcmp(hf->v[F_RESEAU], id)));
  }
  db_done(s);
  json_object_set_new(d, "network_opts", nets);
  json_t *communes = json_array();
  s = db_query("SELECT DISTINCT r.commune FROM heat_requests r WHERE " HEAT_SCOPE_SQL " AND r.commune <> ''"
               " ORDER BY r.commune LIMIT ?", "iiii", (int64_t)heat_sees_all(r), r->me->id, r->me->id,
               (int64_t)MAX_CHOICES);
  while (db_step(s) == DB_ROW)
    json_array_append_new(communes, json_pack("{s:s, s:b}", "value", db_text(s, 0), "selected",
                                              !strcmp(hf->v[F_COMMUNE], db_text(s, 0))));
  db_done(s);
  json_object_set_new(d, "commune_opts", communes);
}

/* The column headers, with the link that sorts on each sortable one. */
static json_t *headers(const filters *hf) {
  json_t *l = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
    json_t *c = json_pack("{s:s}", "label", _(columns[i].label));
    if (columns[i].sort) {
      int current = !strcmp(sorts[hf->sort].key, columns[i].sort);
      json_object_set_new(c, "key", json_string(columns[i].sort));
      json_object_set_new(c, "next", json_string(current && !hf->desc ? "desc" : "asc"));
      if (current) json_object_set_new(c, "aria", json_string(hf->desc ? "descending" : "ascending"));
    }
    json_array_append_new(l, c);
  }
  return l;
}

void requests_page(req *r) {
  json_t *d = json_object();
  json_object_set_new(d, "all", json_boolean(heat_sees_all(r)));
  form f;
  form_init(&f, r, NULL);
  filters hf;
  int nerr = filters_parse(r, &f, &hf);
  choices(r, d, &hf);
  json_object_set_new(d, "columns", headers(&hf));
  json_object_set_new(d, "filters", keep_json(keep_list(r->a, &hf, 1)));
  json_object_set_new(d, "sort", json_pack("{s:s, s:s}", "key", sorts[hf.sort].key, "order", hf.desc ? "desc" : "asc"));
  if (nerr) {
    form_into(&f, d);
    res_page(r, 422, "heat/requests", d);
    return;
  }
  int64_t total;
  if (listing_count_or_reply(r, &hf.w, "SELECT count(*) FROM heat_requests r", d, &total)) return;
  int64_t page = listing_pager(d, total, listing_page_arg(r), PER_PAGE, keep_list(r->a, &hf, 0));
  db_stmt *s = listing_page_prep(&hf.w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, order_by(r->a, &hf), page, PER_PAGE);
  json_t *l = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(db_int(s, HC_ID)));
    json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, HC_CREATED), "")));
    json_object_set_new(o, "updated", json_string(fmt_datetime(r->a, db_int(s, HC_UPDATED), "")));
    json_object_set_new(o, "address", json_string(db_text(s, HC_ADDRESS)));
    json_object_set_new(o, "commune", json_string(db_text(s, HC_COMMUNE)));
    json_object_set_new(o, "mode", json_string(db_text(s, HC_MODE)));
    json_object_set_new(o, "energy", json_string(db_text(s, HC_ENERGY)));
    json_object_set_new(o, "eligibility", json_string(db_text(s, HC_ELIGIBILITY)));
    if (!db_is_null(s, HC_DISTANCE))
      json_object_set_new(o, "distance", json_string(arena_printf(r->a, "%.0f m", db_double(s, HC_DISTANCE))));
    if (*db_text(s, HC_SNCU))
      json_object_set_new(o, "network", json_string(arena_printf(r->a, "%s %s", db_text(s, HC_SNCU),
                                                                 db_text(s, HC_NETWORK))));
    const char *lab = heat_status_label(db_text(s, HC_STATUS));
    json_object_set_new(o, "status", json_string(lab ? lab : db_text(s, HC_STATUS)));
    if (!db_is_null(s, HC_DWELLINGS)) json_object_set_new(o, "dwellings", json_integer(db_int(s, HC_DWELLINGS)));
    json_array_append_new(l, o);
  }
  db_done(s);
  if (rc != DB_DONE) {
    json_decref(l);
    json_decref(d);
    heat_db_failed(r);
    return;
  }
  json_object_set_new(d, "requests", l);
  form_into(&f, d);
  res_page(r, 200, "heat/requests", d);
}

/* -------------------------------------------------------------- exports */

/* The exported columns, in the order of HEAT_ROW_COLS' first columns. */
enum { X_TEXT, X_INT, X_REAL, X_TIME, X_STATUS };
static const struct {
  const char *title;  /* header cell */
  int col;            /* HC_* */
  int kind;           /* X_* */
  double width;       /* XLSX column width, characters */
} xcols[] = {
    {N_("Référence"), HC_ID, X_INT, 10},          {N_("Reçue le"), HC_CREATED, X_TIME, 17},
    {N_("Statut"), HC_STATUS, X_STATUS, 26},      {N_("Dernière action"), HC_UPDATED, X_TIME, 17},
    {N_("Réseau"), HC_SNCU, X_TEXT, 9},           {N_("Nom du réseau"), HC_NETWORK, X_TEXT, 28},
    {N_("Adresse"), HC_ADDRESS, X_TEXT, 40},      {N_("Commune"), HC_COMMUNE, X_TEXT, 18},
    {N_("Profil"), HC_PROFILE, X_TEXT, 14},       {N_("Type de structure"), HC_STRUCT_TYPE, X_TEXT, 16},
    {N_("Structure"), HC_STRUCT_NAME, X_TEXT, 24}, {N_("Énergie"), HC_ENERGY, X_TEXT, 11},
    {N_("Chauffage"), HC_MODE, X_TEXT, 11},       {N_("Logements"), HC_DWELLINGS, X_INT, 10},
    {N_("Surface (m²)"), HC_SURFACE, X_INT, 11},  {N_("Nom"), HC_LAST_NAME, X_TEXT, 18},
    {N_("Prénom"), HC_FIRST_NAME, X_TEXT, 16},    {N_("E-mail"), HC_EMAIL, X_TEXT, 28},
    {N_("Téléphone"), HC_PHONE, X_TEXT, 15},      {N_("Commentaire"), HC_COMMENT, X_TEXT, 40},
    {N_("Éligibilité"), HC_ELIGIBILITY, X_TEXT, 20}, {N_("Distance (m)"), HC_DISTANCE, X_REAL, 12},
    {N_("Transmise à"), HC_ROUTED_TO, X_TEXT, 28},
};

/* "2026-03-12 14:05", local time, into out[20]. */
static void local_time(int64_t t, char out[20]) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!localtime_r(&tt, &tm) || !strftime(out, 20, "%Y-%m-%d %H:%M", &tm)) out[0] = 0;
}

/* Appends one CSV field (RFC 4180); text a spreadsheet would take for a
** formula gets a leading apostrophe. */
static void csv_field(buf *b, const char *z, int text) {
  buf_putc(b, '"');
  if (text && (*z == '=' || *z == '+' || *z == '-' || *z == '@' || *z == '\t' || *z == '\r')) buf_putc(b, '\'');
  for (; *z; z++) {
    if (*z == '"') buf_putc(b, '"');
    buf_putc(b, *z);
  }
  buf_putc(b, '"');
}

/* The text of a cell, for the CSV. */
static const char *cell_text(arena *a, db_stmt *s, int i) {
  int col = xcols[i].col;
  if (db_is_null(s, col)) return "";
  char t[20];
  switch (xcols[i].kind) {
  case X_INT: return arena_printf(a, "%lld", (long long)db_int(s, col));
  case X_REAL: return arena_printf(a, "%.0f", db_double(s, col));
  case X_TIME: local_time(db_int(s, col), t); return arena_strdup(a, t);
  case X_STATUS: {
    const char *lab = heat_status_label(db_text(s, col));
    return lab ? lab : db_text(s, col);
  }
  default: return db_text(s, col);
  }
}

/* Writes the rows of s as CSV to fd. 0, or -1 (write or database error). */
static int write_csv(arena *a, db_stmt *s, int fd, int64_t *nrow) {
  buf b = {0};
  for (size_t i = 0; i < ARRAY_SIZE(xcols); i++) {
    if (i) buf_putc(&b, ',');
    csv_field(&b, _(xcols[i].title), 0);
  }
  buf_puts(&b, "\r\n");
  int rc, ok = 1;
  while (ok && (rc = db_step(s)) == DB_ROW) {
    for (size_t i = 0; i < ARRAY_SIZE(xcols); i++) {
      if (i) buf_putc(&b, ',');
      csv_field(&b, cell_text(a, s, (int)i), xcols[i].kind == X_TEXT);
    }
    buf_puts(&b, "\r\n");
    (*nrow)++;
    if (b.n > 65536) {
      ok = write(fd, b.z, b.n) == (ssize_t)b.n;
      buf_reset(&b);
    }
  }
  if (ok && rc != DB_DONE) ok = 0;
  if (ok && b.n) ok = write(fd, b.z, b.n) == (ssize_t)b.n;
  buf_free(&b);
  return ok ? 0 : -1;
}

/* Writes the rows of s as an XLSX workbook at path. 0, or -1. */
static int write_xlsx(const char *path, db_stmt *s, int64_t *nrow) {
  char tmpdir[600];
  snprintf(tmpdir, sizeof tmpdir, "%s", path);
  char *slash = strrchr(tmpdir, '/');
  if (slash) *slash = 0;
  lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = tmpdir, .use_zip64 = LXW_FALSE};
  lxw_workbook *wb = workbook_new_opt(path, &opt);
  if (!wb) return -1;
  lxw_worksheet *ws = workbook_add_worksheet(wb, _("Demandes"));
  lxw_format *bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format *when = workbook_add_format(wb);
  format_set_num_format(when, "dd/mm/yyyy hh:mm");
  int ok = ws != NULL;
  for (size_t i = 0; ok && i < ARRAY_SIZE(xcols); i++) {
    worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, xcols[i].width, xcols[i].kind == X_TIME ? when : NULL);
    ok = worksheet_write_string(ws, 0, (lxw_col_t)i, _(xcols[i].title), bold) == LXW_NO_ERROR;
  }
  if (ok) worksheet_freeze_panes(ws, 1, 0);
  int rc;
  lxw_row_t row = 1;
  while (ok && (rc = db_step(s)) == DB_ROW) {
    for (size_t i = 0; ok && i < ARRAY_SIZE(xcols); i++) {
      int col = xcols[i].col;
      lxw_col_t c = (lxw_col_t)i;
      if (db_is_null(s, col)) continue;
      lxw_error e = LXW_NO_ERROR;
      if (xcols[i].kind == X_INT || xcols[i].kind == X_REAL) {
        double v = xcols[i].kind == X_INT ? (double)db_int(s, col) : (double)(int64_t)(db_double(s, col) + 0.5);
        e = worksheet_write_number(ws, row, c, v, NULL);
      } else if (xcols[i].kind == X_TIME) {
        time_t tt = (time_t)db_int(s, col);
        struct tm tm;
        if (localtime_r(&tt, &tm)) {
          lxw_datetime dt = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
          e = worksheet_write_datetime(ws, row, c, &dt, when);
        }
      } else if (xcols[i].kind == X_STATUS) {
        const char *lab = heat_status_label(db_text(s, col));
        e = worksheet_write_string(ws, row, c, lab ? lab : db_text(s, col), NULL);
      } else if (*db_text(s, col)) {
        e = worksheet_write_string(ws, row, c, db_text(s, col), NULL);
      }
      ok = e == LXW_NO_ERROR;
    }
    row++;
    (*nrow)++;
  }
  if (ok && rc != DB_DONE) ok = 0;
  if (ok && row > 1) worksheet_autofilter(ws, 0, 0, row - 1, (lxw_col_t)(ARRAY_SIZE(xcols) - 1));
  lxw_error e = workbook_close(wb); /* frees wb, whatever happened */
  if (e != LXW_NO_ERROR) log_error("heat", "xlsx export: %s", lxw_strerror(e));
  return ok && e == LXW_NO_ERROR ? 0 : -1;
}

/* Both exports: filters as for the page; xlsx 0 for CSV, 1 for XLSX. */
static void export(req *r, int xlsx) {
  form f;
  form_init(&f, r, NULL);
  filters hf;
  if (filters_parse(r, &f, &hf)) {
    json_t *errs = json_object_get(f.data, "errors");
    json_t *first = json_array_get(errs, 0);
    res_error(r, 422, first ? json_string_value(json_object_get(first, "message"))
                            : _("Les filtres ne sont pas valides."));
    return;
  }
  const char *path;
  int fd = req_tmpfile(r, "heat-export", &path);
  if (fd < 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  db_stmt *s = listing_query_prep(&hf.w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, order_by(r->a, &hf));
  int64_t n = 0;
  int rc;
  if (xlsx) {
    close(fd);
    rc = write_xlsx(path, s, &n);
  } else {
    rc = write_csv(r->a, s, fd, &n);
    close(fd);
  }
  db_done(s);
  const char *fmt = xlsx ? "xlsx" : "csv";
  if (rc != 0 || audit_log(r->me->id, "heat.requests.export", "heat_requests", r->ip,
                           arena_printf(r->a, "%s, %lld demande(s)", fmt, (long long)n)) < 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  char day[11];
  time_t now = time(NULL);
  struct tm tm;
  if (!localtime_r(&now, &tm) || !strftime(day, sizeof day, "%Y-%m-%d", &tm)) day[0] = 0;
  res_file(r, path,
           xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8",
           arena_printf(r->a, "demandes-raccordement-%s.%s", day, fmt));
}

void requests_csv(req *r) { export(r, 0); }
void requests_xlsx(req *r) { export(r, 1); }
