/*
 * jobs.c -- the leased retention job (jobs.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "id/id_int.h"
#include "id/jobs.h"

struct tick_ctx {
    const sl_keyring *k;
    const char *holder;
    int64_t period_ms;
    bool held;
    int64_t removed;
};

static sl_status tick_tx(sl_tx *tx, void *vctx)
{
    struct tick_ctx *c = vctx;
    int64_t now = sl__now_ms();
    c->held = false;
    c->removed = 0;
    sl_status st = sl__store_lease(tx, SL_ID_RETENTION_LEASE, c->holder, now, 2 * c->period_ms,
                                   &c->held);
    if (st != SL_OK || !c->held)
        return st;
    st = sl__frame_sweep_tx(tx, now, &c->removed);
    if (st != SL_OK || c->removed == 0)
        return st;
    char outcome[40];
    snprintf(outcome, sizeof outcome, "removed %lld", (long long)c->removed);
    struct sl_audit_rec rec = {
        .actor_kind = "system", .actor_id = c->holder, .action = "id.frame_sweep",
        .object_type = "evidence_frame", .object_id = "expired", .purpose = "retention",
        .outcome = outcome, .at_ms = now,
    };
    return sl__audit_append(tx, c->k, &rec, NULL);
}

sl_status sl__id_retention_tick(sl_store *s, const sl_keyring *k, const char *holder,
                                int64_t period_ms, bool *held, int64_t *removed)
{
    struct tick_ctx c = { k, holder, period_ms > 0 ? period_ms : SL_ID_RETENTION_PERIOD_MS,
                          false, 0 };
    sl_status st = sl__store_run(s, tick_tx, &c);
    if (held)
        *held = st == SL_OK && c.held;
    if (removed)
        *removed = st == SL_OK ? c.removed : 0;
    return st;
}

struct sl_id_jobs {
    sl_store *s;
    const sl_keyring *k;
    char holder[128];
    int64_t period_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void *job_main(void *arg)
{
    struct sl_id_jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += j->period_ms / 1000;
        ts.tv_nsec += (long)(j->period_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cv, &j->mu, &ts);
        if (j->stop)
            break;
        pthread_mutex_unlock(&j->mu);
        int64_t removed = 0;
        bool held = false;
        sl_status st = sl__id_retention_tick(j->s, j->k, j->holder, j->period_ms, &held, &removed);
        if (st != SL_OK)
            sl_log_warn("id: retention job: %s", sl_status_name((int)st));
        else if (removed)
            sl_log_info("id: retention job removed %lld expired evidence frames",
                        (long long)removed);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

sl_status sl__id_jobs_start(sl_store *s, const sl_keyring *k, const char *holder,
                            int64_t period_ms, struct sl_id_jobs **out)
{
    if (!s || !k || !holder || period_ms <= 0 || !out)
        return SL_ERR_INVALID;
    struct sl_id_jobs *j = sl__calloc(1, sizeof *j);
    if (!j)
        return SL_ERR_NOMEM;
    j->s = s;
    j->k = k;
    snprintf(j->holder, sizeof j->holder, "%s", holder);
    j->period_ms = period_ms;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        sl__free(j);
        return SL_ERR_INTERNAL;
    }
    *out = j;
    return SL_OK;
}

void sl__id_jobs_stop(struct sl_id_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stop = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    sl__free(j);
}
