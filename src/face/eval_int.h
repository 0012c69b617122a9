/*
 * eval_int.h -- evaluation tooling inside the library, not its API: the
 * metrics (ROC, TAR at FAR, EER, LFW k-fold accuracy, rank-1, PAD), DET/ROC
 * plots as SVG, the evaluation driver behind `shualian-dev eval`, and the
 * calibration-table builder behind `shualian-dev eval --calib-out` and
 * `shualian-dev calib build`. Hidden in libshualian.so (no SL_API; 17-api
 * checks that nothing of it is exported); the development program, the unit
 * tests and the fuzzers reach it by linking the static library. What the
 * engine needs at run time -- loading, validating and querying a table
 * (sl_calib_load, sl_calib_decide, sl_calib_threshold_for_far) -- is public
 * in shualian/face.h and uses nothing declared here.
 */
#ifndef SL_FACE_EVAL_INT_H
#define SL_FACE_EVAL_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "shualian/face.h"

/* ============================ Metrics ===================================
 * Scores are similarities: higher = more alike (or, for PAD, more live).
 * A pair is accepted when score >= threshold. For a threshold t:
 *   FAR(t) = #impostor >= t / #impostor,  FRR(t) = #genuine < t / #genuine,
 *   TAR = 1 - FRR. Points are sl_roc_point (face.h). Inputs are borrowed;
 *   non-finite scores are rejected. */

/* An ROC as one point per distinct score, thresholds descending (FAR rises,
 * FRR falls), starting with (+inf, 0, 1). When there are more than
 * max_points distinct scores (max_points >= 16), points are thinned so that
 * consecutive kept points differ by >= 0.01 decade in FAR or >= 0.001 in
 * FRR; the first and last points are always kept. */
typedef struct sl__roc {
    size_t        n;
    sl_roc_point *pts;   /* n points, owned: free with sl__roc_free         */
} sl__roc;

sl_status sl__roc_compute(sl__roc *out, const float *genuine, size_t ng,
                          const float *impostor, size_t ni,
                          size_t max_points);
void sl__roc_free(sl__roc *roc);            /* NULL ok; zeroes *roc       */

/* For each target FAR f (0 < f <= 1): the lowest threshold whose FAR <= f,
 * i.e. just above the (floor(f * ni) + 1)-th highest impostor score, and
 * the TAR there. thr may be NULL. Exact (sorted copies, no binning). When
 * f * ni < 1 the threshold sits above every impostor score and the
 * estimate has no support: callers should report ni with it. */
sl_status sl__metric_tar_at_far(double *tar, double *thr,
                                const double *fars, size_t nf,
                                const float *genuine, size_t ng,
                                const float *impostor, size_t ni);

/* Equal error rate: where FAR and FRR cross, linearly interpolated between
 * the two neighbouring exact ROC points; *thr (may be NULL) likewise. */
sl_status sl__metric_eer(double *eer, double *thr,
                         const float *genuine, size_t ng,
                         const float *impostor, size_t ni);

/* LFW-style k-fold verification accuracy. Pair i has score[i], same[i]
 * (true = same person) and fold[i] (any integers; at least 2 distinct).
 * For each fold, the threshold maximising accuracy on the other folds is
 * chosen among midpoints of consecutive distinct scores (plus one below
 * the minimum and one above the maximum; ties: the lowest), then applied
 * to the fold. *mean and *std (population std, as numpy's default) are over
 * folds; per_fold (may be NULL, cap entries) gets each fold's accuracy in
 * ascending fold-id order and *nfolds the number of folds. */
typedef struct sl__kfold_result {
    double mean, std;
    size_t nfolds;
} sl__kfold_result;
sl_status sl__metric_kfold_accuracy(sl__kfold_result *out,
                                    double *per_fold, size_t cap,
                                    const float *score, const bool *same,
                                    const int32_t *fold, size_t n);

/* Rank-1 identification, leave-one-out: every image whose label has >= 2
 * images is a probe; the gallery is every other image (labels with one
 * image act as distractors). A probe is a hit when its most similar
 * gallery image (cosine of the rows; ties: the lowest index) has its label.
 * emb is n x dim row-major, rows need not be normalised (zero rows never
 * match). *probes gets the probe count; SL_ERR_INVALID when it is 0. */
sl_status sl__metric_rank1(double *rank1, size_t *probes,
                           const float *emb, size_t n, size_t dim,
                           const int32_t *label);

