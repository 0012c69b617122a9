/*
 * idcode.h -- identity codes (网证/电子身份码, seeds 000 and 003) and the
 * kiosk's 扫码 login texts: a short signed token a phone shows as a QR, and
 * its parser, signer and checker. Pure apart from the keyring: no store, no
 * HTTP (single use, the person link and audit are the routes' part,
 * src/http/routes_idcode.c).
 *
 * ======================== Identity code, text form =========================
 *   "SLID1." + base64url (RFC 4648 §5, no padding) of the 127 bytes below;
 *   always SL_IDCODE_TEXT_LEN (176) characters, so a QR of version 9 (M)
 *   holds it. All integers big-endian.
 *
 *   off len field
 *   0   1   format version, 0x01
 *   1   1   purpose: 1 identify (亮码 at a window or kiosk), 2 login (扫码
 *           approval of a kiosk login session)
 *   2   4   relying hall id (u32): the hall the subject pseudonym is for
 *   6   16  subject: keyed pseudonym of the person for that hall,
 *           the first 16 bytes of sl__mac(k, "idcode-subject",
 *           person_ref || 0x00 || u32 hall); differs per hall, cannot be
 *           reversed without the server's index key, holds no plaintext
 *           identity (no name, no number)
 *   22  16  nonce (random): the single-use key (store scope "idcode")
 *   38  8   issued at, epoch ms
 *   46  8   expires at, epoch ms (issued + 60 s; never more than 300 s)
 *   54  73  signature blob (crypto.h: "SLS" 0x01, suite id, key id,
 *           64-byte SM2/Ed25519 signature) over
 *           "shualian idcode v1\0" || bytes 0..53
 *
 * The suite id and the key id are the signature blob's; a code stays
 * verifiable after a key rotation (old sign keys stay in the key file) and
 * by anyone holding the public key (sl__verify_public).
 *
 * ======================== Kiosk login text (扫码) ==========================
 *   "SLKL1." + the login session id (22 base64url characters: 16 random
 *   bytes). Not signed: the id is an unguessable capability that the server
 *   resolves; it names nothing about the kiosk's user.
 */
#ifndef SL_ID_IDCODE_H
#define SL_ID_IDCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "crypto/crypto.h"

#define SL_IDCODE_PREFIX      "SLID1."
#define SL_IDCODE_BIN_LEN     127
#define SL_IDCODE_SIGNED_LEN  54
#define SL_IDCODE_TEXT_LEN    176          /* 6 + base64url(127) = 6 + 170 */
#define SL_IDCODE_SUBJECT_LEN 16
#define SL_IDCODE_NONCE_LEN   16
#define SL_IDCODE_TTL_MS      60000
#define SL_IDCODE_TTL_MAX_MS  300000
#define SL_KIOSK_LOGIN_PREFIX "SLKL1."
#define SL_KIOSK_LOGIN_ID_LEN 22

enum sl_idcode_purpose { SL_IDCODE_IDENTIFY = 1, SL_IDCODE_LOGIN = 2 };

/* A parsed code (fields as in the table above). */
struct sl_idcode {
    uint8_t  version;
    uint8_t  purpose;
    uint32_t hall_id;
    uint8_t  subject[SL_IDCODE_SUBJECT_LEN];
    uint8_t  nonce[SL_IDCODE_NONCE_LEN];
    int64_t  issued_ms;
    int64_t  expires_ms;
    uint8_t  suite;
    uint32_t kid;
    uint8_t  bin[SL_IDCODE_BIN_LEN];     /* the decoded bytes              */
};

/* "identify" | "login" -> purpose; 0 if unknown. */
int         sl__idcode_purpose_parse(const char *name);
const char *sl__idcode_purpose_name(int purpose);   /* "?" if unknown */

/* The hall's pseudonym of person_ref (1..128 bytes of text). */
sl_status sl__idcode_subject(const sl_keyring *k, const char *person_ref,
                             uint32_t hall_id,
                             uint8_t out[SL_IDCODE_SUBJECT_LEN]);
/* Subject as 32 lower-case hex characters (out cap >= 33). */
void      sl__idcode_subject_hex(const uint8_t s[SL_IDCODE_SUBJECT_LEN], char *out);

/* Issues a code for person_ref at hall_id, valid from now_ms for ttl_ms
 * (0: SL_IDCODE_TTL_MS; at most SL_IDCODE_TTL_MAX_MS), signed with the
 * current signing key. text (cap >= SL_IDCODE_TEXT_LEN + 1) gets the text
 * form; *out (may be NULL) the fields. */
sl_status sl__idcode_issue(const sl_keyring *k, const char *person_ref,
                           uint32_t hall_id, int purpose, int64_t now_ms,
                           int64_t ttl_ms, char *text, size_t cap,
                           struct sl_idcode *out);

/* Parses the text form (untrusted: any bytes, any length) without checking
 * the signature. Leading/trailing ASCII white space is ignored (scanners
 * add a newline). SL_ERR_IDCODE_FORMAT for anything not exactly the format
 * above (prefix, length, alphabet, version, purpose, times, blob magic). */
sl_status sl__idcode_parse(const char *text, size_t n, struct sl_idcode *out);

/* Parse + signature + time: SL_ERR_IDCODE_SIGNATURE (forged, altered or
 * unknown key), SL_ERR_IDCODE_EXPIRED (now >= expires, or issued more than
 * 5 s in the future), SL_ERR_IDCODE_PURPOSE (purpose differs from want,
 * when want != 0). Single use is NOT checked here (the caller takes the
 * nonce with sl__store_once in its transaction). */
sl_status sl__idcode_check(const sl_keyring *k, const char *text, size_t n,
                           int64_t now_ms, int want_purpose,
                           struct sl_idcode *out);

/* A new kiosk login id (SL_KIOSK_LOGIN_ID_LEN chars + NUL, cap >= 23). */
void      sl__kiosk_login_id(char *out, size_t cap);
/* Extracts the id from "SLKL1.<id>" or a bare id; SL_ERR_IDCODE_FORMAT
 * otherwise. id cap >= SL_KIOSK_LOGIN_ID_LEN + 1. */
sl_status sl__kiosk_login_parse(const char *text, char *id, size_t cap);

/* The QR (libqrencode, level M, 8-bit mode) of text as SVG (a string, caller
 * frees with sl__free) with a 4-module quiet zone. */
sl_status sl__qr_svg(const char *text, char **svg);
/* The same as a PNG (greyscale, `scale` pixels per module, 1..16). */
sl_status sl__qr_png(const char *text, unsigned scale, uint8_t **png, size_t *n);
/* Finds and decodes QR codes in an 8-bit greyscale image (libzbar); the
 * first symbol's text (sl__malloc'd, NUL-terminated) into *text.
 * SL_ERR_IDCODE_NO_QR when the image holds none. */
sl_status sl__qr_decode_gray(const uint8_t *gray, uint32_t w, uint32_t h,
                             size_t stride, char **text);

#endif
