/*
 * server.c -- the libmicrohttpd glue: start/stop, limits, the request
 * life cycle, access log and metrics.
 *
 * Threads: MHD's internal pool (opts.threads workers, epoll), plus the
 * event-stream heartbeat thread. Limits are checked before anything is
 * buffered: connection count and per-IP connections (MHD options), the
 * per-connection timeout (slowloris), the header size (MHD's connection
 * memory pool: a request line + headers that do not fit get 431 from
 * MHD), and the body size per route -- MHD has no body cap of its own, so
 * the declared Content-Length is checked on the first call and every
 * upload chunk is checked against the route's body_max as it arrives.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hall/hall.h"
#include "http/http_int.h"

/* ============================ Request helpers ============================ */

const char *sl__req_param(const struct sl_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_params; i++)
        if (r->params[i].nlen == n && memcmp(r->params[i].name, name, n) == 0)
            return r->params[i].value;
    return NULL;
}

bool sl__req_id(const struct sl_req *r, const char *name, int64_t *id)
{
    const char *s = sl__req_param(r, name);
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || v <= 0)
        return false;
    *id = v;
    return true;
}

const char *sl__req_query(const struct sl_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sl__req_header(const struct sl_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void client_ip(struct MHD_Connection *c, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* ============================ Access log ================================ */

static void access_log(const struct sl_req *r)
{
    double ms = (double)(sl_time_mono_ns() - r->t0_ns) / 1e6;
    char ts[32];
    sl_time_iso8601(ts, sizeof ts, sl_time_wall_ms());
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "kind", json_string("access"));
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "ip", json_string(r->ip));
    json_object_set_new(o, "method", json_string(r->method));
    if (r->route)
        json_object_set_new(o, "route", json_string(r->route->path));
    /* the path may carry an ID number or a name: masked; never the query */
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    sl_mask_ids_in(path);
    json_t *ps = json_string(path);
    json_object_set_new(o, "path", ps ? ps : json_string("(invalid utf-8)"));
    json_object_set_new(o, "status", json_integer(r->status));
    if (r->code != SL_OK)
        json_object_set_new(o, "code", json_string(sl_status_name(r->code)));
    json_object_set_new(o, "ms", json_real((double)(long long)(ms * 1000) / 1000));
    if (r->who.kind != SL_PRIN_NONE) {
        json_object_set_new(o, "who", json_string(r->who.name));
        json_object_set_new(o, "who_kind",
                            json_string(r->who.kind == SL_PRIN_STAFF ? "staff"
                                        : r->who.kind == SL_PRIN_CITIZEN ? "citizen" : "device"));
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (line) {
        fprintf(stderr, "%s\n", line);
        free(line);
    }
}

/* ============================ Slow-client watchdog ======================
 * MHD's timeout is an idle timeout: a client sending one byte a second
 * (slowloris) never trips it. Each connection therefore gets a deadline
 * of timeout_s to deliver a whole request (headers and body), counted
 * from the connection's start or the end of its previous request; the
 * clock stops while a handler runs or a response (an event stream) is
 * being sent. Past the deadline the socket is shut down, which MHD sees
 * as the client closing. */
struct sl_watch {
    struct sl_watch *next, *prev;
    MHD_socket       fd;
    uint64_t         since_ns;
    bool             busy;      /* handler running / responding          */
    bool             cut;       /* already shut down                     */
};
struct sl_watchdog {
    pthread_mutex_t  mu;
    pthread_cond_t   cv;
    pthread_t        thr;
    bool             stop;
    struct sl_watch *head;
    uint64_t         limit_ns;
};

static void *watchdog_main(void *arg)
{
    struct sl_watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 200 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        uint64_t now = sl_time_mono_ns();
        for (struct sl_watch *x = w->head; x; x = x->next)
            if (!x->busy && !x->cut && now - x->since_ns > w->limit_ns) {
                x->cut = true;
                shutdown(x->fd, SHUT_RDWR);
            }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **ctx,
                    enum MHD_ConnectionNotificationCode what)
{
    sl_http *h = cls;
    struct sl_watchdog *w = h->watchdog;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        struct sl_watch *x = sl__calloc(1, sizeof *x);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!x || !ci) {
            sl__free(x);
            *ctx = NULL;
            return;
        }
        x->fd = ci->connect_fd;
        x->since_ns = sl_time_mono_ns();
        pthread_mutex_lock(&w->mu);
        x->next = w->head;
        if (w->head)
            w->head->prev = x;
        w->head = x;
        pthread_mutex_unlock(&w->mu);
        *ctx = x;
    } else if (what == MHD_CONNECTION_NOTIFY_CLOSED && *ctx) {
        struct sl_watch *x = *ctx;
        pthread_mutex_lock(&w->mu);
        if (x->prev)
            x->prev->next = x->next;
        else
            w->head = x->next;
        if (x->next)
            x->next->prev = x->prev;
        pthread_mutex_unlock(&w->mu);
        sl__free(x);
        *ctx = NULL;
    }
}

