/*
** tableschema.h — Frictionless Table Schema (https://specs.frictionlessdata.io/
** table-schema/): parse a schema, check a CSV header against it, validate
** rows cell by cell into a report a person can act on, and convert cells to
** typed values for loading (csvload.h builds on it; any service may too).
**
** What a schema knows:
**   fields     name, type, format, constraints (required, unique, minimum,
**              maximum, minLength, maxLength, pattern, enum), trueValues /
**              falseValues, decimalChar / groupChar / bareNumber,
**              missingValues (schema-wide, or per field as in Table Schema 2);
**   table      missingValues (default [""]) and primaryKey (its fields are
**              required, and their combination unique).
**   Types: string (formats email, uri, uuid, binary), integer, number,
**   boolean, date, time, datetime, year, yearmonth, duration, geopoint
**   (formats default "lon, lat", array "[lon, lat]", object
**   {"lon": …, "lat": …}), object, array, any. Dates and times take
**   "default" (ISO 8601), "any" (ISO, plus dd/mm/yyyy for dates and hh:mm for
**   times) or a strptime(3) pattern such as "%d/%m/%Y". A datetime without an
**   offset is taken as UTC (the default format of the spec is UTC).
**   Not supported: foreignKeys are ignored (check them in csvload's row
**   hook); patterns using back-references, look-around, word boundaries or
**   Unicode classes make the schema refused, with the reason.
**
** Patterns are XML-Schema/JavaScript style and match the whole value. They
** are translated once, at parse time, to POSIX extended regexes (\d, \w, \s
** and their negations, (?:…), lazy quantifiers, \uXXXX) and compiled with
** regcomp. A pattern that is a plain sequence of character classes with
** counts (most identifier patterns) is also matched directly, in ~30 ns;
** other patterns go to regexec (0.5 µs, 4 µs in a UTF-8 locale), its
** results memoised per field for repeated values within 4 MiB.
**
** A ts_schema is one validation session: it holds the column mapping set by
** ts_header_check and the values seen by `unique` and primaryKey checks, so
** it is mutable, used by one thread at a time, and ts_schema_reset() makes it
** ready for another file. Memory: the schema owns everything it allocates;
** a unique check keeps each distinct value seen (about 40 bytes + its length).
**
** Lines: issues carry the record number in the file, the header being line
** 1 — what a spreadsheet shows as the row number.
*/
#ifndef GUICHET_TABLESCHEMA_H
#define GUICHET_TABLESCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define TS_VALUE_MAX 200   /* bytes of an offending value kept in an issue */
#define TS_REPORT_MAX 1000 /* default number of issues kept in a report */

typedef enum ts_type {
  TS_STRING,
  TS_INTEGER,
  TS_NUMBER,
  TS_BOOLEAN,
  TS_DATE,
  TS_TIME,
  TS_DATETIME,
  TS_YEAR,
  TS_YEARMONTH,
  TS_DURATION,
  TS_GEOPOINT,
  TS_OBJECT,
  TS_ARRAY,
  TS_ANY
} ts_type;

/* What the loader binds for a cell. */
typedef enum ts_vkind {
  TS_VNULL, /* missing value */
  TS_VINT,  /* integer, boolean (0/1), year */
  TS_VREAL, /* number */
  TS_VTEXT  /* everything else, normalised: dates "YYYY-MM-DD", datetimes in
            ** UTC "YYYY-MM-DDThh:mm:ss[.fff]Z", times "hh:mm:ss[.fff]",
            ** yearmonth "YYYY-MM", geopoints "lon,lat" */
} ts_vkind;

/* A typed cell. Its text is the cell itself (z) or, when normalising
** changed it, norm (z is then NULL): read it with ts_text(). A ts_value
** lives no longer than the cell it was made from; copying it is fine. */
typedef struct ts_value {
  ts_vkind kind;   /* what to bind */
  int64_t i;       /* TS_VINT */
  double r;        /* TS_VREAL */
  const char *z;   /* TS_VTEXT: the cell's own text, or NULL: see norm */
  size_t n;        /* TS_VTEXT: length of the text in bytes */
  int64_t key;     /* ordering key: days since 1970-01-01 (date), µs since
                   ** midnight (time), µs since the epoch in UTC (datetime),
                   ** months since year 0 (yearmonth) */
  double lon, lat; /* geopoint, degrees */
  char norm[48];   /* the normalised text when z is NULL */
} ts_value;

