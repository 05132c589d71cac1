/*
** log.h — JSON-lines logging to stderr (one object per line: time, level,
** module, request id when there is one, message). The access log uses the
** same stream with "type":"access". Thread-safe: each line is one write().
*/
#ifndef GUICHET_LOG_H
#define GUICHET_LOG_H

#include <stddef.h>

/* The request id of the request this thread is serving, or NULL; set by the
** HTTP layer so every error logged during a request carries it. */
void log_set_request_id(const char *id);
const char *log_request_id(void);

void log_info(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_error(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Quiet mode (tests): info lines are dropped, errors still written. */
void log_set_quiet(int quiet);
/* Writes an already-built JSON object line (the access log). */
void log_raw_line(const char *json, size_t n);

#endif
