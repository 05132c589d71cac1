/*
** privacy.c — what the heat feature holds about a person (core/privacy.h)
** and how long it keeps it.
**
** A contact request is made without an account, by e-mail address: an
** account's requests are those whose address is the account's. The export
** gives them with their history as the applicant was told it (status
** changes and the operator's e-mails, not the operators' reminders), the
** account's bulk eligibility files (what they were and how they ended:
** the files themselves are on their pages while they are kept), and the
** networks whose requests the account received as an operator.
**
** Deleting the account pseudonymises its requests (heat_request_pseudonymise)
** rather than deleting them: the operator's pipeline and the public
** statistics count them. The job "heat.retention" does the same, once a
** day, to every request closed (réalisé, abandonné, non réalisable) with no
** action for heat_retention_months, by batches of RETENTION_BATCH, each in
** its own transaction and audited.
*/
#include <math.h>
#include <stdio.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/privacy.h"
#include "features/heat/privacy.h"

#define RETENTION_EVERY (24 * 3600)   /* seconds between runs of heat.retention */
#define RETENTION_BATCH 500           /* requests pseudonymised per transaction */
#define SECONDS_PER_MONTH 2629746     /* a Gregorian month on average: 365.2425 × 86400 / 12 */
#define CLOSED_SQL "status IN ('realise', 'abandonne', 'non_realisable')"
#define HEAT_BULK_PURGE_JOB "heat.bulk.purge" /* bulk.c's: deletes the files whose row is gone */
#define ROUND_TO 1000.0               /* 1/1000 degree: about 110 m of latitude, 75 m of longitude here */

/* ------------------------------------------------------------- export */

int heat_export_user(int64_t uid, json_t *out, privacy_zip *zip) {
  UNUSED(zip);
  json_object_set_new(out, "requests", privacy_rows(db_query(
      "SELECT r.id, r.created_at, r.updated_at, r.address, r.commune, r.lon, r.lat, r.profile, r.structure_type,"
      " r.structure_name, r.energy, r.heating_mode, r.dwellings, r.surface_m2, r.last_name, r.first_name, r.email,"
      " r.phone, r.comment, r.eligibility, r.distance_m, n.name AS network, r.routed_to, r.status"
      " FROM heat_requests r LEFT JOIN heat_networks n ON n.id = r.network_id"
      " WHERE r.email = (SELECT email FROM users WHERE id = ?) ORDER BY r.id", "i", uid)));
  json_object_set_new(out, "request_history", privacy_rows(db_query(
      "SELECT h.request_id, h.at, h.kind, h.old_status, h.new_status, h.subject, h.comment"
      " FROM heat_request_history h JOIN heat_requests r ON r.id = h.request_id"
      " WHERE r.email = (SELECT email FROM users WHERE id = ?) AND h.kind <> 'reminder' ORDER BY h.request_id, h.id",
      "i", uid)));
  json_object_set_new(out, "bulk_files", privacy_rows(db_query(
      "SELECT id, filename, columns, rows_total, rows_done, rows_error, counts, status, error, created_at, started_at,"
      " finished_at FROM heat_bulk WHERE user_id = ? ORDER BY id", "i", uid)));
  json_object_set_new(out, "networks_operated", privacy_rows(db_query(
      "SELECT id, sncu_id, name FROM heat_networks WHERE operator_user_id = ? ORDER BY id", "i", uid)));
  return 0;
}

/* ------------------------------------------------------------- erasure */

int heat_request_pseudonymise(int64_t id) {
  db_stmt *s = db_query("SELECT lon, lat, commune FROM heat_requests WHERE id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return 0;
  }
  double lon = round(db_double(s, 0) * ROUND_TO) / ROUND_TO, lat = round(db_double(s, 1) * ROUND_TO) / ROUND_TO;
  char commune[256];
  snprintf(commune, sizeof commune, "%s", db_text(s, 2) ? db_text(s, 2) : "");
  db_done(s);
  return db_run("UPDATE heat_request_history SET comment = '' WHERE request_id = ?", "i", id) == DB_DONE &&
                 db_run("UPDATE heat_requests SET last_name = '', first_name = '', email = '', phone = '',"
                        " comment = '', address = ?, address_id = NULL, lon = ?, lat = ? WHERE id = ?",
                        "tddi", commune, lon, lat, id) == DB_DONE
             ? 0
             : -1;
}

