/*
** aid.h — the aid-programme feature (Advenir-like primes for charging
** points): the pure rules, shared with the unit tests, and the handlers of
** the route table in feature.c.
**
** A programme is data, kept in aid_programmes (migrations/001_aid.sql) and
** edited by territory admins. Money is integer cents, a rate is basis
** points (hundredths of a percent: 50 % = 5000), a date is "YYYY-MM-DD".
** The rules below touch no database and allocate nothing.
*/
#ifndef GUICHET_AID_H
#define GUICHET_AID_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/http.h"

#define AID_AMOUNT_MAX 100000000000LL /* 1 000 000 000,00 €: any larger amount is a typing error */
#define AID_POINTS_MAX 1000000        /* charging points in one request or one programme */

/* The numbers of a programme that the rules need. */
typedef struct aid_rules {
  int active;                /* 1 when the admin has the programme switched on */
  int64_t rate_bp;           /* share of the eligible cost, 0..10000 (basis points) */
  int64_t cap_cents;         /* cap per charging point */
  int64_t bonus_cents;       /* bonus per point when it applies (0: no bonus) */
  int64_t budget_cents;      /* envelope; 0: no envelope */
  int64_t max_points;        /* points the programme funds at most; 0: no limit */
  const char *opens_on;      /* first day requests are accepted, "YYYY-MM-DD" */
  const char *closes_on;     /* last day, "YYYY-MM-DD", >= opens_on */
  int64_t committed_cents;   /* already granted or reserved from the envelope */
  int64_t committed_points;  /* points already granted or reserved */
} aid_rules;

/* The aid for a project: min(rate × cost, cap × points) + bonus × points
** (bonus only when with_bonus), in cents, each product rounded down to the
** cent. Zero points or zero cost give 0. Inputs must be within
** AID_AMOUNT_MAX / AID_POINTS_MAX (asserted), so nothing overflows. */
int64_t aid_amount(const aid_rules *p, int64_t cost_cents, int64_t points, int with_bonus);

/* Why a programme takes no new request. */
typedef enum aid_state {
  AID_OPEN = 0,              /* open */
  AID_INACTIVE,              /* switched off by an admin */
  AID_NOT_YET,               /* today < opens_on */
  AID_ENDED,                 /* today > closes_on */
  AID_BUDGET,                /* envelope exhausted, or too small for the request */
  AID_POINTS,                /* maximum number of points reached */
} aid_state;

/* Whether the programme accepts a new request of amount_cents for points on
** day today ("YYYY-MM-DD"). With amount_cents = points = 0 it answers "does
** it accept any request at all": a programme whose envelope is exactly
** used up is closed, one with a cent left is open. With a request, it is
** open when committed + requested <= budget and committed + points <= max:
** a request that uses the envelope up exactly is accepted. */
aid_state aid_status(const aid_rules *p, const char *today, int64_t amount_cents, int64_t points);

/* The French sentence for a state (out, NUL-terminated, truncated to n);
** "" for AID_OPEN. Dates come out as "01/09/2026". */
void aid_state_reason(aid_state st, const aid_rules *p, char *out, size_t n);

/* Parses a French-typed decimal with at most two decimals into hundredths:
** "12 500,50" → 1250050, "37,5" → 3750, "960" → 96000. Accepts spaces
** (also U+00A0 and U+202F) between digit groups, ',' or '.' as the decimal
** mark and a trailing "€". Returns 0, or -1 (empty, other characters, more
** than two decimals, above max). */
int aid_parse_hundredths(const char *z, int64_t max, int64_t *out);

/* A positive count of things ("12"): 0 and *out, or -1. */
int aid_parse_count(const char *z, int64_t max, int64_t *out);

/* 1 if z is a real calendar date "YYYY-MM-DD" (years 2000..2099). */
int aid_date_valid(const char *z);

/* Formats cents the French way into out: "12 500,00 €" (U+00A0 between
** thousands and before the sign; "-" in front when negative). */
void aid_format_euros(char *out, size_t n, int64_t cents);
/* Formats a rate: 5000 → "50 %", 3750 → "37,5 %", 3725 → "37,25 %". */
void aid_format_rate(char *out, size_t n, int64_t rate_bp);
/* "2026-09-01" → "01/09/2026" (z copied as is when it is not a date). */
void aid_format_date(char *out, size_t n, const char *z);

