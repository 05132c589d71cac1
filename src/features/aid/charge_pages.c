/*
** charge_pages.c — the pages and API of charging data (charge.h):
**
**   applicants (members of the dossier's organisation, 404 for anyone else)
**     /aides/dossiers/:id/donnees          the dossier's points: IRVE statique
**                                          upload, their figures, the loads
**     /aides/dossiers/:id/donnees/points/:point   one point
**     /aides/donnees                       sessions upload for all the
**                                          organisation's points, its dossiers
**     /aides/donnees/imports/:id[/rapport.csv]    a load: progress, report
**   instructors ("aid.review")
**     /instruction/dossiers/:id/donnees[/points/:point], /instruction/programmes/:id/donnees
**   API (token): POST /api/v1/aides/sessions, /api/v1/aides/dossiers/:number/points
**
** An upload of CHARGE_SYNC_MAX bytes or less loads during the request; a
** bigger one is moved from the request's temporary file into the spool
** directory and loaded by the job, whose page refreshes itself (Refresh
** header, no JavaScript) until it is done. Either way the answer is a
** redirect to the load's page, which shows the report.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/listing.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/sheet.h"
#include "features/account/account.h"
#include "features/aid/aid.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

#define IMPORTS_SHOWN 20 /* loads listed on a page */

/* ---------------------------------------------------------------- dossier */

/* A dossier as these pages show it; strings in the request arena. */
typedef struct dinfo {
  int64_t id, org_id, programme_id; /* aid_dossiers */
  int64_t points;                   /* points the dossier funds */
  const char *number, *status;      /* "AV-2026-000123", status code */
  const char *programme, *org;      /* names */
} dinfo;

#define DOSSIER_SELECT                                                                                  \
  "SELECT d.id, d.org_id, d.programme_id, d.points, coalesce(d.number, ''), d.status, p.name, o.name"    \
  " FROM aid_dossiers d JOIN aid_programmes p ON p.id = d.programme_id JOIN organisations o ON o.id = d.org_id"

/* Dossier id, or the one numbered `number` when it is not NULL. 1, or 0
** if there is none. */
static int dossier_load(req *r, int64_t id, const char *number, dinfo *d) {
  db_stmt *s = number ? db_query(DOSSIER_SELECT " WHERE d.number = ?", "t", number)
                      : db_query(DOSSIER_SELECT " WHERE d.id = ?", "i", id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    d->id = db_int(s, 0);
    d->org_id = db_int(s, 1);
    d->programme_id = db_int(s, 2);
    d->points = db_int(s, 3);
    d->number = arena_strdup(r->a, db_text(s, 4));
    d->status = arena_strdup(r->a, db_text(s, 5));
    d->programme = arena_strdup(r->a, db_text(s, 6));
    d->org = arena_strdup(r->a, db_text(s, 7));
  }
  db_done(s);
  return found;
}

/* The dossier of path parameter :id if the user's organisation owns it;
** otherwise answers 404 (the same answer as for a dossier that does not
** exist) and returns -1. */
static int own_dossier_or_reply(req *r, dinfo *d) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return -1;
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org || !dossier_load(r, id, NULL, d) || d->org_id != org) {
    res_error(r, 404, _("Cette demande est introuvable."));
    return -1;
  }
  return 0;
}

static int any_dossier_or_reply(req *r, dinfo *d) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return -1;
  if (!dossier_load(r, id, NULL, d)) {
    res_error(r, 404, _("Cette demande est introuvable."));
    return -1;
  }
  return 0;
}

static json_t *dossier_json(const dinfo *d) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(d->id));
  json_object_set_new(o, "number", json_string(d->number));
  json_object_set_new(o, "status", json_string(d->status));
  const char *label = aid_dossier_status_label(d->status);
  json_object_set_new(o, "status_label", json_string(label ? label : d->status));
  json_object_set_new(o, "programme", json_string(d->programme));
  json_object_set_new(o, "programme_id", json_integer(d->programme_id));
  json_object_set_new(o, "org", json_string(d->org));
  json_object_set_new(o, "points_funded", json_integer(d->points));
  json_object_set_new(o, "open", json_boolean(charge_dossier_open(d->status)));
  return o;
}

