/*
 * winograd.h -- private to src/nn: Winograd F(4x4, 3x3) convolution for
 * 3x3, stride 1, dilation 1, group 1 convs in NHWC (batch 1).
 *
 *   Y = A^T [ (G g G^T) . (B^T d B) ] A   per 6x6 input tile d -> 4x4 output
 *
 * sl__nn_wino_init transforms the OHWI weights once (U[36][C][Mp], Mp = M
 * rounded up to 32, zero padded) and allocates per-worker scratch; a run
 * then does, per block of SL_NN_WINO_TB tiles: the input transform into
 * V[36][TB][C], 36 small GEMMs V[p] x U[p] -> Z[p][TB][Mp], and the output
 * transform with bias and the fused clamp. No allocation per run.
 *
 * Two implementations of the same blocked algorithm: winograd.c (plain C,
 * the oracle of the unit tests, and the fallback) and winograd_avx512.c
 * (picked once by sl_cpu_features(); NULL entry when not built).
 */
#ifndef SL_NN_WINOGRAD_H
#define SL_NN_WINOGRAD_H

#include <stddef.h>

#include "base/base.h"

#define SL_NN_WINO_TB 12            /* tiles per block = GEMM rows         */
/* Floats between two transform positions of V: TB x C plus one cache line,
 * so the 36 stores of one input transform do not all fall into two L1
 * sets (TB x C x 4 bytes = 6 KiB for C = 128). */
#define SL_NN_WINO_VS(C) ((size_t)SL_NN_WINO_TB * (size_t)(C) + 16)

struct sl_nn_wino {
    int H, W, C, M;                 /* input H, W, channels; out channels  */
    int OH, OW;                     /* output size                         */
    int pt, pl;                     /* top/left padding                    */
    int th, tw, ntiles, nblocks;    /* 4x4 output tiles                    */
    int Mp;                         /* M rounded up to 32                  */
    float lo, hi;                   /* fused output range                  */
    float *U;                       /* owned: [36][C][Mp] weights          */
    float *bias;                    /* owned: [Mp]                         */
    int nscratch;                   /* workers                             */
    float *scratch;                 /* owned: nscratch x scratch_floats    */
    size_t scratch_floats;          /* V[36][VS] + Z[36][TB][Mp]            */
};

/* Prepares w for input H x W x C, weights OHWI [M][3][3][C] (borrowed,
 * copied transformed), bias [M] or NULL, pads top/left (the output size
 * OH x OW gives bottom/right), output range [lo, hi], nworkers scratch
 * slots. On error w holds nothing to free. */
sl_status sl__nn_wino_init(struct sl_nn_wino *w, int H, int W, int C, int M,
                           int OH, int OW, int pt, int pl,
                           const float *wt, const float *bias,
                           float lo, float hi, int nworkers);
void      sl__nn_wino_free(struct sl_nn_wino *w);

/* Runs blocks [b0, b1) with scratch slot 'slot': x NHWC input, y NHWC
 * output. The plain C and the AVX-512 kernel. */
void sl__nn_wino_blocks_c(const struct sl_nn_wino *w, const float *x, float *y,
                          int b0, int b1, int slot);
void sl__nn_wino_blocks_avx512(const struct sl_nn_wino *w, const float *x, float *y,
                               int b0, int b1, int slot);
/* The fastest kernel this CPU runs (sl_cpu_features), never NULL. */
typedef void (*sl_nn_wino_fn)(const struct sl_nn_wino *, const float *, float *, int, int, int);
sl_nn_wino_fn sl__nn_wino_pick(void);
/* true when sl__nn_wino_pick() gives a SIMD kernel (worth using). */
bool sl__nn_wino_fast(void);

#endif
