/*
** programme_pages.c — the back office of aid programmes, for holders of
** "aid.admin": the list, the creation form and the edit form (which also
** switches a programme off). Programmes are data: nothing here knows a
** particular programme.
**
** A programme travels in three shapes: the row (cents, basis points), the
** `prog` struct (parsed values) and the form's text values, always written
** the same way by prog_to_form() — so that an edit can tell which fields
** changed by comparing texts, and the audit entry lists them.
**
** The programme's extra form fields (aid_programmes.fields, see
** apply_rules.h) are edited as a table without JavaScript: one group of
** inputs per field ("fd_name_3", "fd_label_3"…), and a blank group at the
** end that adds a field when filled in. Their text form, for comparing, is
** the canonical JSON of the definitions.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "features/aid/aid.h"
#include "features/aid/apply_rules.h"

#define NAME_MAX_LEN 200       /* a programme name */
#define LABEL_MAX_LEN 100      /* the bonus label */
#define TEXT_MAX_LEN 5000      /* eligible costs, the list of documents */
#define SPEC_MAX_LEN 65536     /* the Markdown specification */
#define DOC_LINE_MAX 200       /* one required document */
#define DOC_LINES_MAX 30       /* required documents */
#define PROOFS_MONTHS_MAX 120  /* months to send the proofs in, after a validation */
#define FIELD_ROWS_MAX (AID_FIELDS_MAX + 1) /* the table's groups: every field and one blank */

static const char *const targets[] = {"residentiel_collectif", "entreprises_flottes", "voirie_publique",
                                      "poids_lourds", "autre", NULL};
static const char *const target_labels[] = {N_("Résidentiel collectif"), N_("Entreprises et flottes"),
                                            N_("Voirie publique"), N_("Poids lourds"), N_("Autre")};

static const char *const fields[] = {"name", "target", "rate", "cap", "bonus", "bonus_label",
                                     "eligible_costs", "budget", "max_points", "opens_on", "closes_on",
                                     "active", "documents", "spec", "proofs_months", "extra_fields", NULL};

const char *aid_target_label(const char *code) {
  for (int i = 0; targets[i]; i++)
    if (!strcmp(code, targets[i])) return _(target_labels[i]);
  return code;
}

/* A programme's values, parsed. Strings live in the request arena or the form. */
typedef struct prog {
  const char *name, *target, *bonus_label, *eligible_costs, *opens_on, *closes_on, *documents, *spec;
  const char *fields;        /* extra form fields: canonical JSON array (apply_rules.h) */
  int64_t proofs_months;     /* months after a validation to send the proofs in */
  int64_t rate_bp, cap_cents, bonus_cents;
  int64_t budget_cents;      /* 0: no envelope */
  int64_t max_points;        /* 0: no limit */
  int active;
  int64_t committed_cents, committed_points;
} prog;

