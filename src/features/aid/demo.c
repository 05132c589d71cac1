/*
** demo.c — the demo's aid requests: on an empty database (seed = 1), the
** demo company (entreprise@guichet.localhost) gets a few dossiers in the
** statuses an instructor meets in a day — a draft, two filed, one taken in
** hand by the demo instructor, one waiting for a document, one validated
** whose charging points send sessions — so that the demo instructor has a
** work list to try, the applicant a history to read and the dashboard
** figures to show.
**
** Each dossier goes where it ends through the real functions:
** aid_dossier_create, then the fields the steps would save, then
** aid_dossier_move for every status (history, envelope, e-mails), and the
** charging data through the loader of charge.c (schema checks, day sums).
** Only the clock is demo: once a step is done, what it wrote gets that
** step's date, days ago (history, the dossier's timestamps, requests and
** messages), so that the delays on the dashboard read like real ones.
** Dossiers have no uploaded files (the file store takes them from a
** request only); the pages say what is missing, as for any dossier.
**
** Cost: six dossiers, about twenty short write transactions and a load of
** four points and about a hundred sessions: some 50 ms. Failures are
** logged and end that dossier; the demo starts anyway.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/log.h"
#include "core/util.h"
#include "features/account/account.h"
#include "features/aid/aid.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

#define DAY 86400
#define SESSION_DAYS 14 /* days of charging sessions of the validated dossier, up to yesterday */

/* One demo dossier: where it ends, when each step happened (days ago; 0:
** the step is not done), what the steps' forms would hold. */
typedef struct demo_dossier {
  const char *target;          /* the demo programme, by its target */
  const char *ends;            /* final status */
  int created, submitted, taken, decided; /* days ago: creation, filing, taken in hand, decision or request */
  int step;                    /* last step saved (1..4) */
  const char *address, *postcode, *city, *dept; /* step 1: the site */
  int64_t points, cost_cents;  /* step 1: charging points, eligible cost */
  int bonus;                   /* 1: asks for the programme's bonus */
  const char *ben_kind, *ben_name, *ben_email, *ben_address; /* step 2: the beneficiary ("" in a step-1 draft) */
  const char *piece, *message; /* complements: the document asked for, the instructor's message */
  const char *station;         /* validated: the IRVE code of its station ("FRBATPGABUT1"), its points get 1..n */
} demo_dossier;

static const demo_dossier demo[] = {
    {"residentiel_collectif", "brouillon", 1, 0, 0, 0, 1, "3 allée des Tamaris", "17440", "Aytré", "17", 10,
     1200000, 1, "", "", "", "", NULL, NULL, NULL},
    {"residentiel_collectif", "deposee", 6, 5, 0, 0, 4, "8 rue des Mouettes", "17000", "La Rochelle", "17", 6, 780000,
     1, "copropriete", "Syndicat de la résidence Les Mouettes", "syndic.mouettes@exemple.fr",
     "8 rue des Mouettes, 17000 La Rochelle", NULL, NULL, NULL},
    {"entreprises_flottes", "deposee", 4, 3, 0, 0, 4, "12 rue Edison", "17180", "Périgny", "17", 10, 2500000, 0,
     "entreprise", "Transports Aunis Fret", "flotte@aunis-fret.example", "12 rue Edison, 17180 Périgny", NULL, NULL,
     NULL},
    {"residentiel_collectif", "en_instruction", 10, 9, 7, 0, 4, "2 quai Louis Durand", "17000", "La Rochelle", "17", 8,
     960000, 0, "copropriete", "Syndicat de la résidence du Port", "syndic.port@exemple.fr",
     "2 quai Louis Durand, 17000 La Rochelle", NULL, NULL, NULL},
    {"residentiel_collectif", "complements", 15, 14, 12, 11, 4, "5 avenue de la Capitainerie", "17000",
     "La Rochelle", "17", 4, 500000, 0, "copropriete", "Syndicat de la résidence Les Minimes",
     "syndic.minimes@exemple.fr", "5 avenue de la Capitainerie, 17000 La Rochelle",
     "Attestation de vote en assemblée générale",
     "Bonjour, l’attestation de vote jointe ne porte pas la date de l’assemblée générale : merci de déposer "
     "le procès-verbal complet.",
     NULL},
    {"residentiel_collectif", "validee", 40, 38, 35, 32, 4, "1 rue du Gabut", "17000", "La Rochelle", "17", 4, 640000,
     1, "copropriete", "Syndicat de la copropriété Le Gabut", "syndic.gabut@exemple.fr",
     "1 rue du Gabut, 17000 La Rochelle", NULL, NULL, "FRBATPGABUT1"},
};

