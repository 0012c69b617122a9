/*
 * backend_xnnpack.c -- the XNNPACK backend, through XNNPACK's operator API
 * (the Debian 2022-02-16 snapshot). This is the only file that includes
 * xnnpack.h: an upgrade of XNNPACK is a port of this file. Built only with
 * XNNPACK=1 (SL_HAVE_XNNPACK).
 *
 * Each node gets one XNNPACK operator, created AND set up at session
 * creation with the session arena's fixed pointers; a run is then just
 * xnn_run_operator() per node: no allocation per inference. XNNPACK's own
 * allocations go through sl__aligned_alloc (the xnn_allocator below), so
 * sl__alloc_calls() sees them too: the tests check it does not move
 * across a run. Ops XNNPACK lacks here (Tanh, Exp, Transpose other than a
 * channel shuffle, Concat, Split, Slice, Pad with mode edge, ...) answer
 * SL_ERR_UNSUPPORTED and the session runs them on ref.
 */
#include <math.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "shualian/nn.h"
#include "nn/nn_int.h"
#include "nn/dwconv.h"
#include "nn/pointwise.h"
#include "nn/winograd.h"

/* ============================ Initialisation ============================ */
static void *xa_alloc(void *ctx, size_t n) { (void)ctx; return sl__malloc(n); }
static void *xa_realloc(void *ctx, void *p, size_t n) { (void)ctx; return sl__realloc(p, n); }
static void xa_free(void *ctx, void *p) { (void)ctx; sl__free(p); }
static void *xa_aligned(void *ctx, size_t al, size_t n)
{
    (void)ctx;
    return sl__aligned_alloc(al < 64 ? 64 : al, n ? n : 1);
}

