/*
 * graph.c -- the IR tables (values, nodes, names), shape inference and the
 * load-time passes: constant folding, BatchNormalization folding,
 * activation fusion, the NHWC layout pass, dead-node removal, and the
 * memory plan. See nn_int.h for the pipeline.
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

/* ============================ Tables ==================================== */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int sl__nn_value_find(const struct sl_nn_model *m, const char *name)
{
    if (!m->hash_cap)
        return -1;
    uint32_t mask = (uint32_t)m->hash_cap - 1;
    for (uint32_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        int v = m->hash[i];
        if (v < 0)
            return -1;
        if (strcmp(m->values[v].name, name) == 0)
            return v;
    }
}

static bool hash_insert(struct sl_nn_model *m, int v)
{
    if ((m->nvalues + 1) * 2 > m->hash_cap) {
        int cap = m->hash_cap ? m->hash_cap * 2 : 256;
        int *h = sl__malloc(sizeof(int) * (size_t)cap);
        if (!h)
            return false;
        for (int i = 0; i < cap; i++)
            h[i] = -1;
        for (int i = 0; i < m->hash_cap; i++) {
            int w = m->hash[i];
            if (w < 0)
                continue;
            uint32_t j = name_hash(m->values[w].name) & (uint32_t)(cap - 1);
            while (h[j] >= 0)
                j = (j + 1) & (uint32_t)(cap - 1);
            h[j] = w;
        }
        sl__free(m->hash);
        m->hash = h;
        m->hash_cap = cap;
    }
    uint32_t mask = (uint32_t)m->hash_cap - 1;
    uint32_t j = name_hash(m->values[v].name) & mask;
    while (m->hash[j] >= 0)
        j = (j + 1) & mask;
    m->hash[j] = v;
    return true;
}

/* Makes room for one more element in an array of *cap elements of elem
 * bytes that holds n: doubles it (64 the first time) when full. Returns the
 * array, moved or not, or NULL (the old one kept, *cap unchanged). */
static void *grow(void *arr, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    int c = *cap ? *cap * 2 : 64;
    void *t = sl__realloc(arr, elem * (size_t)c);
    if (t)
        *cap = c;
    return t;
}

static int value_add(struct sl_nn_model *m, const char *name, bool hashed)
{
    if (m->nvalues >= SL_NN_MAX_VALUES)
        return -1;
    struct sl_nn_value *t = grow(m->values, m->nvalues, &m->cap_values, sizeof *t);
    if (!t)
        return -1;
    m->values = t;
    struct sl_nn_value *v = &m->values[m->nvalues];
    memset(v, 0, sizeof *v);
    v->name = sl__strdup(name);
    if (!v->name)
        return -1;
    v->dtype = SL_NN_F32;
    v->rank = -1;
    v->producer = -1;
    v->alias = -1;
    if (hashed && !hash_insert(m, m->nvalues)) {
        sl__free(v->name);
        return -1;
    }
    return m->nvalues++;
}

int sl__nn_value_get(struct sl_nn_model *m, const char *name)
{
    int v = sl__nn_value_find(m, name);
    return v >= 0 ? v : value_add(m, name, true);
}

int sl__nn_value_new(struct sl_nn_model *m, const char *hint)
{
    return value_add(m, hint, false);
}

int sl__nn_node_new(struct sl_nn_model *m, int op, int nin, int nout)
{
    if (m->nnodes >= SL_NN_MAX_NODES)
        return -1;
    struct sl_nn_node *t = grow(m->nodes, m->nnodes, &m->cap_nodes, sizeof *t);
    if (!t)
        return -1;
    m->nodes = t;
    struct sl_nn_node *nd = &m->nodes[m->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->act_slope = -1;
    nd->in = sl__calloc((size_t)nin + 1, sizeof(int));
    nd->out = sl__calloc((size_t)nout + 1, sizeof(int));
    if (!nd->in || !nd->out) {
        sl__free(nd->in);
        sl__free(nd->out);
        return -1;
    }
    nd->nin = nin;
    nd->nout = nout;
    return m->nnodes++;
}

void sl__nn_model_release(struct sl_nn_model *m)
{
    for (int i = 0; i < m->nvalues; i++) {
        sl__free(m->values[i].name);
        sl__free(m->values[i].data);
    }
    for (int i = 0; i < m->nnodes; i++) {
        sl__free(m->nodes[i].name);
        sl__free(m->nodes[i].in);
        sl__free(m->nodes[i].out);
    }
    sl__free(m->values);
    sl__free(m->nodes);
    sl__free(m->inputs);
    sl__free(m->outputs);
    sl__free(m->order);
    sl__free(m->hash);
    memset(m, 0, sizeof *m);
}

int64_t sl__nn_numel(const struct sl_nn_value *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++)
        n *= v->dims[i];
    return n;
}

size_t sl__nn_nbytes(const struct sl_nn_value *v)
{
    return (size_t)sl__nn_numel(v) * (v->dtype == SL_NN_I64 ? 8 : 4);
}

