/*
** catalog.h — what the pages of labelled offers and equipment share
** (label_pages.c, equipment_pages.c, review_pages.c; catalog.c defines it).
** Other features use aid.h, never this header.
**
** A label request and an equipment declaration live the same life: an
** organisation files it (equipment passes through a draft while its
** documents are added), an instructor validates it or refuses it with a
** reason, the person who filed it gets an email, and every change of status
** is an event row — the history both sides see. The two tables differ, so a
** cat_kind holds each one's fixed SQL: the code that walks the life cycle is
** written once, and no SQL text is ever built from input.
*/
#ifndef GUICHET_AID_CATALOG_H
#define GUICHET_AID_CATALOG_H

#include <jansson.h>
#include <stdint.h>

#include "core/http.h"

#define CAT_REVIEW_CAP "aid.review"  /* instructors' capability (granted in feature.c) */
#define CAT_REASON_MAX 2000          /* bytes of a refusal reason or an instructor's note */
#define CAT_DOCS_MAX 20              /* technical documents on one equipment */
#define CAT_LIST_MAX 500             /* rows of an organisation's own list: an installer files a few a year */

/* One of the two kinds of thing instructors review. Every SQL text binds
** the object's id last; each is a literal in catalog.c. */
typedef struct cat_kind {
  const char *noun;          /* "label", "equipment": audit object "label:12", action "aid.label.validate" */
  const char *sql_load;      /* SELECT org_id, status, <title>, reason → one row */
  const char *sql_decide;    /* UPDATE: (status, reason, decided_by, decided_at, updated_at, id) if still 'deposee' */
  const char *sql_event;     /* INSERT event: (id, at, user_id, status, comment) */
  const char *sql_history;   /* SELECT at, first_name, last_name, email, status, comment → rows, oldest first */
  const char *sql_mailto;    /* SELECT the address to tell: who filed it, else the company's contact (id) */
  const char *mine_path;     /* "/aides/labels": the applicant's pages, "/ID" appended */
  const char *review_path;   /* "/instruction/labels": the instructors' pages */
  const char *what;          /* "Votre demande de label pour l’offre": starts the mail's sentence */
  const char *subject_ok;    /* mail subject of a validation, the title follows */
  const char *subject_ko;    /* of a refusal */
  const char *next_ok;       /* the mail's last paragraph: what the applicant can do now */
  const char *next_ko;
} cat_kind;

extern const cat_kind cat_label;      /* aid_labels */
extern const cat_kind cat_equipment;  /* aid_equipment */

/* French label of a status ("deposee" → "Déposée"); the code itself when
** unknown. */
const char *cat_status_label(const char *status);
/* Badge class of a status (guichet.css: ok, todo, off; "" for a draft). */
const char *cat_status_class(const char *status);

/* A person's name as the history shows it: "Camille Durand", or the email
** when no name was given, or "compte supprimé" when all are NULL. In a. */
const char *cat_person(arena *a, const char *first, const char *last, const char *email);

/* Columns col.. of a row: status, reason, created_at, then the
** organisation's name, siret, city and id — the tail of both kinds' detail
** SELECT — into o as status, status_class, pending/refused/draft flags,
** reason, date, org_name, siret, city, org_id. */
#define CAT_COMMON_SQL(alias) alias ".status, " alias ".reason, " alias ".created_at, o.name, o.siret, o.city, " alias ".org_id"
void cat_common_json(req *r, db_stmt *s, int col, json_t *o);

/* Loads object id of kind k: *org, and the status and title copied into
** r's arena (either may be NULL when not wanted). Returns 1, or 0 when no
** such row. */
int cat_load(req *r, const cat_kind *k, int64_t id, int64_t *org, const char **status, const char **title);

/* The path's ":id" when the object exists and belongs to the user's
** organisation; otherwise answers 404 (same page as a missing id, so ids
** reveal nothing) and returns -1. */
int cat_mine_or_reply(req *r, const cat_kind *k, int64_t *id, const char **status, const char **title);

