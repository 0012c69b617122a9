/*
 * nn_int.h -- private to src/nn: the graph IR, the passes, the memory plan
 * and the backend interface of the ONNX inference engine.
 *
 * Pipeline (nn_load): onnx.c reads the protobuf into an IR graph (values +
 * nodes, ONNX logical NCHW shapes) -> shape inference -> constant folding
 * (Shape/Gather/Unsqueeze/Concat chains vanish) -> BatchNormalization folded
 * into the preceding Conv/Gemm -> activation fusion (Conv+Relu/Clip/PRelu)
 * -> layout pass (4-D activations become NHWC; Transpose nodes inserted
 * where an op needs the other layout, constants transposed by folding) ->
 * dead-node removal -> memory plan (one arena per session, buffers reused
 * by lifetime). After the layout pass every shape in the IR is PHYSICAL:
 * a value with nhwc = true holds dims (N, H, W, C).
 *
 * Threading: a finished struct sl_nn_model is immutable and shared by any
 * number of sessions (one per thread). A session owns its arena and its
 * backend state.
 */
#ifndef SL_NN_INT_H
#define SL_NN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/base.h"

/* ============================ Limits ====================================
 * A hostile file can make us allocate at most O(file size) plus these. */
#define SL_NN_MAX_RANK      6
#define SL_NN_MAX_NODES     4096
#define SL_NN_MAX_VALUES    16384
#define SL_NN_MAX_NODE_IO   64          /* inputs or outputs of one node   */
#define SL_NN_MAX_ELEMS     (1ll << 28) /* elements of one tensor          */
#define SL_NN_MAX_NAME      512         /* bytes of a value/node name      */
#define SL_NN_MAX_ATTRS     32          /* attributes per node             */
#define SL_NN_MAX_ATTR_LIST 64          /* ints/floats per attribute       */

/* ONNX TensorProto data types we hold in the IR. */
enum sl_nn_dtype { SL_NN_F32 = 1, SL_NN_I64 = 7 };

/* Ops: the union of what the nine face models use, plus engine-internal
 * ones. Each has one row in the op table sl__nn_ops[] (ops.c): adding an
 * op = an enum entry, a table row, its shape inference (infer.c) and its
 * ref kernel (ref.c); docs/nn.md has the checklist. */
enum sl_nn_op {
    SL_OP_CONV, SL_OP_BATCHNORM, SL_OP_RELU, SL_OP_PRELU, SL_OP_PAD,
    SL_OP_AVGPOOL, SL_OP_MAXPOOL, SL_OP_GAP, SL_OP_TANH, SL_OP_SIGMOID,
    SL_OP_EXP, SL_OP_SOFTMAX, SL_OP_ADD, SL_OP_SUB, SL_OP_MUL, SL_OP_DIV,
    SL_OP_MATMUL, SL_OP_GEMM, SL_OP_CONCAT, SL_OP_SPLIT, SL_OP_SLICE,
    SL_OP_TRANSPOSE, SL_OP_RESHAPE, SL_OP_FLATTEN, SL_OP_SHAPE,
    SL_OP_GATHER, SL_OP_UNSQUEEZE, SL_OP_SQUEEZE, SL_OP_CONSTANT,
    SL_OP_REDUCEMEAN, SL_OP_CLIP, SL_OP_IDENTITY, SL_OP_DROPOUT,
    /* engine-internal (never read from a file) */
    SL_OP_SHUFFLE,      /* channel shuffle: list[0] = groups (ShuffleNet)  */
    SL_OP_COUNT
};
#define SL_OP_FIRST_INTERNAL SL_OP_SHUFFLE
/* BatchNormalization after the passes has nin == 3: x, scale[C], shift[C]
 * (precomputed), plus a fused activation. */

/* Activation fused into a Conv/Gemm (applied to its output). */
enum sl_nn_act { SL_ACT_NONE, SL_ACT_RELU, SL_ACT_CLIP, SL_ACT_PRELU };

