/*
 * crypto.c -- the suite-independent half of crypto.h: blob formats (seal,
 * sign), hashing and MACs dispatched by suite, the intl suite's libsodium
 * calls, passwords, random bytes, hex.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

static const uint8_t seal_magic[4] = { 'S', 'L', 'E', 1 };
static const uint8_t sig_magic[4]  = { 'S', 'L', 'S', 1 };

#define PW_MAX 4096

_Static_assert(SL_CRYPTO_SIG_BYTES == SL_SIG_HDR_BYTES + SL_SIG_RAW_BYTES,
               "signature blob = header + 64-byte signature (crypto.h)");
_Static_assert(SL_CRYPTO_SEAL_MAX_OVERHEAD == SL_SEAL_HDR_BYTES + 16 + 32,
               "gm seal overhead = header + SM4 counter block + HMAC-SM3");
_Static_assert(SL_SEAL_HDR_BYTES + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
               crypto_aead_xchacha20poly1305_ietf_ABYTES <= SL_CRYPTO_SEAL_MAX_OVERHEAD,
               "intl seal overhead within the documented maximum");
_Static_assert(crypto_pwhash_STRBYTES == SL_CRYPTO_PWHASH_BYTES,
               "password hash buffer matches libsodium's");

/* ============================ Init and suites ============================ */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static sl_status      init_status = SL_ERR_CRYPTO_LIB;

static void init_run(void)
{
    if (sodium_init() < 0)
        return;
    init_status = sl__gm_init();
}

sl_status sl__crypto_init(void)
{
    pthread_once(&init_once, init_run);
    return init_status;
}

sl_status sl__suite_parse(const char *name, sl_suite *out)
{
    if (name && strcmp(name, "gm") == 0)
        *out = SL_SUITE_GM;
    else if (name && strcmp(name, "intl") == 0)
        *out = SL_SUITE_INTL;
    else
        return SL_ERR_INVALID;
    return SL_OK;
}

const char *sl__suite_name(sl_suite s)
{
    return s == SL_SUITE_GM ? "gm" : s == SL_SUITE_INTL ? "intl" : "?";
}

static size_t nonce_bytes(sl_suite s)
{
    return s == SL_SUITE_GM ? 16 : crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
}

static size_t tag_bytes(sl_suite s)
{
    return s == SL_SUITE_GM ? 32 : crypto_aead_xchacha20poly1305_ietf_ABYTES;
}

