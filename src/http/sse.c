/*
 * sse.c -- server-sent event streams on suspend/resume (http_int.h).
 *
 * Each stream is an MHD callback response. When it has nothing to send,
 * the content reader suspends the connection and returns 0 (no busy loop);
 * sl__sse_publish() and the heartbeat thread append to the stream's buffer
 * and resume it. The heartbeat (": hb" comment every sse_heartbeat_ms) is
 * what notices a client that left: a suspended connection sees nothing,
 * a resumed one fails its write and MHD closes it, which frees the stream.
 *
 * Locking: one hub mutex guards the list and every stream's buffer and
 * flags; MHD_suspend/resume are called with it held (order: hub -> MHD).
 */
#include <string.h>
#include <time.h>

#include "http/http_int.h"

#define SSE_BUF_MAX (256 * 1024)   /* a stream this far behind is dropped */

struct sl_sse {
    struct sl_sse_hub     *hub;
    struct MHD_Connection *conn;
    char                   topic[32];
    struct sl_buf          out;
    size_t                 off;      /* bytes of out already sent          */
    bool                   suspended;
    bool                   closing;
    struct sl_sse         *next, *prev;
};

struct sl_sse_hub {
    sl_http        *h;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    pthread_t       thr;
    bool            thr_started;
    bool            stop;
    struct sl_sse  *head;
    size_t          n;
    uint64_t        ticks;
};

/* Appends text to s and wakes it; hub lock held. */
static void push(struct sl_sse *s, const char *text, size_t n)
{
    if (s->closing)
        return;
    if (sl_buf_append(&s->out, text, n) != SL_OK) {
        /* too far behind (or no memory): end the stream */
        sl_buf_init(&s->out, SSE_BUF_MAX);
        s->off = 0;
        s->closing = true;
    }
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

static void *heartbeat_main(void *arg)
{
    struct sl_sse_hub *hub = arg;
    pthread_mutex_lock(&hub->mu);
    while (!hub->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)hub->h->o.sse_heartbeat_ms * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&hub->cv, &hub->mu, &ts);
        if (hub->stop)
            break;
        hub->ticks++;
        char hb[64], ping[128];
        int hn = snprintf(hb, sizeof hb, ": hb %llu\n\n", (unsigned long long)hub->ticks);
        int pn = snprintf(ping, sizeof ping, "event: ping\ndata: {\"n\":%llu,\"at\":%lld}\n\n",
                          (unsigned long long)hub->ticks, (long long)sl__now_ms());
        for (struct sl_sse *s = hub->head; s; s = s->next) {
            if (strcmp(s->topic, "ping") == 0)
                push(s, ping, (size_t)pn);
            else
                push(s, hb, (size_t)hn);
        }
    }
    pthread_mutex_unlock(&hub->mu);
    return NULL;
}

sl_status sl__sse_hub_new(sl_http *h, struct sl_sse_hub **out)
{
    struct sl_sse_hub *hub = sl__calloc(1, sizeof *hub);
    if (!hub)
        return SL_ERR_NOMEM;
    hub->h = h;
    pthread_mutex_init(&hub->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hub->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&hub->thr, NULL, heartbeat_main, hub) != 0) {
        pthread_cond_destroy(&hub->cv);
        pthread_mutex_destroy(&hub->mu);
        sl__free(hub);
        return SL_ERR_INTERNAL;
    }
    hub->thr_started = true;
    *out = hub;
    return SL_OK;
}

void sl__sse_hub_close(struct sl_sse_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->mu);
    for (struct sl_sse *s = hub->head; s; s = s->next) {
        s->closing = true;
        if (s->suspended) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
    }
    pthread_mutex_unlock(&hub->mu);
}

void sl__sse_hub_free(struct sl_sse_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->mu);
    hub->stop = true;
    pthread_cond_broadcast(&hub->cv);
    pthread_mutex_unlock(&hub->mu);
    if (hub->thr_started)
        pthread_join(hub->thr, NULL);
    pthread_cond_destroy(&hub->cv);
    pthread_mutex_destroy(&hub->mu);
    sl__free(hub);
}

size_t sl__sse_count(struct sl_sse_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    size_t n = hub->n;
    pthread_mutex_unlock(&hub->mu);
    return n;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct sl_sse *s = cls;
    struct sl_sse_hub *hub = s->hub;
    pthread_mutex_lock(&hub->mu);
    if (s->out.len > s->off) {
        size_t n = SL_MIN(max, s->out.len - s->off);
        memcpy(buf, s->out.data + s->off, n);
        s->off += n;
        if (s->off == s->out.len) {
            s->out.len = 0;
            s->off = 0;
        }
        pthread_mutex_unlock(&hub->mu);
        return (ssize_t)n;
    }
    if (s->closing) {
        pthread_mutex_unlock(&hub->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&hub->mu);
    return 0;
}

static void sse_free(void *cls)
{
    struct sl_sse *s = cls;
    struct sl_sse_hub *hub = s->hub;
    pthread_mutex_lock(&hub->mu);
    if (s->prev)
        s->prev->next = s->next;
    else if (hub->head == s)
        hub->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    hub->n--;
    pthread_mutex_unlock(&hub->mu);
    sl_buf_free(&s->out);
    sl__free(s);
}

sl_status sl__sse_start(struct sl_req *r, const char *topic)
{
    struct sl_sse_hub *hub = r->srv->hub;
    struct sl_sse *s = sl__calloc(1, sizeof *s);
    if (!s)
        return SL_ERR_NOMEM;
    s->hub = hub;
    s->conn = r->conn;
    snprintf(s->topic, sizeof s->topic, "%s", topic);
    sl_buf_init(&s->out, SSE_BUF_MAX);
    char first[160];
    int n = snprintf(first, sizeof first, "retry: 3000\nevent: ready\ndata: {\"request_id\":\"%s\"}\n\n",
                     r->id);
    if (sl_buf_append(&s->out, first, (size_t)n) != SL_OK) {
        sl__free(s);
        return SL_ERR_NOMEM;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                                                  sse_read, s, sse_free);
    if (!resp) {
        sl_buf_free(&s->out);
        sl__free(s);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_lock(&hub->mu);
    s->next = hub->head;
    if (hub->head)
        hub->head->prev = s;
    hub->head = s;
    hub->n++;
    if (atomic_load(&r->srv->stopping))
        s->closing = true;
    pthread_mutex_unlock(&hub->mu);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ok = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);   /* sse_free runs when MHD is done with it */
    if (ok != MHD_YES)
        return SL_ERR_IO;
    r->responded = true;
    r->status = 200;
    r->sse = s;
    return SL_OK;
}

void sl__sse_publish(struct sl_sse_hub *hub, const char *topic, const char *event,
                     const json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text)
        return;
    struct sl_buf b;
    sl_buf_init(&b, SSE_BUF_MAX);
    if (sl_buf_appendf(&b, "event: %s\ndata: %s\n\n", event, text) == SL_OK) {
        pthread_mutex_lock(&hub->mu);
        for (struct sl_sse *s = hub->head; s; s = s->next)
            if (strcmp(s->topic, topic) == 0)
                push(s, (const char *)b.data, b.len);
        pthread_mutex_unlock(&hub->mu);
    }
    sl_buf_free(&b);
    free(text);
}
