/*
** review_pages.c — the instructors' side of labels and equipment
** (capability "aid.review", granted to instructors and territory admins;
** the route table enforces it): work lists with a status filter, a search
** and pages, each exported to CSV or XLSX with the same filters; one item
** with everything the applicant gave, its documents and history; validate,
** or refuse with a reason.
**
** A decision is one write transaction: the status moves from 'deposee' only
** (an UPDATE guarded by that status, so two instructors deciding at once
** cannot both win), the event row records who, when and why, the audit log
** and the email to the applicant join the same transaction.
**
** Costs: a list is two statements (count, page) over one status with its
** index; the search is a LIKE scan of that status' rows — fine for the
** 14,000 label requests of Advenir's scale. Pager and LIKE patterns come
** from core/listing.h.
*/
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/mail.h"
#include "core/sheet.h"
#include "features/aid/catalog.h"
#include "features/aid/instruction.h"

#define PER_PAGE 50       /* rows of a work list */
#define QUERY_MAX 200     /* bytes of a search */

/* The statuses an instructor filters on; "" (absent) means "deposee", the
** work still to do. Drafts are the applicant's own and never listed. */
static const char *const filters[] = {"deposee", "validee", "refusee", "toutes", NULL};
static const char *const filter_labels[] = {N_("À traiter"), N_("Validées"), N_("Refusées"), N_("Toutes")};

/* ---------------------------------------------------------- work lists */

/* A work list's query: which rows, and which page. */
typedef struct list_args {
  const char *status;        /* a status, or "" for every filed one */
  const char *q;             /* the search as typed, "" for none */
  const char *like;          /* "%q%" with LIKE's wildcards escaped (for ESCAPE '\') */
  const char *siret_like;    /* the same without spaces, as a SIRET is typed "732 829 320 00074" */
  int64_t id;                /* the search as a number ("12", "n° 12", "#12"), -1 otherwise */
  int id_only;               /* 1: "#12" or "n° 12", a tracking number and nothing else */
} list_args;

/* Reads statut and q from the query string into a; sets the filter options
** and the search into d. 0, or -1 when q is too long (with the error in d:
** the page then shows no rows). */
static int list_args_read(req *r, json_t *d, list_args *a) {
  const char *st = req_query(r, "statut");
  int known = 0;
  for (int i = 0; st && filters[i]; i++) known |= !strcmp(st, filters[i]);
  if (!known) st = "deposee"; /* absent, or a forged URL: the work to do */
  json_object_set_new(d, "status_opts", cat_options(filters, filter_labels, st));
  a->status = strcmp(st, "toutes") ? st : "";
  const char *q = req_query(r, "q");
  a->q = q ? arena_strdup(r->a, q) : "";
  json_object_set_new(d, "q", json_string(a->q));
  if (strlen(a->q) > QUERY_MAX) {
    json_object_set_new(d, "q_error", json_string(arena_printf(r->a, _("%d caractères au plus."), QUERY_MAX)));
    return -1;
  }
  buf compact = {0}, b = {0};
  for (const char *p = a->q; *p; p++)
    if (*p != ' ') buf_putc(&compact, *p);
  const char *num = arena_strdup(r->a, buf_str(&compact));
  buf_free(&compact);
  listing_like_contains(&b, a->q);
  a->like = arena_strdup(r->a, buf_str(&b));
  buf_reset(&b);
  listing_like_contains(&b, num);
  a->siret_like = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  a->id_only = 1;
  if (*num == '#') num++;
  else if (!strncmp(num, "n°", strlen("n°"))) num += strlen("n°");
  else a->id_only = 0; /* a bare number may also be part of a SIRET or a name */
  a->id = -1;
  if (*num && strlen(num) <= 12 && strspn(num, "0123456789") == strlen(num)) a->id = strtoll(num, NULL, 10);
  if (a->id < 0) a->id_only = 0;
  return 0;
}

/* Binds a's filter values to s from placeholder 1: status twice, then q,
** id, id_only, like, like, siret-like — the order of FILTER_SQL. Returns
** the next placeholder. */
static int bind_filters(db_stmt *s, const list_args *a) {
  db_bind_text(s, 1, a->status);
  db_bind_text(s, 2, a->status);
  db_bind_text(s, 3, a->q);
  db_bind_int(s, 4, a->id);
  db_bind_int(s, 5, a->id_only);
  db_bind_text(s, 6, a->like);
  db_bind_text(s, 7, a->like);
  db_bind_text(s, 8, a->siret_like);
  return 9;
}

