/*
** privacy.c — what the aid feature holds about a person, for the export of
** their data and the deletion of their account (core/privacy.h).
**
** What is theirs: the labels, equipment, requests ("dossiers") and
** charging-data imports of their company (what they see in the
** application), plus any request they created or whose contact they are
** in another company; the non-internal history, documents, requested
** documents and messages of those requests; the messages they sent
** through the contact form (by account or by address). Instructors'
** private notes and internal history rows are not part of the export, as
** they are not shown to applicants.
**
** Deleting the account:
**   - a submitted request is an administrative record of public aid: it is
**     kept with its history, documents and messages, and the person is
**     detached from it (user_id NULL, messages signed "compte supprimé") and
**     erased from its contact (name replaced by AID_CONTACT_ERASED, e-mail
**     and phone emptied; the beneficiary's e-mail too when it is theirs), in
**     every request they created or whose contact address is theirs; a
**     history row says so. The beneficiary stays: the aid is theirs.
**   - when they are their company's last member, the company's drafts go
**     (nobody is left to finish them); if the company has submitted
**     requests or charging data, those stay, and so do the company (marked
**     with privacy_keep for the account feature), its labels and its
**     equipment, the records those requests rest on; otherwise its labels
**     and equipment go with their documents.
**   - messages sent through the contact form go.
*/
#include <stdio.h>

#include "core/db.h"
#include "core/i18n.h"
#include "core/privacy.h"
#include "features/account/account.h"
#include "features/aid/privacy.h"

/* The requests that are the person's (see above): binds org, uid, uid. */
#define MINE_SQL                                                                                                    \
  "(d.org_id = ? OR d.user_id = ? OR lower(d.contact_email) = (SELECT email FROM users WHERE id = ?))"
/* The requests whose contact the deletion erases: binds uid, email. */
#define CONTACT_SQL "(user_id = ? OR lower(contact_email) = ?)"

/* ------------------------------------------------------------- export */

/* Document rows of s, each with its stored file added to the zip in the
** folder "<top>/<column 1>": column 0 is the document's id, column 1
** ("folder") its item's number or id, column 2 its file name, the last
** one ("hash") the stored file; "folder" and "hash" are replaced by
** "file", the name in the zip. */
static json_t *docs_json(db_stmt *s, privacy_zip *zip, const char *top) {
  json_t *a = json_array();
  int last = db_cols(s) - 1;
  while (db_step(s) == DB_ROW) {
    json_t *o = privacy_row(s);
    char dir[96];
    snprintf(dir, sizeof dir, "%s/%s", top, db_text(s, 1));
    const char *name = privacy_zip_add(zip, db_text(s, last), dir, db_int(s, 0), db_text(s, 2));
    json_object_del(o, "hash");
    json_object_del(o, "folder");
    json_object_set_new(o, "file", name ? json_string(name) : json_null());
    json_array_append_new(a, o);
  }
  db_done(s);
  return a;
}

/* The company's items and those the person made elsewhere: each query
** binds uid (for its "…_by_me" column), org, uid. */
static const struct {
  const char *key;         /* in the export */
  const char *sql;
} org_parts[] = {
    {"labels", "SELECT id, status, name, departements, parking, housing, company, description, reason, decided_at,"
               " created_at, updated_at, user_id = ? AS asked_by_me FROM aid_labels WHERE org_id = ? OR user_id = ?"
               " ORDER BY id"},
    {"label_history", "SELECT e.label_id, e.at, e.status, e.comment, e.user_id = ? AS by_me FROM aid_label_events e"
                      " JOIN aid_labels l ON l.id = e.label_id WHERE l.org_id = ? OR l.user_id = ? ORDER BY e.id"},
    {"equipment", "SELECT id, status, brand, model, reference, power_max_w, power_min_w, plug, reason, decided_at,"
                  " created_at, updated_at, user_id = ? AS declared_by_me FROM aid_equipment"
                  " WHERE org_id = ? OR user_id = ? ORDER BY id"},
    {"equipment_history", "SELECT e.equipment_id, e.at, e.status, e.comment, e.user_id = ? AS by_me"
                          " FROM aid_equipment_events e JOIN aid_equipment q ON q.id = e.equipment_id"
                          " WHERE q.org_id = ? OR q.user_id = ? ORDER BY e.id"},
    {"charge_imports", "SELECT id, dossier_id, kind, source, filename, size, status, rows_read, rows_loaded,"
                       " rows_known, rows_rejected, error, created_at, started_at, finished_at, user_id = ? AS by_me"
                       " FROM aid_charge_imports WHERE org_id = ? OR user_id = ? ORDER BY id"},
};

