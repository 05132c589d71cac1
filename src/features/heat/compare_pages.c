/*
** compare_pages.c — the cost and CO2 comparator for a building
** (/eligibilite/comparateur, public, a GET form that works without
** JavaScript) and its dated parameters, which territory administrators add
** at /admin/reseaux/parametres.
**
** The arithmetic is heat_cost_of's (heat.c); here the form is read and
** checked, the parameter rows in force today are loaded (heat_param_pick:
** per mode, the latest valid_from not after today), and a heat network's
** own published CO2 content replaces the default factor when the visitor
** names the network (the eligibility result links here with it).
**
** Parameters are never edited: a new row with a later "valid from" date
** supersedes the old one, so the figures shown on any day can be
** explained afterwards. Units at the boundary are the ones people use
** (€/kWh, %, kgCO2e/kWh, decimal comma or point); stored as integers
** (cents per MWh, basis points, g/kWh), parsed exactly, never via floats.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/svgchart.h"
#include "features/heat/heat_int.h"

#define NEED_MAX_KWH 100000000  /* 100 GWh a year: a large hospital; more is a typing slip */
#define SURFACE_MAX_M2 1000000  /* 100 ha of floor */
#define PARAMS_MAX 2000         /* parameter rows read at once (5 modes, years of history) */
#define SOURCE_MAX 500          /* characters of a row's source note */

static const char *fmt_fixed(req *r, int64_t v, int scale, int keep);

/* "11000" cents/MWh → "0,11" €/kWh: value / 10^scale with `scale`
** decimals, trailing zeros dropped, decimal comma. */
static const char *fmt_scaled(req *r, int64_t v, int scale) { return fmt_fixed(r, v, scale, 0); }

/* The same keeping at least `keep` decimals ("0,030" for a DPE factor). */
static const char *fmt_fixed(req *r, int64_t v, int scale, int keep) {
  int64_t div = 1;
  for (int i = 0; i < scale; i++) div *= 10;
  char frac[24];
  snprintf(frac, sizeof frac, "%0*lld", scale, (long long)(v % div));
  size_t n = strlen(frac);
  while (n > (size_t)keep && frac[n - 1] == '0') frac[--n] = 0;
  return n ? arena_printf(r->a, "%lld,%s", (long long)(v / div), frac) : arena_printf(r->a, "%lld", (long long)(v / div));
}

/* "1 333 €" from cents, rounded to the euro. */
static const char *fmt_euros(req *r, int64_t cents) {
  return arena_printf(r->a, "%s €", heat_fmt_int(r->a, (cents + 50) / 100));
}

/* --------------------------------------------------------- parameters */

/* Every parameter row, oldest first, into rows[0..max); notes (arena) and
** ids, when given, get each row's source note and id at the same index.
** Returns the count, or -1. */
static int params_load(req *r, heat_cost_param *rows, const char **notes, int64_t *ids, int max) {
  db_stmt *s = db_query("SELECT id, mode, valid_from, price_cents_mwh, efficiency_bp, co2_g_kwh, source"
                        " FROM heat_cost_params ORDER BY valid_from, id", "");
  int n = 0, rc;
  while ((rc = db_step(s)) == DB_ROW && n < max) {
    int m = heat_mode_of(db_text(s, 1));
    if (m < 0) continue;
    memset(&rows[n], 0, sizeof rows[n]);
    rows[n].mode = (heat_mode)m;
    snprintf(rows[n].valid_from, sizeof rows[n].valid_from, "%s", db_text(s, 2));
    rows[n].price_cents_mwh = db_int(s, 3);
    rows[n].efficiency_bp = db_int(s, 4);
    rows[n].co2_g_kwh = db_int(s, 5);
    if (notes) notes[n] = arena_strdup(r->a, db_text(s, 6) ? db_text(s, 6) : "");
    if (ids) ids[n] = db_int(s, 0);
    n++;
  }
  db_done(s);
  return rc == DB_ROW || rc == DB_DONE ? n : -1;
}

/* ------------------------------------------------------------- comparator */