/* Where both lists filter, in bind_filters' order: drafts never, the
** status when one is chosen, then the search (a tracking number, or text
** in the item, the company's name or its SIRET). */
#define FILTER_SQL(alias, text)                                                                                  \
  " WHERE " alias ".status <> 'brouillon' AND (? = '' OR " alias ".status = ?)"                                  \
  " AND (? = '' OR " alias ".id = ? OR (? = 0 AND (" text " LIKE ? ESCAPE '\\' OR o.name LIKE ? ESCAPE '\\'"      \
  " OR o.siret LIKE ? ESCAPE '\\')))"

/* The work to do comes oldest first, the rest newest first. */
#define ORDER_SQL(alias)                                                                                         \
  " ORDER BY CASE WHEN ? = 'deposee' THEN " alias ".created_at ELSE -" alias ".created_at END, " alias ".id"     \
  " LIMIT ? OFFSET ?"

/* One of the two work lists. */
typedef struct work_list {
  const cat_kind *kind;
  const char *nav;           /* cat_review_nav's current item */
  const char *hint;          /* what the search looks in (translated) */
  const char *count_sql;     /* SELECT count(*) … FILTER_SQL */
  const char *page_sql;      /* SELECT … FILTER_SQL ORDER_SQL: columns as row_common, then the kind's */
  void (*row_fn)(req *r, db_stmt *s, json_t *o);
  const char *tmpl;
  const char *export_sql;    /* SELECT … FILTER_SQL ORDER_SQL: the columns of export_cols */
  const sheet_col *export_cols; /* the download's columns (titles N_()) */
  int export_ncol;
  const char *export_stem;   /* download name: stem-statut-YYYY-MM-DD */
  const char *export_tab;    /* XLSX tab (translated) */
  const char *export_table;  /* audit object */
} work_list;

/* Columns 0..4 of both lists: id, status, created_at, org name, siret;
** the kind's own follow. */
static void row_common(req *r, db_stmt *s, json_t *o) {
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "status", json_string(cat_status_label(db_text(s, 1))));
  json_object_set_new(o, "status_class", json_string(cat_status_class(db_text(s, 1))));
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, 2), "")));
  json_object_set_new(o, "org_name", json_string(db_text(s, 3)));
  json_object_set_new(o, "siret", json_string(db_text(s, 4)));
}

static void label_row(req *r, db_stmt *s, json_t *o) {
  row_common(r, s, o);
  json_object_set_new(o, "name", json_string(db_text(s, 5)));
  json_object_set_new(o, "departements", json_string(label_depts_display(r->a, db_text(s, 6))));
  json_object_set_new(o, "parking", json_string(label_parking_label(db_text(s, 7))));
}

static void equipment_row(req *r, db_stmt *s, json_t *o) {
  row_common(r, s, o);
  json_object_set_new(o, "name", json_string(db_text(s, 5)));
  json_object_set_new(o, "plug", json_string(equipment_plug_label(db_text(s, 6))));
  json_object_set_new(o, "ndocs", json_integer(db_int(s, 7)));
}

#define EQUIPMENT_TEXT "e.brand || ' ' || e.model || ' ' || e.reference"

/* The exports' columns: header, type, XLSX width, column of export_sql. */
static const sheet_col label_cols[] = {
    {N_("N°"), SHEET_INT, 8, 0, NULL},
    {N_("Entreprise"), SHEET_TEXT, 28, 1, NULL},
    {N_("SIRET"), SHEET_TEXT, 16, 2, NULL},
    {N_("Offre"), SHEET_TEXT, 30, 3, NULL},
    {N_("Départements"), SHEET_TEXT, 20, 4, NULL},
    {N_("Stationnement"), SHEET_TEXT, 24, 5, label_parking_label},
    {N_("Statut"), SHEET_TEXT, 12, 6, cat_status_label},
    {N_("Déposée le"), SHEET_TIME, 17, 7, NULL},
    {N_("Décidée le"), SHEET_TIME, 17, 8, NULL},
    {N_("Motif du refus"), SHEET_TEXT, 40, 9, NULL},
};

