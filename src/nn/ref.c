/*
 * ref.c -- the plain-C kernels of every op (the oracle, the no-dependency
 * build, the fallback of faster backends, and the evaluator of constant
 * folding) and the `ref` backend built on them.
 *
 * Kernels work on PHYSICAL shapes (nn_int.h): Conv and pools see NHWC
 * activations and OHWI weights; every other op is layout-agnostic and
 * takes its axes already remapped by the layout pass. No kernel allocates.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"

#define V(i) (&m->values[nd->in[i]])
#define O(i) (&m->values[nd->out[i]])

static size_t esize(const struct sl_nn_value *v)
{
    return v->dtype == SL_NN_I64 ? 8 : 4;
}

static inline float act_apply(const struct sl_nn_node *nd, float v)
{
    if (nd->act == SL_ACT_RELU)
        return v > 0.0f ? v : 0.0f;
    if (nd->act == SL_ACT_CLIP)
        return v < nd->act_min ? nd->act_min : v > nd->act_max ? nd->act_max : v;
    return v;
}

/* ============================ Conv / pools (NHWC) ======================= */
static void conv_nhwc(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                      const float *x, const float *w, const float *b, float *y)
{
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    const struct sl_nn_conv_p *c = &nd->conv;
    int64_t N = xv->dims[0], H = xv->dims[1], W = xv->dims[2], C = xv->dims[3];
    int64_t OH = yv->dims[1], OW = yv->dims[2], M = yv->dims[3];
    int64_t G = c->group, Cg = C / G, Mg = M / G;
    for (int64_t n = 0; n < N; n++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                float *yp = y + ((n * OH + oh) * OW + ow) * M;
                for (int64_t oc = 0; oc < M; oc++)
                    yp[oc] = b ? b[oc] : 0.0f;
                for (int64_t ky = 0; ky < c->kh; ky++) {
                    int64_t ih = oh * c->sh - c->pt + ky * c->dh;
                    if (ih < 0 || ih >= H)
                        continue;
                    for (int64_t kx = 0; kx < c->kw; kx++) {
                        int64_t iw = ow * c->sw - c->pl + kx * c->dw;
                        if (iw < 0 || iw >= W)
                            continue;
                        const float *xp = x + ((n * H + ih) * W + iw) * C;
                        for (int64_t g = 0; g < G; g++)
                            for (int64_t o = 0; o < Mg; o++) {
                                int64_t oc = g * Mg + o;
                                const float *wp = w + ((oc * c->kh + ky) * c->kw + kx) * Cg;
                                const float *xg = xp + g * Cg;
                                float acc = 0.0f;
                                for (int64_t i = 0; i < Cg; i++)
                                    acc += xg[i] * wp[i];
                                yp[oc] += acc;
                            }
                    }
                }
                for (int64_t oc = 0; oc < M; oc++)
                    yp[oc] = act_apply(nd, yp[oc]);
            }
}

static void pool_nhwc(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                      const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    const struct sl_nn_conv_p *c = &nd->conv;
    int64_t N = xv->dims[0], H = xv->dims[1], W = xv->dims[2], C = xv->dims[3];
    int64_t OH = yv->dims[1], OW = yv->dims[2];
    bool mx = nd->op == SL_OP_MAXPOOL;
    for (int64_t n = 0; n < N; n++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++)
                for (int64_t ch = 0; ch < C; ch++) {
                    float acc = mx ? -INFINITY : 0.0f;
                    int64_t cnt = 0;
                    int64_t h0 = oh * c->sh - c->pt, w0 = ow * c->sw - c->pl;
                    for (int64_t ky = 0; ky < c->kh; ky++) {
                        int64_t ih = h0 + ky * c->dh;
                        for (int64_t kx = 0; kx < c->kw; kx++) {
                            int64_t iw = w0 + kx * c->dw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                                /* padding counts only inside the padded area */
                                if (!mx && c->count_include_pad &&
                                    ih < H + c->pb && iw < W + c->pr)
                                    cnt++;
                                continue;
                            }
                            float v = x[((n * H + ih) * W + iw) * C + ch];
                            if (mx)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            cnt++;
                        }
                    }
                    y[((n * OH + oh) * OW + ow) * C + ch] =
                        mx ? acc : cnt ? acc / (float)cnt : 0.0f;
                }
}

