/*
** networks_pages.c — heat networks for territory administrators: the list,
** the import of traces (GeoJSON, EPSG:2154 or 4326) and of the regulatory
** figures (CSV of the arrêté DPE), and one network's attributes.
**
** Traces: the file goes into the geo layer "heat_networks" (or
** "heat_zones" for priority zones), each feature identified by its "id"
** property (the SNCU id); a network row is created for each new id, and
** the name and operator of existing rows are refreshed from "nom" and
** "gestionnaire" only when the row has none (an administrator's edit wins).
** Core has no "replace the features of these ids" call, so an import
** replaces the whole layer by default ("Remplacer") or adds to it.
**
** Figures: CSV with a header naming identifiant, contenu_co2,
** contenu_co2_acv, taux_enrr and annee_reference (kg CO2/kWh, converted to
** g/kWh); rows whose network is unknown are listed and skipped.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/db.h"
#include "core/form.h"
#include "core/geo.h"
#include "core/i18n.h"
#include "core/log.h"
#include "features/heat/heat_int.h"

#define FIGURES_MAX_ROWS 5000 /* the national arrêté lists about 900 networks */

/* The list of networks, with the import forms; report (may be NULL) is
** the result of an import just done. */
static void list_render(req *r, int status, json_t *report, form *f) {
  json_t *d = json_object();
  json_object_set_new(d, "nav", json_pack("{s:b}", "reseaux", 1)); /* admin menu: current page */
  json_t *l = json_array();
  db_stmt *s = db_query("SELECT id, sncu_id, name, operator_name, co2_g_kwh, renewable_pct, open_to_connections,"
                        " operator_user_id IS NOT NULL OR operator_email <> '' FROM heat_networks ORDER BY sncu_id", "");
  while (db_step(s) == DB_ROW) {
    json_t *n = json_object();
    json_object_set_new(n, "id", json_integer(db_int(s, 0)));
    json_object_set_new(n, "sncu_id", json_string(db_text(s, 1)));
    json_object_set_new(n, "name", json_string(db_text(s, 2)));
    json_object_set_new(n, "operator", json_string(db_text(s, 3)));
    if (!db_is_null(s, 4)) json_object_set_new(n, "co2", json_string(arena_printf(r->a, "%.0f", db_double(s, 4))));
    if (!db_is_null(s, 5)) json_object_set_new(n, "enrr", json_string(arena_printf(r->a, "%.1f", db_double(s, 5))));
    json_object_set_new(n, "open", json_boolean(db_int(s, 6)));
    json_object_set_new(n, "routed", json_boolean(db_int(s, 7)));
    json_object_set_new(n, "org", json_string(db_text(s, 14)));
  json_object_set_new(n, "has_trace", json_boolean(geo_feature_find(HEAT_LAYER_LINES, db_text(s, 1)) > 0));
    json_array_append_new(l, n);
  }
  db_done(s);
  json_object_set_new(d, "networks", l);
  json_object_set_new(d, "nzones", json_integer(geo_layer_count(HEAT_LAYER_ZONES)));
  if (report) json_object_set_new(d, "report", report);
  if (f) form_into(f, d);
  res_page(r, status, "heat/networks", d);
}

void networks_page(req *r) { list_render(r, 200, NULL, NULL); }

/* The uploaded file's bytes, in the arena; NULL if unreadable. */
static const char *file_bytes(req *r, form_file *file) {
  if (file->data) return file->data;
  FILE *fp = fopen(file->path, "rb");
  if (!fp) return NULL;
  char *p = arena_alloc(r->a, file->size + 1);
  size_t n = fread(p, 1, file->size, fp);
  fclose(fp);
  return n == file->size ? p : NULL;
}

