/*
** log.c — JSON-lines logger. Lines are built in a stack buffer (truncated
** at 2 KiB: a log line is no place for a document) and written with one
** write(2), which keeps lines whole between threads.
*/
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

static _Thread_local const char *t_reqid; /* borrowed from the request */
static int g_quiet;                       /* drop info lines */

void log_set_request_id(const char *id) { t_reqid = id; }
const char *log_request_id(void) { return t_reqid; }
void log_set_quiet(int quiet) { g_quiet = quiet; }

static void log_line(const char *level, const char *module, const char *fmt, va_list ap) {
  char msg[1536];
  vsnprintf(msg, sizeof msg, fmt, ap);
  buf b;
  buf_init(&b, 2048);
  char ts[32];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"module\":", ts, level);
  buf_json_str(&b, module, -1);
  if (t_reqid) {
    buf_puts(&b, ",\"request_id\":");
    buf_json_str(&b, t_reqid, -1);
  }
  buf_puts(&b, ",\"msg\":");
  buf_json_str(&b, msg, -1);
  buf_puts(&b, "}\n");
  if (!b.err) log_raw_line(b.z, b.n);
  buf_free(&b);
}

void log_raw_line(const char *json, size_t n) {
  ssize_t w = write(STDERR_FILENO, json, n);
  (void)w;
}

void log_info(const char *module, const char *fmt, ...) {
  if (g_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  log_line("info", module, fmt, ap);
  va_end(ap);
}

void log_error(const char *module, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_line("error", module, fmt, ap);
  va_end(ap);
}
