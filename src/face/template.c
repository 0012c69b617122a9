/*
 * template.c -- versioned embedding templates (format in face.h), L2
 * normalisation, flip fusion, cosine.
 *
 * Templates are written at enrolment and read for every 1:1 comparison;
 * parsing is the hot path and allocates nothing. Input bytes are untrusted
 * (they come from the store or an API client): every field is checked.
 */
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "base/base.h"
#include "base/half.h"
#include "shualian/face.h"

_Static_assert(SL_FACE_TEMPLATE_HEADER == 16 + SL_FACE_MODEL_ID_MAX,
               "template header layout");

/* Frees what the face functions hand out (templates' bytes, JSON text). */
void sl_face_free(void *p)
{
    sl__free(p);
}

/* ---- little-endian helpers ---- */

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static void put_f32(uint8_t *p, float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    put_u32(p, x);
}
static float get_f32(const uint8_t *p)
{
    uint32_t x = get_u32(p);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static size_t elem_bytes(uint8_t elem)
{
    switch (elem) {
    case SL_FACE_ELEM_F32: return 4;
    case SL_FACE_ELEM_F16: return 2;
    case SL_FACE_ELEM_I8:  return 1;
    default:               return 0;
    }
}

static bool model_id_ok(const char *id, size_t cap)
{
    size_t n = 0;
    while (n < cap && id[n])
        n++;
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7e)
            return false;
    return true;
}

/* ---- vectors ---- */

sl_status sl_face_l2_normalise(float *v, size_t n)
{
    if (!v || n == 0)
        return SL_ERR_INVALID;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return SL_ERR_INVALID;
        ss += (double)v[i] * v[i];
    }
    if (!(ss > 0) || !isfinite(ss))
        return SL_ERR_INVALID;
    double inv = 1.0 / sqrt(ss);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(v[i] * inv);
    return SL_OK;
}

sl_status sl_face_flip_fuse(float *out, const float *a, const float *b,
                            size_t n)
{
    if (!out || !a || !b || n == 0)
        return SL_ERR_INVALID;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double s = (double)a[i] + b[i];
        if (!isfinite(s))
            return SL_ERR_INVALID;
        ss += s * s;
    }
    if (!(ss > 0) || !isfinite(ss))
        return SL_ERR_INVALID;
    double inv = 1.0 / sqrt(ss);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(((double)a[i] + b[i]) * inv);
    return SL_OK;
}

double sl_face_cosine(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (!(aa > 0) || !(bb > 0))
        return 0;
    double c = ab / sqrt(aa * bb);
    return SL_CLAMP(c, -1.0, 1.0);
}

/* ---- templates ---- */

sl_status sl_face_template_init(sl_face_template *out, const char *model_id,
                                uint8_t elem, const float *emb, size_t dim,
                                bool normalise)
{
    if (!out || !model_id || !emb || dim == 0 || dim > SL_FACE_TEMPLATE_MAX_DIM ||
        elem_bytes(elem) == 0)
        return SL_ERR_INVALID;
    size_t idlen = strnlen(model_id, SL_FACE_MODEL_ID_MAX);
    if (idlen == 0 || idlen >= SL_FACE_MODEL_ID_MAX ||
        !model_id_ok(model_id, SL_FACE_MODEL_ID_MAX))
        return SL_ERR_INVALID;
    for (size_t i = 0; i < dim; i++)
        if (!isfinite(emb[i]))
            return SL_ERR_INVALID;
    sl_face_template t;
    memset(t.model_id, 0, sizeof(t.model_id));
    memcpy(t.model_id, model_id, idlen);
    t.dim = (uint16_t)dim;
    t.elem = elem;
    t.l2norm = false;
    memcpy(t.v, emb, dim * sizeof(float));
    if (normalise) {
        sl_status st = sl_face_l2_normalise(t.v, dim);
        if (st != SL_OK)
            return st;
        t.l2norm = true;
    }
    memcpy(out, &t, offsetof(sl_face_template, v) + dim * sizeof(float));
    return SL_OK;
}

static bool template_valid(const sl_face_template *t)
{
    return t && t->dim >= 1 && t->dim <= SL_FACE_TEMPLATE_MAX_DIM &&
           elem_bytes(t->elem) != 0 &&
           model_id_ok(t->model_id, SL_FACE_MODEL_ID_MAX);
}

size_t sl_face_template_size(const sl_face_template *t)
{
    if (!template_valid(t))
        return 0;
    return SL_FACE_TEMPLATE_HEADER + (size_t)t->dim * elem_bytes(t->elem) + 4;
}

