/*
 * infer.c -- shape inference, one function per row of the op table
 * (ops.c): sl__nn_infer_<op>(m, nd, d, &r) checks node nd's inputs and
 * attributes and writes the shape of its output 0 into d[0..r) in the
 * logical (ONNX) layout; r = -1 when it set every output itself (Split,
 * Shape). The checks common to every op (input/output counts, integer
 * inputs) run before, in graph.c's infer(). Opset-dependent input forms
 * (Slice, Pad, Clip, Split, (Un)Squeeze inputs instead of attributes) are
 * read here from constant inputs into the node's typed parameters.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

/* Error details are cut to fit m->err on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define FAIL(code, ...) \
    do { st = (code); snprintf(m->err, sizeof m->err, __VA_ARGS__); goto out; } while (0)

/* ============================ Helpers =================================== */
bool sl__nn_set_shape(struct sl_nn_value *v, int dtype, int rank, const int64_t *d)
{
    if (rank < 0 || rank > SL_NN_MAX_RANK)
        return false;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (d[i] < 0 || d[i] > SL_NN_MAX_ELEMS)
            return false;
        n *= d[i];
        if (n > SL_NN_MAX_ELEMS)
            return false;
    }
    v->dtype = dtype;
    v->rank = rank;
    for (int i = 0; i < rank; i++)
        v->dims[i] = d[i];
    return true;
}

static bool norm_axis(int64_t *a, int rank)
{
    if (*a < 0)
        *a += rank;
    return *a >= 0 && *a < rank;
}

/* Reads a constant int64 vector input (opset >= 10 forms). */
static bool const_ints(const struct sl_nn_model *m, int v, int64_t *out, int *n, int cap)
{
    if (v < 0 || !m->values[v].data || m->values[v].dtype != SL_NN_I64 ||
        m->values[v].rank > 1)
        return false;
    int64_t c = sl__nn_numel(&m->values[v]);
    if (c > cap)
        return false;
    memcpy(out, m->values[v].data, sizeof(int64_t) * (size_t)c);
    *n = (int)c;
    return true;
}

static bool const_scalar_f(const struct sl_nn_model *m, int v, float *out)
{
    if (v < 0 || !m->values[v].data || m->values[v].dtype != SL_NN_F32 ||
        sl__nn_numel(&m->values[v]) != 1)
        return false;
    *out = *(const float *)m->values[v].data;
    return true;
}

static sl_status window(struct sl_nn_model *m, struct sl_nn_node *nd, int64_t h,
                        int64_t w, int64_t *oh, int64_t *ow)
{
    sl_status st = SL_OK;
    struct sl_nn_conv_p *c = &nd->conv;
    int64_t ekh = (int64_t)(c->kh - 1) * c->dh + 1, ekw = (int64_t)(c->kw - 1) * c->dw + 1;
    if (c->auto_pad) {
        int64_t o1 = (h + c->sh - 1) / c->sh, o2 = (w + c->sw - 1) / c->sw;
        int64_t th = SL_MAX(0, (o1 - 1) * c->sh + ekh - h);
        int64_t tw = SL_MAX(0, (o2 - 1) * c->sw + ekw - w);
        if (c->auto_pad == 1) {
            c->pt = (int)(th / 2); c->pb = (int)(th - th / 2);
            c->pl = (int)(tw / 2); c->pr = (int)(tw - tw / 2);
        } else {
            c->pb = (int)(th / 2); c->pt = (int)(th - th / 2);
            c->pr = (int)(tw / 2); c->pl = (int)(tw - tw / 2);
        }
        c->auto_pad = 0;
    }
    int64_t hh = h + c->pt + c->pb - ekh, ww = w + c->pl + c->pr - ekw;
    if (hh < 0 || ww < 0)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): window larger than its input",
             nd->name, sl__nn_op_name(nd->op));
    if (c->ceil_mode) {
        *oh = (hh + c->sh - 1) / c->sh + 1;
        *ow = (ww + c->sw - 1) / c->sw + 1;
        if ((*oh - 1) * c->sh >= h + c->pt)
            (*oh)--;
        if ((*ow - 1) * c->sw >= w + c->pl)
            (*ow)--;
    } else {
        *oh = hh / c->sh + 1;
        *ow = ww / c->sw + 1;
    }
