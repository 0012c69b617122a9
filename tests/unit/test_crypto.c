/*
 * test_crypto.c -- unit tests for src/crypto: known-answer vectors from the
 * standards (SM3 GB/T 32905, SM4 GB/T 32907, SM2 GB/T 32918.5 / GM/T
 * 0003.5 Annex A, BLAKE2b RFC 7693, Ed25519 RFC 8032, XChaCha20-Poly1305
 * draft-irtf-cfrg-xchacha A.3.1), round trips of both suites, tampering,
 * wrong associated data, key rotation, signatures, key file permissions and
 * format, allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/crypto_int.h"
#include "test.h"

static const sl_suite suites[] = { SL_SUITE_GM, SL_SUITE_INTL };

/* hex -> bytes into out (n bytes); aborts on a bad literal (a test bug). */
static void unhex(uint8_t *out, size_t n, const char *hex)
{
    SL_ASSERT(sl__hex_decode(out, n, hex) == SL_OK);
}

static bool eq_hex(const uint8_t *p, size_t n, const char *hex)
{
    uint8_t want[256];
    SL_ASSERT(n <= sizeof(want));
    unhex(want, n, hex);
    return memcmp(p, want, n) == 0;
}

/* A fresh temp dir; path of "<dir>/<name>" into out. */
static const char *tmp_path(char *out, size_t cap, const char *name)
{
    char dir[] = "/tmp/sl-crypto-XXXXXX";
    SL_ASSERT(mkdtemp(dir));
    snprintf(out, cap, "%s/%s", dir, name);
    return out;
}

/* Removes the key file and its companions, then the dir. */
static void tmp_clean(const char *path)
{
    char p[512];
    unlink(path);
    snprintf(p, sizeof(p), "%s.lock", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s.tmp", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s", path);
    char *slash = strrchr(p, '/');
    if (slash) {
        *slash = '\0';
        rmdir(p);
    }
}

static sl_keyring *new_ring(struct sl_t *t, sl_suite s, char *path, size_t cap)
{
    tmp_path(path, cap, "keys");
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, s, true, &k), SL_OK);
    SL_ASSERT(k);
    return k;
}