/* The text of a TS_VTEXT value (n bytes, NUL-terminated). */
static inline const char *ts_text(const ts_value *v) { return v->z ? v->z : v->norm; }

/* One broken rule. Strings belong to the report. */
typedef struct ts_issue {
  int64_t line;        /* record number, header = 1; 0: the whole file */
  const char *field;   /* field name, or NULL for a row or header issue */
  const char *value;   /* offending value (≤ TS_VALUE_MAX bytes, cut on a
                       ** character boundary), or NULL */
  const char *rule;    /* stable machine name: "required", "type", "format",
                       ** "minimum", "maximum", "minLength", "maxLength",
                       ** "pattern", "enum", "unique", "primaryKey",
                       ** "encoding", "row-length", "missing-label",
                       ** "extra-label", "duplicate-label", "label-order",
                       ** or a hook's own */
  const char *message; /* the sentence in French, for people */
} ts_issue;

/* Issues in file order; only the first nMax are kept, all are counted. */
typedef struct ts_report {
  ts_issue *aIssue; /* kept issues */
  size_t nIssue;    /* number kept */
  size_t nAlloc;    /* slots allocated in aIssue */
  size_t nMax;      /* keep at most this many */
  int64_t nTotal;   /* issues found, kept or not */
  arena *pArena;    /* owns the issues' strings */
} ts_report;

/* max 0 means TS_REPORT_MAX. A zeroed report is also ready (cap default). */
void ts_report_init(ts_report *r, size_t max);
void ts_report_free(ts_report *r);
/* Appends an issue. The message is "ligne L, champ « F » : " (or "ligne L :
** " without a field, nothing when line is 0) followed by fmt. value is
** copied, truncated to TS_VALUE_MAX bytes; it may be NULL. */
void ts_report_add(ts_report *r, int64_t line, const char *field, const char *value,
                   const char *rule, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* {"total":N,"kept":K,"issues":[{"line":…,"field":…,"value":…,"rule":…,
** "message":…},…]} appended to out. */
void ts_report_json(const ts_report *r, buf *out);

typedef struct ts_schema ts_schema;

/* Parse a schema. On error return NULL with a French explanation appended
** to err (if not NULL). The schema is owned by the caller: ts_schema_free. */
ts_schema *ts_schema_parse(const char *json, size_t n, buf *err);
ts_schema *ts_schema_load(const char *path, buf *err);
void ts_schema_free(ts_schema *s);
/* Forget the header mapping and the values seen by unique checks. */
void ts_schema_reset(ts_schema *s);

size_t ts_schema_nfield(const ts_schema *s);
const char *ts_field_name(const ts_schema *s, size_t i);
ts_type ts_field_type(const ts_schema *s, size_t i);
int ts_field_required(const ts_schema *s, size_t i);
int ts_field_index(const ts_schema *s, const char *name); /* -1 if none */
const char *ts_type_name(ts_type t);                      /* "integer", … */

/* Checks a header row against the fields and records which column holds
** which field (by name, so reordered columns still load). Reports, once each
** and with the column names: missing fields ("missing-label"), columns the
** schema does not know ("extra-label", ignored), repeated names
** ("duplicate-label", later ones ignored) and an order other than the
** schema's ("label-order", informative). Returns 0 when rows can be
** validated, -1 when a required field has no column (nothing could pass).
** Without a header check, cells are taken in schema order. */
int ts_header_check(ts_schema *s, const char *const *cells, size_t ncell, ts_report *rep);

/* Validates one data row (cells in file order, NUL-terminated, NULL for a
** missing cell) and appends every broken rule to rep. Returns 0 when the
** row is valid, 1 when it is not. */
int ts_validate_row(ts_schema *s, const char *const *cells, size_t ncell, int64_t line,
                    ts_report *rep);
/* The same, also filling out[0..nfield) in schema order with the typed
** values (TS_VNULL for missing ones). out is meaningful only when the row
** is valid, and points into cells: use it before the cells change. */
int ts_validate_row_values(ts_schema *s, const char *const *cells, size_t ncell, int64_t line,
                           ts_report *rep, ts_value *out);

/* Typed conversion of one cell for field i, without constraint checks:
** 0 and *out (TS_VNULL for a missing value), or -1 if the text is not of the
** field's type and format. */
int ts_cell_value(const ts_schema *s, size_t i, const char *cell, ts_value *out);

#endif
