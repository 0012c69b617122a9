/*
 * test_face_geometry.c -- 68 -> 5 points, similarity estimation, alignment
 * matrix, roll; templates (format, strictness, comparison).
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"
#include "test.h"

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

SL_TEST(face, points5_rules)
{
    sl_point2f lm[SL_FACE_LANDMARKS];
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        lm[i] = (sl_point2f){ (float)i, (float)(2 * i) + 0.25f };
    sl_point2f p[5];
    SL_CHECK_EQ(t, sl_face_points5(p, lm, SL_FACE_PTS5_PIPELINE), SL_OK);
    SL_CHECK(t, near(p[0].x, (37 + 38 + 40 + 41) / 4.0, 1e-5));
    SL_CHECK(t, near(p[1].x, (43 + 44 + 46 + 47) / 4.0, 1e-5));
    SL_CHECK(t, near(p[2].x, 30, 0) && near(p[2].y, 60.25, 1e-6));
    SL_CHECK(t, near(p[3].x, 54, 1e-6) && near(p[4].x, 59, 1e-6));
    SL_CHECK(t, near(p[0].y, 2 * 39.0 + 0.25, 1e-5));   /* sub-pixel kept */
    SL_CHECK_EQ(t, sl_face_points5(p, lm, SL_FACE_PTS5_MEAN6), SL_OK);
    SL_CHECK(t, near(p[0].x, 38.5, 1e-5) && near(p[1].x, 44.5, 1e-5));
    SL_CHECK(t, near(p[3].x, 48, 0) && near(p[4].x, 54, 0));
    SL_CHECK_EQ(t, sl_face_points5(p, lm, (enum sl_face_pts5_rule)7), SL_ERR_INVALID);
    lm[5].x = NAN;
    SL_CHECK_EQ(t, sl_face_points5(p, lm, SL_FACE_PTS5_PIPELINE), SL_ERR_INVALID);
}

/* Applies scale s, rotation deg, translation (tx, ty) to the reference. */
static void transform(sl_point2f *out, const sl_point2f *in, size_t n,
                      double s, double deg, double tx, double ty)
{
    double c = cos(deg * M_PI / 180) * s, si = sin(deg * M_PI / 180) * s;
    for (size_t i = 0; i < n; i++)
        out[i] = (sl_point2f){ (float)(c * in[i].x - si * in[i].y + tx),
                               (float)(si * in[i].x + c * in[i].y + ty) };
}

SL_TEST(face, similarity_recovers_known)
{
    sl_point2f img[5];
    /* image = ref scaled 2.5, rotated 17 deg, moved; so img -> ref is the
     * inverse: scale 0.4, rotation -17 deg */
    transform(img, sl_face_arcface_ref, 5, 2.5, 17, 300.5, -40.25);
    sl_affine f, inv;
    SL_CHECK_EQ(t, sl_face_align_matrix(&f, &inv, img), SL_OK);
    SL_CHECK(t, near(sl_affine_scale(&f), 0.4, 1e-6));
    SL_CHECK(t, near(sl_affine_rotation_deg(&f), -17, 1e-4));
    SL_CHECK(t, near(sl_affine_scale(&inv), 2.5, 1e-5));
    for (int i = 0; i < 5; i++) {
        sl_point2f q = sl_affine_apply(&f, img[i]);
        SL_CHECK(t, near(q.x, sl_face_arcface_ref[i].x, 1e-3) &&
                    near(q.y, sl_face_arcface_ref[i].y, 1e-3));
        sl_point2f r = sl_affine_apply(&inv, sl_face_arcface_ref[i]);
        SL_CHECK(t, near(r.x, img[i].x, 1e-3) && near(r.y, img[i].y, 1e-3));
    }
    /* the roll of the eye line matches the rotation (ref eyes almost level) */
    double ref_roll = sl_face_roll_deg(sl_face_arcface_ref);
    SL_CHECK(t, near(sl_face_roll_deg(img) - ref_roll, 17, 1e-3));
    SL_CHECK(t, near(sl_face_interocular(img),
                     2.5 * sl_face_interocular(sl_face_arcface_ref), 1e-3));
}

