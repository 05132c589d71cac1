/*
** apply_rules.h — the pure rules of the applicant's request form, shared
** by the pages and the unit tests (tests/unit/test_aid_apply.c):
**
**   - a programme's extra fields: the admin types them as rows of a table
**     (name, label, type, required, min, max, choices); aid_fields_parse()
**     checks the rows and makes the JSON array kept in aid_programmes.fields;
**   - the check of a value an applicant types in one of those fields, into
**     the JSON value kept in aid_dossiers.extra under the field's name, and
**     its display;
**   - the département of a French postcode.
**
** Nothing here touches the database or a request. French messages go to
** buffers the caller gives; JSON values returned are new references.
**
** A field definition (one element of aid_programmes.fields):
**   {"name": "puissance_kw", "label": "Puissance installée (kW)",
**    "type": "number", "required": true, "min": 3.7, "max": 350,
**    "choices": ["…", …]}
** "min"/"max" only for types text (length in characters, integers) and
** number (values, two decimals at most); "choices" only, and then at least
** two, for type choice. Values (aid_dossiers.extra): text, address, choice,
** date ("YYYY-MM-DD") and siret (14 digits) are strings, number a JSON
** number, yesno a boolean, file the id of the aid_dossier_docs row.
*/
#ifndef GUICHET_AID_APPLY_RULES_H
#define GUICHET_AID_APPLY_RULES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AID_FIELDS_MAX 30          /* extra fields of one programme */
#define AID_FIELD_NAME_MAX 40      /* bytes of a field's name (an identifier) */
#define AID_FIELD_LABEL_MAX 200    /* bytes of its label */
#define AID_FIELD_CHOICES_MAX 30   /* choices of a list */
#define AID_FIELD_CHOICE_MAX 100   /* bytes of one choice */
#define AID_FIELD_TEXT_MAX 2000    /* characters of a text value when the admin set no maximum */
#define AID_FIELD_ADDRESS_MAX 300  /* bytes of an address value */
#define AID_FIELD_NUMBER_MAX 100000000000LL /* hundredths: 1 000 000 000,00 at most */
#define AID_FIELD_ERR 640          /* room for one French error message, a 200-byte label included */

/* The types, in the order the admin's select lists them. */
typedef struct aid_ftype {
  const char *code;          /* "number": stored in the definition */
  const char *label;         /* "Nombre": shown to the admin */
} aid_ftype;
extern const aid_ftype aid_field_types[];
extern const int aid_nfield_types;

/* One row of the admin's table, as typed (every pointer non-NULL, trimmed
** or not: the parser trims). required is "1" when ticked. */
typedef struct aid_field_row {
  const char *name;          /* identifier; "" → made from the label */
  const char *label;         /* what the applicant reads */
  const char *type;          /* a code of aid_field_types */
  const char *required;      /* "1" or "" */
  const char *min, *max;     /* "" or a number */
  const char *choices;       /* "a ; b ; c" (';' or newline between choices) */
} aid_field_row;

/* Which input of a row an error is about. */
typedef enum aid_fcol {
  AID_FCOL_NAME = 0,
  AID_FCOL_LABEL,
  AID_FCOL_TYPE,
  AID_FCOL_MIN,
  AID_FCOL_MAX,
  AID_FCOL_CHOICES,
} aid_fcol;
extern const char *const aid_fcol_names[]; /* "name", "label", …: the inputs' stems */

/* An error of the admin's table. */
typedef struct aid_field_error {
  int row;                   /* index in the rows given */
  aid_fcol col;              /* the input */
  char msg[AID_FIELD_ERR];   /* French, names the field */
} aid_field_error;

/* 1 when every input of the row is empty (the table's blank line), the
** type and required inputs aside. */
int aid_field_row_blank(const aid_field_row *row);

/* Checks n rows (blank ones are skipped) and appends one definition per
** row to out, in order. A row without a name gets one made from its label
** ("Date de mise en service" → "date_de_mise_en_service", then "_2"…
** when taken). Returns the number of errors written to errs (at most
** maxerr; one per input at most); out is meaningful only when it is 0. */
int aid_fields_parse(const aid_field_row *rows, int n, json_t *out, aid_field_error *errs, int maxerr);

/* The rows that show a stored definition again in the admin's table:
** texts written so that parsing them gives the same definition back. The
** strings are written into the buffers of *t. */
typedef struct aid_field_texts {
  char name[AID_FIELD_NAME_MAX + 1];
  char label[AID_FIELD_LABEL_MAX + 1];
  char type[16];
  char required[2];
  char min[32], max[32];
  char choices[AID_FIELD_CHOICES_MAX * (AID_FIELD_CHOICE_MAX + 3)];
} aid_field_texts;
void aid_field_to_texts(const json_t *def, aid_field_texts *t);

/* Checks what the applicant typed (in, trimmed here) in the field def
** (any type but file). Returns 0 and *out (a new JSON value, or NULL when
** the field was left empty and is optional), or -1 with a French message
** in err that names the field. */
int aid_field_check(const json_t *def, const char *in, json_t **out, char *err, size_t n);

/* A stored value as the applicant's input shows it again ("7,4" for 7.4,
** "oui"/"non", the date as "YYYY-MM-DD"); "" when v is NULL. */
void aid_field_input(const json_t *def, const json_t *v, char *out, size_t n);
/* A stored value as a page shows it ("7,4", "Oui", "01/09/2026"); "" when
** v is NULL. Not for files (the page names the document). */
void aid_field_display(const json_t *def, const json_t *v, char *out, size_t n);

/* The département of a French postcode: "17000" → "17", "20090" → "2A",
** "20200" → "2B", "97400" → "974". Returns 0, or -1 (not 5 digits, or no
** département starts so: 00, 96, 99…). out holds 4 bytes at least. */
int aid_departement_of(const char *postcode, char *out, size_t n);

#endif
