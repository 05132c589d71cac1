/*
** http.c — the libmicrohttpd adapter, the route table and the dispatcher.
**
** Life of a request (MHD calls on_request several times per request):
**   1st call   headers are in: create the context (rctx) with its arena,
**              match the route, check Content-Length against the route's
**              body cap and the per-IP connection count, set up the body
**              parser. Nothing is queued here: libmicrohttpd 0.9.75 closes
**              the connection when a response is queued on the first call.
**   n-th call  body bytes: fed to the post processor (forms), the raw JSON
**              buffer (API) or discarded (an error is pending). A body that
**              grows past the cap turns into a pending 413.
**   last call  (*upload_data_size == 0): finish the body, load the session,
**              enforce capability and CSRF, run the handler, queue the
**              buffered response with the security headers.
**   completed  (MHD_OPTION_NOTIFY_COMPLETED): access log, metrics, temp
**              files removed, arena freed: the one place request memory dies.
**
** Threads: MHD's internal epoll thread pool, one thread per core (the
** single-thread epoll mode of 0.9.75 stalls past ~128 connections). Each
** thread has its own database connection (db.c). The route table, the
** template set and the static assets are built before the daemon starts and
** are read-only afterwards.
*/
#include "core/http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/embed.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/tmpl.h"

#define SPILL_AT 65536        /* uploads larger than this go to a temp file */
#define MAX_FIELDS 1000       /* form fields per request */
#define MAX_ROUTES 512        /* route table size */

struct rhdr {
  const char *name;           /* header name */
  const char *value;          /* its value */
  struct rhdr *next;
};

/* Private request state around the public req. */
typedef struct rctx {
  req r;                      /* what handlers see */
  int route_idx;              /* index in g_routes, -1 if none */
  int err_status;             /* pending error status, 0 if none */
  const char *err_msg;        /* its message */
  struct MHD_PostProcessor *pp; /* form parser, or NULL */
  buf raw;                    /* raw JSON body (R_API) */
  uint64_t received;          /* body bytes received so far */
  size_t body_max;            /* the route's cap */
  int nfield;                 /* fields parsed */
  form_field *last_field;     /* field being received */
  buf cur;                    /* its value so far */
  form_file *last_file;       /* file being received */
  buf filemem;                /* its contents while under SPILL_AT */
  int body_started;           /* at least one body call happened */
  struct conn_slot *slot;     /* per-IP counter of this connection */
} rctx;

/* A route with its pattern split into segments. */
typedef struct rentry {
  const struct route *rt;     /* the declaration */
  char *pattern;              /* copy of rt->path cut into segs (lives with the table) */
  const char *segs[16];       /* path segments; ":x" is a parameter */
  int nseg;
  uint64_t cap_bit;           /* resolved capability bit, 0 for public/login */
  char name[96];              /* "GET /compte" for metrics */
} rentry;

static rentry g_routes[MAX_ROUTES];     /* the table, read-only once serving */
static int g_nroute;
static const char *g_route_names[MAX_ROUTES];
static tmpl_set *g_tmpl;                /* compiled templates */
static struct MHD_Daemon *g_daemon;
static unsigned char g_secret[32];      /* cookie/CSRF signing key */
static char g_tmpdir[512];              /* where uploads spill */
static int g_secure;                    /* cookies get Secure */
static int g_access_log;                /* write the access log */
static atomic_ullong g_reqseq;          /* request counter for ids */
static uint64_t g_reqbase;              /* random base for ids */
static char g_base_url[300];            /* see http_base_url */
static char g_tiles[512];               /* map_tiles_url if its origin is in the CSP, else "" */
static char g_img_src[200];             /* " https://host" the CSP's img-src adds for tiles, or "" */

/* ------------------------------------------------------------ statics */

typedef struct asset {
  const char *url;            /* "/static/guichet.css" */
  const char *data;           /* embedded bytes */
  size_t size;
  char *gz;                   /* gzip variant or NULL when it does not pay */
  size_t gzsize;
  const char *ctype;
  char etag[24];              /* quoted 16 hex chars of the SHA-256 */
} asset;

static asset g_assets[64];
static int g_nasset;

static const char *ctype_of(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot) return "application/octet-stream";
  if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
  if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
  if (!strcmp(dot, ".svg")) return "image/svg+xml";
  if (!strcmp(dot, ".png")) return "image/png";
  if (!strcmp(dot, ".ico")) return "image/x-icon";
  if (!strcmp(dot, ".txt")) return "text/plain; charset=utf-8";
  if (!strcmp(dot, ".woff2")) return "font/woff2";
  return "application/octet-stream";
}

/* gzip (not raw deflate) of p[0..n); NULL unless it saves 10% or more. */
static char *gzip_of(const char *p, size_t n, size_t *out_n) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
  size_t cap = deflateBound(&zs, n);
  char *out = xmalloc(cap);
  zs.next_in = (unsigned char *)p;
  zs.avail_in = (uInt)n;
  zs.next_out = (unsigned char *)out;
  zs.avail_out = (uInt)cap;
  int rc = deflate(&zs, Z_FINISH);
  *out_n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END || *out_n * 10 > n * 9) {
    free(out);
    return NULL;
  }
  return out;
}

static void assets_init(void) {
  for (int i = 0; i < embedded_count && g_nasset < (int)ARRAY_SIZE(g_assets); i++) {
    const struct embedded_file *f = &embedded_files[i];
    if (!str_startswith(f->name, "assets/")) continue;
    asset *a = &g_assets[g_nasset++];
    char url[256];
    snprintf(url, sizeof url, "/static/%s", f->name + 7);
    a->url = xstrdup(url);
    a->data = f->data;
    a->size = f->size;
    a->ctype = ctype_of(f->name);
    a->gz = gzip_of(f->data, f->size, &a->gzsize);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)f->data, f->size);
    char hex[17];
    hex_encode(hex, h, 8);
    snprintf(a->etag, sizeof a->etag, "\"%s\"", hex);
  }
}

