/*
 * eval.h -- the evaluation driver behind `shualian eval`. Evaluation
 * tooling, not for kiosk integrators: public only so that the product
 * program links against the shared library (tests/suites/17-api.sh lists
 * it with the metrics/ROC/SVG functions as the tooling to move into a
 * separate library). Walks a face folder tree, an LFW-style pairs file and a
 * PAD folder, asks an embedder for each image once, and computes every
 * metric (LFW k-fold accuracy, all-pairs ROC with TAR at FAR 1e-2/1e-3/1e-4
 * and EER, rank-1, APCER/BPCER/ACER/AUC), DET/ROC plots and optionally a
 * calibration file. The embedder is a callback, so the driver is tested
 * without models and the engine plugs in later.
 */
#ifndef SHUALIAN_EVAL_H
#define SHUALIAN_EVAL_H

#include <stdio.h>
#include <jansson.h>

#include "shualian/face.h"

typedef struct sl_eval_embedder {
    void  *ctx;
    size_t dim;    /* embedding length, 1..SL_FACE_TEMPLATE_MAX_DIM */
    /* Embeds the main face of the image file at path into out (dim
     * floats). SL_OK, SL_NO_FACE, or an error (the image counts as failed
     * and is reported). May be NULL when only PAD is evaluated. */
    sl_status (*embed)(void *ctx, const char *path, float *out, size_t dim);
    /* Passive live score 0..1 of the image's main face; SL_NO_FACE when
     * none. NULL: PAD is not evaluated. */
    sl_status (*live_score)(void *ctx, const char *path, float *score);
} sl_eval_embedder;

typedef struct sl_eval_opts {
    const char *root;         /* <root>/<identity>/<image>; NULL = none      */
    const char *pairs;        /* TSV: lfw_fold, path1, path2, same_person    */
    const char *pairs_base;   /* pair paths are relative to this; NULL = the
                                 pairs file's folder                          */
    const char *pad_root;     /* <pad_root>/{real,spoof}/<image>; NULL = none */
    double      pad_threshold;/* live when score >= this                      */
    const char *det_svg;      /* DET plot path, NULL = none                   */
    const char *roc_svg;      /* ROC plot path, NULL = none                   */
    const char *calib_out;    /* calibration file from all pairs, NULL = none */
    const char *model_id;     /* for the calibration file                     */
    /* Called after each image of a stage ("embedding", "pad") with the
     * counts so far; final on the stage's last image. The caller decides
     * how (and how often) to show it. NULL = quiet. */
    void      (*progress)(void *ctx, const char *what, size_t done, size_t total,
                          size_t noface, bool final);
    void       *progress_ctx;
    size_t      max_images;   /* refuse trees with more; 0 = 200,000          */
} sl_eval_opts;

/* All pairs and rank-1 are O(n^2): above this many images with a face they
 * are skipped ("all_pairs_skipped": true; 20,000 images = 2e8 pairs, 800 MB
 * of scores). */
#define SL_EVAL_ALL_PAIRS_MAX 20000

/* Runs the evaluation. On SL_OK *out is a new JSON object with at least:
 * images, no_face, lfw_accuracy (mean over folds), tar_at_far ({"1e-2",
 * "1e-3","1e-4"}), eer, rank1, and with PAD apcer, bpcer, acer, auc; keys
 * whose data is absent are null. Errors: SL_ERR_NOT_FOUND / SL_ERR_IO for
 * unreadable inputs, including an image named by the pairs file that is
 * not there (message naming it in err); SL_ERR_INVALID for a malformed
 * pairs file or a root with no image; SL_ERR_TOO_LARGE over max_images. */
SL_API sl_status sl_eval_run(json_t **out, const sl_eval_opts *o,
                             const sl_eval_embedder *e, char *err, size_t errcap);

/* A human summary table of a result from sl_eval_run. */
SL_API void sl_eval_print_summary(FILE *f, const json_t *result);

#endif