static json_t *report_json(const char *title, const geo_report *rep, json_t *extra) {
  json_t *o = json_object();
  json_object_set_new(o, "title", json_string(title));
  json_object_set_new(o, "seen", json_integer(rep->nSeen));
  json_object_set_new(o, "ok", json_integer(rep->nOk));
  json_object_set_new(o, "skipped", json_integer(rep->nSkip));
  json_object_set_new(o, "fixed", json_integer(rep->nFixed));
  json_t *m = json_array();
  for (int i = 0; i < rep->nMsg; i++) json_array_append_new(m, json_string(rep->aMsg[i]));
  if (extra) json_array_extend(m, extra);
  json_decref(extra);
  json_object_set_new(o, "messages", m);
  return o;
}

/* Creates or refreshes the network rows of the features of a GeoJSON text
** (already imported, so known to be valid). Lines found are appended to
** msgs. Returns rows created, or -1. */
static int upsert_rows(req *r, const char *text, json_t *msgs) {
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  json_t *feats = json_object_get(root, "features");
  int created = 0;
  int64_t now = now_unix();
  if (!feats && json_is_object(root)) {
    feats = json_array();
    json_array_append(feats, root);
  } else {
    json_incref(feats);
  }
  size_t i;
  json_t *ft;
  json_array_foreach(feats, i, ft) {
    json_t *p = json_object_get(ft, "properties");
    const char *id = json_string_value(json_object_get(p, "id"));
    if (!id || !*id || strlen(id) > 32) continue;
    const char *nom = json_string_value(json_object_get(p, "nom"));
    const char *op = json_string_value(json_object_get(p, "gestionnaire"));
    json_t *te = json_object_get(p, "taux_enrr");
    if (db_get_int(0, "SELECT id FROM heat_networks WHERE sncu_id=?", "t", id) == 0) {
      if (db_run("INSERT INTO heat_networks(sncu_id, name, operator_name, created_at, updated_at) VALUES(?,?,?,?,?)",
                 "tttii", id, nom && *nom ? nom : id, op ? op : "", now, now) != DB_DONE) {
        created = -1;
        break;
      }
      created++;
      json_array_append_new(msgs, json_string(arena_printf(r->a, _("réseau %s créé"), id)));
    } else {
      db_run("UPDATE heat_networks SET name=CASE WHEN name='' OR name=sncu_id THEN coalesce(?, name) ELSE name END,"
             " operator_name=CASE WHEN operator_name='' THEN coalesce(?, '') ELSE operator_name END, updated_at=?"
             " WHERE sncu_id=?", "ttit", nom, op, now, id);
    }
    if (json_is_number(te))
      db_run("UPDATE heat_networks SET renewable_pct=? WHERE sncu_id=? AND renewable_pct IS NULL", "dt",
             json_number_value(te), id);
  }
  json_decref(feats);
  json_decref(root);
  return created;
}

static const char *const import_fields[] = {"couche", "epsg", "remplacer", NULL};

