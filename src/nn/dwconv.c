/*
 * dwconv.c -- depthwise 3x3 conv: weight repacking, the plain C kernel
 * (unit-test oracle) and the kernel pick. See dwconv.h.
 */
#include <string.h>

#include "nn/dwconv.h"

sl_status sl__nn_dw_init(struct sl_nn_dw *d, int H, int W, int C, int OH, int OW,
                         int s, int pt, int pl, const float *wt, const float *bias,
                         float lo, float hi)
{
    memset(d, 0, sizeof *d);
    if (H < 1 || W < 1 || C < 1 || OH < 1 || OW < 1 || s < 1 || s > 2 || pt < 0 || pl < 0 ||
        pt > 2 || pl > 2 || C > (1 << 20))
        return SL_ERR_INVALID;
    d->H = H; d->W = W; d->C = C; d->OH = OH; d->OW = OW; d->s = s; d->pt = pt; d->pl = pl;
    d->lo = lo; d->hi = hi;
    d->Cp = (C + 15) / 16 * 16;
    size_t Cp = (size_t)d->Cp;
    d->w = sl__aligned_alloc(64, 10 * Cp * sizeof(float));
    if (!d->w)
        return SL_ERR_NOMEM;
    memset(d->w, 0, 10 * Cp * sizeof(float));
    for (size_t c = 0; c < (size_t)C; c++) {
        for (size_t t = 0; t < 9; t++)
            d->w[t * Cp + c] = wt[c * 9 + t];
        d->w[9 * Cp + c] = bias ? bias[c] : 0.0f;
    }
    return SL_OK;
}

void sl__nn_dw_free(struct sl_nn_dw *d)
{
    sl__free(d->w);
    d->w = NULL;
}

void sl__nn_dw_rows_c(const struct sl_nn_dw *d, const float *x, float *y, int r0, int r1)
{
    size_t C = (size_t)d->C, Cp = (size_t)d->Cp;
    for (int oy = r0; oy < r1; oy++)
        for (int ox = 0; ox < d->OW; ox++)
            for (size_t c = 0; c < C; c++) {
                float acc = d->w[9 * Cp + c];
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        int iy = oy * d->s - d->pt + i, ix = ox * d->s - d->pl + j;
                        if (iy >= 0 && iy < d->H && ix >= 0 && ix < d->W)
                            acc += x[((size_t)iy * (size_t)d->W + (size_t)ix) * C + c] *
                                   d->w[(size_t)(i * 3 + j) * Cp + c];
                    }
                acc = acc < d->lo ? d->lo : acc;
                y[((size_t)oy * (size_t)d->OW + (size_t)ox) * C + c] = acc > d->hi ? d->hi : acc;
            }
}

sl_nn_dw_fn sl__nn_dw_pick(void)
{
#if defined(__x86_64__)
    if (sl_cpu_features() & SL_CPU_AVX512F)
        return sl__nn_dw_rows_avx512;
#endif
    return sl__nn_dw_rows_c;
}
