/*
 * pointwise.c -- 1x1 conv as GEMM: weight packing, the plain C kernel
 * (unit-test oracle) and the kernel pick. See pointwise.h.
 */
#include <string.h>

#include "nn/pointwise.h"

sl_status sl__nn_pw_init(struct sl_nn_pw *w, int P, int C, int M, const float *wt,
                         const float *bias, float lo, float hi)
{
    memset(w, 0, sizeof *w);
    if (P < 1 || C < 1 || M < 1 || C > (1 << 20) || M > (1 << 20))
        return SL_ERR_INVALID;
    w->P = P; w->C = C; w->M = M; w->Mp = (M + 31) / 32 * 32;
    w->nblocks = (P + SL_NN_PW_MR - 1) / SL_NN_PW_MR;
    w->lo = lo; w->hi = hi;
    size_t Cs = (size_t)C, Mp = (size_t)w->Mp;
    w->W = sl__aligned_alloc(64, Cs * Mp * sizeof(float));
    w->bias = sl__aligned_alloc(64, Mp * sizeof(float));
    w->tail = sl__aligned_alloc(64, SL_NN_PW_MR * (Cs + Mp) * sizeof(float));
    if (!w->W || !w->bias || !w->tail) {
        sl__nn_pw_free(w);
        return SL_ERR_NOMEM;
    }
    memset(w->tail, 0, SL_NN_PW_MR * (Cs + Mp) * sizeof(float));
    for (size_t m = 0; m < Mp; m++) {
        w->bias[m] = bias && m < (size_t)M ? bias[m] : 0.0f;
        for (size_t c = 0; c < Cs; c++)
            w->W[((m / 32) * Cs + c) * 32 + m % 32] = m < (size_t)M ? wt[m * Cs + c] : 0.0f;
    }
    return SL_OK;
}

void sl__nn_pw_free(struct sl_nn_pw *w)
{
    sl__free(w->W);
    sl__free(w->bias);
    sl__free(w->tail);
    w->W = w->bias = w->tail = NULL;
}

void sl__nn_pw_blocks_c(const struct sl_nn_pw *w, const float *x, float *y, int b0, int b1)
{
    size_t C = (size_t)w->C, M = (size_t)w->M;
    size_t r0 = (size_t)b0 * SL_NN_PW_MR, r1 = SL_MIN((size_t)b1 * SL_NN_PW_MR, (size_t)w->P);
    for (size_t r = r0; r < r1; r++)
        for (size_t m = 0; m < M; m++) {
            const float *wp = w->W + (m / 32) * C * 32 + m % 32;
            float acc = 0.0f;
            for (size_t c = 0; c < C; c++)
                acc += x[r * C + c] * wp[c * 32];
            acc += w->bias[m];
            acc = acc < w->lo ? w->lo : acc;
            y[r * M + m] = acc > w->hi ? w->hi : acc;
        }
}

sl_nn_pw_fn sl__nn_pw_pick(void)
{
#if defined(__x86_64__)
    if (sl_cpu_features() & SL_CPU_AVX512F)
        return sl__nn_pw_blocks_avx512;
#endif
    return sl__nn_pw_blocks_c;
}