/* ============================ Values ==================================== */
struct sl_nn_value {
    char    *name;                 /* owned, NUL-terminated                  */
    int      dtype;                /* enum sl_nn_dtype                       */
    int      rank;                 /* 0..SL_NN_MAX_RANK; -1 = not inferred   */
    int64_t  dims[SL_NN_MAX_RANK]; /* physical dims once layout has run      */
    bool     nhwc;                 /* 4-D stored as N,H,W,C                  */
    void    *data;                 /* constant payload (owned) or NULL       */
    int      producer;             /* node index, -1 for inputs/constants    */
    int      nuses;                /* consuming nodes (+1 if graph output)   */
    bool     is_input, is_output;
    /* memory plan */
    int      alias;                /* value whose buffer this one views, -1  */
    size_t   offset;               /* byte offset in the session arena       */
};

/* Typed parameters, filled from the attributes at import. */
struct sl_nn_conv_p {
    int kh, kw, sh, sw, dh, dw;    /* kernel, strides, dilations             */
    int pt, pl, pb, pr;            /* pads top/left/bottom/right             */
    int group;
    int auto_pad;                  /* 0 NOTSET/VALID-explicit, 1 SAME_UPPER, 2 SAME_LOWER */
    int ceil_mode;                 /* pools                                  */
    int count_include_pad;         /* AveragePool                            */
};

struct sl_nn_node {
    int      op;                   /* enum sl_nn_op                          */
    char    *name;                 /* owned                                  */
    int      nin, nout;
    int     *in;                   /* value indices, -1 = absent optional    */
    int     *out;                  /* value indices                          */
    bool     dead;                 /* removed by a pass                      */
    /* parameters (which are used depends on op) */
    struct sl_nn_conv_p conv;      /* Conv, pools                            */
    int      act;                  /* enum sl_nn_act (fused)                 */
    float    act_min, act_max;     /* SL_ACT_CLIP                            */
    int      act_slope;            /* SL_ACT_PRELU: value index of slopes    */
    int64_t  axis;                 /* Concat/Softmax/Gather/Flatten/Split    */
    int      nlist;                /* entries in list[]                      */
    int64_t  list[SL_NN_MAX_RANK * 2]; /* perm, axes, pads, split sizes      */
    int      nlist2;
    int64_t  list2[SL_NN_MAX_RANK * 2];/* Slice ends (list = starts, axes in list3) */
    int      nlist3;
    int64_t  list3[SL_NN_MAX_RANK * 2];
    float    alpha, beta, eps;     /* Gemm alpha/beta, BN epsilon, Pad value */
    int      trans_a, trans_b;     /* Gemm                                   */
    int      keepdims;             /* ReduceMean                             */
    int      pad_mode;             /* 0 constant, 1 reflect, 2 edge          */
    float    clip_min, clip_max;   /* Clip                                   */
    int      allowzero;            /* Reshape (opset 14)                     */
};

struct sl_nn_model {
    uint32_t magic;                /* SL_NN_MODEL_MAGIC                      */
    struct sl_nn_value *values;    /* owned array                            */
    int      nvalues, cap_values;
    struct sl_nn_node *nodes;      /* owned array, topological once sorted   */
    int      nnodes, cap_nodes;
    int     *inputs, ninputs;      /* graph inputs (non-constant)            */
    int     *outputs, noutputs;    /* graph outputs                          */
    int64_t  opset;
    /* filled by the memory plan */
    size_t   arena_bytes;          /* one session's activation arena         */
    size_t   weight_bytes;         /* constant payloads                      */
    int     *order;                /* live node indices in run order         */
    int      norder;
    /* name -> value index (open addressing) */
    int     *hash;
    int      hash_cap;
    int      src_nodes;            /* nodes in the file                      */
    int      src_op_count[SL_OP_COUNT]; /* per op, in the file              */
    char     err[256];             /* last load error detail                 */
};
#define SL_NN_MODEL_MAGIC 0x6e6e6d6fu   /* "nnmo" */

/* ============================ The op table (ops.c) ====================== */
struct sl_nn_model;
struct sl_nn_node;
/* Shape inference of one op (infer.c): checks the node, reads constant
 * operand inputs into its typed parameters and writes output 0's logical
 * shape into d[0..*rank); *rank = -1 when it set every output itself. */