static void read_failed(req *r, json_t *d) {
  json_decref(d);
  res_error(r, 500, _("Les données n’ont pas pu être lues : réessayez dans un instant."));
}

/* ?par=jour: bars per day; anything else per week. */
static int by_day(req *r) { return str_eq(req_query(r, "par"), "jour"); }

static void period_links(req *r, json_t *d, const char *path) {
  json_object_set_new(d, "by_day", json_boolean(by_day(r)));
  json_object_set_new(d, "week_href", json_string(path));
  json_object_set_new(d, "day_href", json_string(arena_printf(r->a, "%s?par=jour", path)));
}

/* What both data pages of a dossier show (path: the page's own): the
** dossier, its summary and its points. NULL after replying on an error. */
static json_t *dossier_data(req *r, const dinfo *dn, const char *path) {
  json_t *d = json_object();
  json_object_set_new(d, "dossier", dossier_json(dn));
  period_links(r, d, path);
  if (charge_summary_into(r->a, CHARGE_DOSSIER, dn->id, by_day(r), d) != 0 ||
      charge_points_into(r->a, dn->id, arena_printf(r->a, "%s/points", path), d) != 0) {
    read_failed(r, d);
    return NULL;
  }
  return d;
}

/* ---------------------------------------------------------------- imports */

static const char *kind_label(const char *kind) {
  return !strcmp(kind, "points") ? _("Points de recharge (IRVE statique)") : _("Sessions de recharge");
}

static const char *import_status_label(const char *st) {
  if (!strcmp(st, "queued")) return _("en attente");
  if (!strcmp(st, "running")) return _("en cours");
  if (!strcmp(st, "done")) return _("terminé");
  return _("interrompu");
}

static const char *size_text(arena *a, int64_t n) {
  if (n < 1024) return arena_printf(a, "%lld octets", (long long)n);
  if (n < 1024 * 1024) return arena_printf(a, "%lld Ko", (long long)((n + 512) / 1024));
  return arena_printf(a, "%.1f Mo", (double)n / (1024.0 * 1024.0));
}

#define IMPORT_COLS                                                                                   \
  "i.id, i.kind, i.source, i.filename, i.size, i.status, i.rows_read, i.rows_loaded, i.rows_known,"    \
  " i.rows_rejected, i.error, i.created_at, i.finished_at, i.bytes_read, coalesce(d.number, ''),"       \
  " coalesce(i.dossier_id, 0), i.org_id"
#define IMPORT_FROM " FROM aid_charge_imports i LEFT JOIN aid_dossiers d ON d.id = i.dossier_id"

/* One import row (IMPORT_COLS) as display values. */
static json_t *import_json(req *r, db_stmt *s) {
  json_t *o = json_object();
  const char *kind = db_text(s, 1), *status = db_text(s, 5);
  int points = !strcmp(kind, "points");
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "kind", json_string(kind));
  json_object_set_new(o, "points", json_boolean(points));
  json_object_set_new(o, "kind_label", json_string(kind_label(kind)));
  json_object_set_new(o, "api", json_boolean(!strcmp(db_text(s, 2), "api")));
  json_object_set_new(o, "filename", json_string(db_text(s, 3)));
  json_object_set_new(o, "size", json_string(size_text(r->a, db_int(s, 4))));
  json_object_set_new(o, "status", json_string(status));
  json_object_set_new(o, "status_label", json_string(import_status_label(status)));
  int busy = !strcmp(status, "queued") || !strcmp(status, "running");
  json_object_set_new(o, "busy", json_boolean(busy));
  json_object_set_new(o, "failed", json_boolean(!strcmp(status, "failed")));
  int64_t size = db_int(s, 4), read = db_int(s, 13);
  int64_t pct = size > 0 ? read * 100 / size : 0;
  json_object_set_new(o, "progress", json_integer(pct > 100 ? 100 : pct));
  json_object_set_new(o, "rows_read", json_integer(db_int(s, 6)));
  json_object_set_new(o, "rows_loaded", json_integer(db_int(s, 7)));
  json_object_set_new(o, "rows_known", json_integer(db_int(s, 8)));
  json_object_set_new(o, "rows_rejected", json_integer(db_int(s, 9)));
  json_object_set_new(o, "error", json_string(db_text(s, 10)));
  json_object_set_new(o, "created", json_string(fmt_datetime(r->a, db_int(s, 11), "")));
  json_object_set_new(o, "finished", json_string(fmt_datetime(r->a, db_int(s, 12), "")));
  json_object_set_new(o, "dossier_number", json_string(db_text(s, 14)));
  json_object_set_new(o, "dossier_id", json_integer(db_int(s, 15)));
  json_object_set_new(o, "href", json_string(arena_printf(r->a, "/aides/donnees/imports/%lld", (long long)db_int(s, 0))));
  return o;
}

