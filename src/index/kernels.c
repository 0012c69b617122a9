/*
 * kernels.c -- plain-C reference scan kernels (the oracle every SIMD kernel
 * is tested against), int8 quantisation, and the
 * one-time kernel pick from sl_cpu_features().
 */
#include <math.h>
#include <string.h>

#include "index_int.h"
#include "kernel.h"

float sl__ix_quantize(const float *v, size_t pdim, int8_t *out, int32_t *sum)
{
    float mx = 0;
    for (size_t i = 0; i < pdim; i++)
        mx = fmaxf(mx, fabsf(v[i]));
    float scale = mx > 0 ? mx / 127.0f : 1.0f;
    float inv = 1.0f / scale;
    int32_t s = 0;
    for (size_t i = 0; i < pdim; i++) {
        long c = lrintf(v[i] * inv);
        c = SL_CLAMP(c, -127, 127);
        out[i] = (int8_t)c;
        s += (int32_t)c;
    }
    *sum = s;
    return scale;
}

/* ============================ Reference kernels ========================== */

static void ref_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                   const uint8_t *qu, const int32_t *vsum, const float *scale,
                   float qscale, float *out)
{
    (void)qu;
    (void)vsum;
    for (size_t r = 0; r < n; r++) {
        const int8_t *c = codes + r * pdim;
        int32_t acc = 0;
        for (size_t i = 0; i < pdim; i++)
            acc += (int32_t)q[i] * (int32_t)c[i];
        out[r] = (float)acc * scale[r] * qscale;
    }
}

static void ref_f16(const uint16_t *codes, size_t pdim, size_t n,
                    const float *q, float *out)
{
    for (size_t r = 0; r < n; r++) {
        const uint16_t *c = codes + r * pdim;
        float acc = 0;
        for (size_t i = 0; i < pdim; i++)
            acc += q[i] * sl__f16_to_f32(c[i]);
        out[r] = acc;
    }
}

static void ref_f32(const float *codes, size_t pdim, size_t n, const float *q,
                    float *out)
{
    for (size_t r = 0; r < n; r++) {
        const float *c = codes + r * pdim;
        float acc = 0;
        for (size_t i = 0; i < pdim; i++)
            acc += q[i] * c[i];
        out[r] = acc;
    }
}

static void ref_i8_batch(const int8_t *codes, size_t pdim, size_t n,
                         const int8_t *q, const uint8_t *qu, size_t nq,
                         const int32_t *vsum, const float *scale,
                         const float *qscale, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            ref_i8(codes + r * pdim, pdim, 1, q + j * pdim, qu + j * pdim,
                   vsum + r, scale + r, qscale[j], &out[r * nq + j]);
}

static void ref_f16_batch(const uint16_t *codes, size_t pdim, size_t n,
                          const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            ref_f16(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

static void ref_f32_batch(const float *codes, size_t pdim, size_t n,
                          const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            ref_f32(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

size_t sl__ix_above1_ref(const float *s, size_t n, float cut, uint32_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] > cut)
            idx[m++] = (uint32_t)i;
    return m;
}

size_t sl__ix_abovev_ref(const float *s, const float *cut, size_t n,
                         uint32_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] > cut[i])
            idx[m++] = (uint32_t)i;
    return m;
}

uint64_t sl__ix_read_ref(const void *p, size_t bytes)
{
    const uint64_t *q = p;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i < bytes / 8; i += 4) {
        a ^= q[i];
        b ^= q[i + 1];
        c ^= q[i + 2];
        d ^= q[i + 3];
    }
    return a ^ b ^ c ^ d;
}

static const struct sl__ix_kernels ref_kernels = {
    "ref", ref_i8, ref_f16, ref_f32, ref_i8_batch, ref_f16_batch, ref_f32_batch,
    sl__ix_above1_ref, sl__ix_abovev_ref, sl__ix_read_ref,
};

const struct sl__ix_kernels *sl__ix_kernels_ref(void)
{
    return &ref_kernels;
}

const struct sl__ix_kernels *sl__ix_kernels_best(void)
{
    uint32_t f = sl_cpu_features();
    (void)f;
#if defined(__x86_64__)
    if ((f & SL_CPU_AVX512F) && (f & SL_CPU_AVX512VNNI))
        return sl__ix_kernels_avx512();
    if (f & SL_CPU_AVX2)
        return sl__ix_kernels_avx2();
#endif
#if defined(__aarch64__)
    if (f & SL_CPU_NEON)
        return sl__ix_kernels_neon();
#endif
    return &ref_kernels;
}

void sl__ix_scan_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                    const uint8_t *qu, const int32_t *vsum, const float *scale,
                    float qscale, float *out)
{
    sl__ix_kernels_best()->i8(codes, pdim, n, q, qu, vsum, scale, qscale, out);
}
