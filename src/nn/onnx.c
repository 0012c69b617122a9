/*
 * onnx.c -- a bounds-checked reader for the subset of onnx.proto the engine
 * needs: ModelProto{opset_import, graph}, GraphProto{node, initializer,
 * input, output}, NodeProto, AttributeProto{f,i,s,t,floats,ints},
 * TensorProto{dims, data_type, raw_data, float_data, int32_data,
 * int64_data}, ValueInfoProto{name, tensor shape}.
 *
 * Hostile input: every length is checked against the bytes left before it
 * is used; element counts are capped (SL_NN_MAX_ELEMS) and their products
 * checked for overflow; a tensor's payload must be present in the file, so
 * the memory we allocate is bounded by a small multiple of the file size.
 * Nesting is fixed by the schema (subgraph attributes are rejected), so
 * there is no unbounded recursion.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

/* Error details are cut to fit m->err on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ============================ Wire format =============================== */
struct pb {
    const uint8_t *p, *end;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            return false;
        uint8_t c = *b->p++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static bool pb_key(struct pb *b, uint32_t *field, uint32_t *wt)
{
    uint64_t k;
    if (!pb_varint(b, &k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff)
        return false;
    *field = (uint32_t)(k >> 3);
    *wt = (uint32_t)(k & 7);
    return true;
}

static bool pb_len(struct pb *b, struct pb *sub)
{
    uint64_t n;
    if (!pb_varint(b, &n) || n > (uint64_t)(b->end - b->p))
        return false;
    sub->p = b->p;
    sub->end = b->p + n;
    b->p += n;
    return true;
}

static bool pb_fixed32(struct pb *b, uint32_t *v)
{
    if (b->end - b->p < 4)
        return false;
    memcpy(v, b->p, 4);
    b->p += 4;
    return true;
}

static bool pb_skip(struct pb *b, uint32_t wt)
{
    uint64_t v;
    struct pb sub;
    switch (wt) {
    case 0: return pb_varint(b, &v);
    case 1:
        if (b->end - b->p < 8)
            return false;
        b->p += 8;
        return true;
    case 2: return pb_len(b, &sub);
    case 5:
        if (b->end - b->p < 4)
            return false;
        b->p += 4;
        return true;
    default: return false;           /* groups (3, 4) and 6, 7 are invalid */
    }
}

/* Copies a length-delimited string into a new NUL-terminated buffer. */
static char *pb_strdup(struct pb s)
{
    size_t n = (size_t)(s.end - s.p);
    if (n > SL_NN_MAX_NAME || memchr(s.p, 0, n))
        return NULL;
    char *r = sl__malloc(n + 1);
    if (r) {
        memcpy(r, s.p, n);
        r[n] = 0;
    }
    return r;
}

/* Why pb_strdup failed: a bad name, or out of memory. */
static sl_status strdup_err(struct pb s)
{
    size_t n = (size_t)(s.end - s.p);
    return n > SL_NN_MAX_NAME || memchr(s.p, 0, n) ? SL_ERR_MODEL_FORMAT : SL_ERR_NOMEM;
}

/* Why a value/node could not be added: the limit, or out of memory. */
#define TABLE_ERR(m) ((m)->nvalues >= SL_NN_MAX_VALUES || (m)->nnodes >= SL_NN_MAX_NODES ? \
                      SL_ERR_TOO_LARGE : SL_ERR_NOMEM)

static bool pb_streq(struct pb s, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(s.end - s.p) == n && memcmp(s.p, lit, n) == 0;
}

#define FAIL(code, ...) \
    do { st = (code); snprintf(m->err, sizeof m->err, __VA_ARGS__); goto out; } while (0)

/* ============================ Tensors =================================== */

/* Counts the elements of a repeated scalar field (packed or not). */
static bool count_repeated(struct pb *b, uint32_t wt, int elem_wt, int64_t *count)
{
    if (wt == 2) {
        struct pb s;
        if (!pb_len(b, &s))
            return false;
        if (elem_wt == 5) {
            if ((s.end - s.p) % 4)
                return false;
            *count += (s.end - s.p) / 4;
        } else {
            uint64_t v;
            while (s.p < s.end)
                if (!pb_varint(&s, &v))
                    return false;
                else
                    (*count)++;
        }
        return true;
    }
    if ((int)wt != elem_wt)
        return false;
    (*count)++;
    return pb_skip(b, wt);
}

/* Reads a TensorProto into value v (dims, dtype, owned data). */
static sl_status read_tensor(struct sl_nn_model *m, struct pb b, int v,
                             char **name_out)
{
    sl_status st = SL_OK;
    struct sl_nn_value *val = &m->values[v];
    int64_t dims[SL_NN_MAX_RANK];
    int rank = 0;
    int64_t dtype = 0, nfloat = 0, nint32 = 0, nint64 = 0;
    struct pb raw = { NULL, NULL };
    bool have_raw = false;
    struct pb start = b;
    char *name = NULL;
    uint32_t f, wt;

    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "bad tensor field");
        uint64_t x;
        struct pb s;
        switch (f) {
        case 1:                                  /* dims */
            if (wt == 2) {
                if (!pb_len(&b, &s))
                    FAIL(SL_ERR_MODEL_FORMAT, "bad tensor dims");
                while (s.p < s.end) {
                    if (!pb_varint(&s, &x))
                        FAIL(SL_ERR_MODEL_FORMAT, "bad tensor dims");
                    if (rank >= SL_NN_MAX_RANK)
                        FAIL(SL_ERR_MODEL_OP, "tensor rank over %d", SL_NN_MAX_RANK);
                    dims[rank++] = (int64_t)x;
                }
            } else if (wt == 0) {
                if (!pb_varint(&b, &x))
                    FAIL(SL_ERR_MODEL_FORMAT, "bad tensor dims");
                if (rank >= SL_NN_MAX_RANK)
                    FAIL(SL_ERR_MODEL_OP, "tensor rank over %d", SL_NN_MAX_RANK);
                dims[rank++] = (int64_t)x;
            } else {
                FAIL(SL_ERR_MODEL_FORMAT, "bad tensor dims");
            }
            break;
        case 2:
            if (wt != 0 || !pb_varint(&b, &x))
                FAIL(SL_ERR_MODEL_FORMAT, "bad tensor data_type");
            dtype = (int64_t)x;
            break;
        case 4:
            if (!count_repeated(&b, wt, 5, &nfloat))
                FAIL(SL_ERR_MODEL_FORMAT, "bad float_data");
            break;
        case 5:
            if (!count_repeated(&b, wt, 0, &nint32))
                FAIL(SL_ERR_MODEL_FORMAT, "bad int32_data");
            break;
        case 7:
            if (!count_repeated(&b, wt, 0, &nint64))
                FAIL(SL_ERR_MODEL_FORMAT, "bad int64_data");
            break;
        case 8:
            if (wt != 2 || !pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad tensor name");
            sl__free(name);
            name = pb_strdup(s);
            if (!name)
                FAIL(strdup_err(s), "bad tensor name");
            break;
        case 9:
            if (wt != 2 || !pb_len(&b, &raw))
                FAIL(SL_ERR_MODEL_FORMAT, "bad raw_data");
            have_raw = true;
            break;
        case 14:
            if (wt != 0 || !pb_varint(&b, &x))
                FAIL(SL_ERR_MODEL_FORMAT, "bad data_location");
            if (x != 0)
                FAIL(SL_ERR_MODEL_OP, "external tensor data is not supported");
            break;
        default:
            if (!pb_skip(&b, wt))
                FAIL(SL_ERR_MODEL_FORMAT, "bad tensor field %u", f);
        }
    }

    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > SL_NN_MAX_ELEMS)
            FAIL(SL_ERR_MODEL_FORMAT, "bad tensor dim %lld", (long long)dims[i]);
        numel *= dims[i];
        if (numel > SL_NN_MAX_ELEMS)
            FAIL(SL_ERR_MODEL_FORMAT, "tensor too large");
    }
    int out_dtype;
    size_t esz;
    if (dtype == 1) {
        out_dtype = SL_NN_F32;
        esz = 4;
    } else if (dtype == 7 || dtype == 6) {
        out_dtype = SL_NN_I64;
        esz = 8;
    } else {
        FAIL(SL_ERR_MODEL_OP, "tensor data type %lld is not supported", (long long)dtype);
    }
    int64_t have;
    if (have_raw) {
        size_t rawn = (size_t)(raw.end - raw.p);
        size_t src_esz = dtype == 6 ? 4 : esz;
        if (rawn != (size_t)numel * src_esz)
            FAIL(SL_ERR_MODEL_FORMAT, "raw_data holds %zu bytes, dims need %lld",
                 rawn, (long long)numel * (long long)src_esz);
        have = numel;
    } else {
        have = dtype == 1 ? nfloat : dtype == 6 ? nint32 : nint64;
        if (have != numel)
            FAIL(SL_ERR_MODEL_FORMAT, "tensor holds %lld values, dims need %lld",
                 (long long)have, (long long)numel);
    }
    void *data = sl__malloc(numel ? (size_t)numel * esz : 1);
    if (!data)
        FAIL(SL_ERR_NOMEM, "out of memory for a tensor");
    if (have_raw) {
        if (dtype == 6) {
            for (int64_t i = 0; i < numel; i++) {
                int32_t t;
                memcpy(&t, raw.p + 4 * i, 4);
                ((int64_t *)data)[i] = t;
            }
        } else {
            memcpy(data, raw.p, (size_t)numel * esz);
        }
    } else {
        /* second pass: fill the typed field */
        uint32_t want = dtype == 1 ? 4 : dtype == 6 ? 5 : 7;
        int64_t k = 0;
        b = start;
        while (b.p < b.end && k < numel) {
            if (!pb_key(&b, &f, &wt))
                break;
            if (f != want) {
                pb_skip(&b, wt);
                continue;
            }
            struct pb s;
            if (wt == 2) {
                pb_len(&b, &s);
            } else {
                s.p = b.p;
                s.end = b.end;
            }
            while (s.p < s.end && k < numel) {
                if (dtype == 1) {
                    uint32_t u;
                    if (!pb_fixed32(&s, &u))
                        break;
                    memcpy((float *)data + k, &u, 4);
                    k++;
                } else {
                    uint64_t x;
                    if (!pb_varint(&s, &x))
                        break;
                    ((int64_t *)data)[k++] = dtype == 6 ? (int64_t)(int32_t)x : (int64_t)x;
                }
                if (wt != 2)
                    break;
            }
            if (wt != 2)
                b.p = s.p;
        }
    }
    if (out_dtype == SL_NN_F32) {
        /* Flush denormals: outputs stay identical, arithmetic stays fast. */
        float *fd = data;
        for (int64_t i = 0; i < numel; i++)
            if (fpclassify(fd[i]) == FP_SUBNORMAL)
                fd[i] = 0.0f;
    }
    sl__free(val->data);
    val->data = data;
    val->dtype = out_dtype;
    val->rank = rank;
    for (int i = 0; i < rank; i++)
        val->dims[i] = dims[i];
    if (name_out) {
        *name_out = name;
        name = NULL;
    }