/* An amount for an input field: "12500" or "12500,50" (no grouping, so
** that it reads back unchanged); "" for 0 when zero_empty. */
static const char *amount_text(arena *a, int64_t cents, int zero_empty) {
  if (zero_empty && cents == 0) return "";
  if (cents % 100 == 0) return arena_printf(a, "%lld", (long long)(cents / 100));
  return arena_printf(a, "%lld,%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

/* A rate for an input field: 5000 → "50", 3750 → "37,5", 3725 → "37,25". */
static const char *rate_text(arena *a, int64_t bp) {
  if (bp % 100 == 0) return arena_printf(a, "%lld", (long long)(bp / 100));
  if (bp % 10 == 0) return arena_printf(a, "%lld,%lld", (long long)(bp / 100), (long long)(bp % 100 / 10));
  return arena_printf(a, "%lld,%02lld", (long long)(bp / 100), (long long)(bp % 100));
}

static json_t *prog_to_form(arena *a, const prog *p) {
  json_t *f = json_object();
  json_object_set_new(f, "name", json_string(p->name));
  json_object_set_new(f, "target", json_string(p->target));
  json_object_set_new(f, "rate", json_string(rate_text(a, p->rate_bp)));
  json_object_set_new(f, "cap", json_string(amount_text(a, p->cap_cents, 0)));
  json_object_set_new(f, "bonus", json_string(amount_text(a, p->bonus_cents, 1)));
  json_object_set_new(f, "bonus_label", json_string(p->bonus_label));
  json_object_set_new(f, "eligible_costs", json_string(p->eligible_costs));
  json_object_set_new(f, "budget", json_string(amount_text(a, p->budget_cents, 1)));
  json_object_set_new(f, "max_points",
                      json_string(p->max_points ? arena_printf(a, "%lld", (long long)p->max_points) : ""));
  json_object_set_new(f, "opens_on", json_string(p->opens_on));
  json_object_set_new(f, "closes_on", json_string(p->closes_on));
  json_object_set_new(f, "active", json_string(p->active ? "1" : ""));
  json_object_set_new(f, "documents", json_string(p->documents));
  json_object_set_new(f, "spec", json_string(p->spec));
  json_object_set_new(f, "proofs_months", json_string(arena_printf(a, "%lld", (long long)p->proofs_months)));
  json_object_set_new(f, "extra_fields", json_string(p->fields));
  return f;
}

/* Reads programme id into p (strings copied into a). 1, or 0 if absent. */
static int prog_load(arena *a, int64_t id, prog *p) {
  db_stmt *s = db_query("SELECT name, target, bonus_label, eligible_costs, opens_on, closes_on, documents, spec_md,"
                        " rate_bp, cap_cents, bonus_cents, coalesce(budget_cents, 0), coalesce(max_points, 0),"
                        " active, committed_cents, committed_points, proofs_months, fields FROM aid_programmes"
                        " WHERE id=?", "i", id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    p->name = arena_strdup(a, db_text(s, 0));
    p->target = arena_strdup(a, db_text(s, 1));
    p->bonus_label = arena_strdup(a, db_text(s, 2));
    p->eligible_costs = arena_strdup(a, db_text(s, 3));
    p->opens_on = arena_strdup(a, db_text(s, 4));
    p->closes_on = arena_strdup(a, db_text(s, 5));
    p->documents = arena_strdup(a, db_text(s, 6));
    p->spec = arena_strdup(a, db_text(s, 7));
    p->rate_bp = db_int(s, 8);
    p->cap_cents = db_int(s, 9);
    p->bonus_cents = db_int(s, 10);
    p->budget_cents = db_int(s, 11);
    p->max_points = db_int(s, 12);
    p->active = (int)db_int(s, 13);
    p->committed_cents = db_int(s, 14);
    p->committed_points = db_int(s, 15);
    p->proofs_months = db_int(s, 16);
    p->fields = arena_strdup(a, db_text(s, 17));
  }
  db_done(s);
  return found;
}

static void prog_rules(const prog *p, aid_rules *ru) {
  ru->active = p->active;
  ru->rate_bp = p->rate_bp;
  ru->cap_cents = p->cap_cents;
  ru->bonus_cents = p->bonus_cents;
  ru->budget_cents = p->budget_cents;
  ru->max_points = p->max_points;
  ru->opens_on = p->opens_on;
  ru->closes_on = p->closes_on;
  ru->committed_cents = p->committed_cents;
  ru->committed_points = p->committed_points;
}

/* Display values of a programme, for both the back office and the public
** pages: id, name, target label, French amounts, dates, status and reason. */
static void prog_display(int64_t id, const prog *p, json_t *o) {
  char tx[256];
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "name", json_string(p->name));
  json_object_set_new(o, "target", json_string(aid_target_label(p->target)));
  aid_format_rate(tx, sizeof tx, p->rate_bp);
  json_object_set_new(o, "rate", json_string(tx));
  aid_format_euros(tx, sizeof tx, p->cap_cents);
  json_object_set_new(o, "cap", json_string(tx));
  if (p->bonus_cents) {
    aid_format_euros(tx, sizeof tx, p->bonus_cents);
    json_object_set_new(o, "bonus", json_string(tx));
    json_object_set_new(o, "bonus_label", json_string(p->bonus_label));
  }
  if (p->budget_cents) {
    aid_format_euros(tx, sizeof tx, p->budget_cents);
    json_object_set_new(o, "budget", json_string(tx));
    int64_t left = p->budget_cents - p->committed_cents;
    aid_format_euros(tx, sizeof tx, left > 0 ? left : 0);
    json_object_set_new(o, "budget_left", json_string(tx));
  }
  if (p->max_points) {
    json_object_set_new(o, "max_points", json_integer(p->max_points));
    json_object_set_new(o, "points_left",
                        json_integer(p->max_points > p->committed_points ? p->max_points - p->committed_points : 0));
  }
  aid_format_date(tx, sizeof tx, p->opens_on);
  json_object_set_new(o, "opens_on", json_string(tx));
  aid_format_date(tx, sizeof tx, p->closes_on);
  json_object_set_new(o, "closes_on", json_string(tx));
  json_object_set_new(o, "active", json_boolean(p->active));
  aid_rules ru;
  prog_rules(p, &ru);
  char today[11];
  fmt_today(today);
  aid_state st = aid_status(&ru, today, 0, 0);
  json_object_set_new(o, "open", json_boolean(st == AID_OPEN));
  if (st != AID_OPEN) {
    aid_state_reason(st, &ru, tx, sizeof tx);
    json_object_set_new(o, "reason", json_string(tx));
  }
}

const char *aid_euros(arena *a, int64_t cents) {
  char b[64];
  aid_format_euros(b, sizeof b, cents);
  return arena_strdup(a, b);
}

int aid_rules_load(arena *a, int64_t id, aid_rules *ru) {
  prog p;
  if (!prog_load(a, id, &p)) return 0;
  prog_rules(&p, ru);
  return 1;
}

int aid_programme_load(req *r, int64_t id, aid_rules *ru, json_t *d) {
  prog p;
  if (!prog_load(r->a, id, &p)) return 0;
  prog_rules(&p, ru);
  if (d) {
    prog_display(id, &p, d);
    json_object_set_new(d, "eligible_costs", json_string(p.eligible_costs));
    json_object_set_new(d, "documents_text", json_string(p.documents));
    json_object_set_new(d, "spec_md", json_string(p.spec));
  }
  return 1;
}

/* ------------------------------------------------------------- the list */

void programmes_admin_page(req *r) {
  json_t *d = json_object();
  json_t *list = json_array();
  db_stmt *s = db_query("SELECT id FROM aid_programmes ORDER BY active DESC, opens_on DESC, id DESC", "");
  json_t *ids = json_array();
  while (db_step(s) == DB_ROW) json_array_append_new(ids, json_integer(db_int(s, 0)));
  db_done(s);
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    prog p;
    if (!prog_load(r->a, json_integer_value(v), &p)) continue;
    json_t *o = json_object();
    prog_display(json_integer_value(v), &p, o);
    json_array_append_new(list, o);
  }
  json_decref(ids);
  json_object_set_new(d, "programmes", list);
  json_t *nav = json_object();
  json_object_set_new(nav, "programmes", json_true());
  json_object_set_new(d, "nav", nav);
  res_page(r, 200, "aid/admin_list", d);
}

