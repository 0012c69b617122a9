/*
 * test_face_challenge.c -- active liveness on synthetic per-frame signals
 * (every action, wrong order, too late, missing, identity switch, no face,
 * expiry, digits), the nonce registry (replay, expiry, capacity, threads),
 * challenge creation, the passive decision and the message tables.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"
#include "test.h"

#define T0 1700000000000LL      /* issue time of the synthetic challenges */
#define FPS_MS 33

/* A challenge with the given actions in order: lead 1500 ms, 3000 ms per
 * action, read digits "4071" shown 1000 ms each + 600 ms tail, 1000 ms grace. */
static sl_challenge make_challenge(const uint8_t *acts, uint32_t n)
{
    sl_challenge c;
    sl_challenge_opts o = sl_challenge_opts_default();
    SL_ASSERT(sl_challenge_new(&c, &o, T0) == SL_OK);   /* for the nonce */
    int64_t t = T0 + 1500;
    memset(c.steps, 0, sizeof(c.steps));
    for (uint32_t i = 0; i < n; i++) {
        sl_challenge_step *s = &c.steps[i];
        s->action = acts[i];
        s->start_ms = t;
        if (acts[i] == SL_ACT_READ_DIGITS) {
            s->n_digits = 4;
            memcpy(s->digits, "4071", 5);
            for (int k = 0; k < 4; k++)
                s->digit_end_ms[k] = 1000 * (k + 1);
            s->end_ms = t + 4600;
        } else {
            s->end_ms = t + 3000;
        }
        t = s->end_ms;
    }
    c.n_steps = n;
    c.expires_at_ms = t + 1000;
    return c;
}

struct seq {
    sl_frame_signal f[1024];
    size_t n;
};

/* Neutral frontal frames at 30 fps over [from, to). */
static void neutral(struct seq *s, int64_t from, int64_t to)
{
    s->n = 0;
    for (int64_t t = from; t < to && s->n < SL_ARRAY_LEN(s->f); t += FPS_MS)
        s->f[s->n++] = (sl_frame_signal){
            .t_ms = t, .face = true, .eye_open_left = 0.9f,
            .eye_open_right = 0.92f, .yaw = 1.5f, .pitch = -2.0f, .roll = 0.5f,
            .mouth_open = 0.04f, .similarity = 0.8f, .live_score = 0.9f,
        };
}

/* Performs action a starting at t (relative offsets chosen to sit inside
 * a 3 s window when t is the window start). */
static void perform(struct seq *s, uint8_t a, int64_t t)
{
    for (size_t i = 0; i < s->n; i++) {
        sl_frame_signal *f = &s->f[i];
        int64_t d = f->t_ms - t;
        switch (a) {
        case SL_ACT_BLINK:
            if (d >= 300 && d < 450)
                f->eye_open_left = f->eye_open_right = 0.05f;
            break;
        case SL_ACT_TURN_LEFT:
        case SL_ACT_TURN_RIGHT:
            if (d >= 300 && d < 1200)
                f->yaw = 1.5f + (a == SL_ACT_TURN_LEFT ? -32.0f : 32.0f);   /* fr_pose */
            break;
        case SL_ACT_NOD:
            if (d >= 300 && d < 900)
                f->pitch = -2.0f - 18.0f;
            break;
        case SL_ACT_OPEN_MOUTH:
            if (d >= 300 && d < 1200)
                f->mouth_open = 0.55f;
            break;
        case SL_ACT_READ_DIGITS:
            /* each digit read 400..700 ms after it appears */
            for (int k = 0; k < 4; k++)
                if (d >= 1000 * k + 400 && d < 1000 * k + 700)
                    f->mouth_open = 0.3f;
            break;
        }
    }
}

static sl_challenge_result analyse(struct sl_t *t, const sl_challenge *c,
                                   const struct seq *s)
{
    sl_challenge_result r;
    memset(&r, 0xab, sizeof(r));
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, c, s->f, s->n, NULL), SL_OK);
    return r;
}

