/*
** dossier.c — the life of an aid request: the status table, the moves
** between statuses with their history, envelope and e-mail, amendments,
** and the expiry job. See dossier.h.
*/
#include "features/aid/dossier.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/mail.h"
#include "features/aid/aid.h"

const aid_dstatus aid_dossier_statuses[] = {
    {"brouillon", "Brouillon"},
    {"deposee", "Déposée"},
    {"en_instruction", "En instruction"},
    {"complements", "Compléments demandés"},
    {"validee", "Validée (offre de prime)"},
    {"justificatifs", "Justificatifs déposés"},
    {"versement", "Versement demandé"},
    {"versee", "Versée"},
    {"refusee", "Refusée"},
    {"annulee", "Annulée"},
    {"expiree", "Expirée"},
};
const int aid_ndossier_statuses = (int)ARRAY_SIZE(aid_dossier_statuses);

const char *aid_dossier_status_label(const char *code) {
  for (int i = 0; code && i < aid_ndossier_statuses; i++)
    if (!strcmp(aid_dossier_statuses[i].code, code)) return _(aid_dossier_statuses[i].label);
  return NULL;
}

const aid_proof_kind aid_proof_kinds[] = {
    {"offre_signee", N_("Offre de prime signée")},
    {"facture", N_("Facture acquittée")},
    {"pv_mise_en_service", N_("Procès-verbal de mise en service")},
};
const int aid_nproof_kinds = (int)ARRAY_SIZE(aid_proof_kinds);

/* Every allowed move: from, to, who. */
static const struct {
  const char *from, *to;
  int who;
} moves[] = {
    {"brouillon", "deposee", AID_APPLICANT},
    {"brouillon", "annulee", AID_APPLICANT},
    {"deposee", "en_instruction", AID_INSTRUCTOR},
    {"deposee", "complements", AID_INSTRUCTOR},
    {"deposee", "validee", AID_INSTRUCTOR},
    {"deposee", "refusee", AID_INSTRUCTOR},
    {"deposee", "annulee", AID_APPLICANT | AID_INSTRUCTOR},
    {"en_instruction", "complements", AID_INSTRUCTOR},
    {"en_instruction", "validee", AID_INSTRUCTOR},
    {"en_instruction", "refusee", AID_INSTRUCTOR},
    {"en_instruction", "annulee", AID_APPLICANT | AID_INSTRUCTOR},
    {"complements", "en_instruction", AID_APPLICANT | AID_INSTRUCTOR},
    {"complements", "validee", AID_INSTRUCTOR},
    {"complements", "refusee", AID_INSTRUCTOR},
    {"complements", "annulee", AID_APPLICANT | AID_INSTRUCTOR},
    {"validee", "justificatifs", AID_APPLICANT},
    {"validee", "annulee", AID_APPLICANT | AID_INSTRUCTOR},
    {"validee", "expiree", AID_PLATFORM},
    {"justificatifs", "versement", AID_APPLICANT},
    {"justificatifs", "validee", AID_INSTRUCTOR},
    {"justificatifs", "expiree", AID_PLATFORM},
    {"versement", "versee", AID_INSTRUCTOR},
    {"versement", "justificatifs", AID_INSTRUCTOR},
};

int aid_transition_allowed(const char *from, const char *to, aid_actor who) {
  for (size_t i = 0; from && to && i < ARRAY_SIZE(moves); i++)
    if (!strcmp(moves[i].from, from) && !strcmp(moves[i].to, to)) return (moves[i].who & (int)who) != 0;
  return 0;
}

int aid_transition_needs_reason(const char *to, aid_actor who) {
  return !strcmp(to, "refusee") || (who == AID_INSTRUCTOR && !strcmp(to, "annulee"));
}

static void say(char *msg, size_t n, const char *z) {
  if (msg && n) snprintf(msg, n, "%s", z);
}

