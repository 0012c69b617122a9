/*
 * pool.c -- the face engine pool. The engine (models) is loaded once and
 * shared read-only; a session (nn state and scratch) serves one request at
 * a time. The pool holds exactly 'n' sessions made at start, so never more
 * engines run than configured; a request waits up to wait_ms for one, then
 * gets SL_ERR_HTTP_BUSY (503 + Retry-After).
 */
#include <stdatomic.h>
#include <time.h>

#include "http/http_int.h"
#include "shualian/engine.h"

struct sl_pool {
    pthread_mutex_t   mu;
    pthread_cond_t    cv;
    unsigned          n;
    unsigned          n_free;
    unsigned          wait_ms;
    sl_face_session **free_list;   /* n_free sessions at [0, n_free)       */
    sl_face_session **all;
};

sl_status sl__pool_new(const sl_face_engine *e, unsigned n, unsigned wait_ms,
                       struct sl_pool **out)
{
    struct sl_pool *p = sl__calloc(1, sizeof *p);
    if (!p)
        return SL_ERR_NOMEM;
    p->free_list = sl__calloc(n, sizeof *p->free_list);
    p->all = sl__calloc(n, sizeof *p->all);
    if (!p->free_list || !p->all) {
        sl__free(p->free_list);
        sl__free(p->all);
        sl__free(p);
        return SL_ERR_NOMEM;
    }
    p->wait_ms = wait_ms;
    for (unsigned i = 0; i < n; i++) {
        sl_status st = sl_face_session_new(&p->all[i], e);
        if (st != SL_OK) {
            p->n = i;
            sl__pool_free(p);
            return st;
        }
        p->free_list[i] = p->all[i];
    }
    p->n = p->n_free = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = p;
    return SL_OK;
}

void sl__pool_free(struct sl_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->n; i++)
        sl_face_session_free(p->all[i]);
    sl__free(p->all);
    sl__free(p->free_list);
    sl__free(p);
}

sl_status sl__pool_take(struct sl_pool *p, struct sl_metrics *m, sl_face_session **out)
{
    if (!sl__work_on_worker()) {
        /* a handler on MHD's thread holds it up for every connection the
         * thread serves: the route wants SL_R_ENGINE (work.c) */
        static atomic_bool warned;
        if (!atomic_exchange(&warned, true))
            sl_log_warn("http: a face engine session taken outside the engine workers"
                        " (mark the route SL_R_ENGINE)");
    }
    uint64_t t0 = sl_time_mono_ns();
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)p->wait_ms * 1000000u;
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    pthread_mutex_lock(&p->mu);
    while (p->n_free == 0) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) != 0 && p->n_free == 0) {
            pthread_mutex_unlock(&p->mu);
            if (m)
                sl__metrics_pool_wait(m, (double)(sl_time_mono_ns() - t0) / 1e9);
            return SL_ERR_HTTP_BUSY;
        }
    }
    *out = p->free_list[--p->n_free];
    pthread_mutex_unlock(&p->mu);
    if (m)
        sl__metrics_pool_wait(m, (double)(sl_time_mono_ns() - t0) / 1e9);
    return SL_OK;
}

void sl__pool_give(struct sl_pool *p, sl_face_session *s)
{
    pthread_mutex_lock(&p->mu);
    p->free_list[p->n_free++] = s;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

unsigned sl__pool_size(const struct sl_pool *p)
{
    return p->n;
}

unsigned sl__pool_busy(struct sl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned b = p->n - p->n_free;
    pthread_mutex_unlock(&p->mu);
    return b;
}