static const char *const compare_fields[] = {"type", "surface", "besoin", "reseau", NULL};

/* An optional whole number in [1, max] from field name; 1 if valid or
** empty (*out 0 then). */
static int whole_number(form *f, const char *name, int64_t max, int64_t *out) {
  const char *v = form_get(f, name);
  *out = 0;
  if (!*v) return 1;
  char clean[24];
  size_t k = 0;
  for (const char *p = v; *p && k < sizeof clean - 1; p++)
    if (*p != ' ') clean[k++] = *p; /* "2 500" */
  clean[k] = 0;
  char *end = NULL;
  long long n = strlen(v) < 20 ? strtoll(clean, &end, 10) : -1;
  if (!k || n < 1 || n > max || (end && *end)) {
    form_error(f, name, arena_printf(f->r->a, _("Saisissez un nombre entier entre 1 et %s."), heat_fmt_int(f->r->a, max)));
    return 0;
  }
  *out = n;
  return 1;
}

/* The networks a visitor may pick: heat networks, with their CO2 content. */
static json_t *network_options(const char *current, json_t **chosen) {
  json_t *l = json_array();
  *chosen = NULL;
  db_stmt *s = db_query("SELECT sncu_id, name, co2_g_kwh FROM heat_networks WHERE kind = 'heat' ORDER BY sncu_id", "");
  while (db_step(s) == DB_ROW) {
    json_t *o = json_pack("{s:s, s:s}", "value", db_text(s, 0), "label", db_text(s, 1));
    if (!db_is_null(s, 2)) json_object_set_new(o, "co2", json_real(db_double(s, 2)));
    if (current && !strcmp(current, db_text(s, 0))) {
      json_object_set_new(o, "checked", json_true());
      *chosen = o;
    }
    json_array_append_new(l, o);
  }
  db_done(s);
  return l;
}

static json_t *building_options(const char *current) {
  json_t *l = json_array();
  for (int b = 0; b < HEAT_NBUILDINGS; b++) {
    json_t *o = json_pack("{s:s, s:s, s:I}", "value", heat_building_code(b), "label", heat_building_label(b),
                          "kwh_m2", (json_int_t)heat_building_kwh_m2(b));
    if (current && !strcmp(current, heat_building_code(b))) json_object_set_new(o, "checked", json_true());
    json_array_append_new(l, o);
  }
  return l;
}