void heat_erase_plan(int64_t uid, privacy_erasure *e) {
  privacy_section(e, _("Réseaux de chaleur"));
  const char *email = *privacy_email(e) ? privacy_email(e) : NULL;
  int64_t n = db_get_int(0, "SELECT count(*) FROM heat_requests WHERE email = ?", "t", email);
  if (n) {
    privacy_goes(e, _("Dans vos demandes de raccordement (%lld) : vos nom, prénom, e-mail, téléphone et commentaire, "
                      "l’adresse précise (réduite à la commune, le point arrondi à une centaine de mètres) et le texte "
                      "des messages de l’exploitant"), (long long)n);
    privacy_stays(e, _("Ces demandes, anonymes (commune, profil, chauffage, réseau, statut et dates), pour le suivi de "
                       "l’exploitant et les statistiques publiques ; l’exploitant ne peut plus vous écrire"));
  }
  n = db_get_int(0, "SELECT count(*) FROM heat_bulk WHERE user_id = ?", "i", uid);
  if (n) privacy_goes(e, _("Vos fichiers d’adresses testés en masse (%lld) et leurs résultats"), (long long)n);
  n = db_get_int(0, "SELECT count(*) FROM heat_networks WHERE operator_user_id = ?", "i", uid);
  if (n) privacy_stays(e, _("Les réseaux dont vous receviez les demandes (%lld) : ils n’ont plus de compte exploitant, "
                            "l’administrateur du territoire en désigne un autre"), (long long)n);
  n = db_get_int(0, "SELECT count(*) FROM heat_request_history WHERE user_id = ?", "i", uid);
  if (n) privacy_stays(e, _("Vos actions sur les demandes (%lld), dans leur historique, sans votre nom"), (long long)n);
}

int heat_erase_user(int64_t uid, privacy_erasure *e) {
  /* The rows of heat_bulk go with the users row; their files, with the
  ** purge that deletes files without a row, run at once (after commit). */
  if (db_get_int(0, "SELECT 1 FROM heat_bulk WHERE user_id = ? LIMIT 1", "i", uid) &&
      job_enqueue(HEAT_BULK_PURGE_JOB, NULL, 0) < 0)
    return -1;
  if (!*privacy_email(e)) return 0;
  int64_t ids[RETENTION_BATCH];
  int n;
  do { /* the pseudonymised rows no longer match: each pass reads the next ones */
    n = 0;
    db_stmt *s = db_query("SELECT id FROM heat_requests WHERE email = ? LIMIT ?", "ti", privacy_email(e),
                          (int64_t)RETENTION_BATCH);
    while (n < RETENTION_BATCH && db_step(s) == DB_ROW) ids[n++] = db_int(s, 0);
    db_done(s);
    for (int i = 0; i < n; i++)
      if (heat_request_pseudonymise(ids[i]) != 0) return -1;
  } while (n == RETENTION_BATCH);
  return 0;
}

/* ------------------------------------------------------------- retention */

/* One batch: 1 if it was full (more may wait), 0 when done, -1 on error. */
static int retention_batch(int64_t before, int *total) {
  if (db_begin_write() != 0) return -1;
  int64_t ids[RETENTION_BATCH];
  int n = 0;
  db_stmt *s = db_query("SELECT id FROM heat_requests WHERE " CLOSED_SQL " AND updated_at < ? AND email <> '' LIMIT ?",
                        "ii", before, (int64_t)RETENTION_BATCH);
  while (n < RETENTION_BATCH && db_step(s) == DB_ROW) ids[n++] = db_int(s, 0);
  db_done(s);
  int ok = 1;
  for (int i = 0; ok && i < n; i++) ok = heat_request_pseudonymise(ids[i]) == 0;
  char detail[96];
  snprintf(detail, sizeof detail, "%d demande(s) anonymisée(s)", n);
  ok = ok && (n == 0 || audit_log(0, "heat.retention", "heat_requests", "", detail) >= 0);
  if (!ok || db_commit() != 0) {
    db_rollback();
    return -1;
  }
  *total += n;
  return n == RETENTION_BATCH;
}

static int retention_job(json_t *payload, char **err) {
  UNUSED(payload);
  int64_t months = config_int(HEAT_CONF_RETENTION_MONTHS);
  if (months <= 0) return 0;
  int64_t before = now_unix() - months * SECONDS_PER_MONTH;
  int total = 0, rc;
  while ((rc = retention_batch(before, &total)) == 1) {}
  if (total) log_info("heat", "retention: %d request(s) pseudonymised", total);
  if (rc < 0) {
    *err = xstrdup("heat.retention: a batch could not be written (retried)");
    return -1;
  }
  return 0;
}

void heat_privacy_init(void) {
  job_register("heat.retention", retention_job);
  job_every("heat.retention", RETENTION_EVERY);
}