size_t sl__seal_overhead(sl_suite s)
{
    return SL_SEAL_HDR_BYTES + nonce_bytes(s) + tag_bytes(s);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* ============================ Hashing and MACs =========================== */

sl_status sl__hashv(sl_suite s, const struct sl_iov *v, size_t nv,
                    uint8_t out[SL_CRYPTO_HASH_BYTES])
{
    sl_status st = sl__crypto_init();
    if (st != SL_OK)
        return st;
    if (s == SL_SUITE_GM)
        return sl__gm_hashv(v, nv, out);
    if (s != SL_SUITE_INTL)
        return SL_ERR_INVALID;
    crypto_generichash_state h;
    if (crypto_generichash_init(&h, NULL, 0, 32) != 0)
        return SL_ERR_CRYPTO_LIB;
    for (size_t i = 0; i < nv; i++)
        crypto_generichash_update(&h, v[i].p, v[i].n);
    crypto_generichash_final(&h, out, 32);
    return SL_OK;
}

sl_status sl__hash(sl_suite s, const void *p, size_t n,
                   uint8_t out[SL_CRYPTO_HASH_BYTES])
{
    struct sl_iov v = { p, n };
    return sl__hashv(s, &v, 1, out);
}

static sl_status macv(sl_suite s, const void *key, size_t keyn,
                      const struct sl_iov *v, size_t nv, uint8_t out[32])
{
    if (keyn < 1 || keyn > 64)
        return SL_ERR_INVALID;
    if (s == SL_SUITE_GM)
        return sl__gm_hmacv(key, keyn, v, nv, out);
    if (s != SL_SUITE_INTL)
        return SL_ERR_INVALID;
    /* keyed BLAKE2b needs keys of 16..64 bytes: shorter ones are hashed */
    uint8_t kb[32];
    if (keyn < crypto_generichash_KEYBYTES_MIN) {
        crypto_generichash(kb, 32, key, keyn, NULL, 0);
        key = kb;
        keyn = 32;
    }
    crypto_generichash_state h;
    if (crypto_generichash_init(&h, key, keyn, 32) != 0)
        return SL_ERR_CRYPTO_LIB;
    for (size_t i = 0; i < nv; i++)
        crypto_generichash_update(&h, v[i].p, v[i].n);
    crypto_generichash_final(&h, out, 32);
    sodium_memzero(kb, sizeof(kb));
    sodium_memzero(&h, sizeof(h));
    return SL_OK;
}

sl_status sl__mac_key(sl_suite s, const void *key, size_t keyn, const void *p,
                      size_t n, uint8_t out[SL_CRYPTO_HASH_BYTES])
{
    sl_status st = sl__crypto_init();
    if (st != SL_OK)
        return st;
    struct sl_iov v = { p, n };
    return macv(s, key, keyn, &v, 1, out);
}

sl_status sl__mac(const sl_keyring *k, const char *purpose, const void *p,
                  size_t n, uint8_t out[SL_CRYPTO_HASH_BYTES])
{
    size_t pl = purpose ? strlen(purpose) : 0;
    if (pl < 1 || pl > 64)
        return SL_ERR_INVALID;
    char label[80] = "shualian mac ";
    memcpy(label + 13, purpose, pl + 1);
    uint8_t sub[32];
    sl__kr_rdlock(k);
    sl_status st = sl__kdf(k->suite, k->index, label, sub);
    sl__kr_unlock(k);
    if (st == SL_OK)
        st = sl__mac_key(k->suite, sub, 32, p, n, out);
    sodium_memzero(sub, sizeof(sub));
    return st;
}

bool sl__ct_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

/* ============================ Sealing ====================================
 * gm tag = HMAC-SM3(mac subkey, u64(adn) || ad || header+nonce || body). */

static sl_status gm_tag(const struct sym_key *sk, const void *ad, size_t adn,
                        const uint8_t *hdr, size_t hdrn, const uint8_t *body,
                        size_t n, uint8_t tag[32])
{
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)adn >> (56 - 8 * i));
    struct sl_iov v[4] = { { len, 8 }, { ad, adn }, { hdr, hdrn }, { body, n } };
    return sl__gm_hmacv(sk->mac, 32, v, 4, tag);
}

/* Seals under the sym key sk, which the caller holds the read lock for. */
static sl_status seal_with(sl_suite s, const struct sym_key *sk,
                           const void *ad, size_t adn, const void *pt,
                           size_t n, uint8_t **ct, size_t *ctn)
{
    if (n > SL_CRYPTO_SEAL_MAX)
        return SL_ERR_TOO_LARGE;
    if ((adn && !ad) || (n && !pt))
        return SL_ERR_INVALID;
    size_t nb = nonce_bytes(s), hdrn = SL_SEAL_HDR_BYTES + nb;
    size_t total = n + sl__seal_overhead(s);
    uint8_t *out = sl__malloc(total);
    if (!out)
        return SL_ERR_NOMEM;
    memcpy(out, seal_magic, 4);
    out[4] = (uint8_t)s;
    put_u32(out + 5, sk->kid);
    sl__random(out + SL_SEAL_HDR_BYTES, nb);
    uint8_t *body = out + hdrn;
    sl_status st = SL_OK;
    if (s == SL_SUITE_GM) {
        st = sl__gm_sm4_ctr(sk->enc, out + SL_SEAL_HDR_BYTES, pt, body, n);
        if (st == SL_OK)
            st = gm_tag(sk, ad, adn, out, hdrn, body, n, body + n);
    } else {
        /* AD = header+nonce || caller's ad, as one buffer */
        uint8_t *fad = sl__malloc(hdrn + adn);
        if (!fad) {
            st = SL_ERR_NOMEM;
        } else {
            memcpy(fad, out, hdrn);
            if (adn)
                memcpy(fad + hdrn, ad, adn);
            unsigned long long cl = 0;
            if (crypto_aead_xchacha20poly1305_ietf_encrypt(body, &cl, pt, n,
                    fad, hdrn + adn, NULL, out + SL_SEAL_HDR_BYTES,
                    sk->enc) != 0 || cl != n + tag_bytes(s))
                st = SL_ERR_CRYPTO_LIB;
            sl__free(fad);
        }
    }
    if (st != SL_OK) {
        sl__free(out);
        return st;
    }
    *ct = out;
    *ctn = total;
    return SL_OK;
}