static const sheet_col equipment_cols[] = {
    {N_("N°"), SHEET_INT, 8, 0, NULL},
    {N_("Entreprise"), SHEET_TEXT, 28, 1, NULL},
    {N_("SIRET"), SHEET_TEXT, 16, 2, NULL},
    {N_("Marque"), SHEET_TEXT, 18, 3, NULL},
    {N_("Modèle"), SHEET_TEXT, 18, 4, NULL},
    {N_("Référence"), SHEET_TEXT, 18, 5, NULL},
    {N_("Puissance minimale (kW)"), SHEET_REAL, 12, 6, NULL},
    {N_("Puissance maximale (kW)"), SHEET_REAL, 12, 7, NULL},
    {N_("Prise"), SHEET_TEXT, 20, 8, equipment_plug_label},
    {N_("Documents"), SHEET_INT, 10, 9, NULL},
    {N_("Statut"), SHEET_TEXT, 12, 10, cat_status_label},
    {N_("Déclaré le"), SHEET_TIME, 17, 11, NULL},
    {N_("Décidé le"), SHEET_TIME, 17, 12, NULL},
    {N_("Motif du refus"), SHEET_TEXT, 40, 13, NULL},
};

static const work_list label_list = {
    &cat_label, "labels", N_("n°, nom de l’offre, entreprise ou SIRET"),
    "SELECT count(*) FROM aid_labels l JOIN organisations o ON o.id = l.org_id" FILTER_SQL("l", "l.name"),
    "SELECT l.id, l.status, l.created_at, o.name, o.siret, l.name, l.departements, l.parking"
    " FROM aid_labels l JOIN organisations o ON o.id = l.org_id" FILTER_SQL("l", "l.name") ORDER_SQL("l"),
    label_row, "aid/review_labels",
    "SELECT l.id, o.name, o.siret, l.name, replace(l.departements, ',', ', '), l.parking, l.status, l.created_at,"
    " l.decided_at, l.reason"
    " FROM aid_labels l JOIN organisations o ON o.id = l.org_id" FILTER_SQL("l", "l.name") ORDER_SQL("l"),
    label_cols, (int)ARRAY_SIZE(label_cols), "labels", N_("Labels"), "aid_labels"};

static const work_list equipment_list = {
    &cat_equipment, "equipment", N_("n°, marque, modèle, référence, entreprise ou SIRET"),
    "SELECT count(*) FROM aid_equipment e JOIN organisations o ON o.id = e.org_id" FILTER_SQL("e", EQUIPMENT_TEXT),
    "SELECT e.id, e.status, e.created_at, o.name, o.siret, e.brand || ' ' || e.model || ' (' || e.reference || ')',"
    " e.plug, (SELECT count(*) FROM aid_equipment_docs WHERE equipment_id = e.id)"
    " FROM aid_equipment e JOIN organisations o ON o.id = e.org_id" FILTER_SQL("e", EQUIPMENT_TEXT) ORDER_SQL("e"),
    equipment_row, "aid/review_equipment_list",
    "SELECT e.id, o.name, o.siret, e.brand, e.model, e.reference, e.power_min_w / 1000.0, e.power_max_w / 1000.0,"
    " e.plug, (SELECT count(*) FROM aid_equipment_docs WHERE equipment_id = e.id), e.status, e.created_at,"
    " e.decided_at, e.reason"
    " FROM aid_equipment e JOIN organisations o ON o.id = e.org_id" FILTER_SQL("e", EQUIPMENT_TEXT) ORDER_SQL("e"),
    equipment_cols, (int)ARRAY_SIZE(equipment_cols), "materiels", N_("Matériels"), "aid_equipment"};

/* The number of rows of w under a's filters into *total: 0, or -1 when the
** database failed (nothing answered). */
static int list_count(const work_list *w, const list_args *a, int64_t *total) {
  db_stmt *s = db_prep(w->count_sql);
  bind_filters(s, a);
  int rc = db_step(s);
  *total = rc == DB_ROW ? db_int(s, 0) : 0;
  db_done(s);
  return rc == DB_ROW ? 0 : -1;
}

/* "statut=…&q=…" of the filters the list shows, for links that keep them;
** keep as for listing_pager. In r's arena. */
static const char *keep_query(req *r, const char *const *keep) {
  buf b = {0};
  for (int i = 0; keep[i]; i += 2) {
    if (!*keep[i + 1]) continue;
    if (b.n) buf_putc(&b, '&');
    buf_puts(&b, keep[i]);
    buf_putc(&b, '=');
    buf_url(&b, keep[i + 1], -1);
  }
  const char *z = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return z;
}