/* The dossier's row, as a move needs it. */
typedef struct drow {
  char status[16];
  char number[32];
  int64_t programme_id, points, cost_cents, amount_cents, granted_cents, committed;
  int with_bonus;
  char email[256];           /* the applicant's contact, else the creator's address */
} drow;

static int drow_load(int64_t id, drow *d) {
  db_stmt *s = db_query("SELECT d.status, coalesce(d.number, ''), d.programme_id, d.points, d.cost_cents,"
                        " d.amount_cents, d.granted_cents, d.committed, d.with_bonus,"
                        " coalesce(nullif(d.contact_email, ''), u.email, '')"
                        " FROM aid_dossiers d LEFT JOIN users u ON u.id=d.user_id WHERE d.id=?",
                        "i", id);
  int found = db_step(s) == DB_ROW;
  if (found) {
    snprintf(d->status, sizeof d->status, "%s", db_text(s, 0));
    snprintf(d->number, sizeof d->number, "%s", db_text(s, 1));
    d->programme_id = db_int(s, 2);
    d->points = db_int(s, 3);
    d->cost_cents = db_int(s, 4);
    d->amount_cents = db_int(s, 5);
    d->granted_cents = db_int(s, 6);
    d->committed = db_int(s, 7);
    d->with_bonus = (int)db_int(s, 8);
    snprintf(d->email, sizeof d->email, "%s", db_text(s, 9));
  }
  db_done(s);
  return found;
}

/* Warns the territory's admins once when the envelope passes 80 %, then
** 95 % (of its amount or of its points, whichever is fuller). */
static int warn_admins(int64_t programme_id) {
  db_stmt *s = db_query("SELECT name, coalesce(budget_cents, 0), coalesce(max_points, 0), committed_cents,"
                        " committed_points, warned_pct FROM aid_programmes WHERE id=?",
                        "i", programme_id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return 0;
  }
  char name[512];
  snprintf(name, sizeof name, "%s", db_text(s, 0));
  int64_t budget = db_int(s, 1), maxp = db_int(s, 2), cc = db_int(s, 3), cp = db_int(s, 4), warned = db_int(s, 5);
  db_done(s);
  int64_t pct = 0;
  if (budget > 0) pct = cc * 100 / budget;
  if (maxp > 0 && cp * 100 / maxp > pct) pct = cp * 100 / maxp;
  int64_t level = pct >= 95 ? 95 : pct >= 80 ? 80 : 0;
  if (level <= warned) return 0;
  if (db_run("UPDATE aid_programmes SET warned_pct=? WHERE id=?", "ii", level, programme_id) != DB_DONE) return -1;
  char subject[600], body[2048], used[64], total[64];
  aid_format_euros(used, sizeof used, cc);
  aid_format_euros(total, sizeof total, budget);
  snprintf(subject, sizeof subject, _("Programme « %s » : enveloppe engagée à %lld %%"), name, (long long)pct);
  snprintf(body, sizeof body,
           _("Bonjour,\n\nL’enveloppe du programme « %s » est engagée à %lld %% : %s sur %s, %lld points "
             "sur %lld.\nÀ 100 %%, le programme n’accepte plus de nouvelle demande.\n\nTableau de bord : "
             "%s/admin/aides/tableau-de-bord\n\n— %s\n"),
           name, (long long)pct, used, budget ? total : _("pas d’enveloppe en euros"), (long long)cp,
           (long long)maxp, http_base_url(), config_str("territory_name"));
  s = db_query("SELECT DISTINCT u.email FROM users u JOIN user_roles r ON r.user_id=u.id"
               " WHERE r.role IN ('territory_admin', 'superadmin') AND u.status='active' ORDER BY u.email",
               "");
  int rc = 0;
  while (db_step(s) == DB_ROW)
    if (mail_send(db_text(s, 0), subject, body) < 0) rc = -1;
  db_done(s);
  return rc;
}

