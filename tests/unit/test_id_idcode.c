/*
 * test_id_idcode.c -- identity codes: round trip, every altered byte
 * refused, expiry, purpose, per-hall pseudonyms, parser edge cases, kiosk
 * login texts, QR encode -> decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "id/idcode.h"
#include "shualian/image.h"
#include "test.h"

static sl_keyring *ring(struct sl_t *t, sl_suite s, char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/sl-idcode-XXXXXX");
    SL_ASSERT(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/keys", dir);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, s, true, &k), SL_OK);
    SL_ASSERT(k);
    return k;
}

static void drop(sl_keyring *k, const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/keys", dir);
    sl__keyring_free(k);
    unlink(path);
    rmdir(dir);
}

static void round_trip(struct sl_t *t, sl_suite s)
{
    char dir[64];
    sl_keyring *k = ring(t, s, dir, sizeof dir);
    char text[SL_IDCODE_TEXT_LEN + 1];
    struct sl_idcode c, d;
    int64_t now = 1764806400000;
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_42", 7, SL_IDCODE_IDENTIFY, now, 0, text, sizeof text, &c), SL_OK);
    SL_CHECK_EQ(t, strlen(text), (size_t)SL_IDCODE_TEXT_LEN);
    SL_CHECK(t, strncmp(text, "SLID1.", 6) == 0);
    SL_CHECK(t, strstr(text, "p_42") == NULL);
    SL_CHECK_EQ(t, sl__idcode_check(k, text, strlen(text), now + 1000, SL_IDCODE_IDENTIFY, &d), SL_OK);
    SL_CHECK_EQ(t, d.hall_id, 7u);
    SL_CHECK_EQ(t, d.expires_ms - d.issued_ms, (int64_t)SL_IDCODE_TTL_MS);
    SL_CHECK_EQ(t, d.suite, (uint8_t)s);
    SL_CHECK(t, memcmp(c.nonce, d.nonce, 16) == 0);
    /* expiry: valid until just before issued + 60 s */
    SL_CHECK_EQ(t, sl__idcode_check(k, text, strlen(text), now + 59999, 0, &d), SL_OK);
    SL_CHECK_EQ(t, sl__idcode_check(k, text, strlen(text), now + 60000, 0, &d), SL_ERR_IDCODE_EXPIRED);
    SL_CHECK_EQ(t, sl__idcode_check(k, text, strlen(text), now - 10000, 0, &d), SL_ERR_IDCODE_EXPIRED);
    /* purpose */
    SL_CHECK_EQ(t, sl__idcode_check(k, text, strlen(text), now, SL_IDCODE_LOGIN, &d), SL_ERR_IDCODE_PURPOSE);
    /* a scanner's trailing newline is fine */
    char nl[SL_IDCODE_TEXT_LEN + 3];
    snprintf(nl, sizeof nl, "%s\r\n", text);
    SL_CHECK_EQ(t, sl__idcode_check(k, nl, strlen(nl), now, 0, &d), SL_OK);
    /* every character changed: never accepted */
    int accepted = 0;
    for (size_t i = 0; i < SL_IDCODE_TEXT_LEN; i++) {
        char m[SL_IDCODE_TEXT_LEN + 1];
        memcpy(m, text, sizeof m);
        m[i] = m[i] == 'A' ? 'B' : 'A';
        if (sl__idcode_check(k, m, strlen(m), now, 0, &d) == SL_OK)
            accepted++;
    }
    /* the last character carries 2 padding bits in base64url: the decoder
     * may map two texts to one byte string, which is the same code */
    SL_CHECKF(t, accepted == 0, "%d altered codes accepted", accepted);
    /* another key file does not accept it */
    char dir2[64];
    sl_keyring *k2 = ring(t, s, dir2, sizeof dir2);
    SL_CHECK_EQ(t, sl__idcode_check(k2, text, strlen(text), now, 0, &d), SL_ERR_IDCODE_SIGNATURE);
    drop(k2, dir2);
    drop(k, dir);
}

SL_TEST(id, idcode_round_trip_gm)   { round_trip(t, SL_SUITE_GM); }
SL_TEST(id, idcode_round_trip_intl) { round_trip(t, SL_SUITE_INTL); }