/* Writes text as a key file with the given mode. */
static void write_keyfile(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    SL_ASSERT(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* ============================ Known answers ============================== */

SL_TEST(crypto, sm3_kat)
{
    /* GB/T 32905-2016 Appendix A, examples 1 and 2 */
    uint8_t h[32];
    SL_CHECK_EQ(t, sl__hash(SL_SUITE_GM, "abc", 3, h), SL_OK);
    SL_CHECK(t, eq_hex(h, 32, "66c7f0f462eeedd9d1f2d46bdc10e4e2"
                              "4167c4875cf2f7a2297da02b8f4ba8e0"));
    char m[65] = { 0 };
    for (int i = 0; i < 16; i++)
        memcpy(m + 4 * i, "abcd", 4);
    SL_CHECK_EQ(t, sl__hash(SL_SUITE_GM, m, 64, h), SL_OK);
    SL_CHECK(t, eq_hex(h, 32, "debe9ff92275b8a138604889c18e5a4d"
                              "6fdb70e5387e5765293dcba39c0c5732"));
    /* the same through sl__hashv in pieces */
    struct sl_iov v[3] = { { m, 10 }, { NULL, 0 }, { m + 10, 54 } };
    uint8_t h2[32];
    SL_CHECK_EQ(t, sl__hashv(SL_SUITE_GM, v, 3, h2), SL_OK);
    SL_CHECK(t, memcmp(h, h2, 32) == 0);
}

SL_TEST(crypto, sm4_kat)
{
    /* GB/T 32907-2016 Appendix A, example 1: key = plaintext */
    uint8_t key[16], x[16];
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);    /* the primitives need it */
    unhex(key, 16, "0123456789abcdeffedcba9876543210");
    SL_CHECK_EQ(t, sl__gm_sm4_block(key, key, x), SL_OK);
    SL_CHECK(t, eq_hex(x, 16, "681edf34d206965e86b3e94f536e4246"));
    /* example 2 (1,000,000 encryptions) only with SL_SLOW=1: ~1 s */
    const char *slow = getenv("SL_SLOW");
    if (slow && strcmp(slow, "1") == 0) {
        memcpy(x, key, 16);
        for (int i = 0; i < 1000000; i++)
            SL_ASSERT(sl__gm_sm4_block(key, x, x) == SL_OK);
        SL_CHECK(t, eq_hex(x, 16, "595298c7c6fd271f0402f804c33d3f66"));
    }
    /* CTR with a zero counter block: keystream block 1 = E(0) */
    uint8_t iv[16] = { 0 }, z[32] = { 0 }, ks[32], e0[16];
    SL_CHECK_EQ(t, sl__gm_sm4_ctr(key, iv, z, ks, 32), SL_OK);
    SL_CHECK_EQ(t, sl__gm_sm4_block(key, iv, e0), SL_OK);
    SL_CHECK(t, memcmp(ks, e0, 16) == 0);
    iv[15] = 1;
    SL_CHECK_EQ(t, sl__gm_sm4_block(key, iv, e0), SL_OK);
    SL_CHECK(t, memcmp(ks + 16, e0, 16) == 0);     /* counter incremented */
}

/* GB/T 32918.5-2017 / GM/T 0003.5-2012 Annex A: signature on the
 * recommended curve with the default ID "1234567812345678". */
#define SM2_D  "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
#define SM2_XA "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
#define SM2_YA "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
#define SM2_R  "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
#define SM2_S  "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"

SL_TEST(crypto, sm2_kat)
{
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    uint8_t d[32], pub[65], sig[64];
    unhex(d, 32, SM2_D);
    SL_CHECK_EQ(t, sl__gm_pub_from_priv(d, pub), SL_OK);
    SL_CHECK(t, pub[0] == 0x04 && eq_hex(pub + 1, 32, SM2_XA) &&
                eq_hex(pub + 33, 32, SM2_YA));
    unhex(sig, 32, SM2_R);
    unhex(sig + 32, 32, SM2_S);
    void *pk = NULL;
    SL_CHECK_EQ(t, sl__gm_pkey_new(NULL, pub, &pk), SL_OK);     /* public only */
    const char *msg = "message digest";
    SL_CHECK_EQ(t, sl__gm_verify(pk, SL_CRYPTO_SM2_ID, msg, strlen(msg), sig),
                SL_OK);
    /* a different distinguishing ID changes Z and so the signature */
    SL_CHECK_EQ(t, sl__gm_verify(pk, "ALICE123@YAHOO.COM", msg, strlen(msg), sig),
                SL_ERR_CRYPTO_SIGNATURE);
    SL_CHECK_EQ(t, sl__gm_verify(pk, SL_CRYPTO_SM2_ID, "message digesT", 14, sig),
                SL_ERR_CRYPTO_SIGNATURE);
    sig[63] ^= 1;
    SL_CHECK_EQ(t, sl__gm_verify(pk, SL_CRYPTO_SM2_ID, msg, strlen(msg), sig),
                SL_ERR_CRYPTO_SIGNATURE);
    sl__gm_pkey_free(pk);

    /* sign -> verify round trip with the key pair, and the ID matters */
    SL_CHECK_EQ(t, sl__gm_pkey_new(d, pub, &pk), SL_OK);
    SL_CHECK_EQ(t, sl__gm_sign(pk, SL_CRYPTO_SM2_ID, msg, 14, sig), SL_OK);
    SL_CHECK_EQ(t, sl__gm_verify(pk, SL_CRYPTO_SM2_ID, msg, 14, sig), SL_OK);
    SL_CHECK_EQ(t, sl__gm_verify(pk, "ALICE123@YAHOO.COM", msg, 14, sig),
                SL_ERR_CRYPTO_SIGNATURE);
    SL_CHECK_EQ(t, sl__gm_sign(pk, "ALICE123@YAHOO.COM", msg, 14, sig), SL_OK);
    SL_CHECK_EQ(t, sl__gm_verify(pk, "ALICE123@YAHOO.COM", msg, 14, sig), SL_OK);
    SL_CHECK_EQ(t, sl__gm_verify(pk, SL_CRYPTO_SM2_ID, msg, 14, sig),
                SL_ERR_CRYPTO_SIGNATURE);
    sl__gm_pkey_free(pk);

    /* out-of-range scalars and off-curve points are refused */
    uint8_t zero[32] = { 0 };
    SL_CHECK_EQ(t, sl__gm_pub_from_priv(zero, pub), SL_ERR_INVALID);
    uint8_t bad[65];
    memcpy(bad, pub, 65);
    bad[64] ^= 1;
    pk = NULL;
    SL_CHECK_EQ(t, sl__gm_pkey_new(NULL, bad, &pk), SL_ERR_INVALID);
    SL_CHECK(t, pk == NULL);
}

SL_TEST(crypto, blake2b_kat)
{
    /* RFC 7693 Appendix A: BLAKE2b-512("abc") */
    uint8_t h[64];
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    crypto_generichash(h, 64, (const uint8_t *)"abc", 3, NULL, 0);
    SL_CHECK(t, eq_hex(h, 64,
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"));
    /* the suite's hash is BLAKE2b with a 32-byte output (its own IV) */
    SL_CHECK_EQ(t, sl__hash(SL_SUITE_INTL, "abc", 3, h), SL_OK);
    SL_CHECK(t, eq_hex(h, 32, "bddd813c634239723171ef3fee98579b"
                              "94964e3bb1cb3e427262c8c068d52319"));
}

SL_TEST(crypto, ed25519_kat)
{
    /* RFC 8032 7.1 TEST 1, through a key file: Ed25519 is deterministic,
     * so sl__sign must produce the RFC's signature bytes */
    char path[256], text[512];
    tmp_path(path, sizeof(path), "keys");
    snprintf(text, sizeof(text),
             "shualian-keys 1\nsuite intl\nsym 1 %s\nsym-current 1\n"
             "index %s\nsign 7 %s\nsign-current 7\n",
             "00000000000000000000000000000000000000000000000000000000000000aa",
             "00000000000000000000000000000000000000000000000000000000000000bb",
             "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    write_keyfile(path, text, 0600);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, SL_SUITE_INTL, false, &k), SL_OK);
    if (!k) {
        tmp_clean(path);
        return;
    }
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    SL_CHECK_EQ(t, sl__sign(k, "", 0, sig), SL_OK);
    SL_CHECK(t, memcmp(sig, "SLS\x01\x02\x00\x00\x00\x07", 9) == 0);
    SL_CHECK(t, eq_hex(sig + 9, 64,
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
    char pub[SL_CRYPTO_PUBKEY_MAX];
    SL_CHECK_EQ(t, sl__public_key(k, 0, pub, sizeof(pub)), SL_OK);
    uint8_t raw[32];
    unhex(raw, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    char b64[64];
    sodium_bin2base64(b64, sizeof(b64), raw, 32, sodium_base64_VARIANT_ORIGINAL);
    char want[128];
    snprintf(want, sizeof(want), "intl:7:%s", b64);
    SL_CHECKF(t, strcmp(pub, want) == 0, "public key %s", pub);
    SL_CHECK_EQ(t, sl__verify_public(pub, "", 0, sig, sizeof(sig)), SL_OK);
    sl__keyring_free(k);
    tmp_clean(path);
}

SL_TEST(crypto, xchacha_kat)
{
    /* draft-irtf-cfrg-xchacha-03 A.3.1 */
    static const char pt[] = "Ladies and Gentlemen of the class of '99: If I "
        "could offer you only one tip for the future, sunscreen would be it.";
    uint8_t key[32], nonce[24], ad[12], ct[sizeof(pt) + 16];
    unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    unhex(nonce, 24, "404142434445464748494a4b4c4d4e4f5051525354555657");
    unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    unsigned long long cl = 0;
    size_t n = sizeof(pt) - 1;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &cl, (const uint8_t *)pt, n,
                                               ad, 12, NULL, nonce, key);
    SL_CHECK_EQ(t, cl, n + 16);
    SL_CHECK(t, eq_hex(ct, n + 16,
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49"));
}

/* ============================ Sealing ==================================== */

SL_TEST(crypto, seal_roundtrip)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        sl_keyring *k = new_ring(t, suites[si], path, sizeof(path));
        static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 300000 };
        uint8_t *big = sl__malloc(300000);
        SL_ASSERT(big);
        sl__random(big, 300000);
        for (size_t i = 0; i < SL_ARRAY_LEN(sizes); i++) {
            const char *ad = "faces|42|template";
            uint8_t *ct = NULL, *pt = NULL;
            size_t ctn = 0, n = 99;
            SL_CHECK_EQ(t, sl__seal(k, ad, strlen(ad), big, sizes[i], &ct, &ctn),
                        SL_OK);
            SL_CHECK_EQ(t, ctn, sizes[i] + sl__seal_overhead(suites[si]));
            SL_CHECK(t, ct[4] == suites[si]);
            uint32_t kid = 0;
            SL_CHECK_EQ(t, sl__sealed_kid(ct, ctn, &kid), SL_OK);
            SL_CHECK_EQ(t, kid, 1);
            SL_CHECK_EQ(t, sl__open(k, ad, strlen(ad), ct, ctn, &pt, &n), SL_OK);
            SL_CHECK_EQ(t, n, sizes[i]);
            SL_CHECK(t, pt && (n == 0 || memcmp(pt, big, n) == 0));
            /* the body is not the plaintext */
            if (sizes[i] >= 16)
                SL_CHECK(t, memcmp(ct + ctn - sizes[i] - (suites[si] == SL_SUITE_GM ? 32 : 16),
                                   big, 16) != 0);
            sl__free(ct);
            sl__free(pt);
        }
        /* empty plaintext and no AD given as NULL pointers */
        {
            uint8_t *ct = NULL, *pt = NULL;
            size_t ctn = 0, n = 9;
            SL_CHECK_EQ(t, sl__seal(k, NULL, 0, NULL, 0, &ct, &ctn), SL_OK);
            SL_CHECK_EQ(t, sl__open(k, NULL, 0, ct, ctn, &pt, &n), SL_OK);
            SL_CHECK(t, n == 0 && pt != NULL);
            SL_CHECK_EQ(t, sl__open(k, "x", 1, ct, ctn, &pt, &n) == SL_OK, 0);
            SL_CHECK_EQ(t, sl__seal(k, NULL, 3, "abc", 3, &ct, &ctn), SL_ERR_INVALID);
            sl__free(ct);
            sl__free(pt);
        }
        /* two seals of the same plaintext differ (fresh nonce) */
        uint8_t *c1, *c2;
        size_t n1, n2;
        SL_CHECK_EQ(t, sl__seal(k, NULL, 0, "x", 1, &c1, &n1), SL_OK);
        SL_CHECK_EQ(t, sl__seal(k, NULL, 0, "x", 1, &c2, &n2), SL_OK);
        SL_CHECK(t, n1 == n2 && memcmp(c1, c2, n1) != 0);
        sl__free(c1);
        sl__free(c2);
        sl__free(big);
        sl__keyring_free(k);
        tmp_clean(path);
    }
    SL_CHECK_EQ(t, sl__seal_overhead(SL_SUITE_GM), 57);
    SL_CHECK_EQ(t, sl__seal_overhead(SL_SUITE_INTL), 49);
}

SL_TEST(crypto, seal_tamper)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        sl_keyring *k = new_ring(t, suites[si], path, sizeof(path));
        const char *ad = "persons|7|id_number";
        const char *msg = "110101199003074514";
        uint8_t *ct = NULL, *pt = NULL;
        size_t ctn = 0, n = 0;
        SL_ASSERT(sl__seal(k, ad, strlen(ad), msg, strlen(msg), &ct, &ctn) == SL_OK);
        long rejected = 0;
        for (size_t i = 0; i < ctn; i++) {
            for (int bit = 0; bit < 8; bit += 7) {
                ct[i] ^= (uint8_t)(1u << bit);
                sl_status st = sl__open(k, ad, strlen(ad), ct, ctn, &pt, &n);
                ct[i] ^= (uint8_t)(1u << bit);
                sl_status want = i < 4 ? SL_ERR_CRYPTO_FORMAT
                               : i == 4 ? SL_ERR_CRYPTO_SUITE
                               : i < 9 ? SL_ERR_CRYPTO_KEY_UNKNOWN
                               : SL_ERR_CRYPTO_AUTH;
                /* the suite byte flipped by 1 names the other suite; by
                 * 0x80 an unknown one: both SUITE */
                SL_CHECKF(t, st == want, "%s byte %zu bit %d: %s",
                          sl__suite_name(suites[si]), i, bit, sl_status_name(st));
                rejected += st != SL_OK;
            }
        }
        SL_CHECK_EQ(t, rejected, (long)ctn * 2);
        /* truncations and extensions */
        for (size_t cut = 0; cut < ctn; cut++) {
            sl_status st = sl__open(k, ad, strlen(ad), ct, cut, &pt, &n);
            SL_CHECKF(t, st != SL_OK, "cut to %zu opened", cut);
        }
        uint8_t *longer = sl__malloc(ctn + 1);
        memcpy(longer, ct, ctn);
        longer[ctn] = 0;
        SL_CHECK_EQ(t, sl__open(k, ad, strlen(ad), longer, ctn + 1, &pt, &n),
                    SL_ERR_CRYPTO_AUTH);
        sl__free(longer);
        /* wrong associated data: other record id, other kind, none */
        SL_CHECK_EQ(t, sl__open(k, "persons|8|id_number", 19, ct, ctn, &pt, &n),
                    SL_ERR_CRYPTO_AUTH);
        SL_CHECK_EQ(t, sl__open(k, "persons|7|photo", 15, ct, ctn, &pt, &n),
                    SL_ERR_CRYPTO_AUTH);
        SL_CHECK_EQ(t, sl__open(k, NULL, 0, ct, ctn, &pt, &n), SL_ERR_CRYPTO_AUTH);
        SL_CHECK_EQ(t, sl__open(k, ad, strlen(ad), ct, ctn, &pt, &n), SL_OK);
        sl__free(pt);
        SL_CHECK_EQ(t, sl__open(k, ad, strlen(ad), NULL, 0, &pt, &n),
                    SL_ERR_CRYPTO_FORMAT);
        sl__free(ct);
        sl__keyring_free(k);
        tmp_clean(path);
    }
}

SL_TEST(crypto, seal_other_keyring)
{
    /* a ciphertext of one installation does not open in another with the
     * same key id; nor in the other suite */
    char p1[256], p2[256], p3[256];
    sl_keyring *a = new_ring(t, SL_SUITE_GM, p1, sizeof(p1));
    sl_keyring *b = new_ring(t, SL_SUITE_GM, p2, sizeof(p2));
    sl_keyring *c = new_ring(t, SL_SUITE_INTL, p3, sizeof(p3));
    uint8_t *ct, *pt;
    size_t ctn, n;
    SL_ASSERT(sl__seal(a, "ad", 2, "secret", 6, &ct, &ctn) == SL_OK);
    SL_CHECK_EQ(t, sl__open(b, "ad", 2, ct, ctn, &pt, &n), SL_ERR_CRYPTO_AUTH);
    SL_CHECK_EQ(t, sl__open(c, "ad", 2, ct, ctn, &pt, &n), SL_ERR_CRYPTO_SUITE);
    sl__free(ct);
    sl__keyring_free(a);
    sl__keyring_free(b);
    sl__keyring_free(c);
    tmp_clean(p1);
    tmp_clean(p2);
    tmp_clean(p3);
}

/* ============================ Rotation =================================== */

SL_TEST(crypto, rotate)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        sl_keyring *k = new_ring(t, suites[si], path, sizeof(path));
        uint8_t *old, *pt, *re, *fresh;
        size_t oldn, n, ren, freshn;
        uint32_t kid = 0;
        SL_ASSERT(sl__seal(k, "t|1|k", 5, "before", 6, &old, &oldn) == SL_OK);
        SL_CHECK_EQ(t, sl__keyring_rotate(k, &kid), SL_OK);
        SL_CHECK_EQ(t, kid, 2);
        SL_CHECK_EQ(t, sl__keyring_current_kid(k), 2);
        /* the old ciphertext still opens; new ones carry kid 2 */
        SL_CHECK_EQ(t, sl__open(k, "t|1|k", 5, old, oldn, &pt, &n), SL_OK);
        SL_CHECK(t, n == 6 && memcmp(pt, "before", 6) == 0);
        sl__free(pt);
        SL_CHECK_EQ(t, sl__seal(k, "t|2|k", 5, "after", 5, &fresh, &freshn), SL_OK);
        SL_CHECK_EQ(t, sl__sealed_kid(fresh, freshn, &kid), SL_OK);
        SL_CHECK_EQ(t, kid, 2);
        /* reseal moves the old one to kid 2, same plaintext and ad */
        SL_CHECK_EQ(t, sl__reseal(k, "t|1|k", 5, old, oldn, &re, &ren), SL_OK);
        SL_CHECK_EQ(t, sl__sealed_kid(re, ren, &kid), SL_OK);
        SL_CHECK_EQ(t, kid, 2);
        SL_CHECK_EQ(t, sl__open(k, "t|1|k", 5, re, ren, &pt, &n), SL_OK);
        SL_CHECK(t, n == 6 && memcmp(pt, "before", 6) == 0);
        sl__free(pt);
        SL_CHECK_EQ(t, sl__reseal(k, "t|9|k", 5, old, oldn, &re, &ren) == SL_OK ? 1 : 0, 0);

        /* the file was saved: a second handle sees both keys, current 2 */
        sl_keyring *k2 = NULL;
        SL_CHECK_EQ(t, sl__keyring_open(path, suites[si], false, &k2), SL_OK);
        if (k2) {
            SL_CHECK_EQ(t, sl__keyring_current_kid(k2), 2);
            SL_CHECK_EQ(t, sl__open(k2, "t|1|k", 5, old, oldn, &pt, &n), SL_OK);
            sl__free(pt);
            /* k2 rotates (another process); k meets kid 3 and reloads */
            SL_CHECK_EQ(t, sl__keyring_rotate(k2, &kid), SL_OK);
            SL_CHECK_EQ(t, kid, 3);
            uint8_t *c3;
            size_t c3n;
            SL_CHECK_EQ(t, sl__seal(k2, "x", 1, "three", 5, &c3, &c3n), SL_OK);
            SL_CHECK_EQ(t, sl__open(k, "x", 1, c3, c3n, &pt, &n), SL_OK);
            SL_CHECK_EQ(t, sl__keyring_current_kid(k), 3);
            sl__free(pt);
            sl__free(c3);
            sl__keyring_free(k2);
        }
        /* an unknown kid stays unknown (and the reload is throttled) */
        uint8_t *bad = sl__malloc(freshn);
        memcpy(bad, fresh, freshn);
        bad[8] = 99;
        SL_CHECK_EQ(t, sl__open(k, "t|2|k", 5, bad, freshn, &pt, &n),
                    SL_ERR_CRYPTO_KEY_UNKNOWN);
        sl__free(bad);
        /* the signing key rotates the same way; old signatures verify */
        uint8_t s1[SL_CRYPTO_SIG_BYTES], s2[SL_CRYPTO_SIG_BYTES];
        SL_CHECK_EQ(t, sl__sign(k, "m", 1, s1), SL_OK);
        SL_CHECK_EQ(t, sl__keyring_rotate_sign(k, &kid), SL_OK);
        SL_CHECK_EQ(t, kid, 2);
        SL_CHECK_EQ(t, sl__keyring_current_sign_kid(k), 2);
        SL_CHECK_EQ(t, sl__sign(k, "m", 1, s2), SL_OK);
        SL_CHECK(t, s2[8] == 2 && s1[8] == 1);
        SL_CHECK_EQ(t, sl__verify(k, "m", 1, s1, sizeof(s1)), SL_OK);
        SL_CHECK_EQ(t, sl__verify(k, "m", 1, s2, sizeof(s2)), SL_OK);
        sl__free(old);
        sl__free(re);
        sl__free(fresh);
        sl__keyring_free(k);
        tmp_clean(path);
    }
}

/* ============================ Signatures ================================= */

SL_TEST(crypto, sign_verify)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char p1[256], p2[256];
        sl_keyring *a = new_ring(t, suites[si], p1, sizeof(p1));
        sl_keyring *b = new_ring(t, suites[si], p2, sizeof(p2));
        const char *msg = "audit checkpoint 1000 9f86d081884c7d65";
        size_t n = strlen(msg);
        uint8_t sig[SL_CRYPTO_SIG_BYTES];
        SL_CHECK_EQ(t, sl__sign(a, msg, n, sig), SL_OK);
        SL_CHECK(t, memcmp(sig, "SLS\x01", 4) == 0 && sig[4] == suites[si]);
        SL_CHECK_EQ(t, sl__verify(a, msg, n, sig, sizeof(sig)), SL_OK);
        /* another installation's key with the same kid */
        SL_CHECK_EQ(t, sl__verify(b, msg, n, sig, sizeof(sig)),
                    SL_ERR_CRYPTO_SIGNATURE);
        /* one changed message byte */
        char *m2 = sl__strdup(msg);
        for (size_t i = 0; i < n; i++) {
            m2[i] ^= 0x20;
            SL_CHECK_EQ(t, sl__verify(a, m2, n, sig, sizeof(sig)),
                        SL_ERR_CRYPTO_SIGNATURE);
            m2[i] ^= 0x20;
        }
        sl__free(m2);
        SL_CHECK_EQ(t, sl__verify(a, msg, n - 1, sig, sizeof(sig)),
                    SL_ERR_CRYPTO_SIGNATURE);
        /* every byte of the blob changed */
        for (size_t i = 0; i < sizeof(sig); i++) {
            sig[i] ^= 0x01;
            sl_status st = sl__verify(a, msg, n, sig, sizeof(sig));
            SL_CHECKF(t, st != SL_OK, "sig byte %zu accepted", i);
            sl_status want = i < 4 ? SL_ERR_CRYPTO_FORMAT : i == 4 ? SL_ERR_CRYPTO_SUITE
                           : i < 9 ? SL_ERR_CRYPTO_KEY_UNKNOWN : SL_ERR_CRYPTO_SIGNATURE;
            SL_CHECKF(t, st == want, "sig byte %zu: %s", i, sl_status_name(st));
            sig[i] ^= 0x01;
        }
        SL_CHECK_EQ(t, sl__verify(a, msg, n, sig, sizeof(sig) - 1),
                    SL_ERR_CRYPTO_FORMAT);
        /* with the public key text only */
        char pub[SL_CRYPTO_PUBKEY_MAX];
        SL_CHECK_EQ(t, sl__public_key(a, 0, pub, sizeof(pub)), SL_OK);
        SL_CHECK(t, strncmp(pub, sl__suite_name(suites[si]), 2) == 0);
        SL_CHECK_EQ(t, sl__verify_public(pub, msg, n, sig, sizeof(sig)), SL_OK);
        SL_CHECK_EQ(t, sl__verify_public(pub, msg, n - 1, sig, sizeof(sig)),
                    SL_ERR_CRYPTO_SIGNATURE);
        SL_CHECK_EQ(t, sl__public_key(a, 5, pub, sizeof(pub)),
                    SL_ERR_CRYPTO_KEY_UNKNOWN);
        char pb[SL_CRYPTO_PUBKEY_MAX];
        SL_CHECK_EQ(t, sl__public_key(b, 0, pb, sizeof(pb)), SL_OK);
        SL_CHECK_EQ(t, sl__verify_public(pb, msg, n, sig, sizeof(sig)),
                    SL_ERR_CRYPTO_SIGNATURE);
        SL_CHECK_EQ(t, sl__verify_public("gm:1:AAAA", msg, n, sig, sizeof(sig)) != SL_OK, 1);
        SL_CHECK_EQ(t, sl__verify_public("nonsense", msg, n, sig, sizeof(sig)),
                    SL_ERR_CRYPTO_FORMAT);
        sl__keyring_free(a);
        sl__keyring_free(b);
        tmp_clean(p1);
        tmp_clean(p2);
    }
}