void networks_import_post(req *r) {
  form f;
  form_init(&f, r, import_fields);
  static const char *const layers[] = {"traces", "zones", NULL};
  static const char *const epsgs[] = {"auto", "4326", "2154", NULL};
  form_oneof(&f, "couche", layers);
  form_oneof(&f, "epsg", epsgs);
  form_file *file = req_file(r, "fichier");
  const char *text = NULL;
  if (!file) form_error(&f, "fichier", _("Choisissez un fichier GeoJSON à importer."));
  else if (!(text = file_bytes(r, file))) form_error(&f, "fichier", _("Le fichier n’a pas pu être lu : réessayez."));
  if (f.nerr) {
    list_render(r, 422, NULL, &f);
    return;
  }
  int zones = !strcmp(form_get(&f, "couche"), "zones");
  const char *layer = zones ? HEAT_LAYER_ZONES : HEAT_LAYER_LINES;
  int epsg = !strcmp(form_get(&f, "epsg"), "2154") ? GEO_L93 : !strcmp(form_get(&f, "epsg"), "4326") ? GEO_WGS84 : 0;
  int flags = !strcmp(form_get(&f, "remplacer"), "oui") ? GEO_REPLACE : 0;
  geo_report rep = {0};
  json_t *msgs = json_array();
  if (db_begin_write() != 0) {
    json_decref(msgs);
    heat_db_failed(r);
    return;
  }
  long n = geo_import_geojson(layer, text, file->size, epsg, "id", flags, &rep);
  int created = 0;
  if (n >= 0 && !zones) created = upsert_rows(r, text, msgs);
  if (n < 0 || created < 0) {
    db_rollback();
    json_decref(msgs);
    form_error(&f, "fichier", rep.zFatal ? arena_strdup(r->a, rep.zFatal) : _("L’import a échoué : rien n’a été gardé."));
    geo_report_free(&rep);
    list_render(r, 422, NULL, &f);
    return;
  }
  const char *detail = arena_printf(r->a, "%s : %ld objets importés sur %ld, %ld ignorés, %d réseaux créés (%s)",
                                    layer, rep.nOk, rep.nSeen, rep.nSkip, created, file->filename ? file->filename : "");
  if (audit_log(r->me->id, "heat.networks.import", arena_printf(r->a, "geo_layer:%s", layer), r->ip, detail) < 0 ||
      db_commit() != 0) {
    db_rollback();
    json_decref(msgs);
    geo_report_free(&rep);
    heat_db_failed(r);
    return;
  }
  json_t *report = report_json(zones ? _("Import des zones prioritaires") : _("Import des tracés"), &rep, msgs);
  geo_report_free(&rep);
  list_render(r, 200, report, NULL);
}

/* ---------------------------------------------------------------- figures */

/* Splits one CSV line (',' or ';', double quotes) into at most max fields,
** in place. Returns the number of fields. */
static int csv_split(char *line, char delim, char **out, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    char *w = p, *start = p;
    if (*p == '"') {
      p++;
      for (;;) {
        if (!*p) break;
        if (*p == '"' && p[1] == '"') {
          *w++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *w++ = *p++;
        }
      }
      while (*p && *p != delim) p++;
    } else {
      while (*p && *p != delim) p++;
      w = p;
    }
    int more = *p == delim;
    *w = 0;
    out[n++] = start;
    if (!more) break;
    p++;
  }
  return n;
}

/* A decimal number (point or comma); 1 and *out, else 0. */
static int parse_num(const char *z, double *out) {
  char tmp[32];
  size_t n = strlen(z);
  if (!n || n >= sizeof tmp) return 0;
  for (size_t i = 0; i <= n; i++) tmp[i] = z[i] == ',' ? '.' : z[i];
  char *end = NULL;
  *out = strtod(tmp, &end);
  return *end == 0;
}