out:
    return st;
}

static bool broadcast(const struct sl_nn_value *a, const struct sl_nn_value *b,
                      int *rank, int64_t *d)
{
    int r = SL_MAX(a->rank, b->rank);
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t x = ia >= 0 ? a->dims[ia] : 1, y = ib >= 0 ? b->dims[ib] : 1;
        if (x != y && x != 1 && y != 1)
            return false;
        d[i] = x == 1 ? y : x;
    }
    *rank = r;
    return true;
}

/* ============================ Per op ==================================== */
#define INFER_FN(name) sl_status sl__nn_infer_##name(struct sl_nn_model *m, \
                                                     struct sl_nn_node *nd, int64_t *d, int *rank)

/* Conv */
INFER_FN(conv)
{
    sl_status st = SL_OK;
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    const struct sl_nn_value *w = &m->values[nd->in[1]];
    if (x->rank != 4 || w->rank != 4)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (Conv): only 2-D convolution is supported", nd->name);
    if (!w->data)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (Conv): weights must be constant", nd->name);
    if (nd->conv.kh == 0) {
        nd->conv.kh = (int)w->dims[2];
        nd->conv.kw = (int)w->dims[3];
    }
    int g = nd->conv.group;
    if (nd->conv.kh != w->dims[2] || nd->conv.kw != w->dims[3] ||
        w->dims[1] * g != x->dims[1] || w->dims[0] % g || w->dims[0] == 0)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (Conv): weight shape does not match input", nd->name);
    if (nd->nin > 2 && nd->in[2] >= 0) {
        const struct sl_nn_value *b = &m->values[nd->in[2]];
        if (!b->data || b->rank != 1 || b->dims[0] != w->dims[0])
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (Conv): bad bias", nd->name);
    }
    int64_t oh, ow;
    if ((st = window(m, nd, x->dims[2], x->dims[3], &oh, &ow)))
        goto out;
    d[0] = x->dims[0]; d[1] = w->dims[0]; d[2] = oh; d[3] = ow;
    r = 4;
    *rank = r;
out:
    return st;
}

/* AveragePool, MaxPool */
INFER_FN(pool)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (x->rank != 4)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): only 2-D pooling is supported", nd->name, opn);
    int64_t oh, ow;
    if ((st = window(m, nd, x->dims[2], x->dims[3], &oh, &ow)))
        goto out;
    if (nd->conv.pt >= nd->conv.kh || nd->conv.pb >= nd->conv.kh ||
        nd->conv.pl >= nd->conv.kw || nd->conv.pr >= nd->conv.kw)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): pads must be smaller than the kernel", nd->name, opn);
    d[0] = x->dims[0]; d[1] = x->dims[1]; d[2] = oh; d[3] = ow;
    r = 4;
    *rank = r;
out:
    return st;
}

/* GlobalAveragePool */
INFER_FN(gap)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (x->rank != 4)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): needs a 4-D input", nd->name, opn);
    d[0] = x->dims[0]; d[1] = x->dims[1]; d[2] = d[3] = 1;
    r = 4;
    *rank = r;
out:
    return st;
}

/* BatchNormalization */
INFER_FN(batchnorm)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (x->rank < 2)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): needs rank >= 2", nd->name, opn);
    for (int i = 1; i < 5; i++) {
        const struct sl_nn_value *p = &m->values[nd->in[i]];
        if (!p->data || p->dtype != SL_NN_F32 || sl__nn_numel(p) != x->dims[1])
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): parameters must be constant [C]", nd->name, opn);
    }
    nd->axis = 1;
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    *rank = r;
out:
    return st;
}

/* Relu, Tanh, Sigmoid, Exp, Identity, Dropout */
INFER_FN(same)
{
    sl_status st = SL_OK;
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    if (nd->op == SL_OP_DROPOUT && nd->nout > 1) {
        struct sl_nn_value *mask = &m->values[nd->out[1]];
        if (mask->is_output)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (Dropout): mask output is not supported", nd->name);
        sl__nn_set_shape(mask, SL_NN_F32, r, d);
    }
    *rank = r;
out:
    return st;
}

