/*
 * model_out.c -- the arithmetic between the face networks (face.h, "Model
 * output decoding"): detector post-processing (score filter and mapping
 * through the letterbox, top-k, NMS in two flavours), crop rectangles for
 * the landmark / liveness / age / pose / eye models, and decoding of
 * landmark and pose outputs. The engine (pipeline*.c) calls these and has
 * no copy of its own, so the unit tests test what runs.
 *
 * Once per image (detector: 4,420 priors, a few candidates survive the
 * score filter) and per face; no allocation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

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

/* ---- detector ---- */

sl_status sl_face_detect_decode(sl_face_box *out, size_t cap, size_t *n_out,
                                const float *scores, const float *boxes, size_t n,
                                const sl_face_det_map *map, float score_min)
{
    if (!n_out || (!out && cap) || (n && (!scores || !boxes)) || !map || map->ow == 0 ||
        map->oh == 0)
        return SL_ERR_INVALID;
    const sl_face_rect *r = &map->region;
    double rw = r->x1 - r->x0, rh = r->y1 - r->y0;
    double fx = rw / map->ow, fy = rh / map->oh;
    uint32_t ox = map->ox, oy = map->oy;
    size_t m = 0;
    for (size_t i = 0; i < n && m < cap; i++) {
        float p = scores[2 * i + 1];
        if (!(p >= score_min))
            continue;
        const float *b = boxes + 4 * i;
        /* float (b * 320 - ox), then double: the engine's arithmetic */
        sl_face_box fb = {
            (float)(r->x0 + (b[0] * SL_FACE_DET_W - ox) * fx),
            (float)(r->y0 + (b[1] * SL_FACE_DET_H - oy) * fy),
            (float)(r->x0 + (b[2] * SL_FACE_DET_W - ox) * fx),
            (float)(r->y0 + (b[3] * SL_FACE_DET_H - oy) * fy),
            p,
        };
        if (!(fb.x1 > fb.x0) || !(fb.y1 > fb.y0))
            continue;
        out[m++] = fb;
    }
    *n_out = m;
    return SL_OK;
}

static int cmp_score_desc(const void *a, const void *b)
{
    float x = ((const sl_face_box *)a)->score, y = ((const sl_face_box *)b)->score;
    return x > y ? -1 : x < y;
}

size_t sl_face_det_nms(sl_face_box *c, size_t n, enum sl_nms_mode mode, float thr)
{
    if (!c || n == 0)
        return 0;
    qsort(c, n, sizeof(*c), cmp_score_desc);
    if (n > SL_FACE_DET_TOP_K)
        n = SL_FACE_DET_TOP_K;
    size_t keep[SL_FACE_DET_TOP_K];
    size_t kept = sl_face_nms(keep, SL_ARRAY_LEN(keep), c, n,
                              mode == SL_NMS_PACKAGE ? SL_NMS_PACKAGE : SL_NMS_IOU, thr);
    sl_face_box tmp[SL_FACE_DET_TOP_K];
    for (size_t i = 0; i < kept; i++)
        tmp[i] = c[keep[i]];
    memcpy(c, tmp, kept * sizeof(*c));
    return kept;
}

/* ---- crops ---- */

sl_face_rect sl_face_square(const sl_face_box *b)
{
    double side = (double)b->y1 - b->y0;
    double cx = ((double)b->x0 + b->x1) / 2;
    return (sl_face_rect){ cx - side / 2, b->y0, cx + side / 2, b->y1 };
}