static bool has_reason(const sl_challenge_result *r, enum sl_live_reason why)
{
    for (uint32_t i = 0; i < r->n_reasons; i++)
        if (r->reasons[i] == why)
            return true;
    return false;
}

SL_TEST(face, challenge_every_action_passes)
{
    static const uint8_t sets[][3] = {
        { SL_ACT_BLINK, SL_ACT_TURN_LEFT, SL_ACT_TURN_RIGHT },
        { SL_ACT_NOD, SL_ACT_OPEN_MOUTH, SL_ACT_READ_DIGITS },
        { SL_ACT_READ_DIGITS, SL_ACT_TURN_RIGHT, SL_ACT_BLINK },
    };
    static struct seq s;
    for (size_t k = 0; k < SL_ARRAY_LEN(sets); k++) {
        sl_challenge c = make_challenge(sets[k], 3);
        neutral(&s, T0, c.expires_at_ms);
        for (int i = 0; i < 3; i++)
            perform(&s, sets[k][i], c.steps[i].start_ms);
        sl_challenge_result r = analyse(t, &c, &s);
        SL_CHECKF(t, r.pass, "set %zu: reasons %u, steps %d/%d/%d (%s %s %s)", k,
                  r.n_reasons, r.steps[0].pass, r.steps[1].pass, r.steps[2].pass,
                  sl_live_reason_name(r.steps[0].reason),
                  sl_live_reason_name(r.steps[1].reason),
                  sl_live_reason_name(r.steps[2].reason));
        for (int i = 0; i < 3; i++)
            SL_CHECK(t, r.steps[i].pass && r.steps[i].reason == SL_LR_OK &&
                        r.steps[i].t_begin_ms >= c.steps[i].start_ms);
        SL_CHECK(t, r.face_frames == r.frames_used && fabsf(r.min_similarity - 0.8f) < 1e-6f);
        SL_CHECK(t, fabsf(r.passive_score - 0.9f) < 1e-6f);
    }
    /* the neutral sequence alone does nothing but blink-free staring */
    sl_challenge c = make_challenge(sets[0], 3);
    neutral(&s, T0, c.expires_at_ms);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass);
    for (int i = 0; i < 3; i++)
        SL_CHECK(t, !r.steps[i].pass && r.steps[i].reason == SL_LR_NOT_DONE);
}

SL_TEST(face, challenge_wrong_order)
{
    const uint8_t acts[] = { SL_ACT_TURN_LEFT, SL_ACT_OPEN_MOUTH };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_OPEN_MOUTH, c.steps[0].start_ms);   /* swapped */
    perform(&s, SL_ACT_TURN_LEFT, c.steps[1].start_ms);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass);
    SL_CHECK(t, !r.steps[0].pass && r.steps[0].reason == SL_LR_TOO_LATE);
    SL_CHECK(t, !r.steps[1].pass && r.steps[1].reason == SL_LR_WRONG_ORDER);
    char msg[160];
    sl_challenge_step_msg(msg, sizeof(msg), &r.steps[1], SL_LANG_EN);
    SL_CHECK(t, strstr(msg, "out of order") && strstr(msg, "please open your mouth"));
    sl_challenge_step_msg(msg, sizeof(msg), &r.steps[1], SL_LANG_ZH);
    SL_CHECK(t, strstr(msg, "请张嘴") != NULL);
}

SL_TEST(face, challenge_too_late_and_missing)
{
    const uint8_t acts[] = { SL_ACT_BLINK, SL_ACT_NOD };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms + 2000);
    perform(&s, SL_ACT_BLINK, c.steps[0].start_ms);
    perform(&s, SL_ACT_NOD, c.steps[1].end_ms - 200);      /* starts after window */
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && r.steps[0].pass);
    SL_CHECK(t, !r.steps[1].pass && r.steps[1].reason == SL_LR_TOO_LATE);

    const uint8_t acts2[] = { SL_ACT_TURN_RIGHT, SL_ACT_OPEN_MOUTH };
    c = make_challenge(acts2, 2);
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_TURN_RIGHT, c.steps[0].start_ms);   /* mouth never opens */
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && r.steps[0].pass);
    SL_CHECK(t, !r.steps[1].pass && r.steps[1].reason == SL_LR_NOT_DONE);
    /* turning the wrong way is not the asked action */
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_TURN_LEFT, c.steps[0].start_ms);
    perform(&s, SL_ACT_OPEN_MOUTH, c.steps[1].start_ms);
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && !r.steps[0].pass && r.steps[1].pass);
}

