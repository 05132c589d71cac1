/*
** admin.h — the admin feature's internal interface: the handlers for the
** route table in feature.c, and the few helpers every admin page shares
** (defined in feature.c; the list helpers are in core/listing.h). No other
** feature includes this header.
*/
#ifndef GUICHET_ADMIN_H
#define GUICHET_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/form.h"
#include "core/http.h"
#include "core/listing.h"

#define ADMIN_USERS_PER_PAGE 50   /* rows on /admin/utilisateurs */
#define ADMIN_AUDIT_PER_PAGE 100  /* rows on /admin/audit */
#define ADMIN_OUTBOX_PER_PAGE 50  /* rows on /admin/outbox */

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
