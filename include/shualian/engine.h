/*
 * engine.h -- the model-running face engine: detection, 68 landmarks,
 * 5-point alignment, 512-d embedding, passive liveness, eye state, head
 * pose, age and gender, quality measurements, per-frame signals for the
 * active-liveness challenge. The model-free parts it feeds (geometry,
 * templates, calibration, quality reasons, liveness decisions) are in
 * face.h.
 *
 * Objects:
 *   sl_face_engine   the loaded models; immutable after creation, shared
 *                    by any number of sessions (and threads);
 *   sl_face_session  one per thread: an nn session per model plus scratch
 *                    tensors. A session borrows its engine: free sessions
 *                    first.
 * Images are struct sl_image (image.h), RGB or grey (grey is used as
 * R = G = B). Coordinates are image pixels with pixel centres at integer
 * positions (as sl_image_warp_affine). Every function is reentrant per
 * session; none prints or exits.
 *
 * Ownership: sl_face_engine_new()/sl_face_session_new() hand the caller a
 * new object to free with the matching _free() (NULL accepted). Every
 * other pointer argument is borrowed for the call only.
 */
#ifndef SHUALIAN_ENGINE_H
#define SHUALIAN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/face.h"
#include "shualian/image.h"
#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The nine models, files <models_dir>/fr_<name>.onnx. */
enum sl_face_model {
    SL_FM_DETECT = 0, SL_FM_LANDMARK, SL_FM_FEATURE, SL_FM_LIVENESS, SL_FM_EYE,
    SL_FM_POSE, SL_FM_AGE, SL_FM_GENDER, SL_FM_EXPRESSION,
    SL_FM_COUNT
};
#define SL_FM_BIT(m)  (1u << (m))
/* detect + landmarks + feature: what verification needs. */
#define SL_FM_CORE    (SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK) | \
                       SL_FM_BIT(SL_FM_FEATURE))
/* Every model except expression (the slow one, 2.8 GMACs). */
#define SL_FM_ALL     (SL_FM_CORE | SL_FM_BIT(SL_FM_LIVENESS) | SL_FM_BIT(SL_FM_EYE) | \
                       SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_AGE) | \
                       SL_FM_BIT(SL_FM_GENDER))

/* "detect", "landmark", ... ; "unknown" otherwise. */
SL_API const char *sl_face_model_name(enum sl_face_model m);

/* The model id stored in templates made by this engine. */
#define SL_FACE_ENGINE_MODEL_ID "fr_feature-v1"

typedef struct sl_face_engine sl_face_engine;
typedef struct sl_face_session sl_face_session;

/* The engine configuration. The library reads no environment variable:
 * the program maps $SL_MODELS, $SL_CALIB and its flags onto this. Every
 * pointer is borrowed for the sl_face_engine_new() call only. Fields may
 * be appended: initialise with designators or sl_face_engine_opts_default(). */
typedef struct sl_face_engine_opts {
    const char *models_dir;  /* folder of fr_<name>.onnx; NULL = "./models"   */
    uint32_t    models;      /* SL_FM_BIT mask to load; 0 = SL_FM_ALL          */
    const char *backend;     /* nn backend, NULL = default (xnnpack if built)  */
    int         threads;     /* nn threads per session, 0 = 1                  */
    const char *calib_path;  /* calibration file; NULL = the shipped table
                                (sl_face_calib_load_default(NULL))             */
    const sl_calib *calib;   /* a calibration to copy instead of any file
                                (wins over calib_path); NULL = none           */
    bool        skip_model_check; /* do not compare the model files with the
                                shipped SHA-256 sums (for custom models)      */
} sl_face_engine_opts;

/* models_dir NULL, every model but expression, default backend, 1 thread,
 * the shipped calibration, checksums checked. */
SL_API sl_face_engine_opts sl_face_engine_opts_default(void);

/* Loads the models and the calibration. A missing file gives
 * SL_ERR_FACE_MODELS_MISSING; a model file whose SHA-256 is not the
 * shipped one SL_ERR_FACE_MODEL_CHECKSUM (unless o->skip_model_check); a
 * model without the expected inputs/outputs SL_ERR_FACE_MODEL_SHAPE; a
 * calibration that fails validation SL_ERR_FACE_CALIB_FORMAT, one measured
 * for another embedding model SL_ERR_FACE_CALIB_MODEL. err (cap bytes, may
 * be NULL) gets a one-line reason naming the file. On SL_OK the caller owns
 * *out (sl_face_engine_free()); on error *out is untouched. */
