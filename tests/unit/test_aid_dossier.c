/*
** test_aid_dossier.c — the life of an aid request (features/aid/dossier.h):
** the table of allowed moves, and on a fresh database the envelope
** committed by a validation and released by a cancellation, a validation
** refused when the envelope is too small, the history and e-mails, the
** amendment that cancels and replaces, and the expiry job.
*/
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/util.h"
#include "features/aid/aid.h"
#include "features/aid/dossier.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */
static arena *A; /* for db_get_text */

static void setup(void) {
  A = arena_new();
  cr_assert_geq(sodium_init(), 0);
  testdb_open(&T, "dossier");
  config_set("smtp_url", "");
  mail_init();
  int64_t now = now_unix();
  cr_assert_eq(db_run("INSERT INTO users(id, email, password_hash, status, created_at) VALUES"
                      " (1, 'pose@exemple.fr', 'x', 'active', ?), (2, 'instr@exemple.fr', 'x', 'active', ?),"
                      " (3, 'admin@exemple.fr', 'x', 'active', ?)", "iii", now, now, now), DB_DONE);
  cr_assert_eq(db_run("INSERT INTO user_roles VALUES (2, 'instructor'), (3, 'territory_admin')", ""), DB_DONE);
  cr_assert_eq(db_run("INSERT INTO organisations(id, siret, kind, name, address, postcode, city, contact_email,"
                      " contact_phone, created_at, updated_at) VALUES(1, '73282932000074', 'Entreprise', 'Pose',"
                      " '1 rue', '17000', 'La Rochelle', 'c@exemple.fr', '0546000000', ?, ?)", "ii", now, now),
               DB_DONE);
  /* 50 %, cap 600 € per point, envelope 3 000 €, 10 points at most. */
  cr_assert_eq(db_run("INSERT INTO aid_programmes(id, name, target, rate_bp, cap_cents, eligible_costs, budget_cents,"
                      " max_points, opens_on, closes_on, created_at, updated_at) VALUES(1, 'Test',"
                      " 'residentiel_collectif', 5000, 60000, 'tout', 300000, 10, '2020-01-01', '2099-12-31', ?, ?)",
                      "ii", now, now), DB_DONE);
}

static void teardown(void) {
  arena_free(A);
  testdb_close(&T);
}