/* The version string of an asset for cache-busting URLs ("?v=…"). */
static const char *asset_version(const char *url) {
  for (int i = 0; i < g_nasset; i++)
    if (!strcmp(g_assets[i].url, url)) return g_assets[i].etag;
  return "\"0\"";
}

/* ---------------------------------------------------------- templates */

static void templates_init(void) {
  g_tmpl = tmpl_set_new();
  tmpl_set_translate(g_tmpl, i18n_translate);
  for (int i = 0; i < embedded_count; i++) {
    const struct embedded_file *f = &embedded_files[i];
    const char *t = strstr(f->name, "/templates/");
    if (!t) continue;
    /* "core/templates/x.html" → "core/x"; "features/account/templates/x.html" → "account/x" */
    const char *owner = f->name;
    if (str_startswith(owner, "features/")) owner += 9;
    char name[200];
    const char *base = t + 11;
    size_t nb = strlen(base);
    if (nb > 5 && !strcmp(base + nb - 5, ".html")) nb -= 5;
    snprintf(name, sizeof name, "%.*s/%.*s", (int)(t - owner), owner, (int)nb, base);
    char *err = NULL;
    if (tmpl_add(g_tmpl, name, f->data, f->size, &err) != 0) {
      fprintf(stderr, "guichet: template %s: %s\n", f->name, err);
      abort();
    }
  }
  char *err = NULL;
  if (tmpl_check(g_tmpl, &err) != 0) {
    fprintf(stderr, "guichet: templates: %s\n", err);
    abort();
  }
}

/* ------------------------------------------------------------- routes */

static void core_healthz(req *r);
static void core_metrics(req *r);
static void core_theme(req *r);
static void cap_keys_init(void);

static const struct route core_routes[] = {
    {"GET", "/healthz", CAP_PUBLIC, 0, 0, core_healthz},
    {"GET", "/metrics", CAP_PUBLIC, 0, 0, core_metrics},
    {"GET", "/theme.css", CAP_PUBLIC, 0, 0, core_theme},
    {0, 0, 0, 0, 0, 0},
};

static int split_path(char *p, const char **segs, int max) {
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
    if (n == max) return -1;
    segs[n++] = s;
  }
  return n;
}

static void add_routes(const struct route *rts) {
  for (const struct route *rt = rts; rt && rt->method; rt++) {
    if (g_nroute == MAX_ROUTES) {
      fprintf(stderr, "guichet: too many routes\n");
      abort();
    }
    rentry *e = &g_routes[g_nroute];
    e->rt = rt;
    e->pattern = xstrdup(rt->path);
    e->nseg = split_path(e->pattern, e->segs, 16);
    if (e->nseg < 0 || rt->path[0] != '/' || !rt->handler) {
      fprintf(stderr, "guichet: bad route %s %s\n", rt->method, rt->path);
      abort();
    }
    if (rt->cap && strcmp(rt->cap, CAP_LOGIN) != 0) e->cap_bit = auth_cap_bit(rt->cap);
    for (int i = 0; i < g_nroute; i++) {
      if (!strcmp(g_routes[i].rt->method, rt->method) && !strcmp(g_routes[i].rt->path, rt->path)) {
        fprintf(stderr, "guichet: duplicate route %s %s\n", rt->method, rt->path);
        abort();
      }
    }
    snprintf(e->name, sizeof e->name, "%s %s", rt->method, rt->path);
    g_route_names[g_nroute] = e->name;
    g_nroute++;
  }
}

static const struct route *g_extra[8]; /* tables added by http_routes_add */
static int g_nextra;

void http_routes_add(const struct route *rts) {
  assert(g_nextra < (int)ARRAY_SIZE(g_extra));
  g_extra[g_nextra++] = rts;
}

void http_routes_init(void) {
  add_routes(core_routes);
  for (int i = 0; features[i]; i++) add_routes(features[i]->routes);
  for (int i = 0; i < g_nextra; i++) add_routes(g_extra[i]);
  metrics_init(g_nroute, g_route_names);
  cap_keys_init();
  assets_init();
  templates_init();
}

/* Finds the route for method and path; fills params. Returns its index, or
** -1 (no path matches) or -2 (a path matches with another method). */
static int match_route(rctx *c, const char *method, const char *path) {
  char tmp[1024];
  if (strlen(path) >= sizeof tmp) return -1;
  memcpy(tmp, path, strlen(path) + 1);
  const char *segs[16];
  int nseg = split_path(tmp, segs, 16);
  if (nseg < 0) return -1;
  const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
  int other = 0;
  for (int i = 0; i < g_nroute; i++) {
    rentry *e = &g_routes[i];
    if (e->nseg != nseg) continue;
    int ok = 1;
    for (int s = 0; s < nseg && ok; s++)
      if (e->segs[s][0] != ':' && strcmp(e->segs[s], segs[s]) != 0) ok = 0;
    if (!ok) continue;
    if (strcmp(e->rt->method, m) != 0) {
      other = 1;
      continue;
    }
    c->r.nparam = 0;
    for (int s = 0; s < nseg && c->r.nparam < 8; s++) {
      if (e->segs[s][0] != ':') continue;
      c->r.pnames[c->r.nparam] = e->segs[s] + 1;
      c->r.pvals[c->r.nparam] = arena_strdup(c->r.a, segs[s]);
      c->r.nparam++;
    }
    return i;
  }
  return other ? -2 : -1;
}