/* Genuine and impostor scores of all pairs i < j (cosine of the rows).
 * The caller frees *gen and *imp with sl_face_free(). */
sl_status sl__metric_all_pairs(float **gen, size_t *ng, float **imp,
                               size_t *ni, const float *emb, size_t n,
                               size_t dim, const int32_t *label);

/* Presentation-attack detection at a threshold (ISO/IEC 30107-3 terms):
 * bona fide (live) when score >= thr. APCER = attacks accepted as live /
 * attacks, BPCER = bona fide rejected / bona fide, ACER = the mean.
 * AUC = P(live score > attack score) + P(equal)/2 (Mann-Whitney U with
 * mid-ranks). One attack species: APCER is not a max over species. */
typedef struct sl__pad_metrics {
    double apcer, bpcer, acer, auc;
} sl__pad_metrics;
sl_status sl__metric_pad(sl__pad_metrics *out, double thr,
                         const float *live, size_t nl,
                         const float *attack, size_t na);

/* ============================ SVG plots =================================
 * Standalone SVG 1.1 text (XML declaration, viewBox, inline styles). */

enum sl__plot_kind {
    SL__PLOT_DET = 0,   /* FRR vs FAR, both log10 axes                        */
    SL__PLOT_ROC = 1,   /* TAR (linear 0..1) vs FAR (log10)                   */
};

typedef struct sl__plot_curve {
    const char         *label;   /* legend text (escaped on output)          */
    const sl_roc_point *pts;     /* borrowed                                 */
    size_t              n;
} sl__plot_curve;

/* Writes the plot into a new NUL-terminated string (*out, *len), at most
 * 4 MiB; the caller frees *out with sl_face_free(). Zero rates are drawn
 * on the lowest axis value. 1..8 curves. */
sl_status sl__plot_svg(char **out, size_t *len, enum sl__plot_kind kind,
                       const char *title, const sl__plot_curve *curves,
                       size_t ncurves);

/* ============================ Calibration building ======================
 * The file format and the queries are public (face.h, docs/calibration.md). */

/* Zeroes *c and sets the model id and source (either may be NULL). */
sl_status sl__calib_init(sl_calib *c, const char *model_id,
                         const char *source);

/* Builds the table for mode from genuine and impostor scores (borrowed)
 * and adds it, replacing a table of the same mode. The ROC is thinned to
 * at most ~2000 points; the targets are exact. SL_ERR_TOO_LARGE when
 * SL_CALIB_MAX_TABLES modes are already there; SL_ERR_INVALID for a score
 * outside [-1, 1] (or NaN), an empty set, or a genuine mean not above the
 * impostor mean (swapped inputs). */
sl_status sl__calib_add(sl_calib *c, const char *mode,
                        const float *genuine, size_t ng,
                        const float *impostor, size_t ni);

/* JSON text of c in the documented format; the caller frees *out with
 * sl_face_free(). */
sl_status sl__calib_to_json(char **out, size_t *len, const sl_calib *c);
sl_status sl__calib_save(const sl_calib *c, const char *path);

/* ============================ Evaluation driver =========================
 * Walks a face folder tree, an LFW-style pairs file and a PAD folder, asks
 * an embedder for each image once, and computes every metric above, the
 * DET/ROC plots and optionally a calibration file. The embedder is a
 * callback, so the driver is tested without models (tests/unit). */

typedef struct sl__eval_embedder {
    void  *ctx;
    size_t dim;    /* embedding length, 1..SL_FACE_TEMPLATE_MAX_DIM */
    /* Embeds the main face of the image file at path into out (dim
     * floats). SL_OK, SL_NO_FACE, or an error (the image counts as failed
     * and is reported). May be NULL when only PAD is evaluated. */
    sl_status (*embed)(void *ctx, const char *path, float *out, size_t dim);
    /* Passive live score 0..1 of the image's main face; SL_NO_FACE when
     * none. NULL: PAD is not evaluated. */
    sl_status (*live_score)(void *ctx, const char *path, float *score);
} sl__eval_embedder;

typedef struct sl__eval_opts {
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
} sl__eval_opts;

/* All pairs and rank-1 are O(n^2): above this many images with a face they
 * are skipped ("all_pairs_skipped": true; 20,000 images = 2e8 pairs, 800 MB
 * of scores). */
#define SL__EVAL_ALL_PAIRS_MAX 20000

