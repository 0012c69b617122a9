/*
 * test_face_calib.c -- calibration tables: building, threshold queries,
 * rate estimates, decisions, the JSON file (round trip and strictness).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "face/eval_int.h"
#include "test.h"

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static const float G4[] = { 0.7f, 0.3f, 0.9f, 0.8f };
static const float I4[] = { 0.1f, 0.6f, 0.2f, 0.4f };

SL_TEST(face, calib_small_table)
{
    sl_calib c;
    SL_CHECK_EQ(t, sl__calib_init(&c, "fr_feature@1", "hand case"), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 4, I4, 4), SL_OK);
    const sl_calib_table *tb = sl_calib_get(&c, "live");
    SL_CHECK(t, tb && tb->n == 8 && sl_calib_get(&c, "idphoto") == NULL);
    /* ascending: .1 .2 .3 .4 .6 .7 .8 .9 */
    SL_CHECK(t, near(tb->pts[0].threshold, .1, 1e-7) && tb->pts[0].far == 1 && tb->pts[0].frr == 0);
    SL_CHECK(t, near(tb->pts[4].threshold, .6, 1e-7) && tb->pts[4].far == .25 && tb->pts[4].frr == .25);
    SL_CHECK(t, near(tb->pts[7].threshold, .9, 1e-7) && tb->pts[7].far == 0 && tb->pts[7].frr == .75);
    /* FAR 1e-1 of 4 impostors: no false accept allowed -> above 0.6 */
    SL_CHECK(t, tb->n_targets == 6 && tb->targets[0].far == 1e-1 && tb->targets[0].support == 0);
    SL_CHECK(t, tb->targets[0].threshold > 0.6 && tb->targets[0].threshold < 0.6000001);
    SL_CHECK(t, near(tb->targets[0].frr, .25, 1e-12));

    double thr;
    uint64_t sup;
    SL_CHECK_EQ(t, sl_calib_threshold_for_far(&thr, &sup, tb, 0.1), SL_OK);
    SL_CHECK(t, thr > 0.6 && thr < 0.6000001 && sup == 0);
    SL_CHECK_EQ(t, sl_calib_threshold_for_far(&thr, &sup, tb, 0.3), SL_OK);  /* from the table */
    SL_CHECK(t, near(thr, 0.6, 1e-7) && sup == 1);
    SL_CHECK_EQ(t, sl_calib_threshold_for_far(&thr, NULL, tb, 0), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_calib_threshold_for_far(&thr, NULL, tb, 1), SL_ERR_INVALID);

    double far, frr;
    sl_calib_rates_at(&far, &frr, tb, 0.65);
    SL_CHECK(t, near(far, .125, 1e-6) && near(frr, .25, 1e-6));
    sl_calib_rates_at(&far, &frr, tb, 0.05);
    SL_CHECK(t, far == 1 && frr == 0);
    sl_calib_rates_at(&far, &frr, tb, 0.95);
    SL_CHECK(t, far == 0 && frr == 1);

    sl_face_decision d;
    SL_CHECK_EQ(t, sl_calib_decide(&d, tb, 0.65, (sl_threshold_req){ SL_THRESHOLD_FAR, 0.3 }), SL_OK);
    SL_CHECK(t, d.match && near(d.threshold, 0.6, 1e-7) && near(d.far_estimate, .25, 1e-9));
    SL_CHECK_EQ(t, sl_calib_decide(&d, tb, 0.65, (sl_threshold_req){ SL_THRESHOLD_RAW, 0.7 }), SL_OK);
    SL_CHECK(t, !d.match && d.threshold == 0.7 && near(d.far_estimate, 0, 1e-9));
    SL_CHECK_EQ(t, sl_calib_decide(&d, NULL, 0.65, (sl_threshold_req){ SL_THRESHOLD_RAW, 0.5 }), SL_OK);
    SL_CHECK(t, d.match && isnan(d.far_estimate));
    SL_CHECK_EQ(t, sl_calib_decide(&d, NULL, 0.65, (sl_threshold_req){ SL_THRESHOLD_FAR, 1e-3 }),
                SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_calib_decide(&d, tb, NAN, (sl_threshold_req){ SL_THRESHOLD_RAW, 0.5 }),
                SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__calib_add(&c, "Bad Mode", G4, 4, I4, 4), SL_ERR_INVALID);
    sl_calib_free(&c);
}