int aid_export_user(int64_t uid, json_t *out, privacy_zip *zip) {
  int64_t org = account_org_of(uid, NULL);
  for (size_t i = 0; i < ARRAY_SIZE(org_parts); i++)
    json_object_set_new(out, org_parts[i].key, privacy_rows(db_query(org_parts[i].sql, "iii", uid, org, uid)));
  json_object_set_new(out, "equipment_documents", docs_json(db_query(
      "SELECT x.id, CAST(x.equipment_id AS TEXT) AS folder, x.filename, x.equipment_id, x.mime, x.size, x.created_at,"
      " x.user_id = ? AS uploaded_by_me, x.hash FROM aid_equipment_docs x JOIN aid_equipment q ON q.id = x.equipment_id"
      " WHERE q.org_id = ? OR q.user_id = ? ORDER BY x.id", "iii", uid, org, uid), zip, "materiels"));

  json_object_set_new(out, "requests", privacy_rows(db_query(
      "SELECT d.id, d.number, p.name AS programme, d.status, d.label_id, d.site_address, d.site_postcode, d.site_city,"
      " d.departement, d.site_lon, d.site_lat, d.points, d.cost_cents, d.with_bonus, d.contact_name, d.contact_email,"
      " d.contact_phone, d.beneficiary_kind, d.beneficiary_name, d.beneficiary_siret, d.beneficiary_email,"
      " d.beneficiary_address, d.extra, d.amount_cents, d.granted_cents, d.paid_cents, d.replaces_id, d.replaced_by_id,"
      " d.reason, d.proofs_due_on, d.created_at, d.updated_at, d.submitted_at, d.decided_at, d.paid_at,"
      " d.user_id = ? AS created_by_me FROM aid_dossiers d JOIN aid_programmes p ON p.id = d.programme_id"
      " WHERE " MINE_SQL " ORDER BY d.id", "iiii", uid, org, uid, uid)));
  json_object_set_new(out, "request_history", privacy_rows(db_query(
      "SELECT e.dossier_id, e.at, e.kind, e.from_status, e.to_status, e.comment, e.user_id = ? AS by_me"
      " FROM aid_dossier_events e JOIN aid_dossiers d ON d.id = e.dossier_id WHERE e.internal = 0 AND " MINE_SQL
      " ORDER BY e.dossier_id, e.id", "iiii", uid, org, uid, uid)));
  json_object_set_new(out, "request_documents", docs_json(db_query(
      "SELECT x.id, coalesce(d.number, CAST(d.id AS TEXT)) AS folder, x.filename, x.dossier_id, x.kind, x.message_id,"
      " x.mime, x.size, x.created_at, x.user_id = ? AS uploaded_by_me, x.hash FROM aid_dossier_docs x"
      " JOIN aid_dossiers d ON d.id = x.dossier_id WHERE " MINE_SQL " ORDER BY x.dossier_id, x.id",
      "iiii", uid, org, uid, uid), zip, "demandes"));
  json_object_set_new(out, "requested_documents", privacy_rows(db_query(
      "SELECT q.dossier_id, q.label, q.requested_at, q.doc_id, q.fulfilled_at FROM aid_doc_requests q"
      " JOIN aid_dossiers d ON d.id = q.dossier_id WHERE " MINE_SQL " ORDER BY q.dossier_id, q.id",
      "iii", org, uid, uid)));
  json_object_set_new(out, "request_messages", privacy_rows(db_query(
      "SELECT m.dossier_id, m.created_at, m.from_staff, m.body, m.user_id = ? AS mine FROM aid_messages m"
      " JOIN aid_dossiers d ON d.id = m.dossier_id WHERE " MINE_SQL " ORDER BY m.dossier_id, m.id",
      "iiii", uid, org, uid, uid)));
  json_object_set_new(out, "contact_messages", privacy_rows(db_query(
      "SELECT id, name, email, subject, message, ip, created_at, read_at FROM contact_messages"
      " WHERE user_id = ? OR email = (SELECT email FROM users WHERE id = ?) ORDER BY id", "ii", uid, uid)));
  return 0;
}

