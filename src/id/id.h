/*
 * id.h -- the population registry (stand-in for 公安人口库), verification
 * results (实名/实人/实证) as single-use records, and consent records.
 * What branches idcode, gov, hall and lic build on.
 *
 * Registry: a person row per (ID type, normalised number). The number is
 * stored only sealed (sl__seal, ad "id_person|<blind>|number") with a blind
 * index (sl__mac purpose "id_number" over the normalised number: the audit
 * module's person index, so GET /v1/audit?person= finds look-ups) for
 * look-up; the name is sealed too; photo and face template are sealed
 * blobs ("id_person|<blind hex>|photo" / "|template"). Every number is
 * checked with sl_id_check (idnum.h) before it is stored or looked up.
 * Person look-ups append an audit record in the same transaction and give
 * masked fields unless the caller asks for the full record (the route
 * table decides which roles may).
 *
 * Source interface: struct sl_id_source lets a real upstream be plugged in
 * later; the built-in one is the store (sl__id_source_store).
 *
 * Verification results: a row id_verification bound to (person, matter,
 * reference), with level flags, score, FAR, reasons, a server signature
 * over the canonical result, expiry (default 10 min), and a "used" flag.
 * sl__verification_consume marks it used inside the caller's transaction:
 * a second consumption is refused (SL_ERR_ID_VERIF_USED) on every node
 * (an UPDATE ... WHERE used = 0 the database serialises).
 *
 * Consent: one record kind for face processing, licence use, data sharing,
 * library enrolment: person, purpose, scope, channel, expiry, withdrawal,
 * guardian (for under-14s), and the non-face alternative offered.
 *
 * Time is sl__now_ms(). Functions taking sl_tx run in the caller's
 * transaction; those taking sl_store run their own. Nothing here prints.
 * Status details 200..223 (status.h): SL_ERR_ID_*.
 */
#ifndef SL_ID_H
#define SL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "base/json.h"
#include "shualian/idnum.h"

typedef struct sl_store sl_store;
typedef struct sl_tx sl_tx;
typedef struct sl_keyring sl_keyring;
struct sl_acct_audit;

/* ============================ Registry ================================== */
enum sl_person_status { SL_PERSON_ACTIVE = 1, SL_PERSON_DECEASED = 2, SL_PERSON_CANCELLED = 3 };

#define SL_ID_NAME_MAX 128u   /* bytes incl. NUL (UTF-8) */

struct sl_person {
    int64_t  id;                       /* person_id                          */
    enum sl_id_type id_type;
    char     number[SL_ID_MAX];        /* full, or masked (sl_id_mask)       */
    char     name[SL_ID_NAME_MAX];     /* full, or masked (first char + *)   */
    char     former_names[SL_ID_NAME_MAX]; /* 曾用名, ';'-separated, may be "" */
    char     sex;                      /* 'M', 'F' or 0                      */
    char     birth_date[11];           /* "YYYY-MM-DD" or ""                 */
    char     valid_from[11], valid_to[11]; /* document validity; "" = none  */
    enum sl_person_status status;
    bool     masked;                   /* number/name are masked             */
    bool     has_photo, has_template;
    int64_t  created_ms;
};

/* What a new record carries. photo/template may be NULL (0 bytes). The
 * template is the caller's (the face engine's) embedding, stored sealed. */
struct sl_person_new {
    enum sl_id_type id_type;
    const char *number;
    const char *name;
    const char *former_names;    /* may be NULL */
    const char *valid_from;      /* may be NULL */
    const char *valid_to;        /* may be NULL: no end date */
    enum sl_person_status status;/* 0 = active */
    const void *photo;   size_t photo_n;
    const float *tmpl;   size_t tmpl_dim;
};

/* Checks and adds a person. Errors: SL_ERR_ID_* from sl_id_check (with
 * *why the failed check when why is not NULL), SL_ERR_INVALID (empty
 * name), SL_ERR_ID_PERSON_EXISTS. *id gets the person_id. */
sl_status sl__person_add_tx(sl_tx *tx, const sl_keyring *k,
                            const struct sl_person_new *p,
                            const struct sl_acct_audit *au,
                            const char **why, int64_t *id);