/* Clip */
INFER_FN(clip)
{
    sl_status st = SL_OK;
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (nd->nin > 1 && nd->in[1] >= 0 && !const_scalar_f(m, nd->in[1], &nd->clip_min))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (Clip): min must be a constant", nd->name);
    if (nd->nin > 2 && nd->in[2] >= 0 && !const_scalar_f(m, nd->in[2], &nd->clip_max))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (Clip): max must be a constant", nd->name);
    nd->nin = 1;
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    *rank = r;
out:
    return st;
}

/* PRelu, Add, Sub, Mul, Div */
INFER_FN(binary)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    const struct sl_nn_value *y = &m->values[nd->in[1]];
    if (!broadcast(x, y, &r, d))
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): shapes do not broadcast", nd->name, opn);
    if (nd->op == SL_OP_PRELU && (r != x->rank || memcmp(d, x->dims, sizeof(int64_t) * (size_t)r)))
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): slope larger than input", nd->name, opn);
    *rank = r;
out:
    return st;
}

/* Softmax */
INFER_FN(softmax)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (!norm_axis(&nd->axis, x->rank))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axis", nd->name, opn);
    if (m->opset >= 13)   /* one axis: same as the flattened form only for the last */
        if (nd->axis != x->rank - 1)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): only the last axis is supported", nd->name, opn);
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    *rank = r;
out:
    return st;
}

/* MatMul */
INFER_FN(matmul)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    const struct sl_nn_value *y = &m->values[nd->in[1]];
    if (x->rank < 2 || y->rank != 2 || x->dims[x->rank - 1] != y->dims[0])
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): only [..,M,K] x [K,N] is supported", nd->name, opn);
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    d[r - 1] = y->dims[1];
    *rank = r;
out:
    return st;
}

/* Gemm */
INFER_FN(gemm)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    const struct sl_nn_value *y = &m->values[nd->in[1]];
    if (x->rank != 2 || y->rank != 2)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): needs 2-D inputs", nd->name, opn);
    int64_t M = nd->trans_a ? x->dims[1] : x->dims[0];
    int64_t K = nd->trans_a ? x->dims[0] : x->dims[1];
    int64_t K2 = nd->trans_b ? y->dims[1] : y->dims[0];
    int64_t N = nd->trans_b ? y->dims[0] : y->dims[1];
    if (K != K2)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): inner dimensions differ", nd->name, opn);
    d[0] = M; d[1] = N;
    r = 2;
    if (nd->nin > 2 && nd->in[2] >= 0) {
        struct sl_nn_value mn = { .rank = 2, .dims = { M, N } };
        int r2;
        int64_t d2[SL_NN_MAX_RANK];
        if (!broadcast(&mn, &m->values[nd->in[2]], &r2, d2) || r2 != 2 || d2[0] != M || d2[1] != N)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): C does not broadcast", nd->name, opn);
    }
    *rank = r;
out:
    return st;
}

/* Concat */
INFER_FN(concat)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (!norm_axis(&nd->axis, x->rank))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axis", nd->name, opn);
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    d[nd->axis] = 0;
    for (int i = 0; i < nd->nin; i++) {
        const struct sl_nn_value *y = nd->in[i] >= 0 ? &m->values[nd->in[i]] : NULL;
        if (!y || y->rank != r || y->dtype != x->dtype)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): input ranks differ", nd->name, opn);
        for (int k = 0; k < r; k++)
            if (k != nd->axis && y->dims[k] != d[k])
                FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): input shapes differ", nd->name, opn);
        d[nd->axis] += y->dims[nd->axis];
    }
    *rank = r;
out:
    return st;
}