/* Answers 500 with a French "try again" page (a database step failed). */
void cat_db_failed(req *r);
/* Opens a write transaction: 0, or -1 having answered 500. */
int cat_begin_or_reply(req *r);
/* Commits when ok (the writes so far all succeeded) and returns 0; else, or
** when the commit fails, rolls back, answers 500 and returns -1. */
int cat_commit_or_reply(req *r, int ok);

/* Steps the bound statement s, one object per row made by row_fn, and
** renders tmpl with the array under key in d. On a failed step answers 500
** instead. d is consumed; s is done. */
void cat_list_render(req *r, json_t *d, db_stmt *s, void (*row_fn)(req *, db_stmt *, json_t *), const char *key,
                     const char *tmpl);
/* An organisation's own list page: d gets nav (the menu item) and
** has_org; sql is run with (the user's org, CAT_LIST_MAX). */
void cat_org_list_page(req *r, const char *nav, const char *sql, void (*row_fn)(req *, db_stmt *, json_t *),
                       const char *key, const char *tmpl);

/* Appends an event (status after it, comment) by uid at now. Joins the
** caller's transaction. 0 or -1. */
int cat_event(const cat_kind *k, int64_t id, int64_t uid, const char *status, const char *comment);

/* The history of object id as [{date, who, status, status_class,
** comment}], oldest first (new reference). */
json_t *cat_history(req *r, const cat_kind *k, int64_t id);

/* Select options [{value, label, selected?}] from parallel NULL-ended code
** and label lists (labels translated), cur selected. New reference. */
json_t *cat_options(const char *const *codes, const char *const *labels, const char *cur);
/* The label of code in the parallel lists, or code itself. */
const char *cat_label_of(const char *const *codes, const char *const *labels, const char *code);

/* The sub-menu of the instruction pages: current is "dossiers" (the aid
** requests, instruction_*.c), "labels" or "equipment"; adds the counts of
** labels and equipment waiting for a decision. */
void cat_review_nav(json_t *d, const char *current);

/* Demo data: the demo company (entreprise@guichet.localhost) gets one
** validated label and one validated equipment, decided by the demo
** instructor, so that the dossier journeys can start at once. */
void catalog_seed(void);

/* label_pages.c: label id as page data under o — every field in French,
** status, reason, the organisation (org_name, siret, city) and "history".
** 1, or 0 when there is no such label. */
int label_json(req *r, int64_t id, json_t *o);
const char *label_parking_label(const char *code);
/* "17,2A,79" → "17, 2A, 79", in a. */
const char *label_depts_display(arena *a, const char *csv);

/* equipment_pages.c: equipment id as page data under o — fields, powers in
** kW, plug, status, reason, organisation, "docs" [{id, filename, size_kb,
** date}] and "history". 1, or 0 when there is no such equipment. */
int equipment_json(req *r, int64_t id, json_t *o);
const char *equipment_plug_label(const char *code);

/* Handlers: label_pages.c */
void labels_page(req *r);
void label_new_page(req *r);
void label_new_post(req *r);
void label_page(req *r);

/* equipment_pages.c */
void equipment_list_page(req *r);
void equipment_new_page(req *r);
void equipment_new_post(req *r);
void equipment_page(req *r);
void equipment_edit_page(req *r);
void equipment_edit_post(req *r);
void equipment_doc_post(req *r);
void equipment_doc_get(req *r);
void equipment_doc_delete_post(req *r);
void equipment_submit_post(req *r);

/* review_pages.c */
void review_labels_page(req *r);
void review_labels_csv(req *r);
void review_labels_xlsx(req *r);
void review_label_page(req *r);
void review_label_validate_post(req *r);
void review_label_refuse_post(req *r);
void review_equipment_list_page(req *r);
void review_equipment_csv(req *r);
void review_equipment_xlsx(req *r);
void review_equipment_page(req *r);
void review_equipment_validate_post(req *r);
void review_equipment_refuse_post(req *r);

#endif