/* The comparison table for need_kwh into d ("result"). 0, or -1. */
static int compare_into(req *r, json_t *d, int64_t need_kwh, json_t *net) {
  heat_cost_param *rows = arena_alloc(r->a, PARAMS_MAX * sizeof *rows);
  const char **notes = arena_alloc(r->a, PARAMS_MAX * sizeof *notes);
  int n = params_load(r, rows, notes, NULL, PARAMS_MAX);
  if (n < 0) return -1;
  char day[11];
  fmt_today(day);
  json_t *res = json_object(), *lines = json_array(), *sources = json_array();
  svgchart_bar cost[HEAT_NMODES], co2[HEAT_NMODES];
  int nb = 0;
  for (int m = 0; m < HEAT_NMODES; m++) {
    const heat_cost_param *p = heat_param_pick(rows, n, (heat_mode)m, day);
    if (!p) continue;
    double own = -1;
    json_t *line = json_object();
    if (m == HEAT_MODE_NETWORK && net && json_is_number(json_object_get(net, "co2"))) {
      own = json_number_value(json_object_get(net, "co2"));
      json_object_set_new(line, "note", json_string(arena_printf(r->a, _("contenu CO2 du réseau %s : %.0f g/kWh"),
                                                                 json_string_value(json_object_get(net, "value")), own)));
    } else if (m == HEAT_MODE_NETWORK) {
      json_object_set_new(line, "note", json_string(_("contenu CO2 de repli : choisissez votre réseau pour le sien")));
    }
    heat_cost c = heat_cost_of(need_kwh, p, own);
    json_object_set_new(line, "mode", json_string(heat_mode_code((heat_mode)m)));
    json_object_set_new(line, "label", json_string(heat_mode_label((heat_mode)m)));
    json_object_set_new(line, "final_kwh", json_string(heat_fmt_int(r->a, c.final_kwh)));
    json_object_set_new(line, "cost", json_string(fmt_euros(r, c.cost_cents)));
    json_object_set_new(line, "co2", json_string(heat_fmt_int(r->a, c.co2_kg)));
    json_object_set_new(line, "price", json_string(fmt_scaled(r, p->price_cents_mwh, 5)));
    json_object_set_new(line, "efficiency", json_string(fmt_scaled(r, p->efficiency_bp, 2)));
    json_object_set_new(line, "factor", json_string(fmt_fixed(r, own >= 0 ? (int64_t)(own + 0.5) : p->co2_g_kwh, 3, 3)));
    json_object_set_new(line, "since", json_string(p->valid_from));
    json_array_append_new(lines, line);
    json_array_append_new(sources, json_pack("{s:s, s:s, s:s}", "label", heat_mode_label((heat_mode)m), "since",
                                             p->valid_from, "note", notes[p - rows]));
    cost[nb] = (svgchart_bar){heat_mode_label((heat_mode)m), (double)c.cost_cents, fmt_euros(r, c.cost_cents)};
    co2[nb] = (svgchart_bar){heat_mode_label((heat_mode)m), (double)c.co2_kg,
                             arena_printf(r->a, "%s kg", heat_fmt_int(r->a, c.co2_kg))};
    nb++;
  }
  char *z = svgchart_bars(_("Coût annuel du chauffage par mode, en euros"), cost, nb);
  json_object_set_new(res, "chart_cost", json_string(z));
  free(z);
  z = svgchart_bars(_("Émissions annuelles par mode, en kg d’équivalent CO2"), co2, nb);
  json_object_set_new(res, "chart_co2", json_string(z));
  free(z);
  json_object_set_new(res, "lines", lines);
  json_object_set_new(res, "sources", sources);
  json_object_set_new(res, "need", json_string(heat_fmt_int(r->a, need_kwh)));
  json_object_set_new(d, "result", res);
  return 0;
}

void compare_page(req *r) {
  form f;
  form_init(&f, r, NULL);
  int asked = 0;
  for (int i = 0; compare_fields[i]; i++) {
    const char *v = req_query(r, compare_fields[i]);
    char *t = arena_strdup(r->a, v ? v : "");
    while (*t == ' ') t++;
    size_t n = strlen(t);
    while (n && t[n - 1] == ' ') t[--n] = 0;
    form_set(&f, compare_fields[i], t);
    if (*t && strcmp(compare_fields[i], "reseau") != 0) asked = 1;
  }
  json_t *d = json_object();
  json_t *net = NULL;
  const char *sncu = form_get(&f, "reseau");
  json_object_set_new(d, "networks", network_options(sncu, &net));
  int status = 200;
  if (*sncu && !net) {
    form_error(&f, "reseau", _("Ce réseau n’est pas connu : choisissez-le dans la liste, ou aucun."));
    status = 422;
  }
  if (asked) {
    if (form_required(&f, "type", _("le type de bâtiment"))) {
      static const char *const codes[] = {"maison", "collectif", "tertiaire", NULL};
      form_oneof(&f, "type", codes);
    }
    int64_t surface = 0, need = 0;
    whole_number(&f, "surface", SURFACE_MAX_M2, &surface);
    whole_number(&f, "besoin", NEED_MAX_KWH, &need);
    if (!*form_get(&f, "surface") && !*form_get(&f, "besoin"))
      form_error(&f, "surface", _("Indiquez la surface chauffée ou la consommation annuelle de chauffage."));
    if (f.nerr) {
      status = 422;
    } else {
      int b = heat_building_of(form_get(&f, "type"));
      if (!need) {
        need = heat_need_from_surface((heat_building)b, surface);
        json_object_set_new(d, "estimated", json_pack("{s:I, s:s}", "kwh_m2", (json_int_t)heat_building_kwh_m2(b),
                                                      "surface", heat_fmt_int(r->a, surface)));
      }
      if (compare_into(r, d, need, net) != 0) {
        json_decref(d);
        heat_db_failed(r);
        return;
      }
    }
  }
  json_object_set_new(d, "types", building_options(form_get(&f, "type")));
  form_into(&f, d);
  res_page(r, status, "heat/compare", d);
}

