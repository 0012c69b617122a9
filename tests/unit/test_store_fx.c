/*
 * test_store_fx.c -- the database fixture (test_store_fx.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_store_fx.h"

static bool want_pg(void)
{
    const char *u = getenv("SL_TEST_STORE_URL");
    return u && *u && strncmp(u, "sqlite:", 7) != 0;
}

static sl_status wipe_pg(sl_store *s)
{
    sl_tx *tx;
    sl_status st = sl__tx_begin(s, &tx);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, "DROP SCHEMA IF EXISTS public CASCADE", NULL, 0, NULL);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "CREATE SCHEMA public", NULL, 0, NULL);
    if (st != SL_OK) {
        sl__tx_rollback(tx);
        return st;
    }
    return sl__tx_commit(tx);
}

sl_store *sl_t_fx_open(struct sl_t *t, struct sl_t_fx *f)
{
    memset(f, 0, sizeof(*f));
    f->pg = want_pg();
    snprintf(f->dir, sizeof(f->dir), "/tmp/sl-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        SL_CHECKF(t, false, "mkdtemp: %s", strerror(errno));
        f->dir[0] = 0;
        return NULL;
    }
    if (f->pg)
        snprintf(f->url, sizeof(f->url), "%s", getenv("SL_TEST_STORE_URL"));
    else
        snprintf(f->url, sizeof(f->url), "sqlite:%s/db.sqlite", f->dir);
    sl_store *s = NULL;
    sl_status st = sl__store_open(f->url, NULL, &s);
    SL_CHECKF(t, st == SL_OK, "open %s: %s", f->url, sl_status_name(st));
    if (st != SL_OK)
        return NULL;
    if (f->pg) {
        st = wipe_pg(s);
        SL_CHECKF(t, st == SL_OK, "wipe: %s", sl_status_name(st));
        /* reconnect: no statements cached against the old schema */
        sl__store_close(s);
        s = NULL;
        st = sl__store_open(f->url, NULL, &s);
        if (st != SL_OK)
            return NULL;
    }
    st = sl__store_migrate(s);
    SL_CHECKF(t, st == SL_OK, "migrate: %s", sl_status_name(st));
    return s;
}

void sl_t_fx_done(struct sl_t_fx *f, sl_store *s)
{
    sl__store_close(s);
    if (f->dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", f->dir);
    }
}

sl_status sl_t_exec1(sl_store *s, const char *sql)
{
    sl_tx *tx;
    sl_status st = sl__tx_begin(s, &tx);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, sql, NULL, 0, NULL);
    if (st != SL_OK) {
        sl__tx_rollback(tx);
        return st;
    }
    return sl__tx_commit(tx);
}
