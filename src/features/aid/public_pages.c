/*
** public_pages.c — what anyone sees of the aid programmes: the list with
** each programme's state (open, or closed and why), and a programme's page:
** its specification (Markdown rendered by cmark in safe mode, so raw HTML
** and javascript: links are dropped), the required documents and a
** simulator that applies aid_amount() to a cost and a number of points
** typed in the query string (GET: the result can be bookmarked).
*/
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "features/aid/aid.h"

#define SIM_ARG_MAX 40 /* bytes of a simulator argument: longer is not a number we accept */

json_t *aid_programmes_of(req *r, db_stmt *s) {
  json_t *list = json_array();
  json_t *ids = json_array();
  while (db_step(s) == DB_ROW) json_array_append_new(ids, json_integer(db_int(s, 0)));
  db_done(s);
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    aid_rules ru;
    json_t *o = json_object();
    if (aid_programme_load(r, json_integer_value(v), &ru, o)) json_array_append(list, o);
    json_decref(o);
  }
  json_decref(ids);
  return list;
}

void programmes_page(req *r) {
  json_t *d = json_object();
  json_t *list =
      aid_programmes_of(r, db_query("SELECT id FROM aid_programmes ORDER BY active DESC, opens_on DESC, id DESC", ""));
  json_object_set_new(d, "programmes", list);
  res_page(r, 200, "aid/public_list", d);
}

json_t *aid_lines(const char *z) {
  json_t *a = json_array();
  while (*z) {
    size_t n = strcspn(z, "\n");
    size_t len = n && z[n - 1] == '\r' ? n - 1 : n;
    if (len) json_array_append_new(a, json_stringn(z, len));
    z += n + (z[n] == '\n');
  }
  return a;
}

/* A query argument trimmed of spaces, "" when absent, NULL when too long. */
static const char *sim_arg(req *r, const char *name) {
  const char *v = req_query(r, name);
  if (!v) return "";
  if (strlen(v) > SIM_ARG_MAX) return NULL;
  while (*v == ' ') v++;
  size_t n = strlen(v);
  while (n && v[n - 1] == ' ') n--;
  return arena_strndup(r->a, v, n);
}

/* Runs the simulator when the query asks for it: adds "sim" (typed values),
** "err"/"errors" or "result" to d. Returns 1 when the query had errors. */
static int simulate(req *r, const aid_rules *ru, json_t *d) {
  if (!req_query(r, "cout") && !req_query(r, "points")) return 0;
  const char *cout = sim_arg(r, "cout"), *points = sim_arg(r, "points");
  int with_bonus = ru->bonus_cents > 0 && str_eq(req_query(r, "bonus"), "1");
  json_t *sim = json_object();
  json_object_set_new(sim, "cout", json_string(cout ? cout : ""));
  json_object_set_new(sim, "points", json_string(points ? points : ""));
  json_object_set_new(sim, "bonus", json_boolean(with_bonus));
  json_object_set_new(d, "sim", sim);
  form f; /* only for its errors, shaped like every form's */
  form_init(&f, r, NULL);
  int64_t cost = 0, npoints = 0;
  if (cout && !*cout)
    form_error(&f, "cout", _("Renseignez le coût éligible HT du projet, en euros."));
  else if (!cout || aid_parse_hundredths(cout, AID_AMOUNT_MAX, &cost) != 0)
    form_error(&f, "cout", _("Indiquez le coût éligible HT en euros, par exemple 2 400 ou 2 400,50."));
  if (points && !*points)
    form_error(&f, "points", _("Renseignez le nombre de points de recharge."));
  else if (!points || aid_parse_count(points, AID_POINTS_MAX, &npoints) != 0)
    form_error(&f, "points", _("Indiquez un nombre entier de points de recharge, au moins 1."));
  if (f.nerr) {
    json_object_set(d, "err", json_object_get(f.data, "err"));
    json_object_set(d, "errors", json_object_get(f.data, "errors"));
    json_object_set_new(d, "has_errors", json_true());
    return 1;
  }
  json_object_set_new(d, "result", aid_amount_detail(r, ru, cost, npoints, with_bonus));
  return 0;
}

json_t *aid_amount_detail(req *r, const aid_rules *ru, int64_t cost, int64_t npoints, int with_bonus) {
  int64_t by_rate = cost * ru->rate_bp / 10000; /* the two terms aid_amount() compares, for display */
  int64_t by_cap = ru->cap_cents * npoints;
  int64_t amount = aid_amount(ru, cost, npoints, with_bonus);
  json_t *res = json_object();
  json_object_set_new(res, "cost", json_string(aid_euros(r->a, cost)));
  json_object_set_new(res, "points", json_integer(npoints));
  json_object_set_new(res, "by_rate", json_string(aid_euros(r->a, by_rate)));
  json_object_set_new(res, "by_cap", json_string(aid_euros(r->a, by_cap)));
  json_object_set_new(res, "cap_binds", json_boolean(by_cap < by_rate));
  if (with_bonus) json_object_set_new(res, "bonus_total", json_string(aid_euros(r->a, ru->bonus_cents * npoints)));
  json_object_set_new(res, "amount", json_string(aid_euros(r->a, amount)));
  char today[11], reason[256];
  fmt_today(today);
  aid_state st = aid_status(ru, today, amount, npoints);
  if (st != AID_OPEN) {
    aid_state_reason(st, ru, reason, sizeof reason);
    json_object_set_new(res, "reason", json_string(reason));
  }
  return res;
}

void programme_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  json_t *d = json_object();
  json_t *p = json_object();
  json_object_set_new(d, "p", p);
  aid_rules ru;
  if (!aid_programme_load(r, id, &ru, p)) {
    json_decref(d);
    res_error(r, 404, _("Ce programme est introuvable."));
    return;
  }
  const char *md = json_string_value(json_object_get(p, "spec_md"));
  char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_SAFE); /* malloc'ed by cmark */
  json_object_set_new(d, "spec_html", json_string(html));
  free(html);
  json_object_set_new(p, "costs", aid_lines(json_string_value(json_object_get(p, "eligible_costs"))));
  json_object_set_new(p, "documents", aid_lines(json_string_value(json_object_get(p, "documents_text"))));
  int bad = simulate(r, &ru, d);
  res_page(r, bad ? 422 : 200, "aid/public_programme", d);
}
