/*
 * ops.c -- the op table: one row per op of enum sl_nn_op (nn_int.h) with
 * its ONNX name, flags, layout class, shape inference (infer.c), ref
 * kernel (ref.c), and its opset forms: for each ONNX version of the op
 * that changed its signature, the input and output counts and the attribute names ONNX defines. The
 * reader (onnx.c) checks every node against the form of the model's
 * opset and refuses a mismatch at load, naming the node, the op and the
 * opset -- so an input or attribute that the opset does not define (a
 * ReduceMean `axes` input at opset 13) is never silently ignored.
 *
 * Faster backends need no row entry: their node_prepare() returns
 * SL_ERR_UNSUPPORTED for an op they lack, and the session runs it on ref.
 * Checklist for adding an op: docs/nn.md, "Adding an op".
 */
#include <string.h>

#include "nn/nn_int.h"

#define N_ANY SL_NN_MAX_NODE_IO
#define WINDOW "auto_pad,kernel_shape,pads,strides"

const struct sl_nn_opdef sl__nn_ops[SL_OP_COUNT] = {
    [SL_OP_CONV] = { "Conv", SL_NN_OPF_NOFOLD, SL_NN_LAYOUT_NHWC,
        sl__nn_infer_conv, sl__nn_ref_conv,
        { { 1, 2, 3, 1, 1, WINDOW ",dilations,group" } } },
    [SL_OP_BATCHNORM] = { "BatchNormalization", 0, SL_NN_LAYOUT_OWN,
        sl__nn_infer_batchnorm, sl__nn_ref_batchnorm,
        { { 1, 5, 5, 1, 5, "consumed_inputs,epsilon,is_test,momentum,spatial" },
          { 6, 5, 5, 1, 5, "epsilon,is_test,momentum,spatial" },
          { 7, 5, 5, 1, 5, "epsilon,momentum,spatial" },
          { 9, 5, 5, 1, 5, "epsilon,momentum" },
          { 14, 5, 5, 1, 3, "epsilon,momentum,training_mode" } } },
    [SL_OP_RELU] = { "Relu", 0, SL_NN_LAYOUT_FOLLOW, sl__nn_infer_same, sl__nn_ref_relu,
        { { 1, 1, 1, 1, 1, "consumed_inputs" }, { 6, 1, 1, 1, 1, "" } } },
    [SL_OP_PRELU] = { "PRelu", 0, SL_NN_LAYOUT_OWN, sl__nn_infer_binary, sl__nn_ref_binary,
        { { 1, 2, 2, 1, 1, "consumed_inputs" }, { 6, 2, 2, 1, 1, "" } } },
    [SL_OP_PAD] = { "Pad", 0, SL_NN_LAYOUT_OWN, sl__nn_infer_pad, sl__nn_ref_pad,
        { { 1, 1, 1, 1, 1, "mode,paddings,value" }, { 2, 1, 1, 1, 1, "mode,pads,value" },
          { 11, 2, 3, 1, 1, "mode" } } },
    [SL_OP_AVGPOOL] = { "AveragePool", SL_NN_OPF_NOFOLD, SL_NN_LAYOUT_NHWC,
        sl__nn_infer_pool, sl__nn_ref_pool,
        { { 1, 1, 1, 1, 1, WINDOW }, { 7, 1, 1, 1, 1, WINDOW ",count_include_pad" },
          { 10, 1, 1, 1, 1, WINDOW ",ceil_mode,count_include_pad" } } },
    [SL_OP_MAXPOOL] = { "MaxPool", SL_NN_OPF_NOFOLD, SL_NN_LAYOUT_NHWC,
        sl__nn_infer_pool, sl__nn_ref_pool,
        { { 1, 1, 1, 1, 1, WINDOW }, { 8, 1, 1, 1, 2, WINDOW ",storage_order" },
          { 10, 1, 1, 1, 2, WINDOW ",ceil_mode,dilations,storage_order" } } },
    [SL_OP_GAP] = { "GlobalAveragePool", SL_NN_OPF_NOFOLD, SL_NN_LAYOUT_NHWC,
        sl__nn_infer_gap, sl__nn_ref_gap, { { 1, 1, 1, 1, 1, "" } } },
    [SL_OP_TANH] = { "Tanh", 0, SL_NN_LAYOUT_FOLLOW, sl__nn_infer_same, sl__nn_ref_unary,
        { { 1, 1, 1, 1, 1, "consumed_inputs" }, { 6, 1, 1, 1, 1, "" } } },
    [SL_OP_SIGMOID] = { "Sigmoid", 0, SL_NN_LAYOUT_FOLLOW, sl__nn_infer_same, sl__nn_ref_unary,
        { { 1, 1, 1, 1, 1, "consumed_inputs" }, { 6, 1, 1, 1, 1, "" } } },
    [SL_OP_EXP] = { "Exp", 0, SL_NN_LAYOUT_FOLLOW, sl__nn_infer_same, sl__nn_ref_unary,
        { { 1, 1, 1, 1, 1, "consumed_inputs" }, { 6, 1, 1, 1, 1, "" } } },
    [SL_OP_SOFTMAX] = { "Softmax", 0, SL_NN_LAYOUT_OWN, sl__nn_infer_softmax, sl__nn_ref_softmax,
        { { 1, 1, 1, 1, 1, "axis" } } },
    [SL_OP_ADD] = { "Add", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_binary, sl__nn_ref_binary,
        { { 1, 2, 2, 1, 1, "axis,broadcast,consumed_inputs" }, { 6, 2, 2, 1, 1, "axis,broadcast" },
          { 7, 2, 2, 1, 1, "" } } },
    [SL_OP_SUB] = { "Sub", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_binary, sl__nn_ref_binary,
        { { 1, 2, 2, 1, 1, "axis,broadcast,consumed_inputs" }, { 6, 2, 2, 1, 1, "axis,broadcast" },
          { 7, 2, 2, 1, 1, "" } } },
    [SL_OP_MUL] = { "Mul", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_binary, sl__nn_ref_binary,
        { { 1, 2, 2, 1, 1, "axis,broadcast,consumed_inputs" }, { 6, 2, 2, 1, 1, "axis,broadcast" },
          { 7, 2, 2, 1, 1, "" } } },
    [SL_OP_DIV] = { "Div", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_binary, sl__nn_ref_binary,
        { { 1, 2, 2, 1, 1, "axis,broadcast,consumed_inputs" }, { 6, 2, 2, 1, 1, "axis,broadcast" },
          { 7, 2, 2, 1, 1, "" } } },
    [SL_OP_MATMUL] = { "MatMul", 0, SL_NN_LAYOUT_ONNX, sl__nn_infer_matmul, sl__nn_ref_matmul,
        { { 1, 2, 2, 1, 1, "" } } },
    [SL_OP_GEMM] = { "Gemm", 0, SL_NN_LAYOUT_ONNX, sl__nn_infer_gemm, sl__nn_ref_gemm,
        { { 1, 3, 3, 1, 1, "alpha,beta,broadcast,transA,transB" },
          { 7, 3, 3, 1, 1, "alpha,beta,transA,transB" },
          { 11, 2, 3, 1, 1, "alpha,beta,transA,transB" } } },
    [SL_OP_CONCAT] = { "Concat", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_concat,
        sl__nn_ref_concat, { { 1, 1, N_ANY, 1, 1, "axis" } } },
    [SL_OP_SPLIT] = { "Split", 0, SL_NN_LAYOUT_OWN, sl__nn_infer_split, sl__nn_ref_split,
        { { 1, 1, 2, 1, N_ANY, "axis,split" }, { 2, 1, 1, 1, N_ANY, "axis,split" },
          { 13, 1, 2, 1, N_ANY, "axis" } } },
    [SL_OP_SLICE] = { "Slice", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_slice,
        sl__nn_ref_slice,
        { { 1, 1, 1, 1, 1, "axes,ends,starts" }, { 10, 3, 5, 1, 1, "" } } },
    [SL_OP_TRANSPOSE] = { "Transpose", SL_NN_OPF_INT, SL_NN_LAYOUT_OWN, sl__nn_infer_transpose,
        sl__nn_ref_transpose, { { 1, 1, 1, 1, 1, "perm" } } },
    [SL_OP_RESHAPE] = { "Reshape", SL_NN_OPF_INT | SL_NN_OPF_VIEW, SL_NN_LAYOUT_ONNX,
        sl__nn_infer_reshape, sl__nn_ref_copy,
        { { 5, 2, 2, 1, 1, "" },               /* Reshape-1 (a shape attribute): not read */
          { 14, 2, 2, 1, 1, "allowzero" } } },
    [SL_OP_FLATTEN] = { "Flatten", SL_NN_OPF_INT | SL_NN_OPF_VIEW, SL_NN_LAYOUT_ONNX,
        sl__nn_infer_flatten, sl__nn_ref_copy, { { 1, 1, 1, 1, 1, "axis" } } },
    [SL_OP_SHAPE] = { "Shape", SL_NN_OPF_INT, SL_NN_LAYOUT_ONNX, sl__nn_infer_shape, NULL,
        { { 1, 1, 1, 1, 1, "" },               /* folded from the inferred shape */
          { 15, 1, 1, 1, 1, "end,start" } } },
    [SL_OP_GATHER] = { "Gather", SL_NN_OPF_INT, SL_NN_LAYOUT_ONNX, sl__nn_infer_gather,
        sl__nn_ref_gather, { { 1, 2, 2, 1, 1, "axis" } } },
    [SL_OP_UNSQUEEZE] = { "Unsqueeze", SL_NN_OPF_INT | SL_NN_OPF_VIEW, SL_NN_LAYOUT_ONNX,
        sl__nn_infer_squeeze, sl__nn_ref_copy,
        { { 1, 1, 1, 1, 1, "axes" }, { 13, 2, 2, 1, 1, "" } } },
    [SL_OP_SQUEEZE] = { "Squeeze", SL_NN_OPF_INT | SL_NN_OPF_VIEW, SL_NN_LAYOUT_ONNX,
        sl__nn_infer_squeeze, sl__nn_ref_copy,
        { { 1, 1, 1, 1, 1, "axes" }, { 13, 1, 2, 1, 1, "" } } },
    [SL_OP_CONSTANT] = { "Constant", SL_NN_OPF_NOFOLD, SL_NN_LAYOUT_ONNX, NULL, NULL,
        { { 1, 0, 0, 1, 1, "value" }, { 11, 0, 0, 1, 1, "sparse_value,value" },
          { 12, 0, 0, 1, 1, "sparse_value,value,value_float,value_floats,value_int,"
                            "value_ints,value_string,value_strings" } } },
    [SL_OP_REDUCEMEAN] = { "ReduceMean", 0, SL_NN_LAYOUT_OWN, sl__nn_infer_reduce_mean,
        sl__nn_ref_reduce_mean,
        { { 1, 1, 1, 1, 1, "axes,keepdims" } } },   /* axes as an input: opset 18 */
    [SL_OP_CLIP] = { "Clip", 0, SL_NN_LAYOUT_FOLLOW, sl__nn_infer_clip, sl__nn_ref_clip,
        { { 1, 1, 1, 1, 1, "consumed_inputs,max,min" }, { 6, 1, 1, 1, 1, "max,min" },
          { 11, 1, 3, 1, 1, "" } } },
    [SL_OP_IDENTITY] = { "Identity", SL_NN_OPF_INT | SL_NN_OPF_VIEW, SL_NN_LAYOUT_FOLLOW,
        sl__nn_infer_same, sl__nn_ref_copy, { { 1, 1, 1, 1, 1, "" } } },
    [SL_OP_DROPOUT] = { "Dropout", SL_NN_OPF_VIEW, SL_NN_LAYOUT_FOLLOW,
        sl__nn_infer_same, sl__nn_ref_copy,
        { { 1, 1, 1, 1, 2, "consumed_inputs,is_test,ratio" },
          { 6, 1, 1, 1, 2, "is_test,ratio" }, { 7, 1, 1, 1, 2, "ratio" },
          { 12, 1, 3, 1, 2, "seed" } } },
    /* engine-internal */
    [SL_OP_SHUFFLE] = { "ChannelShuffle", SL_NN_OPF_INTERNAL, SL_NN_LAYOUT_FOLLOW,
        NULL, sl__nn_ref_shuffle, { { 0 } } },
};

const char *sl__nn_op_name(int op)
{
    return op >= 0 && op < SL_OP_COUNT && sl__nn_ops[op].name ? sl__nn_ops[op].name : "?";
}

int sl__nn_op_from_name(const char *s)
{
    for (int i = 0; i < SL_OP_COUNT; i++)
        if (!(sl__nn_ops[i].flags & SL_NN_OPF_INTERNAL) && sl__nn_ops[i].name &&
            strcmp(sl__nn_ops[i].name, s) == 0)
            return i;
    return -1;
}

const struct sl_nn_op_form *sl__nn_op_form(int op, int64_t opset)
{
    const struct sl_nn_op_form *best = NULL;
    if (op < 0 || op >= SL_OP_COUNT)
        return NULL;
    for (int k = 0; k < SL_NN_OP_FORMS && sl__nn_ops[op].forms[k].since; k++)
        if (sl__nn_ops[op].forms[k].since <= opset)
            best = &sl__nn_ops[op].forms[k];
    return best;
}

bool sl__nn_form_has_attr(const struct sl_nn_op_form *f, const char *name, size_t len)
{
    for (const char *p = f->attrs; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0)
            return true;
        p += n + (e ? 1 : 0);
    }
    return false;
}
