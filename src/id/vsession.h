/*
 * vsession.h -- a verification session's face step (issue 11): the frames
 * of one POST /v1/verifications/{id}/frames judged for quality, liveness
 * (the challenge issued, or passive) and 实证 (registry template vs the
 * fused live frames), and the rule that turns the levels into a result.
 * The http slice (src/http/routes_id.c) only parses, stores and answers.
 *
 * 实证 compares the registry template with the L2-normalised mean of the
 * best 3..5 quality-passing frames (SL_VERIF_FUSE_MAX); the threshold is
 * the one calibrated for that fusion mode at the matter's FAR: calibration
 * table "idphoto_fused" when 3 or more frames were fused, "idphoto_single"
 * otherwise (measured by `shualian-dev id fusion-calib`, docs/identity.md).
 * No score is written in code.
 */
#ifndef SL_ID_VSESSION_H
#define SL_ID_VSESSION_H

#include "id/id.h"
#include "shualian/engine.h"

#define SL_VERIF_MAX_FRAMES   64      /* frames per upload                   */
#define SL_VERIF_FUSE_MIN      3      /* fused mode from this many frames    */
#define SL_VERIF_FUSE_MAX      5
#define SL_VERIF_MODE_FUSED   "idphoto_fused"
#define SL_VERIF_MODE_SINGLE  "idphoto_single"
#define SL_VERIF_DEFAULT_FAR  1e-3

/* Liveness outcome: three-way (live / spoof / cannot judge -> retry). */
enum sl_verif_live {
    SL_VLIVE_NOT_RUN = 0,   /* "none" (clerk vouched) or not required      */
    SL_VLIVE_LIVE    = 1,
    SL_VLIVE_SPOOF   = 2,
    SL_VLIVE_RETRY   = 3,   /* cannot judge, or the actions were not seen  */
};
const char *sl__verif_live_name(enum sl_verif_live l);

/* One analysed frame. */
struct sl_verif_frame {
    bool   face;                 /* a face was found                         */
    size_t faces;                /* faces found                              */
    bool   quality_ok;
    size_t n_reasons;
    enum sl_quality_reason reasons[SL_Q_REASON_MAX];
    float  rank;                 /* higher = better frame for 实证           */
    float  live_score, live_context, face_px;
    float  emb[SL_FACE_EMBED_DIM];
};

struct sl_verif_analysis {
    size_t n, n_face, n_quality_ok;
    uint32_t quality_seen;       /* bit (1 << reason) over failing frames     */
    enum sl_verif_live live;
    uint32_t live_reasons;       /* bit (1 << sl_live_reason)                 */
    bool   identity_switch;      /* a frame's face is not the first one's    */
    float  min_similarity;       /* to the first face frame; NAN if < 2      */
    bool   doc_ran;              /* 实证 compared                             */
    bool   doc_match;
    double score, threshold, far;
    size_t n_fused;
    const char *mode;            /* calibration table used                   */
    int    best;                 /* best frame index, -1 if none             */
    struct sl_verif_frame *frames;   /* n of them, sl__malloc'd              */
};
void sl__verif_analysis_free(struct sl_verif_analysis *a);

/* out = L2-normalise(mean of the n embeddings e[i] of dim floats).
 * SL_ERR_INVALID for n = 0 or a zero mean. */
sl_status sl__verif_fuse(const float *const *e, size_t n, size_t dim, float *out);
/* Indices of up to max quality-passing face frames, best rank first; returns
 * how many. */
size_t sl__verif_best(const struct sl_verif_frame *f, size_t n, size_t max, size_t *idx);
/* The rank of a frame from its measurements: sharper, larger, more frontal
 * is better. */
float sl__verif_rank(const sl_quality_meas *m);

/* Judges n decoded frames (t_ms increasing) with engine session s.
 * liveness: "actions" | "digits" (challenge c required), "passive", "none".
 * reg (dim floats, may be NULL): the registry template for 实证; cal: the
 * fusion calibration (tables SL_VERIF_MODE_*), far the matter's FAR.
 * SL_OK whenever the analysis ran (refusals are in *out); errors for bad
 * arguments, a missing calibration table, engine failures. */
sl_status sl__verif_analyse(sl_face_session *s, struct sl_image *const *img,
                            const int64_t *t_ms, size_t n, const char *liveness,
                            const sl_challenge *c, const float *reg, size_t dim,
                            const sl_calib *cal, double far,
                            struct sl_verif_analysis *out);

/* The levels reached and whether the session passed: every required level
 * reached and every required factor passed. real_person is reached by a
 * live verdict or by a clerk's vouching (liveness "none"); real_document
 * by a match that is not from a switched identity. */
struct sl_verif_decision_in {
    uint32_t levels_required, factors_required, factors_passed;
    bool real_name_ok;
    bool clerk_vouched;
    const struct sl_verif_analysis *a;   /* may be NULL (no frames) */
};
uint32_t sl__verif_levels(const struct sl_verif_decision_in *in, bool *passed);

#endif
