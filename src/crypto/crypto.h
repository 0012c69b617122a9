/*
 * crypto.h -- the server's cryptography: two suites behind one interface,
 * a key file with key ids, sealed (encrypted + authenticated) blobs,
 * signatures, keyed MACs for blind indexes and token hashes, password
 * hashing and random bytes. Includes only base.
 *
 * Suites (chosen by configuration; one keyring holds one suite):
 *   gm   (id 1, the default; GB/T 39786-2021 commercial cryptography, via
 *         OpenSSL 3 libcrypto)
 *          hash   SM3
 *          mac    HMAC-SM3
 *          seal   SM4-CTR + HMAC-SM3, encrypt-then-MAC
 *          sign   SM2 with SM3, distinguishing ID "1234567812345678"
 *                 (GM/T 0009 default; set explicitly for sign and verify)
 *   intl (id 2, via libsodium)
 *          hash   BLAKE2b-256
 *          mac    keyed BLAKE2b-256
 *          seal   XChaCha20-Poly1305 (IETF)
 *          sign   Ed25519
 * Both suites: Argon2id password hashes and random bytes from libsodium.
 *
 * Workload: sl__mac and sl__hash run on every request (token look-ups,
 * audit chain); sl__seal/sl__open on every photo/template/ID-number read or
 * write (a few per request, blobs up to a few hundred KB); sl__sign once per
 * signed audit checkpoint or credential. The keyring is read-mostly: all
 * calls may be made from any thread at the same time; rotate and reload take
 * a write lock.
 *
 * ======================== Key file (text, mode 0600) ======================
 * Created at first start when absent (sl__keyring_open with create = true);
 * refused with SL_ERR_CRYPTO_KEYFILE_MODE when group or other may read or
 * write it. Rewritten atomically (temp file 0600 + fsync + rename) by
 * rotation. One record per line, fields separated by one space, '#' starts a
 * comment line; unknown record types are an error (SL_ERR_CRYPTO_KEYFILE):
 *
 *   shualian-keys 1                 format version, the first record
 *   suite gm|intl                   the suite every key below belongs to
 *   sym <kid> <64 hex>              a 32-byte symmetric master key; kid is a
 *                                   decimal u32 >= 1, unique among sym keys
 *   sym-current <kid>               the sym key new seals use
 *   index <64 hex>                  the 32-byte key of sl__mac (blind indexes,
 *                                   token hashes); never rotated, because
 *                                   every stored index would change
 *   sign <kid> <64 hex>             a signing key: gm = the SM2 private
 *                                   scalar (big-endian), intl = the Ed25519
 *                                   seed; the public key is derived
 *   sign-current <kid>              the signing key new signatures use
 *
 * Old sym and sign keys stay in the file after rotation, so every existing
 * ciphertext still opens and every existing signature still verifies.
 * Subkeys are derived per master key and purpose with the suite's keyed hash
 * (HMAC-SM3 / keyed BLAKE2b-256): KDF(key, label) with the labels
 * "shualian seal enc", "shualian seal mac" (gm) or "shualian seal aead"
 * (intl), and "shualian mac " + purpose for sl__mac.
 *
 * ======================== Sealed blob (sl__seal) ===========================
 * All integers big-endian.
 *   0   magic "SLE" + format version 0x01            4 bytes
 *   4   suite id (1 gm, 2 intl)                       1 byte
 *   5   key id of the sym key                         4 bytes
 *   9   nonce: gm 16 bytes (SM4-CTR initial counter block, random),
 *              intl 24 bytes (XChaCha20 nonce, random)
 *   ..  ciphertext, as long as the plaintext
 *   ..  tag: gm 32 bytes HMAC-SM3, intl 16 bytes Poly1305
 * gm:   tag = HMAC-SM3(mac subkey, u64(adn) || ad || header+nonce || ct)
 * intl: AEAD additional data = header+nonce || ad
 * So the header, nonce, body, tag and the caller's associated data are all
 * authenticated: any change gives SL_ERR_CRYPTO_AUTH. Overhead:
 * sl__seal_overhead(suite) bytes (57 gm, 49 intl).
 *
 * ======================== Signature blob (sl__sign) ========================
 *   0   magic "SLS" + format version 0x01            4 bytes
 *   4   suite id                                      1 byte
 *   5   key id of the signing key                     4 bytes
 *   9   signature, 64 bytes: gm r || s (32 bytes each, big-endian),
 *       intl the Ed25519 signature
 * Total SL_CRYPTO_SIG_BYTES = 73. The suite and key id are not themselves
 * signed, but changing either selects another key (or none) and fails.
 *
 * Public keys (sl__public_key) are text "gm:<kid>:<base64 of the 65-byte
 * uncompressed SM2 point 04||x||y>" or "intl:<kid>:<base64 of the 32-byte
 * Ed25519 key>" (standard base64 with padding); sl__verify_public takes the
 * same text, so another node or a device can verify without the key file.
 */
