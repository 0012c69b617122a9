/*
 * test_gov_bind.c -- applications bound to real verifications (issue 12)
 * and the elderly allowance with proxy and proof of life (issue 14, seed
 * 003) at the library level: verifications made with the id.h calls (the
 * face check itself is the verification routes' job), applications and
 * the allowance through src/gov/app.h, on SQLite (PostgreSQL when
 * SL_TEST_STORE_URL names one), on the test clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "gov/app.h"
#include "id/id.h"
#include "store/store.h"
#include "test.h"
#include "test_store_fx.h"

#define ELDER "33030219421108101X"   /* 示例庚, born 1942-11-08 */
#define SON   "330302197002151038"   /* 示例辛, his son          */
#define BUYER "330302198805126615"   /* 示例甲                   */
#define ALLOW "mz.gaoling_jintie"
#define DAY   ((int64_t)86400000)

static char clk[300];
static void set_clock(int64_t ms)
{
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.new", clk);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%lld\n", (long long)ms);
        fclose(f);
    }
    rename(tmp, clk);
}

static int64_t add_person(struct sl_t *t, sl_store *s, const sl_keyring *k, const char *num,
                          const char *name)
{
    struct sl_person_new p = { .id_type = SL_ID_RESIDENT, .number = num, .name = name };
    int64_t id = 0;
    SL_CHECK_EQ(t, sl__person_add(s, k, &p, NULL, NULL, &id), SL_OK);
    return id;
}

/* A finished verification for (person, matter, reference). */
static int64_t verif(struct sl_t *t, sl_store *s, const sl_keyring *k, int64_t pid,
                     const char *matter, const char *ref, uint32_t levels, bool passed)
{
    sl_tx *tx = NULL;
    int64_t id = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    struct sl_verification_new vn = { .person_id = pid, .matter = matter, .reference = ref,
                                      .channel = "h5", .device = "dev_test", .levels = levels,
                                      .method = SL_METHOD_FACE };
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &id), SL_OK);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, k, id, passed ? levels : 0, passed, 0.8, 1e-4,
                                              "{}"), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    return id;
}

static sl_status submit(struct sl__gov *g, const struct sl__gov_actor *a, int64_t app,
                        int64_t v1, int64_t v2)
{
    json_t *body = json_pack("{s:[I],s:[s]}", "verifications", (json_int_t)v1, "commitments",
                             "truthful");
    if (v2) json_array_append_new(json_object_get(body, "verifications"), json_integer(v2));
    json_t *out = NULL, *ent = NULL;
    sl_status st = sl__gov_app_event(g, a, app, "submit", body, &out, &ent);
    json_decref(body);
    json_decref(out);
    json_decref(ent);
    return st;
}

static sl_status ev(struct sl__gov *g, const struct sl__gov_actor *a, int64_t app,
                    const char *e, json_t **view)
{
    json_t *out = NULL, *ent = NULL;
    sl_status st = sl__gov_app_event(g, a, app, e, NULL, &out, &ent);
    if (view) *view = out;
    else json_decref(out);
    json_decref(ent);
    return st;
}

static int64_t open_app(struct sl_t *t, struct sl__gov *g, const struct sl__gov_actor *a,
                        const char *matter, const char *num, const char *relation)
{
    json_t *form = strcmp(matter, ALLOW) == 0 ? json_pack("{s:s}", "bank_account", "6222000011112222")
                                              : json_pack("{s:s}", "reason", "购房后户口迁入新居");
    struct sl__gov_proxy px = { relation };
    json_t *out = NULL;
    sl_status st = sl__gov_app_create(g, a, matter, "phone", num, form, relation ? &px : NULL, &out);
    json_decref(form);
    SL_CHECKF(t, st == SL_OK, "create %s: %s %s", matter, sl_status_name(st),
              sl_json_str(out, "why", ""));
    int64_t id = st == SL_OK ? sl_json_int(out, "id", 0) : 0;
    json_decref(out);
    if (id) SL_CHECK_EQ(t, ev(g, a, id, "request_auth", NULL), SL_OK);
    return id;
}