static const struct xnn_allocator xa = {
    .context = NULL,
    .allocate = xa_alloc,
    .reallocate = xa_realloc,
    .deallocate = xa_free,
    .aligned_allocate = xa_aligned,
    .aligned_deallocate = xa_free,
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum xnn_status init_status = xnn_status_uninitialized;

static void init_xnn(void)
{
    init_status = xnn_initialize(&xa);
}

/* ============================ Session state ============================= */
struct xctx {
    pthreadpool_t tp;              /* NULL when single-threaded              */
    uint32_t flags;                /* XNN_FLAG_YIELD_WORKERS with threads   */
    bool serial;                   /* run on the calling thread only (set by
                                      the session's adaptive policy)         */
};

/* Ops XNNPACK 2022 lacks but that are hot in the face models run as our
 * own kernels here (AVX2 when the CPU has it, split over the same
 * threadpool): BatchNormalization as scale/shift (+Relu), Tanh, Exp. */
enum { XK_XNN, XK_AFFINE, XK_TANH, XK_EXP, XK_SOFTMAX, XK_GDW, XK_WINO, XK_PW, XK_DW };

struct xop {
    xnn_operator_t op;
    float *extra;                  /* owned: expanded slopes etc.            */
    int kind;                      /* XK_*                                   */
    const float *x, *sc, *sh;      /* own kernels: input, scale, shift       */
    float *y;
    size_t rows, C;                /* affine: rows of C; unary: rows of C    */
    float lo, hi;                  /* affine: output range (fused act)       */
    struct sl_nn_wino *wino;       /* owned: XK_WINO state (winograd.h)      */
    sl_nn_wino_fn wino_fn;
    struct sl_nn_pw *pw;           /* owned: XK_PW state (pointwise.h)       */
    sl_nn_pw_fn pw_fn;
    struct sl_nn_dw *dw;           /* owned: XK_DW state (dwconv.h)          */
    sl_nn_dw_fn dw_fn;
};

static sl_status xp_open(void **ctx, int threads)
{
    pthread_once(&init_once, init_xnn);
    if (init_status != xnn_status_success)
        return SL_ERR_UNSUPPORTED;
    struct xctx *c = sl__calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    if (threads > 1) {
        /* workers sleep after each operator instead of spinning (like ORT
         * with allow_spinning = 0): on a shared machine a spinning pool
         * burns the other jobs' CPU and loses whole time slices when one
         * worker is descheduled (measured: p90 130 ms -> 20 ms on
         * fr_feature with 2 threads at load average 7) */
        c->flags = XNN_FLAG_YIELD_WORKERS;
        c->tp = pthreadpool_create((size_t)threads);
        if (!c->tp) {
            sl__free(c);
            return SL_ERR_NOMEM;
        }
    }
    *ctx = c;
    return SL_OK;
}

static void xp_close(void *ctx)
{
    struct xctx *c = ctx;
    if (!c)
        return;
    if (c->tp)
        pthreadpool_destroy(c->tp);
    sl__free(c);
}

static void xp_free(void *ctx, void *p)
{
    (void)ctx;
    struct xop *o = p;
    if (!o)
        return;
    if (o->op)
        xnn_delete_operator(o->op);
    if (o->dw) {
        sl__nn_dw_free(o->dw);
        sl__free(o->dw);
    }
    if (o->pw) {
        sl__nn_pw_free(o->pw);
        sl__free(o->pw);
    }
    if (o->wino) {
        sl__nn_wino_free(o->wino);
        sl__free(o->wino);
    }
    sl__free(o->extra);
    sl__free(o);
}

static void act_range(const struct sl_nn_node *nd, float *lo, float *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    if (nd->act == SL_ACT_RELU) {
        *lo = 0.0f;
    } else if (nd->act == SL_ACT_CLIP) {
        *lo = nd->act_min;
        *hi = nd->act_max;
    }
}

static sl_status xs(enum xnn_status s)
{
    switch (s) {
    case xnn_status_success:          return SL_OK;
    case xnn_status_out_of_memory:    return SL_ERR_NOMEM;
    case xnn_status_unsupported_parameter:
    case xnn_status_unsupported_hardware:
    case xnn_status_invalid_parameter: return SL_ERR_UNSUPPORTED;
    default:                          return SL_ERR_INTERNAL;
    }
}

/* Binary op on physical shapes (numpy broadcasting). */
static enum xnn_status binary(const struct sl_nn_exec *x, const struct sl_nn_node *nd,
                              xnn_operator_t *op, pthreadpool_t tp, uint32_t fl)
{
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_value *a = &m->values[nd->in[0]], *b = &m->values[nd->in[1]];
    size_t da[SL_NN_MAX_RANK], db[SL_NN_MAX_RANK];
    size_t ra = a->rank ? (size_t)a->rank : 1, rb = b->rank ? (size_t)b->rank : 1;
    da[0] = db[0] = 1;
    for (int i = 0; i < a->rank; i++)
        da[i] = (size_t)a->dims[i];
    for (int i = 0; i < b->rank; i++)
        db[i] = (size_t)b->dims[i];
    float lo = -INFINITY, hi = INFINITY;
    enum xnn_status s;
    const float *pa = sl__nn_ptr(x, nd->in[0]), *pb = sl__nn_ptr(x, nd->in[1]);
    float *py = sl__nn_ptr(x, nd->out[0]);
    switch (nd->op) {
    case SL_OP_ADD:
        if ((s = xnn_create_add_nd_f32(lo, hi, fl, op)))
            return s;
        return xnn_setup_add_nd_f32(*op, ra, da, rb, db, pa, pb, py, tp);
    case SL_OP_SUB:
        if ((s = xnn_create_subtract_nd_f32(lo, hi, fl, op)))
            return s;
        return xnn_setup_subtract_nd_f32(*op, ra, da, rb, db, pa, pb, py, tp);
    case SL_OP_MUL:
        if ((s = xnn_create_multiply_nd_f32(lo, hi, fl, op)))
            return s;
        return xnn_setup_multiply_nd_f32(*op, ra, da, rb, db, pa, pb, py, tp);
    default:
        if ((s = xnn_create_divide_nd_f32(lo, hi, fl, op)))
            return s;
        return xnn_setup_divide_nd_f32(*op, ra, da, rb, db, pa, pb, py, tp);
    }
}

/* A Transpose that swaps the last two non-trivial axes of [outer, a, b]:
 * XNNPACK's channel shuffle (ShuffleNet). Returns true and the sizes. */
static bool as_shuffle(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                       size_t *outer, size_t *ga, size_t *gb)
{
    const struct sl_nn_value *v = &m->values[nd->in[0]];
    int r = v->rank;
    if (r < 2 || nd->list[r - 1] != r - 2 || nd->list[r - 2] != r - 1)
        return false;
    for (int i = 0; i < r - 2; i++)
        if (nd->list[i] != i)
            return false;
    *outer = 1;
    for (int i = 0; i < r - 2; i++)
        *outer *= (size_t)v->dims[i];
    *ga = (size_t)v->dims[r - 2];
    *gb = (size_t)v->dims[r - 1];
    return *ga > 1 && *gb > 1;
}

/* ============================ Own kernels =============================== */
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static bool have_avx2(void)
{
#if defined(__x86_64__)
    return (sl_cpu_features() & SL_CPU_AVX2) != 0;
#else
    return false;
#endif
}

static void affine_rows_scalar(const struct xop *o, size_t r0, size_t nr)
{
    size_t C = o->C;
    for (size_t r = r0; r < r0 + nr; r++) {
        const float *x = o->x + r * C;
        float *y = o->y + r * C;
        for (size_t c = 0; c < C; c++) {
            float v = x[c] * o->sc[c] + o->sh[c];
            v = v < o->lo ? o->lo : v;
            y[c] = v > o->hi ? o->hi : v;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void affine_rows_avx2(const struct xop *o, size_t r0, size_t nr)
{
    size_t C = o->C;
    __m256 lo = _mm256_set1_ps(o->lo), hi = _mm256_set1_ps(o->hi);
    for (size_t r = r0; r < r0 + nr; r++) {
        const float *x = o->x + r * C;
        float *y = o->y + r * C;
        size_t c = 0;
        for (; c + 8 <= C; c += 8) {
            __m256 v = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(o->sc + c),
                                       _mm256_loadu_ps(o->sh + c));
            _mm256_storeu_ps(y + c, _mm256_min_ps(_mm256_max_ps(v, lo), hi));
        }
        for (; c < C; c++) {
            float v = x[c] * o->sc[c] + o->sh[c];
            v = v < o->lo ? o->lo : v;
            y[c] = v > o->hi ? o->hi : v;
        }
    }
}

/* exp(x) for x in [-87.3, 88.7]: Cephes' expf polynomial after range
 * reduction x = n ln2 + r; about 1 ulp. Out of range: 0 / +inf. */
__attribute__((target("avx2,fma")))
static __m256 exp8(__m256 x)
{
    const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3365447505531f);
    __m256 big = _mm256_cmp_ps(x, hi, _CMP_GT_OQ), small = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 v = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    v = _mm256_blendv_ps(v, _mm256_set1_ps(INFINITY), big);
    return _mm256_blendv_ps(v, _mm256_setzero_ps(), small);
}

/* tanh: odd rational minimax approximation p(x)/q(x) on [-7.905, 7.905]
 * (the form Eigen uses); measured max abs error 2.6e-7 against double
 * tanh over [-20, 20] in steps of 1e-4; beyond the clamp tanh is +-1 in
 * float. One division, no exp. */
__attribute__((target("avx2,fma")))
static __m256 tanh8(__m256 x)
{
    const __m256 lim = _mm256_set1_ps(7.90531110763549805f);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_sub_ps(_mm256_setzero_ps(), lim)), lim);
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.76076847742355e-16f), _mm256_set1_ps(2.00018790482477e-13f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-8.60467152213735e-11f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(5.12229709037114e-08f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(1.48572235717979e-05f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(6.37261928875436e-04f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(4.89352455891786e-03f));
    p = _mm256_mul_ps(x, p);
    __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(1.19825839466702e-06f), _mm256_set1_ps(1.18534705686654e-04f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(2.26843463243900e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(4.89352518554385e-03f));
    return _mm256_div_ps(p, q);
}

__attribute__((target("avx2,fma")))
static void unary_avx2(const struct xop *o, size_t i0, size_t n)
{
    const float *x = o->x + i0;
    float *y = o->y + i0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, o->kind == XK_TANH ? tanh8(v) : exp8(v));
    }
    if (i < n) {                                 /* tail through a buffer */
        float buf[8] = { 0 };
        memcpy(buf, x + i, (n - i) * sizeof(float));
        __m256 v = _mm256_loadu_ps(buf);
        _mm256_storeu_ps(buf, o->kind == XK_TANH ? tanh8(v) : exp8(v));
        memcpy(y + i, buf, (n - i) * sizeof(float));
    }
}
#endif

static void unary_scalar(const struct xop *o, size_t i0, size_t n)
{
    for (size_t i = i0; i < i0 + n; i++)
        o->y[i] = o->kind == XK_TANH ? tanhf(o->x[i]) : expf(o->x[i]);
}

/* Softmax over rows of a few values (fr_detect: 4420 rows of 2), where
 * XNNPACK's per-row setup dominates: max, exp (vectorised over the
 * whole tile), sum, scale. */
#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void softmax_rows_avx2(const struct xop *o, size_t r0, size_t nr)
{
    size_t C = o->C, n = nr * C;
    const float *x = o->x + r0 * C;
    float *y = o->y + r0 * C;
    for (size_t r = 0; r < nr; r++) {
        float mx = x[r * C];
        for (size_t c = 1; c < C; c++)
            mx = x[r * C + c] > mx ? x[r * C + c] : mx;
        for (size_t c = 0; c < C; c++)
            y[r * C + c] = x[r * C + c] - mx;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(y + i)));
    for (; i < n; i++)
        y[i] = expf(y[i]);
    for (size_t r = 0; r < nr; r++) {
        float s = 0.0f;
        for (size_t c = 0; c < C; c++)
            s += y[r * C + c];
        float inv = 1.0f / s;
        for (size_t c = 0; c < C; c++)
            y[r * C + c] *= inv;
    }
}
#endif