SL_TEST(face, similarity_with_noise)
{
    unsigned long long rng = 12345;
    sl_point2f src[40], dst[40];
    for (int i = 0; i < 40; i++)
        src[i] = (sl_point2f){ 100 * sl_t_randf(&rng), 100 * sl_t_randf(&rng) };
    transform(dst, src, 40, 0.7, -33, 12, 5);
    /* +-0.5 px of noise over 40 points: parameters stay close */
    for (int i = 0; i < 40; i++) {
        dst[i].x += 0.5f * sl_t_randf(&rng);
        dst[i].y += 0.5f * sl_t_randf(&rng);
    }
    sl_affine f;
    SL_CHECK_EQ(t, sl_face_similarity(&f, NULL, src, dst, 40), SL_OK);
    SL_CHECK(t, near(sl_affine_scale(&f), 0.7, 5e-3));
    SL_CHECK(t, near(sl_affine_rotation_deg(&f), -33, 0.3));
    SL_CHECK(t, near(f.m[2], 12, 0.5) && near(f.m[5], 5, 0.5));
    /* least squares: the residual does not drop when we nudge the answer */
    double base = 0, nudged = 0;
    sl_affine g = f;
    g.m[0] *= 1.001;
    g.m[4] *= 1.001;
    for (int i = 0; i < 40; i++) {
        sl_point2f a = sl_affine_apply(&f, src[i]), b = sl_affine_apply(&g, src[i]);
        base += pow(a.x - dst[i].x, 2) + pow(a.y - dst[i].y, 2);
        nudged += pow(b.x - dst[i].x, 2) + pow(b.y - dst[i].y, 2);
    }
    SL_CHECK(t, base < nudged);
}

SL_TEST(face, similarity_degenerate)
{
    sl_point2f same[5], ok[5];
    for (int i = 0; i < 5; i++)
        same[i] = (sl_point2f){ 50, 60 };
    memcpy(ok, sl_face_arcface_ref, sizeof(ok));
    sl_affine f = { { 9, 9, 9, 9, 9, 9 } };
    SL_CHECK_EQ(t, sl_face_align_matrix(&f, NULL, same), SL_ERR_FACE_DEGENERATE);
    SL_CHECK(t, f.m[0] == 9);                       /* untouched on error */
    SL_CHECK_EQ(t, sl_face_similarity(&f, NULL, ok, same, 5), SL_ERR_FACE_DEGENERATE);
    SL_CHECK_EQ(t, sl_face_similarity(&f, NULL, ok, ok, 1), SL_ERR_FACE_DEGENERATE);
    ok[2].y = INFINITY;
    SL_CHECK_EQ(t, sl_face_similarity(&f, NULL, ok, sl_face_arcface_ref, 5),
                SL_ERR_INVALID);
    sl_affine sing = { { 1, 2, 0, 2, 4, 0 } }, out;
    SL_CHECK_EQ(t, sl_affine_invert(&out, &sing), SL_ERR_FACE_DEGENERATE);
    /* two points are enough for a similarity */
    SL_CHECK_EQ(t, sl_face_similarity(&f, NULL, sl_face_arcface_ref,
                                      sl_face_arcface_ref, 2), SL_OK);
    SL_CHECK(t, near(f.m[0], 1, 1e-9) && near(f.m[1], 0, 1e-9) && near(f.m[2], 0, 1e-6));
}

SL_TEST(face, roll_sign)
{
    sl_point2f p[5] = { { 10, 10 }, { 20, 20 }, { 15, 15 }, { 12, 25 }, { 18, 25 } };
    SL_CHECK(t, near(sl_face_roll_deg(p), 45, 1e-9));   /* image-right eye lower */
    p[1].y = 0;
    SL_CHECK(t, near(sl_face_roll_deg(p), -45, 1e-9));
}