/* ------------------------------------------------------------- admin */

static const char *const param_fields[] = {"mode", "depuis", "prix", "rendement", "facteur", "source", NULL};

/* A decimal number with a comma or a point, and at most `scale` decimals,
** as an exact integer × 10^scale in [lo, hi]. 1 and *out, else 0. */
static int parse_scaled(const char *z, int scale, int64_t lo, int64_t hi, int64_t *out) {
  int64_t whole = 0, frac = 0;
  int nd = 0, nf = 0, seen_sep = 0;
  for (const char *p = z; *p; p++) {
    if (*p == ',' || *p == '.') {
      if (seen_sep++) return 0;
    } else if (*p >= '0' && *p <= '9') {
      if (seen_sep) {
        if (++nf > scale) return 0;
        frac = frac * 10 + (*p - '0');
      } else {
        if (++nd > 9) return 0;
        whole = whole * 10 + (*p - '0');
      }
    } else {
      return 0;
    }
  }
  if (!nd && !nf) return 0;
  for (int i = nf; i < scale; i++) frac *= 10;
  int64_t v = whole;
  for (int i = 0; i < scale; i++) v *= 10;
  v += frac;
  if (v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

/* 'YYYY-MM-DD' that is a real day. */
static int valid_day(const char *z) {
  if (strlen(z) != 10 || z[4] != '-' || z[7] != '-') return 0;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(z, "%Y-%m-%d", &tm);
  if (!end || *end) return 0;
  char back[11];
  tm.tm_isdst = -1;
  struct tm norm = tm;
  if (timegm(&norm) == (time_t)-1) return 0;
  strftime(back, sizeof back, "%Y-%m-%d", &norm);
  return !strcmp(back, z) && tm.tm_year >= 100 && tm.tm_year < 200; /* 2000–2099 */
}

static void params_render(req *r, int status, form *f) {
  heat_cost_param *rows = arena_alloc(r->a, PARAMS_MAX * sizeof *rows);
  const char **notes = arena_alloc(r->a, PARAMS_MAX * sizeof *notes);
  int64_t *ids = arena_alloc(r->a, PARAMS_MAX * sizeof *ids);
  int n = params_load(r, rows, notes, ids, PARAMS_MAX);
  if (n < 0) {
    heat_db_failed(r);
    return;
  }
  char day[11];
  fmt_today(day);
  json_t *d = json_object();
  json_object_set_new(d, "nav", json_pack("{s:b}", "reseaux", 1)); /* admin menu: current page */
  json_t *l = json_array();
  for (int i = n - 1; i >= 0; i--) { /* newest first */
    const heat_cost_param *p = &rows[i];
    const heat_cost_param *now = heat_param_pick(rows, n, p->mode, day);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)ids[i], "mode",
                          heat_mode_label(p->mode), "since", p->valid_from, "price", fmt_scaled(r, p->price_cents_mwh, 5),
                          "efficiency", fmt_scaled(r, p->efficiency_bp, 2), "factor", fmt_fixed(r, p->co2_g_kwh, 3, 3),
                          "source", notes[i]);
    if (now == p) json_object_set_new(o, "current", json_true());
    else if (strcmp(p->valid_from, day) > 0) json_object_set_new(o, "future", json_true());
    json_array_append_new(l, o);
  }
  json_object_set_new(d, "rows", l);
  json_t *modes = json_array();
  for (int m = 0; m < HEAT_NMODES; m++) {
    json_t *o = json_pack("{s:s, s:s}", "value", heat_mode_code((heat_mode)m), "label", heat_mode_label((heat_mode)m));
    if (!strcmp(form_get(f, "mode"), heat_mode_code((heat_mode)m))) json_object_set_new(o, "checked", json_true());
    json_array_append_new(modes, o);
  }
  json_object_set_new(d, "modes", modes);
  json_object_set_new(d, "today", json_string(day));
  form_into(f, d);
  res_page(r, status, "heat/params", d);
}