void networks_figures_post(req *r) {
  form f;
  form_init(&f, r, NULL);
  form_file *file = req_file(r, "fichier");
  const char *text = NULL;
  if (!file) form_error(&f, "fichier_chiffres", _("Choisissez un fichier CSV à importer."));
  else if (!(text = file_bytes(r, file)))
    form_error(&f, "fichier_chiffres", _("Le fichier n’a pas pu être lu : réessayez."));
  if (f.nerr) {
    list_render(r, 422, NULL, &f);
    return;
  }
  char *copy = arena_strndup(r->a, text, file->size);
  if (!strncmp(copy, "\xEF\xBB\xBF", 3)) copy += 3; /* UTF-8 byte-order mark */
  char *save = NULL;
  char *line = strtok_r(copy, "\r\n", &save);
  enum { C_ID, C_CO2, C_ACV, C_ENRR, C_YEAR, NCOL };
  static const char *const names[NCOL] = {"identifiant", "contenu_co2", "contenu_co2_acv", "taux_enrr",
                                          "annee_reference"};
  int col[NCOL];
  char delim = line && strchr(line, ';') ? ';' : ',';
  char *cells[32];
  int nh = line ? csv_split(line, delim, cells, 32) : 0;
  for (int k = 0; k < NCOL; k++) {
    col[k] = -1;
    for (int i = 0; i < nh; i++)
      if (!strcmp(cells[i], names[k])) col[k] = i;
    if (col[k] < 0 && k != C_YEAR) {
      form_error(&f, "fichier_chiffres",
                 arena_printf(r->a, _("La colonne « %s » manque dans la ligne d’en-tête."), names[k]));
      list_render(r, 422, NULL, &f);
      return;
    }
  }
  geo_report rep = {0}; /* reused for its counters; no messages are malloc'ed */
  json_t *msgs = json_array();
  if (db_begin_write() != 0) {
    json_decref(msgs);
    heat_db_failed(r);
    return;
  }
  int64_t now = now_unix();
  long lineno = 1;
  while ((line = strtok_r(NULL, "\r\n", &save)) && rep.nSeen < FIGURES_MAX_ROWS) {
    lineno++;
    rep.nSeen++;
    int nc = csv_split(line, delim, cells, 32);
    double co2, acv, enrr;
    if (nc <= col[C_ID] || nc <= col[C_CO2] || nc <= col[C_ACV] || nc <= col[C_ENRR] ||
        !parse_num(cells[col[C_CO2]], &co2) || !parse_num(cells[col[C_ACV]], &acv) ||
        !parse_num(cells[col[C_ENRR]], &enrr) || co2 < 0 || acv < 0 || enrr < 0 || enrr > 100) {
      rep.nSkip++;
      json_array_append_new(msgs, json_string(arena_printf(r->a, _("ligne %ld : valeurs illisibles, ignorée"), lineno)));
      continue;
    }
    const char *year = col[C_YEAR] >= 0 && nc > col[C_YEAR] ? cells[col[C_YEAR]] : "";
    if (db_run("UPDATE heat_networks SET co2_g_kwh=?, co2_acv_g_kwh=?, renewable_pct=?, figures_year=?,"
               " updated_at=? WHERE sncu_id=?", "dddtit", co2 * 1000, acv * 1000, enrr, year, now,
               cells[col[C_ID]]) != DB_DONE) {
      db_rollback();
      json_decref(msgs);
      heat_db_failed(r);
      return;
    }
    if (db_changes() == 1) rep.nOk++;
    else {
      rep.nSkip++;
      if (json_array_size(msgs) < GEO_REPORT_MAX)
        json_array_append_new(msgs, json_string(arena_printf(r->a, _("ligne %ld : réseau %s inconnu ici, ignoré"),
                                                             lineno, cells[col[C_ID]])));
    }
  }
  const char *detail = arena_printf(r->a, "%ld réseaux mis à jour sur %ld lignes", rep.nOk, rep.nSeen);
  if (audit_log(r->me->id, "heat.networks.figures", "heat_networks", r->ip, detail) < 0 || db_commit() != 0) {
    db_rollback();
    json_decref(msgs);
    heat_db_failed(r);
    return;
  }
  list_render(r, 200, report_json(_("Import des contenus CO2 et taux d’EnR&R"), &rep, msgs), NULL);
}

/* ---------------------------------------------------------------- one network */

static const char *const network_fields[] = {"nom", "exploitant", "compte_exploitant", "siret_exploitant",
                                             "email_exploitant", "ouvert",
                                             "seuil_tres_proche", "seuil_proche", NULL};