SL_TEST(face, calib_large_matches_metrics)
{
    enum { NG = 20000, NI = 200000 };
    float *g = malloc(NG * sizeof(float)), *im = malloc(NI * sizeof(float));
    unsigned long long s = 4242;
    for (int i = 0; i < NG; i++)
        g[i] = 0.55f + 0.35f * sl_t_randf(&s);
    for (int i = 0; i < NI; i++)
        im[i] = 0.05f + 0.2f * sl_t_randf(&s) * fabsf(sl_t_randf(&s));
    sl_calib c;
    SL_CHECK_EQ(t, sl__calib_init(&c, "m", NULL), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", g, NG, im, NI), SL_OK);
    /* the second mode replaces nothing, the third call replaces "live" */
    SL_CHECK_EQ(t, sl__calib_add(&c, "idphoto", g, NG / 2, im, NI / 2), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", g, NG, im, NI), SL_OK);
    SL_CHECK_EQ(t, c.n_tables, 2);
    const sl_calib_table *tb = sl_calib_get(&c, "live");
    SL_CHECK(t, tb && tb->n <= SL_CALIB_MAX_POINTS && tb->n > 100);
    double fars[] = { 1e-2, 1e-3, 1e-4 }, tar[3], thr[3];
    SL_CHECK_EQ(t, sl__metric_tar_at_far(tar, thr, fars, 3, g, NG, im, NI), SL_OK);
    for (int k = 0; k < 3; k++) {
        double q;
        SL_CHECK_EQ(t, sl_calib_threshold_for_far(&q, NULL, tb, fars[k]), SL_OK);
        SL_CHECK(t, q == thr[k]);
    }
    /* a FAR without a stored target: the table's threshold keeps the promise */
    double q;
    SL_CHECK_EQ(t, sl_calib_threshold_for_far(&q, NULL, tb, 3e-3), SL_OK);
    size_t above = 0;
    for (int i = 0; i < NI; i++)
        above += im[i] >= q;
    SL_CHECKF(t, (double)above / NI <= 3e-3, "FAR %.5f at %.6f", (double)above / NI, q);
    SL_CHECK(t, (double)above / NI >= 1e-3);      /* and is not absurdly strict */

    /* JSON round trip keeps every number to 9 significant digits */
    char *text;
    size_t len;
    SL_CHECK_EQ(t, sl__calib_to_json(&text, &len, &c), SL_OK);
    sl_calib back;
    SL_CHECK_EQ(t, sl_calib_parse(&back, text, len), SL_OK);
    SL_CHECK(t, back.n_tables == 2 && strcmp(back.model_id, "m") == 0);
    const sl_calib_table *bt = sl_calib_get(&back, "live");
    SL_CHECK(t, bt && bt->n == tb->n && bt->n_genuine == NG && bt->n_impostor == NI);
    bool same = bt && bt->n == tb->n && bt->n_targets == tb->n_targets;
    for (size_t i = 0; same && i < tb->n; i++)
        same = near(bt->pts[i].threshold, tb->pts[i].threshold, 1e-8) &&
               near(bt->pts[i].far, tb->pts[i].far, 1e-9 * tb->pts[i].far + 1e-15) &&
               near(bt->pts[i].frr, tb->pts[i].frr, 1e-9);
    for (size_t k = 0; same && k < tb->n_targets; k++)
        same = bt->targets[k].support == tb->targets[k].support &&
               near(bt->targets[k].threshold, tb->targets[k].threshold, 1e-8);
    SL_CHECK(t, same);
    /* save and load through a file */
    char path[128];
    snprintf(path, sizeof(path), "/tmp/sl-calib-test-%d.json", (int)getpid());
    SL_CHECK_EQ(t, sl__calib_save(&c, path), SL_OK);
    sl_calib loaded;
    SL_CHECK_EQ(t, sl_calib_load(&loaded, path), SL_OK);
    SL_CHECK(t, loaded.n_tables == 2 && sl_calib_get(&loaded, "idphoto") != NULL);
    sl_calib_free(&loaded);
    unlink(path);
    SL_CHECK_EQ(t, sl_calib_load(&loaded, "/nonexistent/calib.json"), SL_ERR_NOT_FOUND);
    sl_face_free(text);
    sl_calib_free(&back);
    sl_calib_free(&c);
    free(g);
    free(im);
}

/* Parses text and expects a format error. */
static void expect_bad(struct sl_t *t, const char *text)
{
    sl_calib c;
    SL_CHECKF(t, sl_calib_parse(&c, text, strlen(text)) == SL_ERR_FACE_CALIB_FORMAT,
              "accepted: %s", text);
}

SL_TEST(face, calib_strict_parse)
{
    const char *good =
        "{\"format\":\"shualian-calibration\",\"version\":1,\"model\":\"m\",\"source\":\"s\","
        "\"tables\":[{\"mode\":\"live\",\"genuine\":4,\"impostor\":4,"
        "\"targets\":[{\"far\":0.1,\"threshold\":0.6,\"frr\":0.25,\"support\":0}],"
        "\"points\":[[0.1,1,0],[0.6,0.25,0.25],[0.9,0,0.75]]}]}";
    sl_calib c;
    SL_CHECK_EQ(t, sl_calib_parse(&c, good, strlen(good)), SL_OK);
    SL_CHECK(t, c.n_tables == 1 && c.tables[0].n == 3 && c.tables[0].n_targets == 1);
    sl_calib_free(&c);
    expect_bad(t, "not json");
    expect_bad(t, "{\"format\":\"other\",\"version\":1,\"model\":\"m\",\"tables\":[]}");
    char buf[1024];
    /* each edit of the good text must be refused */
    static const char *const edits[][2] = {
        { "\"version\":1", "\"version\":2" },
        { "[0.6,0.25,0.25]", "[0.05,0.25,0.25]" },      /* thresholds unsorted */
        { "[0.6,0.25,0.25]", "[0.6,1.5,0.25]" },        /* rate above 1 */
        { "[0.9,0,0.75]", "[0.9,0.5,0.75]" },           /* FAR rising */
        { "[0.9,0,0.75]", "[0.9,0,0.1]" },              /* FRR falling */
        { "[0.9,0,0.75]", "[0.9,0]" },
        { "\"mode\":\"live\"", "\"mode\":\"LIVE\"" },
        { "\"genuine\":4", "\"genuine\":0" },
        { "\"genuine\":4", "\"genuine\":-4" },
        { "\"support\":0", "\"support\":\"0\"" },
        { "\"far\":0.1", "\"far\":0" },
        { "\"model\":\"m\"", "\"model\":7" },
        /* issue 9.6 (each accepted before): targets must agree with the
         * points, thresholds are cosines, supports are floor(far * n) */
        { "\"threshold\":0.6", "\"threshold\":-0.9" },  /* FAR 1.0 there */
        { "\"threshold\":0.6", "\"threshold\":0.95" },  /* above FAR 0   */
        { "[0.9,0,0.75]", "[1.5,0,0.75]" },              /* not a cosine  */
        { "[0.1,1,0]", "[-1.5,1,0]" },
        { "\"support\":0", "\"support\":3" },
    };
    for (size_t k = 0; k < SL_ARRAY_LEN(edits); k++) {
        const char *at = strstr(good, edits[k][0]);
        SL_ASSERT(at);
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, edits[k][1],
                 at + strlen(edits[k][0]));
        expect_bad(t, buf);
    }
    /* duplicate mode */
    const char *tbl = strstr(good, "{\"mode\"");
    snprintf(buf, sizeof(buf), "%.*s%.*s,%s", (int)(tbl - good), good,
             (int)(strlen(tbl) - 2), tbl, tbl);
    expect_bad(t, buf);
}

SL_TEST(face, threshold_req_parse)
{
    sl_threshold_req r;
    /* a bare number was read as a FAR ("0.35" = 35 %): refused now */
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "1e-3"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "0.35"), SL_ERR_INVALID);
    SL_CHECK(t, sl_threshold_req_parse(&r, "far:1e-3") == SL_OK && r.kind == SL_THRESHOLD_FAR &&
                r.value == 1e-3);
    SL_CHECK(t, sl_threshold_req_parse(&r, "far:1e-4") == SL_OK && r.value == 1e-4);
    SL_CHECK(t, sl_threshold_req_parse(&r, "raw:0.33") == SL_OK && r.kind == SL_THRESHOLD_RAW &&
                r.value == 0.33);
    SL_CHECK(t, sl_threshold_req_parse(&r, "raw:-0.5") == SL_OK);
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "2"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "raw:1.5"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "far:"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_threshold_req_parse(&r, "1e-3x"), SL_ERR_INVALID);
}

