/*
** instruction_list.c — the instructors' work lists (/instruction): four
** tabs, filters, search, sort, pages, and the batch validation.
**
**   À traiter               déposée, en instruction, versement demandé, not
**                           assigned or assigned to me (a dossier whose
**                           compléments came back is "en instruction" again,
**                           marked "compléments reçus")
**   Mes dossiers            assigned to me and still open (the three above
**                           and compléments demandés)
**   En attente du demandeur compléments demandés
**   Traités                 validée and after, refusée, annulée, expirée
** Drafts are never listed.
**
** Cost (the target is 70,000 dossiers, 32 connections at once, p99 under
** 50 ms on two cores, so a page must cost a few milliseconds): a page is
** read in order from an index (queue, column, id) of migration 005 and
** stops after INSTR_PAGE + 1 rows; the other filters are checked on the
** rows the index walks. Pages are keyset ("apres"/"avant" = the value and
** id of the last/first row shown), so page 1,000 costs what page 1 costs.
** The tab counts read covering indexes and stop at COUNT_MAX ("10 000+"),
** "Traités" (most of the table) and filtered lists (which may read rows)
** at FILTERED_MAX ("1 000+"): about 15,000 index entries a page at the
** target size, a millisecond.
** A search by name that matches nothing reads the whole tab (about 10 ms
** for 50,000 dossiers); a tracking number, a SIRET or an id is an index
** lookup.
*/
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "features/aid/aid.h"
#include "features/aid/catalog.h"
#include "features/aid/dossier.h"
#include "features/aid/instruction.h"

#define COUNT_MAX 10000    /* counts of the work queues (covering indexes) stop there: "10 000+" */
#define FILTERED_MAX 1000  /* counts of "Traités" and of a filtered list stop there: "1 000+" */
#define SEARCH_MAX 100     /* bytes of the search text */
#define RETURN_MAX 2000    /* bytes of a return URL */

/* The tabs. list_sql selects the tab for a sorted page (its queue, one
** index range, read in order: the other filters are checked on the rows it
** walks, which costs a page of rows divided by the share of rows that
** match, and at worst one tab, where reading a filter's index and sorting
** would cost every matching row, at worst a sort of the whole tab).
** count_sql gives the same set as statuses, in one or two disjoint parts
** whose counts add up, each read from an index alone: "À traiter" is the
** unassigned ones plus mine, where one count with an OR would cost a row
** set of every entry. A fragment binds the user's id when its *_uid is
** set. */
static const struct tab {
  const char *code;        /* "onglet" in the URL */
  const char *label;
  const char *list_sql;
  int list_uid;
  const char *count_sql[2]; /* second part, or NULL */
  int count_uid[2];
  const char *statuses[7]; /* the statuses the tab shows (its "statut" options), NULL-ended */
  int sort;                /* default order: index in sorts[] */
  int64_t cap;             /* its count stops there: the work queues are counted exactly, the past is not */
} tabs[] = {
    {"a-traiter", N_("À traiter"), "d.queue = 'todo' AND (d.assignee_id IS NULL OR d.assignee_id = ?)", 1,
     {"d.status IN ('deposee', 'en_instruction', 'versement') AND d.assignee_id IS NULL",
      "d.status IN ('deposee', 'en_instruction', 'versement') AND d.assignee_id = ?"},
     {0, 1}, {"deposee", "en_instruction", "versement", NULL}, 0, COUNT_MAX},
    {"mes-dossiers", N_("Mes dossiers"),
     "d.assignee_id = ? AND d.status IN ('deposee', 'en_instruction', 'complements', 'versement')", 1,
     {"d.assignee_id = ? AND d.status IN ('deposee', 'en_instruction', 'complements', 'versement')", NULL},
     {1, 0}, {"deposee", "en_instruction", "complements", "versement", NULL}, 0, COUNT_MAX},
    {"en-attente", N_("En attente du demandeur"), "d.queue = 'waiting'", 0, {"d.status = 'complements'", NULL},
     {0, 0}, {"complements", NULL}, 4, COUNT_MAX},
    {"traites", N_("Traités"), "d.queue = 'done'", 0,
     {"d.status IN ('validee', 'justificatifs', 'versee', 'refusee', 'annulee', 'expiree')", NULL}, {0, 0},
     {"validee", "justificatifs", "versee", "refusee", "annulee", "expiree", NULL}, 5, FILTERED_MAX},
};

