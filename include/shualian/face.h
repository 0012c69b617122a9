/*
 * face.h -- the model-free parts of the face engine: geometry (68 -> 5
 * points, similarity alignment), versioned embedding templates, score
 * calibration look-up and decisions, quality reasons,
 * passive-liveness decisions and active-liveness challenges.
 *
 * Nothing here runs a network or decodes an image: the pipeline feeds these
 * functions with numbers measured elsewhere (landmarks, embeddings, scores,
 * per-frame signals). All functions are reentrant; the only object with
 * shared mutable state is the nonce registry, which locks internally.
 *
 * Conventions: outputs first; (pointer, length) pairs; functions that can
 * fail return sl_status and leave outputs untouched on error unless said.
 * Angles are degrees, times are Unix epoch milliseconds (int64_t), pixel
 * coordinates have their origin at the top-left corner of the top-left
 * pixel's centre (x right, y down), as the landmark model produces them.
 */
#ifndef SHUALIAN_FACE_H
#define SHUALIAN_FACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================ Geometry ==================================
 * The 68 points follow the iBUG 300-W numbering (0-based): jaw 0..16,
 * brows 17..26, nose 27..35, eyes 36..41 (subject's right eye, image left)
 * and 42..47, outer lips 48..59, inner lips 60..67. */

#define SL_FACE_LANDMARKS   68
#define SL_FACE_POINTS5      5
#define SL_FACE_ALIGN_SIZE 112      /* ArcFace crop side, pixels           */

typedef struct sl_point2f {
    float x, y;                     /* pixels, see the file comment         */
} sl_point2f;

/* Order of the 5 points: image-left eye, image-right eye, nose tip,
 * image-left mouth corner, image-right mouth corner. */
enum sl_face_pts5_rule {
    /* The reference pipeline's choice (ort-pipeline anchor): eye centre =
     * mean of the 4 lid points 37,38,40,41 / 43,44,46,47 (the corners are
     * left out, they sit on the eye line anyway); nose = 30; mouth corners =
     * mean(48,60) / mean(54,64). The default. */
    SL_FACE_PTS5_PIPELINE = 0,
    /* Eye centre = mean of all six points 36..41 / 42..47; nose = 30;
     * mouth corners = 48 / 54 (outer corners only). */
    SL_FACE_PTS5_MEAN6    = 1,
};

/* A 2-D affine map in row-major 2x3 form:
 *   x' = m[0]*x + m[1]*y + m[2]
 *   y' = m[3]*x + m[4]*y + m[5]                                           */
typedef struct sl_affine {
    double m[6];
} sl_affine;

/* The ArcFace reference points in the 112x112 crop (same order as above). */
SL_API extern const sl_point2f sl_face_arcface_ref[SL_FACE_POINTS5];

/* Reduces 68 landmarks to 5 points with the given rule. Keeps sub-pixel
 * precision (means are computed in double). SL_ERR_INVALID for an unknown
 * rule or a non-finite coordinate. */
SL_API sl_status sl_face_points5(sl_point2f out[SL_FACE_POINTS5],
                                 const sl_point2f lm68[SL_FACE_LANDMARKS],
                                 enum sl_face_pts5_rule rule);

/* Least-squares similarity (rotation, uniform scale, translation; no
 * reflection) that maps src[i] onto dst[i], i < n, minimising the sum of
 * squared distances -- Umeyama's estimate, in its closed 2-D form.
 * *fwd maps src -> dst; *inv (may be NULL) maps dst -> src.
 * SL_ERR_FACE_DEGENERATE when n < 2 or either point set has (almost) no
 * spread, so the scale would be 0 or undefined; SL_ERR_INVALID for a
 * non-finite coordinate. */
SL_API sl_status sl_face_similarity(sl_affine *fwd, sl_affine *inv,
                                    const sl_point2f *src,
                                    const sl_point2f *dst, size_t n);

/* The alignment for the 112x112 ArcFace crop from 5 image points.
 * *img_to_crop maps image -> crop coordinates (use it to move points);
 * *crop_to_img maps crop -> image and is what a warp needs: for every crop
 * pixel (u, v) it gives the image position to sample (bilinear), as
 * OpenCV's warpAffine with WARP_INVERSE_MAP does. Either may be NULL. */
SL_API sl_status sl_face_align_matrix(sl_affine *img_to_crop,
                                      sl_affine *crop_to_img,
                                      const sl_point2f pts5[SL_FACE_POINTS5]);

/* Inverse of an affine map; SL_ERR_FACE_DEGENERATE if it is singular. */
SL_API sl_status sl_affine_invert(sl_affine *out, const sl_affine *a);
SL_API sl_point2f sl_affine_apply(const sl_affine *a, sl_point2f p);
/* Uniform scale and rotation of a similarity map: scale = |(m0, m3)|,
 * rotation = atan2(m3, m0) in degrees; with y down a positive angle turns
 * +x towards +y (clockwise on screen). */
SL_API double sl_affine_scale(const sl_affine *a);
SL_API double sl_affine_rotation_deg(const sl_affine *a);

/* Distance between the two eye centres of a 5-point set, pixels. */
SL_API double sl_face_interocular(const sl_point2f pts5[SL_FACE_POINTS5]);
/* In-plane head roll from the eye line, degrees in (-180, 180]:
 * atan2(y_right - y_left, x_right - x_left) with y down, so a positive
 * roll means the image-right eye is lower (the head leans towards the
 * image right, i.e. the subject's left shoulder). 0 when level. */
SL_API double sl_face_roll_deg(const sl_point2f pts5[SL_FACE_POINTS5]);

/* ============================ Templates =================================
 * A template is one embedding tagged with the model that made it, so that
 * templates of different models are refused instead of silently compared.
 *
 * Serialised form (little-endian, SL_FACE_TEMPLATE_HEADER bytes + payload
 * + 4-byte CRC-32):
 *    0  magic "SLFT"                        4 bytes
 *    4  version (u16) = 1
 *    6  element type (u8): 1 f32, 2 f16 (IEEE binary16), 3 i8
 *    7  flags (u8): bit 0 = L2-normalised; other bits must be 0
 *    8  dim (u16), 1..SL_FACE_TEMPLATE_MAX_DIM
 *   10  reserved (u16) = 0
 *   12  i8 scale (f32): value = q * scale; > 0 for i8, 0 otherwise
 *   16  model id: SL_FACE_MODEL_ID_MAX bytes of printable ASCII, at least
 *       one character, NUL-padded (no bytes after the first NUL)
 *   64  payload: dim elements
 *  ...  CRC-32 (zlib polynomial) of every byte before it (u32)
 * Parsers reject any other version, unknown bits, trailing bytes and a
 * wrong CRC. Writers never reuse a version number. */

#define SL_FACE_TEMPLATE_MAGIC    "SLFT"
#define SL_FACE_TEMPLATE_VERSION  1
#define SL_FACE_TEMPLATE_HEADER   64
#define SL_FACE_MODEL_ID_MAX      48      /* bytes, NUL padding included   */
#define SL_FACE_TEMPLATE_MAX_DIM  1024
#define SL_FACE_EMBED_DIM         512     /* fr_feature                    */

enum sl_face_elem {
    SL_FACE_ELEM_F32 = 1,
    SL_FACE_ELEM_F16 = 2,
    SL_FACE_ELEM_I8  = 3,
};

/* In memory the values are always f32 (decoded); elem is the storage type
 * used when serialising. */
typedef struct sl_face_template {
    char     model_id[SL_FACE_MODEL_ID_MAX]; /* NUL-terminated             */
    uint16_t dim;                            /* 1..SL_FACE_TEMPLATE_MAX_DIM */
    uint8_t  elem;                           /* enum sl_face_elem           */
    bool     l2norm;                         /* values have unit L2 norm    */
    float    v[SL_FACE_TEMPLATE_MAX_DIM];    /* first dim are used          */
} sl_face_template;

/* Fills *out from an embedding (copied). normalise = true L2-normalises the
 * copy and sets l2norm. SL_ERR_INVALID for a bad model id (empty, too
 * long, not printable ASCII), dim out of range, unknown elem, a non-finite
 * value, or a zero vector when normalise is asked. */
SL_API sl_status sl_face_template_init(sl_face_template *out,
                                       const char *model_id, uint8_t elem,
                                       const float *emb, size_t dim,
                                       bool normalise);
/* Bytes sl_face_template_write() needs for this template. */
SL_API size_t sl_face_template_size(const sl_face_template *t);
/* Serialises t into buf (cap bytes); *len gets the size written.
 * SL_ERR_TOO_LARGE if cap is too small; SL_ERR_INVALID if t is invalid.
 * f16 rounds to nearest even; i8 uses a symmetric scale max|v|/127. */
SL_API sl_status sl_face_template_write(uint8_t *buf, size_t cap,
                                        size_t *len,
                                        const sl_face_template *t);
/* Parses exactly len bytes (borrowed). SL_ERR_FACE_TEMPLATE_FORMAT for any
 * deviation from the format above. */
SL_API sl_status sl_face_template_read(sl_face_template *out,
                                       const uint8_t *buf, size_t len);
/* Cosine similarity of two templates, in [-1, 1].
 * SL_ERR_FACE_TEMPLATE_MISMATCH if the model ids or dims differ (element
 * types may differ); SL_ERR_INVALID if a vector is zero. */
SL_API sl_status sl_face_template_compare(double *cosine,
                                          const sl_face_template *a,
                                          const sl_face_template *b);

/* Scales v (n floats) to unit L2 norm in place (computed in double).
 * SL_ERR_INVALID for n == 0, a zero or non-finite vector. */
SL_API sl_status sl_face_l2_normalise(float *v, size_t n);
/* out = normalise(a + b): fuses the embeddings of an image and its mirror
 * image. out may alias a or b. Errors as sl_face_l2_normalise. */
SL_API sl_status sl_face_flip_fuse(float *out, const float *a,
                                   const float *b, size_t n);
/* Plain cosine of two vectors; 0 if either is zero. */
SL_API double sl_face_cosine(const float *a, const float *b, size_t n);

/* ============================ Score points ==============================
 * Scores are similarities: higher = more alike. A pair is accepted when
 * score >= threshold; FAR(t) = #impostor >= t / #impostor, FRR(t) =
 * #genuine < t / #genuine, TAR = 1 - FRR. A calibration table
 * (sl_calib_table, below) is a list of these points. Measuring them
 * (ROC, TAR@FAR, EER, k-fold accuracy, rank-1, PAD metrics, DET/ROC plots)
 * is development tooling, not API: src/face/eval_int.h, used by
 * `shualian-dev eval` and `shualian-dev calib build`. */

typedef struct sl_roc_point {
    double threshold;   /* accept when score >= threshold                  */
    double far;         /* false-accept rate at this threshold, 0..1       */
    double frr;         /* false-reject rate, 0..1 (TAR = 1 - frr)         */
} sl_roc_point;

/* Frees memory the face functions hand out (NULL ok). */
SL_API void sl_face_free(void *p);

/* ============================ Messages ==================================
 * Every reason below has a stable snake_case code and a message in Chinese
 * and English that tells the citizen what to do. */

enum sl_lang {
    SL_LANG_ZH = 0,    /* simplified Chinese, UTF-8 */
    SL_LANG_EN = 1,
};

/* ============================ Quality ===================================
 * Measured values go in, the failed reasons come out, ordered by what the
 * citizen should fix first (a face must be found and whole before its pose
 * matters; lighting before sharpness, since a dark image also looks soft).
 * The numeric values are stable (stored in audit records): append only. */

enum sl_quality_reason {
    SL_Q_NO_FACE           = 1,
    SL_Q_SEVERAL_FACES     = 2,
    SL_Q_LOW_RESOLUTION    = 3,
    SL_Q_FACE_CUT_BY_BORDER = 4,
    SL_Q_FACE_TOO_SMALL    = 5,
    SL_Q_OFF_POSE_YAW      = 6,
    SL_Q_OFF_POSE_PITCH    = 7,
    SL_Q_OFF_POSE_ROLL     = 8,
    SL_Q_EYES_CLOSED       = 9,
    SL_Q_TOO_DARK          = 10,
    SL_Q_OVER_EXPOSED      = 11,
    SL_Q_LOW_CONTRAST      = 12,
    SL_Q_BLURRED           = 13,
};
#define SL_Q_REASON_MAX 13   /* highest value; at most this many reasons */

/* Measurements of one image and its main face. A float set to NAN means
 * "not measured" and skips the reasons that need it (e.g. no eye model). */
typedef struct sl_quality_meas {
    int32_t image_w, image_h;   /* pixels                                   */
    int32_t face_count;         /* faces the detector kept                  */
    float   box_x0, box_y0;     /* main face box, image pixels, unclipped   */
    float   box_x1, box_y1;     /*   (may extend past the image)            */
    float   interocular_px;     /* eye-centre distance, image pixels        */
    float   sharpness;          /* variance of the 3x3 Laplacian of the grey
                                   112x112 aligned crop (0..255 scale)      */
    float   luma_mean;          /* mean grey of the aligned crop, 0..255    */
    float   luma_std;           /* its standard deviation, 0..255           */
    float   yaw, pitch, roll;   /* degrees, 0 = frontal                     */
    float   eye_open_left;      /* probability 0..1 that the eye is open    */
    float   eye_open_right;
} sl_quality_meas;

typedef struct sl_quality_thresholds {
    int32_t min_image_side;     /* low_resolution below (min of w, h)       */
    int32_t max_faces;          /* several_faces above                      */
    float   max_outside;        /* face_cut_by_border: box area fraction
                                   outside the image above this             */
    float   min_interocular_px; /* face_too_small below                     */
    float   max_yaw, max_pitch, max_roll;   /* off_pose_*: |angle| above    */
    float   min_eye_open;       /* an eye counts open at >= this            */
    bool    both_eyes;          /* eyes_closed unless both open (else one)  */
    float   min_luma, max_luma; /* too_dark / over_exposed                  */
    float   min_luma_std;       /* low_contrast below                       */
    float   min_sharpness;      /* blurred below                            */
} sl_quality_thresholds;

/* Presets: enrolment (a reference photo, stricter) and verification. The
 * values are documented in docs/face.md; they are starting points chosen
 * from the ArcFace crop geometry, not yet tuned on data. */
SL_API sl_quality_thresholds sl_quality_preset_enrol(void);
SL_API sl_quality_thresholds sl_quality_preset_verify(void);

/* Writes the failed reasons into out (cap entries; SL_Q_REASON_MAX always
 * suffices), most urgent first, and returns how many failed (which may be
 * more than cap; only cap are written). 0 = acceptable. A face_count of 0
 * gives exactly { SL_Q_NO_FACE }. */
SL_API size_t sl_quality_check(enum sl_quality_reason *out, size_t cap,
                               const sl_quality_meas *m,
                               const sl_quality_thresholds *th);
/* Measurement struct with every float NAN and counts 0. */
SL_API sl_quality_meas sl_quality_meas_empty(void);

/* "face_too_small" etc.; "unknown" for other values. Never NULL. */
SL_API const char *sl_quality_reason_name(enum sl_quality_reason r);
/* What to do, in the given language; never NULL. */
SL_API const char *sl_quality_reason_msg(enum sl_quality_reason r,
                                         enum sl_lang lang);
/* Parses a name back; false if unknown. */
SL_API bool sl_quality_reason_parse(const char *name,
                                    enum sl_quality_reason *out);

/* Quality helpers for the pipeline (all on 8-bit grey, row-major, stride
 * in bytes). Variance of the 4-neighbour Laplacian over the interior
 * pixels; mean and standard deviation of the grey values. SL_ERR_INVALID
 * for w or h < 3 or a NULL image. */
SL_API sl_status sl_quality_sharpness(double *var, const uint8_t *grey,
                                      int32_t w, int32_t h, size_t stride);
SL_API sl_status sl_quality_luma(double *mean, double *std,
                                 const uint8_t *grey, int32_t w, int32_t h,
                                 size_t stride);

/* ============================ Liveness reasons ==========================
 * Reasons shared by the passive decision and the active challenge; stable
 * numbers (append only), snake_case names, zh/en messages. */

enum sl_live_reason {
    SL_LR_OK                 = 0,
    SL_LR_NOT_DONE           = 1,   /* action not seen in its window         */
    SL_LR_WRONG_ORDER        = 2,   /* seen, but before its window           */
    SL_LR_TOO_LATE           = 3,   /* seen, but after its window            */
    SL_LR_NO_FACE            = 4,   /* no face in the frames / the window    */
    SL_LR_IDENTITY_SWITCH    = 5,   /* a frame's face is not the first one's */
    SL_LR_SPOOF              = 6,   /* passive liveness says attack          */
    SL_LR_UNDETERMINED       = 7,   /* passive liveness cannot judge         */
    SL_LR_EXPIRED            = 8,   /* frames after expires_at only          */
    SL_LR_DIGIT_MISSED       = 9,   /* a digit window without mouth cycle    */
    SL_LR_DIGIT_EXTRA        = 10,  /* too many mouth cycles in a window     */
    SL_LR_FRAME_GAP          = 11,  /* frames too far apart to follow        */
    SL_LR_NO_CONTEXT         = 12,  /* passive: too little around the face   */
    SL_LR_FACE_SMALL         = 13,  /* passive: face too small to judge      */
    SL_LR_BEFORE_ISSUE       = 14,  /* frames before issued_at only          */
};
#define SL_LR_MAX 14

SL_API const char *sl_live_reason_name(enum sl_live_reason r);    /* never NULL */
SL_API const char *sl_live_reason_msg(enum sl_live_reason r, enum sl_lang lang);

/* Text a citizen may be shown for an outcome given as a status code (the
 * no-face verdict SL_NO_FACE, an unreadable photo SL_ERR_IMG_*, a refused
 * challenge SL_ERR_CHALLENGE_*): one table for the CLI's error JSON and the
 * server, next to the stable code. NULL when the code has no such text (an
 * operator's error: bad option, missing model, I/O). Static strings. */
SL_API const char *sl_face_reason_text(int code, enum sl_lang lang);

/* ============================ Passive liveness decision =================
 * Three-way decision from the passive model's live score (0..1, higher =
 * live: fr_liveness softmax output 1 -- not 0 as the npm package reads it;
 * measured in docs/face.md), how much of the model's crop (the box scaled
 * 2.7x about its centre) lies inside the image, and the face size. */

enum sl_passive_verdict {
    SL_PASSIVE_LIVE         = 0,
    SL_PASSIVE_SPOOF        = 1,
    SL_PASSIVE_UNDETERMINED = 2,
};

typedef struct sl_passive_thresholds {
    float live_min;      /* score >= live_min: live                          */
    float spoof_max;     /* score <= spoof_max: spoof; between: undetermined */
    float min_context;   /* crop area fraction inside the image, 0..1        */
    float min_face_px;   /* box side, image pixels                           */
} sl_passive_thresholds;

SL_API sl_passive_thresholds sl_passive_defaults(void);

typedef struct sl_passive_decision {
    enum sl_passive_verdict verdict;
    enum sl_live_reason     reason;  /* OK, SPOOF, UNDETERMINED, NO_CONTEXT,
                                        FACE_SMALL                          */
    float                   score;
} sl_passive_decision;

/* score NAN (model not run) gives undetermined. Context and size are
 * checked first: without them the score means nothing. */
SL_API sl_passive_decision sl_passive_decide(float score, float context_ratio,
                                             float face_px,
                                             const sl_passive_thresholds *th);
/* Fraction (0..1) of the box (x0,y0,x1,y1) scaled by 'scale' about its
 * centre that lies inside a w x h image; 0 for an empty box. */
SL_API float sl_face_context_ratio(float x0, float y0, float x1, float y1,
                                   float scale, int32_t w, int32_t h);

/* ============================ Active liveness ===========================
 * A challenge is a single-use random nonce plus 2..4 distinct actions, each
 * with an absolute time window (consecutive, after a lead-in that gives the
 * frontal baseline), and an expiry. The server keeps the challenge; the
 * client gets it to show the prompts and sends back frames; the pipeline
 * turns frames into per-frame signals (sl_frame_signal) and
 * sl_challenge_analyse() judges them. The nonce registry makes each nonce
 * usable once.
 *
 * Sign conventions of the signals are fr_pose's, measured on the sample
 * photos (docs/face.md): yaw > 0 when the subject turns the head to their
 * own RIGHT (in an unmirrored frame the face then points towards the image
 * left), pitch > 0 when the chin goes up. Frames must not be mirrored (a
 * selfie preview may be; what is analysed must not), or left and right
 * swap. sl_liveness_cfg.yaw_sign / pitch_sign (+1 or -1) map another pose
 * model's convention onto this one. */

enum sl_action {
    SL_ACT_BLINK       = 1,
    SL_ACT_TURN_LEFT   = 2,   /* the subject's own left                     */
    SL_ACT_TURN_RIGHT  = 3,
    SL_ACT_NOD         = 4,
    SL_ACT_OPEN_MOUTH  = 5,
    SL_ACT_READ_DIGITS = 6,
};
#define SL_ACT_MAX 6

#define SL_CHALLENGE_NONCE_BYTES   16
#define SL_CHALLENGE_NONCE_TEXT    23   /* 22 base64url chars (no padding) + NUL */
#define SL_CHALLENGE_MIN_STEPS      2
#define SL_CHALLENGE_MAX_STEPS      4
#define SL_CHALLENGE_MAX_DIGITS     8
#define SL_CHALLENGE_MAX_FRAMES  4096

SL_API const char *sl_action_name(enum sl_action a);    /* "blink"; never NULL */
SL_API bool sl_action_parse(const char *name, enum sl_action *out);
/* The prompt shown to the citizen ("请眨眼" / "please blink"). */
SL_API const char *sl_action_prompt(enum sl_action a, enum sl_lang lang);

typedef struct sl_challenge_step {
    uint8_t  action;                 /* enum sl_action                      */
    int64_t  start_ms, end_ms;       /* absolute window, end exclusive      */
    uint8_t  n_digits;               /* read digits: 1..MAX_DIGITS, else 0  */
    char     digits[SL_CHALLENGE_MAX_DIGITS + 1];    /* NUL-terminated     */
    int32_t  digit_end_ms[SL_CHALLENGE_MAX_DIGITS];  /* digit i is shown
                                        from start_ms + digit_end_ms[i-1]
                                        (0 for i = 0) to start_ms +
                                        digit_end_ms[i]; random lengths    */
} sl_challenge_step;

typedef struct sl_challenge {
    uint8_t  nonce[SL_CHALLENGE_NONCE_BYTES];
    char     nonce_text[SL_CHALLENGE_NONCE_TEXT];   /* base64url of nonce  */
    int64_t  issued_at_ms, expires_at_ms;
    uint32_t n_steps;                               /* 2..4                */
    sl_challenge_step steps[SL_CHALLENGE_MAX_STEPS];
} sl_challenge;

typedef struct sl_challenge_opts {
    uint32_t min_steps, max_steps;   /* 2 <= min <= max <= 4               */
    uint32_t allowed;                /* bit (1 << action); 0 = all six     */
    int32_t  lead_ms;                /* issue -> first window (baseline)   */
    int32_t  step_ms;                /* window of each non-digit action    */
    uint32_t n_digits;               /* read digits: 1..MAX_DIGITS         */
    int32_t  digit_min_ms, digit_max_ms;  /* each digit shown this long    */
    int32_t  digit_tail_ms;          /* after the last digit               */
    int32_t  grace_ms;               /* last window end -> expiry          */
} sl_challenge_opts;

SL_API sl_challenge_opts sl_challenge_opts_default(void);

/* A new challenge issued at now_ms with libsodium's CSPRNG: distinct
 * actions in random order, random digits and digit lengths. SL_ERR_INVALID
 * for inconsistent options; SL_ERR_INTERNAL if libsodium cannot start. */
SL_API sl_status sl_challenge_new(sl_challenge *out,
                                  const sl_challenge_opts *o, int64_t now_ms);
/* Checks a challenge's invariants (after parsing one): steps ordered, in
 * range, windows inside [issued_at, expires_at], digits valid, nonce_text
 * matching nonce. SL_ERR_CHALLENGE_FORMAT if not. */
SL_API sl_status sl_challenge_validate(const sl_challenge *c);
/* nonce text <-> bytes; false on a malformed text. */
SL_API bool sl_challenge_nonce_parse(uint8_t out[SL_CHALLENGE_NONCE_BYTES],
                                     const char *text);

/* One analysed video frame. A float NAN means not measured; such frames
 * are skipped by the detectors that need the value. */
typedef struct sl_frame_signal {
    int64_t t_ms;             /* capture time, the server's clock, ms       */
    bool    face;             /* a face was found; other fields valid only
                                 when true                                  */
    float   eye_open_left;    /* open probability 0..1 (image-left eye)     */
    float   eye_open_right;
    float   yaw, pitch, roll; /* degrees, fr_pose's conventions (above)     */
    float   mouth_open;       /* inner-lip gap / mouth width (see
                                 sl_face_mouth_open_ratio)                  */
    float   similarity;       /* embedding cosine to the reference frame;
                                 required (finite) on face frames           */
    float   live_score;       /* passive liveness 0..1 (fr_liveness
                                 softmax[1]), NAN = not run                 */
} sl_frame_signal;

/* Mouth opening from 68 landmarks: mean of the three inner-lip gaps
 * (61-67, 62-66, 63-65) divided by the mouth width (48-54). NAN when the
 * width is 0. About 0 closed, 0.3-0.6 wide open. */
SL_API float sl_face_mouth_open_ratio(const sl_point2f lm68[SL_FACE_LANDMARKS]);

typedef struct sl_liveness_cfg {
    float   eye_open, eye_closed;      /* mean open prob: hysteresis band   */
    int32_t blink_max_ms;              /* last open -> next open, at most   */
    float   turn_deg;                  /* yaw excursion from the baseline   */
    float   nod_deg;                   /* downward pitch excursion          */
    float   return_deg;                /* back within this of the baseline  */
    float   mouth_open, mouth_closed;  /* open-mouth action hysteresis      */
    float   speech_open, speech_closed;/* read-digits hysteresis, added to
                                          the resting mouth opening (speech
                                          opens the mouth less)             */
    int32_t speech_lag_ms;             /* reading lags the shown digit      */
    uint32_t max_cycles_per_digit;     /* mouth cycles allowed per digit    */
    float   min_similarity;            /* identity: every face frame        */
    uint32_t best_frames;              /* frames for the passive check      */
    float   live_min, spoof_max;       /* passive score bands               */
    int32_t max_gap_ms;                /* longest gap between frames        */
    int8_t  yaw_sign, pitch_sign;      /* +1 or -1                          */
} sl_liveness_cfg;

SL_API sl_liveness_cfg sl_liveness_cfg_default(void);

typedef struct sl_challenge_step_result {
    uint8_t  action;          /* enum sl_action                             */
    bool     pass;
    uint8_t  reason;          /* enum sl_live_reason; SL_LR_OK if pass      */
    int64_t  t_begin_ms;      /* span of the detected action, 0 if none     */
    int64_t  t_end_ms;
    uint8_t  digits_ok;       /* read digits: windows with a valid count    */
} sl_challenge_step_result;

#define SL_CHALLENGE_MAX_REASONS 8
typedef struct sl_challenge_result {
    bool     pass;                 /* every step passed, no overall reason  */
    uint32_t n_steps;
    sl_challenge_step_result steps[SL_CHALLENGE_MAX_STEPS];
    uint32_t n_reasons;            /* overall reasons, enum sl_live_reason  */
    uint8_t  reasons[SL_CHALLENGE_MAX_REASONS];
    float    min_similarity;       /* over face frames; NAN if none         */
    float    passive_score;        /* mean over the best frames; NAN if none*/
    uint32_t frames_used;          /* frames in [issued_at, expires_at]     */
    uint32_t face_frames;
} sl_challenge_result;

/* Judges frames f[0..n) (borrowed; t_ms strictly increasing) against the
 * challenge. Returns SL_OK when the analysis ran -- *out says pass or fail
 * with reasons -- or SL_ERR_CHALLENGE_FORMAT for a malformed challenge or
 * frames (times not increasing, missing similarity on a face frame),
 * SL_ERR_CHALLENGE_SIGNAL when a face frame's signal is out of its range
 * (similarity -1..1; eye openness and live_score 0..1; yaw, pitch, roll
 * -180..180 degrees; mouth ratio 0..10), SL_ERR_TOO_LARGE for
 * n > SL_CHALLENGE_MAX_FRAMES. Frames all before issued_at fail with
 * SL_LR_BEFORE_ISSUE (all after expires_at: SL_LR_EXPIRED). Does not touch the
 * nonce registry: consume the nonce first. */
SL_API sl_status sl_challenge_analyse(sl_challenge_result *out,
                                      const sl_challenge *c,
                                      const sl_frame_signal *f, size_t n,
                                      const sl_liveness_cfg *cfg);

/* "<reason>: <prompt>" for a failed step (just the prompt's reason text
 * for a passed one), into buf (cap bytes, truncated, NUL-terminated).
 * Returns buf. */
SL_API const char *sl_challenge_step_msg(char *buf, size_t cap,
                                         const sl_challenge_step_result *s,
                                         enum sl_lang lang);

/* ---- nonce registry: each issued nonce can be consumed once ----
 * Thread-safe (one mutex); bounded: at most 'capacity' live nonces, expired
 * ones are purged when room is needed. No allocation after creation. */
typedef struct sl_nonce_registry sl_nonce_registry;

SL_API sl_status sl_nonce_registry_new(sl_nonce_registry **out, size_t capacity);
SL_API void      sl_nonce_registry_free(sl_nonce_registry *r);  /* NULL ok */
/* Registers an issued nonce. SL_ERR_CHALLENGE_FULL when capacity live
 * nonces are still unexpired; SL_ERR_INVALID if it is already there or
 * already expired. */
SL_API sl_status sl_nonce_registry_add(sl_nonce_registry *r,
                                       const uint8_t nonce[SL_CHALLENGE_NONCE_BYTES],
                                       int64_t expires_at_ms, int64_t now_ms);
/* Uses a nonce: SL_OK the first time; then SL_ERR_CHALLENGE_USED;
 * SL_ERR_CHALLENGE_EXPIRED after its expiry (it cannot be used later
 * either); SL_ERR_CHALLENGE_UNKNOWN if never added (or purged). */
SL_API sl_status sl_nonce_registry_consume(sl_nonce_registry *r,
                                           const uint8_t nonce[SL_CHALLENGE_NONCE_BYTES],
                                           int64_t now_ms);
/* Entries held (live, used or expired but not yet purged). */
SL_API size_t    sl_nonce_registry_count(sl_nonce_registry *r);

/* ============================ Calibration ===============================
 * A calibration maps a cosine score to estimated FAR and FRR, measured on a
 * labelled dev set (`shualian-dev eval --calib-out` or `shualian-dev calib
 * build` build the file; building is tooling, src/face/eval_int.h), so a
 * caller can ask for "FAR 1e-3" instead of a raw number. Here: loading,
 * validating and querying a table. One table per comparison mode
 * ("live" = live capture vs live capture / enrolment photo, "idphoto" =
 * ID-card or registry photo vs live capture); a file holds up to
 * SL_CALIB_MAX_TABLES tables of one model. File format: docs/calibration.md. */

#define SL_CALIB_MAX_TABLES  4
#define SL_CALIB_MAX_POINTS  4096
#define SL_CALIB_MAX_TARGETS 8
#define SL_CALIB_MODE_MAX    16      /* bytes incl. NUL; [a-z0-9_]+          */
#define SL_CALIB_MAX_BYTES   (4u << 20)

typedef struct sl_calib_target {
    double   far;        /* the FAR asked for                                */
    double   threshold;  /* lowest threshold with measured FAR <= far        */
    double   frr;        /* measured FRR there                               */
    uint64_t support;    /* impostor pairs allowed above it: floor(far * n);
                            0 means the FAR is below what the set can show   */
} sl_calib_target;

typedef struct sl_calib_table {
    char            mode[SL_CALIB_MODE_MAX];
    uint64_t        n_genuine, n_impostor;   /* pairs measured              */
    size_t          n;                       /* points, 2..MAX_POINTS       */
    sl_roc_point   *pts;    /* ascending threshold; owned by the sl_calib    */
    size_t          n_targets;
    sl_calib_target targets[SL_CALIB_MAX_TARGETS];   /* FAR 1e-1 .. 1e-6     */
} sl_calib_table;

typedef struct sl_calib {
    char           model_id[SL_FACE_MODEL_ID_MAX];   /* templates' model id  */
    char           source[128];   /* free text: which data set, when        */
    size_t         n_tables;
    sl_calib_table tables[SL_CALIB_MAX_TABLES];
} sl_calib;

/* Frees the tables' points (c itself is the caller's); NULL ok. */
SL_API void sl_calib_free(sl_calib *c);
/* The table of a mode, or NULL. Borrowed from c. */
SL_API const sl_calib_table *sl_calib_get(const sl_calib *c, const char *mode);

/* Parses len bytes of JSON (strict: unknown versions, unsorted or
 * inconsistent points are SL_ERR_FACE_CALIB_FORMAT). On SL_OK *out holds
 * new tables; free with sl_calib_free(). */
SL_API sl_status sl_calib_parse(sl_calib *out, const char *text, size_t len);
/* The value rules of docs/calibration.md ("Validation at load") on tables
 * in memory (sl_calib_parse applies them to files; the engine to a table
 * it is given): SL_ERR_FACE_CALIB_FORMAT if any fails. c is borrowed. */
SL_API SL_NODISCARD sl_status sl_calib_validate(const sl_calib *c);
/* Reads the file at path (at most SL_CALIB_MAX_BYTES; path borrowed) and
 * parses it as sl_calib_parse does; free *out with sl_calib_free(). Files
 * are written by the development program (`shualian-dev calib build`,
 * `shualian-dev eval --calib-out`). */
SL_API sl_status sl_calib_load(sl_calib *out, const char *path);

/* Lowest threshold whose estimated FAR <= far (0 < far < 1): the exact
 * target when one was stored for that FAR, else from the table. *support
 * (may be NULL) gets the target's support, or the table's estimate of it. */
SL_API sl_status sl_calib_threshold_for_far(double *thr, uint64_t *support,
                                            const sl_calib_table *t,
                                            double far);
/* FAR and FRR estimated at a threshold/score (linear between points). */
SL_API void sl_calib_rates_at(double *far, double *frr,
                              const sl_calib_table *t, double score);

enum sl_threshold_kind {
    SL_THRESHOLD_FAR = 0,   /* value is a target FAR, e.g. 1e-3            */
    SL_THRESHOLD_RAW = 1,   /* value is a cosine threshold                 */
};

typedef struct sl_threshold_req {
    enum sl_threshold_kind kind;
    double                 value;
} sl_threshold_req;

typedef struct sl_face_decision {
    bool   match;          /* score >= threshold                            */
    double score;          /* cosine                                        */
    double threshold;      /* the threshold applied                          */
    double far_estimate;   /* estimated FAR at that threshold; NAN without a
                              table                                         */
    double frr_estimate;   /* likewise FRR                                   */
} sl_face_decision;

/* Decision for a score. t may be NULL only for a raw threshold.
 * SL_ERR_INVALID for a non-finite score, FAR outside (0, 1) or a missing
 * table. */
SL_API sl_status sl_calib_decide(sl_face_decision *out,
                                 const sl_calib_table *t, double score,
                                 sl_threshold_req req);
/* Parses a threshold request, the same rule as sl_face_threshold_parse():
 * "far:1e-3" asks for a FAR, "raw:0.3" gives a cosine threshold; a bare
 * number is refused (it was read as a FAR, so "0.35" meant FAR 35 %).
 * SL_ERR_INVALID if malformed. */
SL_API SL_NODISCARD sl_status sl_threshold_req_parse(sl_threshold_req *out,
                                                     const char *text);

/* ============================ Threshold spec ============================
 * The one rule for a threshold written as text (CLI --threshold, server
 * requests): "far:X" asks for the threshold whose false-accept rate on the
 * calibration set is at most X, 0 < X < 1; "raw:X" is a cosine threshold,
 * -1 <= X <= 1. Nothing else: a bare number is ambiguous and refused. */
#define SL_FACE_THRESHOLD_TEXT_MAX 32     /* bytes incl. NUL                */
/* Highest FAR a verification may ask for: above it a "match" says little. */
#define SL_FACE_FAR_MAX 0.1

typedef struct sl_face_threshold_spec {
    sl_threshold_req req;                          /* kind and value        */
    char             text[SL_FACE_THRESHOLD_TEXT_MAX];   /* as written      */
} sl_face_threshold_spec;

/* Parses text (borrowed) into *out. SL_ERR_FACE_THRESHOLD_SPEC when it is
 * not "far:X" / "raw:X" with X in range (or is longer than
 * SL_FACE_THRESHOLD_TEXT_MAX - 1 bytes); *out is untouched then. */
SL_API SL_NODISCARD sl_status sl_face_threshold_parse(const char *text,
                                                      sl_face_threshold_spec *out);
/* Checks that the calibration table t (borrowed; NULL allowed for raw)
 * supports the spec: a FAR must be <= SL_FACE_FAR_MAX and have at least
 * one impostor pair at that rate (far * impostor pairs >= 1), so the
 * threshold is measured, not extrapolated. SL_ERR_FACE_FAR_UNSUPPORTED
 * otherwise; SL_ERR_NOT_FOUND for a FAR without a table. */
SL_API SL_NODISCARD sl_status sl_face_threshold_check(const sl_face_threshold_spec *spec,
                                                      const sl_calib_table *t);

/* ============================ Model output decoding =====================
 * The arithmetic between the networks (src/face/model_out.c), exactly as
 * the engine (engine.h) runs it: detector post-processing, crop rectangles
 * for the other models, decoding of landmark and pose outputs, softmax.
 * Boxes are corner form in image pixels; crop rectangles (sl_face_rect) are
 * edge coordinates (pixel i covers [i, i + 1)) in double, as the engine
 * samples them. The detection settings are engine.h's sl_face_config
 * (det_score, nms, nms_iou): there is no second detection configuration. */

typedef struct sl_face_box {
    float x0, y0, x1, y1;   /* corners, pixels                               */
    float score;            /* detector score (0 when not from a detector)   */
} sl_face_box;

typedef struct sl_face_rect {
    double x0, y0, x1, y1;  /* edge coordinates; may extend past the image   */
} sl_face_rect;

enum sl_nms_mode {
    /* The npm package's NMS: candidates ordered by bottom edge y1
     * ascending; keep the first, drop every other box whose intersection
     * (+1 pixel convention) divided by *its own* area is >= thr; repeat.
     * The kept box of a cluster is the one with the smallest y1. */
    SL_NMS_PACKAGE = 0,
    /* Conventional: by score descending, drop IoU >= thr (the engine's
     * default). */
    SL_NMS_IOU     = 1,
};

/* Indices of the boxes NMS keeps (in keep order), at most cap; returns how
 * many were kept. Boxes with a non-positive width or height are dropped.
 * At most SL_NMS_MAX_BOXES boxes are considered (the first ones). */
#define SL_NMS_MAX_BOXES 1024
SL_API size_t sl_face_nms(size_t *keep, size_t cap, const sl_face_box *boxes,
                          size_t n, enum sl_nms_mode mode, float thr);

#define SL_FACE_DET_W     320     /* fr_detect input, pixels              */
#define SL_FACE_DET_H     240
#define SL_FACE_DET_TOP_K 750     /* best-scored candidates into NMS      */

/* Where the detector's input came from: the image region 'region' was
 * resampled to ow x oh pixels placed at (ox, oy) of the 320x240 input (a
 * letterbox; ox = oy = 0 and 320x240 when stretched). */
typedef struct sl_face_det_map {
    sl_face_rect region;
    uint32_t     ox, oy, ow, oh;
} sl_face_det_map;

/* Detector outputs -> candidate boxes in image pixels, in prior order:
 * scores is n x 2 (column 1 = face), boxes n x 4 corners in 0..1 of the
 * 320x240 input. Keeps the priors with score >= score_min whose mapped box
 * has a positive size; at most cap are written, *n_out gets how many.
 * SL_ERR_INVALID for NULL arguments or an empty map. */
SL_API SL_NODISCARD sl_status sl_face_detect_decode(sl_face_box *out, size_t cap,
                                                    size_t *n_out,
                                                    const float *scores,
                                                    const float *boxes, size_t n,
                                                    const sl_face_det_map *map,
                                                    float score_min);
/* The engine's NMS step: sorts c[0..n) by score (descending), keeps the
 * best SL_FACE_DET_TOP_K, runs sl_face_nms(mode, thr) and rewrites c with
 * the kept boxes in keep order. Returns how many. */
SL_API size_t sl_face_det_nms(sl_face_box *c, size_t n, enum sl_nms_mode mode,
                              float thr);

/* The square the landmark model sees, and the base of the other crops:
 * side = box height, same x centre, same top and bottom. */
SL_API sl_face_rect sl_face_square(const sl_face_box *b);
/* The crop of the liveness (scale 2.7 of the squared box) and age/gender
 * (1.4) models, as Silent-Face / the npm package: box scaled about its
 * centre, the scale first reduced so the crop fits a w x h image, then
 * shifted inside [0, w] x [0, h]. */
SL_API sl_face_rect sl_face_crop_scaled(const sl_face_box *b, double scale,
                                        uint32_t w, uint32_t h);
/* The head-pose crop: the squared box enlarged by a quarter of its side on
 * each side, clipped to [0, w] x [0, h]. SL_ERR_INVALID when nothing is
 * left (or for NULL arguments). */
SL_API SL_NODISCARD sl_status sl_face_crop_pose(sl_face_rect *out,
                                                const sl_face_box *box,
                                                uint32_t w, uint32_t h);
/* The eye-state crop for eye 0 (image-left, points 36..41) or 1 (42..47):
 * centre = mean of the 4 lid points (+0.5: centre -> edge coordinates),
 * side = 1.6 x the corner distance, square, not clipped (the sampler fills
 * outside the image). SL_ERR_INVALID if the side is < 2 px or not finite. */
SL_API SL_NODISCARD sl_status sl_face_crop_eye(sl_face_rect *out,
                                               const sl_point2f lm68[SL_FACE_LANDMARKS],
                                               int eye);

/* Landmark network output (136 floats, x0 y0 x1 y1 ... in 0..1 of the
 * crop rectangle) -> image points in pixel-centre coordinates (edge - 0.5),
 * sub-pixel. SL_ERR_INVALID for a non-finite point. */
SL_API SL_NODISCARD sl_status sl_face_landmarks_decode(sl_point2f out[SL_FACE_LANDMARKS],
                                                       const float raw[2 * SL_FACE_LANDMARKS],
                                                       const sl_face_rect *crop);
/* Numerically stable softmax of n logits into out (may alias in), computed
 * in double. */
SL_API void sl_face_softmax(float *out, const float *in, size_t n);
/* Head-pose angle from 66 bin logits: 3 * sum(p_i * i) - 99 degrees. */
SL_API float sl_face_pose_decode(const float logits[66]);

#ifdef __cplusplus
}
#endif
#endif
