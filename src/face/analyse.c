/*
 * analyse.c -- judging a timestamped sequence of per-frame signals against
 * an active-liveness challenge.
 *
 * One call per verification attempt, a few hundred frames (30 fps for
 * 10-20 s): every detector is a linear scan with a small state machine, so
 * the whole analysis costs microseconds. No allocation.
 *
 * Detectors (hysteresis: a value between the two thresholds keeps the
 * current state; a gap of more than max_gap_ms between face frames restarts
 * the state machine):
 *   blink       mean eye-open probability: open -> closed -> open, the
 *               last open frame before and the first after at most
 *               blink_max_ms apart
 *   turn        yaw relative to the frontal baseline: near it (within
 *               return_deg) -> beyond turn_deg in the asked direction ->
 *               back within return_deg
 *   nod         pitch relative to the baseline: near it -> down by at least
 *               nod_deg -> up again by at least nod_deg from the lowest point
 *   open mouth  mouth ratio: closed -> open -> closed (closed also means
 *               within 0.05 of the resting mouth, for parted lips)
 *   read digits the same cycle with speech thresholds taken above the
 *               person's resting mouth opening (lips at rest are 0.00-0.11
 *               on the sample faces, so absolute values would miss); each cycle
 *               is placed by its peak time, shifted back by speech_lag_ms,
 *               into the window of the digit then on screen; every digit
 *               needs 1..max_cycles_per_digit cycles
 * The baselines (yaw, pitch, resting mouth) are medians over the face
 * frames between issue and the first window (the lead-in), or over all face
 * frames if the lead-in has fewer than 3.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

sl_liveness_cfg sl_liveness_cfg_default(void)
{
    return (sl_liveness_cfg){
        .eye_open = 0.6f, .eye_closed = 0.35f, .blink_max_ms = 1000,
        .turn_deg = 20, .nod_deg = 12, .return_deg = 10,
        .mouth_open = 0.35f, .mouth_closed = 0.15f,
        .speech_open = 0.10f, .speech_closed = 0.04f, .speech_lag_ms = 300,
        .max_cycles_per_digit = 1, .min_similarity = 0.45f, .best_frames = 3,
        .live_min = 0.6f, .spoof_max = 0.3f, .max_gap_ms = 500,
        .yaw_sign = 1, .pitch_sign = 1,
    };
}

static bool cfg_ok(const sl_liveness_cfg *c)
{
    return c->eye_open > c->eye_closed && c->eye_closed >= 0 &&
           c->blink_max_ms > 0 && c->turn_deg > c->return_deg &&
           c->return_deg >= 0 && c->nod_deg > 0 &&
           c->mouth_open > c->mouth_closed && c->mouth_closed >= 0 &&
           c->speech_open > c->speech_closed && c->speech_closed >= 0 &&
           c->speech_lag_ms >= 0 && c->max_cycles_per_digit >= 1 &&
           isfinite(c->min_similarity) && c->best_frames >= 1 &&
           c->live_min >= c->spoof_max && c->max_gap_ms > 0 &&
           (c->yaw_sign == 1 || c->yaw_sign == -1) &&
           (c->pitch_sign == 1 || c->pitch_sign == -1);
}

/* v within [lo, hi]; NAN (not measured) passes when nan_ok. */
static bool in_range(float v, float lo, float hi, bool nan_ok)
{
    return isnan(v) ? nan_ok : v >= lo && v <= hi;
}

/* The ranges every measured signal of a face frame must be in: the
 * engine's own outputs always are, so anything else is forged or broken
 * input, refused rather than judged. The cosine gets a little slack for
 * float rounding; the mouth ratio (gap / width) has no hard top, 10 is far
 * above any real mouth. */
static bool signal_ok(const sl_frame_signal *s)
{
    return in_range(s->eye_open_left, 0, 1, true) &&
           in_range(s->eye_open_right, 0, 1, true) &&
           in_range(s->yaw, -180, 180, true) && in_range(s->pitch, -180, 180, true) &&
           in_range(s->roll, -180, 180, true) && in_range(s->mouth_open, 0, 10, true) &&
           in_range(s->similarity, -1.001f, 1.001f, false) &&
           in_range(s->live_score, 0, 1, true);
}

