/*
 * test_nn_ops.c -- the ONNX engine, op by op: each test writes a one- or
 * two-node ONNX model with a small protobuf writer, runs it on every
 * backend built here, and compares with a direct plain-C formula written
 * here in ONNX's NCHW layout (random shapes, broadcast, edge cases: pads
 * bigger than the kernel, stride bigger than the kernel, 1x1 spatial).
 * Also: zero allocations per run, bad model files (truncated, random,
 * unknown op, wrong input size), allocation-failure injection at load.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "nn/nn_int.h"     /* the op table (nn/op_table) */
#include "shualian/nn.h"
#include "test.h"

/* ============================ Protobuf writer =========================== */
struct pw {
    uint8_t *p;
    size_t n, cap;
};

static void pw_raw(struct pw *w, const void *d, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = (w->n + n) * 2 + 64;
        uint8_t *q = realloc(w->p, cap);
        if (!q)
            abort();
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void pw_varint(struct pw *w, uint64_t v)
{
    uint8_t b[10];
    int k = 0;
    do {
        b[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    pw_raw(w, b, (size_t)k);
}

static void pw_key(struct pw *w, int f, int wt) { pw_varint(w, (uint64_t)f << 3 | (uint64_t)wt); }
static void pw_int(struct pw *w, int f, int64_t v) { pw_key(w, f, 0); pw_varint(w, (uint64_t)v); }
static void pw_bytes(struct pw *w, int f, const void *d, size_t n)
{
    pw_key(w, f, 2);
    pw_varint(w, n);
    pw_raw(w, d, n);
}
static void pw_str(struct pw *w, int f, const char *s) { pw_bytes(w, f, s, strlen(s)); }
static void pw_msg(struct pw *w, int f, struct pw *m)
{
    pw_bytes(w, f, m->p, m->n);
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* A model under construction. */
struct mb {
    struct pw g;
    int opset;
};

static void mb_input(struct mb *b, const char *name, int rank, const int64_t *d)
{
    struct pw vi = { 0 }, ty = { 0 }, tt = { 0 }, sh = { 0 };
    for (int i = 0; i < rank; i++) {
        struct pw dim = { 0 };
        pw_int(&dim, 1, d[i]);
        pw_msg(&sh, 1, &dim);
    }
    pw_int(&tt, 1, 1);
    pw_msg(&tt, 2, &sh);
    pw_msg(&ty, 1, &tt);
    pw_str(&vi, 1, name);
    pw_msg(&vi, 2, &ty);
    pw_msg(&b->g, 11, &vi);
}

static void mb_output(struct mb *b, const char *name)
{
    struct pw vi = { 0 };
    pw_str(&vi, 1, name);
    pw_msg(&b->g, 12, &vi);
}

static void tensor(struct pw *t, const char *name, int rank, const int64_t *d,
                   int dtype, const void *data, size_t nbytes)
{
    for (int i = 0; i < rank; i++)
        pw_int(t, 1, d[i]);
    pw_int(t, 2, dtype);
    if (name)
        pw_str(t, 8, name);
    pw_bytes(t, 9, data, nbytes);
}

static void mb_init(struct mb *b, const char *name, int rank, const int64_t *d, const float *data)
{
    struct pw t = { 0 };
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)d[i];
    tensor(&t, name, rank, d, 1, data, n * 4);
    pw_msg(&b->g, 5, &t);
}

static void mb_init_i64(struct mb *b, const char *name, int n, const int64_t *v)
{
    struct pw t = { 0 };
    int64_t d[1] = { n };
    tensor(&t, name, 1, d, 7, v, (size_t)n * 8);
    pw_msg(&b->g, 5, &t);
}

/* Attribute list for a node: "i:name=v", "f:name=v", "ints:name=a,b,c", "s:name=txt". */
static void mb_node(struct mb *b, const char *op, const char *ins, const char *outs,
                    const char *const *attrs)
{
    struct pw n = { 0 };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ins);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
        pw_str(&n, 1, strcmp(s, "_") == 0 ? "" : s);
    snprintf(buf, sizeof buf, "%s", outs);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
        pw_str(&n, 2, s);
    pw_str(&n, 3, op);
    pw_str(&n, 4, op);
    for (int k = 0; attrs && attrs[k]; k++) {
        struct pw a = { 0 };
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", attrs[k]);
        char *colon = strchr(tmp, ':'), *eq = strchr(tmp, '=');
        *colon = 0;
        *eq = 0;
        pw_str(&a, 1, colon + 1);
        if (strcmp(tmp, "i") == 0) {
            pw_int(&a, 3, strtoll(eq + 1, NULL, 10));
            pw_int(&a, 20, 2);
        } else if (strcmp(tmp, "f") == 0) {
            float f = strtof(eq + 1, NULL);
            pw_key(&a, 2, 5);
            pw_raw(&a, &f, 4);
            pw_int(&a, 20, 1);
        } else if (strcmp(tmp, "s") == 0) {
            pw_str(&a, 4, eq + 1);
            pw_int(&a, 20, 3);
        } else {
            for (char *s = strtok(eq + 1, ","); s; s = strtok(NULL, ","))
                pw_int(&a, 8, strtoll(s, NULL, 10));
            pw_int(&a, 20, 7);
        }
        pw_msg(&n, 5, &a);
    }
    pw_msg(&b->g, 1, &n);
}

/* Finishes the model; caller frees the bytes with free(). */
static uint8_t *mb_finish(struct mb *b, size_t *len)
{
    struct pw m = { 0 }, op = { 0 };
    pw_int(&m, 1, 7);
    pw_str(&op, 1, "");
    pw_int(&op, 2, b->opset ? b->opset : 9);
    pw_msg(&m, 8, &op);
    pw_msg(&m, 7, &b->g);
    *len = m.n;
    return m.p;
}

/* ============================ Running =================================== */
static int nbackends(void)
{
    return strstr(sl_nn_backends(), "xnnpack") ? 2 : 1;
}

static const char *backend_name(int k)
{
    return k == 0 ? "ref" : "xnnpack";
}

static void fill(float *p, size_t n, unsigned long long *rs)
{
    for (size_t i = 0; i < n; i++)
        p[i] = sl_t_randf(rs);
}

/* Runs a one-input one-output model built in b on every backend and
 * compares with want[n_out]. */
static void run_check(struct sl_t *t, struct mb *b, const char *what, const float *in,
                      size_t n_in, const float *want, size_t n_out)
{
    size_t len;
    uint8_t *bytes = mb_finish(b, &len);
    sl_nn_model *m = NULL;
    char err[256];
    sl_status st = sl_nn_model_load_mem(&m, bytes, len, err, sizeof err);
    free(bytes);
    SL_CHECKF(t, st == SL_OK, "%s: load failed: %s", what, err);
    if (st)
        return;
    SL_CHECKF(t, sl_nn_model_input_size(m, 0) == n_in && sl_nn_model_output_size(m, 0) == n_out,
              "%s: sizes %zu/%zu, want %zu/%zu", what, sl_nn_model_input_size(m, 0),
              sl_nn_model_output_size(m, 0), n_in, n_out);
    float *out = calloc(n_out + 1, sizeof(float));
    double maxw = 0;
    for (size_t i = 0; i < n_out; i++)
        maxw = fmax(maxw, fabs(want[i]));
    for (int k = 0; k < nbackends() && out; k++) {
        sl_nn_session *s = NULL;
        st = sl_nn_session_new(&s, m, backend_name(k), 1 + k);
        SL_CHECKF(t, st == SL_OK, "%s: session %s", what, backend_name(k));
        if (st)
            continue;
        const float *ip = in;
        st = sl_nn_session_run(s, &ip, &n_in, &out, &n_out);
        SL_CHECKF(t, st == SL_OK, "%s: run %s: %s", what, backend_name(k), sl_status_name(st));
        double md = 0;
        size_t at = 0;
        for (size_t i = 0; i < n_out; i++) {
            double d = fabs(out[i] - want[i]);
            if (!(d <= md)) {
                md = d;
                at = i;
            }
        }
        SL_CHECKF(t, md <= 1e-4 * fmax(maxw, 1e-3), "%s on %s: max diff %g at %zu (got %g want %g)",
                  what, backend_name(k), md, at, out[at], want[at]);
        sl_nn_session_free(s);
    }
    free(out);
    sl_nn_model_free(m);
}

/* ============================ Conv and pools ============================ */
static float conv_ref(const float *x, const float *w, const float *bias, int C, int H, int W,
                      int M, int g, int kh, int kw, int sh, int sw, int dh, int dw, int pt,
                      int pl, int m, int oh, int ow)
{
    int cg = C / g, mg = M / g, grp = m / mg;
    float acc = bias ? bias[m] : 0.0f;
    for (int c = 0; c < cg; c++)
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
                int ih = oh * sh - pt + ky * dh, iw = ow * sw - pl + kx * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                    continue;
                acc += x[((grp * cg + c) * H + ih) * W + iw] * w[((m * cg + c) * kh + ky) * kw + kx];
            }
    return acc;
}

static void conv_case(struct sl_t *t, unsigned long long *rs, int C, int H, int W, int M, int g,
                      int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int pb,
                      int pr, bool relu, bool bias)
{
    int OH = (H + pt + pb - ((kh - 1) * dh + 1)) / sh + 1;
    int OW = (W + pl + pr - ((kw - 1) * dw + 1)) / sw + 1;
    size_t nx = (size_t)C * H * W, nw = (size_t)M * (C / g) * kh * kw, ny = (size_t)M * OH * OW;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)M * 4), *y = malloc(ny * 4);
    fill(x, nx, rs);
    fill(w, nw, rs);
    fill(b, (size_t)M, rs);
    for (int m = 0; m < M; m++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float v = conv_ref(x, w, bias ? b : NULL, C, H, W, M, g, kh, kw, sh, sw, dh, dw,
                                   pt, pl, m, oh, ow);
                y[((size_t)m * OH + oh) * OW + ow] = relu && v < 0 ? 0 : v;
            }
    struct mb mb = { 0 };
    int64_t xd[4] = { 1, C, H, W }, wd[4] = { M, C / g, kh, kw }, bd[1] = { M };
    mb_input(&mb, "x", 4, xd);
    mb_init(&mb, "w", 4, wd, w);
    if (bias)
        mb_init(&mb, "b", 1, bd, b);
    char a1[64], a2[64], a3[64], a4[64], a5[64];
    snprintf(a1, sizeof a1, "ints:kernel_shape=%d,%d", kh, kw);
    snprintf(a2, sizeof a2, "ints:strides=%d,%d", sh, sw);
    snprintf(a3, sizeof a3, "ints:dilations=%d,%d", dh, dw);
    snprintf(a4, sizeof a4, "ints:pads=%d,%d,%d,%d", pt, pl, pb, pr);
    snprintf(a5, sizeof a5, "i:group=%d", g);
    const char *attrs[] = { a1, a2, a3, a4, a5, NULL };
    mb_node(&mb, "Conv", bias ? "x,w,b" : "x,w", relu ? "c" : "y", attrs);
    if (relu)
        mb_node(&mb, "Relu", "c", "y", NULL);
    mb_output(&mb, "y");
    char what[160];
    snprintf(what, sizeof what, "conv C%d %dx%d M%d g%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d", C, H, W,
             M, g, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr);
    run_check(t, &mb, what, x, nx, y, ny);
    free(x); free(w); free(b); free(y);
}