static void gap_nhwc(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                     const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0);
    int64_t N = xv->dims[0], HW = xv->dims[1] * xv->dims[2], C = xv->dims[3];
    for (int64_t n = 0; n < N; n++) {
        float *yp = y + n * C;
        for (int64_t ch = 0; ch < C; ch++)
            yp[ch] = 0.0f;
        for (int64_t p = 0; p < HW; p++)
            for (int64_t ch = 0; ch < C; ch++)
                yp[ch] += x[(n * HW + p) * C + ch];
        for (int64_t ch = 0; ch < C; ch++)
            yp[ch] /= (float)HW;
    }
}

/* ============================ Broadcasting binary ======================= */
static inline float bin_f(int op, float a, float b)
{
    switch (op) {
    case SL_OP_ADD: return a + b;
    case SL_OP_SUB: return a - b;
    case SL_OP_MUL: return a * b;
    case SL_OP_DIV: return a / b;
    default:        return a >= 0.0f ? a : a * b;      /* PRelu */
    }
}

static inline int64_t bin_i(int op, int64_t a, int64_t b)
{
    switch (op) {
    case SL_OP_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case SL_OP_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case SL_OP_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    default:        return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b;
    }
}

static void binary(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                   const void *a, const void *b, void *y)
{
    const struct sl_nn_value *av = V(0), *bv = V(1), *yv = O(0);
    int r = yv->rank;
    int64_t sa[SL_NN_MAX_RANK], sb[SL_NN_MAX_RANK], idx[SL_NN_MAX_RANK] = { 0 };
    int64_t ta = 1, tb = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = i - (r - av->rank), ib = i - (r - bv->rank);
        int64_t da = ia >= 0 ? av->dims[ia] : 1, db = ib >= 0 ? bv->dims[ib] : 1;
        sa[i] = da == 1 ? 0 : ta;
        sb[i] = db == 1 ? 0 : tb;
        ta *= da;
        tb *= db;
    }
    int64_t total = sl__nn_numel(yv);
    if (total == 0)
        return;
    int64_t inner = r ? yv->dims[r - 1] : 1;
    int64_t ia_s = r ? sa[r - 1] : 0, ib_s = r ? sb[r - 1] : 0;
    bool isf = yv->dtype == SL_NN_F32;
    for (int64_t done = 0; done < total; done += inner) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < r - 1; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        if (isf) {
            const float *pa = (const float *)a + oa, *pb = (const float *)b + ob;
            float *py = (float *)y + done;
            for (int64_t k = 0; k < inner; k++)
                py[k] = bin_f(nd->op, pa[k * ia_s], pb[k * ib_s]);
        } else {
            const int64_t *pa = (const int64_t *)a + oa, *pb = (const int64_t *)b + ob;
            int64_t *py = (int64_t *)y + done;
            for (int64_t k = 0; k < inner; k++)
                py[k] = bin_i(nd->op, pa[k * ia_s], pb[k * ib_s]);
        }
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < yv->dims[i])
                break;
            idx[i] = 0;
        }
    }
}

/* ============================ Dense ===================================== */
static void gemm(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                 const float *a, const float *b, const float *cc, float *y)
{
    const struct sl_nn_value *yv = O(0);
    int64_t M = yv->dims[0], N = yv->dims[1];
    int64_t K = nd->trans_a ? V(0)->dims[0] : V(0)->dims[1];
    int64_t cs0 = 0, cs1 = 0;
    if (cc) {
        const struct sl_nn_value *cv = V(2);
        if (cv->rank == 2) {
            cs0 = cv->dims[0] == 1 ? 0 : cv->dims[1];
            cs1 = cv->dims[1] == 1 ? 0 : 1;
        } else if (cv->rank == 1) {
            cs1 = cv->dims[0] == 1 ? 0 : 1;
        }
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) {
                float av = nd->trans_a ? a[k * M + i] : a[i * K + k];
                float bv = nd->trans_b ? b[j * K + k] : b[k * N + j];
                acc += av * bv;
            }
            float v = nd->alpha * acc;
            if (cc)
                v += nd->beta * cc[i * cs0 + j * cs1];
            y[i * N + j] = act_apply(nd, v);
        }
}