/* Adds "imports": the latest loads of an organisation, or of one dossier. */
static void imports_into(req *r, int64_t org_id, int64_t dossier_id, json_t *d) {
  db_stmt *s = dossier_id ? db_query("SELECT " IMPORT_COLS IMPORT_FROM " WHERE i.dossier_id = ? ORDER BY i.id DESC"
                                     " LIMIT ?", "ii", dossier_id, (int64_t)IMPORTS_SHOWN)
                          : db_query("SELECT " IMPORT_COLS IMPORT_FROM " WHERE i.org_id = ? ORDER BY i.id DESC"
                                     " LIMIT ?", "ii", org_id, (int64_t)IMPORTS_SHOWN);
  json_t *list = json_array();
  while (db_step(s) == DB_ROW) json_array_append_new(list, import_json(r, s));
  db_done(s);
  json_object_set_new(d, "imports", list);
}

/* The import of path parameter :id if it belongs to the user's
** organisation; otherwise 404. Returns the row's display values (with
** "report" the stored JSON text), or NULL after replying. */
static json_t *own_import_or_reply(req *r, const char **report) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return NULL;
  int64_t org = account_org_of(r->me->id, NULL);
  db_stmt *s = db_query("SELECT " IMPORT_COLS ", i.report" IMPORT_FROM " WHERE i.id = ? AND i.org_id = ?", "ii", id,
                        org);
  json_t *o = NULL;
  if (org && db_step(s) == DB_ROW) {
    o = import_json(r, s);
    *report = arena_strdup(r->a, db_text(s, 17));
  }
  db_done(s);
  if (!o) res_error(r, 404, _("Ce chargement est introuvable."));
  return o;
}

/* The start of a file, to tell text from anything else. */
static int sniff(const form_file *f, unsigned char *b, size_t n) {
  if (f->data) {
    size_t k = f->size < n ? f->size : n;
    memcpy(b, f->data, k);
    return (int)k;
  }
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t k = read(fd, b, n);
  close(fd);
  return (int)k;
}

