/*
 * test_id_enrol.c -- registry photo enrolment (src/id/enrol.h): one usable
 * face gives a template; no face, a photo too dark, bytes that are not an
 * image and an oversize photo are refused with their codes. Skips without
 * the models (and the face photo part without ../shared/faces).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "id/enrol.h"
#include "shualian/image.h"
#include "test.h"

static sl_face_engine *g_eng;

static sl_face_session *session(struct sl_t *t)
{
    char dir[1024], probe[1100];
    sl_t_path(dir, sizeof dir, "models");
    snprintf(probe, sizeof probe, "%s/fr_feature.onnx", dir);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        sl_t_skip(t, "models not found in %s", dir);
        return NULL;
    }
    fclose(f);
    char err[256];
    if (!g_eng) {
        sl_face_engine_opts o = { .models_dir = dir, .threads = 1,
            .models = SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE) };
        sl_status st = sl_face_engine_new(&g_eng, &o, err, sizeof err);
        SL_CHECKF(t, st == SL_OK, "engine: %s", err);
        if (st != SL_OK)
            return NULL;
    }
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, g_eng), SL_OK);
    return s;
}

/* JPEG of the photo src with every pixel scaled by gain, or (src NULL) of
 * a 320x240 faceless grey ramp. */
static uint8_t *jpeg_of(const uint8_t *src, size_t sn, float gain, size_t *n)
{
    struct sl_image *img = NULL;
    if (src) {
        if (sl_image_decode(src, sn, NULL, 3, &img, NULL) != SL_OK)
            return NULL;
    } else if (sl_image_new(&img, 320, 240, 3) != SL_OK) {
        return NULL;
    }
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width * 3; x++) {
            uint8_t *p = img->data + (size_t)y * img->stride + x;
            *p = src ? (uint8_t)lrintf(*p * gain) : (uint8_t)(100 + (x / 3 + y) % 50);
        }
    uint8_t *out = NULL, *copy = NULL;
    if (sl_image_encode_jpeg(img, 90, &out, n) == SL_OK && (copy = sl__malloc(*n)))
        memcpy(copy, out, *n);
    sl_image_bytes_free(out);
    sl_image_free(img);
    return copy;
}

SL_TEST(id, enrol_photo_gate)
{
    sl_face_session *s = session(t);
    if (!s)
        return;
    struct sl_id_enrol e;
    size_t n = 0;
    uint8_t *flat = jpeg_of(NULL, 0, 0, &n);
    SL_CHECK(t, flat != NULL);
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, flat, n, &e), SL_ERR_ID_PHOTO_NO_FACE);
    SL_CHECK_EQ(t, e.faces, 0);
    SL_CHECK(t, e.n_reasons >= 1 && e.reasons[0] == SL_Q_NO_FACE);
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, flat, SL_ID_PHOTO_MAX + 1, &e), SL_ERR_TOO_LARGE);
    sl__free(flat);
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, "not an image", 12, &e), SL_ERR_IMG_FORMAT);
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, NULL, 0, &e), SL_ERR_INVALID);

    char path[1024];
    sl_t_path(path, sizeof path, "../shared/faces/dev/Keanu_Reeves/1.jpg");
    uint8_t *photo = NULL;
    size_t pn = 0;
    if (sl__read_file(path, SL_ID_PHOTO_MAX, &photo, &pn) != SL_OK) {
        sl_face_session_free(s);
        sl_face_engine_free(g_eng);
        g_eng = NULL;
        sl_t_skip(t, "no %s: the face photo part is skipped", path);
        return;
    }
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, photo, pn, &e), SL_OK);
    SL_CHECK_EQ(t, e.faces, 1);
    double norm = 0;
    for (size_t i = 0; i < SL_FACE_EMBED_DIM; i++)
        norm += (double)e.emb[i] * e.emb[i];
    SL_CHECK(t, fabs(norm - 1.0) < 1e-3);   /* an L2-normalised template */
    uint8_t *dark = jpeg_of(photo, pn, 0.2f, &n);
    SL_CHECK(t, dark != NULL);
    SL_CHECK_EQ(t, sl__id_enrol_photo(s, dark, n, &e), SL_ERR_ID_PHOTO_QUALITY);
    bool too_dark = false;
    for (size_t i = 0; i < e.n_reasons; i++)
        too_dark = too_dark || e.reasons[i] == SL_Q_TOO_DARK;
    SL_CHECK(t, too_dark);
    sl__free(dark);
    sl__free(photo);
    sl_face_session_free(s);
    sl_face_engine_free(g_eng);
    g_eng = NULL;
}
