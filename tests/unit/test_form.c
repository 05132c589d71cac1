/*
** test_form.c — the form and multipart parsers, through the real
** dispatcher: each test starts the HTTP server in-process on a random port
** with a probe route that echoes what was parsed as JSON; plus the form
** validators (form.c) on a hand-built request.
*/
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/http.h"
#include "testdb.h"

static int g_port;
static testdb T; /* the test's directory and database */

static void probe(req *r) {
  json_t *j = json_object();
  json_t *fields = json_array();
  for (form_field *f = r->fields; f; f = f->next) {
    json_t *p = json_array();
    json_array_append_new(p, json_string(f->name));
    json_array_append_new(p, json_stringn(f->value, f->n));
    json_array_append_new(fields, p);
  }
  json_t *files = json_array();
  for (form_file *f = r->files; f; f = f->next) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "filename", json_string(f->filename));
    json_object_set_new(o, "size", json_integer((json_int_t)f->size));
    json_object_set_new(o, "spilled", json_boolean(f->path != NULL));
    if (f->data) json_object_set_new(o, "data", json_stringn(f->data, f->size));
    json_array_append_new(files, o);
  }
  json_object_set_new(j, "fields", fields);
  json_object_set_new(j, "files", files);
  const char *first = req_form(r, "a");
  if (first) json_object_set_new(j, "first_a", json_string(first));
  res_json(r, 200, j);
}

static const struct route probe_routes[] = {
    {"POST", "/probe/upload", CAP_PUBLIC, R_NOCSRF | R_UPLOAD, 1 << 20, probe},
    {"POST", "/probe/form", CAP_PUBLIC, R_NOCSRF, 0, probe},
    {0, 0, 0, 0, 0, 0},
};

static void setup(void) {
  cr_assert(sodium_init() >= 0);
  testdb_open(&T, "form");
  config_set("access_log", "0");
  cr_assert_eq(http_secret_init(), 0);
  auth_init();
  http_routes_add(probe_routes);
  http_routes_init();
  http_opts o = {"127.0.0.1", 0, 1};
  cr_assert_eq(http_start(&o, &g_port), 0);
}

static void teardown(void) {
  http_stop();
  testdb_close(&T);
}

TestSuite(form, .init = setup, .fini = teardown);