/* ------------------------------------------------------ the extra fields */

/* One group of inputs of the fields table, for the template: the texts of
** row t, whether it is a stored field (it then offers "delete") and ticked
** for deletion, and its errors among e[0..ne). */
static json_t *field_group(int i, const aid_field_row *t, int saved, int del, const aid_field_error *e,
                           int ne) {
  json_t *g = json_object();
  json_object_set_new(g, "i", json_integer(i));
  json_object_set_new(g, "n", json_integer(i + 1));
  json_object_set_new(g, "name", json_string(t->name));
  json_object_set_new(g, "label", json_string(t->label));
  json_object_set_new(g, "required", json_boolean(!strcmp(t->required, "1")));
  json_object_set_new(g, "min", json_string(t->min));
  json_object_set_new(g, "max", json_string(t->max));
  json_object_set_new(g, "choices", json_string(t->choices));
  json_object_set_new(g, "saved", json_boolean(saved));
  json_object_set_new(g, "del", json_boolean(del));
  json_t *opts = json_array();
  for (int k = 0; k < aid_nfield_types; k++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(aid_field_types[k].code));
    json_object_set_new(o, "label", json_string(_(aid_field_types[k].label)));
    if (!strcmp(t->type, aid_field_types[k].code)) {
      json_object_set_new(o, "selected", json_true());
      json_object_set_new(g, "type_label", json_string(_(aid_field_types[k].label)));
    }
    json_array_append_new(opts, o);
  }
  json_object_set_new(g, "types", opts);
  json_t *err = json_object();
  for (int k = 0; k < ne; k++)
    if (e[k].row == i) json_object_set_new(err, aid_fcol_names[e[k].col], json_string(e[k].msg));
  json_object_set_new(g, "has_err", json_boolean(json_object_size(err) > 0));
  json_object_set_new(g, "err", err);
  return g;
}

