/*
** charge.h — charging data of the points an aid funds (issue #3, journey
** 9): the points of a dossier (IRVE statique rows), their charging sessions,
** the per-day aggregates the summaries read, and the loads that bring them
** in (CSV upload, API), each checked against a Table Schema with a
** row-by-row report in French.
**
** Who may load what: the members of the dossier's organisation, once the
** dossier is validated (the aid is granted, the points are being installed)
** and until it is paid and after: validée, justificatifs déposés, versement
** demandé, versée. Before validation the dossier may still be amended (a new
** dossier replaces it) and nothing is funded; a refused, cancelled or
** expired dossier funds nothing, so it takes no data.
**
** Loads (charge.c): a points load is attached to one dossier; a sessions
** load to the organisation, each row to one of its points (by
** id_pdc_itinerance) in an open dossier. Rows go in batches, one
** transaction each (core/csvload.h): a batch's sessions, its per-day
** aggregates and the import's counters are committed together, so a server
** killed mid-load leaves each batch entirely loaded or not at all, and a
** load run again (the job after a crash, or the same file uploaded twice)
** adds no session twice: (point, start) is the key.
**
** Summaries (charge_stats.c) read only the per-day tables: one row per
** point and day, one per dossier and day.
**
** Every batch a load commits also adds one to aid_charge_marker.n
** (migrations/008_charge_marker.sql), in the same transaction: the
** dashboard's cache reads that one row to know its figures are stale.
**
** Tables: migrations/006_charge.sql. Schemas, embedded: the folder schemas/.
*/
#ifndef GUICHET_AID_CHARGE_H
#define GUICHET_AID_CHARGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/http.h"

#define CHARGE_UPLOAD_MAX (200LL << 20)   /* a CSV upload, bytes (gzip accepted) */
#define CHARGE_INFLATE_MAX (4LL << 30)    /* bytes of CSV a load reads at most (a gzip bomb stops there) */
#define CHARGE_SYNC_MAX (1 << 20)         /* uploads up to this size load in the request; bigger: the job */
#define CHARGE_API_BODY (4 << 20)         /* an API call's JSON body, bytes */
#define CHARGE_API_ROWS 10000             /* elements in one API call */
#define CHARGE_SESSION_MAX_S (31 * 86400) /* a longer session is a typing error */
#define CHARGE_FUTURE_S 86400             /* a session may start at most this far in the future (clocks) */
#define CHARGE_BATCH_ROWS 20000           /* rows of a load's first transaction; each next one doubles */
#define CHARGE_BATCH_MAX 320000           /* up to this (40 bytes a row in memory; see BENCHMARKS.md) */
#define CHARGE_WATCH_S 600                /* a load still unfinished this long after its start was cut short */

/* ----------------------------------------------------------- pure parts */

/* 1 if a dossier in this status takes charging data (see above). */
int charge_dossier_open(const char *status);
/* The same statuses as an SQL list, for "status IN " CHARGE_OPEN_SQL
** (tests/unit/test_aid_charge.c checks that the two agree). */
#define CHARGE_OPEN_SQL "('validee', 'justificatifs', 'versement', 'versee')"

/* Days are numbered from 1970-01-01 (day 0) in the server's time zone,
** the territory's. The day that contains unix time t. */
int64_t charge_day_of(int64_t t);
/* Local midnight at the start of day and at its end (23, 24 or 25 hours
** later), as unix times. */
void charge_day_bounds(int64_t day, int64_t *start, int64_t *end);
/* "2025-01-31" for a day number; the inverse (-1 if not a valid date). */
void charge_day_text(int64_t day, char out[11]);
int64_t charge_day_parse(const char *z);
/* Days since 1970-01-01 of a calendar date (proleptic Gregorian). */
int64_t charge_days_from_civil(int64_t y, unsigned m, unsigned d);

/* One day's share of a session: the seconds of [start, end) that fall in
** that day. */
typedef struct charge_slice {
  int64_t day;    /* day number */
  int64_t busy_s; /* seconds of the session in it */
} charge_slice;
/* Splits [start, end) (end >= start, end - start <= CHARGE_SESSION_MAX_S)
** at local midnights into out[0..n) and returns n (at most 33). A session
** of zero length gives one slice of 0 s on its day. */
int charge_split(int64_t start, int64_t end, charge_slice *out, int max);

/* kWh (≥ 0, finite) to whole Wh, rounded half up: 17.746 → 17746. */
int64_t charge_wh(double kwh);

/* "12 345" (U+00A0 between groups of three digits), "-1 234". */
void charge_format_count(char *out, size_t n, int64_t v);
/* "12 345,6 kWh"-style text of Wh: kWh with one decimal, U+00A0 between
** thousands. */
void charge_format_kwh(char *out, size_t n, int64_t wh);
/* A share in basis points as text: 3750 → "37,5 %", 5 → "0,05 %"; "–" when
** the share is unknown (negative). */
void charge_format_share(char *out, size_t n, int64_t bp);

/* ---------------------------------------------------------------- loads */

typedef enum charge_kind { CHARGE_POINTS = 0, CHARGE_SESSIONS = 1 } charge_kind;

/* Creates the row of a new load ('queued'); dossier_id only for points.
** Also enqueues its watch, the job "aid.charge.load" due CHARGE_WATCH_S
** later (in the caller's transaction, if any). Returns its id or -1. */
int64_t charge_import_new(charge_kind kind, int64_t org_id, int64_t dossier_id, int64_t uid, const char *source,
                          const char *filename, int64_t size);

