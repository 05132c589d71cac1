/*
** fuzz_aid_fields.c — libFuzzer harness for the extra form fields of an
** aid programme (features/aid/apply_rules.h): the admin's table parser and
** the check of the values an applicant types.
**
** Input layout: NUL-separated pieces. The first 7 × k pieces (k = the first
** byte % 4 + 1) are k rows of the admin's table (name, label, type,
** required, min, max, choices); each piece after them is a value checked
** against every definition the table made (when it made any), then read
** back for input and display. The first piece of each value also goes to
** aid_departement_of(). Any input must end in definitions or French errors
** without a crash, leak or sanitizer report; every message is
** NUL-terminated within its buffer.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/aid/apply_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIECES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  int nrows = data[0] % 4 + 1;
  char *buf = malloc(size);
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = 0;
  const char *piece[PIECES_MAX];
  int n = 0;
  for (char *p = buf; n < PIECES_MAX && p < buf + size - 1;) {
    piece[n++] = p;
    p += strlen(p) + 1;
  }
  aid_field_row rows[4];
  int k = 0;
  for (int r = 0; r < nrows; r++) {
    const char *v[7];
    for (int c = 0; c < 7; c++) v[c] = k < n ? piece[k++] : "";
    rows[r] = (aid_field_row){v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
  }
  aid_field_error errs[8];
  json_t *defs = json_array();
  int ne = aid_fields_parse(rows, nrows, defs, errs, 8);
  for (int i = 0; i < ne && i < 8; i++)
    if (!memchr(errs[i].msg, 0, sizeof errs[i].msg)) abort();
  if (ne == 0) {
    size_t i;
    json_t *def;
    json_array_foreach(defs, i, def) {
      aid_field_texts t;
      aid_field_to_texts(def, &t);
      for (int j = k; j < n; j++) {
        char err[AID_FIELD_ERR], out[512];
        json_t *v = NULL;
        if (aid_field_check(def, piece[j], &v, err, sizeof err) != 0 && !memchr(err, 0, sizeof err)) abort();
        aid_field_input(def, v, out, sizeof out);
        aid_field_display(def, v, out, sizeof out);
        json_decref(v);
      }
    }
  }
  char dep[4];
  for (int j = k; j < n; j++) aid_departement_of(piece[j], dep, sizeof dep);
  json_decref(defs);
  free(buf);
  return 0;
}