void params_page(req *r) {
  form f;
  form_init(&f, r, param_fields);
  params_render(r, 200, &f);
}

void params_post(req *r) {
  form f;
  form_init(&f, r, param_fields);
  static const char *const codes[] = {"reseau", "gaz", "fioul", "pac", "bois", NULL};
  if (form_required(&f, "mode", _("le mode de chauffage"))) form_oneof(&f, "mode", codes);
  if (form_required(&f, "depuis", _("la date à partir de laquelle ces valeurs s’appliquent")) &&
      !valid_day(form_get(&f, "depuis")))
    form_error(&f, "depuis", _("Saisissez une date réelle au format AAAA-MM-JJ, par exemple 2026-01-01."));
  int64_t price = 0, eff = 0, co2 = 0;
  if (form_required(&f, "prix", _("le prix du kWh")) && !parse_scaled(form_get(&f, "prix"), 5, 0, 1000000, &price))
    form_error(&f, "prix", _("Saisissez un prix en euros par kWh entre 0 et 10, avec 5 décimales au plus, par exemple 0,1234."));
  if (form_required(&f, "rendement", _("le rendement")) &&
      !parse_scaled(form_get(&f, "rendement"), 2, 100, 100000, &eff))
    form_error(&f, "rendement", _("Saisissez un rendement en % entre 1 et 1000 (une pompe à chaleur de COP 2,9 : 290)."));
  if (form_required(&f, "facteur", _("le facteur d’émission")) &&
      !parse_scaled(form_get(&f, "facteur"), 3, 0, 2000, &co2))
    form_error(&f, "facteur", _("Saisissez un facteur d’émission en kgCO2e/kWh entre 0 et 2, avec 3 décimales au plus, "
                                "par exemple 0,227."));
  form_maxlen(&f, "source", SOURCE_MAX);
  if (!f.nerr && db_get_int(0, "SELECT 1 FROM heat_cost_params WHERE mode=? AND valid_from=?", "tt",
                            form_get(&f, "mode"), form_get(&f, "depuis")) == 1)
    form_error(&f, "depuis", _("Des valeurs existent déjà pour ce mode à cette date : elles ne se modifient pas, "
                               "choisissez une autre date."));
  if (f.nerr) {
    params_render(r, 422, &f);
    return;
  }
  if (db_begin_write() != 0) {
    heat_db_failed(r);
    return;
  }
  int rc = 0;
  int64_t id = db_insert("INSERT INTO heat_cost_params(mode, valid_from, price_cents_mwh, efficiency_bp, co2_g_kwh,"
                         " source, created_at, created_by) VALUES(?,?,?,?,?,?,?,?)", &rc, "ttiiitii",
                         form_get(&f, "mode"), form_get(&f, "depuis"), price, eff, co2, form_get(&f, "source"),
                         now_unix(), r->me->id);
  const char *detail = arena_printf(r->a, "%s depuis %s : %lld c/MWh, %lld pb, %lld g/kWh", form_get(&f, "mode"),
                                    form_get(&f, "depuis"), (long long)price, (long long)eff, (long long)co2);
  if (id < 0 ||
      audit_log(r->me->id, "heat.params.add", arena_printf(r->a, "heat_cost_param:%lld", (long long)id), r->ip,
                detail) < 0 ||
      db_commit() != 0) {
    db_rollback();
    if (rc == DB_CONSTRAINT) {
      form_error(&f, "depuis", _("Des valeurs existent déjà pour ce mode à cette date : choisissez une autre date."));
      params_render(r, 422, &f);
      return;
    }
    heat_db_failed(r);
    return;
  }
  res_flash(r, _("Les nouvelles valeurs sont enregistrées."));
  res_redirect(r, "/admin/reseaux/parametres");
}