/* issue 9.6: the same rules on tables in memory (what the engine is given) */
SL_TEST(face, calib_validate)
{
    enum { NI = 1000 };
    float imp[NI];
    for (int i = 0; i < NI; i++)
        imp[i] = (float)i / NI - 0.5f;
    sl_calib c;
    SL_CHECK_EQ(t, sl__calib_init(&c, "fr_feature-v1", "validate"), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 4, imp, NI), SL_OK);
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_OK);
    sl_calib_table *tb = &c.tables[0];
    double keep = tb->targets[2].threshold;
    tb->targets[2].threshold = -0.9;                 /* FAR 1e-3 at -0.9? */
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_ERR_FACE_CALIB_FORMAT);
    tb->targets[2].threshold = keep;
    tb->targets[2].support += 5;
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_ERR_FACE_CALIB_FORMAT);
    tb->targets[2].support -= 5;
    tb->pts[0].threshold = -1.5;
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_ERR_FACE_CALIB_FORMAT);
    tb->pts[0].threshold = -0.5;
    tb->n_impostor = 0;
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_ERR_FACE_CALIB_FORMAT);
    tb->n_impostor = NI;
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_OK);
    SL_CHECK_EQ(t, sl_calib_validate(NULL), SL_ERR_INVALID);
    sl_calib_free(&c);
    SL_CHECK_EQ(t, sl_calib_validate(&c), SL_ERR_FACE_CALIB_FORMAT);   /* no table */
}