/* Column of the SELECT below holding each sort's value. */
enum { COL_SUBMITTED = 15, COL_AMOUNT = 10, COL_UPDATED = 16 };

/* The orders. after/before select the rows that come after/before the
** cursor (value, id) in display order; order/rorder read the display
** order and its reverse (a "previous page" reads backwards); morder and
** mrorder are the same orders that no index can give ("+column"), for a
** search: its few rows are found through the search's own index (SIRET,
** number, id) and sorted, where the planner would otherwise walk every
** dossier in order to spare the sort. */
static const struct sort {
  const char *code;        /* "tri" in the URL */
  const char *label;
  const char *after, *before;
  const char *order, *rorder;
  const char *morder, *mrorder;
  const char *mafter, *mbefore; /* after/before that no index can serve either */
  int col;                 /* column holding the value */
} sorts[] = {
    {"depot", N_("Dépôt, le plus ancien d’abord"), "(d.submitted_at, d.id) > (?, ?)", "(d.submitted_at, d.id) < (?, ?)",
     "ORDER BY d.submitted_at, d.id LIMIT ?", "ORDER BY d.submitted_at DESC, d.id DESC LIMIT ?",
     "ORDER BY +d.submitted_at, d.id LIMIT ?", "ORDER BY +d.submitted_at DESC, d.id DESC LIMIT ?", "(+d.submitted_at, d.id) > (?, ?)", "(+d.submitted_at, d.id) < (?, ?)", COL_SUBMITTED},
    {"-depot", N_("Dépôt, le plus récent d’abord"), "(d.submitted_at, d.id) < (?, ?)",
     "(d.submitted_at, d.id) > (?, ?)", "ORDER BY d.submitted_at DESC, d.id DESC LIMIT ?",
     "ORDER BY d.submitted_at, d.id LIMIT ?", "ORDER BY +d.submitted_at DESC, d.id DESC LIMIT ?",
     "ORDER BY +d.submitted_at, d.id LIMIT ?", "(+d.submitted_at, d.id) < (?, ?)", "(+d.submitted_at, d.id) > (?, ?)", COL_SUBMITTED},
    {"-montant", N_("Montant, le plus élevé d’abord"), "(d.amount_cents, d.id) < (?, ?)",
     "(d.amount_cents, d.id) > (?, ?)", "ORDER BY d.amount_cents DESC, d.id DESC LIMIT ?",
     "ORDER BY d.amount_cents, d.id LIMIT ?", "ORDER BY +d.amount_cents DESC, d.id DESC LIMIT ?",
     "ORDER BY +d.amount_cents, d.id LIMIT ?", "(+d.amount_cents, d.id) < (?, ?)", "(+d.amount_cents, d.id) > (?, ?)", COL_AMOUNT},
    {"montant", N_("Montant, le plus faible d’abord"), "(d.amount_cents, d.id) > (?, ?)",
     "(d.amount_cents, d.id) < (?, ?)", "ORDER BY d.amount_cents, d.id LIMIT ?",
     "ORDER BY d.amount_cents DESC, d.id DESC LIMIT ?", "ORDER BY +d.amount_cents, d.id LIMIT ?",
     "ORDER BY +d.amount_cents DESC, d.id DESC LIMIT ?", "(+d.amount_cents, d.id) > (?, ?)", "(+d.amount_cents, d.id) < (?, ?)", COL_AMOUNT},
    {"maj", N_("Mise à jour, la plus ancienne d’abord"), "(d.updated_at, d.id) > (?, ?)",
     "(d.updated_at, d.id) < (?, ?)", "ORDER BY d.updated_at, d.id LIMIT ?",
     "ORDER BY d.updated_at DESC, d.id DESC LIMIT ?", "ORDER BY +d.updated_at, d.id LIMIT ?",
     "ORDER BY +d.updated_at DESC, d.id DESC LIMIT ?", "(+d.updated_at, d.id) > (?, ?)", "(+d.updated_at, d.id) < (?, ?)", COL_UPDATED},
    {"-maj", N_("Mise à jour, la plus récente d’abord"), "(d.updated_at, d.id) < (?, ?)",
     "(d.updated_at, d.id) > (?, ?)", "ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
     "ORDER BY d.updated_at, d.id LIMIT ?", "ORDER BY +d.updated_at DESC, d.id DESC LIMIT ?",
     "ORDER BY +d.updated_at, d.id LIMIT ?", "(+d.updated_at, d.id) < (?, ?)", "(+d.updated_at, d.id) > (?, ?)", COL_UPDATED},
};