SL_TEST(nn, op_conv)
{
    unsigned long long rs = 11;
    conv_case(t, &rs, 3, 9, 11, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true);
    conv_case(t, &rs, 4, 7, 7, 6, 2, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, true);    /* grouped */
    conv_case(t, &rs, 8, 6, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true);   /* depthwise */
    conv_case(t, &rs, 8, 6, 5, 16, 8, 3, 3, 2, 1, 1, 1, 1, 0, 1, 0, true, false);  /* dw x2 */
    conv_case(t, &rs, 16, 7, 9, 16, 16, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, true, true); /* dw s2 */
    conv_case(t, &rs, 24, 5, 6, 24, 24, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, false, true);/* dw no pad */
    conv_case(t, &rs, 8, 1, 1, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true);   /* dw 1x1 img */
    conv_case(t, &rs, 20, 7, 7, 20, 20, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, false, true);/* GDConv */
    conv_case(t, &rs, 16, 4, 4, 16, 16, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0, true, false);/* GDConv */
    conv_case(t, &rs, 5, 8, 8, 4, 1, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, false, true);   /* dilation */
    conv_case(t, &rs, 3, 4, 4, 5, 1, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, false, true);   /* pads > kernel */
    conv_case(t, &rs, 3, 9, 9, 4, 1, 1, 1, 3, 3, 1, 1, 0, 0, 0, 0, false, true);   /* stride > kernel */
    conv_case(t, &rs, 16, 1, 1, 10, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, true);  /* 1x1 spatial */
    conv_case(t, &rs, 7, 5, 6, 9, 1, 1, 3, 1, 2, 1, 1, 0, 1, 0, 2, false, true);   /* asymmetric */
}

SL_TEST(nn, op_conv_auto_pad)
{
    unsigned long long rs = 12;
    int C = 3, H = 7, W = 8, M = 4;
    /* SAME_UPPER, stride 2, 3x3: out = ceil(7/2)=4, ceil(8/2)=4; pads total
     * h: (4-1)*2+3-7 = 2 -> 1,1; w: (4-1)*2+3-8 = 1 -> 0 top/left, 1 after */
    size_t nx = (size_t)C * H * W, nw = (size_t)M * C * 9, ny = (size_t)M * 16;
    float x[168], w[108], y[64];
    fill(x, nx, &rs);
    fill(w, nw, &rs);
    for (int m = 0; m < M; m++)
        for (int oh = 0; oh < 4; oh++)
            for (int ow = 0; ow < 4; ow++)
                y[(m * 4 + oh) * 4 + ow] = conv_ref(x, w, NULL, C, H, W, M, 1, 3, 3, 2, 2, 1, 1,
                                                    1, 0, m, oh, ow);
    struct mb mb = { 0 };
    int64_t xd[4] = { 1, C, H, W }, wd[4] = { M, C, 3, 3 };
    mb_input(&mb, "x", 4, xd);
    mb_init(&mb, "w", 4, wd, w);
    const char *attrs[] = { "ints:kernel_shape=3,3", "ints:strides=2,2", "s:auto_pad=SAME_UPPER", NULL };
    mb_node(&mb, "Conv", "x,w", "y", attrs);
    mb_output(&mb, "y");
    run_check(t, &mb, "conv SAME_UPPER", x, nx, y, ny);
}

static void pool_case(struct sl_t *t, unsigned long long *rs, bool mx, int C, int H, int W, int k,
                      int s, int p, int cip, int ceil)
{
    int ext = H + 2 * p - k, extw = W + 2 * p - k;
    int OH = ceil ? (ext + s - 1) / s + 1 : ext / s + 1, OW = ceil ? (extw + s - 1) / s + 1 : extw / s + 1;
    if (ceil && (OH - 1) * s >= H + p)
        OH--;
    if (ceil && (OW - 1) * s >= W + p)
        OW--;
    size_t nx = (size_t)C * H * W, ny = (size_t)C * OH * OW;
    float *x = malloc(nx * 4), *y = malloc(ny * 4);
    fill(x, nx, rs);
    for (int c = 0; c < C; c++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float acc = mx ? -INFINITY : 0;
                int cnt = 0;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int ih = oh * s - p + ky, iw = ow * s - p + kx;
                        bool in = ih >= 0 && ih < H && iw >= 0 && iw < W;
                        if (!in) {
                            if (cip && ih < H + p && iw < W + p)
                                cnt++;
                            continue;
                        }
                        float v = x[((size_t)c * H + ih) * W + iw];
                        acc = mx ? fmaxf(acc, v) : acc + v;
                        cnt++;
                    }
                y[((size_t)c * OH + oh) * OW + ow] = mx ? acc : acc / (float)cnt;
            }
    struct mb mb = { .opset = 10 };              /* ceil_mode: from opset 10 */
    int64_t xd[4] = { 1, C, H, W };
    mb_input(&mb, "x", 4, xd);
    char a1[64], a2[64], a3[64], a4[64], a5[64];
    snprintf(a1, sizeof a1, "ints:kernel_shape=%d,%d", k, k);
    snprintf(a2, sizeof a2, "ints:strides=%d,%d", s, s);
    snprintf(a3, sizeof a3, "ints:pads=%d,%d,%d,%d", p, p, p, p);
    snprintf(a4, sizeof a4, "i:count_include_pad=%d", cip);
    snprintf(a5, sizeof a5, "i:ceil_mode=%d", ceil);
    const char *attrs[] = { a1, a2, a3, mx ? a5 : a4, mx ? NULL : a5, NULL };
    mb_node(&mb, mx ? "MaxPool" : "AveragePool", "x", "y", attrs);
    mb_output(&mb, "y");
    char what[128];
    snprintf(what, sizeof what, "%s C%d %dx%d k%d s%d p%d cip%d ceil%d", mx ? "maxpool" : "avgpool",
             C, H, W, k, s, p, cip, ceil);
    run_check(t, &mb, what, x, nx, y, ny);
    free(x);
    free(y);
}