/* ============================ Shape inference =========================== */
/* Infers node n's output shapes from its inputs (logical layout). */
static sl_status infer(struct sl_nn_model *m, int n)
{
    sl_status st = SL_OK;
    struct sl_nn_node *nd = &m->nodes[n];
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_value *x = NULL, *o = &m->values[nd->out[0]];
    int64_t d[SL_NN_MAX_RANK];
    int r = 0;
    for (int i = 0; i < nd->nin; i++) {
        if (nd->in[i] >= 0 && m->values[nd->in[i]].rank < 0)
            FAIL(SL_ERR_MODEL_FORMAT, "node '%s' (%s): input '%.128s' has no producer",
                 nd->name, opn, m->values[nd->in[i]].name);
    }
    /* input/output counts were checked against the op's opset form at
     * read; passes may have dropped operand inputs since (nin shrinks) */
    const struct sl_nn_opdef *def = &sl__nn_ops[nd->op];
    const struct sl_nn_op_form *form = sl__nn_op_form(nd->op, m->opset);
    int need = form ? form->in_min : 0;
    if (nd->nin < need || nd->nout < 1)
        FAIL(SL_ERR_MODEL_FORMAT, "node '%s' (%s): needs %d inputs", nd->name, opn, need);
    for (int i = 0; i < need; i++)
        if (nd->in[i] < 0)
            FAIL(SL_ERR_MODEL_FORMAT, "node '%s' (%s): input %d missing", nd->name, opn, i);
    if (nd->nin > 0 && nd->in[0] >= 0)
        x = &m->values[nd->in[0]];
    for (int i = 0; i < nd->nout; i++)
        if (i > 0 && nd->op != SL_OP_SPLIT && nd->op != SL_OP_DROPOUT)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): extra outputs are not supported", nd->name, opn);
    if (x && x->dtype != SL_NN_F32 && !(def->flags & SL_NN_OPF_INT))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): integer input is not supported", nd->name, opn);
    for (int i = 1; i < nd->nin && nd->op >= SL_OP_ADD && nd->op <= SL_OP_DIV; i++)
        if (nd->in[i] >= 0 && m->values[nd->in[i]].dtype != x->dtype)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): mixed input types", nd->name, opn);

    sl_nn_infer_fn fn = def->infer;
    if (!fn)
        FAIL(SL_ERR_MODEL_OP, "node '%s': op '%s' cannot be inferred", nd->name, opn);
    if ((st = fn(m, nd, d, &r)))
        goto out;
    if (r < 0)
        goto out;                                /* outputs set by fn */
    if (!sl__nn_set_shape(o, x ? x->dtype : SL_NN_F32, r, d))
        FAIL(SL_ERR_MODEL_SHAPE, "node '%s' (%s): output too large or bad", nd->name, opn);
out:
    return st;
}


/* ============================ Topological order ========================= */
static sl_status topo_sort(struct sl_nn_model *m)
{
    sl_status st = SL_OK;
    int *indeg = sl__calloc((size_t)m->nnodes + 1, sizeof(int));
    int *queue = sl__calloc((size_t)m->nnodes + 1, sizeof(int));
    int *ord = sl__calloc((size_t)m->nnodes + 1, sizeof(int));
    int qh = 0, qt = 0, no = 0, live = 0;
    if (!indeg || !queue || !ord)
        FAIL(SL_ERR_NOMEM, "out of memory");
    for (int n = 0; n < m->nnodes; n++) {
        struct sl_nn_node *nd = &m->nodes[n];
        if (nd->dead)
            continue;
        live++;
        for (int i = 0; i < nd->nin; i++) {
            int v = nd->in[i];
            if (v < 0)
                continue;
            struct sl_nn_value *val = &m->values[v];
            if (val->producer >= 0)
                indeg[n]++;
            else if (!val->data && !val->is_input)
                FAIL(SL_ERR_MODEL_FORMAT, "node '%s': input '%.128s' is never produced",
                     nd->name, val->name);
        }
        if (indeg[n] == 0)
            queue[qt++] = n;
    }
    while (qh < qt) {
        int n = queue[qh++];
        ord[no++] = n;
        struct sl_nn_node *nd = &m->nodes[n];
        for (int o = 0; o < nd->nout; o++) {
            int v = nd->out[o];
            for (int k = 0; k < m->nnodes; k++) {   /* small graphs: fine */
                struct sl_nn_node *c = &m->nodes[k];
                if (c->dead)
                    continue;
                for (int i = 0; i < c->nin; i++)
                    if (c->in[i] == v && --indeg[k] == 0)
                        queue[qt++] = k;
            }
        }
    }
    if (no != live)
        FAIL(SL_ERR_MODEL_FORMAT, "graph has a cycle");
    for (int i = 0; i < m->noutputs; i++) {
        struct sl_nn_value *val = &m->values[m->outputs[i]];
        if (val->producer < 0 && !val->is_input && !val->data)
            FAIL(SL_ERR_MODEL_FORMAT, "output '%.128s' is never produced", val->name);
    }
    sl__free(m->order);
    m->order = ord;
    m->norder = no;
    ord = NULL;
out:
    sl__free(indeg);
    sl__free(queue);
    sl__free(ord);
    return st;
}

/* ============================ Constant folding ========================== */
static bool foldable(int op)
{
    return !(sl__nn_ops[op].flags & SL_NN_OPF_NOFOLD) && sl__nn_ops[op].ref;
}