struct actx {
    const sl_frame_signal *f;
    size_t                 n;
    const sl_liveness_cfg *cfg;
    float                  yaw0, pitch0;   /* frontal baseline */
    float                  mouth0;         /* resting mouth opening */
};

struct span {
    int64_t t0, t1;      /* start and end of the detected action */
    int64_t peak;        /* mouth cycles: time of the widest opening */
};

/* Index of the first frame with t >= t_ms. */
static size_t first_at(const struct actx *a, int64_t t_ms)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->f[mid].t_ms < t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Walks face frames of [lo, hi); resets *state when face frames are more
 * than max_gap_ms apart. Returns the next usable frame index or hi. */
static size_t next_face(const struct actx *a, size_t i, size_t hi,
                        int64_t *last_t, int *state)
{
    while (i < hi && !a->f[i].face)
        i++;
    if (i < hi) {
        if (*last_t != INT64_MIN && a->f[i].t_ms - *last_t > a->cfg->max_gap_ms)
            *state = 0;
        *last_t = a->f[i].t_ms;
    }
    return i;
}

static bool detect_blink(const struct actx *a, size_t lo, size_t hi,
                         struct span *sp)
{
    int state = 0;
    int64_t last_t = INT64_MIN, t_open = 0;
    for (size_t i = next_face(a, lo, hi, &last_t, &state); i < hi;
         i = next_face(a, i + 1, hi, &last_t, &state)) {
        const sl_frame_signal *s = &a->f[i];
        float l = s->eye_open_left, r = s->eye_open_right, e;
        if (isnan(l) && isnan(r))
            continue;
        e = isnan(l) ? r : isnan(r) ? l : (l + r) / 2;
        bool open = e >= a->cfg->eye_open, closed = e <= a->cfg->eye_closed;
        switch (state) {
        case 0:
            if (open) {
                t_open = s->t_ms;
                state = 1;
            }
            break;
        case 1:
            if (open)
                t_open = s->t_ms;
            else if (closed)
                state = 2;
            break;
        default:
            if (open) {
                if (s->t_ms - t_open <= a->cfg->blink_max_ms) {
                    *sp = (struct span){ t_open, s->t_ms, s->t_ms };
                    return true;
                }
                t_open = s->t_ms;           /* eyes closed too long: retry */
                state = 1;
            }
        }
    }
    return false;
}

/* dir = +1 for the subject's right (positive yaw), -1 for their left. */
static bool detect_turn(const struct actx *a, size_t lo, size_t hi, int dir,
                        struct span *sp)
{
    int state = 0;
    int64_t last_t = INT64_MIN, t0 = 0;
    for (size_t i = next_face(a, lo, hi, &last_t, &state); i < hi;
         i = next_face(a, i + 1, hi, &last_t, &state)) {
        const sl_frame_signal *s = &a->f[i];
        if (isnan(s->yaw))
            continue;
        float d = (float)dir * a->cfg->yaw_sign * (s->yaw - a->yaw0);
        if (state == 0 && d <= a->cfg->return_deg) {
            state = 1;
        } else if (state == 1 && d >= a->cfg->turn_deg) {
            t0 = s->t_ms;
            state = 2;
        } else if (state == 2 && d <= a->cfg->return_deg) {
            *sp = (struct span){ t0, s->t_ms, t0 };
            return true;
        }
    }
    return false;
}

static bool detect_nod(const struct actx *a, size_t lo, size_t hi,
                       struct span *sp)
{
    int state = 0;
    int64_t last_t = INT64_MIN, t0 = 0;
    float low = 0;
    for (size_t i = next_face(a, lo, hi, &last_t, &state); i < hi;
         i = next_face(a, i + 1, hi, &last_t, &state)) {
        const sl_frame_signal *s = &a->f[i];
        if (isnan(s->pitch))
            continue;
        float d = a->cfg->pitch_sign * (s->pitch - a->pitch0);   /* > 0 up */
        if (state == 0 && d >= -a->cfg->return_deg) {
            state = 1;
        } else if (state == 1 && d <= -a->cfg->nod_deg) {
            t0 = s->t_ms;
            low = d;
            state = 2;
        } else if (state == 2) {
            low = SL_MIN(low, d);
            if (d - low >= a->cfg->nod_deg) {
                *sp = (struct span){ t0, s->t_ms, t0 };
                return true;
            }
        }
    }
    return false;
}