/* LEFT JOINs keep aid_dossiers the outer table, read in index order:
** with inner joins the planner may start from the small programme table
** and sort every row of the tab. */
const char instr_list_select[] =
    "SELECT d.id, d.number, p.name, o.name, o.siret, d.beneficiary_name, d.beneficiary_siret, d.departement,"
    " d.site_city, d.points, d.amount_cents, d.granted_cents, d.status, coalesce(d.assignee_id, 0),"
    " coalesce(nullif(trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')), ''), u.email, ''),"
    " coalesce(d.submitted_at, 0), d.updated_at, coalesce(d.complements_at, 0)"
    " FROM aid_dossiers d LEFT JOIN aid_programmes p ON p.id = d.programme_id"
    " LEFT JOIN organisations o ON o.id = d.org_id LEFT JOIN users u ON u.id = d.assignee_id";

/* The list's arguments, in the order of the filter form. */
static const char *const args[] = {"onglet", "programme", "statut", "departement", "du", "au",
                                   "min", "max", "q", "instructeur", "tri", NULL};

/* ----------------------------------------------------------- arguments */

/* A positive id typed in a field ("12"): the number, or 0. */
static int64_t id_of(const char *z) {
  if (!*z || strlen(z) > 18 || strspn(z, "0123456789") != strlen(z)) return 0;
  return strtoll(z, NULL, 10);
}

/* A département code ("17", "2A", "971"), upper-cased in place. */
static int dept_valid(char *z) {
  size_t n = strlen(z);
  if (n == 2 && (z[1] == 'a' || z[1] == 'b')) z[1] = (char)(z[1] - 'a' + 'A');
  if (n == 2 && z[0] == '2' && (z[1] == 'A' || z[1] == 'B')) return 1;
  if (strspn(z, "0123456789") != n) return 0;
  return (n == 2 && strcmp(z, "00") != 0 && strcmp(z, "20") != 0) || (n == 3 && (z[1] == '7' || z[1] == '8') && z[0] == '9');
}

/* 1 if uid may be given dossiers: an active instructor. */
static int is_instructor(int64_t uid) {
  return db_get_int(0, "SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id"
                       " WHERE u.id = ? AND r.role = 'instructor' AND u.status = 'active'", "i", uid) == 1;
}