static sl_status fold_node(struct sl_nn_model *m, int n, size_t *budget)
{
    sl_status st = SL_OK;
    struct sl_nn_node *nd = &m->nodes[n];
    void *ptrs[2 * SL_NN_MAX_NODE_IO + 2];
    int nouts = 0;
    if (nd->op == SL_OP_SHAPE) {
        struct sl_nn_value *x = &m->values[nd->in[0]], *o = &m->values[nd->out[0]];
        int64_t *d = sl__malloc(sizeof(int64_t) * SL_NN_MAX_RANK);
        if (!d)
            FAIL(SL_ERR_NOMEM, "out of memory");
        memcpy(d, x->dims + nd->list[0], sizeof(int64_t) * (size_t)(nd->list[1] - nd->list[0]));
        o->data = d;
        o->producer = -1;
        nd->dead = true;
        goto out;
    }
    if (!foldable(nd->op))
        goto out;
    for (int i = 0; i < nd->nin; i++) {
        if (nd->in[i] >= 0 && !m->values[nd->in[i]].data)
            goto out;
        ptrs[i] = nd->in[i] >= 0 ? m->values[nd->in[i]].data : NULL;
    }
    for (int o = 0; o < nd->nout; o++) {
        struct sl_nn_value *ov = &m->values[nd->out[o]];
        size_t nb = sl__nn_nbytes(ov);
        if (nb > *budget)
            FAIL(SL_ERR_TOO_LARGE, "node '%s': constant folding exceeds the size budget", nd->name);
        *budget -= nb;
        ptrs[nd->nin + o] = sl__malloc(nb ? nb : 1);
        if (!ptrs[nd->nin + o])
            goto nomem;
        nouts++;
    }
    st = sl__nn_ref_run(m, nd, ptrs);
    if (st)
        goto fail;
    for (int o = 0; o < nd->nout; o++) {
        m->values[nd->out[o]].data = ptrs[nd->nin + o];
        m->values[nd->out[o]].producer = -1;
    }
    nd->dead = true;
    goto out;
nomem:
    st = SL_ERR_NOMEM;
    snprintf(m->err, sizeof m->err, "out of memory");
fail:
    for (int o = 0; o < nouts; o++)
        sl__free(ptrs[nd->nin + o]);
out:
    return st;
}

/* Shape inference and folding in one topological walk. */
static sl_status infer_and_fold(struct sl_nn_model *m, size_t *budget)
{
    sl_status st = topo_sort(m);
    if (st)
        return st;
    for (int k = 0; k < m->norder; k++) {
        int n = m->order[k];
        if ((st = infer(m, n)))
            return st;
        if ((st = fold_node(m, n, budget)))
            return st;
    }
    return SL_OK;
}

/* ============================ Use counts ================================ */
static void count_uses(struct sl_nn_model *m)
{
    for (int v = 0; v < m->nvalues; v++)
        m->values[v].nuses = m->values[v].is_output ? 1 : 0;
    for (int n = 0; n < m->nnodes; n++) {
        struct sl_nn_node *nd = &m->nodes[n];
        if (nd->dead)
            continue;
        for (int i = 0; i < nd->nin; i++)
            if (nd->in[i] >= 0)
                m->values[nd->in[i]].nuses++;
        if (nd->act == SL_ACT_PRELU && nd->act_slope >= 0)
            m->values[nd->act_slope].nuses++;
    }
}

static int single_consumer(const struct sl_nn_model *m, int v)
{
    if (m->values[v].nuses != 1 || m->values[v].is_output)
        return -1;
    for (int n = 0; n < m->nnodes; n++) {
        const struct sl_nn_node *nd = &m->nodes[n];
        if (nd->dead)
            continue;
        for (int i = 0; i < nd->nin; i++)
            if (nd->in[i] == v)
                return n;
    }
    return -1;
}

/* New constant value of the given shape; data uninitialised (owned). */
static int const_new(struct sl_nn_model *m, const char *hint, int rank, const int64_t *d)
{
    int v = sl__nn_value_new(m, hint);
    if (v < 0)
        return -1;
    struct sl_nn_value *val = &m->values[v];
    if (!sl__nn_set_shape(val, SL_NN_F32, rank, d))
        return -1;
    val->data = sl__malloc(sl__nn_nbytes(val) ? sl__nn_nbytes(val) : 1);
    return val->data ? v : -1;
}

/* ============================ BatchNorm folding ========================= */
/* A BatchNormalization that cannot be folded keeps only scale and shift. */
static sl_status bn_affine(struct sl_nn_model *m, int n)
{
    sl_status st = SL_OK;
    struct sl_nn_node *bn = &m->nodes[n];
    if (bn->nin == 3)
        goto out;
    int64_t C = m->values[bn->in[0]].dims[1];
    int sc = const_new(m, "bn_scale", 1, &C);
    int sh = sc >= 0 ? const_new(m, "bn_shift", 1, &C) : -1;
    if (sh < 0)
        FAIL(SL_ERR_NOMEM, "out of memory folding BatchNormalization");
    bn = &m->nodes[n];
    const float *g = m->values[bn->in[1]].data, *be = m->values[bn->in[2]].data;
    const float *mu = m->values[bn->in[3]].data, *var = m->values[bn->in[4]].data;
    float *ps = m->values[sc].data, *pt = m->values[sh].data;
    for (int64_t c = 0; c < C; c++) {
        ps[c] = g[c] / sqrtf(var[c] + bn->eps);
        pt[c] = be[c] - mu[c] * ps[c];
    }
    bn->in[1] = sc;
    bn->in[2] = sh;
    bn->nin = 3;
out:
    return st;
}