/* Gives every date of dossier id written since t0 (this seed's start) the
** time at: the step just done happened then. One transaction. */
static int backdate(int64_t id, int64_t t0, int64_t at) {
  if (db_begin_write() != 0) return -1;
  int ok = db_run("UPDATE aid_dossier_events SET at=? WHERE dossier_id=? AND at>=?", "iii", at, id, t0) == DB_DONE &&
           db_run("UPDATE aid_doc_requests SET requested_at=? WHERE dossier_id=? AND requested_at>=?", "iii", at, id,
                  t0) == DB_DONE &&
           db_run("UPDATE aid_messages SET created_at=? WHERE dossier_id=? AND created_at>=?", "iii", at, id, t0) ==
               DB_DONE &&
           db_run("UPDATE aid_dossiers SET updated_at=?,"
                  " created_at=CASE WHEN created_at>=? THEN ? ELSE created_at END,"
                  " submitted_at=CASE WHEN submitted_at>=? THEN ? ELSE submitted_at END,"
                  " decided_at=CASE WHEN decided_at>=? THEN ? ELSE decided_at END,"
                  " complements_at=CASE WHEN complements_at>=? THEN ? ELSE complements_at END WHERE id=?",
                  "iiiiiiiiii", at, t0, at, t0, at, t0, at, t0, at, id) == DB_DONE;
  if (ok && db_commit() == 0) return 0;
  db_rollback();
  return -1;
}

/* What steps 1 to 3 save, as far as step d->step. */
static int fill(int64_t id, const demo_dossier *d, int64_t label) {
  int full = d->step >= 2;
  return db_run("UPDATE aid_dossiers SET step=?, label_id=?, site_address=?, site_postcode=?, site_city=?,"
                " departement=?, points=?, cost_cents=?, with_bonus=?, contact_name=?, contact_email=?,"
                " contact_phone=?, beneficiary_kind=?, beneficiary_name=?, beneficiary_email=?,"
                " beneficiary_address=? WHERE id=?",
                "iittttiiittttttti", (int64_t)d->step, label, d->address, d->postcode, d->city, d->dept, d->points,
                d->cost_cents, (int64_t)d->bonus, full ? "Camille Durand" : "",
                full ? "entreprise@guichet.localhost" : "", full ? "05 46 00 00 00" : "", d->ben_kind, d->ben_name,
                d->ben_email, d->ben_address, id) == DB_DONE
             ? 0
             : -1;
}

/* The demo instructor takes dossier id in hand, as "Prendre" does. */
static int take(int64_t id, int64_t instr) {
  char msg[256] = "";
  if (db_begin_write() != 0) return -1;
  int ok = db_run("UPDATE aid_dossiers SET assignee_id=? WHERE id=?", "ii", instr, id) == DB_DONE &&
           db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, comment, internal)"
                     " VALUES(?, ?, ?, 'assign', 'Pris en charge par l’instructeur de démonstration', 1)",
                     NULL, "iii", id, now_unix(), instr) > 0 &&
           aid_dossier_move(id, "en_instruction", AID_INSTRUCTOR, instr, "", msg, sizeof msg) == AID_MOVE_OK;
  if (ok && db_commit() == 0) return 0;
  db_rollback();
  log_error("aid", "démo : dossier %lld non pris en charge : %s", (long long)id, msg);
  return -1;
}