/* Fills the form from the row; 0, or -1 if no such network. */
static int network_load(req *r, int64_t id, form *f, json_t *d) {
  db_stmt *s = db_query("SELECT n.sncu_id, n.name, n.operator_name, coalesce(u.email, ''), n.operator_email,"
                        " n.open_to_connections, n.threshold_very_close_m, n.threshold_close_m, n.co2_g_kwh,"
                        " n.co2_acv_g_kwh, n.renewable_pct, n.figures_year, n.kind, coalesce(o.siret, ''),"
                        " coalesce(o.name, '') FROM heat_networks n LEFT JOIN users u ON u.id = n.operator_user_id"
                        " LEFT JOIN organisations o ON o.id = n.operator_org_id WHERE n.id=?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return -1;
  }
  json_t *n = json_object();
  json_object_set_new(n, "id", json_integer(id));
  json_object_set_new(n, "sncu_id", json_string(db_text(s, 0)));
  json_object_set_new(n, "kind", json_string(!strcmp(db_text(s, 12), "cold") ? _("froid") : _("chaleur")));
  if (!db_is_null(s, 8)) json_object_set_new(n, "co2", json_string(arena_printf(r->a, "%.0f", db_double(s, 8))));
  if (!db_is_null(s, 9)) json_object_set_new(n, "acv", json_string(arena_printf(r->a, "%.0f", db_double(s, 9))));
  if (!db_is_null(s, 10)) json_object_set_new(n, "enrr", json_string(arena_printf(r->a, "%.1f", db_double(s, 10))));
  json_object_set_new(n, "year", json_string(db_text(s, 11)));
  json_object_set_new(n, "org", json_string(db_text(s, 14)));
  json_object_set_new(n, "has_trace", json_boolean(geo_feature_find(HEAT_LAYER_LINES, db_text(s, 0)) > 0));
  json_object_set_new(d, "n", n);
  if (f) {
    form_set(f, "nom", db_text(s, 1));
    form_set(f, "exploitant", db_text(s, 2));
    form_set(f, "compte_exploitant", db_text(s, 3));
    form_set(f, "siret_exploitant", db_text(s, 13));
    form_set(f, "email_exploitant", db_text(s, 4));
    form_set(f, "ouvert", db_int(s, 5) ? "oui" : "");
    form_set(f, "seuil_tres_proche", db_is_null(s, 6) ? "" : arena_printf(r->a, "%lld", (long long)db_int(s, 6)));
    form_set(f, "seuil_proche", db_is_null(s, 7) ? "" : arena_printf(r->a, "%lld", (long long)db_int(s, 7)));
  }
  db_done(s);
  json_object_set_new(d, "defaults", json_pack("{s:i, s:i}", "very_close", (int)heat_default_thresholds.very_close_m,
                                               "close", (int)heat_default_thresholds.close_m));
  return 0;
}

void network_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  json_t *d = json_object();
  json_object_set_new(d, "nav", json_pack("{s:b}", "reseaux", 1)); /* admin menu: current page */
  form f;
  form_init(&f, r, network_fields);
  if (network_load(r, id, &f, d) != 0) {
    json_decref(d);
    res_error(r, 404, _("Ce réseau n’existe pas."));
    return;
  }
  form_into(&f, d);
  res_page(r, 200, "heat/network", d);
}

/* An optional threshold in metres: "" → 0 (default), else 1..HEAT_THRESHOLD_MAX_M. */
static int threshold(form *f, const char *name, int64_t *out) {
  const char *v = form_get(f, name);
  *out = 0;
  if (!*v) return 1;
  char *end = NULL;
  long long n = strlen(v) <= 6 ? strtoll(v, &end, 10) : -1;
  if (n < 1 || n > HEAT_THRESHOLD_MAX_M || (end && *end)) {
    form_error(f, name, arena_printf(f->r->a, _("Saisissez une distance en mètres entre 1 et %d, ou laissez vide "
                                                "pour la valeur par défaut."), HEAT_THRESHOLD_MAX_M));
    return 0;
  }
  *out = n;
  return 1;
}