sl_status sl__seal(const sl_keyring *k, const void *ad, size_t adn,
                   const void *pt, size_t n, uint8_t **ct, size_t *ctn)
{
    sl__kr_refresh(k);
    sl__kr_rdlock(k);
    const struct sym_key *sk = sl__kr_sym(k, k->cur_sym);
    SL_ASSERT(sk);                          /* the loader guarantees it */
    sl_status st = seal_with(k->suite, sk, ad, adn, pt, n, ct, ctn);
    sl__kr_unlock(k);
    return st;
}

sl_status sl__sealed_kid(const uint8_t *ct, size_t ctn, uint32_t *kid)
{
    if (!ct || ctn < SL_SEAL_HDR_BYTES || memcmp(ct, seal_magic, 4) != 0)
        return SL_ERR_CRYPTO_FORMAT;
    if (ct[4] != SL_SUITE_GM && ct[4] != SL_SUITE_INTL)
        return SL_ERR_CRYPTO_SUITE;
    if (ctn < sl__seal_overhead((sl_suite)ct[4]))
        return SL_ERR_CRYPTO_FORMAT;
    *kid = get_u32(ct + 5);
    return SL_OK;
}

/* Opens with the lock held. */
static sl_status open_locked(const sl_keyring *k, const void *ad, size_t adn,
                             const uint8_t *ct, size_t ctn, uint8_t **pt,
                             size_t *n)
{
    uint32_t kid;
    sl_status st = sl__sealed_kid(ct, ctn, &kid);
    if (st != SL_OK)
        return st;
    sl_suite s = k->suite;
    if (ct[4] != s)
        return SL_ERR_CRYPTO_SUITE;
    if (adn && !ad)
        return SL_ERR_INVALID;
    const struct sym_key *sk = sl__kr_sym(k, kid);
    if (!sk)
        return SL_ERR_CRYPTO_KEY_UNKNOWN;
    size_t hdrn = SL_SEAL_HDR_BYTES + nonce_bytes(s);
    size_t bodyn = ctn - sl__seal_overhead(s);
    const uint8_t *body = ct + hdrn;
    uint8_t *out = sl__malloc(bodyn ? bodyn : 1);
    if (!out)
        return SL_ERR_NOMEM;
    if (s == SL_SUITE_GM) {
        uint8_t tag[32];
        st = gm_tag(sk, ad, adn, ct, hdrn, body, bodyn, tag);
        if (st == SL_OK && !sl__ct_equal(tag, body + bodyn, 32))
            st = SL_ERR_CRYPTO_AUTH;
        if (st == SL_OK)
            st = sl__gm_sm4_ctr(sk->enc, ct + SL_SEAL_HDR_BYTES, body, out,
                                bodyn);
    } else {
        uint8_t *fad = sl__malloc(hdrn + adn);
        if (!fad) {
            st = SL_ERR_NOMEM;
        } else {
            memcpy(fad, ct, hdrn);
            if (adn)
                memcpy(fad + hdrn, ad, adn);
            unsigned long long ml = 0;
            if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &ml, NULL,
                    body, bodyn + tag_bytes(s), fad, hdrn + adn,
                    ct + SL_SEAL_HDR_BYTES, sk->enc) != 0)
                st = SL_ERR_CRYPTO_AUTH;
            sl__free(fad);
        }
    }
    if (st != SL_OK) {
        sodium_memzero(out, bodyn);
        sl__free(out);
        return st;
    }
    *pt = out;
    *n = bodyn;
    return SL_OK;
}