int instr_list_parse(req *r, form *f, instr_list *l) {
  memset(l, 0, sizeof *l);
  l->min_cents = l->max_cents = -1;
  const char *v[ARRAY_SIZE(args)];
  for (int i = 0; args[i]; i++) {
    v[i] = req_query_trim(r, args[i]);
    form_set(f, args[i], v[i]);
  }
  const char *zTab = v[0], *zProg = v[1], *zStatus = v[2], *zFrom = v[4], *zTo = v[5], *zMin = v[6],
             *zMax = v[7], *zQ = v[8], *zWho = v[9], *zSort = v[10];
  char *zDept = (char *)v[3];
  for (l->tab = 0; l->tab < (int)ARRAY_SIZE(tabs) && strcmp(tabs[l->tab].code, zTab); l->tab++) {}
  if (l->tab == (int)ARRAY_SIZE(tabs)) {
    if (*zTab) form_error(f, "onglet", _("Cet onglet n’existe pas : choisissez-en un dans la liste."));
    l->tab = 0;
  }
  const struct tab *t = &tabs[l->tab];
  l->tab_code = t->code;
  if (*zProg && ((l->programme = id_of(zProg)) == 0 ||
                 db_get_int(0, "SELECT 1 FROM aid_programmes WHERE id = ?", "i", l->programme) != 1))
    form_error(f, "programme", _("Choisissez un programme de la liste."));
  l->status = "";
  for (int i = 0; *zStatus && t->statuses[i]; i++)
    if (!strcmp(zStatus, t->statuses[i])) l->status = t->statuses[i];
  if (*zStatus && !*l->status)
    form_error(f, "statut", _("Choisissez un statut de la liste : l’onglet ne montre que ceux-là."));
  if (*zDept && !dept_valid(zDept))
    form_error(f, "departement", _("Indiquez un numéro de département : 17, 2A ou 971 par exemple."));
  form_set(f, "departement", zDept);
  l->dept = zDept;
  static const char *bad_day = N_("Indiquez une date valide, au format AAAA-MM-JJ (par exemple 2026-03-31).");
  if (*zFrom && listing_day(zFrom, 0, &l->from) != 0) form_error(f, "du", _(bad_day));
  if (*zTo && listing_day(zTo, 1, &l->to) != 0) form_error(f, "au", _(bad_day));
  if (l->from && l->to && l->to <= l->from) form_error(f, "au", _("La date de fin précède la date de début."));
  static const char *bad_amount = N_("Indiquez un montant en euros, par exemple 1 500 ou 1 500,50.");
  if (*zMin && aid_parse_hundredths(zMin, AID_AMOUNT_MAX, &l->min_cents) != 0) form_error(f, "min", _(bad_amount));
  if (*zMax && aid_parse_hundredths(zMax, AID_AMOUNT_MAX, &l->max_cents) != 0) form_error(f, "max", _(bad_amount));
  if (l->min_cents >= 0 && l->max_cents >= 0 && l->max_cents < l->min_cents)
    form_error(f, "max", _("Le montant maximum est inférieur au montant minimum."));
  if (strlen(zQ) > SEARCH_MAX)
    form_error(f, "q", arena_printf(r->a, _("%d caractères au plus."), SEARCH_MAX));
  l->q = zQ;
  if (!strcmp(zWho, "aucun")) l->assignee = -1;
  else if (*zWho && ((l->assignee = id_of(zWho)) == 0 || (!is_instructor(l->assignee) && l->assignee != r->me->id)))
    form_error(f, "instructeur", _("Choisissez un instructeur de la liste."));
  l->sort = t->sort;
  if (*zSort) {
    for (l->sort = 0; l->sort < (int)ARRAY_SIZE(sorts) && strcmp(sorts[l->sort].code, zSort); l->sort++) {}
    if (l->sort == (int)ARRAY_SIZE(sorts)) {
      form_error(f, "tri", _("Choisissez un ordre de la liste."));
      l->sort = t->sort;
    }
  }
  l->filtered = l->programme || *l->status || *l->dept || l->from || l->to || l->min_cents >= 0 ||
                l->max_cents >= 0 || *l->q || l->assignee;
  return f->nerr;
}

/* ----------------------------------------------------------- the query */

/* Adds the search to w: a tracking number ("AV-2026-000123"), its digits
** ("123"), a SIRET (14 digits, spaces allowed), or else a part of the
** beneficiary's or the organisation's name. */
static void where_search(req *r, const char *q, listing_query *w) {
  char digits[32];
  size_t nd = 0, nq = strlen(q);
  for (size_t i = 0; i < nq && nd < sizeof digits - 1; i++)
    if (q[i] != ' ') digits[nd++] = q[i];
  digits[nd] = 0;
  if (strspn(digits, "0123456789") == nd && nd == 14) {
    listing_query_and(w, "(d.beneficiary_siret = ? OR d.org_id IN (SELECT id FROM organisations WHERE siret = ?))");
    listing_query_text(w, arena_strdup(r->a, digits));
    listing_query_text(w, arena_strdup(r->a, digits));
  } else if (strspn(digits, "0123456789") == nd && nd >= 1 && nd <= 12) {
    listing_query_and(w, "d.id = ?");
    listing_query_int(w, strtoll(digits, NULL, 10));
  } else if (nq > 3 && (q[0] == 'A' || q[0] == 'a') && (q[1] == 'V' || q[1] == 'v') && q[2] == '-') {
    char *up = arena_strdup(r->a, q);
    up[0] = 'A', up[1] = 'V';
    listing_query_and(w, "d.number = ?");
    listing_query_text(w, up);
  } else {
    buf b = {0};
    listing_like_contains(&b, q);
    const char *pat = arena_strdup(r->a, buf_str(&b));
    buf_free(&b);
    listing_query_and(w, "(d.beneficiary_name LIKE ? ESCAPE '\\' OR d.org_id IN"
                    " (SELECT id FROM organisations WHERE name LIKE ? ESCAPE '\\'))");
    listing_query_text(w, pat);
    listing_query_text(w, pat);
  }
}

