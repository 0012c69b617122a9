/*
 * crypto_int.h -- private to src/crypto: the keyring structure and the
 * per-suite primitives (gm.c over OpenSSL libcrypto, intl.c over
 * libsodium). Tests include it to reach the primitives for known-answer
 * vectors; nothing outside src/crypto and tests/unit may.
 */
#ifndef SL_CRYPTO_INT_H
#define SL_CRYPTO_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "crypto/crypto.h"

#define SL_GM_PUB_BYTES   65   /* uncompressed SM2 point 04 || x || y        */
#define SL_ED_PUB_BYTES   32
#define SL_SIG_RAW_BYTES  64   /* r || s, or the Ed25519 signature           */
#define SL_SEAL_HDR_BYTES 9    /* magic(4) suite(1) kid(4)                   */
#define SL_SIG_HDR_BYTES  9

/* One symmetric master key and the subkeys derived from it at load. */
struct sym_key {
    uint32_t kid;
    uint8_t  master[SL_CRYPTO_KEY_BYTES];
    uint8_t  enc[SL_CRYPTO_KEY_BYTES];  /* gm: SM4 key = first 16; intl: AEAD */
    uint8_t  mac[SL_CRYPTO_KEY_BYTES];  /* gm: HMAC-SM3 key; intl: unused     */
};

/* One signing key pair. */
struct sign_key {
    uint32_t kid;
    uint8_t  seed[SL_CRYPTO_KEY_BYTES];  /* gm: SM2 scalar; intl: Ed25519 seed */
    uint8_t  pub[SL_GM_PUB_BYTES];       /* gm 65 bytes, intl first 32        */
    uint8_t  sk[64];                     /* intl: libsodium secret key        */
    void    *pkey;                       /* gm: EVP_PKEY (priv + pub); owned  */
};

/* Identity of the key file as last read, to notice a rewrite (rename gives
 * a new inode). */
struct fileid {
    uint64_t dev, ino, size;
    int64_t  mtime_s, mtime_ns;
};

struct sl_keyring {
    pthread_rwlock_t lock;        /* write: rotate/reload; read: all else  */
    char            *path;        /* key file; owned                       */
    sl_suite         suite;
    struct sym_key  *sym;         /* nsym entries, kids unique              */
    size_t           nsym;
    uint32_t         cur_sym;     /* kid of the current sym key             */
    struct sign_key *sig;         /* nsig entries                           */
    size_t           nsig;
    uint32_t         cur_sig;
    uint8_t          index[SL_CRYPTO_KEY_BYTES];   /* the sl__mac key       */
    struct fileid    fid;         /* the file the keys came from            */
    _Atomic uint64_t last_reload_ns;   /* throttles sl__open's auto-reload  */
    _Atomic uint64_t last_check_ns;    /* throttles sl__kr_refresh          */
};

/* ============================ gm.c (OpenSSL) ============================= */
sl_status sl__gm_init(void);
sl_status sl__gm_hashv(const struct sl_iov *v, size_t nv, uint8_t out[32]);
sl_status sl__gm_hmacv(const void *key, size_t keyn, const struct sl_iov *v,
                       size_t nv, uint8_t out[32]);
/* SM4-CTR with a 16-byte initial counter block; in and out may alias. */
sl_status sl__gm_sm4_ctr(const uint8_t key[16], const uint8_t iv[16],
                         const uint8_t *in, uint8_t *out, size_t n);
/* Keyed contexts reused over many messages (sl__opener): HMAC-SM3 with a
 * 32-byte key, SM4-CTR with a 16-byte key; NULL on failure. */
void     *sl__gm_hmac_ctx_new(const uint8_t key[32]);
sl_status sl__gm_hmac_ctx_run(void *c, const struct sl_iov *v, size_t nv, uint8_t out[32]);
void      sl__gm_hmac_ctx_free(void *c);
void     *sl__gm_sm4_ctx_new(const uint8_t key[16]);
sl_status sl__gm_sm4_ctx_ctr(void *c, const uint8_t iv[16], const uint8_t *in,
                             uint8_t *out, size_t n);
void      sl__gm_sm4_ctx_free(void *c);
/* One SM4 block (ECB), for the known-answer test. */
sl_status sl__gm_sm4_block(const uint8_t key[16], const uint8_t in[16],
                           uint8_t out[16]);
/* A random private scalar in [1, n-2]. */
sl_status sl__gm_keygen(uint8_t priv[32]);
/* pub = priv * G; SL_ERR_INVALID if priv is out of range. */
sl_status sl__gm_pub_from_priv(const uint8_t priv[32],
                               uint8_t pub[SL_GM_PUB_BYTES]);
/* An EVP_PKEY from pub (and priv when not NULL); SL_ERR_INVALID if pub is
 * not a point on the curve. */
sl_status sl__gm_pkey_new(const uint8_t *priv, const uint8_t pub[SL_GM_PUB_BYTES],
                          void **pkey);
void      sl__gm_pkey_free(void *pkey);
/* SM2 with SM3 and distinguishing ID id; sig is r || s. */
sl_status sl__gm_sign(void *pkey, const char *id, const void *msg, size_t n,
                      uint8_t sig[SL_SIG_RAW_BYTES]);
/* SL_OK or SL_ERR_CRYPTO_SIGNATURE. */
sl_status sl__gm_verify(void *pkey, const char *id, const void *msg,
                        size_t n, const uint8_t sig[SL_SIG_RAW_BYTES]);

/* ============================ keyring.c ================================== */
/* Lookups under a held lock; NULL if absent. */
const struct sym_key  *sl__kr_sym(const sl_keyring *k, uint32_t kid);
const struct sign_key *sl__kr_sign(const sl_keyring *k, uint32_t kid);
void sl__kr_rdlock(const sl_keyring *k);
void sl__kr_unlock(const sl_keyring *k);
/* At most once per SL_CRYPTO_REFRESH_MS: if the key file was rewritten
 * (another process rotated), reload it. Call without the lock held. */
void sl__kr_refresh(const sl_keyring *k);
/* KDF(key, label) with the suite's keyed hash. */
sl_status sl__kdf(sl_suite s, const uint8_t key[32], const char *label,
                  uint8_t out[32]);

#endif