/* ============================ MACs ======================================= */

SL_TEST(crypto, mac)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char p1[256], p2[256];
        sl_keyring *a = new_ring(t, suites[si], p1, sizeof(p1));
        sl_keyring *b = new_ring(t, suites[si], p2, sizeof(p2));
        const char *id = "110101199003074514";
        uint8_t m1[32], m2[32], m3[32], m4[32];
        SL_CHECK_EQ(t, sl__mac(a, "id_number", id, 18, m1), SL_OK);
        SL_CHECK_EQ(t, sl__mac(a, "id_number", id, 18, m2), SL_OK);
        SL_CHECK(t, memcmp(m1, m2, 32) == 0);                 /* deterministic */
        SL_CHECK_EQ(t, sl__mac(a, "session", id, 18, m3), SL_OK);
        SL_CHECK(t, memcmp(m1, m3, 32) != 0);                 /* per purpose   */
        SL_CHECK_EQ(t, sl__mac(b, "id_number", id, 18, m4), SL_OK);
        SL_CHECK(t, memcmp(m1, m4, 32) != 0);                 /* per key file  */
        uint8_t h[32];
        SL_CHECK_EQ(t, sl__hash(suites[si], id, 18, h), SL_OK);
        SL_CHECK(t, memcmp(m1, h, 32) != 0);
        /* stable across rotation of the sym key */
        SL_CHECK_EQ(t, sl__keyring_rotate(a, NULL), SL_OK);
        SL_CHECK_EQ(t, sl__mac(a, "id_number", id, 18, m2), SL_OK);
        SL_CHECK(t, memcmp(m1, m2, 32) == 0);
        SL_CHECK_EQ(t, sl__mac(a, "", id, 18, m2), SL_ERR_INVALID);
        SL_CHECK_EQ(t, sl__mac(a, NULL, id, 18, m2), SL_ERR_INVALID);
        char longp[80];
        memset(longp, 'p', 79);
        longp[79] = '\0';
        SL_CHECK_EQ(t, sl__mac(a, longp, id, 18, m2), SL_ERR_INVALID);
        sl__keyring_free(a);
        sl__keyring_free(b);
        tmp_clean(p1);
        tmp_clean(p2);
    }
    /* HMAC-SM3 is HMAC: differs from SM3 and depends on the key */
    uint8_t x[32], y[32];
    SL_CHECK_EQ(t, sl__mac_key(SL_SUITE_GM, "k", 1, "abc", 3, x), SL_OK);
    SL_CHECK_EQ(t, sl__mac_key(SL_SUITE_GM, "K", 1, "abc", 3, y), SL_OK);
    SL_CHECK(t, memcmp(x, y, 32) != 0);
    SL_CHECK_EQ(t, sl__mac_key(SL_SUITE_GM, "", 0, "abc", 3, x), SL_ERR_INVALID);
}

