/*
 * test_citizen.c -- citizen sessions (acct.h "Citizen sessions"): opened
 * by a consumed "citizen_login" verification, resolved by the bearer
 * token, idle 10 min / absolute 30 min on the test clock, logout revokes,
 * a death record revokes every session of the person.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct/acct.h"
#include "crypto/crypto.h"
#include "id/id.h"
#include "store/store.h"
#include "test.h"
#include "test_store_fx.h"

static void set_clock(const char *path, int64_t ms)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%lld\n", (long long)ms);
        fclose(f);
    }
    rename(tmp, path);
}

struct open_c { sl_acct *a; int64_t vid, pid; char token[80]; int64_t exp; };

static sl_status open_fn(sl_tx *tx, void *ctx)
{
    struct open_c *c = ctx;
    struct sl_verification v;
    sl_status st = sl__verification_consume(tx, c->vid, c->pid, "citizen_login", "", &v);
    if (st == SL_OK)
        st = sl__acct_citizen_open_tx(c->a, tx, c->pid, 1, "dev_h5", c->vid, NULL, c->token,
                                      sizeof c->token, &c->exp);
    return st;
}

static sl_status revoke_fn(sl_tx *tx, void *ctx)
{
    struct open_c *c = ctx;
    return sl__acct_citizen_revoke_person_tx(c->a, tx, c->pid, NULL);
}

static int64_t new_verif(struct sl_t *t, sl_store *s, const sl_keyring *k, int64_t pid,
                         const char *matter)
{
    sl_tx *tx = NULL;
    int64_t vid = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    struct sl_verification_new vn = { .person_id = pid, .matter = matter, .reference = "",
                                      .channel = "h5", .device = "dev_h5",
                                      .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON,
                                      .method = SL_METHOD_FACE };
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &vid), SL_OK);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, k, vid, vn.levels, true, 0.8, 1e-4, "{}"), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    return vid;
}

SL_TEST(citizen, sessions)
{
    struct sl_t_fx fx;
    sl_store *s = sl_t_fx_open(t, &fx);
    if (!s)
        return;
    char kp[300], clk[300];
    snprintf(kp, sizeof kp, "%s/keys", fx.dir);
    snprintf(clk, sizeof clk, "%s/clock", fx.dir);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_INTL, true, &k), SL_OK);
    const int64_t t0 = 1796382000000LL;   /* 2026-12-04T11:00:00Z */
    set_clock(clk, t0);
    SL_CHECK_EQ(t, sl__clock_set_file(clk), SL_OK);
    sl_acct *a = NULL;
    SL_CHECK_EQ(t, sl__acct_new(s, k, NULL, &a), SL_OK);
    if (!a || !k)
        goto done;
    int64_t hall = 0;
    SL_CHECK_EQ(t, sl__acct_hall_add(a, "h", "online", NULL, &hall), SL_OK);
    char num[19];
    memcpy(num, "11010519491231002", 17);
    num[17] = sl_id_check_char(num);
    num[18] = 0;
    struct sl_person_new pn = { .id_type = SL_ID_RESIDENT, .number = num, .name = "示例甲" };
    int64_t pid = 0;
    SL_CHECK_EQ(t, sl__person_add(s, k, &pn, NULL, NULL, &pid), SL_OK);

    /* a verification of another matter does not open a session */
    struct open_c c = { a, new_verif(t, s, k, pid, "other"), pid, "", 0 };
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_ERR_ID_VERIF_BINDING);
    c.vid = new_verif(t, s, k, pid, "citizen_login");
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_OK);
    SL_CHECK(t, strncmp(c.token, "cit_", 4) == 0);
    SL_CHECK_EQ(t, c.exp, t0 + 30 * 60 * 1000);
    /* used once only */
    char first[80];
    snprintf(first, sizeof first, "%s", c.token);
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_ERR_ID_VERIF_USED);

    struct sl_principal p;
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, first, &p), SL_OK);
    SL_CHECK(t, p.kind == SL_PRIN_CITIZEN && p.id == pid && p.bits == SL_ROLE_CITIZEN);
    SL_CHECK(t, (p.bits & SL_ROLE_ALL) == 0);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, "cit_0000", &p), SL_ERR_ACCT_SESSION);
    /* idle: 9 min later still fine (and touched), 9 more fine, then 11 idle -> gone */
    set_clock(clk, t0 + 9 * 60000);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, first, &p), SL_OK);
    set_clock(clk, t0 + 18 * 60000);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, first, &p), SL_OK);
    set_clock(clk, t0 + 29 * 60000 + 1);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, first, &p), SL_ERR_ACCT_SESSION);
    /* absolute: touched every 9 min, still gone after 30 min */
    set_clock(clk, t0 + 40 * 60000);
    c.vid = new_verif(t, s, k, pid, "citizen_login");
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_OK);
    for (int i = 1; i <= 3; i++) {
        set_clock(clk, t0 + (40 + 9 * i) * 60000);
        SL_CHECK_EQ(t, sl__acct_auth_bearer(a, c.token, &p), SL_OK);
    }
    set_clock(clk, t0 + 70 * 60000);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, c.token, &p), SL_ERR_ACCT_SESSION);
    /* logout revokes */
    c.vid = new_verif(t, s, k, pid, "citizen_login");
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_OK);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, c.token, &p), SL_OK);
    SL_CHECK_EQ(t, sl__acct_citizen_logout(a, &p, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, c.token, &p), SL_ERR_ACCT_SESSION);
    /* revoke all of a person */
    c.vid = new_verif(t, s, k, pid, "citizen_login");
    SL_CHECK_EQ(t, sl__store_run(s, open_fn, &c), SL_OK);
    SL_CHECK_EQ(t, sl__store_run(s, revoke_fn, &c), SL_OK);
    SL_CHECK_EQ(t, sl__acct_auth_bearer(a, c.token, &p), SL_ERR_ACCT_SESSION);
done:
    sl__clock_set_file(NULL);
    sl__acct_free(a);
    sl__keyring_free(k);
    sl_t_fx_done(&fx, s);
}