/* issue 9.2: only far:X or raw:X; the text is kept for the verdict */
SL_TEST(face, threshold_spec_parse)
{
    sl_face_threshold_spec sp;
    SL_CHECK(t, sl_face_threshold_parse("far:1e-3", &sp) == SL_OK &&
                sp.req.kind == SL_THRESHOLD_FAR && sp.req.value == 1e-3 &&
                strcmp(sp.text, "far:1e-3") == 0);
    SL_CHECK(t, sl_face_threshold_parse("raw:0.35", &sp) == SL_OK &&
                sp.req.kind == SL_THRESHOLD_RAW && sp.req.value == 0.35);
    SL_CHECK(t, sl_face_threshold_parse("raw:-1", &sp) == SL_OK && sp.req.value == -1);
    static const char *const bad[] = {
        "0.35", "1e-3", "", "far:", "raw:", "far:0", "far:1", "far:-1e-3", "raw:1.01",
        "raw:-1.5", "far: 1e-3", "far:1e-3 ", "FAR:1e-3", "far:nan", "raw:inf",
        "far:0.0010000000000000000000000000000",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        sp.text[0] = 'x';
        SL_CHECK_EQ(t, sl_face_threshold_parse(bad[i], &sp), SL_ERR_FACE_THRESHOLD_SPEC);
        SL_CHECK(t, sp.text[0] == 'x');   /* untouched on error */
    }
    SL_CHECK_EQ(t, sl_face_threshold_parse(NULL, &sp), SL_ERR_INVALID);
}