sl_status sl__open(const sl_keyring *k, const void *ad, size_t adn,
                   const uint8_t *ct, size_t ctn, uint8_t **pt, size_t *n)
{
    sl__kr_rdlock(k);
    sl_status st = open_locked(k, ad, adn, ct, ctn, pt, n);
    sl__kr_unlock(k);
    if (st != SL_ERR_CRYPTO_KEY_UNKNOWN)
        return st;
    /* another process may have rotated the key file: re-read it, at most
     * once a second, and try again */
    uint64_t now = sl_time_mono_ns();
    uint64_t last = atomic_load(&k->last_reload_ns);
    if (last && now - last < 1000000000u)
        return st;
    if (sl__keyring_reload((sl_keyring *)k) != SL_OK)
        return st;
    sl__kr_rdlock(k);
    st = open_locked(k, ad, adn, ct, ctn, pt, n);
    sl__kr_unlock(k);
    return st;
}

/* ============================ Opener ===================================== */

#define OPENER_KEYS 8

struct sl_opener {
    const sl_keyring *k;
    sl_suite suite;
    size_t n;
    struct {
        uint32_t kid;
        void *hmac, *sm4;                    /* gm                         */
        uint8_t aead[SL_CRYPTO_KEY_BYTES];   /* intl                       */
    } keys[OPENER_KEYS];
};

sl_status sl__opener_new(const sl_keyring *k, sl_opener **out)
{
    sl_opener *o = sl__calloc(1, sizeof *o);
    if (!o)
        return SL_ERR_NOMEM;
    o->k = k;
    sl__kr_rdlock(k);
    o->suite = k->suite;
    sl__kr_unlock(k);
    *out = o;
    return SL_OK;
}

void sl__opener_free(sl_opener *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++) {
        sl__gm_hmac_ctx_free(o->keys[i].hmac);
        sl__gm_sm4_ctx_free(o->keys[i].sm4);
    }
    sodium_memzero(o, sizeof *o);
    sl__free(o);
}

/* The slot of key kid, set up from the keyring at its first use. */
static sl_status opener_key(sl_opener *o, uint32_t kid, size_t *slot)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->keys[i].kid == kid) {
            *slot = i;
            return SL_OK;
        }
    if (o->n == OPENER_KEYS)
        return SL_ERR_CRYPTO_KEY_UNKNOWN;   /* sl__open handles it */
    sl__kr_rdlock(o->k);
    const struct sym_key *sk = sl__kr_sym(o->k, kid);
    sl_status st = sk ? SL_OK : SL_ERR_CRYPTO_KEY_UNKNOWN;
    size_t i = o->n;
    o->keys[i].kid = kid;
    if (st == SL_OK && o->suite == SL_SUITE_GM) {
        o->keys[i].hmac = sl__gm_hmac_ctx_new(sk->mac);
        o->keys[i].sm4 = sl__gm_sm4_ctx_new(sk->enc);
        if (!o->keys[i].hmac || !o->keys[i].sm4) {
            sl__gm_hmac_ctx_free(o->keys[i].hmac);
            sl__gm_sm4_ctx_free(o->keys[i].sm4);
            o->keys[i].hmac = o->keys[i].sm4 = NULL;
            st = SL_ERR_CRYPTO_LIB;
        }
    } else if (st == SL_OK) {
        memcpy(o->keys[i].aead, sk->enc, sizeof o->keys[i].aead);
    }
    sl__kr_unlock(o->k);
    if (st == SL_OK) {
        o->n++;
        *slot = i;
    }
    return st;
}