/* A work list page: filters, count, pager, rows. */
static void work_list_page(req *r, const work_list *w) {
  json_t *d = json_object();
  cat_review_nav(d, w->nav);
  json_object_set_new(d, "action", json_string(w->kind->review_path));
  json_object_set_new(d, "search_hint", json_string(_(w->hint)));
  list_args a;
  if (list_args_read(r, d, &a) != 0) {
    res_page(r, 422, w->tmpl, d);
    return;
  }
  int64_t total;
  if (list_count(w, &a, &total) != 0) {
    json_decref(d);
    cat_db_failed(r);
    return;
  }
  const char *keep[] = {"statut", *a.status ? a.status : "toutes", "q", a.q, NULL};
  const char *query = keep_query(r, keep);
  const char *path = w->kind->review_path;
  json_object_set_new(d, "export_csv", json_string(arena_printf(r->a, "%s/export.csv?%s", path, query)));
  json_object_set_new(d, "export_xlsx", json_string(arena_printf(r->a, "%s/export.xlsx?%s", path, query)));
  int64_t page = listing_pager(d, total, listing_page_arg(r), PER_PAGE, keep);
  db_stmt *s = db_prep(w->page_sql);
  int n = bind_filters(s, &a);
  db_bind_text(s, n, a.status);
  db_bind_int(s, n + 1, PER_PAGE);
  db_bind_int(s, n + 2, (page - 1) * PER_PAGE);
  cat_list_render(r, d, s, w->row_fn, "items", w->tmpl);
}

void review_labels_page(req *r) { work_list_page(r, &label_list); }
void review_equipment_list_page(req *r) { work_list_page(r, &equipment_list); }

/* ------------------------------------------------------------- exports */

/* A work list as a file (format SHEET_CSV_FR or SHEET_XLSX): the rows the
** list shows under the same query string, across all its pages and in its
** order, at most INSTR_EXPORT_MAX of them — past that, or with a search too
** long, the instructor is asked to narrow the filters and nothing is
** written. */
static void work_list_export(req *r, const work_list *w, sheet_format format) {
  json_t *d = json_object(); /* list_args_read's page data, unused here */
  list_args a;
  int bad = list_args_read(r, d, &a);
  json_decref(d);
  if (bad) {
    res_error(r, 422, _("Les filtres de la liste contiennent une erreur : corrigez-les sur la liste, puis exportez."));
    return;
  }
  int64_t total;
  if (list_count(w, &a, &total) != 0) {
    cat_db_failed(r);
    return;
  }
  if (total > INSTR_EXPORT_MAX) {
    res_error(r, 422, arena_printf(r->a, _("La liste compte plus de %d lignes : filtrez-la (statut, recherche) pour "
                                           "l’exporter en plusieurs fois."),
                                   INSTR_EXPORT_MAX));
    return;
  }
  audit_log(r->me->id, arena_printf(r->a, "aid.%s.export", w->kind->noun), w->export_table, r->ip,
            arena_printf(r->a, "%lld ligne(s)", (long long)total));
  db_stmt *s = db_prep(w->export_sql);
  int n = bind_filters(s, &a);
  db_bind_text(s, n, a.status);
  db_bind_int(s, n + 1, INSTR_EXPORT_MAX);
  db_bind_int(s, n + 2, 0);
  const char *stem = arena_printf(r->a, "%s-%s", w->export_stem, *a.status ? a.status : "toutes");
  sheet_writer *sw = sheet_open(r, format, sheet_name_today(r, stem), 0);
  sheet_tab(sw, _(w->export_tab), sheet_cols_tr(r, w->export_cols, w->export_ncol), w->export_ncol);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) sheet_db_row(sw, s);
  db_done(s);
  if (rc != DB_DONE) sheet_fail(sw);
  sheet_send(sw);
}

void review_labels_csv(req *r) { work_list_export(r, &label_list, SHEET_CSV_FR); }
void review_labels_xlsx(req *r) { work_list_export(r, &label_list, SHEET_XLSX); }
void review_equipment_csv(req *r) { work_list_export(r, &equipment_list, SHEET_CSV_FR); }
void review_equipment_xlsx(req *r) { work_list_export(r, &equipment_list, SHEET_XLSX); }

/* ------------------------------------------------------------ one item */

/* Renders item id of kind k for instructors, with fm's errors if any;
** 404 when absent or still a draft. */
static void item_render(req *r, const cat_kind *k, int status, int64_t id, form *fm) {
  json_t *d = json_object();
  cat_review_nav(d, k == &cat_label ? "labels" : "equipment");
  json_t *o = json_object();
  int found = k == &cat_label ? label_json(r, id, o) : equipment_json(r, id, o);
  if (!found || json_is_true(json_object_get(o, "draft"))) {
    json_decref(o);
    json_decref(d);
    res_error(r, 404, _("Cette page n’existe pas."));
    return;
  }
  json_object_set_new(o, "base", json_string(arena_printf(r->a, "%s/%lld", k->review_path, (long long)id)));
  json_object_set_new(d, k == &cat_label ? "l" : "e", o);
  if (fm) form_into(fm, d);
  res_page(r, status, k == &cat_label ? "aid/review_label" : "aid/review_equipment", d);
}