#ifndef SL_CRYPTO_H
#define SL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef enum sl_suite { SL_SUITE_GM = 1, SL_SUITE_INTL = 2 } sl_suite;

#define SL_CRYPTO_HASH_BYTES    32   /* sl__hash, sl__mac outputs            */
#define SL_CRYPTO_KEY_BYTES     32   /* every master key in the key file     */
#define SL_CRYPTO_SIG_BYTES     73   /* a signature blob                     */
#define SL_CRYPTO_SEAL_MAX_OVERHEAD 57 /* largest sl__seal_overhead()        */
#define SL_CRYPTO_PWHASH_BYTES  128  /* sl__password_hash output incl. NUL   */
#define SL_CRYPTO_PUBKEY_MAX    128  /* sl__public_key text incl. NUL        */
#define SL_CRYPTO_SM2_ID        "1234567812345678"  /* GM/T 0009 default ID  */
/* How often sl__seal/sl__sign look whether the key file was rewritten by
 * another process (rotation) and reload it. */
#define SL_CRYPTO_REFRESH_MS    1000
/* The largest plaintext sl__seal accepts (a photo is far below this). */
#define SL_CRYPTO_SEAL_MAX      ((size_t)64 << 20)

/* One (pointer, length) piece of a message hashed in parts. */
struct sl_iov {
    const void *p;
    size_t      n;
};

typedef struct sl_keyring sl_keyring;

/* ============================ Suites ===================================== */

/* "gm" -> SL_SUITE_GM, "intl" -> SL_SUITE_INTL; else SL_ERR_INVALID. */
sl_status   sl__suite_parse(const char *name, sl_suite *out);
/* "gm" | "intl" | "?"; never NULL. */
const char *sl__suite_name(sl_suite s);
/* Bytes sl__seal adds to a plaintext in suite s (57 gm, 49 intl). */
size_t      sl__seal_overhead(sl_suite s);

/* Initialises libsodium and checks that libcrypto has SM2/SM3/SM4. Called
 * by every entry point that needs it; idempotent and thread-safe.
 * SL_ERR_CRYPTO_LIB if a library is unusable. */
sl_status   sl__crypto_init(void);

/* ============================ Keyring ==================================== */

/* Opens the key file at path. If it is absent and create is true, a new
 * one is written (mode 0600, one sym key, the index key, one signing key,
 * each with kid 1) in suite s. Errors: SL_ERR_NOT_FOUND (absent, !create),
 * SL_ERR_CRYPTO_KEYFILE_MODE (group/other bits set), SL_ERR_CRYPTO_KEYFILE
 * (malformed), SL_ERR_CRYPTO_SUITE (the file holds the other suite),
 * SL_ERR_IO, SL_ERR_NOMEM. On SL_OK the caller owns *out
 * (sl__keyring_free); on error *out is untouched. */
SL_NODISCARD sl_status sl__keyring_open(const char *path, sl_suite s,
                                        bool create, sl_keyring **out);
/* Wipes key material and frees; NULL is a no-op. */
void      sl__keyring_free(sl_keyring *k);
sl_suite  sl__keyring_suite(const sl_keyring *k);
/* Key id of the current sym key / signing key. */
uint32_t  sl__keyring_current_kid(const sl_keyring *k);
uint32_t  sl__keyring_current_sign_kid(const sl_keyring *k);

/* Adds a new random sym key with the next kid, makes it current and saves
 * the file; *new_kid (may be NULL) gets its id. Old keys stay for opening.
 * On error the keyring and the file are unchanged. */