static sl_status fold_bn(struct sl_nn_model *m)
{
    sl_status st = SL_OK;
    count_uses(m);
    for (int n = 0; n < m->nnodes; n++) {
        struct sl_nn_node *bn = &m->nodes[n];
        if (bn->dead || bn->op != SL_OP_BATCHNORM)
            continue;
        int x = bn->in[0];
        int p = m->values[x].producer;
        if (p < 0 || single_consumer(m, x) != n || m->nodes[p].op != SL_OP_CONV ||
            m->nodes[p].act != SL_ACT_NONE) {
            if ((st = bn_affine(m, n)))
                goto out;
            continue;
        }
        struct sl_nn_node *cv = &m->nodes[p];
        const struct sl_nn_value *w = &m->values[cv->in[1]];
        int64_t oc = w->dims[0], per = sl__nn_numel(w) / oc;
        const float *g = m->values[bn->in[1]].data, *be = m->values[bn->in[2]].data;
        const float *mu = m->values[bn->in[3]].data, *var = m->values[bn->in[4]].data;
        int64_t bd[1] = { oc };
        /* scale the weights in place when this conv is their only user */
        int nw = w->nuses == 1 && !w->is_output ? cv->in[1] : const_new(m, "w_bn", w->rank, w->dims);
        int nb = nw >= 0 ? const_new(m, "b_bn", 1, bd) : -1;
        if (nb < 0)
            FAIL(SL_ERR_NOMEM, "out of memory folding BatchNormalization");
        w = &m->values[cv->in[1]];                /* table may have moved */
        const float *ob = cv->nin > 2 && cv->in[2] >= 0 ? m->values[cv->in[2]].data : NULL;
        float *wd = m->values[nw].data, *bdst = m->values[nb].data;
        const float *ws = w->data;
        for (int64_t o = 0; o < oc; o++) {
            float s = g[o] / sqrtf(var[o] + bn->eps);
            for (int64_t k = 0; k < per; k++)
                wd[o * per + k] = ws[o * per + k] * s;
            bdst[o] = ((ob ? ob[o] : 0.0f) - mu[o]) * s + be[o];
        }
        if (cv->nin < 3) {
            int *t = sl__realloc(cv->in, sizeof(int) * 3);
            if (!t)
                FAIL(SL_ERR_NOMEM, "out of memory");
            cv->in = t;
            cv->nin = 3;
        }
        cv->in[1] = nw;
        cv->in[2] = nb;
        m->values[bn->out[0]].producer = p;
        m->values[x].producer = -1;
        cv->out[0] = bn->out[0];
        bn->dead = true;
        count_uses(m);
    }
out:
    return st;
}

/* ============================ Activation fusion ========================= */
static void fuse_acts(struct sl_nn_model *m)
{
    count_uses(m);
    for (int n = 0; n < m->nnodes; n++) {
        struct sl_nn_node *a = &m->nodes[n];
        if (a->dead || (a->op != SL_OP_RELU && a->op != SL_OP_CLIP))
            continue;
        int x = a->in[0];
        int p = m->values[x].producer;
        if (p < 0 || single_consumer(m, x) != n)
            continue;
        struct sl_nn_node *cv = &m->nodes[p];
        if ((cv->op != SL_OP_CONV && cv->op != SL_OP_GEMM && cv->op != SL_OP_BATCHNORM) ||
            cv->act != SL_ACT_NONE)
            continue;
        if (a->op == SL_OP_RELU) {
            cv->act = SL_ACT_RELU;
            cv->act_min = 0.0f;
            cv->act_max = INFINITY;
        } else {
            cv->act = SL_ACT_CLIP;
            cv->act_min = a->clip_min;
            cv->act_max = a->clip_max;
        }
        m->values[a->out[0]].producer = p;
        m->values[x].producer = -1;
        cv->out[0] = a->out[0];
        a->dead = true;
        count_uses(m);
    }
}

/* ============================ Peepholes ================================= */
/* Reshape [N,C,H,W]->[N,g,C/g,H,W], Transpose [0,2,1,3,4], Reshape back to
 * [N,C,H,W] (ShuffleNet) becomes one ChannelShuffle, which the layout pass
 * keeps in NHWC. A Pad of all zeros becomes an Identity (a view). */
static void peepholes(struct sl_nn_model *m)
{
    count_uses(m);
    for (int n = 0; n < m->nnodes; n++) {
        struct sl_nn_node *r1 = &m->nodes[n];
        if (r1->dead)
            continue;
        if (r1->op == SL_OP_PAD) {
            bool zero = true;
            for (int i = 0; i < r1->nlist; i++)
                zero &= r1->list[i] == 0;
            if (zero)
                r1->op = SL_OP_IDENTITY;
            continue;
        }
        if (r1->op != SL_OP_RESHAPE)
            continue;
        const struct sl_nn_value *x = &m->values[r1->in[0]], *v1 = &m->values[r1->out[0]];
        if (x->rank != 4 || v1->rank != 5 || v1->dims[0] != x->dims[0] ||
            v1->dims[1] * v1->dims[2] != x->dims[1] || v1->dims[3] != x->dims[2] ||
            v1->dims[4] != x->dims[3])
            continue;
        int t = single_consumer(m, r1->out[0]);
        if (t < 0 || m->nodes[t].op != SL_OP_TRANSPOSE)
            continue;
        static const int64_t want[5] = { 0, 2, 1, 3, 4 };
        if (m->nodes[t].nlist != 5 || memcmp(m->nodes[t].list, want, sizeof want))
            continue;
        int r2 = single_consumer(m, m->nodes[t].out[0]);
        if (r2 < 0 || m->nodes[r2].op != SL_OP_RESHAPE)
            continue;
        const struct sl_nn_value *v3 = &m->values[m->nodes[r2].out[0]];
        if (v3->rank != 4 || memcmp(v3->dims, x->dims, sizeof(int64_t) * 4))
            continue;
        r1 = &m->nodes[n];
        int64_t g = v1->dims[1];
        int out = m->nodes[r2].out[0];
        m->values[r1->out[0]].producer = -1;
        r1->op = SL_OP_SHUFFLE;
        r1->nlist = 1;
        r1->list[0] = g;
        r1->out[0] = out;
        m->values[out].producer = n;
        m->nodes[t].dead = true;
        m->nodes[r2].dead = true;
        count_uses(m);
    }
}