/* Checks an uploaded file and starts its load: in the request when small,
** else through the job. Returns the import id, or -1 with *err set (a
** French sentence for the form) or, when err is left NULL, after replying
** (server error). */
static int64_t upload_start(req *r, charge_kind kind, int64_t org, const dinfo *d, form_file *f, const char **err) {
  *err = NULL;
  if (!f) {
    *err = _("Choisissez le fichier CSV à déposer (il peut aussi être compressé en .gz).");
    return -1;
  }
  if ((int64_t)f->size > CHARGE_UPLOAD_MAX) {
    *err = arena_printf(r->a, _("Le fichier dépasse %lld Mo : découpez-le, ou compressez-le en .gz."),
                        (long long)(CHARGE_UPLOAD_MAX >> 20));
    return -1;
  }
  unsigned char head[4096];
  int n = sniff(f, head, sizeof head);
  int gz = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
  if (n <= 0 || (!gz && memchr(head, 0, (size_t)n))) {
    *err = _("Ce fichier n’est pas un fichier CSV (texte, séparé par des virgules ou des points-virgules) : "
             "enregistrez-le au format CSV UTF-8 depuis votre tableur.");
    return -1;
  }
  const char *obj = d ? arena_printf(r->a, "aid_dossier:%lld", (long long)d->id)
                      : arena_printf(r->a, "organisation:%lld", (long long)org);
  const char *detail = arena_printf(r->a, "%s, %s, %zu octets", kind == CHARGE_POINTS ? "points" : "sessions",
                                    f->filename, f->size);
  int64_t id;
  if (f->size <= CHARGE_SYNC_MAX) {
    if (db_begin_write() != 0) goto busy;
    id = charge_import_new(kind, org, d ? d->id : 0, r->me->id, "csv", f->filename, (int64_t)f->size);
    if (id <= 0 || audit_log(r->me->id, "aid.charge.upload", obj, r->ip, detail) < 0) {
      db_rollback();
      goto busy;
    }
    db_commit();
    if (charge_import_run(id, f->path, f->data, f->size) < 0) log_error("charge", "chargement %lld interrompu", (long long)id);
    return id;
  }
  /* Big: the job loads it from the spool, where the request's temporary
  ** file moves (same file system: both under data_dir). */
  const char *dir = charge_spool_dir(r->a);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    log_error("charge", "mkdir %s: %s", dir, strerror(errno));
    goto busy;
  }
  if (db_begin_write() != 0) goto busy;
  id = charge_import_new(kind, org, d ? d->id : 0, r->me->id, "csv", f->filename, (int64_t)f->size);
  const char *dest = arena_printf(r->a, "%s/import-%lld.csv", dir, (long long)id);
  json_t *payload = json_pack("{sI}", "import", (json_int_t)id);
  int ok = id > 0 && rename(f->path, dest) == 0;
  if (!ok && id > 0) log_error("charge", "rename %s: %s", dest, strerror(errno));
  ok = ok && job_enqueue("aid.charge.load", payload, 0) > 0 &&
       audit_log(r->me->id, "aid.charge.upload", obj, r->ip, detail) >= 0;
  json_decref(payload);
  if (!ok || db_commit() != 0) {
    db_rollback();
    unlink(dest);
    goto busy;
  }
  return id;
busy:
  res_error(r, 503, _("Le dépôt n’a pas pu être enregistré : réessayez dans un instant."));
  return -1;
}

/* After an upload: the load's page, with a one-line outcome when done. */
static void upload_done(req *r, int64_t id) {
  db_stmt *s = db_query("SELECT status, rows_loaded, rows_known, rows_rejected FROM aid_charge_imports WHERE id=?", "i",
                        id);
  if (db_step(s) == DB_ROW) {
    const char *st = db_text(s, 0);
    if (!strcmp(st, "done"))
      res_flash(r, arena_printf(r->a, _("Fichier chargé : %lld ligne(s) nouvelle(s), %lld déjà connue(s), %lld "
                                        "refusée(s)."),
                                (long long)db_int(s, 1), (long long)db_int(s, 2), (long long)db_int(s, 3)));
    else if (!strcmp(st, "failed"))
      res_flash(r, _("Le chargement n’a pas pu aller jusqu’au bout : le rapport dit pourquoi."));
    else
      res_flash(r, _("Le fichier est reçu : son chargement est en cours, cette page se met à jour toute seule."));
  }
  db_done(s);
  res_redirect(r, arena_printf(r->a, "/aides/donnees/imports/%lld", (long long)id));
}

/* ------------------------------------------------------- applicant pages */

/* The upload form's one error (err NULL: none), as form.h shapes errors. */
static void file_error_into(json_t *d, const char *err) {
  if (!err) return;
  json_t *e = json_object();
  json_object_set_new(e, "fichier", json_string(err));
  json_object_set_new(d, "err", e);
  json_object_set_new(d, "has_errors", json_true());
}