sl_status sl__opener_open(sl_opener *o, const void *ad, size_t adn, const uint8_t *ct,
                          size_t ctn, void *pt, size_t cap, size_t *n)
{
    uint32_t kid;
    sl_status st = sl__sealed_kid(ct, ctn, &kid);
    if (st != SL_OK)
        return st;
    sl_suite s = o->suite;
    if (ct[4] != s)
        return SL_ERR_CRYPTO_SUITE;
    if (adn && !ad)
        return SL_ERR_INVALID;
    size_t hdrn = SL_SEAL_HDR_BYTES + nonce_bytes(s);
    size_t bodyn = ctn - sl__seal_overhead(s);
    const uint8_t *body = ct + hdrn;
    if (bodyn > cap)
        return SL_ERR_TOO_LARGE;
    size_t slot = 0;
    st = opener_key(o, kid, &slot);
    if (st != SL_OK)
        return st;
    if (s == SL_SUITE_GM) {
        uint8_t len[8], tag[32];
        for (int i = 0; i < 8; i++)
            len[i] = (uint8_t)((uint64_t)adn >> (56 - 8 * i));
        struct sl_iov v[4] = { { len, 8 }, { ad, adn }, { ct, hdrn }, { body, bodyn } };
        st = sl__gm_hmac_ctx_run(o->keys[slot].hmac, v, 4, tag);
        if (st == SL_OK && !sl__ct_equal(tag, body + bodyn, 32))
            st = SL_ERR_CRYPTO_AUTH;
        if (st == SL_OK)
            st = sl__gm_sm4_ctx_ctr(o->keys[slot].sm4, ct + SL_SEAL_HDR_BYTES, body, pt, bodyn);
    } else {
        uint8_t fadb[256];
        uint8_t *fad = hdrn + adn <= sizeof fadb ? fadb : sl__malloc(hdrn + adn);
        if (!fad)
            return SL_ERR_NOMEM;
        memcpy(fad, ct, hdrn);
        if (adn)
            memcpy(fad + hdrn, ad, adn);
        unsigned long long ml = 0;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ml, NULL, body,
                bodyn + tag_bytes(s), fad, hdrn + adn, ct + SL_SEAL_HDR_BYTES,
                o->keys[slot].aead) != 0)
            st = SL_ERR_CRYPTO_AUTH;
        if (fad != fadb)
            sl__free(fad);
    }
    if (st != SL_OK) {
        sodium_memzero(pt, bodyn);
        return st;
    }
    *n = bodyn;
    return SL_OK;
}

sl_status sl__reseal(const sl_keyring *k, const void *ad, size_t adn,
                     const uint8_t *ct, size_t ctn, uint8_t **out,
                     size_t *outn)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    sl_status st = sl__open(k, ad, adn, ct, ctn, &pt, &n);
    if (st != SL_OK)
        return st;
    st = sl__seal(k, ad, adn, pt, n, out, outn);
    sodium_memzero(pt, n);
    sl__free(pt);
    return st;
}

/* ============================ Signatures ================================= */

static sl_status sign_raw(sl_suite s, const struct sign_key *key,
                          const void *msg, size_t n, uint8_t raw[64])
{
    if (s == SL_SUITE_GM)
        return sl__gm_sign(key->pkey, SL_CRYPTO_SM2_ID, msg, n, raw);
    unsigned long long sl = 0;
    if (crypto_sign_detached(raw, &sl, msg, n, key->sk) != 0 || sl != 64)
        return SL_ERR_CRYPTO_LIB;
    return SL_OK;
}

