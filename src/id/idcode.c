/*
 * idcode.c -- identity codes: build, parse, sign, check (format: idcode.h),
 * kiosk login texts, and QR rendering (libqrencode) and reading (libzbar).
 */
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <string.h>
#include <zbar.h>

#include "id/idcode.h"

static const char DOMAIN[] = "shualian idcode v1";   /* + its NUL, signed */

int sl__idcode_purpose_parse(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "identify") == 0)
        return SL_IDCODE_IDENTIFY;
    if (strcmp(name, "login") == 0)
        return SL_IDCODE_LOGIN;
    return 0;
}

const char *sl__idcode_purpose_name(int purpose)
{
    switch (purpose) {
    case SL_IDCODE_IDENTIFY: return "identify";
    case SL_IDCODE_LOGIN:    return "login";
    default:                 return "?";
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

sl_status sl__idcode_subject(const sl_keyring *k, const char *person_ref,
                             uint32_t hall_id, uint8_t out[SL_IDCODE_SUBJECT_LEN])
{
    size_t n = person_ref ? strlen(person_ref) : 0;
    if (n == 0 || n > 128)
        return SL_ERR_INVALID;
    uint8_t msg[128 + 5];
    memcpy(msg, person_ref, n);
    msg[n] = 0;
    put32(msg + n + 1, hall_id);
    uint8_t mac[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(k, "idcode-subject", msg, n + 5, mac);
    if (st != SL_OK)
        return st;
    memcpy(out, mac, SL_IDCODE_SUBJECT_LEN);
    return SL_OK;
}

void sl__idcode_subject_hex(const uint8_t s[SL_IDCODE_SUBJECT_LEN], char *out)
{
    (void)sl__hex_encode(out, 2 * SL_IDCODE_SUBJECT_LEN + 1, s, SL_IDCODE_SUBJECT_LEN);
}

/* The message the signature covers. */
static void signed_msg(const uint8_t *bin, uint8_t *msg)
{
    memcpy(msg, DOMAIN, sizeof DOMAIN);
    memcpy(msg + sizeof DOMAIN, bin, SL_IDCODE_SIGNED_LEN);
}

sl_status sl__idcode_issue(const sl_keyring *k, const char *person_ref,
                           uint32_t hall_id, int purpose, int64_t now_ms,
                           int64_t ttl_ms, char *text, size_t cap,
                           struct sl_idcode *out)
{
    if (ttl_ms == 0)
        ttl_ms = SL_IDCODE_TTL_MS;
    if (!text || cap < SL_IDCODE_TEXT_LEN + 1 || ttl_ms < 0 || ttl_ms > SL_IDCODE_TTL_MAX_MS ||
        now_ms < 0 || (purpose != SL_IDCODE_IDENTIFY && purpose != SL_IDCODE_LOGIN))
        return SL_ERR_INVALID;
    uint8_t bin[SL_IDCODE_BIN_LEN];
    bin[0] = 1;
    bin[1] = (uint8_t)purpose;
    put32(bin + 2, hall_id);
    sl_status st = sl__idcode_subject(k, person_ref, hall_id, bin + 6);
    if (st != SL_OK)
        return st;
    sl__random(bin + 22, SL_IDCODE_NONCE_LEN);
    put64(bin + 38, (uint64_t)now_ms);
    put64(bin + 46, (uint64_t)(now_ms + ttl_ms));
    uint8_t msg[sizeof DOMAIN + SL_IDCODE_SIGNED_LEN];
    signed_msg(bin, msg);
    st = sl__sign(k, msg, sizeof msg, bin + SL_IDCODE_SIGNED_LEN);
    if (st != SL_OK)
        return st;
    memcpy(text, SL_IDCODE_PREFIX, 6);
    sodium_bin2base64(text + 6, cap - 6, bin, sizeof bin,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (out)
        return sl__idcode_parse(text, strlen(text), out);
    return SL_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

sl_status sl__idcode_parse(const char *text, size_t n, struct sl_idcode *out)
{
    if (!text || !out)
        return SL_ERR_IDCODE_FORMAT;
    while (n > 0 && is_space(text[0]))
        text++, n--;
    while (n > 0 && is_space(text[n - 1]))
        n--;
    if (n != SL_IDCODE_TEXT_LEN || memcmp(text, SL_IDCODE_PREFIX, 6) != 0)
        return SL_ERR_IDCODE_FORMAT;
    for (size_t i = 6; i < n; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return SL_ERR_IDCODE_FORMAT;
    }
    memset(out, 0, sizeof *out);
    size_t len = 0;
    if (sodium_base642bin(out->bin, sizeof out->bin, text + 6, n - 6, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != SL_IDCODE_BIN_LEN)
        return SL_ERR_IDCODE_FORMAT;
    const uint8_t *b = out->bin;
    out->version = b[0];
    out->purpose = b[1];
    out->hall_id = get32(b + 2);
    memcpy(out->subject, b + 6, SL_IDCODE_SUBJECT_LEN);
    memcpy(out->nonce, b + 22, SL_IDCODE_NONCE_LEN);
    uint64_t iat = get64(b + 38), exp = get64(b + 46);
    const uint8_t *sig = b + SL_IDCODE_SIGNED_LEN;
    if (out->version != 1 ||
        (out->purpose != SL_IDCODE_IDENTIFY && out->purpose != SL_IDCODE_LOGIN) ||
        iat > (uint64_t)INT64_MAX / 2 || exp <= iat || exp - iat > SL_IDCODE_TTL_MAX_MS ||
        memcmp(sig, "SLS\x01", 4) != 0 || (sig[4] != SL_SUITE_GM && sig[4] != SL_SUITE_INTL))
        return SL_ERR_IDCODE_FORMAT;
    out->issued_ms = (int64_t)iat;
    out->expires_ms = (int64_t)exp;
    out->suite = sig[4];
    out->kid = get32(sig + 5);
    return SL_OK;
}

sl_status sl__idcode_check(const sl_keyring *k, const char *text, size_t n,
                           int64_t now_ms, int want_purpose, struct sl_idcode *out)
{
    sl_status st = sl__idcode_parse(text, n, out);
    if (st != SL_OK)
        return st;
    uint8_t msg[sizeof DOMAIN + SL_IDCODE_SIGNED_LEN];
    signed_msg(out->bin, msg);
    if (sl__verify(k, msg, sizeof msg, out->bin + SL_IDCODE_SIGNED_LEN,
                   SL_CRYPTO_SIG_BYTES) != SL_OK)
        return SL_ERR_IDCODE_SIGNATURE;
    if (now_ms >= out->expires_ms || out->issued_ms > now_ms + 5000)
        return SL_ERR_IDCODE_EXPIRED;
    if (want_purpose && out->purpose != want_purpose)
        return SL_ERR_IDCODE_PURPOSE;
    return SL_OK;
}

/* ============================ Kiosk login ids ============================ */

void sl__kiosk_login_id(char *out, size_t cap)
{
    SL_ASSERT(cap >= SL_KIOSK_LOGIN_ID_LEN + 1);
    (void)sl__random_token(out, cap, 16);
}

sl_status sl__kiosk_login_parse(const char *text, char *id, size_t cap)
{
    if (!text || cap < SL_KIOSK_LOGIN_ID_LEN + 1)
        return SL_ERR_IDCODE_FORMAT;
    size_t n = strlen(text);
    while (n > 0 && is_space(text[n - 1]))
        n--;
    if (n >= 6 && memcmp(text, SL_KIOSK_LOGIN_PREFIX, 6) == 0)
        text += 6, n -= 6;
    if (n != SL_KIOSK_LOGIN_ID_LEN)
        return SL_ERR_IDCODE_FORMAT;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return SL_ERR_IDCODE_FORMAT;
    }
    memcpy(id, text, n);
    id[n] = 0;
    return SL_OK;
}

/* ============================ QR ======================================== */

static QRcode *qr_make(const char *text)
{
    return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
}

sl_status sl__qr_svg(const char *text, char **svg)
{
    QRcode *q = qr_make(text);
    if (!q)
        return SL_ERR_INVALID;
    int w = q->width, full = w + 8;
    struct sl_buf b;
    sl_buf_init(&b, (size_t)4 << 20);
    char line[256];
    snprintf(line, sizeof line,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
             "<path fill=\"#000\" d=\"", full, full, full, full);
    sl_status st = sl_buf_append(&b, line, strlen(line));
    for (int y = 0; y < w && st == SL_OK; y++)
        for (int x = 0; x < w && st == SL_OK; x++)
            if (q->data[y * w + x] & 1) {
                int m = snprintf(line, sizeof line, "M%d %dh1v1h-1z", x + 4, y + 4);
                st = sl_buf_append(&b, line, (size_t)m);
            }
    if (st == SL_OK)
        st = sl_buf_append(&b, "\"/></svg>", 9);
    if (st == SL_OK)
        st = sl_buf_terminate(&b);
    QRcode_free(q);
    if (st != SL_OK) {
        sl_buf_free(&b);
        return st;
    }
    *svg = (char *)sl_buf_detach(&b, NULL);
    return SL_OK;
}

static void png_write_buf(png_structp p, png_bytep data, png_size_t n)
{
    struct sl_buf *b = png_get_io_ptr(p);
    if (sl_buf_append(b, data, n) != SL_OK)
        png_error(p, "nomem");
}
static void png_flush_none(png_structp p) { (void)p; }

sl_status sl__qr_png(const char *text, unsigned scale, uint8_t **png, size_t *n)
{
    if (scale < 1 || scale > 16)
        return SL_ERR_INVALID;
    QRcode *q = qr_make(text);
    if (!q)
        return SL_ERR_INVALID;
    uint32_t w = (uint32_t)q->width, side = (w + 8) * scale;
    uint8_t *img = sl__malloc((size_t)side * side);
    if (!img) {
        QRcode_free(q);
        return SL_ERR_NOMEM;
    }
    memset(img, 255, (size_t)side * side);
    for (uint32_t y = 0; y < w; y++)
        for (uint32_t x = 0; x < w; x++)
            if (q->data[y * w + x] & 1)
                for (uint32_t dy = 0; dy < scale; dy++)
                    memset(img + ((size_t)(y + 4) * scale + dy) * side + (x + 4) * scale, 0, scale);
    QRcode_free(q);
    struct sl_buf b;
    sl_buf_init(&b, (size_t)4 << 20);
    sl_status st = SL_ERR_INTERNAL;
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (p && info && !setjmp(png_jmpbuf(p))) {
        png_set_write_fn(p, &b, png_write_buf, png_flush_none);
        png_set_IHDR(p, info, side, side, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(p, info);
        for (uint32_t y = 0; y < side; y++)
            png_write_row(p, img + (size_t)y * side);
        png_write_end(p, NULL);
        st = SL_OK;
    }
    png_destroy_write_struct(&p, &info);
    sl__free(img);
    if (st != SL_OK) {
        sl_buf_free(&b);
        return st;
    }
    *png = sl_buf_detach(&b, n);
    return SL_OK;
}

sl_status sl__qr_decode_gray(const uint8_t *gray, uint32_t w, uint32_t h, size_t stride,
                             char **text)
{
    if (!gray || w == 0 || h == 0 || stride < w)
        return SL_ERR_INVALID;
    uint8_t *packed = malloc((size_t)w * h);   /* zbar frees it with free() */
    if (!packed)
        return SL_ERR_NOMEM;
    for (uint32_t y = 0; y < h; y++)
        memcpy(packed + (size_t)y * w, gray + (size_t)y * stride, w);
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *zi = zbar_image_create();
    if (!sc || !zi) {
        free(packed);
        if (sc)
            zbar_image_scanner_destroy(sc);
        if (zi)
            zbar_image_destroy(zi);
        return SL_ERR_NOMEM;
    }
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, w, h);
    zbar_image_set_data(zi, packed, (unsigned long)w * h, zbar_image_free_data);
    sl_status st = SL_ERR_IDCODE_NO_QR;
    if (zbar_scan_image(sc, zi) > 0) {
        const zbar_symbol_t *sym = zbar_image_first_symbol(zi);
        const char *d = sym ? zbar_symbol_get_data(sym) : NULL;
        if (d) {
            size_t n = strlen(d);
            *text = sl__malloc(n + 1);
            if (*text) {
                memcpy(*text, d, n + 1);
                st = SL_OK;
            } else {
                st = SL_ERR_NOMEM;
            }
        }
    }
    zbar_image_destroy(zi);
    zbar_image_scanner_destroy(sc);
    return st;
}
