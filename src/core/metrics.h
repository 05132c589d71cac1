/*
** metrics.h — counters for /metrics (Prometheus text format): requests by
** route and status, a latency histogram, plus whatever the jobs and db
** modules report. Lock-free: relaxed atomics on fixed arrays sized at
** start-up from the route table.
*/
#ifndef GUICHET_METRICS_H
#define GUICHET_METRICS_H

#include "core/util.h"

void metrics_init(int nroutes, const char *const *route_names);
/* route: index in the table, or -1 for unmatched requests. */
void metrics_observe(int route, int status, double ms);
void metrics_render(buf *out);

#endif