/* issue 9.2: a FAR the calibration cannot show is refused, not extrapolated */
SL_TEST(face, threshold_check_far_range)
{
    enum { NI = 1000 };
    float imp[NI];
    for (int i = 0; i < NI; i++)
        imp[i] = (float)i / NI - 0.5f;
    sl_calib c;
    SL_CHECK_EQ(t, sl__calib_init(&c, "fr_feature-v1", "range case"), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 4, imp, NI), SL_OK);
    const sl_calib_table *tb = sl_calib_get(&c, "live");
    sl_face_threshold_spec sp;
    static const struct { const char *spec; sl_status want; } cases[] = {
        { "far:1e-3", SL_OK },                        /* 1 impostor pair     */
        { "far:0.1", SL_OK },                         /* SL_FACE_FAR_MAX     */
        { "far:9e-4", SL_ERR_FACE_FAR_UNSUPPORTED },  /* below one pair      */
        { "far:1e-9", SL_ERR_FACE_FAR_UNSUPPORTED },
        { "far:0.2", SL_ERR_FACE_FAR_UNSUPPORTED },   /* above the maximum   */
        { "raw:0.99", SL_OK },
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        SL_CHECK_EQ(t, sl_face_threshold_parse(cases[i].spec, &sp), SL_OK);
        SL_CHECK_EQ(t, sl_face_threshold_check(&sp, tb), cases[i].want);
    }
    SL_CHECK_EQ(t, sl_face_threshold_parse("far:1e-3", &sp), SL_OK);
    SL_CHECK_EQ(t, sl_face_threshold_check(&sp, NULL), SL_ERR_NOT_FOUND);
    SL_CHECK_EQ(t, sl_face_threshold_parse("raw:0.3", &sp), SL_OK);
    SL_CHECK_EQ(t, sl_face_threshold_check(&sp, NULL), SL_OK);
    sl_calib_free(&c);
}

SL_TEST(face, calib_alloc_failures)
{
    /* every allocation of add / to_json / parse fails once: clean errors */
    long failures = 0;
    for (long k = 1; k < 40; k++) {
        sl_calib c, back;
        char *text = NULL;
        size_t len;
        SL_CHECK_EQ(t, sl__calib_init(&c, "m", NULL), SL_OK);
        sl__fail_after(k);
        sl_status st = sl__calib_add(&c, "live", G4, 4, I4, 4);
        if (st == SL_OK)
            st = sl__calib_to_json(&text, &len, &c);
        if (st == SL_OK) {
            st = sl_calib_parse(&back, text, len);
            if (st == SL_OK)
                sl_calib_free(&back);
        }
        sl__fail_after(0);
        SL_CHECK(t, st == SL_OK || st == SL_ERR_NOMEM);
        failures += st == SL_ERR_NOMEM;
        sl_face_free(text);
        sl_calib_free(&c);
    }
    SL_CHECK(t, failures >= 5);
}

/* calib build input checks: cosine scores only, and genuine above impostor
 * on average (swapped files would hand out thresholds accepting everyone). */
SL_TEST(face, calib_add_refuses_bad_scores)
{
    sl_calib c;
    SL_CHECK_EQ(t, sl__calib_init(&c, "m", "test"), SL_OK);
    const float g5[] = { 0.7f, 0.3f, 5.0f, 0.8f }, gneg[] = { 0.7f, -5.0f, 0.9f, 0.8f };
    const float gnan[] = { 0.7f, NAN, 0.9f, 0.8f };
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", g5, 4, I4, 4), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", gneg, 4, I4, 4), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", gnan, 4, I4, 4), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 4, g5, 4), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", I4, 4, G4, 4), SL_ERR_INVALID);   /* swapped */
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 0, I4, 4), SL_ERR_INVALID);
    SL_CHECK(t, c.n_tables == 0);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", G4, 4, I4, 4), SL_OK);
    sl_calib_free(&c);
}