/* busy: a handler runs or a response is on its way (deadline paused);
 * !busy: waiting for the next request (deadline restarts now). */
static void watch_busy(sl_http *h, struct MHD_Connection *c, bool busy)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct sl_watch *x = ci ? ci->socket_context : NULL;
    if (!x)
        return;
    pthread_mutex_lock(&h->watchdog->mu);
    x->busy = busy;
    x->since_ns = sl_time_mono_ns();
    pthread_mutex_unlock(&h->watchdog->mu);
}

static sl_status watchdog_new(unsigned timeout_s, struct sl_watchdog **out)
{
    struct sl_watchdog *w = sl__calloc(1, sizeof *w);
    if (!w)
        return SL_ERR_NOMEM;
    w->limit_ns = (uint64_t)timeout_s * 1000000000u;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thr, NULL, watchdog_main, w) != 0) {
        sl__free(w);
        return SL_ERR_INTERNAL;
    }
    *out = w;
    return SL_OK;
}

static void watchdog_free(struct sl_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thr, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    sl__free(w);
}

/* ============================ Request life cycle ======================== */

static bool ctype_is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Parses a Content-Length; false if malformed. */
static bool parse_len(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (v > UINT64_MAX / 10 - 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static sl_status authenticate(struct sl_req *r)
{
    const char *auth = sl__req_header(r, "Authorization");
    if (!auth)
        return SL_OK;
    sl_acct *a = r->srv->o.acct;
    if (!a)
        return SL_ERR_HTTP_AUTH;
    if (strncasecmp(auth, "Bearer ", 7) == 0)
        return sl__acct_auth_bearer(a, auth + 7, &r->who);
    if (strncasecmp(auth, "Device ", 7) == 0)
        return sl__acct_auth_device(a, auth + 7, &r->who);
    return SL_ERR_HTTP_AUTH;
}

/* Everything decided before the body is read. Returns an error to answer
 * (the body is then never buffered). */
static sl_status begin(struct sl_req *r, const char *method, const char *url)
{
    if (atomic_load(&r->srv->stopping))
        return SL_ERR_HTTP_STOPPING;
    sl_status st = sl__route_match(r, method, url, &r->route_idx);
    if (st != SL_OK)
        return st;
    r->route = sl__route_at((size_t)r->route_idx);
    const struct sl_route *rt = r->route;

    st = authenticate(r);
    if (st != SL_OK) {
        memset(&r->who, 0, sizeof r->who);
        if (!(rt->allow & SL_R_PUBLIC))
            return st;
    }
    if (!(rt->allow & SL_R_PUBLIC)) {
        if (r->who.kind == SL_PRIN_NONE)
            return SL_ERR_HTTP_AUTH;
        if ((r->who.bits & rt->allow & (SL_ROLE_ALL | SL_DEV_ALL | SL_ROLE_CITIZEN)) == 0) {
            snprintf(r->detail, sizeof r->detail, "%s %s is not allowed for %s",
                     rt->method, rt->path, r->who.name);
            return SL_ERR_HTTP_FORBIDDEN;
        }
    }

    const char *cl = sl__req_header(r, "Content-Length");
    const char *te = sl__req_header(r, "Transfer-Encoding");
    uint64_t len = 0;
    if (cl && !parse_len(cl, &len))
        return SL_ERR_HTTP_BODY;
    bool has_body = len > 0 || te != NULL;
    if (len > rt->body_max || (has_body && rt->body_max == 0)) {
        snprintf(r->detail, sizeof r->detail, "this route accepts at most %zu bytes",
                 rt->body_max);
        return SL_ERR_HTTP_BODY;
    }
    if (has_body && !ctype_is_json(sl__req_header(r, "Content-Type")))
        return SL_ERR_HTTP_CONTENT_TYPE;

    int64_t retry_ms = 0;
    st = sl__http_rate_take(r, &retry_ms);
    if (st == SL_ERR_HTTP_RATE) {
        unsigned s = (unsigned)((retry_ms + 999) / 1000);
        sl__reply_problem(r, st, NULL, s ? s : 1);
        return SL_OK;
    }
    if (st != SL_OK)
        return st;
    sl_buf_init(&r->body, rt->body_max);
    r->started = true;
    return SL_OK;
}

static void finish(struct sl_req *r)
{
    const struct sl_route *rt = r->route;
    sl_status st = SL_OK;
    if (rt->req) {
        char err[200];
        json_t *v = NULL;
        if (r->body.len == 0) {
            st = SL_ERR_HTTP_JSON;
            snprintf(r->detail, sizeof r->detail, "this route needs a JSON body");
        } else {
            st = sl__http_parse_body((const char *)r->body.data, r->body.len, &v,
                                     err, sizeof err);
            if (st != SL_OK)
                snprintf(r->detail, sizeof r->detail, "%s", err);
        }
        if (st == SL_OK) {
            char where[200];
            st = sl__schema_check(rt->req, v, where, sizeof where);
            if (st != SL_OK) {
                snprintf(r->detail, sizeof r->detail, "%s: %s", where,
                         sl_status_str(st));
                json_decref(v);
            } else {
                r->json = v;
            }
        }
    }
    sl_buf_free(&r->body);
    if (st == SL_OK)
        st = rt->handler(r);
    if (st != SL_OK && !r->responded)
        sl__reply_problem(r, st, r->detail[0] ? r->detail : NULL,
                          st == SL_ERR_HTTP_BUSY ? 2 : 0);
    if (!r->responded)
        sl__reply_problem(r, SL_ERR_INTERNAL, "handler gave no response", 0);
    if (rt->audit_action && !r->audited)
        sl__http_audit(r);
}

/* An SL_R_ENGINE request on a worker (work.c): the handler, unless it
 * waited in the queue longer than a request may wait for an engine (then
 * 503 + Retry-After, as the pool answers); then MHD's thread is woken to
 * send what was answered. */
static void run_job(struct sl_req *r)
{
    sl_http *h = r->srv;
    uint64_t waited = sl_time_mono_ns() - r->queued_ns;
    sl__metrics_pool_wait(h->metrics, (double)waited / 1e9);
    if (waited > (uint64_t)h->o.engine_wait_ms * 1000000u) {
        sl__reply_problem(r, SL_ERR_HTTP_BUSY, "every face engine is busy", 2);
        if (r->route->audit_action && !r->audited)
            sl__http_audit(r);
    } else {
        finish(r);                /* answers, with its own fallback */
    }
    MHD_resume_connection(r->conn);
}

static struct sl_req *req_new(sl_http *h, struct MHD_Connection *c,
                              const char *method, const char *url)
{
    struct sl_req *r = sl__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = h;
    r->conn = c;
    r->route_idx = -1;
    r->t0_ns = sl_time_mono_ns();
    unsigned long long n = atomic_fetch_add(&h->seq, 1) + 1;
    snprintf(r->id, sizeof r->id, "req_%s_%llx", h->node, n);
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->path, sizeof r->path, "%s", url);
    client_ip(c, r->ip, sizeof r->ip);
    return r;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    sl_http *h = cls;
    struct sl_req *r = *con_cls;
    if (r && r->deferred) {       /* back from a worker: send its answer */
        r->deferred = false;
        struct MHD_Response *resp = r->resp;
        r->resp = NULL;
        if (!resp)
            return MHD_NO;
        enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
        MHD_destroy_response(resp);
        return ok;
    }
    if (!r) {
        r = req_new(h, c, method, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        atomic_fetch_add(&h->inflight, 1);
        sl_status st = begin(r, method, url);
        if (st != SL_OK && !r->responded)
            sl__reply_problem(r, st, r->detail[0] ? r->detail : NULL, 0);
        /* a known principal refused an audited route: that is recorded too */
        if (st == SL_ERR_HTTP_FORBIDDEN && r->route && r->route->audit_action)
            sl__http_audit(r);
        if (r->responded)
            watch_busy(h, c, true);
        return MHD_YES;
    }
    if (r->responded) {          /* answered early: discard what arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* over the route's cap: the buffer released itself; the rest is
         * read and dropped (MHD cannot answer mid-upload), and the
         * watchdog ends a client that keeps sending */
        if (!r->body_over && sl_buf_append(&r->body, upload, *upload_size) != SL_OK)
            r->body_over = true;
        *upload_size = 0;
        return MHD_YES;
    }
    watch_busy(h, c, true);
    if (r->body_over) {
        snprintf(r->detail, sizeof r->detail, "this route accepts at most %zu bytes",
                 r->route->body_max);
        sl__reply_problem(r, SL_ERR_HTTP_BODY, r->detail, 0);
        return MHD_YES;
    }
    if ((r->route->allow & SL_R_ENGINE) && h->work) {
        r->deferred = true;
        r->queued_ns = sl_time_mono_ns();
        MHD_suspend_connection(c);
        if (!sl__work_push(h->work, r))
            run_job(r);           /* shutting down: run it here */
        return MHD_YES;
    }
    finish(r);
    return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    sl_http *h = cls;
    struct sl_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (h->o.access_log)
        access_log(r);
    double secs = (double)(sl_time_mono_ns() - r->t0_ns) / 1e9;
    sl__metrics_request(h->metrics, r->route_idx, r->responded ? r->status : 0, secs);
    sl_buf_free(&r->body);
    json_decref(r->json);
    if (r->resp)
        MHD_destroy_response(r->resp);
    sl__free(r);
    watch_busy(h, c, false);
    atomic_fetch_sub(&h->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    sl_log_debug("http: %s", msg);
}

/* ============================ Start and stop ============================ */

static sl_status parse_listen(const char *listen, struct sockaddr_storage *ss,
                              bool *v6, char *err, size_t cap)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || strlen(colon + 1) == 0) {
        snprintf(err, cap, "listen address '%s' is not HOST:PORT", listen);
        return SL_ERR_INVALID;
    }
    size_t hn = (size_t)(colon - listen);
    if (listen[0] == '[' && hn >= 2 && listen[hn - 1] == ']') {
        listen++;
        hn -= 2;
    }
    if (hn >= sizeof host) {
        snprintf(err, cap, "listen host too long");
        return SL_ERR_INVALID;
    }
    memcpy(host, listen, hn);
    host[hn] = '\0';
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, cap, "listen address '%s': %s", listen, gai_strerror(rc));
        return SL_ERR_INVALID;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return SL_OK;
}