sl_status sl__person_add(sl_store *s, const sl_keyring *k,
                         const struct sl_person_new *p,
                         const struct sl_acct_audit *au,
                         const char **why, int64_t *id);

/* Looks a person up by document; full = false masks number and name.
 * Appends au (action e.g. "person.read") in the same transaction.
 * SL_ERR_ID_PERSON_UNKNOWN if absent; number errors as sl_id_check. */
sl_status sl__person_find_tx(sl_tx *tx, const sl_keyring *k,
                             enum sl_id_type t, const char *number, bool full,
                             const struct sl_acct_audit *au,
                             struct sl_person *out);
sl_status sl__person_find(sl_store *s, const sl_keyring *k,
                          enum sl_id_type t, const char *number, bool full,
                          const struct sl_acct_audit *au,
                          struct sl_person *out);
/* 实名 (real name): number valid, a record exists, the name is the
 * record's current name, the record is active and the document not past
 * its end date (today from sl__now_ms()). Errors in that order: SL_ERR_ID_*
 * from sl_id_check, SL_ERR_ID_PERSON_UNKNOWN, SL_ERR_ID_NAME_MISMATCH,
 * SL_ERR_ID_PERSON_STATUS, SL_ERR_ID_DOC_EXPIRED (out->valid_to has the end
 * date). *out (masked unless full) is filled whenever the record was found.
 * The look-up is audited with au's action and the outcome. */
sl_status sl__person_real_name_tx(sl_tx *tx, const sl_keyring *k,
                                  enum sl_id_type t, const char *number,
                                  const char *name, bool full,
                                  const struct sl_acct_audit *au,
                                  struct sl_person *out);
/* By person_id. */
sl_status sl__person_get_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                            bool full, const struct sl_acct_audit *au,
                            struct sl_person *out);

/* The registry template (decrypted), sl__malloc'd floats, *dim of them;
 * SL_ERR_NOT_FOUND if the person has none. Caller wipes and frees. */
sl_status sl__person_template_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                 float **tmpl, size_t *dim);
/* The registry photo (decrypted JPEG/PNG bytes); caller frees. */
sl_status sl__person_photo_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                              uint8_t **photo, size_t *n);
/* Replaces photo and/or template (NULL: keep). */
sl_status sl__person_set_face_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                 const void *photo, size_t photo_n,
                                 const float *tmpl, size_t dim,
                                 const struct sl_acct_audit *au);
/* Persons whose face data (photo or template) is stored. */
sl_status sl__person_face_count_tx(sl_tx *tx, int64_t *n);
#define SL_ID_FACE_COUNT_WARN 90000   /* warn from here; filing at 100,000 */
#define SL_ID_FACE_COUNT_FILING 100000
/* The admin report: {"persons_with_face_data", "warn_at", "filing_at",
 * "warning" (count >= warn_at), "message" (zh/en when warning)}. */
sl_status sl__person_face_report_tx(sl_tx *tx, json_t **out);

/* The pluggable source: a real upstream later, the store today. */
struct sl_id_source {
    const char *name;
    void *ctx;
    sl_status (*find)(void *ctx, sl_tx *tx, const sl_keyring *k,
                      enum sl_id_type t, const char *number, bool full,
                      const struct sl_acct_audit *au, struct sl_person *out);
    sl_status (*tmpl)(void *ctx, sl_tx *tx, const sl_keyring *k, int64_t id,
                      float **tmpl, size_t *dim);
};
const struct sl_id_source *sl__id_source_store(void);

/* The blind index of a document (sl__mac purpose "id_number"), as hex
 * (65 bytes incl. NUL); for other modules' look-ups by person. */
sl_status sl__id_blind(const sl_keyring *k, enum sl_id_type t,
                       const char *normalised, char hex[65]);

/* ============================ Verification results ====================== */
enum {
    SL_LEVEL_REAL_NAME     = 1u << 0,   /* 实名 */
    SL_LEVEL_REAL_PERSON   = 1u << 1,   /* 实人 */
    SL_LEVEL_REAL_DOCUMENT = 1u << 2,   /* 实证 */
};
/* "real_name" | "real_person" | "real_document" <-> bit; 0 if unknown. */
uint32_t    sl__level_parse(const char *name);
const char *sl__level_name(uint32_t bit);