static void dossier_page(req *r, const dinfo *dn, int status, const char *err) {
  const char *path = arena_printf(r->a, "/aides/dossiers/%lld/donnees", (long long)dn->id);
  json_t *d = dossier_data(r, dn, path);
  if (!d) return;
  imports_into(r, dn->org_id, dn->id, d);
  json_object_set_new(d, "action", json_string(path));
  file_error_into(d, err);
  res_page(r, status, "aid/charge_dossier", d);
}

void charge_dossier_page(req *r) {
  dinfo dn;
  if (own_dossier_or_reply(r, &dn)) return;
  dossier_page(r, &dn, 200, NULL);
}

void charge_dossier_post(req *r) {
  dinfo dn;
  if (own_dossier_or_reply(r, &dn)) return;
  if (!charge_dossier_open(dn.status)) {
    const char *l = aid_dossier_status_label(dn.status);
    dossier_page(r, &dn, 409,
                 arena_printf(r->a, _("La demande est « %s » : les points de recharge se déclarent une fois la "
                                      "demande validée."),
                              l ? l : dn.status));
    return;
  }
  const char *err;
  int64_t id = upload_start(r, CHARGE_POINTS, dn.org_id, &dn, req_file(r, "fichier"), &err);
  if (id < 0) {
    if (err) dossier_page(r, &dn, 422, err);
    return;
  }
  upload_done(r, id);
}

/* One point of dossier dn (path parameter :point), with its summary. */
static void point_page(req *r, const dinfo *dn, const char *base, int review) {
  int64_t pid;
  if (req_id_or_reply(r, "point", &pid)) return;
  db_stmt *s = db_query("SELECT id_pdc_itinerance, id_station_itinerance, nom_station, adresse_station,"
                        " code_insee_commune, lon, lat, puissance_nominale, nom_operateur, nom_enseigne,"
                        " implantation_station, condition_acces, horaires, accessibilite_pmr, date_mise_en_service,"
                        " date_maj, prise_type_2, prise_type_combo_ccs, prise_type_chademo, prise_type_ef,"
                        " prise_type_autre FROM aid_charge_points WHERE id = ? AND dossier_id = ?",
                        "ii", pid, dn->id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 404, _("Ce point de recharge est introuvable."));
    return;
  }
  json_t *p = json_object();
  static const char *const keys[] = {"pdc", "station_id", "station", "address", "insee"};
  for (int i = 0; i < 5; i++) json_object_set_new(p, keys[i], jstr(db_text(s, i)));
  json_object_set_new(p, "coords", json_string(arena_printf(r->a, "%.6f, %.6f", db_double(s, 6), db_double(s, 5))));
  char kw[32];
  snprintf(kw, sizeof kw, "%g", db_double(s, 7));
  for (char *c = kw; *c; c++)
    if (*c == '.') *c = ',';
  json_object_set_new(p, "power", json_string(arena_printf(r->a, "%s\xc2\xa0kW", kw)));
  static const char *const more[] = {"operator", "brand", "siting", "access", "hours", "pmr", "commissioned", "updated"};
  for (int i = 0; i < 8; i++) {
    const char *v = db_text(s, 8 + i);
    char date[16];
    if (i >= 6 && v) { /* dates, the French way */
      aid_format_date(date, sizeof date, v);
      v = date;
    }
    json_object_set_new(p, more[i], jstr(v));
  }
  buf plugs = {0};
  static const char *const plugNames[] = {"Type 2", "Combo CCS", "CHAdeMO", "E/F", N_("autre")};
  for (int i = 0; i < 5; i++)
    if (db_int(s, 16 + i)) {
      if (plugs.n) buf_puts(&plugs, ", ");
      buf_puts(&plugs, _(plugNames[i]));
    }
  json_object_set_new(p, "plugs", json_string(buf_str(&plugs)));
  buf_free(&plugs);
  db_done(s);
  json_t *d = json_object();
  json_object_set_new(d, "point", p);
  json_object_set_new(d, "dossier", dossier_json(dn));
  json_object_set_new(d, "review", json_boolean(review));
  json_object_set_new(d, "back", json_string(base));
  period_links(r, d, arena_printf(r->a, "%s/points/%lld", base, (long long)pid));
  if (charge_summary_into(r->a, CHARGE_POINT, pid, by_day(r), d) != 0) {
    read_failed(r, d);
    return;
  }
  res_page(r, 200, "aid/charge_point", d);
}

