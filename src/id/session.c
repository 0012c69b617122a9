/*
 * session.c -- a verification session's face step: per-frame quality,
 * liveness (challenge analysis or passive), identity switch, 实证 by
 * fusion of the best frames at the calibrated threshold (vsession.h).
 */
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "id/vsession.h"

const char *sl__verif_live_name(enum sl_verif_live l)
{
    switch (l) {
    case SL_VLIVE_NOT_RUN: return "not_run";
    case SL_VLIVE_LIVE:    return "live";
    case SL_VLIVE_SPOOF:   return "spoof";
    case SL_VLIVE_RETRY:   return "cannot_judge";
    }
    return "unknown";
}

void sl__verif_analysis_free(struct sl_verif_analysis *a)
{
    if (a && a->frames) {
        sodium_memzero(a->frames, a->n * sizeof *a->frames);
        sl__free(a->frames);
        a->frames = NULL;
    }
}

sl_status sl__verif_fuse(const float *const *e, size_t n, size_t dim, float *out)
{
    if (!e || !out || n == 0 || dim == 0)
        return SL_ERR_INVALID;
    for (size_t j = 0; j < dim; j++)
        out[j] = 0;
    for (size_t i = 0; i < n; i++) {
        /* each frame L2-normalised first, so no frame weighs more */
        double nn = 0;
        for (size_t j = 0; j < dim; j++)
            nn += (double)e[i][j] * e[i][j];
        if (!(nn > 0))
            return SL_ERR_INVALID;
        double inv = 1.0 / sqrt(nn);
        for (size_t j = 0; j < dim; j++)
            out[j] += (float)(e[i][j] * inv);
    }
    double s = 0;
    for (size_t j = 0; j < dim; j++)
        s += (double)out[j] * out[j];
    if (!(s > 1e-12))
        return SL_ERR_INVALID;
    double inv = 1.0 / sqrt(s);
    for (size_t j = 0; j < dim; j++)
        out[j] = (float)(out[j] * inv);
    return SL_OK;
}

float sl__verif_rank(const sl_quality_meas *m)
{
    float sharp = isfinite(m->sharpness) ? fminf(m->sharpness, 400.0f) / 400.0f : 0.0f;
    float size = isfinite(m->interocular_px) ? fminf(m->interocular_px, 120.0f) / 120.0f : 0.0f;
    float pose = 0;
    if (isfinite(m->yaw))
        pose += fabsf(m->yaw);
    if (isfinite(m->pitch))
        pose += fabsf(m->pitch);
    return sharp + size - pose / 90.0f;
}

size_t sl__verif_best(const struct sl_verif_frame *f, size_t n, size_t max, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].face || !f[i].quality_ok)
            continue;
        /* insertion into idx[0..k) by rank, descending; ties keep order */
        size_t pos = k < max ? k : max;
        while (pos > 0 && f[idx[pos - 1]].rank < f[i].rank)
            pos--;
        if (pos >= max)
            continue;
        size_t end = k < max ? k : max - 1;
        for (size_t j = end; j > pos; j--)
            idx[j] = idx[j - 1];
        idx[pos] = i;
        if (k < max)
            k++;
    }
    return k;
}

static float cosine(const float *a, const float *b, size_t dim)
{
    double d = 0, na = 0, nb = 0;
    for (size_t j = 0; j < dim; j++) {
        d += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
    }
    return na > 0 && nb > 0 ? (float)(d / sqrt(na * nb)) : 0.0f;
}

