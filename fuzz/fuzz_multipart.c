/*
** fuzz_multipart.c — libFuzzer harness for the form body path: the
** libmicrohttpd post processor as http.c drives it (post_iter, the spill to
** a temporary file, finish_field/finish_file, the field and size caps), then
** the handlers that read the parsed fields and files (form.c, upload.c and
** the account pages).
**
** The real server runs inside the fuzzer process: LLVMFuzzerInitialize
** makes a temporary data directory and database, starts the daemon on
** 127.0.0.1 (any port, one thread), and logs a user in over HTTP like a
** browser would, so that later requests can carry a session and its CSRF
** token and reach the handlers. Each input becomes one POST on a fresh
** connection with "Connection: close"; the answer is read until the server
** closes (2 s receive timeout).
**
** Input layout (the first byte chooses, so that one corpus covers both
** content types):
**   byte 0     bits 0-2  route (see ROUTES)
**              bit 3     multipart/form-data, else x-www-form-urlencoded
**              bit 4     send the body in small pieces (split boundaries)
**              bit 5     quote the boundary parameter
**              bit 6     add a charset parameter before the boundary
**              bit 7     anonymous: no session, the anonymous CSRF token
**   multipart  byte 1 = n (mod 71), then n bytes of boundary (CR, LF, NUL
**              and '"' become '-': a header cannot carry them)
**   bit 4 set  one byte: piece size (1 + b % 64)
**   the rest   the body, sent as is with its exact Content-Length.
**
** What fails a run: a sanitizer report or crash in the server thread (the
** whole process dies), an answer that is not HTTP, or a 5xx answer (bad
** input must become a 4xx page, not a server error). A 303, 400, 403, 413,
** 415 or 422 is fine; so is a timeout, which is counted and printed at exit.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EMAIL "fuzz@exemple.fr"
#define PASSWORD "Fuzz-Correct-Horse-42!"
#define RESP_MAX 65536 /* enough of an answer to see its status and cookies */

/* Routes a fuzzed body is posted to. All parse the body the same way
** before any check; the logged-in ones then run a handler on it. */
static const char *const ROUTES[8] = {
    "/compte/documents",           /* multipart with files (R_UPLOAD) */
    "/compte/documents",           /* twice: the richest handler */
    "/compte/personnel",           /* urlencoded fields, phone and length checks */
    "/compte/entreprise",          /* SIRET, e-mail, postcode checks; no files */
    "/compte/organisation/membres",/* e-mail lookup */
    "/mot-de-passe-oublie",        /* public, anonymous CSRF */
    "/inscription",                /* public (a session is sent away); not /connexion,
                                      whose Argon2 check on every try would cost 50 ms */
    "/compte/documents/1/supprimer", /* path parameter plus a body */
};

static char g_dir[] = "/tmp/guichet-fuzz-XXXXXX"; /* data directory, removed at exit */
static int g_verbose;              /* FUZZ_VERBOSE=1: one line per input (route, status) */
static int g_port;                 /* the daemon's bound port */
static char g_cookie[256];         /* "gsid=…" of the logged-in session */
static char g_csrf[128];           /* that session's CSRF token */
static char g_anon_cookie[128];    /* "gcsrf=…" for anonymous requests */
static char g_anon_csrf[80];       /* its token: HMAC of the cookie value */
static unsigned long g_timeouts;   /* answers that did not come in time */

static void die(const char *what) {
  fprintf(stderr, "fuzz_multipart: %s (%s)\n", what, strerror(errno));
  abort();
}