/* The applicant's e-mail for a new status. */
static int mail_applicant(int64_t id, const drow *d, const char *to, const char *reason) {
  if (!*d->email) return 0;
  char subject[256];
  buf b = {0};
  snprintf(subject, sizeof subject, _("Votre demande d’aide N° %s : %s"), d->number, aid_dossier_status_label(to));
  buf_printf(&b, _("Bonjour,\n\nVotre demande d’aide N° %s est maintenant : %s.\n"), d->number,
             aid_dossier_status_label(to));
  if (reason && *reason) buf_printf(&b, _("\nMotif : %s\n"), reason);
  if (!strcmp(to, "complements")) {
    buf_printf(&b, "%s", _("\nL’instructeur vous demande des pièces complémentaires : déposez-les depuis la page "
                           "de la demande.\n"));
    db_stmt *s = db_query("SELECT label FROM aid_doc_requests WHERE dossier_id=? AND fulfilled_at IS NULL ORDER BY id",
                          "i", id);
    while (db_step(s) == DB_ROW) buf_printf(&b, "  - %s\n", db_text(s, 0));
    db_done(s);
  }
  buf_printf(&b, _("\nSuivre la demande : %s/aides/dossiers/%lld\n\n— %s\n"), http_base_url(), (long long)id,
             config_str("territory_name"));
  int rc = mail_send(d->email, subject, buf_str(&b)) < 0 ? -1 : 0;
  buf_free(&b);
  return rc;
}

/* Checks and side effects of the move of dossier id (row d) to `to`, inside
** the transaction. Returns AID_MOVE_OK or the refusal. */
/* What the applicant still owes before moving to `to`, read inside the
** move's transaction (an instructor may be asking for more at that moment):
** AID_MOVE_INCOMPLETE with msg set, or AID_MOVE_OK. */
static aid_move_result applicant_owes(int64_t id, const drow *d, const char *to, char *msg, size_t n) {
  if (!strcmp(d->status, "complements") && !strcmp(to, "en_instruction")) {
    int64_t open = db_get_int(0, "SELECT count(*) FROM aid_doc_requests WHERE dossier_id=? AND fulfilled_at IS NULL",
                              "i", id);
    if (open) {
      if (msg && n)
        snprintf(msg, n, _("Il reste %lld pièce(s) demandée(s) à déposer avant de transmettre les compléments."),
                 (long long)open);
      return AID_MOVE_INCOMPLETE;
    }
  } else if (!strcmp(d->status, "validee") && !strcmp(to, "justificatifs")) {
    buf b = {0};
    for (int i = 0; i < aid_nproof_kinds; i++)
      if (!db_get_int(0, "SELECT count(*) FROM aid_dossier_docs WHERE dossier_id=? AND kind=? AND message_id IS NULL",
                      "it", id, aid_proof_kinds[i].kind))
        buf_printf(&b, "%s%s", b.n ? ", " : "", _(aid_proof_kinds[i].label));
    int lacking = b.n > 0;
    if (lacking && msg && n) snprintf(msg, n, _("Déposez d’abord : %s."), buf_str(&b));
    buf_free(&b);
    if (lacking) return AID_MOVE_INCOMPLETE;
  }
  return AID_MOVE_OK;
}