static void matmul(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                   const float *a, const float *b, float *y)
{
    const struct sl_nn_value *av = V(0), *bv = V(1);
    int64_t K = bv->dims[0], N = bv->dims[1];
    int64_t rows = sl__nn_numel(av) / (K ? K : 1);
    for (int64_t i = 0; i < rows; i++) {
        float *yp = y + i * N;
        for (int64_t j = 0; j < N; j++)
            yp[j] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float x = a[i * K + k];
            for (int64_t j = 0; j < N; j++)
                yp[j] += x * b[k * N + j];
        }
    }
}

/* ============================ Data movement ============================= */
/* outer = product of v's dims before axis, inner = product after it. */
static void around_axis(const struct sl_nn_value *v, int64_t axis,
                        int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= v->dims[i];
    for (int i = (int)axis + 1; i < v->rank; i++)
        *inner *= v->dims[i];
}

static void concat(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                   void *const *ptrs)
{
    const struct sl_nn_value *yv = O(0);
    size_t es = esize(yv);
    int64_t outer, inner;
    around_axis(yv, nd->axis, &outer, &inner);
    uint8_t *y = ptrs[nd->nin];
    size_t orow = (size_t)(yv->dims[nd->axis] * inner) * es;
    size_t off = 0;
    for (int k = 0; k < nd->nin; k++) {
        size_t chunk = (size_t)(V(k)->dims[nd->axis] * inner) * es;
        const uint8_t *x = ptrs[k];
        if (es == 4 && chunk <= 32) {            /* short rows: no memcpy call per row */
            size_t n = chunk / 4, os = orow / 4;
            const float *xf = (const float *)(const void *)x;
            float *yf = (float *)(void *)(y + off);
            for (int64_t o = 0; o < outer; o++)
                for (size_t e = 0; e < n; e++)
                    yf[(size_t)o * os + e] = xf[(size_t)o * n + e];
        } else {
            for (int64_t o = 0; o < outer; o++)
                memcpy(y + (size_t)o * orow + off, x + (size_t)o * chunk, chunk);
        }
        off += chunk;
    }
}

static void split(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                  void *const *ptrs)
{
    const struct sl_nn_value *xv = V(0);
    size_t es = esize(xv);
    int64_t outer, inner;
    around_axis(xv, nd->axis, &outer, &inner);
    const uint8_t *x = ptrs[0];
    size_t irow = (size_t)(xv->dims[nd->axis] * inner) * es;
    size_t off = 0;
    for (int k = 0; k < nd->nout; k++) {
        size_t chunk = (size_t)(O(k)->dims[nd->axis] * inner) * es;
        uint8_t *y = ptrs[nd->nin + k];
        for (int64_t o = 0; o < outer; o++)
            memcpy(y + (size_t)o * chunk, x + (size_t)o * irow + off, chunk);
        off += chunk;
    }
}

/* Generic strided copy: y[idx] = x[sum idx[i] * xs[i] + base] over y's dims. */
static void strided_copy(const uint8_t *x, uint8_t *y, size_t es, int r,
                         const int64_t *yd, const int64_t *xs, int64_t base)
{
    int64_t idx[SL_NN_MAX_RANK] = { 0 };
    int64_t total = 1;
    for (int i = 0; i < r; i++)
        total *= yd[i];
    if (total == 0)
        return;
    int64_t inner = r ? yd[r - 1] : 1, is = r ? xs[r - 1] : 0;
    for (int64_t done = 0; done < total; done += inner) {
        int64_t o = base;
        for (int i = 0; i < r - 1; i++)
            o += idx[i] * xs[i];
        if (es == 4 && is == 1 && inner <= 8) {
            /* short rows (fr_detect's Slice [1,4420,4] -> [1,4420,2]):
             * a plain loop beats a memcpy call per row */
            const float *xs4 = (const float *)(const void *)x + o;
            float *ys4 = (float *)(void *)y + done;
            for (int64_t k = 0; k < inner; k++)
                ys4[k] = xs4[k];
        } else if (es == 4 && is == 1)
            memcpy(y + (size_t)done * 4, x + (size_t)o * 4, (size_t)inner * 4);
        else if (es == 4)
            for (int64_t k = 0; k < inner; k++)
                memcpy(y + (size_t)(done + k) * 4, x + (size_t)(o + k * is) * 4, 4);
        else
            for (int64_t k = 0; k < inner; k++)
                memcpy(y + (size_t)(done + k) * 8, x + (size_t)(o + k * is) * 8, 8);
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < yd[i])
                break;
            idx[i] = 0;
        }
    }
}

