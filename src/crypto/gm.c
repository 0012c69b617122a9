/*
 * gm.c -- the gm suite's primitives over OpenSSL 3 libcrypto: SM3, HMAC-SM3
 * (EVP_MAC), SM4-CTR and SM4-ECB (for the KAT), SM2 signatures with SM3 and
 * an explicit distinguishing ID (EVP_PKEY_CTX_set1_id on the pkey ctx of
 * the EVP_MD_CTX, for both sign and verify).
 *
 * The algorithm objects are fetched once (sl__gm_init, from
 * sl__crypto_init) and are read-only afterwards, so every function here may
 * run on any thread. Contexts are per call. Signatures are returned as the
 * fixed 64-byte r || s, not DER, so the blob format has one length.
 */
#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto_int.h"

static EVP_MD     *md_sm3;
static EVP_MAC    *mac_hmac;
static EVP_CIPHER *ciph_ctr;
static EVP_CIPHER *ciph_ecb;
static EC_GROUP   *group;      /* SM2 recommended curve */

sl_status sl__gm_init(void)
{
    md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
    mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ciph_ctr = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
    ciph_ecb = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
    group = EC_GROUP_new_by_curve_name(NID_sm2);
    if (!md_sm3 || !mac_hmac || !ciph_ctr || !ciph_ecb || !group)
        return SL_ERR_CRYPTO_LIB;
    return SL_OK;
}

/* ============================ SM3, HMAC-SM3 ============================== */

sl_status sl__gm_hashv(const struct sl_iov *v, size_t nv, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return SL_ERR_NOMEM;
    sl_status st = SL_ERR_CRYPTO_LIB;
    unsigned outn = 0;
    if (EVP_DigestInit_ex2(c, md_sm3, NULL) != 1)
        goto out;
    for (size_t i = 0; i < nv; i++)
        if (v[i].n && EVP_DigestUpdate(c, v[i].p, v[i].n) != 1)
            goto out;
    if (EVP_DigestFinal_ex(c, out, &outn) == 1 && outn == 32)
        st = SL_OK;
out:
    EVP_MD_CTX_free(c);
    return st;
}

sl_status sl__gm_hmacv(const void *key, size_t keyn, const struct sl_iov *v,
                       size_t nv, uint8_t out[32])
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac_hmac);
    if (!c)
        return SL_ERR_NOMEM;
    sl_status st = SL_ERR_CRYPTO_LIB;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SM3", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t outn = 0;
    if (EVP_MAC_init(c, key, keyn, params) != 1)
        goto out;
    for (size_t i = 0; i < nv; i++)
        if (v[i].n && EVP_MAC_update(c, v[i].p, v[i].n) != 1)
            goto out;
    if (EVP_MAC_final(c, out, &outn, 32) == 1 && outn == 32)
        st = SL_OK;
out:
    EVP_MAC_CTX_free(c);
    return st;
}

/* A keyed HMAC-SM3 context reused over many messages (sl__opener): the key
 * is set once; each run re-initialises with the same key (a NULL key). */
void *sl__gm_hmac_ctx_new(const uint8_t key[32])
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac_hmac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SM3", 0),
        OSSL_PARAM_construct_end(),
    };
    if (c && EVP_MAC_init(c, key, 32, params) != 1) {
        EVP_MAC_CTX_free(c);
        c = NULL;
    }
    return c;
}

sl_status sl__gm_hmac_ctx_run(void *ctx, const struct sl_iov *v, size_t nv, uint8_t out[32])
{
    EVP_MAC_CTX *c = ctx;
    size_t outn = 0;
    if (EVP_MAC_init(c, NULL, 0, NULL) != 1)
        return SL_ERR_CRYPTO_LIB;
    for (size_t i = 0; i < nv; i++)
        if (v[i].n && EVP_MAC_update(c, v[i].p, v[i].n) != 1)
            return SL_ERR_CRYPTO_LIB;
    return EVP_MAC_final(c, out, &outn, 32) == 1 && outn == 32 ? SL_OK : SL_ERR_CRYPTO_LIB;
}

void sl__gm_hmac_ctx_free(void *ctx)
{
    EVP_MAC_CTX_free(ctx);
}

/* ============================ SM4 ======================================== */