static aid_move_result apply_move(arena *a, int64_t id, drow *d, const char *to, char *msg, size_t n) {
  int64_t now = now_unix();
  char today[11];
  fmt_today(today);
  aid_rules ru;
  if (!aid_rules_load(a, d->programme_id, &ru)) return AID_MOVE_DB;
  if (!strcmp(to, "deposee")) {
    if (d->points <= 0 || d->cost_cents <= 0) {
      say(msg, n, _("La demande est incomplète : indiquez le nombre de points et le coût éligible."));
      return AID_MOVE_NOT_ALLOWED;
    }
    int64_t amount = aid_amount(&ru, d->cost_cents, d->points, d->with_bonus);
    aid_state st = aid_status(&ru, today, amount, d->points);
    if (st != AID_OPEN) {
      char why[256];
      aid_state_reason(st, &ru, why, sizeof why);
      say(msg, n, why);
      return AID_MOVE_CLOSED;
    }
    d->amount_cents = amount;
    if (db_run("UPDATE aid_dossiers SET amount_cents=?, submitted_at=coalesce(submitted_at, ?) WHERE id=?", "iii",
               amount, now, id) != DB_DONE)
      return AID_MOVE_DB;
  } else if (!strcmp(to, "validee") && !d->committed) {
    int64_t grant = d->amount_cents;
    if ((ru.budget_cents && ru.committed_cents + grant > ru.budget_cents) ||
        (ru.max_points && ru.committed_points + d->points > ru.max_points)) {
      char left[64];
      aid_format_euros(left, sizeof left, ru.budget_cents > ru.committed_cents ? ru.budget_cents - ru.committed_cents : 0);
      if (msg && n)
        snprintf(msg, n,
                 _("L’enveloppe du programme ne suffit plus : il reste %s et %lld point(s) ; la demande "
                   "N° %s porte sur %lld point(s)."),
                 ru.budget_cents ? left : _("un montant illimité"),
                 (long long)(ru.max_points ? ru.max_points - ru.committed_points : 0), d->number,
                 (long long)d->points);
      return AID_MOVE_BUDGET;
    }
    if (db_run("UPDATE aid_programmes SET committed_cents=committed_cents+?, committed_points=committed_points+?"
               " WHERE id=?", "iii", grant, d->points, d->programme_id) != DB_DONE ||
        db_run("UPDATE aid_dossiers SET granted_cents=?, committed=1, decided_at=?,"
               " proofs_due_on=date(?, '+' || (SELECT proofs_months FROM aid_programmes WHERE id=?) || ' months')"
               " WHERE id=?", "iitii", grant, now, today, d->programme_id, id) != DB_DONE ||
        warn_admins(d->programme_id) != 0)
      return AID_MOVE_DB;
  } else if ((!strcmp(to, "annulee") || !strcmp(to, "expiree")) && d->committed) {
    if (db_run("UPDATE aid_programmes SET committed_cents=committed_cents-?, committed_points=committed_points-?"
               " WHERE id=?", "iii", d->granted_cents, d->points, d->programme_id) != DB_DONE ||
        db_run("UPDATE aid_dossiers SET committed=0 WHERE id=?", "i", id) != DB_DONE)
      return AID_MOVE_DB;
  } else if (!strcmp(to, "refusee")) {
    if (db_run("UPDATE aid_dossiers SET decided_at=? WHERE id=?", "ii", now, id) != DB_DONE) return AID_MOVE_DB;
  } else if (!strcmp(to, "complements")) {
    if (db_run("UPDATE aid_dossiers SET complements_at=? WHERE id=?", "ii", now, id) != DB_DONE) return AID_MOVE_DB;
  } else if (!strcmp(to, "versee")) {
    if (db_run("UPDATE aid_dossiers SET paid_cents=granted_cents, paid_at=? WHERE id=?", "ii", now, id) != DB_DONE)
      return AID_MOVE_DB;
  }
  return AID_MOVE_OK;
}