out:
    sl__free(name);
    return st;
}

/* A standalone TensorProto (the .pb files of ONNX's node tests) into *out:
 * dtype, rank, dims and an owned payload (float32, or int64 for int32/int64
 * tensors); the name, when present, into *name (owned). Test drivers only. */
sl_status sl__nn_tensor_read(const uint8_t *p, size_t n, struct sl_nn_value *out,
                             char **name, char *err, size_t cap)
{
    struct sl_nn_model *m = sl__calloc(1, sizeof *m);
    memset(out, 0, sizeof *out);
    if (name)
        *name = NULL;
    if (!m)
        return SL_ERR_NOMEM;
    sl_status st = SL_ERR_NOMEM;
    int v = sl__nn_value_new(m, "tensor");
    if (v >= 0) {
        struct pb b = { p, p + n };
        st = read_tensor(m, b, v, name);
        if (st == SL_OK) {
            *out = m->values[v];
            out->name = NULL;
            m->values[v].data = NULL;
        }
    }
    if (st && err && cap)
        snprintf(err, cap, "%s", m->err[0] ? m->err : sl_status_str(st));
    sl__nn_model_release(m);
    sl__free(m);
    return st;
}

/* ============================ Value info ================================ */
static sl_status read_value_info(struct sl_nn_model *m, struct pb b, char **name,
                                 int *rank, int64_t *dims, int *dtype)
{
    sl_status st = SL_OK;
    uint32_t f, wt;
    struct pb s, t, tt, sh, d;
    *rank = -1;
    *dtype = 0;
    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "bad value info");
        if (f == 1 && wt == 2) {
            if (!pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad value info name");
            sl__free(*name);
            if (!(*name = pb_strdup(s)))
                FAIL(strdup_err(s), "bad value info name");
        } else if (f == 2 && wt == 2) {          /* TypeProto */
            if (!pb_len(&b, &t))
                FAIL(SL_ERR_MODEL_FORMAT, "bad type");
            while (t.p < t.end) {
                if (!pb_key(&t, &f, &wt))
                    FAIL(SL_ERR_MODEL_FORMAT, "bad type");
                if (f != 1 || wt != 2) {
                    if (!pb_skip(&t, wt))
                        FAIL(SL_ERR_MODEL_FORMAT, "bad type");
                    continue;
                }
                if (!pb_len(&t, &tt))            /* TypeProto.Tensor */
                    FAIL(SL_ERR_MODEL_FORMAT, "bad tensor type");
                while (tt.p < tt.end) {
                    uint64_t x;
                    if (!pb_key(&tt, &f, &wt))
                        FAIL(SL_ERR_MODEL_FORMAT, "bad tensor type");
                    if (f == 1 && wt == 0) {
                        if (!pb_varint(&tt, &x))
                            FAIL(SL_ERR_MODEL_FORMAT, "bad elem type");
                        *dtype = (int)(x & 0xff);
                    } else if (f == 2 && wt == 2) {
                        if (!pb_len(&tt, &sh))
                            FAIL(SL_ERR_MODEL_FORMAT, "bad shape");
                        *rank = 0;
                        while (sh.p < sh.end) {
                            if (!pb_key(&sh, &f, &wt))
                                FAIL(SL_ERR_MODEL_FORMAT, "bad shape");
                            if (f != 1 || wt != 2) {
                                if (!pb_skip(&sh, wt))
                                    FAIL(SL_ERR_MODEL_FORMAT, "bad shape");
                                continue;
                            }
                            if (!pb_len(&sh, &d))
                                FAIL(SL_ERR_MODEL_FORMAT, "bad dim");
                            if (*rank >= SL_NN_MAX_RANK)
                                FAIL(SL_ERR_MODEL_OP, "input rank over %d", SL_NN_MAX_RANK);
                            int64_t dv = -1;     /* dim_param (batch) -> 1 */
                            while (d.p < d.end) {
                                if (!pb_key(&d, &f, &wt))
                                    FAIL(SL_ERR_MODEL_FORMAT, "bad dim");
                                if (f == 1 && wt == 0) {
                                    if (!pb_varint(&d, &x))
                                        FAIL(SL_ERR_MODEL_FORMAT, "bad dim");
                                    dv = (int64_t)x;
                                } else if (!pb_skip(&d, wt)) {
                                    FAIL(SL_ERR_MODEL_FORMAT, "bad dim");
                                }
                            }
                            if (dv < 0)
                                dv = 1;          /* 0 stays: an empty input */
                            if (dv > SL_NN_MAX_ELEMS)
                                FAIL(SL_ERR_MODEL_FORMAT, "bad dim");
                            dims[(*rank)++] = dv;
                        }
                    } else if (!pb_skip(&tt, wt)) {
                        FAIL(SL_ERR_MODEL_FORMAT, "bad tensor type");
                    }
                }
            }
        } else if (!pb_skip(&b, wt)) {
            FAIL(SL_ERR_MODEL_FORMAT, "bad value info");
        }
    }
    if (!*name)
        FAIL(SL_ERR_MODEL_FORMAT, "value info without a name");