/* Analyses one frame into f and its challenge signal. */
static sl_status one_frame(sl_face_session *s, struct sl_image *img, int64_t t,
                           const sl_face_config *cfg, const sl_quality_thresholds *qt,
                           struct sl_verif_frame *f, sl_frame_signal *sig, sl_face_result *res)
{
    memset(f, 0, sizeof *f);
    memset(sig, 0, sizeof *sig);
    sig->t_ms = t;
    f->live_score = f->live_context = f->face_px = NAN;
    size_t k = 0, found = 0;
    uint32_t what = SL_FACE_DO_EMBED | SL_FACE_DO_POSE | SL_FACE_DO_EYES |
                    SL_FACE_DO_QUALITY | SL_FACE_DO_LIVENESS;
    sl_status st = sl_face_process(s, img, cfg, what, res, 1, &k, &found);
    if (st == SL_NO_FACE || (st == SL_OK && k == 0)) {
        f->n_reasons = 1;
        f->reasons[0] = SL_Q_NO_FACE;
        return SL_OK;
    }
    if (st != SL_OK)
        return st;
    f->face = res->has_emb;
    f->faces = found;
    memcpy(f->emb, res->emb, sizeof f->emb);
    sl_quality_meas m = sl_face_quality_meas(img, res, found);
    f->n_reasons = sl_quality_check(f->reasons, SL_Q_REASON_MAX, &m, qt);
    if (f->n_reasons > SL_Q_REASON_MAX)
        f->n_reasons = SL_Q_REASON_MAX;
    f->quality_ok = f->face && f->n_reasons == 0;
    f->rank = sl__verif_rank(&m);
    f->live_score = res->live_score;
    f->live_context = res->live_context;
    f->face_px = fminf(res->box.x1 - res->box.x0, res->box.y1 - res->box.y0);
    sig->face = f->face;
    sig->eye_open_left = res->eye_open[0];
    sig->eye_open_right = res->eye_open[1];
    sig->yaw = res->yaw;
    sig->pitch = res->pitch;
    sig->roll = res->roll;
    sig->mouth_open = res->mouth_open;
    sig->live_score = res->live_score;
    sig->similarity = 1.0f;
    return SL_OK;
}

/* Passive: the three-way decision on the mean score of the best frames. */
static void passive(struct sl_verif_analysis *a, const size_t *best, size_t nb)
{
    if (nb == 0) {
        a->live = SL_VLIVE_RETRY;
        a->live_reasons |= 1u << SL_LR_NO_FACE;
        return;
    }
    float score = 0, ctx = 1, px = 1e9f;
    for (size_t i = 0; i < nb; i++) {
        const struct sl_verif_frame *f = &a->frames[best[i]];
        score += f->live_score;          /* NAN propagates: model not run */
        ctx = fminf(ctx, f->live_context);
        px = fminf(px, f->face_px);
    }
    sl_passive_thresholds th = sl_passive_defaults();
    sl_passive_decision d = sl_passive_decide(score / (float)nb, ctx, px, &th);
    a->live = d.verdict == SL_PASSIVE_LIVE ? SL_VLIVE_LIVE
            : d.verdict == SL_PASSIVE_SPOOF ? SL_VLIVE_SPOOF : SL_VLIVE_RETRY;
    if (d.reason != SL_LR_OK)
        a->live_reasons |= 1u << d.reason;
}