aid_move_result aid_dossier_move(int64_t id, const char *to, aid_actor who, int64_t uid, const char *reason,
                                 char *msg, size_t n) {
  if (!reason) reason = "";
  if (!aid_dossier_status_label(to)) {
    say(msg, n, _("Statut inconnu."));
    return AID_MOVE_NOT_ALLOWED;
  }
  if (aid_transition_needs_reason(to, who) && !*reason) {
    say(msg, n, _("Indiquez le motif : il est envoyé au demandeur."));
    return AID_MOVE_REASON;
  }
  int own = !db_in_transaction(); /* else the caller's write transaction: it commits or rolls back */
  if (own && db_begin_write() != 0) {
    say(msg, n, _("Le service est momentanément indisponible : réessayez dans un instant."));
    return AID_MOVE_DB;
  }
  arena *a = arena_new();
  drow d;
  aid_move_result res = AID_MOVE_OK;
  if (!drow_load(id, &d)) {
    res = AID_MOVE_NOT_FOUND;
    say(msg, n, _("Cette demande n’existe pas."));
  } else if (!aid_transition_allowed(d.status, to, who)) {
    res = AID_MOVE_NOT_ALLOWED;
    if (msg && n)
      snprintf(msg, n, _("La demande N° %s est « %s » : elle ne peut pas passer à « %s »."), d.number,
               aid_dossier_status_label(d.status), aid_dossier_status_label(to));
  } else {
    res = who == AID_APPLICANT ? applicant_owes(id, &d, to, msg, n) : AID_MOVE_OK;
    if (res == AID_MOVE_OK) res = apply_move(a, id, &d, to, msg, n);
  }
  if (res == AID_MOVE_OK) {
    char obj[40];
    snprintf(obj, sizeof obj, "aid_dossier:%lld", (long long)id);
    char detail[64];
    snprintf(detail, sizeof detail, "%s → %s", d.status, to);
    int64_t now = now_unix();
    int ok = db_run("UPDATE aid_dossiers SET status=?, reason=?, updated_at=? WHERE id=?", "ttii",
                    to, reason, now, id) == DB_DONE &&
             db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status, comment)"
                       " VALUES(?,?,nullif(?,0),'status',?,?,?)", NULL, "iiittt", id, now, uid, d.status, to,
                       reason) > 0 &&
             audit_log(uid, "aid.dossier.status", obj, "", detail) >= 0 && mail_applicant(id, &d, to, reason) == 0;
    if (!ok) {
      res = AID_MOVE_DB;
      say(msg, n, _("Le service est momentanément indisponible : réessayez dans un instant."));
    }
  }
  if (res == AID_MOVE_OK && (!own || db_commit() == 0)) {
    arena_free(a);
    return AID_MOVE_OK;
  }
  if (own) db_rollback();
  arena_free(a);
  if (res == AID_MOVE_OK) {
    say(msg, n, _("Le service est momentanément indisponible : réessayez dans un instant."));
    res = AID_MOVE_DB;
  }
  return res;
}

/* Sets the tracking number of a new dossier: "AV-2026-000123". */
static int set_number(int64_t id, char *out, size_t n) {
  char today[11];
  fmt_today(today);
  snprintf(out, n, "AV-%.4s-%06lld", today, (long long)id);
  return db_run("UPDATE aid_dossiers SET number=? WHERE id=?", "ti", out, id) == DB_DONE ? 0 : -1;
}

int64_t aid_dossier_create(int64_t programme_id, int64_t org_id, int64_t uid) {
  int64_t now = now_unix();
  int own = !db_in_transaction();
  if (own && db_begin_write() != 0) return -1;
  char number[32];
  int64_t id = db_insert("INSERT INTO aid_dossiers(programme_id, org_id, user_id, created_at, updated_at)"
                         " VALUES(?,?,?,?,?)", NULL, "iiiii", programme_id, org_id, uid, now, now);
  if (id > 0 && set_number(id, number, sizeof number) != 0) id = -1;
  if (own) {
    if (id > 0 && db_commit() == 0) return id;
    db_rollback();
    return -1;
  }
  return id;
}

/* The columns an amendment copies: everything the applicant typed. */
#define AMEND_COLS                                                                                         \
  "programme_id, org_id, label_id, site_address, site_postcode, site_city, departement, site_lon, site_lat, " \
  "points, cost_cents, with_bonus, contact_name, contact_email, contact_phone, beneficiary_kind, "          \
  "beneficiary_name, beneficiary_siret, beneficiary_email, beneficiary_address, extra"