out:
    return st;
}

/* ============================ Attributes ================================ */
struct attr {
    struct pb name;
    int       type;          /* AttributeProto.AttributeType, 0 if absent */
    float     f;
    int64_t   i;
    struct pb s;
    struct pb t;
    bool      has_f, has_i, has_s, has_t;
    int       nints, nfloats;
    int64_t   ints[SL_NN_MAX_ATTR_LIST];
    float     floats[SL_NN_MAX_ATTR_LIST];
};

static bool read_attr(struct pb b, struct attr *a)
{
    uint32_t f, wt;
    memset(a, 0, sizeof *a);
    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            return false;
        uint64_t x;
        uint32_t u;
        struct pb s;
        switch (f) {
        case 1:
            if (wt != 2 || !pb_len(&b, &a->name))
                return false;
            break;
        case 2:
            if (wt != 5 || !pb_fixed32(&b, &u))
                return false;
            memcpy(&a->f, &u, 4);
            a->has_f = true;
            break;
        case 3:
            if (wt != 0 || !pb_varint(&b, &x))
                return false;
            a->i = (int64_t)x;
            a->has_i = true;
            break;
        case 4:
            if (wt != 2 || !pb_len(&b, &a->s))
                return false;
            a->has_s = true;
            break;
        case 5:
            if (wt != 2 || !pb_len(&b, &a->t))
                return false;
            a->has_t = true;
            break;
        case 7:                                  /* floats */
            if (wt == 2) {
                if (!pb_len(&b, &s) || (s.end - s.p) % 4)
                    return false;
                while (s.p < s.end) {
                    if (a->nfloats >= SL_NN_MAX_ATTR_LIST || !pb_fixed32(&s, &u))
                        return false;
                    memcpy(&a->floats[a->nfloats++], &u, 4);
                }
            } else if (wt == 5) {
                if (a->nfloats >= SL_NN_MAX_ATTR_LIST || !pb_fixed32(&b, &u))
                    return false;
                memcpy(&a->floats[a->nfloats++], &u, 4);
            } else {
                return false;
            }
            break;
        case 8:                                  /* ints */
            if (wt == 2) {
                if (!pb_len(&b, &s))
                    return false;
                while (s.p < s.end) {
                    if (a->nints >= SL_NN_MAX_ATTR_LIST || !pb_varint(&s, &x))
                        return false;
                    a->ints[a->nints++] = (int64_t)x;
                }
            } else if (wt == 0) {
                if (a->nints >= SL_NN_MAX_ATTR_LIST || !pb_varint(&b, &x))
                    return false;
                a->ints[a->nints++] = (int64_t)x;
            } else {
                return false;
            }
            break;
        case 20:
            if (wt != 0 || !pb_varint(&b, &x))
                return false;
            a->type = (int)(x & 0xff);
            break;
        default:
            if (!pb_skip(&b, wt))
                return false;
        }
    }
    return true;
}

