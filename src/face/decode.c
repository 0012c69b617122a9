/*
 * decode.c -- the arithmetic between the face networks: detector
 * post-processing (score filter, top-k, NMS in two flavours, squaring,
 * clipping), crop rectangles for the liveness / pose / eye models, and
 * decoding of landmark and pose outputs (shared/anchors/ort-pipeline.md).
 *
 * Once per image (detector: 4,420 priors, a few candidates survive the
 * score filter) and per face; no allocation except the detector's
 * candidate list.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

sl_detect_cfg sl_detect_cfg_default(void)
{
    return (sl_detect_cfg){
        .score_min = 0.65f, .top_k = 750, .nms = SL_NMS_PACKAGE,
        .nms_thr = 0.4f, .in_w = 320, .in_h = 240, .square = true, .clip = true,
    };
}

struct keyed {
    float    key;
    uint32_t idx;
};

/* Ascending by key, ties by index: a stable order. */
static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static bool box_ok(const sl_face_box *b)
{
    return isfinite(b->x0) && isfinite(b->y0) && isfinite(b->x1) && isfinite(b->y1) &&
           b->x1 - b->x0 > 0 && b->y1 - b->y0 > 0;
}

size_t sl_face_nms(size_t *keep, size_t cap, const sl_face_box *boxes, size_t n,
                   enum sl_nms_mode mode, float thr)
{
    struct keyed order[SL_NMS_MAX_BOXES];
    bool gone[SL_NMS_MAX_BOXES];
    if (!boxes || (!keep && cap))
        return 0;
    n = SL_MIN(n, (size_t)SL_NMS_MAX_BOXES);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!box_ok(&boxes[i]))
            continue;
        /* package: bottom edge ascending; IoU: score descending */
        float key = mode == SL_NMS_PACKAGE ? boxes[i].y1 : -boxes[i].score;
        order[m++] = (struct keyed){ isnan(key) ? INFINITY : key, (uint32_t)i };
    }
    qsort(order, m, sizeof(order[0]), cmp_keyed);
    memset(gone, 0, m * sizeof(gone[0]));
    size_t kept = 0;
    for (size_t a = 0; a < m; a++) {
        if (gone[a])
            continue;
        const sl_face_box *k = &boxes[order[a].idx];
        if (kept < cap)
            keep[kept] = order[a].idx;
        kept++;
        for (size_t b = a + 1; b < m; b++) {
            if (gone[b])
                continue;
            const sl_face_box *o = &boxes[order[b].idx];
            float ix0 = SL_MAX(k->x0, o->x0), iy0 = SL_MAX(k->y0, o->y0);
            float ix1 = SL_MIN(k->x1, o->x1), iy1 = SL_MIN(k->y1, o->y1);
            float overlap;
            if (mode == SL_NMS_PACKAGE) {
                /* +1 pixel intersection over the other box's plain area */
                float w = SL_MAX(0.0f, ix1 - ix0 + 1), h = SL_MAX(0.0f, iy1 - iy0 + 1);
                overlap = w * h / ((o->x1 - o->x0) * (o->y1 - o->y0));
            } else {
                float w = SL_MAX(0.0f, ix1 - ix0), h = SL_MAX(0.0f, iy1 - iy0);
                float inter = w * h;
                float uni = (k->x1 - k->x0) * (k->y1 - k->y0) +
                            (o->x1 - o->x0) * (o->y1 - o->y0) - inter;
                overlap = uni > 0 ? inter / uni : 0;
            }
            if (overlap >= thr)
                gone[b] = true;
        }
    }
    return SL_MIN(kept, cap);
}

sl_face_box sl_face_box_clip(sl_face_box b, int32_t w, int32_t h)
{
    float mx = (float)(w - 1), my = (float)(h - 1);
    b.x0 = SL_CLAMP(b.x0, 0.0f, mx);
    b.x1 = SL_CLAMP(b.x1, 0.0f, mx);
    b.y0 = SL_CLAMP(b.y0, 0.0f, my);
    b.y1 = SL_CLAMP(b.y1, 0.0f, my);
    return b;
}

