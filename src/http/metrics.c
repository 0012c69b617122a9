/*
 * metrics.c -- Prometheus text exposition for GET /metrics: requests and
 * latency histograms per route and status, engine pool wait time,
 * verifications by outcome. Counters are atomics (no lock on the request
 * path); a route x status cell is claimed on first use.
 */
#include <string.h>

#include "http/http_int.h"

static const double lat_bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5, 1, 2.5, 5, 10 };
#define NB (SL_ARRAY_LEN(lat_bounds))
#define STATUS_SLOTS 12

struct hist {
    atomic_ullong bucket[NB];   /* cumulative counts are made at render    */
    atomic_ullong count;
    atomic_ullong sum_us;
};
struct cell {
    atomic_uint status;         /* 0: free                                 */
    struct hist h;
};
struct sl_metrics {
    size_t       n_routes;      /* + 1 row for "unmatched"                 */
    struct cell *cells;         /* (n_routes + 1) * STATUS_SLOTS           */
    struct hist  pool_wait;
    atomic_ullong verify[4];    /* match, no_match, no_face, error         */
};
static const char *const verify_names[4] = { "match", "no_match", "no_face", "error" };

sl_status sl__metrics_new(size_t n_routes, struct sl_metrics **out)
{
    struct sl_metrics *m = sl__calloc(1, sizeof *m);
    if (!m)
        return SL_ERR_NOMEM;
    m->n_routes = n_routes;
    m->cells = sl__calloc((n_routes + 1) * STATUS_SLOTS, sizeof *m->cells);
    if (!m->cells) {
        sl__free(m);
        return SL_ERR_NOMEM;
    }
    *out = m;
    return SL_OK;
}

void sl__metrics_free(struct sl_metrics *m)
{
    if (!m)
        return;
    sl__free(m->cells);
    sl__free(m);
}

static void hist_add(struct hist *h, double s)
{
    for (size_t i = 0; i < NB; i++)
        if (s <= lat_bounds[i]) {
            atomic_fetch_add(&h->bucket[i], 1);
            break;
        }
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_us, (unsigned long long)(s * 1e6));
}

void sl__metrics_request(struct sl_metrics *m, int route_idx, unsigned status,
                         double seconds)
{
    size_t row = route_idx < 0 ? m->n_routes : (size_t)route_idx;
    struct cell *c = &m->cells[row * STATUS_SLOTS];
    for (size_t i = 0; i < STATUS_SLOTS; i++) {
        unsigned cur = atomic_load(&c[i].status);
        if (cur == 0) {
            unsigned zero = 0;
            if (atomic_compare_exchange_strong(&c[i].status, &zero, status))
                cur = status;
            else
                cur = zero;
        }
        if (cur == status || i == STATUS_SLOTS - 1) {
            hist_add(&c[i].h, seconds);
            return;
        }
    }
}

void sl__metrics_pool_wait(struct sl_metrics *m, double seconds)
{
    hist_add(&m->pool_wait, seconds);
}

void sl__metrics_verify(struct sl_metrics *m, const char *outcome)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(outcome, verify_names[i]) == 0)
            atomic_fetch_add(&m->verify[i], 1);
}

static sl_status hist_render(struct sl_buf *b, const char *name, const char *labels,
                             struct hist *h)
{
    unsigned long long cum = 0;
    sl_status st = SL_OK;
    const char *sep = labels[0] ? "," : "";
    for (size_t i = 0; i < NB && st == SL_OK; i++) {
        cum += atomic_load(&h->bucket[i]);
        st = sl_buf_appendf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                            lat_bounds[i], cum);
    }
    unsigned long long n = atomic_load(&h->count);
    if (st == SL_OK)
        st = sl_buf_appendf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, n);
    if (st == SL_OK)
        st = sl_buf_appendf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels,
                            (double)atomic_load(&h->sum_us) / 1e6, name, labels, n);
    return st;
}

sl_status sl__metrics_render(struct sl_metrics *m, const sl_http *h, struct sl_buf *b)
{
    sl_status st = sl_buf_appendf(b,
        "# HELP shualian_http_requests_total HTTP requests by route, method and status.\n"
        "# TYPE shualian_http_requests_total counter\n");
    for (size_t r = 0; r <= m->n_routes && st == SL_OK; r++) {
        for (size_t i = 0; i < STATUS_SLOTS && st == SL_OK; i++) {
            struct cell *c = &m->cells[r * STATUS_SLOTS + i];
            unsigned s = atomic_load(&c->status);
            if (!s)
                continue;
            st = sl_buf_appendf(b, "shualian_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %llu\n",
                                r < m->n_routes ? sl__route_at(r)->path : "unmatched",
                                r < m->n_routes ? sl__route_at(r)->method : "",
                                s, atomic_load(&c->h.count));
        }
    }
    if (st == SL_OK)
        st = sl_buf_appendf(b,
            "# HELP shualian_http_request_duration_seconds Request latency by route and status.\n"
            "# TYPE shualian_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= m->n_routes && st == SL_OK; r++) {
        for (size_t i = 0; i < STATUS_SLOTS && st == SL_OK; i++) {
            struct cell *c = &m->cells[r * STATUS_SLOTS + i];
            unsigned s = atomic_load(&c->status);
            if (!s)
                continue;
            char labels[200];
            snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%u\"",
                     r < m->n_routes ? sl__route_at(r)->path : "unmatched",
                     r < m->n_routes ? sl__route_at(r)->method : "", s);
            st = hist_render(b, "shualian_http_request_duration_seconds", labels, &c->h);
        }
    }
    if (st == SL_OK)
        st = sl_buf_appendf(b,
            "# HELP shualian_engine_pool_wait_seconds Wait for a face engine (worker queue, then session).\n"
            "# TYPE shualian_engine_pool_wait_seconds histogram\n");
    if (st == SL_OK)
        st = hist_render(b, "shualian_engine_pool_wait_seconds", "", &m->pool_wait);
    if (st == SL_OK)
        st = sl_buf_appendf(b,
            "# HELP shualian_verifications_total Face comparisons by outcome.\n"
            "# TYPE shualian_verifications_total counter\n");
    for (size_t i = 0; i < 4 && st == SL_OK; i++)
        st = sl_buf_appendf(b, "shualian_verifications_total{outcome=\"%s\"} %llu\n",
                            verify_names[i], atomic_load(&m->verify[i]));
    if (st == SL_OK)
        st = sl_buf_appendf(b,
            "# HELP shualian_engine_pool_sessions Face engine sessions (size, busy).\n"
            "# TYPE shualian_engine_pool_sessions gauge\n"
            "shualian_engine_pool_sessions{state=\"size\"} %u\n"
            "shualian_engine_pool_sessions{state=\"busy\"} %u\n"
            "# HELP shualian_engine_queue_requests Face requests waiting for an engine worker.\n"
            "# TYPE shualian_engine_queue_requests gauge\n"
            "shualian_engine_queue_requests %zu\n"
            "# HELP shualian_http_inflight Requests being handled.\n"
            "# TYPE shualian_http_inflight gauge\n"
            "shualian_http_inflight %d\n"
            "# HELP shualian_sse_streams Open event streams.\n"
            "# TYPE shualian_sse_streams gauge\n"
            "shualian_sse_streams %zu\n",
            h->pool ? sl__pool_size(h->pool) : 0, h->pool ? sl__pool_busy(h->pool) : 0,
            h->work ? sl__work_queued(h->work) : (size_t)0, atomic_load(&((sl_http *)h)->inflight), sl__sse_count(h->hub));
    if (st == SL_OK)
        st = sl__registry_metrics(h, b);
    return st;
}
