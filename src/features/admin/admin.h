/*
** admin.h — the admin feature's internal interface: the handlers for the
** route table in feature.c, and the few helpers every admin page shares
** (defined in feature.c). No other feature includes this header.
*/
#ifndef GUICHET_ADMIN_H
#define GUICHET_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/form.h"
#include "core/http.h"

#define ADMIN_USERS_PER_PAGE 50   /* rows on /admin/utilisateurs */
#define ADMIN_AUDIT_PER_PAGE 100  /* rows on /admin/audit */
#define ADMIN_OUTBOX_PER_PAGE 50  /* rows on /admin/outbox */
#define ADMIN_FILTER_MAX 200      /* bytes of a text filter in a query string */

/* A query-string argument, trimmed, allocated in the request arena; ""
** when absent. */
const char *admin_arg(req *r, const char *name);

/* Marks which item of the admin menu is current ("users", "audit",
** "outbox"). */
void admin_nav(json_t *d, const char *current);

/* Answers 500 with a French "try again" page (a database step failed). */
void admin_db_failed(req *r);

/* Ends a filtered list page: stores list under key in d; on a failed
** database step (rc != DB_DONE) answers 500 and drops d; otherwise adds
** the form's values and errors and renders tmpl. d is consumed. */
void admin_list_render(req *r, json_t *d, form *f, const char *key, json_t *list, int rc,
                       const char *tmpl);

/* A query's WHERE clause, put together from fixed SQL fragments chosen by
** which filters are present — never from input — with the values bound to
** their placeholders in order. Lives on the caller's stack; owns nothing. */
typedef struct admin_query {
  const char *frag[8];       /* fixed fragments, joined with AND */
  int nfrag;
  struct {
    int text;                /* 1: z is bound, 0: i */
    int64_t i;
    const char *z;           /* arena or literal text, alive until the statement is done */
  } bind[12];
  int nbind;                 /* placeholders bound so far: extra ones come after */
} admin_query;

/* Adds "AND frag" (frag a literal holding as many ? as values follow). */
void admin_query_and(admin_query *q, const char *frag);
void admin_query_int(admin_query *q, int64_t v);
void admin_query_text(admin_query *q, const char *z);
/* Prepares head + " WHERE …" + tail and binds the values; the caller binds
** any placeholder of tail from q->nbind + 1 on, steps and db_done()s. */
db_stmt *admin_query_prep(const admin_query *q, const char *head, const char *tail);

/* users_pages.c */
void admin_home_page(req *r);
void users_page(req *r);
void user_page(req *r);
void user_roles_post(req *r);
void user_status_post(req *r);

/* journal_pages.c */
void audit_page(req *r);
void audit_verify_page(req *r);
void outbox_page(req *r);
void outbox_message_page(req *r);

#endif