/* ============================ Key file =================================== */

SL_TEST(crypto, keyfile_mode)
{
    char path[256];
    sl_keyring *k = new_ring(t, SL_SUITE_GM, path, sizeof(path));
    struct stat sb;
    SL_CHECK(t, stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    sl__keyring_free(k);
    static const mode_t bad[] = { 0640, 0604, 0660, 0644, 0666, 0610, 0602 };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        chmod(path, bad[i]);
        k = NULL;
        SL_CHECKF(t, sl__keyring_open(path, SL_SUITE_GM, true, &k) ==
                     SL_ERR_CRYPTO_KEYFILE_MODE, "mode %o accepted", (unsigned)bad[i]);
        SL_CHECK(t, k == NULL);
        sl__keyring_free(k);
    }
    chmod(path, 0400);
    SL_CHECK_EQ(t, sl__keyring_open(path, SL_SUITE_GM, false, &k), SL_OK);
    sl__keyring_free(k);
    chmod(path, 0600);
    /* the other suite is refused, not silently converted */
    k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, SL_SUITE_INTL, true, &k),
                SL_ERR_CRYPTO_SUITE);
    tmp_clean(path);
    /* absent and !create */
    SL_CHECK_EQ(t, sl__keyring_open(path, SL_SUITE_GM, false, &k), SL_ERR_NOT_FOUND);
    SL_CHECK(t, k == NULL);
}