static void contiguous_strides(const struct sl_nn_value *v, int64_t *s)
{
    int64_t t = 1;
    for (int i = v->rank - 1; i >= 0; i--) {
        s[i] = t;
        t *= v->dims[i];
    }
}

/* 2-D transpose of a rows x cols matrix of es-byte elements, in tiles. */
static void transpose2d(const uint8_t *x, uint8_t *y, size_t es, int64_t rows, int64_t cols)
{
    enum { T = 16 };
    if (es == 4 && rows == 3) {          /* RGB planes -> interleaved */
        const float *r = (const float *)x, *g = r + cols, *b = g + cols;
        float *yf = (float *)y;
        for (int64_t j = 0; j < cols; j++) {
            yf[3 * j] = r[j];
            yf[3 * j + 1] = g[j];
            yf[3 * j + 2] = b[j];
        }
        return;
    }
    if (es == 4 && rows < 8) {           /* few rows (NCHW image -> NHWC) */
        const float *xf = (const float *)x;
        float *yf = (float *)y;
        for (int64_t j = 0; j < cols; j++)
            for (int64_t i = 0; i < rows; i++)
                yf[j * rows + i] = xf[i * cols + j];
        return;
    }
    for (int64_t i0 = 0; i0 < rows; i0 += T)
        for (int64_t j0 = 0; j0 < cols; j0 += T) {
            int64_t i1 = SL_MIN(rows, i0 + T), j1 = SL_MIN(cols, j0 + T);
            if (es == 4) {
                const float *xf = (const float *)x;
                float *yf = (float *)y;
                for (int64_t i = i0; i < i1; i++)
                    for (int64_t j = j0; j < j1; j++)
                        yf[j * rows + i] = xf[i * cols + j];
            } else {
                for (int64_t i = i0; i < i1; i++)
                    for (int64_t j = j0; j < j1; j++)
                        memcpy(y + (size_t)(j * rows + i) * es, x + (size_t)(i * cols + j) * es, es);
            }
        }
}

/* Transpose after dropping size-1 axes and merging axes that stay
 * adjacent: most layout conversions become a (batched) 2-D transpose. */