void charge_point_page(req *r) {
  dinfo dn;
  if (own_dossier_or_reply(r, &dn)) return;
  point_page(r, &dn, arena_printf(r->a, "/aides/dossiers/%lld/donnees", (long long)dn.id), 0);
}

static void charge_org_render(req *r, int64_t org, int status, const char *err) {
  json_t *d = json_object();
  json_object_set_new(d, "has_org", json_boolean(org != 0));
  if (org) {
    if (charge_dossiers_into(r->a, 0, org, "/aides/dossiers", listing_page_arg(r), d) != 0) {
      read_failed(r, d);
      return;
    }
    imports_into(r, org, 0, d);
    json_object_set_new(d, "points",
                        json_integer(db_get_int(0, "SELECT count(*) FROM aid_charge_points WHERE org_id=?", "i", org)));
  }
  file_error_into(d, err);
  res_page(r, status, "aid/charge_org", d);
}

void charge_org_page(req *r) { charge_org_render(r, account_org_of(r->me->id, NULL), 200, NULL); }

void charge_org_post(req *r) {
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) {
    res_error(r, 403, _("Rattachez d’abord votre compte à votre entreprise, dans Mon compte."));
    return;
  }
  const char *err;
  int64_t id = upload_start(r, CHARGE_SESSIONS, org, NULL, req_file(r, "fichier"), &err);
  if (id < 0) {
    if (err) charge_org_render(r, org, 422, err);
    return;
  }
  upload_done(r, id);
}

/* The issues of a stored report (ts_report_json), for the page. */
static json_t *report_issues(const char *report, int64_t *total) {
  json_t *root = json_loads(report ? report : "", 0, NULL);
  json_t *issues = json_incref(json_object_get(root, "issues"));
  *total = json_integer_value(json_object_get(root, "total"));
  json_decref(root);
  return issues ? issues : json_array();
}

void charge_import_page(req *r) {
  const char *report = NULL;
  json_t *imp = own_import_or_reply(r, &report);
  if (!imp) return;
  json_t *d = json_object();
  int64_t total = 0;
  json_t *issues = report_issues(report, &total);
  json_object_set_new(d, "issues_total", json_integer(total));
  json_object_set_new(d, "issues_more", json_boolean(total > (int64_t)json_array_size(issues)));
  json_object_set_new(d, "issues", issues);
  json_object_set_new(d, "csv_href", json_string(arena_printf(r->a, "%s/rapport.csv",
                                                                   json_string_value(json_object_get(imp, "href")))));
  if (json_is_true(json_object_get(imp, "busy"))) res_header(r, "Refresh", "2");
  int64_t did = json_integer_value(json_object_get(imp, "dossier_id"));
  json_object_set_new(d, "back", json_string(did ? arena_printf(r->a, "/aides/dossiers/%lld/donnees", (long long)did)
                                                 : "/aides/donnees"));
  json_object_set_new(d, "import", imp);
  res_page(r, 200, "aid/charge_import", d);
}

/* The report's columns (French spreadsheets: BOM, ';'); the values come
** from the uploaded file, so core/sheet.h's apostrophe keeps a formula in
** them from running, and leaves a number such as -3.5 as it is. */
static const sheet_col report_cols[] = {
    {"ligne", SHEET_INT, 8, 0, NULL},     {"champ", SHEET_TEXT, 24, 0, NULL}, {"valeur", SHEET_TEXT, 24, 0, NULL},
    {"règle", SHEET_TEXT, 16, 0, NULL}, {"message", SHEET_TEXT, 60, 0, NULL},
};
static const char *const report_keys[] = {"field", "value", "rule", "message"}; /* columns 2 to 5, in the report */