SL_TEST(crypto, keyfile_format)
{
    char path[256];
    tmp_path(path, sizeof(path), "keys");
    const char *K = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char good[1024];
    snprintf(good, sizeof(good),
             "# comment\nshualian-keys 1\nsuite gm\nsym 1 %s\nsym 2 %s\n"
             "sym-current 2\nindex %s\n\nsign 1 %s\nsign-current 1\n", K, K, K, K);
    write_keyfile(path, good, 0600);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, SL_SUITE_GM, false, &k), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_current_kid(k), 2);
    sl__keyring_free(k);
    static const char *bad[] = {
        "",
        "shualian-keys 2\n",
        "suite gm\nshualian-keys 1\n",
        "shualian-keys 1\nsuite gm\n",                       /* no keys      */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s\nsym-current 1\nindex %1$s\n"
        "sign 1 %1$s\n",                                     /* no sign-cur  */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s\nsym-current 2\nindex %1$s\n"
        "sign 1 %1$s\nsign-current 1\n",                     /* cur missing  */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s\nsym 1 %1$s\nsym-current 1\n"
        "index %1$s\nsign 1 %1$s\nsign-current 1\n",         /* dup kid      */
        "shualian-keys 1\nsuite gm\nsym 0 %1$s\nsym-current 0\nindex %1$s\n"
        "sign 1 %1$s\nsign-current 1\n",                     /* kid 0        */
        "shualian-keys 1\nsuite gm\nsym 1 abcd\nsym-current 1\nindex %1$s\n"
        "sign 1 %1$s\nsign-current 1\n",                     /* short key    */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s\nsym-current 1\nindex %1$s\n"
        "sign 1 0000000000000000000000000000000000000000000000000000000000000000\n"
        "sign-current 1\n",                                  /* SM2 d = 0    */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s\nsym-current 1\nindex %1$s\n"
        "sign 1 %1$s\nsign-current 1\nextra 1\n",            /* unknown rec  */
        "shualian-keys 1\nsuite gm\nsym 1 %1$s x\nsym-current 1\nindex %1$s\n"
        "sign 1 %1$s\nsign-current 1\n",                     /* extra field  */
        "shualian-keys 1\nsuite gm\nsym 4294967296 %1$s\nsym-current 1\n",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        char text[1024];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(text, sizeof(text), bad[i], K);
#pragma GCC diagnostic pop
        write_keyfile(path, text, 0600);
        k = NULL;
        sl_status st = sl__keyring_open(path, SL_SUITE_GM, true, &k);
        SL_CHECKF(t, st == SL_ERR_CRYPTO_KEYFILE, "bad file %zu: %s", i,
                  sl_status_name(st));
        sl__keyring_free(k);
    }
    tmp_clean(path);
}