/* The instructor asks for one document, with a message, as "Demander ces
** pièces" and "Écrire au demandeur" do. */
static int ask(int64_t id, int64_t instr, const demo_dossier *d) {
  char msg[256] = "";
  int64_t now = now_unix();
  if (db_begin_write() != 0) return -1;
  int ok = db_insert("INSERT INTO aid_doc_requests(dossier_id, label, requested_by, requested_at) VALUES(?, ?, ?, ?)",
                     NULL, "itii", id, d->piece, instr, now) > 0 &&
           db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, comment)"
                     " VALUES(?, ?, ?, 'request_docs', 'Pièces demandées : ' || ?)", NULL, "iiit", id, now, instr,
                     d->piece) > 0 &&
           aid_dossier_move(id, "complements", AID_INSTRUCTOR, instr, "", msg, sizeof msg) == AID_MOVE_OK &&
           db_insert("INSERT INTO aid_messages(dossier_id, user_id, from_staff, body, created_at) VALUES(?, ?, 1, ?, ?)",
                     NULL, "iiti", id, instr, d->message, now) > 0;
  if (ok && db_commit() == 0) return 0;
  db_rollback();
  log_error("aid", "démo : pièces non demandées pour le dossier %lld : %s", (long long)id, msg);
  return -1;
}

static int move(int64_t id, const char *to, aid_actor who, int64_t uid) {
  char msg[256] = "";
  if (aid_dossier_move(id, to, who, uid, "", msg, sizeof msg) == AID_MOVE_OK) return 0;
  log_error("aid", "démo : dossier %lld non passé à %s : %s", (long long)id, to, msg);
  return -1;
}

/* The IRVE statique columns, in the national file's order. */
#define IRVE_HEADER                                                                                                \
  "nom_amenageur,siren_amenageur,contact_amenageur,nom_operateur,contact_operateur,telephone_operateur,"        \
  "nom_enseigne,id_station_itinerance,id_station_local,nom_station,implantation_station,adresse_station,"       \
  "code_insee_commune,coordonneesXY,nbre_pdc,id_pdc_itinerance,id_pdc_local,puissance_nominale,prise_type_ef,"   \
  "prise_type_2,prise_type_combo_ccs,prise_type_chademo,prise_type_autre,gratuit,paiement_acte,paiement_cb,"     \
  "paiement_autre,tarification,condition_acces,reservation,horaires,accessibilite_pmr,restriction_gabarit,"      \
  "station_deux_roues,raccordement,num_pdl,date_mise_en_service,observations,date_maj,cable_t2_attache\n"

