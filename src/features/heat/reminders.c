/*
** reminders.c — the reminder job "heat.reminders": operators are told by
** e-mail of the requests that wait for them (à traiter, en attente de prise
** en charge) with no action for heat_reminder_days (7 by default).
**
** An action is anything that moves updated_at: a status change or a
** comment (page or API), an e-mail written to the applicant. A request is
** due when both its last action and its last reminder (reminded_at) are
** older than the delay, so it is reminded once per delay without action,
** however often the job runs. The job runs every hour; it sends one e-mail
** per network and recipient, listing that network's due requests, and in
** the same write transaction sets reminded_at and writes a 'reminder'
** history row for each: a run that fails sends nothing (the outbox is in
** the transaction), a run that succeeds is never repeated.
**
** Recipients (heat_recipients): the network's operator account and the
** members of its operator organisation who hold the operator role, when
** active; else the network's contact address; else, and for requests no
** network took, the energy agency (heat_agency_email).
**
** Memory: one arena per run, freed before returning.
*/
#include <string.h>

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/mail.h"
#include "features/heat/heat_int.h"
#include "features/heat/privacy.h"

#define REMINDER_EVERY (3600)      /* seconds between runs: a reminder is at most an hour late */
#define REMINDER_LIST_MAX 200      /* requests listed in one e-mail; the rest wait for the next run */
#define REMINDER_NETWORKS_MAX 1000 /* networks handled per run (a territory has a few dozen) */

/* The statuses in which a request waits for its operator. */
#define WAITING_SQL "status IN ('a_traiter', 'attente')"

int heat_recipients(arena *a, int64_t network_id, const char **out, int max) {
  int n = 0;
  if (network_id > 0) {
    db_stmt *s = db_query("SELECT u.email FROM users u WHERE u.status = 'active' AND (u.id = (SELECT operator_user_id"
                          " FROM heat_networks WHERE id = ?) OR u.id IN (SELECT m.user_id FROM org_members m"
                          " JOIN user_roles ur ON ur.user_id = m.user_id AND ur.role = 'operator'"
                          " WHERE m.org_id = (SELECT operator_org_id FROM heat_networks WHERE id = ?)))"
                          " ORDER BY u.email", "ii", network_id, network_id);
    while (n < max && db_step(s) == DB_ROW) out[n++] = arena_strdup(a, db_text(s, 0));
    db_done(s);
    if (n == 0) {
      char *z = db_get_text(a, "SELECT operator_email FROM heat_networks WHERE id = ?", "i", network_id);
      if (z && *z) out[n++] = z;
    }
  }
  if (n == 0 && max > 0) out[n++] = config_str(HEAT_CONF_AGENCY);
  return n;
}

/* Reminds the recipients of one network (0: the agency) of its due
** requests, in one write transaction. Returns how many requests were
** reminded, or -1 (nothing sent). */
static int remind_network(arena *a, int64_t network_id, int64_t now, int64_t before, int days) {
  if (db_begin_write() != 0) return -1;
  db_stmt *s = db_query("SELECT id, created_at, address, status FROM heat_requests WHERE " WAITING_SQL
                        " AND coalesce(network_id, 0) = ? AND updated_at <= ? AND coalesce(reminded_at, 0) <= ?"
                        " ORDER BY created_at, id LIMIT ?",
                        "iiii", network_id, before, before, (int64_t)REMINDER_LIST_MAX);
  int64_t ids[REMINDER_LIST_MAX];
  const char *status[REMINDER_LIST_MAX];
  int n = 0, rc;
  buf list = {0};
  while ((rc = db_step(s)) == DB_ROW) {
    ids[n] = db_int(s, 0);
    status[n] = arena_strdup(a, db_text(s, 3));
    const char *label = heat_status_label(status[n]);
    buf_printf(&list, _("- n° %lld, reçue le %s : %s (%s)\n  %s/operateur/demandes/%lld\n"), (long long)ids[n],
               fmt_datetime(a, db_int(s, 1), ""), db_text(s, 2), label ? label : status[n], http_base_url(),
               (long long)ids[n]);
    n++;
  }
  db_done(s);
  int ok = rc == DB_DONE;
  if (ok && n > 0) {
    buf b = {0};
    buf_printf(&b,
               _("Bonjour,\n\nCes demandes de raccordement attendent une action de votre part depuis plus de %d "
                 "jours :\n\n%s\nChanger leur statut ou écrire au demandeur depuis la page de la demande arrête "
                 "les relances.\n\n— %s\n"),
               days, buf_str(&list), config_str("territory_name"));
    const char *to[16];
    int nto = heat_recipients(a, network_id, to, 16);
    const char *subject = n == 1 ? _("Une demande de raccordement attend votre réponse")
                                 : arena_printf(a, _("%d demandes de raccordement attendent votre réponse"), n);
    for (int i = 0; ok && i < nto; i++) ok = mail_send(to[i], subject, buf_str(&b)) > 0;
    const char *note = arena_printf(a, _("Relance envoyée à l’exploitant : aucune action depuis %d jours."), days);
    for (int i = 0; ok && i < n; i++)
      ok = db_run("UPDATE heat_requests SET reminded_at = ? WHERE id = ?", "ii", now, ids[i]) == DB_DONE &&
           db_run("INSERT INTO heat_request_history(request_id, at, old_status, new_status, comment, kind)"
                  " VALUES(?, ?, ?, ?, ?, 'reminder')", "iittt", ids[i], now, status[i], status[i], note) == DB_DONE;
    buf_free(&b);
  }
  buf_free(&list);
  if (!ok || db_commit() != 0) {
    db_rollback();
    return -1;
  }
  return n;
}

static int reminders_job(json_t *payload, char **err) {
  (void)payload;
  int64_t days = config_int(HEAT_CONF_REMINDER_DAYS);
  int64_t now = now_unix(), before = now - days * 86400;
  int64_t nets[REMINDER_NETWORKS_MAX];
  int nnet = 0, rc;
  db_stmt *s = db_query("SELECT DISTINCT coalesce(network_id, 0) FROM heat_requests WHERE " WAITING_SQL
                        " AND updated_at <= ? AND coalesce(reminded_at, 0) <= ? LIMIT ?",
                        "iii", before, before, (int64_t)REMINDER_NETWORKS_MAX);
  while ((rc = db_step(s)) == DB_ROW) nets[nnet++] = db_int(s, 0);
  db_done(s);
  if (rc != DB_DONE) {
    *err = xstrdup("heat.reminders: database error listing the due requests");
    return -1;
  }
  arena *a = arena_new();
  int failed = 0, total = 0;
  for (int i = 0; i < nnet; i++) {
    int n = remind_network(a, nets[i], now, before, (int)days);
    if (n < 0) failed++;
    else total += n;
  }
  arena_free(a);
  if (total) log_info("heat", "reminders: %d request(s) reminded", total);
  if (failed) {
    *err = xstrdup("heat.reminders: a network's reminders could not be written (retried)");
    return -1;
  }
  return 0;
}

void heat_jobs_init(void) {
  job_register("heat.reminders", reminders_job);
  job_every("heat.reminders", REMINDER_EVERY);
  heat_privacy_init(); /* heat.retention (privacy.c) */
}
