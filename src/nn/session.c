/*
 * session.c -- the public API of the engine (include/shualian/nn.h):
 * loading, model queries, sessions (arena + backend steps) and run.
 *
 * A session's run executes the planned node order; each node is a step
 * bound to the session's backend or, where that backend lacks the op, to
 * ref. Views (Reshape, Flatten, ...) whose output shares the input's
 * buffer are skipped. Nothing is allocated per run.
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

/* Error details are cut to fit m->err on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "shualian/nn.h"

struct step {
    const struct sl_nn_backend_ops *be;
    void *ctx;
    void *op;
    int   node;
};

struct sl_nn_session {
    const struct sl_nn_model *m;
    const struct sl_nn_backend_ops *be;
    void *ctx;                     /* backend state                          */
    uint8_t *arena;                /* m->arena_bytes, 64-byte aligned        */
    struct sl_nn_exec x;
    struct step *steps;
    int nsteps;
    uint64_t *prof_ns;             /* per step, accumulated                  */
    int profile;
    /* Adaptive threading (threads > 1): on a machine shared with other
     * jobs a thread pool can be slower than one thread (every operator
     * waits for a descheduled worker). Every ADAPT_PERIOD runs the first
     * ADAPT_PROBE runs alternate pooled/serial; the mode with the lower
     * minimum time is kept until the next probe. */
    uint64_t runs;
    uint64_t best_ns[2];           /* [0] pooled, [1] serial (probe minima) */
    bool serial;
};
#define ADAPT_PERIOD 64
#define ADAPT_PROBE  8

/* ============================ Loading =================================== */
static void set_err(char *err, size_t cap, const char *msg)
{
    if (err && cap)
        snprintf(err, cap, "%s", msg);
}

/* Reads p (released with sl__free right after parsing when owned, so the
 * file and the folded weights never peak together), then prepares. */
static sl_status load(sl_nn_model **out, const void *p, size_t n, bool owned,
                      char *err, size_t cap);

sl_status sl_nn_model_load_mem(sl_nn_model **out, const void *p, size_t n,
                               char *err, size_t cap)
{
    return load(out, p, n, false, err, cap);
}

static sl_status load(sl_nn_model **out, const void *p, size_t n, bool owned,
                      char *err, size_t cap)
{
    sl_status st;
    struct sl_nn_model *m = NULL;
    *out = NULL;
    set_err(err, cap, "");
    if ((!p && n) || n > SL_NN_MAX_FILE_BYTES) {
        if (owned)
            sl__free((void *)p);
        set_err(err, cap, n > SL_NN_MAX_FILE_BYTES ? "model file too large" : "no data");
        return n > SL_NN_MAX_FILE_BYTES ? SL_ERR_TOO_LARGE : SL_ERR_INVALID;
    }
    m = sl__calloc(1, sizeof *m);
    if (!m) {
        if (owned)
            sl__free((void *)p);
        set_err(err, cap, "out of memory");
        return SL_ERR_NOMEM;
    }
    m->magic = SL_NN_MODEL_MAGIC;
    st = sl__nn_onnx_read(m, p, n);
    if (owned) {
        sl__free((void *)p);
        owned = false;
    }
    if (st)
        goto fail;
    st = sl__nn_prepare(m);
    if (st)
        goto fail;
    *out = m;
    return SL_OK;
fail:
    if (!m->err[0])
        snprintf(m->err, sizeof m->err, "%s", sl_status_str(st));
    set_err(err, cap, m->err);
    sl__nn_model_release(m);
    sl__free(m);
    return st;
}

sl_status sl_nn_model_load_file(sl_nn_model **out, const char *path, char *err,
                                size_t cap)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    sl_status st = sl__read_file(path, SL_NN_MAX_FILE_BYTES, &buf, &len);
    if (st) {
        if (err && cap)
            snprintf(err, cap, "cannot read model %s: %s", path, sl_status_str(st));
        return st;
    }
    return load(out, buf, len, true, err, cap);
}

void sl_nn_model_free(sl_nn_model *m)
{
    if (!m)
        return;
    SL_ASSERT(m->magic == SL_NN_MODEL_MAGIC);
    sl__nn_model_release(m);
    sl__free(m);
}

/* ============================ Queries =================================== */
int sl_nn_model_num_inputs(const sl_nn_model *m) { return m->ninputs; }
int sl_nn_model_num_outputs(const sl_nn_model *m) { return m->noutputs; }

const char *sl_nn_model_input_name(const sl_nn_model *m, int i)
{
    return i >= 0 && i < m->ninputs ? m->values[m->inputs[i]].name : NULL;
}

const char *sl_nn_model_output_name(const sl_nn_model *m, int i)
{
    return i >= 0 && i < m->noutputs ? m->values[m->outputs[i]].name : NULL;
}

static int shape_of(const struct sl_nn_value *v, int64_t *dims, int cap)
{
    for (int k = 0; k < v->rank && k < cap; k++)
        dims[k] = v->dims[k];
    return v->rank;
}