/* ---------------------------- templates ---------------------------- */

static void fill_emb(float *v, size_t n, unsigned long long seed)
{
    for (size_t i = 0; i < n; i++)
        v[i] = sl_t_randf(&seed);
}

SL_TEST(face, template_roundtrip)
{
    float e[SL_FACE_EMBED_DIM];
    fill_emb(e, SL_FACE_EMBED_DIM, 7);
    static sl_face_template a, b;
    static uint8_t buf[8192];
    const uint8_t elems[] = { SL_FACE_ELEM_F32, SL_FACE_ELEM_F16, SL_FACE_ELEM_I8 };
    const double tol[] = { 0, 1e-3, 1e-2 };
    for (int k = 0; k < 3; k++) {
        SL_CHECK_EQ(t, sl_face_template_init(&a, "fr_feature@1", elems[k], e,
                                             SL_FACE_EMBED_DIM, true), SL_OK);
        size_t len = 0;
        SL_CHECK_EQ(t, sl_face_template_write(buf, sizeof(buf), &len, &a), SL_OK);
        SL_CHECK_EQ(t, len, sl_face_template_size(&a));
        SL_CHECK_EQ(t, len, 64 + 512 * (k == 0 ? 4 : k == 1 ? 2 : 1) + 4);
        SL_CHECK_EQ(t, sl_face_template_read(&b, buf, len), SL_OK);
        SL_CHECK(t, strcmp(b.model_id, "fr_feature@1") == 0 && b.dim == 512 &&
                    b.elem == elems[k] && b.l2norm);
        double c;
        SL_CHECK_EQ(t, sl_face_template_compare(&c, &a, &b), SL_OK);
        SL_CHECKF(t, c >= 1 - tol[k] - 1e-9, "elem %d cosine %.6f", k, c);
        size_t small;
        SL_CHECK_EQ(t, sl_face_template_write(buf, len - 1, &small, &a), SL_ERR_TOO_LARGE);
    }
    /* f16 is exact for representable values */
    float ex[4] = { 0.5f, -2.0f, 0.0009765625f, 6.103515625e-05f };
    SL_CHECK_EQ(t, sl_face_template_init(&a, "m", SL_FACE_ELEM_F16, ex, 4, false), SL_OK);
    size_t len;
    SL_CHECK_EQ(t, sl_face_template_write(buf, sizeof(buf), &len, &a), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_read(&b, buf, len), SL_OK);
    SL_CHECK(t, memcmp(ex, b.v, sizeof(ex)) == 0 && !b.l2norm);
}

SL_TEST(face, template_strict_parse)
{
    float e[16];
    fill_emb(e, 16, 3);
    static sl_face_template a, b;
    uint8_t buf[256], bad[256];
    size_t len;
    SL_CHECK_EQ(t, sl_face_template_init(&a, "model-x", SL_FACE_ELEM_F32, e, 16, true), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_write(buf, sizeof(buf), &len, &a), SL_OK);
    /* every single-byte change is caught (by a field check or the CRC) */
    long caught = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, buf, len);
        bad[i] ^= 0x41;
        caught += sl_face_template_read(&b, bad, len) == SL_ERR_FACE_TEMPLATE_FORMAT;
    }
    SL_CHECK_EQ(t, caught, (long)len);
    /* truncated, trailing byte, empty */
    SL_CHECK_EQ(t, sl_face_template_read(&b, buf, len - 1), SL_ERR_FACE_TEMPLATE_FORMAT);
    memcpy(bad, buf, len);
    bad[len] = 0;
    SL_CHECK_EQ(t, sl_face_template_read(&b, bad, len + 1), SL_ERR_FACE_TEMPLATE_FORMAT);
    SL_CHECK_EQ(t, sl_face_template_read(&b, buf, 0), SL_ERR_FACE_TEMPLATE_FORMAT);
    SL_CHECK_EQ(t, sl_face_template_read(&b, buf, len), SL_OK);
    /* bad inits */
    SL_CHECK_EQ(t, sl_face_template_init(&b, "", SL_FACE_ELEM_F32, e, 16, true), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_face_template_init(&b, "a b", SL_FACE_ELEM_F32, e, 16, true), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_face_template_init(&b, "m", 9, e, 16, true), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_face_template_init(&b, "m", SL_FACE_ELEM_F32, e, 0, true), SL_ERR_INVALID);
    char longid[60];
    memset(longid, 'a', 59);
    longid[59] = 0;
    SL_CHECK_EQ(t, sl_face_template_init(&b, longid, SL_FACE_ELEM_F32, e, 16, true), SL_ERR_INVALID);
    float z[4] = { 0, 0, 0, 0 };
    SL_CHECK_EQ(t, sl_face_template_init(&b, "m", SL_FACE_ELEM_F32, z, 4, true), SL_ERR_INVALID);
}