int instr_list_where(req *r, const instr_list *l, int64_t uid, int part, listing_query *w) {
  const struct tab *t = &tabs[l->tab];
  if (*l->q) { /* a search looks in every tab: "where is N° …?" */
    if (part > 1) return 0;
    listing_query_and(w, "d.status <> 'brouillon'");
  } else {
    const char *sql = part ? t->count_sql[part - 1] : t->list_sql;
    if (!sql) return 0;
    listing_query_and(w, sql);
    if (part ? t->count_uid[part - 1] : t->list_uid) listing_query_int(w, uid);
  }
  if (l->programme) {
    listing_query_and(w, "d.programme_id = ?");
    listing_query_int(w, l->programme);
  }
  if (*l->status) {
    listing_query_and(w, "d.status = ?");
    listing_query_text(w, l->status);
  }
  if (*l->dept) {
    listing_query_and(w, "d.departement = ?");
    listing_query_text(w, l->dept);
  }
  if (l->from) {
    listing_query_and(w, "d.submitted_at >= ?");
    listing_query_int(w, l->from);
  }
  if (l->to) {
    listing_query_and(w, "d.submitted_at < ?");
    listing_query_int(w, l->to);
  }
  if (l->min_cents >= 0) {
    listing_query_and(w, "d.amount_cents >= ?");
    listing_query_int(w, l->min_cents);
  }
  if (l->max_cents >= 0) {
    listing_query_and(w, "d.amount_cents <= ?");
    listing_query_int(w, l->max_cents);
  }
  if (l->assignee < 0) listing_query_and(w, "d.assignee_id IS NULL");
  if (l->assignee > 0) {
    listing_query_and(w, "d.assignee_id = ?");
    listing_query_int(w, l->assignee);
  }
  if (*l->q) where_search(r, l->q, w);
  return 1;
}

/* A search, or "Mes dossiers" (one instructor's open dossiers, a few
** hundred at most), reads its rows through its own index and sorts them:
** walking a sort index would read every dossier of every instructor. */
static int small_set(const instr_list *l) { return *l->q || !strcmp(tabs[l->tab].code, "mes-dossiers"); }

const char *instr_list_cursor(const instr_list *l, int before) {
  const struct sort *so = &sorts[l->sort];
  if (small_set(l)) return before ? so->mbefore : so->mafter;
  return before ? so->before : so->after;
}

const char *instr_list_order(const instr_list *l, int reverse) {
  const struct sort *so = &sorts[l->sort];
  if (small_set(l)) return reverse ? so->mrorder : so->morder;
  return reverse ? so->rorder : so->order;
}

/* The list's arguments as a query string ("k=v&k=v", URL-encoded, empty
** ones left out) from the form's values; with_status = 0 leaves out the
** tab and its status (the tab links carry the other filters). */
static const char *query_of(req *r, const form *f, int with_status) {
  buf b = {0};
  json_t *vals = json_object_get(f->data, "f");
  for (int i = 0; args[i]; i++) {
    const char *v = json_string_value(json_object_get(vals, args[i]));
    if (!v || !*v || (!with_status && (!strcmp(args[i], "onglet") || !strcmp(args[i], "statut")))) continue;
    if (b.n) buf_putc(&b, '&');
    buf_puts(&b, args[i]);
    buf_putc(&b, '=');
    buf_url(&b, v, -1);
  }
  const char *z = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return z;
}

const char *instr_return_url(req *r) {
  const char *z = req_form_trim(r, "retour");
  if (!*z) z = req_query_trim(r, "retour");
  if (strlen(z) > RETURN_MAX || strpbrk(z, "\r\n\\") ||
      (strcmp(z, "/instruction") != 0 && !str_startswith(z, "/instruction?")))
    return "/instruction";
  return z;
}

/* ------------------------------------------------------------ the page */

int64_t instr_list_count(req *r, const instr_list *l, int64_t uid, int64_t cap) {
  int64_t total = 0;
  for (int part = 1; part <= 2 && total <= cap; part++) {
    listing_query w = {0};
    if (!instr_list_where(r, l, uid, part, &w)) break;
    db_stmt *s = listing_query_prep(&w, "SELECT count(*) FROM (SELECT 1 FROM aid_dossiers d", "LIMIT ?)");
    db_bind_int(s, w.nbind + 1, cap + 1 - total);
    int64_t n = db_step(s) == DB_ROW ? db_int(s, 0) : -1;
    db_done(s);
    if (n < 0) return -1;
    total += n;
  }
  return total;
}