static sl_status sm4_run(const EVP_CIPHER *ci, const uint8_t key[16],
                         const uint8_t *iv, const uint8_t *in, uint8_t *out,
                         size_t n)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return SL_ERR_NOMEM;
    sl_status st = SL_ERR_CRYPTO_LIB;
    if (EVP_EncryptInit_ex2(c, ci, key, iv, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(c, 0) != 1)
        goto out;
    size_t done = 0;
    while (done < n) {
        int chunk = (int)SL_MIN(n - done, (size_t)1 << 30), got = 0;
        if (EVP_EncryptUpdate(c, out + done, &got, in + done, chunk) != 1 ||
            got != chunk)
            goto out;
        done += (size_t)chunk;
    }
    int fin = 0;
    uint8_t tail[16];
    if (EVP_EncryptFinal_ex(c, tail, &fin) == 1 && fin == 0)
        st = SL_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return st;
}

sl_status sl__gm_sm4_ctr(const uint8_t key[16], const uint8_t iv[16],
                         const uint8_t *in, uint8_t *out, size_t n)
{
    return sm4_run(ciph_ctr, key, iv, in, out, n);
}

/* An SM4-CTR context keyed once (the key schedule kept); each run sets a
 * new initial counter block. */
void *sl__gm_sm4_ctx_new(const uint8_t key[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c && (EVP_EncryptInit_ex2(c, ciph_ctr, key, NULL, NULL) != 1 ||
              EVP_CIPHER_CTX_set_padding(c, 0) != 1)) {
        EVP_CIPHER_CTX_free(c);
        c = NULL;
    }
    return c;
}

sl_status sl__gm_sm4_ctx_ctr(void *ctx, const uint8_t iv[16], const uint8_t *in,
                             uint8_t *out, size_t n)
{
    EVP_CIPHER_CTX *c = ctx;
    if (EVP_EncryptInit_ex2(c, NULL, NULL, iv, NULL) != 1)
        return SL_ERR_CRYPTO_LIB;
    size_t done = 0;
    while (done < n) {
        int chunk = (int)SL_MIN(n - done, (size_t)1 << 30), got = 0;
        if (EVP_EncryptUpdate(c, out + done, &got, in + done, chunk) != 1 || got != chunk)
            return SL_ERR_CRYPTO_LIB;
        done += (size_t)chunk;
    }
    return SL_OK;
}

void sl__gm_sm4_ctx_free(void *ctx)
{
    EVP_CIPHER_CTX_free(ctx);
}

sl_status sl__gm_sm4_block(const uint8_t key[16], const uint8_t in[16],
                           uint8_t out[16])
{
    return sm4_run(ciph_ecb, key, NULL, in, out, 16);
}

/* ============================ SM2 keys =================================== */

sl_status sl__gm_pub_from_priv(const uint8_t priv[32],
                               uint8_t pub[SL_GM_PUB_BYTES])
{
    sl_status st = SL_ERR_NOMEM;
    BIGNUM *d = BN_secure_new(), *lim = BN_new();
    EC_POINT *pt = EC_POINT_new(group);
    if (!d || !lim || !pt)
        goto out;
    st = SL_ERR_CRYPTO_LIB;
    if (!BN_bin2bn(priv, 32, d) || !BN_copy(lim, EC_GROUP_get0_order(group)) ||
        !BN_sub_word(lim, 1))
        goto out;
    /* SM2 private keys are in [1, n-2]: d < n-1 */
    if (BN_is_zero(d) || BN_cmp(d, lim) >= 0) {
        st = SL_ERR_INVALID;
        goto out;
    }
    if (EC_POINT_mul(group, pt, d, NULL, NULL, NULL) != 1 ||
        EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
                           SL_GM_PUB_BYTES, NULL) != SL_GM_PUB_BYTES)
        goto out;
    st = SL_OK;
out:
    EC_POINT_free(pt);
    BN_free(lim);
    BN_clear_free(d);
    return st;
}

sl_status sl__gm_keygen(uint8_t priv[32])
{
    uint8_t pub[SL_GM_PUB_BYTES];
    for (int tries = 0; tries < 64; tries++) {
        sl__random(priv, 32);
        sl_status st = sl__gm_pub_from_priv(priv, pub);
        if (st != SL_ERR_INVALID)
            return st;
    }
    return SL_ERR_CRYPTO_LIB;        /* 64 rejections: the RNG is broken */
}