SL_TEST(face, template_compare_refuses_other_model)
{
    float e[32], f[32];
    fill_emb(e, 32, 11);
    fill_emb(f, 32, 12);
    static sl_face_template a, b, c;
    SL_CHECK_EQ(t, sl_face_template_init(&a, "fr_feature@1", SL_FACE_ELEM_F32, e, 32, true), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_init(&b, "other@2", SL_FACE_ELEM_F32, e, 32, true), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_init(&c, "fr_feature@1", SL_FACE_ELEM_F32, e, 16, true), SL_OK);
    double cs = 42;
    SL_CHECK_EQ(t, sl_face_template_compare(&cs, &a, &b), SL_ERR_FACE_TEMPLATE_MISMATCH);
    SL_CHECK_EQ(t, sl_face_template_compare(&cs, &a, &c), SL_ERR_FACE_TEMPLATE_MISMATCH);
    SL_CHECK(t, cs == 42);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_FACE_TEMPLATE_MISMATCH), "face_template_mismatch") == 0);
    SL_CHECK_EQ(t, SL_STATUS_PRIMARY(SL_ERR_FACE_TEMPLATE_MISMATCH), SL_ERR_INVALID);
    /* same model: cosine equals the hand computation */
    SL_CHECK_EQ(t, sl_face_template_init(&b, "fr_feature@1", SL_FACE_ELEM_F16, f, 32, false), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_compare(&cs, &a, &b), SL_OK);
    SL_CHECK(t, near(cs, sl_face_cosine(e, f, 32), 1e-6));
}

SL_TEST(face, l2_and_flip_fuse)
{
    float v[3] = { 3, 0, 4 };
    SL_CHECK_EQ(t, sl_face_l2_normalise(v, 3), SL_OK);
    SL_CHECK(t, near(v[0], 0.6, 1e-7) && near(v[2], 0.8, 1e-7));
    float a[2] = { 1, 0 }, b[2] = { 0, 1 }, o[2];
    SL_CHECK_EQ(t, sl_face_flip_fuse(o, a, b, 2), SL_OK);
    SL_CHECK(t, near(o[0], M_SQRT1_2, 1e-7) && near(o[1], M_SQRT1_2, 1e-7));
    float na[2] = { -1, 0 };
    SL_CHECK_EQ(t, sl_face_flip_fuse(o, a, na, 2), SL_ERR_INVALID);  /* sum is zero */
    float z[2] = { 0, 0 };
    SL_CHECK_EQ(t, sl_face_l2_normalise(z, 2), SL_ERR_INVALID);
    SL_CHECK(t, sl_face_cosine(a, z, 2) == 0);
    SL_CHECK(t, near(sl_face_cosine(a, na, 2), -1, 1e-12));
}
