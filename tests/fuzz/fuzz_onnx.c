/*
 * fuzz_onnx.c -- libFuzzer target for the ONNX reader and the load-time
 * passes (nn/): any byte string must load or fail with a status, never
 * crash, read out of bounds, leak, or allocate without bound. When a
 * model loads and is small, one ref session runs it once on zeros.
 *
 * Build: make fuzz (build-fuzz/fuzz_onnx). Seeds: scripts/fuzz_corpus_onnx.sh
 * (build-fuzz/corpus/fuzz_onnx: the small face models and tiny models).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shualian/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_nn_model *m = NULL;
    char err[256];
    if (sl_nn_model_load_mem(&m, data, size, err, sizeof err) != SL_OK)
        return 0;
    struct sl_nn_stats st;
    sl_nn_model_stats(m, &st);
    if (st.arena_bytes < (16u << 20) && st.macs < 20000000 && sl_nn_model_num_inputs(m) == 1 &&
        sl_nn_model_num_outputs(m) <= 16) {
        sl_nn_session *s = NULL;
        if (sl_nn_session_new(&s, m, "ref", 1) == SL_OK) {
            size_t ni = sl_nn_model_input_size(m, 0), oc[16];
            float *in = calloc(ni + 1, sizeof(float)), *outs[16] = { NULL };
            int no = sl_nn_model_num_outputs(m), ok = in != NULL;
            for (int i = 0; i < no && ok; i++) {
                oc[i] = sl_nn_model_output_size(m, i);
                outs[i] = calloc(oc[i] + 1, sizeof(float));
                ok = outs[i] != NULL;
            }
            const float *ip = in;
            if (ok)
                (void)!sl_nn_session_run(s, &ip, &ni, outs, oc);
            for (int i = 0; i < no; i++)
                free(outs[i]);
            free(in);
            sl_nn_session_free(s);
        }
    }
    sl_nn_model_free(m);
    return 0;
}