sl_status sl_face_detect_decode(sl_face_box *out, size_t cap, size_t *n_out,
                                const float *scores, const float *boxes,
                                size_t n, int32_t img_w, int32_t img_h,
                                const sl_detect_cfg *cfg)
{
    sl_detect_cfg d = sl_detect_cfg_default();
    if (!cfg)
        cfg = &d;
    if (!n_out || (!out && cap) || (!scores && n) || (!boxes && n) ||
        img_w <= 0 || img_h <= 0 || cfg->in_w <= 0 || cfg->in_h <= 0 ||
        cfg->top_k == 0 || !(cfg->nms_thr > 0))
        return SL_ERR_INVALID;
    *n_out = 0;
    if (n == 0)
        return SL_OK;
    struct keyed *cand = sl__malloc(n * sizeof(*cand));
    sl_face_box *cb = sl__malloc(SL_MIN(n, (size_t)SL_NMS_MAX_BOXES) * sizeof(*cb));
    sl_status st = SL_ERR_NOMEM;
    if (!cand || !cb)
        goto out;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        float s = scores[2 * i + 1];
        if (isfinite(s) && s >= cfg->score_min)
            cand[m++] = (struct keyed){ -s, (uint32_t)i };
    }
    qsort(cand, m, sizeof(*cand), cmp_keyed);             /* score descending */
    m = SL_MIN(m, SL_MIN((size_t)cfg->top_k, (size_t)SL_NMS_MAX_BOXES));
    for (size_t k = 0; k < m; k++) {
        const float *b = boxes + 4 * (size_t)cand[k].idx;
        cb[k] = (sl_face_box){ b[0] * (float)cfg->in_w, b[1] * (float)cfg->in_h,
                               b[2] * (float)cfg->in_w, b[3] * (float)cfg->in_h,
                               -cand[k].key };
    }
    size_t keep[SL_NMS_MAX_BOXES];
    size_t nk = sl_face_nms(keep, SL_NMS_MAX_BOXES, cb, m, cfg->nms, cfg->nms_thr);
    float sx = (float)img_w / (float)cfg->in_w, sy = (float)img_h / (float)cfg->in_h;
    /* keep[] is in NMS order; write out in score order (cb is score-sorted) */
    bool kept[SL_NMS_MAX_BOXES] = { false };
    for (size_t k = 0; k < nk; k++)
        kept[keep[k]] = true;
    size_t w = 0;
    for (size_t k = 0; k < m && w < cap; k++) {
        if (!kept[k])
            continue;
        sl_face_box b = { cb[k].x0 * sx, cb[k].y0 * sy, cb[k].x1 * sx, cb[k].y1 * sy,
                          cb[k].score };
        if (cfg->square) {
            float side = b.y1 - b.y0, cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
            b = (sl_face_box){ cx - side / 2, cy - side / 2, cx + side / 2,
                               cy + side / 2, b.score };
        }
        if (cfg->clip)
            b = sl_face_box_clip(b, img_w, img_h);
        out[w++] = b;
    }
    *n_out = w;
    st = SL_OK;
out:
    sl__free(cb);
    sl__free(cand);
    return st;
}