/* How identity was established. */
enum sl_verif_method {
    SL_METHOD_FACE = 1,          /* liveness + 1:1 with the registry photo */
    SL_METHOD_ID_CARD = 2,       /* card reader post (card data + chip photo) */
    SL_METHOD_CLERK_DOCUMENT = 3,/* clerk checked a physical document */
    SL_METHOD_ID_CODE = 4,       /* identity code (网证) */
    SL_METHOD_CLERK_VOUCHED = 5, /* window, liveness "none", clerk sees person */
};
const char *sl__method_name(enum sl_verif_method m);

#define SL_VERIF_TTL_MS (10 * 60 * 1000)

/* Second factors a verification may include (factors_passed bits). */
enum {
    SL_FACTOR_BANK_CARD = 1u << 0,   /* seed 002: name+number+card+phone at the bank */
};

/* A verification result as consumers see it. */
struct sl_verification {
    int64_t  id;
    int64_t  person_id;
    char     matter[64];
    char     reference[128];
    char     channel[16];          /* window | kiosk | h5 | staff */
    char     device[64];
    uint32_t levels_required, levels_passed;
    uint32_t factors_passed;       /* SL_FACTOR_* bits that passed         */
    bool     passed;
    enum sl_verif_method method;
    char     vouched_by[64];       /* staff user / device that vouched, or "" */
    double   score, far;
    int64_t  created_ms, expires_ms, used_ms;   /* used_ms 0 = unused */
    char     result_json[1024];    /* canonical signed result (truncated if longer) */
};

/* Records a new session (before frames): *id gets its id. */
struct sl_verification_new {
    int64_t person_id;           /* 0 when real_name failed (no person)    */
    const char *matter, *reference, *channel, *device;
    uint32_t levels;
    enum sl_verif_method method;
    const char *vouched_by;      /* may be NULL */
    int64_t ttl_ms;              /* 0 = SL_VERIF_TTL_MS */
};
sl_status sl__verification_create_tx(sl_tx *tx, const struct sl_verification_new *v,
                                     int64_t *id);
/* Stores the outcome and its server signature (over result_json). */
sl_status sl__verification_finish_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                     uint32_t levels_passed, bool passed,
                                     double score, double far,
                                     const char *result_json);
/* Records the second factors that passed (SL_FACTOR_* bits), before finish. */
sl_status sl__verification_factors_tx(sl_tx *tx, int64_t id, uint32_t factors_passed);
/* The stored signature (SL_CRYPTO_SIG_BYTES) over result_json, as base64;
 * "" when not finished. */
sl_status sl__verification_signature_tx(sl_tx *tx, int64_t id, char *b64, size_t cap);
sl_status sl__verification_get_tx(sl_tx *tx, int64_t id, struct sl_verification *out);
/* The whole canonical signed result (struct sl_verification's result_json
 * is cut at 1 KiB): *json gets a copy the caller frees with sl__free; ""
 * before the result is finished. SL_ERR_NOT_FOUND: no such verification. */
sl_status sl__verification_result_tx(sl_tx *tx, int64_t id, char **json);

/* Consumes a passed result, once, for (person, matter, reference): marks
 * it used in tx. Errors: SL_ERR_NOT_FOUND, SL_ERR_ID_VERIF_BINDING (other
 * person/matter/reference), SL_ERR_ID_VERIF_FAILED (not passed),
 * SL_ERR_ID_VERIF_EXPIRED, SL_ERR_ID_VERIF_USED. On SL_OK *result (may be
 * NULL) gets the record. */
sl_status sl__verification_consume(sl_tx *tx, int64_t id, int64_t person,
                                   const char *matter, const char *reference,
                                   struct sl_verification *result);

/* ============================ Lockout ==================================== */
/* Per document (its blind index, sl__id_blind): SL_ID_LOCK_FAILS failures
 * within SL_ID_LOCK_WINDOW_MS lock it for SL_ID_LOCK_MS << level (level
 * grows with each lock, capped at SL_ID_LOCK_MAX_MS; a success resets
 * failures and level). State is a row, so every node sees it. */