/* ============================ Layout (NHWC) ============================= */
/* logical NCHW axis -> physical NHWC axis */
static const int l2p[4] = { 0, 3, 1, 2 };

static void permute_dims(struct sl_nn_value *v)
{
    int64_t n = v->dims[0], c = v->dims[1], h = v->dims[2], w = v->dims[3];
    v->dims[0] = n; v->dims[1] = h; v->dims[2] = w; v->dims[3] = c;
    v->nhwc = true;
}

/* Inserts a Transpose producing the other layout of v; returns the new
 * value (cached in conv[v]). to_nhwc: NCHW -> NHWC. */
static int convert(struct sl_nn_model *m, int v, bool to_nhwc, int *conv, sl_status *st)
{
    if (conv[v] >= 0)
        return conv[v];
    char hint[SL_NN_MAX_NAME + 16];
    snprintf(hint, sizeof hint, "%s%s", m->values[v].name, to_nhwc ? "#nhwc" : "#nchw");
    int nv = sl__nn_value_new(m, hint);
    int n = nv >= 0 ? sl__nn_node_new(m, SL_OP_TRANSPOSE, 1, 1) : -1;
    if (n < 0) {
        *st = SL_ERR_NOMEM;
        snprintf(m->err, sizeof m->err, "out of memory in the layout pass");
        return -1;
    }
    struct sl_nn_node *nd = &m->nodes[n];
    nd->name = sl__strdup(hint);
    if (!nd->name) {
        *st = SL_ERR_NOMEM;
        return -1;
    }
    nd->in[0] = v;
    nd->out[0] = nv;
    nd->nlist = 4;
    static const int64_t to[4] = { 0, 2, 3, 1 }, back[4] = { 0, 3, 1, 2 };
    memcpy(nd->list, to_nhwc ? to : back, sizeof to);
    struct sl_nn_value *src = &m->values[v], *dst = &m->values[nv];
    dst->dtype = src->dtype;
    dst->rank = 4;
    for (int i = 0; i < 4; i++)
        dst->dims[i] = src->dims[nd->list[i]];
    dst->nhwc = to_nhwc;
    dst->producer = n;
    if (src->data && src->nuses <= 1 && !src->is_output) {
        /* the only user switches to the converted copy: move, not copy */
        dst->data = sl__malloc(sl__nn_nbytes(dst) ? sl__nn_nbytes(dst) : 1);
        if (!dst->data) {
            *st = SL_ERR_NOMEM;
            return -1;
        }
        void *ptrs[2] = { src->data, dst->data };
        *st = sl__nn_ref_run(m, nd, ptrs);
        if (*st)
            return -1;
        sl__free(src->data);
        src->data = NULL;
        src->rank = -1;
        dst->producer = -1;
        m->nodes[n].dead = true;
    } else if (src->data) {                      /* fold right away */
        dst->data = sl__malloc(sl__nn_nbytes(dst) ? sl__nn_nbytes(dst) : 1);
        if (!dst->data) {
            *st = SL_ERR_NOMEM;
            return -1;
        }
        void *ptrs[2] = { src->data, dst->data };
        *st = sl__nn_ref_run(m, nd, ptrs);
        if (*st)
            return -1;
        dst->producer = -1;
        m->nodes[n].dead = true;
    }
    conv[v] = nv;
    conv[nv] = v;
    return nv;
}

/* A constant of rank < 4 broadcast against a 4-D NCHW shape: make it 4-D
 * (leading 1s) and NHWC. Returns the new value or -1. */
static int const_to_nhwc4(struct sl_nn_model *m, int v, sl_status *st)
{
    struct sl_nn_value *src = &m->values[v];
    int64_t d[4] = { 1, 1, 1, 1 };
    for (int i = 0; i < src->rank; i++)
        d[4 - src->rank + i] = src->dims[i];
    int64_t pd[4] = { d[0], d[2], d[3], d[1] };
    int nv = const_new(m, "c_nhwc", 4, pd);
    if (nv < 0) {
        *st = SL_ERR_NOMEM;
        return -1;
    }
    src = &m->values[v];
    const float *s = src->data;
    float *o = m->values[nv].data;
    for (int64_t n = 0; n < d[0]; n++)
        for (int64_t c = 0; c < d[1]; c++)
            for (int64_t h = 0; h < d[2]; h++)
                for (int64_t w = 0; w < d[3]; w++)
                    o[((n * d[2] + h) * d[3] + w) * d[1] + c] =
                        s[((n * d[1] + c) * d[2] + h) * d[3] + w];
    m->values[nv].nhwc = true;
    return nv;
}