/* -------------------------------------------------------- per-IP limit */

typedef struct conn_slot {
  char ip[INET6_ADDRSTRLEN]; /* client address */
  int count;                 /* open connections from it */
  struct conn_slot *next;
} conn_slot;

static pthread_mutex_t g_ipmu = PTHREAD_MUTEX_INITIALIZER;
static conn_slot *g_ipbuckets[1024]; /* open hash of addresses with connections */

static void addr_text(const struct sockaddr *sa, char *out, size_t n) {
  out[0] = 0;
  if (!sa) return;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
  UNUSED(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN];
    addr_text(ci ? ci->client_addr : NULL, ip, sizeof ip);
    uint32_t h = 2166136261u;
    for (const char *p = ip; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    h &= 1023;
    pthread_mutex_lock(&g_ipmu);
    conn_slot *s = g_ipbuckets[h];
    while (s && strcmp(s->ip, ip) != 0) s = s->next;
    if (!s) {
      s = xcalloc(1, sizeof *s);
      memcpy(s->ip, ip, sizeof ip);
      s->next = g_ipbuckets[h];
      g_ipbuckets[h] = s;
    }
    s->count++;
    pthread_mutex_unlock(&g_ipmu);
    *socket_ctx = s;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_ctx) {
    conn_slot *s = *socket_ctx;
    pthread_mutex_lock(&g_ipmu);
    s->count--; /* slots are kept: the set of client addresses is bounded by use */
    pthread_mutex_unlock(&g_ipmu);
  }
}

/* ------------------------------------------------------- request data */

static const char *lookup(req *r, enum MHD_ValueKind kind, const char *name) {
  return MHD_lookup_connection_value(r->conn, kind, name);
}

const char *req_query(req *r, const char *name) { return lookup(r, MHD_GET_ARGUMENT_KIND, name); }
const char *req_header(req *r, const char *name) { return lookup(r, MHD_HEADER_KIND, name); }
const char *req_cookie(req *r, const char *name) { return lookup(r, MHD_COOKIE_KIND, name); }

const char *req_param(req *r, const char *name) {
  for (int i = 0; i < r->nparam; i++)
    if (!strcmp(r->pnames[i], name)) return r->pvals[i];
  return NULL;
}

const char *req_form(req *r, const char *name) {
  for (form_field *f = r->fields; f; f = f->next)
    if (!strcmp(f->name, name)) return f->value;
  return NULL;
}

/* v without surrounding blanks, in the request arena; "" for NULL. */
static const char *trimmed(req *r, const char *v) {
  if (!v) return "";
  while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) n--;
  return arena_strndup(r->a, v, n);
}

const char *req_form_trim(req *r, const char *name) { return trimmed(r, req_form(r, name)); }

const char *req_query_trim(req *r, const char *name) { return trimmed(r, req_query(r, name)); }

form_file *req_file(req *r, const char *name) {
  for (form_file *f = r->files; f; f = f->next)
    if (!strcmp(f->name, name) && f->size > 0) return f;
  return NULL;
}

int req_id_or_reply(req *r, const char *name, int64_t *out) {
  const char *v = req_param(r, name);
  char *end = NULL;
  long long n = v ? strtoll(v, &end, 10) : 0;
  if (!v || !*v || *end || n <= 0) {
    res_error(r, 404, _("Cette page n’existe pas."));
    return -1;
  }
  *out = n;
  return 0;
}

json_t *jstr(const char *z) { return z ? json_string(z) : json_null(); }

/* ------------------------------------------------------------ responses */

void res_header(req *r, const char *name, const char *value) {
  struct rhdr *h = arena_alloc(r->a, sizeof *h);
  h->name = arena_strdup(r->a, name);
  h->value = arena_strdup(r->a, value);
  h->next = r->hdrs;
  r->hdrs = h;
}

void res_cookie(req *r, const char *name, const char *value, int64_t max_age) {
  buf b = {0};
  buf_printf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Lax", name, value);
  if (max_age >= 0) buf_printf(&b, "; Max-Age=%lld", (long long)max_age);
  if (g_secure) buf_puts(&b, "; Secure");
  res_header(r, "Set-Cookie", buf_str(&b));
  buf_free(&b);
}

void res_redirect(req *r, const char *location) {
  r->status = 303;
  res_header(r, "Location", location);
  buf_reset(&r->body);
}

static void json_decref_cb(void *p) { json_decref(p); }

/* The territory's identity for every page: built once (configuration is
** read-only after start-up) and shared by reference; jansson's reference
** counts are atomic, and templates only read. */
static json_t *g_site;
static pthread_once_t g_site_once = PTHREAD_ONCE_INIT;

static void site_build(void) {
  json_t *s = json_object();
  json_object_set_new(s, "name", json_string(config_str("territory_name")));
  json_object_set_new(s, "short", json_string(config_str("territory_short")));
  const char *logo = config_str("logo_url");
  if (*logo) json_object_set_new(s, "logo", json_string(logo));
  json_object_set_new(s, "color_primary", json_string(config_str("color_primary")));
  json_object_set_new(s, "color_accent", json_string(config_str("color_accent")));
  char v[40];
  const char *ver = asset_version("/static/guichet.css");
  snprintf(v, sizeof v, "%.*s", (int)strlen(ver) - 2, ver + 1);
  json_object_set_new(s, "css_version", json_string(v));
  g_site = s;
}

static json_t *site_json(void) {
  pthread_once(&g_site_once, site_build);
  return json_incref(g_site);
}