static const aid_field_row blank_row = {"", "", "text", "", "", "", ""};

/* The table for stored definitions (canonical JSON), then a blank group. */
static json_t *groups_of_defs(req *r, const char *fields_json) {
  json_t *groups = json_array();
  json_t *defs = json_loads(fields_json ? fields_json : "[]", 0, NULL);
  size_t i;
  json_t *def;
  json_array_foreach(defs, i, def) {
    aid_field_texts *t = arena_alloc(r->a, sizeof *t);
    aid_field_to_texts(def, t);
    aid_field_row row = {t->name, t->label, t->type, t->required, t->min, t->max, t->choices};
    json_array_append_new(groups, field_group((int)i, &row, 1, 0, NULL, 0));
  }
  if (json_array_size(groups) < AID_FIELDS_MAX)
    json_array_append_new(groups, field_group((int)json_array_size(groups), &blank_row, 0, 0, NULL, 0));
  json_decref(defs);
  return groups;
}

/* Reads the table's groups as typed ("fd_n" of them, FIELD_ROWS_MAX at
** most), checks them, records each error on its input in f, and sets
** p->fields to the canonical JSON when valid. Returns the groups to show
** again (a new reference), with a blank group at the end. */
static json_t *fields_validate(form *f, prog *p) {
  req *r = f->r;
  int64_t n = 0;
  const char *zn = req_form_trim(r, "fd_n");
  if (*zn && aid_parse_count(zn, FIELD_ROWS_MAX, &n) != 0) n = FIELD_ROWS_MAX;
  aid_field_row rows[FIELD_ROWS_MAX], parsed[FIELD_ROWS_MAX];
  int saved[FIELD_ROWS_MAX], del[FIELD_ROWS_MAX];
  static const char *const cols[] = {"name", "label", "type", "req", "min", "max", "choices"};
  for (int i = 0; i < n; i++) {
    const char *v[ARRAY_SIZE(cols)];
    for (size_t c = 0; c < ARRAY_SIZE(cols); c++)
      v[c] = req_form_trim(r, arena_printf(r->a, "fd_%s_%d", cols[c], i));
    rows[i] = (aid_field_row){v[0], v[1], *v[2] ? v[2] : "text", v[3], v[4], v[5], v[6]};
    saved[i] = !strcmp(req_form_trim(r, arena_printf(r->a, "fd_saved_%d", i)), "1");
    del[i] = !strcmp(req_form_trim(r, arena_printf(r->a, "fd_del_%d", i)), "1");
    parsed[i] = del[i] ? blank_row : rows[i]; /* a deleted field is left out */
  }
  aid_field_error errs[FIELD_ROWS_MAX * 6];
  json_t *defs = json_array();
  int ne = aid_fields_parse(parsed, (int)n, defs, errs, (int)ARRAY_SIZE(errs));
  if (ne > (int)ARRAY_SIZE(errs)) ne = (int)ARRAY_SIZE(errs);
  for (int k = 0; k < ne; k++)
    form_error(f, arena_printf(r->a, "fd_%s_%d", aid_fcol_names[errs[k].col], errs[k].row), errs[k].msg);
  if (!ne) {
    char *z = json_dumps(defs, JSON_COMPACT | JSON_REAL_PRECISION(15));
    p->fields = arena_strdup(r->a, z ? z : "[]");
    free(z);
  }
  json_decref(defs);
  json_t *groups = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(groups, field_group(i, &rows[i], saved[i], del[i], errs, ne));
  if (n < FIELD_ROWS_MAX && (n == 0 || !aid_field_row_blank(&rows[n - 1])))
    json_array_append_new(groups, field_group((int)n, &blank_row, 0, 0, NULL, 0));
  return groups;
}

/* ------------------------------------------------------------- the form */

