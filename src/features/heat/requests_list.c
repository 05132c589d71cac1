/*
** requests_list.c — the operators' table of contact requests
** (/operateur/demandes) and its exports (/operateur/demandes.csv and .xlsx),
** and the filters they share with the map of requests (requests_map.c).
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
** ("heat.requests.export"). Both go through core/sheet.h: the CSV is
** for data tools (RFC 4180: comma, CRLF, UTF-8, ISO dates), the XLSX has
** typed cells; in both, a text cell that a spreadsheet would read as a
** formula (= + - @) is prefixed with an apostrophe.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/log.h"
#include "core/sheet.h"
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
_Static_assert(F_COUNT == HEAT_NFILTERS, "heat_filters.v holds every filter");

int heat_filters_parse(req *r, form *f, heat_filters *hf) {
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

const char *heat_filters_order(arena *a, const heat_filters *hf) {
  const char *dir = hf->desc ? " DESC" : " ASC";
  return arena_printf(a, "ORDER BY %s%s, r.id%s", sorts[hf->sort].sql, dir, dir);
}

/* The filters a link keeps, as name/value pairs ending with NULL: every
** filter, and the order unless without_order. */
static const char **keep_list(arena *a, const heat_filters *hf, int without_order) {
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
static void choices(req *r, json_t *d, const heat_filters *hf) {
  json_t *st = json_array();
  for (int i = 0; i < heat_nstatuses; i++)
    json_array_append_new(st, json_pack("{s:s, s:s, s:b}", "value", heat_statuses[i].code, "label",
                                        _(heat_statuses[i].label), "selected",
                                        !strcmp(hf->v[F_STATUT], heat_statuses[i].code)));
  json_object_set_new(d, "status_opts", st);
  json_t *nets = json_array();
  db_stmt *s = db_query("SELECT n.id, n.sncu_id || ' ' || n.name FROM heat_networks n WHERE " HEAT_NETWORK_SCOPE_SQL
                        " ORDER BY n.sncu_id LIMIT ?",
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
static json_t *headers(const heat_filters *hf) {
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

void heat_filters_into(req *r, json_t *d, const heat_filters *hf, const char *view) {
  json_object_set_new(d, "all", json_boolean(heat_sees_all(r)));
  choices(r, d, hf);
  json_object_set_new(d, "filters", keep_json(keep_list(r->a, hf, 1)));
  json_object_set_new(d, "sort",
                      json_pack("{s:s, s:s}", "key", sorts[hf->sort].key, "order", hf->desc ? "desc" : "asc"));
  json_object_set_new(d, "view", json_pack("{s:b, s:s}", view, 1, "path",
                                           !strcmp(view, "map") ? "/operateur/demandes/carte" : "/operateur/demandes"));
}

void requests_page(req *r) {
  json_t *d = json_object();
  form f;
  form_init(&f, r, NULL);
  heat_filters hf;
  int nerr = heat_filters_parse(r, &f, &hf);
  heat_filters_into(r, d, &hf, "table");
  json_object_set_new(d, "columns", headers(&hf));
  if (nerr) {
    form_into(&f, d);
    res_page(r, 422, "heat/requests", d);
    return;
  }
  int64_t total;
  if (listing_count_or_reply(r, &hf.w, "SELECT count(*) FROM heat_requests r", d, &total)) return;
  int64_t page = listing_pager(d, total, listing_page_arg(r), PER_PAGE, keep_list(r->a, &hf, 0));
  db_stmt *s = listing_page_prep(&hf.w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, heat_filters_order(r->a, &hf), page,
                                PER_PAGE);
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

/* The exported columns: title, type, XLSX width, HC_* column, label. */
static const sheet_col xcols[] = {
    {N_("Référence"), SHEET_INT, 10, HC_ID, NULL},
    {N_("Reçue le"), SHEET_TIME, 17, HC_CREATED, NULL},
    {N_("Statut"), SHEET_TEXT, 26, HC_STATUS, heat_status_label},
    {N_("Dernière action"), SHEET_TIME, 17, HC_UPDATED, NULL},
    {N_("Réseau"), SHEET_TEXT, 9, HC_SNCU, NULL},
    {N_("Nom du réseau"), SHEET_TEXT, 28, HC_NETWORK, NULL},
    {N_("Adresse"), SHEET_TEXT, 40, HC_ADDRESS, NULL},
    {N_("Commune"), SHEET_TEXT, 18, HC_COMMUNE, NULL},
    {N_("Profil"), SHEET_TEXT, 14, HC_PROFILE, NULL},
    {N_("Type de structure"), SHEET_TEXT, 16, HC_STRUCT_TYPE, NULL},
    {N_("Structure"), SHEET_TEXT, 24, HC_STRUCT_NAME, NULL},
    {N_("Énergie"), SHEET_TEXT, 11, HC_ENERGY, NULL},
    {N_("Chauffage"), SHEET_TEXT, 11, HC_MODE, NULL},
    {N_("Logements"), SHEET_INT, 10, HC_DWELLINGS, NULL},
    {N_("Surface (m²)"), SHEET_INT, 11, HC_SURFACE, NULL},
    {N_("Nom"), SHEET_TEXT, 18, HC_LAST_NAME, NULL},
    {N_("Prénom"), SHEET_TEXT, 16, HC_FIRST_NAME, NULL},
    {N_("E-mail"), SHEET_TEXT, 28, HC_EMAIL, NULL},
    {N_("Téléphone"), SHEET_TEXT, 15, HC_PHONE, NULL},
    {N_("Commentaire"), SHEET_TEXT, 40, HC_COMMENT, NULL},
    {N_("Éligibilité"), SHEET_TEXT, 20, HC_ELIGIBILITY, NULL},
    {N_("Distance (m)"), SHEET_INT, 12, HC_DISTANCE, NULL}, /* a real, rounded to the metre */
    {N_("Transmise à"), SHEET_TEXT, 28, HC_ROUTED_TO, NULL},
};

/* Both exports: filters as for the page; format SHEET_CSV or SHEET_XLSX. */
static void export(req *r, sheet_format format) {
  form f;
  form_init(&f, r, NULL);
  heat_filters hf;
  if (heat_filters_parse(r, &f, &hf)) {
    json_t *errs = json_object_get(f.data, "errors");
    json_t *first = json_array_get(errs, 0);
    res_error(r, 422, first ? json_string_value(json_object_get(first, "message"))
                            : _("Les filtres ne sont pas valides."));
    return;
  }
  sheet_writer *w = sheet_open(r, format, sheet_name_today(r, "demandes-raccordement"), 0);
  sheet_tab(w, _("Demandes"), sheet_cols_tr(r, xcols, (int)ARRAY_SIZE(xcols)), (int)ARRAY_SIZE(xcols));
  db_stmt *s = listing_query_prep(&hf.w, "SELECT " HEAT_ROW_COLS HEAT_ROW_FROM, heat_filters_order(r->a, &hf));
  int64_t n = 0;
  int rc;
  for (; (rc = db_step(s)) == DB_ROW; n++) sheet_db_row(w, s);
  db_done(s);
  if (rc != DB_DONE) sheet_fail(w);
  if (sheet_close(w) != 0 ||
      audit_log(r->me->id, "heat.requests.export", "heat_requests", r->ip,
                arena_printf(r->a, "%s, %lld demande(s)", format == SHEET_XLSX ? "xlsx" : "csv", (long long)n)) < 0) {
    res_error(r, 500, _("L’export n’a pas pu être préparé : réessayez."));
    return;
  }
  sheet_send(w);
}

void requests_csv(req *r) { export(r, SHEET_CSV); }
void requests_xlsx(req *r) { export(r, SHEET_XLSX); }