static sl_status layout(struct sl_nn_model *m)
{
    sl_status st = SL_OK;
    count_uses(m);
    int cap = m->nvalues * 3 + 64;
    int *conv = sl__malloc(sizeof(int) * (size_t)cap);
    if (!conv)
        FAIL(SL_ERR_NOMEM, "out of memory");
    for (int i = 0; i < cap; i++)
        conv[i] = -1;
    int norig = m->norder;
    int *ord = m->order;
    for (int k = 0; k < norig; k++) {
        int n = ord[k];
        if (m->nodes[n].dead)
            continue;
        if (m->nvalues + 8 >= cap)
            FAIL(SL_ERR_TOO_LARGE, "layout pass: too many values");
        struct sl_nn_node *nd = &m->nodes[n];
        int op = nd->op;
        struct sl_nn_value *x = nd->in[0] >= 0 ? &m->values[nd->in[0]] : NULL;
        bool out_nhwc = false;
        int orank = m->values[nd->out[0]].rank;
#define IN_NHWC(i) do { \
            int v_ = nd->in[i], w_; \
            if (v_ >= 0 && !m->values[v_].nhwc && m->values[v_].rank == 4) { \
                w_ = convert(m, v_, true, conv, &st); if (w_ < 0) goto out; \
                nd = &m->nodes[n]; nd->in[i] = w_; } } while (0)
#define IN_NCHW(i) do { \
            int v_ = nd->in[i], w_; \
            if (v_ >= 0 && m->values[v_].nhwc) { \
                w_ = convert(m, v_, false, conv, &st); if (w_ < 0) goto out; \
                nd = &m->nodes[n]; nd->in[i] = w_; } } while (0)
        int cls = sl__nn_ops[op].layout;
        switch (cls == SL_NN_LAYOUT_OWN ? op : -1 - cls) {
        case -1 - SL_NN_LAYOUT_NHWC:             /* Conv, pools, GAP */
            IN_NHWC(0);
            if (op == SL_OP_CONV)
                IN_NHWC(1);                      /* OIHW -> OHWI */
            out_nhwc = true;
            break;
        case -1 - SL_NN_LAYOUT_FOLLOW:           /* elementwise, ChannelShuffle */
            out_nhwc = x->nhwc;
            break;
        case SL_OP_BATCHNORM:
            out_nhwc = x->nhwc;
            nd->axis = x->nhwc ? 3 : 1;
            break;
        case SL_OP_PRELU: case SL_OP_ADD: case SL_OP_SUB: case SL_OP_MUL: case SL_OP_DIV: {
            bool any = false, ok = orank == 4;
            for (int i = 0; i < 2; i++) {
                struct sl_nn_value *y = &m->values[nd->in[i]];
                any |= y->nhwc;
                if (!y->nhwc && y->rank < 4 && !y->data && sl__nn_numel(y) != 1)
                    ok = false;                  /* runtime low-rank operand */
            }
            if (any && ok) {
                for (int i = 0; i < 2; i++) {
                    struct sl_nn_value *y = &m->values[nd->in[i]];
                    if (y->nhwc)
                        continue;
                    if (y->rank == 4) {
                        IN_NHWC(i);
                    } else if (y->data) {
                        int w = const_to_nhwc4(m, nd->in[i], &st);
                        if (w < 0)
                            goto out;
                        nd = &m->nodes[n];
                        nd->in[i] = w;
                    }                            /* runtime scalar: fine */
                }
                out_nhwc = true;
            } else {
                IN_NCHW(0);
                IN_NCHW(1);
            }
            break;
        }
        case SL_OP_CONCAT: {
            bool any = false;
            for (int i = 0; i < nd->nin; i++)
                any |= m->values[nd->in[i]].nhwc;
            if (any) {
                for (int i = 0; i < nd->nin; i++)
                    IN_NHWC(i);
                nd->axis = l2p[nd->axis];
                out_nhwc = true;
            }
            break;
        }
        case SL_OP_SPLIT:
            if (x->nhwc) {
                nd->axis = l2p[nd->axis];
                out_nhwc = true;
            }
            break;
        case SL_OP_SOFTMAX:
            if (x->nhwc && nd->axis > 1 && m->opset < 13)
                IN_NCHW(0);
            else if (x->nhwc && m->opset >= 13)
                IN_NCHW(0);
            else
                out_nhwc = x->nhwc;
            break;
        case SL_OP_SLICE:
            if (x->nhwc) {
                int64_t s[4], e[4];
                for (int i = 0; i < 4; i++) {
                    s[l2p[i]] = nd->list[i];
                    e[l2p[i]] = nd->list2[i];
                }
                memcpy(nd->list, s, sizeof s);
                memcpy(nd->list2, e, sizeof e);
                out_nhwc = true;
            }
            break;
        case SL_OP_PAD:
            if (x->nhwc) {
                int64_t p[8];
                for (int i = 0; i < 4; i++) {
                    p[l2p[i]] = nd->list[i];
                    p[4 + l2p[i]] = nd->list[4 + i];
                }
                memcpy(nd->list, p, sizeof p);
                out_nhwc = true;
            }
            break;
        case SL_OP_REDUCEMEAN:
            if (x->nhwc) {
                bool red[4] = { false };
                for (int i = 0; i < nd->nlist; i++)
                    red[nd->list[i]] = true;
                /* keepdims=0 keeps physical order only if C does not end
                 * up before H/W in the logical result */
                bool keeps_c = !red[1], keeps_hw = !red[2] || !red[3];
                if (nd->keepdims || !(keeps_c && keeps_hw)) {
                    for (int i = 0; i < nd->nlist; i++)
                        nd->list[i] = l2p[nd->list[i]];
                    out_nhwc = nd->keepdims;
                } else {
                    IN_NCHW(0);
                }
            }
            break;
        case SL_OP_TRANSPOSE:
            if (x->nhwc) {                       /* compose with NHWC->NCHW */
                for (int i = 0; i < 4; i++)
                    nd->list[i] = l2p[nd->list[i]];
            }
            break;
        default:                                 /* needs ONNX layout */
            for (int i = 0; i < nd->nin; i++)
                IN_NCHW(i);
            break;
        }
