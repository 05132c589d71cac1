/*
** feature.c — the aid feature (issue #3, Advenir-like primes for charging
** points): programmes as data edited in the back office
** (programme_pages.c), their public pages with a simulator
** (public_pages.c), the rules (aid_rules.c); installers' labelled offers
** and declared equipment (label_pages.c, equipment_pages.c) reviewed by
** instructors (review_pages.c), sharing catalog.c; the charging data of
** funded points, their summaries and API (charge.c, charge_stats.c,
** charge_pages.c).
**
** Territory admins get "aid.admin"; instructors and territory admins get
** "aid.review"; superadmins have every capability.
*/
#include <string.h>

#include "core/db.h"
#include "core/feature.h"
#include "core/jobs.h"
#include "core/upload.h"
#include "features/aid/aid.h"
#include "features/aid/apply.h"
#include "features/aid/catalog.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"
#include "features/aid/instruction.h"
#include "features/aid/privacy.h"

#define AID_FORM_BODY (128 * 1024) /* a programme form: specification (64 KB at most) plus the other fields */
#define AID_DOC_BODY (10 * 1024 * 1024 + 64 * 1024) /* one 10 MB document plus the form around it */
#define AID_PAGE_BODY (200 * 1024) /* a public page: 64 KB of Markdown, urlencoded (up to 3 bytes per byte) */
#define AID_CONTACT_BODY (32 * 1024) /* the contact form: a 5,000-byte message, urlencoded, and four short fields */
#define AID_BATCH_BODY (16 * 1024) /* a work list's form: up to INSTR_BATCH_MAX ids and the return URL */
#define AID_MESSAGE_BODY (3 * 10 * 1024 * 1024 + 64 * 1024) /* three 10 MB attachments and the text */
#define AID_CHARGE_BODY (CHARGE_UPLOAD_MAX + 64 * 1024) /* one CSV upload plus the form around it */