/* Template keys of the capabilities ("admin.users" → "admin_users"). */
static char g_cap_keys[64][48];

static void cap_keys_init(void) {
  for (int i = 0; i < auth_ncaps(); i++) {
    const char *cap = auth_cap_name(i);
    size_t k = 0;
    for (; cap[k] && k < sizeof g_cap_keys[i] - 1; k++) g_cap_keys[i][k] = cap[k] == '.' ? '_' : cap[k];
    g_cap_keys[i][k] = 0;
  }
}

/* Reads and clears the flash cookie: "base64url(msg).hmac". */
static const char *take_flash(req *r) {
  const char *c = req_cookie(r, "gflash");
  if (!c) return NULL;
  res_cookie(r, "gflash", "", 0);
  const char *dot = strrchr(c, '.');
  if (!dot) return NULL;
  char *msg64 = arena_strndup(r->a, c, (size_t)(dot - c));
  char mac[65];
  http_hmac_hex(msg64, mac);
  if (!ct_streq(mac, dot + 1)) return NULL;
  size_t n = strlen(msg64);
  unsigned char *out = arena_alloc(r->a, n + 1);
  size_t outn = 0;
  if (sodium_base642bin(out, n, msg64, n, NULL, &outn, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return NULL;
  out[outn] = 0;
  return (const char *)out;
}

void res_flash(req *r, const char *msg) {
  size_t n = strlen(msg);
  if (n > 1000) n = 1000;
  size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *b64 = arena_alloc(r->a, cap);
  sodium_bin2base64(b64, cap, (const unsigned char *)msg, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char mac[65];
  http_hmac_hex(b64, mac);
  res_cookie(r, "gflash", arena_printf(r->a, "%s.%s", b64, mac), 300);
}

void res_page(req *r, int status, const char *tmpl, json_t *data) {
  if (!data) data = json_object();
  arena_defer(r->a, json_decref_cb, data);
  json_object_set_new(data, "site", site_json());
  json_object_set_new(data, "csrf", jstr(r->csrf));
  json_object_set_new(data, "nonce", jstr(r->nonce));
  json_object_set_new(data, "path", jstr(r->path));
  const char *flash = take_flash(r);
  if (flash) json_object_set_new(data, "flash", json_string(flash));
  if (r->me) {
    json_t *me = json_object();
    json_object_set_new(me, "id", json_integer(r->me->id));
    json_object_set_new(me, "email", json_string(r->me->email));
    json_object_set_new(me, "first_name", jstr(r->me->first_name));
    json_object_set_new(me, "last_name", jstr(r->me->last_name));
    json_object_set_new(me, "roles", json_string(r->me->roles));
    json_t *can = json_object();
    for (int i = 0; i < auth_ncaps(); i++)
      if ((r->me->caps >> i) & 1) json_object_set_new(can, g_cap_keys[i], json_true());
    json_object_set_new(me, "can", can);
    json_object_set(data, "me", me);
    json_decref(me);
  }
  buf_reset(&r->body);
  if (tmpl_render(g_tmpl, tmpl, data, &r->body) != 0) {
    log_error("http", "unknown template %s", tmpl);
    r->status = 500;
    r->ctype = "text/plain; charset=utf-8";
    buf_reset(&r->body);
    buf_puts(&r->body, _("Erreur interne."));
    return;
  }
  r->status = status;
  r->ctype = "text/html; charset=utf-8";
}

int http_render_fragment(const char *tmpl, json_t *data, buf *out) {
  return tmpl_render(g_tmpl, tmpl, data, out);
}

void res_json(req *r, int status, json_t *data) {
  buf_reset(&r->body);
  /* 12 significant digits: centimetres and 1e-7° survive, binary noise does not. */
  char *s = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12));
  if (s) buf_puts(&r->body, s);
  free(s);
  json_decref(data);
  r->status = status;
  r->ctype = "application/json";
}

void res_text(req *r, int status, const char *ctype, const char *text, size_t n) {
  buf_reset(&r->body);
  buf_append(&r->body, text, n);
  r->status = status;
  r->ctype = ctype;
}

void res_error(req *r, int status, const char *msg) {
  if (r->api) {
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(msg));
    res_json(r, status, j);
    return;
  }
  json_t *d = json_object();
  json_object_set_new(d, "status", json_integer(status));
  json_object_set_new(d, "message", json_string(msg));
  res_page(r, status, "core/error", d);
}

void res_file(req *r, const char *path, const char *ctype, const char *download_name) {
  r->send_path = arena_strdup(r->a, path);
  r->ctype = ctype;
  r->status = 200;
  res_attachment(r, download_name);
}

void res_attachment(req *r, const char *download_name) {
  buf b = {0};
  buf_puts(&b, "attachment; filename=\"");
  for (const char *p = download_name; *p; p++)
    if ((unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' && (unsigned char)*p < 0x7f) buf_putc(&b, *p);
  buf_puts(&b, "\"; filename*=UTF-8''");
  buf_url(&b, download_name, -1);
  res_header(r, "Content-Disposition", buf_str(&b));
  buf_free(&b);
}

/* -------------------------------------------------------------- secret */

int http_secret_init(void) {
  const char *hex = config_str("secret_key");
  size_t n = 0;
  if (*hex) {
    if (sodium_hex2bin(g_secret, sizeof g_secret, hex, strlen(hex), NULL, &n, NULL) != 0 || n != 32) {
      fprintf(stderr, "guichet: secret_key must be 64 hex characters\n");
      return -1;
    }
    return 0;
  }
  char path[600];
  snprintf(path, sizeof path, "%s/secret.key", config_str("data_dir"));
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t got = read(fd, g_secret, sizeof g_secret);
    close(fd);
    if (got == (ssize_t)sizeof g_secret) return 0;
  }
  randombytes_buf(g_secret, sizeof g_secret);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, g_secret, sizeof g_secret) != (ssize_t)sizeof g_secret) {
    fprintf(stderr, "guichet: cannot write %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

const unsigned char *http_secret(void) { return g_secret; }

void http_hmac_hex(const char *msg, char out[65]) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg), g_secret);
  hex_encode(out, mac, sizeof mac);
}