typedef sl_status (*sl_nn_infer_fn)(struct sl_nn_model *m, struct sl_nn_node *nd,
                                    int64_t *d, int *rank);
/* Plain-C kernel (ref.c) on physical tensors: ptrs = inputs, then outputs. */
typedef void (*sl_nn_ref_fn)(const struct sl_nn_model *m, const struct sl_nn_node *nd,
                             void *const *ptrs);

/* One opset form of an op: valid from opset `since` until the next form.
 * in_min/in_max count the node's input names, empty optional ones
 * included; attrs lists every attribute ONNX defines for that form (we
 * may still refuse some values of them). */
struct sl_nn_op_form {
    int         since;                 /* 0 ends the list                    */
    int         in_min, in_max, out_min, out_max;
    const char *attrs;                 /* comma-separated names, "" = none   */
};

/* Layout class (graph.c layout pass). */
enum sl_nn_layout {
    SL_NN_LAYOUT_ONNX,                 /* needs the ONNX layout (default)    */
    SL_NN_LAYOUT_NHWC,                 /* input 0 (and Conv weights) NHWC    */
    SL_NN_LAYOUT_FOLLOW,               /* elementwise: output follows input 0 */
    SL_NN_LAYOUT_OWN,                  /* its own case in the layout pass    */
};

#define SL_NN_OPF_NOFOLD   1u          /* never constant-folded              */
#define SL_NN_OPF_VIEW     2u          /* output is a view of input 0        */
#define SL_NN_OPF_INT      4u          /* accepts int64 inputs               */
#define SL_NN_OPF_INTERNAL 8u          /* engine-internal: never from a file */

#define SL_NN_OP_FORMS 6
struct sl_nn_opdef {
    const char    *name;               /* ONNX op_type                       */
    unsigned       flags;              /* SL_NN_OPF_*                        */
    int            layout;             /* enum sl_nn_layout                  */
    sl_nn_infer_fn infer;              /* NULL: never inferred (Constant...) */
    sl_nn_ref_fn   ref;                /* NULL: never run (Shape, Constant)  */
    struct sl_nn_op_form forms[SL_NN_OP_FORMS];   /* by since, ascending     */
};
extern const struct sl_nn_opdef sl__nn_ops[];
/* The form of op valid at opset, or NULL if op is not defined there. */
const struct sl_nn_op_form *sl__nn_op_form(int op, int64_t opset);
/* true if name is in the form's attribute list. */
bool sl__nn_form_has_attr(const struct sl_nn_op_form *f, const char *name, size_t len);

#define SL_NN_INFER_DECL(x) sl_status sl__nn_infer_##x(struct sl_nn_model *m, \
                                                       struct sl_nn_node *nd, int64_t *d, int *rank);
SL_NN_INFER_DECL(conv) SL_NN_INFER_DECL(pool) SL_NN_INFER_DECL(gap)
SL_NN_INFER_DECL(batchnorm) SL_NN_INFER_DECL(same) SL_NN_INFER_DECL(clip)
SL_NN_INFER_DECL(binary) SL_NN_INFER_DECL(softmax) SL_NN_INFER_DECL(matmul)
SL_NN_INFER_DECL(gemm) SL_NN_INFER_DECL(concat) SL_NN_INFER_DECL(split)
SL_NN_INFER_DECL(slice) SL_NN_INFER_DECL(transpose) SL_NN_INFER_DECL(reshape)
SL_NN_INFER_DECL(flatten) SL_NN_INFER_DECL(shape) SL_NN_INFER_DECL(gather)
SL_NN_INFER_DECL(squeeze) SL_NN_INFER_DECL(reduce_mean) SL_NN_INFER_DECL(pad)
#define SL_NN_REF_DECL(x) void sl__nn_ref_##x(const struct sl_nn_model *m, \
                                              const struct sl_nn_node *nd, void *const *ptrs);