SL_TEST(nn, op_pools)
{
    unsigned long long rs = 13;
    pool_case(t, &rs, true, 5, 8, 9, 3, 2, 1, 0, 0);
    pool_case(t, &rs, true, 4, 7, 7, 2, 2, 0, 0, 1);   /* ceil mode */
    pool_case(t, &rs, true, 3, 9, 9, 2, 3, 0, 0, 0);   /* stride > kernel */
    pool_case(t, &rs, false, 6, 8, 8, 2, 2, 0, 0, 0);
    pool_case(t, &rs, false, 6, 7, 7, 3, 2, 1, 0, 0);  /* pads excluded */
    pool_case(t, &rs, false, 6, 7, 7, 3, 2, 1, 1, 0);  /* pads counted */
    pool_case(t, &rs, false, 2, 5, 5, 3, 2, 1, 1, 1);
    /* GlobalAveragePool */
    int C = 7, H = 5, W = 3;
    float x[105], y[7];
    fill(x, 105, &rs);
    for (int c = 0; c < C; c++) {
        float s = 0;
        for (int i = 0; i < H * W; i++)
            s += x[c * H * W + i];
        y[c] = s / (float)(H * W);
    }
    struct mb mb = { 0 };
    int64_t xd[4] = { 1, C, H, W };
    mb_input(&mb, "x", 4, xd);
    mb_node(&mb, "GlobalAveragePool", "x", "y", NULL);
    mb_output(&mb, "y");
    run_check(t, &mb, "gap", x, 105, y, 7);
}

/* ============================ Elementwise =============================== */
static int64_t numel(int r, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= d[i];
    return n;
}

/* y = op(x, c) with c a constant of shape cd (broadcast), x of shape xd. */
static void binary_case(struct sl_t *t, unsigned long long *rs, const char *op, int xr,
                        const int64_t *xd, int cr, const int64_t *cd, bool const_left)
{
    int r = xr > cr ? xr : cr;
    int64_t od[6];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - xr), ib = i - (r - cr);
        int64_t a = ia >= 0 ? xd[ia] : 1, b = ib >= 0 ? cd[ib] : 1;
        od[i] = a == 1 ? b : a;
    }
    size_t nx = (size_t)numel(xr, xd), nc = (size_t)numel(cr, cd), no = (size_t)numel(r, od);
    float *x = malloc(nx * 4), *c = malloc(nc * 4), *y = malloc(no * 4);
    fill(x, nx, rs);
    fill(c, nc, rs);
    if (strcmp(op, "Div") == 0)
        for (size_t i = 0; i < nc; i++)
            c[i] = c[i] >= 0 ? c[i] + 0.5f : c[i] - 0.5f;
    int64_t idx[6] = { 0 };
    for (size_t k = 0; k < no; k++) {
        size_t ox = 0, oc = 0;
        for (int i = 0; i < r; i++) {
            int ia = i - (r - xr), ib = i - (r - cr);
            if (ia >= 0)
                ox = ox * (size_t)xd[ia] + (size_t)(xd[ia] == 1 ? 0 : idx[i]);
            if (ib >= 0)
                oc = oc * (size_t)cd[ib] + (size_t)(cd[ib] == 1 ? 0 : idx[i]);
        }
        float a = const_left ? c[oc] : x[ox], b = const_left ? x[ox] : c[oc];
        y[k] = strcmp(op, "Add") == 0 ? a + b : strcmp(op, "Sub") == 0 ? a - b :
               strcmp(op, "Mul") == 0 ? a * b : strcmp(op, "Div") == 0 ? a / b :
               (a >= 0 ? a : a * b);
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < od[i])
                break;
            idx[i] = 0;
        }
    }
    struct mb mb = { 0 };
    mb_input(&mb, "x", xr, xd);
    mb_init(&mb, "c", cr, cd, c);
    mb_node(&mb, op, const_left ? "c,x" : "x,c", "y", NULL);
    mb_output(&mb, "y");
    char what[64];
    snprintf(what, sizeof what, "%s rank %d x rank %d%s", op, xr, cr, const_left ? " (const left)" : "");
    run_check(t, &mb, what, x, nx, y, no);
    free(x); free(c); free(y);
}

SL_TEST(nn, op_binary_broadcast)
{
    unsigned long long rs = 14;
    static const char *ops[] = { "Add", "Sub", "Mul", "Div" };
    int64_t x4[4] = { 1, 6, 5, 7 }, c3[3] = { 6, 1, 1 }, c4[4] = { 1, 6, 5, 7 }, c1[1] = { 7 };
    int64_t s0[1] = { 1 }, x2[2] = { 3, 10 }, c2[2] = { 1, 10 }, c14[4] = { 1, 1, 5, 1 };
    for (int k = 0; k < 4; k++) {
        binary_case(t, &rs, ops[k], 4, x4, 3, c3, false);  /* per channel */
        binary_case(t, &rs, ops[k], 4, x4, 4, c4, false);  /* same shape  */
        binary_case(t, &rs, ops[k], 4, x4, 1, c1, true);   /* last axis   */
        binary_case(t, &rs, ops[k], 4, x4, 1, s0, false);  /* scalar-ish  */
        binary_case(t, &rs, ops[k], 2, x2, 2, c2, true);
        binary_case(t, &rs, ops[k], 4, x4, 4, c14, false); /* along H     */
    }
    binary_case(t, &rs, "PRelu", 4, x4, 3, c3, false);
    binary_case(t, &rs, "PRelu", 2, x2, 2, c2, false);
}

static void unary_case(struct sl_t *t, unsigned long long *rs, const char *op, const char *const *attrs,
                       float (*f)(float))
{
    int64_t xd[4] = { 1, 5, 6, 7 };
    size_t n = 210;
    float x[210], y[210];
    fill(x, n, rs);
    for (size_t i = 0; i < n; i++) {
        x[i] *= 6.0f;
        y[i] = f(x[i]);
    }
    struct mb mb = { 0 };
    mb_input(&mb, "x", 4, xd);
    mb_node(&mb, op, "x", "y", attrs);
    mb_output(&mb, "y");
    run_check(t, &mb, op, x, n, y, n);
}

static float f_relu(float v) { return v > 0 ? v : 0; }
static float f_sig(float v) { return 1.0f / (1.0f + expf(-v)); }
static float f_clip(float v) { return v < -1.5f ? -1.5f : v > 2.0f ? 2.0f : v; }

SL_TEST(nn, op_unary)
{
    unsigned long long rs = 15;
    unary_case(t, &rs, "Relu", NULL, f_relu);
    unary_case(t, &rs, "Tanh", NULL, tanhf);
    unary_case(t, &rs, "Sigmoid", NULL, f_sig);
    unary_case(t, &rs, "Exp", NULL, expf);
    const char *clip[] = { "f:min=-1.5", "f:max=2.0", NULL };
    unary_case(t, &rs, "Clip", clip, f_clip);
}

SL_TEST(nn, op_batchnorm)
{
    unsigned long long rs = 16;
    int C = 6;
    int64_t xd[4] = { 1, C, 4, 5 }, cd[1] = { C };
    float x[120], y[120], g[6], b[6], mu[6], var[6];
    fill(x, 120, &rs);
    fill(g, 6, &rs);
    fill(b, 6, &rs);
    fill(mu, 6, &rs);
    fill(var, 6, &rs);
    for (int c = 0; c < C; c++)
        var[c] = fabsf(var[c]) + 0.1f;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < 20; i++) {
            float v = (x[c * 20 + i] - mu[c]) / sqrtf(var[c] + 1e-3f) * g[c] + b[c];
            y[c * 20 + i] = v > 0 ? v : 0;
        }
    struct mb mb = { 0 };
    mb_input(&mb, "x", 4, xd);
    mb_init(&mb, "g", 1, cd, g);
    mb_init(&mb, "b", 1, cd, b);
    mb_init(&mb, "m", 1, cd, mu);
    mb_init(&mb, "v", 1, cd, var);
    const char *attrs[] = { "f:epsilon=0.001", NULL };
    mb_node(&mb, "BatchNormalization", "x,g,b,m,v", "z", attrs);
    mb_node(&mb, "Relu", "z", "y", NULL);
    mb_output(&mb, "y");
    run_check(t, &mb, "batchnorm+relu (standalone)", x, 120, y, 120);
}