static void transpose_dims(const void *x, void *y, size_t es, int r, const int64_t *xd,
                           const int64_t *perm)
{
    int keep[SL_NN_MAX_RANK], nk = 0, map[SL_NN_MAX_RANK];
    for (int i = 0; i < r; i++) {
        map[i] = -1;
        if (xd[i] != 1)
            map[i] = nk, keep[nk++] = i;
    }
    /* output order of the kept input axes */
    int po[SL_NN_MAX_RANK], np = 0;
    for (int i = 0; i < r; i++)
        if (map[perm[i]] >= 0)
            po[np++] = map[perm[i]];
    /* merge runs that are consecutive in both orders */
    int64_t gd[SL_NN_MAX_RANK];          /* group sizes, indexed by group      */
    int gstart[SL_NN_MAX_RANK], ng = 0;  /* first kept input axis of group     */
    int gout[SL_NN_MAX_RANK];            /* output order of groups (by start)  */
    for (int i = 0; i < np; i++) {
        if (i > 0 && po[i] == po[i - 1] + 1) {
            gd[ng - 1] *= xd[keep[po[i]]];
            continue;
        }
        gstart[ng] = po[i];
        gd[ng] = xd[keep[po[i]]];
        gout[ng] = ng;
        ng++;
    }
    /* input order of groups = sort by start */
    int gin[SL_NN_MAX_RANK];
    for (int i = 0; i < ng; i++)
        gin[i] = i;
    for (int i = 1; i < ng; i++)
        for (int j = i; j > 0 && gstart[gin[j]] < gstart[gin[j - 1]]; j--) {
            int t = gin[j]; gin[j] = gin[j - 1]; gin[j - 1] = t;
        }
    (void)gout;
    if (ng <= 1) {
        int64_t n = 1;
        for (int i = 0; i < r; i++)
            n *= xd[i];
        memcpy(y, x, (size_t)n * es);
        return;
    }
    if (ng == 2) {                       /* output = (g0, g1), input = (g1, g0) */
        transpose2d(x, y, es, gd[gin[0]], gd[gin[1]]);
        return;
    }
    if (ng == 3 && gin[0] == 0) {        /* batch, then a 2-D swap */
        int64_t b = gd[0], rows = gd[gin[1]], cols = gd[gin[2]];
        size_t mat = (size_t)(rows * cols) * es;
        for (int64_t k = 0; k < b; k++)
            transpose2d((const uint8_t *)x + k * mat, (uint8_t *)y + k * mat, es, rows, cols);
        return;
    }
    /* generic: strides of the grouped input in output order */
    int64_t in_stride[SL_NN_MAX_RANK], t = 1, od[SL_NN_MAX_RANK], os[SL_NN_MAX_RANK];
    for (int i = ng - 1; i >= 0; i--) {
        in_stride[gin[i]] = t;
        t *= gd[gin[i]];
    }
    for (int i = 0; i < ng; i++) {
        od[i] = gd[i];
        os[i] = in_stride[i];
    }
    strided_copy(x, y, es, ng, od, os, 0);
}

static void transpose(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                      const void *x, void *y)
{
    if (V(0)->rank <= SL_NN_MAX_RANK) {
        transpose_dims(x, y, esize(V(0)), V(0)->rank, V(0)->dims, nd->list);
        return;
    }
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    int64_t xs[SL_NN_MAX_RANK], ps[SL_NN_MAX_RANK];
    contiguous_strides(xv, xs);
    for (int i = 0; i < yv->rank; i++)
        ps[i] = xs[nd->list[i]];
    strided_copy(x, y, esize(xv), yv->rank, yv->dims, ps, 0);
}

static void slice(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                  const void *x, void *y)
{
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    int64_t xs[SL_NN_MAX_RANK], base = 0;
    contiguous_strides(xv, xs);
    for (int i = 0; i < xv->rank; i++)
        base += nd->list[i] * xs[i];
    strided_copy(x, y, esize(xv), yv->rank, yv->dims, xs, base);
}

static void gather(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                   const void *x, const int64_t *ix, void *y)
{
    const struct sl_nn_value *xv = V(0), *iv = V(1);
    size_t es = esize(xv);
    int64_t outer, inner, ax = xv->dims[nd->axis];
    around_axis(xv, nd->axis, &outer, &inner);
    int64_t ni = sl__nn_numel(iv);
    size_t chunk = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < ni; k++) {
            int64_t j = ix[k] < 0 ? ix[k] + ax : ix[k];
            if (j < 0 || j >= ax)
                j = 0;                           /* checked at load */
            memcpy((uint8_t *)y + (size_t)(o * ni + k) * chunk,
                   (const uint8_t *)x + (size_t)(o * ax + j) * chunk, chunk);
        }
}

