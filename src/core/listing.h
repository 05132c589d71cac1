/*
** listing.h — what every filtered, paginated list page shares (the admin
** lists, the heat operators' requests): the page argument, days typed by
** people, a WHERE clause put together from fixed SQL fragments, and the
** pager rendered by the core/pager template.
**
** Nothing here allocates outside the request arena; a listing_query lives
** on the caller's stack and owns nothing.
*/
#ifndef GUICHET_LISTING_H
#define GUICHET_LISTING_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/form.h"
#include "core/http.h"

#define LISTING_FILTER_MAX 200 /* bytes of a text filter in a query string */

/* The page asked for in the "page" query argument, 1 when absent or not a
** positive number. */
int64_t listing_page_arg(req *r);

/* Adds "pager" to d: {"page", "pages", "total", "prev"?, "next"?, "keep":
** [{"name", "value"}]} for the core/pager template. page is clamped to the
** last page (returned); keep lists the arguments the links carry, as
** name/value pairs ending with NULL (empty values are left out). */
int64_t listing_pager(json_t *d, int64_t total, int64_t page, int64_t per, const char *const *keep);

/* Parses a day, 2025-03-31 (what <input type=date> sends) or 31/03/2025,
** into the local time at which it starts, or with next = 1 the one at
** which the following day starts. Returns 0, or -1 when z is not a day of
** the calendar. */
int listing_day(const char *z, int next, int64_t *out);

/* Appends to b the LIKE pattern matching text that contains z, with % _
** and \ escaped for "ESCAPE '\'". */
void listing_like_contains(buf *b, const char *z);

/* A query's WHERE clause, put together from fixed SQL fragments chosen by
** which filters are present — never from input — with the values bound to
** their placeholders in order. */
typedef struct listing_query {
  const char *frag[12];      /* fixed fragments, joined with AND */
  int nfrag;
  struct {
    int text;                /* 1: z is bound, 0: i */
    int64_t i;
    const char *z;           /* arena or literal text, alive until the statement is done */
  } bind[24];
  int nbind;                 /* placeholders bound so far: extra ones come after */
} listing_query;

/* Adds "AND frag" (frag a literal holding as many ? as values follow). */
void listing_query_and(listing_query *q, const char *frag);
void listing_query_int(listing_query *q, int64_t v);
void listing_query_text(listing_query *q, const char *z);
/* Prepares head + " WHERE …" + tail and binds the values; the caller binds
** any placeholder of tail from q->nbind + 1 on, steps and db_done()s. head
** and tail are fixed text too. */
db_stmt *listing_query_prep(const listing_query *q, const char *head, const char *tail);

/* One page of a list: head + " WHERE …" + order + " LIMIT ? OFFSET ?",
** the limit and offset of page (from 1) of per rows bound after q's values.
** order is fixed text ("ORDER BY a.id DESC"). */
db_stmt *listing_page_prep(const listing_query *q, const char *head, const char *order, int64_t page, int64_t per);

/* The number of rows of head (a fixed "SELECT count(*) FROM t") under q's
** WHERE into *total. On a database error answers 500 in French, releases
** d (the page data being built) and returns -1. */
int listing_count_or_reply(req *r, const listing_query *q, const char *head, json_t *d, int64_t *total);

/* The filters "du" and "au" of a list: days of listing_day's forms, both
** inclusive. Checks them into f (French errors on the fields "du" and
** "au") and adds to q ge_frag ("a.at >= ?") with the start of zFrom and
** lt_frag ("a.at < ?") with the end of zTo, those that are not "". */
void listing_days(form *f, listing_query *q, const char *zFrom, const char *zTo, const char *ge_frag,
                  const char *lt_frag);

#endif