static void softmax_rows_scalar(const struct xop *o, size_t r0, size_t nr)
{
    size_t C = o->C;
    for (size_t r = r0; r < r0 + nr; r++) {
        const float *x = o->x + r * C;
        float *y = o->y + r * C, mx = x[0], s = 0.0f;
        for (size_t c = 1; c < C; c++)
            mx = x[c] > mx ? x[c] : mx;
        for (size_t c = 0; c < C; c++)
            s += y[c] = expf(x[c] - mx);
        for (size_t c = 0; c < C; c++)
            y[c] /= s;
    }
}

/* Global depthwise conv (kernel = whole input, no padding, 1x1 output:
 * MobileFaceNet's GDConv 7x7x512, landmark's 4x4x512, liveness's 8x8x512).
 * This XNNPACK has no depthwise kernel for 16/49/64 taps and falls back to
 * 512 one-channel GEMMs (~1 GFLOP/s). Weights repacked tap-major [P][C]
 * in extra, bias after them. rows = P taps, C channels. */
static void gdw_scalar(const struct xop *o)
{
    size_t C = o->C, P = o->rows;
    const float *w = o->extra, *b = o->extra + P * C;
    for (size_t c = 0; c < C; c++)
        o->y[c] = b[c];
    for (size_t p = 0; p < P; p++)
        for (size_t c = 0; c < C; c++)
            o->y[c] += o->x[p * C + c] * w[p * C + c];
    for (size_t c = 0; c < C; c++)
        o->y[c] = o->y[c] < o->lo ? o->lo : o->y[c] > o->hi ? o->hi : o->y[c];
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void gdw_avx2(const struct xop *o)
{
    size_t C = o->C, P = o->rows, c = 0;
    const float *w = o->extra, *b = o->extra + P * C;
    __m256 lo = _mm256_set1_ps(o->lo), hi = _mm256_set1_ps(o->hi);
    for (; c + 8 <= C; c += 8) {
        __m256 acc = _mm256_loadu_ps(b + c);
        for (size_t p = 0; p < P; p++)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(o->x + p * C + c), _mm256_loadu_ps(w + p * C + c), acc);
        _mm256_storeu_ps(o->y + c, _mm256_min_ps(_mm256_max_ps(acc, lo), hi));
    }
    for (; c < C; c++) {
        float acc = b[c];
        for (size_t p = 0; p < P; p++)
            acc += o->x[p * C + c] * w[p * C + c];
        o->y[c] = acc < o->lo ? o->lo : acc > o->hi ? o->hi : acc;
    }
}
#endif

#if !defined(__x86_64__)   /* have_avx2() is false: the scalar kernels */
#define affine_rows_avx2  affine_rows_scalar
#define unary_avx2        unary_scalar
#define softmax_rows_avx2 softmax_rows_scalar
#define gdw_avx2          gdw_scalar
#endif

static void own_task(void *ctx, size_t start, size_t count)
{
    const struct xop *o = ctx;
    bool v = have_avx2();
    if (o->kind == XK_GDW) {
        (void)start;
        (void)count;
        (v ? gdw_avx2 : gdw_scalar)(o);
        return;
    }
    if (o->kind == XK_SOFTMAX)
        (v ? softmax_rows_avx2 : softmax_rows_scalar)(o, start, count);
    else if (o->kind == XK_AFFINE)
        (v ? affine_rows_avx2 : affine_rows_scalar)(o, start, count);
    else
        (v ? unary_avx2 : unary_scalar)(o, start, count);
}