static void pad(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    int r = yv->rank;
    if (nd->pad_mode == 0 && r >= 1) {
        /* rows of the last axis: fill, copy, fill */
        int64_t idx[SL_NN_MAX_RANK] = { 0 }, xs2[SL_NN_MAX_RANK];
        contiguous_strides(xv, xs2);
        int64_t L = yv->dims[r - 1], lp = nd->list[r - 1], xl = xv->dims[r - 1];
        int64_t rows = sl__nn_numel(yv) / (L ? L : 1);
        for (int64_t row = 0; row < rows; row++) {
            float *yr = y + row * L;
            int64_t o = 0;
            bool inside = true;
            for (int i = 0; i < r - 1; i++) {
                int64_t sidx = idx[i] - nd->list[i];
                if (sidx < 0 || sidx >= xv->dims[i]) {
                    inside = false;
                    break;
                }
                o += sidx * xs2[i];
            }
            if (!inside) {
                for (int64_t k = 0; k < L; k++)
                    yr[k] = nd->alpha;
            } else {
                for (int64_t k = 0; k < lp; k++)
                    yr[k] = nd->alpha;
                memcpy(yr + lp, x + o, (size_t)xl * sizeof(float));
                for (int64_t k = lp + xl; k < L; k++)
                    yr[k] = nd->alpha;
            }
            for (int i = r - 2; i >= 0; i--) {
                if (++idx[i] < yv->dims[i])
                    break;
                idx[i] = 0;
            }
        }
        return;
    }
    int64_t idx[SL_NN_MAX_RANK] = { 0 }, xs[SL_NN_MAX_RANK];
    contiguous_strides(xv, xs);
    int64_t total = sl__nn_numel(yv);
    for (int64_t t = 0; t < total; t++) {
        int64_t o = 0;
        bool inside = true;
        for (int i = 0; i < r; i++) {
            int64_t s = idx[i] - nd->list[i];
            if (s < 0 || s >= xv->dims[i]) {
                if (nd->pad_mode == 0) {
                    inside = false;
                    break;
                }
                s = s < 0 ? 0 : xv->dims[i] - 1;
            }
            o += s * xs[i];
        }
        y[t] = inside ? x[o] : nd->alpha;
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < yv->dims[i])
                break;
            idx[i] = 0;
        }
    }
}

static void shuffle(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                    const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0);
    int64_t g = nd->list[0], C, outer, inner;
    if (xv->nhwc) {
        C = xv->dims[3];
        outer = xv->dims[0] * xv->dims[1] * xv->dims[2];
        inner = 1;
    } else {
        C = xv->dims[1];
        outer = xv->dims[0];
        inner = xv->dims[2] * xv->dims[3];
    }
    /* [outer, g, C/g, inner] -> [outer, C/g, g, inner] */
    int64_t cg = C / g;
    if (inner == 1) {
        for (int64_t o = 0; o < outer; o++)
            transpose2d((const uint8_t *)(x + o * C), (uint8_t *)(y + o * C), 4, g, cg);
        return;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t a = 0; a < cg; a++)
            for (int64_t b = 0; b < g; b++)
                memcpy(y + ((o * cg + a) * g + b) * inner, x + ((o * g + b) * cg + a) * inner,
                       (size_t)inner * sizeof(float));
}

/* ============================ Reductions ================================ */
static void reduce_mean(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                        const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0), *yv = O(0);
    int r = xv->rank;
    bool red[SL_NN_MAX_RANK] = { false };
    for (int i = 0; i < nd->nlist; i++)
        red[nd->list[i]] = true;
    /* output stride per input axis (0 for reduced axes) */
    int64_t os[SL_NN_MAX_RANK], t = 1, cnt = 1;
    for (int i = r - 1; i >= 0; i--) {
        if (red[i]) {
            os[i] = 0;
            cnt *= xv->dims[i];
        } else {
            os[i] = t;
            t *= xv->dims[i];
        }
    }
    int64_t ny = sl__nn_numel(yv), nx = sl__nn_numel(xv);
    for (int64_t k = 0; k < ny; k++)
        y[k] = 0.0f;
    /* fast path: reduced axes form one run [outer, mid, inner] */
    int first = -1, lastr = -1;
    bool run = true;
    for (int i = 0; i < r; i++)
        if (red[i]) {
            if (first < 0)
                first = i;
            else if (lastr != i - 1)
                run = false;
            lastr = i;
        }
    if (run && first >= 0) {
        int64_t outer = 1, mid = 1, inner = 1;
        for (int i = 0; i < r; i++)
            if (i < first)
                outer *= xv->dims[i];
            else if (i <= lastr)
                mid *= xv->dims[i];
            else
                inner *= xv->dims[i];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t k = 0; k < mid; k++) {
                const float *xp = x + (o * mid + k) * inner;
                float *yp = y + o * inner;
                for (int64_t i = 0; i < inner; i++)
                    yp[i] += xp[i];
            }
        for (int64_t k = 0; k < ny; k++)
            y[k] /= (float)(cnt ? cnt : 1);
        return;
    }
    int64_t idx[SL_NN_MAX_RANK] = { 0 };
    for (int64_t k = 0; k < nx; k++) {
        int64_t o = 0;
        for (int i = 0; i < r; i++)
            o += idx[i] * os[i];
        y[o] += x[k];
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < xv->dims[i])
                break;
            idx[i] = 0;
        }
    }
    for (int64_t k = 0; k < ny; k++)
        y[k] /= (float)(cnt ? cnt : 1);
}

