/*
** apply.h — the applicant's side of aid requests ("dossiers"): the pages
** of apply_pages.c (home "Mes demandes", a new request, its four steps and
** its submission) and of apply_dossier.c (a dossier's page and what its
** organisation may do with it at each status), and what they share.
**
** Who: any logged-in member of an organisation (account_org_of). A dossier
** belongs to its organisation; every route that takes a dossier id answers
** 404 to anyone else — the page of a missing id, so ids reveal nothing.
** Every status change goes through aid_dossier_move() (dossier.h).
**
** Documents are files in the content store (core/upload.h) with a row in
** aid_dossier_docs: the programme's required documents (kind = the
** document's name as the programme lists it), the extra fields of type file
** (kind = the field's label; the dossier's extra JSON keeps the row id),
** the proofs after validation (kinds in aid_proof_kinds, dossier.h), the documents
** an instructor asked for (kind = the request's label) and message
** attachments (kind "message", message_id set).
*/
#ifndef GUICHET_AID_APPLY_H
#define GUICHET_AID_APPLY_H

#include <jansson.h>
#include <stdint.h>

#include "core/http.h"
#include "core/upload.h"
#include "features/aid/aid.h"

#define APPLY_DOC_BODY (10 * 1024 * 1024 + 64 * 1024)  /* one 10 MB document and the form around it */
#define APPLY_STEP_BODY (60 * 1024 * 1024 + 64 * 1024) /* step 3: several documents sent at once */
#define APPLY_PER_PAGE 20                              /* dossiers per page on /aides */
#define APPLY_TEXT_MAX 300                             /* bytes of a name, an address, a city */
#define APPLY_MESSAGE_MAX 5000                         /* bytes of a message to the instructors */

/* A dossier's row; strings in the request arena. */
typedef struct dossier {
  int64_t id;
  const char *number;        /* "AV-2026-000123" */
  int64_t programme_id, org_id;
  const char *status;        /* a code of aid_dossier_statuses */
  int step;                  /* last step saved, 0..4 */
  int64_t label_id;          /* 0: none chosen */
  const char *site_address, *site_postcode, *site_city, *departement;
  int64_t points, cost_cents;
  int with_bonus;
  const char *contact_name, *contact_email, *contact_phone;
  const char *beneficiary_kind, *beneficiary_name, *beneficiary_siret, *beneficiary_email, *beneficiary_address;
  const char *extra;         /* JSON object: extra field name → value */
  int64_t amount_cents, granted_cents, paid_cents;
  int64_t replaces_id, replaced_by_id; /* 0: none */
  const char *reason;        /* refusal or cancellation reason */
  const char *proofs_due_on; /* "YYYY-MM-DD" or "" */
  int64_t created_at, updated_at, submitted_at, decided_at; /* 0: not yet */
} dossier;

/* The programme of a dossier, as the pages need it. The JSON values are
** released with the request. */
typedef struct apply_prog {
  aid_rules ru;              /* the rules (aid_amount, aid_status) */
  json_t *p;                 /* display values (aid_programme_load) */
  json_t *docs;              /* required documents: array of names */
  json_t *fields;            /* extra field definitions (apply_rules.h) */
} apply_prog;


/* Loads the path's ":id" dossier when it belongs to the user's
** organisation into d; otherwise answers 404 and returns -1. */
int apply_dossier_or_reply(req *r, dossier *d);
/* Loads programme id into pg. 1, or 0 when absent. */
int apply_prog_load(req *r, int64_t id, apply_prog *pg);

/* Everything the applicant typed, as the review (step 4) and the dossier's
** page show it: a new object (see templates/apply_review.html). */
json_t *apply_review(req *r, const dossier *d, const apply_prog *pg);

/* Checks an uploaded document (PDF, JPEG or PNG by content, max_upload
** bytes at most) and puts it in the content store. 0, or -1 with *err a
** French message. No database access: call it before a transaction. */
int apply_upload(req *r, form_file *file, upload_info *info, const char **err);
/* Adds the row of an uploaded document to dossier_id, of this kind
** (message_id 0: none), inside the caller's write transaction. Returns the
** row id, or -1. */
int64_t apply_doc_add(req *r, int64_t dossier_id, const char *kind, int64_t message_id, const form_file *file,
                      const upload_info *info);
/* Both, in a transaction of its own; with replace, the dossier's other
** documents of that kind (not message attachments) are removed, and their
** files too once no tracked table names them (upload_remove). Returns the
** row id, or -1 with *err a French message and nothing changed. */
int64_t apply_store_doc(req *r, int64_t dossier_id, const char *kind, form_file *file, int replace,
                        const char **err);

/* The dossier's documents (message attachments aside): by_kind maps a
** kind to its latest document, by_id an id (as text) to its document;
** documents as apply_doc_json makes them. Released with the request. */
typedef struct apply_docset {
  json_t *by_kind, *by_id;
} apply_docset;
void apply_docs_load(req *r, int64_t dossier_id, apply_docset *ds);
/* A document as pages show it: {"id", "filename", "size_kb", "href"}. */
json_t *apply_doc_json(req *r, int64_t dossier_id, int64_t id, const char *filename, int64_t size);

/* What the dossier still lacks before it can be submitted, step by step
** (step 0: the account): a new array of {"step", "text", "href"};
** counts[s] says how many for step s (0..4). */
json_t *apply_missing(req *r, const dossier *d, const apply_prog *pg, int counts[5]);

/* The badge class of a status (guichet.css): ok, todo, off or "". */
const char *apply_status_class(const char *status);
/* v, released with the request; returns v. */
json_t *apply_keep(req *r, json_t *v);

/* French label of a beneficiary kind code ("copropriete"), or the code. */
const char *apply_beneficiary_label(const char *code);

/* apply_pages.c */
void apply_home_page(req *r);
void apply_new_page(req *r);
void apply_new_post(req *r);
void apply_step_page(req *r);
void apply_step_post(req *r);
void apply_submit_post(req *r);

/* apply_dossier.c */
void apply_dossier_page(req *r);
void apply_doc_get(req *r);
void apply_abandon_post(req *r);
void apply_withdraw_post(req *r);
void apply_amend_post(req *r);
void apply_message_post(req *r);
void apply_complement_post(req *r);
void apply_complements_send_post(req *r);
void apply_proof_post(req *r);
void apply_proofs_send_post(req *r);
void apply_payment_post(req *r);

#endif