sl_status sl__http_start(const struct sl_http_opts *o, sl_http **out, char *err,
                         size_t cap)
{
    sl_http *h = sl__calloc(1, sizeof *h);
    if (!h)
        return SL_ERR_NOMEM;
    h->o = *o;
    if (!h->o.threads)
        h->o.threads = 2;
    if (!h->o.max_conns)
        h->o.max_conns = 4096;
    if (!h->o.timeout_s)
        h->o.timeout_s = 30;
    if (!h->o.header_max)
        h->o.header_max = 16 * 1024;
    if (!h->o.engines)
        h->o.engines = h->o.threads;
    if (!h->o.engine_wait_ms)
        h->o.engine_wait_ms = 5000;
    if (!h->o.sse_heartbeat_ms)
        h->o.sse_heartbeat_ms = 15000;
    h->boot_ns = sl_time_mono_ns();
    uint8_t tag[4] = { 0 };
    if (getrandom(tag, sizeof tag, 0) != (ssize_t)sizeof tag)
        memset(tag, 0x5a, sizeof tag);
    snprintf(h->node, sizeof h->node, "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);

    struct sockaddr_storage ss;
    bool v6 = false;
    sl_status st = parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &ss, &v6,
                                err, cap);
    if (st != SL_OK)
        goto out_free;
    st = sl__metrics_new(sl__route_count(), &h->metrics);
    if (st != SL_OK)
        goto out_free;
    st = sl__sse_hub_new(h, &h->hub);
    if (st != SL_OK)
        goto out_metrics;
    st = watchdog_new(h->o.timeout_s, &h->watchdog);
    if (st != SL_OK)
        goto out_hub;
    sl__hall_http_init(h);   /* the portrait library: cache load, alarm pushes */
    if (o->engine) {
        st = sl__pool_new(o->engine, h->o.engines, h->o.engine_wait_ms, &h->pool);
        if (st != SL_OK) {
            snprintf(err, cap, "cannot create %u face engine sessions", h->o.engines);
            goto out_pool;
        }
        /* twice the engines: a worker waiting for its audit commit
         * (an fsync, 3 ms on SQLite here) does not leave an engine idle;
         * the pool still bounds the engines at work to 'engines' */
        unsigned workers = h->o.engines * 2;
        st = sl__work_new(workers, run_job, &h->work);
        if (st != SL_OK) {
            snprintf(err, cap, "cannot start %u engine worker threads", workers);
            goto out_pool;
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (v6 ? MHD_USE_IPv6 : 0);
    /* The connection memory pool holds the request line and headers (and
     * the read buffer): too-large headers get 431 from MHD. */
    size_t mem = h->o.header_max + 4096;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)h->o.threads,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->o.max_conns,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->o.per_ip_conns,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->o.timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
                            MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, cap, "cannot listen on %s (address in use or not allowed)",
                 o->listen ? o->listen : "127.0.0.1:8080");
        st = SL_ERR_IO;
        goto out_pool;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : 0;
    *out = h;
    return SL_OK;
out_pool:
    /* the portrait library's cache load (a thread using the store) and its
     * alarm hook were started above: both end before the store can go */
    sl__hall_load_wait();
    sl__hall_on_alarm(NULL, NULL);
    sl__work_free(h->work);
    sl__pool_free(h->pool);
    watchdog_free(h->watchdog);
out_hub:
    sl__sse_hub_free(h->hub);
out_metrics:
    sl__metrics_free(h->metrics);
out_free:
    sl__free(h);
    return st;
}

