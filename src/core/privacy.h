/*
** privacy.h — one person's data across the features (GDPR articles 15, 17
** and 20): the zip of everything held about an account, and the deletion
** of that account.
**
** Core knows no feature's tables. Each feature that holds data about a
** user fills up to three callbacks of its struct feature:
**
**   export_user(uid, out, zip)  puts what it holds about uid into `out`, a
**       JSON object that becomes the key "<feature name>" of donnees.json,
**       and adds stored files to the zip with privacy_zip_add (under
**       "<feature name>/"). Returns 0, or -1: the export fails (500).
**   erase_plan(uid, e)          says, for the deletion page, what deleting
**       the account removes and what it keeps and why (privacy_section,
**       privacy_goes, privacy_stays); may refuse the deletion
**       (privacy_refuse); marks, with privacy_keep, rows of a feature
**       earlier in the table that it must keep pointing at (a submitted aid
**       request keeps its organisation), so that feature leaves them. Reads
**       only.
**   erase_user(uid, e)          deletes or pseudonymises, as its plan said,
**       inside the write transaction core opened; stored files whose rows
**       it deleted go to privacy_remove_file (removed after the commit).
**       Returns 0, or -1: everything rolls back.
**
** Order: exports run in the order of the feature table; plans, then
** erasures, run in the reverse order. A feature's tables may point at
** those of the features before it (aid's dossiers at account's
** organisations, as its migrations run after them), so the dependent
** feature removes its rows and marks what it keeps before the feature it
** points at decides what to do with its own. After every erase_user, core
** deletes the users row (sessions, roles, API tokens and recovery codes
** cascade; every other user_id column is ON DELETE SET NULL) and appends
** the audit entry, in the same transaction.
**
** Memory: a privacy_erasure and its texts live in the arena given to
** privacy_plan; a privacy_zip lives in the request's arena.
*/
#ifndef GUICHET_PRIVACY_H
#define GUICHET_PRIVACY_H

#include <jansson.h>
#include <stdint.h>

#include "core/db.h"
#include "core/feature.h"
#include "core/http.h"

/* ------------------------------------------------------ for the features */

/* The current row of s as a new JSON object keyed by column name, typed
** (integer, real, text; NULL and blobs as null). */
json_t *privacy_row(db_stmt *s);
/* Every remaining row of s, as a new array of privacy_row objects; s is
** done after. */
json_t *privacy_rows(db_stmt *s);

/* Adds the stored file `hash` (core/upload.h) to the zip as
** "<feature>/<dir>/<id>-<filename>": dir is made by the caller's code
** ("demandes/AV-2026-000012"), filename is the user's and has its '/',
** '\' and control characters replaced by '_'. Returns that name, for the
** JSON (valid while the request lives), or NULL when the file is not in
** the store (nothing added). */
const char *privacy_zip_add(privacy_zip *z, const char *hash, const char *dir, int64_t id, const char *filename);

/* Starts a section of the deletion page ("Aides à la recharge"); the
** lines that follow go into it. A section left without lines is not
** shown. */
void privacy_section(privacy_erasure *e, const char *title);
/* A line of what the deletion removes, or of what it keeps and why:
** French, formatted (counts). */
void privacy_goes(privacy_erasure *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void privacy_stays(privacy_erasure *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The account cannot be deleted now: reason, French, says what to do
** first. The first reason given is the one shown. */
void privacy_refuse(privacy_erasure *e, const char *reason);
/* Row `id` of `table` (a feature earlier in the table owns it) must stay:
** something kept points at it. */
void privacy_keep(privacy_erasure *e, const char *table, int64_t id);
int privacy_kept(const privacy_erasure *e, const char *table, int64_t id);
/* A stored file whose row erase_user deleted: upload_remove after commit. */
void privacy_remove_file(privacy_erasure *e, const char *hash);
/* The account's e-mail address (lower-cased), read once by privacy_plan:
** what features that record people by address (contact forms, requests
** made without an account) look for. */
const char *privacy_email(const privacy_erasure *e);

/* ------------------------------------------------- for the account pages */

/* Builds the zip of everything held about uid in a temporary file of the
** request (removed with it): donnees.json (format, date, one key per
** feature) and the features' files. 0 with *path set, or -1. */
int privacy_export(req *r, int64_t uid, const char **path);

/* Runs every feature's erase_plan for uid (reads only). */
privacy_erasure *privacy_plan(arena *a, int64_t uid);
/* The plan for the page: a new object {"sections": [{"title", "goes":
** [text…], "stays": [text…]}…]}. */
json_t *privacy_plan_json(const privacy_erasure *e);
/* Why the deletion is refused now, or NULL. */
const char *privacy_refusal(const privacy_erasure *e);

/* Deletes account uid: in one write transaction, the plan again (what
** holds now), every feature's erase_user, the users row and the audit
** entry "user.delete" (from ip); then the stored files nobody names any
** more. Returns 0; 1 when the plan refuses (*refusal set, nothing
** changed); -1 on a database or feature failure (nothing changed). */
int privacy_erase(arena *a, int64_t uid, const char *ip, const char **refusal);

#endif
