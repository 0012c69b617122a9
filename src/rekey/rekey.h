/*
 * rekey.h -- encryption at rest over the store: the registry of encrypted
 * columns, the associated data that binds a sealed value to its row, and
 * the batch re-encryption that `shualian admin rotate-key` runs while the
 * server keeps serving. Layering: rekey -> store, crypto (-> base).
 *
 * Encrypted columns. Photos, face templates and ID numbers are stored only
 * as sl__seal blobs (crypto.h) in a {blob} column, sealed with the
 * associated data
 *     "<table>|<record id>|<kind>"          e.g. "id_persons|42|id_number"
 * (sl__enc_ad), so a blob copied to another row, table or kind does not
 * open. The record id is the row's integer primary key: insert the row
 * first (INSERT ... RETURNING id), then seal and UPDATE the blob in the same
 * transaction. Look-ups by ID number go through a blind index column
 * (sl__mac(k, "id_number", ...)), never plaintext.
 *
 * Registry. Every module that creates an encrypted column in a migration
 * (src/store/schema.c) appends one line for it to the list in
 * src/rekey/columns.c; that list is what rotation re-encrypts, so a column
 * missing from it would keep old-key ciphertexts forever (they still open:
 * old keys are never deleted, but the point of rotating is lost).
 *
 * Rotation (`shualian admin rotate-key`, built by branch http on this):
 *   1. sl__keyring_rotate(k): a new current key in the key file; the
 *      running server's keyring notices the rewritten file within
 *      SL_CRYPTO_REFRESH_MS and seals new values under it;
 *   2. wait 2 * SL_CRYPTO_REFRESH_MS, so no node still seals with the old key;
 *   3. sl__rekey_all(store, k, registry, ...): per column, in id order and
 *      in batches of opts.batch rows, each batch one short transaction:
 *      SELECT id, blob ... WHERE id > last ORDER BY id LIMIT batch; every
 *      blob not under the current key id is opened and sealed again
 *      (sl__reseal) and written back. Read and write are in the same
 *      transaction (SQLite BEGIN IMMEDIATE / PostgreSQL SERIALIZABLE, retried
 *      by sl__store_run), so a concurrent update of the same row is never
 *      overwritten with stale data. Running it again is harmless (rows
 *      already under the current key are only counted), so an interrupted
 *      run is finished by running it again.
 * A row whose blob does not open (tampered, wrong AD, unknown key) is
 * counted in report.failed and logged with table and id (never content),
 * and left as it is; the run goes on.
 */
#ifndef SL_REKEY_H
#define SL_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "store/store.h"

struct sl_enc_column;
/* A column's AD builder: writes the AD of the row whose ad_col value (as
 * text) is key into out (cap >= SL_ENC_AD_MAX); returns its length. */
typedef size_t (*sl_enc_ad_fn)(char *out, size_t cap, const struct sl_enc_column *c,
                               const char *key);

/* One encrypted column. Names are SQL identifiers [a-z0-9_]{1,63}.
 * Modules that seal before they know the row id (or name rows otherwise)
 * bind the AD to another column: ad_col names it, and ad builds the AD
 * from its text value when the module's format is not
 * "<table>|<key>|<kind>" (e.g. gov's "gov_app|<serial>"). Rotation reads
 * ad_col with the blob and rebuilds the same AD, so every module keeps its
 * own format (docs/crypto.md "Encrypted columns"). */
struct sl_enc_column {
    const char  *table;     /* e.g. "id_persons"                          */
    const char  *id_col;    /* its integer primary key, e.g. "id"         */
    const char  *blob_col;  /* the {blob} column holding sealed values    */
    const char  *kind;      /* the AD kind, e.g. "id_number", "photo"     */
    const char  *ad_col;    /* the AD's row key; NULL: id_col             */
    sl_enc_ad_fn ad;        /* NULL: "<table>|<key>|<kind>"               */
};

/* The registry (columns.c): every encrypted column of every module. */
const struct sl_enc_column *sl__enc_columns(size_t *n);

/* Longest AD sl__enc_ad writes, NUL included. */
#define SL_ENC_AD_MAX 160
/* "<table>|<id>|<kind>" into out (cap >= SL_ENC_AD_MAX); returns its
 * length. (A column with ad_col/ad set: the row's AD is
 * sl__enc_ad_key(out, cap, c, <ad_col value as text>).) */
size_t sl__enc_ad(char *out, size_t cap, const struct sl_enc_column *c,
                  int64_t id);
size_t sl__enc_ad_key(char *out, size_t cap, const struct sl_enc_column *c,
                      const char *key);
/* sl__seal / sl__open with the row's AD; ownership as there. */
SL_NODISCARD sl_status sl__enc_seal(const sl_keyring *k,
                                    const struct sl_enc_column *c, int64_t id,
                                    const void *pt, size_t n, uint8_t **ct,
                                    size_t *ctn);
SL_NODISCARD sl_status sl__enc_open(const sl_keyring *k,
                                    const struct sl_enc_column *c, int64_t id,
                                    const uint8_t *ct, size_t ctn,
                                    uint8_t **pt, size_t *n);

struct sl_rekey_report {
    uint64_t scanned;      /* non-NULL blobs looked at                      */
    uint64_t resealed;     /* moved to the current key                      */
    uint64_t current;      /* already under the current key                 */
    uint64_t failed;       /* did not open: left as they were (logged)      */
    uint32_t kid;          /* the current key id when the run ended         */
};

struct sl_rekey_opts {
    size_t batch;          /* rows per transaction; 0 = 200                 */
    int    settle_ms;      /* sl__rekey_rotate: wait after rotating so that
                              running nodes switch to the new key; 0 =
                              2 * SL_CRYPTO_REFRESH_MS, < 0 = no wait      */
    /* called after every batch (may be NULL): progress display */
    void (*progress)(const struct sl_enc_column *c,
                     const struct sl_rekey_report *sofar, void *ctx);
    void  *ctx;
};

/* Re-encrypts one column under the current key (see the top). rep is
 * zeroed first and accumulates. Errors: SL_ERR_INVALID (bad identifier),
 * store errors (the run stops; rows done so far stay done), SL_ERR_NOMEM. */
SL_NODISCARD sl_status sl__rekey_column(sl_store *s, const sl_keyring *k,
                                        const struct sl_enc_column *c,
                                        const struct sl_rekey_opts *o,
                                        struct sl_rekey_report *rep);
/* The same for cols[0..n) (usually sl__enc_columns()); rep sums them. */
SL_NODISCARD sl_status sl__rekey_all(sl_store *s, const sl_keyring *k,
                                     const struct sl_enc_column *cols,
                                     size_t n, const struct sl_rekey_opts *o,
                                     struct sl_rekey_report *rep);

/* What `shualian admin rotate-key` runs: sl__keyring_rotate(k), wait
 * opts.settle_ms, then sl__rekey_all over the registry (sl__enc_columns).
 * *new_kid (may be NULL) gets the new key id. If the rotation succeeded but
 * re-encryption stopped on an error, the error is returned and running
 * this again (or just sl__rekey_all) finishes the job. */
SL_NODISCARD sl_status sl__rekey_rotate(sl_store *s, sl_keyring *k,
                                        const struct sl_rekey_opts *o,
                                        uint32_t *new_kid,
                                        struct sl_rekey_report *rep);

#endif