sl_face_rect sl_face_crop_scaled(const sl_face_box *b, double scale, uint32_t img_w,
                                 uint32_t img_h)
{
    double w = (double)b->x1 - b->x0, h = (double)b->y1 - b->y0;
    double cx = ((double)b->x0 + b->x1) / 2, cy = ((double)b->y0 + b->y1) / 2;
    if (w > 0 && h > 0)
        scale = SL_MIN(scale, SL_MIN((double)img_h / h, (double)img_w / w));
    double nw = w * scale, nh = h * scale;
    double x0 = cx - nw / 2, y0 = cy - nh / 2, x1 = cx + nw / 2, y1 = cy + nh / 2;
    if (x0 < 0) { x1 -= x0; x0 = 0; }
    if (y0 < 0) { y1 -= y0; y0 = 0; }
    if (x1 > img_w) { x0 -= x1 - img_w; x1 = img_w; }
    if (y1 > img_h) { y0 -= y1 - img_h; y1 = img_h; }
    return (sl_face_rect){ x0, y0, x1, y1 };
}

sl_status sl_face_crop_pose(sl_face_rect *out, const sl_face_box *box, uint32_t w,
                            uint32_t h)
{
    if (!out || !box)
        return SL_ERR_INVALID;
    sl_face_rect sq = sl_face_square(box);
    double sw = sq.x1 - sq.x0, sh = sq.y1 - sq.y0;
    sl_face_rect r = { sq.x0 - sw / 4, sq.y0 - sh / 4, sq.x1 + sw / 4, sq.y1 + sh / 4 };
    r.x0 = SL_MAX(r.x0, 0.0);
    r.y0 = SL_MAX(r.y0, 0.0);
    r.x1 = SL_MIN(r.x1, (double)w);
    r.y1 = SL_MIN(r.y1, (double)h);
    if (!(r.x1 > r.x0) || !(r.y1 > r.y0))
        return SL_ERR_INVALID;
    *out = r;
    return SL_OK;
}

sl_status sl_face_crop_eye(sl_face_rect *out, const sl_point2f lm[SL_FACE_LANDMARKS], int eye)
{
    static const int lid[2][4] = { { 37, 38, 40, 41 }, { 43, 44, 46, 47 } };
    static const int corner[2][2] = { { 36, 39 }, { 42, 45 } };
    if (!out || !lm || (eye != 0 && eye != 1))
        return SL_ERR_INVALID;
    double cx = 0, cy = 0;
    for (int i = 0; i < 4; i++) {
        cx += lm[lid[eye][i]].x;
        cy += lm[lid[eye][i]].y;
    }
    cx = cx / 4 + 0.5;      /* centre convention -> edge coordinates */
    cy = cy / 4 + 0.5;
    const sl_point2f a = lm[corner[eye][0]], b = lm[corner[eye][1]];
    double side = 1.6 * hypot((double)b.x - a.x, (double)b.y - a.y);
    if (!(side >= 2) || !isfinite(cx) || !isfinite(cy))
        return SL_ERR_INVALID;
    *out = (sl_face_rect){ cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2 };
    return SL_OK;
}

/* ---- outputs ---- */

sl_status sl_face_landmarks_decode(sl_point2f out[SL_FACE_LANDMARKS],
                                   const float raw[2 * SL_FACE_LANDMARKS],
                                   const sl_face_rect *r)
{
    if (!out || !raw || !r)
        return SL_ERR_INVALID;
    double w = r->x1 - r->x0, h = r->y1 - r->y0;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
        out[i].x = (float)(r->x0 + raw[2 * i] * w - 0.5);
        out[i].y = (float)(r->y0 + raw[2 * i + 1] * h - 0.5);
        if (!isfinite(out[i].x) || !isfinite(out[i].y))
            return SL_ERR_INVALID;
    }
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
    for (size_t i = 0; i < n; i++)
        sum += exp((double)in[i] - mx);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(exp((double)in[i] - mx) / sum);
}

float sl_face_pose_decode(const float logits[66])
{
    float p[66];
    if (!logits)
        return NAN;
    sl_face_softmax(p, logits, 66);
    double e = 0;
    for (int i = 0; i < 66; i++)
        e += p[i] * i;          /* float product, as the engine always did */
    return (float)(3 * e - 99);
}