/* Page data for the form: values f (stolen), the extra fields' groups
** (stolen), the target options with the current one selected, and the
** form's errors if any. */
static void form_page(req *r, int status, int64_t id, json_t *f, json_t *groups, form *fm) {
  json_t *d = json_object();
  json_object_set_new(d, "groups", groups);
  json_object_set_new(d, "ngroups", json_integer((json_int_t)json_array_size(groups)));
  const char *cur = json_string_value(json_object_get(f, "target"));
  json_t *opts = json_array();
  for (int i = 0; targets[i]; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(targets[i]));
    json_object_set_new(o, "label", json_string(_(target_labels[i])));
    if (cur && !strcmp(cur, targets[i])) json_object_set_new(o, "selected", json_true());
    json_array_append_new(opts, o);
  }
  json_object_set_new(d, "targets", opts);
  if (fm) form_into(fm, d); /* sets f, err, errors, has_errors; f replaced just below */
  json_object_set_new(d, "f", f);
  if (id) {
    json_object_set_new(d, "id", json_integer(id));
    json_object_set_new(d, "action", json_string(arena_printf(r->a, "/admin/programmes/%lld", (long long)id)));
  } else {
    json_object_set_new(d, "action", json_string("/admin/programmes/nouveau"));
  }
  json_t *nav = json_object();
  json_object_set_new(nav, "programmes", json_true());
  json_object_set_new(d, "nav", nav);
  res_page(r, status, "aid/admin_form", d);
}

