/*
 * pointwise.h -- private to src/nn: 1x1 stride-1 unpadded group-1 conv in
 * NHWC as one GEMM, Y[P][M] = clamp(X[P][C] W[C][M] + b), with our own
 * AVX-512 12x32 register-blocked micro-kernel (the 2022 XNNPACK's f32
 * GEMM is 7x16 on AVX-512 and reached ~100-130 GFLOP/s here).
 * sl__nn_pw_init packs the OHWI [M][C] weights once into column panels
 * [Mp/32][C][32] (zero padded); a run touches no allocator. Row blocks of
 * 12 are independent (threads split them); the last partial block goes
 * through a zero-padded scratch.
 */
#ifndef SL_NN_POINTWISE_H
#define SL_NN_POINTWISE_H

#include <stddef.h>

#include "base/base.h"

#define SL_NN_PW_MR 12

struct sl_nn_pw {
    int P, C, M, Mp;                /* rows (pixels), in/out channels      */
    int nblocks;                    /* row blocks of SL_NN_PW_MR           */
    float lo, hi;
    float *W;                       /* owned: [Mp/32][C][32]               */
    float *bias;                    /* owned: [Mp]                         */
    float *tail;                    /* owned: MR x C input + MR x Mp out   */
};

sl_status sl__nn_pw_init(struct sl_nn_pw *w, int P, int C, int M, const float *wt,
                         const float *bias, float lo, float hi);
void      sl__nn_pw_free(struct sl_nn_pw *w);
/* Row blocks [b0, b1). The plain C and the AVX-512 kernel. */
void sl__nn_pw_blocks_c(const struct sl_nn_pw *w, const float *x, float *y, int b0, int b1);
void sl__nn_pw_blocks_avx512(const struct sl_nn_pw *w, const float *x, float *y, int b0, int b1);
typedef void (*sl_nn_pw_fn)(const struct sl_nn_pw *, const float *, float *, int, int);
sl_nn_pw_fn sl__nn_pw_pick(void);

#endif