/* ---------------------------------------------------------- body parsing */

static void temp_unlink_cb(void *p) { unlink((const char *)p); }

int req_tmpfile(req *r, const char *prefix, const char **path) {
  char *z = arena_printf(r->a, "%s/%s-XXXXXX", g_tmpdir, prefix);
  int fd = mkstemp(z);
  if (fd < 0) {
    log_error("http", "mkstemp %s: %s", z, strerror(errno));
    return -1;
  }
  arena_defer(r->a, temp_unlink_cb, z);
  *path = z;
  return fd;
}

static void set_error(rctx *c, int status, const char *msg) {
  if (!c->err_status) {
    c->err_status = status;
    c->err_msg = msg;
  }
}

static void finish_field(rctx *c) {
  if (c->last_field && !c->last_field->value) {
    char *v = arena_strndup(c->r.a, buf_str(&c->cur), c->cur.n);
    c->last_field->value = v;
    c->last_field->n = c->cur.n;
  }
  buf_reset(&c->cur);
}

static void finish_file(rctx *c) {
  form_file *f = c->last_file;
  if (!f) return;
  if (f->fd >= 0) {
    close(f->fd);
    f->fd = -1;
  } else if (!f->data) {
    f->data = arena_strndup(c->r.a, buf_str(&c->filemem), c->filemem.n);
  }
  buf_reset(&c->filemem);
  c->last_file = NULL;
}

static int file_write(rctx *c, form_file *f, const char *data, size_t size) {
  if (f->fd < 0 && !f->path && c->filemem.n + size <= SPILL_AT) {
    buf_append(&c->filemem, data, size);
    return 0;
  }
  if (f->fd < 0) {
    f->fd = req_tmpfile(&c->r, "upload", &f->path);
    if (f->fd < 0) return -1;
    if (c->filemem.n && write(f->fd, c->filemem.z, c->filemem.n) != (ssize_t)c->filemem.n) return -1;
    buf_reset(&c->filemem);
  }
  return write(f->fd, data, size) == (ssize_t)size ? 0 : -1;
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size) {
  UNUSED(kind);
  UNUSED(content_type);
  UNUSED(transfer_encoding);
  rctx *c = cls;
  if (!key) return MHD_YES;
  if (filename) {
    if (!(c->r.rt->flags & R_UPLOAD)) {
      set_error(c, 400, _("Ce formulaire n’accepte pas de fichier."));
      return MHD_NO;
    }
    form_file *f = c->last_file;
    if (off == 0 || !f || strcmp(f->name, key) != 0 || strcmp(f->filename, filename) != 0) {
      finish_field(c);
      finish_file(c);
      if (++c->nfield > MAX_FIELDS) {
        set_error(c, 400, _("Trop de champs dans le formulaire."));
        return MHD_NO;
      }
      f = arena_alloc(c->r.a, sizeof *f);
      f->name = arena_strdup(c->r.a, key);
      f->filename = arena_strdup(c->r.a, filename);
      f->fd = -1;
      form_file **pp = &c->r.files; /* keep arrival order */
      while (*pp) pp = &(*pp)->next;
      *pp = f;
      c->last_file = f;
      c->last_field = NULL;
    }
    if (size && file_write(c, f, data, size) != 0) {
      set_error(c, 500, _("Le fichier n’a pas pu être enregistré."));
      return MHD_NO;
    }
    f->size += size;
    return MHD_YES;
  }
  form_field *fl = c->last_field;
  if (off == 0 || !fl || strcmp(fl->name, key) != 0) {
    finish_field(c);
    finish_file(c);
    if (++c->nfield > MAX_FIELDS) {
      set_error(c, 400, _("Trop de champs dans le formulaire."));
      return MHD_NO;
    }
    fl = arena_alloc(c->r.a, sizeof *fl);
    fl->name = arena_strdup(c->r.a, key);
    form_field **pp = &c->r.fields;
    while (*pp) pp = &(*pp)->next;
    *pp = fl;
    c->last_field = fl;
  }
  buf_append(&c->cur, data, size);
  return MHD_YES;
}

/* ------------------------------------------------------------- dispatch */

static const char *content_type_base(req *r, char *out, size_t n) {
  const char *ct = req_header(r, "Content-Type");
  out[0] = 0;
  if (!ct) return out;
  size_t i = 0;
  while (ct[i] && ct[i] != ';' && ct[i] != ' ' && i < n - 1) {
    char ch = ct[i];
    out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    i++;
  }
  out[i] = 0;
  return out;
}

static void new_request_id(req *r) {
  uint64_t v = g_reqbase + atomic_fetch_add(&g_reqseq, 1) * 0x9E3779B97F4A7C15ull;
  r->id = arena_printf(r->a, "%016llx", (unsigned long long)v);
}