/* A submitted dossier of `points` points costing cost_cents. */
static int64_t submitted(int64_t points, int64_t cost_cents) {
  int64_t id = aid_dossier_create(1, 1, 1);
  cr_assert_gt(id, 0);
  cr_assert_eq(db_run("UPDATE aid_dossiers SET points=?, cost_cents=? WHERE id=?", "iii", points, cost_cents, id),
               DB_DONE);
  char msg[256] = "";
  cr_assert_eq(aid_dossier_move(id, "deposee", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_OK, "%s", msg);
  return id;
}

static int64_t committed_cents(void) {
  return db_get_int(-1, "SELECT committed_cents FROM aid_programmes WHERE id=1", "");
}

Test(dossier_rules, moves_by_actor) {
  cr_assert(aid_transition_allowed("brouillon", "deposee", AID_APPLICANT));
  cr_assert_not(aid_transition_allowed("brouillon", "deposee", AID_INSTRUCTOR));
  cr_assert(aid_transition_allowed("deposee", "validee", AID_INSTRUCTOR));
  cr_assert_not(aid_transition_allowed("deposee", "validee", AID_APPLICANT));
  cr_assert(aid_transition_allowed("complements", "en_instruction", AID_APPLICANT));
  cr_assert(aid_transition_allowed("validee", "expiree", AID_PLATFORM));
  cr_assert_not(aid_transition_allowed("validee", "expiree", AID_INSTRUCTOR));
  cr_assert_not(aid_transition_allowed("versee", "annulee", AID_INSTRUCTOR));
  cr_assert_not(aid_transition_allowed("refusee", "validee", AID_INSTRUCTOR));
  cr_assert_not(aid_transition_allowed("brouillon", "inconnu", AID_APPLICANT));
  cr_assert(aid_transition_needs_reason("refusee", AID_INSTRUCTOR));
  cr_assert(aid_transition_needs_reason("annulee", AID_INSTRUCTOR));
  cr_assert_not(aid_transition_needs_reason("annulee", AID_APPLICANT));
  cr_assert_str_eq(aid_dossier_status_label("complements"), "Compléments demandés");
  cr_assert_null(aid_dossier_status_label("nope"));
}

TestSuite(dossier, .init = setup, .fini = teardown);

Test(dossier, number_submission_amount_and_history) {
  int64_t id = submitted(2, 300000); /* min(50 % × 3 000, 2 × 600) = 1 200 € */
  char *num = db_get_text(A, "SELECT number FROM aid_dossiers WHERE id=?", "i", id);
  cr_assert(num && !strncmp(num, "AV-", 3) && strlen(num) == 14, "%s", num);
  cr_assert_eq(db_get_int(0, "SELECT amount_cents FROM aid_dossiers WHERE id=?", "i", id), 120000);
  cr_assert_gt(db_get_int(0, "SELECT submitted_at FROM aid_dossiers WHERE id=?", "i", id), 0);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM aid_dossier_events WHERE dossier_id=? AND to_status='deposee'",
                          "i", id), 1);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM outbox WHERE to_addr='pose@exemple.fr'", ""), 1);
  /* Not by the applicant, not twice. */
  char msg[256];
  cr_assert_eq(aid_dossier_move(id, "validee", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_NOT_ALLOWED);
  cr_assert_eq(aid_dossier_move(id, "deposee", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_NOT_ALLOWED);
  cr_assert(strstr(msg, "ne peut pas passer"), "%s", msg);
  cr_assert_eq(aid_dossier_move(id, "refusee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_REASON);
  cr_assert_eq(aid_dossier_move(99, "refusee", AID_INSTRUCTOR, 2, "x", msg, sizeof msg), AID_MOVE_NOT_FOUND);
  cr_assert_eq(aid_dossier_move(id, "refusee", AID_INSTRUCTOR, 2, "devis non signé", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM aid_dossier_events WHERE dossier_id=? AND comment='devis non signé'"
                          " AND user_id=2", "i", id), 1);
  cr_assert_eq(committed_cents(), 0);
}

Test(dossier, envelope_committed_released_and_never_exceeded) {
  int64_t a = submitted(2, 300000), b = submitted(2, 300000), c = submitted(2, 300000);
  char msg[256];
  cr_assert_eq(aid_dossier_move(a, "validee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(committed_cents(), 120000);
  cr_assert_eq(aid_dossier_move(b, "validee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(committed_cents(), 240000);
  /* 80 % reached: the admins are warned once. */
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM outbox WHERE to_addr='admin@exemple.fr'", ""), 1);
  /* 1 200 € more would exceed 3 000 €: refused, nothing changes. */
  cr_assert_eq(aid_dossier_move(c, "validee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_BUDGET);
  cr_assert(strstr(msg, "ne suffit plus"), "%s", msg);
  cr_assert_eq(committed_cents(), 240000);
  cr_assert_str_eq(db_get_text(A, "SELECT status FROM aid_dossiers WHERE id=?", "i", c), "deposee");
  /* The programme now refuses a new 1 200 € request at submission. */
  int64_t d = aid_dossier_create(1, 1, 1);
  db_run("UPDATE aid_dossiers SET points=2, cost_cents=300000 WHERE id=?", "i", d);
  cr_assert_eq(aid_dossier_move(d, "deposee", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_CLOSED);
  /* Cancelling a validated dossier gives its amount back. */
  cr_assert_eq(aid_dossier_move(a, "annulee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_REASON);
  cr_assert_eq(aid_dossier_move(a, "annulee", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(committed_cents(), 120000);
  cr_assert_eq(aid_dossier_move(c, "validee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(db_get_int(0, "SELECT committed_points FROM aid_programmes WHERE id=1", ""), 4);
  /* Proofs, payment request, payment. */
  /* The move itself checks the proofs, whoever calls it. */
  cr_assert_eq(aid_dossier_move(c, "justificatifs", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_INCOMPLETE);
  cr_assert(strstr(msg, "Facture acquittée"), "%s", msg);
  for (int i = 0; i < aid_nproof_kinds; i++)
    cr_assert_eq(db_run("INSERT INTO aid_dossier_docs(dossier_id, kind, filename, mime, size, hash, created_at)"
                        " VALUES(?, ?, 'p.pdf', 'application/pdf', 1, 'h', 0)", "it", c, aid_proof_kinds[i].kind),
                 DB_DONE);
  cr_assert_eq(aid_dossier_move(c, "justificatifs", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(aid_dossier_move(c, "versement", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(aid_dossier_move(c, "versee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(db_get_int(0, "SELECT paid_cents FROM aid_dossiers WHERE id=?", "i", c), 120000);
  cr_assert_eq(committed_cents(), 240000);
}

Test(dossier, documents_asked_for_come_before_the_answer) {
  int64_t a = submitted(1, 100000);
  char msg[256];
  cr_assert_eq(aid_dossier_move(a, "complements", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(db_run("INSERT INTO aid_doc_requests(dossier_id, label, requested_at) VALUES(?, 'RIB', 0)", "i", a),
               DB_DONE);
  cr_assert_eq(aid_dossier_move(a, "en_instruction", AID_APPLICANT, 1, "", msg, sizeof msg), AID_MOVE_INCOMPLETE);
  cr_assert(strstr(msg, "1 pièce(s)"), "%s", msg);
  /* The instructor may take it back without them. */
  cr_assert_eq(aid_dossier_move(a, "en_instruction", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
}

Test(dossier, amendment_cancels_and_replaces) {
  int64_t a = submitted(1, 100000);
  char msg[256] = "";
  int64_t b = aid_dossier_amend(a, 1, msg, sizeof msg);
  cr_assert_gt(b, 0, "%s", msg);
  char *nb = db_get_text(A, "SELECT number FROM aid_dossiers WHERE id=?", "i", b);
  char *reason = db_get_text(A, "SELECT reason FROM aid_dossiers WHERE id=?", "i", a);
  cr_assert(strstr(reason, nb) && strstr(reason, "remplacée par"), "%s", reason);
  cr_assert_eq(db_get_int(0, "SELECT replaced_by_id FROM aid_dossiers WHERE id=?", "i", a), b);
  cr_assert_eq(db_get_int(0, "SELECT replaces_id FROM aid_dossiers WHERE id=?", "i", b), a);
  cr_assert_str_eq(db_get_text(A, "SELECT status||points||cost_cents FROM aid_dossiers WHERE id=?", "i", b),
                   "brouillon1100000");
  /* A cancelled dossier cannot be amended again. */
  cr_assert_eq(aid_dossier_amend(a, 1, msg, sizeof msg), -1);
  cr_assert(strstr(msg, "Annulée"), "%s", msg);
}

Test(dossier, expiry_job) {
  int64_t a = submitted(1, 100000);
  char msg[256];
  cr_assert_eq(aid_dossier_move(a, "validee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK);
  cr_assert_eq(committed_cents(), 50000);
  cr_assert_eq(aid_dossier_expire_due("2000-01-01"), 0);
  db_run("UPDATE aid_dossiers SET proofs_due_on='2001-01-01' WHERE id=?", "i", a);
  cr_assert_eq(aid_dossier_expire_due("2001-01-02"), 1);
  cr_assert_str_eq(db_get_text(A, "SELECT status FROM aid_dossiers WHERE id=?", "i", a), "expiree");
  cr_assert_eq(committed_cents(), 0);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM aid_dossier_events WHERE dossier_id=? AND user_id IS NULL", "i", a),
               1);
}

Test(dossier, move_joins_the_callers_transaction) {
  int64_t id = submitted(1, 100000);
  char msg[256] = "";
  int64_t mails = db_get_int(0, "SELECT count(*) FROM outbox", "");
  /* Rolled back by the caller: nothing of the move stays. */
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_gt(db_insert("INSERT INTO aid_doc_requests(dossier_id, label, requested_at) VALUES(?, 'RIB', 1)", NULL,
                         "i", id), 0);
  cr_assert_eq(aid_dossier_move(id, "complements", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK, "%s", msg);
  cr_assert(db_in_transaction(), "the move must leave the caller's transaction open");
  db_rollback();
  cr_assert_str_eq(db_get_text(A, "SELECT status FROM aid_dossiers WHERE id=?", "i", id), "deposee");
  cr_assert_eq(db_get_int(-1, "SELECT count(*) FROM aid_doc_requests", ""), 0);
  cr_assert_eq(db_get_int(0, "SELECT count(*) FROM outbox", ""), mails);
  /* Committed: the e-mail lists the open requests. */
  cr_assert_eq(db_begin_write(), 0);
  db_insert("INSERT INTO aid_doc_requests(dossier_id, label, requested_at) VALUES(?, 'RIB du bénéficiaire', 1)", NULL,
            "i", id);
  db_insert("INSERT INTO aid_doc_requests(dossier_id, label, requested_at, fulfilled_at) VALUES(?, 'Déjà reçu', 1, 2)",
            NULL, "i", id);
  cr_assert_eq(aid_dossier_move(id, "complements", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_OK, "%s", msg);
  cr_assert_eq(db_commit(), 0);
  char *body = db_get_text(A, "SELECT body FROM outbox ORDER BY id DESC LIMIT 1", "");
  cr_assert(body && strstr(body, "  - RIB du bénéficiaire\n") && !strstr(body, "Déjà reçu"), "%s", body);
  /* A refused move inside a transaction leaves it to the caller too. */
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_eq(aid_dossier_move(id, "versee", AID_INSTRUCTOR, 2, "", msg, sizeof msg), AID_MOVE_NOT_ALLOWED);
  cr_assert(db_in_transaction());
  db_rollback();
}