SL_TEST(face, challenge_actions_before_issue_do_not_count)
{
    const uint8_t acts[] = { SL_ACT_OPEN_MOUTH, SL_ACT_BLINK };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    /* a recording made before the challenge existed, replayed with the
     * same timing relative to an earlier issue time */
    neutral(&s, T0 - 8000, c.expires_at_ms);
    perform(&s, SL_ACT_OPEN_MOUTH, T0 - 6000);
    perform(&s, SL_ACT_BLINK, T0 - 3000);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && !r.steps[0].pass && !r.steps[1].pass);
    SL_CHECK(t, r.frames_used < s.n);
}

SL_TEST(face, challenge_identity_switch)
{
    const uint8_t acts[] = { SL_ACT_BLINK, SL_ACT_TURN_LEFT };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_BLINK, c.steps[0].start_ms);
    perform(&s, SL_ACT_TURN_LEFT, c.steps[1].start_ms);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, r.pass);
    /* someone else for half a second mid-sequence */
    for (size_t i = 0; i < s.n; i++)
        if (s.f[i].t_ms >= c.steps[1].start_ms - 300 && s.f[i].t_ms < c.steps[1].start_ms + 200)
            s.f[i].similarity = 0.12f;
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_IDENTITY_SWITCH));
    SL_CHECK(t, r.steps[0].pass && r.steps[1].pass);       /* actions were fine */
    SL_CHECK(t, fabsf(r.min_similarity - 0.12f) < 1e-6f);
}

SL_TEST(face, challenge_no_face_expiry_gap_passive)
{
    const uint8_t acts[] = { SL_ACT_NOD, SL_ACT_BLINK };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    for (size_t i = 0; i < s.n; i++)
        s.f[i].face = false;
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_NO_FACE) && r.face_frames == 0);
    SL_CHECK(t, r.steps[0].reason == SL_LR_NO_FACE && r.steps[1].reason == SL_LR_NO_FACE);

    /* every frame after the expiry */
    neutral(&s, c.expires_at_ms + 1, c.expires_at_ms + 9000);
    perform(&s, SL_ACT_NOD, c.expires_at_ms + 100);
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_EXPIRED) && r.frames_used == 0);
    /* no frames at all */
    r = analyse(t, &c, &s);
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, 0, NULL), SL_OK);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_NO_FACE));

    /* a one-second hole in the middle of the windows */
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_NOD, c.steps[0].start_ms);
    perform(&s, SL_ACT_BLINK, c.steps[1].start_ms);
    r = analyse(t, &c, &s);
    SL_CHECK(t, r.pass);
    size_t w = 0;
    for (size_t i = 0; i < s.n; i++)
        if (!(s.f[i].t_ms > c.steps[0].end_ms + 200 && s.f[i].t_ms < c.steps[0].end_ms + 1200))
            s.f[w++] = s.f[i];
    s.n = w;
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_FRAME_GAP));

    /* passive liveness: spoof scores, then no scores */
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_NOD, c.steps[0].start_ms);
    perform(&s, SL_ACT_BLINK, c.steps[1].start_ms);
    for (size_t i = 0; i < s.n; i++)
        s.f[i].live_score = 0.1f;
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_SPOOF));
    for (size_t i = 0; i < s.n; i++)
        s.f[i].live_score = NAN;
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && has_reason(&r, SL_LR_UNDETERMINED) && isnan(r.passive_score));
    /* the best (most frontal) frames decide: turned frames score low */
    for (size_t i = 0; i < s.n; i++)
        s.f[i].live_score = s.f[i].pitch < -10 ? 0.05f : 0.95f;
    r = analyse(t, &c, &s);
    SL_CHECK(t, r.pass && fabsf(r.passive_score - 0.95f) < 1e-6f);
}