/* Sends raw bytes, returns the whole answer (malloc'ed). */
static char *roundtrip(const char *data, size_t n) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)g_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
  struct timeval tv = {5, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(s, data + off, n - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  buf out = {0};
  char blk[8192];
  ssize_t got;
  while ((got = read(s, blk, sizeof blk)) > 0) buf_append(&out, blk, (size_t)got);
  close(s);
  return out.z ? out.z : xstrdup("");
}

static char *post(const char *path, const char *ctype, const char *body, size_t n) {
  buf b = {0};
  buf_printf(&b, "POST %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
             path, ctype, n);
  buf_append(&b, body, n);
  char *r = roundtrip(b.z, b.n);
  buf_free(&b);
  return r;
}

static json_t *body_json(const char *resp) {
  const char *p = strstr(resp, "\r\n\r\n");
  cr_assert(p, "no body in %s", resp);
  json_t *j = json_loads(p + 4, 0, NULL);
  cr_assert(j, "not JSON: %s", p + 4);
  return j;
}

#define BOUNDARY "XyZb0uNdArY"

Test(form, urlencoded_fields_in_order_decoded_and_repeated) {
  const char *body = "a=1&b=%C3%A9t%C3%A9+ici&a=2&empty=&c=x%26y%3Dz";
  char *resp = post("/probe/form", "application/x-www-form-urlencoded", body, strlen(body));
  cr_assert(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%s", resp);
  json_t *j = body_json(resp);
  json_t *f = json_object_get(j, "fields");
  cr_assert_eq(json_array_size(f), 5);
  cr_assert_str_eq(json_string_value(json_array_get(json_array_get(f, 1), 1)), "été ici");
  cr_assert_str_eq(json_string_value(json_array_get(json_array_get(f, 3), 1)), "");
  cr_assert_str_eq(json_string_value(json_array_get(json_array_get(f, 4), 1)), "x&y=z");
  cr_assert_str_eq(json_string_value(json_object_get(j, "first_a")), "1");
  json_decref(j);
  free(resp);
}

Test(form, multipart_fields_and_small_file_in_memory) {
  const char *body = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nkbis\r\n"
                     "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.pdf\"\r\n"
                     "Content-Type: application/pdf\r\n\r\n%PDF-1.4 hello\r\n"
                     "--" BOUNDARY "--\r\n";
  char *resp = post("/probe/upload", "multipart/form-data; boundary=" BOUNDARY, body, strlen(body));
  cr_assert(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%s", resp);
  json_t *j = body_json(resp);
  json_t *file = json_array_get(json_object_get(j, "files"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(file, "filename")), "a b.pdf");
  cr_assert_eq(json_integer_value(json_object_get(file, "size")), 14);
  cr_assert(json_is_false(json_object_get(file, "spilled")));
  cr_assert_str_eq(json_string_value(json_object_get(file, "data")), "%PDF-1.4 hello");
  cr_assert_str_eq(json_string_value(json_array_get(json_array_get(json_object_get(j, "fields"), 0), 1)), "kbis");
  json_decref(j);
  free(resp);
}

Test(form, large_file_spills_to_disk_and_is_removed_after) {
  size_t n = 300000;
  buf b = {0};
  buf_puts(&b, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n");
  for (size_t i = 0; i < n; i++) buf_putc(&b, (char)('a' + i % 26));
  buf_puts(&b, "\r\n--" BOUNDARY "--\r\n");
  char *resp = post("/probe/upload", "multipart/form-data; boundary=" BOUNDARY, b.z, b.n);
  buf_free(&b);
  cr_assert(strncmp(resp, "HTTP/1.1 200", 12) == 0, "%.200s", resp);
  json_t *j = body_json(resp);
  json_t *file = json_array_get(json_object_get(j, "files"), 0);
  cr_assert_eq(json_integer_value(json_object_get(file, "size")), (json_int_t)n);
  cr_assert(json_is_true(json_object_get(file, "spilled")));
  json_decref(j);
  free(resp);
  /* The temp file dies with the request. */
  usleep(100000);
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s/tmp", T.dir);
  DIR *d = opendir(tmp);
  cr_assert(d);
  struct dirent *e;
  int left = 0;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') left++;
  closedir(d);
  cr_assert_eq(left, 0);
}

Test(form, multipart_without_closing_boundary_is_400) {
  const char *body = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nkbis";
  char *resp = post("/probe/upload", "multipart/form-data; boundary=" BOUNDARY, body, strlen(body));
  cr_assert(strncmp(resp, "HTTP/1.1 400", 12) == 0, "%.200s", resp);
  free(resp);
}

Test(form, multipart_without_boundary_parameter_is_400) {
  char *resp = post("/probe/upload", "multipart/form-data", "abc", 3);
  cr_assert(strncmp(resp, "HTTP/1.1 400", 12) == 0, "%.200s", resp);
  free(resp);
}

Test(form, file_sent_to_a_route_without_uploads_is_400) {
  const char *body = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n\r\nPDF\r\n"
                     "--" BOUNDARY "--\r\n";
  char *resp = post("/probe/form", "multipart/form-data; boundary=" BOUNDARY, body, strlen(body));
  cr_assert(strncmp(resp, "HTTP/1.1 400", 12) == 0, "%.200s", resp);
  free(resp);
}

Test(form, too_many_fields_is_400) {
  buf b = {0};
  for (int i = 0; i < 1200; i++) buf_printf(&b, "%sf%d=1", i ? "&" : "", i);
  char *resp = post("/probe/form", "application/x-www-form-urlencoded", b.z, b.n);
  buf_free(&b);
  cr_assert(strncmp(resp, "HTTP/1.1 400", 12) == 0, "%.200s", resp);
  free(resp);
}

Test(form, body_over_route_cap_is_413) {
  char *resp = post("/probe/form", "application/x-www-form-urlencoded", "a=1", 3);
  free(resp);
  buf b = {0};
  buf_puts(&b, "a=");
  for (int i = 0; i < 70000; i++) buf_putc(&b, 'x');
  resp = post("/probe/form", "application/x-www-form-urlencoded", b.z, b.n);
  buf_free(&b);
  cr_assert(strncmp(resp, "HTTP/1.1 413", 12) == 0, "%.200s", resp);
  free(resp);
}

/* ---------------------------------------------------------- validators */

static req *fake_req(const char *const *kv) {
  arena *a = arena_new();
  req *r = arena_alloc(a, sizeof *r);
  r->a = a;
  form_field **pp = &r->fields;
  for (int i = 0; kv[i]; i += 2) {
    form_field *f = arena_alloc(a, sizeof *f);
    f->name = kv[i];
    f->value = kv[i + 1];
    f->n = strlen(kv[i + 1]);
    *pp = f;
    pp = &f->next;
  }
  return r;
}

Test(validators, email_phone_postcode_required_oneof) {
  static const char *const kv[] = {"e1", "nom@exemple.fr", "e2", "nom@exemple", "e3", "a b@c.fr", "e4", "@x.fr",
                                   "p1", "05 46 00 00 00", "p2", "+33 5 46 00 00 00", "p3", "0012345678", "p4", "12",
                                   "c1", "17000", "c2", "1700a", "r1", "  ", "o1", "Mme", NULL};
  static const char *const names[] = {"e1", "e2", "e3", "e4", "p1", "p2", "p3", "p4", "c1", "c2", "r1", "o1", NULL};
  static const char *const civ[] = {"M.", "Mme", NULL};
  req *r = fake_req(kv);
  form f;
  form_init(&f, r, names);
  cr_assert(form_email(&f, "e1"));
  cr_assert_not(form_email(&f, "e2"));
  cr_assert_not(form_email(&f, "e3"));
  cr_assert_not(form_email(&f, "e4"));
  cr_assert(form_phone(&f, "p1"));
  cr_assert(form_phone(&f, "p2"));
  cr_assert_not(form_phone(&f, "p3"));
  cr_assert_not(form_phone(&f, "p4"));
  cr_assert(form_postcode(&f, "c1"));
  cr_assert_not(form_postcode(&f, "c2"));
  cr_assert_not(form_required(&f, "r1", "ce champ"));
  cr_assert(form_oneof(&f, "o1", civ));
  cr_assert_eq(f.nerr, 7);
  json_t *err = json_object_get(f.data, "err");
  cr_assert_str_eq(json_string_value(json_object_get(err, "r1")), "Renseignez ce champ.");
  /* The values are trimmed, and passwords never come back. */
  json_t *d = json_object();
  form_set(&f, "password", "secret");
  form_into(&f, d);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "f"), "r1")), "");
  cr_assert_null(json_object_get(json_object_get(d, "f"), "password"));
  cr_assert(json_is_true(json_object_get(d, "has_errors")));
  json_decref(d);
  arena_free(r->a);
}