/* ============================ Dense ===================================== */
SL_TEST(nn, op_gemm_matmul)
{
    unsigned long long rs = 17;
    int M = 3, K = 7, N = 5;
    float a[21], bT[35], c[5], y[15];
    fill(a, 21, &rs);
    fill(bT, 35, &rs);
    fill(c, 5, &rs);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* bT holds B as [N,K]; for transB=0 we store [K,N] */
            float bs[35], as[21];
            for (int k = 0; k < K; k++)
                for (int n = 0; n < N; n++)
                    bs[tb ? n * K + k : k * N + n] = bT[n * K + k];
            for (int m = 0; m < M; m++)
                for (int k = 0; k < K; k++)
                    as[ta ? k * M + m : m * K + k] = a[m * K + k];
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    float s = 0;
                    for (int k = 0; k < K; k++)
                        s += a[m * K + k] * bT[n * K + k];
                    y[m * N + n] = 0.5f * s + 2.0f * c[n];
                }
            struct mb mb = { 0 };
            int64_t ad[2] = { ta ? K : M, ta ? M : K }, bd[2] = { tb ? N : K, tb ? K : N }, cd[1] = { N };
            mb_input(&mb, "a", 2, ad);
            mb_init(&mb, "b", 2, bd, bs);
            mb_init(&mb, "c", 1, cd, c);
            char t1[32], t2[32];
            snprintf(t1, sizeof t1, "i:transA=%d", ta);
            snprintf(t2, sizeof t2, "i:transB=%d", tb);
            const char *attrs[] = { t1, t2, "f:alpha=0.5", "f:beta=2.0", NULL };
            mb_node(&mb, "Gemm", "a,b,c", "y", attrs);
            mb_output(&mb, "y");
            run_check(t, &mb, ta ? (tb ? "gemm tA tB" : "gemm tA") : (tb ? "gemm tB" : "gemm"), as, 21, y, 15);
        }
    /* Gemm as FC (alpha = beta = 1, bias) and MatMul [2,3,K] x [K,N] */
    {
        float bs[35], yy[15];
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++)
                bs[n * K + k] = bT[n * K + k];
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                float s = c[n];
                for (int k = 0; k < K; k++)
                    s += a[m * K + k] * bT[n * K + k];
                yy[m * N + n] = s > 0 ? s : 0;
            }
        struct mb mb = { 0 };
        int64_t ad[2] = { M, K }, bd[2] = { N, K }, cd[1] = { N };
        mb_input(&mb, "a", 2, ad);
        mb_init(&mb, "b", 2, bd, bs);
        mb_init(&mb, "c", 1, cd, c);
        const char *attrs[] = { "i:transB=1", NULL };
        mb_node(&mb, "Gemm", "a,b,c", "z", attrs);
        mb_node(&mb, "Relu", "z", "y", NULL);
        mb_output(&mb, "y");
        run_check(t, &mb, "gemm fc+relu", a, 21, yy, 15);
    }
    {
        float x[42], bk[35], yy[30];
        fill(x, 42, &rs);
        fill(bk, 35, &rs);
        for (int r = 0; r < 6; r++)
            for (int n = 0; n < N; n++) {
                float s = 0;
                for (int k = 0; k < K; k++)
                    s += x[r * K + k] * bk[k * N + n];
                yy[r * N + n] = s;
            }
        struct mb mb = { 0 };
        int64_t xd[3] = { 2, 3, K }, bd[2] = { K, N };
        mb_input(&mb, "x", 3, xd);
        mb_init(&mb, "b", 2, bd, bk);
        mb_node(&mb, "MatMul", "x,b", "y", NULL);
        mb_output(&mb, "y");
        run_check(t, &mb, "matmul", x, 42, yy, 30);
    }
}

/* ============================ Data movement ============================= */
SL_TEST(nn, op_concat_split_slice)
{
    unsigned long long rs = 18;
    /* Conv-free 4-D: x [1,4,3,5]; Concat(x, relu(x)) along axis 1 and 3 */
    int64_t xd[4] = { 1, 4, 3, 5 };
    float x[60], y[120];
    fill(x, 60, &rs);
    for (int ax = 1; ax <= 3; ax += 2) {
        for (int c = 0; c < (ax == 1 ? 8 : 4); c++)
            for (int h = 0; h < 3; h++)
                for (int w = 0; w < (ax == 3 ? 10 : 5); w++) {
                    int sc = ax == 1 ? c % 4 : c, sw = ax == 3 ? w % 5 : w;
                    bool second = ax == 1 ? c >= 4 : w >= 5;
                    float v = x[(sc * 3 + h) * 5 + sw];
                    y[(c * 3 + h) * (ax == 3 ? 10 : 5) + w] = second ? f_relu(v) : v;
                }
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        char a[32];
        snprintf(a, sizeof a, "i:axis=%d", ax);
        const char *attrs[] = { a, NULL };
        mb_node(&mb, "Relu", "x", "r", NULL);
        mb_node(&mb, "Concat", "x,r", "y", attrs);
        mb_output(&mb, "y");
        run_check(t, &mb, ax == 1 ? "concat axis 1" : "concat axis 3", x, 60, y, 120);
    }
    /* Split along channels [1,3] then Concat back swapped */
    {
        float yy[60];
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 15; i++)
                yy[c * 15 + i] = x[((c + 1) % 4) * 15 + i];
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        const char *sa[] = { "i:axis=1", "ints:split=1,3", NULL };
        mb_node(&mb, "Split", "x", "a,b", sa);
        const char *ca[] = { "i:axis=1", NULL };
        mb_node(&mb, "Concat", "b,a", "y", ca);
        mb_output(&mb, "y");
        run_check(t, &mb, "split+concat", x, 60, yy, 60);
    }
    /* Slice (opset 9 attributes) with negative and clamped ends */
    {
        float yy[60];
        int n = 0;
        for (int c = 1; c < 4; c++)
            for (int h = 0; h < 3; h++)
                for (int w = 1; w < 4; w++)
                    yy[n++] = x[(c * 3 + h) * 5 + w];
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        const char *sa[] = { "ints:starts=1,1", "ints:ends=100,-1", "ints:axes=1,3", NULL };
        mb_node(&mb, "Slice", "x", "y", sa);
        mb_output(&mb, "y");
        run_check(t, &mb, "slice", x, 60, yy, (size_t)n);
    }
}

SL_TEST(nn, op_transpose_reshape_flatten)
{
    unsigned long long rs = 19;
    int64_t xd[4] = { 1, 4, 3, 5 };
    float x[60], y[60];
    fill(x, 60, &rs);
    /* Transpose [0,3,1,2] of an NCHW input: y[n][w][c][h] */
    for (int w = 0; w < 5; w++)
        for (int c = 0; c < 4; c++)
            for (int h = 0; h < 3; h++)
                y[(w * 4 + c) * 3 + h] = x[(c * 3 + h) * 5 + w];
    struct mb mb = { 0 };
    mb_input(&mb, "x", 4, xd);
    const char *ta[] = { "ints:perm=0,3,1,2", NULL };
    mb_node(&mb, "Transpose", "x", "y", ta);
    mb_output(&mb, "y");
    run_check(t, &mb, "transpose", x, 60, y, 60);
    /* After a 1x1 conv (NHWC inside): Flatten and Reshape must see NCHW */
    {
        float w1[16], yy[60];
        fill(w1, 16, &rs);
        for (int m = 0; m < 4; m++)
            for (int i = 0; i < 15; i++) {
                float s = 0;
                for (int c = 0; c < 4; c++)
                    s += x[c * 15 + i] * w1[m * 4 + c];
                yy[m * 15 + i] = s;
            }
        for (int k = 0; k < 2; k++) {
            struct mb m2 = { 0 };
            int64_t wd[4] = { 4, 4, 1, 1 };
            int64_t shp[3] = { 1, 12, 5 };
            mb_input(&m2, "x", 4, xd);
            mb_init(&m2, "w", 4, wd, w1);
            mb_init_i64(&m2, "shape", 3, shp);
            mb_node(&m2, "Conv", "x,w", "c", NULL);
            if (k == 0)
                mb_node(&m2, "Flatten", "c", "y", NULL);
            else
                mb_node(&m2, "Reshape", "c,shape", "y", NULL);
            mb_output(&m2, "y");
            run_check(t, &m2, k == 0 ? "conv+flatten" : "conv+reshape", x, 60, yy, 60);
        }
    }
}