/* ============================ Passwords, random ========================== */

SL_TEST(crypto, password)
{
    char h[SL_CRYPTO_PWHASH_BYTES];
    SL_CHECK_EQ(t, sl__password_hash("correct horse", h), SL_OK);
    SL_CHECK(t, strncmp(h, "$argon2id$", 10) == 0);
    SL_CHECK(t, sl__password_check(h, "correct horse"));
    SL_CHECK(t, !sl__password_check(h, "correct horsE"));
    SL_CHECK(t, !sl__password_check(h, ""));
    SL_CHECK(t, !sl__password_check("garbage", "correct horse"));
    SL_CHECK(t, !sl__password_needs_rehash(h));
    char h2[SL_CRYPTO_PWHASH_BYTES];
    SL_CHECK_EQ(t, sl__password_hash("correct horse", h2), SL_OK);
    SL_CHECK(t, strcmp(h, h2) != 0);                      /* salted */
    char *big = sl__malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    SL_CHECK_EQ(t, sl__password_hash(big, h2), SL_ERR_TOO_LARGE);
    SL_CHECK(t, !sl__password_check(h, big));
    sl__free(big);
}

SL_TEST(crypto, random)
{
    uint8_t a[32] = { 0 }, b[32] = { 0 };
    sl__random(a, 32);
    sl__random(b, 32);
    SL_CHECK(t, memcmp(a, b, 32) != 0);
    char tok[64];
    SL_CHECK_EQ(t, sl__random_token(tok, sizeof(tok), 32), SL_OK);
    SL_CHECK_EQ(t, strlen(tok), 43);
    SL_CHECK(t, strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789-_") == 43);
    SL_CHECK_EQ(t, sl__random_token(tok, 10, 32), SL_ERR_INVALID);
    for (int i = 0; i < 100; i++)
        SL_CHECK(t, sl__random_below(7) < 7);
    char hx[9];
    SL_CHECK_EQ(t, sl__hex_encode(hx, sizeof(hx), "\x01\xab\xff\x00", 4), SL_OK);
    SL_CHECK(t, strcmp(hx, "01abff00") == 0);
    uint8_t back[4];
    SL_CHECK_EQ(t, sl__hex_decode(back, 4, "01ABff00"), SL_OK);
    SL_CHECK(t, memcmp(back, "\x01\xab\xff\x00", 4) == 0);
    SL_CHECK_EQ(t, sl__hex_decode(back, 4, "01abff0"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__hex_decode(back, 4, "01abff0g"), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__hex_encode(hx, 8, "\x01\xab\xff\x00", 4), SL_ERR_INVALID);
}

/* ============================ Allocation failures ======================== */

SL_TEST(crypto, alloc_fail)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        sl_keyring *k0 = new_ring(t, suites[si], path, sizeof(path));
        uint8_t *good;
        size_t goodn;
        SL_ASSERT(sl__seal(k0, "a", 1, "payload", 7, &good, &goodn) == SL_OK);
        sl__keyring_free(k0);
        long ok_at = 0;
        for (long f = 1; f < 200 && !ok_at; f++) {
            sl_keyring *k = NULL;
            uint8_t *ct = NULL, *pt = NULL, *re = NULL;
            size_t ctn, n, ren;
            uint32_t kid;
            sl__fail_after(f);
            sl_status st = sl__keyring_open(path, suites[si], false, &k);
            if (st == SL_OK)
                st = sl__seal(k, "a", 1, "payload", 7, &ct, &ctn);
            if (st == SL_OK)
                st = sl__open(k, "a", 1, good, goodn, &pt, &n);
            if (st == SL_OK)
                st = sl__reseal(k, "a", 1, good, goodn, &re, &ren);
            if (st == SL_OK)
                st = sl__keyring_rotate(k, &kid);
            sl__fail_after(0);
            SL_CHECKF(t, st == SL_OK || SL_STATUS_PRIMARY(st) == SL_ERR_NOMEM,
                      "fail at %ld: %s", f, sl_status_name(st));
            if (st == SL_OK) {
                ok_at = f;
                SL_CHECK(t, n == 7 && memcmp(pt, "payload", 7) == 0);
            } else if (k) {
                /* a failed step left the keyring usable */
                uint8_t *p2 = NULL;
                size_t n2;
                SL_CHECK_EQ(t, sl__open(k, "a", 1, good, goodn, &p2, &n2), SL_OK);
                sl__free(p2);
            }
            sl__free(ct);
            sl__free(pt);
            sl__free(re);
            sl__keyring_free(k);
        }
        SL_CHECK(t, ok_at > 3);        /* several failure points were walked */
        sl__free(good);
        tmp_clean(path);
    }
}