SL_NODISCARD sl_status sl__keyring_rotate(sl_keyring *k, uint32_t *new_kid);
/* The same for the signing key pair. */
SL_NODISCARD sl_status sl__keyring_rotate_sign(sl_keyring *k,
                                               uint32_t *new_kid);
/* Re-reads the key file (after another process rotated it): keys are only
 * ever added, and the current ids follow the file; a file that lost or
 * changed a key we hold is refused (SL_ERR_CRYPTO_KEYFILE). Rarely needed by
 * hand: sl__seal and sl__sign notice a rewritten file by themselves (a stat
 * at most every SL_CRYPTO_REFRESH_MS), and sl__open reloads when it meets an
 * unknown key id (at most once a second), so a running server follows
 * `shualian admin rotate-key` run in another process. */
SL_NODISCARD sl_status sl__keyring_reload(sl_keyring *k);

/* ============================ Hashing and MACs =========================== */

/* SM3 | BLAKE2b-256 of p[0..n). */
sl_status sl__hash(sl_suite s, const void *p, size_t n,
                   uint8_t out[SL_CRYPTO_HASH_BYTES]);
/* The same over the concatenation of v[0..nv). */
sl_status sl__hashv(sl_suite s, const struct sl_iov *v, size_t nv,
                    uint8_t out[SL_CRYPTO_HASH_BYTES]);
/* Keyed, per-purpose MAC under the key file's index key: HMAC-SM3 | keyed
 * BLAKE2b-256 with subkey KDF(index key, "shualian mac " + purpose).
 * Deterministic, so it serves as a blind index ("id_number") or a token
 * hash ("session"); different purposes give unrelated values. purpose is a
 * non-empty string of at most 64 bytes (else SL_ERR_INVALID). */
sl_status sl__mac(const sl_keyring *k, const char *purpose, const void *p,
                  size_t n, uint8_t out[SL_CRYPTO_HASH_BYTES]);
/* Plain HMAC-SM3 | keyed BLAKE2b-256 with a caller key (1..64 bytes), for
 * protocols that bring their own key. */
sl_status sl__mac_key(sl_suite s, const void *key, size_t keyn,
                      const void *p, size_t n,
                      uint8_t out[SL_CRYPTO_HASH_BYTES]);
/* Constant-time equality of two n-byte buffers. */
bool      sl__ct_equal(const void *a, const void *b, size_t n);

/* ============================ Sealing ==================================== */

/* Encrypts and authenticates pt[0..n) under the current sym key with a
 * fresh random nonce, binding the associated data ad[0..adn) (e.g.
 * "faces|1234|template": table | record id | kind), which is not stored.
 * n may be 0; n > SL_CRYPTO_SEAL_MAX gives SL_ERR_TOO_LARGE. On SL_OK
 * *ct (sl__malloc'd, caller frees with sl__free) holds *ctn =
 * n + sl__seal_overhead() bytes in the format above. */
SL_NODISCARD sl_status sl__seal(const sl_keyring *k, const void *ad,
                                size_t adn, const void *pt, size_t n,
                                uint8_t **ct, size_t *ctn);
/* Checks and decrypts a sealed blob under whichever known sym key its key
 * id names. Errors: SL_ERR_CRYPTO_FORMAT (too short, bad magic/version),
 * SL_ERR_CRYPTO_SUITE (other suite), SL_ERR_CRYPTO_KEY_UNKNOWN,
 * SL_ERR_CRYPTO_AUTH (any byte changed, wrong ad). On SL_OK *pt
 * (sl__malloc'd, at least 1 byte, caller frees; wipe it when it was secret)
 * holds *n bytes. Nothing is returned unless the tag verified. */
SL_NODISCARD sl_status sl__open(const sl_keyring *k, const void *ad,
                                size_t adn, const uint8_t *ct, size_t ctn,
                                uint8_t **pt, size_t *n);
/* Opening many blobs in a row (the hall cache's load from the store): an
 * opener keeps, per key id it met, the suite's keyed contexts (gm: HMAC-SM3
 * with its key set, SM4 with its key schedule), so each open costs the
 * hashing and decryption only, and writes the plaintext to the caller's
 * buffer (cap bytes; SL_ERR_TOO_LARGE if it does not fit) instead of an
 * allocation. Same checks and errors as sl__open, except that a key id the
 * keyring does not hold is SL_ERR_CRYPTO_KEY_UNKNOWN at once (no reload:
 * open that blob with sl__open). Not thread-safe: one opener per thread;
 * the keyring must outlive it. */