SL_TEST(nn, op_softmax_reducemean_pad)
{
    unsigned long long rs = 20;
    int64_t xd[4] = { 1, 4, 3, 5 };
    float x[60], y[60];
    fill(x, 60, &rs);
    /* Softmax opset 9, axis 1: over the 60 values jointly */
    {
        float mx = -INFINITY, s = 0;
        for (int i = 0; i < 60; i++)
            mx = fmaxf(mx, x[i]);
        for (int i = 0; i < 60; i++)
            s += expf(x[i] - mx);
        for (int i = 0; i < 60; i++)
            y[i] = expf(x[i] - mx) / s;
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        const char *a[] = { "i:axis=1", NULL };
        mb_node(&mb, "Softmax", "x", "y", a);
        mb_output(&mb, "y");
        run_check(t, &mb, "softmax axis 1", x, 60, y, 60);
    }
    /* Softmax on [3,20] along the last axis (rows) */
    {
        int64_t d2[2] = { 3, 20 };
        for (int r = 0; r < 3; r++) {
            float mx = -INFINITY, s = 0;
            for (int i = 0; i < 20; i++)
                mx = fmaxf(mx, x[r * 20 + i]);
            for (int i = 0; i < 20; i++)
                s += expf(x[r * 20 + i] - mx);
            for (int i = 0; i < 20; i++)
                y[r * 20 + i] = expf(x[r * 20 + i] - mx) / s;
        }
        struct mb mb = { 0 };
        mb_input(&mb, "x", 2, d2);
        mb_node(&mb, "Softmax", "x", "y", NULL);
        mb_output(&mb, "y");
        run_check(t, &mb, "softmax rows", x, 60, y, 60);
    }
    /* ReduceMean over H,W keepdims=0 after a Relu */
    {
        float yy[4];
        for (int c = 0; c < 4; c++) {
            float s = 0;
            for (int i = 0; i < 15; i++)
                s += x[c * 15 + i];
            yy[c] = s / 15;
        }
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        const char *a[] = { "ints:axes=2,3", "i:keepdims=0", NULL };
        mb_node(&mb, "ReduceMean", "x", "y", a);
        mb_output(&mb, "y");
        run_check(t, &mb, "reducemean hw", x, 60, yy, 4);
        /* after an (identity) 1x1 conv the input is NHWC inside */
        struct mb m2 = { 0 };
        float eye[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };
        int64_t wd[4] = { 4, 4, 1, 1 };
        mb_input(&m2, "x", 4, xd);
        mb_init(&m2, "w", 4, wd, eye);
        mb_node(&m2, "Conv", "x,w", "c", NULL);
        const char *a2[] = { "ints:axes=2,3", "i:keepdims=1", NULL };
        mb_node(&m2, "ReduceMean", "c", "y", a2);
        mb_output(&m2, "y");
        run_check(t, &m2, "conv+reducemean hw (nhwc)", x, 60, yy, 4);
    }
    /* Pad (opset 9): constant value, then edge */
    for (int mode = 0; mode < 2; mode++) {
        int OH = 3 + 1 + 2, OW = 5 + 0 + 3;
        float yy[4 * 6 * 8];
        for (int c = 0; c < 4; c++)
            for (int h = 0; h < OH; h++)
                for (int w = 0; w < OW; w++) {
                    int sh = h - 1, sw = w - 0;
                    bool in = sh >= 0 && sh < 3 && sw >= 0 && sw < 5;
                    if (mode == 1) {
                        sh = sh < 0 ? 0 : sh > 2 ? 2 : sh;
                        sw = sw < 0 ? 0 : sw > 4 ? 4 : sw;
                        in = true;
                    }
                    yy[(c * OH + h) * OW + w] = in ? x[(c * 3 + sh) * 5 + sw] : 0.25f;
                }
        struct mb mb = { 0 };
        mb_input(&mb, "x", 4, xd);
        const char *a[] = { "ints:pads=0,0,1,0,0,0,2,3", mode ? "s:mode=edge" : "f:value=0.25", NULL };
        mb_node(&mb, "Pad", "x", "y", a);
        mb_output(&mb, "y");
        run_check(t, &mb, mode ? "pad edge" : "pad constant", x, 60, yy, (size_t)(4 * OH * OW));
    }
}

/* Shape -> Gather -> Unsqueeze -> Concat -> Reshape must fold at load. */
SL_TEST(nn, fold_shape_chain)
{
    unsigned long long rs = 21;
    int64_t xd[4] = { 1, 4, 3, 5 };
    float x[60];
    fill(x, 60, &rs);
    struct mb mb = { 0 };
    int64_t zero[1] = { 0 }, minus1[1] = { -1 };
    mb_input(&mb, "x", 4, xd);
    mb_init_i64(&mb, "i0", 1, zero);
    mb_init_i64(&mb, "m1", 1, minus1);
    mb_node(&mb, "Shape", "x", "s", NULL);
    const char *ga[] = { "i:axis=0", NULL };
    /* scalar index: Gather of a rank-0 index would need a rank-0 tensor;
     * use the rank-1 index and skip Unsqueeze */
    mb_node(&mb, "Gather", "s,i0", "n", ga);
    const char *ca[] = { "i:axis=0", NULL };
    mb_node(&mb, "Concat", "n,m1", "shape", ca);
    mb_node(&mb, "Reshape", "x,shape", "y", NULL);
    mb_output(&mb, "y");
    size_t len;
    uint8_t *bytes = mb_finish(&mb, &len);
    sl_nn_model *m = NULL;
    char err[256];
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&m, bytes, len, err, sizeof err), SL_OK);
    free(bytes);
    if (!m)
        return;
    struct sl_nn_stats s;
    sl_nn_model_stats(m, &s);
    SL_CHECK_EQ(t, s.nodes_run, 1);               /* only the Reshape is left */
    int64_t d[4];
    SL_CHECK_EQ(t, sl_nn_model_output_shape(m, 0, d, 4), 2);
    SL_CHECK(t, d[0] == 1 && d[1] == 60);
    sl_nn_model_free(m);
}

/* ============================ Real models =============================== */
static sl_nn_model *load_model(struct sl_t *t, const char *name)
{
    char path[1024], rel[64], err[256];
    snprintf(rel, sizeof rel, "models/%s.onnx", name);
    sl_t_path(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_t_skip(t, "%s missing", path);
        return NULL;
    }
    fclose(f);
    sl_nn_model *m = NULL;
    sl_status st = sl_nn_model_load_file(&m, path, err, sizeof err);
    SL_CHECKF(t, st == SL_OK, "load %s: %s", name, err);
    return m;
}

/* No allocation during a run, on every backend, 1 and 2 threads. The
 * counter covers XNNPACK too: its allocator is routed to sl__malloc. */
SL_TEST(nn, zero_allocs_per_run)
{
    static const char *names[] = { "fr_eye", "fr_feature", "fr_pose", "fr_age" };
    for (size_t k = 0; k < SL_ARRAY_LEN(names); k++) {
        sl_nn_model *m = load_model(t, names[k]);
        if (!m)
            return;
        size_t ni = sl_nn_model_input_size(m, 0);
        int no = sl_nn_model_num_outputs(m);
        float *in = calloc(ni, 4), *outs[16];
        size_t oc[16];
        for (int i = 0; i < no; i++) {
            oc[i] = sl_nn_model_output_size(m, i);
            outs[i] = calloc(oc[i], 4);
        }
        unsigned long long rs = 5;
        fill(in, ni, &rs);
        for (int b = 0; b < nbackends(); b++)
            for (int th = 1; th <= 2; th++) {
                if (b == 0 && (th == 2 || k == 1 || k == 2))
                    continue;                    /* ref: keep the ASan run short */
                sl_nn_session *s = NULL;
                SL_CHECK_EQ(t, sl_nn_session_new(&s, m, backend_name(b), th), SL_OK);
                if (!s)
                    continue;
                const float *ip = in;
                SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, outs, oc), SL_OK);
                uint64_t a0 = sl__alloc_calls();
                for (int r = 0; r < 3; r++)
                    SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, outs, oc), SL_OK);
                uint64_t a1 = sl__alloc_calls();
                SL_CHECKF(t, a1 == a0, "%s %s t%d: %llu allocations in 3 runs", names[k],
                          backend_name(b), th, (unsigned long long)(a1 - a0));
                sl_nn_session_free(s);
            }
        for (int i = 0; i < no; i++)
            free(outs[i]);
        free(in);
        sl_nn_model_free(m);
    }
}

