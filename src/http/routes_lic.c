/*
 * routes_lic.c -- the route slice of issue 14 (electronic signatures,
 * licences, credentials; docs/licences.md). Registered with one line in
 * routes.c's slice list.
 *
 *   GET  /v1/esign/key     the hall's public signing key (sl__public_key
 *                          text), so anyone can check a signature offline
 *   POST /v1/esign/verify  checks a signature record (and, if given, the
 *                          document's hash): {valid, code, ...}
 */
#include <string.h>

#include "acct/acct.h"
#include "gov/lic.h"
#include "http/http_int.h"

static const sl_keyring *keys(const struct sl_req *r)
{
    return r->srv->o.acct ? sl__acct_keyring(r->srv->o.acct) : NULL;
}

static sl_status h_esign_key(struct sl_req *r)
{
    const sl_keyring *k = keys(r);
    if (!k)
        return SL_ERR_HTTP_UNAVAILABLE;
    char pub[SL_CRYPTO_PUBKEY_MAX];
    sl_status st = sl__public_key(k, 0, pub, sizeof pub);
    if (st != SL_OK)
        return st;
    return sl__reply_json(r, 200, json_pack("{s:s,s:s}", "suite",
                          sl__suite_name(sl__keyring_suite(k)), "public_key", pub));
}

/* The answer is 200 either way: {valid:false, code} says why a signature
 * does not hold; only a malformed request is a problem. */
static sl_status h_esign_verify(struct sl_req *r)
{
    const sl_keyring *k = keys(r);
    if (!k)
        return SL_ERR_HTTP_UNAVAILABLE;
    struct sl__esign rec;
    sl_status st = sl__esign_from_json(json_object_get(r->json, "signature"), &rec);
    if (st != SL_OK) {
        snprintf(r->detail, sizeof r->detail,
                 "signature must be an object {doc_hash, verification_id, result, "
                 "signed_at_ms, suite, kid, sig}");
        return st;
    }
    const char *want = sl_json_str(r->json, "doc_hash", NULL);
    if (want && strcmp(want, rec.doc_hash) != 0)
        st = SL_ERR_CRYPTO_SIGNATURE;
    else
        st = sl__esign_verify(k, NULL, 0, &rec);
    return sl__reply_json(r, 200, json_pack("{s:b,s:s,s:s,s:s,s:I,s:I}",
        "valid", st == SL_OK, "code", st == SL_OK ? "ok" : sl_status_name(st),
        "verification_id", rec.verification_id, "suite", rec.suite,
        "kid", (json_int_t)rec.kid, "signed_at_ms", (json_int_t)rec.signed_at_ms));
}

static const struct sl_schema s_hex64 = { .type = SL_S_STRING, .min_len = 64, .max_len = 64,
    .desc = "lower-case hex of the document's hash (SM3 | BLAKE2b-256)" };
static const struct sl_schema s_sigobj = { .type = SL_S_OBJECT,
    .desc = "a signature record: doc_hash, verification_id, result, signed_at_ms, suite, kid, sig" };
static const struct sl_field f_verify[] = {
    { "signature", &s_sigobj, true },
    { "doc_hash", &s_hex64, false },
    { NULL, NULL, false },
};
static const struct sl_schema s_verify_req = { .type = SL_S_OBJECT, .fields = f_verify };
static const struct sl_schema s_obj = { .type = SL_S_OBJECT };

#define KB ((size_t)1024)

const struct sl_route sl__lic_routes[] = {
    { "GET",  "/v1/esign/key",    h_esign_key,    SL_R_PUBLIC, 0, "default", NULL,
      NULL, &s_obj, "the hall's public signing key for checking e-signatures offline", "licences" },
    { "POST", "/v1/esign/verify", h_esign_verify, SL_R_PUBLIC, 4 * KB, "default", NULL,
      &s_verify_req, &s_obj, "check an e-signature record: {valid, code}", "licences" },
};
const size_t sl__lic_n_routes = SL_ARRAY_LEN(sl__lic_routes);