/* ------------------------------------------------------------- erasure */

/* 1 when the company has records that outlive its members: requests past
** the draft, or charging data. */
static int org_has_records(int64_t org) {
  return db_get_int(0, "SELECT 1 FROM aid_dossiers WHERE org_id = ? AND status <> 'brouillon' LIMIT 1", "i", org) ||
         db_get_int(0, "SELECT 1 FROM aid_charge_imports WHERE org_id = ? LIMIT 1", "i", org) ||
         db_get_int(0, "SELECT 1 FROM aid_charge_points WHERE org_id = ? LIMIT 1", "i", org);
}

/* The address to look for, or NULL (binds NULL: matches nothing). */
static const char *email_of(const privacy_erasure *e) {
  return *privacy_email(e) ? privacy_email(e) : NULL;
}

void aid_erase_plan(int64_t uid, privacy_erasure *e) {
  const char *email = email_of(e);
  int64_t org = account_org_of(uid, NULL);
  int last = org && account_org_size(org) == 1;
  int keeps = last && org_has_records(org);
  if (keeps) privacy_keep(e, "organisations", org);
  privacy_section(e, _("Aides à la recharge"));
  int64_t drafts = 0;
  if (last) {
    drafts = db_get_int(0, "SELECT count(*) FROM aid_dossiers WHERE org_id = ? AND status = 'brouillon'", "i", org);
    if (drafts) privacy_goes(e, _("Les demandes d’aide en brouillon de l’entreprise (%lld)"), (long long)drafts);
    int64_t nl = db_get_int(0, "SELECT count(*) FROM aid_labels WHERE org_id = ?", "i", org);
    int64_t ne = db_get_int(0, "SELECT count(*) FROM aid_equipment WHERE org_id = ?", "i", org);
    if (nl + ne && keeps)
      privacy_stays(e, _("Les labels (%lld) et matériels (%lld) de l’entreprise, sur lesquels reposent ses demandes "
                         "conservées"), (long long)nl, (long long)ne);
    else if (nl + ne)
      privacy_goes(e, _("Les labels (%lld) et matériels (%lld) de l’entreprise, avec leurs documents"), (long long)nl,
                   (long long)ne);
  } else if (org && (db_get_int(0, "SELECT 1 FROM aid_dossiers WHERE org_id = ? LIMIT 1", "i", org) ||
                     db_get_int(0, "SELECT 1 FROM aid_labels WHERE org_id = ? LIMIT 1", "i", org) ||
                     db_get_int(0, "SELECT 1 FROM aid_equipment WHERE org_id = ? LIMIT 1", "i", org))) {
    privacy_stays(e, _("Les labels, matériels et demandes d’aide de l’entreprise, qui restent à ses autres membres ; "
                       "votre nom n’y figure plus"));
  }
  /* The drafts counted above go; the other requests that are theirs are kept, without them. */
  int64_t n = db_get_int(0, "SELECT count(*) FROM aid_dossiers WHERE " CONTACT_SQL
                            " AND NOT (org_id = ? AND status = 'brouillon' AND ? = 1)", "itii", uid, email, org,
                         (int64_t)last);
  if (n) {
    privacy_goes(e, _("Dans les demandes d’aide que vous avez créées ou dont vous êtes le contact (%lld) : le nom, "
                      "l’e-mail et le téléphone du contact, remplacés par « %s »"), (long long)n, AID_CONTACT_ERASED);
    privacy_stays(e, _("Ces demandes elles-mêmes, avec leur historique, leurs pièces et les messages échangés (signés "
                       "« compte supprimé ») : ce sont des pièces administratives d’aides publiques, conservées pour la "
                       "durée légale d’archivage ; le bénéficiaire y reste nommé. Une demande en cours ne pourra plus "
                       "être suivie depuis votre compte"));
  }
  n = db_get_int(0, "SELECT count(*) FROM aid_charge_imports WHERE user_id = ?", "i", uid);
  if (n) privacy_stays(e, _("Les imports de données de recharge que vous avez faits (%lld), avec les demandes "
                            "auxquelles ils se rapportent, sans votre nom"), (long long)n);
  n = db_get_int(0, "SELECT (SELECT count(*) FROM aid_notes WHERE user_id = ?)"
                    " + (SELECT count(*) FROM aid_dossiers WHERE assignee_id = ?)"
                    " + (SELECT count(*) FROM aid_labels WHERE decided_by = ?)"
                    " + (SELECT count(*) FROM aid_equipment WHERE decided_by = ?)", "iiii", uid, uid, uid, uid);
  if (n) privacy_stays(e, _("Votre travail d’instruction (notes, demandes attribuées, décisions : %lld), dans les "
                            "dossiers, sans votre nom"), (long long)n);

  privacy_section(e, _("Formulaire de contact"));
  n = db_get_int(0, "SELECT count(*) FROM contact_messages WHERE user_id = ? OR email = ?", "it", uid, email);
  if (n) privacy_goes(e, _("Vos messages envoyés par le formulaire de contact (%lld)"), (long long)n);
}