/* Two sessions of one model on two backends agree (xnnpack vs ref). */
SL_TEST(nn, xnnpack_vs_ref_models)
{
    if (nbackends() < 2) {
        sl_t_skip(t, "built without XNNPACK");
        return;
    }
    static const char *names[] = { "fr_detect", "fr_landmark", "fr_feature", "fr_liveness", "fr_eye",
                                   "fr_pose", "fr_age", "fr_gender", "fr_expression" };
    for (size_t k = 0; k < SL_ARRAY_LEN(names); k++) {
        sl_nn_model *m = load_model(t, names[k]);
        if (!m)
            return;
        size_t ni = sl_nn_model_input_size(m, 0);
        int no = sl_nn_model_num_outputs(m);
        float *in = calloc(ni, 4), *o1[16], *o2[16];
        size_t oc[16];
        for (int i = 0; i < no; i++) {
            oc[i] = sl_nn_model_output_size(m, i);
            o1[i] = calloc(oc[i], 4);
            o2[i] = calloc(oc[i], 4);
        }
        unsigned long long rs = 77;
        fill(in, ni, &rs);
        sl_nn_session *a = NULL, *b = NULL;
        SL_CHECK_EQ(t, sl_nn_session_new(&a, m, "ref", 1), SL_OK);
        SL_CHECK_EQ(t, sl_nn_session_new(&b, m, "xnnpack", 2), SL_OK);
        const float *ip = in;
        if (a && b && sl_nn_session_run(a, &ip, &ni, o1, oc) == SL_OK &&
            sl_nn_session_run(b, &ip, &ni, o2, oc) == SL_OK) {
            for (int i = 0; i < no; i++) {
                double mx = 0, md = 0;
                for (size_t j = 0; j < oc[i]; j++) {
                    mx = fmax(mx, fabs(o1[i][j]));
                    md = fmax(md, fabs(o1[i][j] - o2[i][j]));
                }
                SL_CHECKF(t, md <= 1e-4 * mx, "%s output %d: max diff %g, max %g", names[k], i, md, mx);
            }
        } else {
            SL_CHECKF(t, false, "%s: session or run failed", names[k]);
        }
        sl_nn_session_free(a);
        sl_nn_session_free(b);
        for (int i = 0; i < no; i++) {
            free(o1[i]);
            free(o2[i]);
        }
        free(in);
        sl_nn_model_free(m);
    }
}

/* ============================ Bad input ================================= */
static uint8_t *read_model_bytes(struct sl_t *t, const char *name, size_t *len)
{
    char path[1024], rel[64];
    snprintf(rel, sizeof rel, "models/%s.onnx", name);
    sl_t_path(path, sizeof path, rel);
    uint8_t *p = NULL;
    if (sl__read_file(path, 64 << 20, &p, len) != SL_OK) {
        sl_t_skip(t, "%s missing", path);
        return NULL;
    }
    return p;
}

SL_TEST(nn, bad_truncated_random)
{
    size_t len;
    uint8_t *p = read_model_bytes(t, "fr_eye", &len);
    if (!p)
        return;
    char err[256];
    for (int k = 0; k < 16; k++) {
        size_t n = len * (size_t)k / 16;
        uint8_t *cut = malloc(n + 1);
        memcpy(cut, p, n);
        sl_nn_model *m = NULL;
        sl_status st = sl_nn_model_load_mem(&m, cut, n, err, sizeof err);
        SL_CHECKF(t, st != SL_OK && m == NULL && err[0], "truncated to %zu/%zu bytes: status %d",
                  n, len, st);
        free(cut);
    }
    unsigned long long rs = 99;
    for (int k = 0; k < 50; k++) {
        size_t n = 1 + (size_t)(sl_t_rand(&rs) % 4096);
        uint8_t *r = malloc(n);
        for (size_t i = 0; i < n; i++)
            r[i] = (uint8_t)sl_t_rand(&rs);
        sl_nn_model *m = NULL;
        sl_status st = sl_nn_model_load_mem(&m, r, n, err, sizeof err);
        SL_CHECK(t, st != SL_OK && m == NULL);
        free(r);
    }
    /* flipped bytes inside a valid file: must not crash (may still load) */
    for (int k = 0; k < 64; k++) {
        uint8_t *c = malloc(len);
        memcpy(c, p, len);
        for (int j = 0; j < 8; j++)
            c[sl_t_rand(&rs) % len] ^= (uint8_t)(1u << (sl_t_rand(&rs) % 8));
        sl_nn_model *m = NULL;
        if (sl_nn_model_load_mem(&m, c, len, err, sizeof err) == SL_OK) {
            sl_nn_session *s = NULL;
            if (sl_nn_session_new(&s, m, "ref", 1) == SL_OK)
                sl_nn_session_free(s);
            sl_nn_model_free(m);
        }
        free(c);
    }
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&(sl_nn_model *){ NULL }, "", 0, err, sizeof err),
                SL_ERR_MODEL_FORMAT);
    sl__free(p);
    sl_nn_model *m = NULL;
    SL_CHECK_EQ(t, sl_nn_model_load_file(&m, "/nonexistent/x.onnx", err, sizeof err) != SL_OK, 1);
}

SL_TEST(nn, bad_unknown_op_and_attr)
{
    int64_t xd[4] = { 1, 2, 3, 3 };
    char err[256];
    struct mb mb = { 0 };
    mb_input(&mb, "x", 4, xd);
    mb_node(&mb, "Relu", "x", "r", NULL);
    mb_node(&mb, "FancyOp", "r", "y", NULL);
    mb_output(&mb, "y");
    size_t len;
    uint8_t *b = mb_finish(&mb, &len);
    sl_nn_model *m = NULL;
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&m, b, len, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "FancyOp") != NULL, "message names the op: %s", err);
    free(b);
    /* an attribute we do not support */
    struct mb m2 = { 0 };
    mb_input(&m2, "x", 4, xd);
    const char *a[] = { "s:mode=reflect", "ints:pads=0,0,1,1,0,0,1,1", NULL };
    mb_node(&m2, "Pad", "x", "y", a);
    mb_output(&m2, "y");
    b = mb_finish(&m2, &len);
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&m, b, len, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "Pad") != NULL, "message names the op: %s", err);
    free(b);
    /* an engine-internal op name is not accepted from a file */
    struct mb m3 = { 0 };
    mb_input(&m3, "x", 4, xd);
    mb_node(&m3, "ChannelShuffle", "x", "y", NULL);
    mb_output(&m3, "y");
    b = mb_finish(&m3, &len);
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&m, b, len, err, sizeof err), SL_ERR_MODEL_OP);
    free(b);
}

/* Loads b's model; returns the status, the reason in err. */
static sl_status try_load(struct mb *b, char *err, size_t cap)
{
    size_t len;
    uint8_t *bytes = mb_finish(b, &len);
    sl_nn_model *m = NULL;
    sl_status st = sl_nn_model_load_mem(&m, bytes, len, err, cap);
    free(bytes);
    sl_nn_model_free(m);
    return st;
}

/* Every op checks its input/output counts and attribute names against
 * the form ONNX defines at the model's opset, and refuses a mismatch at
 * load. Before the op table, a ReduceMean given an `axes` input at opset
 * 13 (axes is an attribute until opset 18) loaded, ignored the input and
 * reduced over all axes: a silent wrong answer (ONNX node tests, issue 9). */
