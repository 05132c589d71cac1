/*
** form.h — re-displaying forms: the values the user typed and the error of
** each field, shaped for templates as {"f": {name: value}, "err": {name:
** message}, "errors": [{"field", "message"}]}. Nothing typed is lost: a form
** that comes back with errors shows every value again (never passwords).
**
** The form owns a jansson object released with the request (arena defer).
*/
#ifndef GUICHET_FORM_H
#define GUICHET_FORM_H

#include <jansson.h>

#include "core/http.h"

typedef struct form {
  req *r;                    /* the request the values come from */
  json_t *data;              /* {"f":…, "err":…, "errors":[…]}; borrowed by the template data */
  int nerr;                  /* errors so far */
} form;

/* Reads the named fields (trimmed) from the request body. names ends with
** NULL. Fields whose name starts with "password" are never echoed back. */
void form_init(form *f, req *r, const char *const *names);
/* The trimmed value of a field ("" when absent). */
const char *form_get(form *f, const char *name);
void form_set(form *f, const char *name, const char *value);
/* Records an error for a field (the first one per field wins). */
void form_error(form *f, const char *name, const char *msg);
/* Adds the form's values/errors into page data (a new reference). */
void form_into(form *f, json_t *data);

/* Common checks, each adding the French error itself; return 1 if valid. */
int form_required(form *f, const char *name, const char *label);
int form_maxlen(form *f, const char *name, size_t max);
int form_email(form *f, const char *name);
int form_phone(form *f, const char *name);      /* French number: 0X XX XX XX XX or +33… */
int form_postcode(form *f, const char *name);   /* 5 digits */
int form_oneof(form *f, const char *name, const char *const *allowed);

#endif
