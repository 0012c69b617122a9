/*
 * kernels_neon.c -- NEON scan kernels for ARM kiosks; compiled only on
 * aarch64 (the whole file is under #if). int8 widens with vmull_s8 and
 * accumulates pairwise into int32; fp16 converts with vcvt_f32_f16.
 * Same contract as the plain-C references in kernels.c.
 */
#if defined(__aarch64__)
#include <arm_neon.h>

#include "index_int.h"

static void k_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                 const uint8_t *qu, const int32_t *vsum, const float *scale,
                 float qscale, float *out)
{
    (void)qu;
    (void)vsum;
    for (size_t r = 0; r < n; r++) {
        const int8_t *c = codes + r * pdim;
        int32x4_t acc = vdupq_n_s32(0);
        for (size_t i = 0; i < pdim; i += 16) {
            int8x16_t qv = vld1q_s8(q + i), cv = vld1q_s8(c + i);
            acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(qv), vget_low_s8(cv)));
            acc = vpadalq_s16(acc, vmull_high_s8(qv, cv));
        }
        out[r] = (float)vaddvq_s32(acc) * scale[r] * qscale;
    }
}

static void k_f32(const float *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    for (size_t r = 0; r < n; r++) {
        const float *c = codes + r * pdim;
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
        for (size_t i = 0; i < pdim; i += 8) {
            a0 = vfmaq_f32(a0, vld1q_f32(q + i), vld1q_f32(c + i));
            a1 = vfmaq_f32(a1, vld1q_f32(q + i + 4), vld1q_f32(c + i + 4));
        }
        out[r] = vaddvq_f32(vaddq_f32(a0, a1));
    }
}

static void k_f16(const uint16_t *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    for (size_t r = 0; r < n; r++) {
        const uint16_t *c = codes + r * pdim;
        float32x4_t a0 = vdupq_n_f32(0);
        for (size_t i = 0; i < pdim; i += 4) {
            float32x4_t cv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(c + i)));
            a0 = vfmaq_f32(a0, vld1q_f32(q + i), cv);
        }
        out[r] = vaddvq_f32(a0);
    }
}

static void k_i8_batch(const int8_t *codes, size_t pdim, size_t n,
                       const int8_t *q, const uint8_t *qu, size_t nq,
                       const int32_t *vsum, const float *scale,
                       const float *qscale, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_i8(codes + r * pdim, pdim, 1, q + j * pdim, qu + j * pdim,
                 vsum + r, scale + r, qscale[j], &out[r * nq + j]);
}

static void k_f16_batch(const uint16_t *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_f16(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

static void k_f32_batch(const float *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_f32(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

static const struct sl__ix_kernels kernels = {
    "neon", k_i8, k_f16, k_f32, k_i8_batch, k_f16_batch, k_f32_batch,
    sl__ix_above1_ref, sl__ix_abovev_ref, sl__ix_read_ref,
};

const struct sl__ix_kernels *sl__ix_kernels_neon(void)
{
    return &kernels;
}
#else
typedef int sl__ix_neon_unused;
#endif