SL_TEST(nn, opset_forms_refused)
{
    char err[256];
    int64_t xd[3] = { 3, 2, 2 };
    int64_t one[1] = { 1 };
    struct mb b1 = { .opset = 13 };
    mb_input(&b1, "x", 3, xd);
    mb_init_i64(&b1, "axes", 1, one);
    const char *kd[] = { "i:keepdims=1", NULL };
    mb_node(&b1, "ReduceMean", "x,axes", "y", kd);
    mb_output(&b1, "y");
    SL_CHECK_EQ(t, try_load(&b1, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "ReduceMean") && strstr(err, "2 inputs") && strstr(err, "opset 13"),
              "message: %s", err);
    /* the valid form at opset 13 (axes attribute) runs and is right */
    float x[12], want[6];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i * 0.5f - 2.0f;
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 2; c++)
            want[a * 2 + c] = (x[a * 4 + c] + x[a * 4 + 2 + c]) / 2;
    struct mb b2 = { .opset = 13 };
    mb_input(&b2, "x", 3, xd);
    const char *ax[] = { "ints:axes=1", "i:keepdims=1", NULL };
    mb_node(&b2, "ReduceMean", "x", "y", ax);
    mb_output(&b2, "y");
    run_check(t, &b2, "reducemean axes=1 opset 13", x, 12, want, 6);
    /* an attribute the opset does not define: Split's `split` at 13 */
    int64_t sd[2] = { 4, 6 };
    struct mb b3 = { .opset = 13 };
    mb_input(&b3, "x", 2, sd);
    const char *sp[] = { "i:axis=1", "ints:split=2,4", NULL };
    mb_node(&b3, "Split", "x", "y1,y2", sp);
    mb_output(&b3, "y1");
    mb_output(&b3, "y2");
    SL_CHECK_EQ(t, try_load(&b3, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "'split' is not defined at opset 13"), "message: %s", err);
    /* a required input missing: Unsqueeze at 13 takes axes as an input */
    struct mb b4 = { .opset = 13 };
    mb_input(&b4, "x", 2, sd);
    const char *ua[] = { "ints:axes=0", NULL };
    mb_node(&b4, "Unsqueeze", "x", "y", ua);
    mb_output(&b4, "y");
    SL_CHECK_EQ(t, try_load(&b4, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "1 inputs, but at opset 13 it takes 2"), "message: %s", err);
    /* an output the op does not have; Clip's min as an input before 11 */
    struct mb b5 = { 0 };
    mb_input(&b5, "x", 2, sd);
    mb_node(&b5, "Relu", "x", "y,z", NULL);
    mb_output(&b5, "y");
    SL_CHECK_EQ(t, try_load(&b5, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "2 outputs"), "message: %s", err);
    struct mb b6 = { 0 };
    float lo = 0.0f;
    int64_t sc[1] = { 1 };
    mb_input(&b6, "x", 2, sd);
    mb_init(&b6, "lo", 1, sc, &lo);
    mb_node(&b6, "Clip", "x,lo", "y", NULL);
    mb_output(&b6, "y");
    SL_CHECK_EQ(t, try_load(&b6, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "opset 9 it takes 1"), "message: %s", err);
    /* opset 15 forms: Shape start/end (folded) feeding a Reshape;
     * Reshape-14 allowzero=1 with a 0 (an empty tensor) is refused */
    int64_t ad[3] = { 1, 3, 4 }, fd[1] = { 12 };
    struct mb b7 = { .opset = 15 };
    mb_input(&b7, "f", 1, fd);
    mb_input(&b7, "a", 3, ad);
    const char *se[] = { "i:start=-2", NULL };
    mb_node(&b7, "Shape", "a", "s", se);
    mb_node(&b7, "Relu", "f", "r", NULL);
    mb_node(&b7, "Reshape", "r,s", "y", NULL);
    mb_output(&b7, "y");
    size_t len;
    uint8_t *bytes = mb_finish(&b7, &len);
    sl_nn_model *m = NULL;
    SL_CHECK_EQ(t, sl_nn_model_load_mem(&m, bytes, len, err, sizeof err), SL_OK);
    free(bytes);
    if (m) {
        int64_t od[4] = { 0 };
        SL_CHECK_EQ(t, sl_nn_model_output_shape(m, 0, od, 4), 2);
        SL_CHECK(t, od[0] == 3 && od[1] == 4);
        sl_nn_model_free(m);
    }
    int64_t zs[2] = { 0, 12 };
    struct mb b8 = { .opset = 14 };
    mb_input(&b8, "f", 1, fd);
    mb_init_i64(&b8, "s", 2, zs);
    const char *az[] = { "i:allowzero=1", NULL };
    mb_node(&b8, "Reshape", "f,s", "y", az);
    mb_output(&b8, "y");
    SL_CHECK_EQ(t, try_load(&b8, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "allowzero"), "message: %s", err);
}

/* Refusals say what the limit is (ONNX node tests, issue 9): a 1-D or
 * 3-D window is a rank limit, not an unsupported attribute; an empty
 * input is named as such; an output folded at load is explained. */
SL_TEST(nn, refusal_messages)
{
    char err[256];
    int64_t d3[3] = { 1, 2, 8 }, d5[5] = { 1, 2, 4, 4, 4 };
    struct mb b1 = { .opset = 10 };
    mb_input(&b1, "x", 3, d3);
    const char *k1[] = { "ints:kernel_shape=2", NULL };
    mb_node(&b1, "MaxPool", "x", "y", k1);
    mb_output(&b1, "y");
    SL_CHECK_EQ(t, try_load(&b1, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "only 2-D windows") && strstr(err, "1-D"), "message: %s", err);
    struct mb b2 = { 0 };
    float w[2 * 2 * 8];
    memset(w, 0, sizeof w);
    int64_t wd[5] = { 2, 2, 2, 2, 2 };
    mb_input(&b2, "x", 5, d5);
    mb_init(&b2, "w", 5, wd, w);
    const char *k3[] = { "ints:kernel_shape=2,2,2", NULL };
    mb_node(&b2, "Conv", "x,w", "y", k3);
    mb_output(&b2, "y");
    SL_CHECK_EQ(t, try_load(&b2, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "only 2-D windows") && strstr(err, "3-D"), "message: %s", err);
    struct mb b3 = { .opset = 13 };
    int64_t z[1] = { 0 };
    mb_input(&b3, "x", 1, z);
    mb_node(&b3, "Split", "x", "y1,y2", NULL);
    mb_output(&b3, "y1");
    mb_output(&b3, "y2");
    SL_CHECK_EQ(t, try_load(&b3, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "zero-size dimension"), "message: %s", err);
    struct mb b4 = { 0 };
    mb_input(&b4, "x", 3, d3);
    mb_node(&b4, "Shape", "x", "y", NULL);
    mb_output(&b4, "y");
    SL_CHECK_EQ(t, try_load(&b4, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "does not depend on the input values"), "message: %s", err);
}

/* The op table is complete and consistent: every file op has a name that
 * maps back to it, forms in ascending opset order with sane counts, a
 * shape inference, and a ref kernel unless it never runs. */
SL_TEST(nn, op_table)
{
    for (int op = 0; op < SL_OP_COUNT; op++) {
        const struct sl_nn_opdef *d = &sl__nn_ops[op];
        SL_CHECKF(t, d->name != NULL, "op %d has no row", op);
        if (!d->name)
            continue;
        if (d->flags & SL_NN_OPF_INTERNAL) {
            SL_CHECKF(t, sl__nn_op_from_name(d->name) < 0, "%s read from a file", d->name);
            SL_CHECKF(t, d->ref != NULL, "%s has no kernel", d->name);
            continue;
        }
        SL_CHECKF(t, sl__nn_op_from_name(d->name) == op, "%s does not map back", d->name);
        SL_CHECKF(t, d->forms[0].since >= 1, "%s has no form", d->name);
        for (int k = 0; k < SL_NN_OP_FORMS && d->forms[k].since; k++) {
            const struct sl_nn_op_form *f = &d->forms[k];
            SL_CHECKF(t, k == 0 || f->since > d->forms[k - 1].since, "%s forms order", d->name);
            SL_CHECKF(t, f->in_min >= 0 && f->in_min <= f->in_max &&
                         f->in_max <= SL_NN_MAX_NODE_IO && f->out_min >= 1 &&
                         f->out_min <= f->out_max && f->attrs, "%s form %d", d->name, f->since);
        }
        bool never_runs = op == SL_OP_SHAPE || op == SL_OP_CONSTANT;
        SL_CHECKF(t, d->infer != NULL || op == SL_OP_CONSTANT, "%s: no inference", d->name);
        SL_CHECKF(t, d->ref != NULL || never_runs, "%s: no kernel", d->name);
    }
    SL_CHECK(t, sl__nn_op_form(SL_OP_SLICE, 9)->in_max == 1);
    SL_CHECK(t, sl__nn_op_form(SL_OP_SLICE, 13)->in_max == 5);
    SL_CHECK(t, sl__nn_op_form(SL_OP_RESHAPE, 4) == NULL);
    SL_CHECK(t, sl__nn_op_form(SL_OP_RESHAPE, 14)->attrs[0] == 'a');
    /* Reshape-1 (shape as an attribute) is refused by name */
    char err[256];
    int64_t xd[2] = { 2, 6 };
    struct mb b = { .opset = 4 };
    mb_input(&b, "x", 2, xd);
    const char *sh[] = { "ints:shape=3,4", NULL };
    mb_node(&b, "Reshape", "x", "y", sh);
    mb_output(&b, "y");
    SL_CHECK_EQ(t, try_load(&b, err, sizeof err), SL_ERR_MODEL_OP);
    SL_CHECKF(t, strstr(err, "form at opset 4 is not supported"), "message: %s", err);
}

