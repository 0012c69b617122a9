/*
 * test_id_jobs.c -- the id module's retention job (src/id/jobs.h): one
 * holder of the lease sweeps expired evidence frames and audits it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "id/id.h"
#include "id/jobs.h"
#include "store/store.h"
#include "test.h"

static void rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return;
}

static sl_status count_tx(sl_tx *tx, void *ctx)
{
    return sl__tx_query_int(tx, "SELECT count(*) FROM id_frame", NULL, 0, (int64_t *)ctx);
}

static sl_status audit_tx(sl_tx *tx, void *ctx)
{
    return sl__tx_query_int(tx, "SELECT count(*) FROM audit_log WHERE action = 'id.frame_sweep'",
                            NULL, 0, (int64_t *)ctx);
}

struct keep { const sl_keyring *k; int64_t exp; };
static sl_status keep_tx(sl_tx *tx, void *ctx)
{
    struct keep *c = ctx;
    sl_status st = sl__frame_keep_tx(tx, c->k, 1, "catalogue", "OLD", 3, c->exp, NULL);
    if (st == SL_OK)
        st = sl__frame_keep_tx(tx, c->k, 2, "consent", "NEW", 3, sl__now_ms() + 3600000, NULL);
    return st;
}

SL_TEST(id, retention_job_leased_sweep)
{
    char dir[64] = "/tmp/sl-idjobs-XXXXXX";
    if (!mkdtemp(dir)) {
        SL_CHECKF(t, false, "mkdtemp: %s", strerror(errno));
        return;
    }
    char url[128], kp[128];
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", dir);
    snprintf(kp, sizeof kp, "%s/keys", dir);
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_INTL, true, &k), SL_OK);
    SL_CHECK_EQ(t, sl__store_open(url, NULL, &s), SL_OK);
    if (!s || !k)
        goto out;
    SL_CHECK_EQ(t, sl__store_migrate(s), SL_OK);
    struct keep kc = { k, sl__now_ms() - 1 };
    SL_CHECK_EQ(t, sl__store_run(s, keep_tx, &kc), SL_OK);
    int64_t n = -1, removed = -1;
    bool held = false;
    /* node A holds the lease and sweeps the expired frame only */
    SL_CHECK_EQ(t, sl__id_retention_tick(s, k, "node-a", 60000, &held, &removed), SL_OK);
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, removed, 1);
    SL_CHECK_EQ(t, sl__store_run_read(s, count_tx, &n), SL_OK);
    SL_CHECK_EQ(t, n, 1);
    SL_CHECK_EQ(t, sl__store_run_read(s, audit_tx, &n), SL_OK);
    SL_CHECK_EQ(t, n, 1);
    /* node B does not sweep while A's lease runs */
    SL_CHECK_EQ(t, sl__id_retention_tick(s, k, "node-b", 60000, &held, &removed), SL_OK);
    SL_CHECK(t, !held);
    SL_CHECK_EQ(t, removed, 0);
    /* A again: nothing to do, no audit record */
    SL_CHECK_EQ(t, sl__id_retention_tick(s, k, "node-a", 60000, &held, &removed), SL_OK);
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, removed, 0);
    SL_CHECK_EQ(t, sl__store_run_read(s, audit_tx, &n), SL_OK);
    SL_CHECK_EQ(t, n, 1);
    /* the thread starts and stops cleanly */
    struct sl_id_jobs *j = NULL;
    SL_CHECK_EQ(t, sl__id_jobs_start(s, k, "node-a", 10, &j), SL_OK);
    sl__id_jobs_stop(j);
out:
    sl__store_close(s);
    sl__keyring_free(k);
    rm_rf(dir);
}