/* Split */
INFER_FN(split)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (!norm_axis(&nd->axis, x->rank))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axis", nd->name, opn);
    if (nd->nin > 1 && nd->in[1] >= 0) {
        if (!const_ints(m, nd->in[1], nd->list, &nd->nlist, (int)SL_ARRAY_LEN(nd->list)))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): split must be constant", nd->name, opn);
        nd->nin = 1;
    }
    if (nd->nout > (int)SL_ARRAY_LEN(nd->list))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): too many outputs", nd->name, opn);
    int64_t total = x->dims[nd->axis];
    if (nd->nlist < 0) {
        if (total % nd->nout)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): uneven split", nd->name, opn);
        nd->nlist = nd->nout;
        for (int i = 0; i < nd->nout; i++)
            nd->list[i] = total / nd->nout;
    }
    int64_t sum = 0;
    if (nd->nlist != nd->nout)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): split count differs from outputs", nd->name, opn);
    for (int i = 0; i < nd->nout; i++) {
        if (nd->list[i] < 0)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad split", nd->name, opn);
        sum += nd->list[i];
    }
    if (sum != total)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): split sizes do not add up", nd->name, opn);
    for (int i = 0; i < nd->nout; i++) {
        memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
        d[nd->axis] = nd->list[i];
        if (!sl__nn_set_shape(&m->values[nd->out[i]], x->dtype, x->rank, d))
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad shape", nd->name, opn);
    }
    r = -1;                  /* outputs set here */
    *rank = r;
out:
    return st;
}

/* Slice */
INFER_FN(slice)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    int64_t steps[SL_NN_MAX_RANK * 2];
    int nsteps = -1;
    if (nd->nin > 1) {                       /* opset >= 10 form */
        if (nd->nin < 3 || !const_ints(m, nd->in[1], nd->list, &nd->nlist, SL_NN_MAX_RANK) ||
            !const_ints(m, nd->in[2], nd->list2, &nd->nlist2, SL_NN_MAX_RANK) ||
            (nd->nin > 3 && nd->in[3] >= 0 &&
             !const_ints(m, nd->in[3], nd->list3, &nd->nlist3, SL_NN_MAX_RANK)) ||
            (nd->nin > 4 && nd->in[4] >= 0 &&
             !const_ints(m, nd->in[4], steps, &nsteps, SL_NN_MAX_RANK)))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): starts/ends/axes must be constant", nd->name, opn);
        for (int i = 0; i < nsteps; i++)
            if (steps[i] != 1)
                FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): steps other than 1 are not supported", nd->name, opn);
        nd->nin = 1;
    }
    if (nd->nlist < 0 || nd->nlist != nd->nlist2)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): starts/ends missing", nd->name, opn);
    if (nd->nlist3 < 0) {
        nd->nlist3 = nd->nlist;
        for (int i = 0; i < nd->nlist; i++)
            nd->list3[i] = i;
    }
    if (nd->nlist3 != nd->nlist)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): axes count differs", nd->name, opn);
    r = x->rank;
    memcpy(d, x->dims, sizeof(int64_t) * SL_NN_MAX_RANK);
    /* normalise to full-rank starts (list) and ends (list2) */
    int64_t st2[SL_NN_MAX_RANK], en[SL_NN_MAX_RANK];
    bool seen[SL_NN_MAX_RANK] = { false };
    for (int i = 0; i < r; i++) {
        st2[i] = 0;
        en[i] = x->dims[i];
    }
    for (int i = 0; i < nd->nlist; i++) {
        int64_t a = nd->list3[i];
        if (!norm_axis(&a, r) || seen[a])
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axis", nd->name, opn);
        seen[a] = true;
        int64_t dim = x->dims[a], s = nd->list[i], e = nd->list2[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        s = SL_CLAMP(s, 0, dim);
        e = SL_CLAMP(e, 0, dim);
        if (e < s)
            e = s;
        st2[a] = s;
        en[a] = e;
    }
    nd->nlist = nd->nlist2 = nd->nlist3 = r;
    for (int i = 0; i < r; i++) {
        nd->list[i] = st2[i];
        nd->list2[i] = en[i];
        nd->list3[i] = i;
        d[i] = en[i] - st2[i];
    }
    *rank = r;
out:
    return st;
}