/* Sends p[0..n) in pieces of `piece` bytes (all at once when 0). Returns 0,
** or -1 when the server has closed the connection. */
static int send_all(int fd, const uint8_t *p, size_t n, size_t piece) {
  for (size_t off = 0; off < n;) {
    size_t k = piece && piece < n - off ? piece : n - off;
    ssize_t w = send(fd, p + off, k, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

/* Sends head then body (in pieces of `piece` bytes when piece > 0) and
** reads the answer into out (NUL-terminated, truncated at n-1). Returns the
** bytes read, or -1 when the answer did not arrive in time. */
static ssize_t exchange(const char *head, size_t nhead, const uint8_t *body, size_t nbody, size_t piece,
                        char *out, size_t n) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* Close with a reset: a TIME_WAIT per run would use up the ~28,000
  ** loopback ports within a minute at 1,500 runs a second. */
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)g_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    /* libFuzzer's timers interrupt system calls; the connection goes on. */
    struct pollfd pfd = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t nerr = sizeof err;
    if (errno != EINTR || poll(&pfd, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &nerr) != 0 ||
        err != 0)
      die("connect");
  }
  /* The server may answer early (413, 415) and close: sends can fail. */
  int ok = send_all(fd, (const uint8_t *)head, nhead, 0) == 0;
  if (ok) send_all(fd, body, nbody, piece);
  size_t got = 0;
  ssize_t rc = 0;
  for (;;) {
    char tmp[4096];
    ssize_t r = recv(fd, tmp, sizeof tmp, 0);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) rc = -1;
      break; /* ECONNRESET after an early answer: keep what came */
    }
    size_t k = (size_t)r < n - 1 - got ? (size_t)r : n - 1 - got;
    memcpy(out + got, tmp, k);
    got += k;
  }
  out[got] = 0;
  close(fd);
  return rc < 0 && got == 0 ? -1 : (ssize_t)got;
}

/* Status code of an HTTP answer, or -1. */
static int status_of(const char *resp) {
  if (strncmp(resp, "HTTP/1.", 7) != 0 || !resp[7] || resp[8] != ' ') return -1;
  int st = atoi(resp + 9);
  return st >= 100 && st < 600 ? st : -1;
}

/* A request built from fixed parts (used by the set-up). */
static int request(const char *method, const char *path, const char *cookie, const char *csrf,
                   const char *ctype, const char *body, char *out, size_t n) {
  char head[2048];
  size_t nbody = body ? strlen(body) : 0;
  int nh = snprintf(head, sizeof head,
                    "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                    "%s%s%s%s%s%s%s%s%sContent-Length: %zu\r\n\r\n",
                    method, path, g_port, cookie ? "Cookie: " : "", cookie ? cookie : "",
                    cookie ? "\r\n" : "", csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "",
                    csrf ? "\r\n" : "", ctype ? "Content-Type: " : "", ctype ? ctype : "",
                    ctype ? "\r\n" : "", nbody);
  if (nh < 0 || (size_t)nh >= sizeof head) die("request head too long");
  if (exchange(head, (size_t)nh, (const uint8_t *)body, nbody, 0, out, n) < 0) die("set-up request timed out");
  return status_of(out);
}