/* Mouth cycles closed -> open -> closed in [lo, hi); writes up to cap
 * spans, returns how many were found. */
static size_t mouth_cycles(const struct actx *a, size_t lo, size_t hi,
                           float open_thr, float closed_thr, struct span *out,
                           size_t cap)
{
    int state = 0;
    int64_t last_t = INT64_MIN, t0 = 0, peak_t = 0;
    float peak = 0;
    size_t n = 0;
    for (size_t i = next_face(a, lo, hi, &last_t, &state); i < hi;
         i = next_face(a, i + 1, hi, &last_t, &state)) {
        const sl_frame_signal *s = &a->f[i];
        float m = s->mouth_open;
        if (isnan(m))
            continue;
        if (state == 0 && m <= closed_thr) {
            state = 1;
        } else if (state == 1 && m >= open_thr) {
            t0 = s->t_ms;
            peak = m;
            peak_t = s->t_ms;
            state = 2;
        } else if (state == 2) {
            if (m > peak) {
                peak = m;
                peak_t = s->t_ms;
            }
            if (m <= closed_thr) {
                if (n < cap)
                    out[n] = (struct span){ t0, s->t_ms, peak_t };
                n++;
                state = 1;
            }
        }
    }
    return n;
}

static bool detect(const struct actx *a, uint8_t action, size_t lo, size_t hi,
                   struct span *sp)
{
    switch (action) {
    case SL_ACT_BLINK:      return detect_blink(a, lo, hi, sp);
    case SL_ACT_TURN_LEFT:  return detect_turn(a, lo, hi, -1, sp);
    case SL_ACT_TURN_RIGHT: return detect_turn(a, lo, hi, +1, sp);
    case SL_ACT_NOD:        return detect_nod(a, lo, hi, sp);
    case SL_ACT_OPEN_MOUTH:
        return mouth_cycles(a, lo, hi, a->cfg->mouth_open,
                            SL_MAX(a->cfg->mouth_closed, a->mouth0 + 0.05f), sp, 1) > 0;
    case SL_ACT_READ_DIGITS:
        /* outside its own window "done" means any speech-like cycle */
        return mouth_cycles(a, lo, hi, a->mouth0 + a->cfg->speech_open,
                            a->mouth0 + a->cfg->speech_closed, sp, 1) > 0;
    default:
        return false;
    }
}