/* Checks every field, each error in French next to its field; fills p when
** valid. Returns the number of errors; *groups gets the extra fields'
** table to show again. */
static int prog_validate(form *f, prog *p, json_t **groups) {
  memset(p, 0, sizeof *p);
  *groups = fields_validate(f, p);
  if (form_required(f, "proofs_months", _("le délai de dépôt des justificatifs")) &&
      aid_parse_count(form_get(f, "proofs_months"), PROOFS_MONTHS_MAX, &p->proofs_months) != 0)
    form_error(f, "proofs_months",
               arena_printf(f->r->a, _("Indiquez un nombre entier de mois, de 1 à %d (par exemple 12)."),
                            PROOFS_MONTHS_MAX));
  if (form_required(f, "name", _("le nom du programme"))) form_maxlen(f, "name", NAME_MAX_LEN);
  if (form_required(f, "target", _("la cible du programme"))) form_oneof(f, "target", targets);
  if (form_required(f, "rate", _("le taux d’aide")) &&
      aid_parse_hundredths(form_get(f, "rate"), 10000, &p->rate_bp) != 0)
    form_error(f, "rate", _("Indiquez un taux entre 0 et 100 %, avec deux décimales au plus (par exemple 50 ou 37,5)."));
  if (form_required(f, "cap", _("le plafond par point de recharge")) &&
      (aid_parse_hundredths(form_get(f, "cap"), AID_AMOUNT_MAX, &p->cap_cents) != 0 || p->cap_cents == 0))
    form_error(f, "cap", _("Indiquez un montant en euros supérieur à zéro (par exemple 960 ou 1 660,50)."));
  const char *bonus = form_get(f, "bonus"), *label = form_get(f, "bonus_label");
  if (*bonus && aid_parse_hundredths(bonus, AID_AMOUNT_MAX, &p->bonus_cents) != 0)
    form_error(f, "bonus", _("Indiquez un montant en euros (par exemple 360), ou laissez vide s’il n’y a pas de bonus."));
  else if (p->bonus_cents > 0 && !*label)
    form_error(f, "bonus_label", _("Donnez un libellé au bonus (par exemple « pilotage intelligent »)."));
  else if (p->bonus_cents == 0 && *label)
    form_error(f, "bonus", _("Indiquez le montant du bonus par point, ou effacez son libellé."));
  form_maxlen(f, "bonus_label", LABEL_MAX_LEN);
  if (form_required(f, "eligible_costs", _("les coûts éligibles"))) form_maxlen(f, "eligible_costs", TEXT_MAX_LEN);
  const char *budget = form_get(f, "budget");
  if (*budget && (aid_parse_hundredths(budget, AID_AMOUNT_MAX, &p->budget_cents) != 0 || p->budget_cents == 0))
    form_error(f, "budget", _("Indiquez l’enveloppe en euros, supérieure à zéro, ou laissez vide s’il n’y en a pas."));
  const char *maxp = form_get(f, "max_points");
  if (*maxp && aid_parse_count(maxp, AID_POINTS_MAX, &p->max_points) != 0)
    form_error(f, "max_points", _("Indiquez un nombre entier de points, au moins 1, ou laissez vide s’il n’y a pas de limite."));
  int dates = 1;
  if (!form_required(f, "opens_on", _("la date d’ouverture"))) dates = 0;
  else if (!aid_date_valid(form_get(f, "opens_on"))) {
    form_error(f, "opens_on", _("Indiquez une date valide, au format AAAA-MM-JJ (par exemple 2026-01-15)."));
    dates = 0;
  }
  if (!form_required(f, "closes_on", _("la date de clôture"))) dates = 0;
  else if (!aid_date_valid(form_get(f, "closes_on"))) {
    form_error(f, "closes_on", _("Indiquez une date valide, au format AAAA-MM-JJ (par exemple 2026-12-31)."));
    dates = 0;
  }
  if (dates && strcmp(form_get(f, "closes_on"), form_get(f, "opens_on")) < 0)
    form_error(f, "closes_on", _("La date de clôture doit être égale ou postérieure à la date d’ouverture."));
  const char *active = form_get(f, "active");
  if (*active && strcmp(active, "1") != 0) form_error(f, "active", _("Choisissez une des options proposées."));
  const char *docs = form_get(f, "documents");
  if (form_maxlen(f, "documents", TEXT_MAX_LEN)) {
    int lines = 0;
    for (const char *q = docs; *q;) {
      size_t n = strcspn(q, "\n");
      size_t len = n && q[n - 1] == '\r' ? n - 1 : n;
      if (len > DOC_LINE_MAX) {
        form_error(f, "documents", arena_printf(f->r->a, _("Chaque document tient sur une ligne de %d caractères au plus."),
                                                DOC_LINE_MAX));
        break;
      }
      if (len) lines++;
      q += n + (q[n] == '\n');
    }
    if (lines > DOC_LINES_MAX)
      form_error(f, "documents", arena_printf(f->r->a, _("%d documents au plus, un par ligne."), DOC_LINES_MAX));
  }
  form_maxlen(f, "spec", SPEC_MAX_LEN);
  if (f->nerr) return f->nerr;
  p->name = form_get(f, "name");
  p->target = form_get(f, "target");
  p->bonus_label = label;
  p->eligible_costs = form_get(f, "eligible_costs");
  p->opens_on = form_get(f, "opens_on");
  p->closes_on = form_get(f, "closes_on");
  p->active = *active != 0;
  p->spec = form_get(f, "spec");
  /* One document per line, blank lines and \r dropped. */
  buf b = {0};
  for (const char *q = docs; *q;) {
    size_t n = strcspn(q, "\n");
    size_t len = n && q[n - 1] == '\r' ? n - 1 : n;
    size_t st = 0;
    while (st < len && (q[st] == ' ' || q[st] == '\t')) st++;
    while (len > st && (q[len - 1] == ' ' || q[len - 1] == '\t')) len--;
    if (len > st) {
      if (b.n) buf_putc(&b, '\n');
      buf_append(&b, q + st, len - st);
    }
    q += n + (q[n] == '\n');
  }
  p->documents = arena_strdup(f->r->a, buf_str(&b));
  buf_free(&b);
  /* A file field and a required document are both stored under their
  ** name: the two lists must not share one. */
  json_t *defs = json_loads(p->fields, 0, NULL), *names = aid_lines(p->documents);
  size_t i, k;
  json_t *def, *doc;
  json_array_foreach(defs, i, def) {
    json_array_foreach(names, k, doc) {
      if (str_eq(json_string_value(json_object_get(def, "type")), "file") &&
          str_eq(json_string_value(json_object_get(def, "label")), json_string_value(doc)))
        form_error(f, "documents",
                   arena_printf(f->r->a, _("« %s » est à la fois une pièce demandée et un champ de type fichier : "
                                           "gardez l’un des deux."),
                                json_string_value(doc)));
    }
  }
  json_decref(defs);
  json_decref(names);
  return f->nerr;
}

void programme_new_page(req *r) {
  char today[11];
  fmt_today(today);
  json_t *f = json_object();
  for (int i = 0; fields[i]; i++) json_object_set_new(f, fields[i], json_string(""));
  json_object_set_new(f, "active", json_string("1"));
  json_object_set_new(f, "opens_on", json_string(today));
  json_object_set_new(f, "proofs_months", json_string("12"));
  form_page(r, 200, 0, f, groups_of_defs(r, "[]"), NULL);
}