SL_TEST(crypto, refresh_after_foreign_rotate)
{
    /* process A (k) seals; process B (k2) rotates the file; A's next seal
     * uses the new key once its stat throttle has passed */
    char path[256];
    sl_keyring *k = new_ring(t, SL_SUITE_GM, path, sizeof(path));
    sl_keyring *k2 = NULL;
    SL_ASSERT(sl__keyring_open(path, SL_SUITE_GM, false, &k2) == SL_OK);
    uint8_t *ct;
    size_t ctn;
    uint32_t kid;
    SL_CHECK_EQ(t, sl__seal(k, "a", 1, "x", 1, &ct, &ctn), SL_OK);
    sl__free(ct);
    SL_CHECK_EQ(t, sl__keyring_rotate(k2, &kid), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_rotate_sign(k2, NULL), SL_OK);
    /* within the throttle window: still the old key (no stat per call) */
    SL_CHECK_EQ(t, sl__seal(k, "a", 1, "x", 1, &ct, &ctn), SL_OK);
    SL_CHECK_EQ(t, sl__sealed_kid(ct, ctn, &kid), SL_OK);
    SL_CHECK_EQ(t, kid, 1);
    sl__free(ct);
    atomic_store(&k->last_check_ns, 0);          /* as if a second passed */
    SL_CHECK_EQ(t, sl__seal(k, "a", 1, "x", 1, &ct, &ctn), SL_OK);
    SL_CHECK_EQ(t, sl__sealed_kid(ct, ctn, &kid), SL_OK);
    SL_CHECK_EQ(t, kid, 2);
    SL_CHECK_EQ(t, sl__keyring_current_sign_kid(k), 2);
    sl__free(ct);
    /* a key file that lost a key is refused, and the keys in memory stay */
    char text[1024];
    snprintf(text, sizeof(text),
             "shualian-keys 1\nsuite gm\nsym 5 %s\nsym-current 5\nindex %s\n"
             "sign 1 %s\nsign-current 1\n",
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    write_keyfile(path, text, 0600);
    SL_CHECK_EQ(t, sl__keyring_reload(k), SL_ERR_CRYPTO_KEYFILE);
    SL_CHECK_EQ(t, sl__keyring_current_kid(k), 2);
    SL_CHECK_EQ(t, sl__seal(k, "a", 1, "x", 1, &ct, &ctn), SL_OK);
    sl__free(ct);
    sl__keyring_free(k);
    sl__keyring_free(k2);
    tmp_clean(path);
}

/* ============================ Threads ==================================== */

struct worker {
    sl_keyring *k;
    long        ok, bad;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 300; i++) {
        char ad[32], msg[32];
        snprintf(ad, sizeof(ad), "t|%d|k", i);
        snprintf(msg, sizeof(msg), "message %d", i);
        uint8_t *ct = NULL, *pt = NULL, sig[SL_CRYPTO_SIG_BYTES], mac[32];
        size_t ctn = 0, n = 0;
        bool ok = sl__seal(w->k, ad, strlen(ad), msg, strlen(msg), &ct, &ctn) == SL_OK &&
                  sl__open(w->k, ad, strlen(ad), ct, ctn, &pt, &n) == SL_OK &&
                  n == strlen(msg) && memcmp(pt, msg, n) == 0 &&
                  sl__mac(w->k, "session", msg, strlen(msg), mac) == SL_OK;
        if (ok && i % 10 == 0)
            ok = sl__sign(w->k, msg, strlen(msg), sig) == SL_OK &&
                 sl__verify(w->k, msg, strlen(msg), sig, sizeof(sig)) == SL_OK;
        sl__free(ct);
        sl__free(pt);
        if (ok)
            w->ok++;
        else
            w->bad++;
    }
    return NULL;
}

SL_TEST(crypto, threads_with_rotation)
{
    /* 4 threads seal/open/mac/sign while the main thread rotates both
     * keys 10 times: every operation succeeds */
    char path[256];
    sl_keyring *k = new_ring(t, SL_SUITE_GM, path, sizeof(path));
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .k = k };
        SL_ASSERT(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
    }
    for (int r = 0; r < 10; r++) {
        SL_CHECK_EQ(t, sl__keyring_rotate(k, NULL), SL_OK);
        SL_CHECK_EQ(t, sl__keyring_rotate_sign(k, NULL), SL_OK);
    }
    long ok = 0, bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
        bad += w[i].bad;
    }
    SL_CHECK_EQ(t, bad, 0);
    SL_CHECK_EQ(t, ok, 1200);
    SL_CHECK_EQ(t, sl__keyring_current_kid(k), 11);
    sl__keyring_free(k);
    tmp_clean(path);
}