static void softmax(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                    const float *x, float *y)
{
    const struct sl_nn_value *xv = V(0);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < xv->rank; i++)
        if (i < nd->axis)
            outer *= xv->dims[i];
        else
            inner *= xv->dims[i];
    for (int64_t o = 0; o < outer; o++) {
        const float *xp = x + o * inner;
        float *yp = y + o * inner;
        float mx = -INFINITY, s = 0.0f;
        for (int64_t k = 0; k < inner; k++)
            mx = xp[k] > mx ? xp[k] : mx;
        for (int64_t k = 0; k < inner; k++) {
            yp[k] = expf(xp[k] - mx);
            s += yp[k];
        }
        for (int64_t k = 0; k < inner; k++)
            yp[k] /= s;
    }
}

static void batchnorm(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                      void *const *p)
{
    const struct sl_nn_value *xv = V(0);
    if (nd->nin == 3) {                          /* precomputed scale, shift */
        const float *x = p[0], *sc = p[1], *sh = p[2];
        float *y = p[3];
        int64_t C = xv->dims[nd->axis], inner, outer;
        around_axis(xv, nd->axis, &outer, &inner);
        if (inner == 1) {                        /* NHWC: channels innermost */
            float lo = nd->act == SL_ACT_NONE ? -INFINITY : nd->act_min;
            float hi = nd->act == SL_ACT_CLIP ? nd->act_max : INFINITY;
            for (int64_t o = 0; o < outer; o++) {
                const float *xp = x + o * C;
                float *yp = y + o * C;
                for (int64_t c = 0; c < C; c++) {
                    float v = xp[c] * sc[c] + sh[c];
                    v = v < lo ? lo : v;
                    yp[c] = v > hi ? hi : v;
                }
            }
            return;
        }
        for (int64_t o = 0; o < outer; o++)
            for (int64_t c = 0; c < C; c++) {
                int64_t base = (o * C + c) * inner;
                for (int64_t k = 0; k < inner; k++)
                    y[base + k] = act_apply(nd, x[base + k] * sc[c] + sh[c]);
            }
        return;
    }
    const float *x = p[0], *g = p[1], *b = p[2], *mu = p[3], *var = p[4];
    float *y = p[nd->nin];
    int64_t C = xv->dims[nd->axis], inner, outer;
    around_axis(xv, nd->axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < C; c++) {
            float s = g[c] / sqrtf(var[c] + nd->eps), t = b[c] - mu[c] * s;
            int64_t base = (o * C + c) * inner;
            for (int64_t k = 0; k < inner; k++)
                y[base + k] = x[base + k] * s + t;
        }
}

/* ============================ Kernels of the op table ==================== */
/* One per row of sl__nn_ops (ops.c): ptrs = the node's inputs (NULL for
 * absent optionals) then its outputs. */
#define REF_FN(name) void sl__nn_ref_##name(const struct sl_nn_model *m, \
                                            const struct sl_nn_node *nd, void *const *ptrs)
#define OUT0 (ptrs[nd->nin])

REF_FN(conv) { conv_nhwc(m, nd, ptrs[0], ptrs[1], nd->nin > 2 ? ptrs[2] : NULL, OUT0); }
REF_FN(pool) { pool_nhwc(m, nd, ptrs[0], OUT0); }
REF_FN(gap) { gap_nhwc(m, nd, ptrs[0], OUT0); }
REF_FN(batchnorm) { batchnorm(m, nd, ptrs); }

