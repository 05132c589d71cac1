/*
** fuzz_tmpl.c — libFuzzer harness for the template compiler and renderer.
**
** The input is split at NUL bytes into up to three templates, "main", "a"
** and "b", so partials ({{> a}}) and layouts ({{< b}}) get exercised. Every
** input is compiled, checked, and rendered from "main" against a fixed value
** holding nested objects and arrays and hostile strings, with a translate
** hook that returns markup.
**
** Beyond crashes, leaks and sanitizer reports, escaping itself is checked by
** a differential render: the same data with every "<xss" marker turned into
** "_xss" (same lengths, same truthiness, same schemes) must give output with
** as many "<xss" as the hostile data does. Any extra one is a value that
** reached the page unescaped. Inputs using {{raw}} are exempt.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (1u << 18) /* output cap per render: branching partials grow fast */

static const char DATA[] =
    "{"
    "\"a\": \"<xss>\\\"'&=`\","
    "\"b\": \"javascript:alert(1)\","
    "\"c\": \" JaVaScRiPt:alert(1)\","
    "\"d\": \"data:text/html,<xss>\","
    "\"e\": \"</script><xss><!--\","
    "\"f\": \"-->{{a}}]]>\","
    "\"g\": \"\\u0000nul\\u0001\\u001f\\u2028é\","
    "\"h\": \"https://exemple.fr/?q=<xss>#<xss>\","
    "\"i\": 42, \"j\": -0.5, \"k\": 1e308, \"l\": true, \"m\": false, \"n\": null,"
    "\"o\": {\"a\": \"<xss>\", \"o\": {\"a\": \"x\", \"b\": [1, {\"a\": \"<xss>\"}]}},"
    "\"p\": [\"<xss>\", 1, true, null, [], {}, [\"<xss>\", [\"y\"]]],"
    "\"q\": [], \"r\": \"\", \"s\": 0, \"t\": {},"
    "\"u\": [{\"a\": 1, \"p\": [{\"a\": 2}]}, {\"b\": \"<xss>\"}, {\"u\": []}]"
    "}";

static json_t *g_hostile; /* DATA: built once, shared by every run, never freed */
static json_t *g_benign;  /* DATA with "<xss" turned into "_xss" */

static const char *tr_hostile(const char *msgid) {
  return msgid[0] == 'x' ? msgid : "\"><xss>'&javascript:alert(1)";
}
static const char *tr_benign(const char *msgid) {
  return msgid[0] == 'x' ? msgid : "\">_xss>'&javascript:alert(1)";
}

static json_t *data_build(int benign) {
  char z[sizeof DATA];
  memcpy(z, DATA, sizeof DATA);
  for (char *p = z; benign && (p = strstr(p, "<xss")) != NULL; p++) *p = '_';
  json_t *v = json_loads(z, JSON_ALLOW_NUL, NULL);
  if (!v) abort();
  json_t *deep = json_array(); /* deeper than the JSON writer's cap */
  for (int i = 0; i < 100; i++) {
    json_t *up = json_array();
    json_array_append_new(up, deep);
    json_array_append_new(up, json_string(benign ? "_xss" : "<xss"));
    deep = up;
  }
  json_object_set_new(v, "z", deep);
  return v;
}

/* Occurrences of the string w in z[0..n). */
static size_t count(const char *z, size_t n, const char *w) {
  size_t k = 0, nw = strlen(w);
  for (size_t i = 0; i + nw <= n; i++)
    if (z[i] == w[0] && memcmp(z + i, w, nw) == 0) k++;
  return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const azName[] = {"main", "a", "b"};
  if (!g_hostile) {
    g_hostile = data_build(0);
    g_benign = data_build(1);
  }
  if (size > 1u << 16) return 0;

  tmpl_set *s = tmpl_set_new();
  const char *z = (const char *)data;
  size_t start = 0;
  for (int k = 0; k < 3; k++) {
    const char *e = memchr(z + start, 0, size - start);
    size_t end = e ? (size_t)(e - z) : size;
    char *err = NULL;
    if (tmpl_add(s, azName[k], z + start, end - start, &err) != 0) {
      /* A failure always explains itself, naming the template. */
      if (!err || strncmp(err, azName[k], strlen(azName[k])) != 0) abort();
      free(err);
    } else if (err) {
      abort();
    }
    if (!e) break;
    start = end + 1;
  }
  char *err = NULL;
  if (tmpl_check(s, &err) != 0) {
    if (!err) abort();
    free(err);
  }

  buf hostile, benign;
  buf_init(&hostile, OUT_MAX);
  buf_init(&benign, OUT_MAX);
  tmpl_set_translate(s, tr_hostile);
  int rc = tmpl_render(s, "main", g_hostile, &hostile);
  tmpl_set_translate(s, tr_benign);
  if (tmpl_render(s, "main", g_benign, &benign) != rc) abort();
  if (rc == 0 && !hostile.err && !benign.err && count(z, size, "raw") == 0 &&
      count(hostile.z, hostile.n, "<xss") != count(benign.z, benign.n, "<xss")) {
    fprintf(stderr, "a value reached the output unescaped:\n%.*s\n", (int)hostile.n,
            buf_str(&hostile));
    abort();
  }
  buf_free(&hostile);
  buf_free(&benign);
  tmpl_set_free(s);
  return 0;
}
