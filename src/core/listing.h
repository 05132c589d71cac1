/*
** listing.h — what every filtered, paged list page shares (the admin lists,
** the instructors' work lists): the page asked for, the pager shown under
** the table (templates/pager.html, "core/pager"), and LIKE patterns for a
** search typed by a user. Nothing here allocates outside the arguments.
*/
#ifndef GUICHET_LISTING_H
#define GUICHET_LISTING_H

#include <jansson.h>
#include <stdint.h>

#include "core/http.h"

/* The page asked for in the "page" query argument, 1 when absent or not a
** positive number. */
int64_t listing_page_arg(req *r);

/* Adds "pager" to d: {"page", "pages", "total", "prev"?, "next"?, "keep":
** [{"name", "value"}]} for core/pager. page is clamped to [1, last page]
** and returned; keep lists the filters the links carry, as name/value
** pairs ending with NULL (empty values are left out). per > 0. */
int64_t listing_pager(json_t *d, int64_t total, int64_t page, int64_t per, const char *const *keep);

/* Appends to b the LIKE pattern matching text that contains z, with % _
** and \ escaped for "ESCAPE '\'". */
void listing_like_contains(buf *b, const char *z);

#endif
