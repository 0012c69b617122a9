/*
 * audit.h -- the tamper-evident, append-only audit log of the server: who
 * did what to whose data, why, when, with what outcome. Records live in the
 * store (tables audit_log, audit_head, audit_checkpoint; migration 50), so
 * every node sharing one database appends to one chain.
 *
 * Workload: one append per request that reads or changes personal data
 * (the hot path: a MAC, two statements and an update of the head row);
 * a signed checkpoint every SL_AUDIT_CP_RECORDS records or SL_AUDIT_CP_MS
 * milliseconds; verification and queries are rare and read in batches.
 *
 * ======================== One chain, serialised by the store ============
 * The single row of audit_head (id = 1) holds the last record number and
 * hash. sl__audit_append reads it and updates it in the caller's
 * transaction, so appends are serialised by the database: on SQLite by the
 * writer lock every transaction holds (BEGIN IMMEDIATE); on PostgreSQL by
 * SERIALIZABLE isolation: of two transactions that both read and update
 * the head row, one fails with a serialization error (SL_ERR_STORE_BUSY)
 * and sl__store_run runs it again, on top of the other's record. Record
 * numbers are therefore dense (1, 2, 3, ...) and the chain is one line,
 * whatever the number of nodes. The record commits or rolls back with the
 * change it describes.
 *
 * ======================== Record and chain format =======================
 * Record n (n = 1, 2, ...) is the row audit_log(seq = n, ...) with the
 * fields of struct sl_audit_rec, prev (the hash of record n-1; 32 zero
 * bytes for record 1) and hash:
 *
 *   hash_n = MAC_k("audit chain", M_n)       (sl__mac: HMAC-SM3 in suite gm,
 *                                             keyed BLAKE2b-256 in intl,
 *                                             under the key file's index key)
 *   M_n    = "shualian-audit-v1" || u64be(n) || prev (32 bytes)
 *            || i64be(at_ms) || F(actor_kind) || F(actor_id) || F(action)
 *            || F(object_type) || F(object_id) || F(id_masked)
 *            || F(person_idx) || F(purpose) || F(outcome) || F(request_id)
 *   F(x)   = u32be(length) || bytes, or u32be(0xffffffff) for NULL
 *
 * The MAC is keyed, so someone who can write the database but does not
 * hold the key file cannot recompute a chain after editing it. Every field
 * and the record number are covered: editing, deleting, inserting or
 * reordering records breaks the chain at the first record touched.
 *
 * ======================== Signed checkpoints ============================
 * After record n, when n - (last checkpoint) >= SL_AUDIT_CP_RECORDS or
 * at_ms - (last checkpoint time) >= SL_AUDIT_CP_MS, the append also writes
 * audit_checkpoint(seq = n, hash = hash_n, at_ms, sig) with
 *   sig = sl__sign(k, "shualian-audit-checkpoint-v1" || u64be(n) || hash_n
 *                  || i64be(at_ms))
 * (SM2 / Ed25519; verifiable with the public key alone). A checkpoint
 * pins the chain up to n: cutting off the tail below a checkpoint, or
 * rewriting the chain with the key, is detected. Each checkpoint is also
 * logged (info level: seq, hash, signature in hex) so that a copy exists
 * outside the database; rolling back the head row, the tail of the log and
 * the checkpoints together is detectable only against such an outside
 * copy (`audit verify --expect N:HASH` with a logged checkpoint). See
 * docs/audit.md.
 *
 * ======================== Verification ==================================
 * sl__audit_verify walks the records in order and reports the first damage
 * with its record number and kind:
 *   edited     the record's MAC does not match its content
 *   deleted    a record number is missing (or the records after a deleted
 *              one were renumbered)
 *   inserted   a record that the chain goes around (the next record links
 *              to the one before it), or one beyond the head
 *   reordered  records are in another order than they were written
 *   truncated  the head, a checkpoint or the outside anchor names records
 *              that are not there
 *   checkpoint a checkpoint's signature or hash is wrong
 */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "base/json.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* Status codes: SL_ERR_AUDIT_* in include/shualian/status.h (112..127). */

