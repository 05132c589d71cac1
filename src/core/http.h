/*
** http.h — the request context and what handlers call to answer.
**
** One `req` per HTTP request, created by the libmicrohttpd adapter (http.c)
** when the request line arrives and freed when the response has been sent.
** It owns an arena: every string a handler gets from it, or allocates with
** r->a, dies with the request. Handlers never free request memory.
**
** Before a handler runs, the dispatcher has: matched the route, refused an
** oversized body (413), parsed the form (400 if malformed), loaded the
** session, checked the route's capability (redirect to login / 401 / 403)
** and the CSRF token and Origin of state-changing requests (403).
**
** Responses are buffered whole in r->body and sent once the handler
** returns, with the security headers (CSP with a per-request nonce,
** frame-ancestors 'none', nosniff, Referrer-Policy) added by http.c.
*/
#ifndef GUICHET_HTTP_H
#define GUICHET_HTTP_H

#include <jansson.h>
#include <stdint.h>

#include "core/feature.h"
#include "core/util.h"

/* A form field (urlencoded or multipart), in arrival order. */
typedef struct form_field {
  const char *name;          /* field name */
  const char *value;         /* NUL-terminated value (may contain NUL: use n) */
  size_t n;                  /* value length */
  struct form_field *next;
} form_field;

/* An uploaded file. Small files stay in memory; past a threshold they are
** spilled to a temporary file that is removed with the request. */
typedef struct form_file {
  const char *name;          /* form field name */
  const char *filename;      /* client's file name (display only, never a path) */
  const char *data;          /* contents when in memory, else NULL */
  const char *path;          /* temp file when spilled, else NULL */
  size_t size;               /* bytes received */
  int fd;                    /* open temp file while receiving, else -1 */
  struct form_file *next;
} form_file;

/* The logged-in user, as the session loaded it. */
typedef struct user {
  int64_t id;                /* users.id */
  const char *email;         /* lower-cased */
  const char *first_name;    /* may be NULL */
  const char *last_name;     /* may be NULL */
  const char *roles;         /* comma-separated role names, may be "" */
  uint64_t caps;             /* capability bits granted by the roles */
  int totp;                  /* 1 if two-factor login is on */
} user;

typedef struct session session; /* opaque: auth.c */

struct req {
  arena *a;                  /* everything below lives here */
  const char *method;        /* "GET", "POST", …; HEAD is served as GET */
  const char *path;          /* decoded path, without the query */
  const char *id;            /* request id (16 hex chars), in logs and X-Request-Id */
  const char *ip;            /* client address */
  const struct route *rt;    /* matched route */
  const char *pnames[8];     /* path parameter names (':id' → "id") */
  const char *pvals[8];      /* their values */
  int nparam;
  form_field *fields;        /* parsed body fields (or NULL) */
  form_file *files;          /* uploaded files (or NULL) */
  const char *json_body;     /* raw body of an R_API request with a JSON body */
  size_t json_n;
  user *me;                  /* logged-in user with 2FA done, or NULL */
  int64_t pending_uid;       /* user who passed the password but owes TOTP */
  session *sess;             /* current session or NULL */
  int64_t token_id;          /* API token that authenticated the request (R_API), or 0 */
  const char *csrf;          /* token for forms (session or anonymous) */
  const char *nonce;         /* CSP nonce for this response */
  struct MHD_Connection *conn; /* libmicrohttpd connection (http.c only) */
  /* Response. */
  int status;                /* 200 unless set */
  buf body;                  /* response body */
  const char *ctype;         /* Content-Type */
  struct rhdr *hdrs;         /* extra response headers */
  const char *send_path;     /* when set, send this file instead of body */
  int64_t send_size;
  int api;                   /* answer errors in JSON */
  double t0;                 /* start time (ms, monotonic) */
};