/* Fills the node's typed parameters from its attributes. Unknown or
 * unsupported attributes are load errors naming the node and the op. */
static sl_status node_attrs(struct sl_nn_model *m, struct sl_nn_node *nd,
                            struct attr *as, int nas)
{
    sl_status st = SL_OK;
    const char *opn = sl__nn_op_name(nd->op);
    struct sl_nn_conv_p *c = &nd->conv;
    /* defaults */
    c->kh = c->kw = 0;
    c->sh = c->sw = c->dh = c->dw = 1;
    c->group = 1;
    nd->axis = nd->op == SL_OP_SOFTMAX || nd->op == SL_OP_FLATTEN ||
               nd->op == SL_OP_CONCAT ? 1 : 0;
    if (nd->op == SL_OP_SOFTMAX && m->opset >= 13)
        nd->axis = -1;
    nd->alpha = nd->beta = 1.0f;
    nd->eps = 1e-5f;
    nd->keepdims = 1;
    nd->clip_min = -INFINITY;
    nd->clip_max = INFINITY;
    nd->act_slope = -1;
    nd->nlist = -1;
    nd->nlist2 = nd->nlist3 = -1;

    const struct sl_nn_op_form *form = sl__nn_op_form(nd->op, m->opset);
    for (int k = 0; k < nas; k++) {
        struct attr *a = &as[k];
        int n = (int)(a->name.end - a->name.p);
        const char *an = (const char *)a->name.p;
#define IS(lit) pb_streq(a->name, lit)
        bool ok = true;
        /* ONNX's own attribute set of this op at this opset (ops.c) */
        if (!form || !sl__nn_form_has_attr(form, an, (size_t)n))
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): attribute '%.*s' is not defined at opset %lld",
                 nd->name, opn, n > 64 ? 64 : n, an, (long long)m->opset);
        switch (nd->op) {
        case SL_OP_CONV: case SL_OP_AVGPOOL: case SL_OP_MAXPOOL:
            /* a window of another rank than 2: say so, not "unsupported
             * attribute" (1-D and 3-D convs and pools) */
            if (((IS("kernel_shape") || IS("strides") || IS("dilations")) && a->nints != 2) ||
                (IS("pads") && a->nints != 4))
                FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): only 2-D windows are supported "
                     "('%.*s' has %d entries: a %d-D window)", nd->name, opn, n, an, a->nints,
                     IS("pads") ? a->nints / 2 : a->nints);
            if (IS("kernel_shape") && a->nints == 2) {
                c->kh = (int)a->ints[0]; c->kw = (int)a->ints[1];
            } else if (IS("strides") && a->nints == 2) {
                c->sh = (int)a->ints[0]; c->sw = (int)a->ints[1];
            } else if (IS("dilations") && a->nints == 2) {
                c->dh = (int)a->ints[0]; c->dw = (int)a->ints[1];
            } else if (IS("pads") && a->nints == 4) {
                c->pt = (int)a->ints[0]; c->pl = (int)a->ints[1];
                c->pb = (int)a->ints[2]; c->pr = (int)a->ints[3];
                for (int i = 0; i < 4; i++)
                    if (a->ints[i] < 0 || a->ints[i] > 4096)
                        ok = false;
            } else if (IS("group") && nd->op == SL_OP_CONV) {
                c->group = (int)a->i;
            } else if (IS("auto_pad")) {
                if (pb_streq(a->s, "NOTSET") || pb_streq(a->s, "VALID"))
                    c->auto_pad = 0;
                else if (pb_streq(a->s, "SAME_UPPER"))
                    c->auto_pad = 1;
                else if (pb_streq(a->s, "SAME_LOWER"))
                    c->auto_pad = 2;
                else
                    ok = false;
            } else if (IS("ceil_mode") && nd->op != SL_OP_CONV) {
                c->ceil_mode = (int)a->i;
            } else if (IS("count_include_pad") && nd->op == SL_OP_AVGPOOL) {
                c->count_include_pad = (int)a->i;
            } else if (IS("storage_order") && nd->op == SL_OP_MAXPOOL && a->i == 0) {
            } else {
                ok = false;
            }
            if (c->kh < 0 || c->kw < 0 || c->kh > 4096 || c->kw > 4096 ||
                c->sh < 1 || c->sw < 1 || c->dh < 1 || c->dw < 1 ||
                c->sh > 4096 || c->sw > 4096 || c->dh > 4096 || c->dw > 4096 ||
                c->group < 1)
                ok = false;
            break;
        case SL_OP_BATCHNORM:
            if (IS("epsilon")) nd->eps = a->f;
            else if (IS("momentum") || IS("spatial")) {}
            else if (IS("training_mode")) ok = a->i == 0;   /* inference only */
            else ok = false;
            break;
        case SL_OP_RESHAPE:
            if (IS("allowzero")) nd->allowzero = (int)a->i;
            else ok = false;
            break;
        case SL_OP_SHAPE:                        /* opset 15: dims [start, end) */
            if (IS("start") || IS("end")) {
                if (nd->nlist < 0) {
                    nd->nlist = 2;
                    nd->list[0] = 0;
                    nd->list[1] = INT64_MAX;
                }
                nd->list[IS("start") ? 0 : 1] = a->i;
            } else {
                ok = false;
            }
            break;
        case SL_OP_SOFTMAX: case SL_OP_CONCAT: case SL_OP_FLATTEN:
        case SL_OP_GATHER:
            if (IS("axis")) nd->axis = a->i;
            else ok = false;
            break;
        case SL_OP_SPLIT:
            if (IS("axis")) nd->axis = a->i;
            else if (IS("split")) {
                if (a->nints > (int)SL_ARRAY_LEN(nd->list)) ok = false;
                else {
                    nd->nlist = a->nints;
                    memcpy(nd->list, a->ints, sizeof(int64_t) * (size_t)a->nints);
                }
            } else ok = false;
            break;
        case SL_OP_TRANSPOSE: case SL_OP_UNSQUEEZE: case SL_OP_SQUEEZE:
        case SL_OP_REDUCEMEAN:
            if ((IS("perm") && nd->op == SL_OP_TRANSPOSE) ||
                (IS("axes") && nd->op != SL_OP_TRANSPOSE)) {
                if (a->nints > SL_NN_MAX_RANK) ok = false;
                else {
                    nd->nlist = a->nints;
                    memcpy(nd->list, a->ints, sizeof(int64_t) * (size_t)a->nints);
                }
            } else if (IS("keepdims") && nd->op == SL_OP_REDUCEMEAN) {
                nd->keepdims = (int)a->i;
            } else ok = false;
            break;
        case SL_OP_SLICE:
            if ((IS("starts") || IS("ends") || IS("axes")) && a->nints <= SL_NN_MAX_RANK) {
                int64_t *dst = IS("starts") ? nd->list : IS("ends") ? nd->list2 : nd->list3;
                int *cnt = IS("starts") ? &nd->nlist : IS("ends") ? &nd->nlist2 : &nd->nlist3;
                *cnt = a->nints;
                memcpy(dst, a->ints, sizeof(int64_t) * (size_t)a->nints);
            } else ok = false;
            break;
        case SL_OP_PAD:
            if (IS("pads") && a->nints <= 2 * SL_NN_MAX_RANK) {
                nd->nlist = a->nints;
                memcpy(nd->list, a->ints, sizeof(int64_t) * (size_t)a->nints);
            } else if (IS("value")) {
                nd->alpha = a->f;
            } else if (IS("mode")) {
                if (pb_streq(a->s, "constant")) nd->pad_mode = 0;
                else if (pb_streq(a->s, "reflect")) nd->pad_mode = 1;
                else if (pb_streq(a->s, "edge")) nd->pad_mode = 2;
                else ok = false;
            } else ok = false;
            break;
        case SL_OP_GEMM:
            if (IS("alpha")) nd->alpha = a->f;
            else if (IS("beta")) nd->beta = a->f;
            else if (IS("transA")) nd->trans_a = (int)a->i;
            else if (IS("transB")) nd->trans_b = (int)a->i;
            else if (IS("broadcast")) {}
            else ok = false;
            break;
        case SL_OP_CLIP:
            if (IS("min")) nd->clip_min = a->f;
            else if (IS("max")) nd->clip_max = a->f;
            else ok = false;
            break;
        case SL_OP_DROPOUT:                      /* inference: an identity */
            if (!IS("ratio") && !IS("is_test") && !IS("seed")) ok = false;
            break;
        case SL_OP_CONSTANT:
            if (!IS("value") || !a->has_t) ok = false;
            break;
        case SL_OP_ADD: case SL_OP_SUB: case SL_OP_MUL: case SL_OP_DIV:
            /* opset < 7 legacy broadcast attributes */
            if (!IS("broadcast") && !IS("axis")) ok = false;
            else if (IS("axis")) ok = false;
            break;
        default:
            ok = false;
        }