/* Runs load import_id from a file (path, gzip or plain) or from memory
** (data, n), and records its outcome, counters and report in its row
** ('done' or 'failed'). Safe to run again on the same import after a
** crash (see above). Must be called outside a transaction. Returns 0 when
** the input was read to the end (rows may have been refused), 1 when the
** load stopped on a problem a person must fix (the row says what), -1 on a
** database error (worth retrying). */
int charge_import_run(int64_t import_id, const char *path, const char *data, size_t n);

/* The CSV text of a JSON array (an API call's body) for a load of kind:
** the header names the schema's fields, then any other key met in the
** objects (so that the load reports them as unknown columns, as for a
** file); each element is one record, line = index + 2. Strings are copied,
** numbers written in full, booleans as true/false, arrays and objects as
** their JSON (a geopoint [lon, lat]); an element that is not an object
** gives a record of empty cells. Returns 0, or -1 if the schema is
** missing. */
int charge_json_csv(charge_kind kind, json_t *rows, buf *out);

/* The directory of files waiting for the job ("<data_dir>/charge"), in a. */
const char *charge_spool_dir(arena *a);

/* The job "aid.charge.load" (payload {"import": id}): runs a load whose
** file waits in the spool (a big upload, or one a crash interrupted: the
** load resumes, nothing is counted twice), then deletes the file. A load
** not finished and without a file (it ran in a request, from memory or the
** request's temporary file, and the server died) is marked interrupted,
** with a message asking to upload the file again; a finished one is left
** alone. Registered by feature.c. */
int charge_load_job(json_t *payload, char **err);

/* ------------------------------------------------------------ summaries */

/* The Monday that starts the week of day (weeks run Monday to Sunday). */
int64_t charge_week_of(int64_t day);
/* Occupancy in basis points (10000 = 100 %): busy seconds over points ×
** span seconds, rounded down; -1 when points or span is 0. */
int64_t charge_occupancy_bp(int64_t busy_s, int64_t points, int64_t span_s);
/* The top of a chart's scale for a highest bar of max_bp: the first of
** 0,1 0,2 0,5 1 2 5 10 20 25 50 75 100 % that holds it (100 % when above:
** overlapping sessions on one point can exceed it). */
int64_t charge_scale_top(int64_t max_bp);

typedef enum charge_scope { CHARGE_POINT, CHARGE_DOSSIER, CHARGE_PROGRAMME, CHARGE_ALL } charge_scope;

/* Adds to d "summary" (points, sessions, energy, occupied hours,
** occupancy over the period with data, its first and last day, all as
** French text, and has_data) and, when there is data, "chart": occupancy
** as SVG bars (coordinates in a 720 × 240 viewBox), per week over the last
** 53 weeks with data, or per day over the last 62 days when by_day, with
** the same figures as a table. Reads the day tables only. 0, or -1 on a
** database error. */
int charge_summary_into(arena *a, charge_scope scope, int64_t id, int by_day, json_t *d);
/* Adds "pdcs": the points of a dossier (500 at most, by identifier) with
** their figures over the dossier's period, each with "href" = base/<id>;
** and "points_more" when there are more. 0 or -1. */
int charge_points_into(arena *a, int64_t dossier_id, const char *base, json_t *d);
/* Adds "dossiers": one page (1-based, clamped) of the dossiers with points
** of a programme (programme_id) or of an organisation (org_id, when
** programme_id is 0), by number, with their figures, each with "href" =
** base/<id>/donnees; and "pager" (core/pager). 0 or -1. */
#define CHARGE_DOSSIERS_PER_PAGE 100
int charge_dossiers_into(arena *a, int64_t programme_id, int64_t org_id, const char *base, int64_t page, json_t *d);

/* Adds to out (an object) the synthesis of one programme, or of every
** programme when programme_id is 0, for the dashboard:
**   {"points": N, "dossiers": N (with points), "sessions": N,
**    "energy_kwh": real, "busy_hours": real, "occupancy_pct": real or null
**    (occupied hours over points × 24 h × the days from the first to the
**    last day with data, in %),
**    "first_day": "YYYY-MM-DD"|null, "last_day": …,
**    "programmes": [{"id", "name", and the same figures}, …] (only when
**    programme_id is 0)}.
** Reads the per-day tables only. Returns 0, or -1 on a database error. */
int charge_synthesis_json(int64_t programme_id, json_t *out);

/* ------------------------------------------------------- pages and API */

/* charge_pages.c, for the route table of feature.c. */
void charge_dossier_page(req *r);       /* GET  /aides/dossiers/:id/donnees */
void charge_dossier_post(req *r);       /* POST /aides/dossiers/:id/donnees (IRVE statique CSV) */
void charge_point_page(req *r);         /* GET  /aides/dossiers/:id/donnees/points/:point */
void charge_org_page(req *r);           /* GET  /aides/donnees */
void charge_org_post(req *r);           /* POST /aides/donnees (sessions CSV) */
void charge_import_page(req *r);        /* GET  /aides/donnees/imports/:id */
void charge_import_csv(req *r);         /* GET  /aides/donnees/imports/:id/rapport.csv */
void charge_review_dossier_page(req *r);   /* GET /instruction/dossiers/:id/donnees */
void charge_review_point_page(req *r);     /* GET /instruction/dossiers/:id/donnees/points/:point */
void charge_review_programme_page(req *r); /* GET /instruction/programmes/:id/donnees */
void charge_sessions_api(req *r);       /* POST /api/v1/aides/sessions */
void charge_points_api(req *r);         /* POST /api/v1/aides/dossiers/:number/points */

#endif
