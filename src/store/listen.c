/*
 * listen.c -- PostgreSQL LISTEN/NOTIFY for caches kept across nodes
 * (store.h: sl__tx_notify, sl__store_listen_start). A listener owns one
 * connection of its own (not the pool's: it waits in LISTEN for ever) on
 * a thread; a lost connection is reported (up = false) and reopened every
 * second, then reported up again, so the caller catches up with a query
 * (notifications sent while it was down are lost by PostgreSQL's design).
 * SQLite has no notifications: sl__tx_notify does nothing there and
 * sl__store_listen_start answers SL_ERR_UNSUPPORTED.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

sl_status sl__tx_notify(sl_tx *tx, const char *channel, const char *payload)
{
    if (!tx || tx->s->kind != SL_STORE_PG)
        return SL_OK;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT pg_notify(?, ?)",
                                SL_ARGS(SL_TEXT(channel), SL_TEXT(payload ? payload : "")), &r);
    sl__rows_free(r);
    return st;
}

struct sl_store_listener {
    char *conninfo;
    char  channel[64];
    sl_store_notify_fn fn;
    sl_store_state_fn state;
    void *ctx;
    pthread_t th;
    atomic_bool stop;
};

static PGconn *listen_connect(struct sl_store_listener *l)
{
    PGconn *c = PQconnectdb(l->conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    char *id = PQescapeIdentifier(c, l->channel, strlen(l->channel));
    char sql[160];
    snprintf(sql, sizeof sql, "LISTEN %s", id ? id : "\"\"");
    PQfreemem(id);
    PGresult *res = PQexec(c, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void *listen_main(void *arg)
{
    struct sl_store_listener *l = arg;
    PGconn *c = NULL;
    bool up = false;
    while (!atomic_load(&l->stop)) {
        if (!c) {
            c = listen_connect(l);
            if (!c) {
                struct pollfd none = { .fd = -1 };
                (void)poll(&none, 0, 1000);   /* retry each second */
                continue;
            }
            up = true;
            l->state(l->ctx, true);
        }
        struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
        int pr = poll(&p, 1, 250);   /* wakes to see stop */
        bool lost = pr < 0 || (pr > 0 && !PQconsumeInput(c)) || PQstatus(c) != CONNECTION_OK;
        PGnotify *n;
        while (!lost && (n = PQnotifies(c)) != NULL) {
            l->fn(l->ctx, n->extra);
            PQfreemem(n);
        }
        if (lost) {
            sl_log_warn("store: the %s listener lost its connection; reconnecting", l->channel);
            PQfinish(c);
            c = NULL;
            if (up)
                l->state(l->ctx, false);
            up = false;
        }
    }
    PQfinish(c);
    if (up)
        l->state(l->ctx, false);
    return NULL;
}

sl_status sl__store_listen_start(sl_store *s, const char *channel, sl_store_notify_fn fn,
                                 sl_store_state_fn state, void *ctx,
                                 struct sl_store_listener **out)
{
    if (!s || !channel || !fn || !state || !out || strlen(channel) >= 64)
        return SL_ERR_INVALID;
    if (s->kind != SL_STORE_PG)
        return SL_ERR_UNSUPPORTED;
    struct sl_store_listener *l = sl__calloc(1, sizeof *l);
    if (!l)
        return SL_ERR_NOMEM;
    l->conninfo = sl__strdup(s->target);
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->fn = fn;
    l->state = state;
    l->ctx = ctx;
    if (!l->conninfo || pthread_create(&l->th, NULL, listen_main, l) != 0) {
        sl__free(l->conninfo);
        sl__free(l);
        return SL_ERR_NOMEM;
    }
    *out = l;
    return SL_OK;
}

void sl__store_listen_stop(struct sl_store_listener *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->th, NULL);
    sl__free(l->conninfo);
    sl__free(l);
}