#undef IS
        if (!ok)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): attribute '%.*s' is not supported",
                 nd->name, opn, n > 64 ? 64 : n, an);
    }
    if ((nd->op == SL_OP_CONV && 0) ||
        ((nd->op == SL_OP_AVGPOOL || nd->op == SL_OP_MAXPOOL) && (c->kh < 1 || c->kw < 1)))
        FAIL(SL_ERR_MODEL_OP, "node '%s' (%s): kernel_shape missing", nd->name, opn);
out:
    return st;
}

/* ============================ Nodes ===================================== */
/* "2", "1..3" or "1 or more" into buf[32]. */
static const char *count_range(char *buf, int lo, int hi)
{
    if (lo == hi)
        snprintf(buf, 32, "%d", lo);
    else if (hi >= SL_NN_MAX_NODE_IO)
        snprintf(buf, 32, "%d or more", lo);
    else
        snprintf(buf, 32, "%d..%d", lo, hi);
    return buf;
}

static sl_status read_node(struct sl_nn_model *m, struct pb b)
{
    sl_status st = SL_OK;
    struct pb ins[SL_NN_MAX_NODE_IO], outs[SL_NN_MAX_NODE_IO];
    int nin = 0, nout = 0, nas = 0;
    struct pb name = { NULL, NULL }, optype = { NULL, NULL }, domain = { NULL, NULL };
    struct attr *as = sl__calloc(SL_NN_MAX_ATTRS, sizeof *as);
    uint32_t f, wt;
    if (!as)
        FAIL(SL_ERR_NOMEM, "out of memory");
    while (b.p < b.end) {
        struct pb s;
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "bad node");
        if (wt == 2 && f >= 1 && f <= 5) {
            if (!pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad node field");
            if (f == 1) {
                if (nin >= SL_NN_MAX_NODE_IO)
                    FAIL(SL_ERR_MODEL_OP, "node has more than %d inputs", SL_NN_MAX_NODE_IO);
                ins[nin++] = s;
            } else if (f == 2) {
                if (nout >= SL_NN_MAX_NODE_IO)
                    FAIL(SL_ERR_MODEL_OP, "node has more than %d outputs", SL_NN_MAX_NODE_IO);
                outs[nout++] = s;
            } else if (f == 3) {
                name = s;
            } else if (f == 4) {
                optype = s;
            } else {
                if (nas >= SL_NN_MAX_ATTRS)
                    FAIL(SL_ERR_MODEL_OP, "node has more than %d attributes", SL_NN_MAX_ATTRS);
                if (!read_attr(s, &as[nas]))
                    FAIL(SL_ERR_MODEL_FORMAT, "bad attribute");
                nas++;
            }
        } else if (f == 7 && wt == 2) {
            if (!pb_len(&b, &domain))
                FAIL(SL_ERR_MODEL_FORMAT, "bad node domain");
        } else if (!pb_skip(&b, wt)) {
            FAIL(SL_ERR_MODEL_FORMAT, "bad node field");
        }
    }
    char opbuf[64];
    size_t ol = optype.p ? (size_t)(optype.end - optype.p) : 0;
    if (ol == 0 || ol >= sizeof opbuf)
        FAIL(SL_ERR_MODEL_FORMAT, "node without a valid op_type");
    memcpy(opbuf, optype.p, ol);
    opbuf[ol] = 0;
    for (size_t i = 0; i < ol; i++)
        if (opbuf[i] < 0x20 || opbuf[i] > 0x7e)
            opbuf[i] = '?';
    char *nm = NULL;
    if (name.p && name.end > name.p) {
        nm = pb_strdup(name);
        if (!nm)
            FAIL(strdup_err(name), "bad node name");
    } else {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "node%d", m->nnodes);
        nm = sl__strdup(tmp);
        if (!nm)
            FAIL(SL_ERR_NOMEM, "out of memory");
    }
    int op = sl__nn_op_from_name(opbuf);
    if (op < 0 || (domain.p && domain.end > domain.p && !pb_streq(domain, "ai.onnx"))) {
        st = SL_ERR_MODEL_OP;
        snprintf(m->err, sizeof m->err, "node '%.128s': op '%s' is not supported",
                 nm, opbuf);
        sl__free(nm);
        goto out;
    }
    int n = sl__nn_node_new(m, op, nin, nout);
    if (n < 0) {
        sl__free(nm);
        FAIL(TABLE_ERR(m), "too many nodes or out of memory");
    }
    struct sl_nn_node *nd = &m->nodes[n];
    nd->name = nm;
    m->src_nodes++;
    m->src_op_count[op]++;
    /* ONNX's input/output counts of this op at this opset (ops.c): an
     * input the opset does not define is refused, never ignored */
    const struct sl_nn_op_form *form = sl__nn_op_form(op, m->opset);
    if (!form)
        FAIL(SL_ERR_MODEL_OP, "node '%.128s' (%s): its form at opset %lld is not supported "
             "(only from opset %d)", nm, opbuf, (long long)m->opset, sl__nn_ops[op].forms[0].since);
    char range[32];
    if (nin < form->in_min || nin > form->in_max)
        FAIL(SL_ERR_MODEL_OP, "node '%.128s' (%s): %d inputs, but at opset %lld it takes %s",
             nm, opbuf, nin, (long long)m->opset, count_range(range, form->in_min, form->in_max));
    if (nout < form->out_min || nout > form->out_max)
        FAIL(SL_ERR_MODEL_OP, "node '%.128s' (%s): %d outputs, but at opset %lld it has %s",
             nm, opbuf, nout, (long long)m->opset, count_range(range, form->out_min, form->out_max));
    for (int i = 0; i < nin; i++) {
        if (ins[i].end == ins[i].p) {
            nd->in[i] = -1;                      /* absent optional input */
            continue;
        }
        char *vn = pb_strdup(ins[i]);
        if (!vn)
            FAIL(strdup_err(ins[i]), "bad input name");
        nd->in[i] = sl__nn_value_get(m, vn);
        sl__free(vn);
        if (nd->in[i] < 0)
            FAIL(TABLE_ERR(m), "too many values or out of memory");
    }
    for (int i = 0; i < nout; i++) {
        char *vn = pb_strdup(outs[i]);
        if (!vn)
            FAIL(strdup_err(outs[i]), "bad output name");
        int v = ins[i].end == ins[i].p && 0 ? -1 : sl__nn_value_get(m, vn);
        sl__free(vn);
        if (v < 0)
            FAIL(TABLE_ERR(m), "too many values or out of memory");
        if (m->values[v].producer >= 0 || m->values[v].data || m->values[v].is_input)
            FAIL(SL_ERR_MODEL_FORMAT, "node '%.128s': value '%.128s' is produced twice",
                 nd->name, m->values[v].name);
        m->values[v].producer = n;
        nd->out[i] = v;
    }
    st = node_attrs(m, nd, as, nas);
    if (st)
        goto out;
    if (op == SL_OP_CONSTANT) {
        struct attr *a = NULL;
        for (int k = 0; k < nas; k++)
            if (as[k].has_t)
                a = &as[k];
        if (!a || nout != 1)
            FAIL(SL_ERR_MODEL_OP, "node '%s' (Constant): needs a 'value' tensor", nd->name);
        st = read_tensor(m, a->t, nd->out[0], NULL);
        if (st)
            goto out;
        m->values[nd->out[0]].producer = -1;
        nd->dead = true;
    }