SL_NN_REF_DECL(conv) SL_NN_REF_DECL(pool) SL_NN_REF_DECL(gap) SL_NN_REF_DECL(batchnorm)
SL_NN_REF_DECL(relu) SL_NN_REF_DECL(clip) SL_NN_REF_DECL(unary) SL_NN_REF_DECL(binary)
SL_NN_REF_DECL(softmax) SL_NN_REF_DECL(matmul) SL_NN_REF_DECL(gemm) SL_NN_REF_DECL(concat)
SL_NN_REF_DECL(split) SL_NN_REF_DECL(slice) SL_NN_REF_DECL(transpose) SL_NN_REF_DECL(copy)
SL_NN_REF_DECL(gather) SL_NN_REF_DECL(reduce_mean) SL_NN_REF_DECL(pad)
SL_NN_REF_DECL(shuffle)
/* infer.c: sets v's dtype and shape; false if rank/dims/size are bad. */
bool sl__nn_set_shape(struct sl_nn_value *v, int dtype, int rank, const int64_t *d);

/* ============================ Model building ============================ */
sl_status sl__nn_onnx_read(struct sl_nn_model *m, const uint8_t *p, size_t n);
/* One standalone TensorProto (test drivers): payload owned by *out. */
sl_status sl__nn_tensor_read(const uint8_t *p, size_t n, struct sl_nn_value *out,
                             char **name, char *err, size_t cap);
int       sl__nn_value_find(const struct sl_nn_model *m, const char *name);
/* Finds or creates the value 'name'; -1 on allocation failure/limit. */
int       sl__nn_value_get(struct sl_nn_model *m, const char *name);
int       sl__nn_value_new(struct sl_nn_model *m, const char *hint);
int       sl__nn_node_new(struct sl_nn_model *m, int op, int nin, int nout);
void      sl__nn_model_release(struct sl_nn_model *m);
const char *sl__nn_op_name(int op);
int       sl__nn_op_from_name(const char *s);
int64_t   sl__nn_numel(const struct sl_nn_value *v);
size_t    sl__nn_nbytes(const struct sl_nn_value *v);
/* All passes, in order, then the memory plan. */
sl_status sl__nn_prepare(struct sl_nn_model *m);
bool      sl__nn_node_is_view(const struct sl_nn_model *m, int n);
/* One line per planned node on f (debugging, `shualian nn dump`). */
void      sl__nn_dump(const struct sl_nn_model *m, FILE *f);

/* ============================ Kernels (ref) =============================
 * Run one node on physical tensors. ptrs[i] are the node's input pointers
 * (NULL for absent optionals) followed by its outputs. Used by the ref
 * backend, by constant folding, and as the fallback of other backends. */
sl_status sl__nn_ref_run(const struct sl_nn_model *m,
                         const struct sl_nn_node *nd, void *const *ptrs);

/* ============================ Backends (STYLE #9) ======================= */
struct sl_nn_exec {
    const struct sl_nn_model *m;
    uint8_t *arena;                /* session arena (plan offsets)           */
    int      threads;
    unsigned kernels_off;          /* SL_NN_KERNEL_* bits (shualian/nn.h)    */
};

/* Pointer to value v's data in a session: constant payload or arena slot. */
void *sl__nn_ptr(const struct sl_nn_exec *x, int v);

struct sl_nn_backend_ops {
    const char *name;              /* "ref", "xnnpack"                       */
    /* Per-session state (threadpool...). */
    sl_status (*open)(void **ctx, int threads);
    void      (*close)(void *ctx);
    /* Prepares node n for this session's arena; *op receives a handle.
     * SL_ERR_UNSUPPORTED = the backend lacks it: the session runs it on
     * ref. All allocation happens here, never in run. */
    sl_status (*node_prepare)(void *ctx, const struct sl_nn_exec *x, int n,
                              void **op);
    sl_status (*node_run)(void *ctx, const struct sl_nn_exec *x, int n,
                          void *op);
    void      (*node_free)(void *ctx, void *op);       /* optional: NULL    */
    /* Run the next runs on the calling thread only (true) or on the
     * session's threads (false). Optional: NULL = always threaded. */
    void      (*set_serial)(void *ctx, bool serial);
};
extern const struct sl_nn_backend_ops sl__nn_backend_ref;
#ifdef SL_HAVE_XNNPACK
extern const struct sl_nn_backend_ops sl__nn_backend_xnnpack;
#endif

#endif