sl_status sl_face_template_write(uint8_t *buf, size_t cap, size_t *len,
                                 const sl_face_template *t)
{
    if (!buf || !len || !template_valid(t))
        return SL_ERR_INVALID;
    size_t need = sl_face_template_size(t);
    if (cap < need)
        return SL_ERR_TOO_LARGE;
    float scale = 0;
    if (t->elem == SL_FACE_ELEM_I8) {
        float mx = 0;
        for (size_t i = 0; i < t->dim; i++) {
            if (!isfinite(t->v[i]))
                return SL_ERR_INVALID;
            mx = SL_MAX(mx, fabsf(t->v[i]));
        }
        scale = mx > 0 ? mx / 127.0f : 1.0f;
    }
    memset(buf, 0, SL_FACE_TEMPLATE_HEADER);
    memcpy(buf, SL_FACE_TEMPLATE_MAGIC, 4);
    put_u16(buf + 4, SL_FACE_TEMPLATE_VERSION);
    buf[6] = t->elem;
    buf[7] = t->l2norm ? 1 : 0;
    put_u16(buf + 8, t->dim);
    put_f32(buf + 12, scale);
    memcpy(buf + 16, t->model_id, strnlen(t->model_id, SL_FACE_MODEL_ID_MAX));
    uint8_t *p = buf + SL_FACE_TEMPLATE_HEADER;
    for (size_t i = 0; i < t->dim; i++) {
        float v = t->v[i];
        switch (t->elem) {
        case SL_FACE_ELEM_F32:
            put_f32(p, v);
            p += 4;
            break;
        case SL_FACE_ELEM_F16:
            put_u16(p, sl__f32_to_f16(v));
            p += 2;
            break;
        default: {
            long q = lrintf(v / scale);
            *p++ = (uint8_t)(int8_t)SL_CLAMP(q, -127, 127);
            break;
        }
        }
    }
    put_u32(p, (uint32_t)crc32(0L, buf, (uInt)(p - buf)));
    *len = need;
    return SL_OK;
}

sl_status sl_face_template_read(sl_face_template *out, const uint8_t *buf,
                                size_t len)
{
    if (!out || (!buf && len))
        return SL_ERR_INVALID;
    if (len < SL_FACE_TEMPLATE_HEADER + 4 || memcmp(buf, SL_FACE_TEMPLATE_MAGIC, 4))
        return SL_ERR_FACE_TEMPLATE_FORMAT;
    uint8_t elem = buf[6], flags = buf[7];
    uint16_t dim = get_u16(buf + 8);
    float scale = get_f32(buf + 12);
    size_t eb = elem_bytes(elem);
    if (get_u16(buf + 4) != SL_FACE_TEMPLATE_VERSION || eb == 0 ||
        (flags & ~1u) || dim == 0 || dim > SL_FACE_TEMPLATE_MAX_DIM ||
        get_u16(buf + 10) != 0)
        return SL_ERR_FACE_TEMPLATE_FORMAT;
    if (elem == SL_FACE_ELEM_I8 ? !(isfinite(scale) && scale > 0) : scale != 0)
        return SL_ERR_FACE_TEMPLATE_FORMAT;
    if (len != SL_FACE_TEMPLATE_HEADER + (size_t)dim * eb + 4)
        return SL_ERR_FACE_TEMPLATE_FORMAT;
    const char *id = (const char *)buf + 16;
    if (!model_id_ok(id, SL_FACE_MODEL_ID_MAX))
        return SL_ERR_FACE_TEMPLATE_FORMAT;
    size_t idlen = strnlen(id, SL_FACE_MODEL_ID_MAX);
    for (size_t i = idlen; i < SL_FACE_MODEL_ID_MAX; i++)
        if (id[i] != 0)
            return SL_ERR_FACE_TEMPLATE_FORMAT;
    if (crc32(0L, buf, (uInt)(len - 4)) != get_u32(buf + len - 4))
        return SL_ERR_FACE_TEMPLATE_FORMAT;

    sl_face_template *t = out;
    float tmp[SL_FACE_TEMPLATE_MAX_DIM];
    const uint8_t *p = buf + SL_FACE_TEMPLATE_HEADER;
    for (size_t i = 0; i < dim; i++) {
        float v;
        switch (elem) {
        case SL_FACE_ELEM_F32: v = get_f32(p); p += 4; break;
        case SL_FACE_ELEM_F16: v = sl__f16_to_f32(get_u16(p)); p += 2; break;
        default:               v = (float)(int8_t)*p++ * scale; break;
        }
        if (!isfinite(v))
            return SL_ERR_FACE_TEMPLATE_FORMAT;
        tmp[i] = v;
    }
    memset(t->model_id, 0, sizeof(t->model_id));
    memcpy(t->model_id, id, idlen);
    t->dim = dim;
    t->elem = elem;
    t->l2norm = flags & 1;
    memcpy(t->v, tmp, dim * sizeof(float));
    return SL_OK;
}

sl_status sl_face_template_compare(double *cosine, const sl_face_template *a,
                                   const sl_face_template *b)
{
    if (!cosine || !template_valid(a) || !template_valid(b))
        return SL_ERR_INVALID;
    if (a->dim != b->dim ||
        strncmp(a->model_id, b->model_id, SL_FACE_MODEL_ID_MAX) != 0)
        return SL_ERR_FACE_TEMPLATE_MISMATCH;
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a->dim; i++) {
        ab += (double)a->v[i] * b->v[i];
        aa += (double)a->v[i] * a->v[i];
        bb += (double)b->v[i] * b->v[i];
    }
    if (!(aa > 0) || !(bb > 0) || !isfinite(ab))
        return SL_ERR_INVALID;
    double c = ab / sqrt(aa * bb);
    *cosine = SL_CLAMP(c, -1.0, 1.0);
    return SL_OK;
}