static rctx *rctx_new(struct MHD_Connection *conn, const char *url, const char *method) {
  arena *a = arena_new();
  rctx *c = arena_alloc(a, sizeof *c);
  c->r.a = a;
  c->r.conn = conn;
  c->r.t0 = now_mono_ms();
  c->r.status = 200;
  c->r.method = arena_strdup(a, method);
  c->r.path = arena_strdup(a, url);
  new_request_id(&c->r);
  log_set_request_id(c->r.id);
  unsigned char nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  char nhex[33];
  hex_encode(nhex, nonce, sizeof nonce);
  c->r.nonce = arena_strdup(a, nhex);
  const union MHD_ConnectionInfo *si = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  c->slot = si ? si->socket_context : NULL;
  c->r.ip = arena_strdup(a, c->slot ? c->slot->ip : "");
  buf_init(&c->r.body, 0);
  c->route_idx = -1;
  return c;
}

/* Sets up the body reader on the first call; records any early refusal. */
static void request_begin(rctx *c) {
  req *r = &c->r;
  if (c->slot && c->slot->count > config_int("max_conn_per_ip")) {
    set_error(c, 429, _("Trop de connexions simultanées depuis votre adresse : réessayez dans un instant."));
    return;
  }
  int idx = match_route(c, r->method, r->path);
  if (idx == -2) {
    set_error(c, 405, _("Méthode non autorisée pour cette adresse."));
    return;
  }
  if (idx < 0) {
    set_error(c, 404, _("Cette page n’existe pas."));
    return;
  }
  c->route_idx = idx;
  r->rt = g_routes[idx].rt;
  r->api = (r->rt->flags & R_API) != 0;
  c->body_max = r->rt->body_max ? r->rt->body_max : (size_t)config_int("max_body");
  const char *cl = req_header(r, "Content-Length");
  if (cl && strtoull(cl, NULL, 10) > c->body_max) {
    set_error(c, 413, _("La requête est trop volumineuse."));
    return;
  }
  if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) return;
  char ct[80];
  content_type_base(r, ct, sizeof ct);
  if (!strcmp(ct, "application/x-www-form-urlencoded") || !strcmp(ct, "multipart/form-data")) {
    c->pp = MHD_create_post_processor(r->conn, 16384, post_iter, c);
    if (!c->pp) set_error(c, 400, _("Formulaire mal formé."));
  } else if (r->api && !strcmp(ct, "application/json")) {
    buf_init(&c->raw, c->body_max);
  } else if (cl && strcmp(cl, "0") != 0) {
    set_error(c, 415, _("Format de requête non pris en charge."));
  }
}

static void request_body(rctx *c, const char *data, size_t size) {
  c->body_started = 1;
  c->received += size;
  if (c->err_status) return;
  if (c->received > c->body_max) {
    set_error(c, 413, _("La requête est trop volumineuse."));
    return;
  }
  if (c->pp) {
    if (MHD_post_process(c->pp, data, size) != MHD_YES) set_error(c, 400, _("Formulaire mal formé."));
  } else if (c->raw.max) {
    buf_append(&c->raw, data, size);
  } else if (size) {
    set_error(c, 415, _("Format de requête non pris en charge."));
  }
}

/* The CSP source of a map tile URL template: its scheme and host
** ("https://tile.openstreetmap.org"; a leading "{s}." subdomain becomes
** "*."). 0 and out set; -1 when the URL is not http(s) or its host holds
** anything but letters, digits, '.', '-' and a ':' port: nothing from the
** configuration can then break out of the header. */
static int csp_source_of(const char *url, char *out, size_t n) {
  const char *host = str_startswith(url, "https://") ? url + 8 : str_startswith(url, "http://") ? url + 7 : NULL;
  if (!host) return -1;
  buf b = {0};
  buf_append(&b, url, (size_t)(host - url));
  if (str_startswith(host, "{s}.")) {
    buf_puts(&b, "*.");
    host += 4;
  }
  size_t k = strcspn(host, "/");
  int ok = k > 0;
  for (size_t i = 0; i < k && ok; i++) ok = isalnum((unsigned char)host[i]) || strchr(".-:", host[i]);
  buf_append(&b, host, k);
  ok = ok && b.n < n;
  if (ok) snprintf(out, n, "%s", buf_str(&b));
  buf_free(&b);
  return ok ? 0 : -1;
}

/* Reads map_tiles_url once the configuration is loaded (http_start). */
static void tiles_init(void) {
  const char *url = config_str("map_tiles_url");
  char src[sizeof g_img_src - 1];
  g_tiles[0] = g_img_src[0] = 0;
  if (!*url) return;
  if (strlen(url) >= sizeof g_tiles || csp_source_of(url, src, sizeof src) != 0) {
    log_error("http", "map_tiles_url ignored (http(s)://host/…{z}/{x}/{y}… expected): %s", url);
    return;
  }
  snprintf(g_tiles, sizeof g_tiles, "%s", url);
  snprintf(g_img_src, sizeof g_img_src, " %s", src);
}

const char *http_map_tiles(void) { return g_tiles; }