uint16_t sl__http_port(const sl_http *h)
{
    return h->port;
}

void sl__http_shutdown(sl_http *h, unsigned grace_ms)
{
    if (!h)
        return;
    atomic_store(&h->stopping, true);
    MHD_socket lfd = MHD_quiesce_daemon(h->d);   /* stop accepting */
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    sl__sse_hub_close(h->hub);                   /* end event streams */
    uint64_t t_end = sl_time_mono_ns() + (uint64_t)grace_ms * 1000000u;
    while (atomic_load(&h->inflight) > 0 && sl_time_mono_ns() < t_end) {
        struct timespec ts = { 0, 20 * 1000000 };
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&h->inflight) > 0)
        sl_log_warn("http: %d requests still running at shutdown",
                    atomic_load(&h->inflight));
    /* every engine request run and its connection resumed: MHD aborts on
     * a connection still suspended when it stops */
    sl__work_free(h->work);
    h->work = NULL;
    MHD_stop_daemon(h->d);
    watchdog_free(h->watchdog);
    sl__hall_load_wait();
    sl__hall_on_alarm(NULL, NULL);   /* the hub the alarm hook pushes to goes */
    sl__sse_hub_free(h->hub);
    sl__pool_free(h->pool);
    sl__metrics_free(h->metrics);
    sl__free(h);
}