static const char *allowance_state(struct sl__gov *g, const struct sl__gov_actor *a, char *buf,
                                   size_t cap, size_t *n_rem)
{
    json_t *out = NULL;
    buf[0] = 0;
    if (sl__gov_allowance_mine(g, a, &out) == SL_OK) {
        json_t *x = json_array_get(out, 0);
        snprintf(buf, cap, "%s", sl_json_str(x, "state", ""));
        if (n_rem) *n_rem = json_array_size(json_object_get(x, "reminders"));
    }
    json_decref(out);
    return buf;
}

SL_TEST(gov, bind_and_allowance)
{
    struct sl_t_fx fx;
    sl_store *s = sl_t_fx_open(t, &fx);
    if (!s) return;
    char kp[300], xdir[300], cmd[900], mdir[512], sdir[512];
    snprintf(kp, sizeof kp, "%s/keys", fx.dir);
    snprintf(clk, sizeof clk, "%s/clock", fx.dir);
    snprintf(xdir, sizeof xdir, "%s/exchange", fx.dir);
    sl_t_path(mdir, sizeof mdir, "share/shualian/matters");
    sl_t_path(sdir, sizeof sdir, "share/shualian/exchange");
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", sdir, xdir);
    SL_CHECK_EQ(t, system(cmd), 0);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_INTL, true, &k), SL_OK);
    const int64_t t0 = 1772416800000LL;   /* 2026-03-02T02:00:00Z, Monday 10:00 in China */
    set_clock(t0);
    SL_CHECK_EQ(t, sl__clock_set_file(clk), SL_OK);
    struct sl__gov *g = NULL;
    char err[256] = "";
    SL_CHECKF(t, sl__gov_open(s, k, mdir, xdir, err, sizeof err, &g) == SL_OK, "%s", err);
    if (!g || !k) goto done;
    int64_t elder = add_person(t, s, k, ELDER, "示例庚");
    int64_t son = add_person(t, s, k, SON, "示例辛");
    int64_t buyer = add_person(t, s, k, BUYER, "示例甲");
    const uint32_t ALL = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON | SL_LEVEL_REAL_DOCUMENT;
    struct sl__gov_actor h5 = { .roles = 1u << SL_ACTOR_APPLICANT, .kind = "device",
                                .id = "dev_h5", .hall_id = 1 };
    struct sl__gov_actor clerk = { .roles = 1u << SL_ACTOR_CLERK, .kind = "staff",
                                   .id = "clerk", .hall_id = 1 };
    struct sl__gov_actor c_son = { .roles = 1u << SL_ACTOR_APPLICANT, .kind = "citizen",
                                   .id = "citizen:son", .hall_id = 1, .person_id = son };
    struct sl__gov_actor c_elder = c_son, c_buyer = c_son;
    c_elder.person_id = elder;
    c_elder.id = "citizen:elder";
    c_buyer.person_id = buyer;
    c_buyer.id = "citizen:buyer";

    /* ---- seed 001 购房迁入 bound to 示例甲's verification */
    int64_t a1 = open_app(t, g, &c_buyer, "hj.goufang_qianru", BUYER, NULL);
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)a1);
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, verif(t, s, k, buyer, "other.matter", ref, ALL, true), 0),
                SL_ERR_ID_VERIF_BINDING);                    /* another matter */
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, verif(t, s, k, buyer, "hj.goufang_qianru", "999", ALL, true), 0),
                SL_ERR_ID_VERIF_BINDING);                    /* another application */
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, verif(t, s, k, son, "hj.goufang_qianru", ref, ALL, true), 0),
                SL_ERR_ID_VERIF_BINDING);                    /* another person */
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, verif(t, s, k, buyer, "hj.goufang_qianru", ref,
                                                 SL_LEVEL_REAL_NAME, true), 0),
                SL_ERR_APP_AUTH);                            /* levels short */
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, verif(t, s, k, buyer, "hj.goufang_qianru", ref, ALL, false), 0),
                SL_ERR_ID_VERIF_FAILED);                     /* face did not match */
    int64_t v1 = verif(t, s, k, buyer, "hj.goufang_qianru", ref, ALL, true);
    SL_CHECK_EQ(t, submit(g, &c_buyer, a1, v1, 0), SL_OK);
    json_t *view = NULL;
    SL_CHECK_EQ(t, sl__gov_app_get(g, &c_buyer, a1, &view), SL_OK);
    SL_CHECK(t, json_array_size(json_object_get(view, "authentications")) == 1 &&
                strcmp(sl_json_str(json_array_get(json_object_get(view, "authentications"), 0),
                                   "method", ""), "face") == 0);
    json_decref(view);
    /* a used verification for a second application */
    int64_t a1b = open_app(t, g, &h5, "hj.goufang_qianru", BUYER, NULL);
    SL_CHECK_EQ(t, submit(g, &h5, a1b, v1, 0), SL_ERR_ID_VERIF_BINDING);
    snprintf(ref, sizeof ref, "%lld", (long long)a1b);
    int64_t v1b = verif(t, s, k, buyer, "hj.goufang_qianru", ref, ALL, true);
    SL_CHECK_EQ(t, submit(g, &h5, a1b, v1b, 0), SL_OK);
    SL_CHECK_EQ(t, submit(g, &h5, a1b, v1b, 0), SL_ERR_APP_TRANSITION);
    /* the citizen sees their own, another citizen does not */
    SL_CHECK_EQ(t, sl__gov_app_get(g, &c_son, a1, &view), SL_ERR_APP_NOT_FOUND);
    SL_CHECK_EQ(t, sl__gov_my_apps(g, &c_buyer, &view), SL_OK);
    SL_CHECK_EQ(t, json_array_size(view), 2u);   /* also the one the h5 device opened */
    json_decref(view);
    /* a citizen cannot open for someone else without being a proxy,
     * and 购房迁入 takes no proxy */
    json_t *form = json_pack("{s:s}", "reason", "x"), *out = NULL;
    SL_CHECK_EQ(t, sl__gov_app_create(g, &c_son, "hj.goufang_qianru", "phone", BUYER, form, NULL, &out),
                SL_ERR_APP_FORBIDDEN);
    json_decref(out);
    out = NULL;
    struct sl__gov_proxy px = { "child" };
    SL_CHECK_EQ(t, sl__gov_app_create(g, &c_son, "hj.goufang_qianru", "phone", BUYER, form, &px, &out),
                SL_ERR_APP_FORM);
    json_decref(out);
    json_decref(form);

    /* ---- seed 003 高龄津贴 by proxy: 示例辛 (citizen session) for 示例庚 */
    int64_t a2 = open_app(t, g, &c_son, ALLOW, ELDER, "child");
    snprintf(ref, sizeof ref, "%lld", (long long)a2);
    /* a different person's face on the son's phone: not the elder */
    SL_CHECK_EQ(t, submit(g, &c_son, a2, verif(t, s, k, elder, ALLOW, ref, ALL, false), 0),
                SL_ERR_ID_VERIF_FAILED);
    SL_CHECK_EQ(t, submit(g, &c_son, a2, verif(t, s, k, buyer, ALLOW, ref, ALL, true), 0),
                SL_ERR_ID_VERIF_BINDING);
    SL_CHECK_EQ(t, submit(g, &c_son, a2, verif(t, s, k, elder, ALLOW, ref, ALL, true), 0), SL_OK);
    SL_CHECK_EQ(t, ev(g, &clerk, a2, "accept", &view), SL_OK);
    {
        char *ex = json_dumps(json_object_get(view, "explanation"), JSON_COMPACT);
        SL_CHECKF(t, strcmp(sl_json_str(view, "state", ""), "approved") == 0, "state %s: %s",
                  sl_json_str(view, "state", ""), ex ? ex : "");
        free(ex);
    }
    SL_CHECK(t, json_is_true(json_object_get(json_object_get(view, "proxy"), "identified")));
    json_decref(view);
    char st[32];
    size_t nrem = 9;
    SL_CHECK(t, strcmp(allowance_state(g, &c_elder, st, sizeof st, &nrem), "active") == 0);
    SL_CHECK_EQ(t, nrem, 0u);
    SL_CHECK(t, strcmp(allowance_state(g, &c_son, st, sizeof st, NULL), "active") == 0);
    SL_CHECK(t, strcmp(allowance_state(g, &c_buyer, st, sizeof st, NULL), "") == 0);
    /* too young: 示例甲 is refused by the age rule */
    int64_t a3 = open_app(t, g, &c_buyer, ALLOW, BUYER, NULL);
    snprintf(ref, sizeof ref, "%lld", (long long)a3);
    SL_CHECK_EQ(t, submit(g, &c_buyer, a3, verif(t, s, k, buyer, ALLOW, ref, ALL, true), 0), SL_OK);
    SL_CHECK_EQ(t, ev(g, &clerk, a3, "accept", &view), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(view, "state", ""), "rejected") == 0);
    json_decref(view);

    /* ---- proof of life: reminder 30 days before due, suspended when overdue */
    int rem = 0, sus = 0, stop = 0;
    set_clock(t0 + 100 * DAY);
    SL_CHECK_EQ(t, sl__gov_allowance_tick(g, "t", &rem, &sus, &stop), SL_OK);
    SL_CHECK(t, rem == 0 && sus == 0 && stop == 0);
    set_clock(t0 + 153 * DAY);
    SL_CHECK_EQ(t, sl__gov_allowance_tick(g, "t", &rem, &sus, &stop), SL_OK);
    SL_CHECK_EQ(t, rem, 1);
    SL_CHECK_EQ(t, sl__gov_allowance_tick(g, "t", &rem, &sus, &stop), SL_OK);
    SL_CHECK_EQ(t, rem, 0);                                  /* once per period */
    allowance_state(g, &c_son, st, sizeof st, &nrem);
    SL_CHECK_EQ(t, nrem, 1u);
    set_clock(t0 + 183 * DAY);
    SL_CHECK_EQ(t, sl__gov_allowance_tick(g, "t", &rem, &sus, &stop), SL_OK);
    SL_CHECK_EQ(t, sus, 1);
    SL_CHECK(t, strcmp(allowance_state(g, &c_elder, st, sizeof st, NULL), "suspended") == 0);
    /* staff see it */
    SL_CHECK_EQ(t, sl__gov_allowance_list(g, &clerk, "suspended", &view), SL_OK);
    SL_CHECK_EQ(t, json_array_size(view), 1u);
    int64_t al = sl_json_int(json_array_get(view, 0), "id", 0);
    json_decref(view);
    /* a new proof of life resumes: the elder's verification for the allowance */
    char aref[40];
    snprintf(aref, sizeof aref, "allowance:%lld", (long long)al);
    SL_CHECK_EQ(t, sl__gov_allowance_proof(g, &c_son, al, verif(t, s, k, elder, ALLOW, ref, ALL, true), &view),
                SL_ERR_ID_VERIF_BINDING);                    /* the application's reference */
    SL_CHECK_EQ(t, sl__gov_allowance_proof(g, &c_son, al, verif(t, s, k, elder, ALLOW, aref, ALL, false), &view),
                SL_ERR_ID_VERIF_FAILED);                     /* another face */
    SL_CHECK_EQ(t, sl__gov_allowance_proof(g, &c_buyer, al, verif(t, s, k, elder, ALLOW, aref, ALL, true), &view),
                SL_ERR_APP_NOT_FOUND);                       /* not theirs */
    SL_CHECK_EQ(t, sl__gov_allowance_proof(g, &c_son, al, verif(t, s, k, elder, ALLOW, aref, ALL, true), &view),
                SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(view, "state", ""), "active") == 0);
    json_decref(view);
    /* a death record arrives from civil affairs: stopped at the next daily check */
    char path[400];
    snprintf(path, sizeof path, "%s/civil_death.json.new", xdir);
    FILE *f = fopen(path, "w");
    SL_CHECK(t, f != NULL);
    if (f) {
        fprintf(f, "{\"source\":\"civil_death\",\"records\":{\"%s\":{\"deceased\":true,"
                   "\"date_of_death\":\"2026-09-02\"}}}\n", ELDER);
        fclose(f);
        char to[400];
        snprintf(to, sizeof to, "%s/civil_death.json", xdir);
        rename(path, to);
    }
    set_clock(t0 + 185 * DAY);
    SL_CHECK_EQ(t, sl__gov_allowance_tick(g, "t", &rem, &sus, &stop), SL_OK);
    SL_CHECK_EQ(t, stop, 1);
    SL_CHECK(t, strcmp(allowance_state(g, &c_elder, st, sizeof st, NULL), "stopped") == 0);
    SL_CHECK_EQ(t, sl__gov_allowance_proof(g, &c_son, al, verif(t, s, k, elder, ALLOW, aref, ALL, true), &view),
                SL_ERR_APP_TRANSITION);
done:
    sl__clock_set_file(NULL);
    sl__gov_free(g);
    sl__keyring_free(k);
    sl_t_fx_done(&fx, s);
}
