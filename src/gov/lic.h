/*
 * lic.h -- issue 14, the pure core of electronic signatures, electronic
 * licences, selective disclosure and temporary identity credentials
 * (no store, no HTTP: the routes build on these).
 *
 * E-signature (sign.c). A signer's consent to a document is the message
 *
 *   "shualian-esign-v1\n" doc_hash "\n" verification_id "\n" result "\n"
 *   signed_at_ms "\n"
 *
 * (doc_hash = lower-case hex of the suite's hash of the document bytes;
 * verification_id = the signer's consumed 1:1 verification; result = its
 * verdict, e.g. "match") signed with the hall's signing key via src/crypto.
 * The record keeps the suite and key id, so anyone holding the hall's public
 * key verifies it. A commitment (承诺书) is a signed document like any other.
 *
 * Licence status (lic_core.c): issued -> suspended <-> issued, any -> revoked
 * (final). Every use checks sl__lic_usable: status and validity window.
 *
 * Selective disclosure (lic_core.c): a matter asks for some fields of a
 * licence; only fields the holder's consent record lists are released, and
 * if any asked field is not covered nothing is released.
 *
 * Temporary credential (credential.c, seed 004): a short verification code
 * derived from the credential's signature, and the per-person monthly limit.
 */
#ifndef SL_GOV_LIC_H
#define SL_GOV_LIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* ------------------------------ e-signatures ---------------------------- */
#define SL_ESIGN_REF_MAX 64u
struct sl__esign {
    char     doc_hash[2 * SL_CRYPTO_HASH_BYTES + 1];
    char     verification_id[SL_ESIGN_REF_MAX];
    char     result[24];
    int64_t  signed_at_ms;
    char     suite[8];           /* "gm" | "intl" */
    uint32_t kid;                /* signing key id */
    char     sig[2 * SL_CRYPTO_SIG_BYTES + 1];   /* hex of the blob */
};

/* Hashes doc[0..n) and signs it for the signer's verification. The
 * verification id and result are 1..63 / 1..23 printable ASCII characters
 * without '\n' (else SL_ERR_ESIGN_FORMAT); result must be "match" (a
 * signature needs a passed verification: else SL_ERR_DENIED). */
sl_status sl__esign_make(const sl_keyring *k, const void *doc, size_t n,
                         const char *verification_id, const char *result,
                         int64_t now_ms, struct sl__esign *out);
/* SL_OK if r is a valid signature of doc by a key of k (doc may be NULL to
 * check the record alone). Errors: SL_ERR_ESIGN_FORMAT, SL_ERR_CRYPTO_*,
 * SL_ERR_CRYPTO_SIGNATURE when the document's hash differs. */
sl_status sl__esign_verify(const sl_keyring *k, const void *doc, size_t n,
                           const struct sl__esign *r);
/* The same with a public key text (sl__public_key form), for the public
 * verify route and third parties. */
sl_status sl__esign_verify_public(const char *pubkey, const void *doc,
                                  size_t n, const struct sl__esign *r);

/* The record as a JSON object {doc_hash, verification_id, result,
 * signed_at_ms, suite, kid, sig} (NULL only when out of memory), and back:
 * SL_ERR_ESIGN_FORMAT if a member is missing, of the wrong type or too long
 * (the signature itself is checked by the verify calls). */
struct json_t;
struct json_t *sl__esign_to_json(const struct sl__esign *r);
sl_status      sl__esign_from_json(const struct json_t *o, struct sl__esign *out);

/* ------------------------------ licence status --------------------------- */
typedef enum sl__lic_status {
    SL_LIC_ISSUED = 1, SL_LIC_SUSPENDED = 2, SL_LIC_REVOKED = 3
} sl__lic_status;
typedef enum sl__lic_action {
    SL_LIC_SUSPEND = 1, SL_LIC_RESUME = 2, SL_LIC_REVOKE = 3
} sl__lic_action;

/* "issued" | "suspended" | "revoked" and back; SL_ERR_INVALID if unknown. */
const char *sl__lic_status_name(sl__lic_status s);
sl_status   sl__lic_status_parse(const char *name, sl__lic_status *out);
/* The next status, or SL_ERR_LIC_TRANSITION. */
sl_status   sl__lic_step(sl__lic_status from, sl__lic_action a,
                         sl__lic_status *to);
/* SL_OK if a licence may be used at now_ms: issued and valid_from <= now <
 * valid_to (valid_to 0 = no end). Else SL_ERR_LIC_REVOKED / _SUSPENDED /
 * _EXPIRED. */
sl_status   sl__lic_usable(sl__lic_status s, int64_t valid_from_ms,
                           int64_t valid_to_ms, int64_t now_ms);

/* ------------------------------ disclosure ------------------------------- */
/* asked[0..na) are the fields a matter needs, consented[0..nc) the fields
 * the holder's consent record covers. On SL_OK every asked field is covered
 * (duplicates allowed). Otherwise SL_ERR_LIC_CONSENT and *missing (may be
 * NULL) points at the first asked field left uncovered. Empty or NULL
 * names are SL_ERR_INVALID. */
sl_status sl__lic_disclose_check(const char *const *asked, size_t na,
                                 const char *const *consented, size_t nc,
                                 const char **missing);

/* The released part of a licence: an object with only the asked fields of
 * fields (an object of the licence's data), after sl__lic_disclose_check.
 * SL_ERR_LIC_CONSENT as there; SL_ERR_NOT_FOUND (*missing set) if the
 * licence has no such field; on SL_OK the caller owns *out. */
sl_status sl__lic_disclose(const struct json_t *fields,
                           const char *const *asked, size_t na,
                           const char *const *consented, size_t nc,
                           struct json_t **out, const char **missing);

/* The issuer's signature over a licence: the message is
 * "shualian-licence-v1\n" id "\n" issued_at_ms "\n" + the fields object as
 * compact JSON with sorted keys, signed with the issuer's key; sig_hex gets
 * the blob as hex. Verify with the keyring holding the issuer's key. */
sl_status sl__lic_sign(const sl_keyring *k, const char *licence_id,
                       int64_t issued_at_ms, const struct json_t *fields,
                       char sig_hex[2 * SL_CRYPTO_SIG_BYTES + 1]);
sl_status sl__lic_verify(const sl_keyring *k, const char *licence_id,
                         int64_t issued_at_ms, const struct json_t *fields,
                         const char *sig_hex);

/* ------------------------------ credentials ------------------------------ */
#define SL_CRED_CODE_LEN 8u
/* An 8-character verification code (digits and upper-case letters without
 * 0 O 1 I) derived from the credential's serial under the key file's index
 * key: printed beside the QR for typing in at the verify page. Needs the
 * key file, so a forger cannot make one. out has >= SL_CRED_CODE_LEN + 1. */
sl_status sl__cred_code(const sl_keyring *k, const char *serial,
                        char out[SL_CRED_CODE_LEN + 1]);
/* The month key "YYYY-MM" (UTC+8, the hall's time) of a time in ms. */
void      sl__cred_month(int64_t ms, char out[8]);
/* SL_OK if a person who already has issued_this_month credentials this
 * month may get one more under limit (>= 1); else SL_ERR_CRED_LIMIT. */
sl_status sl__cred_limit_check(unsigned issued_this_month, unsigned limit);

#endif
