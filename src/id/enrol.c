/*
 * enrol.c -- registry photo -> quality-checked face template -> person
 * (enrol.h).
 */
#include <string.h>

#include "face/face_json.h"
#include "id/enrol.h"
#include "id/id_int.h"
#include "shualian/image.h"

/* Reasons that refuse a registry photo (beyond no face): what makes a
 * comparison with it untrustworthy whatever the camera at the window. */
static bool refusing(enum sl_quality_reason r)
{
    switch (r) {
    case SL_Q_SEVERAL_FACES:
    case SL_Q_FACE_CUT_BY_BORDER:
    case SL_Q_TOO_DARK:
    case SL_Q_OVER_EXPOSED:
    case SL_Q_LOW_CONTRAST:
        return true;
    default:
        return false;
    }
}

sl_status sl__id_enrol_photo(sl_face_session *s, const void *photo, size_t n,
                             struct sl_id_enrol *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !photo)
        return SL_ERR_INVALID;
    if (n > SL_ID_PHOTO_MAX)
        return SL_ERR_TOO_LARGE;
    struct sl_image *img = NULL;
    struct sl_image_limits lim = sl_image_limits_default();
    if (lim.max_bytes > SL_ID_PHOTO_MAX)
        lim.max_bytes = SL_ID_PHOTO_MAX;
    sl_status st = sl_image_decode(photo, n, &lim, 3, &img, NULL);
    if (st != SL_OK)
        return st;
    sl_face_result *res = sl__calloc(1, sizeof *res);
    if (!res) {
        sl_image_free(img);
        return SL_ERR_NOMEM;
    }
    size_t got = 0, found = 0;
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY | SL_FACE_DO_POSE |
                         SL_FACE_DO_EYES, res, 1, &got, &found);
    if (st == SL_NO_FACE) {
        got = found = 0;
        st = SL_OK;
    }
    if (st == SL_OK) {
        out->faces = found;
        sl_quality_meas m = found ? sl_face_quality_meas(img, res, found) : sl_quality_meas_empty();
        sl_quality_thresholds th = sl_quality_preset_verify();
        enum sl_quality_reason all[SL_Q_REASON_MAX];
        size_t nr = sl_quality_check(all, SL_ARRAY_LEN(all), &m, &th);
        if (nr > SL_ARRAY_LEN(all))
            nr = SL_ARRAY_LEN(all);
        /* refusing reasons first, then the advice, each in urgency order */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < nr; i++)
                if (refusing(all[i]) == (pass == 0))
                    out->reasons[out->n_reasons++] = all[i];
        if (!found || !got || !res->has_emb)
            st = SL_ERR_ID_PHOTO_NO_FACE;
        else if (out->n_reasons && refusing(out->reasons[0]))
            st = SL_ERR_ID_PHOTO_QUALITY;
        else
            memcpy(out->emb, res->emb, sizeof out->emb);
    }
    sl__free(res);
    sl_image_free(img);
    return st;
}

json_t *sl__id_enrol_reasons_json(const struct sl_id_enrol *e)
{
    return sl_quality_reasons_to_json(e->reasons, e->n_reasons);
}

sl_status sl__person_enrol(sl_store *st, const sl_keyring *k, sl_face_session *s,
                           const struct sl_person_new *p,
                           const struct sl_acct_audit *au, const char **why,
                           struct sl_id_enrol *e, int64_t *id)
{
    struct sl_id_enrol local;
    if (!e)
        e = &local;
    memset(e, 0, sizeof *e);
    if (!p || !p->number)
        return SL_ERR_INVALID;
    /* the cheap check first: a bad number never reaches the engine */
    char today[32];
    sl_time_iso8601(today, sizeof today, sl__now_ms());
    today[10] = 0;
    struct sl_id_info info;
    sl_status rc = sl_id_check(p->id_type, p->number, today, why, &info);
    if (rc != SL_OK)
        return rc;
    struct sl_person_new q = *p;
    q.tmpl = NULL;
    q.tmpl_dim = 0;
    if (s && p->photo && p->photo_n) {
        rc = sl__id_enrol_photo(s, p->photo, p->photo_n, e);
        if (rc != SL_OK)
            return rc;
        q.tmpl = e->emb;
        q.tmpl_dim = SL_FACE_EMBED_DIM;
    }
    return sl__person_add(st, k, &q, au, why, id);
}

sl_status sl__id_template_of(const sl_face_engine *eng, const float *v, size_t dim,
                             sl_face_template *out)
{
    (void)eng;   /* templates of the registry are the engine's embeddings */
    return sl_face_template_init(out, SL_FACE_ENGINE_MODEL_ID, SL_FACE_ELEM_F32, v, dim, true);
}