/* "12", "1 234", or "10 000+" past cap, in r's arena. */
static const char *count_text(req *r, int64_t n, int64_t cap) {
  int64_t v = n > cap ? cap : n;
  const char *z = v >= 1000 ? arena_printf(r->a, "%lld\u202f%03lld", (long long)(v / 1000), (long long)(v % 1000))
                            : arena_printf(r->a, "%lld", (long long)v);
  return n > cap ? arena_printf(r->a, "%s+", z) : z;
}

/* A cursor "value.id" from the query string: 1 and its parts, or 0. */
static int cursor_of(req *r, const char *name, int64_t *v, int64_t *id) {
  const char *z = req_query(r, name);
  if (!z || !*z || strlen(z) > 40) return 0;
  char *end;
  long long a = strtoll(z, &end, 10);
  if (*end != '.') return 0;
  long long b = strtoll(end + 1, &end, 10);
  if (*end || b <= 0) return 0;
  *v = a;
  *id = b;
  return 1;
}

/* Options of a <select>: [{value, label, selected}]. */
static void opt_add(json_t *a, const char *value, const char *label, int selected) {
  json_t *o = json_object();
  json_object_set_new(o, "value", json_string(value));
  json_object_set_new(o, "label", json_string(label));
  if (selected) json_object_set_new(o, "selected", json_true());
  json_array_append_new(a, o);
}

/* The filter form's options: programmes, the tab's statuses, instructors,
** orders. */
static void list_options(req *r, const instr_list *l, json_t *d) {
  json_t *a = json_array();
  db_stmt *s = db_query("SELECT id, name FROM aid_programmes ORDER BY active DESC, name", "");
  while (db_step(s) == DB_ROW)
    opt_add(a, arena_printf(r->a, "%lld", (long long)db_int(s, 0)), db_text(s, 1), db_int(s, 0) == l->programme);
  db_done(s);
  json_object_set_new(d, "programme_opts", a);
  a = json_array();
  for (int i = 0; tabs[l->tab].statuses[i]; i++)
    opt_add(a, tabs[l->tab].statuses[i], aid_dossier_status_label(tabs[l->tab].statuses[i]),
            !strcmp(l->status, tabs[l->tab].statuses[i]));
  json_object_set_new(d, "status_opts", a);
  json_object_set_new(d, "instructor_opts", aid_instructor_opts(r, l->assignee));
  a = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(sorts); i++) opt_add(a, sorts[i].code, _(sorts[i].label), (int)i == l->sort);
  json_object_set_new(d, "sort_opts", a);
}

/* The tabs with their counts (the tab's own set, filters aside); the
** current tab's count into *current. */
static int list_tabs(req *r, const instr_list *l, const char *keep, json_t *d, int64_t *current) {
  json_t *a = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(tabs); i++) {
    instr_list all;
    memset(&all, 0, sizeof all);
    all.tab = (int)i;
    all.status = all.dept = all.q = "";
    all.min_cents = all.max_cents = -1;
    int64_t n = instr_list_count(r, &all, r->me->id, tabs[i].cap);
    if ((int)i == l->tab) *current = n;
    if (n < 0) {
      json_decref(a);
      return -1;
    }
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(tabs[i].code));
    json_object_set_new(o, "label", json_string(_(tabs[i].label)));
    json_object_set_new(o, "count", json_string(count_text(r, n, tabs[i].cap)));
    json_object_set_new(o, "href", json_string(arena_printf(r->a, "/instruction?onglet=%s%s%s", tabs[i].code,
                                                            *keep ? "&" : "", keep)));
    if ((int)i == l->tab) json_object_set_new(o, "current", json_true());
    json_array_append_new(a, o);
  }
  json_object_set_new(d, "tabs", a);
  return 0;
}