static const struct route routes[] = {
    {"GET", "/programmes", CAP_PUBLIC, 0, 0, programmes_page},
    {"GET", "/programmes/:id", CAP_PUBLIC, 0, 0, programme_page},
    {"GET", "/admin/programmes", "aid.admin", 0, 0, programmes_admin_page},
    /* Before /admin/programmes/:id: the first matching entry wins. */
    {"GET", "/admin/programmes/nouveau", "aid.admin", 0, 0, programme_new_page},
    {"POST", "/admin/programmes/nouveau", "aid.admin", 0, AID_FORM_BODY, programme_new_post},
    {"GET", "/admin/programmes/:id", "aid.admin", 0, 0, programme_edit_page},
    {"POST", "/admin/programmes/:id", "aid.admin", 0, AID_FORM_BODY, programme_edit_post},
    /* The applicant's side (apply_pages.c, apply_dossier.c): any logged-in
    ** member of an organisation; each handler checks the dossier is theirs. */
    {"GET", "/aides", CAP_LOGIN, 0, 0, apply_home_page},
    {"GET", "/aides/dossiers/nouveau", CAP_LOGIN, 0, 0, apply_new_page},
    {"POST", "/aides/dossiers/nouveau", CAP_LOGIN, 0, 0, apply_new_post},
    {"GET", "/aides/dossiers/:id", CAP_LOGIN, 0, 0, apply_dossier_page},
    {"GET", "/aides/dossiers/:id/etape/:step", CAP_LOGIN, 0, 0, apply_step_page},
    {"POST", "/aides/dossiers/:id/etape/:step", CAP_LOGIN, R_UPLOAD, APPLY_STEP_BODY, apply_step_post},
    {"POST", "/aides/dossiers/:id/deposer", CAP_LOGIN, 0, 0, apply_submit_post},
    {"POST", "/aides/dossiers/:id/abandonner", CAP_LOGIN, 0, 0, apply_abandon_post},
    {"POST", "/aides/dossiers/:id/retirer", CAP_LOGIN, 0, 0, apply_withdraw_post},
    {"POST", "/aides/dossiers/:id/modifier", CAP_LOGIN, 0, 0, apply_amend_post},
    {"GET", "/aides/dossiers/:id/documents/:doc", CAP_LOGIN, 0, 0, apply_doc_get},
    {"POST", "/aides/dossiers/:id/messages", CAP_LOGIN, R_UPLOAD, APPLY_DOC_BODY, apply_message_post},
    {"POST", "/aides/dossiers/:id/complements/:rid", CAP_LOGIN, R_UPLOAD, APPLY_DOC_BODY, apply_complement_post},
    {"POST", "/aides/dossiers/:id/complements", CAP_LOGIN, 0, 0, apply_complements_send_post},
    {"POST", "/aides/dossiers/:id/justificatifs", CAP_LOGIN, R_UPLOAD, APPLY_DOC_BODY, apply_proof_post},
    {"POST", "/aides/dossiers/:id/justificatifs/deposer", CAP_LOGIN, 0, 0, apply_proofs_send_post},
    {"POST", "/aides/dossiers/:id/versement", CAP_LOGIN, 0, 0, apply_payment_post},
    /* Labelled offers and equipment: any member of an organisation; each
    ** handler checks the item is theirs (404 otherwise). "nouveau" before
    ** ":id". */
    {"GET", "/aides/labels", CAP_LOGIN, 0, 0, labels_page},
    {"GET", "/aides/labels/nouveau", CAP_LOGIN, 0, 0, label_new_page},
    {"POST", "/aides/labels/nouveau", CAP_LOGIN, 0, 0, label_new_post},
    {"GET", "/aides/labels/:id", CAP_LOGIN, 0, 0, label_page},
    {"GET", "/aides/materiels", CAP_LOGIN, 0, 0, equipment_list_page},
    {"GET", "/aides/materiels/nouveau", CAP_LOGIN, 0, 0, equipment_new_page},
    {"POST", "/aides/materiels/nouveau", CAP_LOGIN, 0, 0, equipment_new_post},
    {"GET", "/aides/materiels/:id", CAP_LOGIN, 0, 0, equipment_page},
    {"GET", "/aides/materiels/:id/modifier", CAP_LOGIN, 0, 0, equipment_edit_page},
    {"POST", "/aides/materiels/:id/modifier", CAP_LOGIN, 0, 0, equipment_edit_post},
    {"POST", "/aides/materiels/:id/documents", CAP_LOGIN, R_UPLOAD, AID_DOC_BODY, equipment_doc_post},
    /* Also for instructors (checked in the handler), once filed. */
    {"GET", "/aides/materiels/:id/documents/:doc", CAP_LOGIN, 0, 0, equipment_doc_get},
    {"POST", "/aides/materiels/:id/documents/:doc/supprimer", CAP_LOGIN, 0, 0, equipment_doc_delete_post},
    {"POST", "/aides/materiels/:id/deposer", CAP_LOGIN, 0, 0, equipment_submit_post},
    {"GET", "/instruction/labels", "aid.review", 0, 0, review_labels_page},
    {"GET", "/instruction/labels/export.csv", "aid.review", 0, 0, review_labels_csv},
    {"GET", "/instruction/labels/export.xlsx", "aid.review", 0, 0, review_labels_xlsx},
    {"GET", "/instruction/labels/:id", "aid.review", 0, 0, review_label_page},
    {"POST", "/instruction/labels/:id/valider", "aid.review", 0, 0, review_label_validate_post},
    {"POST", "/instruction/labels/:id/refuser", "aid.review", 0, 0, review_label_refuse_post},
    {"GET", "/instruction/materiels", "aid.review", 0, 0, review_equipment_list_page},
    {"GET", "/instruction/materiels/export.csv", "aid.review", 0, 0, review_equipment_csv},
    {"GET", "/instruction/materiels/export.xlsx", "aid.review", 0, 0, review_equipment_xlsx},
    {"GET", "/instruction/materiels/:id", "aid.review", 0, 0, review_equipment_page},
    {"POST", "/instruction/materiels/:id/valider", "aid.review", 0, 0, review_equipment_validate_post},
    {"POST", "/instruction/materiels/:id/refuser", "aid.review", 0, 0, review_equipment_refuse_post},
    /* The dashboard (dashboard.c): admins and instructors. */
    {"GET", "/admin/aides/tableau-de-bord", "aid.stats", 0, 0, dashboard_page},
    {"GET", "/admin/aides/tableau-de-bord/export", "aid.stats", 0, 0, dashboard_export},
    /* Public pages edited by admins (site_pages.c) and the contact form (contact_pages.c). */
    {"GET", "/aides/faq", CAP_PUBLIC, 0, 0, faq_page},
    {"GET", "/mentions-legales", CAP_PUBLIC, 0, 0, legal_page},
    {"GET", "/admin/pages", "aid.admin", 0, 0, pages_admin_page},
    {"GET", "/admin/pages/:slug", "aid.admin", 0, 0, page_edit_page},
    {"POST", "/admin/pages/:slug", "aid.admin", 0, AID_PAGE_BODY, page_edit_post},
    {"GET", "/contact", CAP_PUBLIC, 0, 0, contact_page},
    {"POST", "/contact", CAP_PUBLIC, 0, AID_CONTACT_BODY, contact_post},
    {"GET", "/admin/contact", "aid.admin", 0, 0, contact_admin_page},
    {"GET", "/admin/contact/:id", "aid.admin", 0, 0, contact_message_page},
    {"POST", "/admin/contact/:id/lu", "aid.admin", 0, 0, contact_read_post},
    /* The instructors' back office for aid requests (instruction_*.c). */
    {"GET", "/instruction", "aid.review", 0, 0, instr_list_page},
    {"GET", "/instruction/export.csv", "aid.review", 0, 0, instr_export_csv},
    {"GET", "/instruction/export.xlsx", "aid.review", 0, 0, instr_export_xlsx},
    {"POST", "/instruction/valider", "aid.review", 0, AID_BATCH_BODY, instr_batch_post},
    {"GET", "/instruction/dossiers/:id", "aid.review", 0, 0, instr_dossier_page},
    {"POST", "/instruction/dossiers/:id/prendre", "aid.review", 0, AID_BATCH_BODY, instr_take_post},
    {"POST", "/instruction/dossiers/:id/attribuer", "aid.review", 0, 0, instr_assign_post},
    {"POST", "/instruction/dossiers/:id/instruire", "aid.review", 0, 0, instr_start_post},
    {"POST", "/instruction/dossiers/:id/valider", "aid.review", 0, 0, instr_validate_post},
    {"POST", "/instruction/dossiers/:id/refuser", "aid.review", 0, 0, instr_refuse_post},
    {"POST", "/instruction/dossiers/:id/pieces", "aid.review", 0, 0, instr_request_post},
    {"POST", "/instruction/dossiers/:id/verser", "aid.review", 0, 0, instr_paid_post},
    {"POST", "/instruction/dossiers/:id/renvoyer", "aid.review", 0, 0, instr_proofs_back_post},
    {"POST", "/instruction/dossiers/:id/notes", "aid.review", 0, 0, instr_note_post},
    {"POST", "/instruction/dossiers/:id/messages", "aid.review", R_UPLOAD, AID_MESSAGE_BODY, instr_message_post},
    {"GET", "/instruction/dossiers/:id/documents/:doc", "aid.review", 0, 0, instr_doc_get},
    /* Charging data (charge_pages.c): applicants see only their
    ** organisation's dossiers and loads (404 otherwise, checked in each
    ** handler); instructors all of them. */
    {"GET", "/aides/dossiers/:id/donnees", CAP_LOGIN, 0, 0, charge_dossier_page},
    {"POST", "/aides/dossiers/:id/donnees", CAP_LOGIN, R_UPLOAD, AID_CHARGE_BODY, charge_dossier_post},
    {"GET", "/aides/dossiers/:id/donnees/points/:point", CAP_LOGIN, 0, 0, charge_point_page},
    {"GET", "/aides/donnees", CAP_LOGIN, 0, 0, charge_org_page},
    {"POST", "/aides/donnees", CAP_LOGIN, R_UPLOAD, AID_CHARGE_BODY, charge_org_post},
    {"GET", "/aides/donnees/imports/:id", CAP_LOGIN, 0, 0, charge_import_page},
    {"GET", "/aides/donnees/imports/:id/rapport.csv", CAP_LOGIN, 0, 0, charge_import_csv},
    {"GET", "/instruction/dossiers/:id/donnees", "aid.review", 0, 0, charge_review_dossier_page},
    {"GET", "/instruction/dossiers/:id/donnees/points/:point", "aid.review", 0, 0, charge_review_point_page},
    {"GET", "/instruction/programmes/:id/donnees", "aid.review", 0, 0, charge_review_programme_page},
    {"POST", "/api/v1/aides/sessions", CAP_LOGIN, R_API, CHARGE_API_BODY, charge_sessions_api},
    {"POST", "/api/v1/aides/dossiers/:number/points", CAP_LOGIN, R_API, CHARGE_API_BODY, charge_points_api},
    {0, 0, 0, 0, 0, 0},
};