typedef struct sl_opener sl_opener;
SL_NODISCARD sl_status sl__opener_new(const sl_keyring *k, sl_opener **out);
SL_NODISCARD sl_status sl__opener_open(sl_opener *o, const void *ad, size_t adn,
                                       const uint8_t *ct, size_t ctn, void *pt,
                                       size_t cap, size_t *n);
void sl__opener_free(sl_opener *o);
/* The key id a sealed blob names, without decrypting (for the rotation
 * loop: blobs already under the current kid are skipped). */
sl_status sl__sealed_kid(const uint8_t *ct, size_t ctn, uint32_t *kid);
/* Opens ct (any known key) and seals it again under the current key with
 * the same ad and a fresh nonce. Ownership as sl__seal. */
SL_NODISCARD sl_status sl__reseal(const sl_keyring *k, const void *ad,
                                  size_t adn, const uint8_t *ct, size_t ctn,
                                  uint8_t **out, size_t *outn);

/* ============================ Signatures ================================= */

/* Signs msg[0..n) with the current signing key into the 73-byte blob
 * sig (caller's buffer). */
SL_NODISCARD sl_status sl__sign(const sl_keyring *k, const void *msg,
                                size_t n, uint8_t sig[SL_CRYPTO_SIG_BYTES]);
/* SL_OK if sig is a valid signature blob over msg by a signing key of k
 * (any kid). Errors: SL_ERR_CRYPTO_FORMAT, SL_ERR_CRYPTO_SUITE,
 * SL_ERR_CRYPTO_KEY_UNKNOWN, SL_ERR_CRYPTO_SIGNATURE. */
SL_NODISCARD sl_status sl__verify(const sl_keyring *k, const void *msg,
                                  size_t n, const uint8_t *sig,
                                  size_t sign);
/* The public key of signing key kid (0 = current) as text (see top) into
 * out (cap >= SL_CRYPTO_PUBKEY_MAX). SL_ERR_CRYPTO_KEY_UNKNOWN if none. */
sl_status sl__public_key(const sl_keyring *k, uint32_t kid, char *out,
                         size_t cap);
/* Verifies a signature blob with a public key in sl__public_key's text
 * form; the blob's suite and kid must match the text. */
SL_NODISCARD sl_status sl__verify_public(const char *pubkey, const void *msg,
                                         size_t n, const uint8_t *sig,
                                         size_t sign);

/* ============================ Passwords and random ======================= */

/* Argon2id (libsodium crypto_pwhash_str, "interactive" limits: 2 passes,
 * 64 MiB) into out as a NUL-terminated "$argon2id$..." string.
 * SL_ERR_NOMEM if the 64 MiB cannot be had. pw is NUL-terminated, at most
 * 4096 bytes (else SL_ERR_TOO_LARGE). */
SL_NODISCARD sl_status sl__password_hash(const char *pw,
                                         char out[SL_CRYPTO_PWHASH_BYTES]);
/* true if pw matches hash (constant time in pw); false on any error. */
bool      sl__password_check(const char *hash, const char *pw);
/* true if hash was made with other limits than today's (re-hash at login). */
bool      sl__password_needs_rehash(const char *hash);

/* n bytes from the OS CSPRNG (libsodium randombytes_buf). Cannot fail. */
void      sl__random(void *p, size_t n);
/* A uniformly random integer in [0, upper) (upper >= 1). */
uint32_t  sl__random_below(uint32_t upper);
/* nbytes random bytes as unpadded base64url text into out (cap >=
 * 4*nbytes/3 + 2): session tokens, API keys. SL_ERR_INVALID if cap is too
 * small. */
sl_status sl__random_token(char *out, size_t cap, size_t nbytes);

/* ============================ Encoding helpers =========================== */

/* Lower-case hex of p[0..n) into out (cap >= 2n+1). */
sl_status sl__hex_encode(char *out, size_t cap, const void *p, size_t n);
/* Exactly 2*n hex digits -> n bytes; SL_ERR_INVALID otherwise. */
sl_status sl__hex_decode(uint8_t *out, size_t n, const char *hex);

#endif