/* One row of the list for the page. */
static json_t *row_json(req *r, db_stmt *s) {
  json_t *o = json_object();
  char tx[64];
  const char *st = db_text(s, 12);
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "number", json_string(db_text(s, 1)));
  json_object_set_new(o, "programme", jstr(db_text(s, 2)));
  json_object_set_new(o, "org", jstr(db_text(s, 3)));
  json_object_set_new(o, "org_siret", jstr(db_text(s, 4)));
  json_object_set_new(o, "beneficiary", json_string(db_text(s, 5)));
  json_object_set_new(o, "dept", json_string(db_text(s, 7)));
  json_object_set_new(o, "city", json_string(db_text(s, 8)));
  json_object_set_new(o, "points", json_integer(db_int(s, 9)));
  aid_format_euros(tx, sizeof tx, db_int(s, 10));
  json_object_set_new(o, "amount", json_string(tx));
  json_object_set_new(o, "status", json_string(aid_dossier_status_label(st)));
  json_object_set_new(o, "status_class", json_string(aid_status_class(st)));
  /* Every key is set in every row: inside {{#rows.0}}, a key missing from
  ** a row would be looked up in the first row. */
  int64_t who = db_int(s, 13);
  json_object_set_new(o, "assignee", json_string(who ? db_text(s, 14) : ""));
  json_object_set_new(o, "mine", json_boolean(who == r->me->id));
  const char *submitted = fmt_datetime(r->a, db_int(s, 15), ""); /* the day only: "05/03/2025" */
  json_object_set_new(o, "submitted", json_string(strlen(submitted) > 10 ? arena_strndup(r->a, submitted, 10) : submitted));
  json_object_set_new(o, "updated", json_string(fmt_datetime(r->a, db_int(s, 16), "")));
  json_object_set_new(o, "complements_back", json_boolean(!strcmp(st, "en_instruction") && db_int(s, 17)));
  int open = !strcmp(st, "deposee") || !strcmp(st, "en_instruction") || !strcmp(st, "complements");
  json_object_set_new(o, "can_take", json_boolean((open || !strcmp(st, "versement")) && who != r->me->id));
  json_object_set_new(o, "can_validate", json_boolean(open));
  return o;
}

void instr_list_page(req *r) {
  json_t *d = json_object();
  cat_review_nav(d, "dossiers");
  form f;
  form_init(&f, r, NULL);
  instr_list l;
  int bad = instr_list_parse(r, &f, &l);
  list_options(r, &l, d);
  const char *keep = query_of(r, &f, 1), *keep_tab = query_of(r, &f, 0);
  int64_t tab_total = 0;
  if (list_tabs(r, &l, keep_tab, d, &tab_total) != 0) goto dberr;
  json_object_set_new(d, "tab", json_string(tabs[l.tab].code));
  json_object_set_new(d, "tab_label", json_string(_(tabs[l.tab].label)));
  json_object_set_new(d, "export_csv", json_string(arena_printf(r->a, "/instruction/export.csv?%s", keep)));
  json_object_set_new(d, "export_xlsx", json_string(arena_printf(r->a, "/instruction/export.xlsx?%s", keep)));
  if (l.assignee < 0) json_object_set_new(d, "assignee_none", json_true());
  json_object_set_new(d, "retour", json_string(*keep ? arena_printf(r->a, "/instruction?%s", keep) : "/instruction"));
  if (l.filtered) json_object_set_new(d, "filtered", json_true());
  if (*l.q) json_object_set_new(d, "searching", json_true());
  if (bad) {
    form_into(&f, d);
    res_page(r, 422, "aid/instr_list", d);
    return;
  }
  int64_t cv = 0, cid = 0;
  int after = cursor_of(r, "apres", &cv, &cid), before = !after && cursor_of(r, "avant", &cv, &cid);
  const struct sort *so = &sorts[l.sort];
  listing_query w = {0};
  instr_list_where(r, &l, r->me->id, 0, &w);
  if (after || before) {
    listing_query_and(&w, instr_list_cursor(&l, before));
    listing_query_int(&w, cv);
    listing_query_int(&w, cid);
  }
  db_stmt *s = listing_query_prep(&w, instr_list_select, instr_list_order(&l, before));
  db_bind_int(s, w.nbind + 1, INSTR_PAGE + 1);
  json_t *rows = json_array();
  int64_t head[2] = {0, 0}, tail[2] = {0, 0}; /* cursors of the first and last rows read */
  int rc, n = 0;
  while ((rc = db_step(s)) == DB_ROW) {
    if (++n > INSTR_PAGE) continue; /* the extra row only says there is more */
    json_array_append_new(rows, row_json(r, s));
    tail[0] = db_int(s, so->col), tail[1] = db_int(s, 0);
    if (n == 1) head[0] = tail[0], head[1] = tail[1];
  }
  db_done(s);
  if (rc != DB_DONE) {
    json_decref(rows);
    goto dberr;
  }
  int64_t *first = head, *last = tail; /* in display order */
  if (before) { /* read backwards: put the page back in display order */
    json_t *rev = json_array();
    for (size_t i = json_array_size(rows); i > 0; i--) json_array_append(rev, json_array_get(rows, i - 1));
    json_decref(rows);
    rows = rev;
    first = tail, last = head;
  }
  int more = n > INSTR_PAGE; /* in the direction read */
  const char *base = *keep ? arena_printf(r->a, "/instruction?%s&", keep) : "/instruction?";
  if (json_array_size(rows) && ((!before && more) || before))
    json_object_set_new(d, "next", json_string(arena_printf(r->a, "%sapres=%lld.%lld", base, (long long)last[0],
                                                            (long long)last[1])));
  if (json_array_size(rows) && ((before && more) || after))
    json_object_set_new(d, "prev", json_string(arena_printf(r->a, "%savant=%lld.%lld", base, (long long)first[0],
                                                            (long long)first[1])));
  if (after || before) json_object_set_new(d, "first", json_string(*keep ? arena_printf(r->a, "/instruction?%s", keep)
                                                                        : "/instruction"));
  /* How many: the tab's count when nothing is filtered, the page itself
  ** when it is the only one, else a count. */
  int64_t total = l.filtered ? (int64_t)json_array_size(rows) : tab_total;
  if (l.filtered && (after || before || more)) {
    if ((total = instr_list_count(r, &l, r->me->id, FILTERED_MAX)) < 0) {
      json_decref(rows);
      goto dberr;
    }
  }
  json_object_set_new(d, "total", json_string(count_text(r, total, l.filtered ? FILTERED_MAX : tabs[l.tab].cap)));
  json_object_set_new(d, "total_n", json_integer(total));
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (json_is_true(json_object_get(row, "can_validate"))) json_object_set_new(d, "can_batch", json_true());
  }
  json_object_set_new(d, "rows", rows);
  form_into(&f, d);
  res_page(r, 200, "aid/instr_list", d);
  return;
