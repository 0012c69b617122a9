/*
 * enrol.h -- a registry photo becomes a registry face template: the bytes
 * are decoded within the image limits (size, pixels, format checked before
 * any pixel is decoded), the face engine finds exactly one face, a quality
 * gate refuses photos a 1:1 comparison could not trust, and the main
 * face's embedding (L2-normalised, SL_FACE_EMBED_DIM floats) is what
 * sl__person_add_tx stores sealed.
 *
 * The registry gate (decided here, documented in docs/identity.md):
 *   refused, SL_ERR_ID_PHOTO_NO_FACE: no face found;
 *   refused, SL_ERR_ID_PHOTO_QUALITY: several faces, face cut by the
 *     border, too dark, over-exposed, low contrast (the verify preset's
 *     light thresholds);
 *   accepted with advice (out->reasons, the verify preset's other
 *     reasons): low resolution, small face, pose, eyes, blur -- the
 *     registry's own photos (and the demo's 150x150 test photos) are
 *     smaller than a live capture, so these are reported, not refused.
 *
 * Nothing here prints; errors are SL_ERR_IMG_* for an unreadable photo.
 */
#ifndef SL_ID_ENROL_H
#define SL_ID_ENROL_H

#include "id/id.h"
#include "shualian/engine.h"
#include "shualian/face.h"

/* A registry photo's bytes at most (before decoding). */
#define SL_ID_PHOTO_MAX ((size_t)10 << 20)

struct sl_id_enrol {
    size_t faces;                   /* faces the detector kept             */
    size_t n_reasons;               /* the quality reasons (verify preset) */
    enum sl_quality_reason reasons[SL_Q_REASON_MAX];
    float  emb[SL_FACE_EMBED_DIM];  /* the main face's embedding (on SL_OK) */
};

/* Photo bytes -> embedding with session s. SL_OK (out->emb set, advice in
 * out->reasons), SL_ERR_ID_PHOTO_NO_FACE, SL_ERR_ID_PHOTO_QUALITY (the
 * refusing reasons first in out->reasons), SL_ERR_TOO_LARGE (over
 * SL_ID_PHOTO_MAX), SL_ERR_IMG_* (unreadable), the engine's errors. */
sl_status sl__id_enrol_photo(sl_face_session *s, const void *photo, size_t n,
                             struct sl_id_enrol *out);

/* The reasons as a JSON array of {"code","zh","en"} (new ref). */
json_t *sl__id_enrol_reasons_json(const struct sl_id_enrol *e);

/* Adds p with its photo: the number is checked first (sl_id_check: a bad
 * number is refused before the engine runs), then, with a session (s not
 * NULL) and a photo, the photo goes through sl__id_enrol_photo and its
 * embedding becomes the template (p->tmpl is ignored); with s NULL the
 * person is added without a template (serve --no-models). e (may be NULL)
 * gets the enrolment's outcome. Errors: sl_id_check's (with *why), then
 * sl__id_enrol_photo's, then sl__person_add's. */
sl_status sl__person_enrol(sl_store *st, const sl_keyring *k, sl_face_session *s,
                           const struct sl_person_new *p,
                           const struct sl_acct_audit *au, const char **why,
                           struct sl_id_enrol *e, int64_t *id);

/* The registry template as a face template of the engine's model (the
 * calibration's model id), for sl_face_verify_templates. */
sl_status sl__id_template_of(const sl_face_engine *eng, const float *v, size_t dim,
                             sl_face_template *out);

#endif