void charge_import_csv(req *r) {
  const char *report = NULL;
  json_t *imp = own_import_or_reply(r, &report);
  if (!imp) return;
  int64_t total = 0;
  json_t *issues = report_issues(report, &total);
  int64_t id = json_integer_value(json_object_get(imp, "id"));
  json_decref(imp);
  sheet_writer *w = sheet_open(r, SHEET_CSV_FR, arena_printf(r->a, "rapport-chargement-%lld", (long long)id), 0);
  sheet_tab(w, NULL, report_cols, (int)ARRAY_SIZE(report_cols));
  size_t i;
  json_t *e;
  json_array_foreach(issues, i, e) {
    sheet_int(w, json_integer_value(json_object_get(e, "line")));
    for (size_t k = 0; k < ARRAY_SIZE(report_keys); k++)
      sheet_text(w, json_string_value(json_object_get(e, report_keys[k])));
    sheet_row_end(w);
  }
  if (total > (int64_t)json_array_size(issues)) {
    for (size_t k = 0; k < ARRAY_SIZE(report_keys); k++) sheet_empty(w);
    sheet_text(w, arena_printf(r->a, "%lld anomalies au total : seules les %zu premières sont détaillées",
                               (long long)total, json_array_size(issues)));
    sheet_row_end(w);
  }
  json_decref(issues);
  sheet_send(w);
}

/* ----------------------------------------------------- instructor pages */

void charge_review_dossier_page(req *r) {
  dinfo dn;
  if (any_dossier_or_reply(r, &dn)) return;
  json_t *d = dossier_data(r, &dn, arena_printf(r->a, "/instruction/dossiers/%lld/donnees", (long long)dn.id));
  if (d) res_page(r, 200, "aid/charge_review_dossier", d);
}

void charge_review_point_page(req *r) {
  dinfo dn;
  if (any_dossier_or_reply(r, &dn)) return;
  point_page(r, &dn, arena_printf(r->a, "/instruction/dossiers/%lld/donnees", (long long)dn.id), 1);
}

void charge_review_programme_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  char *name = db_get_text(r->a, "SELECT name FROM aid_programmes WHERE id=?", "i", id);
  if (!name) {
    res_error(r, 404, _("Ce programme est introuvable."));
    return;
  }
  json_t *d = json_object();
  json_t *p = json_object();
  json_object_set_new(p, "id", json_integer(id));
  json_object_set_new(p, "name", json_string(name));
  json_object_set_new(d, "programme", p);
  period_links(r, d, arena_printf(r->a, "/instruction/programmes/%lld/donnees", (long long)id));
  if (charge_summary_into(r->a, CHARGE_PROGRAMME, id, by_day(r), d) != 0 ||
      charge_dossiers_into(r->a, id, 0, "/instruction/dossiers", listing_page_arg(r), d) != 0) {
    read_failed(r, d);
    return;
  }
  res_page(r, 200, "aid/charge_review_programme", d);
}

/* -------------------------------------------------------------------- API */

/* "ligne L, champ « F » : …" → "élément L-2, champ « F » : …": the API's
** caller sent an array, not a file. */
static const char *api_message(arena *a, const char *msg, int64_t line) {
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "ligne %lld", (long long)line);
  if (line < 2 || !str_startswith(msg, prefix)) return msg;
  return arena_printf(a, _("élément %lld%s"), (long long)(line - 2), msg + n);
}