void network_post(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  if (db_get_int(0, "SELECT 1 FROM heat_networks WHERE id=?", "i", id) != 1) {
    res_error(r, 404, _("Ce réseau n’existe pas."));
    return;
  }
  form f;
  form_init(&f, r, network_fields);
  if (form_required(&f, "nom", _("le nom du réseau"))) form_maxlen(&f, "nom", 200);
  form_maxlen(&f, "exploitant", 200);
  int64_t vc, c, uid = 0, org = 0;
  int ok = threshold(&f, "seuil_tres_proche", &vc);
  ok &= threshold(&f, "seuil_proche", &c);
  if (ok) {
    double evc = vc ? (double)vc : heat_default_thresholds.very_close_m;
    double ec = c ? (double)c : heat_default_thresholds.close_m;
    if (ec < evc)
      form_error(&f, "seuil_proche", _("Le seuil « proche » doit être supérieur ou égal au seuil « très proche »."));
  }
  char *acct = auth_email_norm(arena_strdup(r->a, form_get(&f, "compte_exploitant")));
  form_set(&f, "compte_exploitant", acct);
  if (*acct) {
    uid = db_get_int(0, "SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id AND ur.role = 'operator'"
                        " WHERE u.email=?", "t", acct);
    if (!uid) form_error(&f, "compte_exploitant", _("Aucun compte avec le rôle « Exploitant de réseau » n’a cette adresse."));
  }
  const char *siret = form_get(&f, "siret_exploitant");
  if (*siret && form_maxlen(&f, "siret_exploitant", 20)) {
    char *digits = arena_strdup(r->a, siret); /* typed with spaces, as printed on a Kbis */
    size_t n = 0;
    for (const char *p = siret; *p; p++)
      if (*p != ' ') digits[n++] = *p;
    digits[n] = 0;
    form_set(&f, "siret_exploitant", digits);
    siret = digits;
    org = db_get_int(0, "SELECT id FROM organisations WHERE siret=?", "t", siret);
    if (!org)
      form_error(&f, "siret_exploitant", _("Aucune organisation inscrite n’a ce SIRET : son responsable la déclare "
                                           "dans Mon compte."));
  }
  char *mail = auth_email_norm(arena_strdup(r->a, form_get(&f, "email_exploitant")));
  form_set(&f, "email_exploitant", mail);
  if (*mail) form_email(&f, "email_exploitant");
  if (f.nerr) {
    json_t *d = json_object();
    json_object_set_new(d, "nav", json_pack("{s:b}", "reseaux", 1)); /* admin menu: current page */
    network_load(r, id, NULL, d);
    form_into(&f, d);
    res_page(r, 422, "heat/network", d);
    return;
  }
  int open = !strcmp(form_get(&f, "ouvert"), "oui");
  if (db_begin_write() != 0) {
    heat_db_failed(r);
    return;
  }
  db_stmt *s = db_prep("UPDATE heat_networks SET name=?, operator_name=?, operator_user_id=?, operator_email=?,"
                       " open_to_connections=?, threshold_very_close_m=?, threshold_close_m=?, updated_at=?,"
                       " operator_org_id=? WHERE id=?");
  db_bind_text(s, 1, form_get(&f, "nom"));
  db_bind_text(s, 2, form_get(&f, "exploitant"));
  if (uid) db_bind_int(s, 3, uid);
  else db_bind_null(s, 3);
  db_bind_text(s, 4, mail);
  db_bind_int(s, 5, open);
  if (vc) db_bind_int(s, 6, vc);
  else db_bind_null(s, 6);
  if (c) db_bind_int(s, 7, c);
  else db_bind_null(s, 7);
  db_bind_int(s, 8, now_unix());
  if (org) db_bind_int(s, 9, org);
  else db_bind_null(s, 9);
  db_bind_int(s, 10, id);
  int rc = db_step(s);
  db_done(s);
  const char *detail = arena_printf(r->a, "nom=%s exploitant=%s compte=%s organisation=%s email=%s ouvert=%d"
                                    " seuils=%lld/%lld", form_get(&f, "nom"), form_get(&f, "exploitant"), acct, siret,
                                    mail, open, (long long)vc, (long long)c);
  if (rc != DB_DONE ||
      audit_log(r->me->id, "heat.network.update", arena_printf(r->a, "heat_network:%lld", (long long)id), r->ip,
                detail) < 0 ||
      db_commit() != 0) {
    db_rollback();
    heat_db_failed(r);
    return;
  }
  res_flash(r, _("Le réseau est enregistré."));
  res_redirect(r, arena_printf(r->a, "/admin/reseaux/%lld", (long long)id));
}