#define SL_AUDIT_CP_RECORDS 100       /* checkpoint at least every N records */
#define SL_AUDIT_CP_MS      60000     /* ... or every T ms of record time     */
#define SL_AUDIT_FIELD_MAX  1024      /* bytes per text field                 */

/* One audit record. Text fields are NUL-terminated, NULL when not known;
 * actor_kind, action and outcome are required. Never put a full ID number
 * into any field: id_masked is the masked form (sl_mask_id), person_idx the
 * blind index (sl__mac(k, "id_number", ...)) that queries by person use. */
struct sl_audit_rec {
    const char    *actor_kind;   /* staff | device | citizen | system        */
    const char    *actor_id;     /* user id, device id, session id            */
    const char    *action;       /* route's audit action, e.g. "face.compare" */
    const char    *object_type;  /* person | application | template | user... */
    const char    *object_id;
    const char    *id_masked;    /* "4101**********1234"                      */
    const uint8_t *person_idx;   /* 32-byte blind index, or NULL              */
    const char    *purpose;      /* matter / application id (the why)         */
    const char    *outcome;      /* ok | denied | not_found | error code name */
    const char    *request_id;
    int64_t        at_ms;        /* epoch ms (sl__now_ms())                   */
};

/* Appends r to the chain in the caller's transaction (so the record commits
 * with the change it describes), writing a signed checkpoint when one is
 * due. *seq (may be NULL) gets the record number. Run the transaction with
 * sl__store_run: on PostgreSQL a concurrent append makes this transaction
 * fail with SL_ERR_STORE_BUSY and be run again. SL_ERR_AUDIT_FIELD for a
 * missing required field or a field over SL_AUDIT_FIELD_MAX. */
sl_status sl__audit_append(sl_tx *tx, const sl_keyring *k,
                           const struct sl_audit_rec *r, int64_t *seq);

/* Writes a signed checkpoint for the current head now (a scheduled job,
 * shutdown). No-op if the head is already checkpointed or empty. */
sl_status sl__audit_checkpoint(sl_tx *tx, const sl_keyring *k, int64_t now_ms);

struct sl_audit_report {
    bool    ok;
    int64_t records;        /* records checked                             */
    int64_t checkpoints;    /* checkpoints whose signature verified         */
    int64_t head;           /* record number the head row names             */
    int64_t first_bad;      /* record number of the first damage; 0 if ok   */
    const char *kind;       /* see "Verification" above; NULL if ok         */
    char    detail[192];    /* one line for people                          */
};

/* What is known about the chain from outside the database: a record
 * number that must exist (the newest logged checkpoint, or a count) and,
 * with has_hash, that record's hash (the logged "hash=..."). */
struct sl_audit_anchor {
    int64_t seq;
    bool    has_hash;
    uint8_t hash[SL_CRYPTO_HASH_BYTES];
};

/* Verifies the whole chain, every checkpoint and the anchor (may be NULL).
 * A missing anchored record is "truncated"; a different hash there is
 * "edited" (the chain was rewritten). Returns SL_OK when the check ran
 * (look at rep->ok), or a store/crypto error when it could not run. */
sl_status sl__audit_verify(sl_store *s, const sl_keyring *k,
                           const struct sl_audit_anchor *anchor,
                           struct sl_audit_report *rep);

/* Query filters for GET /v1/audit. All optional (NULL / 0). */
struct sl_audit_filter {
    const char *person;     /* 64 hex chars = blind index; else a masked ID */
    const char *action;     /* exact action                                 */
    const char *actor_id;   /* exact actor id                               */
    int64_t     from_ms;    /* at_ms >= from_ms (0 = no bound)              */
    int64_t     to_ms;      /* at_ms <  to_ms   (0 = no bound)              */
    int64_t     after_seq;  /* records with seq > after_seq (paging)        */
    int         limit;      /* 1..1000; 0 = 100                              */
};

/* Matching records, oldest first, as a new JSON array of objects:
 * {"seq", "at" (ISO-8601), "at_ms", "actor": {"kind", "id"}, "action",
 *  "object": {"type", "id"}, "id_masked", "purpose", "outcome",
 *  "request_id", "hash" (hex)}; absent fields are null. */
sl_status sl__audit_query(sl_tx *tx, const struct sl_audit_filter *f, json_t **out);

#endif