int64_t aid_dossier_amend(int64_t id, int64_t uid, char *msg, size_t n) {
  if (db_begin_write() != 0) {
    say(msg, n, _("Le service est momentanément indisponible : réessayez dans un instant."));
    return -1;
  }
  drow d;
  int64_t nid = -1;
  if (!drow_load(id, &d)) {
    say(msg, n, _("Cette demande n’existe pas."));
    goto fail;
  }
  if (strcmp(d.status, "deposee") && strcmp(d.status, "en_instruction") && strcmp(d.status, "complements")) {
    if (msg && n)
      snprintf(msg, n, _("La demande N° %s est « %s » : seule une demande déposée et pas encore décidée peut être "
                         "modifiée."),
               d.number, aid_dossier_status_label(d.status));
    goto fail;
  }
  int64_t now = now_unix();
  nid = db_insert("INSERT INTO aid_dossiers(" AMEND_COLS ", user_id, step, replaces_id, created_at, updated_at)"
                  " SELECT " AMEND_COLS ", ?, 4, id, ?, ? FROM aid_dossiers WHERE id=?",
                  NULL, "iiii", uid, now, now, id);
  char number[32], reason[128], replaces[128];
  if (nid <= 0 || set_number(nid, number, sizeof number) != 0) goto dberr;
  snprintf(reason, sizeof reason, _("annulée – remplacée par N° %s"), number);
  snprintf(replaces, sizeof replaces, _("remplace la demande N° %s"), d.number);
  char obj[40], detail[96];
  snprintf(obj, sizeof obj, "aid_dossier:%lld", (long long)id);
  snprintf(detail, sizeof detail, "%s → annulee (N° %s)", d.status, number);
  if (db_run("INSERT INTO aid_dossier_docs(dossier_id, kind, user_id, filename, mime, size, hash, created_at)"
             " SELECT ?, kind, user_id, filename, mime, size, hash, created_at FROM aid_dossier_docs"
             " WHERE dossier_id=? AND message_id IS NULL",
             "ii", nid, id) != DB_DONE ||
      db_run("UPDATE aid_dossiers SET status='annulee', reason=?, replaced_by_id=?, updated_at=? WHERE id=?",
             "tiii", reason, nid, now, id) != DB_DONE ||
      db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status, comment)"
                " VALUES(?,?,?,'amend',?,'annulee',?)", NULL, "iiitt", id, now, uid, d.status, reason) <= 0 ||
      db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, to_status, comment)"
                " VALUES(?,?,?,'amend','brouillon',?)", NULL, "iiit", nid, now, uid,
                replaces) <= 0 ||
      audit_log(uid, "aid.dossier.amend", obj, "", detail) < 0 ||
      mail_applicant(id, &d, "annulee", reason) != 0)
    goto dberr;
  if (db_commit() == 0) return nid;
dberr:
  say(msg, n, _("Le service est momentanément indisponible : réessayez dans un instant."));
fail:
  db_rollback();
  return -1;
}

int aid_dossier_expire_due(const char *today) {
  int64_t ids[256], after = 0;
  int nid, done = 0;
  do { /* in batches, each dossier in its own transaction */
    db_stmt *s = db_query("SELECT id FROM aid_dossiers WHERE status IN ('validee', 'justificatifs')"
                          " AND proofs_due_on < ? AND id > ? ORDER BY id LIMIT 256", "ti", today, after);
    for (nid = 0; nid < (int)ARRAY_SIZE(ids) && db_step(s) == DB_ROW; nid++) ids[nid] = db_int(s, 0);
    db_done(s);
    for (int i = 0; i < nid; i++) {
      after = ids[i];
      if (aid_dossier_move(ids[i], "expiree", AID_PLATFORM, 0,
                           _("les justificatifs n’ont pas été déposés avant la date limite"), NULL, 0) == AID_MOVE_OK)
        done++;
    }
  } while (nid == (int)ARRAY_SIZE(ids));
  return done;
}
