/*
** dossier.h — the life of an aid request ("dossier"): its statuses, who may
** move it from one to another, and the one function that does, so that the
** applicant's pages, the instructors' back office, the batch actions and the
** scheduled jobs all go through the same checks.
**
**   brouillon → déposée → en instruction → compléments demandés → validée
**   (offre de prime) → justificatifs déposés → versement demandé → versée;
**   or refusée (with a reason), annulée, expirée (no proofs in time).
**
** A move is one write transaction: the status and its timestamps, the
** history row (who, when, why), the envelope (a validation commits the
** dossier's amount and points on its programme, and is refused when they no
** longer fit; leaving a committed state releases them), the admins' warning
** at 80 % and 95 % of an envelope, and the applicant's e-mail. Two
** validations at once cannot over-commit: the write lock is taken first
** (BEGIN IMMEDIATE), then the envelope is read.
**
** Tables: migrations/003_dossiers.sql.
*/
#ifndef GUICHET_AID_DOSSIER_H
#define GUICHET_AID_DOSSIER_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* A status: code stored in aid_dossiers.status, French label. */
typedef struct aid_dstatus {
  const char *code;        /* "complements" */
  const char *label;       /* "Compléments demandés" */
} aid_dstatus;
extern const aid_dstatus aid_dossier_statuses[];
extern const int aid_ndossier_statuses;
/* Label of a code, or NULL if unknown. */
const char *aid_dossier_status_label(const char *code);

/* The proofs an applicant files after validation, all three before the
** move to "justificatifs": kind stored in aid_dossier_docs, French label. */
typedef struct aid_proof_kind {
  const char *kind;        /* "facture" */
  const char *label;       /* "Facture acquittée" */
} aid_proof_kind;
extern const aid_proof_kind aid_proof_kinds[];
extern const int aid_nproof_kinds;

/* Who asks for a move. */
typedef enum aid_actor {
  AID_APPLICANT = 1,       /* a member of the dossier's organisation */
  AID_INSTRUCTOR = 2,      /* an instructor ("aid.review") */
  AID_PLATFORM = 4,        /* a scheduled job */
} aid_actor;

/* 1 if `who` may move a dossier from status `from` to `to`. Pure. */
int aid_transition_allowed(const char *from, const char *to, aid_actor who);
/* 1 if the move to `to` needs a reason (refusal, cancellation by staff). */
int aid_transition_needs_reason(const char *to, aid_actor who);

typedef enum aid_move_result {
  AID_MOVE_OK = 0,
  AID_MOVE_NOT_FOUND,      /* no such dossier */
  AID_MOVE_NOT_ALLOWED,    /* not from its current status, or not by this actor */
  AID_MOVE_REASON,         /* a reason is required */
  AID_MOVE_CLOSED,         /* submission: the programme takes no new request */
  AID_MOVE_BUDGET,         /* validation: the envelope or the points left are too small */
  AID_MOVE_INCOMPLETE,     /* the applicant still owes requested documents or proofs */
  AID_MOVE_DB,             /* database error: nothing changed */
} aid_move_result;

/* Moves dossier id to status `to` as `who` (uid 0 for the platform) with
** an optional reason, in one write transaction (see above). Moving to
** "deposee" computes the requested amount with the programme's rule and
** refuses when the programme is closed or the request no longer fits what
** is left. On failure nothing changes and msg holds a French sentence for
** the user (msg may be NULL). Called outside a transaction, it opens and
** commits its own; called inside a write transaction (db_begin_write) it
** joins it, and on failure the caller must roll back (some writes may have
** been made). Moving to "complements" e-mails the applicant the list of
** the dossier's open aid_doc_requests: insert them first, in the same
** transaction. */
aid_move_result aid_dossier_move(int64_t id, const char *to, aid_actor who, int64_t uid, const char *reason,
                                 char *msg, size_t n);

/* Amending a submitted dossier: cancels it ("annulée – remplacée par N° …")
** and creates a prefilled draft with a new tracking number, both linked, in
** one transaction. Only from déposée, en instruction or compléments
** demandés, by the applicant. Returns the new dossier's id, or -1 with msg
** set. */
int64_t aid_dossier_amend(int64_t id, int64_t uid, char *msg, size_t n);

/* Creates a draft for organisation org_id in programme programme_id, filed by
** uid, with its tracking number. Returns its id, or -1. */
int64_t aid_dossier_create(int64_t programme_id, int64_t org_id, int64_t uid);

/* The scheduled job "aid.expire": moves to "expiree" every validated dossier
** whose proofs are not in by their due day. Returns how many. */
int aid_dossier_expire_due(const char *today);

#endif