sl_status sl__verif_analyse(sl_face_session *s, struct sl_image *const *img,
                            const int64_t *t_ms, size_t n, const char *liveness,
                            const sl_challenge *c, const float *reg, size_t dim,
                            const sl_calib *cal, double far,
                            struct sl_verif_analysis *out)
{
    memset(out, 0, sizeof *out);
    out->best = -1;
    out->min_similarity = NAN;
    out->score = out->threshold = out->far = NAN;
    bool challenge = liveness && (strcmp(liveness, "actions") == 0 || strcmp(liveness, "digits") == 0);
    if (!s || !img || !t_ms || n == 0 || n > SL_VERIF_MAX_FRAMES || !liveness ||
        (challenge && !c) || (reg && dim != SL_FACE_EMBED_DIM))
        return SL_ERR_INVALID;
    out->frames = sl__calloc(n, sizeof *out->frames);
    sl_frame_signal *sig = sl__calloc(n, sizeof *sig);
    sl_face_result *res = sl__malloc(sizeof *res);
    sl_status st = out->frames && sig && res ? SL_OK : SL_ERR_NOMEM;
    out->n = n;
    sl_face_config cfg = sl_face_config_default();
    sl_quality_thresholds qt = sl_quality_preset_verify();
    int first = -1;
    sl_liveness_cfg lc = sl_liveness_cfg_default();
    for (size_t i = 0; st == SL_OK && i < n; i++) {
        st = one_frame(s, img[i], t_ms[i], &cfg, &qt, &out->frames[i], &sig[i], res);
        if (st != SL_OK)
            break;
        struct sl_verif_frame *f = &out->frames[i];
        if (f->face) {
            out->n_face++;
            if (first < 0) {
                first = (int)i;
            } else {
                float sim = cosine(f->emb, out->frames[first].emb, SL_FACE_EMBED_DIM);
                sig[i].similarity = sim;
                if (isnan(out->min_similarity) || sim < out->min_similarity)
                    out->min_similarity = sim;
                if (sim < lc.min_similarity)
                    out->identity_switch = true;
            }
        }
        if (f->quality_ok)
            out->n_quality_ok++;
        for (size_t r = 0; r < f->n_reasons; r++)
            out->quality_seen |= 1u << f->reasons[r];
    }
    size_t best[SL_VERIF_FUSE_MAX];
    size_t nb = st == SL_OK ? sl__verif_best(out->frames, n, SL_VERIF_FUSE_MAX, best) : 0;
    if (nb)
        out->best = (int)best[0];
    /* liveness */
    if (st == SL_OK && challenge) {
        sl_challenge_result cr;
        st = sl_challenge_analyse(&cr, c, sig, n, &lc);
        if (st == SL_ERR_CHALLENGE_FORMAT) {
            /* times not increasing: the caller's frames, not ours */
            st = SL_OK;
            out->live = SL_VLIVE_RETRY;
            out->live_reasons |= 1u << SL_LR_FRAME_GAP;
        } else if (st == SL_OK) {
            for (uint32_t i = 0; i < cr.n_reasons && i < SL_CHALLENGE_MAX_REASONS; i++)
                out->live_reasons |= 1u << cr.reasons[i];
            for (uint32_t i = 0; i < cr.n_steps && i < SL_CHALLENGE_MAX_STEPS; i++)
                if (!cr.steps[i].pass)
                    out->live_reasons |= 1u << cr.steps[i].reason;
            if (out->live_reasons & (1u << SL_LR_IDENTITY_SWITCH))
                out->identity_switch = true;
            out->live = cr.pass ? SL_VLIVE_LIVE
                      : (out->live_reasons & (1u << SL_LR_SPOOF)) ? SL_VLIVE_SPOOF
                                                                  : SL_VLIVE_RETRY;
        }
    } else if (st == SL_OK && strcmp(liveness, "passive") == 0) {
        passive(out, best, nb);
    }
    if (st == SL_OK && out->identity_switch) {
        out->live_reasons |= 1u << SL_LR_IDENTITY_SWITCH;
        if (out->live == SL_VLIVE_LIVE)
            out->live = SL_VLIVE_RETRY;
    }
    /* 实证: the fused best frames against the registry template */
    if (st == SL_OK && reg && nb > 0) {
        const float *e[SL_VERIF_FUSE_MAX];
        for (size_t i = 0; i < nb; i++)
            e[i] = out->frames[best[i]].emb;
        float fused[SL_FACE_EMBED_DIM];
        out->mode = nb >= SL_VERIF_FUSE_MIN ? SL_VERIF_MODE_FUSED : SL_VERIF_MODE_SINGLE;
        const sl_calib_table *t = cal ? sl_calib_get(cal, out->mode) : NULL;
        st = t ? sl__verif_fuse(e, nb, SL_FACE_EMBED_DIM, fused) : SL_ERR_NOT_FOUND;
        if (st == SL_OK)
            st = sl_calib_threshold_for_far(&out->threshold, NULL, t, far);
        if (st == SL_OK) {
            double frr = 0;
            out->n_fused = nb;
            out->score = cosine(fused, reg, dim);
            out->doc_ran = true;
            out->doc_match = out->score >= out->threshold;
            sl_calib_rates_at(&out->far, &frr, t, out->score);
        }
    }
    sl__free(sig);
    sl__free(res);
    return st;
}

uint32_t sl__verif_levels(const struct sl_verif_decision_in *in, bool *passed)
{
    uint32_t lv = 0;
    const struct sl_verif_analysis *a = in->a;
    if (in->real_name_ok)
        lv |= SL_LEVEL_REAL_NAME;
    bool switched = a && a->identity_switch;
    if (!switched && (in->clerk_vouched || (a && a->live == SL_VLIVE_LIVE)))
        lv |= SL_LEVEL_REAL_PERSON;
    if (!switched && a && a->doc_ran && a->doc_match)
        lv |= SL_LEVEL_REAL_DOCUMENT;
    /* a face matched to nobody proves nothing: 实证 needs the record */
    if (!in->real_name_ok)
        lv &= ~(uint32_t)SL_LEVEL_REAL_DOCUMENT;
    bool ok = (lv & in->levels_required) == in->levels_required &&
              (in->factors_passed & in->factors_required) == in->factors_required;
    if (passed)
        *passed = ok && in->levels_required != 0;
    return lv;
}