/* Transpose */
INFER_FN(transpose)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    r = x->rank;
    if (nd->nlist < 0) {
        nd->nlist = r;
        for (int i = 0; i < r; i++)
            nd->list[i] = r - 1 - i;
    }
    if (nd->nlist != r)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): perm has the wrong length", nd->name, opn);
    bool used[SL_NN_MAX_RANK] = { false };
    for (int i = 0; i < r; i++) {
        int64_t p = nd->list[i];
        if (p < 0 || p >= r || used[p])
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad perm", nd->name, opn);
        used[p] = true;
        d[i] = x->dims[p];
    }
    *rank = r;
out:
    return st;
}

/* Reshape */
INFER_FN(reshape)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    int64_t sh[SL_NN_MAX_RANK];
    int ns;
    if (!const_ints(m, nd->in[1], sh, &ns, SL_NN_MAX_RANK))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): shape must be constant", nd->name, opn);
    int64_t known = 1, total = sl__nn_numel(x);
    int neg = -1;
    for (int i = 0; i < ns; i++) {
        if (sh[i] == 0) {
            if (nd->allowzero)                   /* a real 0: an empty tensor */
                FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): a 0 with allowzero (an empty tensor) "
                     "is not supported", nd->name, opn);
            if (i >= x->rank)
                FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad 0 in shape", nd->name, opn);
            sh[i] = x->dims[i];
        }
        if (sh[i] == -1) {
            if (neg >= 0)
                FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): two -1 in shape", nd->name, opn);
            neg = i;
            continue;
        }
        if (sh[i] < 0 || sh[i] > SL_NN_MAX_ELEMS)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad shape", nd->name, opn);
        known *= sh[i];
        if (known > SL_NN_MAX_ELEMS)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad shape", nd->name, opn);
    }
    if (neg >= 0) {
        if (known == 0 || total % known)
            FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): shape does not divide", nd->name, opn);
        sh[neg] = total / known;
        known = total;
    }
    if (known != total)
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): element count changes", nd->name, opn);
    r = ns;
    memcpy(d, sh, sizeof(int64_t) * (size_t)ns);
    nd->nin = 1;
    *rank = r;
out:
    return st;
}

/* Flatten */
INFER_FN(flatten)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    int64_t a = nd->axis;
    if (a < 0)
        a += x->rank;
    if (a < 0 || a > x->rank)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axis", nd->name, opn);
    d[0] = d[1] = 1;
    for (int i = 0; i < x->rank; i++)
        d[i < a ? 0 : 1] *= x->dims[i];
    r = 2;
    *rank = r;
out:
    return st;
}

/* Shape */
INFER_FN(shape)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    struct sl_nn_value *o = &m->values[nd->out[0]];
    int r = 0;
    /* opset 15 start/end: negative from the back, clamped to [0, rank] */
    int64_t b = 0, e = x->rank;
    if (nd->nlist == 2) {
        b = nd->list[0] < 0 ? nd->list[0] + x->rank : nd->list[0];
        e = nd->list[1] < 0 ? nd->list[1] + x->rank : nd->list[1];
        b = SL_CLAMP(b, 0, x->rank);
        e = SL_CLAMP(e, 0, x->rank);
    }
    if (e <= b)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): an empty shape slice is not supported", nd->name, opn);
    nd->nlist = 2;
    nd->list[0] = b;
    nd->list[1] = e;
    d[0] = e - b;
    r = 1;
    if (!sl__nn_set_shape(o, SL_NN_I64, r, d))
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): bad shape", nd->name, opn);
    r = -1;                  /* outputs set here */
    *rank = r;
out:
    return st;
}

/* Gather */
INFER_FN(gather)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    const struct sl_nn_value *ix = &m->values[nd->in[1]];
    if (ix->dtype != SL_NN_I64 || !norm_axis(&nd->axis, x->rank) ||
        x->rank - 1 + ix->rank > SL_NN_MAX_RANK)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad indices or axis", nd->name, opn);
    if (ix->data) {
        const int64_t *id = ix->data;
        for (int64_t i = 0; i < sl__nn_numel(ix); i++)
            if (id[i] < -x->dims[nd->axis] || id[i] >= x->dims[nd->axis])
                FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): index out of range", nd->name, opn);
    } else {
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): indices must be constant", nd->name, opn);
    }
    for (int i = 0; i < nd->axis; i++)
        d[r++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++)
        d[r++] = ix->dims[i];
    for (int i = (int)nd->axis + 1; i < x->rank; i++)
        d[r++] = x->dims[i];
    *rank = r;