sl_status sl__sign(const sl_keyring *k, const void *msg, size_t n,
                   uint8_t sig[SL_CRYPTO_SIG_BYTES])
{
    if (n && !msg)
        return SL_ERR_INVALID;
    sl__kr_refresh(k);
    sl__kr_rdlock(k);
    const struct sign_key *key = sl__kr_sign(k, k->cur_sig);
    SL_ASSERT(key);
    memcpy(sig, sig_magic, 4);
    sig[4] = (uint8_t)k->suite;
    put_u32(sig + 5, key->kid);
    sl_status st = sign_raw(k->suite, key, msg, n, sig + SL_SIG_HDR_BYTES);
    sl__kr_unlock(k);
    return st;
}

/* Checks the blob's header; *kid is its key id. */
static sl_status sig_header(sl_suite s, const uint8_t *sig, size_t sign,
                            uint32_t *kid)
{
    if (!sig || sign != SL_CRYPTO_SIG_BYTES || memcmp(sig, sig_magic, 4) != 0)
        return SL_ERR_CRYPTO_FORMAT;
    if (sig[4] != s)
        return SL_ERR_CRYPTO_SUITE;
    *kid = get_u32(sig + 5);
    return SL_OK;
}

static sl_status verify_raw(sl_suite s, void *pkey, const uint8_t *pub,
                            const void *msg, size_t n, const uint8_t raw[64])
{
    if (s == SL_SUITE_GM)
        return sl__gm_verify(pkey, SL_CRYPTO_SM2_ID, msg, n, raw);
    return crypto_sign_verify_detached(raw, msg, n, pub) == 0
               ? SL_OK : SL_ERR_CRYPTO_SIGNATURE;
}

sl_status sl__verify(const sl_keyring *k, const void *msg, size_t n,
                     const uint8_t *sig, size_t sign)
{
    if (n && !msg)
        return SL_ERR_INVALID;
    uint32_t kid;
    sl_status st = sig_header(k->suite, sig, sign, &kid);
    if (st != SL_OK)
        return st;
    sl__kr_rdlock(k);
    const struct sign_key *key = sl__kr_sign(k, kid);
    st = key ? verify_raw(k->suite, key->pkey, key->pub, msg, n,
                          sig + SL_SIG_HDR_BYTES)
             : SL_ERR_CRYPTO_KEY_UNKNOWN;
    sl__kr_unlock(k);
    return st;
}

sl_status sl__public_key(const sl_keyring *k, uint32_t kid, char *out,
                         size_t cap)
{
    if (cap < SL_CRYPTO_PUBKEY_MAX)
        return SL_ERR_INVALID;
    sl__kr_rdlock(k);
    const struct sign_key *key = sl__kr_sign(k, kid ? kid : k->cur_sig);
    sl_status st = SL_ERR_CRYPTO_KEY_UNKNOWN;
    if (key) {
        size_t pl = k->suite == SL_SUITE_GM ? SL_GM_PUB_BYTES : SL_ED_PUB_BYTES;
        int w = snprintf(out, cap, "%s:%u:", sl__suite_name(k->suite),
                         (unsigned)key->kid);
        sodium_bin2base64(out + w, cap - (size_t)w, key->pub, pl,
                          sodium_base64_VARIANT_ORIGINAL);
        st = SL_OK;
    }
    sl__kr_unlock(k);
    return st;
}