/* Loads a JSON array through import kind and answers with its report:
** 200 when every element was loaded, 422 when any was refused (the others
** are loaded: sending the corrected array again adds nothing twice). */
static void api_load(req *r, charge_kind kind, int64_t org, int64_t dossier_id) {
  json_error_t jerr;
  json_t *rows = r->json_body ? json_loadb(r->json_body, r->json_n, 0, &jerr) : NULL;
  if (!json_is_array(rows)) {
    json_decref(rows);
    res_error(r, 400, _("Le corps de la requête doit être un tableau JSON d’objets (Content-Type: application/json)."));
    return;
  }
  if (json_array_size(rows) > CHARGE_API_ROWS) {
    json_decref(rows);
    res_error(r, 413, arena_printf(r->a, _("%d éléments au plus par appel : découpez l’envoi."), CHARGE_API_ROWS));
    return;
  }
  buf csv = {0};
  int ok = charge_json_csv(kind, rows, &csv) == 0;
  size_t nrows = json_array_size(rows);
  json_decref(rows);
  int64_t id = -1;
  if (ok && db_begin_write() == 0) {
    id = charge_import_new(kind, org, dossier_id, r->me->id, "api", "", (int64_t)csv.n);
    const char *obj = dossier_id ? arena_printf(r->a, "aid_dossier:%lld", (long long)dossier_id)
                                 : arena_printf(r->a, "organisation:%lld", (long long)org);
    if (id > 0 && audit_log(r->me->id, "aid.charge.api", obj, r->ip,
                            arena_printf(r->a, "%s, %zu éléments", kind == CHARGE_POINTS ? "points" : "sessions",
                                         nrows)) >= 0)
      db_commit();
    else {
      db_rollback();
      id = -1;
    }
  }
  if (id > 0) charge_import_run(id, NULL, buf_str(&csv), csv.n);
  buf_free(&csv);
  db_stmt *s = db_query("SELECT status, rows_read, rows_loaded, rows_known, rows_rejected, error, report"
                        " FROM aid_charge_imports WHERE id=?", "i", id);
  if (id <= 0 || db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 503, _("Le chargement n’a pas pu être enregistré : réessayez dans un instant."));
    return;
  }
  json_t *out = json_object();
  json_object_set_new(out, "import", json_integer(id));
  json_object_set_new(out, "status", json_string(db_text(s, 0)));
  json_object_set_new(out, "rows", json_integer(db_int(s, 1)));
  json_object_set_new(out, "loaded", json_integer(db_int(s, 2)));
  json_object_set_new(out, "known", json_integer(db_int(s, 3)));
  json_object_set_new(out, "rejected", json_integer(db_int(s, 4)));
  if (*db_text(s, 5)) json_object_set_new(out, "error", json_string(db_text(s, 5)));
  int64_t total = 0;
  json_t *issues = report_issues(db_text(s, 6), &total), *list = json_array();
  int failed = !strcmp(db_text(s, 0), "failed"), rejected = db_int(s, 4) > 0;
  db_done(s);
  size_t i;
  json_t *e;
  json_array_foreach(issues, i, e) {
    int64_t line = json_integer_value(json_object_get(e, "line"));
    json_t *o = json_object();
    json_object_set_new(o, "index", line >= 2 ? json_integer(line - 2) : json_null());
    json_object_set(o, "field", json_object_get(e, "field"));
    json_object_set(o, "value", json_object_get(e, "value"));
    json_object_set(o, "rule", json_object_get(e, "rule"));
    json_object_set_new(o, "message",
                        json_string(api_message(r->a, json_string_value(json_object_get(e, "message")), line)));
    json_array_append_new(list, o);
  }
  json_decref(issues);
  json_object_set_new(out, "issues_total", json_integer(total));
  json_object_set_new(out, "issues", list);
  res_json(r, failed || rejected ? 422 : 200, out);
}

void charge_sessions_api(req *r) {
  int64_t org = account_org_of(r->me->id, NULL);
  if (!org) {
    res_error(r, 403, _("Ce compte n’est rattaché à aucune entreprise."));
    return;
  }
  api_load(r, CHARGE_SESSIONS, org, 0);
}

void charge_points_api(req *r) {
  const char *number = req_param(r, "number");
  int64_t org = account_org_of(r->me->id, NULL);
  dinfo dn;
  if (!org || !number || !dossier_load(r, 0, number, &dn) ||
      dn.org_id != org) {
    res_error(r, 404, _("Cette demande est introuvable."));
    return;
  }
  if (!charge_dossier_open(dn.status)) {
    const char *l = aid_dossier_status_label(dn.status);
    res_error(r, 409, arena_printf(r->a, _("La demande N° %s est « %s » : elle ne reçoit pas de données de charge."),
                                   dn.number, l ? l : dn.status));
    return;
  }
  api_load(r, CHARGE_POINTS, org, dn.id);
}