static sl_status own_prepare(struct xop *o, const struct sl_nn_exec *x,
                             const struct sl_nn_node *nd)
{
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_value *xv = &m->values[nd->in[0]];
    o->x = sl__nn_ptr(x, nd->in[0]);
    o->y = sl__nn_ptr(x, nd->out[0]);
    if (nd->op == SL_OP_BATCHNORM) {
        if (nd->nin != 3 || nd->axis != xv->rank - 1)
            return SL_ERR_UNSUPPORTED;
        o->kind = XK_AFFINE;
        o->sc = m->values[nd->in[1]].data;
        o->sh = m->values[nd->in[2]].data;
        o->C = (size_t)xv->dims[xv->rank - 1];
        o->rows = (size_t)(sl__nn_numel(xv) / (int64_t)o->C);
        act_range(nd, &o->lo, &o->hi);
        return SL_OK;
    }
    if (nd->op == SL_OP_SOFTMAX) {
        int64_t inner = 1;
        for (int i = (int)nd->axis; i < xv->rank; i++)
            inner *= xv->dims[i];
        if (inner > 32)
            return SL_ERR_UNSUPPORTED;           /* XNNPACK's softmax */
        o->kind = XK_SOFTMAX;
        o->C = (size_t)inner;
        o->rows = (size_t)(sl__nn_numel(xv) / inner);
        return SL_OK;
    }
    o->kind = nd->op == SL_OP_TANH ? XK_TANH : XK_EXP;
    o->C = 1;
    o->rows = (size_t)sl__nn_numel(xv);
    return SL_OK;
}

/* Winograd F(4x4, 3x3) (winograd.h) for 3x3 stride-1 dense convs with
 * enough channels; only where a SIMD kernel exists (the plain C one is
 * the tests' oracle, slower than XNNPACK's direct conv). Channel
 * thresholds measured on fr_expression's 56x56x128 -> 32 and smaller
 * shapes (docs/nn.md). SL_NN_KERNEL_WINOGRAD in the session options turns
 * it off (A/B measurements). */
/* true if the session's options switch one of our own kernels off for A/B
 * runs (sl_nn_options.kernels_off; the CLI maps SL_NN_WINOGRAD=0,
 * SL_NN_PW=0, SL_NN_DW=0 onto it). */
static bool own_kernel_off(const struct sl_nn_exec *x, unsigned bit)
{
    return (x->kernels_off & bit) != 0;
}

#define WINO_MIN_C 32
#define WINO_MIN_M 16
#define WINO_MIN_TILES 36   /* 4x4 output tiles: 28x28 (49) wins 1.7x, 14x14
                               (16) breaks even, 7x7 (4) loses 2.4x        */

static bool wino_fits(const struct sl_nn_exec *x, const struct sl_nn_value *xv,
                      const struct sl_nn_value *yv, const struct sl_nn_conv_p *c)
{
    if (own_kernel_off(x, SL_NN_KERNEL_WINOGRAD))
        return false;
    return sl__nn_wino_fast() && c->kh == 3 && c->kw == 3 && c->sh == 1 && c->sw == 1 &&
           c->dh == 1 && c->dw == 1 && c->group == 1 && xv->dims[0] == 1 &&
           c->pt <= 2 && c->pl <= 2 && xv->dims[3] >= WINO_MIN_C && yv->dims[3] >= WINO_MIN_M &&
           ((yv->dims[1] + 3) / 4) * ((yv->dims[2] + 3) / 4) >= WINO_MIN_TILES;
}

static sl_status wino_prepare(struct xctx *ctx, const struct sl_nn_exec *x,
                              const struct sl_nn_node *nd, struct xop *o, float lo, float hi)
{
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_value *xv = &m->values[nd->in[0]], *yv = &m->values[nd->out[0]];
    const float *bias = nd->nin > 2 && nd->in[2] >= 0 ? m->values[nd->in[2]].data : NULL;
    if (!m->values[nd->in[1]].data)
        return SL_ERR_UNSUPPORTED;
    o->wino = sl__calloc(1, sizeof *o->wino);
    if (!o->wino)
        return SL_ERR_NOMEM;
    int workers = ctx->tp ? (int)pthreadpool_get_threads_count(ctx->tp) : 1;
    sl_status st = sl__nn_wino_init(o->wino, (int)xv->dims[1], (int)xv->dims[2], (int)xv->dims[3],
                                    (int)yv->dims[3], (int)yv->dims[1], (int)yv->dims[2],
                                    nd->conv.pt, nd->conv.pl, m->values[nd->in[1]].data, bias,
                                    lo, hi, workers);
    if (st) {
        sl__free(o->wino);
        o->wino = NULL;
        return st == SL_ERR_INVALID ? SL_ERR_UNSUPPORTED : st;
    }
    o->kind = XK_WINO;
    o->wino_fn = sl__nn_wino_pick();
    o->x = sl__nn_ptr(x, nd->in[0]);
    o->y = sl__nn_ptr(x, nd->out[0]);
    return SL_OK;
}

/* 1x1 stride-1 unpadded dense conv = one GEMM with our AVX-512 12x32
 * kernel (pointwise.h). SL_NN_KERNEL_POINTWISE in the session options turns it off. */