void programme_new_post(req *r) {
  form f;
  form_init(&f, r, fields);
  prog p;
  json_t *groups;
  if (prog_validate(&f, &p, &groups)) {
    form_page(r, 422, 0, json_deep_copy(json_object_get(f.data, "f")), groups, &f);
    return;
  }
  json_decref(groups);
  int64_t now = now_unix();
  db_begin_write();
  int64_t id = db_insert("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, bonus_cents, bonus_label,"
                         " eligible_costs, budget_cents, max_points, opens_on, closes_on, active, documents, spec_md,"
                         " proofs_months, fields, created_at, updated_at)"
                         " VALUES(?,?,?,?,?,?,?,nullif(?,0),nullif(?,0),?,?,?,?,?,?,?,?,?)",
                         NULL, "ttiiittiittittitii", p.name, p.target, p.rate_bp, p.cap_cents, p.bonus_cents,
                         p.bonus_label, p.eligible_costs, p.budget_cents, p.max_points, p.opens_on, p.closes_on,
                         (int64_t)p.active, p.documents, p.spec, p.proofs_months, p.fields, now, now);
  if (id <= 0 || audit_log(r->me->id, "aid.programme_create", arena_printf(r->a, "programme:%lld", (long long)id),
                           r->ip, p.name) < 0) {
    db_rollback();
    res_error(r, 500, _("Le programme n’a pas pu être enregistré. Réessayez dans un instant."));
    return;
  }
  db_commit();
  res_flash(r, _("Le programme est créé."));
  res_redirect(r, arena_printf(r->a, "/admin/programmes/%lld", (long long)id));
}

void programme_edit_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  prog p;
  if (!prog_load(r->a, id, &p)) {
    res_error(r, 404, _("Ce programme est introuvable."));
    return;
  }
  form_page(r, 200, id, prog_to_form(r->a, &p), groups_of_defs(r, p.fields), NULL);
}

void programme_edit_post(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  prog old;
  if (!prog_load(r->a, id, &old)) {
    res_error(r, 404, _("Ce programme est introuvable."));
    return;
  }
  form f;
  form_init(&f, r, fields);
  prog p;
  json_t *groups;
  if (prog_validate(&f, &p, &groups)) {
    form_page(r, 422, id, json_deep_copy(json_object_get(f.data, "f")), groups, &f);
    return;
  }
  json_decref(groups);
  /* Which fields changed, compared in their one written form. */
  json_t *a = prog_to_form(r->a, &old), *b = prog_to_form(r->a, &p);
  buf changed = {0};
  for (int i = 0; fields[i]; i++) {
    if (str_eq(json_string_value(json_object_get(a, fields[i])), json_string_value(json_object_get(b, fields[i]))))
      continue;
    buf_puts(&changed, changed.n ? ", " : "");
    buf_puts(&changed, fields[i]);
  }
  json_decref(a);
  json_decref(b);
  if (old.active != p.active) buf_puts(&changed, p.active ? " (programme réactivé)" : " (programme désactivé)");
  const char *detail = arena_strdup(r->a, buf_str(&changed));
  buf_free(&changed);
  if (!*detail) {
    res_flash(r, _("Aucune modification : le programme est inchangé."));
    res_redirect(r, arena_printf(r->a, "/admin/programmes/%lld", (long long)id));
    return;
  }
  db_begin_write();
  int rc = db_run("UPDATE aid_programmes SET name=?, target=?, rate_bp=?, cap_cents=?, bonus_cents=?, bonus_label=?,"
                  " eligible_costs=?, budget_cents=nullif(?,0), max_points=nullif(?,0), opens_on=?, closes_on=?,"
                  " active=?, documents=?, spec_md=?, proofs_months=?, fields=?, updated_at=? WHERE id=?",
                  "ttiiittiittittitii", p.name, p.target, p.rate_bp, p.cap_cents, p.bonus_cents, p.bonus_label,
                  p.eligible_costs, p.budget_cents, p.max_points, p.opens_on, p.closes_on, (int64_t)p.active,
                  p.documents, p.spec, p.proofs_months, p.fields, now_unix(), id);
  if (rc != DB_DONE || audit_log(r->me->id, "aid.programme_update",
                                 arena_printf(r->a, "programme:%lld", (long long)id), r->ip, detail) < 0) {
    db_rollback();
    res_error(r, 500, _("Le programme n’a pas pu être enregistré. Réessayez dans un instant."));
    return;
  }
  db_commit();
  res_flash(r, p.active || old.active == p.active ? _("Le programme est enregistré.")
                                                   : _("Le programme est désactivé : il n’accepte plus de demandes."));
  res_redirect(r, arena_printf(r->a, "/admin/programmes/%lld", (long long)id));
}