sl_status sl__gm_pkey_new(const uint8_t *priv,
                          const uint8_t pub[SL_GM_PUB_BYTES], void **pkey)
{
    sl_status st = SL_ERR_NOMEM;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    BIGNUM *d = NULL;
    EVP_PKEY *pk = NULL;
    if (!bld || !ctx)
        goto out;
    if (priv && !(d = BN_secure_new()))
        goto out;
    st = SL_ERR_CRYPTO_LIB;
    if (d && !BN_bin2bn(priv, 32, d))
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                         "SM2", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                          SL_GM_PUB_BYTES) ||
        (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
        goto out;
    if (!(params = OSSL_PARAM_BLD_to_param(bld)))
        goto out;
    if (EVP_PKEY_fromdata_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_fromdata(ctx, &pk, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) != 1) {
        st = SL_ERR_INVALID;       /* e.g. the point is not on the curve */
        ERR_clear_error();
        goto out;
    }
    *pkey = pk;
    st = SL_OK;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(d);
    return st;
}

void sl__gm_pkey_free(void *pkey)
{
    EVP_PKEY_free(pkey);
}

/* ============================ SM2 sign/verify ============================
 * The calling sequence of EVP_PKEY-SM2(7): a pkey ctx with the ID set,
 * attached to the digest ctx before DigestSign/VerifyInit. */

static sl_status md_ctx_for(EVP_PKEY *pk, const char *id, bool sign,
                            EVP_MD_CTX **mout, EVP_PKEY_CTX **pout)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    if (!m || !p) {
        EVP_MD_CTX_free(m);
        EVP_PKEY_CTX_free(p);
        return SL_ERR_NOMEM;
    }
    EVP_MD_CTX_set_pkey_ctx(m, p);
    int ok = sign ? EVP_DigestSignInit(m, NULL, md_sm3, NULL, pk)
                  : EVP_DigestVerifyInit(m, NULL, md_sm3, NULL, pk);
    /* the Z digest (which hashes the ID) is computed at the first update,
     * so setting the ID right after init is in time */
    if (ok == 1)
        ok = EVP_PKEY_CTX_set1_id(p, id, strlen(id));
    if (ok != 1) {
        EVP_MD_CTX_free(m);
        EVP_PKEY_CTX_free(p);
        return SL_ERR_CRYPTO_LIB;
    }
    *mout = m;
    *pout = p;
    return SL_OK;
}

sl_status sl__gm_sign(void *pkey, const char *id, const void *msg, size_t n,
                      uint8_t sig[SL_SIG_RAW_BYTES])
{
    EVP_MD_CTX *m;
    EVP_PKEY_CTX *p;
    sl_status st = md_ctx_for(pkey, id, true, &m, &p);
    if (st != SL_OK)
        return st;
    st = SL_ERR_CRYPTO_LIB;
    uint8_t der[80];
    size_t dern = sizeof(der);
    ECDSA_SIG *es = NULL;
    const BIGNUM *r, *s;
    if (EVP_DigestSignUpdate(m, msg, n) != 1 ||
        EVP_DigestSignFinal(m, der, &dern) != 1)
        goto out;
    const unsigned char *q = der;
    if (!(es = d2i_ECDSA_SIG(NULL, &q, (long)dern)))
        goto out;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        goto out;
    st = SL_OK;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(m);
    EVP_PKEY_CTX_free(p);
    return st;
}

sl_status sl__gm_verify(void *pkey, const char *id, const void *msg,
                        size_t n, const uint8_t sig[SL_SIG_RAW_BYTES])
{
    sl_status st = SL_ERR_NOMEM;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    if (!es || !r || !s) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return st;
    }
    ECDSA_SIG_set0(es, r, s);        /* es owns r and s now */
    int dern = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (dern <= 0)
        return SL_ERR_CRYPTO_LIB;
    EVP_MD_CTX *m;
    EVP_PKEY_CTX *p;
    st = md_ctx_for(pkey, id, false, &m, &p);
    if (st == SL_OK) {
        int ok = EVP_DigestVerifyUpdate(m, msg, n);
        if (ok == 1)
            ok = EVP_DigestVerifyFinal(m, der, (size_t)dern);
        /* 0 = bad signature; < 0 = malformed (e.g. r or s out of range) */
        st = ok == 1 ? SL_OK : SL_ERR_CRYPTO_SIGNATURE;
        if (ok != 1)
            ERR_clear_error();     /* keep the thread's error queue empty */
        EVP_MD_CTX_free(m);
        EVP_PKEY_CTX_free(p);
    }
    OPENSSL_free(der);
    return st;
}