static bool pw_fits(const struct sl_nn_exec *x, const struct sl_nn_value *xv, const struct sl_nn_node *nd)
{
    const struct sl_nn_conv_p *c = &nd->conv;
    if (own_kernel_off(x, SL_NN_KERNEL_POINTWISE))
        return false;
    return sl__nn_pw_pick() != sl__nn_pw_blocks_c && c->kh == 1 && c->kw == 1 &&
           c->sh == 1 && c->sw == 1 && c->group == 1 && !c->pt && !c->pl && !c->pb && !c->pr &&
           xv->dims[0] == 1 && nd->act != SL_ACT_PRELU;
}

static sl_status pw_prepare(const struct sl_nn_exec *x, const struct sl_nn_node *nd,
                            struct xop *o, float lo, float hi)
{
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_value *xv = &m->values[nd->in[0]], *yv = &m->values[nd->out[0]];
    const float *bias = nd->nin > 2 && nd->in[2] >= 0 ? m->values[nd->in[2]].data : NULL;
    if (!m->values[nd->in[1]].data)
        return SL_ERR_UNSUPPORTED;
    o->pw = sl__calloc(1, sizeof *o->pw);
    if (!o->pw)
        return SL_ERR_NOMEM;
    sl_status st = sl__nn_pw_init(o->pw, (int)(xv->dims[1] * xv->dims[2]), (int)xv->dims[3],
                                  (int)yv->dims[3], m->values[nd->in[1]].data, bias, lo, hi);
    if (st) {
        sl__free(o->pw);
        o->pw = NULL;
        return st == SL_ERR_INVALID ? SL_ERR_UNSUPPORTED : st;
    }
    o->kind = XK_PW;
    o->pw_fn = sl__nn_pw_pick();
    o->x = sl__nn_ptr(x, nd->in[0]);
    o->y = sl__nn_ptr(x, nd->out[0]);
    return SL_OK;
}

/* Depthwise 3x3, stride 1 or 2, with few channels (dwconv.h): measured
 * against XNNPACK's depthwise conv on fr_detect (min of 3 alternating
 * rounds): 120x160x16 0.82x, 60x80x32 0.40x, but 64 channels 1.0x and
 * 128/256 channels 1.2-1.4x, hence the channel limit. SL_NN_KERNEL_DWCONV
 * in the session options turns it off. */
#define DW_MAX_C 32

static bool dw_fits(const struct sl_nn_exec *x, const struct sl_nn_value *xv,
                    const struct sl_nn_value *yv, const struct sl_nn_node *nd)
{
    const struct sl_nn_conv_p *c = &nd->conv;
    if (own_kernel_off(x, SL_NN_KERNEL_DWCONV))
        return false;
    return sl__nn_dw_pick() != sl__nn_dw_rows_c && c->kh == 3 && c->kw == 3 &&
           c->sh == c->sw && (c->sh == 1 || c->sh == 2) && c->dh == 1 && c->dw == 1 &&
           c->group == (int)xv->dims[3] && yv->dims[3] == xv->dims[3] && xv->dims[0] == 1 &&
           xv->dims[3] <= DW_MAX_C && c->pt <= 2 && c->pl <= 2 && nd->act != SL_ACT_PRELU;
}

static sl_status dw_prepare(const struct sl_nn_exec *x, const struct sl_nn_node *nd,
                            struct xop *o, float lo, float hi)
{
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_value *xv = &m->values[nd->in[0]], *yv = &m->values[nd->out[0]];
    const float *bias = nd->nin > 2 && nd->in[2] >= 0 ? m->values[nd->in[2]].data : NULL;
    if (!m->values[nd->in[1]].data)
        return SL_ERR_UNSUPPORTED;
    o->dw = sl__calloc(1, sizeof *o->dw);
    if (!o->dw)
        return SL_ERR_NOMEM;
    sl_status st = sl__nn_dw_init(o->dw, (int)xv->dims[1], (int)xv->dims[2], (int)xv->dims[3],
                                  (int)yv->dims[1], (int)yv->dims[2], nd->conv.sh, nd->conv.pt,
                                  nd->conv.pl, m->values[nd->in[1]].data, bias, lo, hi);
    if (st) {
        sl__free(o->dw);
        o->dw = NULL;
        return st == SL_ERR_INVALID ? SL_ERR_UNSUPPORTED : st;
    }
    o->kind = XK_DW;
    o->dw_fn = sl__nn_dw_pick();
    o->x = sl__nn_ptr(x, nd->in[0]);
    o->y = sl__nn_ptr(x, nd->out[0]);
    return SL_OK;
}

static void dw_task(void *ctxp, size_t start, size_t count)
{
    const struct xop *o = ctxp;
    o->dw_fn(o->dw, o->x, o->y, (int)start, (int)(start + count));
}

static void pw_task(void *ctxp, size_t start, size_t count)
{
    const struct xop *o = ctxp;
    o->pw_fn(o->pw, o->x, o->y, (int)start, (int)(start + count));
}

/* Worker i of n runs its share of the tile blocks with scratch slot i. */
static void wino_task(void *ctxp, size_t i)
{
    const struct xop *o = ctxp;
    const struct sl_nn_wino *w = o->wino;
    int n = w->nscratch, nb = w->nblocks;
    int b0 = (int)((int64_t)nb * (int64_t)i / n), b1 = (int)((int64_t)nb * (int64_t)(i + 1) / n);
    o->wino_fn(w, o->x, o->y, b0, b1, (int)i);
}

