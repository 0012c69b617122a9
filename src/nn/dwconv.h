/*
 * dwconv.h -- private to src/nn: depthwise 3x3 conv (stride 1 or 2,
 * dilation 1, any padding up to 2) in NHWC, batch 1, with bias and the
 * fused clamp. The 2022 XNNPACK's depthwise path ran at 7-30 GFLOP/s on
 * fr_detect's 16-64-channel layers; ours loads each input pixel's
 * channels as vectors, unrolls the 9 taps for interior pixels and
 * bounds-checks only at the borders. Weights repacked once [9][Cp] (Cp =
 * C rounded to 16). Output rows are independent (threads split them).
 */
#ifndef SL_NN_DWCONV_H
#define SL_NN_DWCONV_H

#include "base/base.h"

struct sl_nn_dw {
    int H, W, C, OH, OW, Cp;
    int s, pt, pl;                  /* stride (both axes), top/left pads   */
    float lo, hi;
    float *w;                       /* owned: [9][Cp] then bias [Cp]        */
};

/* wt: ONNX depthwise weights after the layout pass, [C][3][3][1]. */
sl_status sl__nn_dw_init(struct sl_nn_dw *d, int H, int W, int C, int OH, int OW,
                         int s, int pt, int pl, const float *wt, const float *bias,
                         float lo, float hi);
void      sl__nn_dw_free(struct sl_nn_dw *d);
/* Output rows [r0, r1). */
void sl__nn_dw_rows_c(const struct sl_nn_dw *d, const float *x, float *y, int r0, int r1);
void sl__nn_dw_rows_avx512(const struct sl_nn_dw *d, const float *x, float *y, int r0, int r1);
typedef void (*sl_nn_dw_fn)(const struct sl_nn_dw *, const float *, float *, int, int);
sl_nn_dw_fn sl__nn_dw_pick(void);

#endif