SL_API SL_NODISCARD sl_status sl_face_engine_new(sl_face_engine **out,
                                                 const sl_face_engine_opts *o,
                                                 char *err, size_t cap);
SL_API void sl_face_engine_free(sl_face_engine *e);
/* true if the model was loaded. */
SL_API bool sl_face_engine_has(const sl_face_engine *e, enum sl_face_model m);
/* The engine's calibration (validated, of this engine's model); borrowed:
 * valid as long as e. */
SL_API const sl_calib *sl_face_engine_calib(const sl_face_engine *e);

SL_API SL_NODISCARD sl_status sl_face_session_new(sl_face_session **out,
                                                  const sl_face_engine *e);
SL_API void sl_face_session_free(sl_face_session *s);

/* ============================ Configuration ============================= */

enum sl_face_det_fit {
    SL_DET_LETTERBOX = 0,    /* keep the aspect ratio, pad to 320x240 (default) */
    SL_DET_SQUASH    = 1,    /* stretch to 320x240 (the npm package)            */
};

typedef struct sl_face_config {
    float    det_score;      /* detector score threshold (0.6)                 */
    float    nms_iou;        /* overlap threshold for NMS (0.3; package 0.4)   */
    uint8_t  det_fit;        /* enum sl_face_det_fit                            */
    uint8_t  nms;            /* enum sl_nms_mode (face.h): SL_NMS_IOU (default)
                                or SL_NMS_PACKAGE                               */
    bool     det_pad;        /* retry on a padded canvas when no face is found
                                (tight crops, ID photos)                        */
    float    min_face_px;    /* smallest box side kept, image pixels (20)      */
    uint32_t max_faces;      /* detections kept, largest first (16)            */
    bool     flip;           /* flip fusion: embed the mirrored crop too       */
    bool     feature_bgr;    /* B,G,R planes into fr_feature (measured better) */
    uint8_t  refine;         /* second landmark pass: 0 none, 1 on the square
                                re-centred on the first pass's landmarks,
                                2 on the de-rotated similarity crop           */
    bool     live_bgr;       /* channel order into fr_liveness                 */
    float    live_scale;     /* liveness crop: box scaled about its centre     */
    uint8_t  live_class;     /* output index that means "real"                  */
    uint8_t  pts5;           /* enum sl_face_pts5_rule for the alignment      */
    bool     antialias;      /* area-average large shrinks before the bilinear
                                sampling of detector input, landmark crop and
                                alignment (off: the package's single bilinear) */
} sl_face_config;

/* The measured defaults (docs/face.md). */
SL_API sl_face_config sl_face_config_default(void);

/* ============================ Stages ==================================== */

/* Boxes are face.h's sl_face_box (corners in image pixels, score). */

/* Finds faces: up to cap boxes into out, largest (area) first; *n gets the
 * number written. SL_OK also when no face is found (*n = 0). */
SL_API SL_NODISCARD sl_status sl_face_detect(sl_face_session *s,
                                             const struct sl_image *img,
                                             const sl_face_config *cfg,
                                             sl_face_box *out, size_t cap,
                                             size_t *n);

/* 68 landmarks of the face in box (sub-pixel, image coordinates). */
SL_API SL_NODISCARD sl_status sl_face_landmarks(sl_face_session *s,
                                                const struct sl_image *img,
                                                const sl_face_box *box,
                                                const sl_face_config *cfg,
                                                sl_point2f lm68[SL_FACE_LANDMARKS]);

/* Warps the 112x112 ArcFace crop from 5 points into crop (made by the
 * caller: 112x112, img's channel count). Large faces are first shrunk with
 * area averaging so the bilinear warp does not alias. */
SL_API SL_NODISCARD sl_status sl_face_align(struct sl_image *crop,
                                            const struct sl_image *img,
                                            const sl_point2f pts5[SL_FACE_POINTS5]);

/* L2-normalised 512-d embedding of an aligned 112x112 RGB crop (flip
 * fusion and channel order per cfg). */
SL_API SL_NODISCARD sl_status sl_face_embed_crop(sl_face_session *s,
                                                 const struct sl_image *crop,
                                                 const sl_face_config *cfg,
                                                 float emb[SL_FACE_EMBED_DIM]);

/* Passive liveness of the face in box: softmax of the 3 outputs (probs, may
 * be NULL) and the live score (probs[cfg->live_class]); *context (may be
 * NULL) gets the fraction of the model's crop that lies inside the image. */
SL_API SL_NODISCARD sl_status sl_face_liveness(sl_face_session *s,
                                               const struct sl_image *img,
                                               const sl_face_box *box,
                                               const sl_face_config *cfg,
                                               float *score, float probs[3],
                                               float *context);