static sl_status xp_prepare(void *ctxp, const struct sl_nn_exec *x, int n, void **opp)
{
    struct xctx *ctx = ctxp;
    const struct sl_nn_model *m = x->m;
    const struct sl_nn_node *nd = &m->nodes[n];
    pthreadpool_t tp = ctx->tp;
    enum xnn_status s = xnn_status_unsupported_parameter;
    struct xop *o = sl__calloc(1, sizeof *o);
    if (!o)
        return SL_ERR_NOMEM;
    *opp = NULL;
    const struct sl_nn_value *xv = nd->nin > 0 && nd->in[0] >= 0 ? &m->values[nd->in[0]] : NULL;
    const struct sl_nn_value *yv = &m->values[nd->out[0]];
    float lo, hi;
    act_range(nd, &lo, &hi);
    int64_t numel = sl__nn_numel(yv);
    if (!xv || xv->dtype != SL_NN_F32 || numel == 0)
        goto unsupported;

    switch (nd->op) {
    case SL_OP_CONV: {
        const struct sl_nn_conv_p *c = &nd->conv;
        size_t GC = (size_t)xv->dims[3];
        if (c->group == (int)GC && (size_t)yv->dims[3] == GC && xv->dims[0] == 1 &&
            c->kh == xv->dims[1] && c->kw == xv->dims[2] && yv->dims[1] == 1 && yv->dims[2] == 1 &&
            !c->pt && !c->pl && !c->pb && !c->pr && c->kh * c->kw > 9) {
            size_t P = (size_t)c->kh * (size_t)c->kw;
            const float *wsrc = m->values[nd->in[1]].data;
            const float *bsrc = nd->nin > 2 && nd->in[2] >= 0 ? m->values[nd->in[2]].data : NULL;
            o->extra = sl__aligned_alloc(64, (P + 1) * GC * sizeof(float));
            if (!o->extra) {
                xp_free(NULL, o);
                return SL_ERR_NOMEM;
            }
            for (size_t ch = 0; ch < GC; ch++) {
                for (size_t p = 0; p < P; p++)
                    o->extra[p * GC + ch] = wsrc[ch * P + p];
                o->extra[P * GC + ch] = bsrc ? bsrc[ch] : 0.0f;
            }
            o->kind = XK_GDW;
            o->x = sl__nn_ptr(x, nd->in[0]);
            o->y = sl__nn_ptr(x, nd->out[0]);
            o->C = GC;
            o->rows = P;
            o->lo = lo;
            o->hi = hi;
            *opp = o;
            return SL_OK;
        }
        const struct sl_nn_value *w = &m->values[nd->in[1]];
        size_t C = (size_t)xv->dims[3], M = (size_t)yv->dims[3], G = (size_t)c->group;
        if (dw_fits(x, xv, yv, nd)) {
            sl_status ds = dw_prepare(x, nd, o, lo, hi);
            if (ds == SL_OK) {
                *opp = o;
                return SL_OK;
            }
            if (ds != SL_ERR_UNSUPPORTED) {
                xp_free(NULL, o);
                return ds;
            }
        }
        if (pw_fits(x, xv, nd)) {
            sl_status ps = pw_prepare(x, nd, o, lo, hi);
            if (ps == SL_OK) {
                *opp = o;
                return SL_OK;
            }
            if (ps != SL_ERR_UNSUPPORTED) {
                xp_free(NULL, o);
                return ps;
            }
        }
        if (wino_fits(x, xv, yv, c)) {
            sl_status ws = wino_prepare(ctx, x, nd, o, lo, hi);
            if (ws == SL_OK) {
                *opp = o;
                return SL_OK;
            }
            if (ws != SL_ERR_UNSUPPORTED) {
                xp_free(NULL, o);
                return ws;
            }
        }
        const float *bias = nd->nin > 2 && nd->in[2] >= 0 ? m->values[nd->in[2]].data : NULL;
        s = xnn_create_convolution2d_nhwc_f32(
            (uint32_t)c->pt, (uint32_t)c->pr, (uint32_t)c->pb, (uint32_t)c->pl,
            (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)c->sh, (uint32_t)c->sw,
            (uint32_t)c->dh, (uint32_t)c->dw, (uint32_t)G, C / G, M / G, C, M,
            w->data, bias, lo, hi, ctx->flags, &o->op);
        if (s)
            break;
        s = xnn_setup_convolution2d_nhwc_f32(o->op, (size_t)xv->dims[0], (size_t)xv->dims[1],
                                             (size_t)xv->dims[2], sl__nn_ptr(x, nd->in[0]),
                                             sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_GEMM: case SL_OP_MATMUL: {
        const struct sl_nn_value *w = &m->values[nd->in[1]];
        if (!w->data || (nd->op == SL_OP_GEMM && (nd->trans_a || nd->alpha != 1.0f)))
            goto unsupported;
        bool tb = nd->op == SL_OP_GEMM && nd->trans_b;
        size_t K = (size_t)(tb ? w->dims[1] : w->dims[0]);
        size_t N = (size_t)(tb ? w->dims[0] : w->dims[1]);
        const float *bias = NULL;
        if (nd->op == SL_OP_GEMM && nd->nin > 2 && nd->in[2] >= 0) {
            const struct sl_nn_value *cv = &m->values[nd->in[2]];
            if (!cv->data || sl__nn_numel(cv) != (int64_t)N || nd->beta != 1.0f ||
                (cv->rank == 2 && cv->dims[0] != 1))
                goto unsupported;
            bias = cv->data;
        }
        size_t batch = (size_t)(sl__nn_numel(xv) / (int64_t)K);
        s = xnn_create_fully_connected_nc_f32(K, N, K, N, w->data, bias, lo, hi,
                                              (tb ? 0 : XNN_FLAG_TRANSPOSE_WEIGHTS) | ctx->flags, &o->op);
        if (s)
            break;
        s = xnn_setup_fully_connected_nc_f32(o->op, batch, sl__nn_ptr(x, nd->in[0]),
                                             sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_ADD: case SL_OP_SUB: case SL_OP_MUL: case SL_OP_DIV:
        if (xv->rank > XNN_MAX_TENSOR_DIMS || m->values[nd->in[1]].dtype != SL_NN_F32)
            goto unsupported;
        s = binary(x, nd, &o->op, tp, ctx->flags);
        break;
    case SL_OP_PRELU: {
        const struct sl_nn_value *sv = &m->values[nd->in[1]];
        size_t C = (size_t)xv->dims[xv->rank - 1];
        int64_t ns = sl__nn_numel(sv);
        if (!sv->data)
            goto unsupported;
        /* slopes must vary along the last axis only (or be one value) */
        if (ns != 1) {
            if (ns != (int64_t)C || sv->rank < 1 || sv->dims[sv->rank - 1] != (int64_t)C)
                goto unsupported;
        }
        o->extra = sl__aligned_alloc(64, C * sizeof(float) + 64);
        if (!o->extra) {
            xp_free(NULL, o);
            return SL_ERR_NOMEM;
        }
        for (size_t i = 0; i < C; i++)
            o->extra[i] = ((const float *)sv->data)[ns == 1 ? 0 : i];
        s = xnn_create_prelu_nc_f32(C, C, C, o->extra, ctx->flags, &o->op);
        if (s)
            break;
        s = xnn_setup_prelu_nc_f32(o->op, (size_t)numel / C, sl__nn_ptr(x, nd->in[0]),
                                   sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_RELU: case SL_OP_CLIP: case SL_OP_SIGMOID: {
        size_t C = (size_t)(xv->rank ? xv->dims[xv->rank - 1] : 1);
        if (nd->op == SL_OP_SIGMOID) {
            s = xnn_create_sigmoid_nc_f32(C, C, C, ctx->flags, &o->op);
            if (!s)
                s = xnn_setup_sigmoid_nc_f32(o->op, (size_t)numel / C, sl__nn_ptr(x, nd->in[0]),
                                             sl__nn_ptr(x, nd->out[0]), tp);
        } else {
            lo = nd->op == SL_OP_RELU ? 0.0f : nd->clip_min;
            hi = nd->op == SL_OP_RELU ? INFINITY : nd->clip_max;
            s = xnn_create_clamp_nc_f32(C, C, C, lo, hi, ctx->flags, &o->op);
            if (!s)
                s = xnn_setup_clamp_nc_f32(o->op, (size_t)numel / C, sl__nn_ptr(x, nd->in[0]),
                                           sl__nn_ptr(x, nd->out[0]), tp);
        }
        break;
    }
    case SL_OP_REDUCEMEAN:
        /* mean over H and W of an NHWC tensor = global average pooling */
        if (!xv->nhwc || xv->rank != 4 || nd->nlist != 2 ||
            !((nd->list[0] == 1 && nd->list[1] == 2) || (nd->list[0] == 2 && nd->list[1] == 1)))
            goto unsupported;
        /* fall through */
    case SL_OP_GAP: {
        size_t C = (size_t)xv->dims[3];
        s = xnn_create_global_average_pooling_nwc_f32(C, C, C, -INFINITY, INFINITY, ctx->flags, &o->op);
        if (s)
            break;
        s = xnn_setup_global_average_pooling_nwc_f32(o->op, (size_t)xv->dims[0],
                                                     (size_t)(xv->dims[1] * xv->dims[2]),
                                                     sl__nn_ptr(x, nd->in[0]),
                                                     sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_MAXPOOL: case SL_OP_AVGPOOL: {
        const struct sl_nn_conv_p *c = &nd->conv;
        size_t C = (size_t)xv->dims[3];
        int64_t H = xv->dims[1], W = xv->dims[2];
        int64_t ekh = (int64_t)(c->kh - 1) * c->dh + 1, ekw = (int64_t)(c->kw - 1) * c->dw + 1;
        int64_t pb = c->pb, pr = c->pr;
        /* ceil_mode: extra bottom/right padding gives XNNPACK's floor
         * formula the same output size (max pool ignores padding). */
        while ((H + c->pt + pb - ekh) / c->sh + 1 < yv->dims[1])
            pb++;
        while ((W + c->pl + pr - ekw) / c->sw + 1 < yv->dims[2])
            pr++;
        if ((H + c->pt + pb - ekh) / c->sh + 1 != yv->dims[1] ||
            (W + c->pl + pr - ekw) / c->sw + 1 != yv->dims[2])
            goto unsupported;
        if (nd->op == SL_OP_MAXPOOL) {
            if (c->kh * c->kw < 2)
                goto unsupported;
            s = xnn_create_max_pooling2d_nhwc_f32((uint32_t)c->pt, (uint32_t)pr, (uint32_t)pb,
                                                  (uint32_t)c->pl, (uint32_t)c->kh, (uint32_t)c->kw,
                                                  (uint32_t)c->sh, (uint32_t)c->sw,
                                                  (uint32_t)c->dh, (uint32_t)c->dw, C, C, C,
                                                  -INFINITY, INFINITY, ctx->flags, &o->op);
            if (!s)
                s = xnn_setup_max_pooling2d_nhwc_f32(o->op, (size_t)xv->dims[0], (size_t)H,
                                                     (size_t)W, sl__nn_ptr(x, nd->in[0]),
                                                     sl__nn_ptr(x, nd->out[0]), tp);
        } else {
            /* padding would change the divisor's meaning: only unpadded */
            if (c->pt || c->pl || pb || pr || c->dh != 1 || c->dw != 1 || c->kh * c->kw < 2)
                goto unsupported;
            {
                /* an unpadded average = depthwise conv with 1/(kh kw)
                 * weights: XNNPACK's depthwise kernels beat its pooling
                 * (fr_gender: ~100 -> ~40 us for the five pools) */
                size_t taps = (size_t)c->kh * (size_t)c->kw;
                o->extra = sl__aligned_alloc(64, (taps + 1) * C * sizeof(float));
                if (!o->extra) {
                    xp_free(NULL, o);
                    return SL_ERR_NOMEM;
                }
                for (size_t i = 0; i < taps * C; i++)
                    o->extra[i] = 1.0f / (float)taps;
                s = xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, (uint32_t)c->kh, (uint32_t)c->kw,
                                                      (uint32_t)c->sh, (uint32_t)c->sw, 1, 1,
                                                      (uint32_t)C, 1, 1, C, C, o->extra, NULL,
                                                      -INFINITY, INFINITY, ctx->flags, &o->op);
                if (!s)
                    s = xnn_setup_convolution2d_nhwc_f32(o->op, (size_t)xv->dims[0], (size_t)H,
                                                         (size_t)W, sl__nn_ptr(x, nd->in[0]),
                                                         sl__nn_ptr(x, nd->out[0]), tp);
            }
        }
        break;
    }
    case SL_OP_SOFTMAX: {
        if (own_prepare(o, x, nd) == SL_OK) {
            *opp = o;
            return SL_OK;
        }
        o->kind = XK_XNN;
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < xv->rank; i++)
            if (i < nd->axis)
                outer *= xv->dims[i];
            else
                inner *= xv->dims[i];
        s = xnn_create_softmax_nc_f32((size_t)inner, (size_t)inner, (size_t)inner, ctx->flags, &o->op);
        if (!s)
            s = xnn_setup_softmax_nc_f32(o->op, (size_t)outer, sl__nn_ptr(x, nd->in[0]),
                                         sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_BATCHNORM: case SL_OP_TANH: case SL_OP_EXP: {
        sl_status st2 = own_prepare(o, x, nd);
        if (st2) {
            xp_free(NULL, o);
            return st2;
        }
        *opp = o;
        return SL_OK;
    }
    case SL_OP_SHUFFLE: {
        if (!xv->nhwc)
            goto unsupported;
        size_t C = (size_t)xv->dims[3], g = (size_t)nd->list[0];
        s = xnn_create_channel_shuffle_nc_x32(g, C / g, C, C, ctx->flags, &o->op);
        if (!s)
            s = xnn_setup_channel_shuffle_nc_x32(o->op, (size_t)(numel / (int64_t)C),
                                                 sl__nn_ptr(x, nd->in[0]),
                                                 sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    case SL_OP_TRANSPOSE: {
        size_t outer, ga, gb;
        if (!as_shuffle(m, nd, &outer, &ga, &gb))
            goto unsupported;
        s = xnn_create_channel_shuffle_nc_x32(ga, gb, ga * gb, ga * gb, ctx->flags, &o->op);
        if (!s)
            s = xnn_setup_channel_shuffle_nc_x32(o->op, outer, sl__nn_ptr(x, nd->in[0]),
                                                 sl__nn_ptr(x, nd->out[0]), tp);
        break;
    }
    default:
        goto unsupported;
    }
    if (s == xnn_status_success) {
        *opp = o;
        return SL_OK;
    }
    if (s != xnn_status_unsupported_parameter && s != xnn_status_invalid_parameter) {
        xp_free(NULL, o);
        return xs(s);
    }
unsupported:
    xp_free(NULL, o);
    return SL_ERR_UNSUPPORTED;
}

static uint32_t pool_flags(const struct xctx *ctx)
{
    return ctx->flags ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0;
}

/* Runs task over [0, n) in tiles of `tile` rows on the pool, or as one call
 * on this thread when the context is serial or n fits one tile. */
static void run_tiled(const struct xctx *ctx, pthreadpool_task_1d_tile_1d_t task,
                      void *arg, size_t n, size_t tile)
{
    if (ctx->tp && !ctx->serial && n > tile)
        pthreadpool_parallelize_1d_tile_1d(ctx->tp, task, arg, n, tile, pool_flags(ctx));
    else
        task(arg, 0, n);
}

static sl_status xp_run(void *ctxp, const struct sl_nn_exec *x, int n, void *opp)
{
    (void)x;
    (void)n;
    struct xctx *ctx = ctxp;
    struct xop *o = opp;
    if (o->kind == XK_XNN)
        return xs(xnn_run_operator(o->op, ctx->serial ? NULL : ctx->tp));
    if (o->kind == XK_DW) {
        size_t oh = (size_t)o->dw->OH;
        run_tiled(ctx, dw_task, o, oh, SL_MAX((size_t)1, oh / 8));
        return SL_OK;
    }
    if (o->kind == XK_PW) {
        size_t nb = (size_t)o->pw->nblocks;
        run_tiled(ctx, pw_task, o, nb, SL_MAX((size_t)1, nb / 8));
        return SL_OK;
    }
    if (o->kind == XK_WINO) {
        const struct sl_nn_wino *w = o->wino;
        if (ctx->tp && !ctx->serial && w->nscratch > 1)
            pthreadpool_parallelize_1d(ctx->tp, wino_task, o, (size_t)w->nscratch,
                                       pool_flags(ctx));
        else
            o->wino_fn(w, o->x, o->y, 0, w->nblocks, 0);
        return SL_OK;
    }
    /* own kernels: tiles of rows (affine) or of elements (unary) */
    size_t per = o->kind != XK_TANH && o->kind != XK_EXP ?
                 SL_MAX((size_t)1, 16384 / (o->C ? o->C : 1)) : 16384;
    run_tiled(ctx, own_task, o, o->rows, per);
    return SL_OK;
}

static void xp_set_serial(void *ctxp, bool serial)
{
    struct xctx *ctx = ctxp;
    ctx->serial = serial;
}

const struct sl_nn_backend_ops sl__nn_backend_xnnpack = {
    .name = "xnnpack",
    .open = xp_open,
    .close = xp_close,
    .node_prepare = xp_prepare,
    .node_run = xp_run,
    .node_free = xp_free,
    .set_serial = xp_set_serial,
};