static const struct grant grants[] = {
    {"territory_admin", "aid.admin"},
    {"instructor", "aid.review"},
    {"territory_admin", "aid.review"},
    /* The dashboard: instructors read it too (their delays are on it). */
    {"territory_admin", "aid.stats"},
    {"instructor", "aid.stats"},
    {0, 0},
};

/* Demo programmes modelled on Advenir's targets (rates and caps from the
** 2021-23 grids; see /work/shared/reference/aid-rules.md §2.2). They are
** demonstration amounts, and each says so. */
static void seed(void) {
  static const struct {
    const char *name, *target;
    int64_t rate_bp, cap_cents, bonus_cents;
    const char *bonus_label;
    int64_t budget_cents, max_points;
    const char *costs, *docs, *spec;
  } demo[] = {
      {"Résidentiel collectif — point de recharge individuel", "residentiel_collectif", 5000, 60000, 36000,
       "pilotage intelligent", 50000000, 0,
       "Fourniture et installation HT du point de recharge, raccordement à l’installation existante.",
       "Devis signé et daté\nAttestation de vote en assemblée générale\nRIB du bénéficiaire",
       "## Résidentiel collectif\n\nPrime pour l’installation d’un point de recharge individuel sur une place "
       "de stationnement d’un immeuble collectif.\n\n*Montants de démonstration, à adapter* par "
       "l’administrateur du territoire.\n\n- 50 % du coût HT éligible\n- plafond de 600 € par point\n"
       "- bonus de 360 € par point si le point est piloté\n"},
      {"Entreprises et flottes — recharge des véhicules de l’entreprise", "entreprises_flottes", 2000, 60000, 0, "",
       30000000, 500,
       "Fourniture et installation HT des points de recharge réservés à la flotte et aux salariés.",
       "Devis signé et daté\nExtrait Kbis de moins de trois mois\nRIB de l’entreprise",
       "## Entreprises et flottes\n\nPrime pour les points de recharge des véhicules de l’entreprise et de ses "
       "salariés.\n\n*Montants de démonstration, à adapter.*\n\n- 20 % du coût HT éligible\n"
       "- plafond de 600 € par point, 500 points au plus\n"},
      {"Voirie publique — bornes sur le domaine public", "voirie_publique", 6000, 210000, 30000,
       "borne à la demande", 100000000, 0,
       "Fourniture et installation HT des points de recharge ouverts au public, raccordement compris.",
       "Délibération de la collectivité\nDevis signé et daté\nPlan d’implantation\nRIB de la collectivité",
       "## Voirie publique\n\nPrime pour les collectivités compétentes en voirie.\n\n*Montants de "
       "démonstration, à adapter.*\n\n- 60 % du coût HT éligible\n- plafond de 2 100 € par point\n"
       "- surprime de 300 € par point installé à la demande d’un riverain\n"},
      {"Poids lourds — recharge des véhicules N2 et N3", "poids_lourds", 5000, 1500000, 0, "", 0, 1000,
       "Fourniture et installation HT des points de recharge sur une aire d’au moins 10 m.",
       "Devis signé et daté\nCertificats d’immatriculation des véhicules\nRIB du bénéficiaire",
       "## Poids lourds\n\nPrime pour la recharge des camions électriques.\n\n*Montants de démonstration, "
       "à adapter.*\n\n- 50 % du coût HT éligible\n- plafond de 15 000 € par point, 1 000 points au plus\n"},
  };
  char today[11];
  fmt_today(today);
  char end[11] = "2027-12-31";
  int64_t now = now_unix();
  for (size_t i = 0; i < ARRAY_SIZE(demo); i++)
    db_insert("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, bonus_cents, bonus_label,"
              " eligible_costs, budget_cents, max_points, opens_on, closes_on, active, documents, spec_md,"
              " created_at, updated_at) VALUES(?,?,?,?,?,?,?,nullif(?,0),nullif(?,0),?,?,1,?,?,?,?)",
              NULL, "ttiiittiittttii", demo[i].name, demo[i].target, demo[i].rate_bp, demo[i].cap_cents,
              demo[i].bonus_cents, demo[i].bonus_label, demo[i].costs, demo[i].budget_cents, demo[i].max_points,
              "2025-01-01", strcmp(today, end) > 0 ? today : end, demo[i].docs, demo[i].spec, now, now);
  catalog_seed();
  aid_demo_seed();
}

/* Daily: validated dossiers whose proofs are late become "expirée". */
static int expire_job(json_t *payload, char **err) {
  UNUSED(payload);
  UNUSED(err);
  char today[11];
  fmt_today(today);
  aid_dossier_expire_due(today);
  return 0;
}

static void init(void) {
  upload_track("aid_equipment_docs");
  upload_track("aid_dossier_docs");
  job_register("aid.expire", expire_job);
  job_every("aid.expire", 24 * 3600);
  job_register("aid.charge.load", charge_load_job);
}

const struct feature feature_aid = {
    .name = "aid",
    .routes = routes,
    .grants = grants,
    .init = init,
    .seed = seed,
    .export_user = aid_export_user,
    .erase_plan = aid_erase_plan,
    .erase_user = aid_erase_user,
};