/* Runs the evaluation. On SL_OK *out is a new JSON object with at least:
 * images, no_face, lfw_accuracy (mean over folds), tar_at_far ({"1e-2",
 * "1e-3","1e-4"}), eer, rank1, and with PAD apcer, bpcer, acer, auc; keys
 * whose data is absent are null. Errors: SL_ERR_NOT_FOUND / SL_ERR_IO for
 * unreadable inputs, including an image named by the pairs file that is
 * not there (message naming it in err); SL_ERR_INVALID for a malformed
 * pairs file or a root with no image; SL_ERR_TOO_LARGE over max_images. */
sl_status sl__eval_run(json_t **out, const sl__eval_opts *o,
                       const sl__eval_embedder *e, char *err, size_t errcap);

/* A human summary table of a result from sl__eval_run. */
void sl__eval_print_summary(FILE *f, const json_t *result);

/* ============================ Embedding cache ===========================
 * The file `shualian-dev eval --cache` keeps (dev/eval.c) and the tools
 * that reuse its embeddings read (`shualian-dev id fusion-calib`, `hall
 * serve`, the hall unit tests; bench/hall_fusion.py reads it in Python).
 * Little-endian, version 1:
 *   "SLEC", u32 version (1), u64 hash (the writer's pipeline key; readers
 *   other than eval ignore it), u64 count, then count records:
 *   u16 path length (1..4095), path bytes (no NUL), i64 size, i64 mtime
 *   (ns), u8 state (1 face, 2 no face), dim f32 (the embedding; zeros
 *   without a face). The file ends after the last record.
 * The dimension is not stored: the reader is told it, and a file written
 * with another one does not parse (records overrun or leave bytes). */

#define SL__EVCACHE_VERSION   1u
#define SL__EVCACHE_PATH_MAX  4095
#define SL__EVCACHE_MAX_BYTES ((size_t)1 << 32)   /* 4 GiB: ~2M photos */

enum { SL__EVCACHE_FACE = 1, SL__EVCACHE_NOFACE = 2 };

typedef struct sl__evcache_entry {
    const char  *path;       /* canonical path of the photo                  */
    int64_t      size, mtime_ns;
    uint8_t      state;      /* SL__EVCACHE_FACE or SL__EVCACHE_NOFACE       */
    const float *emb;        /* dim floats                                   */
} sl__evcache_entry;

typedef struct sl__evcache {
    uint64_t           hash;
    size_t             n, dim;
    sl__evcache_entry *v;    /* n entries in file order; paths and           */
    char              *paths;/* embeddings point into these blocks (owned)  */
    float             *embs;
} sl__evcache;

/* Parses a cache held in memory (len bytes) into *out (zeroed first; free
 * with sl__evcache_free, also after an error). dim: the embedding size the
 * caller expects (1..4096). Errors, with a line in err (may be NULL):
 * SL_ERR_CORRUPT for a wrong magic, a record past the end (truncated), a
 * bad path length or state, or bytes after the last record (another dim);
 * SL_ERR_UNSUPPORTED for another version; SL_ERR_INVALID for a bad dim. */
sl_status sl__evcache_parse(sl__evcache *out, const uint8_t *buf, size_t len,
                            size_t dim, char *err, size_t errcap);

/* sl__evcache_parse on the file at path: SL_ERR_NOT_FOUND when absent,
 * SL_ERR_INVALID when not a regular file (a FIFO is not waited on),
 * SL_ERR_TOO_LARGE over SL__EVCACHE_MAX_BYTES, SL_ERR_IO when unreadable. */
sl_status sl__evcache_read(sl__evcache *out, const char *path, size_t dim,
                           char *err, size_t errcap);

void sl__evcache_free(sl__evcache *c);     /* NULL ok; zeroes *c          */

/* Writes n entries (their state FACE or NOFACE; emb dim floats) with hash
 * through path.tmp renamed onto path. SL_ERR_INVALID for an entry the
 * format cannot hold, SL_ERR_IO when it cannot be written. */
sl_status sl__evcache_write(const char *path, uint64_t hash,
                            const sl__evcache_entry *v, size_t n, size_t dim);

/* The identity of a photo in a <faces>/<identity>/<n>.jpg tree: the name
 * of the folder holding it (into *name, not NUL-terminated: the length is
 * returned); 0 when the path has no folder part. */
size_t sl__evcache_identity(const char *path, const char **name);

#endif