/* Queues for removal the stored files named by the rows of a query that
** returns hashes. */
static void remove_files(privacy_erasure *e, db_stmt *s) {
  while (db_step(s) == DB_ROW) privacy_remove_file(e, db_text(s, 0));
  db_done(s);
}

int aid_erase_user(int64_t uid, privacy_erasure *e) {
  const char *email = email_of(e);
  int64_t org = account_org_of(uid, NULL), now = now_unix();
  int ok = 1;
  if (org && account_org_size(org) == 1) {
    remove_files(e, db_query("SELECT x.hash FROM aid_dossier_docs x JOIN aid_dossiers d ON d.id = x.dossier_id"
                             " WHERE d.org_id = ? AND d.status = 'brouillon'", "i", org));
    /* An amended request points at the draft that replaces it. */
    ok = db_run("UPDATE aid_dossiers SET replaced_by_id = NULL WHERE replaced_by_id IN (SELECT id FROM aid_dossiers"
                " WHERE org_id = ? AND status = 'brouillon')", "i", org) == DB_DONE &&
         db_run("DELETE FROM aid_dossiers WHERE org_id = ? AND status = 'brouillon'", "i", org) == DB_DONE;
    if (ok && !privacy_kept(e, "organisations", org)) {
      remove_files(e, db_query("SELECT x.hash FROM aid_equipment_docs x JOIN aid_equipment q ON q.id = x.equipment_id"
                               " WHERE q.org_id = ?", "i", org));
      ok = db_run("DELETE FROM aid_labels WHERE org_id = ?", "i", org) == DB_DONE &&
           db_run("DELETE FROM aid_equipment WHERE org_id = ?", "i", org) == DB_DONE;
    }
  }
  ok = ok &&
       db_run("INSERT INTO aid_dossier_events(dossier_id, at, kind, comment) SELECT id, ?, 'privacy', ?"
              " FROM aid_dossiers WHERE " CONTACT_SQL, "itit", now,
              "Coordonnées du contact effacées : son compte a été supprimé.", uid, email) == DB_DONE &&
       db_run("UPDATE aid_dossiers SET contact_name = ?, contact_email = '', contact_phone = '', beneficiary_email ="
              " CASE WHEN lower(beneficiary_email) = ? THEN '' ELSE beneficiary_email END, user_id = NULL,"
              " updated_at = ? WHERE " CONTACT_SQL, "ttiit", AID_CONTACT_ERASED, email, now, uid, email) == DB_DONE &&
       db_run("DELETE FROM contact_messages WHERE user_id = ? OR email = ?", "it", uid, email) == DB_DONE;
  return ok ? 0 : -1;
}