#define SL_ID_LOCK_FAILS     5
#define SL_ID_LOCK_WINDOW_MS (15 * 60 * 1000)
#define SL_ID_LOCK_MS        (15 * 60 * 1000)
#define SL_ID_LOCK_MAX_MS    (24 * 60 * 60 * 1000)
/* SL_OK if not locked at now_ms; else SL_ERR_ID_LOCKED with *until_ms. */
sl_status sl__id_lock_check(sl_tx *tx, const char *blind, int64_t now_ms, int64_t *until_ms);
/* Counts a failure; *until_ms (may be NULL) gets the lock end if this
 * failure locked the document, else 0. */
sl_status sl__id_lock_fail(sl_tx *tx, const char *blind, int64_t now_ms, int64_t *until_ms);
sl_status sl__id_lock_success(sl_tx *tx, const char *blind);

/* ============================ Evidence frames ============================ */
/* Raw frames are never stored; a best frame is kept only when the matter's
 * catalogue entry (evidence.keep_best_frame) or a separate consent
 * ("keep_best_frame") says so -- reason names which -- sealed, until
 * expires_ms. The retention job (sl__frame_sweep_tx) deletes expired ones. */
sl_status sl__frame_keep_tx(sl_tx *tx, const sl_keyring *k, int64_t verification_id,
                            const char *reason, const void *jpeg, size_t n,
                            int64_t expires_ms, int64_t *id);
/* The kept frame (decrypted; caller frees); SL_ERR_NOT_FOUND if none/expired. */
sl_status sl__frame_get_tx(sl_tx *tx, const sl_keyring *k, int64_t verification_id,
                           uint8_t **jpeg, size_t *n);
sl_status sl__frame_sweep_tx(sl_tx *tx, int64_t now_ms, int64_t *removed);

/* ============================ Bank-card factor =========================== */
/* Seed 002: name + ID number + card number + phone checked by a bank. */
struct sl_bank_check {
    const char *name, *id_number, *card, *phone;
};
/* The bank-verification interface; a real bank later, a file for the demo. */
struct sl_bank_verifier {
    void *ctx;
    /* SL_OK: confirmed; SL_ERR_ID_BANK_CARD; SL_ERR_ID_BANK_MISMATCH. */
    sl_status (*check)(void *ctx, const struct sl_bank_check *c);
    void (*free)(void *ctx);
};
/* 12..19 digits with a valid Luhn check digit. */
bool sl__bank_luhn(const char *card);
/* File-backed verifier: UTF-8 lines "card,id_number,name,phone"; '#'
 * starts a comment. SL_ERR_IO / SL_ERR_INVALID (line too long or not 4
 * fields). Free with v->free(v->ctx). */
sl_status sl__bank_file_open(const char *path, struct sl_bank_verifier *v);

/* ============================ Consent ==================================== */
/* purpose: "face_processing" | "licence_use" | "data_sharing" |
 * "library_enrolment" | "keep_best_frame" | "remote_frames". */
struct sl_consent_new {
    int64_t person_id;
    const char *purpose;
    const char *scope;           /* matter code, hall, relying party; "" = any */
    const char *channel;         /* where it was given */
    const char *alternative;     /* the non-face alternative offered */
    const char *guardian;        /* guardian's masked ID / name (under 14), or NULL */
    int64_t expires_ms;          /* 0 = no expiry */
};
sl_status sl__consent_record(sl_tx *tx, const sl_keyring *k, const struct sl_consent_new *c,
                             const struct sl_acct_audit *au, int64_t *id);
/* SL_OK if the person has an unwithdrawn, unexpired consent for purpose
 * covering scope (a consent with scope "" covers every scope); else
 * SL_ERR_ID_CONSENT. *id (may be NULL) gets the consent's id. */
sl_status sl__consent_check(sl_tx *tx, int64_t person, const char *purpose,
                            const char *scope, int64_t *id);
/* Withdraws consent id (of that person). SL_ERR_NOT_FOUND if none. */
sl_status sl__consent_withdraw(sl_tx *tx, const sl_keyring *k, int64_t person, int64_t id,
                               const struct sl_acct_audit *au);

/* Age in whole years at today ("YYYY-MM-DD") of a birth date "YYYY-MM-DD";
 * -1 if either is malformed. Under 14: face only with guardian consent. */
int sl__id_age(const char *birth_date, const char *today);

#endif