sl_status sl_face_crop_scaled(sl_face_box *out, const sl_face_box *box,
                              float scale, int32_t w, int32_t h)
{
    if (!out || !box || !box_ok(box) || !(scale > 0) || w < 2 || h < 2)
        return SL_ERR_INVALID;
    double bw = (double)box->x1 - box->x0, bh = (double)box->y1 - box->y0;
    double s = SL_MIN((double)scale, SL_MIN((h - 1) / bh, (w - 1) / bw));
    double cx = box->x0 + bw / 2, cy = box->y0 + bh / 2;
    double x0 = cx - bw * s / 2, x1 = cx + bw * s / 2;
    double y0 = cy - bh * s / 2, y1 = cy + bh * s / 2;
    if (x0 < 0) { x1 -= x0; x0 = 0; }
    if (y0 < 0) { y1 -= y0; y0 = 0; }
    if (x1 > w - 1) { x0 -= x1 - (w - 1); x1 = w - 1; }
    if (y1 > h - 1) { y0 -= y1 - (h - 1); y1 = h - 1; }
    *out = (sl_face_box){ (float)SL_MAX(x0, 0.0), (float)SL_MAX(y0, 0.0),
                          (float)x1, (float)y1, box->score };
    return SL_OK;
}

sl_status sl_face_crop_pose(sl_face_box *out, const sl_face_box *box,
                            int32_t w, int32_t h)
{
    if (!out || !box || !box_ok(box) || w < 2 || h < 2)
        return SL_ERR_INVALID;
    float dx = (box->x1 - box->x0) / 4, dy = (box->y1 - box->y0) / 4;
    sl_face_box b = { box->x0 - dx, box->y0 - dy, box->x1 + dx, box->y1 + dy, box->score };
    b = sl_face_box_clip(b, w, h);
    if (!box_ok(&b))
        return SL_ERR_INVALID;
    *out = b;
    return SL_OK;
}

sl_status sl_face_crop_eye(sl_face_box *out, const sl_point2f lm[SL_FACE_LANDMARKS],
                           int eye, int32_t w, int32_t h)
{
    if (!out || !lm || (eye != 0 && eye != 1) || w < 2 || h < 2)
        return SL_ERR_INVALID;
    int b = eye ? 42 : 36;
    double cx = ((double)lm[b + 1].x + lm[b + 2].x + lm[b + 4].x + lm[b + 5].x) / 4;
    double cy = ((double)lm[b + 1].y + lm[b + 2].y + lm[b + 4].y + lm[b + 5].y) / 4;
    double side = 1.6 * ((double)lm[b + 3].x - lm[b].x);
    if (!isfinite(cx) || !isfinite(cy) || !(side >= 2))
        return SL_ERR_INVALID;
    sl_face_box r = { (float)(cx - side / 2), (float)(cy - side / 2),
                      (float)(cx + side / 2), (float)(cy + side / 2), 0 };
    r = sl_face_box_clip(r, w, h);
    if (!box_ok(&r))
        return SL_ERR_INVALID;
    *out = r;
    return SL_OK;
}

sl_status sl_face_landmarks_decode(sl_point2f out[SL_FACE_LANDMARKS],
                                   const float raw[2 * SL_FACE_LANDMARKS],
                                   const sl_face_box *crop)
{
    if (!out || !raw || !crop || !box_ok(crop))
        return SL_ERR_INVALID;
    float cw = crop->x1 - crop->x0, ch = crop->y1 - crop->y0;
    for (int i = 0; i < 2 * SL_FACE_LANDMARKS; i++)
        if (!isfinite(raw[i]))
            return SL_ERR_INVALID;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        out[i] = (sl_point2f){ raw[2 * i] * cw + crop->x0, raw[2 * i + 1] * ch + crop->y0 };
    return SL_OK;
}

void sl_face_softmax(float *out, const float *in, size_t n)
{
    if (!out || !in || n == 0)
        return;
    float mx = in[0];
    for (size_t i = 1; i < n; i++)
        mx = SL_MAX(mx, in[i]);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = expf(in[i] - mx);
        sum += out[i];
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(out[i] / sum);
}

float sl_face_pose_decode(const float logits[66])
{
    float p[66];
    if (!logits)
        return NAN;
    sl_face_softmax(p, logits, 66);
    double e = 0;
    for (int i = 0; i < 66; i++)
        e += (double)p[i] * i;
    return (float)(3 * e - 99);
}