/* Copies the value after `key` up to a character in `stop` into out. */
static int extract(const char *z, const char *key, const char *stop, char *out, size_t n) {
  const char *p = strstr(z, key);
  if (!p) return -1;
  p += strlen(key);
  size_t k = strcspn(p, stop);
  if (k == 0 || k >= n) return -1;
  memcpy(out, p, k);
  out[k] = 0;
  return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

/* At a normal exit (the time is up): remove the data directory. After a
** crash it stays, for a look at the database. The daemon is left running:
** stopping it would end its thread, and LeakSanitizer would then report the
** thread's own caches (database connection, libmagic handle) as leaks. */
static void cleanup(void) {
  if (g_timeouts) fprintf(stderr, "fuzz_multipart: %lu answer(s) timed out\n", g_timeouts);
  nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  log_set_quiet(1);
  g_verbose = getenv("FUZZ_VERBOSE") != NULL;
  if (!mkdtemp(g_dir)) die("mkdtemp");
  atexit(cleanup);
  config_set("data_dir", g_dir);
  config_set("port", "0");
  config_set("listen", "127.0.0.1");
  config_set("access_log", "0");
  config_set("threads", "1");
  config_set("login_max_per_ip", "1000000");
  char path[600];
  snprintf(path, sizeof path, "%s/guichet.db", g_dir);
  if (db_open(path) != 0 || db_migrate() < 0) die("database");
  if (http_secret_init() != 0) die("secret");
  auth_init();
  http_routes_init();
  http_opts o = {"127.0.0.1", 0, 1};
  if (http_start(&o, &g_port) != 0) die("http_start");
  if (auth_user_create(EMAIL, PASSWORD, "active", "applicant", NULL) <= 0) die("user");

  /* Anonymous CSRF, as auth.c derives it from the gcsrf cookie. */
  static const char anon[] = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuz"; /* 43 chars */
  char mac[65];
  http_hmac_hex(anon, mac);
  snprintf(g_anon_cookie, sizeof g_anon_cookie, "gcsrf=%s", anon);
  snprintf(g_anon_csrf, sizeof g_anon_csrf, "%s", mac);

  /* Log in like a browser, then read the session's form token. */
  static char resp[RESP_MAX];
  int st = request("POST", "/connexion", g_anon_cookie, g_anon_csrf, "application/x-www-form-urlencoded",
                   "email=fuzz%40exemple.fr&password=Fuzz-Correct-Horse-42%21", resp, sizeof resp);
  char tok[128];
  if (st != 303 || extract(resp, "Set-Cookie: gsid=", ";\r\n", tok, sizeof tok) != 0) {
    fprintf(stderr, "%s\n", resp);
    die("login failed");
  }
  snprintf(g_cookie, sizeof g_cookie, "gsid=%s", tok);
  st = request("GET", "/compte", g_cookie, NULL, NULL, NULL, resp, sizeof resp);
  if (st != 200 || extract(resp, "name=\"_csrf\" value=\"", "\"", g_csrf, sizeof g_csrf) != 0)
    die("no CSRF token on /compte");
  /* A company, so that document uploads reach upload_store. */
  st = request("POST", "/compte/entreprise", g_cookie, g_csrf, "application/x-www-form-urlencoded",
               "siret=73282932000074&kind=Entreprise&name=Fuzz&address=1+rue+du+Test&postcode=69003"
               "&city=Lyon&contact_email=contact%40exemple.fr&contact_phone=0472000000",
               resp, sizeof resp);
  if (st != 303) die("company form refused");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  size_t i = 1;
  const char *route = ROUTES[sel & 7];
  int multipart = (sel >> 3) & 1, split = (sel >> 4) & 1, quoted = (sel >> 5) & 1;
  int charset = (sel >> 6) & 1, anonymous = (sel >> 7) & 1;

  char ctype[200];
  if (multipart) {
    size_t nb = i < size ? data[i++] % 71 : 0;
    char boundary[72];
    size_t k = 0;
    for (; k < nb && i < size; k++, i++) {
      char ch = (char)data[i];
      boundary[k] = (ch == '\r' || ch == '\n' || ch == 0 || ch == '"') ? '-' : ch;
    }
    boundary[k] = 0;
    snprintf(ctype, sizeof ctype, "multipart/form-data;%s boundary=%s%s%s", charset ? " charset=utf-8;" : "",
             quoted ? "\"" : "", boundary, quoted ? "\"" : "");
  } else {
    snprintf(ctype, sizeof ctype, "application/x-www-form-urlencoded%s", charset ? "; charset=UTF-8" : "");
  }
  size_t piece = 0;
  if (split) piece = i < size ? 1 + data[i++] % 64 : 1;
  const uint8_t *body = data + i;
  size_t nbody = size - i;

  char head[1024];
  int nh = snprintf(head, sizeof head,
                    "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                    "Cookie: %s\r\nX-CSRF-Token: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                    route, g_port, anonymous ? g_anon_cookie : g_cookie, anonymous ? g_anon_csrf : g_csrf,
                    ctype, nbody);
  if (nh < 0 || (size_t)nh >= sizeof head) die("head too long");
  static char resp[RESP_MAX];
  ssize_t got = exchange(head, (size_t)nh, body, nbody, piece, resp, sizeof resp);
  if (got < 0) {
    g_timeouts++;
    if (g_verbose) fprintf(stderr, "POST %s %s%s: timeout\n", route, ctype, anonymous ? " (anonymous)" : "");
    return 0;
  }
  int st = status_of(resp);
  if (g_verbose) {
    const char *loc = strstr(resp, "\r\nLocation: ");
    const char *err = strstr(resp, "class=\"error\"");
    fprintf(stderr, "POST %s %s%s: %d%s%.*s%s%.80s\n", route, ctype, anonymous ? " (anonymous)" : "", st,
            loc ? " -> " : "", loc ? (int)strcspn(loc + 12, "\r") : 0, loc ? loc + 12 : "",
            err ? " error: " : "", err ? err : "");
  }
  if (st < 0 || st >= 500) {
    fprintf(stderr, "fuzz_multipart: POST %s (%s, %zu body bytes) answered:\n%.2000s\n", route, ctype, nbody,
            resp);
    abort();
  }
  return 0;
}