sl_status sl__verify_public(const char *pubkey, const void *msg, size_t n,
                            const uint8_t *sig, size_t sign)
{
    sl_status st = sl__crypto_init();
    if (st != SL_OK)
        return st;
    if (!pubkey || (n && !msg))
        return SL_ERR_INVALID;
    const char *c1 = strchr(pubkey, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || (size_t)(c1 - pubkey) > 8 || (size_t)(c2 - c1 - 1) > 10)
        return SL_ERR_CRYPTO_FORMAT;
    char sname[9], kbuf[11];
    memcpy(sname, pubkey, (size_t)(c1 - pubkey));
    sname[c1 - pubkey] = '\0';
    memcpy(kbuf, c1 + 1, (size_t)(c2 - c1 - 1));
    kbuf[c2 - c1 - 1] = '\0';
    sl_suite s;
    if (sl__suite_parse(sname, &s) != SL_OK)
        return SL_ERR_CRYPTO_FORMAT;
    uint32_t kid;
    if ((st = sig_header(s, sig, sign, &kid)) != SL_OK)
        return st;
    char *end = NULL;
    unsigned long pk = strtoul(kbuf, &end, 10);
    if (!*kbuf || *end || pk != kid)
        return SL_ERR_CRYPTO_KEY_UNKNOWN;
    uint8_t pub[SL_GM_PUB_BYTES];
    size_t want = s == SL_SUITE_GM ? SL_GM_PUB_BYTES : SL_ED_PUB_BYTES, got = 0;
    if (sodium_base642bin(pub, sizeof(pub), c2 + 1, strlen(c2 + 1), NULL,
                          &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != want)
        return SL_ERR_CRYPTO_FORMAT;
    if (s == SL_SUITE_INTL)
        return verify_raw(s, NULL, pub, msg, n, sig + SL_SIG_HDR_BYTES);
    void *pkey = NULL;
    st = sl__gm_pkey_new(NULL, pub, &pkey);
    if (st == SL_ERR_INVALID)
        return SL_ERR_CRYPTO_FORMAT;
    if (st != SL_OK)
        return st;
    st = verify_raw(s, pkey, pub, msg, n, sig + SL_SIG_HDR_BYTES);
    sl__gm_pkey_free(pkey);
    return st;
}

/* ============================ Passwords and random ======================= */

sl_status sl__password_hash(const char *pw, char out[SL_CRYPTO_PWHASH_BYTES])
{
    sl_status st = sl__crypto_init();
    if (st != SL_OK)
        return st;
    size_t n = pw ? strnlen(pw, PW_MAX + 1) : 0;
    if (!pw)
        return SL_ERR_INVALID;
    if (n > PW_MAX)
        return SL_ERR_TOO_LARGE;
    if (crypto_pwhash_str(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return SL_ERR_NOMEM;
    return SL_OK;
}

bool sl__password_check(const char *hash, const char *pw)
{
    if (sl__crypto_init() != SL_OK || !hash || !pw)
        return false;
    size_t n = strnlen(pw, PW_MAX + 1);
    if (n > PW_MAX || strnlen(hash, SL_CRYPTO_PWHASH_BYTES) >= SL_CRYPTO_PWHASH_BYTES)
        return false;
    return crypto_pwhash_str_verify(hash, pw, n) == 0;
}

bool sl__password_needs_rehash(const char *hash)
{
    if (sl__crypto_init() != SL_OK || !hash)
        return true;
    return crypto_pwhash_str_needs_rehash(hash,
               crypto_pwhash_OPSLIMIT_INTERACTIVE,
               crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

void sl__random(void *p, size_t n)
{
    SL_ASSERT(sl__crypto_init() == SL_OK);
    randombytes_buf(p, n);
}

uint32_t sl__random_below(uint32_t upper)
{
    SL_ASSERT(upper >= 1 && sl__crypto_init() == SL_OK);
    return randombytes_uniform(upper);
}

sl_status sl__random_token(char *out, size_t cap, size_t nbytes)
{
    if (nbytes == 0 || nbytes > 256 ||
        cap < sodium_base64_ENCODED_LEN(nbytes,
                  sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return SL_ERR_INVALID;
    uint8_t b[256];
    sl__random(b, nbytes);
    sodium_bin2base64(out, cap, b, nbytes,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(b, nbytes);
    return SL_OK;
}

/* ============================ Hex ======================================== */

sl_status sl__hex_encode(char *out, size_t cap, const void *p, size_t n)
{
    if (n > (SIZE_MAX - 1) / 2 || cap < 2 * n + 1)
        return SL_ERR_INVALID;
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
    return SL_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

sl_status sl__hex_decode(uint8_t *out, size_t n, const char *hex)
{
    if (!hex || strnlen(hex, 2 * n + 1) != 2 * n)
        return SL_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return SL_ERR_INVALID;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return SL_OK;
}