#undef IN_NHWC
#undef IN_NCHW
        for (int o = 0; o < nd->nout; o++) {
            struct sl_nn_value *ov = &m->values[nd->out[o]];
            if (out_nhwc && ov->rank == 4)
                permute_dims(ov);
        }
    }
    /* graph outputs come back in ONNX layout */
    for (int i = 0; i < m->noutputs; i++) {
        int v = m->outputs[i];
        if (!m->values[v].nhwc)
            continue;
        int w = convert(m, v, false, conv, &st);
        if (w < 0)
            goto out;
        /* the output keeps its name; the NHWC value gets the suffixed one */
        char *t = m->values[v].name;
        m->values[v].name = m->values[w].name;
        m->values[w].name = t;
        m->values[v].is_output = false;
        m->values[w].is_output = true;
        m->outputs[i] = w;
    }
out:
    sl__free(conv);
    return st;
}

/* ============================ Dead nodes ================================ */
static sl_status remove_dead(struct sl_nn_model *m)
{
    sl_status st = SL_OK;
    bool *need = sl__calloc((size_t)m->nvalues + 1, 1);
    if (!need)
        FAIL(SL_ERR_NOMEM, "out of memory");
    for (int i = 0; i < m->noutputs; i++)
        need[m->outputs[i]] = true;
    if ((st = topo_sort(m)))
        goto out;
    for (int k = m->norder - 1; k >= 0; k--) {
        struct sl_nn_node *nd = &m->nodes[m->order[k]];
        bool live = false;
        for (int o = 0; o < nd->nout; o++)
            live |= need[nd->out[o]];
        if (!live) {
            nd->dead = true;
            continue;
        }
        for (int i = 0; i < nd->nin; i++)
            if (nd->in[i] >= 0)
                need[nd->in[i]] = true;
    }
    if ((st = topo_sort(m)))
        goto out;
    /* drop constants nobody uses any more */
    count_uses(m);
    for (int v = 0; v < m->nvalues; v++) {
        struct sl_nn_value *val = &m->values[v];
        if (val->data && val->nuses == 0 && !val->is_output) {
            sl__free(val->data);
            val->data = NULL;
        }
    }
out:
    sl__free(need);
    return st;
}

/* ============================ Memory plan =============================== */
static bool is_view(const struct sl_nn_model *m, const struct sl_nn_node *nd)
{
    if (sl__nn_ops[nd->op].flags & SL_NN_OPF_VIEW)
        return true;
    switch (nd->op) {
    case SL_OP_TRANSPOSE: {              /* only size-1 dims move: a view */
        const struct sl_nn_value *x = &m->values[nd->in[0]];
        int64_t last = -1;
        for (int i = 0; i < nd->nlist; i++) {
            int64_t p = nd->list[i];
            if (x->dims[p] == 1)
                continue;
            if (p < last)
                return false;
            last = p;
        }
        return true;
    }
    default:
        return false;
    }
}

static int root_of(const struct sl_nn_model *m, int v)
{
    while (m->values[v].alias >= 0)
        v = m->values[v].alias;
    return v;
}

bool sl__nn_node_is_view(const struct sl_nn_model *m, int n)
{
    return is_view(m, &m->nodes[n]);
}