SL_TEST(face, challenge_read_digits)
{
    const uint8_t acts[] = { SL_ACT_BLINK, SL_ACT_READ_DIGITS };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    int64_t ds = c.steps[1].start_ms;
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_BLINK, c.steps[0].start_ms);
    perform(&s, SL_ACT_READ_DIGITS, ds);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECK(t, r.pass && r.steps[1].digits_ok == 4);
    /* third digit not read */
    for (size_t i = 0; i < s.n; i++)
        if (s.f[i].t_ms >= ds + 2000 && s.f[i].t_ms < ds + 3000)
            s.f[i].mouth_open = 0.04f;
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && r.steps[1].reason == SL_LR_DIGIT_MISSED && r.steps[1].digits_ok == 3);
    /* two syllables for the third digit */
    for (size_t i = 0; i < s.n; i++) {
        int64_t d = s.f[i].t_ms - ds;
        if ((d >= 2350 && d < 2550) || (d >= 2750 && d < 2950))
            s.f[i].mouth_open = 0.3f;
    }
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && r.steps[1].reason == SL_LR_DIGIT_EXTRA);
    /* a steady one-per-second talker out of phase with random lengths */
    sl_challenge c2 = c;
    c2.steps[1].digit_end_ms[0] = 1500;   /* two cycles fall in here */
    c2.steps[1].digit_end_ms[1] = 2200;
    c2.steps[1].digit_end_ms[2] = 2900;   /* none in here */
    c2.steps[1].digit_end_ms[3] = 4000;
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_BLINK, c.steps[0].start_ms);
    perform(&s, SL_ACT_READ_DIGITS, ds);
    r = analyse(t, &c2, &s);
    SL_CHECK(t, !r.pass && r.steps[1].digits_ok == 2 &&
                r.steps[1].reason == SL_LR_DIGIT_MISSED);
}

SL_TEST(face, challenge_sign_convention)
{
    const uint8_t acts[] = { SL_ACT_TURN_LEFT, SL_ACT_NOD };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_TURN_LEFT, c.steps[0].start_ms);    /* yaw -32 */
    perform(&s, SL_ACT_NOD, c.steps[1].start_ms);          /* pitch -18 */
    sl_liveness_cfg cfg = sl_liveness_cfg_default();
    sl_challenge_result r;
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, &cfg), SL_OK);
    SL_CHECK(t, r.pass);
    cfg.yaw_sign = -1;              /* a pose model with the opposite yaw */
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, &cfg), SL_OK);
    SL_CHECK(t, !r.pass && !r.steps[0].pass && r.steps[1].pass);
    cfg = sl_liveness_cfg_default();
    cfg.pitch_sign = -1;            /* a head going up is not a nod */
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, &cfg), SL_OK);
    SL_CHECK(t, !r.pass && r.steps[0].pass && !r.steps[1].pass);
    cfg.eye_open = 0.1f;            /* inconsistent thresholds */
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, &cfg), SL_ERR_INVALID);
}

SL_TEST(face, challenge_bad_input)
{
    const uint8_t acts[] = { SL_ACT_TURN_LEFT, SL_ACT_NOD };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    sl_challenge_result r;
    s.f[10].t_ms = s.f[9].t_ms;
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL), SL_ERR_CHALLENGE_FORMAT);
    neutral(&s, T0, c.expires_at_ms);
    s.f[3].similarity = NAN;
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL), SL_ERR_CHALLENGE_FORMAT);
    s.f[3].face = false;           /* not needed on a frame without a face */
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL), SL_OK);
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, SL_CHALLENGE_MAX_FRAMES + 1, NULL),
                SL_ERR_TOO_LARGE);
    sl_challenge bad = c;
    bad.steps[1].start_ms = bad.steps[0].start_ms;          /* overlapping */
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &bad, s.f, s.n, NULL), SL_ERR_CHALLENGE_FORMAT);
    bad = c;
    bad.nonce[0] ^= 1;                                      /* text mismatch */
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
    bad = c;
    bad.n_steps = 1;
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
    bad = c;
    bad.expires_at_ms = bad.steps[1].end_ms - 1;
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
}

