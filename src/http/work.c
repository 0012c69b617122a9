/*
 * work.c -- the engine workers (http_int.h "Engine workers").
 *
 * Routes marked SL_R_ENGINE (face engine work: tens of milliseconds of CPU)
 * do not run on MHD's threads. MHD's thread pool gives each connection to
 * the thread that accepted it, for the connection's whole life: two
 * keep-alive clients that happen to land on one thread were served one
 * after the other while the other thread idled (bench-serve measured HTTP
 * at 0.47 of the in-process engine in such a run, 0.87 in the next), and a
 * face request held up every quick request (healthz, pages) on its thread.
 *
 * So when such a request's body is complete, server.c suspends the
 * connection and queues the request here; one of n worker threads (n =
 * twice the engine sessions, server.c) runs it, the response is kept in the request, and the
 * connection is resumed: MHD then calls the access handler again, which
 * queues that response on MHD's own thread. The queue is FIFO; the wait in
 * it is bounded by the server (engine_wait_ms -> 503 + Retry-After).
 *
 * Shutdown: sl__work_free runs what is queued, then joins the threads, so
 * no connection is left suspended when MHD stops (MHD would abort).
 */
#include <pthread.h>

#include "http/http_int.h"

struct sl_work {
    pthread_mutex_t  mu;
    pthread_cond_t   cv;
    struct sl_req   *head, *tail;
    size_t           queued;
    bool             stop;
    unsigned         n;
    pthread_t       *thr;
    void           (*run)(struct sl_req *r);
};

static _Thread_local bool on_worker;

static void *worker_main(void *arg)
{
    struct sl_work *w = arg;
    on_worker = true;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        struct sl_req *r = w->head;
        if (!r)
            break;                      /* stopping and nothing queued */
        w->head = r->next_job;
        if (!w->head)
            w->tail = NULL;
        w->queued--;
        pthread_mutex_unlock(&w->mu);
        r->next_job = NULL;
        w->run(r);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

sl_status sl__work_new(unsigned n, void (*run)(struct sl_req *r), struct sl_work **out)
{
    struct sl_work *w = sl__calloc(1, sizeof *w);
    if (!w)
        return SL_ERR_NOMEM;
    w->thr = sl__calloc(n, sizeof *w->thr);
    if (!w->thr) {
        sl__free(w);
        return SL_ERR_NOMEM;
    }
    w->run = run;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&w->thr[i], NULL, worker_main, w) != 0) {
            w->n = i;
            sl__work_free(w);
            return SL_ERR_INTERNAL;
        }
        w->n = i + 1;
    }
    *out = w;
    return SL_OK;
}

bool sl__work_push(struct sl_work *w, struct sl_req *r)
{
    pthread_mutex_lock(&w->mu);
    bool ok = !w->stop;
    if (ok) {
        r->next_job = NULL;
        if (w->tail)
            w->tail->next_job = r;
        else
            w->head = r;
        w->tail = r;
        w->queued++;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return ok;
}

size_t sl__work_queued(struct sl_work *w)
{
    pthread_mutex_lock(&w->mu);
    size_t n = w->queued;
    pthread_mutex_unlock(&w->mu);
    return n;
}

bool sl__work_on_worker(void)
{
    return on_worker;
}

void sl__work_free(struct sl_work *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->thr[i], NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    sl__free(w->thr);
    sl__free(w);
}