/* programme_pages.c (back office) */
void programmes_admin_page(req *r);
void programme_new_page(req *r);
void programme_new_post(req *r);
void programme_edit_page(req *r);
void programme_edit_post(req *r);

/* public_pages.c */
void programmes_page(req *r);
void programme_page(req *r);
/* The aid for cost_cents and points under ru, as the pages show it: a new
** object {"cost", "points", "by_rate", "by_cap", "cap_binds",
** "bonus_total" (with the bonus), "amount" (French euros), "reason" (when
** the programme would refuse it)}; templates/amount.html renders it. */
json_t *aid_amount_detail(req *r, const aid_rules *ru, int64_t cost_cents, int64_t points, int with_bonus);
/* The display values (aid_programme_load) of the programmes whose ids the
** statement s yields in its first column, in that order; s is stepped to
** its end and done. A new array. */
json_t *aid_programmes_of(req *r, db_stmt *s);
/* The non-empty lines of z (\r dropped) as a new JSON array of strings. */
json_t *aid_lines(const char *z);

/* dashboard.c */
void dashboard_page(req *r);
void dashboard_export(req *r);

/* site_pages.c */
void faq_page(req *r);
void legal_page(req *r);
void pages_admin_page(req *r);
void page_edit_page(req *r);
void page_edit_post(req *r);

/* contact_pages.c */
void contact_page(req *r);
void contact_post(req *r);
void contact_admin_page(req *r);
void contact_message_page(req *r);
void contact_read_post(req *r);

/* The programme table's helpers shared by both page files (programme_pages.c). */
/* Loads programme id into rules (strings in r's arena) and, when d is not
** NULL, every column as display values under d. Returns 1, or 0 if absent. */
int aid_programme_load(req *r, int64_t id, aid_rules *p, json_t *d);
/* The rules of programme id, strings in a. Returns 1, or 0 if absent. */
int aid_rules_load(arena *a, int64_t id, aid_rules *p);
/* Cents as French euros in a: "12 500,00 €" (aid_format_euros). */
const char *aid_euros(arena *a, int64_t cents);
/* French label of a target code ("voirie_publique" → "Voirie publique"). */
const char *aid_target_label(const char *code);

/* ------------------------------------------------ labels and equipment
** Labelled offers and declared equipment (label_pages.c, equipment_pages.c,
** review_pages.c; tables in migrations/002_labels.sql). What the dossiers
** need of them is below; the rest stays in catalog.h. */

#define AID_DEPTS_MAX 102  /* distinct département codes: 01–95 but 20, 2A, 2B, 971–976 */
#define AID_DEPTS_TEXT 512 /* room for every code, comma-joined, with its NUL */

/* Parses the départements a user typed ("17, 79 ;2a 971", separated by
** spaces, commas or semicolons; "9" means "09") into out: the distinct
** codes in INSEE order, comma-joined ("17,2A,79,971"). n >= AID_DEPTS_TEXT
** (asserted). Returns 0, or -1 with bad (size nbad) holding the first
** token that is not a code (20 bytes at most), or "" when none was typed. */
int aid_departements_parse(const char *z, char *out, size_t n, char *bad, size_t nbad);

/* Formats a power in watts as kilowatts the French way: 7400 → "7,4",
** 22000 → "22", 3680 → "3,68"; with unit, followed by U+00A0 "kW". */
void aid_format_kw(char *out, size_t n, int64_t watts, int unit);

/* 1 when label label_id belongs to organisation org_id and is validated
** (status 'validee'), else 0. One indexed read. */
int aid_label_valid(int64_t label_id, int64_t org_id);
/* Appends to out (a JSON array) one {"id", "name"} per validated label of
** org_id, by name. Returns how many, or -1 on a database error. */
int aid_labels_validated(int64_t org_id, json_t *out);
/* The same for equipment: 1 when it belongs to org_id and is validated. */
int aid_equipment_valid(int64_t equipment_id, int64_t org_id);
/* Appends {"id", "name"} per validated equipment of org_id, name being
** "brand model (reference)". Returns how many, or -1. */
int aid_equipment_validated(int64_t org_id, json_t *out);

/* Demo data (demo.c): the demo company's aid requests in various statuses,
** made by the real functions. Run by the feature's seed, after the demo
** programmes, label and equipment. */
void aid_demo_seed(void);

#endif