SL_TEST(face, challenge_new_random)
{
    sl_challenge a, b;
    uint32_t seen = 0, lens = 0;
    for (int k = 0; k < 200; k++) {
        SL_CHECK_EQ(t, sl_challenge_new(&a, NULL, T0), SL_OK);
        SL_CHECK_EQ(t, sl_challenge_validate(&a), SL_OK);
        SL_CHECK(t, a.n_steps >= 2 && a.n_steps <= 4 && strlen(a.nonce_text) == 22);
        lens |= 1u << a.n_steps;
        for (uint32_t i = 0; i < a.n_steps; i++) {
            seen |= 1u << a.steps[i].action;
            for (uint32_t j = 0; j < i; j++)
                SL_CHECK(t, a.steps[i].action != a.steps[j].action);
            if (a.steps[i].action == SL_ACT_READ_DIGITS) {
                SL_CHECK(t, a.steps[i].n_digits == 4 && strlen(a.steps[i].digits) == 4);
                for (int d = 0; d < 4; d++) {
                    int32_t len = a.steps[i].digit_end_ms[d] - (d ? a.steps[i].digit_end_ms[d - 1] : 0);
                    SL_CHECK(t, len >= 800 && len <= 1400);
                }
            }
        }
        SL_CHECK(t, a.issued_at_ms == T0 && a.expires_at_ms > a.steps[a.n_steps - 1].end_ms - 1);
    }
    SL_CHECK_EQ(t, seen, 0x7e);           /* all six actions appear */
    SL_CHECK_EQ(t, lens, 0x1c);           /* 2, 3 and 4 steps appear */
    SL_CHECK_EQ(t, sl_challenge_new(&b, NULL, T0), SL_OK);
    SL_CHECK(t, memcmp(a.nonce, b.nonce, 16) != 0);
    uint8_t raw[16];
    SL_CHECK(t, sl_challenge_nonce_parse(raw, b.nonce_text) && memcmp(raw, b.nonce, 16) == 0);
    SL_CHECK(t, !sl_challenge_nonce_parse(raw, "short"));
    SL_CHECK(t, !sl_challenge_nonce_parse(raw, "AAAAAAAAAAAAAAAAAAAAA+"));
    /* restricted actions and step counts */
    sl_challenge_opts o = sl_challenge_opts_default();
    o.allowed = (1u << SL_ACT_BLINK) | (1u << SL_ACT_NOD);
    o.max_steps = 4;
    SL_CHECK_EQ(t, sl_challenge_new(&a, &o, T0), SL_OK);
    SL_CHECK(t, a.n_steps == 2);
    o.allowed = 1u << SL_ACT_BLINK;
    SL_CHECK_EQ(t, sl_challenge_new(&a, &o, T0), SL_ERR_INVALID);
    o = sl_challenge_opts_default();
    o.min_steps = 1;
    SL_CHECK_EQ(t, sl_challenge_new(&a, &o, T0), SL_ERR_INVALID);
}

SL_TEST(face, nonce_registry_replay_and_expiry)
{
    sl_nonce_registry *reg;
    SL_CHECK_EQ(t, sl_nonce_registry_new(&reg, 4), SL_OK);
    uint8_t n1[16] = { 1 }, n2[16] = { 2 }, n3[16] = { 3 };
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n1, 2000, 1000), SL_OK);
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n1, 2000, 1000), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n2, 1500, 1000), SL_OK);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n1, 1200), SL_OK);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n1, 1300), SL_ERR_CHALLENGE_USED);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n2, 1501), SL_ERR_CHALLENGE_EXPIRED);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n2, 1400), SL_OK);   /* clock went back */
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n3, 1000), SL_ERR_CHALLENGE_UNKNOWN);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_CHALLENGE_USED), "challenge_used") == 0);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_CHALLENGE_EXPIRED), "challenge_expired") == 0);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_CHALLENGE_UNKNOWN), "challenge_unknown") == 0);
    SL_CHECK_EQ(t, SL_STATUS_PRIMARY(SL_ERR_CHALLENGE_USED), SL_ERR_STATE);
    SL_CHECK_EQ(t, SL_STATUS_PRIMARY(SL_ERR_CHALLENGE_EXPIRED), SL_ERR_EXPIRED);
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n3, 900, 1000), SL_ERR_INVALID);
    sl_nonce_registry_free(reg);
    sl_nonce_registry_free(NULL);
}