out:
    sl__free(as);
    return st;
}

/* ============================ Graph ===================================== */
static sl_status read_graph(struct sl_nn_model *m, struct pb g)
{
    sl_status st = SL_OK;
    uint32_t f, wt;
    struct pb b = g, s;
    char *name = NULL;
    int *ins = NULL, *outs = NULL;
    int nins = 0, nouts = 0;

    /* Pass 1: initializers (so inputs that have one become constants). */
    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "bad graph field");
        if (f == 5 && wt == 2) {
            if (!pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad initializer");
            int v = sl__nn_value_new(m, "init");
            if (v < 0)
                FAIL(TABLE_ERR(m), "too many values or out of memory");
            st = read_tensor(m, s, v, &name);
            if (st)
                goto out;
            if (!name)
                FAIL(SL_ERR_MODEL_FORMAT, "initializer without a name");
            if (sl__nn_value_find(m, name) >= 0)
                FAIL(SL_ERR_MODEL_FORMAT, "initializer '%.128s' given twice", name);
            /* move the payload to a value carrying the initializer's name */
            struct sl_nn_value tmp = m->values[v];
            sl__free(tmp.name);
            m->nvalues--;
            int v2 = sl__nn_value_get(m, name);
            if (v2 != v) {
                sl__free(tmp.data);
                FAIL(v2 < 0 ? SL_ERR_NOMEM : SL_ERR_INTERNAL, "cannot add initializer");
            }
            m->values[v].data = tmp.data;
            m->values[v].dtype = tmp.dtype;
            m->values[v].rank = tmp.rank;
            memcpy(m->values[v].dims, tmp.dims, sizeof tmp.dims);
            sl__free(name);
            name = NULL;
        } else if (!pb_skip(&b, wt)) {
            FAIL(SL_ERR_MODEL_FORMAT, "bad graph field");
        }
    }
    /* Pass 2: inputs, outputs, nodes. */
    b = g;
    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "bad graph field");
        if (wt == 2 && (f == 1 || f == 11 || f == 12)) {
            if (!pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad graph field");
            if (f == 1) {
                st = read_node(m, s);
                if (st)
                    goto out;
                continue;
            }
            int rank, dtype;
            int64_t dims[SL_NN_MAX_RANK];
            st = read_value_info(m, s, &name, &rank, dims, &dtype);
            if (st)
                goto out;
            int v = sl__nn_value_get(m, name);
            sl__free(name);
            name = NULL;
            if (v < 0)
                FAIL(TABLE_ERR(m), "too many values or out of memory");
            struct sl_nn_value *val = &m->values[v];
            if (f == 11) {
                if (val->data)
                    continue;                    /* input with an initializer */
                if (val->is_input || val->producer >= 0)
                    FAIL(SL_ERR_MODEL_FORMAT, "input '%.128s' given twice", val->name);
                if (dtype != 1)
                    continue;   /* unused non-float inputs are ignored; a use fails in topo_sort */
                if (rank < 0)
                    FAIL(SL_ERR_MODEL_OP, "input '%.128s' has no shape", val->name);
                for (int i = 0; i < rank; i++)
                    if (dims[i] == 0)
                        FAIL(SL_ERR_MODEL_OP, "input '%.128s' has a zero-size dimension: "
                             "empty tensors are not supported", val->name);
                val->is_input = true;
                val->dtype = SL_NN_F32;
                val->rank = rank;
                memcpy(val->dims, dims, sizeof(int64_t) * (size_t)rank);
                if (nins >= 16)
                    FAIL(SL_ERR_MODEL_OP, "more than 16 graph inputs");
                int *t = sl__realloc(ins, sizeof(int) * (size_t)(nins + 1));
                if (!t)
                    FAIL(SL_ERR_NOMEM, "out of memory");
                ins = t;
                ins[nins++] = v;
            } else {
                if (val->is_output)
                    continue;
                if (nouts >= 64)
                    FAIL(SL_ERR_MODEL_OP, "more than 64 graph outputs");
                val->is_output = true;
                int *t = sl__realloc(outs, sizeof(int) * (size_t)(nouts + 1));
                if (!t)
                    FAIL(SL_ERR_NOMEM, "out of memory");
                outs = t;
                outs[nouts++] = v;
            }
        } else if (!pb_skip(&b, wt)) {
            FAIL(SL_ERR_MODEL_FORMAT, "bad graph field");
        }
    }
    if (nins == 0 || nouts == 0)
        FAIL(SL_ERR_MODEL_FORMAT, "graph has no inputs or no outputs");
    m->inputs = ins;
    m->ninputs = nins;
    m->outputs = outs;
    m->noutputs = nouts;
    ins = outs = NULL;