static sl_status plan(struct sl_nn_model *m)
{
    sl_status st = SL_OK;
    int nv = m->nvalues;
    int *first = sl__malloc(sizeof(int) * (size_t)nv);
    int *last = sl__malloc(sizeof(int) * (size_t)nv);
    int *bufs = sl__malloc(sizeof(int) * (size_t)nv);
    int nb = 0;
    if (!first || !last || !bufs)
        FAIL(SL_ERR_NOMEM, "out of memory");
    for (int v = 0; v < nv; v++) {
        m->values[v].alias = -1;
        first[v] = m->values[v].is_input ? -1 : 1 << 30;
        last[v] = -2;
    }
    for (int k = 0; k < m->norder; k++) {
        struct sl_nn_node *nd = &m->nodes[m->order[k]];
        if (is_view(m, nd) && !m->values[nd->in[0]].data &&
            !m->values[nd->out[0]].is_output)
            m->values[nd->out[0]].alias = nd->in[0];
    }
    for (int k = 0; k < m->norder; k++) {
        struct sl_nn_node *nd = &m->nodes[m->order[k]];
        for (int o = 0; o < nd->nout; o++) {
            int r = root_of(m, nd->out[o]);
            first[r] = SL_MIN(first[r], k);
            last[r] = SL_MAX(last[r], k);
        }
        for (int i = 0; i < nd->nin; i++) {
            if (nd->in[i] < 0 || m->values[nd->in[i]].data)
                continue;
            int r = root_of(m, nd->in[i]);
            last[r] = SL_MAX(last[r], k);
        }
    }
    for (int i = 0; i < m->noutputs; i++) {
        int r = root_of(m, m->outputs[i]);
        last[r] = m->norder;
    }
    for (int i = 0; i < m->ninputs; i++) {
        int r = m->inputs[i];
        last[r] = SL_MAX(last[r], 0);
    }
    for (int v = 0; v < nv; v++)
        if (m->values[v].alias < 0 && !m->values[v].data && last[v] >= -1 &&
            m->values[v].rank >= 0)
            bufs[nb++] = v;
    /* greedy: biggest first, lowest offset that does not overlap in time */
    for (int i = 1; i < nb; i++)
        for (int j = i; j > 0 && sl__nn_nbytes(&m->values[bufs[j]]) >
                                 sl__nn_nbytes(&m->values[bufs[j - 1]]); j--) {
            int t = bufs[j]; bufs[j] = bufs[j - 1]; bufs[j - 1] = t;
        }
    size_t total = 0;
    for (int i = 0; i < nb; i++) {
        int v = bufs[i];
        size_t sz = (sl__nn_nbytes(&m->values[v]) + 63) & ~(size_t)63;
        size_t off = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (int j = 0; j < i; j++) {
                int w = bufs[j];
                if (first[w] > last[v] || first[v] > last[w])
                    continue;
                size_t wo = m->values[w].offset;
                size_t ws = (sl__nn_nbytes(&m->values[w]) + 63) & ~(size_t)63;
                if (off < wo + ws && wo < off + sz) {
                    off = wo + ws;
                    moved = true;
                }
            }
        }
        m->values[v].offset = off;
        total = SL_MAX(total, off + sz);
    }
    for (int v = 0; v < nv; v++)
        if (m->values[v].alias >= 0)
            m->values[v].offset = m->values[root_of(m, v)].offset;
    if (total > ((size_t)1 << 30))
        FAIL(SL_ERR_TOO_LARGE, "activations need %zu bytes (limit 1 GiB)", total);
    /* XNNPACK reads up to 16 bytes past a tensor: keep a tail. */
    m->arena_bytes = total + 64;
    m->weight_bytes = 0;
    count_uses(m);
    for (int v = 0; v < nv; v++)
        if (m->values[v].data && m->values[v].nuses > 0)
            m->weight_bytes += sl__nn_nbytes(&m->values[v]);
out:
    sl__free(first);
    sl__free(last);
    sl__free(bufs);
    return st;
}

sl_status sl__nn_prepare(struct sl_nn_model *m)
{
    sl_status st;
    size_t budget = (size_t)64 << 20;      /* folded constants (shape chains) */
    for (int i = 0; i < m->noutputs; i++)
        if (m->values[m->outputs[i]].data || m->values[m->outputs[i]].is_input) {
            snprintf(m->err, sizeof m->err, "output '%.128s' is a constant or an input",
                     m->values[m->outputs[i]].name);
            return SL_ERR_MODEL_OP;
        }
    if ((st = infer_and_fold(m, &budget)))
        return st;
    for (int i = 0; i < m->noutputs; i++)
        if (m->values[m->outputs[i]].data) {
            snprintf(m->err, sizeof m->err, "output '%.128s' does not depend on the "
                     "input values (computed at load time from constants or shapes, e.g. "
                     "by Shape): constant outputs are not supported",
                     m->values[m->outputs[i]].name);
            return SL_ERR_MODEL_OP;
        }
    if ((st = fold_bn(m)))
        return st;
    fuse_acts(m);
    peepholes(m);
    if ((st = topo_sort(m)))
        return st;
    if ((st = layout(m)))
        return st;
    if ((st = remove_dead(m)))
        return st;
    return plan(m);
}

/* ============================ Debug dump ================================ */
void sl__nn_dump(const struct sl_nn_model *m, FILE *f)
{
    for (int k = 0; k < m->norder; k++) {
        const struct sl_nn_node *nd = &m->nodes[m->order[k]];
        fprintf(f, "%-12s %-28.28s", sl__nn_op_name(nd->op), nd->name);
        for (int i = 0; i < nd->nin; i++) {
            if (nd->in[i] < 0)
                continue;
            const struct sl_nn_value *v = &m->values[nd->in[i]];
            fprintf(f, " %s%.24s[", v->data ? "#" : "", v->name);
            for (int d = 0; d < v->rank; d++)
                fprintf(f, "%s%lld", d ? "," : "", (long long)v->dims[d]);
            fprintf(f, "]%s", v->nhwc ? "h" : "");
        }
        fprintf(f, " ->");
        for (int o = 0; o < nd->nout; o++) {
            const struct sl_nn_value *v = &m->values[nd->out[o]];
            fprintf(f, " %.24s[", v->name);
            for (int d = 0; d < v->rank; d++)
                fprintf(f, "%s%lld", d ? "," : "", (long long)v->dims[d]);
            fprintf(f, "]%s%s", v->nhwc ? "h" : "", v->alias >= 0 ? " (view)" : "");
        }
        if (nd->op == SL_OP_TRANSPOSE || nd->op == SL_OP_REDUCEMEAN) {
            fprintf(f, " list=");
            for (int i = 0; i < nd->nlist; i++)
                fprintf(f, "%s%lld", i ? "," : "", (long long)nd->list[i]);
        }
        if (nd->act)
            fprintf(f, " act=%d", nd->act);
        fprintf(f, "\n");
    }
}
