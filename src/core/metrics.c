/*
** metrics.c — request counters and latency histogram.
** Status codes are folded into classes 1xx..5xx (index 0..4) to keep the
** table small: routes × 5 counters. Histogram buckets are in milliseconds.
*/
#include "core/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "core/db.h"
#include "core/jobs.h"

static const double g_buckets[] = {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000};
#define NBUCKET ((int)(sizeof g_buckets / sizeof g_buckets[0]))

static int g_nroute;                     /* routes + 1 (last: unmatched) */
static const char *const *g_names;       /* route names, owned by http.c */
static atomic_llong *g_count;            /* [route][class] */
static atomic_llong g_hist[NBUCKET + 1]; /* cumulative at render; +Inf last */
static atomic_llong g_sum_us;            /* total latency in microseconds */
static atomic_llong g_total;             /* requests */

void metrics_init(int nroutes, const char *const *route_names) {
  g_nroute = nroutes + 1;
  g_names = route_names;
  g_count = xcalloc((size_t)g_nroute * 5, sizeof(atomic_llong));
}

void metrics_observe(int route, int status, double ms) {
  if (!g_count) return;
  int ri = route < 0 ? g_nroute - 1 : route;
  int cls = status / 100 - 1;
  if (cls < 0 || cls > 4) cls = 4;
  atomic_fetch_add_explicit(&g_count[ri * 5 + cls], 1, memory_order_relaxed);
  int b = 0;
  while (b < NBUCKET && ms > g_buckets[b]) b++;
  atomic_fetch_add_explicit(&g_hist[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&g_sum_us, (long long)(ms * 1000), memory_order_relaxed);
  atomic_fetch_add_explicit(&g_total, 1, memory_order_relaxed);
}

void metrics_render(buf *out) {
  buf_puts(out, "# HELP guichet_requests_total HTTP requests by route and status class.\n"
                "# TYPE guichet_requests_total counter\n");
  for (int i = 0; i < g_nroute; i++) {
    for (int c = 0; c < 5; c++) {
      long long v = atomic_load_explicit(&g_count[i * 5 + c], memory_order_relaxed);
      if (!v) continue;
      buf_puts(out, "guichet_requests_total{route=");
      buf_json_str(out, i < g_nroute - 1 ? g_names[i] : "unmatched", -1);
      buf_printf(out, ",status=\"%dxx\"} %lld\n", c + 1, v);
    }
  }
  buf_puts(out, "# HELP guichet_request_duration_ms Request latency.\n"
                "# TYPE guichet_request_duration_ms histogram\n");
  long long cum = 0;
  for (int b = 0; b <= NBUCKET; b++) {
    cum += atomic_load_explicit(&g_hist[b], memory_order_relaxed);
    if (b < NBUCKET)
      buf_printf(out, "guichet_request_duration_ms_bucket{le=\"%g\"} %lld\n", g_buckets[b], cum);
    else
      buf_printf(out, "guichet_request_duration_ms_bucket{le=\"+Inf\"} %lld\n", cum);
  }
  buf_printf(out, "guichet_request_duration_ms_sum %.3f\n",
             (double)atomic_load(&g_sum_us) / 1000.0);
  buf_printf(out, "guichet_request_duration_ms_count %lld\n", (long long)atomic_load(&g_total));
  jobs_stats st;
  jobs_get_stats(&st);
  buf_printf(out,
             "# TYPE guichet_jobs_done_total counter\nguichet_jobs_done_total %lld\n"
             "# TYPE guichet_jobs_failed_total counter\nguichet_jobs_failed_total %lld\n"
             "# TYPE guichet_jobs_queued gauge\nguichet_jobs_queued %lld\n",
             (long long)st.done, (long long)st.failed, (long long)st.queued);
  buf_printf(out, "# TYPE guichet_db_bytes gauge\nguichet_db_bytes %lld\n",
             (long long)db_file_size());
  buf_printf(out, "# TYPE guichet_users gauge\nguichet_users %lld\n",
             (long long)db_get_int(0, "SELECT count(*) FROM users", ""));
  buf_printf(out, "# TYPE guichet_sessions gauge\nguichet_sessions %lld\n",
             (long long)db_get_int(0, "SELECT count(*) FROM sessions", ""));
}