SL_TEST(face, nonce_registry_bounded)
{
    sl_nonce_registry *reg;
    SL_CHECK_EQ(t, sl_nonce_registry_new(&reg, 100), SL_OK);
    uint8_t n[16] = { 0 };
    for (uint32_t i = 0; i < 100; i++) {
        memcpy(n, &i, 4);
        SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n, 5000 + i, 1000), SL_OK);
    }
    uint32_t k = 100;
    memcpy(n, &k, 4);
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n, 9000, 1000), SL_ERR_CHALLENGE_FULL);
    /* at 5050, entries 0..49 have expired and are purged to make room */
    SL_CHECK_EQ(t, sl_nonce_registry_add(reg, n, 9000, 5050), SL_OK);
    SL_CHECK_EQ(t, sl_nonce_registry_count(reg), 51);
    uint32_t old = 3, live = 70;
    memcpy(n, &old, 4);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n, 5060), SL_ERR_CHALLENGE_UNKNOWN);
    memcpy(n, &live, 4);
    SL_CHECK_EQ(t, sl_nonce_registry_consume(reg, n, 5060), SL_OK);
    SL_CHECK_EQ(t, sl_nonce_registry_new(&reg, 0), SL_ERR_INVALID);
    sl_nonce_registry *r2;
    sl__fail_after(2);
    SL_CHECK_EQ(t, sl_nonce_registry_new(&r2, 10), SL_ERR_NOMEM);
    sl__fail_after(0);
    sl_nonce_registry_free(reg);
}

struct race {
    sl_nonce_registry *reg;
    uint8_t nonce[16];
    int ok;
};