void review_label_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  item_render(r, &cat_label, 200, id, NULL);
}

void review_equipment_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  item_render(r, &cat_equipment, 200, id, NULL);
}

/* ------------------------------------------------------------ decisions */

static const char *const decision_fields[] = {"reason", "comment", NULL};

/* The mail telling the applicant: the decision, the instructor's words,
** what to do next and the link to follow it. In r's arena. */
static const char *decision_mail(req *r, const cat_kind *k, int64_t id, const char *title, int validate,
                                 const char *note) {
  buf b = {0};
  buf_printf(&b, _("Bonjour,\n\n%s « %s » (n° %lld) est %s.\n"), _(k->what), title, (long long)id,
             validate ? _("validée") : _("refusée"));
  if (*note) buf_printf(&b, validate ? _("\nMessage de l’instructeur :\n%s\n") : _("\nMotif du refus :\n%s\n"), note);
  buf_printf(&b, "\n%s\n", validate ? _(k->next_ok) : _(k->next_ko));
  buf_printf(&b, _("\nSuivre la demande et son historique : %s%s/%lld\n"), http_base_url(), k->mine_path, (long long)id);
  buf_printf(&b, "\n— %s\n", config_str("territory_name"));
  const char *z = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return z;
}

/* Validates (validate = 1) or refuses item :id of kind k. A refusal needs
** a reason; a validation takes an optional note. Answers 404 (absent or
** draft), 409 (already decided), 422 (reason missing or too long), or
** redirects to the item with the applicant told by email. */
static void decide(req *r, const cat_kind *k, int validate) {
  int64_t id, org;
  const char *st, *title;
  if (req_id_or_reply(r, "id", &id)) return;
  if (!cat_load(r, k, id, &org, &st, &title) || !strcmp(st, "brouillon")) {
    res_error(r, 404, _("Cette page n’existe pas."));
    return;
  }
  if (strcmp(st, "deposee") != 0) {
    res_error(r, 409, arena_printf(r->a, _("Cette demande a déjà été traitée : elle est « %s »."),
                                   cat_status_label(st)));
    return;
  }
  form f;
  form_init(&f, r, decision_fields);
  const char *field = validate ? "comment" : "reason";
  if (!validate && !*form_get(&f, "reason"))
    form_error(&f, "reason", _("Indiquez le motif du refus : il est envoyé au demandeur et figure dans l’historique."));
  form_maxlen(&f, field, CAT_REASON_MAX);
  if (f.nerr) {
    item_render(r, k, 422, id, &f);
    return;
  }
  const char *note = form_get(&f, field);
  const char *to_status = validate ? "validee" : "refusee";
  int64_t now = now_unix();
  if (cat_begin_or_reply(r)) return;
  char *to = db_get_text(r->a, k->sql_mailto, "i", id);
  int rc = db_run(k->sql_decide, "ttiiii", to_status, validate ? "" : note, r->me->id, now, now, id);
  if (rc == DB_DONE && db_changes() == 0) { /* another instructor was faster */
    db_rollback();
    res_error(r, 409, _("Cette demande vient d’être traitée par quelqu’un d’autre : rechargez la page."));
    return;
  }
  buf subject = {0};
  buf_puts(&subject, validate ? _(k->subject_ok) : _(k->subject_ko));
  buf_puts(&subject, title);
  int ok = rc == DB_DONE && to && cat_event(k, id, r->me->id, to_status, note) == 0 &&
           audit_log(r->me->id, arena_printf(r->a, "aid.%s.%s", k->noun, validate ? "validate" : "refuse"),
                     arena_printf(r->a, "%s:%lld", k->noun, (long long)id), r->ip, note) >= 0 &&
           mail_send(to, buf_str(&subject), decision_mail(r, k, id, title, validate, note)) >= 0;
  buf_free(&subject);
  if (cat_commit_or_reply(r, ok)) return;
  res_flash(r, validate ? _("C’est validé : le demandeur est prévenu par e-mail.")
                        : _("C’est refusé : le demandeur reçoit le motif par e-mail."));
  res_redirect(r, arena_printf(r->a, "%s/%lld", k->review_path, (long long)id));
}

void review_label_validate_post(req *r) { decide(r, &cat_label, 1); }
void review_label_refuse_post(req *r) { decide(r, &cat_label, 0); }
void review_equipment_validate_post(req *r) { decide(r, &cat_equipment, 1); }
void review_equipment_refuse_post(req *r) { decide(r, &cat_equipment, 0); }