/* Request data. All return NULL when absent. */
const char *req_param(req *r, const char *name);   /* path parameter */
const char *req_query(req *r, const char *name);   /* query string argument */
const char *req_form(req *r, const char *name);    /* body field, first of that name */
const char *req_header(req *r, const char *name);
const char *req_cookie(req *r, const char *name);
form_file *req_file(req *r, const char *name);    /* first file of that field with size > 0 */
/* Trimmed form field or query-string argument, "" when absent. */
const char *req_form_trim(req *r, const char *name);
const char *req_query_trim(req *r, const char *name);

/* A new empty file in data_dir/tmp, removed with the request: its open
** descriptor (the caller closes it), its path in *path (arena). -1 when it
** cannot be created (logged). For uploads spilled to disk and downloads
** built on disk (exports). */
int req_tmpfile(req *r, const char *prefix, const char **path);

/* Path parameter as a positive integer; on failure answers 404 and returns
** -1 (the handler then just returns). */
int req_id_or_reply(req *r, const char *name, int64_t *out);

/* Response builders. */
void res_header(req *r, const char *name, const char *value);
/* Cookie with Path=/, HttpOnly, SameSite=Lax, Secure behind HTTPS.
** max_age < 0: session cookie; 0: delete. */
void res_cookie(req *r, const char *name, const char *value, int64_t max_age);
void res_redirect(req *r, const char *location);   /* 303 See Other */
/* Renders template tmpl (with its layout) as text/html. data is stolen
** (json_decref'd with the request). Common values are added under "site",
** "me", "csrf", "flash", "path". */
void res_page(req *r, int status, const char *tmpl, json_t *data);
/* Renders template tmpl with data (borrowed) and nothing else — no layout,
** no "site", "me" or "csrf" — appending to out: a fragment a handler keeps
** (a cache) and later puts into a page with {{raw …}}. Returns 0, or -1 if
** there is no such template (out unchanged). */
int http_render_fragment(const char *tmpl, json_t *data, buf *out);
void res_json(req *r, int status, json_t *data);   /* data stolen */
/* An error page (or {"error": msg} for API routes), status as given. */
void res_error(req *r, int status, const char *msg);
void res_text(req *r, int status, const char *ctype, const char *text, size_t n);
/* Sends the file at path (must not be user-typed) as an attachment. */
void res_file(req *r, const char *path, const char *ctype, const char *download_name);
/* Content-Disposition: attachment, with download_name as typed (UTF-8 in
** filename*) and its printable ASCII in filename. res_file sets it; a
** download answered from memory (res_text) adds it. */
void res_attachment(req *r, const char *download_name);

/* A one-time message shown on the next page (signed cookie). */
void res_flash(req *r, const char *msg);

/* json helpers: a jansson string that is NULL-safe ("" → null is NOT done). */
json_t *jstr(const char *z);                       /* NULL → json null */

/* Server. */
typedef struct http_opts {
  const char *listen;        /* address */
  int port;                  /* 0 = any */
  int threads;               /* 0 = one per core */
} http_opts;
/* Starts the libmicrohttpd daemon (internal epoll thread pool). Returns 0 and
** the bound port in *bound, or -1. */
int http_start(const http_opts *o, int *bound);
/* The public base URL for links in emails: config base_url, or
** http://listen:port once the server listens. No trailing slash. In a
** process that does not serve (guichet worker), config base_url as
** written, "" when unset: mails written there have relative links. */
const char *http_base_url(void);
void http_stop(void);
/* The background tiles of interactive maps: config map_tiles_url when its
** host could be added to the CSP's img-src (then it is), else "" (no
** tiles: the maps show their vector layers alone). Set by http_start. */
const char *http_map_tiles(void);

/* Registers every feature's routes (and core's own). Call once before
** http_start. Aborts on a malformed route table (duplicate, bad pattern). */
void http_routes_init(void);
/* Adds one more table before http_routes_init (tests register probes). */
void http_routes_add(const struct route *rts);

/* The process secret (32 bytes) used to sign cookies and anonymous CSRF
** tokens; loaded or created by http_secret_init from config/data_dir. */
int http_secret_init(void);
const unsigned char *http_secret(void);
void http_hmac_hex(const char *msg, char out[65]);

#endif