/* Head pose (fr_pose, Hopenet bins), degrees, in fr_pose's own conventions,
 * which face.h's challenge signals use: yaw > 0 when the subject turns to
 * their own right, pitch > 0 chin up, roll > 0 when the image-right eye is
 * lower (measured: docs/face.md). */
SL_API SL_NODISCARD sl_status sl_face_pose(sl_face_session *s,
                                           const struct sl_image *img,
                                           const sl_face_box *box, float ypr[3]);

/* Eye-open probabilities (fr_eye) of the image-left and image-right eye,
 * from the 68 landmarks. */
SL_API SL_NODISCARD sl_status sl_face_eyes(sl_face_session *s,
                                           const struct sl_image *img,
                                           const sl_point2f lm68[SL_FACE_LANDMARKS],
                                           float open[2]);

/* Age in years and the probability-like gender score (SSR-Net; > 0.5 male)
 * of the face in box. Either output may be NULL (its model is skipped). */
SL_API SL_NODISCARD sl_status sl_face_age_gender(sl_face_session *s,
                                                 const struct sl_image *img,
                                                 const sl_face_box *box,
                                                 float *age, float *male);

/* ============================ Whole pipeline ============================ */

enum {
    SL_FACE_DO_EMBED    = 1u << 0,
    SL_FACE_DO_LIVENESS = 1u << 1,
    SL_FACE_DO_POSE     = 1u << 2,
    SL_FACE_DO_EYES     = 1u << 3,
    SL_FACE_DO_AGE      = 1u << 4,   /* age and gender                         */
    SL_FACE_DO_QUALITY  = 1u << 5,   /* crop statistics (cheap); pose/eyes add
                                        their reasons when also asked         */
    SL_FACE_DO_ALL_FACES = 1u << 8,  /* analyse every face, not only the main */
};

/* One analysed face. Fields not asked for (or whose model is not loaded)
 * are NAN / false. */
typedef struct sl_face_result {
    sl_face_box box;
    sl_point2f  lm[SL_FACE_LANDMARKS];
    sl_point2f  pts5[SL_FACE_POINTS5];
    bool        has_emb;
    float       emb[SL_FACE_EMBED_DIM];   /* L2-normalised                    */
    float       interocular;              /* pixels                           */
    float       sharpness, luma_mean, luma_std;   /* aligned crop            */
    float       live_score, live_context;
    float       live_probs[3];
    float       yaw, pitch, roll;
    float       eye_open[2];
    float       mouth_open;
    float       age, male;
} sl_face_result;

/* Detects faces and analyses the main (largest) face, or all faces with
 * SL_FACE_DO_ALL_FACES (up to cap), into out[0..*n). *n_found (may be NULL)
 * gets the number of faces detected. SL_NO_FACE when there is none. */
SL_API SL_NODISCARD sl_status sl_face_process(sl_face_session *s,
                                              const struct sl_image *img,
                                              const sl_face_config *cfg,
                                              uint32_t what,
                                              sl_face_result *out, size_t cap,
                                              size_t *n, size_t *n_found);

/* Quality measurements of result r of img (face_count = faces found). */
SL_API sl_quality_meas sl_face_quality_meas(const struct sl_image *img,
                                            const sl_face_result *r,
                                            size_t face_count);

/* Per-frame signal for the active-liveness analysis: eyes, pose, mouth,
 * passive score, and the cosine of the frame's embedding to ref (NULL: the
 * similarity is set to 1 and *emb_out, if not NULL, gets the embedding so
 * the caller can make it the reference). */
SL_API SL_NODISCARD sl_status sl_face_frame_signal(sl_face_session *s,
                                                   const struct sl_image *img,
                                                   const sl_face_config *cfg,
                                                   int64_t t_ms,
                                                   const float *ref,
                                                   float *emb_out,
                                                   sl_frame_signal *out);

/* ============================ Calibration ==============================
 * The shipped calibration (score -> FAR/FRR measured with this engine on the
 * dev set). Loads path if not NULL; else share/shualian/face-calib.json
 * under the current folder, then under SL_DATADIR; else the built-in copy
 * of the same table compiled into the library. (No environment variable is
 * read: the program passes $SL_CALIB as path.) Validation as
 * sl_calib_parse(). On SL_OK free *out with sl_calib_free(). */
SL_API SL_NODISCARD sl_status sl_face_calib_load_default(sl_calib *out, const char *path);