int sl_nn_model_input_shape(const sl_nn_model *m, int i, int64_t *dims, int cap)
{
    return i >= 0 && i < m->ninputs ? shape_of(&m->values[m->inputs[i]], dims, cap) : -1;
}

int sl_nn_model_output_shape(const sl_nn_model *m, int i, int64_t *dims, int cap)
{
    return i >= 0 && i < m->noutputs ? shape_of(&m->values[m->outputs[i]], dims, cap) : -1;
}

size_t sl_nn_model_input_size(const sl_nn_model *m, int i)
{
    return i >= 0 && i < m->ninputs ? (size_t)sl__nn_numel(&m->values[m->inputs[i]]) : 0;
}

size_t sl_nn_model_output_size(const sl_nn_model *m, int i)
{
    return i >= 0 && i < m->noutputs ? (size_t)sl__nn_numel(&m->values[m->outputs[i]]) : 0;
}

/* every op of the table fits the public stats arrays */
_Static_assert(SL_OP_COUNT <= (int)(sizeof ((struct sl_nn_stats *)0)->op_name /
                                    sizeof(const char *)), "sl_nn_stats.op_name too small");

void sl_nn_model_stats(const sl_nn_model *m, struct sl_nn_stats *s)
{
    memset(s, 0, sizeof *s);
    s->arena_bytes = m->arena_bytes;
    s->weight_bytes = m->weight_bytes;
    s->nodes_in_file = m->src_nodes;
    s->nodes_run = m->norder;
    int run[SL_OP_COUNT] = { 0 };
    for (int k = 0; k < m->norder; k++) {
        const struct sl_nn_node *nd = &m->nodes[m->order[k]];
        run[nd->op]++;
        const struct sl_nn_value *y = &m->values[nd->out[0]];
        if (nd->op == SL_OP_CONV) {
            const struct sl_nn_value *w = &m->values[nd->in[1]];
            s->macs += (uint64_t)sl__nn_numel(y) * (uint64_t)(sl__nn_numel(w) / w->dims[0]);
        } else if (nd->op == SL_OP_GEMM) {
            const struct sl_nn_value *a = &m->values[nd->in[0]];
            s->macs += (uint64_t)sl__nn_numel(y) * (uint64_t)(nd->trans_a ? a->dims[0] : a->dims[1]);
        } else if (nd->op == SL_OP_MATMUL) {
            const struct sl_nn_value *b = &m->values[nd->in[1]];
            s->macs += (uint64_t)sl__nn_numel(y) * (uint64_t)b->dims[0];
        }
    }
    for (int v = 0; v < m->nvalues; v++)
        if (m->values[v].data && m->values[v].dtype == SL_NN_F32 && m->values[v].nuses > 0)
            s->params += (uint64_t)sl__nn_numel(&m->values[v]);
    for (int op = 0; op < SL_OP_COUNT && s->nops < 48; op++) {
        if (!m->src_op_count[op] && !run[op])
            continue;
        s->op_name[s->nops] = sl__nn_op_name(op);
        s->op_count[s->nops] = m->src_op_count[op];
        s->op_run[s->nops] = run[op];
        s->nops++;
    }
}

/* ============================ Sessions ================================== */
void *sl__nn_ptr(const struct sl_nn_exec *x, int v)
{
    const struct sl_nn_value *val = &x->m->values[v];
    return val->data ? val->data : x->arena + val->offset;
}

void sl_nn_session_free(sl_nn_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nsteps; i++)
        if (s->steps[i].be->node_free && s->steps[i].op)
            s->steps[i].be->node_free(s->steps[i].ctx, s->steps[i].op);
    if (s->be && s->ctx)
        s->be->close(s->ctx);
    sl__free(s->steps);
    sl__free(s->prof_ns);
    sl__free(s->arena);
    sl__free(s);
}

sl_status sl_nn_session_new(sl_nn_session **out, const sl_nn_model *m,
                            const char *backend, int threads)
{
    struct sl_nn_options o = { .backend = backend, .threads = threads };
    if (threads < 1)
        return SL_ERR_INVALID;
    return sl_nn_session_new_opts(out, m, &o);
}