out:
    return st;
}

/* Unsqueeze, Squeeze */
INFER_FN(squeeze)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (nd->nin > 1 && nd->in[1] >= 0) {
        if (!const_ints(m, nd->in[1], nd->list, &nd->nlist, SL_NN_MAX_RANK))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): axes must be constant", nd->name, opn);
        nd->nin = 1;
    }
    if (nd->op == SL_OP_UNSQUEEZE) {
        if (nd->nlist < 0)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): axes missing", nd->name, opn);
        r = x->rank + nd->nlist;
        if (r > SL_NN_MAX_RANK)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): rank too large", nd->name, opn);
        bool ins[SL_NN_MAX_RANK] = { false };
        for (int i = 0; i < nd->nlist; i++) {
            int64_t a = nd->list[i];
            if (!norm_axis(&a, r) || ins[a])
                FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axes", nd->name, opn);
            ins[a] = true;
        }
        for (int i = 0, k = 0; i < r; i++)
            d[i] = ins[i] ? 1 : x->dims[k++];
    } else {
        bool del[SL_NN_MAX_RANK] = { false };
        if (nd->nlist < 0) {
            for (int i = 0; i < x->rank; i++)
                del[i] = x->dims[i] == 1;
        } else {
            for (int i = 0; i < nd->nlist; i++) {
                int64_t a = nd->list[i];
                if (!norm_axis(&a, x->rank) || x->dims[a] != 1)
                    FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axes", nd->name, opn);
                del[a] = true;
            }
        }
        for (int i = 0; i < x->rank; i++)
            if (!del[i])
                d[r++] = x->dims[i];
    }
    *rank = r;
out:
    return st;
}

/* ReduceMean */
INFER_FN(reduce_mean)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    bool red[SL_NN_MAX_RANK] = { false };
    if (nd->nlist < 0) {
        nd->nlist = x->rank;
        for (int i = 0; i < x->rank; i++)
            nd->list[i] = i;
    }
    for (int i = 0; i < nd->nlist; i++) {
        int64_t a = nd->list[i];
        if (!norm_axis(&a, x->rank))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): bad axes", nd->name, opn);
        nd->list[i] = a;
        red[a] = true;
    }
    for (int i = 0; i < x->rank; i++)
        if (!red[i])
            d[r++] = x->dims[i];
        else if (nd->keepdims)
            d[r++] = 1;
    *rank = r;
out:
    return st;
}

/* Pad */
INFER_FN(pad)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = &m->values[nd->in[0]];
    int r = 0;
    if (nd->nin > 1 && nd->in[1] >= 0) {
        if (!const_ints(m, nd->in[1], nd->list, &nd->nlist, 2 * SL_NN_MAX_RANK))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): pads must be constant", nd->name, opn);
        if (nd->nin > 2 && nd->in[2] >= 0 && !const_scalar_f(m, nd->in[2], &nd->alpha))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): value must be constant", nd->name, opn);
        nd->nin = 1;
    } else if (m->opset >= 11) {
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): pads missing", nd->name, opn);
    }
    if (nd->nlist != 2 * x->rank)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): pads must have 2*rank entries", nd->name, opn);
    if (nd->pad_mode != 0 && nd->pad_mode != 2)
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): only constant and edge modes are supported", nd->name, opn);
    r = x->rank;
    for (int i = 0; i < r; i++) {
        if (nd->list[i] < 0 || nd->list[i + r] < 0 || nd->list[i] > 65536 || nd->list[i + r] > 65536)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): negative or huge pads are not supported", nd->name, opn);
        d[i] = x->dims[i] + nd->list[i] + nd->list[i + r];
    }
    *rank = r;
out:
    return st;
}
