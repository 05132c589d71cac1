/*
** instruction.h — the instructors' back office for aid requests
** (capability "aid.review"): the work lists with their filters, batch
** validation and exports (instruction_list.c, instruction_export.c), and one
** dossier's page with every action on it (instruction_dossier.c).
**
** Every status change goes through aid_dossier_move() (dossier.h): these
** pages only choose the move, check what the form says, and show the
** outcome in French.
*/
#ifndef GUICHET_AID_INSTRUCTION_H
#define GUICHET_AID_INSTRUCTION_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/form.h"
#include "core/http.h"
#include "core/listing.h"

#define INSTR_PAGE 50          /* rows on one page of a work list */
#define INSTR_BATCH_MAX 200    /* dossiers in one batch validation */
#define INSTR_EXPORT_MAX 100000 /* rows in one export: past it, the filters must narrow the list */

/* A work list: a tab, its filters and its order, as read from the query
** string ("onglet", "programme", "statut", "departement", "du", "au",
** "min", "max", "q", "instructeur", "tri"). Strings live in the request
** arena. */
typedef struct instr_list {
  int tab;                   /* index in the tab table (instruction_list.c) */
  const char *tab_code;      /* its code: "a-traiter", "mes-dossiers", "en-attente", "traites" */
  int sort;                  /* index in the sort table */
  int64_t programme;         /* 0: every programme */
  const char *status;        /* a status code of the tab, or "" */
  const char *dept;          /* "17", "2A", "971", or "" */
  int64_t from, to;          /* submitted in [from, to), unix; 0: open */
  int64_t min_cents, max_cents; /* requested amount in [min, max]; -1: open */
  const char *q;             /* search: tracking number, SIRET or name; "" */
  int64_t assignee;          /* 0: anyone, -1: nobody, else users.id */
  int filtered;              /* 1 when any filter beyond the tab is set */
} instr_list;

/* Reads the list's arguments from r's query string into l, each error in
** French on its field of f (form_init'ed by the caller). Returns the
** number of errors. */
int instr_list_parse(req *r, form *f, instr_list *l);

/* The WHERE clause of list l for user uid into w: the tab, then every
** filter. part 0 gives the tab as its queue (what a sorted page reads in
** order); parts 1 and 2 give it as statuses, in at most two disjoint parts
** whose counts add up (what a count reads from an index alone). Returns 1,
** or 0 when the tab has no such part (w unchanged). */
int instr_list_where(req *r, const instr_list *l, int64_t uid, int part, listing_query *w);

/* The number of dossiers of list l for user uid, counting at most cap + 1
** (so that a count costs at most that many index entries); -1 on a
** database error. */
int64_t instr_list_count(req *r, const instr_list *l, int64_t uid, int64_t cap);

/* The keyset condition "(column, id) > (?, ?)" selecting the rows after
** (before = 0) or before the cursor (value, id) in l's display order. */
const char *instr_list_cursor(const instr_list *l, int before);

/* "ORDER BY …" of list l in its display order (reverse = 0) or the other
** way, ending in "LIMIT ?". */
const char *instr_list_order(const instr_list *l, int reverse);

/* "SELECT … FROM aid_dossiers d …" of the list's columns, shared by the
** page and the exports:
**   0 id, 1 number, 2 programme name, 3 organisation name, 4 organisation
**   SIRET, 5 beneficiary name, 6 beneficiary SIRET, 7 département, 8 city,
**   9 points, 10 amount, 11 granted, 12 status, 13 assignee id (0: none),
**   14 assignee name, 15 submitted_at, 16 updated_at, 17 complements_at. */
extern const char instr_list_select[];

/* Options for a <select> of instructors ([{value, label, selected}]): the
** active users with the role instructor, and the current user. */
json_t *aid_instructor_opts(req *r, int64_t selected);
/* CSS class of a status badge: "ok", "todo", "off" or "". */
const char *aid_status_class(const char *status);

/* instruction_list.c */
void instr_list_page(req *r);
void instr_batch_post(req *r);

/* instruction_export.c */
void instr_export_csv(req *r);
void instr_export_xlsx(req *r);

/* instruction_dossier.c */
void instr_dossier_page(req *r);
void instr_take_post(req *r);
void instr_assign_post(req *r);
void instr_start_post(req *r);
void instr_validate_post(req *r);
void instr_refuse_post(req *r);
void instr_request_post(req *r);
void instr_paid_post(req *r);
void instr_proofs_back_post(req *r);
void instr_note_post(req *r);
void instr_message_post(req *r);
void instr_doc_get(req *r);

/* The work-list URL to go back to: the "retour" field of the form, or of
** the query string, when it is a work-list URL of this site; else
** "/instruction". */
const char *instr_return_url(req *r);

#endif