sl_status sl_nn_session_new_opts(sl_nn_session **out, const sl_nn_model *m,
                                 const struct sl_nn_options *opt)
{
    sl_status st = SL_OK;
    const char *backend = opt ? opt->backend : NULL;
    int threads = opt && opt->threads ? opt->threads : 1;
    struct sl_nn_session *s = NULL;
    const struct sl_nn_backend_ops *be = &sl__nn_backend_ref;
    *out = NULL;
    SL_ASSERT(m && m->magic == SL_NN_MODEL_MAGIC);
    if (threads < 1 || threads > 64)
        return SL_ERR_INVALID;
#ifdef SL_HAVE_XNNPACK
    if (!backend || strcmp(backend, "xnnpack") == 0)
        be = &sl__nn_backend_xnnpack;
    else if (strcmp(backend, "ref") != 0)
        return SL_ERR_UNSUPPORTED;
#else
    if (backend && strcmp(backend, "ref") != 0)
        return SL_ERR_UNSUPPORTED;
#endif
    s = sl__calloc(1, sizeof *s);
    if (!s)
        return SL_ERR_NOMEM;
    s->m = m;
    s->arena = sl__aligned_alloc(64, (m->arena_bytes + 63) & ~(size_t)63);
    s->steps = sl__calloc((size_t)m->norder + 1, sizeof *s->steps);
    s->prof_ns = sl__calloc((size_t)m->norder + 1, sizeof *s->prof_ns);
    if (!s->arena || !s->steps || !s->prof_ns) {
        st = SL_ERR_NOMEM;
        goto fail;
    }
    memset(s->arena, 0, m->arena_bytes);
    s->x.m = m;
    s->x.arena = s->arena;
    s->x.threads = threads;
    s->x.kernels_off = opt ? opt->kernels_off : 0;
    if ((st = be->open(&s->ctx, threads)))
        goto fail;
    s->be = be;
    for (int k = 0; k < m->norder; k++) {
        int n = m->order[k];
        const struct sl_nn_node *nd = &m->nodes[n];
        if (m->values[nd->out[0]].alias >= 0)
            continue;                            /* a view: nothing to run */
        struct step *sp = &s->steps[s->nsteps];
        sp->node = n;
        sp->be = be;
        sp->ctx = s->ctx;
        st = be->node_prepare(s->ctx, &s->x, n, &sp->op);
        if (st == SL_ERR_UNSUPPORTED && be != &sl__nn_backend_ref) {
            sp->be = &sl__nn_backend_ref;
            sp->ctx = NULL;
            st = sl__nn_backend_ref.node_prepare(NULL, &s->x, n, &sp->op);
        }
        if (st)
            goto fail;
        s->nsteps++;
    }
    *out = s;
    return SL_OK;
fail:
    sl_nn_session_free(s);
    return st;
}

void sl_nn_session_set_profile(sl_nn_session *s, int on)
{
    s->profile = on;
    memset(s->prof_ns, 0, sizeof *s->prof_ns * (size_t)(s->nsteps + 1));
}

int sl_nn_session_profile_step(const sl_nn_session *s, int k, const char **op,
                               const char **node, const char **backend, double *ms)
{
    if (k < 0 || k >= s->nsteps)
        return 0;
    const struct sl_nn_node *nd = &s->m->nodes[s->steps[k].node];
    *op = sl__nn_op_name(nd->op);
    *node = nd->name;
    *backend = s->steps[k].be->name;
    *ms = (double)s->prof_ns[k] / 1e6;
    return 1;
}

const char *sl_nn_backends(void)
{
#ifdef SL_HAVE_XNNPACK
    return "ref,xnnpack";
#else
    return "ref";
#endif
}

const char *sl_nn_session_backend(const sl_nn_session *s)
{
    return s->be->name;
}

sl_status sl_nn_session_run(sl_nn_session *s, const float *const *inputs,
                            const size_t *in_counts, float *const *outputs,
                            const size_t *out_counts)
{
    const struct sl_nn_model *m = s->m;
    for (int i = 0; i < m->ninputs; i++)
        if (!inputs[i] || in_counts[i] != (size_t)sl__nn_numel(&m->values[m->inputs[i]]))
            return SL_ERR_MODEL_SHAPE;
    for (int i = 0; i < m->noutputs; i++)
        if (!outputs[i] || out_counts[i] != (size_t)sl__nn_numel(&m->values[m->outputs[i]]))
            return SL_ERR_MODEL_SHAPE;
    for (int i = 0; i < m->ninputs; i++)
        memcpy(sl__nn_ptr(&s->x, m->inputs[i]), inputs[i], in_counts[i] * sizeof(float));
    bool adapt = s->x.threads > 1 && s->be->set_serial;
    uint64_t phase = s->runs % ADAPT_PERIOD, start = 0;
    if (adapt) {
        if (phase == 0)
            s->best_ns[0] = s->best_ns[1] = UINT64_MAX;
        if (phase < ADAPT_PROBE)
            s->be->set_serial(s->ctx, phase & 1);
        else if (phase == ADAPT_PROBE)
            s->be->set_serial(s->ctx, s->serial = s->best_ns[1] < s->best_ns[0]);
        start = sl_time_mono_ns();
    }
    s->runs++;
    for (int k = 0; k < s->nsteps; k++) {
        struct step *sp = &s->steps[k];
        uint64_t t0 = s->profile ? sl_time_mono_ns() : 0;
        sl_status st = sp->be->node_run(sp->ctx, &s->x, sp->node, sp->op);
        if (st)
            return st;
        if (s->profile)
            s->prof_ns[k] += sl_time_mono_ns() - t0;
    }
    if (adapt && phase < ADAPT_PROBE) {
        uint64_t dt = sl_time_mono_ns() - start;
        if (dt < s->best_ns[phase & 1])
            s->best_ns[phase & 1] = dt;
    }
    for (int i = 0; i < m->noutputs; i++)
        memcpy(outputs[i], sl__nn_ptr(&s->x, m->outputs[i]), out_counts[i] * sizeof(float));
    return SL_OK;
}