REF_FN(relu)
{
    int64_t n = sl__nn_numel(O(0));
    const float *x = ptrs[0];
    float *o = OUT0;
    for (int64_t i = 0; i < n; i++)
        o[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

REF_FN(clip)
{
    int64_t n = sl__nn_numel(O(0));
    const float *x = ptrs[0];
    float *o = OUT0;
    for (int64_t i = 0; i < n; i++)
        o[i] = x[i] < nd->clip_min ? nd->clip_min : x[i] > nd->clip_max ? nd->clip_max : x[i];
}

REF_FN(unary)                                    /* Tanh, Sigmoid, Exp */
{
    int64_t n = sl__nn_numel(O(0));
    const float *x = ptrs[0];
    float *o = OUT0;
    for (int64_t i = 0; i < n; i++)
        o[i] = nd->op == SL_OP_TANH ? tanhf(x[i]) :
               nd->op == SL_OP_EXP ? expf(x[i]) : 1.0f / (1.0f + expf(-x[i]));
}

REF_FN(binary) { binary(m, nd, ptrs[0], ptrs[1], OUT0); }
REF_FN(softmax) { softmax(m, nd, ptrs[0], OUT0); }
REF_FN(matmul) { matmul(m, nd, ptrs[0], ptrs[1], OUT0); }
REF_FN(gemm) { gemm(m, nd, ptrs[0], ptrs[1], nd->nin > 2 ? ptrs[2] : NULL, OUT0); }
REF_FN(concat) { concat(m, nd, ptrs); }
REF_FN(split) { split(m, nd, ptrs); }
REF_FN(slice) { slice(m, nd, ptrs[0], OUT0); }
REF_FN(transpose) { transpose(m, nd, ptrs[0], OUT0); }

REF_FN(copy)                    /* views: Reshape, Flatten, (Un)Squeeze, ... */
{
    if (OUT0 != ptrs[0])
        memmove(OUT0, ptrs[0], sl__nn_nbytes(O(0)));
}

REF_FN(gather) { gather(m, nd, ptrs[0], ptrs[1], OUT0); }
REF_FN(reduce_mean) { reduce_mean(m, nd, ptrs[0], OUT0); }
REF_FN(pad) { pad(m, nd, ptrs[0], OUT0); }
REF_FN(shuffle) { shuffle(m, nd, ptrs[0], OUT0); }

/* ============================ Dispatch ================================== */
sl_status sl__nn_ref_run(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                         void *const *ptrs)
{
    sl_nn_ref_fn fn = nd->op >= 0 && nd->op < SL_OP_COUNT ? sl__nn_ops[nd->op].ref : NULL;
    if (!fn)
        return SL_ERR_INTERNAL;
    fn(m, nd, ptrs);
    return SL_OK;
}

/* ============================ The ref backend =========================== */
static sl_status ref_open(void **ctx, int threads)
{
    (void)threads;
    *ctx = NULL;
    return SL_OK;
}

static void ref_close(void *ctx)
{
    (void)ctx;
}

static sl_status ref_prepare(void *ctx, const struct sl_nn_exec *x, int n, void **op)
{
    (void)ctx;
    (void)x;
    (void)n;
    *op = NULL;
    return SL_OK;
}

static sl_status ref_node_run(void *ctx, const struct sl_nn_exec *x, int n, void *op)
{
    (void)ctx;
    (void)op;
    const struct sl_nn_node *nd = &x->m->nodes[n];
    void *ptrs[2 * SL_NN_MAX_NODE_IO + 2];
    for (int i = 0; i < nd->nin; i++)
        ptrs[i] = nd->in[i] >= 0 ? sl__nn_ptr(x, nd->in[i]) : NULL;
    for (int o = 0; o < nd->nout; o++)
        ptrs[nd->nin + o] = sl__nn_ptr(x, nd->out[o]);
    return sl__nn_ref_run(x->m, nd, ptrs);
}

const struct sl_nn_backend_ops sl__nn_backend_ref = {
    .name = "ref",
    .open = ref_open,
    .close = ref_close,
    .node_prepare = ref_prepare,
    .node_run = ref_node_run,
    .node_free = NULL,
};