static void *racer(void *p)
{
    struct race *r = p;
    if (sl_nonce_registry_consume(r->reg, r->nonce, 1000) == SL_OK)
        __atomic_add_fetch(&r->ok, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

SL_TEST(face, nonce_registry_threads)
{
    struct race r = { .ok = 0 };
    SL_CHECK_EQ(t, sl_nonce_registry_new(&r.reg, 16), SL_OK);
    memset(r.nonce, 7, 16);
    SL_CHECK_EQ(t, sl_nonce_registry_add(r.reg, r.nonce, 2000, 1000), SL_OK);
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, racer, &r);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    SL_CHECK_EQ(t, r.ok, 1);             /* exactly one winner */
    sl_nonce_registry_free(r.reg);
}

SL_TEST(face, passive_decision)
{
    sl_passive_thresholds th = sl_passive_defaults();
    sl_passive_decision d = sl_passive_decide(0.9f, 1.0f, 200, &th);
    SL_CHECK(t, d.verdict == SL_PASSIVE_LIVE && d.reason == SL_LR_OK);
    d = sl_passive_decide(0.1f, 1.0f, 200, &th);
    SL_CHECK(t, d.verdict == SL_PASSIVE_SPOOF && d.reason == SL_LR_SPOOF);
    d = sl_passive_decide(0.45f, 1.0f, 200, &th);
    SL_CHECK(t, d.verdict == SL_PASSIVE_UNDETERMINED && d.reason == SL_LR_UNDETERMINED);
    d = sl_passive_decide(0.9f, 0.3f, 200, &th);       /* tight crop: no context */
    SL_CHECK(t, d.verdict == SL_PASSIVE_UNDETERMINED && d.reason == SL_LR_NO_CONTEXT);
    SL_CHECK(t, strstr(sl_live_reason_msg(d.reason, SL_LANG_EN), "head and shoulders") != NULL);
    d = sl_passive_decide(0.9f, 1.0f, 40, &th);
    SL_CHECK(t, d.verdict == SL_PASSIVE_UNDETERMINED && d.reason == SL_LR_FACE_SMALL);
    d = sl_passive_decide(NAN, 1.0f, 200, &th);
    SL_CHECK(t, d.verdict == SL_PASSIVE_UNDETERMINED);
    d = sl_passive_decide(0.9f, NAN, 200, NULL);
    SL_CHECK(t, d.reason == SL_LR_NO_CONTEXT);
    /* context: a 100 px box centred in a 1000 px image -> all inside */
    SL_CHECK(t, fabsf(sl_face_context_ratio(450, 450, 550, 550, 2.7f, 1000, 1000) - 1) < 1e-6f);
    /* box filling a 100x100 image: 2.7x crop has (100/270)^2 inside */
    SL_CHECK(t, fabsf(sl_face_context_ratio(0, 0, 100, 100, 2.7f, 100, 100) -
                      (float)(1 / (2.7 * 2.7))) < 1e-5f);
    SL_CHECK(t, sl_face_context_ratio(10, 10, 10, 20, 2.7f, 100, 100) == 0);
}

SL_TEST(face, liveness_tables_and_mouth)
{
    for (int r = 0; r <= SL_LR_MAX; r++) {
        SL_CHECK(t, strcmp(sl_live_reason_name((enum sl_live_reason)r), "unknown") != 0);
        SL_CHECK(t, (unsigned char)sl_live_reason_msg((enum sl_live_reason)r, SL_LANG_ZH)[0] >= 0xe0);
    }
    for (int a = 1; a <= SL_ACT_MAX; a++) {
        enum sl_action back;
        SL_CHECK(t, sl_action_parse(sl_action_name((enum sl_action)a), &back) && (int)back == a);
    }
    SL_CHECK(t, strcmp(sl_action_prompt(SL_ACT_BLINK, SL_LANG_ZH), "请眨眼") == 0);
    SL_CHECK(t, strcmp(sl_action_prompt(SL_ACT_BLINK, SL_LANG_EN), "please blink") == 0);
    sl_point2f lm[68];
    memset(lm, 0, sizeof(lm));
    lm[48] = (sl_point2f){ 0, 0 };
    lm[54] = (sl_point2f){ 40, 0 };
    lm[61] = (sl_point2f){ 10, -5 }; lm[67] = (sl_point2f){ 10, 5 };
    lm[62] = (sl_point2f){ 20, -8 }; lm[66] = (sl_point2f){ 20, 8 };
    lm[63] = (sl_point2f){ 30, -5 }; lm[65] = (sl_point2f){ 30, 5 };
    SL_CHECK(t, fabsf(sl_face_mouth_open_ratio(lm) - (10 + 16 + 10) / 3.0f / 40) < 1e-6f);
    lm[54] = lm[48];
    SL_CHECK(t, isnan(sl_face_mouth_open_ratio(lm)));
}

SL_TEST(face, challenge_digits_with_parted_lips)
{
    /* lips parted at rest (0.12, like three of the sample faces): speech
     * thresholds follow the resting opening, absolute ones would not close */
    const uint8_t acts[] = { SL_ACT_READ_DIGITS, SL_ACT_OPEN_MOUTH };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    for (size_t i = 0; i < s.n; i++)
        s.f[i].mouth_open = 0.12f;
    perform(&s, SL_ACT_READ_DIGITS, c.steps[0].start_ms);
    perform(&s, SL_ACT_OPEN_MOUTH, c.steps[1].start_ms);
    sl_challenge_result r = analyse(t, &c, &s);
    SL_CHECKF(t, r.pass, "digits %s (%u ok), mouth %s", sl_live_reason_name(r.steps[0].reason),
              r.steps[0].digits_ok, sl_live_reason_name(r.steps[1].reason));
    /* a smile (0.22) is not an open mouth (0.35) */
    neutral(&s, T0, c.expires_at_ms);
    perform(&s, SL_ACT_READ_DIGITS, c.steps[0].start_ms);
    for (size_t i = 0; i < s.n; i++) {
        int64_t d = s.f[i].t_ms - c.steps[1].start_ms;
        if (d >= 300 && d < 1200)
            s.f[i].mouth_open = 0.22f;
    }
    r = analyse(t, &c, &s);
    SL_CHECK(t, !r.pass && r.steps[0].pass && !r.steps[1].pass);
}

SL_TEST(face, challenge_time_bounds)
{
    const uint8_t acts[] = { SL_ACT_BLINK, SL_ACT_NOD };
    sl_challenge c = make_challenge(acts, 2), bad = c;
    SL_CHECK_EQ(t, sl_challenge_validate(&c), SL_OK);
    bad.expires_at_ms = INT64_MAX;                 /* would overflow analysis */
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
    bad = c;
    bad.issued_at_ms = -5;
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
    bad = c;
    bad.expires_at_ms = c.issued_at_ms + 3600001;  /* longer than an hour */
    SL_CHECK_EQ(t, sl_challenge_validate(&bad), SL_ERR_CHALLENGE_FORMAT);
}

/* Every signal of a face frame is range-checked (a forged similarity of 5
 * or live score of 7 must not be judged), and frames all before issued_at
 * get their own reason rather than "no face". */
SL_TEST(face, challenge_signal_ranges_and_before_issue)
{
    const uint8_t acts[] = { SL_ACT_BLINK, SL_ACT_NOD };
    sl_challenge c = make_challenge(acts, 2);
    static struct seq s;
    neutral(&s, T0, c.expires_at_ms);
    sl_challenge_result r;
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL), SL_OK);
    struct { size_t off; float v; } bad[] = {
        { offsetof(sl_frame_signal, similarity), 5.0f },
        { offsetof(sl_frame_signal, live_score), 7.0f },
        { offsetof(sl_frame_signal, eye_open_left), -0.5f },
        { offsetof(sl_frame_signal, eye_open_right), 1.5f },
        { offsetof(sl_frame_signal, yaw), 400.0f },
        { offsetof(sl_frame_signal, mouth_open), -1.0f },
    };
    for (size_t k = 0; k < SL_ARRAY_LEN(bad); k++) {
        float *fld = (float *)((char *)&s.f[s.n / 2] + bad[k].off);
        float keep = *fld;
        *fld = bad[k].v;
        SL_CHECKF(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL) == SL_ERR_CHALLENGE_SIGNAL,
                  "case %zu", k);
        *fld = keep;
    }
    /* NAN live score = not run: still fine */
    s.f[0].live_score = NAN;
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, s.f, s.n, NULL), SL_OK);

    static struct seq early;
    neutral(&early, T0 - 10000, T0 - 100);
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, early.f, early.n, NULL), SL_OK);
    SL_CHECK(t, !r.pass && r.n_reasons == 1 && r.reasons[0] == SL_LR_BEFORE_ISSUE);
    SL_CHECK(t, strcmp(sl_live_reason_name(SL_LR_BEFORE_ISSUE), "frames_before_issue") == 0);
    SL_CHECK(t, strlen(sl_live_reason_msg(SL_LR_BEFORE_ISSUE, SL_LANG_ZH)) > 0);
    /* the citizen-facing texts for status codes */
    SL_CHECK(t, sl_face_reason_text(SL_NO_FACE, SL_LANG_ZH) &&
                sl_face_reason_text(SL_NO_FACE, SL_LANG_EN) &&
                sl_face_reason_text(SL_ERR_IMG_CORRUPT, SL_LANG_EN) &&
                sl_face_reason_text(SL_ERR_CHALLENGE_EXPIRED, SL_LANG_ZH));
    SL_CHECK(t, sl_face_reason_text(SL_ERR_IO, SL_LANG_EN) == NULL);
}
