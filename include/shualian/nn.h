/*
 * nn.h -- libshualian's ONNX inference engine (public API).
 *
 * A model is loaded once (from a path or a memory buffer), checked, folded
 * and planned; it is then immutable and may be shared by any number of
 * sessions, each used by one thread at a time. A session owns one
 * activation arena sized at creation: sl_nn_session_run() allocates
 * nothing. Inputs and outputs are float32 in the ONNX model's own layout
 * (NCHW), batch 1.
 *
 * Ownership: sl_nn_model_load_*() and sl_nn_session_new() hand the caller
 * a new object to free with the matching _free() (NULL is accepted). A
 * session borrows its model: free the sessions before the model. Strings
 * returned by the name getters are borrowed from the model.
 */
#ifndef SHUALIAN_NN_H
#define SHUALIAN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_nn_model sl_nn_model;
typedef struct sl_nn_session sl_nn_session;

#define SL_NN_MAX_FILE_BYTES ((size_t)512 << 20)   /* model files over this: too large */

/* Loads and prepares a model. On failure *out is NULL and, when err is
 * not NULL, a one-line reason (naming the node and op for unsupported
 * ones) is written into err (cap bytes). */
SL_API SL_NODISCARD sl_status sl_nn_model_load_file(sl_nn_model **out, const char *path,
                                                    char *err, size_t cap);
SL_API SL_NODISCARD sl_status sl_nn_model_load_mem(sl_nn_model **out, const void *p,
                                                   size_t n, char *err, size_t cap);
SL_API void sl_nn_model_free(sl_nn_model *m);

SL_API int         sl_nn_model_num_inputs(const sl_nn_model *m);
SL_API int         sl_nn_model_num_outputs(const sl_nn_model *m);
SL_API const char *sl_nn_model_input_name(const sl_nn_model *m, int i);
SL_API const char *sl_nn_model_output_name(const sl_nn_model *m, int i);
/* Writes up to cap dims (ONNX order); returns the rank, -1 if i is bad. */
SL_API int sl_nn_model_input_shape(const sl_nn_model *m, int i, int64_t *dims, int cap);
SL_API int sl_nn_model_output_shape(const sl_nn_model *m, int i, int64_t *dims, int cap);
/* Element counts of input/output i (0 if i is bad). */
SL_API size_t sl_nn_model_input_size(const sl_nn_model *m, int i);
SL_API size_t sl_nn_model_output_size(const sl_nn_model *m, int i);

struct sl_nn_stats {
    uint64_t params;           /* float weights after folding           */
    uint64_t macs;             /* multiply-adds of one run (conv, gemm) */
    uint64_t weight_bytes;     /* bytes of constants the model keeps    */
    uint64_t arena_bytes;      /* activation arena of one session       */
    int      nodes_in_file;    /* nodes in the ONNX file                */
    int      nodes_run;        /* nodes one run executes (after passes) */
    int      nops;             /* entries below                         */
    const char *op_name[48];   /* op types in the file (static strings) */
    int      op_count[48];     /* how many of each in the file          */
    int      op_run[48];       /* how many of each after the passes     */
};
SL_API void sl_nn_model_stats(const sl_nn_model *m, struct sl_nn_stats *out);

/* backend: "ref", "xnnpack" or NULL (xnnpack where built, else ref).
 * threads: 1..64 (ref runs single-threaded). Same as sl_nn_session_new_opts
 * with every own kernel on. */
SL_API SL_NODISCARD sl_status sl_nn_session_new(sl_nn_session **out, const sl_nn_model *m,
                                                const char *backend, int threads);

/* Our own xnnpack-backend conv kernels (AVX-512; docs/nn.md), as bits of
 * sl_nn_options.kernels_off for A/B measurements. The library never reads
 * the environment: the CLI maps SL_NN_WINOGRAD=0, SL_NN_PW=0, SL_NN_DW=0
 * onto these bits. */
#define SL_NN_KERNEL_WINOGRAD  1u   /* 3x3 stride-1 dense convs (Winograd)  */
#define SL_NN_KERNEL_POINTWISE 2u   /* 1x1 convs as one GEMM                */
#define SL_NN_KERNEL_DWCONV    4u   /* depthwise 3x3 with <= 32 channels    */

/* Session options; zero-initialise, then set what you need. */
struct sl_nn_options {
    const char *backend;           /* as in sl_nn_session_new; NULL = default */
    int         threads;           /* 1..64; 0 = 1                           */
    unsigned    kernels_off;       /* SL_NN_KERNEL_* bits to leave off       */
};
SL_API SL_NODISCARD sl_status sl_nn_session_new_opts(sl_nn_session **out, const sl_nn_model *m,
                                                     const struct sl_nn_options *opt);
SL_API void sl_nn_session_free(sl_nn_session *s);
SL_API const char *sl_nn_session_backend(const sl_nn_session *s);
/* Profiling: when on, each run adds every step's wall time to a counter
 * (no allocation). Step k: op type, node name, backend that ran it, and
 * the accumulated milliseconds; false past the last step. */
SL_API void sl_nn_session_set_profile(sl_nn_session *s, int on);
SL_API int  sl_nn_session_profile_step(const sl_nn_session *s, int k, const char **op,
                                       const char **node, const char **backend, double *ms);
/* Backends built into this library: "ref" or "ref,xnnpack". */
SL_API const char *sl_nn_backends(void);
/* Runs once. inputs[i] holds in_counts[i] floats for input i; outputs[i]
 * receives out_counts[i] floats. Wrong counts: SL_ERR_MODEL_SHAPE. */
SL_API SL_NODISCARD sl_status sl_nn_session_run(sl_nn_session *s,
                                                const float *const *inputs,
                                                const size_t *in_counts,
                                                float *const *outputs,
                                                const size_t *out_counts);

#ifdef __cplusplus
}
#endif
#endif