static void add_security_headers(req *r, struct MHD_Response *resp) {
  char csp[512];
  snprintf(csp, sizeof csp,
           "default-src 'self'; script-src 'self' 'nonce-%s'; style-src 'self'; "
           "img-src 'self' data:%s; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'",
           r->nonce, g_img_src);
  MHD_add_response_header(resp, "Content-Security-Policy", csp);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), payment=()");
  MHD_add_response_header(resp, "X-Request-Id", r->id);
  if (g_secure) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result send_response(rctx *c) {
  req *r = &c->r;
  struct MHD_Response *resp;
  if (r->send_path) {
    int fd = open(r->send_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      if (fd >= 0) close(fd);
      r->send_path = NULL;
      r->hdrs = NULL;
      res_error(r, 404, _("Ce document est introuvable."));
      return send_response(c);
    }
    resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    r->send_size = st.st_size;
  } else {
    size_t n = r->body.n;
    char *z = r->body.z;
    r->body.z = NULL; /* MHD frees it */
    r->body.n = r->body.cap = 0;
    resp = z ? MHD_create_response_from_buffer(n, z, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    r->send_size = (int64_t)n;
  }
  if (!resp) return MHD_NO;
  add_security_headers(r, resp);
  if (r->ctype) MHD_add_response_header(resp, "Content-Type", r->ctype);
  int has_cache = 0;
  for (struct rhdr *h = r->hdrs; h; h = h->next) {
    MHD_add_response_header(resp, h->name, h->value);
    if (!strcasecmp(h->name, "Cache-Control")) has_cache = 1;
  }
  if (!has_cache) MHD_add_response_header(resp, "Cache-Control", "no-store");
  enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result serve_static(rctx *c) {
  req *r = &c->r;
  for (int i = 0; i < g_nasset; i++) {
    asset *a = &g_assets[i];
    if (strcmp(a->url, r->path) != 0) continue;
    r->status = 200;
    const char *inm = req_header(r, "If-None-Match");
    struct MHD_Response *resp;
    int gz = 0;
    if (inm && !strcmp(inm, a->etag)) {
      resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
      r->status = 304;
    } else {
      const char *ae = req_header(r, "Accept-Encoding");
      gz = a->gz && ae && strstr(ae, "gzip");
      resp = gz ? MHD_create_response_from_buffer(a->gzsize, a->gz, MHD_RESPMEM_PERSISTENT)
                : MHD_create_response_from_buffer(a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
      r->send_size = (int64_t)(gz ? a->gzsize : a->size);
    }
    add_security_headers(r, resp);
    MHD_add_response_header(resp, "Content-Type", a->ctype);
    MHD_add_response_header(resp, "ETag", a->etag);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    /* URLs carry ?v=<hash> from the templates, so a long lifetime is safe. */
    MHD_add_response_header(resp, "Cache-Control",
                            req_query(r, "v") ? "public, max-age=31536000, immutable" : "public, max-age=3600");
    if (gz) MHD_add_response_header(resp, "Content-Encoding", "gzip");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
  }
  res_error(r, 404, _("Cette page n’existe pas."));
  return send_response(c);
}

static int is_state_changing(const char *m) {
  return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Runs the checks the route declares, then the handler. */
static void dispatch(rctx *c) {
  req *r = &c->r;
  const rentry *e = &g_routes[c->route_idx];
  const struct route *rt = e->rt;
  auth_load_session(r);
  if ((rt->flags & R_ANON) && r->me) {
    res_redirect(r, "/");
    return;
  }
  if (rt->cap) {
    int allowed = r->me && (e->cap_bit == 0 || (r->me->caps & e->cap_bit));
    if ((rt->flags & R_PRE2FA) && r->pending_uid) allowed = 1;
    if (!r->me && !((rt->flags & R_PRE2FA) && r->pending_uid)) {
      if (r->api) {
        res_error(r, 401, _("Authentification requise."));
      } else if (r->pending_uid) {
        res_redirect(r, "/connexion/2fa");
      } else {
        buf b = {0};
        buf_puts(&b, "/connexion?suite=");
        buf_url(&b, r->path, -1);
        res_redirect(r, buf_str(&b));
        buf_free(&b);
      }
      return;
    }
    if (!allowed) {
      res_error(r, 403, _("Vous n’avez pas accès à cette page."));
      return;
    }
    /* Staff who must use two-factor login are sent to enrol first. */
    if (r->me && !r->token_id && !r->me->totp && config_int("require_2fa_staff") &&
        auth_is_staff(r->me->roles) && !(rt->flags & R_ENROL)) {
      res_flash(r, _("Votre rôle exige la connexion en deux étapes : activez-la pour continuer."));
      res_redirect(r, "/compte/2fa");
      return;
    }
  }
  if (is_state_changing(r->method) && !(rt->flags & R_NOCSRF) && !r->token_id && !auth_csrf_ok(r)) {
    res_error(r, 403, _("Le formulaire a expiré ou ne vient pas de ce site : rechargez la page et réessayez."));
    return;
  }
  rt->handler(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  UNUSED(cls);
  UNUSED(version);
  rctx *c = *con_cls;
  if (!c) {
    c = rctx_new(conn, url, method);
    *con_cls = c;
    if (!str_startswith(url, "/static/")) request_begin(c);
    /* A body refused on its headers alone (too large, wrong type) is
    ** answered now, before any of it is read. MHD 0.9.75 closes the
    ** connection after a response queued on the first call, which is what
    ** we want here; every other response waits for a later call. */
    if (c->err_status == 413 || c->err_status == 415) {
      res_error(&c->r, c->err_status, c->err_msg);
      return send_response(c);
    }
    return MHD_YES;
  }
  log_set_request_id(c->r.id);
  if (*upload_data_size) {
    request_body(c, upload_data, *upload_data_size);
    *upload_data_size = 0;
    /* A body that grows past its cap without having announced its length
    ** (chunked): MHD 0.9.75 refuses a response queued mid-upload, so the
    ** connection is closed without reading more. */
    if (c->err_status == 413 || c->err_status == 415) return MHD_NO;
    return MHD_YES;
  }
  if (str_startswith(url, "/static/")) return serve_static(c);
  if (c->pp) {
    if (MHD_destroy_post_processor(c->pp) != MHD_YES && c->body_started)
      set_error(c, 400, _("Formulaire mal formé."));
    c->pp = NULL;
    finish_field(c);
    finish_file(c);
  }
  if (c->raw.max && !c->raw.err) {
    c->r.json_body = arena_strndup(c->r.a, buf_str(&c->raw), c->raw.n);
    c->r.json_n = c->raw.n;
  }
  if (c->err_status) {
    if (c->err_status == 404 || c->err_status == 405) auth_load_session(&c->r);
    res_error(&c->r, c->err_status, c->err_msg);
  } else {
    dispatch(c);
  }
  return send_response(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  UNUSED(cls);
  UNUSED(conn);
  UNUSED(toe);
  rctx *c = *con_cls;
  if (!c) return;
  *con_cls = NULL;
  req *r = &c->r;
  if (c->pp) MHD_destroy_post_processor(c->pp);
  for (form_file *f = r->files; f; f = f->next)
    if (f->fd >= 0) close(f->fd);
  double ms = now_mono_ms() - r->t0;
  metrics_observe(c->route_idx, r->status, ms);
  if (g_access_log) {
    buf b;
    buf_init(&b, 4096);
    buf_puts(&b, "{\"type\":\"access\",\"request_id\":");
    buf_json_str(&b, r->id, -1);
    buf_puts(&b, ",\"ip\":");
    buf_json_str(&b, r->ip, -1);
    buf_puts(&b, ",\"method\":");
    buf_json_str(&b, r->method, -1);
    buf_puts(&b, ",\"path\":");
    buf_json_str(&b, r->path, -1);
    buf_printf(&b, ",\"status\":%d,\"bytes\":%lld,\"ms\":%.3f,\"user\":%lld", r->status,
               (long long)r->send_size, ms, (long long)(r->me ? r->me->id : 0));
    buf_puts(&b, "}\n");
    if (!b.err) log_raw_line(b.z, b.n);
    buf_free(&b);
  }
  log_set_request_id(NULL);
  buf_free(&c->raw);
  buf_free(&c->cur);
  buf_free(&c->filemem);
  buf_free(&r->body);
  arena_free(r->a);
}

/* -------------------------------------------------------------- daemon */

static void core_healthz(req *r) {
  int ok = db_get_int(0, "SELECT 1", "") == 1;
  json_t *j = json_object();
  json_object_set_new(j, "status", json_string(ok ? "ok" : "db"));
  res_json(r, ok ? 200 : 503, j);
}

/* Prometheus scrapes from the machine itself; elsewhere an admin session is
** needed. */
static void core_metrics(req *r) {
  int local = !strcmp(r->ip, "127.0.0.1") || !strcmp(r->ip, "::1");
  if (!local && !auth_can(r->me, "admin.metrics")) {
    res_error(r, 403, _("Vous n’avez pas accès à cette page."));
    return;
  }
  buf_reset(&r->body);
  metrics_render(&r->body);
  r->ctype = "text/plain; version=0.0.4";
}

/* A colour from configuration, if it is #rgb or #rrggbb; else the default. */
static const char *css_colour(const char *key, const char *dflt) {
  const char *v = config_str(key);
  size_t n = strlen(v);
  if ((n == 4 || n == 7) && v[0] == '#' && strspn(v + 1, "0123456789abcdefABCDEF") == n - 1) return v;
  return dflt;
}

/* The territory's colours as CSS variables (no inline style under our CSP). */
static void core_theme(req *r) {
  buf_reset(&r->body);
  buf_printf(&r->body, ":root{--primary:%s;--accent:%s}\n", css_colour("color_primary", "#0b5d4b"),
             css_colour("color_accent", "#f2b705"));
  r->ctype = "text/css; charset=utf-8";
  res_header(r, "Cache-Control", req_query(r, "v") ? "public, max-age=86400" : "public, max-age=3600");
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  UNUSED(cls);
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && msg[n - 1] == '\n') msg[--n] = 0;
  log_info("mhd", "%s", msg);
}

int http_start(const http_opts *o, int *bound) {
  snprintf(g_tmpdir, sizeof g_tmpdir, "%s/tmp", config_str("data_dir"));
  mkdir(g_tmpdir, 0700);
  const char *base = config_str("base_url");
  const char *sec = config_str("secure_cookies");
  g_secure = !strcmp(sec, "1") || (!strcmp(sec, "auto") && str_startswith(base, "https://"));
  g_access_log = (int)config_int("access_log");
  tiles_init();
  randombytes_buf(&g_reqbase, sizeof g_reqbase);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)o->port);
  if (inet_pton(AF_INET, o->listen, &sa.sin_addr) != 1) {
    fprintf(stderr, "guichet: bad listen address %s\n", o->listen);
    return -1;
  }
  int threads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  unsigned per_ip = (unsigned)config_int("max_conn_per_ip") * 2; /* hard cap past the 429s */
  g_daemon = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO, (uint16_t)o->port, NULL,
      NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)config_int("conn_timeout"), MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
      NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
      MHD_OPTION_END);
  if (!g_daemon) {
    fprintf(stderr, "guichet: cannot listen on %s:%d\n", o->listen, o->port);
    return -1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
  *bound = di ? di->port : o->port;
  if (*base) snprintf(g_base_url, sizeof g_base_url, "%s", base);
  else snprintf(g_base_url, sizeof g_base_url, "http://%s:%d", o->listen, *bound);
  size_t n = strlen(g_base_url);
  while (n && g_base_url[n - 1] == '/') g_base_url[--n] = 0;
  return 0;
}

const char *http_base_url(void) { return *g_base_url ? g_base_url : config_str("base_url"); }

void http_stop(void) {
  if (g_daemon) MHD_stop_daemon(g_daemon);
  g_daemon = NULL;
}