/* ============================ 1:1 verification =========================
 * The verdict of "are these two faces the same person", made in one place
 * for the program (`shualian face verify`) and the server: embeddings of
 * the main faces (or stored templates), cosine, threshold from the
 * engine's calibration, FAR/FRR estimates, quality of each image side with
 * its reasons, and the no-face outcome. */

/* One side: an image or a stored template (exactly one not NULL). */
typedef struct sl_face_input {
    struct sl_image  *image;
    sl_face_template *tpl;
} sl_face_input;

/* Decodes len bytes (borrowed) as a template when they start with
 * SL_FACE_TEMPLATE_MAGIC, else as a JPEG/PNG image (3 channels, default
 * limits). On SL_OK the caller owns the members: sl_face_input_clear().
 * Errors: the template's (SL_ERR_FACE_TEMPLATE_FORMAT) or the image
 * decoder's (SL_ERR_IMG_*); *out is zeroed then. */
SL_API SL_NODISCARD sl_status sl_face_input_decode(const uint8_t *buf, size_t len,
                                                   sl_face_input *out);
/* Frees what sl_face_input_decode() made and zeroes *in; NULL ok. */
SL_API void sl_face_input_clear(sl_face_input *in);

typedef struct sl_face_verify_opts {
    sl_face_config         cfg;        /* engine configuration               */
    sl_face_threshold_spec threshold;  /* far:1e-3 by default                 */
    char mode[SL_CALIB_MODE_MAX];      /* calibration table, "live"          */
    bool enrol_preset;                 /* quality preset enrol (else verify)  */
} sl_face_verify_opts;

/* sl_face_config_default(), far:1e-3, mode "live", verify preset. */
SL_API sl_face_verify_opts sl_face_verify_opts_default(void);

/* What is known of one side after sl_face_verify(). */
typedef struct sl_face_side {
    bool            is_template;
    char            model_id[SL_FACE_MODEL_ID_MAX];  /* template's model      */
    size_t          face_count;       /* faces found (1 for a template)      */
    sl_face_result  face;             /* the main face (image, face_count>0) */
    sl_quality_meas meas;             /* image sides only                    */
    bool            quality_pass;
    size_t          n_reasons;        /* failed quality reasons, urgent first */
    enum sl_quality_reason reasons[SL_Q_REASON_MAX];
} sl_face_side;

typedef struct sl_face_verdict {
    bool             no_face;     /* a side has no face: match false, no score */
    sl_face_decision decision;    /* match, score, threshold, FAR/FRR (unless
                                     no_face)                                   */
    char             request[SL_FACE_THRESHOLD_TEXT_MAX];   /* spec as written */
    char             mode[SL_CALIB_MODE_MAX];
    bool             enrol_preset;
    char             calibration[128];  /* the calibration's source text      */
    sl_face_side     side[2];           /* a, b                                */
    int              failed_side;       /* on an error about one input: 0 or 1;
                                           else -1                             */
} sl_face_verdict;

/* Verifies a against b (borrowed) with session s and the calibration of
 * its engine. SL_OK for any verdict, match or not, and for no face
 * (out->no_face). Errors (out->failed_side names the input when it is
 * about one): SL_ERR_FACE_TEMPLATE_MISMATCH (a template of another model
 * or dimension), the pipeline's errors, SL_ERR_NOT_FOUND (no calibration
 * table for o->mode with a far: threshold), SL_ERR_FACE_FAR_UNSUPPORTED
 * (sl_face_threshold_check), SL_ERR_INVALID (bad arguments). *out is
 * always written when s, a, b, o and out are not NULL. */
SL_API SL_NODISCARD sl_status sl_face_verify(sl_face_session *s,
                                             const sl_face_input *a,
                                             const sl_face_input *b,
                                             const sl_face_verify_opts *o,
                                             sl_face_verdict *out);
/* The template-only counterpart (no session, no model run): a and b are
 * stored templates; the verdict has no quality. Errors as sl_face_verify. */
SL_API SL_NODISCARD sl_status sl_face_verify_templates(const sl_face_engine *e,
                                                       const sl_face_template *a,
                                                       const sl_face_template *b,
                                                       const sl_face_verify_opts *o,
                                                       sl_face_verdict *out);
/* The verdict as JSON text, exactly what `shualian face verify` prints
 * (compact, no newline; docs/face.md). name_a/name_b (borrowed) label the
 * sides ("image" or "template" key). On SL_OK the caller frees *out with
 * sl_face_free(); *len excludes the NUL. */
SL_API SL_NODISCARD sl_status sl_face_verdict_to_json(const sl_face_verdict *v,
                                                      const char *name_a,
                                                      const char *name_b,
                                                      char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