out:
    sl__free(name);
    sl__free(ins);
    sl__free(outs);
    return st;
}

sl_status sl__nn_onnx_read(struct sl_nn_model *m, const uint8_t *p, size_t n)
{
    sl_status st = SL_OK;
    struct pb b = { p, p + n }, s, graph = { NULL, NULL };
    uint32_t f, wt;
    bool have_graph = false;
    m->opset = 0;
    if (n == 0)
        FAIL(SL_ERR_MODEL_FORMAT, "empty model file");
    while (b.p < b.end) {
        if (!pb_key(&b, &f, &wt))
            FAIL(SL_ERR_MODEL_FORMAT, "not an ONNX model (bad protobuf at byte %zu)",
                 (size_t)(b.p - p));
        if (f == 7 && wt == 2) {
            if (!pb_len(&b, &graph))
                FAIL(SL_ERR_MODEL_FORMAT, "truncated graph");
            have_graph = true;
        } else if (f == 8 && wt == 2) {          /* OperatorSetIdProto */
            if (!pb_len(&b, &s))
                FAIL(SL_ERR_MODEL_FORMAT, "bad opset_import");
            struct pb dom = { NULL, NULL };
            uint64_t ver = 0;
            while (s.p < s.end) {
                if (!pb_key(&s, &f, &wt))
                    FAIL(SL_ERR_MODEL_FORMAT, "bad opset_import");
                if (f == 1 && wt == 2) {
                    if (!pb_len(&s, &dom))
                        FAIL(SL_ERR_MODEL_FORMAT, "bad opset_import");
                } else if (f == 2 && wt == 0) {
                    if (!pb_varint(&s, &ver))
                        FAIL(SL_ERR_MODEL_FORMAT, "bad opset_import");
                } else if (!pb_skip(&s, wt)) {
                    FAIL(SL_ERR_MODEL_FORMAT, "bad opset_import");
                }
            }
            if (!dom.p || dom.p == dom.end || pb_streq(dom, "ai.onnx"))
                m->opset = (int64_t)ver;
        } else if (!pb_skip(&b, wt)) {
            FAIL(SL_ERR_MODEL_FORMAT, "not an ONNX model (bad field %u)", f);
        }
    }
    if (!have_graph)
        FAIL(SL_ERR_MODEL_FORMAT, "model has no graph");
    if (m->opset == 0)
        m->opset = 9;
    if (m->opset > 17)   /* ReduceMean, Pad, Split change form at 18 (ops.c) */
        FAIL(SL_ERR_MODEL_OP, "opset %lld is newer than supported (<= 17)", (long long)m->opset);
    st = read_graph(m, graph);
out:
    return st;
}
