/*
 * pipeline.h -- private pieces shared by the face engine's files
 * (pipeline.c: engine, sessions, detection, landmarks, alignment,
 * embedding; pipeline_attr.c: liveness, pose, eyes, age/gender, the whole
 * pipeline and frame signals). Not public API: see shualian/engine.h.
 */
#ifndef SL_FACE_PIPELINE_H
#define SL_FACE_PIPELINE_H

#include "base/base.h"
#include "shualian/engine.h"
#include "shualian/nn.h"

#define PL_MAX_OUT    9        /* most outputs of one model (age, gender)  */
#define PL_DET_W      320
#define PL_DET_H      240
#define PL_DET_ANCHORS 4420

struct sl_face_engine {
    sl_nn_model *model[SL_FM_COUNT];
    char         backend[16];
    int          threads;
    sl_calib     calib;            /* validated, of SL_FACE_ENGINE_MODEL_ID  */
};

struct sl_face_session {
    const sl_face_engine *eng;
    sl_nn_session *nn[SL_FM_COUNT];
    float  *in[SL_FM_COUNT];              /* input tensor of each model       */
    size_t  in_n[SL_FM_COUNT];
    int     nout[SL_FM_COUNT];
    float  *out[SL_FM_COUNT][PL_MAX_OUT];
    size_t  out_n[SL_FM_COUNT][PL_MAX_OUT];
    float  *emb_tmp;                      /* 512 floats for flip fusion       */
    sl_face_box *cand;                    /* PL_DET_ANCHORS detection boxes   */
};

/* The SHA-256 (lowercase hex) of the shipped file of model m; NULL for an
 * unknown m. */
const char *sl__face_model_sha256(enum sl_face_model m);

/* Runs model m on s->in[m] into s->out[m][*]. SL_ERR_FACE_MODEL_NOT_LOADED
 * if the engine has not loaded it. */
sl_status sl__face_run(sl_face_session *s, enum sl_face_model m);

/* Samples the rectangle [x0, x1) x [y0, y1) of src (edge coordinates, may
 * extend past the image: 'fill' there) into dst (made by the caller, same
 * channel count), stretching to dst's size. With antialias, shrinks by more
 * than 1.5x use area averaging (crop + resize); the rest is a bilinear warp. */
sl_status sl__face_sample(struct sl_image *dst, const struct sl_image *src,
                          double x0, double y0, double x1, double y1,
                          uint8_t fill, bool antialias);
/* sl_face_align with the pre-shrink switchable (antialias false: one
 * bilinear warp whatever the scale, as the npm package). */
sl_status sl__face_align_ex(struct sl_image *crop, const struct sl_image *img,
                            const sl_point2f pts5[SL_FACE_POINTS5], bool antialias);

/* Writes an RGB (or grey) image as 3 float planes: plane k takes channel
 * order[k] (0 R, 1 G, 2 B) as (v - mean[k]) * scale[k]. */
void sl__face_planes(float *dst, const struct sl_image *img, const int order[3],
                     const float mean[3], const float scale[3]);
/* Writes one grey plane: (wr R + wg G + wb B) * scale. */
void sl__face_grey_plane(float *dst, const struct sl_image *img, float wr,
                         float wg, float wb, float scale);

#endif