SL_TEST(nn, bad_input_size_at_run)
{
    sl_nn_model *m = load_model(t, "fr_eye");
    if (!m)
        return;
    for (int b = 0; b < nbackends(); b++) {
        sl_nn_session *s = NULL;
        SL_CHECK_EQ(t, sl_nn_session_new(&s, m, backend_name(b), 1), SL_OK);
        float in[600] = { 0 }, out[2];
        size_t ni = 575, no = 2;
        const float *ip = in;
        float *op = out;
        SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &op, &no), SL_ERR_MODEL_SHAPE);
        ni = 576;
        no = 3;
        SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &op, &no), SL_ERR_MODEL_SHAPE);
        no = 2;
        SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &op, &no), SL_OK);
        sl_nn_session_free(s);
    }
    sl_nn_session *s = NULL;
    SL_CHECK_EQ(t, sl_nn_session_new(&s, m, "tpu", 1), SL_ERR_UNSUPPORTED);
    SL_CHECK_EQ(t, sl_nn_session_new(&s, m, "ref", 0), SL_ERR_INVALID);
    sl_nn_model_free(m);
}

/* Session options replace the environment switches the library used to
 * read (SL_NN_WINOGRAD/PW/DW): each own kernel switched off still gives
 * the ref answer; bad options are refused. */
SL_TEST(nn, session_options)
{
    sl_nn_model *m = load_model(t, "fr_landmark");
    if (!m)
        return;
    size_t ni = sl_nn_model_input_size(m, 0), no = sl_nn_model_output_size(m, 0);
    float *in = calloc(ni, sizeof(float)), *want = calloc(no, sizeof(float));
    float *got = calloc(no, sizeof(float));
    unsigned long long rs = 11;
    fill(in, ni, &rs);
    const float *ip = in;
    sl_nn_session *s = NULL;
    struct sl_nn_options ref = { .backend = "ref" };
    SL_CHECK_EQ(t, sl_nn_session_new_opts(&s, m, &ref), SL_OK);
    SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &want, &no), SL_OK);
    sl_nn_session_free(s);
    double maxw = 0;
    for (size_t i = 0; i < no; i++)
        maxw = fmax(maxw, fabs(want[i]));
    static const unsigned offs[] = { 0, SL_NN_KERNEL_WINOGRAD, SL_NN_KERNEL_POINTWISE,
                                     SL_NN_KERNEL_DWCONV, 7 };
    float *first = calloc(no, sizeof(float));
    for (int k = 0; k < 5 && nbackends() > 1; k++) {
        struct sl_nn_options o = { .backend = "xnnpack", .kernels_off = offs[k] };
        s = NULL;
        SL_CHECK_EQ(t, sl_nn_session_new_opts(&s, m, &o), SL_OK);
        if (!s)
            continue;
        SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &got, &no), SL_OK);
        double md = 0;
        for (size_t i = 0; i < no; i++)
            md = fmax(md, fabs(got[i] - want[i]));
        SL_CHECKF(t, md <= 1e-4 * maxw, "kernels_off %u: max|diff| %g", offs[k], md);
        /* with AVX-512 our own kernels run by default: switching them all
         * off (XNNPACK's convs) changes the rounding, so the bits */
        if (k == 0)
            memcpy(first, got, no * sizeof(float));
        if (k == 4 && (sl_cpu_features() & SL_CPU_AVX512F))
            SL_CHECKF(t, memcmp(first, got, no * sizeof(float)) != 0,
                      "kernels_off had no effect");
        sl_nn_session_free(s);
    }
    free(first);
    s = NULL;
    SL_CHECK_EQ(t, sl_nn_session_new_opts(&s, m, NULL), SL_OK);     /* defaults */
    sl_nn_session_free(s);
    struct sl_nn_options bad1 = { .threads = 65 }, bad2 = { .backend = "tpu" };
    SL_CHECK_EQ(t, sl_nn_session_new_opts(&s, m, &bad1), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_nn_session_new_opts(&s, m, &bad2), SL_ERR_UNSUPPORTED);
    free(in);
    free(want);
    free(got);
    sl_nn_model_free(m);
}

/* Every allocation of a load (and of session creation) may fail: the
 * error comes back cleanly, nothing leaks (ASan build checks). */
SL_TEST(nn, alloc_failure_injection)
{
    size_t len;
    uint8_t *p = read_model_bytes(t, "fr_eye", &len);
    if (!p)
        return;
    char err[256];
    int failures = 0, n;
    for (n = 1; n < 5000; n++) {
        sl_nn_model *m = NULL;
        sl__fail_after(n);
        sl_status st = sl_nn_model_load_mem(&m, p, len, err, sizeof err);
        sl_nn_session *s = NULL;
        if (st == SL_OK)
            st = sl_nn_session_new(&s, m, "ref", 1);
        sl__fail_after(0);
        sl_nn_session_free(s);
        sl_nn_model_free(m);
        if (st == SL_OK)
            break;
        failures++;
        SL_CHECKF(t, SL_STATUS_PRIMARY(st) == SL_ERR_NOMEM, "injected failure %d gave %s", n,
                  sl_status_name(st));
    }
    SL_CHECKF(t, n < 5000 && failures > 10, "%d injected failures before success", failures);
    sl__free(p);
}

/* One shared model, one session per thread: same answers as alone. */
struct thr_arg {
    const sl_nn_model *m;
    const char *backend;
    const float *in;
    size_t ni, no;
    const float *want;
    int bad;
};

#include <pthread.h>

static void *thr_main(void *p)
{
    struct thr_arg *a = p;
    sl_nn_session *s = NULL;
    if (sl_nn_session_new(&s, a->m, a->backend, 1) != SL_OK) {
        a->bad = 1;
        return NULL;
    }
    float out[16];
    float *op = out;
    for (int r = 0; r < 20; r++) {
        const float *ip = a->in;
        if (sl_nn_session_run(s, &ip, &a->ni, &op, &a->no) != SL_OK ||
            memcmp(out, a->want, a->no * sizeof(float)) != 0)
            a->bad++;
    }
    sl_nn_session_free(s);
    return NULL;
}

SL_TEST(nn, sessions_in_threads)
{
    sl_nn_model *m = load_model(t, "fr_eye");
    if (!m)
        return;
    size_t ni = sl_nn_model_input_size(m, 0), no = sl_nn_model_output_size(m, 0);
    float *in = calloc(ni, 4), want[2][16];
    unsigned long long rs = 3;
    fill(in, ni, &rs);
    for (int b = 0; b < nbackends(); b++) {
        sl_nn_session *s = NULL;
        SL_CHECK_EQ(t, sl_nn_session_new(&s, m, backend_name(b), 1), SL_OK);
        const float *ip = in;
        float *op = want[b];
        SL_CHECK_EQ(t, sl_nn_session_run(s, &ip, &ni, &op, &no), SL_OK);
        sl_nn_session_free(s);
    }
    pthread_t th[4];
    struct thr_arg args[4];
    for (int i = 0; i < 4; i++) {
        int b = i % nbackends();
        args[i] = (struct thr_arg){ m, backend_name(b), in, ni, no, want[b], 0 };
        pthread_create(&th[i], NULL, thr_main, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        SL_CHECKF(t, args[i].bad == 0, "thread %d (%s): %d bad runs", i, args[i].backend, args[i].bad);
    }
    free(in);
    sl_nn_model_free(m);
}