SL_TEST(id, idcode_pseudonym_per_hall)
{
    char dir[64];
    sl_keyring *k = ring(t, SL_SUITE_GM, dir, sizeof dir);
    uint8_t a[16], b[16], c[16], d[16];
    SL_CHECK_EQ(t, sl__idcode_subject(k, "p_42", 1, a), SL_OK);
    SL_CHECK_EQ(t, sl__idcode_subject(k, "p_42", 1, b), SL_OK);
    SL_CHECK_EQ(t, sl__idcode_subject(k, "p_42", 2, c), SL_OK);
    SL_CHECK_EQ(t, sl__idcode_subject(k, "p_43", 1, d), SL_OK);
    SL_CHECK(t, memcmp(a, b, 16) == 0);   /* stable for one hall */
    SL_CHECK(t, memcmp(a, c, 16) != 0);   /* differs per hall    */
    SL_CHECK(t, memcmp(a, d, 16) != 0);
    SL_CHECK_EQ(t, sl__idcode_subject(k, "", 1, a), SL_ERR_INVALID);
    /* two codes of one person: same subject, different nonces */
    char t1[SL_IDCODE_TEXT_LEN + 1], t2[SL_IDCODE_TEXT_LEN + 1];
    struct sl_idcode c1, c2;
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_42", 1, SL_IDCODE_LOGIN, 1000, 0, t1, sizeof t1, &c1), SL_OK);
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_42", 1, SL_IDCODE_LOGIN, 1000, 0, t2, sizeof t2, &c2), SL_OK);
    SL_CHECK(t, memcmp(c1.subject, c2.subject, 16) == 0);
    SL_CHECK(t, memcmp(c1.nonce, c2.nonce, 16) != 0);
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_42", 1, 9, 1000, 0, t2, sizeof t2, &c2), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_42", 1, 1, 1000, 300001, t2, sizeof t2, &c2), SL_ERR_INVALID);
    drop(k, dir);
}

SL_TEST(id, idcode_parse_rejects)
{
    struct sl_idcode c;
    const char *bad[] = { "", "SLID1.", "SLID2.AAAA", "hello",
                          "SLID1.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        SL_CHECK_EQ(t, sl__idcode_parse(bad[i], strlen(bad[i]), &c), SL_ERR_IDCODE_FORMAT);
    SL_CHECK_EQ(t, sl__idcode_parse(NULL, 0, &c), SL_ERR_IDCODE_FORMAT);
    /* right length, all 'A': version 0 */
    char z[SL_IDCODE_TEXT_LEN + 1];
    memcpy(z, "SLID1.", 6);
    memset(z + 6, 'A', SL_IDCODE_TEXT_LEN - 6);
    z[SL_IDCODE_TEXT_LEN] = 0;
    SL_CHECK_EQ(t, sl__idcode_parse(z, strlen(z), &c), SL_ERR_IDCODE_FORMAT);
}

SL_TEST(id, kiosk_login_text)
{
    char id[SL_KIOSK_LOGIN_ID_LEN + 1], id2[SL_KIOSK_LOGIN_ID_LEN + 1], text[40];
    sl__kiosk_login_id(id, sizeof id);
    SL_CHECK_EQ(t, strlen(id), (size_t)SL_KIOSK_LOGIN_ID_LEN);
    snprintf(text, sizeof text, "SLKL1.%s\n", id);
    SL_CHECK_EQ(t, sl__kiosk_login_parse(text, id2, sizeof id2), SL_OK);
    SL_CHECK(t, strcmp(id, id2) == 0);
    SL_CHECK_EQ(t, sl__kiosk_login_parse("SLKL1.short", id2, sizeof id2), SL_ERR_IDCODE_FORMAT);
    SL_CHECK_EQ(t, sl__kiosk_login_parse("SLKL1.aaaaaaaaaaaaaaaaaaaa!!", id2, sizeof id2), SL_ERR_IDCODE_FORMAT);
}

SL_TEST(id, qr_encode_decode)
{
    char dir[64];
    sl_keyring *k = ring(t, SL_SUITE_GM, dir, sizeof dir);
    char text[SL_IDCODE_TEXT_LEN + 1];
    SL_CHECK_EQ(t, sl__idcode_issue(k, "p_1", 3, 1, 5000, 0, text, sizeof text, NULL), SL_OK);
    char *svg = NULL;
    SL_CHECK_EQ(t, sl__qr_svg(text, &svg), SL_OK);
    SL_CHECK(t, svg && strncmp(svg, "<svg", 4) == 0 && strstr(svg, "</svg>"));
    sl__free(svg);
    uint8_t *png = NULL;
    size_t n = 0;
    SL_CHECK_EQ(t, sl__qr_png(text, 4, &png, &n), SL_OK);
    SL_CHECK(t, n > 8 && memcmp(png, "\x89PNG", 4) == 0);
    sl__free(png);
    /* the PNG decoded as a grey camera frame reads back to the same text */
    uint8_t *qpng = NULL;
    SL_CHECK_EQ(t, sl__qr_png(text, 3, &qpng, &n), SL_OK);
    struct sl_image *img = NULL;
    SL_CHECK_EQ(t, sl_image_decode(qpng, n, NULL, 1, &img, NULL), SL_OK);
    sl__free(qpng);
    char *back = NULL;
    if (img) {
        SL_CHECK_EQ(t, sl__qr_decode_gray(img->data, img->width, img->height, img->stride, &back), SL_OK);
        SL_CHECK(t, back && strcmp(back, text) == 0);
        sl__free(back);
        sl_image_free(img);
    }
    /* a blank frame has no QR */
    uint8_t *blank = malloc(320 * 240);
    memset(blank, 200, 320 * 240);
    char *got = NULL;
    SL_CHECK_EQ(t, sl__qr_decode_gray(blank, 320, 240, 320, &got), SL_ERR_IDCODE_NO_QR);
    free(blank);
    drop(k, dir);
}