static void iso_utc(char out[32], int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs one load of data through the loader, as an upload does. */
static int load(charge_kind kind, int64_t org, int64_t dossier, int64_t uid, const char *name, buf *data) {
  int64_t imp = charge_import_new(kind, org, dossier, uid, "csv", name, (int64_t)data->n);
  if (imp > 0 && charge_import_run(imp, NULL, buf_str(data), data->n) == 0 &&
      db_get_int(0, "SELECT rows_rejected FROM aid_charge_imports WHERE id=?", "i", imp) == 0)
    return 0;
  log_error("aid", "démo : chargement %s refusé ou incomplet", name);
  return -1;
}

/* The dossier's points (IRVE statique, one station) and SESSION_DAYS days
** of their sessions, a deterministic pattern of one or two a day. */
static int charging(int64_t id, int64_t org, int64_t uid, const demo_dossier *d, int64_t now) {
  char today[11], since[11];
  fmt_today(today);
  int64_t serv = now - (int64_t)(d->decided - 2) * DAY; /* commissioned two days after the validation */
  charge_day_text(charge_day_of(serv), since);
  buf b = {0};
  buf_puts(&b, IRVE_HEADER);
  for (int64_t p = 1; p <= d->points; p++)
    buf_printf(&b,
               "Bornes Atlantique (démo),732829320,contact@bornes-atlantique.example,Bornes Atlantique (démo),"
               "contact@bornes-atlantique.example,+33546000001,%s,%s,,%s,Parking privé réservé à la clientèle,"
               "\"%s, %s %s\",17300,\"[-1.1528, 46.1541]\",%lld,%.5sE%s%lld,,7.4,false,true,false,false,false,"
               "false,false,false,true,,Accès réservé,false,24/7,Accessibilité inconnue,Aucune restriction,false,"
               "Indirect,,%s,Point de démonstration,%s,false\n",
               d->ben_name, d->station, d->ben_name, d->address, d->postcode, d->city, (long long)d->points,
               d->station, d->station + 6, (long long)p, since, today);
  int rc = load(CHARGE_POINTS, org, id, uid, "points-demo.csv", &b);
  buf_free(&b);
  if (rc) return -1;
  buf_puts(&b, "id_pdc_itinerance,start,end,energy\n");
  int64_t midnight = now - now % DAY;
  for (int64_t day = SESSION_DAYS; day >= 1; day--)
    for (int64_t p = 1; p <= d->points; p++) {
      int64_t start = midnight - day * DAY + (6 + (day * 7 + p * 5) % 12) * 3600 + (day * 13 + p * 17) % 60 * 60;
      for (int k = 0; k < 1 + ((day + p) % 3 == 0); k++) {
        int64_t minutes = 45 + (day * 31 + p * 23 + k * 11) % 300;
        int64_t end = start + minutes * 60;
        if (end > now) break; /* yesterday's last one may not be over yet */
        char s[32], e[32];
        iso_utc(s, start);
        iso_utc(e, end);
        /* 7.4 kW at 80 % of the time: Wh = minutes × 7400 × 0.8 / 60. */
        int64_t wh = minutes * 7400 * 8 / 600;
        buf_printf(&b, "%.5sE%s%lld,%s,%s,%lld.%03lld\n", d->station, d->station + 6, (long long)p, s, e,
                   (long long)(wh / 1000), (long long)(wh % 1000));
        start = end + 2 * 3600;
      }
    }
  rc = load(CHARGE_SESSIONS, org, 0, uid, "sessions-demo.csv", &b);
  buf_free(&b);
  return rc;
}

/* Brings one demo dossier to its status. */
static void demo_one(const demo_dossier *d, int64_t org, int64_t uid, int64_t instr, int64_t label, int64_t t0) {
  int64_t pid = db_get_int(0, "SELECT id FROM aid_programmes WHERE target=? AND active=1 ORDER BY id LIMIT 1", "t",
                           d->target);
  if (!pid) return;
  int64_t id = aid_dossier_create(pid, org, uid);
  if (id <= 0 || fill(id, d, label) != 0 || backdate(id, t0, t0 - (int64_t)d->created * DAY) != 0) return;
  if (!d->submitted || move(id, "deposee", AID_APPLICANT, uid) != 0 ||
      backdate(id, t0, t0 - (int64_t)d->submitted * DAY) != 0)
    return;
  if (!d->taken || take(id, instr) != 0 || backdate(id, t0, t0 - (int64_t)d->taken * DAY) != 0) return;
  int rc = 0;
  if (!strcmp(d->ends, "complements")) rc = ask(id, instr, d);
  else if (!strcmp(d->ends, "validee")) rc = move(id, "validee", AID_INSTRUCTOR, instr);
  else return;
  if (rc != 0 || backdate(id, t0, t0 - (int64_t)d->decided * DAY) != 0) return;
  if (d->station) charging(id, org, uid, d, t0);
}

void aid_demo_seed(void) {
  int64_t uid = db_get_int(0, "SELECT id FROM users WHERE email = 'entreprise@guichet.localhost'", "");
  int64_t instr = db_get_int(0, "SELECT id FROM users WHERE email = 'instructeur@guichet.localhost'", "");
  int64_t org = uid ? account_org_of(uid, NULL) : 0;
  int64_t label = db_get_int(0, "SELECT id FROM aid_labels WHERE org_id = ? AND status = 'validee' ORDER BY id"
                                " LIMIT 1", "i", org);
  if (!org || !instr || !label) return;
  int64_t t0 = now_unix();
  for (size_t i = 0; i < ARRAY_SIZE(demo); i++) demo_one(&demo[i], org, uid, instr, label, t0);
}