/* The read-digits step inside its window: counts cycles per digit. */
static void judge_digits(const struct actx *a, const sl_challenge_step *st,
                         size_t lo, size_t hi, sl_challenge_step_result *r)
{
    struct span cyc[64];
    size_t nc = mouth_cycles(a, lo, hi, a->mouth0 + a->cfg->speech_open,
                             a->mouth0 + a->cfg->speech_closed, cyc,
                             SL_ARRAY_LEN(cyc));
    nc = SL_MIN(nc, SL_ARRAY_LEN(cyc));
    bool missed = false, extra = false;
    uint8_t ok = 0;
    for (uint32_t k = 0; k < st->n_digits; k++) {
        int64_t w0 = st->start_ms + (k ? st->digit_end_ms[k - 1] : 0);
        int64_t w1 = st->start_ms + st->digit_end_ms[k];
        uint32_t cnt = 0;
        for (size_t c = 0; c < nc; c++) {
            int64_t p = cyc[c].peak - a->cfg->speech_lag_ms;
            cnt += p >= w0 && p < w1;
        }
        if (cnt == 0)
            missed = true;
        else if (cnt > a->cfg->max_cycles_per_digit)
            extra = true;
        else
            ok++;
    }
    r->digits_ok = ok;
    if (nc > 0) {
        r->t_begin_ms = cyc[0].t0;
        r->t_end_ms = cyc[nc - 1].t1;
    }
    r->pass = ok == st->n_digits;
    r->reason = r->pass ? SL_LR_OK : missed ? SL_LR_DIGIT_MISSED
                                   : extra ? SL_LR_DIGIT_EXTRA : SL_LR_NOT_DONE;
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* Median of the finite yaw (which = 0), pitch (1) or mouth (2) of face frames in
 * [lo, hi); *n gets the count; 0 if none. Uses a bounded sample. */
static float median_pose(const struct actx *a, size_t lo, size_t hi, int which,
                         size_t *n)
{
    float v[SL_CHALLENGE_MAX_FRAMES];
    size_t k = 0;
    for (size_t i = lo; i < hi; i++) {
        if (!a->f[i].face)
            continue;
        float x = which == 0 ? a->f[i].yaw : which == 1 ? a->f[i].pitch
                                                        : a->f[i].mouth_open;
        if (isfinite(x))
            v[k++] = x;
    }
    *n = k;
    if (k == 0)
        return 0;
    qsort(v, k, sizeof(float), cmp_float);
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static void add_reason(sl_challenge_result *r, enum sl_live_reason why)
{
    for (uint32_t i = 0; i < r->n_reasons; i++)
        if (r->reasons[i] == why)
            return;
    if (r->n_reasons < SL_CHALLENGE_MAX_REASONS)
        r->reasons[r->n_reasons++] = (uint8_t)why;
}

/* Mean live score of the most frontal face frames with a score. */
static float passive_best(const struct actx *a, size_t lo, size_t hi)
{
    uint32_t want = a->cfg->best_frames, have = 0;
    size_t best[16];
    float cost[16];
    want = SL_MIN(want, (uint32_t)SL_ARRAY_LEN(best));
    for (size_t i = lo; i < hi; i++) {
        const sl_frame_signal *s = &a->f[i];
        if (!s->face || !isfinite(s->live_score))
            continue;
        float c = (isfinite(s->yaw) ? fabsf(s->yaw - a->yaw0) : 90.0f) +
                  (isfinite(s->pitch) ? fabsf(s->pitch - a->pitch0) : 90.0f);
        /* insertion into a small sorted list */
        uint32_t j;
        if (have < want) {
            j = have++;
        } else {
            if (c >= cost[want - 1])
                continue;
            j = want - 1;
        }
        while (j > 0 && cost[j - 1] > c) {
            cost[j] = cost[j - 1];
            best[j] = best[j - 1];
            j--;
        }
        cost[j] = c;
        best[j] = i;
    }
    if (have == 0)
        return NAN;
    double sum = 0;
    for (uint32_t k = 0; k < have; k++)
        sum += a->f[best[k]].live_score;
    return (float)(sum / have);
}

sl_status sl_challenge_analyse(sl_challenge_result *out, const sl_challenge *c,
                               const sl_frame_signal *f, size_t n,
                               const sl_liveness_cfg *cfg)
{
    sl_liveness_cfg dflt = sl_liveness_cfg_default();
    if (!cfg)
        cfg = &dflt;
    if (!out || (!f && n) || !cfg_ok(cfg))
        return SL_ERR_INVALID;
    if (n > SL_CHALLENGE_MAX_FRAMES)
        return SL_ERR_TOO_LARGE;
    if (sl_challenge_validate(c) != SL_OK)
        return SL_ERR_CHALLENGE_FORMAT;
    for (size_t i = 0; i < n; i++)
        if ((i > 0 && f[i].t_ms <= f[i - 1].t_ms) ||
            (f[i].face && !isfinite(f[i].similarity)))
            return SL_ERR_CHALLENGE_FORMAT;
    for (size_t i = 0; i < n; i++)
        if (f[i].face && !signal_ok(&f[i]))
            return SL_ERR_CHALLENGE_SIGNAL;

    sl_challenge_result r;
    memset(&r, 0, sizeof(r));
    r.n_steps = c->n_steps;
    r.min_similarity = NAN;
    r.passive_score = NAN;
    struct actx a = { f, n, cfg, 0, 0, 0 };
    size_t u0 = first_at(&a, c->issued_at_ms);
    size_t u1 = first_at(&a, c->expires_at_ms + 1);     /* used: [u0, u1) */
    r.frames_used = (uint32_t)(u1 - u0);
    for (size_t i = u0; i < u1; i++) {
        if (!f[i].face)
            continue;
        r.face_frames++;
        if (isnan(r.min_similarity) || f[i].similarity < r.min_similarity)
            r.min_similarity = f[i].similarity;
    }

    enum sl_live_reason blocking = SL_LR_OK;
    if (r.frames_used == 0 && u1 < n)
        blocking = SL_LR_EXPIRED;
    else if (r.frames_used == 0 && n > 0 && u0 == n)
        blocking = SL_LR_BEFORE_ISSUE;      /* replayed or clock-skewed frames */
    else if (r.face_frames == 0)
        blocking = SL_LR_NO_FACE;
    if (blocking != SL_LR_OK) {
        add_reason(&r, blocking);
        for (uint32_t k = 0; k < c->n_steps; k++)
            r.steps[k] = (sl_challenge_step_result){ c->steps[k].action, false,
                                                     (uint8_t)blocking, 0, 0, 0 };
        *out = r;
        return SL_OK;
    }

    /* frontal baseline */
    size_t lead_end = first_at(&a, c->steps[0].start_ms), ny, np, nm;
    a.yaw0 = median_pose(&a, u0, lead_end, 0, &ny);
    a.pitch0 = median_pose(&a, u0, lead_end, 1, &np);
    if (ny < 3)
        a.yaw0 = median_pose(&a, u0, u1, 0, &ny);
    if (np < 3)
        a.pitch0 = median_pose(&a, u0, u1, 1, &np);
    a.mouth0 = median_pose(&a, u0, lead_end, 2, &nm);
    if (nm < 3)
        a.mouth0 = median_pose(&a, u0, u1, 2, &nm);
    a.mouth0 = SL_CLAMP(a.mouth0, 0.0f, 0.2f);

    /* steps */
    for (uint32_t k = 0; k < c->n_steps; k++) {
        const sl_challenge_step *st = &c->steps[k];
        sl_challenge_step_result *sr = &r.steps[k];
        sr->action = st->action;
        size_t lo = first_at(&a, st->start_ms), hi = first_at(&a, st->end_ms);
        size_t faces = 0;
        for (size_t i = lo; i < hi; i++)
            faces += f[i].face;
        struct span sp;
        if (faces == 0) {
            sr->reason = SL_LR_NO_FACE;
        } else if (st->action == SL_ACT_READ_DIGITS) {
            judge_digits(&a, st, lo, hi, sr);
            if (sr->pass)
                continue;
        } else if (detect(&a, st->action, lo, hi, &sp)) {
            sr->pass = true;
            sr->reason = SL_LR_OK;
            sr->t_begin_ms = sp.t0;
            sr->t_end_ms = sp.t1;
            continue;
        } else {
            sr->reason = SL_LR_NOT_DONE;
        }
        /* why not: done before the window, or after it (not for digits:
         * any speech-like mouth movement elsewhere would match) */
        if (st->action != SL_ACT_READ_DIGITS &&
            (sr->reason == SL_LR_NOT_DONE || sr->reason == SL_LR_NO_FACE)) {
            if (detect(&a, st->action, u0, lo, &sp))
                sr->reason = SL_LR_WRONG_ORDER;
            else if (detect(&a, st->action, hi, n, &sp))
                sr->reason = SL_LR_TOO_LATE;
        }
    }

    /* identity, continuity, passive liveness */
    if (r.min_similarity < cfg->min_similarity)
        add_reason(&r, SL_LR_IDENTITY_SWITCH);
    size_t g0 = first_at(&a, c->steps[0].start_ms);
    size_t g1 = first_at(&a, c->steps[c->n_steps - 1].end_ms);
    for (size_t i = SL_MAX(g0, u0 + 1); i < g1 && i < u1; i++)
        if (f[i].t_ms - f[i - 1].t_ms > cfg->max_gap_ms) {
            add_reason(&r, SL_LR_FRAME_GAP);
            break;
        }
    r.passive_score = passive_best(&a, u0, u1);
    if (isnan(r.passive_score) ||
        (r.passive_score < cfg->live_min && r.passive_score > cfg->spoof_max))
        add_reason(&r, SL_LR_UNDETERMINED);
    else if (r.passive_score <= cfg->spoof_max)
        add_reason(&r, SL_LR_SPOOF);

    r.pass = r.n_reasons == 0;
    for (uint32_t k = 0; k < c->n_steps; k++)
        r.pass = r.pass && r.steps[k].pass;
    *out = r;
    return SL_OK;
}