dberr:
  json_decref(d);
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

/* ----------------------------------------------------- batch validation */

void instr_batch_post(req *r) {
  int64_t ids[INSTR_BATCH_MAX];
  int nid = 0, over = 0;
  for (form_field *ff = r->fields; ff; ff = ff->next) {
    if (strcmp(ff->name, "ids")) continue;
    int64_t id = id_of(ff->value);
    int dup = 0;
    for (int i = 0; i < nid; i++) dup |= ids[i] == id;
    if (!id || dup) continue;
    if (nid == INSTR_BATCH_MAX) over = 1;
    else ids[nid++] = id;
  }
  const char *back = instr_return_url(r);
  if (!nid || over) {
    res_flash(r, over ? arena_printf(r->a, _("%d dossiers au plus à la fois : rien n’a été validé."), INSTR_BATCH_MAX)
                      : _("Cochez au moins un dossier à valider."));
    res_redirect(r, back);
    return;
  }
  json_t *d = json_object(), *done = json_array(), *failed = json_array();
  cat_review_nav(d, "dossiers");
  for (int i = 0; i < nid; i++) {
    char msg[512] = "";
    aid_move_result res = aid_dossier_move(ids[i], "validee", AID_INSTRUCTOR, r->me->id, "", msg, sizeof msg);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(ids[i]));
    char *number = db_get_text(r->a, "SELECT number FROM aid_dossiers WHERE id = ?", "i", ids[i]);
    json_object_set_new(o, "number", json_string(number ? number : arena_printf(r->a, "#%lld", (long long)ids[i])));
    json_object_set_new(o, "link", json_boolean(number != NULL));
    json_object_set_new(o, "budget", json_boolean(res == AID_MOVE_BUDGET));
    if (res == AID_MOVE_OK) {
      char tx[64];
      aid_format_euros(tx, sizeof tx, db_get_int(0, "SELECT granted_cents FROM aid_dossiers WHERE id = ?", "i", ids[i]));
      json_object_set_new(o, "amount", json_string(tx));
      json_array_append_new(done, o);
    } else {
      json_object_set_new(o, "message", json_string(msg));
      json_array_append_new(failed, o);
    }
  }
  json_object_set_new(d, "done_n", json_integer((json_int_t)json_array_size(done)));
  json_object_set_new(d, "failed_n", json_integer((json_int_t)json_array_size(failed)));
  json_object_set_new(d, "done", done);
  json_object_set_new(d, "failed", failed);
  json_object_set_new(d, "retour", json_string(back));
  res_page(r, 200, "aid/instr_batch", d);
}