SL_TEST(crypto, keyfile_symlink)
{
    /* a symlinked key file (secret mounts) is read; its target's mode counts */
    char path[256], link_path[300];
    sl_keyring *k = new_ring(t, SL_SUITE_GM, path, sizeof(path));
    sl__keyring_free(k);
    snprintf(link_path, sizeof(link_path), "%s-link", path);
    SL_ASSERT(symlink(path, link_path) == 0);
    k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(link_path, SL_SUITE_GM, false, &k), SL_OK);
    sl__keyring_free(k);
    chmod(path, 0644);
    k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(link_path, SL_SUITE_GM, false, &k),
                SL_ERR_CRYPTO_KEYFILE_MODE);
    unlink(link_path);
    tmp_clean(path);
}

SL_TEST(crypto, alloc_fail_create)
{
    /* creating a key file under allocation failures: nomem with no file or
     * a complete one, never a partial file */
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        tmp_path(path, sizeof(path), "keys");
        long ok_at = 0;
        for (long f = 1; f < 100 && !ok_at; f++) {
            sl_keyring *k = NULL;
            sl__fail_after(f);
            sl_status st = sl__keyring_open(path, suites[si], true, &k);
            sl__fail_after(0);
            SL_CHECKF(t, st == SL_OK || st == SL_ERR_NOMEM, "fail at %ld: %s", f,
                      sl_status_name(st));
            if (st == SL_OK) {
                ok_at = f;
                uint8_t sig[SL_CRYPTO_SIG_BYTES];
                SL_CHECK_EQ(t, sl__sign(k, "m", 1, sig), SL_OK);
                sl__keyring_free(k);
                SL_CHECK_EQ(t, sl__keyring_open(path, suites[si], false, &k), SL_OK);
                SL_CHECK_EQ(t, sl__verify(k, "m", 1, sig, sizeof(sig)), SL_OK);
                sl__keyring_free(k);
            } else if (access(path, F_OK) == 0) {
                /* the file was complete before the keyring's own allocation
                 * failed: it must open (deleting it could pull it from under
                 * another node that already uses it) */
                SL_CHECKF(t, sl__keyring_open(path, suites[si], false, &k) == SL_OK,
                          "fail at %ld left a broken file", f);
                sl__keyring_free(k);
                unlink(path);
            }
        }
        SL_CHECK(t, ok_at > 3);
        tmp_clean(path);
    }
}

/* The opener (bulk opening, the hall cache's load) gives what sl__open
 * gives, over many blobs and two key ids, in both suites: same bytes, and
 * the same errors for a changed byte, a wrong ad, another suite's blob, a
 * too small buffer and a key id it does not hold. */
SL_TEST(crypto, opener)
{
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        char path[256];
        sl_keyring *k = new_ring(t, suites[si], path, sizeof(path));
        enum { NB = 64 };
        uint8_t *ct[NB];
        size_t ctn[NB];
        uint8_t msg[NB][300];
        char ad[NB][32];
        for (size_t i = 0; i < NB; i++) {
            if (i == NB / 2) {
                uint32_t kid = 0;
                SL_CHECK_EQ(t, sl__keyring_rotate(k, &kid), SL_OK);
            }
            sl__random(msg[i], sizeof msg[i]);
            snprintf(ad[i], sizeof ad[i], "hall_template|%zu|template", i);
            SL_ASSERT(sl__seal(k, ad[i], strlen(ad[i]), msg[i], 1 + i * 4, &ct[i],
                               &ctn[i]) == SL_OK);
        }
        sl_opener *o = NULL;
        SL_ASSERT(sl__opener_new(k, &o) == SL_OK);
        uint8_t out[300];
        size_t n = 0;
        for (int pass = 0; pass < 2; pass++)   /* the second reuses the contexts */
            for (size_t i = 0; i < NB; i++) {
                uint8_t *pt = NULL;
                size_t pn = 0;
                SL_CHECK_EQ(t, sl__opener_open(o, ad[i], strlen(ad[i]), ct[i], ctn[i], out,
                                               sizeof out, &n), SL_OK);
                SL_CHECK_EQ(t, sl__open(k, ad[i], strlen(ad[i]), ct[i], ctn[i], &pt, &pn),
                            SL_OK);
                SL_CHECK(t, n == 1 + i * 4 && pn == n && memcmp(out, msg[i], n) == 0 &&
                            memcmp(pt, out, n) == 0);
                sl__free(pt);
            }
        /* wrong ad, changed byte, small buffer, unknown kid */
        SL_CHECK_EQ(t, sl__opener_open(o, ad[1], strlen(ad[1]), ct[2], ctn[2], out, sizeof out,
                                       &n), SL_ERR_CRYPTO_AUTH);
        ct[3][ctn[3] / 2] ^= 1;
        SL_CHECK_EQ(t, sl__opener_open(o, ad[3], strlen(ad[3]), ct[3], ctn[3], out, sizeof out,
                                       &n), SL_ERR_CRYPTO_AUTH);
        SL_CHECK_EQ(t, sl__opener_open(o, ad[9], strlen(ad[9]), ct[9], ctn[9], out, 3, &n),
                    SL_ERR_TOO_LARGE);
        ct[4][8] ^= 0x40;   /* the key id's low byte */
        SL_CHECK_EQ(t, sl__opener_open(o, ad[4], strlen(ad[4]), ct[4], ctn[4], out, sizeof out,
                                       &n), SL_ERR_CRYPTO_KEY_UNKNOWN);
        ct[5][4] = (uint8_t)(suites[si] == SL_SUITE_GM ? SL_SUITE_INTL : SL_SUITE_GM);
        SL_CHECK_EQ(t, sl__opener_open(o, ad[5], strlen(ad[5]), ct[5], ctn[5], out, sizeof out,
                                       &n), SL_ERR_CRYPTO_SUITE);
        SL_CHECK_EQ(t, sl__opener_open(o, ad[6], strlen(ad[6]), ct[6], 5, out, sizeof out, &n),
                    SL_ERR_CRYPTO_FORMAT);
        sl__opener_free(o);
        for (size_t i = 0; i < NB; i++)
            sl__free(ct[i]);
        sl__keyring_free(k);
        tmp_clean(path);
    }
}
