/*
 * http.h -- the identity server's HTTP layer (what app/cmd_serve.c calls).
 *
 * libmicrohttpd with its internal thread pool and epoll. The routes, their
 * permissions, body limits, rate-limit classes, audit actions and schemas
 * are one table (routes.c); dispatch, checks, audit, metrics and the
 * OpenAPI document all come from it (docs/server.md).
 *
 * Lifecycle: sl__http_start() binds and serves on its own threads;
 * sl__http_shutdown() stops accepting, ends event streams, lets in-flight
 * requests finish (up to grace_ms) and stops. Everything the server uses
 * (store, keyring, accounts, face engine) is borrowed and must outlive it.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "base/json.h"

typedef struct sl_acct sl_acct;
typedef struct sl_face_engine sl_face_engine;
struct sl__gov;
struct sl_bank_verifier;
struct sl_calib;

/* One rate-limit class: a token bucket per client address and per device
 * (rate tokens/s, burst tokens). */
struct sl_http_rate {
    const char *cls;        /* "login", "engine", "default", ...            */
    double      per_s;
    double      burst;
};

struct sl_http_opts {
    const char *listen;         /* "127.0.0.1:8080" (host or IPv4, port)   */
    unsigned    threads;        /* worker threads (MHD pool); 0 = 2        */
    unsigned    max_conns;      /* open connections at most; 0 = 4096      */
    unsigned    per_ip_conns;   /* per client address; 0 = 0 (unlimited)   */
    unsigned    timeout_s;      /* idle/slow connection closed after; 0=30 */
    size_t      header_max;     /* request line + headers bytes; 0 = 16 KiB */
    unsigned    engines;        /* face engine sessions; 0 = threads       */
    unsigned    engine_wait_ms; /* wait for a free session; 0 = 5000       */
    unsigned    sse_heartbeat_ms; /* event-stream heartbeat; 0 = 15000      */
    const struct sl_http_rate *rates;   /* n_rates classes (may be NULL)    */
    size_t      n_rates;
    sl_acct    *acct;           /* accounts (and through it store, keys)   */
    const sl_face_engine *engine; /* NULL: face routes answer 503           */
    struct sl__gov *gov;        /* matters/applications; NULL: they answer 503 */
    const struct sl_bank_verifier *bank; /* bank-card factor (id.h); NULL: no card confirms */
    const struct sl_calib *id_calib;     /* 实证 fusion thresholds; NULL: real_document 503 */
    bool        access_log;     /* JSON lines on stderr                    */
};

typedef struct sl_http sl_http;

/* Starts serving. On SL_OK *out runs until sl__http_shutdown(). err (cap
 * bytes) gets a one-line reason on failure (bind, bad listen address). */
sl_status sl__http_start(const struct sl_http_opts *o, sl_http **out,
                         char *err, size_t cap);
/* The port actually bound (useful with port 0). */
uint16_t  sl__http_port(const sl_http *h);
/* Graceful stop and free: stop accepting, close event streams, wait up to
 * grace_ms for in-flight requests, stop the threads. NULL ok. */
void      sl__http_shutdown(sl_http *h, unsigned grace_ms);

/* Publishes application timeline rows (from the gov hold-release job) to
 * the applicants' event streams; ctx is the sl_http. */
void      sl__http_gov_publish(void *ctx, json_t *entries);
/* The OpenAPI 3.1 document generated from the route table (new ref). */
json_t   *sl__http_openapi(void);

#endif
